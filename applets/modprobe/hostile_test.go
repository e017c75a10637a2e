package modprobe

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modutils/modutils/applets/applet/cmdlinetest"
	"github.com/modutils/modutils/applets/modinfo"
	"github.com/modutils/modutils/internal/debtree"
	"github.com/modutils/modutils/moddep"
)

// TestHostileNames gives modprobe and modinfo names from a hostile
// command line: path tricks, shell metacharacters, very long names. They
// must answer as kmod does, create no file (the shell payloads would
// create one if any reached a shell) and never look outside the module
// directory for a name (a name is an index key, never a path, unless it
// names an existing file as modprobe ./x.ko does).
func TestHostileNames(t *testing.T) {
	root, moddir := smallTree(t)
	conf := emptyConfig(t)
	pwned := filepath.Join(t.TempDir(), "pwned")
	// A module outside the tree that a path trick would reach.
	outside := filepath.Join(root, "outside.ko")
	if err := os.WriteFile(outside, []byte("not a module"), 0o644); err != nil {
		t.Fatal(err)
	}
	// An existing file is a module by path, in kmod 34.2 as here
	// ("absolute"): compared like the rest.
	names := []struct {
		name, arg string
	}{
		{"dot dot", "a/../../x"},
		{"dot dot to a real file", "../../../outside"},
		{"dot dot in the tree", "kernel/../kernel/a/top"},
		{"absolute", "/etc/passwd"},
		{"command substitution", "$(touch " + pwned + ")"},
		{"backquotes", "`touch " + pwned + "`"},
		{"semicolon", "x; touch " + pwned},
		{"pipe", "x|touch " + pwned},
		{"glob", "*"},
		{"bracket", "[a-z]*"},
		{"newline", "top\ntouch " + pwned},
		{"symbol dot dot", "symbol:../../x"},
		{"alias with slash", "pci:v/../../x"},
		{"long", strings.Repeat("a", 10<<10)},
		{"long path", strings.Repeat("a/", 5<<10) + "top"},
		{"long with dashes", strings.Repeat("-x", 5<<10)},
		{"empty", ""},
		{"dash", "-"},
	}
	for _, n := range names {
		t.Run(n.name, func(t *testing.T) {
			for _, mode := range [][]string{{"-n", "-v"}, {"-D"}, {"-R"}, {"-n", "-r"}} {
				args := append(append([]string{"-C", conf, "-d", root, "-S", smallVersion}, mode...), "--", n.arg)
				got, want := runOurs(t, args...), runKmod(t, args...)
				if got != want {
					t.Error(mismatch(fmt.Sprintf("modprobe %s %q", strings.Join(mode, " "), clip(n.arg)), got, want))
				}
			}
			for _, mode := range [][]string{nil, {"-m"}, {"-F", "filename"}} {
				args := append(append([]string{"-b", root, "-k", smallVersion}, mode...), "--", n.arg)
				got := debtree.Captured(cmdlinetest.Capture("modinfo", modinfo.Run, args...))
				want := debtree.RunKmod(t, "modinfo", args...)
				if got != want {
					t.Error(mismatch(fmt.Sprintf("modinfo %s %q", strings.Join(mode, " "), clip(n.arg)), got, want))
				}
			}
			if _, err := os.Stat(pwned); err == nil {
				t.Fatalf("%s exists: a name reached a shell", pwned)
			}
		})
	}
	// Nothing new in the module directory either.
	entries, _ := os.ReadDir(moddir)
	for _, e := range entries {
		if !e.IsDir() && !strings.HasPrefix(e.Name(), "modules.") {
			t.Errorf("new file %s in the module directory", e.Name())
		}
	}
}

// TestHostileDepLine checks what a modules.dep.bin with ".." or absolute
// paths gives: libkmod joins a relative path under the module directory
// without cleaning it, so ".." can leave the directory, and takes an
// absolute path as it is. The module directory and its indexes are
// root's and trusted, so we do the same, and modprobe -D shows it.
func TestHostileDepLine(t *testing.T) {
	root, moddir := smallTree(t)
	conf := emptyConfig(t)
	w := moddep.NewIndexWriter()
	for key, line := range map[string]string{
		"top": "kernel/a/top.ko: ../../../../outside.ko /abs/dep.ko",
		"mid": "../../mid.ko:",
	} {
		if _, err := w.Insert(key, line, 0); err != nil {
			t.Fatal(err)
		}
	}
	data, err := w.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(moddir, "modules.dep.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "outside.ko"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, q := range [][]string{{"-D", "top"}, {"-D", "mid"}, {"-n", "-v", "top"}, {"-R", "mid"}} {
		args := append([]string{"-C", conf, "-d", root, "-S", smallVersion}, q...)
		got, want := maskPointers(runOurs(t, args...)), maskPointers(runKmod(t, args...))
		if got != want {
			t.Error(mismatch("modprobe "+strings.Join(q, " "), got, want))
		}
	}
}
