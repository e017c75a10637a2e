package depmod

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/elfmod/elfmodtest"
	"github.com/modutils/modutils/internal/debtree"
	"github.com/modutils/modutils/moddep"
	"github.com/modutils/modutils/moddep/modcache"
)

// cacheDir is the module cache every run of this package uses (through
// MODUTILS_CACHE, which the binary the tests start inherits too): the
// suites that compare with kmod run once cold and, wherever a tree is
// read again, warm.
var cacheDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "depmod-cache")
	if err != nil {
		panic(err)
	}
	cacheDir = dir
	os.Setenv(modcache.EnvVar, dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runCached runs our depmod with the module cache in dir.
func runCached(t *testing.T, dir string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &applet.Env{Argv0: "depmod", Stdout: &out, Stderr: &errOut, LookupEnv: func(name string) (string, bool) {
		if name == modcache.EnvVar {
			return dir, true
		}
		return os.LookupEnv(name)
	}}
	code := Run(env, args)
	return result{Result: debtree.Captured(code, out.String(), errOut.String())}
}

func newCacheDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cache")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func cacheFile(dir string) string { return filepath.Join(dir, modcache.FileName) }

// TestCacheWarm runs our depmod twice on every tree with one cache, the
// second run reading every module from it, and compares both with kmod
// 34.2: the warm run must write the same bytes, and leave the cache file
// as it was (every module a hit, nothing to add).
func TestCacheWarm(t *testing.T) {
	t.Parallel()
	for _, tree := range debtree.All(t) {
		if tree.Flavour == "ko.gz" {
			continue
		}
		t.Run(tree.Name, func(t *testing.T) {
			kv := debtree.View(t, tree.Tree)
			want := runKmod(t, "-b", kv.Root, tree.Version)
			want.files = snapshot(t, kv.ModDir())
			for _, run := range []string{"cold or warm", "warm"} {
				before, _ := os.Stat(cacheFile(cacheDir))
				ov := debtree.View(t, tree.Tree)
				got := runCached(t, cacheDir, "-b", ov.Root, tree.Version)
				got.files = snapshot(t, ov.ModDir())
				t.Run(strings.ReplaceAll(run, " ", "-"), func(t *testing.T) { compareResults(t, got, want) })
				after, err := os.Stat(cacheFile(cacheDir))
				if err != nil {
					t.Fatalf("%s: no cache written: %v", run, err)
				}
				if run == "warm" && !os.SameFile(before, after) {
					t.Errorf("warm run rewrote the cache: some module missed")
				}
			}
		})
	}
}

// TestCacheChangedTree is what DKMS and initramfs-tools do after a cold
// run: one module added to the tree (a module of Debian 12's, compressed
// afresh: bytes the cache does not know), and a copy of a subset of the tree
// under another root, read through the first tree's records. Both must
// give what kmod gives.
func TestCacheChangedTree(t *testing.T) {
	t.Parallel()
	tree := debtree.Trixie(t)
	extra := debtree.Get(t, "ko")
	// The package's cache: the other suites have filled it with the
	// tree already, or this run does.
	dir := cacheDir
	v := debtree.View(t, tree)
	if r := runCached(t, dir, "-b", v.Root, tree.Version); r.Code != 0 || r.Stderr != "" {
		t.Fatalf("first run: exit %d, stderr %q", r.Code, r.Stderr)
	}

	t.Run("one module added", func(t *testing.T) {
		kv, ov := debtree.View(t, tree), debtree.View(t, tree)
		// Compressed here, so that no other test has cached its bytes.
		plain, err := os.ReadFile(filepath.Join(extra.ModDir(), "kernel/drivers/net/dummy.ko"))
		if err != nil {
			t.Fatal(err)
		}
		debtree.AddModule(t, "updates/dkms/dummy.ko.xz", elfmodtest.XZ(plain), kv, ov)
		want := runKmod(t, "-b", kv.Root, tree.Version)
		want.files = snapshot(t, kv.ModDir())
		before := readCache(t, dir)
		got := runCached(t, dir, "-b", ov.Root, tree.Version)
		got.files = snapshot(t, ov.ModDir())
		compareResults(t, got, want)
		if after := readCache(t, dir); len(after) <= len(before) {
			t.Errorf("cache of %d bytes after adding a module, %d before", len(after), len(before))
		}
	})

	t.Run("subset under another root", func(t *testing.T) {
		sub := subsetCopy(t, tree, 3)
		want := runKmod(t, "-b", sub.kmod, tree.Version)
		want.files = snapshot(t, filepath.Join(sub.kmod, "lib/modules", tree.Version))
		before, _ := os.Stat(cacheFile(dir))
		got := runCached(t, dir, "-b", sub.ours, tree.Version)
		got.files = snapshot(t, filepath.Join(sub.ours, "lib/modules", tree.Version))
		compareResults(t, got, want)
		if after, _ := os.Stat(cacheFile(dir)); !os.SameFile(before, after) {
			t.Errorf("the copies missed the cache")
		}
	})
}

func readCache(t *testing.T, dir string) []byte {
	t.Helper()
	data, err := os.ReadFile(cacheFile(dir))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// reseal makes a cache's index and header checksums right again.
func reseal(b []byte) []byte {
	le := binary.LittleEndian
	tab := crc32.MakeTable(crc32.Castagnoli)
	plen, count := int(le.Uint32(b[12:])), int(le.Uint32(b[24:]))
	le.PutUint32(b[32:], crc32.Checksum(b[40+plen:40+plen+count*44], tab))
	le.PutUint32(b[36:], crc32.Update(crc32.Checksum(b[:36], tab), tab, b[40:40+plen]))
	return b
}

type subset struct{ kmod, ours string }

// subsetCopy is debtree.SubsetCopy into two fresh roots, kmod's and ours.
func subsetCopy(t testing.TB, tree debtree.Tree, n int) subset {
	t.Helper()
	s := subset{kmod: t.TempDir(), ours: t.TempDir()}
	debtree.SubsetCopy(t, tree, n, s.kmod, s.ours)
	return s
}

// TestCacheDamaged runs depmod over Debian 12's uncompressed tree with a
// cache damaged in each way a disk, a crash, an old build or another
// user can damage it: the output is kmod's every time.
func TestCacheDamaged(t *testing.T) {
	t.Parallel()
	tree := debtree.Get(t, "ko.zst")
	kv := debtree.View(t, tree)
	want := runKmod(t, "-b", kv.Root, tree.Version)
	want.files = snapshot(t, kv.ModDir())
	seed := newCacheDir(t)
	if r := runCached(t, seed, "-b", debtree.View(t, tree).Root, tree.Version); r.Code != 0 {
		t.Fatalf("cold run: exit %d: %s", r.Code, r.Stderr)
	}
	good := readCache(t, seed)
	le := binary.LittleEndian
	recordsAt := 40 + int(le.Uint32(good[12:])) + int(le.Uint32(good[24:]))*44
	flip := func(at int) func([]byte) []byte {
		return func(b []byte) []byte { b[at] ^= 0x10; return b }
	}
	cases := []struct {
		name   string
		damage func([]byte) []byte
		setup  func(t *testing.T, dir string)
	}{
		{"truncated in the header", func(b []byte) []byte { return b[:20] }, nil},
		{"truncated in the index", func(b []byte) []byte { return b[:recordsAt-100] }, nil},
		{"truncated in the records", func(b []byte) []byte { return b[:recordsAt+len(b[recordsAt:])/2] }, nil},
		{"truncated by a byte", func(b []byte) []byte { return b[:len(b)-1] }, nil},
		{"bit flipped in the header", flip(17), nil},
		{"bit flipped in the index", flip(recordsAt - 50), nil},
		{"bit flipped in the first record", flip(recordsAt + 40), nil},
		{"bit flipped in a middle record", flip(recordsAt + len(good[recordsAt:])/2), nil},
		{"bit flipped in the last record", flip(len(good) - 3), nil},
		{"another format version", func(b []byte) []byte { le.PutUint32(b[8:], modcache.Format+1); return b }, nil},
		{"another producer", func(b []byte) []byte { b[40] ^= 1; return b }, nil},
		{"a record for another key", func(b []byte) []byte {
			// Two index entries swap records (index checksum made
			// right): each record's own key then disagrees.
			e := b[40+int(le.Uint32(b[12:])):]
			var tmp [8]byte
			copy(tmp[:], e[32:40])
			copy(e[32:40], e[44+32:44+40])
			copy(e[44+32:44+40], tmp[:])
			return reseal(b)
		}, nil},
		{"group-writable", nil, func(t *testing.T, dir string) { os.Chmod(cacheFile(dir), 0o664) }},
		{"directory world-writable", nil, func(t *testing.T, dir string) { os.Chmod(dir, 0o777) }},
		{"owned by nobody", nil, func(t *testing.T, dir string) {
			if err := os.Chown(cacheFile(dir), 65534, 65534); err != nil {
				t.Skip("chown needs root:", err)
			}
		}},
		{"empty", func([]byte) []byte { return nil }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := newCacheDir(t)
			data := bytes.Clone(good)
			if tc.damage != nil {
				data = tc.damage(data)
			}
			if err := os.WriteFile(cacheFile(dir), data, 0o644); err != nil {
				t.Fatal(err)
			}
			if tc.setup != nil {
				tc.setup(t, dir)
			}
			ov := debtree.View(t, tree)
			got := runCached(t, dir, "-b", ov.Root, tree.Version)
			got.files = snapshot(t, ov.ModDir())
			compareResults(t, got, want)
		})
	}
}

// TestCacheOff: MODUTILS_CACHE=off reads and writes no cache.
func TestCacheOff(t *testing.T) {
	t.Parallel()
	tree := debtree.Get(t, "ko.zst")
	v := debtree.View(t, tree)
	if r := runCached(t, "off", "-b", v.Root, tree.Version); r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	if _, err := os.Stat("off"); err == nil {
		t.Error("a cache directory named off was made")
	}
	if _, err := moddep.OpenIndex(filepath.Join(v.ModDir(), "modules.dep.bin")); err != nil {
		t.Error(err)
	}
}
