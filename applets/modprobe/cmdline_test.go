package modprobe

import (
	"testing"

	"github.com/modutils/modutils/applets/applet/cmdlinetest"
)

// TestCommandLine compares modprobe's options, usage and errors with kmod
// 34.2's, on command lines that end before anything is loaded (a dirname
// that does not exist).
func TestCommandLine(t *testing.T) {
	t.Parallel()
	cases := append(cmdlinetest.Common, []cmdlinetest.Case{
		{Name: "missing parameters", Args: nil},
		{Name: "missing parameters after options", Args: []string{"-v", "-r", "--first-time"}},
		{Name: "bad wait", Args: []string{"-w", "x", "y"}},
		{Name: "bad long wait", Args: []string{"--wait=0x10z", "y"}},
		{Name: "empty wait", Args: []string{"--wai=", "y"}},
		{Name: "missing wait", Args: []string{"-r", "-w"}},
		{Name: "missing config", Args: []string{"-C"}},
		{Name: "missing long config", Args: []string{"--config"}},
		{Name: "missing dirname", Args: []string{"x", "-d"}},
		{Name: "missing set-version", Args: []string{"-S"}},
		{Name: "ambiguous s", Args: []string{"--s"}},
		{Name: "ambiguous rem", Args: []string{"--rem"}},
		{Name: "ambiguous show-", Args: []string{"--show-", "x"}},
		{Name: "one option's two names", Args: []string{"--remove-"}},
		{Name: "ignore abbreviated", Args: []string{"--ig"}},
		{Name: "dump-modversions without a file", Args: []string{"--dump"}},
		{Name: "not found", Args: []string{"-d", "/nonexistent", "foo"}},
		{Name: "not found, options permuted", Args: []string{"foo", "-n", "--dirn=/nonexistent"}},
		{Name: "not found, resolve only", Args: []string{"-R", "-d/nonexistent", "foo"}},
		{Name: "not found with -a", Args: []string{"-a", "-d", "/nonexistent", "foo", "bar"}},
		{Name: "POSIXLY_CORRECT takes -V as a parameter", Args: []string{"-d", "/nonexistent", "foo", "-V"}, Env: []string{"POSIXLY_CORRECT=1"}},
		{Name: "double dash", Args: []string{"-d", "/nonexistent", "--", "-V"}},
		{Name: "version from MODPROBE_OPTIONS", Args: []string{"foo"}, Env: []string{"MODPROBE_OPTIONS=-V"}},
		{Name: "bad option from MODPROBE_OPTIONS", Args: []string{"-V"}, Env: []string{"MODPROBE_OPTIONS=-x"}},
		{Name: "quoted dirname from MODPROBE_OPTIONS", Args: []string{"foo"}, Env: []string{"MODPROBE_OPTIONS=-n '-d/nonexistent'"}},
	}...)
	cmdlinetest.Compare(t, "modprobe", Run, cases)
}
