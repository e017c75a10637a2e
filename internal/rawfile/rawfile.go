// Package rawfile reads files with plain system calls: elfmod's module
// files, moddep's indexes (mapped), modconf's configuration files and
// directory entries (seen through fstatat, as kmod sees them) and the
// small files of /proc and /sys that kernel reads. os.File costs five
// extra system calls an open (O_NONBLOCK toggling and a failing epoll
// registration), and its first open sets up the runtime's poller: a
// fifth of the total when depmod scans a whole tree, and as much again
// for each file every modprobe reads.
//
// It is the one package besides kernel/... that imports x/sys/unix (the
// layering test in internal/layers checks this); it touches only the files
// it is given, and the memory they are decompressed into (HugeBuffer's
// advice), never the running kernel's state.
package rawfile

import (
	"io/fs"
	"os"
)

// PageEnd rounds n up to a whole number of pages: a mapping's length.
func PageEnd(n int) int {
	ps := os.Getpagesize()
	return (n + ps - 1) / ps * ps
}

// Owner is what a caller that trusts a file only if it is root's needs
// to know of it: whether it is a regular file, its owner, its
// permission bits and its size.
type Owner struct {
	Regular bool
	Uid     uint32
	Perm    fs.FileMode
	Size    int64
}
