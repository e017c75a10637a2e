package modconf

import (
	"bufio"
	"bytes"
	"io"
	"iter"
)

// LineReader splits a configuration file into logical lines the way kmod's
// freadline_wrapped does: a backslash before a newline joins the next line,
// a backslash before any other byte keeps only that byte (at the end of the
// file, nothing), and LineNum counts
// physical lines so that messages point at the line a person would open.
type LineReader struct {
	r       *bufio.Reader
	LineNum int
	buf     []byte
}

// NewLineReader reads logical lines from r.
func NewLineReader(r io.Reader) *LineReader {
	return &LineReader{r: bufio.NewReader(r)}
}

// Next returns the next logical line without its newline. ok is false at
// the end of input. The returned slice is valid until the next call. A NUL
// byte ends the line's text, as it ends a C string in kmod.
func (lr *LineReader) Next() (line []byte, ok bool) {
	line, ok = lr.next()
	if i := bytes.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	return line, ok
}

// Directives yields the logical lines kmod's depmod.d and modprobe.d
// parsers act on: not empty, and not a comment (only a line whose first
// byte is '#'). Each is valid until the next.
func (lr *LineReader) Directives() iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for {
			line, ok := lr.Next()
			if !ok {
				return
			}
			if len(line) == 0 || line[0] == '#' {
				continue
			}
			if !yield(line) {
				return
			}
		}
	}
}

func (lr *LineReader) next() ([]byte, bool) {
	lr.buf = lr.buf[:0]
	n := 0
	for {
		c, err := lr.r.ReadByte()
		if err != nil {
			if len(lr.buf) == 0 {
				return nil, false
			}
			lr.LineNum += n + 1
			return lr.buf, true
		}
		switch c {
		case '\n':
			lr.LineNum += n + 1
			return lr.buf, true
		case '\\':
			next, err := lr.r.ReadByte()
			if err != nil {
				// A backslash at the end of the file is dropped (kmod
				// 30 stored EOF itself, a 0xff byte).
				continue
			}
			if next == '\n' {
				n++
				continue
			}
			lr.buf = append(lr.buf, next)
		default:
			lr.buf = append(lr.buf, c)
		}
	}
}
