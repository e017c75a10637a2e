package depmod

import (
	"testing"

	"github.com/modutils/modutils/applets/applet/cmdlinetest"
)

// TestCommandLine compares depmod's options, usage and errors with kmod
// 34.2's, on command lines that end before a module directory is read.
func TestCommandLine(t *testing.T) {
	t.Parallel()
	cases := append(cmdlinetest.Common, []cmdlinetest.Case{
		{Name: "bad version", Args: []string{"x"}},
		{Name: "bad version after options", Args: []string{"-a", "-b", "/nonexistent", "x", "-v"}},
		{Name: "bad version after double dash", Args: []string{"-a", "--", "-V"}},
		{Name: "POSIXLY_CORRECT stops at the version", Args: []string{"-An", "x", "-V"}, Env: []string{"POSIXLY_CORRECT=1"}},
		{Name: "prefix of two letters", Args: []string{"-P", "ab"}},
		{Name: "empty prefix", Args: []string{"--symbol-prefix="}},
		{Name: "prefix attached", Args: []string{"-P_", "x"}},
		{Name: "quick show does nothing", Args: []string{"-An"}},
		{Name: "quick show permuted", Args: []string{"1.2", "-nA", "-b/nonexistent"}},
		{Name: "quick dry run abbreviated", Args: []string{"--qu", "--dry", "-m", "/x"}},
		{Name: "missing basedir", Args: []string{"-b"}},
		{Name: "missing long basedir", Args: []string{"--basedir"}},
		{Name: "missing moduledir", Args: []string{"-A", "-m"}},
		{Name: "moduledir abbreviated without value", Args: []string{"--m"}},
		{Name: "missing outdir", Args: []string{"--outdir"}},
		{Name: "missing config", Args: []string{"-C"}},
		{Name: "missing symvers", Args: []string{"-E"}},
		{Name: "missing filesyms", Args: []string{"--filesyms"}},
		{Name: "ambiguous s", Args: []string{"--s"}},
		{Name: "ambiguous s with value", Args: []string{"--s=x"}},
		{Name: "show with a value", Args: []string{"--show=1"}},
		{Name: "dropped -u", Args: []string{"-u"}},
		{Name: "dropped -q", Args: []string{"-q"}},
		{Name: "dropped -r", Args: []string{"-r"}},
		{Name: "dropped --quiet", Args: []string{"--quiet"}},
		{Name: "dropped --root", Args: []string{"--root"}},
		{Name: "dropped --unresolved-error", Args: []string{"--unresolved-error"}},
		{Name: "dropped --map", Args: []string{"--map"}},
		{Name: "help after dropped letters", Args: []string{"-ah", "-u"}},
	}...)
	cmdlinetest.Compare(t, "depmod", Run, cases)
}
