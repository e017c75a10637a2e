package moddep

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/modutils/modutils/internal/libc"
	"github.com/modutils/modutils/internal/rawfile"
)

// ReaderOrder selects which of libkmod's two index readers an Index
// imitates. They agree on everything except the order of values that share a
// priority: the mmap reader keeps file order, while the stdio reader re-links
// every node's values through add_value and so reverses each run of equal
// priorities. The difference is visible for modules.builtin.alias.bin (all
// priorities are 0) and for duplicate aliases within one module.
type ReaderOrder uint8

const (
	// ReaderMmap is libkmod's index_mm_* reader, used by modprobe, which
	// calls kmod_load_resources.
	ReaderMmap ReaderOrder = iota
	// ReaderStream is libkmod's index_file/index_* reader, used by every
	// tool that does not load resources first (modinfo, for one).
	ReaderStream
)

// maxIndexDepth bounds recursion over damaged files whose child offsets
// form cycles. Trie depth is at most the longest key plus one, and kmod
// keys stay below PATH_MAX.
const maxIndexDepth = 16384

// Index reads a kmod index file. Lookups never read outside the file: a
// damaged file yields an *IndexError from the error-returning methods, or a
// clean "not found" from the convenience ones. Methods are safe for
// concurrent use; Close must not race with them.
type Index struct {
	name string
	// data is the file, followed by the zeros that fill its last page:
	// libkmod's mmap reader reads on into them where a damaged file makes
	// it (and faults beyond, where we need not follow). size is the
	// file's length.
	data  []byte
	size  int
	root  uint32
	order ReaderOrder
	m     *indexMapping
}

// indexMapping owns the file memory so that copies made by WithOrder can share
// it and Close on any of them releases it exactly once.
type indexMapping struct {
	once   sync.Once
	mapped []byte
}

// OpenIndex maps the index file at path read-only. Like libkmod it accepts
// any minor version of format 2.
func OpenIndex(path string) (*Index, error) {
	f, size, err := rawfile.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open module index: %w", err)
	}
	defer f.Close()
	if size < indexHeaderSize {
		return nil, &IndexError{File: path, Offset: size, Reason: "file too short for an index header"}
	}
	if size > 1<<31 {
		return nil, &IndexError{File: path, Offset: size, Reason: "file too large for an index"}
	}
	// The header is read, not touched in the mapping: a fault there
	// would map the pages around it too, and modprobe opens every index
	// but reads one or two.
	var hdr [indexHeaderSize]byte
	if n, err := f.ReadAt(hdr[:], 0); err != nil && err != io.EOF {
		return nil, fmt.Errorf("read module index header: %w", err)
	} else if n < indexHeaderSize {
		return nil, &IndexError{File: path, Offset: int64(n), Reason: "file too short for an index header"}
	}
	root, err := readIndexHeader(hdr[:], path)
	if err != nil {
		return nil, err
	}
	m := &indexMapping{}
	// Mapped to the end of its last page, which the kernel fills with
	// zeros, as libkmod sees it.
	data, err := f.Map(rawfile.PageEnd(int(size)))
	if err != nil {
		// Some filesystems cannot be mapped; reading is only slower.
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read module index: %w", err)
		}
		size, data = int64(len(b)), padToPage(b)
	} else {
		m.mapped = data
	}
	return &Index{name: path, data: data, size: int(size), root: root, m: m}, nil
}

// padToPage is b followed by zeros up to the end of its last page.
func padToPage(b []byte) []byte {
	if end := rawfile.PageEnd(len(b)); end > len(b) {
		b = append(b[:len(b):len(b)], make([]byte, end-len(b))...)
	}
	return b
}

// NewIndex reads an index held in memory; data must not change while the
// Index is in use. name only labels errors.
func NewIndex(data []byte, name string) (*Index, error) {
	return newIndex(data, name, &indexMapping{})
}

