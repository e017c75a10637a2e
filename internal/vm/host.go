// Package vm boots Debian's kernel under qemu with an initramfs whose
// only module tools are modutils, runs a shell script there as init and
// returns what it printed on the serial console. The machine this project
// is built on cannot load modules into its own kernel, so this is where
// insmod, rmmod, modprobe and the kernel's own request_module() are
// tested for real, against kmod's tools run in the same VM.
//
// The pieces come from the host: the kernel and modules from the Debian
// package that testdata/debian-tree.sh caches, a static busybox for the
// shell and everything else, Debian's kmod (with its shared libraries,
// under /kmod, out of PATH) as the oracle, and a modutils binary.
package vm

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/modutils/modutils/internal/debtree"
)

// Host is what a VM is made of, found on this machine.
type Host struct {
	Kernel  string // vmlinuz
	Tree    string // root of the uncompressed module tree: Tree/lib/modules/Version
	Version string // the kernel release
	Busybox string // a static busybox
	Qemu    string // qemu-system-x86_64
	Kmod    string // Debian's kmod binary; "" when it is not installed
}

// ErrMissing wraps what FindHost could not find, so that tests can skip
// (or fail under CI) rather than report a broken harness.
var ErrMissing = errors.New("missing")

// FindHost finds the kernel, its modules, busybox and qemu.
func FindHost() (*Host, error) {
	h := &Host{}
	var missing []string
	root := filepath.Join(debtree.CacheDir(), "tree")
	if _, err := os.Stat(filepath.Join(root, ".complete")); err != nil {
		missing = append(missing, "Debian's kernel tree (testdata/debian-tree.sh)")
	} else {
		h.Tree = root
		versions, _ := os.ReadDir(filepath.Join(root, "lib/modules"))
		if len(versions) != 1 {
			return nil, fmt.Errorf("%s: want exactly one kernel version under lib/modules", root)
		}
		h.Version = versions[0].Name()
		h.Kernel = filepath.Join(root, "boot", "vmlinuz-"+h.Version)
		if _, err := os.Stat(h.Kernel); err != nil {
			missing = append(missing, h.Kernel)
		}
	}
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		if isStatic(p) {
			h.Busybox = p
			break
		}
	}
	if h.Busybox == "" {
		missing = append(missing, "a static busybox (apt-get install busybox-static)")
	}
	if p, err := exec.LookPath("qemu-system-x86_64"); err == nil {
		h.Qemu = p
	} else {
		missing = append(missing, "qemu-system-x86_64 (apt-get install qemu-system-x86)")
	}
	for _, p := range []string{"/usr/bin/kmod", "/bin/kmod"} {
		if _, err := os.Stat(p); err == nil {
			h.Kmod = p
			break
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrMissing, strings.Join(missing, ", "))
	}
	return h, nil
}

// isStatic reports whether path is an executable without an ELF
// interpreter: the initramfs has no dynamic loader outside /kmod.
func isStatic(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false
		}
	}
	return true
}

// TreeFlavour is the root of the tree copy whose modules end in
// ".ko."+suffix ("xz", "zst", "gz"), or "" where it was not made.
func (h *Host) TreeFlavour(suffix string) string {
	root := filepath.Join(debtree.CacheDir(), "tree-"+suffix)
	if _, err := os.Stat(filepath.Join(root, ".complete")); err != nil {
		return ""
	}
	return root
}
