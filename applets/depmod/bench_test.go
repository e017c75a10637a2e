package depmod

import (
	"testing"

	"github.com/modutils/modutils/internal/benchcmp"
	"github.com/modutils/modutils/internal/debtree"
	"github.com/modutils/modutils/moddep/modcache"
)

// BenchmarkDepmod runs kmod's depmod and ours in turn on each tree and
// reports our wall time and peak memory as ratios of kmod's (lower is
// better for us), with the medians behind them.
func BenchmarkDepmod(b *testing.B) {
	ours := benchcmp.Binary(b)
	b.Setenv(modcache.EnvVar, "off") // cold: BenchmarkDepmodWarm is the cache's
	for _, flavour := range []string{"ko", "ko.zst", "ko.xz"} {
		b.Run(flavour, func(b *testing.B) {
			tree := debtree.Get(b, flavour)
			kmod := debtree.Kmod(b, "depmod")
			kv, ov := debtree.View(b, tree), debtree.View(b, tree)
			benchcmp.Compare(b, 1,
				func() benchcmp.Sample { return benchcmp.Run(b, kmod, "-b", kv.Root, tree.Version) },
				func() benchcmp.Sample { return benchcmp.Run(b, ours, "depmod", "-b", ov.Root, tree.Version) })
		})
	}
}
