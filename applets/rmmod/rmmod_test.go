package rmmod

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/modutils/modutils/internal/debtree"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/kernel"
)

type fakeCalls struct {
	err     error
	deleted []string
	flags   []int
}

func (f *fakeCalls) FinitModule(int, string, int) error { return syscall.ENOSYS }
func (f *fakeCalls) InitModule([]byte, string) error    { return syscall.ENOSYS }
func (f *fakeCalls) DeleteModule(name string, flags int) error {
	f.deleted = append(f.deleted, name)
	f.flags = append(f.flags, flags)
	return f.err
}

// sysTree is a /sys/module with modules in every state rmmod looks at.
func sysTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	mod := func(name, state, refcnt string, holders ...string) {
		dir := root + "/sys/module/" + name
		os.MkdirAll(dir+"/holders", 0o755)
		if state != "" {
			os.WriteFile(dir+"/initstate", []byte(state+"\n"), 0o644)
		}
		if refcnt != "" {
			os.WriteFile(dir+"/refcnt", []byte(refcnt+"\n"), 0o644)
		}
		for _, h := range holders {
			os.WriteFile(dir+"/holders/"+h, nil, 0o644)
		}
	}
	mod("live", "live", "0")
	mod("held", "live", "1", "h1")
	mod("busy", "live", "2")
	mod("coming", "coming", "0")
	mod("going", "going", "0")
	mod("noref", "live", "")
	mod("badref", "live", "x")
	os.MkdirAll(root+"/sys/module/nostate/parameters", 0o755)
	os.MkdirAll(root+"/lib", 0o755)
	return root
}

func run(t *testing.T, root string, calls kernel.Syscalls, args ...string) (string, string, int) {
	t.Helper()
	oldSys, oldDir := Sys, ModuleDir
	Sys, ModuleDir = kernel.Sys{Root: root, Calls: calls}, root+"/lib"
	defer func() { Sys, ModuleDir = oldSys, oldDir }()
	var out, errb strings.Builder
	code := Run(&applet.Env{Argv0: "rmmod", Stdout: &out, Stderr: &errb}, args)
	return out.String(), errb.String(), code
}

func TestRefusals(t *testing.T) {
	root := sysTree(t)
	for _, tt := range []struct {
		args    []string
		stderr  string
		code    int
		deleted string
	}{
		{[]string{"live"}, "", 0, "live"},
		{[]string{"live.ko"}, "", 0, "live"}, // a name ends at its first dot
		{[]string{"held"}, "rmmod: ERROR: Module held is in use by: h1\n", 1, ""},
		{[]string{"busy"}, "rmmod: ERROR: Module busy is in use\n", 1, ""},
		{[]string{"nothere"}, "rmmod: ERROR: Module nothere is not currently loaded\n", 1, ""},
		{[]string{"noref"}, "rmmod: ERROR: Module unloading is not supported\n", 1, ""},
		{[]string{"badref"}, "rmmod: ERROR: could not read integer from '/sys/module/badref/refcnt': 'Invalid argument'\n", 1, ""},
		{[]string{"nostate"}, "rmmod: ERROR: could not open '/sys/module/nostate/holders': No such file or directory\nrmmod: ERROR: Module unloading is not supported\n", 1, ""},
		{[]string{"coming"}, "", 0, "coming"},
		{[]string{"-f", "held"}, "", 0, "held"},
		{[]string{"busy", "live"}, "rmmod: ERROR: Module busy is in use\n", 1, "live"},
		{[]string{}, "rmmod: ERROR: missing module name.\n", 1, ""},
		{[]string{"-w", "x"}, "rmmod: invalid option -- 'w'\n", 1, ""},
	} {
		calls := &fakeCalls{}
		_, stderr, code := run(t, root, calls, tt.args...)
		if stderr != tt.stderr || code != tt.code || strings.Join(calls.deleted, " ") != tt.deleted {
			t.Errorf("rmmod %q: exit %d, deleted %q, stderr %q; want %d, %q, %q", tt.args, code, calls.deleted, stderr, tt.code, tt.deleted, tt.stderr)
		}
	}
}

func TestRemoveFailure(t *testing.T) {
	root := sysTree(t)
	calls := &fakeCalls{err: syscall.EAGAIN}
	_, stderr, code := run(t, root, calls, "-f", "live")
	want := "rmmod: ERROR: could not remove 'live': Resource temporarily unavailable\n" +
		"rmmod: ERROR: could not remove module live: Resource temporarily unavailable\n"
	if stderr != want || code != 1 {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if calls.flags[0] != kernel.RemoveForce|kernel.RemoveNowait {
		t.Errorf("flags %#o", calls.flags[0])
	}
}

// TestOracle runs kmod 34.2's rmmod with the fake /sys/module bind-mounted
// over the real one in a private mount namespace of a user namespace of
// its own, and ours on the same tree. There delete_module cannot act: a
// kernel that loads modules refuses it (EPERM: no CAP_SYS_MODULE in the
// first user namespace) and one without module support has none (ENOSYS);
// ours gets the same errno from a fake. The command line, --help and
// --version are compared in TestCommandLine.
func TestOracle(t *testing.T) {
	kmod := debtree.Kmod(t, "rmmod")
	if _, err := exec.LookPath("unshare"); err != nil {
		debtree.Missing(t, "needs unshare(1)")
	}
	deleteErr := syscall.EPERM
	if _, err := os.Stat("/proc/modules"); err != nil {
		deleteErr = syscall.ENOSYS
	}
	root := sysTree(t)
	file := filepath.Join(t.TempDir(), "going.ko")
	os.WriteFile(file, nil, 0o644)
	for _, args := range [][]string{
		{"live"}, {"held"}, {"busy"}, {"nothere"}, {"noref"}, {"badref"}, {"nostate"}, {"coming"}, {"going"},
		{"-f", "held"}, {"busy", "live", "x"}, {"-v", "held"}, {"-s", "held"}, {file},
	} {
		cmd := exec.Command("unshare", append([]string{"-U", "-r", "-m", "sh", "-c", `mount --bind "$0" /sys/module && exec "$KMOD" "$@"`, root + "/sys/module"}, args...)...)
		cmd.Env = append(os.Environ(), "KMOD="+kmod)
		var kout, kerr strings.Builder
		cmd.Stdout, cmd.Stderr = &kout, &kerr
		kcode := 0
		if err := cmd.Run(); err != nil {
			ee, ok := err.(*exec.ExitError)
			if !ok {
				t.Fatal(err)
			}
			kcode = ee.ExitCode()
		}
		oldSys, oldDir := Sys, ModuleDir
		Sys = kernel.Sys{Root: root, Calls: &fakeCalls{err: deleteErr}}
		ModuleDir = root + "/lib"
		var out, errb strings.Builder
		code := Run(&applet.Env{Argv0: kmod, Stdout: &out, Stderr: &errb}, args)
		Sys, ModuleDir = oldSys, oldDir
		if out.String() != kout.String() || errb.String() != kerr.String() || code != kcode {
			t.Errorf("rmmod %q:\nkmod: %d %q %q\nours: %d %q %q", args, kcode, kout.String(), kerr.String(), code, out.String(), errb.String())
		}
	}
}
