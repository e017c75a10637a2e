package depmod

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/modutils/modutils/internal/debtree"
)

// ourBinary is the binary make builds; the benchmark runs it as a
// process, as kmod's depmod runs, so that start-up counts for both.
func ourBinary(b *testing.B) string {
	p, err := filepath.Abs("../../modutils")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		b.Fatalf("%s: run make first", p)
	}
	return p
}

type sample struct {
	wall time.Duration
	rss  int64 // peak resident set, KiB
}

func measure(b *testing.B, argv0, path string, args ...string) sample {
	cmd := exec.Command(path, args...)
	cmd.Args[0] = argv0
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start)
	if err != nil {
		b.Fatalf("%s %v: %v\n%s", path, args, err, out)
	}
	return sample{wall, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss}
}

func median(s []sample, f func(sample) float64) float64 {
	v := make([]float64, len(s))
	for i := range s {
		v[i] = f(s[i])
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// BenchmarkDepmod runs kmod's depmod and ours in turn on each tree and
// reports our wall time and peak memory as ratios of kmod's (lower is
// better for us), with the medians behind them.
func BenchmarkDepmod(b *testing.B) {
	ours := ourBinary(b)
	for _, flavour := range []string{"ko", "ko.zst", "ko.xz"} {
		b.Run(flavour, func(b *testing.B) {
			tree := debtree.Get(b, flavour)
			kmod := debtree.Kmod(b, "depmod")
			kv, ov := debtree.View(b, tree), debtree.View(b, tree)
			// One untimed run each brings the tree into the page cache.
			measure(b, "depmod", kmod, "-b", kv.Root, tree.Version)
			measure(b, "depmod", ours, "-b", ov.Root, tree.Version)
			var k, o []sample
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				k = append(k, measure(b, "depmod", kmod, "-b", kv.Root, tree.Version))
				o = append(o, measure(b, "depmod", ours, "-b", ov.Root, tree.Version))
			}
			b.StopTimer()
			wall := func(s sample) float64 { return float64(s.wall.Microseconds()) / 1000 }
			rss := func(s sample) float64 { return float64(s.rss) / 1024 }
			b.ReportMetric(median(o, wall)/median(k, wall), "wall-x-kmod")
			b.ReportMetric(median(o, rss)/median(k, rss), "rss-x-kmod")
			b.ReportMetric(median(o, wall), "ours-ms")
			b.ReportMetric(median(k, wall), "kmod-ms")
			b.ReportMetric(median(o, rss), "ours-MiB")
			b.ReportMetric(median(k, rss), "kmod-MiB")
			b.ReportMetric(0, "ns/op")
		})
	}
}
