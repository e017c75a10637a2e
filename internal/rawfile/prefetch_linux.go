//go:build linux

package rawfile

import "golang.org/x/sys/unix"

// Prefetch asks the kernel to start reading the file at path into the
// page cache and returns without waiting: a reader that will decode one
// file after another gets the disk working on the next ones meanwhile.
// It is advice: a file that cannot be opened is left for the read
// itself to report.
func Prefetch(path string) {
	if fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
		willNeed(fd)
	}
}

// Prefetch is Prefetch of the file name in d.
func (d *Dir) Prefetch(name string) {
	if fd, err := unix.Openat(d.fd, name, unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
		willNeed(fd)
	}
}

func willNeed(fd int) {
	unix.Fadvise(fd, 0, 0, unix.FADV_WILLNEED)
	unix.Close(fd)
}
