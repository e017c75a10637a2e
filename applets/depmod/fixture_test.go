package depmod

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/applets/applet/cmdlinetest"
	"github.com/modutils/modutils/elfmod"
	"github.com/modutils/modutils/elfmod/elfmodtest"
	"github.com/modutils/modutils/internal/atomicfile"
)

const fixtureVersion = "6.1.0-test"

// mod builds a small x86-64 module.
func mod(modinfo []string, exports []string, undefined ...string) []byte {
	m := &elfmodtest.Module{Modinfo: modinfo}
	for i, e := range exports {
		m.Exports = append(m.Exports, elfmodtest.Export{Name: e, CRC: uint32(0x1000 + i)})
	}
	for _, u := range undefined {
		weak := strings.HasPrefix(u, "~")
		m.Undefined = append(m.Undefined, elfmodtest.Undef{Name: strings.TrimPrefix(u, "~"), Weak: weak})
	}
	return m.Bytes()
}

// fixture is a module tree: paths relative to the image root.
type fixture map[string][]byte

func (f fixture) write(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for rel, data := range f {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const md = "lib/modules/" + fixtureVersion + "/"

// baseTree is a tree with a dependency chain, aliases of every kind,
// softdeps, weakdeps, device names, a module left out of modules.order
// and names with dashes.
func baseTree() fixture {
	return fixture{
		md + "kernel/drivers/a/snd-top.ko": mod([]string{"alias=pci:v00008086d*sv*", "alias=snd-top-alias", "softdep=pre: snd-mid", "weakdep=snd_low", "depends=snd-mid"}, nil, "mid_fn", "low_fn", "printk"),
		md + "kernel/drivers/a/snd-mid.ko": mod([]string{"alias=of:N*T*Cfoo-bar[0-9]", "alias=devname:snd/mid", "alias=char-major-116-7"}, []string{"mid_fn"}, "low_fn"),
		md + "kernel/lib/snd-low.ko":       mod([]string{"license=GPL", "alias=block-major-8-*"}, []string{"low_fn", "other_fn"}),
		md + "kernel/fs/lonely.ko":         mod([]string{"alias=fs-lonely", "alias=devname:lonely"}, []string{"lonely_fn"}, "~weak_fn", "__this_module"),
		md + "kernel/fs/unordered.ko":      mod([]string{"alias=bad]alias", "alias=ok[-a-]-x"}, []string{"u_fn"}, "lonely_fn"),
		md + "extra/zz-extra.ko":           mod(nil, []string{"extra_fn"}, "u_fn"),
		md + "modules.order":               []byte("kernel/lib/snd-low.ko\nkernel/drivers/a/snd-mid.ko\nkernel/drivers/a/snd-top.ko\nkernel/fs/lonely.ko\nkernel/missing.ko\n"),
		md + "modules.builtin":             []byte("kernel/fs/ext4/ext4.ko\nkernel/crypto/crc32c_generic.ko\n"),
		md + "modules.builtin.modinfo":     []byte("ext4.alias=fs-ext4\x00ext4.license=GPL\x00crc32c_generic.alias=crypto-crc32c\x00crc32c_generic.alias=crc32c-generic\x00"),
	}
}

type fixtureCase struct {
	name string
	tree fixture
	args []string // ROOT is replaced by the image root
	// ourStderr maps kmod's stderr to ours where we differ on purpose.
	ourStderr func(string) string
}

// kmodDifferences turns kmod's output into ours where we differ on
// purpose (each is listed in the README): libkmod's own INFO lines at -vv
// print pointers, and -E's complaint about a bad version quotes a stale
// errno.
func kmodDifferences(r result) result {
	var lines []string
	for _, l := range strings.SplitAfter(r.Stderr, "\n") {
		if libkmodPointerLine.MatchString(l) {
			continue
		}
		if strings.Contains(l, "Invalid symbol version") {
			l = l[:strings.LastIndex(l, ": ")] + ": Invalid argument\n"
		}
		lines = append(lines, l)
	}
	r.Stderr = strings.Join(lines, "")
	return r
}

// libkmodPointerLine is one of libkmod's INFO lines about its own
// context, which print a pointer.
var libkmodPointerLine = regexp.MustCompile(`^depmod: INFO: (custom logging function 0x[0-9a-f]+ registered|context 0x[0-9a-f]+ released)\n$`)

func TestFixturesAgainstKmod(t *testing.T) {
	t.Parallel()
	cycle := baseTree()
	cycle[md+"kernel/loop/la.ko"] = mod(nil, []string{"la_fn"}, "lb_fn")
	cycle[md+"kernel/loop/lb.ko"] = mod(nil, []string{"lb_fn"}, "lc_fn")
	cycle[md+"kernel/loop/lc.ko"] = mod(nil, []string{"lc_fn"}, "la_fn")
	cycle[md+"kernel/loop/ld.ko"] = mod(nil, []string{"ld_fn"}, "le_fn")
	cycle[md+"kernel/loop/le.ko"] = mod(nil, []string{"le_fn"}, "ld_fn")
	cycle[md+"kernel/loop/user.ko"] = mod(nil, nil, "la_fn")

	prio := baseTree()
	prio[md+"updates/snd-low.ko"] = mod([]string{"alias=from-updates"}, []string{"low_fn"})
	prio[md+"kernel/other/lonely.ko"] = mod([]string{"alias=from-other"}, []string{"lonely_fn"})
	prio[md+"override/snd-mid.ko"] = mod([]string{"alias=from-override"}, []string{"mid_fn"})
	prio[md+"kernel/skipme/skipped.ko"] = mod(nil, nil)
	prio["ext/dir/snd-top.ko"] = mod([]string{"alias=from-external"}, nil, "mid_fn")
	prio["depmod.d/a.conf"] = []byte("# comment\nsearch updates built-in\noverride snd_mid * override\noverride snd-mid 5.* kernel\nexclude skipme\nexternal 6.1 ROOT/ext/dir\nbogus line\noverride x\n  search\n")
	prio["depmod.d/b.conf"] = []byte("search external\\\n updates\ninclude foo\n")
	prio["depmod.d/notconf"] = []byte("search nothing\n")

	// The same file name in two directories: the first directory's wins.
	twoDirs := baseTree()
	twoDirs[md+"updates/snd-low.ko"] = mod([]string{"alias=from-updates"}, []string{"low_fn"})
	twoDirs["d1/x.conf"] = []byte("search updates\n")
	twoDirs["d2/x.conf"] = []byte("search built-in updates\n")
	twoDirs["d2/y.conf"] = []byte("exclude extra\n")
	twoDirs["d2/dir.conf/z.conf"] = []byte("exclude kernel\n")

	syms := baseTree()
	syms["Module.symvers"] = []byte("0x00001000\tmid_fn\tvmlinux\tEXPORT_SYMBOL\n0x12345678\tprintk\tvmlinux\tEXPORT_SYMBOL\n0xzz\tbad\tvmlinux\tEXPORT_SYMBOL\n")
	syms["System.map"] = []byte("ffffffff81000000 T _stext\nffffffff82000000 r __ksymtab_printk\nbadline\n")

	be := fixture{
		md + "kernel/be/be-a.ko":  (&elfmodtest.Module{Class: elf.ELFCLASS32, ByteOrder: binary.BigEndian, Machine: elf.EM_PPC, Modinfo: []string{"alias=be-a"}, Exports: []elfmodtest.Export{{Name: "a_fn", CRC: 7}}}).Bytes(),
		md + "kernel/be/be-b.ko":  (&elfmodtest.Module{Class: elf.ELFCLASS32, ByteOrder: binary.BigEndian, Machine: elf.EM_PPC, Modinfo: []string{"alias=be-b"}, Undefined: []elfmodtest.Undef{{Name: "a_fn"}}}).Bytes(),
		md + "kernel/be/le64.ko":  mod(nil, nil, "a_fn"),
		md + "kernel/be/_pre.ko":  mod(nil, []string{"_pfx_fn"}),
		md + "kernel/be/user2.ko": mod(nil, nil, "_pfx_fn"),
	}

	// kmod 34 reads modules.order once and takes a line's first place.
	dupOrder := baseTree()
	dupOrder[md+"modules.order"] = []byte("kernel/fs/lonely.ko\nkernel/lib/snd-low.ko\nkernel/drivers/a/snd-mid.ko\nkernel/fs/lonely.ko\n" +
		"kernel/drivers/a/snd-top.ko\nkernel/lib/snd-low.ko\n\nkernel/fs/unordered.ko\n")

	cutOrder := baseTree()
	cutOrder[md+"modules.order"] = []byte("kernel/fs/lonely.ko\nkernel/lib/snd-low.ko\nkernel/drivers/a/snd-top.ko")

	dups := baseTree()
	dups[md+"kernel/dup/d1.ko"] = mod([]string{"alias=snd-top-alias", "alias=dup-x", "alias=dup-x"}, nil)

	// Broken modules: kmod reports each and still writes the rest.
	bad := baseTree()
	good := mod([]string{"alias=good"}, []string{"good_fn"})
	bad[md+"kernel/bad/trunc.ko"] = good[:len(good)/2]
	bad[md+"kernel/bad/tiny.ko"] = good[:30]
	bad[md+"kernel/bad/empty.ko"] = nil
	bad[md+"kernel/bad/garbage.ko"] = []byte("this is no ELF file at all\n")
	bad[md+"kernel/bad/notelf.ko.xz"] = elfmodtest.XZ([]byte("hello\n"))
	bad[md+"kernel/bad/badzst.ko.zst"] = []byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0}
	bad[md+"kernel/bad/good.ko.zst"] = elfmodtest.Zstd(good)
	goodZst := elfmodtest.Zstd(good)
	bad[md+"kernel/bad/cutzst.ko.zst"] = goodZst[:len(goodZst)-9]
	bad[md+"kernel/bad/junkzst.ko.zst"] = append([]byte{0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x40}, []byte("not a zstd block at all, just bytes")...)
	bad[md+"kernel/bad/user.ko.xz"] = elfmodtest.XZ(mod(nil, nil, "good_fn", "low_fn"))

	cases := []fixtureCase{
		{name: "corrupt modules", tree: bad, args: []string{"-b", "ROOT", fixtureVersion}},
		{name: "base", tree: baseTree(), args: []string{"-b", "ROOT", fixtureVersion}},
		{name: "dry run", tree: baseTree(), args: []string{"-n", "-b", "ROOT", fixtureVersion}},
		{name: "verbose", tree: baseTree(), args: []string{"-v", "-b", "ROOT", fixtureVersion}},
		{name: "options after version", tree: baseTree(), args: []string{fixtureVersion, "-bROOT", "-a"}},
		{name: "cycles", tree: cycle, args: []string{"-b", "ROOT", fixtureVersion}},
		{name: "config rules", tree: prio, args: []string{"-b", "ROOT", "-C", "ROOT/depmod.d", fixtureVersion}},
		{name: "config rules verbose", tree: prio, args: []string{"-vv", "-b", "ROOT", "-C", "ROOT/depmod.d", fixtureVersion}},
		{name: "config as file", tree: prio, args: []string{"-b", "ROOT", "-C", "ROOT/depmod.d/b.conf", "--config=ROOT/depmod.d/a.conf", fixtureVersion}},
		{name: "config directories", tree: twoDirs, args: []string{"-vv", "-b", "ROOT", "-C", "ROOT/d1", "-C", "ROOT/d2", fixtureVersion}},
		{name: "config directories reversed", tree: twoDirs, args: []string{"-b", "ROOT", "-C", "ROOT/d2", "-C", "ROOT/d1", fixtureVersion}},
		{name: "symvers", tree: syms, args: []string{"-e", "-E", "ROOT/Module.symvers", "-b", "ROOT", fixtureVersion}},
		{name: "system map", tree: syms, args: []string{"-e", "-F", "ROOT/System.map", "-b", "ROOT", fixtureVersion}},
		{name: "errsyms alone", tree: syms, args: []string{"-e", "-b", "ROOT", fixtureVersion}},
		{name: "missing symvers", tree: syms, args: []string{"-E", "ROOT/nothere", "-b", "ROOT", fixtureVersion}},
		{name: "big endian and prefix", tree: be, args: []string{"-P", "_", "-b", "ROOT", fixtureVersion}},
		{name: "modules.order with duplicates", tree: dupOrder, args: []string{"-b", "ROOT", fixtureVersion}},
		{name: "modules.order cut off", tree: cutOrder, args: []string{"-b", "ROOT", fixtureVersion}},
		{name: "warn duplicates", tree: dups, args: []string{"-w", "-b", "ROOT", fixtureVersion}},
		{name: "explicit modules", tree: baseTree(), args: []string{"-b", "ROOT", fixtureVersion, "ROOT/" + md + "kernel/lib/snd-low.ko", "ROOT/" + md + "kernel/drivers/a/snd-mid.ko"}},
		{name: "relative module path", tree: baseTree(), args: []string{"-b", "ROOT", fixtureVersion, "kernel/lib/snd-low.ko"}},
		{name: "missing module path", tree: baseTree(), args: []string{"-b", "ROOT", fixtureVersion, "/nonexistent/x.ko"}},
		{name: "bad version", tree: baseTree(), args: []string{"-b", "ROOT", "notaversion"}},
		{name: "bad prefix", tree: baseTree(), args: []string{"-P", "ab", "-b", "ROOT", fixtureVersion}},
		{name: "unknown option", tree: baseTree(), args: []string{"-x", "-b", "ROOT", fixtureVersion}},
		{name: "missing argument", tree: baseTree(), args: []string{fixtureVersion, "-b"}},
		{name: "ambiguous option", tree: baseTree(), args: []string{"--s", fixtureVersion}},
		{name: "missing directory", tree: fixture{"x": nil}, args: []string{"-b", "ROOT", fixtureVersion}},
		{name: "quick on missing modules.dep", tree: baseTree(), args: []string{"-A", "-b", "ROOT", fixtureVersion}},
		{name: "quick dry run", tree: baseTree(), args: []string{"-A", "-n", "-b", "ROOT", fixtureVersion}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := tc.tree.write(t)
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "ROOT", root)
			}
			for _, f := range []string{"depmod.d/a.conf", "depmod.d/b.conf"} {
				p := filepath.Join(root, f)
				if data, err := os.ReadFile(p); err == nil {
					os.WriteFile(p, bytes.ReplaceAll(data, []byte("ROOT"), []byte(root)), 0o644)
				}
			}
			dir := filepath.Join(root, md)
			want := kmodDifferences(runKmod(t, args...))
			if tc.ourStderr != nil {
				want.Stderr = tc.ourStderr(want.Stderr)
			}
			want.files = snapshot(t, dir)
			clean(t, dir, want.files)
			got := runOurs(t, args...)
			got.files = snapshot(t, dir)
			compareResults(t, got, want)
		})
	}
}

