//go:build unix

package rawfile

import (
	"io"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// File is a read-only file used through pread and mmap only.
type File struct {
	fd   int
	path string
}

// Open opens path read-only and returns its size; its errors are
// *fs.PathError.
func Open(path string) (*File, int64, error) {
	var fd int
	var err error
	for {
		fd, err = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return nil, 0, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, 0, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	return &File{fd, path}, st.Size, nil
}

// ReadAt is io.ReaderAt: short only at the end of the file (io.EOF).
func (f *File) ReadAt(b []byte, off int64) (int, error) {
	done := 0
	for done < len(b) {
		n, err := unix.Pread(f.fd, b[done:], off+int64(done))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return done, &fs.PathError{Op: "read", Path: f.path, Err: err}
		}
		if n == 0 {
			return done, io.EOF
		}
		done += n
	}
	return done, nil
}

// Map maps the first n bytes of the file read-only and private; bytes past
// the end of the file, up to the end of its last page, read as zeros.
// Release the mapping with Unmap. Some filesystems cannot be mapped: the
// caller then reads the file instead.
func (f *File) Map(n int) ([]byte, error) {
	b, err := unix.Mmap(f.fd, 0, n, unix.PROT_READ, unix.MAP_PRIVATE)
	if err != nil {
		return nil, &fs.PathError{Op: "mmap", Path: f.path, Err: err}
	}
	return b, nil
}

// Unmap releases a mapping Map returned.
func Unmap(b []byte) error { return unix.Munmap(b) }

// Close closes the file; a mapping stays valid until Unmap.
func (f *File) Close() error {
	if err := unix.Close(f.fd); err != nil {
		return &fs.PathError{Op: "close", Path: f.path, Err: err}
	}
	return nil
}

// IsDirAt says whether name in the open directory dir is a directory,
// following links, as fstatat(dirfd, name, &st, 0) sees it: relative to the
// directory, so that an entry whose full path is longer than PATH_MAX is
// still seen.
func IsDirAt(dir *os.File, name string) (bool, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(int(dir.Fd()), name, &st, 0); err != nil {
		return false, &fs.PathError{Op: "fstatat", Path: dir.Name() + "/" + name, Err: err}
	}
	return st.Mode&unix.S_IFMT == unix.S_IFDIR, nil
}
