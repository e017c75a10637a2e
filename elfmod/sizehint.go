package elfmod

import (
	"encoding/binary"
	"io"
)

// sizeHint reads what a compressed module says its decompressed size is:
// gzip's ISIZE trailer, zstd's frame content size, the sizes recorded in
// xz's index. Decompressing into a buffer of the right size at once,
// rather than doubling one, is what keeps depmod's peak memory below
// kmod's on compressed trees. The hint is only that: it is ignored when
// it claims more than maxHintRatio times the file's size, so a lying
// header cannot make us allocate much up front, and the decompressor
// still grows the buffer (within its limit) when the hint was short.
func sizeHint(r io.ReaderAt, size int64, comp Compression, hdr []byte) int64 {
	var hint int64
	switch comp {
	case Gzip:
		var b [4]byte
		if size >= 18 && preadFull(r, b[:], size-4) == nil {
			hint = int64(binary.LittleEndian.Uint32(b[:]))
		}
	case Zstd:
		hint = zstdContentSize(hdr)
	case XZ:
		hint = xzUncompressedSize(r, size)
	}
	if hint <= 0 || hint > maxHintRatio*size+1<<20 || hint > MaxDecompressedSize {
		return 0
	}
	return hint
}

// maxHintRatio bounds a believable compression ratio; modules compress
// three to six times.
const maxHintRatio = 32

// zstdContentSize decodes Frame_Content_Size from a zstd frame header
// (RFC 8878, 3.1.1.1), or 0 where the frame does not record it.
func zstdContentSize(hdr []byte) int64 {
	if len(hdr) < 5 {
		return 0
	}
	fhd := hdr[4]
	fcsFlag, single, didFlag := fhd>>6, fhd>>5&1, fhd&3
	pos := 5
	if single == 0 {
		pos++ // window descriptor
	}
	pos += []int{0, 1, 2, 4}[didFlag]
	var n int
	switch fcsFlag {
	case 0:
		if single == 0 {
			return 0
		}
		n = 1
	case 1:
		n = 2
	case 2:
		n = 4
	case 3:
		n = 8
	}
	if pos+n > len(hdr) {
		return 0
	}
	b := hdr[pos : pos+n]
	switch n {
	case 1:
		return int64(b[0])
	case 2:
		return int64(binary.LittleEndian.Uint16(b)) + 256
	case 4:
		return int64(binary.LittleEndian.Uint32(b))
	}
	v := binary.LittleEndian.Uint64(b)
	if v > 1<<62 {
		return 0
	}
	return int64(v)
}

// xzUncompressedSize sums the uncompressed sizes in the index of the last
// xz stream in the file (xz file format 1.2.1, sections 2.1.2.2 and 4).
func xzUncompressedSize(r io.ReaderAt, size int64) int64 {
	end := size
	var footer [12]byte
	for {
		if end < 12+12 {
			return 0
		}
		if err := preadFull(r, footer[:], end-12); err != nil {
			return 0
		}
		// Stream padding: groups of four zero bytes after a stream.
		if binary.LittleEndian.Uint32(footer[8:]) != 0 {
			break
		}
		end -= 4
	}
	if footer[10] != 'Y' || footer[11] != 'Z' {
		return 0
	}
	indexSize := (int64(binary.LittleEndian.Uint32(footer[4:8])) + 1) * 4
	if indexSize > 64<<10 || indexSize > end-12-12 {
		return 0
	}
	index := make([]byte, indexSize)
	if err := preadFull(r, index, end-12-indexSize); err != nil || index[0] != 0 {
		return 0
	}
	p := index[1:]
	varint := func() (uint64, bool) {
		v, n := binary.Uvarint(p)
		if n <= 0 {
			return 0, false
		}
		p = p[n:]
		return v, true
	}
	records, ok := varint()
	if !ok || records > uint64(len(p)) {
		return 0
	}
	var total uint64
	for i := uint64(0); i < records; i++ {
		if _, ok := varint(); !ok {
			return 0
		}
		u, ok := varint()
		if !ok || u > 1<<40 {
			return 0
		}
		total += u
	}
	return int64(total)
}
