package xz

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"hash/crc64"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/modutils/modutils/internal/debtree"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStored decodes the files testdata/gen.sh made with XZ Utils.
func TestStored(t *testing.T) {
	t.Parallel()
	text := readTestdata(t, "text")
	tests := []struct {
		file    string
		want    []byte // nil: only its length is known
		wantLen int
		wantErr string
	}{
		{file: "crc32.xz", want: text},
		{file: "crc64.xz", want: text},
		{file: "sha256.xz", want: text},
		{file: "none.xz", want: text},
		{file: "preset0.xz", want: text},
		{file: "preset9e.xz", want: text},
		{file: "lc0lp4pb0.xz", want: text},
		{file: "lc4lp0pb4.xz", want: text},
		{file: "blocks.xz", want: text},
		{file: "blocks-with-sizes.xz", want: text},
		{file: "incompressible.xz", wantLen: 2000},
		{file: "empty.xz", want: []byte{}},
		{file: "concatenated-padded.xz", want: append(bytes.Clone(text), text...)},
		{file: "bcj-x86.xz", wantErr: "unsupported filter 0x4 (x86 BCJ) at offset 0xe"},
		{file: "delta.xz", wantErr: "unsupported filter 0x3 (delta) at offset 0xe"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := Decode(nil, readTestdata(t, tt.file), 0)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Errorf("error %T, want a *FormatError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				if len(got) != tt.wantLen {
					t.Errorf("got %d bytes, want %d", len(got), tt.wantLen)
				}
			} else if !bytes.Equal(got, tt.want) {
				t.Errorf("got %d bytes, want the %d of the original", len(got), len(tt.want))
			}
		})
	}
}

// sample is deterministic data that compresses about as a module does:
// text, repeats at every distance, runs and random stretches.
func sample(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("alias depends vermagic srcversion intree retpoline name license GPL author description parm pci usb of acpi platform e1000e ptp crc32 __this_module init_module cleanup_module")
	var b []byte
	for len(b) < n {
		switch r.IntN(6) {
		case 0:
			for range r.IntN(200) {
				b = append(b, byte(r.Uint32()))
			}
		case 1:
			b = append(b, bytes.Repeat([]byte{byte(r.Uint32())}, r.IntN(500))...)
		case 2:
			if len(b) > 0 {
				from := r.IntN(len(b))
				b = append(b, b[from:from+r.IntN(min(len(b)-from, 300))]...)
			}
		default:
			for range r.IntN(30) {
				b = append(b, words[r.IntN(len(words))]...)
				b = append(b, " =\x00\n"[r.IntN(4)])
			}
		}
	}
	return b[:n]
}

func xzTool(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("xz")
	if err != nil {
		debtree.Missing(t, "xz: %v", err)
	}
	return p
}

// TestXZOptions decodes what xz makes of a sample with each option that
// changes the format.
func TestXZOptions(t *testing.T) {
	t.Parallel()
	xz := xzTool(t)
	in := sample(256 << 10)
	tests := []struct {
		name string
		args []string
	}{
		{"kernel's modules_install", []string{"--check=crc32", "--lzma2=dict=1MiB"}},
		{"default (crc64, -6)", nil},
		{"check none", []string{"--check=none"}},
		{"check sha256", []string{"--check=sha256"}},
		{"preset 0", []string{"-0"}},
		{"preset 9", []string{"-9"}},
		{"preset 9 extreme", []string{"-9e"}},
		{"lc=0,lp=4,pb=0", []string{"--lzma2=lc=0,lp=4,pb=0"}},
		{"lc=4,lp=0,pb=4", []string{"--lzma2=lc=4,lp=0,pb=4"}},
		{"lc=1,lp=3,pb=1", []string{"--lzma2=lc=1,lp=3,pb=1"}},
		{"nice=273 depth=0 bt4", []string{"--lzma2=preset=6,nice=273,mf=bt4"}},
		{"hc3 fast mode", []string{"--lzma2=preset=1,mf=hc3,mode=fast"}},
		{"small dictionary", []string{"--lzma2=dict=4KiB"}},
		{"blocks", []string{"--block-size=50KiB"}},
		{"blocks with sizes, two threads", []string{"-T2", "--block-size=64KiB"}},
		{"block list", []string{"--block-list=1,10000,0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(xz, append([]string{"-c"}, tt.args...)...)
			cmd.Stdin = bytes.NewReader(in)
			data, err := cmd.Output()
			if err != nil {
				t.Fatalf("xz %v: %v", tt.args, err)
			}
			got, err := Decode(nil, data, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, in) {
				t.Errorf("got %d bytes, want the %d of the original", len(got), len(in))
			}
		})
	}
}

