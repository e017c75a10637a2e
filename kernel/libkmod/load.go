package libkmod

import (
	"errors"
	"io"
	"math"
	"syscall"

	"github.com/modutils/modutils/elfmod"
	"github.com/modutils/modutils/internal/libc"
	"github.com/modutils/modutils/internal/rawfile"
	"github.com/modutils/modutils/kernel"
)

// InsertFlags are modprobe's and insmod's --force variants.
type InsertFlags struct{ ForceVermagic, ForceModversion bool }

// LoadPlan is how a module file is handed to the kernel.
type LoadPlan struct {
	// Finit: call finit_module on the open file with FinitFlags; on ENOSYS
	// (a kernel without it) fall back to init_module.
	Finit      bool
	FinitFlags int
	// For init_module: decompress the file in-process, and strip the
	// version information the --force flags ask to ignore.
	Decompress       bool
	StripModversions bool
	StripVermagic    bool
}

// PlanLoad chooses the load path as libkmod does (kmod 34's
// do_finit_module/do_init_module, of which kmod 30's is the case where the
// kernel decompresses nothing): finit_module when the file is uncompressed
// or compressed in the format the kernel decompresses itself
// (/sys/module/compression), with MODULE_INIT_COMPRESSED_FILE for the
// latter and the IGNORE flags for --force; otherwise init_module with an
// image decompressed here and, for --force, stripped of __versions and the
// vermagic.
func PlanLoad(file, kernelDecompresses elfmod.Compression, f InsertFlags) LoadPlan {
	p := LoadPlan{
		Decompress:       file != elfmod.None,
		StripModversions: f.ForceModversion,
		StripVermagic:    f.ForceVermagic,
	}
	if file == elfmod.None || file == kernelDecompresses {
		p.Finit = true
		if file != elfmod.None {
			p.FinitFlags |= kernel.InitCompressedFile
		}
		if f.ForceVermagic {
			p.FinitFlags |= kernel.InitIgnoreVermagic
		}
		if f.ForceModversion {
			p.FinitFlags |= kernel.InitIgnoreModversions
		}
	}
	return p
}

// KernelCompression is the format the kernel decompresses modules in
// itself (/sys/module/compression), or None. Like libkmod, a missing or
// unknown file means None.
func KernelCompression(s kernel.Sys) elfmod.Compression {
	switch s.DecompressionFormat() {
	case "zstd\n":
		return elfmod.Zstd
	case "xz\n":
		return elfmod.XZ
	case "gzip\n":
		return elfmod.Gzip
	}
	return elfmod.None
}

// magicLen is what libkmod reads of a file before choosing how to load it.
const magicLen = 6

// FileError is a failure to open, read or decompress the module file,
// before any system call: libkmod returns its errno without logging
// "Failed to insert module".
type FileError struct{ Errno syscall.Errno }

func (e *FileError) Error() string { return e.Errno.Error() }
func (e *FileError) Unwrap() error { return e.Errno }

// Insert loads the module file at path with params into the kernel s
// stands for, as kmod_module_insert_module does; the error is the kernel's
// errno (EEXIST when the module is loaded already), or a *FileError
// wrapping the one opening, reading or decompressing the file gave.
func Insert(s kernel.Sys, path, params string, f InsertFlags) error {
	if err := insert(s, path, params, f); err != nil {
		var fe *FileError
		if errors.As(err, &fe) {
			return fe
		}
		return toErrno(err)
	}
	return nil
}

func fileErr(err error) error {
	en, ok := libc.Errno(err)
	if !ok {
		en = elfmod.Errno(err)
	}
	return &FileError{en}
}

func insert(s kernel.Sys, path, params string, f InsertFlags) error {
	// Not an os.File: os.Open registers the file with the runtime's
	// poller (epoll_create1, eventfd2, epoll_ctl, four fcntls), which
	// every insmod paid for a file it reads once.
	file, err := rawfile.OpenStream(path)
	if err != nil {
		return fileErr(err)
	}
	defer file.Close()
	var magic [magicLen]byte
	if _, err := file.ReadAt(magic[:], 0); err != nil {
		if errors.Is(err, io.EOF) {
			return &FileError{syscall.EINVAL} // shorter than the longest magic
		}
		return fileErr(err)
	}
	comp := elfmod.Detect(magic[:])
	plan := PlanLoad(comp, KernelCompression(s), f)
	calls := s.Syscalls()
	if plan.Finit {
		err := calls.FinitModule(file.Fd(), params, plan.FinitFlags)
		if !errors.Is(err, syscall.ENOSYS) {
			return err
		}
	}
	img, err := loadImage(io.NewSectionReader(file, 0, math.MaxInt64), path, comp, plan)
	if err != nil {
		return err
	}
	return calls.InitModule(img, params)
}

// loadImage reads the image init_module is given: decompressed (bounded
// by elfmod.MaxDecompressedSize) and stripped as the plan says.
func loadImage(file io.Reader, path string, comp elfmod.Compression, plan LoadPlan) ([]byte, error) {
	var img []byte
	var err error
	if comp != elfmod.None {
		img, err = elfmod.Decompress(path, file, comp, 0)
	} else {
		img, err = io.ReadAll(file)
	}
	if err != nil {
		return nil, fileErr(err)
	}
	if !plan.StripModversions && !plan.StripVermagic {
		return img, nil
	}
	m, err := elfmod.ParseBytes(path, img)
	if err != nil {
		return nil, fileErr(err)
	}
	defer m.Close()
	// libkmod only logs (at INFO) a module without these.
	if plan.StripModversions {
		_ = m.StripSection("__versions")
	}
	if plan.StripVermagic {
		_ = m.StripVermagic()
	}
	out, err := m.Image()
	if err != nil {
		return nil, fileErr(err)
	}
	return out, nil
}
