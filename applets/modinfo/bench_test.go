package modinfo

import (
	"testing"

	"github.com/modutils/modutils/internal/benchcmp"
	"github.com/modutils/modutils/internal/debtree"
	"github.com/modutils/modutils/moddep/modcache"
)

// BenchmarkModinfo compares single invocations with kmod's modinfo on
// Debian's tree: a module by name (a signed one, so the signature is
// parsed too) and by alias.
func BenchmarkModinfo(b *testing.B) {
	ours := benchcmp.Binary(b)
	b.Setenv(modcache.EnvVar, "off") // cold: BenchmarkModinfoXZ/warm is the cache's
	kmod := debtree.Kmod(b, "modinfo")
	v := indexedView(b, "ko")
	for _, q := range []struct{ name, arg string }{
		{"name", "btrfs"},
		{"alias", "fs-xfs"},
	} {
		args := []string{"-b", v.Root, "-k", v.Version, q.arg}
		b.Run(q.name, func(b *testing.B) {
			benchcmp.Compare(b, 50,
				func() benchcmp.Sample { return benchcmp.Run(b, kmod, args...) },
				func() benchcmp.Sample { return benchcmp.Run(b, ours, append([]string{"modinfo"}, args...)...) })
		})
	}
}
