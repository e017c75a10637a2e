// Package benchcmp runs one of our applets and kmod 34.2's tool side by
// side for make bench, and reports ours as a ratio of kmod's: the median
// wall time and peak memory of a whole process, start-up included, since
// that is what a script or the kernel pays for each call.
//
// Runs are paired and alternate sides (kmod, ours, kmod, ours, ...), so
// that a machine whose load changes during the run disturbs both alike.
// A cold run comes after the kernel's page cache is dropped (and the
// module cache, see Cold), a warm one right after a run of the same
// command. Each comparison is a Row; Record appends it to the file
// $BENCHROWS names, and ./table prints every row of a make bench as one
// table.
package benchcmp

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Binary is the modutils binary make builds at the top of the tree.
func Binary(b testing.TB) string {
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
	RSS  int64 // peak resident set, KiB; 0 when not measured
}

// Cmd is one side's command line and the exit code it must end with
// (insmod and rmmod fail on a machine whose kernel refuses modules, and
// both sides must fail alike).
type Cmd struct {
	Path string
	Args []string
	Exit int
	// Cache is the module cache our runs use (MODUTILS_CACHE, see the
	// README's "The module cache"), private to the benchmark, so that a
	// cold run can remove it and a warm one finds what the run before it
	// wrote; "" for kmod's side.
	Cache string
	// Before, when set, runs before each run of c, untimed: it puts back
	// the state a row measures (a module cache as it was before a new
	// module arrived, say), so that every run is the same case.
	Before func()
}

// Time runs c once, discarding its output, and returns its wall time.
func Time(b testing.TB, c Cmd) time.Duration {
	if c.Before != nil {
		c.Before()
	}
	cmd := command(c, c.Path, c.Args...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start)
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code, err = ee.ExitCode(), nil
	}
	if err != nil || code != c.Exit {
		b.Fatalf("%s %v: exit %d (want %d): %v\n%s", c.Path, c.Args, code, c.Exit, err, out)
	}
	return wall
}

