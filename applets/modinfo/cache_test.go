package modinfo

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/internal/debtree"
	"github.com/modutils/modutils/moddep"
	"github.com/modutils/modutils/moddep/modcache"
)

// runCached runs our modinfo with the module cache in dir.
func runCached(dir string, args ...string) result {
	var out, errOut bytes.Buffer
	env := &applet.Env{Argv0: "modinfo", Stdout: &out, Stderr: &errOut, LookupEnv: func(name string) (string, bool) {
		if name == modcache.EnvVar {
			return dir, true
		}
		return os.LookupEnv(name)
	}}
	code := Run(env, args)
	return debtree.Captured(code, out.String(), errOut.String())
}

// fillCache reads a tree as depmod does, with a fresh cache in dir, and
// saves the cache: what a depmod run leaves for modinfo.
func fillCache(t testing.TB, dir string, tree debtree.Tree) {
	t.Helper()
	opts, _ := modcache.FromEnv(func(string) (string, bool) { return dir, true })
	c := modcache.Open(opts)
	defer c.Close()
	d := moddep.NewDepmod(moddep.DepmodConfig{Dir: tree.ModDir(), Cache: c})
	if err := d.Search(); err != nil {
		t.Fatal(err)
	}
	if err := d.Load(); err != nil {
		t.Fatal(err)
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
}

// TestCacheWarm runs the samples of TestDebianPaths with a cache that
// depmod filled, so that every module's information (signature
// included) comes from its record, and compares with kmod 34.2. The
// options are those of compressed trees: every field of the record
// shows in one of them, and the formatting of the others does not
// depend on where the fields came from.
func TestCacheWarm(t *testing.T) {
	debtree.Kmod(t, "modinfo")
	for _, tree := range []debtree.Named{{Name: "deb13.ko.xz", Tree: debtree.Trixie(t)}, {Name: "deb12.ko.zst", Tree: debtree.Get(t, "ko.zst")}} {
		t.Run(tree.Name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "cache")
			fillCache(t, dir, tree.Tree)
			samplePaths(t, tree.Tree, compressedOptions, func(t testing.TB, args ...string) result {
				t.Helper()
				want := runKmod(t, args...)
				compare(t, args, runCached(dir, args...), want)
				return want
			})
		})
	}
}

// TestCacheUsed puts a record of our own for a module file's bytes: the
// output is the record's, so the cache is what modinfo read. A copy of
// the file elsewhere hits too; a record for other bytes does not.
func TestCacheUsed(t *testing.T) {
	tree := debtree.Get(t, "ko.zst")
	data, err := os.ReadFile(filepath.Join(tree.ModDir(), "kernel/drivers/net/dummy.ko.zst"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "cache")
	opts, _ := modcache.FromEnv(func(string) (string, bool) { return dir, true })
	c := modcache.Open(opts)
	c.Put(modcache.KeyOf(data), &modcache.Record{Modinfo: []string{"license=from the cache"}, HasModinfo: true})
	c.Put(modcache.KeyOf(append(data, 0)), &modcache.Record{Modinfo: []string{"license=another file's"}, HasModinfo: true})
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(t.TempDir(), "dummy.ko.zst")
	if err := os.WriteFile(copyPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ dir, want string }{
		{dir, "from the cache\n"},
		{"off", "GPL\n"},
		{filepath.Join(t.TempDir(), "none"), "GPL\n"},
	} {
		got := runCached(tc.dir, "-l", copyPath)
		if got.Stdout != tc.want || got.Code != 0 {
			t.Errorf("MODUTILS_CACHE=%s: exit %d, stdout %q, want %q", tc.dir, got.Code, got.Stdout, tc.want)
		}
	}
}
