// Package xz decodes .xz files (the .xz file format 1.2.1 with the LZMA2
// filter) whole, from memory into memory, the way elfmod reads a
// compressed module. Decoding whole is what makes it fast: the output
// buffer is the LZMA2 dictionary, so there is no ring buffer and no second
// copy, and the range decoder reads straight from the input slice.
//
// The input is untrusted. Every header field is checked before it is used,
// the dictionary size a block declares is capped (MaxDict), the output is
// capped by the caller's limit, and nothing is allocated from a size a
// header claims beyond a believable ratio to the input; the buffer grows
// as data actually decodes. Corrupt input yields a *FormatError carrying
// the input offset where decoding failed, never a panic.
//
// Supported: concatenated streams with stream padding, multi-block
// streams, block headers with or without sizes (checked when present), the
// index (checked against the blocks), check types none, CRC32, CRC64 and
// SHA-256 (all verified), and the LZMA2 filter with every chunk kind. The
// BCJ and delta filters are refused with an error naming the filter.
package xz

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/crc64"
	"io"
	"sync"

	"github.com/modutils/modutils/internal/lazy"
	"github.com/modutils/modutils/internal/sha256"
)

// MaxDict is the largest LZMA2 dictionary a block may declare: what
// "xz -9" uses. Decoding whole allocates no dictionary, but a stream
// asking for more than any xz preset is refused, as the decoder modutils
// used before refused it.
const MaxDict = 64 << 20

// ErrTooLarge is matched by the error for output beyond the caller's limit.
var ErrTooLarge = errors.New("decompressed size exceeds limit")

// FormatError reports corrupt, truncated or unsupported input. Off is the
// offset in the input of the field or data that failed.
type FormatError struct {
	Off int64
	Msg string
	err error // io.ErrUnexpectedEOF for truncations
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("%s at offset %#x", e.Msg, e.Off)
}

func (e *FormatError) Unwrap() error { return e.err }

func corrupt(off int, format string, args ...any) error {
	return &FormatError{Off: int64(off), Msg: fmt.Sprintf(format, args...)}
}

func truncated(off int, what string) error {
	return &FormatError{Off: int64(off), Msg: "truncated " + what, err: io.ErrUnexpectedEOF}
}

const (
	headerLen = 12
	footerLen = 12

	// Output slack past what a chunk writes, so that match copies may
	// move eight bytes at a time.
	slack = 16

	// maxRatio bounds how much output a size from a header may make us
	// allocate before it decodes: modules compress three to six times.
	maxRatio = 32
)

var (
	headerMagic = []byte{0xfd, '7', 'z', 'X', 'Z', 0}
	footerMagic = []byte{'Y', 'Z'}
)

// Check types (.xz 1.2.1, section 3.4).
const (
	checkNone   = 0x00
	checkCRC32  = 0x01
	checkCRC64  = 0x04
	checkSHA256 = 0x0a
)

var crc64Table = lazy.Value[*crc64.Table]{New: func() *crc64.Table { return crc64.MakeTable(crc64.ECMA) }}

// checkSize is the size of each check type's field, supported or not.
func checkSize(c byte) int {
	if c == 0 {
		return 0
	}
	return 4 << ((c - 1) / 3)
}

// Decoder holds the LZMA state between calls, so that decoding many files
// allocates nothing once the output buffer is big enough. A Decoder is not
// safe for concurrent use; the zero value is ready.
type Decoder struct {
	lz lzmaDec
}

var pool = sync.Pool{New: func() any { return new(Decoder) }}

// Margin is the room past the content that decoding in place needs: the
// decoder writes up to a whole match, eight bytes at a time, before it
// checks for the end.
const Margin = maxMatch + slack

// Decode appends the content of the .xz file src to dst and returns the
// extended slice. More than limit bytes of output (limit > 0) fails with an
// error matching ErrTooLarge. When dst has room for the whole content plus
// Margin, it is decoded in place with no further allocation; otherwise the
// buffer grows as the content decodes.
func Decode(dst, src []byte, limit int64) ([]byte, error) {
	d := pool.Get().(*Decoder)
	defer pool.Put(d)
	return d.Decode(dst, src, limit)
}

