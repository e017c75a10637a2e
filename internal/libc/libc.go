// Package libc is the part of the C library whose behaviour kmod's output
// depends on, in one place: glibc's strerror texts, strtol and strtoul as
// they treat white space, signs, prefixes and overflow, isspace in the C
// locale, and where a C string ends. kmod parses numbers and words with
// these, so reading the same input the same way means doing what they do,
// not what strconv does.
package libc

import (
	"errors"
	"math"
	"strings"
	"syscall"
)

// Space is the set isspace accepts in the C locale.
const Space = " \t\n\v\f\r"

// IsSpace is C's isspace in the C locale.
func IsSpace(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }

// CString cuts s at its first NUL, where a C string holding it would end.
func CString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// Strerror words err as glibc's strerror does, the text kmod prints for %m
// and strerror(): Go's own table is the same text in lower case. An error
// that wraps no errno is worded as itself.
func Strerror(err error) string {
	errno, ok := Errno(err)
	if !ok {
		return err.Error()
	}
	if errno == 0 {
		return "Success"
	}
	s := errno.Error()
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// Errno is the errno err wraps, as the system call or os function that
// failed returned it; ok is false when it wraps none.
func Errno(err error) (errno syscall.Errno, ok bool) {
	ok = errors.As(err, &errno)
	return errno, ok
}

// Strtoul is strtoul(s, &end, base) for base 0, 8, 10 or 16: the value and
// how many bytes of s it converted, 0 when there are no digits (strtoul's
// end pointer is then s itself). Leading white space and a sign are taken;
// a minus negates the value in unsigned arithmetic; a value out of range is
// ULONG_MAX, whatever the sign. Base 0 reads a "0x" prefix as hexadecimal
// and a leading 0 as octal; "0x" without a hex digit after it is the 0.
func Strtoul(s string, base int) (v uint64, n int) {
	v, n, neg, over := scan(s, base)
	switch {
	case over:
		return math.MaxUint64, n
	case neg:
		return -v, n
	}
	return v, n
}

// Strtol is strtol(s, &end, base): Strtoul's reading, with a value out of
// range of a long saturating at LONG_MIN or LONG_MAX by its sign.
func Strtol(s string, base int) (v int64, n int) {
	u, n, neg, over := scan(s, base)
	switch {
	case neg && (over || u > 1<<63):
		return math.MinInt64, n
	case neg:
		return -int64(u), n
	case over || u > math.MaxInt64:
		return math.MaxInt64, n
	}
	return int64(u), n
}

// ScanUint is scanf's %u: white space skipped, an optional sign, decimal
// digits converted as strtoul converts them (saturating at ULONG_MAX, a
// minus negating), the result stored in an unsigned int; what follows, and
// whether there were digits.
func ScanUint(s string) (v uint32, rest string, ok bool) {
	u, n := Strtoul(s, 10)
	return uint32(u), s[n:], n > 0
}

// scan is the loop strtol and strtoul share: the magnitude, the bytes
// converted, the sign, and whether the magnitude overflowed 64 bits.
func scan(s string, base int) (v uint64, n int, neg, over bool) {
	i := 0
	for i < len(s) && IsSpace(s[i]) {
		i++
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if (base == 0 || base == 16) && i+2 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && digit(s[i+2]) < 16 {
		base = 16
		i += 2
	} else if base == 0 && i < len(s) && s[i] == '0' {
		base = 8
	} else if base == 0 {
		base = 10
	}
	start := i
	for ; i < len(s); i++ {
		d := uint64(digit(s[i]))
		if d >= uint64(base) {
			break
		}
		if v > (math.MaxUint64-d)/uint64(base) {
			over = true
		}
		v = v*uint64(base) + d
	}
	if i == start {
		return 0, 0, false, false
	}
	return v, i, neg, over
}

// digit is the value of c as a digit in bases up to 36; 36 for anything else.
func digit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return 36
}