// PeakRSS runs c under GNU time and returns its peak resident set in KiB:
// Go starts children with vfork, and Linux counts the parent's resident
// set as the child's peak until the child execs, so a direct child would
// report at least the size of the test process; time forks its child
// afresh.
func PeakRSS(b testing.TB, c Cmd) int64 {
	if c.Before != nil {
		c.Before()
	}
	timed := command(c, "/usr/bin/time", append([]string{"-f", "%M", "-o", "/dev/stdout", "--", c.Path}, c.Args...)...)
	var out bytes.Buffer
	timed.Stdout = &out
	err := timed.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == c.Exit {
		err = nil
	}
	if err != nil {
		b.Fatalf("/usr/bin/time %s %v: %v (apt-get install time)", c.Path, c.Args, err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	rss, err := strconv.ParseInt(lines[len(lines)-1], 10, 64)
	if err != nil {
		b.Fatalf("/usr/bin/time said %q", out.String())
	}
	return rss
}

// Run runs path with args, which must succeed, and measures its wall
// time and peak memory.
func Run(b testing.TB, path string, args ...string) Sample {
	c := Cmd{Path: path, Args: args}
	return Sample{Time(b, c), PeakRSS(b, c)}
}

// command is c ready to run (path and args: c's own, or GNU time's
// around it), with c's module cache in its environment.
func command(c Cmd, path string, args ...string) *exec.Cmd {
	cmd := exec.Command(path, args...)
	if c.Cache != "" {
		cmd.Env = append(os.Environ(), "MODUTILS_CACHE="+c.Cache)
	}
	return cmd
}

var dropped struct {
	sync.Once
	ok bool
}

// Cold makes the next run of c a cold one: it removes c's module cache
// and drops the kernel's page cache, dentries and inodes (root only;
// where the kernel refuses, a cold run is only module-cache-cold, and
// PageCacheDropped says so).
func Cold(b testing.TB, c Cmd) {
	if c.Cache != "" {
		if err := os.RemoveAll(c.Cache); err != nil {
			b.Fatal(err)
		}
	}
	exec.Command("sync").Run()
	err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("3\n"), 0)
	dropped.Do(func() { dropped.ok = err == nil })
}

// PageCacheDropped reports whether Cold could drop the page cache.
func PageCacheDropped() bool { return dropped.ok }

// Row is one line of make bench's table.
type Row struct {
	Tree  string `json:"tree"`  // "deb13.ko.xz", "deb12.ko", ..., or "VM deb12"
	Run   string `json:"run"`   // what ran
	Cache string `json:"cache"` // "cold" or "warm"
	Other string `json:"other"` // the side compared against: "kmod 34.2"
	N     int    `json:"n"`     // paired runs

	OursMs  float64 `json:"ours_ms"`
	OtherMs float64 `json:"other_ms"`
	// Peak resident sets, MiB (0 when not measured).
	OursMiB  float64 `json:"ours_mib"`
	OtherMiB float64 `json:"other_mib"`
	// The physical limit: the least wall time any tool could take for
	// this run on this machine (0 when none is meaningful), and how it
	// was measured.
	LimitMs float64 `json:"limit_ms"`
	Limit   string  `json:"limit"`
	// Goal is issue 13's bound on ours / other for this row (0: none).
	Goal float64 `json:"goal,omitempty"`
	When string  `json:"when"`
}

// Pair runs kmod's command and ours in turn, n times each after one
// unmeasured run of each (the side that goes first alternating from
// pair to pair), cold (Cold before every run) or warm, and
// returns the row of their medians. Peak memory is taken from the first
// three runs of each side (one when n is 1), under GNU time.
func Pair(b testing.TB, tree, run string, cold bool, n int, kmod, ours Cmd) Row {
	rssRuns := min(n, 3)
	var kw, ow []time.Duration
	var kr, or []int64
	measure := func(c Cmd, walls *[]time.Duration, rss *[]int64, i int) {
		if cold {
			Cold(b, c)
		}
		w := Time(b, c)
		if i >= 0 {
			*walls = append(*walls, w)
		}
		if i >= 0 && i < rssRuns {
			if cold {
				Cold(b, c)
			}
			*rss = append(*rss, PeakRSS(b, c))
		}
	}
	// The sides alternate which goes first, so that neither always runs
	// in the caches the other left.
	for i := -1; i < n; i++ {
		if i%2 == 0 {
			measure(ours, &ow, &or, i)
			measure(kmod, &kw, &kr, i)
			continue
		}
		measure(kmod, &kw, &kr, i)
		measure(ours, &ow, &or, i)
	}
	cache := "warm"
	if cold {
		cache = "cold"
	}
	return Row{
		Tree: tree, Run: run, Cache: cache, Other: "kmod 34.2", N: n,
		OursMs: ms(Median(ow)), OtherMs: ms(Median(kw)),
		OursMiB: float64(Median(or)) / 1024, OtherMiB: float64(Median(kr)) / 1024,
		When: time.Now().UTC().Format(time.DateOnly),
	}
}

// Floor is the median wall time of c over n runs, cold or warm: a
// physical limit's measurement.
func Floor(b testing.TB, cold bool, n int, c Cmd) time.Duration {
	var w []time.Duration
	for i := 0; i < n; i++ {
		if cold {
			Cold(b, c)
		}
		w = append(w, Time(b, c))
	}
	return Median(w)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Ms is d in milliseconds, as rows hold times.
func Ms(d time.Duration) float64 { return ms(d) }

// Median is the middle value of s (the upper one of an even count).
func Median[T int64 | time.Duration | float64](s []T) T {
	if len(s) == 0 {
		return 0
	}
	s = slices.Clone(s)
	slices.Sort(s)
	return s[len(s)/2]
}

// Report records r (see Record) and reports it as the benchmark's metrics
// too, for a run of go test -bench without make.
func Report(b *testing.B, r Row) {
	b.Helper()
	Record(b, r)
	b.ReportMetric(0, "ns/op")
	if r.OtherMs > 0 {
		b.ReportMetric(r.OursMs/r.OtherMs, "wall-x-other")
	}
	if r.OtherMiB > 0 {
		b.ReportMetric(r.OursMiB/r.OtherMiB, "rss-x-other")
	}
	b.ReportMetric(r.OursMs, "ours-ms")
	b.ReportMetric(r.OtherMs, "other-ms")
	if r.LimitMs > 0 {
		b.ReportMetric(r.LimitMs, "limit-ms")
	}
}

var recordMu sync.Mutex

// Record appends r as one JSON line to the file $BENCHROWS names (make
// bench sets it); without it, it does nothing.
func Record(b testing.TB, r Row) {
	name := os.Getenv("BENCHROWS")
	if name == "" {
		return
	}
	line, err := json.Marshal(r)
	if err != nil {
		b.Fatal(err)
	}
	recordMu.Lock()
	defer recordMu.Unlock()
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	_, err = f.Write(append(line, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
}

// Compare runs kmod's and our command in turn, reps times per benchmark
// iteration, and reports the ratios of their medians (the applets' own
// benchmarks, outside make bench's table).
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
	return Median(v)
}
