//go:build !unix

package rawfile

import (
	"errors"
	"io"
	"os"
	"syscall"
)

// File is an os.File where there are no raw system calls.
type File struct{ *os.File }

// Open opens path read-only and returns its size.
func Open(path string) (*File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return &File{f}, fi.Size(), nil
}

// Fd is the file's descriptor.
func (f *File) Fd() int { return int(f.File.Fd()) }

var errNoMap = errors.New("mmap: not supported")

// Map fails: the caller reads the file instead.
func (f *File) Map(n int) ([]byte, error) { return nil, errNoMap }

// MapFile fails: the caller reads the file instead.
func MapFile(f *os.File, n int) ([]byte, error) { return nil, errNoMap }

// Unmap has nothing to release.
func Unmap(b []byte) error { return nil }

// OpenNoFollow opens path read-only; where the owner is not known it
// is given as nobody's.
func OpenNoFollow(path string) (*File, Owner, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Owner{}, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, Owner{}, err
	}
	return &File{f}, Owner{Regular: fi.Mode().IsRegular(), Uid: ^uint32(0), Perm: fi.Mode().Perm(), Size: fi.Size()}, nil
}

// Identity tells a file from another and from itself rewritten, as far
// as os.FileInfo can: size and modification time.
type Identity struct {
	Size  int64
	Mtime int64
}

// Stat is path's identity, following links.
func Stat(path string) (Identity, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Identity{}, err
	}
	return Identity{fi.Size(), fi.ModTime().UnixNano()}, nil
}

// ReadFile reads the file at path whole into buf, grown as needed, and
// returns it with the file's identity.
func ReadFile(path string, buf []byte) ([]byte, Identity, error) {
	f, err := os.Open(path)
	if err != nil {
		return buf, Identity{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return buf, Identity{}, err
	}
	n := int(fi.Size())
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(f, buf); err != nil {
		return buf[:0], Identity{}, err
	}
	return buf, Identity{fi.Size(), fi.ModTime().UnixNano()}, nil
}

// Dir is an open directory, for ReadFile relative to it.
type Dir struct{ path string }

// OpenDir opens a Dir on a directory already open as f.
func OpenDir(f *os.File) (*Dir, error) { return &Dir{f.Name()}, nil }

// Close closes the directory.
func (d *Dir) Close() error { return nil }

// ReadFile is ReadFile of the file name in d.
func (d *Dir) ReadFile(name string, buf []byte) ([]byte, Identity, error) {
	return ReadFile(d.path+"/"+name, buf)
}

// OpenStream opens path to be read from start to end (Read).
func OpenStream(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &File{f}, nil
}

// ReadStream reads path from start to end, as os.ReadFile does.
func ReadStream(path string, buf []byte) ([]byte, error) {
	b, err := os.ReadFile(path)
	return append(buf[:0], b...), err
}

// OpenDirPath opens the directory at path, for Names and IsDir.
func OpenDirPath(path string) (*Dir, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, &os.PathError{Op: "open", Path: path, Err: syscall.ENOTDIR}
	}
	return &Dir{path}, nil
}

// Names lists the directory's entries but . and .., in the directory's
// own order.
func (d *Dir) Names() ([]string, error) {
	f, err := os.Open(d.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

// IsDir says whether the entry name in d is a directory, following links.
func (d *Dir) IsDir(name string) (bool, error) {
	st, err := os.Stat(d.path + "/" + name)
	if err != nil {
		return false, err
	}
	return st.IsDir(), nil
}
