package modprobe

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/applets/applet/cmdlinetest"
	"github.com/modutils/modutils/applets/depmod"
	"github.com/modutils/modutils/internal/debtree"
)

var kmodTreeRoot string

func TestMain(m *testing.M) { debtree.MainWithTempDir(m, "modprobe-kmodtree", &kmodTreeRoot) }

type result = debtree.Result

func runOurs(t *testing.T, args ...string) result {
	t.Helper()
	return (debtree.Captured(cmdlinetest.Capture("modprobe", Run, args...)))
}

func runKmod(t *testing.T, args ...string) result {
	t.Helper()
	return (debtree.RunKmod(t, "modprobe", args...))
}

func compare(t *testing.T, args []string, got, want result) {
	t.Helper()
	if got != want {
		t.Error(mismatch("modprobe "+strings.Join(args, " "), got, want))
	}
}

// mismatch says what ran and how our result differs from kmod's.
func mismatch(what string, got, want result) string {
	return fmt.Sprintf("%s:\n got: exit %d stdout %q stderr %q\nwant: exit %d stdout %q stderr %q",
		what, got.Code, clip(got.Stdout), clip(got.Stderr), want.Code, clip(want.Stdout), clip(want.Stderr))
}

func clip(s string) string {
	if len(s) > 1500 {
		return s[:1500] + "..."
	}
	return s
}

// debianTree is the uncompressed Debian tree with kmod's indexes, and the
// root and version to give modprobe.
func debianTree(t *testing.T) (root, version, moddir string) {
	moddir = debtree.KmodIndexes(t, kmodTreeRoot)
	root, version = rootOf(moddir)
	return root, version, moddir
}

// rootOf splits ROOT/lib/modules/VERSION.
func rootOf(moddir string) (root, version string) {
	return filepath.Dir(filepath.Dir(filepath.Dir(moddir))), filepath.Base(moddir)
}

// sample picks every step-th line of a file, from line offset%step on.
func sample(t *testing.T, path string, step, offset int, pick func(line string) (string, bool)) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for i := 0; sc.Scan(); i++ {
		if i%step != offset%step {
			continue
		}
		if v, ok := pick(sc.Text()); ok {
			out = append(out, v)
		}
	}
	return out
}

// emptyConfig is a configuration directory with nothing in it, so that
// the machine's own modprobe.d does not take part.
func emptyConfig(t *testing.T) string {
	dir := t.TempDir()
	return dir
}

// indexedTree is one of debtree.All's trees in a module directory of its
// own, with the indexes kmod 34.2's depmod wrote for it (ours for the .ko.gz
// copy, which Debian's kmod cannot read).
type indexedTree struct {
	name, root, version, moddir string
}

var indexed struct {
	sync.Once
	trees []indexedTree
	err   error
}

// indexedTrees makes the indexed trees once per test binary.
func indexedTrees(t *testing.T) []indexedTree {
	t.Helper()
	all := debtree.All(t)
	kmodDepmod := debtree.Kmod(t, "depmod")
	indexed.Do(func() {
		for _, tr := range all {
			v, err := debtree.ViewIn(filepath.Join(kmodTreeRoot, tr.Name), tr.Tree)
			if err != nil {
				indexed.err = err
				return
			}
			if tr.Flavour == "ko.gz" {
				if code, _, stderr := cmdlinetest.Capture("depmod", depmod.Run, "-b", v.Root, v.Version); code != 0 {
					indexed.err = fmt.Errorf("our depmod on %s: exit %d: %s", tr.Name, code, stderr)
					return
				}
			} else if out, err := exec.Command(kmodDepmod, "-b", v.Root, v.Version).CombinedOutput(); err != nil {
				indexed.err = fmt.Errorf("kmod depmod on %s: %v: %s", tr.Name, err, out)
				return
			}
			indexed.trees = append(indexed.trees, indexedTree{tr.Name, v.Root, v.Version, v.ModDir()})
		}
	})
	if indexed.err != nil {
		t.Fatal(indexed.err)
	}
	return indexed.trees
}

// TestDebianQueries compares resolution on every tree of debtree.All:
// modprobe -R, -D and -n -v for module names, device aliases (made
// concrete from the patterns in modules.alias), symbols, and names that
// resolve to nothing. Each tree gets its own deterministic sample.
func TestDebianQueries(t *testing.T) {
	t.Parallel()
	for k, tr := range indexedTrees(t) {
		t.Run(tr.name, func(t *testing.T) { debianQueries(t, tr.root, tr.version, tr.moddir, k) })
	}
}

