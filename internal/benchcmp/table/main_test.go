package main

import (
	"testing"

	"github.com/modutils/modutils/internal/benchcmp"
)

func TestGoalCell(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		row  benchcmp.Row
		want string
	}{
		{"no goal", benchcmp.Row{OursMs: 1, OtherMs: 2}, "-"},
		{"met", benchcmp.Row{OursMs: 1, OtherMs: 2, Goal: 0.6}, "0.60 (met)"},
		{"met at the bound", benchcmp.Row{OursMs: 1, OtherMs: 2, Goal: 0.5}, "0.50 (met)"},
		{"not met", benchcmp.Row{OursMs: 1.8, OtherMs: 2, Goal: 0.8, LimitMs: 0.6}, "0.80"},
		// This session's coldplug row: half of udevd's 2.75 s is below
		// the kernel's own 1.42 s.
		{"below the limit", benchcmp.Row{OursMs: 1781, OtherMs: 2748, Goal: 0.5, LimitMs: 1415}, "0.50 (below the limit)"},
		{"met though below the limit", benchcmp.Row{OursMs: 1, OtherMs: 4, Goal: 0.5, LimitMs: 3}, "0.50 (met)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := goalCell(tc.row); got != tc.want {
				t.Errorf("goal cell %q, want %q", got, tc.want)
			}
		})
	}
}
