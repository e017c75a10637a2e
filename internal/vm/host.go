// Package vm boots Debian's kernels under qemu with an initramfs whose
// only module tools are modutils, runs shell scripts there as init and
// returns what they printed on the serial console. The machine this
// project is built on cannot load modules into its own kernel, so this is
// where insmod, rmmod, modprobe and the kernel's own request_module() are
// tested for real, against kmod 34.2's tools run in the same VM.
//
// The pieces come from the host: two kernels with their modules, Debian
// 12's 6.1 (the package testdata/debian-tree.sh caches; its modules
// uncompressed, with .ko.xz, .ko.zst and .ko.gz copies; no in-kernel
// decompression) and Debian 13's 6.12 (testdata/trixie.sh; its modules
// .ko.xz, which that kernel decompresses itself), a static busybox for the
// shell and everything else, Debian 13's kmod 34.2 (with Debian 13's
// loader and libraries, under /kmod, out of PATH) as the oracle, and a
// modutils binary.
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

// Kernel is one kernel the VM boots, with the module tree it came with.
type Kernel struct {
	Name    string // "deb12", "deb13": what subtests and scenarios call it
	Image   string // vmlinuz
	Tree    string // root of its package: Tree/lib/modules/Version
	Version string // the kernel release
	// Suffix is the compression its modules ship in: "" (Debian 12's
	// .ko) or "xz" (Debian 13's .ko.xz).
	Suffix string
	// MergedUsr: the tree's /lib is a link to usr/lib, and so is the
	// image's, as on Debian 13.
	MergedUsr bool
	// copies is where what the harness makes of the tree is cached,
	// outside the clone: modules.dep, and modules recompressed from
	// Suffix.
	copies string
}

// Host is what a VM is made of, found on this machine.
type Host struct {
	// Kernels are the kernels found, Debian 12's first; missing ones are
	// in Missing.
	Kernels []*Kernel
	Busybox string // a static busybox
	Qemu    string // qemu-system-x86_64
	// Kmod is the root of Debian 13's kmod package with its libraries
	// (usr/bin/kmod, usr/lib/x86_64-linux-gnu), or "" when
	// testdata/trixie.sh has not made it.
	Kmod string
	// Missing says, per kernel name, what is missing for it.
	Missing map[string]string
}

// KernelNames are the kernels FindHost looks for, in order.
var KernelNames = []string{"deb12", "deb13"}

// ErrMissing wraps what FindHost could not find, so that tests can skip
// (or fail under CI) rather than report a broken harness.
var ErrMissing = errors.New("missing")

// FindHost finds the kernels, their modules, busybox, qemu and kmod 34.2.
// Busybox and qemu are needed for anything; a kernel that is missing is
// reported by Kernel.
func FindHost() (*Host, error) {
	h := &Host{Missing: map[string]string{}}
	var missing []string
	deb12, err := findKernel("deb12", filepath.Join(debtree.CacheDir(), "tree"), "", "testdata/debian-tree.sh")
	if err != nil {
		h.Missing["deb12"] = err.Error()
	} else {
		deb12.copies = filepath.Join(debtree.CacheDir(), "vm", deb12.Version)
		h.Kernels = append(h.Kernels, deb12)
	}
	deb13, err := findKernel("deb13", filepath.Join(debtree.TrixieDir(), "current", "tree"), "xz", "testdata/trixie.sh")
	if err != nil {
		h.Missing["deb13"] = err.Error()
	} else {
		deb13.MergedUsr = true
		deb13.copies = filepath.Join(debtree.TrixieDir(), "vm", deb13.Version)
		h.Kernels = append(h.Kernels, deb13)
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
	kmod := filepath.Join(debtree.TrixieDir(), "kmod")
	if _, err := os.Stat(filepath.Join(kmod, ".complete")); err == nil {
		h.Kmod = filepath.Join(kmod, "root")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrMissing, strings.Join(missing, ", "))
	}
	return h, nil
}

// Kernel returns the kernel of that name, or an ErrMissing error saying
// what is missing for it.
func (h *Host) Kernel(name string) (*Kernel, error) {
	for _, k := range h.Kernels {
		if k.Name == name {
			return k, nil
		}
	}
	if m, ok := h.Missing[name]; ok {
		return nil, fmt.Errorf("%w: %s", ErrMissing, m)
	}
	return nil, fmt.Errorf("no kernel %q (there are %s)", name, strings.Join(KernelNames, ", "))
}

func findKernel(name, root, suffix, script string) (*Kernel, error) {
	if _, err := os.Stat(filepath.Join(root, ".complete")); err != nil {
		return nil, fmt.Errorf("the %s kernel tree %s (%s)", name, root, script)
	}
	versions, _ := os.ReadDir(filepath.Join(root, "lib/modules"))
	if len(versions) != 1 {
		return nil, fmt.Errorf("%s: want exactly one kernel version under lib/modules", root)
	}
	k := &Kernel{Name: name, Tree: root, Version: versions[0].Name(), Suffix: suffix}
	k.Image = filepath.Join(root, "boot", "vmlinuz-"+k.Version)
	if _, err := os.Stat(k.Image); err != nil {
		return nil, fmt.Errorf("%s (%s)", k.Image, script)
	}
	return k, nil
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

// TreeFlavour is the root of Debian 12's tree copy whose modules end in
// ".ko."+suffix ("xz", "zst", "gz"), or "" where it was not made.
func TreeFlavour(suffix string) string {
	root := filepath.Join(debtree.CacheDir(), "tree-"+suffix)
	if _, err := os.Stat(filepath.Join(root, ".complete")); err != nil {
		return ""
	}
	return root
}
