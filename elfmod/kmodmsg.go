package elfmod

import (
	"encoding/binary"
	"errors"
	"io"
	"os"

	"github.com/klauspost/compress/zstd"
)

// LibkmodLoadError is the line libkmod 34.2 logs (at ERROR, through the
// tool's logger) when it cannot decompress a module, before the caller's
// own message; "" when it logs none (an ELF error, a missing file).
// libkmod logs it on every attempt to open the file.
//
// For zstd, libkmod 34.2 sizes its buffer from the first frame's content
// size and decompresses in one call: a header without a usable size gives
// "zstd: Failed to determine decompression size", anything else libzstd's
// error name, which we approximate from our decoder's error (a cut-off
// stream, a checksum, a bad magic, otherwise corruption). xz and gzip
// messages are not reproduced yet.
func LibkmodLoadError(err error) string {
	var de *DecompressError
	if !errors.As(err, &de) || de.Compression != Zstd {
		return ""
	}
	if !zstdHasContentSize(de.Path) {
		return "zstd: Failed to determine decompression size\n"
	}
	switch {
	case errors.Is(de.Err, io.ErrUnexpectedEOF):
		return "zstd: Src size is incorrect\n"
	case errors.Is(de.Err, zstd.ErrCRCMismatch):
		return "zstd: Restored data doesn't match checksum\n"
	case errors.Is(de.Err, zstd.ErrMagicMismatch):
		return "zstd: Unknown frame descriptor\n"
	case errors.Is(de.Err, ErrTooLarge):
		return ""
	}
	return "zstd: Data corruption detected\n"
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
