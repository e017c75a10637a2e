package moddep

import (
	"errors"
	"strings"
	"testing"
)

// NormalizeAlias is kmod's alias_normalize, for depmod's alias keys and
// for the names modprobe looks up.
func TestNormalizeAlias(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a-", 3000)
	tests := []struct {
		name, in, want string
		err            error
	}{
		{"plain", "usb:v1d2", "usb:v1d2", nil},
		{"dashes", "usb:v1-2", "usb:v1_2", nil},
		{"bracket", "a[-]-b", "a[-]_b", nil},
		{"close", "a]b", "", ErrUnmatchedBracket},
		{"unclosed", "a[b", "", ErrUnmatchedBracket},
		{"nul ends", "a-b\x00-c", "a_b", nil},
		{"cut at PATH_MAX-1", long, strings.Repeat("a_", 2047) + "a", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeAlias(tt.in)
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Errorf("NormalizeAlias(%.40q) = %.40q (len %d), %v; want %.40q (len %d), %v", tt.in, got, len(got), err, tt.want, len(tt.want), tt.err)
			}
		})
	}
}
