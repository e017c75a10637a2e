package lsmod

import (
	"testing"

	"github.com/modutils/modutils/applets/applet/cmdlinetest"
)

// TestCommandLine compares lsmod's options, usage and errors with kmod
// 34.2's.
func TestCommandLine(t *testing.T) {
	t.Parallel()
	cases := append(cmdlinetest.Common, []cmdlinetest.Case{
		{Name: "too many arguments", Args: []string{"x"}},
		{Name: "too many arguments after options", Args: []string{"-v", "-v", "x", "y"}},
		{Name: "operand after double dash", Args: []string{"--", "-V"}},
		{Name: "POSIXLY_CORRECT stops at the operand", Args: []string{"x", "-V"}, Env: []string{"POSIXLY_CORRECT=1"}},
		{Name: "syslog takes the error", Args: []string{"--s", "x"}},
		{Name: "syslog letter takes the error", Args: []string{"-sv", "x"}},
		{Name: "verbose", Args: []string{"--verb", "-h"}},
		{Name: "syslog with a value", Args: []string{"--syslog=yes"}},
	}...)
	cmdlinetest.Compare(t, "lsmod", Run, cases)
}
