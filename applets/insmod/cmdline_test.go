package insmod

import (
	"testing"

	"github.com/modutils/modutils/applets/applet/cmdlinetest"
)

// TestCommandLine compares insmod's options, usage and errors with kmod
// 34.2's, on command lines that end before anything is loaded.
func TestCommandLine(t *testing.T) {
	t.Parallel()
	cases := append(cmdlinetest.Common, []cmdlinetest.Case{
		{Name: "missing filename", Args: nil},
		{Name: "missing filename after options", Args: []string{"-f", "-v", "--syslog"}},
		{Name: "stdin", Args: []string{"-"}},
		{Name: "no such file", Args: []string{"/nonexistent.ko", "a=1"}},
		{Name: "no such file forced", Args: []string{"-f", "/nonexistent.ko"}},
		{Name: "no such file verbose", Args: []string{"-vv", "/nonexistent.ko"}},
		{Name: "no such file to syslog", Args: []string{"-s", "/nonexistent.ko"}},
		{Name: "force abbreviated", Args: []string{"--f", "/nonexistent.ko"}},
		{Name: "syslog abbreviated", Args: []string{"--s", "/nonexistent.ko"}},
		{Name: "force with a value", Args: []string{"--force=yes", "/nonexistent.ko"}},
		{Name: "version after the parameters", Args: []string{"/nonexistent.ko", "a=1", "-V"}},
		{Name: "POSIXLY_CORRECT takes -V as a parameter", Args: []string{"/nonexistent.ko", "-V"}, Env: []string{"POSIXLY_CORRECT=1"}},
		{Name: "double dash", Args: []string{"--", "-V"}},
		{Name: "kmod 30's -p is gone", Args: []string{"-p", "/nonexistent.ko"}},
	}...)
	cmdlinetest.Compare(t, "insmod", Run, cases)
}
