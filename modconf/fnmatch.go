package modconf

import (
	"os"
	"strings"

	"github.com/modutils/modutils/internal/lazy"
)

// Fnmatch reports whether name matches the shell pattern, exactly as glibc's
// fnmatch(pattern, name, 0) does in the C locale, which is how libkmod
// matches wildcard aliases (kmod tools never call setlocale). With flags 0:
//
//   - '*' and '?' match any byte, '/' and a leading '.' included;
//   - a backslash quotes the next byte, and a trailing backslash matches
//     nothing;
//   - bracket expressions support ranges (by byte value), negation with '!'
//     or, unless POSIXLY_CORRECT is set in the environment, '^', the twelve
//     POSIX classes such as [:alpha:], and the single-byte equivalence
//     classes [=c=] and collating symbols [.c.] of the C locale;
//   - a '[' without a closing ']' matches itself.
//
// glibc's quirks are reproduced too, e.g. an unknown class name makes the
// whole pattern fail, and "[a" matches "[a" but not "a". Both strings end at
// their first NUL byte, as C strings would. Matching takes time proportional
// to len(pattern)*len(name) at worst, never exponential.
func Fnmatch(pattern, name string) bool {
	if i := strings.IndexByte(pattern, 0); i >= 0 {
		pattern = pattern[:i]
	}
	if i := strings.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	return fnmatch(pattern, name)
}

// FnmatchBytes is Fnmatch for a pattern held in a byte slice, as moddep's
// index reader assembles it while walking the trie, without a conversion per
// node. Unlike Fnmatch it does not look for a NUL in name: the caller passes
// a name already cut at its first NUL (a NUL in pattern still ends it).
func FnmatchBytes(pattern []byte, name string) bool {
	return fnmatch(pattern, name)
}

// caretNegates mirrors glibc, which reads POSIXLY_CORRECT once per process
// to decide whether "[^...]" negates.
var caretNegates = lazy.Value[bool]{New: func() bool {
	_, set := os.LookupEnv("POSIXLY_CORRECT")
	return !set
}}

// fnClassNameMax is glibc's CHARCLASS_NAME_MAX, the longest class name it
// scans before declaring a pattern ill-formed.
const fnClassNameMax = 2048

// fnmatch is generic so that FnmatchBytes can match a pattern assembled in
// a []byte without converting it.
func fnmatch[P, S ~string | ~[]byte](pat P, str S) bool {
	ok, _ := fnSegment(pat, str, 0, 0, false)
	return ok
}

// fnAt reads pattern byte i, with the NUL terminator C would find past the
// end.
func fnAt[P ~string | ~[]byte](pat P, i int) byte {
	if i < len(pat) {
		return pat[i]
	}
	return 0
}

// fnEnd records where a segment match stopped at a '*' (glibc's struct
// STRUCT "ends").
type fnEnd struct {
	p, n int
	set  bool
}

// fnSegment is glibc's internal_fnmatch (FCT) with flags 0, matching
// pat[p:] against str[n:]. With stopAtStar it succeeds as soon as it
// reaches a '*' and returns that position (glibc's "ends"): the caller then
// continues from there without ever backtracking past that star. That is
// what keeps glibc (and us) polynomial — every other pattern element
// consumes exactly one byte, so the leftmost placement of each star-free
// segment is always as good as any later one.
func fnSegment[P, S ~string | ~[]byte](pat P, str S, p, n int, stopAtStar bool) (bool, fnEnd) {
	var none fnEnd
	for {
		c := fnAt(pat, p)
		p++
		if c == 0 {
			break
		}
		switch c {
		case '?':
			if n == len(str) {
				return false, none
			}
		case '\\':
			c = fnAt(pat, p)
			p++
			if c == 0 {
				return false, none
			}
			if n == len(str) || str[n] != c {
				return false, none
			}
		case '*':
			if stopAtStar {
				return true, fnEnd{p - 1, n, true}
			}
			c = fnAt(pat, p)
			p++
			for ; c == '?' || c == '*'; c, p = fnAt(pat, p), p+1 {
				if c == '?' {
					if n == len(str) {
						return false, none
					}
					n++
				}
			}
			if c == 0 {
				return true, none
			}
			// Try the segment after the star at each position; with the
			// next byte literal, only where that byte occurs.
			want, literal := c, c != '['
			if c == '\\' {
				want = fnAt(pat, p)
			}
			p--
			var end fnEnd
			found := false
			for ; n < len(str); n++ {
				if literal && str[n] != want {
					continue
				}
				if found, end = fnSegment(pat, str, p, n, true); found {
					break
				}
			}
			if !found {
				return false, none
			}
			if !end.set {
				return true, none
			}
			p, n = end.p, end.n
			continue
		case '[':
			if n == len(str) {
				return false, none
			}
			switch r, next := fnBracket(pat, p, str[n]); r {
			case fnBrMatch:
				p = next
			case fnBrNoMatch:
				return false, none
			case fnBrLiteral:
				// An unterminated '[' is an ordinary byte; p already
				// points just past it.
				if str[n] != '[' {
					return false, none
				}
			}
		default:
			if n == len(str) || str[n] != c {
				return false, none
			}
		}
		n++
	}
	return n == len(str), none
}

