package moddep

import "testing"

// fnIsAlpha is C's isalpha in the C locale, for the tests that follow
// depmod.c's parsing.
func fnIsAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// The matcher itself is tested in modconf; this checks the wrappers reach it.
func TestFnmatchWrappers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, pattern, str string
		want               bool
	}{
		{"alias wildcard", "pci:v*d*", "pci:v00008086d00001502", true},
		{"bracket class", "[[:digit:]]x", "7x", true},
		{"no match", "a?", "a", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Fnmatch(tt.pattern, tt.str); got != tt.want {
				t.Errorf("Fnmatch(%q, %q) = %v, want %v", tt.pattern, tt.str, got, tt.want)
			}
			if got := fnmatch([]byte(tt.pattern), tt.str); got != tt.want {
				t.Errorf("fnmatch(%q, %q) = %v, want %v", tt.pattern, tt.str, got, tt.want)
			}
		})
	}
}
