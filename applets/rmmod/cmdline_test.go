package rmmod

import (
	"testing"

	"github.com/modutils/modutils/applets/applet/cmdlinetest"
)

// TestCommandLine compares rmmod's options, usage and errors with kmod
// 34.2's, on command lines that end before anything is removed.
func TestCommandLine(t *testing.T) {
	t.Parallel()
	cases := append(cmdlinetest.Common, []cmdlinetest.Case{
		{Name: "missing module name", Args: nil},
		{Name: "missing module name after options", Args: []string{"-f", "-sv"}},
		{Name: "not loaded", Args: []string{"nonexistent_xyz"}},
		{Name: "not loaded verbose", Args: []string{"-vv", "nonexistent_xyz"}},
		{Name: "not loaded to syslog", Args: []string{"--sys", "nonexistent_xyz"}},
		{Name: "version after the names", Args: []string{"nonexistent_xyz", "-V"}},
		{Name: "POSIXLY_CORRECT takes -V as a name", Args: []string{"nonexistent_xyz", "-V"}, Env: []string{"POSIXLY_CORRECT=1"}},
		{Name: "double dash", Args: []string{"--", "-V"}},
		{Name: "kmod 30's -w is gone", Args: []string{"-w", "nonexistent_xyz"}},
		{Name: "force with a value", Args: []string{"--force=1", "x"}},
	}...)
	cmdlinetest.Compare(t, "rmmod", Run, cases)
}
