// Package faultfs is an atomicfile.FS for tests: it records every call a
// run makes, in order, and at a chosen call either fails it with an
// error (ENOSPC, EIO) or stops the run there as a crash would, every
// call from then on doing nothing. Faults are injected at enumerated
// points of a real run, never after a sleep.
package faultfs

import (
	"errors"
	"fmt"
	"io/fs"
	"sync"

	"github.com/modutils/modutils/internal/atomicfile"
)

// ErrStopped is what every call returns once the run has stopped.
var ErrStopped = errors.New("stopped here (an injected crash)")

// FS wraps Base. At is the call (1-based) to act at, 0 for none; there it
// returns Err, or, with Stop, stops the run.
type FS struct {
	Base atomicfile.FS
	At   int
	Err  error
	Stop bool

	mu      sync.Mutex
	calls   []string
	stopped bool
}

// Calls is what was called so far, as "OP PATH", the faulted call
// included.
func (f *FS) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// Stopped reports whether the run was stopped.
func (f *FS) Stopped() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stopped
}

// call records one call and says whether to make it, or what to return.
func (f *FS) call(op, path string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return ErrStopped
	}
	f.calls = append(f.calls, op+" "+path)
	if len(f.calls) != f.At {
		return nil
	}
	if f.Stop {
		f.stopped = true
		return ErrStopped
	}
	if f.Err == nil {
		return fmt.Errorf("faultfs: call %d (%s %s): no error to inject", f.At, op, path)
	}
	return f.Err
}

func (f *FS) CreateExcl(name string, perm fs.FileMode) (atomicfile.File, error) {
	if err := f.call(atomicfile.OpCreate, name); err != nil {
		return nil, err
	}
	file, err := f.Base.CreateExcl(name, perm)
	if err != nil {
		return nil, err
	}
	return &faultFile{fs: f, name: name, base: file}, nil
}

func (f *FS) Rename(oldpath, newpath string) error {
	if err := f.call(atomicfile.OpRename, newpath); err != nil {
		return err
	}
	return f.Base.Rename(oldpath, newpath)
}

func (f *FS) Remove(name string) error {
	if err := f.call("remove", name); err != nil {
		return err
	}
	return f.Base.Remove(name)
}

func (f *FS) SyncDir(dir string) error {
	if err := f.call(atomicfile.OpSyncDir, dir); err != nil {
		return err
	}
	return f.Base.SyncDir(dir)
}

type faultFile struct {
	fs   *FS
	name string
	base atomicfile.File
}

func (w *faultFile) Write(p []byte) (int, error) {
	if err := w.fs.call(atomicfile.OpWrite, w.name); err != nil {
		// A full disk takes part of a write before it refuses the rest.
		if !errors.Is(err, ErrStopped) && len(p) > 1 {
			n, _ := w.base.Write(p[:len(p)/2])
			return n, err
		}
		return 0, err
	}
	return w.base.Write(p)
}

func (w *faultFile) Sync() error {
	if err := w.fs.call(atomicfile.OpSync, w.name); err != nil {
		return err
	}
	return w.base.Sync()
}

func (w *faultFile) Close() error {
	if err := w.fs.call(atomicfile.OpClose, w.name); err != nil {
		w.base.Close() // as a crash would: the descriptor dies with the process
		return err
	}
	return w.base.Close()
}
