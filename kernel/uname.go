package kernel

import "golang.org/x/sys/unix"

// Release is the running kernel's release, uname -r, which names the
// module directory.
func Release() (string, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", err
	}
	return unix.ByteSliceToString(u.Release[:]), nil
}
