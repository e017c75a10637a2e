package moddep

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
)

// FuzzIndex feeds arbitrary bytes to the reader: whatever the damage, no
// method may panic or hang, and an index that verifies must answer every
// query without error.
func FuzzIndex(f *testing.F) {
	for _, base := range indexCases(f) {
		data, err := os.ReadFile(base + ".bin")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, "a")
		f.Add(data, "")
		f.Add(data, "*a?")
	}
	f.Add([]byte{}, "")
	f.Add(damagedIndex(12|nodeChildren, []byte{'a', 'a'}, u32s(12|nodeChildren)), "aa")
	f.Fuzz(func(t *testing.T, data []byte, key string) {
		ix, err := NewIndex(data, "fuzz.bin")
		if err != nil {
			return
		}
		for _, r := range []*Index{ix, ix.WithOrder(ReaderStream)} {
			verr := r.Verify()
			_, _, serr := r.Search(key)
			_, werr := r.SearchWild(key)
			derr := r.Dump(io.Discard, "alias ")
			r.Lookup(key)
			r.LookupWild(key)
			if verr == nil && (serr != nil || werr != nil || derr != nil) {
				t.Errorf("index verifies but queries fail: Search %v, SearchWild %v, Dump %v", serr, werr, derr)
			}
		}
	})
}

// FuzzIndexRoundTrip writes arbitrary inserts and reads them back: the
// dump must list exactly what went in, in kmod's order, and every key must
// find its first value.
func FuzzIndexRoundTrip(f *testing.F) {
	f.Add("pci:v*d* e1000e\npci:v*d* igb\nfs-ext4 ext4\n\nabc x\nab y\nabd z", uint8(3))
	f.Add("k a\nk b\nk a", uint8(1))
	f.Fuzz(func(t *testing.T, script string, prios uint8) {
		w := NewIndexWriter()
		var ins []testInsert
		for i, line := range strings.Split(script, "\n") {
			key, value, _ := strings.Cut(line, " ")
			prio := uint32(i) % (uint32(prios%4) + 1)
			if _, err := w.Insert(key, value, prio); err != nil {
				if checkIndexString("", key) == nil && checkIndexString("", value) == nil {
					t.Fatalf("Insert(%q, %q) rejected valid strings: %v", key, value, err)
				}
				continue
			}
			ins = append(ins, testInsert{key, value, prio})
		}
		data, err := w.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		ix, err := NewIndex(data, "roundtrip.bin")
		if err != nil {
			t.Fatal(err)
		}
		if err := ix.Verify(); err != nil {
			t.Fatalf("Verify: %v", err)
		}
		var dump bytes.Buffer
		if err := ix.Dump(&dump, "> "); err != nil {
			t.Fatal(err)
		}
		if want := wantDump("> ", ins); dump.String() != want {
			t.Fatalf("dump:\n%s\nwant:\n%s", dump.String(), want)
		}
		// kmod keeps a key's values by ascending priority, newest first
		// among equals, and the mmap reader's Search returns the first.
		first := map[string]testInsert{}
		for _, in := range ins {
			if f, ok := first[in.key]; !ok || in.prio <= f.prio {
				first[in.key] = in
			}
		}
		for key, in := range first {
			if v, ok := ix.Lookup(key); !ok || v != in.value {
				t.Errorf("Lookup(%q) = %q, %v; want %q", key, v, ok, in.value)
			}
		}
	})
}
