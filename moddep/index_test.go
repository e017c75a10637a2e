package moddep

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/modutils/modutils/internal/golden"
)

// The files under testdata/index were produced by kmod itself: each
// NAME.in is a sequence of inserts (key, value, priority; bytes escaped as
// \xNN), NAME.bin and NAME.dup are what kmod 34.2's depmod.c index_insert
// and index_write made of it (pre-order), NAME.kmod30.bin what kmod 30's
// made (post-order), and NAME.golden is what libkmod-index.c's two readers
// answered to the queries in NAME.q, the same in kmod 30 and 34.2 for both
// files. See testdata/README.md.

type testInsert struct {
	key, value string
	prio       uint32
}

func readInsertScript(t testing.TB, path string) []testInsert {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []testInsert
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			t.Fatalf("%s: bad line %q", path, line)
		}
		p, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil {
			t.Fatalf("%s: bad priority in %q", path, line)
		}
		out = append(out, testInsert{golden.Unescape(f[0]), golden.Unescape(f[1]), uint32(p)})
	}
	return out
}

func indexCases(t testing.TB) []string {
	t.Helper()
	ins, err := filepath.Glob("testdata/index/*.in")
	if err != nil || len(ins) == 0 {
		t.Fatalf("no index test cases: %v", err)
	}
	for i := range ins {
		ins[i] = strings.TrimSuffix(ins[i], ".in")
	}
	return ins
}

func buildIndex(t testing.TB, script []testInsert) ([]byte, string) {
	t.Helper()
	w := NewIndexWriter()
	var dups strings.Builder
	for _, in := range script {
		dup, err := w.Insert(in.key, in.value, in.prio)
		if err != nil {
			t.Fatalf("Insert(%q, %q, %d): %v", in.key, in.value, in.prio, err)
		}
		if dup {
			dups.WriteString("1\n")
		} else {
			dups.WriteString("0\n")
		}
	}
	b, err := w.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b, dups.String()
}

// TestIndexWriterMatchesKmod checks byte identity with kmod's index_write
// and the duplicate flags of its index_insert.
func TestIndexWriterMatchesKmod(t *testing.T) {
	t.Parallel()
	for _, base := range indexCases(t) {
		t.Run(filepath.Base(base), func(t *testing.T) {
			got, gotDups := buildIndex(t, readInsertScript(t, base+".in"))
			want, err := os.ReadFile(base + ".bin")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("index bytes differ from kmod's: got %d bytes, want %d; first difference at %d",
					len(got), len(want), firstDiff(got, want))
			}
			wantDups, err := os.ReadFile(base + ".dup")
			if err != nil {
				t.Fatal(err)
			}
			if gotDups != string(wantDups) {
				t.Errorf("duplicate flags:\ngot  %q\nwant %q", gotDups, wantDups)
			}
			var buf bytes.Buffer
			w := NewIndexWriter()
			for _, in := range readInsertScript(t, base+".in") {
				w.Insert(in.key, in.value, in.prio)
			}
			n, err := w.WriteTo(&buf)
			if err != nil || n != int64(len(want)) || !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("WriteTo = %d, %v; bytes equal %v; want %d bytes", n, err, bytes.Equal(buf.Bytes(), want), len(want))
			}
		})
	}
}

func firstDiff(a, b []byte) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// runIndexQueries answers a query script the way the C test harness
// printed libkmod's answers: mode 0 is the mmap reader, mode 1 the stdio
// reader.
func runIndexQueries(t testing.TB, ix *Index, queries string) string {
	t.Helper()
	var out strings.Builder
	out.WriteString("open 0\n")
	readers := []*Index{ix.WithOrder(ReaderMmap), ix.WithOrder(ReaderStream)}
	for _, line := range strings.Split(strings.TrimSuffix(queries, "\n"), "\n") {
		cmd, arg := line[0], golden.Unescape(line[2:])
		for mode, r := range readers {
			switch cmd {
			case 'S':
				v, ok, err := r.Search(arg)
				if err != nil {
					t.Fatalf("Search(%q): %v", arg, err)
				}
				if !ok {
					v = "(null)"
				}
				fmt.Fprintf(&out, "M%d S %s -> %s\n", mode, arg, v)
			case 'W':
				vs, err := r.SearchWild(arg)
				if err != nil {
					t.Fatalf("SearchWild(%q): %v", arg, err)
				}
				fmt.Fprintf(&out, "M%d W %s ->", mode, arg)
				for _, v := range vs {
					fmt.Fprintf(&out, " [%d %s]", v.Priority, v.Value)
				}
				out.WriteString("\n")
			case 'D':
				fmt.Fprintf(&out, "M%d D %s\n", mode, arg)
				if err := r.Dump(&out, arg); err != nil {
					t.Fatalf("Dump: %v", err)
				}
				fmt.Fprintf(&out, "M%d END\n", mode)
			}
		}
	}
	return out.String()
}