// Builders for crafted streams. A block is its header (without its size
// byte and CRC32), its LZMA2 data and what it decodes to.
type rawBlock struct {
	hdr     []byte
	data    []byte
	content []byte
}

// lzma2Header is a block header for one LZMA2 filter with dictionary
// byte dict and, when >= 0, the sizes.
func lzma2Header(comp, uncomp int64, dict byte) []byte {
	flags := byte(0)
	var h []byte
	if comp >= 0 {
		flags |= 0x40
		h = binary.AppendUvarint(h, uint64(comp))
	}
	if uncomp >= 0 {
		flags |= 0x80
		h = binary.AppendUvarint(h, uint64(uncomp))
	}
	return append(append([]byte{flags}, h...), 0x21, 1, dict)
}

// build assembles a stream: header, blocks, index, footer, each with the
// right CRC32s and checks.
func build(check byte, blocks ...rawBlock) []byte {
	out := append([]byte{}, headerMagic...)
	out = append(out, 0, check)
	out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(out[6:8]))
	var index []byte
	for _, b := range blocks {
		start := len(out)
		h := append([]byte{0}, b.hdr...)
		for (len(h)+4)%4 != 0 {
			h = append(h, 0)
		}
		h[0] = byte((len(h)+4)/4 - 1)
		out = append(out, h...)
		out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(h))
		out = append(out, b.data...)
		unpadded := len(out) - start + checkSize(check)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
		out = appendCheck(out, check, b.content)
		index = binary.AppendUvarint(index, uint64(unpadded))
		index = binary.AppendUvarint(index, uint64(len(b.content)))
	}
	istart := len(out)
	out = append(out, 0)
	out = binary.AppendUvarint(out, uint64(len(blocks)))
	out = append(out, index...)
	for len(out)%4 != 0 {
		out = append(out, 0)
	}
	out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(out[istart:]))
	f := binary.LittleEndian.AppendUint32(nil, uint32((len(out)-istart)/4-1))
	f = append(f, 0, check)
	out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(f))
	return append(append(out, f...), footerMagic...)
}

func appendCheck(out []byte, check byte, content []byte) []byte {
	switch check {
	case checkCRC32:
		return binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(content))
	case checkCRC64:
		return binary.LittleEndian.AppendUint64(out, crc64.Checksum(content, crc64.MakeTable(crc64.ECMA)))
	case checkSHA256:
		h := sha256.Sum256(content)
		return append(out, h[:]...)
	}
	return append(out, make([]byte, checkSize(check))...)
}

// stored is an uncompressed LZMA2 chunk.
func stored(reset bool, b []byte) []byte {
	c := byte(2)
	if reset {
		c = 1
	}
	return append([]byte{c, byte((len(b) - 1) >> 8), byte(len(b) - 1)}, b...)
}

// realBlock is the one block of crc32.xz: header fields, LZMA2 data (one
// LZMA chunk and the end byte) and content.
func realBlock(t testing.TB) (hdrFlags byte, dict byte, data []byte) {
	t.Helper()
	f := readTestdata(t, "crc32.xz")
	hsize := (int(f[12]) + 1) * 4
	h := f[12 : 12+hsize]
	if h[1] != 0 || h[2] != 0x21 {
		t.Fatalf("crc32.xz's block header is not the plain LZMA2 one: % x", h)
	}
	// Compressed data runs to the index; the check and padding precede it.
	end := len(f) - footerLen - int(binary.LittleEndian.Uint32(f[len(f)-8:])+1)*4 - 4
	for f[end-1] == 0 && f[end-2] == 0 { // padding (the end byte is a lone 0)
		end--
	}
	return h[1], h[4], f[12+hsize : end]
}

