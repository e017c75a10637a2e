package xz

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/modutils/modutils/internal/debtree"
	ulikunitz "github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

// fuzzLimit bounds what one fuzz input may decode to.
const fuzzLimit = 1 << 20

// FuzzDecode feeds arbitrary bytes to the decoder twice: as an .xz file
// (no panic, output within the limit, errors of our types, the same
// output and error from lzmaLoop as from the Go loop alone) and as
// content, compressed by ulikunitz/xz's encoder (a test-only dependency:
// the only Go xz encoder we have) with settings taken from the input, which
// must decode back to itself. Seeds: testdata's files and the smallest
// modules of Debian 13's tree.
func FuzzDecode(f *testing.F) {
	names, _ := filepath.Glob("testdata/*.xz")
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(readTestdata(f, "text")[:300])
	if _, err := os.Stat(filepath.Join(debtree.TrixieDir(), "current", "tree", ".complete")); err == nil {
		files := treeFiles(f, debtree.Trixie(f), ".ko.xz")
		sizes := map[string]int64{}
		for _, p := range files {
			if fi, err := os.Stat(p); err == nil {
				sizes[p] = fi.Size()
			}
		}
		sort.Slice(files, func(i, j int) bool { return sizes[files[i]] < sizes[files[j]] })
		for _, p := range files[:4] {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var d Decoder
		out, err := d.Decode(nil, data, fuzzLimit)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T (%v), want a *FormatError", err, err)
			}
		} else if len(out) > fuzzLimit {
			t.Fatalf("decoded %d bytes, over the %d limit", len(out), fuzzLimit)
		}
		if cap(out) > 2*fuzzLimit+slack+64<<10 {
			t.Fatalf("output buffer of %d bytes for a limit of %d", cap(out), fuzzLimit)
		}
		sameAsGo(t, "the input", data, fuzzLimit)

		if len(data) > 64<<10 {
			return
		}
		// The round trip. The first byte picks the check, the block size
		// and the literal and position parameters.
		var sel byte
		if len(data) > 0 {
			sel = data[0]
		}
		cfg := ulikunitz.WriterConfig{
			DictCap:  4096 << (sel & 3),
			CheckSum: []byte{ulikunitz.None, ulikunitz.CRC32, ulikunitz.CRC64, ulikunitz.SHA256}[sel>>2&3],
		}
		cfg.NoCheckSum = cfg.CheckSum == ulikunitz.None
		if sel&0x10 != 0 {
			cfg.BlockSize = 1 << 10
		}
		if sel&0x20 != 0 {
			cfg.Properties = &lzma.Properties{LC: int(sel>>6) + 1, LP: 4 - int(sel>>6) - 1, PB: int(sel>>6) & 1}
		}
		var buf bytes.Buffer
		w, err := cfg.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		got, err := d.Decode(nil, buf.Bytes(), 0)
		if err != nil {
			t.Fatalf("decoding %d bytes compressed with %+v: %v", len(data), cfg, err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("round trip of %d bytes with %+v gave %d different bytes", len(data), cfg, len(got))
		}
	})
}
