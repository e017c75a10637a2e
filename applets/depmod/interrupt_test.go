package depmod

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modutils/modutils/internal/debtree"
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

// TestInterruptedWrites kills our depmod with SIGKILL at points spread
// over its run on Debian's tree, over a previous run's files, and checks
// that every output file is then whole: the old one or the new one, byte
// for byte. Each file is written under a temporary name and renamed into
// place, so a kill can leave behind only the one temporary file in
// flight, named NAME.PID.USEC.SEC as kmod names it (kmod does not clean
// these up on its next run, and neither do we); the test checks there is
// never more than one per killed run.
func TestInterruptedWrites(t *testing.T) {
	bin := modutilsBinary(t)
	tree := debtree.View(t, debtree.Get(t, "ko"))
	dir := tree.ModDir()
	depmod := func() *exec.Cmd { return exec.Command(bin, "depmod", "-b", tree.Root, tree.Version) }

	if out, err := depmod().CombinedOutput(); err != nil {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	old, _ := outputs(t, dir)
	// The second run sees one more module, so that most files change.
	extra := filepath.Join(dir, "extra/zz-interrupt.ko")
	os.MkdirAll(filepath.Dir(extra), 0o755)
	if err := os.WriteFile(extra, mod([]string{"alias=zz-interrupt-alias"}, []string{"zz_interrupt_fn"}, "printk"), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if out, err := depmod().CombinedOutput(); err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	full := time.Since(start)
	updated, _ := outputs(t, dir)
	changed := 0
	for name := range old {
		if !bytes.Equal(old[name], updated[name]) {
			changed++
		}
	}
	if changed < 5 {
		t.Fatalf("only %d files differ between the runs", changed)
	}

	const kills = 20
	leftovers := 0
	sawOld, sawNew := false, false
	for i := range kills {
		// Start from the old files each time.
		for name, data := range old {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cmd := depmod()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(full * time.Duration(i) / kills)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		files, others := outputs(t, dir)
		for name := range old {
			switch got := files[name]; {
			case bytes.Equal(got, updated[name]) && !bytes.Equal(got, old[name]):
				sawNew = true
			case bytes.Equal(got, old[name]):
				sawOld = true
			default:
				t.Errorf("kill %d (after %v): %s is neither the old file (%d bytes) nor the new one (%d bytes): %d bytes",
					i, full*time.Duration(i)/kills, name, len(old[name]), len(updated[name]), len(got))
			}
		}
		if len(others) > leftovers+1 {
			t.Errorf("kill %d: temporary files %s: more than one new one", i, strings.Join(others, " "))
		}
		leftovers = len(others)
	}
	if !sawOld || !sawNew {
		t.Errorf("kills saw old files %v, new files %v: the delays missed the writes", sawOld, sawNew)
	}
	t.Logf("full run %v; %d temporary files left by %d kills", full, leftovers, kills)
}
