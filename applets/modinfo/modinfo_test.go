package modinfo

import (
	"bytes"
	"encoding/binary"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/modutils/modutils/applets/applet/cmdlinetest"
	"github.com/modutils/modutils/elfmod/elfmodtest"
	"github.com/modutils/modutils/internal/debtree"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

type result = debtree.Result

func runOurs(t testing.TB, args ...string) result {
	t.Helper()
	return (debtree.Captured(cmdlinetest.Capture("modinfo", Run, args...)))
}

func runKmod(t testing.TB, args ...string) result {
	t.Helper()
	return (debtree.RunKmod(t, "modinfo", args...))
}

// check runs kmod's modinfo and ours with args and compares stdout,
// stderr and the exit code.
func check(t testing.TB, args ...string) result {
	t.Helper()
	want := runKmod(t, args...)
	got := runOurs(t, args...)
	compare(t, args, got, want)
	return want
}

func compare(t testing.TB, args []string, got, want result) {
	t.Helper()
	if got.Code != want.Code {
		t.Errorf("modinfo %s: exit %d, kmod %d", shellArgs(args), got.Code, want.Code)
	}
	if got.Stdout != want.Stdout {
		t.Errorf("modinfo %s: stdout differs %s", shellArgs(args), firstDiff(got.Stdout, want.Stdout))
	}
	if got.Stderr != want.Stderr {
		t.Errorf("modinfo %s: stderr differs %s", shellArgs(args), firstDiff(got.Stderr, want.Stderr))
	}
}

func shellArgs(args []string) string {
	if len(args) > 12 {
		return strings.Join(args[:12], " ") + " ... (" + strconv.Itoa(len(args)) + " arguments)"
	}
	return strings.Join(args, " ")
}

// firstDiff shows where two outputs part.
func firstDiff(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	start := strings.LastIndexByte(want[:i], '\n') + 1
	ctx := func(s string) string {
		if start > len(s) {
			return ""
		}
		return strconv.Quote(s[start:min(len(s), start+300)])
	}
	return "at byte " + strconv.Itoa(i) + " of " + strconv.Itoa(len(got)) + " (kmod " + strconv.Itoa(len(want)) + ")\n got: " + ctx(got) + "\nkmod: " + ctx(want)
}

// signed appends a signature trailer with the given header fields.
func signed(img []byte, algo, hash, idType byte, signer, keyID, sig []byte) []byte {
	out := append([]byte(nil), img...)
	out = append(append(append(out, signer...), keyID...), sig...)
	var h [12]byte
	h[0], h[1], h[2], h[3], h[4] = algo, hash, idType, byte(len(signer)), byte(len(keyID))
	binary.BigEndian.PutUint32(h[8:], uint32(len(sig)))
	return append(append(out, h[:]...), "~Module signature appended~\n"...)
}

func mod(info ...string) []byte {
	return (&elfmodtest.Module{Modinfo: info}).Bytes()
}

// synthetic are module files kmod can read too, named for the tests.
func synthetic() map[string][]byte {
	seq := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*37 + 11)
		}
		return b
	}
	return map[string][]byte{
		"plain.ko":         mod("license=GPL", "description=A test", "author=Me <me@example.org>", "alias=pci:v*d*", "alias=foo", "depends=", "name=plain", "vermagic=6.1.0 SMP"),
		"params.ko":        mod("parm=debug:Debug level (int)", "parmtype=debug:int", "parmtype=typed:charp", "parm=desc:Only a description", "parm=debug:Later description", "parmtype=debug:uint", "parm=nocolon", "parmtype=alsonocolon", "parm=:empty name", "parm=empty:", "parm=colons:a:b:c", "license=GPL"),
		"keys.ko":          mod("a_key_of_exactly=15", "a_key_longer_than_fifteen=x", "abcdefghijklmno=fifteen", "nokeyvalue", "=emptykey", "k=", "k==v", "multi=line\nvalue", "tab=\tvalue"),
		"dash-name.ko":     mod("license=GPL", "name=dash_name"),
		"weakdep.ko":       mod("license=GPL", "softdep=pre: crc32c", "weakdep=snd_low", "weakdep=other"),
		"nomodinfo.ko":     (&elfmodtest.Module{NoModinfo: true}).Bytes(),
		"emptymodinfo.ko":  (&elfmodtest.Module{ModinfoRaw: []byte{}}).Bytes(),
		"pgp.ko":           signed(mod("license=GPL"), 1, 2, 0, []byte("Signer Name"), seq(45), seq(3)),
		"x509.ko":          signed(mod("license=GPL"), 0, 4, 1, []byte("nul\x00after"), nil, seq(41)),
		"badsig.ko":        signed(mod("license=GPL"), 0, 9, 0, []byte("x"), nil, seq(4)),
		"pkcs7garbage.ko":  signed(mod("license=GPL"), 1, 4, 2, nil, nil, seq(40)),
		"gzipped.ko.xz":    elfmodtest.XZ(mod("license=GPL", "name=gzipped")),
		"zst.ko.zst":       elfmodtest.Zstd(mod("license=GPL", "name=zst", "parm=p:desc", "parmtype=p:int")),
		"truncated.ko":     mod("license=GPL")[:100],
		"tiny.ko":          []byte("\x7fEL"),
		"notelf.ko":        []byte("this is not an ELF file at all\n"),
		"empty.ko":         nil,
		"truncated.ko.xz":  elfmodtest.XZ(mod("license=GPL"))[:60],
		"corrupt.ko.zst":   append([]byte{0x28, 0xb5, 0x2f, 0xfd}, bytes.Repeat([]byte{0xaa}, 40)...),
		"cut.ko.zst":       cutTail(elfmodtest.Zstd(mod("license=GPL")), 20),
		"spoilt.ko.xz":     spoil(elfmodtest.XZ(mod("license=GPL", "description=a text long enough to be compressed in a block of its own"))),
		"notmodule.txt":    mod("license=GPL"),
		"noext":            mod("license=GPL"),
		"ko":               mod("license=GPL"),
		"double.ko.ko":     mod("license=GPL"),
		"weird.name.ko":    mod("license=GPL"),
		"elf32.ko":         (&elfmodtest.Module{Class: 1, Modinfo: []string{"license=GPL", "name=elf32"}}).Bytes(),
		"bigendian.ko":     (&elfmodtest.Module{ByteOrder: binary.BigEndian, Modinfo: []string{"license=GPL"}}).Bytes(),
		"sub/nested.ko":    mod("license=GPL", "alias=nested"),
		"unterminated.ko":  (&elfmodtest.Module{ModinfoRaw: []byte("\x00\x00license=GPL\x00\x00\x00author=unterminated")}).Bytes(),
		"onebyte.ko":       (&elfmodtest.Module{ModinfoRaw: []byte("\x00\x00x")}).Bytes(),
		"manyparams.ko":    mod("parm=a:1", "parm=b:2", "parmtype=c:int", "parm=d:4", "parmtype=a:bool", "parmtype=b:charp"),
		"symlinked-to.ko":  mod("license=GPL", "name=symlinked_to"),
		"dir.ko/keep":      nil,
		"unreadable-ok.ko": mod("license=GPL"),
	}
}

