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
	f, st, err := openStat(path, 0)
	if err != nil {
		return nil, 0, err
	}
	return f, st.Size, nil
}

// openStat opens path as openFlags does and fstats what it opened.
func openStat(path string, flags int) (*File, *unix.Stat_t, error) {
	fd, err := openFlags(path, flags)
	if err != nil {
		return nil, nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	return &File{fd, path}, &st, nil
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

// MapFile maps the first n bytes of an open os.File as Map does (for a
// file opened with flags rawfile does not offer, O_NOFOLLOW).
func MapFile(f *os.File, n int) ([]byte, error) {
	sc, err := f.SyscallConn()
	if err != nil {
		return nil, &fs.PathError{Op: "mmap", Path: f.Name(), Err: err}
	}
	var b []byte
	cerr := sc.Control(func(fd uintptr) {
		b, err = unix.Mmap(int(fd), 0, n, unix.PROT_READ, unix.MAP_PRIVATE)
	})
	if err == nil {
		err = cerr
	}
	if err != nil {
		return nil, &fs.PathError{Op: "mmap", Path: f.Name(), Err: err}
	}
	return b, nil
}

// Unmap releases a mapping Map returned.
func Unmap(b []byte) error { return unix.Munmap(b) }

// Fd is the file's descriptor, for a system call that takes one
// (finit_module).
func (f *File) Fd() int { return f.fd }

// Close closes the file; a mapping stays valid until Unmap.
func (f *File) Close() error {
	if err := unix.Close(f.fd); err != nil {
		return &fs.PathError{Op: "close", Path: f.path, Err: err}
	}
	return nil
}

// Identity tells a file from another and from itself rewritten, as far
// as its metadata can: device and inode, size, modification and change
// times (nanoseconds). A caller that hashed a file's bytes compares two
// identities to know that what it hashed is what another read saw.
type Identity struct {
	Dev, Ino     uint64
	Size         int64
	Mtime, Ctime int64
}

func identity(st *unix.Stat_t) Identity {
	return Identity{uint64(st.Dev), uint64(st.Ino), st.Size, st.Mtim.Nano(), st.Ctim.Nano()}
}

// Stat is path's identity, following links.
func Stat(path string) (Identity, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return Identity{}, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	return identity(&st), nil
}

// ReadFile reads the file at path whole into buf, grown as needed, with
// four system calls (open, fstat, pread, close; os.ReadFile makes eight
// or more), and returns the bytes with the identity fstat saw. It reads
// as many bytes as fstat said the file held: a file that shrank
// meanwhile is an error (io.ErrUnexpectedEOF), and one that grew is read
// up to that size, which the identity, compared later, tells.
func ReadFile(path string, buf []byte) ([]byte, Identity, error) {
	fd, err := openRead(path)
	if err != nil {
		return buf, Identity{}, err
	}
	return readAll(fd, path, buf)
}

// Dir is an open directory, for ReadFile relative to it: opening a name
// in it does not walk the directory's path again (a module tree's paths
// run to a dozen components, and a link or two).
type Dir struct {
	fd   int
	path string
}

// OpenDir opens a Dir on a directory already open as f; f may be closed
// independently.
func OpenDir(f *os.File) (*Dir, error) {
	sc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd := -1
	cerr := sc.Control(func(d uintptr) { fd, err = unix.FcntlInt(d, unix.F_DUPFD_CLOEXEC, 0) })
	if err == nil {
		err = cerr
	}
	if err != nil {
		return nil, &fs.PathError{Op: "dup", Path: f.Name(), Err: err}
	}
	return &Dir{fd, f.Name()}, nil
}

// Close closes the directory.
func (d *Dir) Close() error { return unix.Close(d.fd) }

// ReadFile is ReadFile of the file name in d.
func (d *Dir) ReadFile(name string, buf []byte) ([]byte, Identity, error) {
	path := d.path + "/" + name
	for {
		fd, err := unix.Openat(d.fd, name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return buf, Identity{}, &fs.PathError{Op: "open", Path: path, Err: err}
		}
		return readAll(fd, path, buf)
	}
}

// readAll reads the open file fd whole and closes it.
func readAll(fd int, path string, buf []byte) ([]byte, Identity, error) {
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return buf, Identity{}, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	n := int(st.Size)
	if int64(n) != st.Size || n < 0 {
		return buf, Identity{}, &fs.PathError{Op: "read", Path: path, Err: unix.EFBIG}
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	f := File{fd, path}
	if _, err := f.ReadAt(buf, 0); err != nil {
		if err == io.EOF {
			err = &fs.PathError{Op: "read", Path: path, Err: io.ErrUnexpectedEOF}
		}
		return buf[:0], Identity{}, err
	}
	return buf, identity(&st), nil
}

func openRead(path string) (int, error) { return openFlags(path, 0) }

// openFlags opens path read-only, close-on-exec, with the extra flags.
func openFlags(path string, flags int) (int, error) {
	for {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|flags, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, &fs.PathError{Op: "open", Path: path, Err: err}
		}
		return fd, nil
	}
}

// OpenNoFollow opens path read-only unless its last component is a
// symbolic link, and returns what fstat says of the file it opened (not
// of a path that may have changed meanwhile). Two system calls; an
// os.OpenFile registers the file with the runtime's poller first.
func OpenNoFollow(path string) (*File, Owner, error) {
	f, st, err := openStat(path, unix.O_NOFOLLOW)
	if err != nil {
		return nil, Owner{}, err
	}
	return f, Owner{Regular: st.Mode&unix.S_IFMT == unix.S_IFREG, Uid: st.Uid, Perm: fs.FileMode(st.Mode) & fs.ModePerm, Size: st.Size}, nil
}

// OpenStream opens path to be read from start to end (Read): a
// configuration file, or a file of /proc or /sys, whose size stat does
// not tell. One open, where os.Open makes five system calls.
func OpenStream(path string) (*File, error) {
	fd, err := openRead(path)
	if err != nil {
		return nil, err
	}
	return &File{fd, path}, nil
}

// Read is io.Reader, from the file's offset.
func (f *File) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for {
		n, err := unix.Read(f.fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, &fs.PathError{Op: "read", Path: f.path, Err: err}
		}
		if n == 0 {
			return 0, io.EOF
		}
		return n, nil
	}
}

// ReadStream reads path from start to end, as os.ReadFile does, into buf
// (grown as needed), with an open, the reads and a close: for the small
// files of /proc and /sys.
func ReadStream(path string, buf []byte) ([]byte, error) {
	f, err := OpenStream(path)
	if err != nil {
		return buf[:0], err
	}
	defer f.Close()
	buf = buf[:0]
	if cap(buf) < 512 {
		buf = make([]byte, 0, 512)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// OpenDirPath opens the directory at path, for Names and IsDir.
func OpenDirPath(path string) (*Dir, error) {
	fd, err := openFlags(path, unix.O_DIRECTORY)
	if err != nil {
		return nil, err
	}
	return &Dir{fd, path}, nil
}

// Names lists the directory's entries but . and .., in the directory's
// own order, as readdir(3) and os.File.Readdirnames give them. On an
// error it returns the names read before it.
func (d *Dir) Names() ([]string, error) {
	var names []string
	buf := make([]byte, 8192)
	for {
		n, err := unix.ReadDirent(d.fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return names, &fs.PathError{Op: "readdirent", Path: d.path, Err: err}
		}
		if n <= 0 {
			return names, nil
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
	}
}

// IsDir says whether the entry name in d is a directory, following links,
// as fstatat(dirfd, name, &st, 0) sees it: relative to the directory, so
// that an entry whose full path is longer than PATH_MAX is still seen.
func (d *Dir) IsDir(name string) (bool, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(d.fd, name, &st, 0); err != nil {
		return false, &fs.PathError{Op: "fstatat", Path: d.path + "/" + name, Err: err}
	}
	return st.Mode&unix.S_IFMT == unix.S_IFDIR, nil
}