// TestCrafted decodes streams built by hand around LZMA2 data, for the
// chunk kinds and the errors xz never makes.
func TestCrafted(t *testing.T) {
	t.Parallel()
	text := readTestdata(t, "text")
	_, dict, lz := realBlock(t)
	if lz[0] != 0xe0 || lz[len(lz)-1] != 0 {
		t.Fatalf("crc32.xz's LZMA2 data starts %#x and ends %#x, want 0xe0 and 0", lz[0], lz[len(lz)-1])
	}
	chunk := lz[:len(lz)-1] // one LZMA chunk with dictionary reset and properties
	with := func(b []byte, at int, v byte) []byte {
		b = bytes.Clone(b)
		b[at] = v
		return b
	}
	hdr := lzma2Header(-1, -1, dict)
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	tests := []struct {
		name    string
		data    []byte
		want    []byte
		wantErr string
	}{
		{"empty block", build(checkCRC32, rawBlock{hdr, []byte{0}, nil}), []byte{}, ""},
		{"no blocks", build(checkSHA256), []byte{}, ""},
		{"uncompressed chunks", build(checkCRC64, rawBlock{hdr, cat(stored(true, text[:100]), stored(false, text[100:200]), []byte{0}), text[:200]}), text[:200], ""},
		{"uncompressed chunk then LZMA with dictionary reset", build(checkCRC32, rawBlock{hdr, cat(stored(true, text[:100]), lz), cat(text[:100], text)}), cat(text[:100], text), ""},
		{"LZMA chunk, dictionary reset by an uncompressed one, LZMA again",
			build(checkCRC32, rawBlock{hdr, cat(chunk, stored(true, []byte("xyz")), chunk, []byte{0}), cat(text, []byte("xyz"), text)}),
			cat(text, []byte("xyz"), text), ""},
		// Sixteen bytes ending in a byte below 0x20 leave the chunk's
		// literal and position contexts as they were at position 0.
		{"LZMA chunk with new state after an uncompressed one, same dictionary",
			build(checkCRC32, rawBlock{hdr, cat(stored(true, []byte("fifteen bytes..\n")), with(chunk, 0, 0xc0), []byte{0}), cat([]byte("fifteen bytes..\n"), text)}),
			cat([]byte("fifteen bytes..\n"), text), ""},
		{"two blocks", build(checkCRC32, rawBlock{hdr, lz, text}, rawBlock{lzma2Header(int64(len(lz)), int64(len(text)), dict), lz, text}), cat(text, text), ""},
		{"block sizes checked: compressed", build(checkCRC32, rawBlock{lzma2Header(int64(len(lz))+1, -1, dict), lz, text}), nil, "block's compressed size is 897, its header says 898 at offset 0x18"},
		{"block sizes checked: uncompressed", build(checkCRC32, rawBlock{lzma2Header(-1, int64(len(text))-1, dict), lz, text}), nil, "block's uncompressed size is 4671, its header says 4670 at offset 0x18"},
		{"huge uncompressed size claimed", build(checkCRC32, rawBlock{lzma2Header(-1, 1<<40, dict), lz, text}), nil, "block's uncompressed size is 4671, its header says 1099511627776 at offset 0x1c"},
		{"first chunk without dictionary reset", build(checkCRC32, rawBlock{hdr, cat(stored(false, text[:10]), []byte{0}), text[:10]}), nil, "LZMA2 chunk without the dictionary reset the block's first must have at offset 0x18"},
		{"first LZMA chunk without dictionary reset", build(checkCRC32, rawBlock{hdr, with(lz, 0, 0xc0), text}), nil, "LZMA2 chunk without the dictionary reset the block's first must have at offset 0x18"},
		{"LZMA chunk without properties after dictionary reset", build(checkCRC32, rawBlock{hdr, cat(stored(true, []byte("abc")), with(chunk, 0, 0xa0)), nil}), nil, "LZMA chunk without the properties a dictionary reset needs at offset 0x1e"},
		{"bad control byte", build(checkCRC32, rawBlock{hdr, cat(stored(true, []byte("abc")), []byte{3}), nil}), nil, "bad LZMA2 control byte 0x03 at offset 0x1e"},
		{"bad properties: lc+lp > 4", build(checkCRC32, rawBlock{hdr, with(lz, 5, 4+9*1), text}), nil, "bad LZMA properties at offset 0x1d"},
		{"bad properties: >= 225", build(checkCRC32, rawBlock{hdr, with(lz, 5, 225), text}), nil, "bad LZMA properties at offset 0x1d"},
		{"range coder's first byte not zero", build(checkCRC32, rawBlock{hdr, with(lz, 6, 1), text}), nil, "bad LZMA chunk start at offset 0x1e"},
		{"LZMA data corrupt", build(checkCRC32, rawBlock{hdr, with(lz, 100, lz[100]^0x10), text}), nil, ""},
		{"no end byte", build(checkCRC32, rawBlock{hdr, chunk, text}), nil, ""},
		{"dictionary too big", build(checkCRC32, rawBlock{lzma2Header(-1, -1, 29), lz, text}), nil, "LZMA2 dictionary of 100663296 bytes exceeds the 67108864-byte limit at offset 0xe"},
		{"dictionary 64 MiB", build(checkCRC32, rawBlock{lzma2Header(-1, -1, 28), lz, text}), text, ""},
		{"bad dictionary byte", build(checkCRC32, rawBlock{lzma2Header(-1, -1, 41), lz, text}), nil, "bad LZMA2 properties at offset 0xe"},
		{"LZMA2 not last", build(checkCRC32, rawBlock{append(append([]byte{1}, hdr[1:]...), 0x21, 1, dict), lz, text}), nil, "LZMA2 filter is not the last at offset 0xe"},
		{"reserved block flags", build(checkCRC32, rawBlock{append([]byte{0x04}, hdr[1:]...), lz, text}), nil, "reserved block flags 0x04 set at offset 0xd"},
		{"unknown filter", build(checkCRC32, rawBlock{[]byte{0, 0x7f, 0}, lz, text}), nil, "unsupported filter 0x7f at offset 0xe"},
		{"filter properties overrun", build(checkCRC32, rawBlock{[]byte{0, 0x21, 9, 0}, lz, text}), nil, "bad filter properties in block header at offset 0xe"},
		{"non-minimal integer", build(checkCRC32, rawBlock{[]byte{0x40, 0x81, 0, 0x21, 1, dict}, lz, text}), nil, "bad compressed size in block header at offset 0xe"},
		{"zero compressed size", build(checkCRC32, rawBlock{[]byte{0x40, 0, 0x21, 1, dict}, lz, text}), nil, "bad compressed size in block header at offset 0xe"},
		{"unsupported check type", build(2, rawBlock{hdr, lz, text}), nil, "unsupported check type 0x2 at offset 0x7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(nil, tt.data, 0)
			if tt.want != nil {
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, tt.want) {
					t.Errorf("got %d bytes, want %d", len(got), len(tt.want))
				}
				return
			}
			if err == nil {
				t.Fatalf("decoded %d bytes, want an error", len(got))
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Errorf("error %T (%v), want a *FormatError", err, err)
			}
			if tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestContainerErrors damages the containers around the data: stream
// header and footer, block header, padding, check, index.
func TestContainerErrors(t *testing.T) {
	t.Parallel()
	f := readTestdata(t, "crc32.xz")
	n := len(f)
	with := func(at int, v byte) []byte {
		b := bytes.Clone(f)
		b[at] = v
		return b
	}
	xor := func(at int, v byte) []byte { return with(at, f[at]^v) }
	// fix recomputes the CRC32 at crcAt of b[from:to].
	fix := func(b []byte, crcAt, from, to int) []byte {
		binary.LittleEndian.PutUint32(b[crcAt:], crc32.ChecksumIEEE(b[from:to]))
		return b
	}
	indexAt := n - footerLen - int(binary.LittleEndian.Uint32(f[n-8:])+1)*4
	tests := []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{"empty input", nil, "truncated stream header at offset 0x0"},
		{"bad magic", xor(0, 1), "not an xz stream at offset 0x0"},
		{"stream header CRC", xor(8, 1), "stream header CRC32 mismatch at offset 0x8"},
		{"stream flags", fix(with(6, 1), 8, 6, 8), "unsupported stream flags 0x0101 at offset 0x6"},
		{"block header CRC", xor(13, 0x80), "block header CRC32 mismatch at offset 0x14"},
		{"block check", xor(indexAt-1, 1), "block check mismatch at offset 0x39c"},
		{"index indicator missing: read as a block header", xor(indexAt, 1), "block header"},
		{"index record count", fix(with(indexAt+1, 2), indexAt+8, indexAt, indexAt+8), "index has 2 records, the stream 1 blocks"},
		{"index record", fix(xor(indexAt+2, 4), indexAt+8, indexAt, indexAt+8), "index record 0 does not match block 0"},
		{"index CRC", xor(indexAt+8, 1), "index CRC32 mismatch"},
		{"footer CRC", xor(n-12, 1), "stream footer CRC32 mismatch"},
		{"footer magic", xor(n-1, 1), "bad stream footer magic"},
		{"footer flags", fix(with(n-3, 4), n-12, n-8, n-2), "stream footer flags differ from the header's"},
		{"backward size", fix(with(n-8, 5), n-12, n-8, n-2), "backward size 24, but the index is 12 bytes"},
		{"stream padding of 3", append(bytes.Clone(f), 0, 0, 0), "stream padding not a multiple of four bytes"},
		{"stream padding of 5", append(bytes.Clone(f), 0, 0, 0, 0, 0), "stream padding not a multiple of four bytes"},
		{"trailing garbage", append(bytes.Clone(f), "garbage!"...), "not an xz stream"},
		{"garbage after padding", append(bytes.Clone(f), 0, 0, 0, 0, 1, 2, 3, 4), "not an xz stream"},
		{"leading padding", append([]byte{0, 0, 0, 0}, f...), "not an xz stream at offset 0x0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(nil, tt.data, 0)
			if err == nil {
				t.Fatalf("decoded %d bytes, want an error", len(got))
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Errorf("error %T (%v), want a *FormatError", err, err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want %q", err, tt.wantErr)
			}
		})
	}
	for _, pad := range []int{4, 8, 1024} {
		if _, err := Decode(nil, append(bytes.Clone(f), make([]byte, pad)...), 0); err != nil {
			t.Errorf("%d bytes of stream padding: %v", pad, err)
		}
	}
}

// TestTruncated cuts files at every byte: each prefix is an error that
// matches io.ErrUnexpectedEOF, never a panic.
func TestTruncated(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"crc32.xz", "blocks-with-sizes.xz", "incompressible.xz", "empty.xz"} {
		f := readTestdata(t, name)
		for i := range len(f) {
			_, err := Decode(nil, f[:i], 0)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("%s cut at %d: error %v, want one matching io.ErrUnexpectedEOF", name, i, err)
			}
		}
	}
}