func newIndex(data []byte, name string, m *indexMapping) (*Index, error) {
	root, err := readIndexHeader(data, name)
	if err != nil {
		return nil, err
	}
	return &Index{name: name, data: padToPage(data), size: len(data), root: root, m: m}, nil
}

// readIndexHeader checks an index's header and returns its root offset.
func readIndexHeader(hdr []byte, name string) (root uint32, err error) {
	if len(hdr) < indexHeaderSize {
		return 0, &IndexError{File: name, Offset: int64(len(hdr)), Reason: "file too short for an index header"}
	}
	if magic := binary.BigEndian.Uint32(hdr); magic != indexMagic {
		return 0, &IndexError{File: name, Reason: fmt.Sprintf("bad magic %#08x, want %#08x", magic, uint32(indexMagic)),
			libkmodSite: siteIndexMagic, libkmodMsg: fmt.Sprintf("magic check fail: %x instead of %x\n", magic, uint32(indexMagic))}
	}
	if v := binary.BigEndian.Uint32(hdr[4:]); v>>16 != indexVersionMajor {
		return 0, &IndexError{File: name, Offset: 4, Reason: fmt.Sprintf("unsupported major version %d, want %d", v>>16, indexVersionMajor),
			libkmodSite: siteIndexVersion, libkmodMsg: fmt.Sprintf("major version check fail: %d instead of %d\n", v>>16, indexVersionMajor)}
	}
	return binary.BigEndian.Uint32(hdr[8:]), nil
}

func (m *indexMapping) release() error {
	var err error
	m.once.Do(func() {
		if m.mapped != nil {
			err = rawfile.Unmap(m.mapped)
			m.mapped = nil
		}
	})
	return err
}

// Close releases the file mapping, also for every Index derived through
// WithOrder.
func (ix *Index) Close() error {
	if err := ix.m.release(); err != nil {
		return fmt.Errorf("close module index %s: %w", ix.name, err)
	}
	return nil
}

// Name returns the name the index was opened with.
func (ix *Index) Name() string { return ix.name }

// Order reports which libkmod reader the index imitates.
func (ix *Index) Order() ReaderOrder { return ix.order }

// WithOrder returns an Index over the same memory that imitates the given
// libkmod reader. The default is ReaderMmap.
func (ix *Index) WithOrder(o ReaderOrder) *Index {
	c := *ix
	c.order = o
	return &c
}

// indexNode is a parsed node; value strings stay in the file until asked for.
type indexNode struct {
	off      uint32 // file offset of the node (flags stripped)
	prefix   string
	first    byte
	last     byte
	children []byte // (last-first+1) big-endian offsets
	nvalues  uint32
	valuesAt int  // offset of the first value record
	cut      bool // the child table runs past the end of the file
	mode     readMode
}

// readMode says whose rules a node was read by: Dump and Verify's strict
// ones, or those of the libkmod reader a lookup imitates, which differ on
// damaged files.
type readMode uint8

const (
	readStrict readMode = iota
	readMm
	readStream
)

func (ix *Index) corrupt(off int, format string, args ...any) error {
	return &IndexError{File: ix.name, Offset: int64(off), Reason: fmt.Sprintf(format, args...)}
}

