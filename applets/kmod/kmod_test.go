package kmod

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/applets/applet/cmdlinetest"
	"github.com/modutils/modutils/internal/debtree"
	"github.com/modutils/modutils/kernel"
)

// ours runs our kmod command, called as "kmod" as kmod's tests call
// theirs, over tool.
func ours(tool Tool, args ...string) debtree.Result {
	return debtree.Captured(cmdlinetest.Capture("kmod", tool.Run, args...))
}

// diff reports where got differs from kmod's want.
func diff(t *testing.T, what string, got, want debtree.Result) {
	t.Helper()
	if got.Code != want.Code {
		t.Errorf("%s: exit %d, kmod %d", what, got.Code, want.Code)
	}
	if got.Stdout != want.Stdout {
		t.Errorf("%s: stdout\n got: %q\nwant: %q", what, got.Stdout, want.Stdout)
	}
	if got.Stderr != want.Stderr {
		t.Errorf("%s: stderr\n got: %q\nwant: %q", what, got.Stderr, want.Stderr)
	}
}

// TestCommandLine compares with kmod 34.2 everything that reads no module
// directory, or only the host's /proc/modules: help, version, unknown and
// missing commands, bad options, kmod list.
func TestCommandLine(t *testing.T) {
	t.Parallel()
	debtree.Kmod(t, "kmod")
	cases := []struct {
		name    string
		args    []string
		version bool // stdout is our shared version text
	}{
		{"none", nil, false},
		{"help-short", []string{"-h"}, false},
		{"help-long", []string{"--help"}, false},
		{"help-abbrev", []string{"--he"}, false},
		{"help-command", []string{"help"}, false},
		{"help-command-args", []string{"help", "list", "-x"}, false},
		{"version-short", []string{"-V"}, true},
		{"version-long", []string{"--version"}, true},
		{"version-then-bogus-command", []string{"-V", "bogus"}, true},
		{"unknown-command", []string{"bogus"}, false},
		{"empty-command", []string{""}, false},
		{"dash-command", []string{"-"}, false},
		{"compat-lsmod", []string{"lsmod"}, false},
		{"compat-modprobe", []string{"modprobe", "-n", "loop"}, false},
		{"bad-short", []string{"-x"}, false},
		{"bad-long", []string{"--bogus"}, false},
		{"bad-arg", []string{"--help=yes"}, false},
		{"double-dash-only", []string{"--"}, false},
		{"double-dash-unknown", []string{"--", "-x"}, false},
		{"list", []string{"list"}, false},
		{"list-after-double-dash", []string{"--", "list"}, false},
		{"list-help", []string{"list", "-h"}, false},
		{"list-help-long", []string{"list", "--help"}, false},
		{"list-version", []string{"list", "-V"}, true},
		{"list-too-many", []string{"list", "extra"}, false},
		{"list-too-many-after-dashes", []string{"list", "--", "-h"}, false},
		{"list-operand-stops-options", []string{"list", "extra", "-h"}, false},
		{"list-bad-option", []string{"list", "-x"}, false},
		{"list-bad-option-after-dashes", []string{"--", "list", "-x"}, false},
		{"list-verbose", []string{"list", "-vv"}, false},
		{"list-syslog", []string{"list", "-s"}, false},
		{"static-nodes-help", []string{"static-nodes", "-h"}, false},
		{"static-nodes-help-long", []string{"static-nodes", "--help"}, false},
		{"static-nodes-bad-option", []string{"static-nodes", "-x"}, false},
		{"static-nodes-bad-long", []string{"static-nodes", "--bogus"}, false},
		{"static-nodes-format-missing", []string{"static-nodes", "-f"}, false},
		{"static-nodes-output-missing", []string{"static-nodes", "--output"}, false},
		{"static-nodes-bad-format", []string{"static-nodes", "-f", "json"}, false},
		{"static-nodes-bad-format-long", []string{"static-nodes", "--format=Human"}, false},
		{"static-nodes-bad-format-then-help", []string{"static-nodes", "-fjson", "-h"}, false},
		{"static-nodes-help-then-bad-format", []string{"static-nodes", "-h", "-f", "json"}, false},
		{"static-nodes-help-after-operand", []string{"static-nodes", "x", "-f", "json"}, false},
		{"help-then-bad-option", []string{"-h", "-x"}, false},
		{"version-then-bad-long", []string{"-V", "--bogus"}, true},
		{"bad-option-then-help", []string{"-x", "-h"}, false},
		{"list-help-then-bad-option", []string{"list", "-h", "-x"}, false},
		{"list-version-then-bad-option", []string{"list", "-Vx"}, true},
		{"static-nodes-help-then-bad-option", []string{"static-nodes", "-h", "-x"}, false},
		{"static-nodes-bad-option-then-help", []string{"static-nodes", "-x", "-h"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Neither side may find a modules.devname: kmod's is looked
			// for under the host's /lib/modules, so ours is too.
			got := ours(Tool{}, c.args...)
			want := debtree.RunKmod(t, "kmod", c.args...)
			if c.version {
				if got.Stdout != applet.Version {
					t.Errorf("stdout %q, want the version every applet prints, %q", got.Stdout, applet.Version)
				}
				got.Stdout = want.Stdout
			}
			diff(t, fmt.Sprint(c.args), got, want)
		})
	}
}