// TestBitFlips flips every bit of small files: every damage is caught
// (everything is under a CRC32 or the block check), as a *FormatError.
func TestBitFlips(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"crc32.xz", "blocks-with-sizes.xz", "incompressible.xz"} {
		f := readTestdata(t, name)
		b := bytes.Clone(f)
		var fe *FormatError
		for i := range len(f) * 8 {
			b[i/8] ^= 1 << (i % 8)
			if _, err := Decode(nil, b, 0); !errors.As(err, &fe) {
				t.Errorf("%s with bit %d flipped: error %v, want a *FormatError", name, i, err)
			}
			b[i/8] ^= 1 << (i % 8)
		}
	}
}

func TestLimit(t *testing.T) {
	t.Parallel()
	text := readTestdata(t, "text")
	for _, name := range []string{"crc32.xz", "blocks-with-sizes.xz", "concatenated-padded.xz"} {
		f := readTestdata(t, name)
		size := int64(len(text))
		if strings.HasPrefix(name, "concatenated") {
			size *= 2
		}
		if _, err := Decode(nil, f, size); err != nil {
			t.Errorf("%s, limit = its size: %v", name, err)
		}
		if _, err := Decode(nil, f, size-1); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s, limit = its size - 1: error %v, want ErrTooLarge", name, err)
		}
		// The limit counts our output, not what dst held already.
		if _, err := Decode(make([]byte, 100), f, size); err != nil {
			t.Errorf("%s after 100 bytes, limit = its size: %v", name, err)
		}
	}
}