// TestIndexReaderMatchesKmod replays queries against libkmod's recorded
// answers, for both of its readers, on the layouts of kmod 34 and kmod 30.
func TestIndexReaderMatchesKmod(t *testing.T) {
	t.Parallel()
	for _, base := range indexCases(t) {
		for _, layout := range []string{".bin", ".kmod30.bin"} {
			t.Run(filepath.Base(base)+layout, func(t *testing.T) { testIndexReader(t, base, layout) })
		}
	}
}

func testIndexReader(t *testing.T, base, layout string) {
	ix, err := OpenIndex(base + layout)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	replayQueries(t, ix, base)
	if err := ix.Verify(); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

// replayQueries runs the queries of base.q on ix and compares the answers
// with libkmod's, base.golden, line by line.
func replayQueries(t *testing.T, ix *Index, base string) {
	t.Helper()
	q, err := os.ReadFile(base + ".q")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(base + ".golden")
	if err != nil {
		t.Fatal(err)
	}
	got := runIndexQueries(t, ix, string(q))
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("line %d:\ngot  %q\nwant %q", i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("got %d lines, want %d", len(gl), len(wl))
	}
}

func TestIndexWriterRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, key, value string
	}{
		{"high byte in key", "caf\xc3\xa9", "v"},
		{"high byte in value", "k", "\x80"},
		{"NUL in key", "a\x00b", "v"},
		{"NUL in value", "k", "v\x00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewIndexWriter()
			w.Insert("keep", "me", 1)
			before, _ := w.MarshalBinary()
			dup, err := w.Insert(tt.key, tt.value, 0)
			if err == nil || dup {
				t.Fatalf("Insert(%q, %q) = %v, %v; want an error", tt.key, tt.value, dup, err)
			}
			after, _ := w.MarshalBinary()
			if !bytes.Equal(before, after) || w.Len() != 1 {
				t.Errorf("rejected insert changed the index (Len %d)", w.Len())
			}
		})
	}
}

func TestIndexWriterSmall(t *testing.T) {
	t.Parallel()
	be := func(v ...uint32) string {
		var b []byte
		for _, x := range v {
			b = binary.BigEndian.AppendUint32(b, x)
		}
		return string(b)
	}
	hdr := func(root uint32) string { return be(indexMagic, indexVersion, root) }
	tests := []struct {
		name    string
		inserts []testInsert
		want    string
	}{
		{"empty index is a header and a flagless root", nil, hdr(12)},
		{"value at the root", []testInsert{{"", "v", 7}},
			hdr(12|nodeValues) + be(1, 7) + "v\x00"},
		{"one key becomes a child with the rest as prefix",
			[]testInsert{{"abc", "v", 1}},
			hdr(12|nodeChildren) + "aa" + be(18|nodePrefix|nodeValues) + "bc\x00" + be(1, 1) + "v\x00"},
		{"equal priorities keep the newest first",
			[]testInsert{{"k", "old", 2}, {"k", "new", 2}, {"k", "low", 1}},
			hdr(12|nodeChildren) + "kk" + be(18|nodeValues) + be(3, 1) + "low\x00" + be(2) + "new\x00" + be(2) + "old\x00"},
		{"a node comes before its children, children in label order",
			[]testInsert{{"ab", "x", 0}, {"b", "y", 0}},
			hdr(12|nodeChildren) + "ab" + be(22|nodePrefix|nodeValues, 34|nodeValues) +
				"b\x00" + be(1, 0) + "x\x00" + be(1, 0) + "y\x00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := buildIndex(t, tt.inserts)
			if string(got) != tt.want {
				t.Errorf("got  % x\nwant % x", got, tt.want)
			}
		})
	}
}

func TestOpenIndexErrors(t *testing.T) {
	t.Parallel()
	good, _ := buildIndex(t, []testInsert{{"a", "b", 0}})
	tests := []struct {
		name string
		data []byte
	}{
		{"empty file", nil},
		{"short header", good[:11]},
		{"bad magic", append([]byte{0xB0, 0x07, 0xFA, 0x57}, good[4:]...)},
		{"major version 1", append(append(append([]byte{}, good[:4]...), 0, 1, 0, 1), good[8:]...)},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewIndex(tt.data, "test.bin")
			var ie *IndexError
			if !errors.As(err, &ie) || !errors.Is(err, ErrIndexCorrupt) || ie.File != "test.bin" {
				t.Errorf("NewIndex = %v; want an *IndexError for test.bin", err)
			}
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_"))
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			if ix, err := OpenIndex(path); err == nil || !errors.Is(err, ErrIndexCorrupt) {
				t.Errorf("OpenIndex = %v, %v; want a corrupt-index error", ix, err)
			}
		})
	}
	if _, err := OpenIndex(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OpenIndex(missing) = %v; want ErrNotExist", err)
	}
	// A newer minor version is still format 2 to libkmod.
	minor := append([]byte{}, good...)
	minor[7] = 9
	if _, err := NewIndex(minor, "minor.bin"); err != nil {
		t.Errorf("minor version: %v", err)
	}
}