// namespaced runs kmod 34.2's kmod with args, and with withOurs ours
// after it (this test binary as TestHelperKmod, on the running system),
// in a private mount namespace that the shell script setup prepares;
// env is setup's. kmod 34.2 has no option for another module directory,
// /proc or /sys, so the namespace is how it sees the test's files.
func namespaced(t *testing.T, setup string, env []string, withOurs bool, args ...string) (ours, theirs debtree.Result) {
	t.Helper()
	if os.Geteuid() != 0 {
		debtree.Missing(t, "mounting in a private namespace needs root")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		debtree.Missing(t, "unshare (util-linux) is not installed")
	}
	kmod := debtree.Kmod(t, "kmod")
	work := t.TempDir()
	script := "set -e\n" + setup + `
PATH="$(dirname "$KMOD"):$PATH"
set +e
kmod "$@" >"$WORK/kmod.stdout" 2>"$WORK/kmod.stderr"
echo $? >"$WORK/kmod.code"
if [ -n "$WITH_OURS" ]; then
	KMOD_TEST_ROOT= "$BIN" -test.run='^TestHelperKmod$' -- "$@" >"$WORK/ours.stdout" 2>"$WORK/ours.stderr"
	echo $? >"$WORK/ours.code"
fi
`
	cmd := exec.Command("unshare", append([]string{"-m", "--propagation", "private", "sh", "-c", script, "sh"}, args...)...)
	cmd.Env = append(append(os.Environ(), env...), "WORK="+work, "KMOD="+kmod, "BIN="+os.Args[0])
	if withOurs {
		cmd.Env = append(cmd.Env, "WITH_OURS=1")
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("unshare: %v\n%s", err, out)
	}
	read := func(side string) debtree.Result {
		var r debtree.Result
		for name, p := range map[string]*string{"stdout": &r.Stdout, "stderr": &r.Stderr} {
			data, err := os.ReadFile(filepath.Join(work, side+"."+name))
			if err != nil {
				t.Fatal(err)
			}
			*p = string(data)
		}
		code, _ := os.ReadFile(filepath.Join(work, side+".code"))
		fmt.Sscan(string(code), &r.Code)
		return r
	}
	if withOurs {
		ours = read("ours")
		ours.Stderr = raceNoise.ReplaceAllString(ours.Stderr, "")
	}
	return ours, read("kmod")
}

// raceNoise is what a -race build of the test binary says on stderr when
// /proc is mounted over, which it cannot read its own name through: the
// race runtime's, not our kmod's.
var raceNoise = regexp.MustCompile(`(?m)^==[0-9]+==WARNING: reading executable name failed with errno [0-9]+, some stack frames may not be symbolized\n`)

