package moddep

import (
	"slices"
	"strings"
)

// sortKmodHashOrder sorts items into the order kmod's hash table of
// nBuckets buckets iterates them: by bucket, then by key within a bucket.
// It is the order of kmod's table holding the same keys (the tests build
// one), computed with one sort instead of by building the table.
func sortKmodHashOrder[T any](items []T, nBuckets uint32, key func(T) string) {
	type keyed struct {
		bucket uint32
		key    string
		item   T
	}
	ks := make([]keyed, len(items))
	for i, it := range items {
		k := key(it)
		ks[i] = keyed{kmodHashSum(k) & (nBuckets - 1), k, it}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		if a.bucket != b.bucket {
			return int(a.bucket) - int(b.bucket)
		}
		return strings.Compare(a.key, b.key)
	})
	for i := range ks {
		items[i] = ks[i].item
	}
}