// Decode is like the package's Decode, reusing d's state.
func (d *Decoder) Decode(dst, src []byte, limit int64) ([]byte, error) {
	if limit <= 0 || limit > 1<<62 {
		limit = 1 << 62
	}
	s := &stream{d: d, src: src, out: dst, base: len(dst), limit: limit}
	err := s.decodeFile()
	return s.out, err
}

// stream is one Decode call.
type stream struct {
	d     *Decoder
	src   []byte
	out   []byte
	base  int   // len(dst) at the start: output before it is not ours
	limit int64 // of our output

	check byte // the current stream's check type
}

func (s *stream) decodeFile() error {
	p := 0
	for {
		end, err := s.decodeStream(p)
		if err != nil {
			return err
		}
		p = end
		// Stream padding: zero bytes, a multiple of four, then another
		// stream or the end.
		q := p
		for q < len(s.src) && s.src[q] == 0 {
			q++
		}
		if (q-p)%4 != 0 {
			return corrupt(q, "stream padding not a multiple of four bytes")
		}
		if q == len(s.src) {
			return nil
		}
		p = q
	}
}

// decodeStream decodes the stream starting at p and returns the offset
// just past its footer.
func (s *stream) decodeStream(p int) (int, error) {
	src := s.src
	if len(src)-p < headerLen {
		if !bytes.HasPrefix(src[p:], headerMagic[:min(len(src)-p, len(headerMagic))]) {
			return 0, corrupt(p, "not an xz stream")
		}
		return 0, truncated(len(src), "stream header")
	}
	h := src[p : p+headerLen]
	if !bytes.Equal(h[:6], headerMagic) {
		return 0, corrupt(p, "not an xz stream")
	}
	if binary.LittleEndian.Uint32(h[8:]) != crc32.ChecksumIEEE(h[6:8]) {
		return 0, corrupt(p+8, "stream header CRC32 mismatch")
	}
	flags := h[6:8]
	if flags[0] != 0 || flags[1]&0xf0 != 0 {
		return 0, corrupt(p+6, "unsupported stream flags %#02x%02x", flags[0], flags[1])
	}
	s.check = flags[1]
	switch s.check {
	case checkNone, checkCRC32, checkCRC64, checkSHA256:
	default:
		return 0, corrupt(p+7, "unsupported check type %#x", s.check)
	}
	p += headerLen

	// Each block's unpadded and uncompressed sizes, for the index.
	var recs []uint64
	var stack [64]uint64
	recs = stack[:0]
	for {
		if p >= len(src) {
			return 0, truncated(p, "block header")
		}
		if src[p] == 0 {
			break // the index indicator
		}
		unpadded, size, end, err := s.decodeBlock(p)
		if err != nil {
			return 0, err
		}
		recs = append(recs, unpadded, size)
		p = end
	}
	indexStart := p
	p, err := checkIndex(src, p, recs)
	if err != nil {
		return 0, err
	}
	if len(src)-p < footerLen {
		return 0, truncated(len(src), "stream footer")
	}
	f := src[p : p+footerLen]
	if binary.LittleEndian.Uint32(f) != crc32.ChecksumIEEE(f[4:10]) {
		return 0, corrupt(p, "stream footer CRC32 mismatch")
	}
	if !bytes.Equal(f[10:], footerMagic) {
		return 0, corrupt(p+10, "bad stream footer magic")
	}
	if f[8] != 0 || f[9] != s.check {
		return 0, corrupt(p+8, "stream footer flags differ from the header's")
	}
	if backward := (int64(binary.LittleEndian.Uint32(f[4:])) + 1) * 4; backward != int64(p-indexStart) {
		return 0, corrupt(p+4, "backward size %d, but the index is %d bytes", backward, p-indexStart)
	}
	return p + footerLen, nil
}

// uvarint reads a multibyte integer (.xz 1.2.1, section 1.2): at most nine
// bytes, no needless trailing zero byte.
func uvarint(src []byte, p int) (uint64, int, error) {
	var v uint64
	for i := 0; i < 9; i++ {
		if p+i >= len(src) {
			return 0, 0, truncated(len(src), "integer")
		}
		b := src[p+i]
		v |= uint64(b&0x7f) << (7 * i)
		if b&0x80 == 0 {
			if b == 0 && i > 0 {
				return 0, 0, corrupt(p+i, "non-minimal integer encoding")
			}
			return v, p + i + 1, nil
		}
	}
	return 0, 0, corrupt(p, "integer longer than nine bytes")
}