const (
	fnBrMatch = iota
	fnBrNoMatch
	fnBrLiteral
)

// fnBracket evaluates the bracket expression whose '[' precedes pat[p]
// against byte fn. On fnBrMatch it also returns the offset just past the
// closing ']'.
func fnBracket[P ~string | ~[]byte](pat P, p int, fn byte) (int, int) {
	not := fnAt(pat, p) == '!' || (fnAt(pat, p) == '^' && caretNegates.Get())
	if not {
		p++
	}
	c := fnAt(pat, p)
	p++
	for {
		normal := false // c is an ordinary element (glibc's normal_bracket)
		haveCold := false
		var cold byte // start of a possible range
		switch {
		case c == '\\':
			if fnAt(pat, p) == 0 {
				return fnBrNoMatch, 0
			}
			c = fnAt(pat, p)
			p++
			normal = true
		case c == '[' && fnAt(pat, p) == ':':
			startp := p
			c1 := 0
			isClass := true
			for {
				if c1 == fnClassNameMax {
					return fnBrNoMatch, 0
				}
				p++
				c = fnAt(pat, p)
				if c == ':' && fnAt(pat, p+1) == ']' {
					p += 2
					break
				}
				if c < 'a' || c >= 'z' {
					// Not a class name after all: the '[' is a member.
					p = startp
					c = '['
					isClass = false
					break
				}
				c1++
			}
			if !isClass {
				normal = true
				break
			}
			cls := fnClass(string(pat[startp+1 : startp+1+c1]))
			if cls == nil {
				return fnBrNoMatch, 0
			}
			if fn < 0x80 && cls(fn) {
				return fnSkipBracket(pat, p, not)
			}
			c = fnAt(pat, p)
			p++
		case c == '[' && fnAt(pat, p) == '=':
			startp := p
			p++
			c = fnAt(pat, p)
			if c == 0 {
				p, c, normal = startp, '[', true
				break
			}
			equiv := c
			p++
			c = fnAt(pat, p)
			if c != '=' || fnAt(pat, p+1) != ']' {
				p, c, normal = startp, '[', true
				break
			}
			p += 2
			if fn == equiv {
				return fnSkipBracket(pat, p, not)
			}
			c = fnAt(pat, p)
			p++
		case c == 0:
			return fnBrLiteral, 0
		case c == '[' && fnAt(pat, p) == '.':
			sym, next, ok := fnCollatingSymbol(pat, p)
			if !ok {
				return fnBrNoMatch, 0
			}
			p = next
			// glibc's test differs from normal_bracket's: "[.a.]-]" is
			// taken for a range and then is not one.
			isRange := fnAt(pat, p) == '-' && fnAt(pat, p+1) != 0
			if !isRange && fn == sym {
				return fnSkipBracket(pat, p, not)
			}
			cold, haveCold = sym, true
			c = fnAt(pat, p)
			p++
		default:
			normal = true
		}
		if normal {
			isRange := fnAt(pat, p) == '-' && fnAt(pat, p+1) != 0 && fnAt(pat, p+1) != ']'
			if !isRange && c == fn {
				return fnSkipBracket(pat, p, not)
			}
			cold, haveCold = c, true
			c = fnAt(pat, p)
			p++
		}
		if haveCold && c == '-' && fnAt(pat, p) != ']' {
			cend := fnAt(pat, p)
			p++
			if cend == '[' && fnAt(pat, p) == '.' {
				sym, next, ok := fnCollatingSymbol(pat, p)
				if !ok {
					return fnBrNoMatch, 0
				}
				cend, p = sym, next
			} else {
				if cend == '\\' {
					cend = fnAt(pat, p)
					p++
				}
				if cend == 0 {
					return fnBrNoMatch, 0
				}
			}
			// The C locale's collation sequence is the byte value.
			if cold <= fn && fn <= cend {
				return fnSkipBracket(pat, p, not)
			}
			c = fnAt(pat, p)
			p++
		}
		if c == ']' {
			break
		}
	}
	if !not {
		return fnBrNoMatch, 0
	}
	return fnBrMatch, p
}

