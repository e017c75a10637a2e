package modinfo

import (
	"testing"

	"github.com/modutils/modutils/applets/applet/cmdlinetest"
)

// TestCommandLine compares modinfo's options, usage and errors with kmod
// 34.2's, on command lines that read no module directory (a basedir that
// does not exist).
func TestCommandLine(t *testing.T) {
	t.Parallel()
	cases := append(cmdlinetest.Common, []cmdlinetest.Case{
		{Name: "missing module", Args: nil},
		{Name: "missing module after options", Args: []string{"-a", "-0", "-k", "1.2"}},
		{Name: "not found", Args: []string{"-b", "/nonexistent", "foo"}},
		{Name: "not found, options permuted", Args: []string{"foo", "-b/nonexistent", "bar"}},
		{Name: "set-version abbreviated", Args: []string{"--s", "1.2", "--basedir=/nonexistent", "foo"}},
		{Name: "field", Args: []string{"-F", "x", "-b", "/nonexistent", "foo"}},
		{Name: "filename abbreviated", Args: []string{"--fil", "-b", "/nonexistent", "foo"}},
		{Name: "ambiguous f", Args: []string{"--f=x", "foo"}},
		{Name: "ambiguous fi", Args: []string{"--fi", "foo"}},
		{Name: "missing field", Args: []string{"-F"}},
		{Name: "missing long field", Args: []string{"foo", "--field"}},
		{Name: "missing basedir", Args: []string{"foo", "-b"}},
		{Name: "missing set-version", Args: []string{"-k"}},
		{Name: "null with a value", Args: []string{"--null=1", "foo"}},
		{Name: "POSIXLY_CORRECT takes -V as a name", Args: []string{"-b", "/nonexistent", "foo", "-V"}, Env: []string{"POSIXLY_CORRECT=1"}},
		{Name: "double dash", Args: []string{"-b", "/nonexistent", "--", "-V"}},
		{Name: "help after a field", Args: []string{"-F", "-h", "-h"}},
	}...)
	cmdlinetest.Compare(t, "modinfo", Run, cases)
}
