package moddep

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/modutils/modutils/internal/golden"
)

// escapeTest is the \xNN escaping the kmod harness used for hash keys.
func escapeTest(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= 0x20 || c >= 0x7f || c == '\\' {
			fmt.Fprintf(&b, `\x%02x`, c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// TestKmodHashSum compares with hash_superfast from kmod's shared/hash.c,
// recorded in testdata/kmodhash/sums.golden for real symbol and module
// names and random bytes (high bytes exercise kmod's sign extension).
func TestKmodHashSum(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/kmodhash/sums.golden")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		k, v, ok := strings.Cut(line, "\t")
		want, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil {
			t.Fatalf("bad golden line %q", line)
		}
		key := golden.Unescape(k)
		if got := kmodHashSum(key); got != uint32(want) {
			t.Errorf("kmodHashSum(%q) = %d, want %d", key, got, want)
		}
		n++
	}
	if n < 1000 {
		t.Fatalf("only %d golden sums", n)
	}
}

// TestKmodHashMatchesKmod replays operation scripts through KmodHash and
// compares every result and every iteration with what kmod's hash.c did.
func TestKmodHashMatchesKmod(t *testing.T) {
	t.Parallel()
	for _, nb := range []uint32{512, 16, 3, 1} {
		t.Run(fmt.Sprint(nb), func(t *testing.T) {
			base := filepath.Join("testdata/kmodhash", fmt.Sprintf("ops-%d", nb))
			ops, err := os.ReadFile(base + ".in")
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(base + ".golden")
			if err != nil {
				t.Fatal(err)
			}
			h := NewKmodHash[int](nb)
			var out strings.Builder
			seq := 0
			for _, line := range strings.Split(strings.TrimSuffix(string(ops), "\n"), "\n") {
				seq++
				key := ""
				if len(line) > 2 {
					key = golden.Unescape(line[2:])
				}
				switch line[0] {
				case 'A':
					h.Add(key, seq)
					out.WriteString("A 0\n")
				case 'U':
					r := 0
					if !h.AddUnique(key, seq) {
						r = -17 // -EEXIST
					}
					fmt.Fprintf(&out, "U %d\n", r)
				case 'D':
					r := 0
					if !h.Del(key) {
						r = -2 // -ENOENT
					}
					fmt.Fprintf(&out, "D %d\n", r)
				case 'F':
					v, _ := h.Find(key)
					fmt.Fprintf(&out, "F %d\n", v)
				case 'I':
					fmt.Fprintf(&out, "I %d\n", h.Len())
					for k, v := range h.All() {
						fmt.Fprintf(&out, "%s %d\n", escapeTest(k), v)
					}
					out.WriteString("END\n")
				}
			}
			if got := out.String(); got != string(want) {
				gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
				for i := 0; i < len(gl) && i < len(wl); i++ {
					if gl[i] != wl[i] {
						t.Fatalf("line %d:\ngot  %q\nwant %q", i+1, gl[i], wl[i])
					}
				}
				t.Fatalf("got %d lines, want %d", len(gl), len(wl))
			}
		})
	}
}

func TestKmodHashBuckets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		n    uint32
		want uint
	}{
		{"zero", 0, 1},
		{"one", 1, 2},
		{"two", 2, 2},
		{"three rounds up", 3, 4},
		{"depmod modules", 512, 512},
		{"just above a power", 513, 1024},
		{"depmod symbols", 2048, 2048},
		{"largest", 1 << 31, 1 << 31},
		{"beyond the largest wraps", 1<<31 + 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kmodHashBuckets(tt.n); got != tt.want {
				t.Errorf("kmodHashBuckets(%d) = %d, want %d", tt.n, got, tt.want)
			}
		})
	}
}

func TestKmodHashSemantics(t *testing.T) {
	t.Parallel()
	h := NewKmodHash[string](4)
	if h.Add("a", "1") {
		t.Error("Add of a new key reported a replacement")
	}
	if !h.Add("a", "2") {
		t.Error("Add of an existing key did not report a replacement")
	}
	if h.AddUnique("a", "3") {
		t.Error("AddUnique stored over an existing key")
	}
	if v, ok := h.Find("a"); !ok || v != "2" {
		t.Errorf("Find(a) = %q, %v; want 2 (Add replaces, AddUnique does not)", v, ok)
	}
	for _, k := range []string{"b", "c", "d", "e", "f"} {
		h.AddUnique(k, k)
	}
	if h.Len() != 6 {
		t.Errorf("Len = %d, want 6", h.Len())
	}
	var seen []string
	h.Each(func(k, _ string) bool {
		seen = append(seen, k)
		return len(seen) < 3
	})
	if len(seen) != 3 {
		t.Errorf("Each did not stop when told: saw %v", seen)
	}
	if !h.Del("c") || h.Del("c") || h.Len() != 5 {
		t.Errorf("Del: Len %d after deleting c twice", h.Len())
	}
	if _, ok := h.Find("c"); ok {
		t.Error("Find found a deleted key")
	}
}

func BenchmarkKmodHashAdd(b *testing.B) {
	keys := make([]string, 20000)
	for i := range keys {
		keys[i] = fmt.Sprintf("symbol_%d_%x", i, i*7919)
	}
	b.ReportAllocs()
	for b.Loop() {
		h := NewKmodHash[int](2048)
		for i, k := range keys {
			h.Add(k, i)
		}
	}
}

// TestSortKmodHashOrder checks depmod's one-pass ordering against the
// table it stands for, on keys that fill some buckets and leave others
// empty.
func TestSortKmodHashOrder(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		n        int
		nBuckets uint32
	}{{"empty", 0, 512}, {"one", 1, 512}, {"sparse", 100, 2048}, {"full", 20000, 2048}, {"few buckets", 500, 4}} {
		t.Run(tc.name, func(t *testing.T) {
			keys := make([]string, tc.n)
			h := NewKmodHash[int](tc.nBuckets)
			for i := range keys {
				keys[i] = fmt.Sprintf("sym_%x_%d", i*7919, i%13)
				h.Add(keys[i], i)
			}
			got := slices.Clone(keys)
			sortKmodHashOrder(got, tc.nBuckets, func(s string) string { return s })
			var want []string
			for k := range h.All() {
				want = append(want, k)
			}
			if !slices.Equal(got, want) {
				t.Errorf("order differs from kmod's table:\n got %.200q\nwant %.200q", got, want)
			}
		})
	}
}
