package golden

import "testing"

func TestUnescape(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "abc", "abc"},
		{"nul and space", `a\x00b\x20c`, "a\x00b c"},
		{"high byte", `\xff`, "\xff"},
		{"not hex", `\xzz`, `\xzz`},
		{"too short at the end", `a\x4`, `a\x4`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Unescape(tc.in); got != tc.want {
				t.Errorf("Unescape(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
