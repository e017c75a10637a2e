// Package debtree gives tests the real world to compare against: Debian
// 12's kernel module tree (uncompressed and as .ko.xz, .ko.zst and .ko.gz
// copies, prepared by testdata/debian-tree.sh), Debian 13's tree as it
// ships (.ko.xz, prepared by testdata/trixie.sh), and kmod's tools as the
// oracles: Debian 13's kmod 34.2, the reference, and Debian 12's kmod 30,
// a second oracle where the two agree. Where any of it is missing a test
// skips, except under CI, where a skipped oracle test would hide a
// regression and so fails instead.
package debtree

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Flavours are the tree copies, by the suffix their modules carry.
var Flavours = []string{"ko", "ko.xz", "ko.zst", "ko.gz"}

// Tree is one unpacked copy of the kernel package.
type Tree struct {
	Flavour string
	Root    string // what depmod -b takes
	Version string // the kernel release
}

// ModDir is ROOT/lib/modules/VERSION.
func (t Tree) ModDir() string { return filepath.Join(t.Root, "lib/modules", t.Version) }

// Missing skips the test, or fails it under CI.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("CI needs this: "+format, args...)
	}
	t.Skipf(format, args...)
}

// CacheDir is where testdata/debian-tree.sh keeps the current package.
func CacheDir() string { return filepath.Join(cacheBase(), "current") }

// TrixieDir is where testdata/trixie.sh keeps kmod 34.2 and, under
// current, Debian 13's kernel package.
func TrixieDir() string { return filepath.Join(cacheBase(), "trixie") }

func cacheBase() string {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, _ := os.UserHomeDir()
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "modutils")
}

// Get returns Debian 12's tree of the given flavour.
func Get(t testing.TB, flavour string) Tree {
	t.Helper()
	dir := "tree"
	if flavour != "ko" {
		dir = "tree-" + flavour[len("ko."):]
	}
	return open(t, filepath.Join(CacheDir(), dir), flavour, "testdata/debian-tree.sh")
}

// Trixie returns Debian 13's tree as it ships: 4,230 modules as .ko.xz in
// a merged-/usr root.
func Trixie(t testing.TB) Tree {
	t.Helper()
	return open(t, filepath.Join(TrixieDir(), "current", "tree"), "ko.xz", "testdata/trixie.sh")
}

// All returns every tree the differential suites run on: Debian 13's,
// then Debian 12's in each flavour. Names are for subtests.
func All(t testing.TB) []Named {
	t.Helper()
	all := []Named{{"deb13.ko.xz", Trixie(t)}}
	for _, f := range Flavours {
		all = append(all, Named{"deb12." + f, Get(t, f)})
	}
	return all
}

// Named is a tree with a name for its subtest.
type Named struct {
	Name string
	Tree
}

func open(t testing.TB, root, flavour, script string) Tree {
	t.Helper()
	if _, err := os.Stat(filepath.Join(root, ".complete")); err != nil {
		Missing(t, "Debian module tree %s not prepared (run %s)", root, script)
	}
	versions, err := os.ReadDir(filepath.Join(root, "lib/modules"))
	if err != nil || len(versions) != 1 {
		t.Fatalf("%s: want exactly one kernel version under lib/modules: %v", root, err)
	}
	return Tree{Flavour: flavour, Root: root, Version: versions[0].Name()}
}

// Kmod returns the path of one of kmod 34.2's tools, the reference oracle
// (Debian 13's kmod, run with Debian 13's libraries).
func Kmod(t testing.TB, tool string) string {
	t.Helper()
	p := filepath.Join(TrixieDir(), "kmod", "bin", tool)
	if _, err := os.Stat(filepath.Join(TrixieDir(), "kmod", ".complete")); err != nil {
		Missing(t, "kmod 34.2 not prepared (run testdata/trixie.sh)")
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("kmod 34.2 has no %s: %v", tool, err)
	}
	return p
}

