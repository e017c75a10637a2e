package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modutils/modutils/internal/completion"
	"github.com/modutils/modutils/internal/debtree"
)

// The test binary is modutils for the scripts' callbacks when this is
// set: they run "modutils completion --list ...".
const asModutils = "MODUTILS_TEST_AS_MODUTILS"

func TestMain(m *testing.M) {
	if os.Getenv(asModutils) == "1" {
		os.Exit(dispatch(append([]string{"modutils"}, os.Args[1:]...), os.Stdout, os.Stderr, true))
	}
	os.Exit(m.Run())
}

// fakeRoot is a root with two kernels' module directories (one with a
// modules.dep) and a /proc/modules.
func fakeRoot(t *testing.T) string {
	root := t.TempDir()
	for _, d := range []string{"lib/modules/6.1.0-test", "lib/modules/6.2.0-other", "proc"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	os.WriteFile(filepath.Join(root, "lib/modules/6.1.0-test/modules.dep"),
		[]byte("kernel/fs/xfs/xfs.ko.xz: kernel/lib/libcrc32c.ko.xz\nkernel/lib/libcrc32c.ko.xz:\nkernel/drivers/net/e1000.ko:\n"), 0o644)
	os.WriteFile(filepath.Join(root, "proc/modules"), []byte("e1000 1234 0 - Live 0x0\nloop 100 2 - Live 0x0\n"), 0o644)
	return root
}

// bash runs script in a real bash after sourcing every applet's bash
// completion, with modutils on PATH being this test binary.
func bash(t *testing.T, root, script string) string {
	t.Helper()
	sh, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("no bash: %v", err)
	}
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "modutils"), []byte("#!/bin/sh\nexec "+self+" \"$@\"\n"), 0o755)
	var scripts bytes.Buffer
	for _, a := range applets {
		completion.Bash(&scripts, a.Model())
	}
	os.WriteFile(filepath.Join(dir, "completions.bash"), scripts.Bytes(), 0o644)
	// compopt works only inside a completion bash itself started.
	prelude := "source " + dir + "/completions.bash\ncompopt() { :; }\n" +
		`t() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); ` +
		`local f=$(complete -p "$1" | sed 's/.*-F \([^ ]*\) .*/\1/'); $f; echo "${COMPREPLY[*]}"; }` + "\n"
	cmd := exec.Command(sh, "--norc", "--noprofile", "-c", prelude+script)
	cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), asModutils+"=1", completion.RootEnv+"="+root)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	return string(out)
}

// TestBashCompletion drives each applet's completion function in bash as
// bash-completion would, COMP_WORDS and COMP_CWORD set, on a fake root.
func TestBashCompletion(t *testing.T) {
	root := fakeRoot(t)
	cases := []struct {
		name  string
		words string // the command line, the last word being completed ('' for empty)
		want  string
	}{
		{"modules of -S's kernel under -d", "modprobe -d " + root + " -S 6.1.0-test ''", "e1000 libcrc32c xfs"},
		{"a module's prefix", "modprobe -d " + root + " -S 6.1.0-test x", "xfs"},
		{"attached values", "modprobe -d" + root + " -S6.1.0-test li", "libcrc32c"},
		{"long options split at =", "modprobe --dirname = " + root + " --set-version = 6.1.0-test e", "e1000"},
		{"kernel versions", "modprobe -S ''", "6.1.0-test 6.2.0-other"},
		{"kernel versions after =", "modinfo --set-version = 6.2", "6.2.0-other"},
		{"long options", "modprobe --show-d", "--show-depends"},
		{"options taking a value end in =", "modprobe --dirn", "--dirname="},
		{"options", "insmod -", "-f --force -s --syslog -v --verbose -V --version -h --help"},
		{"modprobe -r: loaded modules", "modprobe -r ''", "e1000 loop"},
		{"rmmod: loaded modules", "rmmod l", "loop"},
		{"lsmod takes no operand", "lsmod ''", ""},
		{"depmod: kernel versions", "depmod -b " + root + " 6.1", "6.1.0-test"},
		{"modinfo -F: field names", "modinfo -F vermag", "vermagic"},
		{"kmod: commands", "kmod ''", "help list static-nodes"},
		{"kmod static-nodes: formats", "kmod static-nodes --format ''", "human tmpfiles devname"},
		{"kmod static-nodes: options", "kmod static-nodes -", "-o --output= -f --format= -h --help"},
		{"kdstat: commands", "kdstat n", "nodebug nokeep"},
		{"kerneld: flags", "kerneld --de", "--debug --delay="},
	}
	var script strings.Builder
	for _, c := range cases {
		script.WriteString("t " + c.words + "\n")
	}
	got := strings.Split(strings.TrimSuffix(bash(t, root, script.String()), "\n"), "\n")
	if len(got) != len(cases) {
		t.Fatalf("%d lines for %d cases:\n%s", len(got), len(cases), strings.Join(got, "\n"))
	}
	for i, c := range cases {
		if got[i] != c.want {
			t.Errorf("%s: %s<TAB> gives %q, want %q", c.name, c.words, got[i], c.want)
		}
	}
}

