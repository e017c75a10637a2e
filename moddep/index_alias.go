package moddep

import (
	"errors"
	"fmt"
	"strings"

	"github.com/modutils/modutils/internal/libc"
)

// kmodPathMax is PATH_MAX, the size of the buffer kmod normalizes aliases
// into; its truncation is part of the output.
const kmodPathMax = 4096

// ErrUnmatchedBracket is returned by NormalizeAlias for an alias whose
// brackets do not pair up; depmod skips such aliases with a warning.
var ErrUnmatchedBracket = errors.New("unmatched bracket")

// NormalizeAlias turns an alias into the key depmod stores in
// modules.alias.bin and modules.builtin.alias.bin, as kmod's
// alias_normalize: dashes become underscores except inside [...], and a
// stray ']' or an unclosed '[' is an error. Like kmod it stops at a NUL and
// after PATH_MAX-1 bytes, unless a bracket expression straddles that limit.
func NormalizeAlias(alias string) (string, error) {
	alias = libc.CString(alias)
	if len(alias) < kmodPathMax-1 && !strings.ContainsAny(alias, "-[]") {
		return alias, nil
	}
	buf := make([]byte, 0, len(alias))
	for i := 0; i < kmodPathMax-1 && i < len(alias); i++ {
		switch c := alias[i]; c {
		case '-':
			buf = append(buf, '_')
		case ']':
			return "", fmt.Errorf("alias %q: %w", alias, ErrUnmatchedBracket)
		case '[':
			end := strings.IndexByte(alias[i:], ']')
			if end < 0 {
				return "", fmt.Errorf("alias %q: %w", alias, ErrUnmatchedBracket)
			}
			buf = append(buf, alias[i:i+end+1]...)
			i += end
		default:
			buf = append(buf, c)
		}
	}
	return string(buf), nil
}
