package moddep

import (
	"iter"
	"math/bits"
	"slices"
	"strings"
)

// KmodHash is a string-keyed table that iterates in exactly the order of
// kmod's shared/hash.c. depmod writes several files (modules.symbols, and
// the module numbering behind every index priority) by walking such tables,
// so reproducing kmod's output byte for byte needs its iteration order, not
// just its contents.
//
// kmod hashes the key with Paul Hsieh's SuperFastHash, picks bucket
// hash & (n-1), and keeps each bucket sorted by strcmp; iteration walks
// buckets in index order. Keys are C strings: they must not contain NUL.
// The zero value is not usable; call NewKmodHash. A KmodHash must not be
// modified during iteration and is not safe for concurrent use.
type KmodHash[V any] struct {
	buckets [][]kmodHashEntry[V]
	count   int
}

type kmodHashEntry[V any] struct {
	key string
	val V
}

// NewKmodHash returns a table with nBuckets rounded up to a power of two,
// as kmod's hash_new(nBuckets, ...). depmod uses 512 buckets for modules
// and 2048 for symbols.
func NewKmodHash[V any](nBuckets uint32) *KmodHash[V] {
	return &KmodHash[V]{buckets: make([][]kmodHashEntry[V], kmodHashBuckets(nBuckets))}
}

// kmodHashBuckets is kmod's ALIGN_POWER2, 1 << (32 - clz(n-1)). For n of 0,
// 1 and above 1<<31 that expression is undefined in C; these are the values
// GCC's x86 code yields (clz(0) behaves as 31 and shift counts wrap).
func kmodHashBuckets(n uint32) uint {
	switch {
	case n == 0 || n > 1<<31:
		return 1
	case n == 1:
		return 2
	}
	return 1 << (32 - bits.LeadingZeros32(n-1))
}

func (h *KmodHash[V]) bucket(key string) *[]kmodHashEntry[V] {
	return &h.buckets[kmodHashSum(key)&uint32(len(h.buckets)-1)]
}

func kmodHashSearch[V any](b []kmodHashEntry[V], key string) (int, bool) {
	return slices.BinarySearchFunc(b, key, func(e kmodHashEntry[V], k string) int {
		return strings.Compare(e.key, k)
	})
}

// Add stores v under key, replacing any previous value, as kmod's hash_add.
// It reports whether a value was replaced.
func (h *KmodHash[V]) Add(key string, v V) (replaced bool) {
	b := h.bucket(key)
	i, found := kmodHashSearch(*b, key)
	if found {
		(*b)[i] = kmodHashEntry[V]{key, v}
		return true
	}
	*b = slices.Insert(*b, i, kmodHashEntry[V]{key, v})
	h.count++
	return false
}

// AddUnique stores v under key unless key is present, as kmod's
// hash_add_unique (which fails with -EEXIST). It reports whether v was
// stored.
func (h *KmodHash[V]) AddUnique(key string, v V) bool {
	b := h.bucket(key)
	i, found := kmodHashSearch(*b, key)
	if found {
		return false
	}
	*b = slices.Insert(*b, i, kmodHashEntry[V]{key, v})
	h.count++
	return true
}

// Find returns the value stored under key.
func (h *KmodHash[V]) Find(key string) (V, bool) {
	b := *h.bucket(key)
	if i, found := kmodHashSearch(b, key); found {
		return b[i].val, true
	}
	var zero V
	return zero, false
}

// Del removes key, reporting whether it was present (kmod's hash_del).
func (h *KmodHash[V]) Del(key string) bool {
	b := h.bucket(key)
	i, found := kmodHashSearch(*b, key)
	if !found {
		return false
	}
	*b = slices.Delete(*b, i, i+1)
	h.count--
	return true
}

// Len returns the number of keys (kmod's hash_get_count).
func (h *KmodHash[V]) Len() int { return h.count }

// Each calls fn for every entry in kmod's iteration order until fn returns
// false.
func (h *KmodHash[V]) Each(fn func(key string, v V) bool) {
	for _, b := range h.buckets {
		for _, e := range b {
			if !fn(e.key, e.val) {
				return
			}
		}
	}
}

// All iterates over the entries in kmod's iteration order.
func (h *KmodHash[V]) All() iter.Seq2[string, V] {
	return h.Each
}