// TestBashCompleteP checks that sourcing the scripts registers a function
// for every applet.
func TestBashCompleteP(t *testing.T) {
	out := bash(t, t.TempDir(), "complete -p")
	for _, a := range applets {
		if want := "complete -F _modutils_" + a.Name + " " + a.Name + "\n"; !strings.Contains(out, want) {
			t.Errorf("complete -p has no %q:\n%s", want, out)
		}
	}
}

// TestBashParameters completes a real module's parameters, from
// modinfo's parm, for a module of Debian 13's tree given by its file.
func TestBashParameters(t *testing.T) {
	tree := debtree.Trixie(t)
	brd := filepath.Join(tree.ModDir(), "kernel/drivers/block/brd.ko.xz")
	out := bash(t, "", "t modprobe "+brd+" rd_\nt insmod "+brd+" max_p")
	if got, want := out, "rd_nr= rd_size=\nmax_part=\n"; got != want {
		t.Errorf("modprobe brd.ko.xz rd_<TAB>, insmod brd.ko.xz max_p<TAB> give %q, want %q", got, want)
	}
}

// shell is the path of a shell the tests need (make deps installs it).
func shell(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		debtree.Missing(t, "no %s (make deps installs it)", name)
	}
	return p
}

// TestFishCompletion asks fish itself for completions (complete -C) with
// every applet's script sourced and fish's own completions out of reach.
func TestFishCompletion(t *testing.T) {
	fish := shell(t, "fish")
	root := fakeRoot(t)
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "modutils"), []byte("#!/bin/sh\nexec "+self+" \"$@\"\n"), 0o755)
	var script strings.Builder
	script.WriteString("set -g fish_complete_path\n")
	for _, a := range applets {
		var b bytes.Buffer
		completion.Fish(&b, a.Model())
		f := filepath.Join(dir, a.Name+".fish")
		os.WriteFile(f, b.Bytes(), 0o644)
		script.WriteString("source " + f + "\n")
	}
	cases := []struct{ name, line, want string }{
		{"modules of -S's kernel under -d", "modprobe -d " + root + " -S 6.1.0-test x", "xfs"},
		{"kernel versions", "modprobe -S 6.2", "6.2.0-other"},
		{"loaded modules", "rmmod l", "loop"},
		{"modprobe -r: loaded modules", "modprobe -r e", "e1000"},
		{"kmod's commands", "kmod st", "static-nodes"},
		{"static-nodes formats", "kmod static-nodes --format t", "tmpfiles"},
		{"kdstat's commands", "kdstat nod", "nodebug"},
		{"long options", "depmod --sym", "--symbol-prefix\n--symvers"},
	}
	for _, c := range cases {
		script.WriteString("complete -C '" + c.line + "' | string replace -r '\\t.*' ''\necho '##'\n")
	}
	cmd := exec.Command(fish, "--no-config", "-c", script.String())
	cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), asModutils+"=1", completion.RootEnv+"="+root)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("fish: %v\n%s", err, out)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "##\n"), "##\n")
	if len(got) != len(cases) {
		t.Fatalf("%d answers for %d cases:\n%s", len(got), len(cases), out)
	}
	for i, c := range cases {
		if g := strings.TrimSuffix(got[i], "\n"); g != c.want {
			t.Errorf("%s: %s<TAB> gives %q, want %q", c.name, c.line, g, c.want)
		}
	}
}

// TestZshSyntax parses every generated zsh script with zsh -n.
func TestZshSyntax(t *testing.T) {
	zsh := shell(t, "zsh")
	for _, a := range applets {
		var b bytes.Buffer
		completion.Zsh(&b, a.Model())
		cmd := exec.Command(zsh, "-n")
		cmd.Stdin = &b
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("_%s: %v\n%s", a.Name, err, out)
		}
	}
}
