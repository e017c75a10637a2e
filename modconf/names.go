package modconf

// Underscores normalises a module name as kmod's underscores() does: every
// '-' becomes '_', except inside a bracket expression ("[...]"), which is
// kept as written so that wildcard names stay valid fnmatch patterns. A ']'
// outside brackets or a '[' never closed makes the name invalid; ok is then
// false and name is what kmod's buffer holds at that point (converted up to
// the offending byte), which kmod prints in some messages.
func Underscores(s string) (name string, ok bool) {
	b := []byte(s)
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '-':
			b[i] = '_'
		case ']':
			return string(b), false
		case '[':
			for i < len(b) && b[i] != ']' {
				i++
			}
			if i == len(b) {
				return string(b), false
			}
		}
	}
	return string(b), true
}

// pathMax is Linux's PATH_MAX, the size of the buffers libkmod builds names
// and paths in.
const pathMax = 4096

// AliasNormalize is kmod's alias_normalize, which modprobe applies to the
// names it is asked to load before looking them up: like Underscores, but a
// name longer than PATH_MAX-1 bytes is cut there, and on failure nothing
// useful is returned.
func AliasNormalize(s string) (string, bool) {
	s = cString(s)
	b := make([]byte, 0, min(len(s), pathMax-1))
	i := 0
	for ; i < pathMax-1 && i < len(s); i++ {
		switch c := s[i]; c {
		case '-':
			b = append(b, '_')
		case ']':
			return "", false
		case '[':
			for i < len(s) && s[i] != ']' {
				b = append(b, s[i])
				i++
			}
			if i == len(s) {
				return "", false
			}
			b = append(b, ']')
		default:
			b = append(b, c)
		}
	}
	return string(b), true
}

// cString cuts s at its first NUL, where a C string would end.
func cString(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return s[:i]
		}
	}
	return s
}
