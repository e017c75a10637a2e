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
