package multicall

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
	for _, a := range Applets {
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
	for _, a := range Applets {
		var b bytes.Buffer
		completion.Zsh(&b, a.Model())
		cmd := exec.Command(zsh, "-n")
		cmd.Stdin = &b
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("_%s: %v\n%s", a.Name, err, out)
		}
	}
}