// writeTree writes files under dir.
func writeTree(t testing.TB, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSyntheticFiles compares kmod and ours on crafted module files, with
// every output option, by absolute and by relative path.
func TestSyntheticFiles(t *testing.T) {
	// Not parallel: t.Chdir: the files are named relative to the working directory, as kmod resolves them.
	dir := t.TempDir()
	files := synthetic()
	writeTree(t, dir, files)
	if err := os.Symlink("symlinked-to.ko", filepath.Join(dir, "link.ko")); err != nil {
		t.Fatal(err)
	}
	var names []string
	for name := range files {
		if name != "dir.ko/keep" {
			names = append(names, name)
		}
	}
	names = append(names, "link.ko", "dir.ko", "missing.ko", "missing.ko.xz")
	optionSets := [][]string{
		nil, {"-0"}, {"-a"}, {"-d"}, {"-l"}, {"-p"}, {"-n"}, {"-0", "-p"}, {"-0", "-n"},
		{"-F", "parm"}, {"-F", "parmtype"}, {"-F", "alias"}, {"-F", "signer"}, {"-F", "sig_key"},
		{"-F", "signature"}, {"-F", "sig_id"}, {"-F", "sig_hashalgo"}, {"-F", ""}, {"-F", "nokeyvalue"},
		{"-F", "name"}, {"-F", "filename"}, {"-F", "a_key_longer_than_fifteen"}, {"-F", "multi"},
		{"-p", "-a"}, {"-a", "-p"}, {"-F", "license", "-0"},
	}
	for _, name := range names {
		for _, opts := range optionSets {
			check(t, append(append([]string{}, opts...), filepath.Join(dir, name))...)
		}
	}
	// Several at once, in order, errors in between.
	var all []string
	for _, name := range names {
		all = append(all, filepath.Join(dir, name))
	}
	check(t, all...)
	check(t, append([]string{"-0"}, all...)...)

	// Relative paths: filename: is the working directory joined, as is.
	t.Chdir(dir)
	for _, arg := range []string{"plain.ko", "./plain.ko", "sub/../plain.ko", "sub/nested.ko", "truncated.ko", "link.ko", "dir.ko", "plain.ko/"} {
		check(t, arg)
		check(t, "-n", arg)
	}
}

// TestSyntheticTree resolves names in a small module directory that
// kmod's depmod indexed: modules.dep names, aliases, symbols, built-in
// modules with and without modules.builtin.modinfo, -m, and errors.
func TestSyntheticTree(t *testing.T) {
	// Not parallel: t.Chdir: the files are named relative to the working directory, as kmod resolves them.
	depmod := debtree.Kmod(t, "depmod")
	root := t.TempDir()
	const kv = "1.0.0"
	md := filepath.Join(root, "lib/modules", kv)
	exp := func(sym string) elfmodtest.Export { return elfmodtest.Export{Name: sym, CRC: 0x1234} }
	files := map[string][]byte{
		"kernel/a/alpha.ko":    mod("license=GPL", "alias=greek", "alias=pci:v00001234d*", "name=alpha"),
		"kernel/b/beta-mod.ko": mod("license=GPL", "alias=greek", "softdep=pre: alpha", "name=beta_mod"),
		"kernel/c/gamma.ko.xz": elfmodtest.XZ(mod("license=GPL", "alias=pci:v00001234d00005678*", "firmware=gamma.bin", "name=gamma")),
		"kernel/d/delta.ko":    (&elfmodtest.Module{Modinfo: []string{"license=GPL", "name=delta"}, Exports: []elfmodtest.Export{exp("delta_fn")}}).Bytes(),
		"kernel/e/broken.ko":   []byte("not an elf, but listed in modules.dep\n"),
		"kernel/f/both.ko":     mod("license=GPL", "description=file", "name=both"),
		"kernel/g/ghost.ko":    mod("license=GPL", "alias=ghostalias", "name=ghost"),
		"modules.builtin":      []byte("kernel/fs/ext9.ko\nkernel/lib/builtin-lib.ko\nkernel/net/nomodinfo.ko\nkernel/f/both.ko\n"),
		"modules.builtin.modinfo": []byte("ext9.license=GPL\x00ext9.alias=fs-ext9\x00ext9.parm=opt:An option\x00ext9.parmtype=opt:int\x00" +
			"builtin_lib.description=Library\x00builtin_lib.alias=libalias\x00both.description=builtin\x00"),
		"modules.order": nil,
	}
	writeTree(t, md, files)
	if out, err := exec.Command(depmod, "-b", root, kv).CombinedOutput(); err != nil {
		t.Fatalf("kmod depmod: %v\n%s", err, out)
	}
	// An alias whose module modules.dep no longer lists: index it, drop
	// the module, index again and put the old alias index back.
	aliasBin, err := os.ReadFile(filepath.Join(md, "modules.alias.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(md, "kernel/g/ghost.ko")); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(depmod, "-b", root, kv).CombinedOutput(); err != nil {
		t.Fatalf("kmod depmod: %v\n%s", err, out)
	}
	writeTree(t, md, map[string][]byte{"modules.alias.bin": aliasBin})
	// A module that modules.dep lists but that is gone.
	if err := os.Remove(filepath.Join(md, "kernel/a/alpha.ko")); err != nil {
		t.Fatal(err)
	}
	writeTree(t, md, map[string][]byte{"kernel/a/alpha.ko.gone": nil})
	base := []string{"-b", root, "-k", kv}
	names := []string{
		"alpha", "beta-mod", "beta_mod", "gamma", "delta", "broken", "greek", "pci:v00001234d00005678sv1", "pci:v00001234d00000000",
		"symbol:delta_fn", "symbol:nosuch", "ext9", "fs-ext9", "builtin_lib", "builtin-lib", "libalias", "nomodinfo", "nosuch",
		"bad[alias", "a:b", "-", "", "both", "ghostalias", "ghost",
	}
	for _, opts := range [][]string{nil, {"-m"}, {"-0"}, {"-p"}, {"-n"}, {"-F", "name"}, {"-F", "alias"}, {"-F", "filename"}} {
		for _, name := range names {
			check(t, append(append(append([]string{}, base...), opts...), name)...)
		}
		check(t, append(append(append([]string{}, base...), opts...), names...)...)
	}
	// Without modules.builtin.modinfo (an old kernel) built-in modules
	// show only their name.
	if err := os.Remove(filepath.Join(md, "modules.builtin.modinfo")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ext9", "builtin-lib", "alpha", "both"} {
		check(t, append(append([]string{}, base...), name)...)
		check(t, append(append([]string{}, base...), "-F", "name", name)...)
	}
	// A relative root, and a root with a trailing slash.
	t.Chdir(filepath.Dir(root))
	check(t, "-b", filepath.Base(root), "-k", kv, "delta")
	check(t, "-b", root+"/", "-k", kv, "delta")
	// -b alone uses the running kernel's release; -k alone /lib/modules.
	check(t, "-b", root, "delta")
	check(t, "-k", kv, "delta")
	check(t, "-k", kv, "-n", "nosuchmodule")
}

// TestBuiltinModinfoCorrupt checks modules.builtin.modinfo damage that
// kmod survives, including libkmod's own error messages.
func TestBuiltinModinfoCorrupt(t *testing.T) {
	t.Parallel()
	depmod := debtree.Kmod(t, "depmod")
	cases := []struct {
		name, content string
		args          []string
	}{
		{"truncated in block", "foo.license=GPL\x00bar.lic", []string{"foo", "bar"}},
		{"truncated after", "foo.license=GPL\x00bar.x=1\x00baz.lic", []string{"foo", "bar", "baz"}},
		{"empty string", "foo.a=1\x00\x00foo.b=2\x00bar.x=1\x00", []string{"bar", "baz"}},
		{"missing", "foo.a=1\x00", []string{"bar", "-F", "name", "baz"}},
		{"empty file", "", []string{"foo"}},
		{"second block ignored", "foo.a=1\x00bar.b=2\x00foo.c=3\x00", []string{"foo", "bar"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			md := filepath.Join(root, "lib/modules/1.0")
			writeTree(t, md, map[string][]byte{
				"modules.builtin": []byte("kernel/a/foo.ko\nkernel/a/bar.ko\nkernel/a/baz.ko\n"),
				"modules.order":   nil,
			})
			if out, err := exec.Command(depmod, "-b", root, "1.0").CombinedOutput(); err != nil {
				t.Fatalf("kmod depmod: %v\n%s", err, out)
			}
			writeTree(t, md, map[string][]byte{"modules.builtin.modinfo": []byte(c.content)})
			for _, a := range c.args {
				if a == "-F" || a == "name" {
					continue
				}
				check(t, "-b", root, "-k", "1.0", a)
			}
			check(t, append([]string{"-b", root, "-k", "1.0"}, c.args...)...)
		})
	}
}

// TestCommandLineModule compares option parsing and its errors on a
// module file; TestCommandLine has the cases that need none.
func TestCommandLineModule(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, map[string][]byte{"m.ko": mod("license=GPL", "author=A", "description=D", "parm=p:x")})
	m := filepath.Join(dir, "m.ko")
	cases := [][]string{
		{},
		{"-h"}, {"--help"}, {"--he"}, {"-h", "--bogus"}, {"--bogus", "-h"}, {"-hx"}, {"-xh"}, {"-Fh"}, {"-F", "-h", "--bogus"},
		{"--bogus"}, {"-x"}, {"-F"}, {"--field"}, {"-k"}, {"-b"}, {"--author=x", m}, {"--f", m}, {"--fi", "author", m},
		{"--null", "--author", m}, {"--filename", m}, {"--parameters", m}, {"--description", m}, {"--license", m},
		{"--modname", m}, {"-m", m}, {"--set-version", "1.0", m}, {"--basedir", dir, m},
		{m, "-a"}, {"-a", "--", m}, {"--", "-a"}, {"-Fauthor", m}, {"-0a", m}, {"-a0", m},
		{"-n", "-F", "author", m}, {"-F", "author", "-n", m},
	}
	for _, args := range cases {
		check(t, args...)
	}
}

// cutTail is b without its last n bytes.
func cutTail(b []byte, n int) []byte { return b[:len(b)-n] }

// spoil flips a byte in the middle of b.
func spoil(b []byte) []byte {
	c := bytes.Clone(b)
	c[len(c)/2] ^= 0x55
	return c
}

// TestGolden covers where we differ from kmod on purpose: -V (this build
// has zlib) and .ko.gz modules (Debian's kmod lacks zlib). (A truncated
// zstd stream was one until kmod 34, which reports it as we do:
// TestSyntheticFiles compares it.)
func TestGolden(t *testing.T) {
	// Not parallel: t.Chdir: the files are named relative to the working directory, as kmod resolves them.
	dir := t.TempDir()
	plain := mod("license=GPL", "name=gz", "parm=p:desc", "parmtype=p:int")
	writeTree(t, dir, map[string][]byte{
		"gz.ko.gz":        elfmodtest.Gzip(plain),
		"gz.ko":           plain,
		"truncated.ko.gz": elfmodtest.Gzip(plain)[:40],
	})
	t.Chdir(dir)
	cases := []struct {
		name string
		args []string
	}{
		{"version", []string{"-V"}},
		{"version-long", []string{"--version", "-x"}},
		{"gzip", []string{"gz.ko.gz"}},
		{"gzip-parm", []string{"-p", "gz.ko.gz"}},
		{"gzip-truncated", []string{"truncated.ko.gz"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := runOurs(t, c.args...)
			text := "exit " + strconv.Itoa(got.Code) + "\n--- stdout\n" + strings.ReplaceAll(got.Stdout, dir, "DIR") + "--- stderr\n" + got.Stderr
			golden := filepath.Join(wd, "testdata", c.name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if text != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", text, want)
			}
		})
	}
	// The .ko.gz module reads as its uncompressed self.
	gz, ko := runOurs(t, "gz.ko.gz"), runOurs(t, "gz.ko")
	if strings.Replace(gz.Stdout, "gz.ko.gz", "gz.ko", 1) != ko.Stdout || gz.Code != 0 || ko.Code != 0 {
		t.Errorf(".ko.gz:\n%s\n.ko:\n%s", gz.Stdout, ko.Stdout)
	}
}

// wd is the package directory, where testdata lives.
var wd, _ = os.Getwd()
