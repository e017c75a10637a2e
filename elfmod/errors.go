package elfmod

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"

	"github.com/modutils/modutils/internal/libc"
)

// FormatError reports a malformed ELF structure, like debug/elf.FormatError
// but naming the file. Off is the byte offset of the offending field or data
// in the (decompressed) image.
type FormatError struct {
	Path string
	Off  int64
	Msg  string

	// notELF marks failures of the identification step, for which kmod
	// reports ENOEXEC instead of EINVAL.
	notELF bool
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("%s: %s at offset %#x", e.Path, e.Msg, e.Off)
}

// Is lets callers test for the errno kmod would have returned, e.g.
// errors.Is(err, syscall.EINVAL).
func (e *FormatError) Is(target error) bool {
	en, ok := target.(syscall.Errno)
	return ok && en == e.errno()
}

func (e *FormatError) errno() syscall.Errno {
	if e.notELF {
		return syscall.ENOEXEC
	}
	return syscall.EINVAL
}

func formatErr(path string, off uint64, format string, args ...any) *FormatError {
	return &FormatError{Path: path, Off: int64(off), Msg: fmt.Sprintf(format, args...)}
}

// ErrNoSection is matched by the errors Modinfo, Symbols and Versions return
// when the module lacks the section they read. kmod returns ENODATA in these
// cases (ENOENT before kmod 31) and depmod treats it as "no symbols", not as
// a failure.
var ErrNoSection = errors.New("section not found")

// sectionError is kmod's ENODATA: a section (or the vermagic string) that
// is not there.
type sectionError struct {
	path, what string
}

func (e *sectionError) Error() string {
	return fmt.Sprintf("%s: no %s", e.path, e.what)
}

func (e *sectionError) Unwrap() error { return ErrNoSection }

func (e *sectionError) Is(target error) bool { return target == syscall.ENODATA }

// ErrTooLarge is matched by decompression errors for images larger than the
// limit (see MaxDecompressedSize).
var ErrTooLarge = errors.New("decompressed size exceeds limit")

// DecompressError reports a corrupt, truncated or oversized compressed
// module.
type DecompressError struct {
	Path        string
	Compression Compression
	Err         error
}

func (e *DecompressError) Error() string {
	return fmt.Sprintf("%s: %s: %v", e.Path, e.Compression, trimPrefix(e.Err.Error(), e.Compression.String()+": "))
}

func (e *DecompressError) Unwrap() error { return e.Err }

func trimPrefix(s, p string) string {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}

var errClosed = fmt.Errorf("elfmod: %w", fs.ErrClosed)

// Errno maps an error from this package to the errno libkmod returns for the
// same condition, so that tools can print kmod's exact messages
// (strerror(Errno(err))). It returns 0 for a nil error and EIO for errors it
// does not recognise.
func Errno(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	var fe *FormatError
	if errors.As(err, &fe) {
		return fe.errno()
	}
	if errors.Is(err, ErrNoSection) {
		return syscall.ENODATA
	}
	if errors.Is(err, ErrTooLarge) {
		return syscall.EFBIG
	}
	if en, ok := libc.Errno(err); ok {
		return en
	}
	var de *DecompressError
	if errors.As(err, &de) {
		// kmod maps every zstd/xz/zlib decoding failure to EINVAL.
		return syscall.EINVAL
	}
	return syscall.EIO
}
