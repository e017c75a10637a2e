package modprobe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/modutils/modutils/applets/applet/cmdlinetest"
	"github.com/modutils/modutils/applets/depmod"
	"github.com/modutils/modutils/applets/modinfo"
	"github.com/modutils/modutils/elfmod/elfmodtest"
	"github.com/modutils/modutils/internal/debtree"
)

const smallVersion = "6.1.0-small"

// smallTree builds a module tree of synthetic modules with a dependency,
// aliases (plain and wildcard) and exported symbols, indexed by our
// depmod, and returns the root and the module directory.
func smallTree(t *testing.T) (root, moddir string) {
	t.Helper()
	root = t.TempDir()
	moddir = filepath.Join(root, "lib/modules", smallVersion)
	mods := map[string]*elfmodtest.Module{
		"kernel/a/top.ko": {Modinfo: []string{"alias=top-alias", "alias=pci:v00001234d*", "depends=mid", "license=GPL"},
			Undefined: []elfmodtest.Undef{{Name: "mid_fn"}}},
		"kernel/b/mid.ko": {Modinfo: []string{"alias=mid-alias", "license=GPL"},
			Exports: []elfmodtest.Export{{Name: "mid_fn", CRC: 1}}, Undefined: []elfmodtest.Undef{{Name: "low_fn"}}},
		"kernel/c/low.ko": {Modinfo: []string{"alias=usb:v*p*d*", "license=GPL"},
			Exports: []elfmodtest.Export{{Name: "low_fn", CRC: 2}, {Name: "other_fn", CRC: 3}}},
	}
	for rel, m := range mods {
		p := filepath.Join(moddir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, m.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if code, _, stderr := cmdlinetest.Capture("depmod", depmod.Run, "-b", root, smallVersion); code != 0 {
		t.Fatalf("depmod: exit %d: %s", code, stderr)
	}
	return root, moddir
}

// runKmodTolerant runs kmod's tool and reports whether it died of a
// signal: on a damaged index kmod may read past its mapping, and a crash
// there is no answer to compare with.
func runKmodTolerant(t *testing.T, tool string, args ...string) (r result, crashed bool) {
	t.Helper()
	// On some damage kmod loops, allocating without end: bound its
	// memory and time, and count that as a crash too.
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", append([]string{"-c", `ulimit -v 262144; exec "$0" "$@"`, debtree.Kmod(t, tool)}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ee.ExitCode() < 0 || ctx.Err() != nil || strings.Contains(stderr.String(), "annot allocate memory") {
			return result{}, true
		}
		return result{Code: ee.ExitCode(), Stdout: stdout.String(), Stderr: stderr.String()}, false
	} else if err != nil {
		t.Fatal(err)
	}
	return result{Stdout: stdout.String(), Stderr: stderr.String()}, false
}

// damage is one way to spoil an index file.
type damage struct {
	name  string
	apply func([]byte) []byte
}

func truncateAt(n int) damage {
	return damage{fmt.Sprintf("truncated to %d", n), func(b []byte) []byte { return b[:n] }}
}

func flipBit(bit int) damage {
	return damage{fmt.Sprintf("bit %d flipped", bit), func(b []byte) []byte {
		c := bytes.Clone(b)
		c[bit/8] ^= 1 << (bit % 8)
		return c
	}}
}

