package modcache

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/modutils/modutils/elfmod"
)

const producer = "test producer"

func testOpts(dir string) Options {
	return Options{Dir: dir, Producer: producer, Euid: os.Geteuid()}
}

func newDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cache")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// sample is a record with every field set, for module file number i.
func sample(i int) (Key, *Record) {
	rec := &Record{
		Modinfo:    []string{fmt.Sprintf("alias=pci:v%08Xd*", i), "license=GPL", "parm=debug:Debug level\x00junk", "depends="},
		HasModinfo: true,
		Exports:    []elfmod.Symbol{{Name: fmt.Sprintf("sym_%d", i), CRC: 0xdeadbeef}, {Name: "other", CRC: 0}},
		Deps:       []elfmod.DepSymbol{{Name: "printk", CRC: 1 << 40, Bind: elfmod.BindUndef}, {Name: "weak", Bind: elfmod.BindWeak}},
	}
	if i%2 == 0 {
		rec.Signature = &elfmod.SignatureInfo{IDType: "PKCS#7", HashAlgo: "sha256", Signer: "Debian Secure Boot CA", KeyID: []byte{1, 2, 3}, Signature: bytes.Repeat([]byte{0xab}, 512)}
	}
	if i%3 == 0 {
		rec.Modinfo, rec.HasModinfo = nil, false
	}
	return KeyOf([]byte(fmt.Sprint("module ", i))), rec
}

// fill writes a cache of n sample records and returns its file's bytes.
func fill(t *testing.T, dir string, n int) []byte {
	t.Helper()
	c := Open(testOpts(dir))
	for i := 0; i < n; i++ {
		c.Put(sample(i))
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	dir := newDir(t)
	fill(t, dir, 20)
	for _, load := range []bool{false, true} {
		c := Open(testOpts(dir))
		if load {
			c.Load()
		}
		if c.Len() != 20 {
			t.Fatalf("load=%v: %d records, want 20", load, c.Len())
		}
		for i := 0; i < 20; i++ {
			k, want := sample(i)
			got, ok := c.Lookup(k)
			if !ok {
				t.Fatalf("load=%v: record %d missing", load, i)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("load=%v: record %d = %+v, want %+v", load, i, got, want)
			}
		}
		if _, ok := c.Lookup(KeyOf([]byte("absent"))); ok {
			t.Errorf("load=%v: a key never put was found", load)
		}
		if c.Dirty() {
			t.Errorf("load=%v: a cache only read is dirty", load)
		}
		c.Close()
	}
}

// TestDamaged opens caches truncated at every length, with a bit flipped
// at every byte, and made by another version, producer or owner: each
// record is then either the one put or missing, never another.
func TestDamaged(t *testing.T) {
	t.Parallel()
	dir := newDir(t)
	good := fill(t, dir, 6)
	if c := openBytes(testOpts(dir), good); c.Len() != 6 {
		t.Fatalf("openBytes of a good cache: %d records", c.Len())
	}
	check := func(name string, data []byte, wantAll bool) {
		t.Helper()
		c := openBytes(testOpts(dir), data)
		found := 0
		for i := 0; i < 6; i++ {
			k, want := sample(i)
			got, ok := c.Lookup(k)
			if !ok {
				continue
			}
			found++
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: record %d = %+v, want %+v", name, i, got, want)
			}
		}
		if wantAll && found != 6 {
			t.Errorf("%s: %d records found, want 6", name, found)
		}
		if !wantAll && found == 6 {
			t.Errorf("%s: every record found in a damaged cache", name)
		}
	}
	for n := 0; n < len(good); n++ {
		check(fmt.Sprintf("truncated to %d bytes", n), good[:n], false)
	}
	for i := range good {
		for _, bit := range []byte{1, 0x80} {
			bad := bytes.Clone(good)
			bad[i] ^= bit
			check(fmt.Sprintf("bit %#x flipped at %d", bit, i), bad, false)
		}
	}
	bad := bytes.Clone(good)
	binary.LittleEndian.PutUint32(bad[8:], Format+1)
	check("another format", bad, false)
	check("appended garbage", append(bytes.Clone(good), 0), false)
	check("intact", good, true)

	other := testOpts(dir)
	other.Producer = "another build"
	if c := Open(other); c.Len() != 0 {
		t.Errorf("another producer's cache has %d records", c.Len())
	}
}