// privateModules runs kmod 34.2's kmod with args in a private mount
// namespace whose /lib/modules holds only src (copied there as
// /lib/modules/$(uname -r)), or nothing when src is "". /lib/modules may
// not even exist here: then a throw-away overlay over its parent lets
// the namespace have one without touching the host.
func privateModules(t *testing.T, src string, args ...string) debtree.Result {
	t.Helper()
	setup := `if [ -d /lib/modules ]; then
	mount -t tmpfs tmpfs /lib/modules
else
	parent=$(readlink -f /lib)
	mkdir "$WORK/upper" "$WORK/work"
	mount -t overlay overlay -o "lowerdir=$parent,upperdir=$WORK/upper,workdir=$WORK/work" "$parent"
	mkdir /lib/modules
fi
if [ -n "$SRC" ]; then cp -a "$SRC" "/lib/modules/$(uname -r)"; fi`
	_, theirs := namespaced(t, setup, []string{"SRC=" + src}, false, args...)
	return theirs
}

// moduleDir makes a root whose /lib/modules/$(uname -r) is a copy of
// src (nothing when src is ""), for our side of privateModules.
func moduleDir(t *testing.T, src string) Tool {
	t.Helper()
	root := t.TempDir()
	if src == "" {
		return Tool{Root: root}
	}
	rel, err := kernel.Release()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(root+"/lib/modules", 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", src, root+"/lib/modules/"+rel).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v: %s", err, out)
	}
	return Tool{Root: root}
}

