package moddep

import (
	"errors"
	"fmt"

	"github.com/modutils/modutils/internal/diag"
)

// On-disk constants of kmod's index format (libkmod/libkmod-index.c). All
// integers are big-endian uint32.
const (
	indexMagic        = 0xB007F457
	indexVersionMajor = 0x0002
	indexVersionMinor = 0x0001
	indexVersion      = indexVersionMajor<<16 | indexVersionMinor
	indexHeaderSize   = 12
	// indexChildMax bounds the byte labels of trie edges: kmod indexes
	// only 7-bit ASCII.
	indexChildMax = 128

	nodePrefix   = 0x80000000
	nodeValues   = 0x40000000
	nodeChildren = 0x20000000
	nodeFlags    = 0xF0000000
	nodeMask     = 0x0FFFFFFF
)

// ErrIndexCorrupt is matched (via errors.Is) by every *IndexError about a
// damaged or foreign file, so callers can tell "rerun depmod" apart from I/O
// errors.
var ErrIndexCorrupt = errors.New("corrupt module index")

// IndexError reports a malformed index file. Offset is the byte offset in
// the file where the problem was found.
type IndexError struct {
	File   string
	Offset int64
	Reason string

	// libkmod's index_mm_open logs a bad header; this is its message.
	libkmodSite diag.Site
	libkmodMsg  string
}

func (e *IndexError) Error() string {
	name := e.File
	if name == "" {
		name = "module index"
	}
	return fmt.Sprintf("%s: offset %#x: %s", name, e.Offset, e.Reason)
}

// Is lets errors.Is(err, ErrIndexCorrupt) succeed without exposing a
// wrapped sentinel in every message.
func (e *IndexError) Is(target error) bool { return target == ErrIndexCorrupt }

// IndexValue is one value stored under a key, with the priority depmod gave
// it (the module's position in modules.dep for most indexes).
type IndexValue struct {
	Value    string
	Priority uint32
}
