package kernel

import "golang.org/x/sys/unix"

// Mknoder makes device nodes; kerneld's static nodes go through it, and
// tests substitute a recorder (mknod needs root and a filesystem that
// allows device nodes).
type Mknoder interface {
	// Mknod makes a character (typ 'c') or block ('b') node at path with
	// the permission bits perm (less the umask) and major:minor.
	Mknod(path string, typ byte, perm uint32, major, minor uint32) error
}

// Nodes is the real mknod(2).
type Nodes struct{}

// Mknod is mknod(2).
func (Nodes) Mknod(path string, typ byte, perm uint32, major, minor uint32) error {
	kind := uint32(unix.S_IFCHR)
	if typ == 'b' {
		kind = unix.S_IFBLK
	}
	return unix.Mknod(path, kind|perm&0o7777, int(unix.Mkdev(major, minor)))
}
