package moddep

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
)

// trieWriter is the index writer depmod used before IndexWriter: a port
// of kmod's index_insert, which builds the trie node by node, and its
// index_write. It stays as the oracle IndexWriter's output is checked
// against (FuzzIndexWriterTrie; TestKmodTreeRebuild checks IndexWriter
// against kmod's own files). It mirrors tools/depmod.c closely enough
// that the same sequence of Insert calls gives a byte-identical file. The
// zero value is not usable; call newTrieWriter.
type trieWriter struct {
	root *trieNode
	// slab hands out nodes in chunks: a full depmod run creates hundreds
	// of thousands of them, and per-node allocations dominated profiles.
	slab []trieNode
	// Most nodes hold one value and one child; these slabs back those
	// one-element slices (capped, so growing them reallocates).
	valSlab  []IndexValue
	kidSlab  []*trieNode
	byteSlab []byte
	values   int
	// size estimates the encoded file so MarshalBinary allocates once.
	size int
}

// trieNode is one trie node. Children are kept as parallel slices sorted by
// edge label instead of kmod's 128-pointer array, which would cost 1 KiB per
// node; the encoding only needs them in label order.
type trieNode struct {
	prefix string
	// values are ordered as kmod's linked list: ascending priority, and
	// among equal priorities the most recently inserted first.
	values []IndexValue
	labels []byte
	kids   []*trieNode
}

// newTrieWriter returns an empty index.
func newTrieWriter() *trieWriter {
	w := &trieWriter{}
	w.root = w.alloc()
	return w
}

func (w *trieWriter) alloc() *trieNode {
	if len(w.slab) == cap(w.slab) {
		w.slab = make([]trieNode, 0, 1024)
	}
	w.slab = w.slab[:len(w.slab)+1]
	return &w.slab[len(w.slab)-1]
}

func (w *trieWriter) oneValue(v IndexValue) []IndexValue {
	if len(w.valSlab) == cap(w.valSlab) {
		w.valSlab = make([]IndexValue, 0, 1024)
	}
	w.valSlab = append(w.valSlab, v)
	k := len(w.valSlab)
	return w.valSlab[k-1 : k : k]
}

func (w *trieWriter) oneKid(label byte, kid *trieNode) ([]byte, []*trieNode) {
	if len(w.kidSlab) == cap(w.kidSlab) {
		w.kidSlab = make([]*trieNode, 0, 1024)
		w.byteSlab = make([]byte, 0, 1024)
	}
	w.kidSlab = append(w.kidSlab, kid)
	w.byteSlab = append(w.byteSlab, label)
	k := len(w.kidSlab)
	return w.byteSlab[k-1 : k : k], w.kidSlab[k-1 : k : k]
}

// Len reports how many values have been inserted, duplicates included.
func (w *trieWriter) Len() int { return w.values }

// Insert adds value under key with the given priority, as kmod's
// index_insert. Like kmod it never drops anything: a value already present
// under key is stored again and reported through duplicate, which depmod
// turns into a warning under -w.
//
// Keys and values must be 7-bit ASCII without NUL (kmod's
// index__checkstring); otherwise Insert returns an error and leaves the
// index unchanged.
func (w *trieWriter) Insert(key, value string, priority uint32) (duplicate bool, err error) {
	if err := checkIndexString("key", key); err != nil {
		return false, err
	}
	if err := checkIndexString("value", value); err != nil {
		return false, err
	}
	w.values++
	w.size += 4 + len(value) + 1

	n := w.root
	i := 0
	for {
		// Make n.prefix a prefix of key[i:], splitting n where they
		// diverge: the parent keeps prefix[:j] and the old contents move
		// to a child labelled prefix[j].
		if !strings.HasPrefix(key[i:], n.prefix) {
			j := 0
			for i+j < len(key) && n.prefix[j] == key[i+j] {
				j++
			}
			child := w.alloc()
			*child = *n
			child.prefix = n.prefix[j+1:]
			n.labels, n.kids = w.oneKid(n.prefix[j], child)
			n.prefix = n.prefix[:j]
			n.values = nil
			w.size += 2 + 4 + 4 // new child array and the child's values header
		}
		i += len(n.prefix)

		if i == len(key) {
			if len(n.values) == 0 {
				w.size += 4
			}
			return n.addValue(value, priority), nil
		}

		ch := key[i]
		pos, found := n.childPos(ch)
		if !found {
			child := w.alloc()
			child.prefix = key[i+1:]
			child.values = w.oneValue(IndexValue{Value: value, Priority: priority})
			if len(n.labels) == 0 {
				n.labels, n.kids = w.oneKid(ch, child)
				w.size += len(child.prefix) + 1 + 4 + 4 + 2
				return false, nil
			}
			n.labels = append(n.labels, 0)
			copy(n.labels[pos+1:], n.labels[pos:])
			n.labels[pos] = ch
			n.kids = append(n.kids, nil)
			copy(n.kids[pos+1:], n.kids[pos:])
			n.kids[pos] = child
			w.size += len(child.prefix) + 1 + 4 + 4 + 2
			return false, nil
		}
		n = n.kids[pos]
		i++
	}
}