// TestForeignKey points an index entry at another key's record, with the
// index checksum made right: the record's own key does not match, so
// both lookups miss rather than one returning the other's record.
func TestForeignKey(t *testing.T) {
	t.Parallel()
	dir := newDir(t)
	data := fill(t, dir, 2)
	le := binary.LittleEndian
	idx := headerLen + int(le.Uint32(data[12:]))
	// Swap the two records' offsets and lengths, keep the keys.
	e0, e1 := data[idx:idx+entryLen], data[idx+entryLen:idx+2*entryLen]
	var tmp [8]byte
	copy(tmp[:], e0[32:40])
	copy(e0[32:40], e1[32:40])
	copy(e1[32:40], tmp[:])
	le.PutUint32(data[32:], crc32c(data[idx:idx+2*entryLen]))
	le.PutUint32(data[36:], crc32c(append(bytes.Clone(data[:36]), data[headerLen:idx]...)))
	if err := os.WriteFile(filepath.Join(dir, FileName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	c := Open(testOpts(dir))
	if c.Len() != 2 {
		t.Fatalf("the altered index was refused (%d records): the test does not test", c.Len())
	}
	for i := 0; i < 2; i++ {
		k, _ := sample(i)
		if rec, ok := c.Lookup(k); ok {
			t.Errorf("record %d found through another key's entry: %+v", i, rec)
		}
	}
}

// TestTrust: a cache or directory that others may write, or that a user
// other than root and the caller owns, is not read, nor written.
func TestTrust(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Log("not root: the owner cases need chown")
	}
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string)
	}{
		{"file group-writable", func(t *testing.T, dir string) { chmod(t, filepath.Join(dir, FileName), 0o664) }},
		{"file world-writable", func(t *testing.T, dir string) { chmod(t, filepath.Join(dir, FileName), 0o646) }},
		{"directory group-writable", func(t *testing.T, dir string) { chmod(t, dir, 0o775) }},
		{"directory world-writable", func(t *testing.T, dir string) { chmod(t, dir, 0o1777) }},
		{"file a symlink", func(t *testing.T, dir string) {
			p := filepath.Join(dir, FileName)
			if err := os.Rename(p, p+".real"); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(p+".real", p); err != nil {
				t.Fatal(err)
			}
		}},
	}
	if os.Geteuid() == 0 {
		cases = append(cases, []struct {
			name  string
			setup func(t *testing.T, dir string)
		}{
			{"file owned by nobody", func(t *testing.T, dir string) { chown(t, filepath.Join(dir, FileName)) }},
			{"directory owned by nobody", func(t *testing.T, dir string) { chown(t, dir) }},
		}...)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := newDir(t)
			before := fill(t, dir, 3)
			tc.setup(t, dir)
			c := Open(testOpts(dir))
			if c.Len() != 0 {
				t.Errorf("untrusted cache read: %d records", c.Len())
			}
			c.Put(sample(7))
			err := c.Save()
			after, _ := os.ReadFile(filepath.Join(dir, FileName))
			if !trustedDir(dir, os.Geteuid()) && (err == nil || !bytes.Equal(before, after)) {
				t.Errorf("untrusted directory written (Save: %v)", err)
			}
		})
	}
}

func crc32c(b []byte) uint32 { return crc32.Checksum(b, castagnoliTable.Get()) }

func chmod(t *testing.T, p string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

func chown(t *testing.T, p string) {
	t.Helper()
	if err := os.Chown(p, 65534, 65534); err != nil {
		t.Fatal(err)
	}
}

// TestAging: records not used by Keep writing runs go; used ones stay;
// past MaxSize the least recently used go first.
func TestAging(t *testing.T) {
	t.Parallel()
	dir := newDir(t)
	fill(t, dir, 4)
	k0, _ := sample(0)
	for run := 0; run < Keep+2; run++ {
		c := Open(testOpts(dir))
		if _, ok := c.Lookup(k0); !ok {
			t.Fatalf("run %d: the record used by every run is gone", run)
		}
		c.Put(sample(100 + run)) // something new, so that the run writes
		if err := c.Save(); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	c := Open(testOpts(dir))
	k1, _ := sample(1)
	if _, ok := c.Lookup(k1); ok {
		t.Errorf("a record unused for %d runs is still there", Keep+2)
	}
	if got := c.Len(); got != Keep+2 {
		t.Errorf("%d records, want %d (the one used, and those of the last %d runs)", got, Keep+2, Keep)
	}
	c.Close()

	small := testOpts(dir)
	small.MaxSize = 3000
	c = Open(small)
	for i := 200; i < 230; i++ {
		c.Put(sample(i))
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > small.MaxSize {
		t.Errorf("cache of %d bytes, bound %d", st.Size(), small.MaxSize)
	}
}

// TestUnchangedNotWritten: a run that only hits fresh records leaves the
// file alone.
func TestUnchangedNotWritten(t *testing.T) {
	t.Parallel()
	dir := newDir(t)
	fill(t, dir, 3)
	p := filepath.Join(dir, FileName)
	st0, _ := os.Stat(p)
	c := Open(testOpts(dir))
	k, _ := sample(1)
	c.Lookup(k)
	if c.Dirty() {
		t.Fatal("dirty after a hit on a fresh record")
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	st1, _ := os.Stat(p)
	if !os.SameFile(st0, st1) {
		t.Error("the file was replaced")
	}
}

// TestMissingDir: Save makes the directory; an impossible one fails
// quietly, leaving lookups to miss.
func TestMissingDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "var/cache/modutils")
	c := Open(testOpts(dir))
	c.Put(sample(1))
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	if c := Open(testOpts(dir)); c.Len() != 1 {
		t.Errorf("%d records after saving one", c.Len())
	}
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	c = Open(testOpts(filepath.Join(file, "sub")))
	c.Put(sample(1))
	if err := c.Save(); err == nil {
		t.Error("saving under a regular file succeeded")
	}
}

func TestFromEnv(t *testing.T) {
	t.Parallel()
	env := func(v string, set bool) func(string) (string, bool) {
		return func(string) (string, bool) { return v, set }
	}
	if _, ok := FromEnv(env("off", true)); ok {
		t.Error("off: enabled")
	}
	if o, ok := FromEnv(env("", false)); !ok || o.Dir != DefaultDir {
		t.Errorf("unset: %q, %v", o.Dir, ok)
	}
	if o, ok := FromEnv(env("/tmp/x", true)); !ok || o.Dir != "/tmp/x" {
		t.Errorf("a directory: %q, %v", o.Dir, ok)
	}
}
