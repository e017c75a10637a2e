package depmod

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/modutils/modutils/internal/benchcmp"
	"github.com/modutils/modutils/internal/debtree"
	"github.com/modutils/modutils/moddep/modcache"
)

// BenchmarkDepmodWarm compares depmod over Debian 13's .ko.xz tree with
// kmod 34.2's (which has no cache, so its every run is cold) when our
// module cache holds the tree already: the tree unchanged; the tree with
// one module added (a module of Debian 12's in updates/dkms, as DKMS
// installs one: the cache is put back before each run, so the module is
// new each time); and a copy of every third module under another root,
// as initramfs-tools' depmod -b DESTDIR reads it.
func BenchmarkDepmodWarm(b *testing.B) {
	ours := benchcmp.Binary(b)
	kmod := debtree.Kmod(b, "depmod")
	tree := debtree.Trixie(b)
	dir := filepath.Join(b.TempDir(), "cache")
	if err := os.Mkdir(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	b.Setenv(modcache.EnvVar, dir)
	fill := debtree.View(b, tree)
	benchcmp.Run(b, ours, "depmod", "-b", fill.Root, tree.Version)
	filled, err := os.ReadFile(filepath.Join(dir, modcache.FileName))
	if err != nil {
		b.Fatal(err)
	}
	restore := func() {
		if err := os.WriteFile(filepath.Join(dir, modcache.FileName), filled, 0o644); err != nil {
			b.Fatal(err)
		}
	}

	b.Run("unchanged", func(b *testing.B) {
		kv, ov := debtree.View(b, tree), debtree.View(b, tree)
		benchcmp.Compare(b, 5,
			func() benchcmp.Sample { return benchcmp.Run(b, kmod, "-b", kv.Root, tree.Version) },
			func() benchcmp.Sample { return benchcmp.Run(b, ours, "depmod", "-b", ov.Root, tree.Version) })
	})
	b.Run("one-added", func(b *testing.B) {
		data, err := os.ReadFile(filepath.Join(debtree.Get(b, "ko.xz").ModDir(), "kernel/drivers/net/dummy.ko.xz"))
		if err != nil {
			b.Fatal(err)
		}
		kv, ov := debtree.View(b, tree), debtree.View(b, tree)
		for _, v := range []debtree.Tree{kv, ov} {
			d := filepath.Join(v.ModDir(), "updates/dkms")
			if err := os.MkdirAll(d, 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(d, "dummy.ko.xz"), data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
		benchcmp.Compare(b, 5,
			func() benchcmp.Sample { return benchcmp.Run(b, kmod, "-b", kv.Root, tree.Version) },
			func() benchcmp.Sample {
				restore()
				return benchcmp.Run(b, ours, "depmod", "-b", ov.Root, tree.Version)
			})
	})
	b.Run("subset-copy", func(b *testing.B) {
		restore()
		sub := subsetCopy(b, tree, 3)
		benchcmp.Compare(b, 5,
			func() benchcmp.Sample { return benchcmp.Run(b, kmod, "-b", sub.kmod, tree.Version) },
			func() benchcmp.Sample { return benchcmp.Run(b, ours, "depmod", "-b", sub.ours, tree.Version) })
	})
}