func debianQueries(t *testing.T, root, version, moddir string, offset int) {
	conf := emptyConfig(t)
	names := sample(t, filepath.Join(moddir, "modules.dep"), 30, offset, func(l string) (string, bool) {
		path, _, _ := strings.Cut(l, ":")
		base := filepath.Base(path)
		return base[:strings.Index(base, ".ko")], true
	})
	aliases := sample(t, filepath.Join(moddir, "modules.alias"), 200, offset, func(l string) (string, bool) {
		f := strings.Fields(l)
		if len(f) != 3 || f[0] != "alias" {
			return "", false
		}
		return strings.NewReplacer("*", "0", "?", "1", "[", "", "]", "").Replace(f[1]), true
	})
	symbols := sample(t, filepath.Join(moddir, "modules.symbols"), 300, offset, func(l string) (string, bool) {
		f := strings.Fields(l)
		if len(f) != 3 {
			return "", false
		}
		return f[1], true
	})
	queries := append(append(append(names, aliases...), symbols...), "nonexistent_module", "pci:v0000DEADd0000BEEFsv0sd0bc0sc0i0", "fs-btrfs", "crypto-sha256", "ext4", "snd-hda-intel")
	if len(queries) < 300 {
		t.Fatalf("only %d queries", len(queries))
	}
	for _, q := range queries {
		for _, mode := range [][]string{{"-R"}, {"-D"}, {"-n", "-v"}, {"-n", "-v", "-i"}, {"-n", "-v", "-b"}} {
			args := append(append([]string{"-C", conf, "-d", root, "-S", version}, mode...), q)
			compare(t, args, runOurs(t, args...), runKmod(t, args...))
		}
	}
}

// TestDebianErrors compares command-line errors and parameters. (-h and
// --version are the option parser's: applets/getopt's tables compare them.)
func TestDebianErrors(t *testing.T) {
	t.Parallel()
	root, version, moddir := debianTree(t)
	conf := emptyConfig(t)
	base := []string{"-C", conf, "-d", root, "-S", version}
	cases := [][]string{
		{},
		{"-x"},
		{"--bogus"},
		{"-w", "12x", "foo"},
		{"-D", "btrfs", "param=1", "other=\"a b\"", "spaced=a b"},
		{"-n", "-v", "btrfs", "x=1"},
		{"-a", "-n", "-v", "btrfs", "nonexistent", "xfs"},
		{"-a", "-n", "-v", "-q", "nonexistent"},
		{"-q", "nonexistent"},
		{"-R", "-a", "fs-btrfs", "nonexistent"},
		{"--show-depends", "--", "-btrfs"},
		{"--show-exports", filepath.Join(moddir, "kernel/fs/btrfs/btrfs.ko")},
		{"--show-modversions", filepath.Join(moddir, "kernel/fs/btrfs/btrfs.ko")},
		{"--dump-modversions", "/nonexistent.ko"},
		{"-r", "-n", "-v", "btrfs"},
		{"-r", "-n", "-v", "--first-time", "btrfs"},
		{"-r", "nonexistent"},
		{"-c"},
	}
	for _, c := range cases {
		args := append(append([]string{}, base...), c...)
		compare(t, args, runOurs(t, args...), runKmod(t, args...))
	}
}

// TestModprobeOptionsEnv covers MODPROBE_OPTIONS, which kmod splits at
// spaces, with quoting, and puts before the command line's own options.
func TestModprobeOptionsEnv(t *testing.T) {
	t.Parallel()
	root, version, _ := debianTree(t)
	conf := emptyConfig(t)
	for _, opts := range []string{"-v -n", "-D", `-C "` + conf + `" -R`, "-q", `-vn -C '` + conf + `'`, "  -n", "-x"} {
		env, lookup := cmdlinetest.Environ("MODPROBE_OPTIONS=" + opts)
		args := []string{"-C", conf, "-d", root, "-S", version, "btrfs", "x=1"}
		var stdout, stderr bytes.Buffer
		code := Run(&applet.Env{Argv0: "modprobe", Stdout: &stdout, Stderr: &stderr, LookupEnv: lookup}, args)
		got := result{Code: code, Stdout: stdout.String(), Stderr: stderr.String()}
		compare(t, append([]string{"MODPROBE_OPTIONS=" + opts}, args...), got, debtree.RunKmodEnv(t, "modprobe", "modprobe", env, args...))
	}
}

// TestNoStdio runs the binary as the kernel runs its modprobe helper,
// with no standard descriptors at all: it must still work and exit 0.
func TestNoStdio(t *testing.T) {
	t.Parallel()
	root, version, _ := debianTree(t)
	bin := filepath.Join(t.TempDir(), "modprobe")
	if out, err := exec.Command("go", "build", "-o", bin, "../..").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command("/bin/sh", "-c", `"$0" -q -d "$1" -S "$2" -D -- btrfs <&- >&- 2>&-`, bin, root, version)
	if err := cmd.Run(); err != nil {
		t.Fatalf("modprobe without stdio: %v", err)
	}
}