// TestDamagedIndexes spoils each index modprobe and modinfo read, at
// every truncation point and at flipped bits spread over the file, and
// runs our modprobe and modinfo on it in process: they must never panic
// (a panic fails the test run) and must answer as kmod does whenever
// kmod itself survives the damage, which it does not always (it trusts
// the offsets it reads and can fault).
func TestDamagedIndexes(t *testing.T) {
	root, moddir := smallTree(t)
	conf := emptyConfig(t)
	queries := [][]string{
		{"-R", "top"}, {"-R", "top-alias"}, {"-R", "pci:v00001234d00000001"}, {"-R", "usb:v1p2d3"},
		{"-R", "symbol:low_fn"}, {"-D", "top"}, {"-n", "-v", "mid-alias"}, {"-R", "nosuch"},
	}
	infos := [][]string{{"top"}, {"-F", "filename", "mid-alias"}, {"-F", "alias", "usb:v1p2d3"}}
	compared, crashed := 0, 0
	for _, file := range []string{"modules.dep.bin", "modules.alias.bin", "modules.symbols.bin"} {
		path := filepath.Join(moddir, file)
		orig, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var damages []damage
		for n := 0; n < len(orig); n++ {
			damages = append(damages, truncateAt(n))
		}
		for bit := 3; bit < 8*len(orig); bit += 29 {
			damages = append(damages, flipBit(bit))
		}
		for i, d := range damages {
			if err := os.WriteFile(path, d.apply(orig), 0o644); err != nil {
				t.Fatal(err)
			}
			// kmod takes 2-3 ms a run (and up to its timeout when it loops): compare on a sample of the
			// damages, run ours on all of them.
			withKmod := i%11 == 0
			for _, q := range queries {
				args := append([]string{"-C", conf, "-d", root, "-S", smallVersion}, q...)
				got := runOurs(t, args...)
				if !withKmod {
					continue
				}
				want, died := runKmodTolerant(t, "modprobe", args...)
				if died {
					crashed++
					continue
				}
				compared++
				if got, want := maskPointers(got), maskPointers(want); got != want {
					t.Error(mismatch(fmt.Sprintf("%s %s: modprobe %s", file, d.name, strings.Join(q, " ")), got, want))
				}
			}
			for _, q := range infos {
				args := append([]string{"-b", root, "-k", smallVersion}, q...)
				got := debtree.Captured(cmdlinetest.Capture("modinfo", modinfo.Run, args...))
				got.Stdout = strings.ReplaceAll(got.Stdout, root, "ROOT")
				if !withKmod {
					continue
				}
				want, died := runKmodTolerant(t, "modinfo", args...)
				if died {
					crashed++
					continue
				}
				want.Stdout = strings.ReplaceAll(want.Stdout, root, "ROOT")
				compared++
				if got, want := maskPointers(got), maskPointers(want); got != want {
					t.Error(mismatch(fmt.Sprintf("%s %s: modinfo %s", file, d.name, strings.Join(q, " ")), got, want))
				}
			}
		}
		if err := os.WriteFile(path, orig, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("compared with kmod %d times; kmod crashed %d times", compared, crashed)
}

// maskPointers masks the pointers in libkmod's "ctx=%p" lines, which
// differ between any two runs, kmod's own included.
func maskPointers(r result) result {
	r.Stderr = ctxPointer.ReplaceAllString(r.Stderr, "ctx=PTR")
	return r
}

var ctxPointer = regexp.MustCompile(`ctx=0x[0-9a-f]+`)

// TestStaleModdep removes a module file that modules.dep still lists as
// a dependency, as an upgrade that forgot depmod leaves it: every query
// must answer, and report the missing file, as kmod does.
func TestStaleModdep(t *testing.T) {
	root, moddir := smallTree(t)
	if err := os.Remove(filepath.Join(moddir, "kernel/c/low.ko")); err != nil {
		t.Fatal(err)
	}
	conf := emptyConfig(t)
	reported := 0
	check := func(tool string, args []string, got result) {
		t.Helper()
		want, died := runKmodTolerant(t, tool, args...)
		if died {
			t.Fatalf("kmod's %s %v died", tool, args)
		}
		if strings.Contains(want.Stderr, "ctx=0x") { // kmod_module_parse_depline's message
			reported++
		}
		if got, want := maskPointers(got), maskPointers(want); got != want {
			t.Error(mismatch(tool+" "+strings.Join(args, " "), got, want))
		}
	}
	for _, q := range [][]string{
		{"-D", "top"}, {"-R", "top-alias"}, {"-n", "-v", "top"}, {"-n", "-v", "-r", "top"},
		{"-n", "-v", "-a", "top", "mid"}, {"-n", "-v", "-r", "--remove-holders", "mid"}, {"-D", "low"},
	} {
		args := append([]string{"-C", conf, "-d", root, "-S", smallVersion}, q...)
		check("modprobe", args, runOurs(t, args...))
	}
	for _, q := range [][]string{{"top"}, {"-F", "depends", "mid"}, {"mid-alias"}, {"low"}} {
		args := append([]string{"-b", root, "-k", smallVersion}, q...)
		check("modinfo", args, debtree.Captured(cmdlinetest.Capture("modinfo", modinfo.Run, args...)))
	}
	if reported < 5 {
		t.Errorf("kmod reported the missing file in only %d runs: the tree is not stale as meant", reported)
	}
}