// damagedIndex builds a file by hand: header with root, then the body.
func damagedIndex(root uint32, body ...[]byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, indexMagic)
	b = binary.BigEndian.AppendUint32(b, indexVersion)
	b = binary.BigEndian.AppendUint32(b, root)
	for _, p := range body {
		b = append(b, p...)
	}
	return b
}

func u32s(v ...uint32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.BigEndian.AppendUint32(b, x)
	}
	return b
}

// TestIndexDamaged reads damaged files as libkmod 34.2's two readers do:
// Search("ab") finds nothing in any of them, SearchWild("") gives what the
// reader makes of the damage (the mmap reader reads on into the zeros of
// the file's last page, the stdio reader drops a node the file ends
// within), "err" where libkmod faults or loops. Verify and Dump walk
// everything and must always report the damage.
func TestIndexDamaged(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		data             []byte
		wildMm, wildFile string
	}{
		{"root beyond end", damagedIndex(500 | nodeValues), "[]", "[]"},
		{"unterminated prefix", damagedIndex(12|nodePrefix, []byte("abc")), "[]", "[]"},
		{"truncated child table", damagedIndex(12|nodeChildren, []byte{'a', 'b', 0, 0}), "[]", "[]"},
		{"child range reversed", damagedIndex(12|nodeChildren, []byte{'b', 'a'}, u32s(0, 0)), "[]", "[]"},
		{"child range beyond ASCII", damagedIndex(12|nodeChildren, []byte{0x80, 0x80}, u32s(0)), "[]", "[]"},
		{"huge value count", damagedIndex(12|nodeValues, u32s(0xFFFFFFFF)), "err", "[]"},
		{"truncated value", damagedIndex(12|nodeValues, u32s(2, 0), []byte("x\x00"), u32s(1)), "[{x 0} { 1}]", "[]"},
		{"unterminated value", damagedIndex(12|nodeValues, u32s(1, 0), []byte("xyz")), "[{xyz 0}]", "[{xyz 0}]"},
		{"self-referencing child", damagedIndex(12|nodeChildren, []byte{'a', 'a'}, u32s(12|nodeChildren)), "[]", "[]"},
		{"cycle under a wildcard", damagedIndex(12|nodePrefix|nodeChildren, []byte("*\x00"), []byte{'a', 'a'}, u32s(12|nodePrefix|nodeChildren)), "err", "err"},
		{"children all shared", sharedChildren(), "err", "err"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix, err := NewIndex(tt.data, "bad.bin")
			if err != nil {
				t.Fatalf("NewIndex: %v", err)
			}
			for _, r := range []*Index{ix, ix.WithOrder(ReaderStream)} {
				want := tt.wildMm
				if r.Order() == ReaderStream {
					want = tt.wildFile
				}
				if err := r.Verify(); !errors.Is(err, ErrIndexCorrupt) {
					t.Errorf("Verify = %v; want a corrupt-index error", err)
				}
				if err := r.Dump(&bytes.Buffer{}, "alias "); !errors.Is(err, ErrIndexCorrupt) {
					t.Errorf("Dump = %v; want a corrupt-index error", err)
				}
				vs, err := r.SearchWild("")
				got := fmt.Sprint(vs)
				if err != nil {
					got = "err"
					if !errors.Is(err, ErrIndexCorrupt) {
						t.Errorf("SearchWild error %v is not a corrupt-index error", err)
					}
				}
				if got != want {
					t.Errorf("reader %d: SearchWild = %s; want %s", r.Order(), got, want)
				}
				if vs := r.LookupWild(""); want == "err" && vs != nil {
					t.Errorf("LookupWild = %v; want nil", vs)
				}
				if v, ok, err := r.Search("ab"); ok || err != nil {
					t.Errorf("reader %d: Search = %q, %v, %v; want not found", r.Order(), v, ok, err)
				}
			}
		})
	}
}

// sharedChildren is a chain of nodes whose 128 children all point to the
// next node: a tree walk would take 128^depth steps.
func sharedChildren() []byte {
	var body []byte
	off := uint32(12)
	leaf := off | nodeValues
	body = append(body, u32s(1, 0)...)
	body = append(body, "v\x00"...)
	off += uint32(len(body))
	prev := leaf
	for d := 0; d < 20; d++ {
		node := off | nodeChildren
		body = append(body, 0, 127)
		for c := 0; c < 128; c++ {
			body = append(body, u32s(prev)...)
		}
		off += 2 + 4*128
		prev = node
	}
	return damagedIndex(prev, body)
}

func TestIndexCloseShared(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "x.bin")
	b, _ := buildIndex(t, []testInsert{{"key", "value", 0}})
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ix, err := OpenIndex(path)
	if err != nil {
		t.Fatal(err)
	}
	v, ok := ix.Lookup("key")
	s := ix.WithOrder(ReaderStream)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	// Values handed out must not point into the unmapped file.
	if !ok || v != "value" {
		t.Errorf("Lookup after Close = %q, %v", v, ok)
	}
}
