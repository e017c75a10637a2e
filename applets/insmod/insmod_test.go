package insmod

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/kernel"
)

func TestStrerror(t *testing.T) {
	t.Parallel()
	for e, want := range map[syscall.Errno]string{
		syscall.ENOEXEC: "Invalid module format",
		syscall.ENOENT:  "Unknown symbol in module",
		syscall.ESRCH:   "Module has wrong symbol version",
		syscall.EINVAL:  "Invalid parameters",
		syscall.EEXIST:  "File exists",
		syscall.ENOSYS:  "Function not implemented",
		syscall.EPERM:   "Operation not permitted",
	} {
		if got := Strerror(e); got != want {
			t.Errorf("Strerror(%v) = %q, want %q", e, got, want)
		}
	}
}

type calls struct {
	err    error
	params string
	flags  int
}

func (c *calls) FinitModule(fd int, params string, flags int) error {
	c.params, c.flags = params, flags
	return c.err
}
func (c *calls) InitModule([]byte, string) error           { return c.err }
func (c *calls) DeleteModule(name string, flags int) error { return c.err }

func TestRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ko := dir + "/m.ko"
	os.WriteFile(ko, []byte("\x7fELF not really a module"), 0o644)
	for _, tt := range []struct {
		args   []string
		err    error
		stderr string
		code   int
		params string
		flags  int
	}{
		{[]string{ko, "a=1", "b=x y"}, nil, "", 0, "a=1 b=x y", 0},
		{[]string{"-f", ko}, nil, "", 0, "", kernel.InitIgnoreVermagic | kernel.InitIgnoreModversions},
		{[]string{ko}, syscall.EEXIST, "insmod: ERROR: could not insert module " + ko + ": File exists\n", 1, "", 0},
		// -v raises libkmod's messages through insmod's own logger.
		{[]string{"-vvv", ko}, syscall.EEXIST, "insmod: INFO: Failed to insert module '" + ko + "': File exists\ninsmod: ERROR: could not insert module " + ko + ": File exists\n", 1, "", 0},
		{[]string{"-vv", ko}, syscall.EEXIST, "insmod: ERROR: could not insert module " + ko + ": File exists\n", 1, "", 0},
		{[]string{"--force", ko, "a=1"}, nil, "", 0, "a=1", kernel.InitIgnoreVermagic | kernel.InitIgnoreModversions},
		{[]string{ko}, syscall.ENOEXEC, "insmod: ERROR: could not insert module " + ko + ": Invalid module format\n", 1, "", 0},
		{[]string{ko}, syscall.ENOENT, "insmod: ERROR: could not insert module " + ko + ": Unknown symbol in module\n", 1, "", 0},
		{[]string{dir + "/none.ko"}, nil, "insmod: ERROR: could not load module " + dir + "/none.ko: No such file or directory\n", 1, "", 0},
		{[]string{}, nil, "insmod: ERROR: missing filename.\n", 1, "", 0},
		{[]string{"-"}, nil, "insmod: ERROR: this tool does not support loading from stdin!\n", 1, "", 0},
	} {
		c := &calls{err: tt.err}
		var out, errb strings.Builder
		code := Run(&applet.Env{Argv0: "insmod", Stdout: &out, Stderr: &errb, Sys: &kernel.Sys{Root: dir, Calls: c}}, tt.args)
		if code != tt.code || errb.String() != tt.stderr || c.params != tt.params || c.flags != tt.flags {
			t.Errorf("insmod %q: exit %d, stderr %q, params %q, flags %d", tt.args, code, errb.String(), c.params, c.flags)
		}
	}
}