// childPos finds the slot for label c in n's sorted labels.
func (n *trieNode) childPos(c byte) (int, bool) {
	lo, hi := 0, len(n.labels)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if n.labels[m] < c {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(n.labels) && n.labels[lo] == c
}

// addValue reproduces kmod's index_add_value: the new value goes before the
// first one whose priority is not lower, so equal priorities end up in
// reverse insertion order.
func (n *trieNode) addValue(value string, priority uint32) (duplicate bool) {
	pos := -1
	for k, v := range n.values {
		if v.Value == value {
			duplicate = true
		}
		if pos < 0 && v.Priority >= priority {
			pos = k
		}
	}
	if pos < 0 {
		pos = len(n.values)
	}
	n.values = append(n.values, IndexValue{})
	copy(n.values[pos+1:], n.values[pos:])
	n.values[pos] = IndexValue{Value: value, Priority: priority}
	return duplicate
}

// MarshalBinary encodes the index exactly as kmod 34's index_write: header,
// then nodes in pre-order (each node before its children, children in label
// order). kmod 30 wrote post-order; both layouts address nodes by offset, so
// every reader reads both (kmod's and ours).
func (w *trieWriter) MarshalBinary() ([]byte, error) {
	// Child tables also cover absent labels between the first and last,
	// which the running size leaves out; half again covers kmod's files.
	buf := make([]byte, indexHeaderSize, indexHeaderSize+w.size+w.size/2)
	binary.BigEndian.PutUint32(buf[0:], indexMagic)
	binary.BigEndian.PutUint32(buf[4:], indexVersion)
	enc := trieEncoder{buf: buf}
	binary.BigEndian.PutUint32(enc.buf[8:], uint32(indexHeaderSize)|w.root.mask())
	if err := enc.node(w.root); err != nil {
		return nil, err
	}
	return enc.buf, nil
}

type trieEncoder struct {
	buf []byte
}

// mask is the flags a reference to n carries in its offset word.
func (n *trieNode) mask() uint32 {
	var m uint32
	if n.prefix != "" {
		m |= nodePrefix
	}
	if len(n.kids) > 0 {
		m |= nodeChildren
	}
	if len(n.values) > 0 {
		m |= nodeValues
	}
	return m
}

// node appends n at the end of the buffer, then its children one after
// another, patching each child's offset into n's table as it is placed:
// the same bytes kmod gets by sizing every subtree first.
func (e *trieEncoder) node(n *trieNode) error {
	if len(e.buf) > nodeMask {
		return fmt.Errorf("module index: %d bytes exceed the format's 28-bit node offsets", len(e.buf))
	}
	b := e.buf
	if n.prefix != "" {
		b = append(b, n.prefix...)
		b = append(b, 0)
	}
	table := -1
	if len(n.kids) > 0 {
		first, last := n.labels[0], n.labels[len(n.labels)-1]
		b = append(b, first, last)
		table = len(b)
		for c := int(first); c <= int(last); c++ {
			b = append(b, 0, 0, 0, 0)
		}
	}
	if len(n.values) > 0 {
		b = binary.BigEndian.AppendUint32(b, uint32(len(n.values)))
		for _, v := range n.values {
			b = binary.BigEndian.AppendUint32(b, v.Priority)
			b = append(b, v.Value...)
			b = append(b, 0)
		}
	}
	e.buf = b
	if table < 0 {
		return nil
	}
	first := n.labels[0]
	for k, kid := range n.kids {
		off := uint32(len(e.buf)) | kid.mask()
		binary.BigEndian.PutUint32(e.buf[table+4*int(n.labels[k]-first):], off)
		if err := e.node(kid); err != nil {
			return err
		}
	}
	return nil
}

// FuzzIndexWriterTrie writes arbitrary inserts with IndexWriter and with
// the trie it replaced: the same duplicates reported, the same errors,
// the same bytes.
func FuzzIndexWriterTrie(f *testing.F) {
	f.Add("pci:v*d* e1000e\npci:v*d* igb\nfs-ext4 ext4\n\nabc x\nab y\nabd z", uint8(3))
	f.Add("k a\nk b\nk a", uint8(1))
	f.Add("a 1\nb 2\nab 3\n 4\nabc 5\nabd 6\nab 7\nb\x80 8", uint8(2))
	f.Fuzz(func(t *testing.T, script string, prios uint8) {
		w, old := NewIndexWriter(), newTrieWriter()
		for i, line := range strings.Split(script, "\n") {
			key, value, _ := strings.Cut(line, " ")
			prio := uint32(i) % (uint32(prios%4) + 1)
			dup, err := w.Insert(key, value, prio)
			odup, oerr := old.Insert(key, value, prio)
			if dup != odup || (err == nil) != (oerr == nil) {
				t.Fatalf("Insert(%q, %q, %d) = %v, %v; the trie's %v, %v", key, value, prio, dup, err, odup, oerr)
			}
		}
		got, err := w.MarshalBinary()
		want, oerr := old.MarshalBinary()
		if err != nil || oerr != nil {
			t.Fatalf("MarshalBinary: %v; the trie's %v", err, oerr)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("bytes differ from the trie's:\n got %q\nwant %q", got, want)
		}
	})
}