// filterName names a filter ID (.xz 1.2.1, section 5.3, and XZ Utils'
// later ones) for errors.
func filterName(id uint64) string {
	var name string
	switch id {
	case 0x03:
		name = "delta"
	case 0x04:
		name = "x86 BCJ"
	case 0x05:
		name = "PowerPC BCJ"
	case 0x06:
		name = "IA-64 BCJ"
	case 0x07:
		name = "ARM BCJ"
	case 0x08:
		name = "ARM-Thumb BCJ"
	case 0x09:
		name = "SPARC BCJ"
	case 0x0a:
		name = "ARM64 BCJ"
	case 0x0b:
		name = "RISC-V BCJ"
	default:
		return fmt.Sprintf("%#x", id)
	}
	return fmt.Sprintf("%#x (%s)", id, name)
}

// decodeBlock decodes the block whose header starts at p, appending its
// content to s.out. It returns the block's unpadded and uncompressed sizes
// and the offset just past its check.
func (s *stream) decodeBlock(p int) (unpadded, size uint64, end int, err error) {
	src := s.src
	hsize := (int(src[p]) + 1) * 4
	if len(src)-p < hsize {
		return 0, 0, 0, truncated(len(src), "block header")
	}
	h := src[p : p+hsize]
	if binary.LittleEndian.Uint32(h[hsize-4:]) != crc32.ChecksumIEEE(h[:hsize-4]) {
		return 0, 0, 0, corrupt(p+hsize-4, "block header CRC32 mismatch")
	}
	h = h[:hsize-4] // the varints below cannot run into the CRC
	flags := h[1]
	if flags&0x3c != 0 {
		return 0, 0, 0, corrupt(p+1, "reserved block flags %#02x set", flags)
	}
	q := 2
	compSize, uncompSize := int64(-1), int64(-1)
	if flags&0x40 != 0 {
		v, n, err := uvarint(h, q)
		if err != nil || v == 0 || v > 1<<62 {
			return 0, 0, 0, corrupt(p+q, "bad compressed size in block header")
		}
		compSize, q = int64(v), n
	}
	if flags&0x80 != 0 {
		v, n, err := uvarint(h, q)
		if err != nil || v > 1<<62 {
			return 0, 0, 0, corrupt(p+q, "bad uncompressed size in block header")
		}
		uncompSize, q = int64(v), n
	}
	nfilters := int(flags&3) + 1
	var dict uint32
	for i := 0; i < nfilters; i++ {
		at := p + q
		id, n, err := uvarint(h, q)
		if err != nil {
			return 0, 0, 0, corrupt(at, "bad filter flags in block header")
		}
		psize, n, err := uvarint(h, n)
		if err != nil || psize > uint64(len(h)-n) {
			return 0, 0, 0, corrupt(at, "bad filter properties in block header")
		}
		props := h[n : n+int(psize)]
		q = n + int(psize)
		if id != 0x21 {
			return 0, 0, 0, corrupt(at, "unsupported filter %s", filterName(id))
		}
		if i != nfilters-1 {
			return 0, 0, 0, corrupt(at, "LZMA2 filter is not the last")
		}
		if len(props) != 1 || props[0] > 40 {
			return 0, 0, 0, corrupt(at, "bad LZMA2 properties")
		}
		dict = dictSize(props[0])
		if dict > MaxDict {
			return 0, 0, 0, corrupt(at, "LZMA2 dictionary of %d bytes exceeds the %d-byte limit", dict, MaxDict)
		}
	}
	for ; q < len(h); q++ {
		if h[q] != 0 {
			return 0, 0, 0, corrupt(p+q, "non-zero block header padding")
		}
	}
	p += hsize

	outStart := len(s.out)
	if uncompSize >= 0 {
		s.reserve(uncompSize, len(src)-p)
	}
	cend, err := s.lzma2(p, compSize, dict)
	if err != nil {
		return 0, 0, 0, err
	}
	if compSize >= 0 && int64(cend-p) != compSize {
		return 0, 0, 0, corrupt(p, "block's compressed size is %d, its header says %d", cend-p, compSize)
	}
	size = uint64(len(s.out) - outStart)
	if uncompSize >= 0 && int64(size) != uncompSize {
		return 0, 0, 0, corrupt(p, "block's uncompressed size is %d, its header says %d", size, uncompSize)
	}
	unpadded = uint64(hsize + cend - p + checkSize(s.check))
	p = cend
	for p%4 != 0 { // relative to the file's start, as streams are 4-aligned
		if p >= len(src) {
			return 0, 0, 0, truncated(p, "block padding")
		}
		if src[p] != 0 {
			return 0, 0, 0, corrupt(p, "non-zero block padding")
		}
		p++
	}
	cs := checkSize(s.check)
	if len(src)-p < cs {
		return 0, 0, 0, truncated(len(src), "block check")
	}
	if !s.verify(s.out[outStart:], src[p:p+cs]) {
		return 0, 0, 0, corrupt(p, "block check mismatch")
	}
	return unpadded, size, p + cs, nil
}