// devnameDir is a module directory holding only a modules.devname with
// content.
func devnameDir(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/modules.devname", []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// staticCase is one static-nodes run, to stdout or, where the arguments
// name OUT, to a file there that is then compared too.
type staticCase struct {
	name string
	args []string
	// inOut runs both sides in the output directory, for relative paths.
	inOut bool
}

var formatCases = []staticCase{
	{"default", []string{"static-nodes"}, false},
	{"human", []string{"static-nodes", "-f", "human"}, false},
	{"tmpfiles", []string{"static-nodes", "--format=tmpfiles"}, false},
	{"devname", []string{"static-nodes", "--format", "devname"}, false},
	{"abbreviated", []string{"static-nodes", "--form=devname", "--out", "OUT/x.conf"}, false},
	{"last-format-wins", []string{"static-nodes", "-fdevname", "-ftmpfiles"}, false},
	{"tmpfiles-output", []string{"static-nodes", "--format=tmpfiles", "--output=OUT/static-nodes.conf"}, false},
	{"human-output", []string{"static-nodes", "-o", "OUT/human"}, false},
	{"devname-output-new-dirs", []string{"static-nodes", "-f", "devname", "-o", "OUT/a/b//c/devname"}, false},
	{"output-then-operand", []string{"static-nodes", "-oOUT/x", "ignored"}, false},
}

// runStatic runs a case on both sides with src as the module directory
// and compares them, and the files written.
func runStatic(t *testing.T, src string, c staticCase) {
	t.Helper()
	out := t.TempDir()
	args := make([]string, len(c.args))
	file := ""
	for i, a := range c.args {
		args[i] = strings.ReplaceAll(a, "OUT", out)
		if args[i] != a && file == "" {
			file = args[i][strings.Index(args[i], out):]
		}
	}
	// Both write to the same path, one after the other, so that
	// messages naming it compare equal.
	want := privateModules(t, src, args...)
	wantFile := snapshotFile(t, file)
	if file != "" {
		os.RemoveAll(out)
		os.MkdirAll(out, 0o755)
	}
	got := ours(moduleDir(t, src), args...)
	gotFile := snapshotFile(t, file)
	diff(t, fmt.Sprint(c.args), got, want)
	if gotFile != wantFile {
		t.Errorf("%v: %s\n got: %.300q\nwant: %.300q", c.args, file, gotFile, wantFile)
	}
	if file != "" {
		if left, _ := filepath.Glob(filepath.Join(filepath.Dir(file), ".*")); len(left) > 0 {
			t.Errorf("%v: temporary files left: %v", c.args, left)
		}
	}
}

// snapshotFile is a file's mode and content, and its directory's mode.
func snapshotFile(t *testing.T, path string) string {
	t.Helper()
	if path == "" {
		return ""
	}
	st, err := os.Stat(path)
	if err != nil {
		return "absent"
	}
	dst, _ := os.Stat(filepath.Dir(path))
	data, _ := os.ReadFile(path)
	return fmt.Sprintf("%v in %v: %s", st.Mode(), dst.Mode(), data)
}

// TestStaticNodesTrees compares static-nodes, in every format, to stdout
// and to a file, on the modules.devname kmod 34.2's depmod writes for
// Debian 13's and Debian 12's trees.
func TestStaticNodesTrees(t *testing.T) {
	t.Parallel()
	depmod := debtree.Kmod(t, "depmod")
	trees := []debtree.Named{{Name: "deb13", Tree: debtree.Trixie(t)}, {Name: "deb12", Tree: debtree.Get(t, "ko")}}
	for _, tr := range trees {
		t.Run(tr.Name, func(t *testing.T) {
			v := debtree.View(t, tr.Tree)
			if out, err := exec.Command(depmod, "-b", v.Root, v.Version).CombinedOutput(); err != nil {
				t.Fatalf("kmod depmod: %v: %s", err, out)
			}
			data, err := os.ReadFile(filepath.Join(v.ModDir(), "modules.devname"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), "tun net/tun c10:200\n") || !strings.Contains(string(data), "loop loop-control c10:237\n") {
				t.Fatalf("kmod's modules.devname lacks tun or loop:\n%s", data)
			}
			src := devnameDir(t, string(data))
			for _, c := range formatCases {
				t.Run(c.name, func(t *testing.T) { runStatic(t, src, c) })
			}
		})
	}
}

// TestStaticNodesFiles compares static-nodes with kmod 34.2 on damaged
// and odd modules.devname files and module directories, and on outputs
// it cannot write.
func TestStaticNodesFiles(t *testing.T) {
	// Not parallel: t.Chdir (runStaticIn): relative output paths are resolved against the working directory.
	long := "m " + strings.Repeat("n", 5000) + " c1:2\nok ok c1:3\n"
	files := []struct{ name, content string }{
		{"comments-and-blanks", "# Device nodes\n#\ntun net/tun c10:200\n\n  # not a comment\nloop loop-control c10:237\n"},
		{"bad-type", "x dev x1:2\nfuse fuse c10:229\ny dev B1:2\n"},
		{"scanf-edges", "a  \t b\tc1:2 trailing words\nneg dev c-1:+2\nbig dev b99999999999:4294967297\nhuge dev c99999999999999999999999:1\nsp dev c 1: 2\nnocolon dev c1 2\nnominor dev c1:\nshort dev\nonly\n"},
		{"no-final-newline", "tun net/tun c10:200\nloop loop-control c10:237"},
		{"bad-no-final-newline", "tun net/tun c10:200\nloop loop-control"},
		{"long-line", long},
		{"nul-byte", "tu\x00n net/tun c10:200\nloop loop-control c10:237\n"},
		{"deep-dirs", "snd snd/seq/timer c116:33\nblk a/b c/d b8:0\n"},
		{"empty", ""},
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			src := devnameDir(t, f.content)
			for _, c := range []staticCase{
				{"human", []string{"static-nodes"}, false},
				{"tmpfiles", []string{"static-nodes", "-f", "tmpfiles", "-o", "OUT/t.conf"}, false},
				{"devname", []string{"static-nodes", "-f", "devname"}, false},
			} {
				t.Run(c.name, func(t *testing.T) { runStatic(t, src, c) })
			}
		})
	}

	t.Run("missing-file", func(t *testing.T) {
		runStatic(t, t.TempDir(), staticCase{"", []string{"static-nodes", "-o", "OUT/x"}, false})
	})
	t.Run("missing-directory", func(t *testing.T) {
		runStatic(t, "", staticCase{"", []string{"static-nodes", "-f", "tmpfiles"}, false})
	})
	t.Run("devname-is-a-directory", func(t *testing.T) {
		dir := t.TempDir()
		os.Mkdir(dir+"/modules.devname", 0o755)
		runStatic(t, dir, staticCase{"", []string{"static-nodes"}, false})
	})
	t.Run("module-dir-is-a-file", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "file")
		os.WriteFile(f, []byte("x"), 0o644)
		runStatic(t, f, staticCase{"", []string{"static-nodes"}, false})
	})

	src := devnameDir(t, "tun net/tun c10:200\n")
	outputs := []staticCase{
		{"parent-is-a-file", []string{"static-nodes", "-o", "OUT/file/x"}, false},
		{"grandparent-is-a-file", []string{"static-nodes", "-o", "OUT/file/x/y"}, false},
		{"output-is-a-directory", []string{"static-nodes", "-o", "OUT/dir"}, false},
		{"output-replaces-a-file", []string{"static-nodes", "-o", "OUT/file"}, false},
		{"output-through-a-link", []string{"static-nodes", "-f", "devname", "-o", "OUT/link"}, false},
		{"output-dev-null", []string{"static-nodes", "-o", "/dev/null", "-o", "OUT/dir/../x"}, false},
		{"output-empty", []string{"static-nodes", "-o", ""}, false},
		{"output-relative", []string{"static-nodes", "-o", "rel/dir/x.conf"}, true},
		{"output-bare-name", []string{"static-nodes", "-f", "devname", "-o", "x.conf"}, true},
		{"output-relative-file-in-the-way", []string{"static-nodes", "-o", "file/x.conf"}, true},
	}
	for _, c := range outputs {
		t.Run(c.name, func(t *testing.T) {
			// Each side finds the same files under OUT: made anew for
			// each by a fixture hook in runStaticIn.
			runStaticIn(t, src, c, func(out string) {
				os.WriteFile(out+"/file", []byte("old\n"), 0o644)
				os.Mkdir(out+"/dir", 0o755)
				os.WriteFile(out+"/target", []byte("old target\n"), 0o644)
				os.Symlink("target", out+"/link")
			})
		})
	}
}

