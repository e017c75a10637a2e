package multicall

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/modutils/modutils/applets/applet"
)

// TestInstall makes the applet links as BusyBox's --install does: hard
// links, or symbolic ones with -s, leaving a name that exists alone.
func TestInstall(t *testing.T) {
	t.Parallel()
	names := []string{"depmod", "lsmod", "modprobe"}
	for _, symbolic := range []bool{false, true} {
		dir := t.TempDir()
		self := filepath.Join(t.TempDir(), "modutils")
		os.WriteFile(self, []byte("binary"), 0o755)
		os.WriteFile(filepath.Join(dir, "lsmod"), []byte("someone else's"), 0o755)
		var errOut bytes.Buffer
		if err := Install(&applet.Env{Stderr: &errOut}, names, self, dir, symbolic); err != nil {
			t.Fatalf("symbolic %v: %v %s", symbolic, err, errOut.String())
		}
		want, _ := os.Stat(self)
		for _, name := range names {
			path := filepath.Join(dir, name)
			st, err := os.Stat(path)
			switch {
			case err != nil:
				t.Errorf("%s: %v", path, err)
			case name == "lsmod":
				if b, _ := os.ReadFile(path); string(b) != "someone else's" {
					t.Errorf("%s replaced", path)
				}
			case !os.SameFile(st, want):
				t.Errorf("%s is not the binary", path)
			}
			if l, err := os.Lstat(path); err == nil && name != "lsmod" {
				if got := l.Mode()&os.ModeSymlink != 0; got != symbolic {
					t.Errorf("%s: symbolic link %v, want %v", path, got, symbolic)
				}
			}
		}
	}
	var errOut bytes.Buffer
	if Install(&applet.Env{Stderr: &errOut}, names, "/bin/true", "/nonexistent", false) == nil || errOut.Len() == 0 {
		t.Errorf("a directory that does not exist: no error")
	}
}