// readNode parses the node at offset (with its flags). ok is false for the
// null offset, which marks absent children and an absent root.
//
// With readMm it reads as index_mm_read_node: an offset past the file, or
// a child range that is reversed or leaves ASCII, is no node; everything
// else is read where the offsets say, into the zeros of the file's last
// page (libkmod faults beyond that page, where we return an error). With
// readStrict all of that is an error, and the value count must fit the
// file.
func (ix *Index) readNode(offset uint32, mode readMode) (n indexNode, ok bool, err error) {
	pos := int(offset & nodeMask)
	if pos == 0 {
		return n, false, nil
	}
	n.off, n.mode = uint32(pos), mode
	lax := mode == readMm
	d := ix.data[:ix.size]
	if lax {
		if pos >= ix.size {
			return n, false, nil
		}
		d = ix.data
	}
	if pos > len(d) {
		return n, false, ix.corrupt(pos, "node beyond end of file (%d bytes)", len(d))
	}
	if offset&nodePrefix != 0 {
		s, next, err := ix.cstringIn(d, pos)
		if err != nil {
			return n, false, err
		}
		n.prefix, pos = s, next
	}
	n.first, n.last = indexChildMax, 0
	if offset&nodeChildren != 0 {
		if len(d)-pos < 2 {
			return n, false, ix.corrupt(pos, "truncated child range")
		}
		first, last := d[pos], d[pos+1]
		if first > last || last >= indexChildMax {
			if lax {
				return n, false, nil
			}
			return n, false, ix.corrupt(pos, "bad child range %#x-%#x", first, last)
		}
		pos += 2
		size := 4 * (int(last) - int(first) + 1)
		n.first, n.last = first, last
		if len(d)-pos < size {
			// A truncated table keeps the entries that are whole; child
			// reads the others as absent, and the node has no values.
			// (libkmod's mmap reader reads on into the zeros of the
			// last page, and faults beyond it: no answer to match.)
			n.children = d[pos : pos+(len(d)-pos)/4*4]
			n.cut = true
			return n, true, nil
		}
		n.children = d[pos : pos+size]
		pos += size
	}
	if offset&nodeValues != 0 {
		if len(d)-pos < 4 {
			return n, false, ix.corrupt(pos, "truncated value count")
		}
		n.nvalues = binary.BigEndian.Uint32(d[pos:])
		pos += 4
		// Each value takes at least 5 bytes; a larger count cannot be
		// honest and must not drive allocations. (libkmod's mmap reader
		// reads the values as it needs them, until it faults.)
		if !lax && uint64(n.nvalues)*5 > uint64(len(d)-pos) {
			return n, false, ix.corrupt(pos-4, "value count %d exceeds file size", n.nvalues)
		}
		n.valuesAt = pos
	}
	return n, true, nil
}

// cstringIn returns the NUL-terminated string at pos within d (the file,
// or the file and its last page) and the offset after it.
func (ix *Index) cstringIn(d []byte, pos int) (string, int, error) {
	end := -1
	if pos < len(d) {
		end = bytes.IndexByte(d[pos:], 0)
	}
	if end < 0 {
		return "", 0, ix.corrupt(pos, "unterminated string")
	}
	return indexBytesString(d[pos : pos+end]), pos + end + 1, nil
}

// lookupNode reads the node at offset as the libkmod 34.2 reader the index
// imitates reads it during a lookup. Where the file is damaged they both
// take a node they cannot use for an absent one, but they differ in what
// they cannot use.
func (ix *Index) lookupNode(offset uint32) (indexNode, bool, error) {
	if ix.order == ReaderStream {
		n, ok := ix.streamNode(offset)
		return n, ok, nil
	}
	return ix.readNode(offset, readMm)
}

// streamNode is index_read, libkmod's stdio reader: the node is read whole
// from the file, and any part the file ends before (a string may end at the
// end of the file instead of a NUL) makes it no node; so does a reversed
// child range.
func (ix *Index) streamNode(offset uint32) (n indexNode, ok bool) {
	pos := int(offset & nodeMask)
	if pos == 0 {
		return n, false
	}
	n.off, n.mode = uint32(pos), readStream
	d := ix.data[:ix.size]
	if offset&nodePrefix != 0 {
		s, next, ok := streamString(d, pos)
		if !ok {
			return n, false
		}
		n.prefix, pos = s, next
	}
	n.first, n.last = indexChildMax, 0
	if offset&nodeChildren != 0 {
		if len(d)-pos < 2 {
			return n, false
		}
		first, last := d[pos], d[pos+1]
		size := 4 * (int(last) - int(first) + 1)
		if first > last || len(d)-pos-2 < size {
			return n, false
		}
		n.first, n.last = first, last
		n.children = d[pos+2 : pos+2+size]
		pos += 2 + size
	}
	if offset&nodeValues != 0 {
		if len(d)-pos < 4 {
			return n, false
		}
		n.nvalues = binary.BigEndian.Uint32(d[pos:])
		pos += 4
		n.valuesAt = pos
		// Every value is read now; each takes 5 bytes at least, so a
		// count the file cannot hold fails within size/5 steps.
		for k := uint32(0); k < n.nvalues; k++ {
			if len(d)-pos < 4 {
				return n, false
			}
			if _, pos, ok = streamString(d, pos+4); !ok {
				return n, false
			}
		}
	}
	return n, true
}

