package xz

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/modutils/modutils/internal/debtree"
)

// BenchmarkDecodeTrixie decodes every module of Debian 13's tree, one
// after another on one goroutine, and reports MB/s of decompressed
// output, per wall second (MB/s) and per CPU second (cpu-MB/s, what a
// loaded machine disturbs least). The liblzma cases time "xz -dc -T1" of
// Debian 12 (liblzma 5.4.1) and of Debian 13 (5.8.1, what kmod 34.2
// links) over the same modules concatenated into one file (concatenated
// streams are one valid .xz file), writing to /dev/null, in the same run:
// one process start-up against some 4 s of decoding.
func BenchmarkDecodeTrixie(b *testing.B) {
	files := treeFiles(b, debtree.Trixie(b), ".ko.xz")
	data := readAll(b, files)
	var total int64
	var buf []byte
	for _, d := range data {
		out, err := Decode(buf[:0], d, 0)
		if err != nil {
			b.Fatal(err)
		}
		total += int64(len(out))
		buf = out
	}
	b.Run("ours", func(b *testing.B) {
		b.SetBytes(total)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		cpu := threadCPU()
		var dec Decoder
		for b.Loop() {
			for _, d := range data {
				out, err := dec.Decode(buf[:0], d, 0)
				if err != nil {
					b.Fatal(err)
				}
				buf = out
			}
		}
		reportCPU(b, total, threadCPU()-cpu)
	})
	cat := filepath.Join(b.TempDir(), "all.xz")
	f, err := os.Create(cat)
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range data {
		f.Write(d)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	// Debian 12's xz is this machine's; Debian 13's is testdata/trixie.sh's
	// copy, run with kmod 34.2's libraries.
	for _, c := range []struct{ name, xz string }{
		{"liblzma-5.4.1", "xz"},
		{"liblzma-5.8.1", filepath.Join(debtree.TrixieDir(), "xz", "bin", "xz")},
	} {
		b.Run(c.name, func(b *testing.B) {
			xz, err := exec.LookPath(c.xz)
			if err != nil {
				debtree.Missing(b, "%s: %v", c.xz, err)
			}
			b.SetBytes(total)
			var cpu time.Duration
			for b.Loop() {
				cmd := exec.Command(xz, "-dc", "-T1", cat)
				var stderr strings.Builder
				cmd.Stderr = &stderr // Stdout is /dev/null
				if err := cmd.Run(); err != nil {
					b.Fatalf("xz -dc: %v: %s", err, stderr.String())
				}
				cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			}
			reportCPU(b, total, cpu)
		})
	}
}

// reportCPU reports throughput per CPU second: n bytes each iteration.
func reportCPU(b *testing.B, n int64, cpu time.Duration) {
	if cpu > 0 {
		b.ReportMetric(float64(n)*float64(b.N)/1e6/cpu.Seconds(), "cpu-MB/s")
	}
}
