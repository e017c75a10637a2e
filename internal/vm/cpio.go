package vm

import (
	"fmt"
	"io"
	"path"
	"strings"
)

// cpioWriter writes the "newc" cpio format, the only one the kernel
// unpacks into its initramfs. It creates every parent directory before
// the entry that needs it, since the kernel creates nothing implicitly.
type cpioWriter struct {
	w    io.Writer
	ino  uint32
	dirs map[string]bool
	err  error
}

func newCpio(w io.Writer) *cpioWriter {
	return &cpioWriter{w: w, ino: 1, dirs: map[string]bool{"": true, ".": true, "/": true}}
}

const (
	modeDir     = 0o040000
	modeFile    = 0o100000
	modeSymlink = 0o120000
)

// entry writes one header, the name and the data, each padded to four bytes.
func (c *cpioWriter) entry(name string, mode uint32, data []byte) {
	c.entryDev(name, mode, data, 0, 0)
}

func (c *cpioWriter) entryDev(name string, mode uint32, data []byte, major, minor uint32) {
	if c.err != nil {
		return
	}
	name = strings.TrimPrefix(name, "/")
	c.ino++
	hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		c.ino, mode, 0, 0, 1, 0, len(data), 0, 0, major, minor, len(name)+1, 0)
	buf := make([]byte, 0, len(hdr)+len(name)+8)
	buf = append(buf, hdr...)
	buf = append(buf, name...)
	buf = append(buf, 0)
	buf = pad4(buf)
	if _, c.err = c.w.Write(buf); c.err != nil {
		return
	}
	if len(data) == 0 {
		return
	}
	if _, c.err = c.w.Write(data); c.err != nil {
		return
	}
	if n := len(data) % 4; n != 0 {
		_, c.err = c.w.Write(make([]byte, 4-n))
	}
}

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// Mkdir creates dir and its parents.
func (c *cpioWriter) Mkdir(dir string) {
	dir = strings.Trim(dir, "/")
	if c.dirs[dir] {
		return
	}
	c.Mkdir(path.Dir(dir))
	c.dirs[dir] = true
	c.entry(dir, modeDir|0o755, nil)
}

// File writes a regular file with the given permission bits.
func (c *cpioWriter) File(name string, perm uint32, data []byte) {
	c.Mkdir(path.Dir(strings.TrimPrefix(name, "/")))
	c.entry(name, modeFile|perm, data)
}

// Symlink makes name point at target.
func (c *cpioWriter) Symlink(name, target string) {
	c.Mkdir(path.Dir(strings.TrimPrefix(name, "/")))
	c.entry(name, modeSymlink|0o777, []byte(target))
}

// Close writes the trailer; the archive may be followed by another one.
func (c *cpioWriter) Close() error {
	c.entry("TRAILER!!!", 0, nil)
	return c.err
}

// Node makes a character device: the kernel opens /dev/console for init
// before anything could create it.
func (c *cpioWriter) Node(name string, perm uint32, major, minor uint32) {
	c.Mkdir(path.Dir(strings.TrimPrefix(name, "/")))
	c.entryDev(name, 0o020000|perm, nil, major, minor)
}