// streamString is getdelim(NUL) at pos: the bytes up to a NUL or the end of
// the file, and none at the end itself.
func streamString(d []byte, pos int) (string, int, bool) {
	if pos >= len(d) {
		return "", pos, false
	}
	i := bytes.IndexByte(d[pos:], 0)
	if i < 0 {
		return indexBytesString(d[pos:]), len(d), true
	}
	return indexBytesString(d[pos : pos+i]), pos + i + 1, true
}

// child returns the offset of n's child labelled c, or 0 (libkmod's
// index_mm_readchild range test).
func (n *indexNode) child(c byte) uint32 {
	if n.children == nil || c < n.first || c > n.last {
		return 0
	}
	i := 4 * int(c-n.first)
	if i+4 > len(n.children) {
		return 0 // cut off by a truncated file: see readNode
	}
	return binary.BigEndian.Uint32(n.children[i:])
}

// valuesN decodes n's first max values.
func (ix *Index) valuesN(n *indexNode, dst []IndexValue, max uint32) ([]IndexValue, error) {
	d := ix.data[:ix.size]
	if n.mode == readMm {
		d = ix.data
	}
	pos := n.valuesAt
	for k := uint32(0); k < min(max, n.nvalues); k++ {
		if len(d)-pos < 4 {
			return dst, ix.corrupt(pos, "truncated value")
		}
		prio := binary.BigEndian.Uint32(d[pos:])
		var s string
		var next int
		if n.mode == readStream {
			s, next, _ = streamString(d, pos+4) // checked by streamNode
		} else {
			var err error
			if s, next, err = ix.cstringIn(d, pos+4); err != nil {
				return dst, err
			}
		}
		dst = append(dst, IndexValue{Value: s, Priority: prio})
		pos = next
	}
	return dst, nil
}

// nodeValues returns n's values in the order the selected libkmod reader
// holds them.
func (ix *Index) nodeValues(n *indexNode, dst []IndexValue, max uint32) ([]IndexValue, error) {
	start := len(dst)
	dst, err := ix.valuesN(n, dst, max)
	if err != nil {
		return dst, err
	}
	if ix.order == ReaderStream {
		kmodValueOrder(dst[start:])
	}
	return dst, nil
}

// kmodValueOrder rearranges values appended in sequence into the order
// libkmod's add_value builds: ascending priority, and among equal priorities
// the last added first.
func kmodValueOrder(v []IndexValue) {
	slices.Reverse(v)
	slices.SortStableFunc(v, func(a, b IndexValue) int {
		switch {
		case a.Priority < b.Priority:
			return -1
		case a.Priority > b.Priority:
			return 1
		}
		return 0
	})
}