// TestAppend checks that Decode appends, and that a Decoder decoding
// into a big enough buffer allocates nothing.
func TestAppend(t *testing.T) {
	// Not parallel: testing.AllocsPerRun may not run in a parallel test.
	text := readTestdata(t, "text")
	f := readTestdata(t, "crc32.xz")
	got, err := Decode([]byte("head"), f, 0)
	if err != nil || string(got[:4]) != "head" || !bytes.Equal(got[4:], text) {
		t.Fatalf("Decode after \"head\" = %q..., %v", got[:min(len(got), 8)], err)
	}
	var d Decoder
	buf := make([]byte, 0, len(text)+Margin)
	if n := testing.AllocsPerRun(10, func() {
		if _, err := d.Decode(buf, f, 0); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Decode into a big enough buffer: %v allocations, want 0", n)
	}
}

// TestHostileSizes checks that sizes claimed by headers are not what we
// allocate: a block claiming a terabyte, in a file of a kilobyte.
func TestHostileSizes(t *testing.T) {
	// Not parallel: it measures the process's allocations (runtime.ReadMemStats).
	_, dict, lz := realBlock(t)
	data := build(checkCRC32, rawBlock{lzma2Header(-1, 1<<40, dict), lz, readTestdata(t, "text")})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Decode(nil, data, 0)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("no error")
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 4<<20 {
		t.Errorf("allocated %d bytes for a %d-byte file", n, len(data))
	}
}
