//go:build !linux

package rawfile

// Prefetch has no advice to give the kernel here: the read that follows
// waits for the disk as it would have.
func Prefetch(path string) {}

// Prefetch is Prefetch of the file name in d.
func (d *Dir) Prefetch(name string) {}
