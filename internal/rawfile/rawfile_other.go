//go:build !unix

package rawfile

import (
	"errors"
	"os"
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

var errNoMap = errors.New("mmap: not supported")

// Map fails: the caller reads the file instead.
func (f *File) Map(n int) ([]byte, error) { return nil, errNoMap }

// Unmap has nothing to release.
func Unmap(b []byte) error { return nil }

// IsDirAt says whether name in the open directory dir is a directory,
// following links.
func IsDirAt(dir *os.File, name string) (bool, error) {
	st, err := os.Stat(dir.Name() + "/" + name)
	if err != nil {
		return false, err
	}
	return st.IsDir(), nil
}
