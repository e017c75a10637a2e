// Package atomicfile replaces files so that a reader, a crash or a power
// cut sees each one entirely old or entirely new: the data goes to a
// fresh temporary file beside the target (created exclusively), is
// fsynced and closed, the directory is fsynced so the temporary name is
// durable, the file is renamed over the target, and the directory is
// fsynced again so the rename is, as dpkg does it. A failure at any step
// removes the temporary file and leaves the target as it was.
//
// Every file system call goes through FS, so that tests can enumerate
// the calls of a real run and fail (ENOSPC, EIO) or stop at each one
// (package atomicfile/faultfs).
package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// FS is every call a replacement makes.
type FS interface {
	// CreateExcl creates name for writing; it fails if name exists.
	CreateExcl(name string, perm fs.FileMode) (File, error)
	Rename(oldpath, newpath string) error
	Remove(name string) error
	// SyncDir makes dir's entries durable.
	SyncDir(dir string) error
}

// File is a file being written.
type File interface {
	Write(p []byte) (int, error)
	Sync() error
	Close() error
}

// OS is the running system's file system.
var OS FS = osFS{}

type osFS struct{}

func (osFS) CreateExcl(name string, perm fs.FileMode) (File, error) {
	return os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
}

func (osFS) Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }

func (osFS) Remove(name string) error { return os.Remove(name) }

func (osFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Steps of a replacement, as the Op of the *fs.PathError it returns: a
// caller that prints kmod's messages tells a failed write from a failed
// rename by it.
const (
	OpCreate  = "create"
	OpWrite   = "write"
	OpSync    = "fsync"
	OpClose   = "close"
	OpSyncDir = "fsync directory"
	OpRename  = "rename"
	// OpSyncRenamed is the directory's fsync after the rename: the
	// target is new already, only its durability is in question.
	OpSyncRenamed = "fsync directory after rename"
)

// Pending is a replacement under way: its data goes to the temporary
// file until Commit puts it in place or Abort drops it.
type Pending struct {
	fsys        FS
	f           File
	target, tmp string
	err         error // the first write error
	done        bool
}

// Create starts replacing target through tmp, a name in target's
// directory that no one else uses; it fails if tmp exists.
func Create(fsys FS, target, tmp string, perm fs.FileMode) (*Pending, error) {
	f, err := fsys.CreateExcl(tmp, perm)
	if err != nil {
		return nil, &fs.PathError{Op: OpCreate, Path: tmp, Err: unwrap(err)}
	}
	return &Pending{fsys: fsys, f: f, target: target, tmp: tmp}, nil
}

// Write writes to the temporary file. After an error it writes nothing
// more, and Commit returns that error.
func (p *Pending) Write(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	n, err := p.f.Write(b)
	if err != nil {
		p.err = &fs.PathError{Op: OpWrite, Path: p.tmp, Err: unwrap(err)}
	}
	return n, p.err
}

// Commit puts the data in place: fsync and close the file, fsync the
// directory, rename, fsync the directory. On error the target is
// untouched (or, past a rename whose directory fsync failed, already
// new) and the temporary file is removed; the error is an *fs.PathError
// whose Op says which step failed.
func (p *Pending) Commit() error {
	if p.done {
		return errors.New("atomicfile: Commit after Commit or Abort")
	}
	p.done = true
	dir := filepath.Dir(p.target)
	fail := func(op, path string, err error) error {
		p.fsys.Remove(p.tmp)
		return &fs.PathError{Op: op, Path: path, Err: unwrap(err)}
	}
	if p.err != nil {
		p.f.Close()
		p.fsys.Remove(p.tmp)
		return p.err
	}
	if err := p.f.Sync(); err != nil {
		p.f.Close()
		return fail(OpSync, p.tmp, err)
	}
	if err := p.f.Close(); err != nil {
		return fail(OpClose, p.tmp, err)
	}
	if err := p.fsys.SyncDir(dir); err != nil {
		return fail(OpSyncDir, dir, err)
	}
	if err := p.fsys.Rename(p.tmp, p.target); err != nil {
		return fail(OpRename, p.target, err)
	}
	// The target is new now, whatever this says: only its durability
	// across a power cut is in question.
	if err := p.fsys.SyncDir(dir); err != nil {
		return &fs.PathError{Op: OpSyncRenamed, Path: dir, Err: unwrap(err)}
	}
	return nil
}

// CommitAll commits replacements of files in one directory together:
// every temporary file fsynced and closed at once (the file system
// writes them back in parallel and joins their journal commits, where
// one Commit after another waits for each in turn), the directory
// fsynced, each renamed in order, the directory fsynced again. A
// failure before the renames removes every temporary file and leaves
// every target old; a failed rename leaves the ones before it new and
// the others old. It returns the index of the replacement the error
// concerns (its Op says which step failed, as Commit's).
func CommitAll(ps []*Pending) (int, error) {
	if len(ps) == 0 {
		return 0, nil
	}
	for i, p := range ps {
		if p.done {
			return i, errors.New("atomicfile: Commit after Commit or Abort")
		}
		p.done = true
	}
	abort := func(from int) {
		for _, p := range ps[from:] {
			p.fsys.Remove(p.tmp)
		}
	}
	errs := make([]error, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		if p.err != nil {
			p.f.Close()
			errs[i] = p.err
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.f.Sync(); err != nil {
				p.f.Close()
				errs[i] = &fs.PathError{Op: OpSync, Path: p.tmp, Err: unwrap(err)}
			} else if err := p.f.Close(); err != nil {
				errs[i] = &fs.PathError{Op: OpClose, Path: p.tmp, Err: unwrap(err)}
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			abort(0)
			return i, err
		}
	}
	dir := filepath.Dir(ps[0].target)
	if err := ps[0].fsys.SyncDir(dir); err != nil {
		abort(0)
		return 0, &fs.PathError{Op: OpSyncDir, Path: dir, Err: unwrap(err)}
	}
	for i, p := range ps {
		if err := p.fsys.Rename(p.tmp, p.target); err != nil {
			abort(i)
			return i, &fs.PathError{Op: OpRename, Path: p.target, Err: unwrap(err)}
		}
	}
	if err := ps[0].fsys.SyncDir(dir); err != nil {
		return len(ps) - 1, &fs.PathError{Op: OpSyncRenamed, Path: dir, Err: unwrap(err)}
	}
	return 0, nil
}

// Abort drops a replacement not committed; after Commit it does nothing.
func (p *Pending) Abort() {
	if p.done {
		return
	}
	p.done = true
	p.f.Close()
	p.fsys.Remove(p.tmp)
}

// Replace makes target hold data, through tmp: Create, Write, Commit.
func Replace(fsys FS, target, tmp string, perm fs.FileMode, data []byte) error {
	p, err := Create(fsys, target, tmp, perm)
	if err != nil {
		return err
	}
	p.Write(data)
	return p.Commit()
}

// unwrap keeps the errno of an *fs.PathError or *os.LinkError, so that
// the step's own PathError does not name a path twice.
func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
