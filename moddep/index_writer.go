package moddep

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strings"
)

// IndexWriter builds the prefix-compressed trie kmod's depmod writes to its
// modules.*.bin files, byte for byte as tools/depmod.c's index_insert and
// index_write make it from the same sequence of inserts. The zero value is
// not usable; call NewIndexWriter. An IndexWriter is not safe for
// concurrent use.
//
// It builds no trie. kmod's trie holds one node for the root, for each
// point where keys branch and for each key's end, each node's prefix
// running to the next such point: it is the radix tree of the set of
// keys, whatever order they came in. Only the order of a key's values
// depends on the inserts (ascending priority, the most recently inserted
// first among equals). So Insert only records, and MarshalBinary sorts
// the entries and writes the tree's nodes in pre-order straight from the
// sorted keys: each node's prefix is what the first and the last key of
// its range share, its children the runs of keys with the same next byte.
// A depmod run inserts some 50,000 entries; the trie's nodes and their
// child tables were most of its encoding time.
type IndexWriter struct {
	entries []indexEntry
	// seen holds every key and value inserted, made by the first Insert:
	// Add, which does not report duplicates, does without it.
	seen map[indexPair]struct{}
	// size estimates the encoded file so MarshalBinary allocates once.
	size int
}

type indexEntry struct {
	key, value string
	priority   uint32
	seq        uint32 // insertion order, which w.entries keeps
}

type indexPair struct{ key, value string }

// NewIndexWriter returns an empty index.
func NewIndexWriter() *IndexWriter { return &IndexWriter{} }

// Grow makes room for n more inserts.
func (w *IndexWriter) Grow(n int) { w.entries = slices.Grow(w.entries, n) }

// Len reports how many values have been inserted, duplicates included.
func (w *IndexWriter) Len() int { return len(w.entries) }

// checkIndexString enforces kmod's index__checkstring rule. kmod means to
// abort on bytes >= 0x80, but on signed-char platforms the check never fires
// and such bytes index outside the child array; refusing them is the only
// safe reading. NUL is refused because kmod's strings cannot contain it.
func checkIndexString(what, s string) error {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == 0 || c >= indexChildMax {
			return fmt.Errorf("module index: bad character %#x in %s %q: only 7-bit ASCII is supported", c, what, s)
		}
	}
	return nil
}

// Insert adds value under key with the given priority, as kmod's
// index_insert. Like kmod it never drops anything: a value already present
// under key is stored again and reported through duplicate, which depmod
// turns into a warning under -w.
//
// Keys and values must be 7-bit ASCII without NUL (kmod's
// index__checkstring); otherwise Insert returns an error and leaves the
// index unchanged.
func (w *IndexWriter) Insert(key, value string, priority uint32) (duplicate bool, err error) {
	if w.seen == nil {
		w.seen = make(map[indexPair]struct{}, len(w.entries)+64)
		for _, e := range w.entries {
			w.seen[indexPair{e.key, e.value}] = struct{}{}
		}
	}
	if err := w.add(key, value, priority); err != nil {
		return false, err
	}
	p := indexPair{key, value}
	_, duplicate = w.seen[p]
	w.seen[p] = struct{}{}
	return duplicate, nil
}

// Add is Insert without telling duplicates, which costs a map.
func (w *IndexWriter) Add(key, value string, priority uint32) error {
	if err := w.add(key, value, priority); err != nil {
		return err
	}
	if w.seen != nil {
		w.seen[indexPair{key, value}] = struct{}{}
	}
	return nil
}

func (w *IndexWriter) add(key, value string, priority uint32) error {
	if err := checkIndexString("key", key); err != nil {
		return err
	}
	if err := checkIndexString("value", value); err != nil {
		return err
	}
	w.entries = append(w.entries, indexEntry{key, value, priority, uint32(len(w.entries))})
	// A node per key at most: its prefix and NUL, a two-byte child
	// range, a value count, and the value with its priority and NUL.
	w.size += len(key) + 1 + 2 + 4 + 4 + len(value) + 1
	return nil
}

// MarshalBinary encodes the index exactly as kmod 34's index_write: header,
// then nodes in pre-order (each node before its children, children in label
// order). kmod 30 wrote post-order; both layouts address nodes by offset, so
// every reader reads both (kmod's and ours).
func (w *IndexWriter) MarshalBinary() ([]byte, error) {
	ents := w.sorted()
	// Child tables also cover absent labels between the first and last,
	// which the estimate leaves out; a quarter again covers kmod's files.
	buf := make([]byte, indexHeaderSize, indexHeaderSize+w.size+w.size/4)
	binary.BigEndian.PutUint32(buf[0:], indexMagic)
	binary.BigEndian.PutUint32(buf[4:], indexVersion)
	enc := indexEncoder{buf: buf}
	// The root's prefix is empty whatever its keys share: kmod starts
	// from an empty root and never splits it.
	binary.BigEndian.PutUint32(enc.buf[8:], uint32(indexHeaderSize)|enc.mask(ents, 0, 0))
	if err := enc.node(ents, 0, 0); err != nil {
		return nil, err
	}
	return enc.buf, nil
}

