package xz

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/modutils/modutils/internal/debtree"
)

// sameAsGo decodes data with lzmaLoop (assembly on amd64) and with the Go
// loop alone, and wants the same output, up to where decoding stopped,
// and the same error.
func sameAsGo(t *testing.T, name string, data []byte, limit int64) {
	t.Helper()
	var fast, slow Decoder
	slow.lz.goOnly = true
	got, gotErr := fast.Decode(nil, data, limit)
	want, wantErr := slow.Decode(nil, data, limit)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("%s: error %v, the Go loop's %v", name, gotErr, wantErr)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: %d bytes of output, the Go loop's %d, differing", name, len(got), len(want))
	}
}

// TestAsmMatchesGo decodes testdata's files, some modules of Debian 13's
// tree when it is here, and damaged copies of them (random bits flipped,
// random cuts: the damage reaches the decoding loop before any check
// catches it) both ways.
func TestAsmMatchesGo(t *testing.T) {
	t.Parallel()
	names, _ := filepath.Glob("testdata/*.xz")
	var files [][]byte
	for _, n := range names {
		files = append(files, readTestdata(t, filepath.Base(n)))
	}
	if _, err := os.Stat(filepath.Join(debtree.TrixieDir(), "current", "tree", ".complete")); err == nil {
		mods := treeFiles(t, debtree.Trixie(t), ".ko.xz")
		for i := 0; i < len(mods); i += 211 {
			b, err := os.ReadFile(mods[i])
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, b)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i, f := range files {
		sameAsGo(t, fmt.Sprintf("file %d", i), f, 0)
		sameAsGo(t, fmt.Sprintf("file %d, limited", i), f, int64(len(f)))
		b := bytes.Clone(f)
		for range 40 {
			var flipped []int
			for range 1 + r.IntN(4) {
				k := r.IntN(len(b) * 8)
				b[k/8] ^= 1 << (k % 8)
				flipped = append(flipped, k)
			}
			sameAsGo(t, fmt.Sprintf("file %d, bits %v flipped", i, flipped), b, 0)
			copy(b, f)
			cut := r.IntN(len(f))
			sameAsGo(t, fmt.Sprintf("file %d cut at %d", i, cut), f[:cut], 0)
		}
	}
}
