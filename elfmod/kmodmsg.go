package elfmod

import (
	"encoding/binary"
	"errors"
	"io"
	"os"

	"github.com/klauspost/compress/zstd"
)

// LibkmodLoadError is what libkmod 34.2 logs (at ERROR) when it cannot
// decompress a module, before the caller's own message; ok is false when
// it logs nothing (an ELF error, a missing file). libkmod logs it on every
// attempt to open the file. Tools print Msg after their own prefix; the
// default logger (modinfo's) prints Func too.
//
// For zstd, libkmod 34.2 sizes its buffer from the first frame's content
// size and decompresses in one call: a header without a usable size gives
// "zstd: Failed to determine decompression size", anything else libzstd's
// error name, which we approximate from our decoder's error (a cut-off
// stream, a checksum, a bad magic, otherwise corruption). For xz, liblzma's
// verdict: a cut-off stream (one whose file does not end with a stream
// footer, which our decoder does not tell from corruption) is "Unexpected
// end of input", anything else "File is corrupt" (liblzma's format and
// options errors are not told apart). gzip: Debian's kmod has no zlib, and so no message.
func LibkmodLoadError(err error) (KmodLog, bool) {
	var de *DecompressError
	if !errors.As(err, &de) || errors.Is(de.Err, ErrTooLarge) {
		return KmodLog{}, false
	}
	switch de.Compression {
	case Zstd:
		l := KmodLog{Func: "kmod_file_load_zstd"}
		switch {
		case !zstdHasContentSize(de.Path):
			l.Msg = "zstd: Failed to determine decompression size\n"
		case errors.Is(de.Err, io.ErrUnexpectedEOF):
			l.Msg = "zstd: Src size is incorrect\n"
		case errors.Is(de.Err, zstd.ErrCRCMismatch):
			l.Msg = "zstd: Restored data doesn't match checksum\n"
		case errors.Is(de.Err, zstd.ErrMagicMismatch):
			l.Msg = "zstd: Unknown frame descriptor\n"
		default:
			l.Msg = "zstd: Data corruption detected\n"
		}
		return l, true
	case XZ:
		l := KmodLog{Func: "xz_uncompress_belch", Msg: "xz: File is corrupt\n"}
		if errors.Is(de.Err, io.ErrUnexpectedEOF) || !xzEndsWithFooter(de.Path) {
			l.Msg = "xz: Unexpected end of input\n"
		}
		return l, true
	}
	return KmodLog{}, false
}

// zstdHasContentSize is libzstd's ZSTD_getFrameContentSize giving a size
// that is neither unknown, an error nor 0, for the file's first frame.
func zstdHasContentSize(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var hdr [18]byte
	n, _ := io.ReadFull(f, hdr[:])
	b := hdr[:n]
	if len(b) < 5 || binary.LittleEndian.Uint32(b) != 0xFD2FB528 {
		return false // a skippable frame counts as size 0
	}
	fhd := b[4]
	if fhd&0x08 != 0 {
		return false // reserved bit
	}
	single := fhd&0x20 != 0
	pos := 5
	if !single {
		pos++ // window descriptor
	}
	pos += []int{0, 1, 2, 4}[fhd&3] // dictionary ID
	size := []int{0, 2, 4, 8}[fhd>>6]
	if size == 0 && single {
		size = 1
	}
	if size == 0 || len(b) < pos+size {
		return false
	}
	var v uint64
	switch size {
	case 1:
		v = uint64(b[pos])
	case 2:
		v = uint64(binary.LittleEndian.Uint16(b[pos:])) + 256
	case 4:
		v = uint64(binary.LittleEndian.Uint32(b[pos:]))
	case 8:
		v = binary.LittleEndian.Uint64(b[pos:])
	}
	return v != 0
}

// xzEndsWithFooter says whether the file ends as an xz stream does: the
// footer magic "YZ", then stream padding (NULs, four at a time).
func xzEndsWithFooter(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false
	}
	// Padding beyond a few KiB is not worth following: call it cut off.
	n := min(st.Size(), 4096)
	tail := make([]byte, n)
	if _, err := f.ReadAt(tail, st.Size()-n); err != nil {
		return false
	}
	for len(tail) >= 4 && string(tail[len(tail)-4:]) == "\x00\x00\x00\x00" {
		tail = tail[:len(tail)-4]
	}
	return len(tail) >= 12 && string(tail[len(tail)-2:]) == "YZ"
}
