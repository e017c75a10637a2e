package depmod

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/applets/applet/cmdlinetest"
	"github.com/modutils/modutils/internal/atomicfile"
	"github.com/modutils/modutils/internal/atomicfile/faultfs"
	"github.com/modutils/modutils/internal/debtree"
	"github.com/modutils/modutils/internal/libc"
)

// modutilsBinary is the built multi-call binary: $VMMODUTILS as make test
// sets it, else one built for the test.
func modutilsBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("VMMODUTILS"); p != "" {
		return p
	}
	_, file, _, _ := runtime.Caller(0)
	bin := filepath.Join(t.TempDir(), "modutils")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Join(filepath.Dir(file), "../..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// outputs reads every file depmod writes, and lists the names of the
// other files that are not inputs (leftover temporary files).
func outputs(t *testing.T, dir string) (files map[string][]byte, others []string) {
	t.Helper()
	files = snapshot(t, dir)
	tmp := regexp.MustCompile(`^modules\.[a-z.]+\.[0-9]+\.[0-9]+\.[0-9]+$`)
	for name := range files {
		if tmp.MatchString(name) {
			delete(files, name)
			others = append(others, name)
		}
	}
	return files, others
}

// twoStates is Debian's tree indexed by our depmod (old), and what a run
// writes after one more module is added (updated): most files differ.
type twoStates struct {
	root, version, dir string
	old, updated       map[string][]byte
}

func newTwoStates(t *testing.T) *twoStates {
	tree := debtree.View(t, debtree.Get(t, "ko"))
	s := &twoStates{root: tree.Root, version: tree.Version, dir: tree.ModDir()}
	if code, _, errOut := cmdlinetest.Capture("depmod", Run, "-b", s.root, s.version); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, errOut)
	}
	s.old, _ = outputs(t, s.dir)
	extra := filepath.Join(s.dir, "extra/zz-interrupt.ko")
	os.MkdirAll(filepath.Dir(extra), 0o755)
	if err := os.WriteFile(extra, mod([]string{"alias=zz-interrupt-alias"}, []string{"zz_interrupt_fn"}, "printk"), 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

// restore puts the old files back, as before each interrupted run.
func (s *twoStates) restore(t *testing.T) {
	for name, data := range s.old {
		if err := os.WriteFile(filepath.Join(s.dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// check wants every output entirely old or entirely new; it returns the
// leftover temporary files.
func (s *twoStates) check(t *testing.T, when string) (others []string) {
	t.Helper()
	files, others := outputs(t, s.dir)
	for name := range s.old {
		if got := files[name]; !bytes.Equal(got, s.old[name]) && !bytes.Equal(got, s.updated[name]) {
			t.Errorf("%s: %s is neither the old file (%d bytes) nor the new one (%d bytes): %d bytes",
				when, name, len(s.old[name]), len(s.updated[name]), len(got))
		}
	}
	return others
}

// TestWriteFaults runs depmod's writing over Debian's tree once to
// enumerate its file system calls (create, write, fsync, close and
// rename for each file, the directory's fsyncs), then again for each
// call: failing it with ENOSPC, failing it with EIO, and stopping the run
// there as a crash would. After each, every output file is entirely old or entirely new; a
// failure exits 1 with kmod's message and leaves no temporary file; a
// stop leaves temporary files of this run only (all are written before
// any is renamed), which the next run removes.
func TestWriteFaults(t *testing.T) {
	t.Parallel()
	s := newTwoStates(t)
	var stderr bytes.Buffer
	env := &applet.Env{Argv0: "depmod", Stdout: &stderr, Stderr: &stderr}
	j, code := prepare(env, []string{"-b", s.root, s.version}, nil)
	if j == nil {
		t.Fatalf("prepare: exit %d: %s", code, stderr.String())
	}
	rec := &faultfs.FS{Base: atomicfile.OS}
	if code := j.write(rec); code != 0 {
		t.Fatalf("recording run: exit %d: %s", code, stderr.String())
	}
	s.updated, _ = outputs(t, s.dir)
	changed := 0
	for name := range s.old {
		if !bytes.Equal(s.old[name], s.updated[name]) {
			changed++
		}
	}
	calls := rec.Calls()
	if changed < 5 || len(calls) < 5*len(s.old) {
		t.Fatalf("%d files changed, %d calls for %d files: not a run worth interrupting", changed, len(calls), len(s.old))
	}
	faults := []struct {
		name string
		err  error
		stop bool
	}{{"ENOSPC", syscall.ENOSPC, false}, {"EIO", syscall.EIO, false}, {"stop", nil, true}}
	points := 0
	for at := 1; at <= len(calls); at++ {
		for _, f := range faults {
			s.restore(t)
			stderr.Reset()
			when := f.name + " at " + calls[at-1]
			ffs := &faultfs.FS{Base: atomicfile.OS, At: at, Err: f.err, Stop: f.stop}
			code := j.write(ffs)
			points++
			others := s.check(t, when)
			switch {
			case f.stop:
				if len(others) > len(s.old) {
					t.Errorf("%s: temporary files %q: more than one an output", when, others)
				}
				// The next run finds the leftover and removes it.
				if code := j.write(atomicfile.OS); code != 0 {
					t.Fatalf("%s: the next run: exit %d: %s", when, code, stderr.String())
				}
				if files, others := outputs(t, s.dir); len(others) != 0 || !bytes.Equal(files["modules.dep"], s.updated["modules.dep"]) {
					t.Errorf("%s: after the next run, temporary files %q", when, others)
				}
			default:
				msg := stderr.String()
				if code != 1 || !strings.HasPrefix(msg, "depmod: ") || !strings.Contains(msg, libc.Strerror(f.err)) {
					t.Errorf("%s: exit %d, stderr %q", when, code, msg)
				}
				if len(others) != 0 {
					t.Errorf("%s: temporary files left: %q", when, others)
				}
			}
		}
	}
	t.Logf("%d calls, %d faults injected over %d files", len(calls), points, len(s.old))
}

// TestKilled kills the real binary with SIGKILL right after its k-th
// rename, for every k, seen through inotify (an event, not a delay): the
// files are each old or new, at most one temporary file an output not
// yet renamed is left, and the next run leaves none.
func TestKilled(t *testing.T) {
	t.Parallel()
	s := newTwoStates(t)
	bin := modutilsBinary(t)
	depmod := func() *exec.Cmd { return exec.Command(bin, "depmod", "-b", s.root, s.version) }
	if out, err := depmod().CombinedOutput(); err != nil {
		t.Fatalf("updated run: %v\n%s", err, out)
	}
	s.updated, _ = outputs(t, s.dir)
	sawNew := false
	for k := 1; k <= len(s.old); k++ {
		s.restore(t)
		in, err := unix.InotifyInit1(unix.IN_CLOEXEC)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := unix.InotifyAddWatch(in, s.dir, unix.IN_MOVED_TO); err != nil {
			t.Fatal(err)
		}
		cmd := depmod()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitRenames(t, in, k)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		unix.Close(in)
		when := fmt.Sprintf("killed after rename %d", k)
		if others := s.check(t, when); len(others) > len(s.old)-k {
			t.Errorf("%s: temporary files %q: more than the outputs not yet renamed", when, others)
		}
		files, _ := outputs(t, s.dir)
		for name := range s.old {
			if bytes.Equal(files[name], s.updated[name]) && !bytes.Equal(s.old[name], s.updated[name]) {
				sawNew = true
			}
		}
	}
	// The last kill comes after every rename: whatever depmod did before
	// the others landed, that one sees the new files.
	if !sawNew {
		t.Errorf("no kill saw a new file: the renames were not seen")
	}
	if out, err := depmod().CombinedOutput(); err != nil {
		t.Fatalf("last run: %v\n%s", err, out)
	}
	if _, others := outputs(t, s.dir); len(others) != 0 {
		t.Errorf("after a normal run, temporary files %q", others)
	}
}

// waitRenames reads inotify events until n files were renamed into the
// directory.
func waitRenames(t *testing.T, fd, n int) {
	t.Helper()
	buf := make([]byte, 64*1024)
	seen := 0
	for seen < n {
		m, err := unix.Read(fd, buf)
		if err != nil {
			t.Fatalf("inotify: %v", err)
		}
		for off := 0; off+unix.SizeofInotifyEvent <= m; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			if ev.Mask&unix.IN_MOVED_TO != 0 {
				seen++
			}
			off += unix.SizeofInotifyEvent + int(ev.Len)
		}
	}
}
