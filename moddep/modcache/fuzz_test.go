package modcache

import (
	"flag"
	"os"
	"path/filepath"
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

// TestRealSeed checks the real seed's records against the modules they
// came from, and with -update makes it anew.
func TestRealSeed(t *testing.T) {
	if !*update {
		data, err := os.ReadFile(realSeed)
		if err != nil {
			t.Fatal(err)
		}
		if n := openBytes(testOpts(""), data).Len(); n < 3 {
			t.Fatalf("%s: %d records", realSeed, n)
		}
		return
	}
	tree := debtree.Trixie(t)
	dir := newDir(t)
	c := Open(testOpts(dir))
	for _, name := range []string{"kernel/drivers/char/hw_random/virtio-rng.ko.xz", "kernel/lib/crc/crc-itu-t.ko.xz", "kernel/net/802/stp.ko.xz", "kernel/drivers/input/misc/pcspkr.ko.xz"} {
		p := filepath.Join(tree.ModDir(), name)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Log(err)
			continue
		}
		m, err := elfmod.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		rec := &Record{}
		rec.Modinfo, err = m.Modinfo()
		rec.HasModinfo = err == nil
		rec.Exports, _ = m.Symbols()
		rec.Deps, _ = m.DependencySymbols()
		rec.Signature, _ = m.Signature()
		m.Close()
		c.Put(KeyOf(data), rec)
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
