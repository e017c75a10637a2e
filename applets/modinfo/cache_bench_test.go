package modinfo

import (
	"path/filepath"
	"testing"

	"github.com/modutils/modutils/internal/benchcmp"
	"github.com/modutils/modutils/internal/debtree"
	"github.com/modutils/modutils/moddep/modcache"
)

// BenchmarkModinfoXZ compares modinfo of a module of Debian 13's .ko.xz
// tree (btrfs, signed, by name) with kmod 34.2's: cold, with the module
// cache off, and warm, from the record depmod left in the cache.
func BenchmarkModinfoXZ(b *testing.B) {
	ours := benchcmp.Binary(b)
	kmod := debtree.Kmod(b, "modinfo")
	v := indexedView(b, "deb13.ko.xz")
	args := []string{"-b", v.Root, "-k", v.Version, "btrfs"}
	// The binary fills the cache with its depmod: a cache is read only by
	// the build that wrote it, and the test binary is another build.
	warmDir := filepath.Join(b.TempDir(), "cache")
	b.Setenv(modcache.EnvVar, warmDir)
	fill := debtree.View(b, debtree.Trixie(b))
	benchcmp.Run(b, ours, "depmod", "-b", fill.Root, fill.Version)
	for _, c := range []struct{ name, cache string }{{"cold", "off"}, {"warm", warmDir}} {
		b.Run(c.name, func(b *testing.B) {
			b.Setenv(modcache.EnvVar, c.cache)
			benchcmp.Compare(b, 20,
				func() benchcmp.Sample { return benchcmp.Run(b, kmod, args...) },
				func() benchcmp.Sample { return benchcmp.Run(b, ours, append([]string{"modinfo"}, args...)...) })
		})
	}
}
