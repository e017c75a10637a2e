package moddep

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/modutils/modutils/elfmod"
	"github.com/modutils/modutils/elfmod/elfmodtest"
	"github.com/modutils/modutils/moddep/modcache"
)

// TestDepmodCacheTornRead rewrites a module between depmod's hashing of
// it and its parsing: the record then describes other bytes than the
// key's, and must not be put. An unchanged module's record is.
func TestDepmodCacheTornRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	old := elfmodtest.XZ((&elfmodtest.Module{Modinfo: []string{"alias=old"}}).Bytes())
	other := elfmodtest.XZ((&elfmodtest.Module{Modinfo: []string{"alias=new"}}).Bytes())
	torn, kept := filepath.Join(dir, "torn.ko.xz"), filepath.Join(dir, "kept.ko.xz")
	keptData := elfmodtest.XZ((&elfmodtest.Module{Modinfo: []string{"alias=kept"}}).Bytes())
	for p, data := range map[string][]byte{torn: old, kept: keptData} {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cdir := filepath.Join(t.TempDir(), "cache")
	opts := modcache.Options{Dir: cdir, Producer: "test", Euid: os.Geteuid()}
	c := modcache.Open(opts)
	d := NewDepmod(DepmodConfig{Dir: dir, Cache: c, Open: func(p string) (*elfmod.Module, error) {
		if p == torn {
			if err := os.WriteFile(p, other, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return elfmod.Open(p)
	}})
	if err := d.Search(); err != nil {
		t.Fatal(err)
	}
	if err := d.Load(); err != nil {
		t.Fatal(err)
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	c = modcache.Open(opts)
	if rec, ok := c.Lookup(modcache.KeyOf(old)); ok {
		t.Errorf("the old bytes' key holds a record of the new ones: %q", rec.Modinfo)
	}
	if rec, ok := c.Lookup(modcache.KeyOf(keptData)); !ok || len(rec.Modinfo) != 1 || rec.Modinfo[0] != "alias=kept" {
		t.Errorf("unchanged module: record %+v, %v", rec, ok)
	}
}
