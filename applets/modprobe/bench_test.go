package modprobe

import (
	"testing"

	"github.com/modutils/modutils/internal/benchcmp"
	"github.com/modutils/modutils/internal/debtree"
)

// BenchmarkModprobe compares single invocations with kmod's modprobe on
// Debian's tree: -D of a module with dependencies and softdeps, and -R of
// a PCI modalias, which walks the wildcard aliases.
func BenchmarkModprobe(b *testing.B) {
	ours := benchcmp.Binary(b)
	kmod := debtree.Kmod(b, "modprobe")
	moddir := debtree.KmodIndexes(b, kmodTreeRoot)
	root, version := rootOf(moddir)
	conf := b.TempDir()
	for _, q := range []struct{ name, mode, arg string }{
		{"show-depends", "-D", "btrfs"},
		{"resolve-pci-alias", "-R", "pci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00"},
	} {
		args := []string{"-C", conf, "-d", root, "-S", version, q.mode, q.arg}
		b.Run(q.name, func(b *testing.B) {
			benchcmp.Compare(b, 50,
				func() benchcmp.Sample { return benchcmp.Run(b, kmod, args...) },
				func() benchcmp.Sample { return benchcmp.Run(b, ours, append([]string{"modprobe"}, args...)...) })
		})
	}
}