// runStaticIn is runStatic with fixture making what each side finds in
// the output directory, and every file there compared afterwards.
func runStaticIn(t *testing.T, src string, c staticCase, fixture func(out string)) {
	t.Helper()
	out := t.TempDir()
	args := make([]string, len(c.args))
	for i, a := range c.args {
		args[i] = strings.ReplaceAll(a, "OUT", out)
	}
	if c.inOut {
		t.Chdir(out)
	}
	fixture(out)
	want := privateModules(t, src, args...)
	wantFiles := snapshotDir(t, out)
	// Emptied, not made anew: it may be the working directory.
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(out, e.Name()))
	}
	fixture(out)
	got := ours(moduleDir(t, src), args...)
	gotFiles := snapshotDir(t, out)
	diff(t, fmt.Sprint(c.args), got, want)
	if gotFiles != wantFiles {
		t.Errorf("%v: files\n got: %s\nwant: %s", c.args, gotFiles, wantFiles)
	}
}

// snapshotDir lists every file under dir with its mode and content.
func snapshotDir(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.Walk(dir, func(p string, st os.FileInfo, err error) error {
		if err != nil || p == dir {
			return nil
		}
		fmt.Fprintf(&b, "%s %v", strings.TrimPrefix(p, dir), st.Mode())
		switch {
		case st.Mode()&os.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			fmt.Fprintf(&b, " -> %s", l)
		case st.Mode().IsRegular():
			data, _ := os.ReadFile(p)
			fmt.Fprintf(&b, " %q", data)
		}
		b.WriteString("; ")
		return nil
	})
	return b.String()
}

// TestHelperKmod is our kmod when the test binary is run as a helper
// (KMOD_TEST_ROOT set), for runs in another mount namespace: its
// arguments follow "--".
func TestHelperKmod(t *testing.T) {
	// Not parallel: the body of a child process, which runs it alone (-test.run).
	root, ok := os.LookupEnv("KMOD_TEST_ROOT")
	if !ok {
		return
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	os.Exit(Tool{Root: root}.Run(cmdlinetest.Stdio("kmod"), args))
}

// TestOutputWriteFails: where kmod leaves a file cut short and exits 0,
// a failed write leaves the old file as it was and no temporary file,
// and exits 1 with the reason: on a full filesystem (a tmpfs filled up
// in a private mount namespace), and on /dev/full, which is written in
// place as any device is.
func TestOutputWriteFails(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		debtree.Missing(t, "mounting a tmpfs needs root")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		debtree.Missing(t, "unshare (util-linux) is not installed")
	}
	var devnames strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&devnames, "mod%d dir%d/node%d c10:%d\n", i, i, i, i)
	}
	tool := moduleDir(t, devnameDir(t, devnames.String()))
	out := t.TempDir()
	script := `set -e
mount -t tmpfs -o size=256k tmpfs "$OUT"
echo old >"$OUT/static-nodes.conf"
dd if=/dev/zero of="$OUT/filler" bs=4k 2>/dev/null || true
set +e
"$BIN" -test.run='^TestHelperKmod$' -- static-nodes --format=tmpfiles --output="$OUT/static-nodes.conf"
echo "exit $?"
cat "$OUT/static-nodes.conf"
ls -a "$OUT"
`
	cmd := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", script)
	cmd.Env = append(os.Environ(), "OUT="+out, "BIN="+os.Args[0], "KMOD_TEST_ROOT="+tool.Root)
	got, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("unshare: %v\n%s", err, got)
	}
	want := "Error: could not write " + out + "/static-nodes.conf - No space left on device\nexit 1\nold\n.\n..\nfiller\nstatic-nodes.conf\n"
	if string(got) != want {
		t.Errorf("static-nodes -o into a full tmpfs:\n got: %q\nwant: %q", got, want)
	}

	r := ours(tool, "static-nodes", "-o", "/dev/full")
	if want := "Error: could not write /dev/full - No space left on device\n"; r.Code != 1 || r.Stdout != "" || r.Stderr != want {
		t.Errorf("static-nodes -o /dev/full: exit %d, stdout %q, stderr %q; want 1, nothing, %q", r.Code, r.Stdout, r.Stderr, want)
	}
}

