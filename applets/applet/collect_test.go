package applet

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestCollectLate(t *testing.T) {
	for _, tc := range []struct {
		name        string
		env         map[string]string
		wantPercent int
		wantLimit   int64 // -1: the limit in force before
	}{
		{"default", nil, -1, oneModuleHeap},
		{"GOGC set", map[string]string{"GOGC": "100"}, 100, -1},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "1GiB"}, -1, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			defer debug.SetGCPercent(debug.SetGCPercent(100))
			defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
			restore := CollectLate()
			percent := debug.SetGCPercent(-1)
			debug.SetGCPercent(percent)
			limit := debug.SetMemoryLimit(-1)
			restore()
			if percent != tc.wantPercent {
				t.Errorf("GC percent during the run = %d, want %d", percent, tc.wantPercent)
			}
			want := tc.wantLimit
			if want < 0 {
				want = math.MaxInt64
			}
			if limit != want {
				t.Errorf("memory limit during the run = %d, want %d", limit, want)
			}
			if p, l := debug.SetGCPercent(100), debug.SetMemoryLimit(-1); p != 100 || l != math.MaxInt64 {
				t.Errorf("after restore: GC percent %d, limit %d; want 100, %d", p, l, int64(math.MaxInt64))
			}
		})
	}
}