// Kmod30 returns the path of one of Debian 12's kmod 30 tools, the second
// oracle, installed on this machine.
func Kmod30(t testing.TB, tool string) string {
	t.Helper()
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
		p := filepath.Join(dir, tool)
		if target, err := filepath.EvalSymlinks(p); err == nil && filepath.Base(target) == "kmod" {
			return p
		}
	}
	if p, err := exec.LookPath(tool); err == nil {
		Missing(t, "%s is not kmod's (%s)", tool, p)
	}
	Missing(t, "kmod's %s is not installed (apt-get install kmod)", tool)
	return ""
}

// View makes a fresh image root whose module directory holds the tree's
// modules (through a link, so nothing is copied) and copies of the files
// the kernel build installs beside them, for a depmod to write into.
func View(t testing.TB, tree Tree) Tree {
	t.Helper()
	v, err := ViewIn(t.TempDir(), tree)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// ViewIn is View in a directory the caller manages.
func ViewIn(root string, tree Tree) (Tree, error) {
	dst := filepath.Join(root, "lib/modules", tree.Version)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return Tree{}, err
	}
	src := tree.ModDir()
	if err := os.Symlink(filepath.Join(src, "kernel"), filepath.Join(dst, "kernel")); err != nil {
		return Tree{}, err
	}
	for _, name := range []string{"modules.order", "modules.builtin", "modules.builtin.modinfo"} {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return Tree{}, err
		}
		if err := os.WriteFile(filepath.Join(dst, name), data, 0o644); err != nil {
			return Tree{}, err
		}
	}
	return Tree{Flavour: tree.Flavour, Root: root, Version: tree.Version}, nil
}

// KmodIndexes is a module directory of the uncompressed tree holding what
// kmod's depmod writes for it, made once per test binary in dir.
func KmodIndexes(t testing.TB, dir string) string {
	t.Helper()
	tree := Get(t, "ko")
	depmod := Kmod(t, "depmod")
	kmodIndexes.Do(func() {
		v, err := ViewIn(dir, tree)
		if err != nil {
			kmodIndexes.err = err
			return
		}
		out, err := exec.Command(depmod, "-b", v.Root, v.Version).CombinedOutput()
		if err != nil {
			kmodIndexes.err = fmt.Errorf("kmod depmod: %v: %s", err, out)
			return
		}
		kmodIndexes.dir = v.ModDir()
	})
	if kmodIndexes.err != nil {
		t.Fatal(kmodIndexes.err)
	}
	return kmodIndexes.dir
}

var kmodIndexes struct {
	sync.Once
	dir string
	err error
}

// SubsetCopy copies every n-th module of tree (real copies, as
// initramfs-tools makes them), with modules.order and the builtin files,
// into each of the fresh roots dirs names: what depmod -b DESTDIR reads
// when an initramfs is built.
func SubsetCopy(t testing.TB, tree Tree, n int, dirs ...string) {
	t.Helper()
	src := tree.ModDir()
	i := 0
	write := func(rel string, data []byte) error {
		for _, root := range dirs {
			dst := filepath.Join(root, "lib/modules", tree.Version, rel)
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(dst, data, 0o644); err != nil {
				return err
			}
		}
		return nil
	}
	err := filepath.Walk(filepath.Join(src, "kernel"), func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		if i++; i%n != 0 {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		return write(rel, data)
	})
	for _, name := range []string{"modules.order", "modules.builtin", "modules.builtin.modinfo"} {
		if err != nil {
			break
		}
		var data []byte
		if data, err = os.ReadFile(filepath.Join(src, name)); err == nil {
			err = write(name, data)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
}

// AddModule installs data as the module file rel (updates/dkms/dummy.ko.xz,
// say) in each view's module directory, as DKMS installs one it built.
func AddModule(t testing.TB, rel string, data []byte, views ...Tree) {
	t.Helper()
	for _, v := range views {
		dst := filepath.Join(v.ModDir(), rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
