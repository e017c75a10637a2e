package elfmod

import (
	"sync"
	"sync/atomic"
	"testing"
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
