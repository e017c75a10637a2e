package lsmod

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/internal/debtree"
	"github.com/modutils/modutils/kernel"
)

func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, c := range files {
		if strings.HasSuffix(p, "/") {
			os.MkdirAll(root+p, 0o755)
			continue
		}
		os.MkdirAll(filepath.Dir(root+p), 0o755)
		if err := os.WriteFile(root+p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func run(t *testing.T, root string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb strings.Builder
	noVars := func(string) (string, bool) { return "", false }
	code := Run(&applet.Env{Argv0: "/sbin/lsmod", Stdout: &out, Stderr: &errb, LookupEnv: noVars, Sys: &kernel.Sys{Root: root}}, args)
	return out.String(), errb.String(), code
}

// The format is tools/lsmod.c's: a header, then "%-19s %8ld  %d" and the
// holders, the first after a space and the others after commas.
func TestGolden(t *testing.T) {
	t.Parallel()
	root := tree(t, map[string]string{
		"/proc/modules": "nfsv4 1118208 1 - Live 0x0000000000000000\n" +
			"a_module_with_a_long_name 12 0 - Live 0x0\n" +
			"nfs 532480 2 nfsv4, Live 0x0\n" +
			"gone 4096 0 - Live 0x0\n",
		"/sys/module/nfsv4/coresize":                     "1118208\n",
		"/sys/module/nfsv4/refcnt":                       "1\n",
		"/sys/module/nfsv4/holders/":                     "",
		"/sys/module/a_module_with_a_long_name/coresize": "12\n",
		"/sys/module/a_module_with_a_long_name/refcnt":   "0\n",
		"/sys/module/a_module_with_a_long_name/holders/": "",
		"/sys/module/nfs/coresize":                       "532480\n",
		"/sys/module/nfs/refcnt":                         "2\n",
		"/sys/module/nfs/holders/nfsv4":                  "",
	})
	out, errs, code := run(t, root)
	want := "Module                  Size  Used by\n" +
		"nfsv4                1118208  1\n" +
		"a_module_with_a_long_name       12  0\n" +
		"nfs                   532480  2 nfsv4\n" +
		"gone                      -2  -2\n"
	if out != want || code != 0 {
		t.Errorf("exit %d, output\n%s\nwant\n%s", code, out, want)
	}
	wantErr := "lsmod: ERROR: could not open '/sys/module/gone/holders': No such file or directory\n"
	if errs != wantErr {
		t.Errorf("stderr %q, want %q", errs, wantErr)
	}
}

func TestManyHolders(t *testing.T) {
	t.Parallel()
	root := tree(t, map[string]string{
		"/proc/modules":            "x 100 3 - Live 0x0\n",
		"/sys/module/x/coresize":   "100\n",
		"/sys/module/x/refcnt":     "3\n",
		"/sys/module/x/holders/a":  "",
		"/sys/module/x/holders/b":  "",
		"/sys/module/x/holders/cc": "",
	})
	out, _, _ := run(t, root)
	line := strings.Split(out, "\n")[1]
	prefix := "x                        100  3 "
	if !strings.HasPrefix(line, prefix) {
		t.Fatalf("line %q", line)
	}
	holders := strings.Split(strings.TrimPrefix(line, prefix), ",")
	if len(holders) != 3 {
		t.Errorf("holders %q", holders)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	out, errs, code := run(t, t.TempDir())
	want := "lsmod: ERROR: could not open /proc/modules: No such file or directory\n" +
		"lsmod: ERROR: could not get list of modules: No such file or directory\n"
	if out != "" || errs != want || code != 1 {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	out, errs, code = run(t, t.TempDir(), "-v", "x")
	if out != "" || errs != "lsmod: ERROR: too many arguments provided.\n" || code != 1 {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// TestOracle runs kmod 34.2's lsmod with a fake /proc and /sys/module
// bind-mounted in a private mount namespace, and ours on the same tree.
func TestOracle(t *testing.T) {
	t.Parallel()
	lsmod := debtree.Kmod(t, "lsmod")
	if _, err := exec.LookPath("unshare"); err != nil {
		debtree.Missing(t, "needs unshare(1)")
	}
	root := tree(t, map[string]string{
		"/proc/modules": "nfsv4 1118208 1 - Live 0x0\nlng_module_name_over_19 12 0 - Live 0x0\n" +
			"nfs 532480 2 nfsv4, Live 0x0\ngone 4096 0 - Live 0x0\nx 1 1 - Live 0\nnocore 77 0 - Live 0\n",
		"/sys/module/nfsv4/coresize":                   "1118208\n",
		"/sys/module/nfsv4/refcnt":                     "1\n",
		"/sys/module/nfsv4/holders/":                   "",
		"/sys/module/lng_module_name_over_19/coresize": "12\n",
		"/sys/module/lng_module_name_over_19/refcnt":   "0\n",
		"/sys/module/lng_module_name_over_19/holders/": "",
		"/sys/module/nfs/coresize":                     "532480\n",
		"/sys/module/nfs/refcnt":                       "2\n",
		"/sys/module/nfs/holders/nfsv4":                "",
		"/sys/module/x/refcnt":                         "x\n",
		"/sys/module/x/coresize":                       "1",
		"/sys/module/x/holders/a":                      "",
		"/sys/module/x/holders/b":                      "",
		"/sys/module/nocore/refcnt":                    "0\n",
	})
	// A mount namespace of a user namespace of its own: no root needed.
	cmd := exec.Command("unshare", "-U", "-r", "-m", "sh", "-c", `mount --bind "$0/proc" /proc && mount --bind "$0/sys/module" /sys/module && exec "$1"`, root, lsmod)
	var kout, kerr strings.Builder
	cmd.Stdout, cmd.Stderr = &kout, &kerr
	if err := cmd.Run(); err != nil {
		t.Fatal(err, kerr.String())
	}
	out, errs, code := run(t, root)
	if out != kout.String() || errs != kerr.String() || code != 0 {
		t.Errorf("kmod:\n%s%s\nours (exit %d):\n%s%s", kout.String(), kerr.String(), code, out, errs)
	}
}
