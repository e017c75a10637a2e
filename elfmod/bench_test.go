package elfmod

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/modutils/modutils/internal/debtree"
)

// readModule is what depmod does with each module.
func readModule(path string) error {
	m, err := Open(path)
	if err != nil {
		return err
	}
	defer m.Close()
	if _, err := m.Modinfo(); err != nil {
		return err
	}
	m.Symbols() // most modules export nothing: ErrNoSection
	if _, err := m.DependencySymbols(); err != nil {
		return err
	}
	return nil
}

// BenchmarkOpenTree reads the whole real tree per iteration, on one
// goroutine and on two.
func BenchmarkOpenTree(b *testing.B) {
	files := realTree(b)
	for _, workers := range []int{1, 2} {
		b.Run(map[int]string{1: "serial", 2: "2workers"}[workers], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var next atomic.Int64
				var wg sync.WaitGroup
				for range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							i := int(next.Add(1)) - 1
							if i >= len(files) {
								return
							}
							if err := readModule(files[i]); err != nil {
								b.Error(err)
							}
						}
					}()
				}
				wg.Wait()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(files)), "ns/module")
		})
	}
}

// BenchmarkOpenCompressed reads compressed copies of a sample of the real
// tree, made with the same tools and options as distributions use.
func BenchmarkOpenCompressed(b *testing.B) {
	files := sample(realTree(b), 60)
	dir := b.TempDir()
	for _, c := range []struct {
		name, tool string
		args       []string
	}{
		{"gzip", "gzip", []string{"-n", "-c"}},
		{"xz", "xz", []string{"--check=crc32", "--lzma2=dict=1MiB", "-c"}},
		{"zstd", "zstd", []string{"-q", "-T0", "-c"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			tool, err := exec.LookPath(c.tool)
			if err != nil {
				debtree.Missing(b, "%v", err)
			}
			var paths []string
			var size int64
			for i, f := range files {
				data, err := exec.Command(tool, append(c.args, f)...).Output()
				if err != nil {
					b.Fatal(err)
				}
				p := filepath.Join(dir, fmt.Sprintf("%d.%s", i, c.name))
				if err := os.WriteFile(p, data, 0o644); err != nil {
					b.Fatal(err)
				}
				fi, _ := os.Stat(f)
				size += fi.Size()
				paths = append(paths, p)
			}
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				for _, p := range paths {
					if err := readModule(p); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
