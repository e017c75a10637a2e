package kernel

import (
	"os"

	"golang.org/x/sys/unix"

	"github.com/modutils/modutils/internal/libc"
)

// Flags of finit_module(2).
const (
	InitIgnoreModversions = 1 // MODULE_INIT_IGNORE_MODVERSIONS
	InitIgnoreVermagic    = 2 // MODULE_INIT_IGNORE_VERMAGIC
	InitCompressedFile    = 4 // MODULE_INIT_COMPRESSED_FILE (Linux 6.4)
)

// RemoveNowait is delete_module's O_NONBLOCK, which libkmod always
// passes: fail with EAGAIN instead of waiting for a module in use.
const RemoveNowait = unix.O_NONBLOCK

// Syscalls are the module system calls. Sys uses the real ones when its
// Calls is nil; tests substitute a recorder.
type Syscalls interface {
	FinitModule(fd int, params string, flags int) error
	InitModule(image []byte, params string) error
	DeleteModule(name string, flags int) error
}

type realCalls struct{}

// The inserts are made again when a signal interrupted them (EINTR): a
// load that finds the same module being loaded by another waits for it
// interruptibly, and the Go runtime signals its own threads (SIGURG, to
// preempt), which kmod's single-threaded tools never receive. A parallel
// modprobe of btrfs in the VM scenarios failed so once.
func (realCalls) FinitModule(fd int, params string, flags int) error {
	for {
		if err := unix.FinitModule(fd, params, flags); err != unix.EINTR {
			return err
		}
	}
}
func (realCalls) InitModule(image []byte, params string) error {
	for {
		if err := unix.InitModule(image, params); err != unix.EINTR {
			return err
		}
	}
}
func (realCalls) DeleteModule(name string, flags int) error {
	return unix.DeleteModule(name, flags)
}

func (s Sys) calls() Syscalls {
	if s.Calls == nil {
		return realCalls{}
	}
	return s.Calls
}

// Remove unloads the module as kmod_module_remove_module does:
// delete_module with O_NONBLOCK, and O_TRUNC when flags has RemoveForce.
func (s Sys) Remove(name string, flags int) error {
	return errnoOf(s.calls().DeleteModule(name, flags&RemoveForce|RemoveNowait))
}

// errnoOf unwraps a system call's or os package's error to its errno.
func errnoOf(err error) error {
	if err == nil {
		return nil
	}
	if en, ok := libc.Errno(err); ok {
		return en
	}
	return err
}

// Syscalls returns the module system calls Sys makes: Calls, or the real
// ones.
func (s Sys) Syscalls() Syscalls { return s.calls() }

// DecompressionFormat is /sys/module/compression: the format the kernel
// decompresses modules in itself (Linux 6.4 with CONFIG_MODULE_DECOMPRESS:
// "zstd\n", "xz\n" or "gzip\n"), or "" without it.
func (s Sys) DecompressionFormat() string {
	data, err := os.ReadFile(s.Root + "/sys/module/compression")
	if err != nil {
		return ""
	}
	return string(data)
}