// privateKernel runs kmod 34.2's kmod with args, then ours, in a private
// mount namespace whose /proc holds only the file modules and whose
// /sys/module is a copy of sysModule: kmod list on a kernel of the
// test's making, read by both from the same filesystem (a directory's
// order is its filesystem's).
func privateKernel(t *testing.T, modules, sysModule string, args ...string) (ours, theirs debtree.Result) {
	t.Helper()
	setup := `mount -t tmpfs tmpfs /sys/module
cp -a "$SYSMOD/." /sys/module/
mount -t tmpfs tmpfs /proc
cp "$MODULES" /proc/modules`
	return namespaced(t, setup, []string{"MODULES=" + modules, "SYSMOD=" + sysModule}, true, args...)
}

// TestListKernels compares kmod list with kmod 34.2 on kernels of the
// test's making: holders, long names, a module gone from /sys, a kernel
// without coresize files, lines libkmod cannot name.
func TestListKernels(t *testing.T) {
	t.Parallel()
	kernels := []struct {
		name    string
		modules string
		sys     map[string]string // under /sys/module; "x/" is a directory
	}{
		{"holders-and-gaps", "nfsv4 1118208 1 - Live 0x0\na_module_with_a_long_name 12 0 - Live 0x0\nnfs 532480 2 nfsv4, Live 0x0\ngone 4096 0 - Live 0x0\n",
			map[string]string{
				"nfsv4/coresize": "1118208\n", "nfsv4/refcnt": "1\n", "nfsv4/holders/": "",
				"a_module_with_a_long_name/coresize": "12\n", "a_module_with_a_long_name/refcnt": "0\n", "a_module_with_a_long_name/holders/": "",
				"nfs/coresize": "532480\n", "nfs/refcnt": "2\n", "nfs/holders/nfsv4": "", "nfs/holders/lockd": "",
			}},
		{"no-coresize", "old 2048 0 - Live 0x0\nbad\n\nshort\n",
			map[string]string{"old/refcnt": "0\n", "old/holders/": "", "bad/": "", "short/refcnt": "x\n"}},
		{"empty", "", map[string]string{}},
	}
	for _, k := range kernels {
		t.Run(k.name, func(t *testing.T) {
			root := t.TempDir()
			os.MkdirAll(root+"/proc", 0o755)
			os.MkdirAll(root+"/sys/module", 0o755)
			os.WriteFile(root+"/proc/modules", []byte(k.modules), 0o644)
			for p, c := range k.sys {
				p = root + "/sys/module/" + p
				if strings.HasSuffix(p, "/") {
					os.MkdirAll(p, 0o755)
					continue
				}
				os.MkdirAll(filepath.Dir(p), 0o755)
				os.WriteFile(p, []byte(c), 0o644)
			}
			for _, args := range [][]string{{"list"}, {"list", "-v"}} {
				got, want := privateKernel(t, root+"/proc/modules", root+"/sys/module", args...)
				diff(t, fmt.Sprint(args), got, want)
			}
		})
	}
}
