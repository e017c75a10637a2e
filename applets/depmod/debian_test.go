package depmod

import (
	"bytes"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/modutils/modutils/applets/applet/cmdlinetest"
	"github.com/modutils/modutils/internal/debtree"
	"github.com/modutils/modutils/moddep"
)

// inputs are the files of the module directory that depmod reads but
// does not write.
var inputs = map[string]bool{"kernel": true, "modules.order": true, "modules.builtin": true, "modules.builtin.modinfo": true}

type result struct {
	debtree.Result
	files map[string][]byte
}

func runOurs(t *testing.T, args ...string) result {
	t.Helper()
	return result{Result: debtree.Captured(cmdlinetest.Capture("depmod", Run, args...))}
}

func runKmod(t *testing.T, args ...string) result {
	t.Helper()
	return result{Result: debtree.RunKmod(t, "depmod", args...)}
}

func compareResults(t *testing.T, got, want result) {
	t.Helper()
	if got.Code != want.Code {
		t.Errorf("exit code = %d, want %d", got.Code, want.Code)
	}
	if got.Stdout != want.Stdout {
		t.Errorf("stdout differs:\n%s", firstDiff(got.Stdout, want.Stdout))
	}
	if got.Stderr != want.Stderr {
		t.Errorf("stderr = %q, want %q", clip(got.Stderr), clip(want.Stderr))
	}
	compareFiles(t, got.files, want.files)
}

func compareFiles(t *testing.T, got, want map[string][]byte) {
	t.Helper()
	var names []string
	for name := range want {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: not written", name)
			continue
		}
		if !bytes.Equal(g, want[name]) {
			t.Errorf("%s differs (%d bytes, want %d):\n%s", name, len(g), len(want[name]), firstDiff(string(g), string(want[name])))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: written, but kmod does not write it", name)
		}
	}
}

func clip(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "..."
	}
	return s
}

// firstDiff shows where two outputs part, a few lines around it.
func firstDiff(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	start := strings.LastIndexByte(got[:i], '\n') + 1
	ctx := func(s string) string {
		end := start + 300
		if end > len(s) {
			end = len(s)
		}
		if start > len(s) {
			return ""
		}
		return s[start:end]
	}
	return "at byte " + strconv.Itoa(i) + "\n got: " + strings.ReplaceAll(ctx(got), "\n", "\\n") + "\nwant: " + strings.ReplaceAll(ctx(want), "\n", "\\n")
}

// TestDebianTrees runs kmod 34.2's depmod and ours on every tree of
// debtree.All (Debian 13's .ko.xz tree, Debian 12's plain, .ko.xz and
// .ko.zst; .ko.gz, which Debian's kmod cannot read, is TestDebianGzip's)
// and compares every file, stdout, stderr and the exit code: every module
// of each tree is read by both.
func TestDebianTrees(t *testing.T) {
	t.Parallel()
	for _, tree := range debtree.All(t) {
		if tree.Flavour == "ko.gz" {
			continue
		}
		t.Run(tree.Name, func(t *testing.T) {
			kv, ov := debtree.View(t, tree.Tree), debtree.View(t, tree.Tree)
			want := runKmod(t, "-b", kv.Root, tree.Version)
			want.files = snapshot(t, kv.ModDir())
			got := runOurs(t, "-b", ov.Root, tree.Version)
			got.files = snapshot(t, ov.ModDir())
			compareResults(t, got, want)
		})
	}
}

// TestDebianDryRun compares depmod -n, which prints the text files
// (modules.weakdep too, since kmod 33), on Debian 13's and Debian 12's
// uncompressed trees.
func TestDebianDryRun(t *testing.T) {
	t.Parallel()
	for _, tree := range []debtree.Tree{debtree.Trixie(t), debtree.Get(t, "ko")} {
		t.Run(tree.Flavour+"-"+tree.Version, func(t *testing.T) {
			v := debtree.View(t, tree)
			want := runKmod(t, "-n", "-b", v.Root, tree.Version)
			got := runOurs(t, "-b", v.Root, "-n", tree.Version)
			compareResults(t, got, want)
		})
	}
}

// TestDebianGzip checks the .ko.gz tree, which kmod as Debian builds it
// cannot read: it must give what the uncompressed tree gives, with the
// file names changed.
func TestDebianGzip(t *testing.T) {
	t.Parallel()
	plain, gz := debtree.View(t, debtree.Get(t, "ko")), debtree.View(t, debtree.Get(t, "ko.gz"))
	if r := runOurs(t, "-b", plain.Root, plain.Version); r.Code != 0 || r.Stderr != "" {
		t.Fatalf("plain tree: exit %d, stderr %q", r.Code, r.Stderr)
	}
	if r := runOurs(t, "-b", gz.Root, gz.Version); r.Code != 0 || r.Stderr != "" {
		t.Fatalf("gz tree: exit %d, stderr %q", r.Code, r.Stderr)
	}
	want, got := snapshot(t, plain.ModDir()), snapshot(t, gz.ModDir())
	for _, name := range []string{"modules.dep", "modules.alias", "modules.softdep", "modules.weakdep", "modules.symbols", "modules.devname",
		"modules.alias.bin", "modules.symbols.bin", "modules.builtin.bin", "modules.builtin.alias.bin"} {
		w := want[name]
		if name == "modules.dep" {
			w = bytes.ReplaceAll(w, []byte(".ko"), []byte(".ko.gz"))
		}
		if !bytes.Equal(got[name], w) {
			t.Errorf("%s differs:\n%s", name, firstDiff(string(got[name]), string(w)))
		}
	}
	// modules.dep.bin holds the same lines as modules.dep.
	ix, err := moddep.OpenIndex(filepath.Join(gz.ModDir(), "modules.dep.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	for _, line := range strings.Split(strings.TrimSuffix(string(got["modules.dep"]), "\n"), "\n") {
		path, _, _ := strings.Cut(line, ":")
		v, ok := ix.Lookup(moddep.ModuleName(path))
		if !ok || v != line {
			t.Fatalf("modules.dep.bin[%s] = %q, %v; want %q", moddep.ModuleName(path), v, ok, line)
		}
	}
}
