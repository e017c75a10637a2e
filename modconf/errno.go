package modconf

import (
	"errors"
	"syscall"
)

// ErrnoString words err as glibc's strerror does, the text kmod prints for
// %m and strerror(): Go's own table is the same text in lower case.
func ErrnoString(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
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