// Search looks key up exactly, as libkmod's index_search: it returns the
// first value stored under key. For files depmod wrote that is the lowest
// priority and, among equal priorities, the value inserted last (ReaderMmap)
// or first (ReaderStream). ok is false when the key is absent or has no
// values.
func (ix *Index) Search(key string) (value string, ok bool, err error) {
	key = libc.CString(key)
	n, ok, err := ix.lookupNode(ix.root)
	i := 0
	for ok {
		if len(key)-i < len(n.prefix) || key[i:i+len(n.prefix)] != n.prefix {
			return "", false, nil
		}
		i += len(n.prefix)
		if i == len(key) {
			if n.nvalues == 0 {
				return "", false, nil
			}
			// The mmap reader takes the first value in the file; the
			// stdio reader the first of its re-linked list.
			max := uint32(1)
			if ix.order == ReaderStream {
				max = n.nvalues
			}
			vals, err := ix.nodeValues(&n, nil, max)
			if err != nil {
				return "", false, err
			}
			return strings.Clone(vals[0].Value), true, nil
		}
		n, ok, err = ix.lookupNode(n.child(key[i]))
		i++
	}
	return "", false, err
}

// Lookup is Search with damage treated as absence.
func (ix *Index) Lookup(key string) (value string, ok bool) {
	v, ok, err := ix.Search(key)
	if err != nil {
		return "", false
	}
	return v, ok
}

// LookupWild is SearchWild with damage treated as absence.
func (ix *Index) LookupWild(key string) []IndexValue {
	v, err := ix.SearchWild(key)
	if err != nil {
		return nil
	}
	return v
}

// indexWildSearch carries the state of one SearchWild call.
type indexWildSearch struct {
	ix  *Index
	pat []byte // the wildcard pattern assembled while walking a subtree
	out []IndexValue
	// budget caps node visits per wildcard subtree: a valid trie has fewer
	// nodes than bytes, so running out means shared or cyclic children in
	// a damaged file. The exact descent needs no budget because every step
	// consumes a byte of the key.
	budget int
}

// SearchWild returns every value whose key matches key, where keys stored
// in the index may be fnmatch patterns (libkmod's index_searchwild): the
// query must equal a stored key up to that key's first '*', '?' or '[', and
// Fnmatch must accept the rest. The result is ordered by ascending priority;
// ties keep libkmod's order, which depends on the index's ReaderOrder. Like
// libkmod it can list a value twice, when the query itself contains one of
// those wildcard bytes where a stored key has it.
func (ix *Index) SearchWild(key string) ([]IndexValue, error) {
	key = libc.CString(key)
	s := indexWildSearch{ix: ix}
	if err := s.descend(key); err != nil {
		return nil, err
	}
	if len(s.out) == 0 {
		return nil, nil
	}
	kmodValueOrder(s.out)
	for k := range s.out {
		s.out[k].Value = strings.Clone(s.out[k].Value)
	}
	return s.out, nil
}

func (s *indexWildSearch) visit(offset uint32) (indexNode, bool, error) {
	n, ok, err := s.ix.lookupNode(offset)
	if ok {
		if s.budget--; s.budget < 0 {
			return n, false, s.ix.corrupt(int(n.off), "node visited too often: children shared or cyclic")
		}
	}
	return n, ok, err
}

// descend follows key exactly until the trie offers a wildcard, as
// libkmod's index_searchwild__node.
func (s *indexWildSearch) descend(key string) error {
	n, ok, err := s.ix.lookupNode(s.ix.root)
	i := 0
	for ok {
		for j := 0; j < len(n.prefix); j++ {
			c := n.prefix[j]
			if c == '*' || c == '?' || c == '[' {
				s.pat = s.pat[:0]
				s.budget = s.ix.size + 1
				return s.all(n, j, key[i+j:], 0)
			}
			if i+j >= len(key) || c != key[i+j] {
				return nil
			}
		}
		i += len(n.prefix)

		for _, w := range [...]byte{'*', '?', '['} {
			child, ok, err := s.ix.lookupNode(n.child(w))
			if err != nil {
				return err
			}
			if ok {
				s.pat = append(s.pat[:0], w)
				s.budget = s.ix.size
				if err := s.all(child, 0, key[i:], 1); err != nil {
					return err
				}
			}
		}

		if i == len(key) {
			return s.addValues(&n)
		}
		n, ok, err = s.ix.lookupNode(n.child(key[i]))
		i++
	}
	return err
}

