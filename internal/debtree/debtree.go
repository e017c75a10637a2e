// Package debtree gives tests the real world to compare against: Debian's
// kernel module tree (uncompressed and as .ko.xz, .ko.zst and .ko.gz
// copies, prepared by testdata/debian-tree.sh) and kmod's tools as the
// oracle. Where either is missing a test skips, except under CI, where a
// skipped oracle test would hide a regression and so fails instead.
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
func CacheDir() string {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, _ := os.UserHomeDir()
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "modutils", "current")
}

// Get returns the tree of the given flavour.
func Get(t testing.TB, flavour string) Tree {
	t.Helper()
	dir := "tree"
	if flavour != "ko" {
		dir = "tree-" + flavour[len("ko."):]
	}
	root := filepath.Join(CacheDir(), dir)
	if _, err := os.Stat(filepath.Join(root, ".complete")); err != nil {
		Missing(t, "Debian module tree %s not prepared (run testdata/debian-tree.sh)", root)
	}
	versions, err := os.ReadDir(filepath.Join(root, "lib/modules"))
	if err != nil || len(versions) != 1 {
		t.Fatalf("%s: want exactly one kernel version under lib/modules: %v", root, err)
	}
	return Tree{Flavour: flavour, Root: root, Version: versions[0].Name()}
}

// Kmod returns the path of one of kmod's tools, the oracle.
func Kmod(t testing.TB, tool string) string {
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