// snapshot reads the files depmod writes, if the directory exists.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() || inputs[e.Name()] || !strings.HasPrefix(e.Name(), "modules.") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = data
	}
	return files
}

func clean(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name := range files {
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWeakdep covers modules.weakdep, which kmod 30 did not write yet:
// kmod 34.2 writes it after modules.softdep, in module order.
func TestWeakdep(t *testing.T) {
	t.Parallel()
	root := baseTree().write(t)
	if r := runOurs(t, "-b", root, fixtureVersion); r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	got, err := os.ReadFile(filepath.Join(root, md, "modules.weakdep"))
	if err != nil {
		t.Fatal(err)
	}
	want := "# Weak dependencies extracted from modules themselves.\nweakdep snd_top snd_low\n"
	if string(got) != want {
		t.Errorf("modules.weakdep = %q, want %q", got, want)
	}
}

// TestOutdir covers -o, from newer kmod: the files go under another root,
// and nothing is written into the module tree.
func TestOutdir(t *testing.T) {
	t.Parallel()
	root := baseTree().write(t)
	out := t.TempDir()
	if r := runOurs(t, "-b", root, "-o", out, fixtureVersion); r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	ref := baseTree().write(t)
	runOurs(t, "-b", ref, fixtureVersion)
	compareFiles(t, snapshot(t, filepath.Join(out, md)), snapshot(t, filepath.Join(ref, md)))
	if files := snapshot(t, filepath.Join(root, md)); len(files) != 0 {
		t.Errorf("-o wrote into the module tree: %d files", len(files))
	}
}

// TestModuleDir covers -m, from newer kmod: another module directory
// under the root.
func TestModuleDir(t *testing.T) {
	t.Parallel()
	tree := fixture{}
	for k, v := range baseTree() {
		tree[strings.Replace(k, "lib/modules/", "usr/lib/modules/", 1)] = v
	}
	root := tree.write(t)
	if r := runOurs(t, "-b", root, "-m", "/usr/lib/modules", fixtureVersion); r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	if _, err := os.Stat(filepath.Join(root, "usr", md, "modules.dep.bin")); err != nil {
		t.Error(err)
	}
}

// TestRemovedWorkingDir gives relative -b and -o paths in a working
// directory that was removed, where kmod cannot make them absolute.
func TestRemovedWorkingDir(t *testing.T) {
	// Not parallel: t.Chdir: it runs depmod in a working directory that has been removed.
	root := baseTree().write(t)
	gone := filepath.Join(t.TempDir(), "gone")
	if err := os.Mkdir(gone, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(gone)
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"-b", "rel", fixtureVersion}, {"-o", "rel", "-b", root, fixtureVersion}} {
		got, want := runOurs(t, args...), runKmod(t, args...)
		if got.Result != want.Result {
			t.Errorf("depmod %q: got %+v, want %+v", args, got.Result, want.Result)
		}
	}
}

// TestModulePanic: a panic while one module is read (a parser or a
// decompressor bug, on one crafted file) is that module's error, naming
// the file; the run goes on and writes what it writes when that module
// cannot be read at all, with kmod's exit code for that, 0.
func TestModulePanic(t *testing.T) {
	t.Parallel()
	victim := md + "kernel/drivers/a/snd-mid.ko"
	// The reference: the same tree with the module unreadable garbage.
	broken := baseTree()
	broken[victim] = []byte("not a module at all")
	refRoot := broken.write(t)
	if code, _, errOut := cmdlinetest.Capture("depmod", Run, "-b", refRoot, fixtureVersion); code != 0 {
		t.Fatalf("reference run: exit %d: %s", code, errOut)
	}
	want := snapshot(t, filepath.Join(refRoot, md))

	root := baseTree().write(t)
	var out, errOut bytes.Buffer
	env := &applet.Env{Argv0: "depmod", Stdout: &out, Stderr: &errOut}
	panicky := func(path string) (*elfmod.Module, error) {
		if strings.HasSuffix(path, "/snd-mid.ko") {
			panic("injected: a decoder bug")
		}
		return elfmod.Open(path)
	}
	j, code := prepare(env, []string{"-b", root, fixtureVersion}, panicky)
	if j == nil {
		t.Fatalf("prepare: exit %d: %s", code, errOut.String())
	}
	if code := j.write(atomicfile.OS); code != 0 {
		t.Fatalf("exit %d, want 0: %s", code, errOut.String())
	}
	wantMsg := "depmod: ERROR: failed to load symbols from " + filepath.Join(root, victim) + ": internal error: injected: a decoder bug\n"
	if !strings.Contains(errOut.String(), wantMsg) {
		t.Errorf("stderr %q, want it to hold %q", errOut.String(), wantMsg)
	}
	got := snapshot(t, filepath.Join(root, md))
	compareFiles(t, got, want)
}
