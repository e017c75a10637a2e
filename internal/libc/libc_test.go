package libc

import (
	"errors"
	"fmt"
	"math"
	"syscall"
	"testing"
)

// The cases are glibc's answers (printf of strtol/strtoul on the same
// strings), the behaviours kmod's parsers rely on.
func TestStrtoul(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		s    string
		base int
		v    uint64
		n    int
	}{
		{"empty", "", 10, 0, 0},
		{"spaces only", " \t", 10, 0, 0},
		{"sign only", "-", 10, 0, 0},
		{"decimal", "42", 10, 42, 2},
		{"leading space and trailer", "\n 42 x", 10, 42, 4},
		{"minus negates", "-1", 10, math.MaxUint64, 2},
		{"overflow saturates", "99999999999999999999", 10, math.MaxUint64, 20},
		{"overflow ignores sign", "-99999999999999999999", 10, math.MaxUint64, 21},
		{"base 0 hex", "0x1f", 0, 31, 4},
		{"base 0 octal", "017", 0, 15, 3},
		{"base 0 octal stops at 8", "08", 0, 0, 1},
		{"base 0 bare 0x", "0x", 0, 0, 1},
		{"base 0 0x no hex digit", "0xg", 0, 0, 1},
		{"base 16 prefix", "0XfF", 16, 255, 4},
		{"base 16 no prefix", "deadbeef", 16, 0xdeadbeef, 8},
		{"base 10 stops at x", "0x10", 10, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, n := Strtoul(tc.s, tc.base)
			if v != tc.v || n != tc.n {
				t.Errorf("Strtoul(%q, %d) = %d, %d; want %d, %d", tc.s, tc.base, v, n, tc.v, tc.n)
			}
		})
	}
}

func TestStrtol(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		s    string
		v    int64
		n    int
	}{
		{"nothing", "x", 0, 0},
		{"negative", " -7\n", -7, 3},
		{"max", "9223372036854775807", math.MaxInt64, 19},
		{"above max", "9223372036854775808", math.MaxInt64, 19},
		{"min", "-9223372036854775808", math.MinInt64, 20},
		{"below min", "-9223372036854775809", math.MinInt64, 20},
		{"far below min", "-99999999999999999999999", math.MinInt64, 24},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, n := Strtol(tc.s, 10)
			if v != tc.v || n != tc.n {
				t.Errorf("Strtol(%q, 10) = %d, %d; want %d, %d", tc.s, v, n, tc.v, tc.n)
			}
		})
	}
}

func TestStrerror(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"success", syscall.Errno(0), "Success"},
		{"enoent", syscall.ENOENT, "No such file or directory"},
		{"wrapped", fmt.Errorf("open x: %w", syscall.EACCES), "Permission denied"},
		{"no errno", errors.New("bad thing"), "bad thing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Strerror(tc.err); got != tc.want {
				t.Errorf("Strerror(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

func TestCString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ s, want string }{{"", ""}, {"ab", "ab"}, {"a\x00b", "a"}, {"\x00", ""}} {
		if got := CString(tc.s); got != tc.want {
			t.Errorf("CString(%q) = %q, want %q", tc.s, got, tc.want)
		}
	}
}
