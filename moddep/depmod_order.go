package moddep

import (
	"slices"
	"strings"
)

// sortKmodHashOrder sorts items into the order kmod's hash table of
// nBuckets buckets iterates them: by bucket, then by key within a bucket.
// It is the order of kmod's table holding the same keys (the tests build
// one), computed by placing each item in its bucket (a counting sort)
// and sorting the few keys of each bucket, instead of by building the
// table or sorting all the keys at once.
func sortKmodHashOrder[T any](items []T, nBuckets uint32, key func(T) string) {
	type keyed struct {
		key  string
		item T
	}
	bucket := make([]uint32, len(items))
	// start[b] is where bucket b begins; start[b+1] counts it first.
	start := make([]int, nBuckets+1)
	for i, it := range items {
		b := kmodHashSum(key(it)) & (nBuckets - 1)
		bucket[i] = b
		start[b+1]++
	}
	for b := uint32(1); b <= nBuckets; b++ {
		start[b] += start[b-1]
	}
	next := slices.Clone(start[:nBuckets])
	ks := make([]keyed, len(items))
	for i, it := range items {
		b := bucket[i]
		ks[next[b]] = keyed{key(it), it}
		next[b]++
	}
	for b := uint32(0); b < nBuckets; b++ {
		if in := ks[start[b]:start[b+1]]; len(in) > 1 {
			slices.SortFunc(in, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
		}
	}
	for i := range ks {
		items[i] = ks[i].item
	}
}
