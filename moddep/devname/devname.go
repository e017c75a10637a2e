// Package devname reads modules.devname, the list depmod writes of the
// device nodes whose modules should be loaded on first open, and writes
// it in the three formats of kmod's static-nodes (human, tmpfiles,
// devname), byte for byte as kmod 34.2 writes them.
//
// devtmpfs only holds the nodes of drivers already loaded; the nodes in
// modules.devname (/dev/net/tun, /dev/loop-control, /dev/uinput...) are
// the ones that must exist before their driver is, so that opening one
// makes the kernel ask for char-major-M-m and load it. systemd creates
// them from kmod's tmpfiles output; kerneld creates them itself.
//
// The package is pure: it reads and writes streams it is given.
package devname

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/modutils/modutils/internal/libc"
)

// Node is one line of modules.devname: "MODULE NAME TYPEMAJOR:MINOR".
type Node struct {
	Module string
	Name   string // under /dev: "net/tun"
	Type   byte   // 'c' or 'b'
	Major  uint32
	Minor  uint32
}

// Path is the node's path under /dev.
func (n Node) Path() string { return "/dev/" + n.Name }

// Dir is the directory kmod's tmpfiles output makes for the node (its
// "d" line): the node's parent under /dev, or "" for a node directly
// in /dev.
func (n Node) Dir() string {
	i := strings.LastIndexByte(n.Name, '/')
	if i < 0 {
		return ""
	}
	return "/dev/" + n.Name[:i]
}

// Request is what the kernel asks for when the node is opened without
// its driver: char_dev's base_probe, misc_open and blk_request_module
// all ask "char-major-M-m" or "block-major-M-m" first.
func (n Node) Request() string {
	kind := "char"
	if n.Type == 'b' {
		kind = "block"
	}
	return fmt.Sprintf("%s-major-%d-%d", kind, n.Major, n.Minor)
}

// Mode is the permission kmod's tmpfiles output gives every node.
const Mode = 0o600

// DirMode is the permission of the directories it makes.
const DirMode = 0o755

// lineMax is static-nodes' fgets buffer, PATH_MAX: a longer line is read
// in pieces, each taken for a line of its own.
const lineMax = 4096

// Parse reads modules.devname as kmod's static-nodes reads it: lines
// starting with '#' are skipped, the others scanned as
// sscanf("%s %s %c%u:%u"). A line that does not scan, or whose type is
// neither 'c' nor 'b', goes to bad, as static-nodes prints it (the raw
// text, its newline included where it had one). A read error ends the
// file, as it ends kmod's fgets loop.
func Parse(r io.Reader, bad func(line string)) []Node {
	var nodes []Node
	Scan(r, func(n Node) { nodes = append(nodes, n) }, bad)
	return nodes
}

// Scan is Parse handing each node to node as it is read.
func Scan(r io.Reader, node func(Node), bad func(line string)) {
	buf := make([]byte, 0, lineMax)
	rd := bufio.NewReader(r)
	for {
		buf = buf[:0]
		for len(buf) < lineMax-1 {
			c, err := rd.ReadByte()
			if err != nil {
				break
			}
			buf = append(buf, c)
			if c == '\n' {
				break
			}
		}
		if len(buf) == 0 {
			return
		}
		if buf[0] == '#' {
			continue
		}
		// C sees the line up to its first NUL.
		line := string(buf)
		if i := strings.IndexByte(line, 0); i >= 0 {
			line = line[:i]
		}
		n, ok := scan(line)
		if !ok {
			if bad != nil {
				bad(line)
			}
			continue
		}
		node(n)
	}
}

// scan is sscanf(line, "%s %s %c%u:%u") == 5 with a type of 'c' or 'b'.
func scan(s string) (Node, bool) {
	var n Node
	var ok bool
	if n.Module, s, ok = word(s); !ok {
		return n, false
	}
	if n.Name, s, ok = word(s); !ok {
		return n, false
	}
	s = strings.TrimLeft(s, libc.Space)
	if s == "" {
		return n, false
	}
	n.Type, s = s[0], s[1:]
	if n.Major, s, ok = libc.ScanUint(s); !ok {
		return n, false
	}
	if !strings.HasPrefix(s, ":") {
		return n, false
	}
	if n.Minor, _, ok = libc.ScanUint(s[1:]); !ok {
		return n, false
	}
	return n, n.Type == 'c' || n.Type == 'b'
}

// word is scanf's %s: leading white space skipped, then everything up to
// the next.
func word(s string) (w, rest string, ok bool) {
	i := 0
	for i < len(s) && libc.IsSpace(s[i]) {
		i++
	}
	j := i
	for j < len(s) && !libc.IsSpace(s[j]) {
		j++
	}
	return s[i:j], s[j:], j > i
}

// Format is one of static-nodes' output formats.
type Format struct {
	Name        string
	Description string
	write       func(w io.Writer, n Node) error
}

// Write writes the node to w in this format.
func (f Format) Write(w io.Writer, n Node) error { return f.write(w, n) }

// Formats are static-nodes' formats in the order its help lists them;
// the first is the default.
var Formats = []Format{
	{"human", "(default) a human readable format. Do not parse.", writeHuman},
	{"tmpfiles", "the tmpfiles.d(5) format used by systemd-tmpfiles.", writeTmpfiles},
	{"devname", "the modules.devname format.", writeDevname},
}

// FindFormat is the format of that name.
func FindFormat(name string) (Format, bool) {
	for _, f := range Formats {
		if f.Name == name {
			return f, true
		}
	}
	return Format{}, false
}

func kindName(t byte) string {
	if t == 'c' {
		return "character"
	}
	return "block"
}

func writeHuman(w io.Writer, n Node) error {
	_, err := fmt.Fprintf(w, "Module: %s\n\tDevice node: /dev/%s\n\t\tType: %s device\n\t\tMajor: %d\n\t\tMinor: %d\n",
		n.Module, n.Name, kindName(n.Type), n.Major, n.Minor)
	return err
}

func writeTmpfiles(w io.Writer, n Node) error {
	if d := n.Dir(); d != "" {
		if _, err := fmt.Fprintf(w, "d %s %04o - - -\n", d, DirMode); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "%c! %s %04o - - - %d:%d\n", n.Type, n.Path(), Mode, n.Major, n.Minor)
	return err
}

func writeDevname(w io.Writer, n Node) error {
	_, err := fmt.Fprintf(w, "%s %s %c%d:%d\n", n.Module, n.Name, n.Type, n.Major, n.Minor)
	return err
}
