package modconf

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// regexpAnswer is what kernelMatches answered when it used
// regexp.CompilePOSIX: whether pattern matches in s, and whether it compiled.
func regexpAnswer(pattern, s string) (match, ok bool) {
	re, err := regexp.CompilePOSIX(pattern)
	if err != nil {
		return false, false
	}
	return re.MatchString(s), true
}

// TestEREMatches holds ereSearch to regexp.CompilePOSIX: the same
// answer, and the same patterns refused, on depmod.d's kind of patterns
// and on the syntax's corners.
func TestEREMatches(t *testing.T) {
	versions := []string{"6.12.117+deb13-amd64", "6.1.0-28-amd64", "5.10.0-9-arm64", "", "a", "aaa", "ab\ncd", "x{2}y", "a-b]c", "[:x:]", "tab\there"}
	patterns := []string{
		"", "6", "^6", "^6\\.12", "^6\\.1\\.", "amd64$", "^6\\.12\\.[0-9]+\\+deb13-amd64$", ".*", "^.*$", "^$",
		"6\\.(1|12)\\.", "^(5|6)\\.[0-9]{1,2}\\.", "[[:digit:]]+-[[:alpha:]]+", "[^0-9.]", "[^[:alnum:]]", "[[:^digit:]]",
		"[a-z]+[0-9]?$", "a{2}", "a{2,}", "a{,2}", "a{1,2}", "a{2,1}", "a{1001}", "a{1000}", "a{", "a{x}", "{", "{1}", "x{2}y", "x\\{2\\}y",
		"*", "a**", "a+*", "a?+", "(a*)*", "(a*)+$", "((a|b)*|c)+", "(|a)", "a|", "|", "()", "(", ")", "a)", "(a", "[", "[]", "[]a]", "[]a",
		"[a-]", "[-a]", "[a-b-c]", "[z-a]", "[\\]]", "[\\d]", "\\d", "\\w", "\\b", "\\.", "\\_", "\\-", "\\", "\\t", "\\x41", "\\x{41}",
		"\\x{}", "\\x4", "\\101", "\\1", "\\0", "\\8", "\\p{L}", "[[:foo:]]", "[[:alpha:]", "[[:alpha]", "[[.a.]]", "[[=a=]]", "a^b", "a$b",
		"^", "$", "^*", "$+", "(^a|b$)", "b$", "^c", "ab\\ncd", "\\]", "a]", "[]-a]", "[a\\-z]", "[:x:]", "[[:x:]]", "[[]", "[a-]]",
		"(((((((((((a*)*)*)*)*)*)*)*)*)*)*", "(a|aa)*b", ".{3}", ".{0}", "a{0}", "a{0,0}b", "(a{2}){3}",
	}
	for _, p := range patterns {
		for _, v := range versions {
			wantMatch, wantOK := regexpAnswer(p, v)
			got, err := ereSearch(p, v)
			if (err == nil) != wantOK || got != wantMatch {
				t.Errorf("ereSearch(%q, %q) = %v, %v; regexp: match %v, compiles %v", p, v, got, err, wantMatch, wantOK)
			}
		}
	}
}

// TestERERandom compares ereSearch with regexp on random patterns made
// of the syntax's pieces, over random strings of a small alphabet.
func TestERERandom(t *testing.T) {
	pieces := []string{"a", "b", "-", ".", "^", "$", "*", "+", "?", "|", "(", ")", "[", "]", "^", "{1}", "{0,2}", "{2,}", "{",
		"[a-b]", "[^a]", "[[:digit:]]", "\\.", "\\", "1", "\n", "[]", ":", "[:alpha:]"}
	alphabet := "ab-1.\n"
	r := rand.New(rand.NewPCG(1, 2))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for k := 0; k < n; k++ {
		var p strings.Builder
		for range 1 + r.IntN(8) {
			p.WriteString(pieces[r.IntN(len(pieces))])
		}
		var s strings.Builder
		for range r.IntN(8) {
			s.WriteByte(alphabet[r.IntN(len(alphabet))])
		}
		wantMatch, wantOK := regexpAnswer(p.String(), s.String())
		got, err := ereSearch(p.String(), s.String())
		if (err == nil) != wantOK || got != wantMatch {
			t.Errorf("ereSearch(%q, %q) = %v, %v; regexp: match %v, compiles %v", p.String(), s.String(), got, err, wantMatch, wantOK)
		}
	}
}