func (s *stream) verify(data, sum []byte) bool {
	switch s.check {
	case checkCRC32:
		return binary.LittleEndian.Uint32(sum) == crc32.ChecksumIEEE(data)
	case checkCRC64:
		return binary.LittleEndian.Uint64(sum) == crc64.Checksum(data, crc64Table.Get())
	case checkSHA256:
		h := sha256.Sum256(data)
		return bytes.Equal(sum, h[:])
	}
	return true
}

// dictSize decodes LZMA2's dictionary size byte (at most 40).
func dictSize(b byte) uint32 {
	if b == 40 {
		return 0xffffffff
	}
	return (2 | uint32(b)&1) << (b/2 + 11)
}

// checkIndex checks the index starting at p against the blocks decoded
// (recs holds unpadded and uncompressed sizes in pairs) and returns the
// offset just past it.
func checkIndex(src []byte, p int, recs []uint64) (int, error) {
	start := p
	p++ // the indicator
	n, p, err := uvarint(src, p)
	if err != nil {
		return 0, err
	}
	if n != uint64(len(recs)/2) {
		return 0, corrupt(start+1, "index has %d records, the stream %d blocks", n, len(recs)/2)
	}
	for i := 0; i < len(recs); i += 2 {
		at := p
		var u, c uint64
		if u, p, err = uvarint(src, p); err != nil {
			return 0, err
		}
		if c, p, err = uvarint(src, p); err != nil {
			return 0, err
		}
		if u != recs[i] || c != recs[i+1] {
			return 0, corrupt(at, "index record %d does not match block %d", i/2, i/2)
		}
	}
	for p%4 != 0 {
		if p >= len(src) {
			return 0, truncated(p, "index")
		}
		if src[p] != 0 {
			return 0, corrupt(p, "non-zero index padding")
		}
		p++
	}
	if len(src)-p < 4 {
		return 0, truncated(len(src), "index")
	}
	if binary.LittleEndian.Uint32(src[p:]) != crc32.ChecksumIEEE(src[start:p]) {
		return 0, corrupt(p, "index CRC32 mismatch")
	}
	return p + 4, nil
}

// reserve makes room for n more bytes of output that a header announced,
// believing it only up to maxRatio times the rest of the input.
func (s *stream) reserve(n int64, rest int) {
	n = min(n, maxRatio*int64(rest)+1<<20, s.limit-int64(len(s.out)-s.base))
	if n > 0 && int64(cap(s.out)-len(s.out)) < n+slack {
		s.grow(int(n))
	}
}

// grow makes cap(s.out) at least len(s.out)+n+slack, doubling.
func (s *stream) grow(n int) {
	need := int64(len(s.out)) + int64(n) + slack
	c := max(need, 2*int64(cap(s.out)), 64<<10)
	if lim := int64(s.base) + s.limit + slack; c > lim {
		c = max(lim, need)
	}
	out := make([]byte, len(s.out), c)
	copy(out, s.out)
	s.out = out
}