// fnSkipBracket skips the rest of a bracket expression that already matched
// a member. Its parsing is glibc's second, slightly different one (e.g. a
// malformed "[=" fails here instead of counting as members); since glibc
// 2.36 (bug 28792) an unterminated expression turns literal here too.
// fnCollatingSymbol reads "[.c.]" whose '.' after the '[' is at p: the
// C locale knows only one-byte symbols. ok is false for a longer one or
// an unterminated one, which glibc takes as no match.
func fnCollatingSymbol[P ~string | ~[]byte](pat P, p int) (sym byte, next int, ok bool) {
	start := p
	for {
		p++
		c := fnAt(pat, p)
		if c == '.' && fnAt(pat, p+1) == ']' {
			return fnAt(pat, start+1), p + 2, p-start-1 == 1
		}
		if c == 0 {
			return 0, 0, false
		}
	}
}

func fnSkipBracket[P ~string | ~[]byte](pat P, p int, not bool) (int, int) {
	for {
		c := fnAt(pat, p)
		p++
		if c == ']' {
			break
		}
		switch {
		case c == 0:
			return fnBrLiteral, 0
		case c == '\\':
			if fnAt(pat, p) == 0 {
				return fnBrNoMatch, 0
			}
			p++
		case c == '[' && fnAt(pat, p) == ':':
			startp := p
			c1 := 0
			for {
				p++
				c = fnAt(pat, p)
				c1++
				if c1 == fnClassNameMax {
					return fnBrNoMatch, 0
				}
				if c == ':' && fnAt(pat, p+1) == ']' {
					break
				}
				if c < 'a' || c >= 'z' {
					p = startp - 2
					break
				}
			}
			p += 2
		case c == '[' && fnAt(pat, p) == '=':
			p++
			if fnAt(pat, p) == 0 {
				return fnBrNoMatch, 0
			}
			p++
			if fnAt(pat, p) != '=' || fnAt(pat, p+1) != ']' {
				return fnBrNoMatch, 0
			}
			p += 2
		case c == '[' && fnAt(pat, p) == '.':
			for {
				p++
				c = fnAt(pat, p)
				if c == 0 {
					return fnBrNoMatch, 0
				}
				if c == '.' && fnAt(pat, p+1) == ']' {
					break
				}
			}
			p += 2
		}
	}
	if not {
		return fnBrNoMatch, 0
	}
	return fnBrMatch, p
}

// fnClass is the C locale's character class of that name, nil if there
// is none; no byte above 0x7f belongs to any of them. A switch, not a
// map: a map literal would be built at every start of the binary.
func fnClass(name string) func(byte) bool {
	switch name {
	case "alnum":
		return func(c byte) bool { return fnIsAlpha(c) || fnIsDigit(c) }
	case "alpha":
		return fnIsAlpha
	case "blank":
		return func(c byte) bool { return c == ' ' || c == '\t' }
	case "cntrl":
		return func(c byte) bool { return c < 0x20 || c == 0x7f }
	case "digit":
		return fnIsDigit
	case "graph":
		return func(c byte) bool { return c > 0x20 && c < 0x7f }
	case "lower":
		return func(c byte) bool { return c >= 'a' && c <= 'z' }
	case "print":
		return func(c byte) bool { return c >= 0x20 && c < 0x7f }
	case "punct":
		return func(c byte) bool { return c > 0x20 && c < 0x7f && !fnIsAlpha(c) && !fnIsDigit(c) }
	case "space":
		return func(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }
	case "upper":
		return func(c byte) bool { return c >= 'A' && c <= 'Z' }
	case "xdigit":
		return func(c byte) bool { return fnIsDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }
	}
	return nil
}

func fnIsAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func fnIsDigit(c byte) bool { return c >= '0' && c <= '9' }
