package modinfo

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
)

// output is modinfo's standard output, buffered as glibc buffers stdout:
// line by line on a terminal, otherwise in blocks of the file's preferred
// size, so that error messages (unbuffered, on stderr) land where kmod's
// do when both streams go to the same place.
type output struct {
	w    *bufio.Writer
	line bool
}

func newOutput(w io.Writer) *output {
	size, line := 4096, false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil {
			if sys, ok := st.Sys().(*syscall.Stat_t); ok {
				line = st.Mode()&os.ModeCharDevice != 0 && isTerminal(uint64(sys.Rdev))
				if sys.Blksize > 0 {
					size = int(sys.Blksize)
				}
			}
		}
	}
	return &output{w: bufio.NewWriterSize(w, size), line: line}
}

// printf is one printf of kmod's: on a terminal, one that ends a line
// flushes.
func (o *output) printf(format string, args ...any) {
	if !o.line {
		fmt.Fprintf(o.w, format, args...)
		return
	}
	s := fmt.Sprintf(format, args...)
	o.w.WriteString(s)
	if strings.IndexByte(s, '\n') >= 0 {
		o.w.Flush()
	}
}

// Flush writes what is buffered; kmod's exit does.
func (o *output) Flush() error { return o.w.Flush() }

// isTerminal tells a terminal by its device number, as isatty's ioctl
// would, without one: the tty (4), console and ptmx (5) and
// pseudo-terminal (136-143) majors.
func isTerminal(rdev uint64) bool {
	major := (rdev>>8)&0xfff | (rdev>>32)&^0xfff
	return major == 4 || major == 5 || (major >= 136 && major <= 143)
}
