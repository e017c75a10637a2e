package modcache

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/modutils/modutils/elfmod"
	"github.com/modutils/modutils/internal/debtree"
)

var update = flag.Bool("update", false, "rewrite testdata/real.cache from Debian 13's tree")

// realSeed is a cache made by depmod's extraction from a few small
// modules of Debian 13's tree (signed, with aliases, exports and CRCs).
const realSeed = "testdata/real.cache"

// FuzzOpen feeds damaged caches to the reader: it must not panic, nor
// allocate without bound, and what it reads must survive being written
// back and read again. The seeds are a real cache file and one of
// sample records.
func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	c := Open(testOpts(dir))
	for i := 0; i < 5; i++ {
		c.Put(sample(i))
	}
	if err := c.Save(); err != nil {
		f.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	real, err := os.ReadFile(realSeed)
	if err != nil {
		f.Fatal(err)
	}
	if openBytes(testOpts(dir), real).Len() == 0 {
		f.Fatalf("%s: no records for producer %q", realSeed, producer)
	}
	f.Add(real)
	f.Add(real[:len(real)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		c := openBytes(testOpts(dir), data)
		var keys []Key
		for _, e := range c.entries {
			if _, ok := c.Lookup(e.key); ok {
				keys = append(keys, e.key)
			}
		}
		c.Put(KeyOf(data), &Record{Modinfo: []string{"x"}})
		out, err := c.encodeFile()
		if err != nil {
			t.Fatal(err)
		}
		again := openBytes(testOpts(dir), out)
		for _, k := range keys {
			if _, ok := again.Lookup(k); !ok {
				t.Fatalf("a record read is lost in the rewritten cache")
			}
		}
	})
}

// seedModules are the modules of Debian 13's tree the real seed holds.
var seedModules = []string{"kernel/drivers/char/hw_random/virtio-rng.ko.xz", "kernel/net/802/stp.ko.xz", "kernel/drivers/input/misc/pcspkr.ko.xz"}

// extract is what depmod's reading puts in a module's record.
func extract(t *testing.T, path string) (Key, *Record) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := elfmod.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	rec := &Record{}
	rec.Modinfo, err = m.Modinfo()
	rec.HasModinfo = err == nil
	rec.Exports, _ = m.Symbols()
	rec.Deps, _ = m.DependencySymbols()
	rec.Signature, _ = m.Signature()
	return KeyOf(data), rec
}

// TestRealSeed checks the real seed's records against what elfmod reads
// from the modules today: a difference means the extraction changed, and
// records that older builds wrote would no longer be what this build
// reads, so Schema must be bumped (then rerun with -update).
func TestRealSeed(t *testing.T) {
	t.Parallel()
	tree := debtree.Trixie(t)
	if *update {
		dir := newDir(t)
		c := Open(testOpts(dir))
		for _, name := range seedModules {
			c.Put(extract(t, filepath.Join(tree.ModDir(), name)))
		}
		if err := c.Save(); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(dir, FileName))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(realSeed, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(realSeed)
	if err != nil {
		t.Fatal(err)
	}
	c := openBytes(testOpts(""), data)
	for _, name := range seedModules {
		k, want := extract(t, filepath.Join(tree.ModDir(), name))
		got, ok := c.Lookup(k)
		if !ok {
			t.Fatalf("%s: no record in %s", name, realSeed)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: elfmod now reads what the record does not hold: bump Schema and run with -update", name)
		}
	}
}