// all walks the subtree under a wildcard, collecting the values of nodes
// whose full pattern matches subkey, as libkmod's index_searchwild__all:
// descendants first, then the node itself.
func (s *indexWildSearch) all(n indexNode, j int, subkey string, depth int) error {
	if depth > maxIndexDepth {
		return s.ix.corrupt(int(n.off), "trie deeper than %d levels", maxIndexDepth)
	}
	mark := len(s.pat)
	s.pat = append(s.pat, n.prefix[j:]...)
	for c := int(n.first); c <= int(n.last); c++ {
		child, ok, err := s.visit(n.child(byte(c)))
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		s.pat = append(s.pat, byte(c))
		if err := s.all(child, 0, subkey, depth+1); err != nil {
			return err
		}
		s.pat = s.pat[:len(s.pat)-1]
	}
	if n.nvalues > 0 && fnmatch(s.pat, subkey) {
		if err := s.addValues(&n); err != nil {
			return err
		}
	}
	s.pat = s.pat[:mark]
	return nil
}

func (s *indexWildSearch) addValues(n *indexNode) error {
	var err error
	s.out, err = s.ix.nodeValues(n, s.out, n.nvalues)
	return err
}

// Dump writes every key and value as "<prefix><key> <value>\n" in trie
// order, as libkmod's index_dump (what modprobe -c prints for the alias and
// symbol indexes with prefix "alias "). On a damaged index it returns an
// *IndexError after writing the lines before the damage.
func (ix *Index) Dump(w io.Writer, prefix string) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	d := indexDumper{ix: ix, w: bw, key: []byte(libc.CString(prefix)), budget: ix.size + 1}
	n, ok, err := ix.readNode(ix.root, readStrict)
	if err == nil && ok {
		err = d.node(&n, 0)
	}
	if ferr := bw.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("dump module index %s: %w", ix.name, ferr)
	}
	return err
}

type indexDumper struct {
	ix     *Index
	w      *bufio.Writer
	key    []byte
	vals   []IndexValue
	budget int
}

func (d *indexDumper) node(n *indexNode, depth int) error {
	if depth > maxIndexDepth {
		return d.ix.corrupt(int(n.off), "trie deeper than %d levels", maxIndexDepth)
	}
	if d.budget--; d.budget < 0 {
		return d.ix.corrupt(int(n.off), "node visited too often: children shared or cyclic")
	}
	if n.cut {
		// Lookups make do with what is left (see readNode); a walk of the
		// whole index must report it.
		return d.ix.corrupt(int(n.off), "truncated child table")
	}
	mark := len(d.key)
	d.key = append(d.key, n.prefix...)
	if n.nvalues > 0 {
		var err error
		d.vals, err = d.ix.nodeValues(n, d.vals[:0], n.nvalues)
		if err != nil {
			return err
		}
		for _, v := range d.vals {
			d.w.Write(d.key)
			d.w.WriteByte(' ')
			d.w.WriteString(v.Value)
			if err := d.w.WriteByte('\n'); err != nil {
				return fmt.Errorf("dump module index %s: %w", d.ix.name, err)
			}
		}
	}
	for c := int(n.first); c <= int(n.last); c++ {
		child, ok, err := d.ix.readNode(n.child(byte(c)), readStrict)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		d.key = append(d.key, byte(c))
		if err := d.node(&child, depth+1); err != nil {
			return err
		}
		d.key = d.key[:len(d.key)-1]
	}
	d.key = d.key[:mark]
	return nil
}

// Verify walks the whole index and reports the first structural problem:
// offsets or strings running past the end, bad child ranges, or children
// shared between nodes. libkmod never checks; callers that want to warn
// "run depmod" can.
func (ix *Index) Verify() error {
	return ix.Dump(io.Discard, "")
}

// indexBytesString views index bytes as a string without copying; everything
// handed to callers is cloned first, so nothing outlives a Close.
func indexBytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
