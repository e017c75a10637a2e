// Package benchcmp runs one of our applets and kmod's tool side by side
// for make bench, and reports ours as a ratio of kmod's: the median wall
// time and peak memory of a whole process, start-up included, since that
// is what a script or the kernel pays for each call.
package benchcmp

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Binary is the modutils binary make builds at the top of the tree.
func Binary(b *testing.B) string {
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "../../modutils")
	if _, err := os.Stat(p); err != nil {
		b.Fatalf("%s: run make first", p)
	}
	return p
}

// Sample is one process run.
type Sample struct {
	Wall time.Duration
	RSS  int64 // peak resident set, KiB
}

// Run runs path with args and measures it; its output is discarded, and
// it must succeed. Our binary is run as "modutils APPLET ...".
//
// The peak memory comes from a second run under GNU time: Go starts
// children with vfork, and Linux counts the parent's resident set as the
// child's peak until the child execs, so a direct child would report at
// least the size of the test process; time forks its child afresh.
func Run(b *testing.B, path string, args ...string) Sample {
	cmd := exec.Command(path, args...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start)
	if err != nil {
		b.Fatalf("%s %v: %v\n%s", path, args, err, out)
	}
	timed := exec.Command("/usr/bin/time", append([]string{"-f", "%M", "-o", "/dev/stdout", "--", path}, args...)...)
	var rssOut bytes.Buffer
	timed.Stdout = &rssOut
	if err := timed.Run(); err != nil {
		b.Fatalf("/usr/bin/time %s %v: %v (apt-get install time)", path, args, err)
	}
	lines := strings.Split(strings.TrimSpace(rssOut.String()), "\n")
	rss, err := strconv.ParseInt(lines[len(lines)-1], 10, 64)
	if err != nil {
		b.Fatalf("/usr/bin/time said %q", rssOut.String())
	}
	return Sample{wall, rss}
}

// Compare runs kmod's and our command in turn, reps times per benchmark
// iteration, and reports the ratios of their medians.
func Compare(b *testing.B, reps int, kmod, ours func() Sample) {
	kmod()
	ours() // warm the page cache for both
	var k, o []Sample
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := 0; j < reps; j++ {
			k = append(k, kmod())
			o = append(o, ours())
		}
	}
	b.StopTimer()
	wall := func(s Sample) float64 { return float64(s.Wall.Microseconds()) / 1000 }
	rss := func(s Sample) float64 { return float64(s.RSS) / 1024 }
	b.ReportMetric(median(o, wall)/median(k, wall), "wall-x-kmod")
	b.ReportMetric(median(o, rss)/median(k, rss), "rss-x-kmod")
	b.ReportMetric(median(o, wall), "ours-ms")
	b.ReportMetric(median(k, wall), "kmod-ms")
	b.ReportMetric(median(o, rss), "ours-MiB")
	b.ReportMetric(median(k, rss), "kmod-MiB")
	b.ReportMetric(0, "ns/op")
}

func median(s []Sample, f func(Sample) float64) float64 {
	v := make([]float64, len(s))
	for i := range s {
		v[i] = f(s[i])
	}
	slices.Sort(v)
	return v[len(v)/2]
}
