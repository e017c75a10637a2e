package modprobe

import "testing"

// backoffDelta follows kmod's get_backoff_delta_msec: the interval doubles
// from 1 ms, is halved while it would pass the deadline, and the rest of
// the time is waited at the end.
func TestBackoffDelta(t *testing.T) {
	tests := []struct{ t, tend, delta, until, next uint64 }{
		{100, 200, 1, 102, 2},
		{102, 200, 2, 106, 4},
		{164, 200, 32, 196, 32}, // 64 would pass 200: halved
		{196, 200, 32, 200, 4},
		{199, 200, 4, 200, 1},
		{200, 200, 1, 200, 0}, // deadline: the last try
		{205, 200, 8, 205, 0}, // past it (kmod would loop forever here)
		{100, 100, 0, 100, 0},
	}
	for _, tt := range tests {
		until, next := backoffDelta(tt.t, tt.tend, tt.delta)
		if until != tt.until || next != tt.next {
			t.Errorf("backoffDelta(%d, %d, %d) = %d, %d; want %d, %d", tt.t, tt.tend, tt.delta, until, next, tt.until, tt.next)
		}
	}
}
