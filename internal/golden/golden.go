// Package golden is for tests: the one escape the text golden files under
// testdata use, \xNN for a byte that would not survive as text (blanks,
// newlines, NULs, bytes above 0x7e), so that the index scripts, the kmod
// hash sums and the fnmatch cases read back the bytes they were made from.
package golden

import (
	"strconv"
	"strings"
)

// Unescape decodes s's \xNN escapes; a backslash that starts no escape is
// kept as it is.
func Unescape(s string) string {
	if !strings.Contains(s, `\x`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			if v, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
