package atomicfile_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/modutils/modutils/internal/atomicfile"
	"github.com/modutils/modutils/internal/atomicfile/faultfs"
)

// faults are what each fault test injects at each call in turn.
var faults = []struct {
	name string
	err  error
	stop bool
}{{"ENOSPC", syscall.ENOSPC, false}, {"EIO", syscall.EIO, false}, {"stop", nil, true}}

// TestReplaceSteps: the calls a replacement makes, in order; a reader of
// this list sees dpkg's sequence.
func TestReplaceSteps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target, tmp := filepath.Join(dir, "f"), filepath.Join(dir, "f.tmp")
	rec := &faultfs.FS{Base: atomicfile.OS}
	if err := atomicfile.Replace(rec, target, tmp, 0o644, []byte("new")); err != nil {
		t.Fatal(err)
	}
	want := []string{"create " + tmp, "write " + tmp, "fsync " + tmp, "close " + tmp,
		"fsync directory " + dir, "rename " + target, "fsync directory " + dir}
	if got := rec.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls:\n%q\nwant\n%q", got, want)
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Errorf("target holds %q", b)
	}
}

// TestReplaceFaults fails, or stops at, every call of a replacement in
// turn: the target is then entirely old or entirely new, a failure
// leaves no temporary file and names its step, and a stop leaves at most
// the temporary file.
func TestReplaceFaults(t *testing.T) {
	t.Parallel()
	const calls = 7
	for _, fault := range faults {
		for at := 1; at <= calls; at++ {
			dir := t.TempDir()
			target, tmp := filepath.Join(dir, "f"), filepath.Join(dir, "f.tmp")
			os.WriteFile(target, []byte("old contents"), 0o644)
			ffs := &faultfs.FS{Base: atomicfile.OS, At: at, Err: fault.err, Stop: fault.stop}
			err := atomicfile.Replace(ffs, target, tmp, 0o644, []byte("new contents"))
			step := ffs.Calls()[at-1]
			b, _ := os.ReadFile(target)
			if s := string(b); s != "old contents" && s != "new contents" {
				t.Errorf("%s at %q: target holds %q", fault.name, step, s)
			}
			renamed := at > 6 // only the last fsync comes after the rename
			if got := string(b) == "new contents"; got != renamed {
				t.Errorf("%s at %q: target new = %v, want %v", fault.name, step, got, renamed)
			}
			_, terr := os.Stat(tmp)
			switch {
			case fault.stop:
				if !errors.Is(err, faultfs.ErrStopped) {
					t.Errorf("stop at %q: %v", step, err)
				}
			default:
				var pe *fs.PathError
				if !errors.As(err, &pe) || !errors.Is(err, fault.err) {
					t.Errorf("%s at %q: %v, want an *fs.PathError wrapping it", fault.name, step, err)
				} else if op := strings.Replace(pe.Op, atomicfile.OpSyncRenamed, atomicfile.OpSyncDir, 1); op+" "+pe.Path != step || (pe.Op == atomicfile.OpSyncRenamed) != renamed {
					t.Errorf("%s at %q: error names %q %q", fault.name, step, pe.Op, pe.Path)
				}
				if terr == nil {
					t.Errorf("%s at %q: temporary file left", fault.name, step)
				}
			}
		}
	}
}

// TestReplaceExclusive: a temporary name already taken is an error, and
// the file there is not touched.
func TestReplaceExclusive(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target, tmp := filepath.Join(dir, "f"), filepath.Join(dir, "f.tmp")
	os.WriteFile(tmp, []byte("someone else's"), 0o644)
	err := atomicfile.Replace(atomicfile.OS, target, tmp, 0o644, []byte("new"))
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("Replace over a taken temporary name: %v", err)
	}
	if b, _ := os.ReadFile(tmp); string(b) != "someone else's" {
		t.Errorf("the other file now holds %q", b)
	}
}

// TestCommitAllFaults fails, or stops at, every call of a CommitAll of
// three replacements in turn: each target is then entirely old or
// entirely new, none is new unless every fsync succeeded, the ones
// before a failed rename are new and those from it on old, and a
// failure leaves no temporary file.
func TestCommitAllFaults(t *testing.T) {
	t.Parallel()
	names := []string{"a", "b", "c"}
	// Each file's create, write, fsync and close, the directory's fsync,
	// the three renames, the directory's fsync.
	const calls = 4*3 + 1 + 3 + 1
	for _, fault := range faults {
		for at := 0; at <= calls; at++ {
			dir := t.TempDir()
			ffs := &faultfs.FS{Base: atomicfile.OS, At: at, Err: fault.err, Stop: fault.stop}
			var ps []*atomicfile.Pending
			var err error
			for _, n := range names {
				os.WriteFile(filepath.Join(dir, n), []byte("old "+n), 0o644)
			}
			for _, n := range names {
				var p *atomicfile.Pending
				if p, err = atomicfile.Create(ffs, filepath.Join(dir, n), filepath.Join(dir, n+".tmp"), 0o644); err != nil {
					break
				}
				ps = append(ps, p)
				if _, err = p.Write([]byte("new " + n)); err != nil {
					break
				}
			}
			failedAt := -1
			if err != nil {
				for _, p := range ps {
					p.Abort()
				}
			} else {
				failedAt, err = atomicfile.CommitAll(ps)
			}
			when := fmt.Sprintf("%s at call %d", fault.name, at)
			if at == 0 {
				when = "no fault"
			}
			// The renames that went through: every one recorded but the
			// faulted call (a stopped run records nothing after it).
			renamesOK := 0
			for k, c := range ffs.Calls() {
				if strings.HasPrefix(c, atomicfile.OpRename+" ") && k+1 != at {
					renamesOK++
				}
			}
			for k, n := range names {
				b, _ := os.ReadFile(filepath.Join(dir, n))
				want := "old " + n
				if k < renamesOK {
					want = "new " + n
				}
				if string(b) != want {
					t.Errorf("%s: %s holds %q, want %q (%d renames went through)", when, n, b, want, renamesOK)
				}
			}
			if at == 0 || fault.stop {
				if at == 0 && (err != nil || renamesOK != len(names)) {
					t.Errorf("%s: %v, %d renames", when, err, renamesOK)
				}
				continue
			}
			if !errors.Is(err, fault.err) {
				t.Errorf("%s: error %v (index %d)", when, err, failedAt)
			}
			for _, n := range names {
				if _, terr := os.Stat(filepath.Join(dir, n+".tmp")); terr == nil {
					t.Errorf("%s: temporary file %s.tmp left", when, n)
				}
			}
		}
	}
}