// sorted returns the entries with their keys in byte order, which is the
// pre-order of the tree (children by label), and a key's values by
// ascending priority, newest first. What is sorted is a small item per
// entry, sixteen bytes of its key as two numbers (past what all keys
// share, "symbol:" in modules.symbols.bin) and the entry's index: sorting
// the entries themselves moved strings, each move a write the collector
// watches, and compared whole keys most of the time.
func (w *IndexWriter) sorted() []indexEntry {
	if len(w.entries) == 0 {
		return nil
	}
	common := w.entries[0].key
	for _, e := range w.entries[1:] {
		n := 0
		for n < len(common) && n < len(e.key) && common[n] == e.key[n] {
			n++
		}
		common = common[:n]
	}
	skip := len(common)
	type item struct {
		hi, lo uint64
		i      uint32
	}
	items := make([]item, len(w.entries))
	for i, e := range w.entries {
		var b [16]byte
		copy(b[:], e.key[skip:])
		// Keys hold no NUL, so a short key's zero padding sorts it
		// before the longer keys it begins, and two keys whose numbers
		// are equal are either both longer than them or the same.
		items[i] = item{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:]), uint32(i)}
	}
	rest := func(k string) string { return k[min(len(k), skip+16):] }
	slices.SortFunc(items, func(x, y item) int {
		if x.hi != y.hi {
			return cmp.Compare(x.hi, y.hi)
		}
		if x.lo != y.lo {
			return cmp.Compare(x.lo, y.lo)
		}
		a, b := &w.entries[x.i], &w.entries[y.i]
		if c := strings.Compare(rest(a.key), rest(b.key)); c != 0 {
			return c
		}
		if c := cmp.Compare(a.priority, b.priority); c != 0 {
			return c
		}
		return cmp.Compare(b.seq, a.seq)
	})
	out := make([]indexEntry, len(items))
	for k, it := range items {
		out[k] = w.entries[it.i]
	}
	return out
}

// WriteTo writes the encoded index to out. The file is assembled in memory
// first: each child table is filled in once its children are placed, and
// one large Write beats any buffered stream of small ones.
func (w *IndexWriter) WriteTo(out io.Writer) (int64, error) {
	b, err := w.MarshalBinary()
	if err != nil {
		return 0, err
	}
	n, err := out.Write(b)
	if err != nil {
		return int64(n), fmt.Errorf("write module index: %w", err)
	}
	return int64(n), nil
}

type indexEncoder struct {
	buf []byte
}

// prefixLen is the length of the prefix of the node that holds ents, all
// of whose keys share their first depth bytes: what the first and last
// of them (in byte order) share beyond those.
func prefixLen(ents []indexEntry, depth int) int {
	a, b := ents[0].key[depth:], ents[len(ents)-1].key[depth:]
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

// mask is the flags a reference to the node holding ents carries in its
// offset word; plen is its prefix's length.
func (e *indexEncoder) mask(ents []indexEntry, depth, plen int) uint32 {
	if len(ents) == 0 {
		return 0
	}
	var m uint32
	if plen > 0 {
		m |= nodePrefix
	}
	end := depth + plen
	// A key that ends at the node sorts first; any other goes on.
	if len(ents[0].key) == end {
		m |= nodeValues
	}
	if len(ents[len(ents)-1].key) > end {
		m |= nodeChildren
	}
	return m
}

// node appends the node holding ents (keys sharing their first depth
// bytes, the node's prefix plen bytes beyond them) at the end of the
// buffer, then its children one after another, patching each child's
// offset into its table as it is placed: the same bytes kmod gets by
// sizing every subtree first.
func (e *indexEncoder) node(ents []indexEntry, depth, plen int) error {
	if len(e.buf) > nodeMask {
		return fmt.Errorf("module index: %d bytes exceed the format's 28-bit node offsets", len(e.buf))
	}
	if len(ents) == 0 {
		return nil
	}
	end := depth + plen
	nvals := 0
	for nvals < len(ents) && len(ents[nvals].key) == end {
		nvals++
	}
	kids := ents[nvals:]
	b := e.buf
	if plen > 0 {
		b = append(b, ents[0].key[depth:end]...)
		b = append(b, 0)
	}
	table := -1
	var first byte
	if len(kids) > 0 {
		first = kids[0].key[end]
		last := kids[len(kids)-1].key[end]
		b = append(b, first, last)
		table = len(b)
		b = append(b, make([]byte, 4*(int(last)-int(first)+1))...)
	}
	if nvals > 0 {
		b = binary.BigEndian.AppendUint32(b, uint32(nvals))
		for _, v := range ents[:nvals] {
			b = binary.BigEndian.AppendUint32(b, v.priority)
			b = append(b, v.value...)
			b = append(b, 0)
		}
	}
	e.buf = b
	for len(kids) > 0 {
		label := kids[0].key[end]
		n := 1
		for n < len(kids) && kids[n].key[end] == label {
			n++
		}
		kid := kids[:n]
		kids = kids[n:]
		kplen := prefixLen(kid, end+1)
		off := uint32(len(e.buf)) | e.mask(kid, end+1, kplen)
		binary.BigEndian.PutUint32(e.buf[table+4*int(label-first):], off)
		if err := e.node(kid, end+1, kplen); err != nil {
			return err
		}
	}
	return nil
}
