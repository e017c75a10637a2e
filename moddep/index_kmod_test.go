package moddep

import (
	"bufio"
	"bytes"
	"cmp"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modutils/modutils/internal/debtree"
	"github.com/modutils/modutils/internal/libc"
)

func TestMain(m *testing.M) { debtree.MainWithTempDir(m, "moddep-kmodtree", &kmodTreeRoot) }

var kmodTreeRoot string

// needKmodTree is a Debian kernel's modules with the indexes kmod 34.2's
// depmod wrote for them, made once for this test binary (see TestMain).
func needKmodTree(t testing.TB) string {
	t.Helper()
	return debtree.KmodIndexes(t, kmodTreeRoot)
}

func readTreeFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(needKmodTree(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// treeInserts reproduces, from the text files depmod wrote beside each
// index, the exact sequence of index_insert calls depmod.c made.
type treeInserts struct {
	dep, alias, symbols, builtin, builtinAlias []testInsert
}

// ixTestModname is kmod's path_to_modname.
func ixTestModname(path string) (string, bool) {
	base := path[strings.LastIndexByte(path, '/')+1:]
	if base == "" {
		return "", false
	}
	if i := strings.IndexByte(base, '.'); i >= 0 {
		base = base[:i]
	}
	return strings.ReplaceAll(base, "-", "_"), true
}

func loadTreeInserts(t testing.TB) *treeInserts {
	t.Helper()
	ti := &treeInserts{}
	// output_deps_bin: key is the module name, value the whole
	// modules.dep line, priority the module's position in the array,
	// which is also its line number in modules.dep.
	idx := map[string]uint32{}
	for i, line := range strings.Split(strings.TrimSuffix(readTreeFile(t, "modules.dep"), "\n"), "\n") {
		path, _, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("modules.dep line %d: %q", i+1, line)
		}
		name, _ := ixTestModname(path)
		idx[name] = uint32(i)
		ti.dep = append(ti.dep, testInsert{name, line, uint32(i)})
	}
	// output_aliases_bin and output_symbols_bin walk the same sequences
	// as their text twins, so the text order is the insert order.
	fromAliasText := func(file, prefix string, normalize bool) []testInsert {
		var out []testInsert
		for _, line := range strings.Split(readTreeFile(t, file), "\n") {
			rest, ok := strings.CutPrefix(line, "alias ")
			if !ok {
				continue
			}
			sp := strings.LastIndexByte(rest, ' ')
			key, mod := rest[:sp], rest[sp+1:]
			if !strings.HasPrefix(key, prefix) {
				t.Fatalf("%s: unexpected line %q", file, line)
			}
			if normalize {
				var err error
				if key, err = NormalizeAlias(key); err != nil {
					continue
				}
			}
			p, ok := idx[mod]
			if !ok {
				t.Fatalf("%s: module %q not in modules.dep", file, mod)
			}
			out = append(out, testInsert{key, mod, p})
		}
		return out
	}
	ti.alias = fromAliasText("modules.alias", "", true)
	ti.symbols = fromAliasText("modules.symbols", "symbol:", false)
	ti.builtin = ixTestBuiltinInserts(readTreeFile(t, "modules.builtin"))
	ti.builtinAlias = ixTestBuiltinAliasInserts(readTreeFile(t, "modules.builtin.modinfo"))
	return ti
}

// ixTestBuiltinInserts follows depmod.c's output_builtin_bin: fgets into a
// PATH_MAX buffer, skip lines not starting with a letter, and insert
// path_to_modname of the line (newline and all) with an empty value.
func ixTestBuiltinInserts(text string) []testInsert {
	var out []testInsert
	r := bufio.NewReader(strings.NewReader(text))
	var modname string
	for {
		var line []byte
		for len(line) < kmodPathMax-1 {
			c, err := r.ReadByte()
			if err != nil {
				break
			}
			line = append(line, c)
			if c == '\n' {
				break
			}
		}
		if len(line) == 0 {
			return out
		}
		s := libc.CString(string(line))
		if s == "" || !fnIsAlpha(s[0]) {
			continue
		}
		if m, ok := ixTestModname(s); ok {
			modname = m
		}
		out = append(out, testInsert{modname, "", 0})
	}
}

// ixTestBuiltinAliasInserts follows depmod.c's output_builtin_alias_bin over
// the NUL-separated "module.key=value" records of modules.builtin.modinfo.
func ixTestBuiltinAliasInserts(data string) []testInsert {
	var out []testInsert
	pos := 0
	atEOF := false
	// flushTo is flush_stream_to with a PATH_MAX buffer; a nil result
	// means it did not stop at end.
	flushTo := func(end byte) (string, bool) {
		start := pos
		for pos < len(data) {
			c := data[pos]
			pos++
			if c == end {
				return data[start : pos-1], true
			}
			if c == 0 {
				return "", false
			}
		}
		atEOF = true
		return "", false
	}
	for !atEOF {
		mod, ok := flushTo('.')
		if !ok || mod == "" {
			continue
		}
		key, _ := flushTo('=')
		if key != "alias" {
			flushTo(0)
			continue
		}
		value, ok := flushTo(0)
		if !ok || value == "" {
			continue
		}
		alias, err := NormalizeAlias(value)
		if err != nil {
			continue
		}
		out = append(out, testInsert{alias, mod, 0})
	}
	return out
}

var treeIndexes = []struct {
	file, text, dumpPrefix string
	inserts                func(*treeInserts) []testInsert
}{
	{"modules.dep.bin", "modules.dep", "", func(ti *treeInserts) []testInsert { return ti.dep }},
	{"modules.alias.bin", "modules.alias", "alias ", func(ti *treeInserts) []testInsert { return ti.alias }},
	{"modules.symbols.bin", "modules.symbols", "alias ", func(ti *treeInserts) []testInsert { return ti.symbols }},
	{"modules.builtin.bin", "modules.builtin", "", func(ti *treeInserts) []testInsert { return ti.builtin }},
	{"modules.builtin.alias.bin", "modules.builtin.modinfo", "", func(ti *treeInserts) []testInsert { return ti.builtinAlias }},
}

// TestKmodTreeRebuild rebuilds every index from its text source and
// demands kmod's exact bytes.
func TestKmodTreeRebuild(t *testing.T) {
	t.Parallel()
	needKmodTree(t)
	ti := loadTreeInserts(t)
	for _, tc := range treeIndexes {
		t.Run(tc.file, func(t *testing.T) {
			ins := tc.inserts(ti)
			if len(ins) == 0 {
				t.Fatalf("no inserts reproduced from %s", tc.text)
			}
			got, _ := buildIndex(t, ins)
			want := []byte(readTreeFile(t, tc.file))
			if !bytes.Equal(got, want) {
				t.Errorf("rebuilt %s from %d inserts: got %d bytes, want %d; first difference at %d",
					tc.file, len(ins), len(got), len(want), firstDiff(got, want))
			}
		})
	}
}

// wantDump is what dumping an index must print, derived from the inserts
// alone: keys in byte order, each key's values in the order kmod's
// index_add_value leaves them, which the mmap reader prints as stored.
func wantDump(prefix string, ins []testInsert) string {
	type entry struct {
		testInsert
		seq int
	}
	es := make([]entry, len(ins))
	for i, in := range ins {
		es[i] = entry{in, i}
	}
	slices.SortStableFunc(es, func(a, b entry) int {
		return cmp.Or(strings.Compare(a.key, b.key), cmp.Compare(a.prio, b.prio), cmp.Compare(b.seq, a.seq))
	})
	var sb strings.Builder
	for _, e := range es {
		sb.WriteString(prefix + e.key + " " + e.value + "\n")
	}
	return sb.String()
}

// TestKmodTreeRead reads kmod's own files and checks everything in them
// against the text files depmod wrote alongside.
func TestKmodTreeRead(t *testing.T) {
	t.Parallel()
	dir := needKmodTree(t)
	ti := loadTreeInserts(t)
	for _, tc := range treeIndexes {
		t.Run(tc.file, func(t *testing.T) {
			ix, err := OpenIndex(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer ix.Close()
			if err := ix.Verify(); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			ins := tc.inserts(ti)
			var got bytes.Buffer
			if err := ix.Dump(&got, tc.dumpPrefix); err != nil {
				t.Fatal(err)
			}
			if want := wantDump(tc.dumpPrefix, ins); got.String() != want {
				gl, wl := strings.Split(got.String(), "\n"), strings.Split(want, "\n")
				for i := 0; i < len(gl) && i < len(wl); i++ {
					if gl[i] != wl[i] {
						t.Fatalf("dump line %d:\ngot  %q\nwant %q", i+1, gl[i], wl[i])
					}
				}
				t.Fatalf("dump has %d lines, want %d", len(gl), len(wl))
			}
			// Exact lookups return the first value kmod stored.
			first := map[string]testInsert{}
			for _, in := range ins {
				if f, ok := first[in.key]; !ok || in.prio <= f.prio {
					first[in.key] = in
				}
			}
			for key, in := range first {
				if v, ok := ix.Lookup(key); !ok || v != in.value {
					t.Fatalf("Lookup(%q) = %q, %v; want %q", key, v, ok, in.value)
				}
				if _, ok := ix.Lookup(key + "\x01"); ok {
					t.Fatalf("Lookup(%q) found a value", key+"\x01")
				}
			}
		})
	}
}

// TestKmodTreeWildMatchesKmod replays wildcard queries on the real alias
// indexes against libkmod's recorded answers (testdata/kmodtree).
func TestKmodTreeWildMatchesKmod(t *testing.T) {
	t.Parallel()
	dir := needKmodTree(t)
	for _, name := range []string{"alias", "builtin.alias"} {
		t.Run(name, func(t *testing.T) {
			ix, err := OpenIndex(filepath.Join(dir, "modules."+name+".bin"))
			if err != nil {
				t.Fatal(err)
			}
			defer ix.Close()
			replayQueries(t, ix, "testdata/kmodtree/"+name)
		})
	}
}

// TestKmodTreeWildBruteForce checks SearchWild against a direct reading of
// libkmod's rule on every alias: a stored key matches when the query equals
// it up to the key's first wildcard and fnmatch accepts the rest.
func TestKmodTreeWildBruteForce(t *testing.T) {
	t.Parallel()
	dir := needKmodTree(t)
	ti := loadTreeInserts(t)
	ix, err := OpenIndex(filepath.Join(dir, "modules.alias.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	matches := func(key, q string) bool {
		w := strings.IndexAny(key, "*?[")
		if w < 0 {
			return key == q
		}
		return len(q) >= w && key[:w] == q[:w] && Fnmatch(key[w:], q[w:])
	}
	queries := []string{"", "fs-ext4", "pci:v00008086d00001502sv00001028sd000005CAbc02sc00i00",
		"usb:v1D6Bp0002d0606dc09dsc00dp01ic09isc00ip00in00", "acpi:PNP0C0A:", "platform:serial8250",
		"cpu:type:x86,ven0000fam0006mod0055:feature:,0000,0001,0081", "of:NfooTbarCbaz"}
	for i := 0; i < len(ti.alias); i += 97 {
		queries = append(queries, instantiatePattern(ti.alias[i].key, i))
	}
	for _, q := range queries {
		var want []IndexValue
		for _, in := range ti.alias {
			if matches(in.key, q) {
				want = append(want, IndexValue{in.value, in.prio})
			}
		}
		got := ix.LookupWild(q)
		byValue := func(a, b IndexValue) int {
			return cmp.Or(cmp.Compare(a.Priority, b.Priority), strings.Compare(a.Value, b.Value))
		}
		if !slices.IsSortedFunc(got, func(a, b IndexValue) int { return cmp.Compare(a.Priority, b.Priority) }) {
			t.Errorf("LookupWild(%q) not ordered by priority: %v", q, got)
		}
		slices.SortFunc(got, byValue)
		slices.SortFunc(want, byValue)
		if !slices.Equal(got, want) {
			t.Errorf("LookupWild(%q):\ngot  %v\nwant %v", q, got, want)
		}
	}
}

// instantiatePattern makes a string the pattern matches, varying with seed.
func instantiatePattern(p string, seed int) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '*':
			b.WriteString([]string{"", "0", "00001234"}[seed%3])
			seed /= 3
		case '?':
			b.WriteByte('A')
		case '[':
			end := strings.IndexByte(p[i+1:], ']')
			if end < 1 {
				b.WriteByte(c)
				continue
			}
			if set := p[i+1 : i+1+end]; set[0] == '!' || set[0] == '^' {
				b.WriteByte('z')
			} else {
				b.WriteByte(set[0])
			}
			i += end + 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func BenchmarkIndexWriteAlias(b *testing.B) {
	needKmodTree(b)
	ins := loadTreeInserts(b).alias
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := NewIndexWriter()
		for _, in := range ins {
			w.Insert(in.key, in.value, in.prio)
		}
		if _, err := w.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIndexWriteAll writes all five indexes of a depmod run.
func BenchmarkIndexWriteAll(b *testing.B) {
	needKmodTree(b)
	ti := loadTreeInserts(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, tc := range treeIndexes {
			w := NewIndexWriter()
			for _, in := range tc.inserts(ti) {
				w.Insert(in.key, in.value, in.prio)
			}
			if _, err := w.WriteTo(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func openTreeAlias(b *testing.B) (*Index, []testInsert) {
	dir := needKmodTree(b)
	ix, err := OpenIndex(filepath.Join(dir, "modules.alias.bin"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ix.Close() })
	return ix, loadTreeInserts(b).alias
}

func BenchmarkIndexLookup(b *testing.B) {
	ix, ins := openTreeAlias(b)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if _, ok := ix.Lookup(ins[i%len(ins)].key); !ok {
			b.Fatal("key not found")
		}
		i += 7
	}
}

func BenchmarkIndexLookupWild(b *testing.B) {
	ix, _ := openTreeAlias(b)
	queries := []string{
		"pci:v00008086d00001502sv00001028sd000005CAbc02sc00i00",
		"usb:v1D6Bp0002d0606dc09dsc00dp01ic09isc00ip00in00",
		"acpi*:PNP0A08:*",
		"fs-ext4",
		"cpu:type:x86,ven0000fam0006mod0055:feature:,0000,0001,0081",
	}
	for _, q := range queries {
		b.Run(q[:min(len(q), 12)], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ix.LookupWild(q)
			}
		})
	}
}
