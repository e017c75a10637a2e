package modinfo

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/elfmod"
	"github.com/modutils/modutils/internal/debtree"
	"github.com/modutils/modutils/moddep"
	"github.com/modutils/modutils/moddep/modcache"
)

// treeModules lists the modules of a tree, sorted by path relative to the
// module directory.
func treeModules(t testing.TB, moddir string) []string {
	t.Helper()
	var out []string
	// The trailing slash follows a view's link to the tree's kernel/.
	err := filepath.WalkDir(filepath.Join(moddir, "kernel")+"/", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.Contains(d.Name(), ".ko") {
			rel, _ := filepath.Rel(moddir, filepath.Clean(p))
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// sample picks a deterministic sample of a tree (relative paths): every
// nth module, the largest ones, and the first modules that have each of
// the keys modinfo treats specially or that are rare. It is made once per
// module directory.
var samples = struct {
	sync.Mutex
	m map[string]*sampleSet
}{m: map[string]*sampleSet{}}

type sampleSet struct {
	sync.Once
	rel []string
}

// sampleSize is how many modules sample spreads over the tree: fewer for
// a compressed tree, whose every module costs a decompression per run.
func sampleSize(moddir string) int {
	if m, _ := filepath.Glob(filepath.Join(moddir, "kernel/fs/fat/fat.ko")); len(m) == 1 {
		return 300
	}
	return 60
}

func sample(t testing.TB, moddir string) []string {
	t.Helper()
	// A view links its tree's kernel/: one sample serves both.
	key, err := filepath.EvalSymlinks(filepath.Join(moddir, "kernel"))
	if err != nil {
		t.Fatal(err)
	}
	samples.Lock()
	sampleOnce := samples.m[key]
	if sampleOnce == nil {
		sampleOnce = &sampleSet{}
		samples.m[key] = sampleOnce
	}
	samples.Unlock()
	sampleOnce.Do(func() {
		all := treeModules(t, moddir)
		picked := map[string]bool{}
		size := sampleSize(moddir)
		step := max(1, len(all)/size)
		for i := 0; i < len(all); i += step {
			picked[all[i]] = true
		}
		type sized struct {
			rel  string
			size int64
		}
		var sizes []sized
		want := map[string]int{"parm": 8, "parmtype": 8, "softdep": 8, "firmware": 8, "import_ns": 4, "alias": 4, "depends": 4,
			"staging": 2, "scmversion": 2, "srcversion": 2, "version": 4}
		infos := readInfos(t, moddir, all)
		for k, rel := range all {
			p := filepath.Join(moddir, rel)
			if fi, err := os.Stat(p); err == nil {
				sizes = append(sizes, sized{rel, fi.Size()})
			}
			info := infos[k]
			seen := map[string]bool{}
			onlyType := map[string]bool{}
			for _, s := range info {
				k, v := splitInfo(s)
				name, _, _ := strings.Cut(v, ":")
				switch k {
				case "parm":
					onlyType[name] = false
				case "parmtype":
					if _, ok := onlyType[name]; !ok {
						onlyType[name] = true
					}
				}
				if !seen[k] && want[k] > 0 {
					seen[k] = true
					want[k]--
					picked[rel] = true
				}
			}
			for _, only := range onlyType {
				if only && want["parmtype-only"] < 3 {
					want["parmtype-only"]++
					picked[rel] = true
				}
			}
		}
		sort.Slice(sizes, func(i, j int) bool { return sizes[i].size > sizes[j].size })
		for _, s := range sizes[:min(size/60, len(sizes))] {
			picked[s.rel] = true
		}
		for rel := range picked {
			sampleOnce.rel = append(sampleOnce.rel, rel)
		}
		sort.Strings(sampleOnce.rel)
	})
	if len(sampleOnce.rel) < sampleSize(moddir) {
		t.Fatalf("sample has %d modules, want at least %d", len(sampleOnce.rel), sampleSize(moddir))
	}
	return sampleOnce.rel
}

// readInfos reads the .modinfo of every module, on every core: Debian
// 13's 4,230 .ko.xz modules take most of a minute on one.
func readInfos(t testing.TB, moddir string, rel []string) [][]string {
	t.Helper()
	infos := make([][]string, len(rel))
	errs := make([]error, len(rel))
	var wg sync.WaitGroup
	next := make(chan int, len(rel))
	for k := range rel {
		next <- k
	}
	close(next)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				m, err := elfmod.Open(filepath.Join(moddir, rel[k]))
				if err != nil {
					errs[k] = err
					continue
				}
				infos[k], _ = m.Modinfo()
				m.Close()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return infos
}

// compressedOptions are run over the samples of compressed trees: the
// output's forms and the signature.
var compressedOptions = [][]string{nil, {"-0"}, {"-p"}, {"-F", "signature"}, {"-F", "sig_hashalgo"}, {"-F", "alias"}}

// outputOptions are run over the samples.
var outputOptions = [][]string{
	nil, {"-0"}, {"-a"}, {"-d"}, {"-l"}, {"-p"}, {"-n"}, {"-0", "-p"},
	{"-F", "signer"}, {"-F", "sig_key"}, {"-F", "signature"}, {"-F", "sig_id"}, {"-F", "sig_hashalgo"},
	{"-F", "parm"}, {"-F", "parmtype"}, {"-F", "alias"}, {"-F", "depends"}, {"-F", "firmware"},
	{"-F", "softdep"}, {"-F", "vermagic"}, {"-F", "name"}, {"-F", "filename"}, {"-F", "nosuchfield"},
}

// batches runs check over args in batches of n operands after opts.
func batches(t *testing.T, opts, operands []string, n int) {
	t.Helper()
	for i := 0; i < len(operands); i += n {
		args := append(append([]string{}, opts...), operands[i:min(len(operands), i+n)]...)
		check(t, args...)
	}
}

// TestDebianPaths runs modinfo on 300+ modules by path, with every output
// option, on Debian 13's tree and Debian 12's uncompressed one.
func TestDebianPaths(t *testing.T) {
	t.Parallel()
	debtree.Kmod(t, "modinfo")
	for _, tree := range []debtree.Named{{Name: "deb13.ko.xz", Tree: debtree.Trixie(t)}, {Name: "deb12.ko", Tree: debtree.Get(t, "ko")}} {
		t.Run(tree.Name, func(t *testing.T) {
			options := outputOptions
			if tree.Flavour != "ko" {
				options = compressedOptions
			}
			samplePaths(t, tree.Tree, options, check)
		})
	}
}

// samplePaths runs check over a tree's sample by path with each of
// options, in batches of 100 operands.
func samplePaths(t *testing.T, tree debtree.Tree, options [][]string, check func(t testing.TB, args ...string) result) {
	var paths []string
	for _, r := range sample(t, tree.ModDir()) {
		paths = append(paths, filepath.Join(tree.ModDir(), r))
	}
	for _, opts := range options {
		t.Run(strings.Join(append([]string{"opts"}, opts...), " "), func(t *testing.T) {
			for i := 0; i < len(paths); i += 100 {
				check(t, append(append([]string{}, opts...), paths[i:min(len(paths), i+100)]...)...)
			}
		})
	}
}

// indexedView is a view of one of debtree.All's trees into which kmod
// 34.2's depmod wrote its indexes, made once per tree.
var views = struct {
	sync.Mutex
	m map[string]debtree.Tree
}{m: map[string]debtree.Tree{}}

func indexedView(t testing.TB, name string) debtree.Tree {
	t.Helper()
	var tree debtree.Tree
	switch name {
	case "deb13.ko.xz":
		tree = debtree.Trixie(t)
	default:
		tree = debtree.Get(t, strings.TrimPrefix(name, "deb12."))
	}
	depmod := debtree.Kmod(t, "depmod")
	views.Lock()
	defer views.Unlock()
	if v, ok := views.m[name]; ok {
		return v
	}
	v, err := debtree.ViewIn(filepath.Join(viewRoot, name), tree)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(depmod, "-b", v.Root, v.Version).CombinedOutput(); err != nil {
		t.Fatalf("kmod depmod: %v\n%s", err, out)
	}
	views.m[name] = v
	return v
}

var viewRoot string

// TestMain turns the module cache off for every test that does not
// choose one: they read the modules themselves, as a cold run does.
func TestMain(m *testing.M) {
	os.Setenv(modcache.EnvVar, "off")
	debtree.MainWithTempDir(m, "modinfo-views", &viewRoot)
}

// lines reads a file of the module directory.
func lines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// every returns every nth element of s, starting with the first.
func every(s []string, n int) []string {
	var out []string
	for i := 0; i < len(s); i += max(1, n) {
		out = append(out, s[i])
	}
	return out
}

// TestDebianNames resolves names in Debian 13's and Debian 12's trees
// with -b ROOT -k VERSION: module names (with dashes too), aliases,
// symbols, built-in modules and their aliases, -m, and names that match
// nothing.
func TestDebianNames(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"deb13.ko.xz", "deb12.ko"} {
		t.Run(name, func(t *testing.T) { debianNames(t, indexedView(t, name)) })
	}
}

func debianNames(t *testing.T, v debtree.Tree) {
	base := []string{"-b", v.Root, "-k", v.Version}
	md := v.ModDir()

	var modNames []string
	for _, r := range sample(t, md) {
		modNames = append(modNames, moddep.ModuleName(r))
	}
	var dashed []string
	for _, n := range modNames {
		if strings.Contains(n, "_") {
			dashed = append(dashed, strings.ReplaceAll(n, "_", "-"))
		}
	}
	var aliases []string
	// A compressed tree's modules cost a decompression each: fewer.
	thin := 1
	if v.Flavour != "ko" {
		thin = 4
	}
	for _, l := range every(lines(t, filepath.Join(md, "modules.alias")), 97*thin) {
		if f := strings.Fields(l); len(f) == 3 {
			aliases = append(aliases, f[1])
		}
	}
	// Concrete device ids that wildcard aliases match, some of them
	// matching several modules.
	aliases = append(aliases, "pci:v00008086d00001533sv00008086sd00000001bc02sc00i00", "usb:v046Dp0825d0010dc00dsc00dp00icFFiscFFipFFin00",
		"acpi*:PNP0A08:*", "fs-ext4", "crypto-sha256", "char-major-10-229", "devname:fuse", "platform:serial8250")
	var symbols []string
	for _, l := range every(lines(t, filepath.Join(md, "modules.symbols")), 211*thin/2) {
		if f := strings.Fields(l); len(f) == 3 {
			symbols = append(symbols, f[1])
		}
	}
	var builtins []string
	for _, l := range lines(t, filepath.Join(md, "modules.builtin")) {
		builtins = append(builtins, moddep.ModuleName(l))
	}
	var builtinAliases []string
	data, err := os.ReadFile(filepath.Join(md, "modules.builtin.modinfo"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range strings.Split(string(data), "\x00") {
		if _, a, ok := strings.Cut(s, ".alias="); ok {
			builtinAliases = append(builtinAliases, a)
		}
	}
	builtinAliases = every(builtinAliases, 3)
	missing := []string{"nosuchmodule", "no-such-module", "pci:nothing", "symbol:no_such_symbol", "bad[alias", "[", "a:b"}

	groups := []struct {
		name  string
		names []string
	}{
		{"modules", modNames}, {"dashed", dashed}, {"aliases", aliases}, {"symbols", symbols},
		{"builtin", builtins}, {"builtin aliases", builtinAliases}, {"missing", missing},
	}
	if len(builtins) < 50 || len(aliases) < 50 || len(symbols) < 20 {
		t.Fatalf("too few names: %d builtin, %d aliases, %d symbols", len(builtins), len(aliases), len(symbols))
	}
	options := [][]string{nil, {"-m"}, {"-F", "name"}, {"-n"}, {"-p"}, {"-F", "signer"}}
	if v.Flavour != "ko" {
		options = [][]string{nil, {"-m"}, {"-n"}}
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, opts := range options {
				batches(t, append(append([]string{}, base...), opts...), g.names, 60)
			}
		})
	}
	t.Run("one at a time", func(t *testing.T) {
		for _, n := range append(append(every(modNames, 10), every(builtins, 10)...), missing...) {
			check(t, append(append([]string{}, base...), n)...)
		}
	})
}

// TestDebianCompressed compares a sample of Debian 12's .ko.xz and .ko.zst
// trees by path and by name (Debian 13's is TestDebianPaths' and
// TestDebianNames'; .ko.gz, which Debian's kmod cannot read, TestGolden's).
func TestDebianCompressed(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"deb12.ko.xz", "deb12.ko.zst"} {
		t.Run(name, func(t *testing.T) {
			v := indexedView(t, name)
			md := v.ModDir()
			all := treeModules(t, md)
			rel := every(all, len(all)/40)
			var paths, names []string
			for _, r := range rel {
				paths = append(paths, filepath.Join(md, r))
				names = append(names, moddep.ModuleName(r))
			}
			for _, opts := range [][]string{nil, {"-0"}, {"-F", "signature"}, {"-p"}} {
				batches(t, opts, paths, 50)
				batches(t, append([]string{"-b", v.Root, "-k", v.Version}, opts...), names, 50)
			}
			check(t, "-b", v.Root, "-k", v.Version, "fs-ext4", "crc32", "ext4")
		})
	}
}

// TestDebianErrors covers failures against real modules: missing
// modules and files, truncated and corrupted copies of real modules.
func TestDebianErrors(t *testing.T) {
	t.Parallel()
	v := indexedView(t, "deb12.ko")
	md := v.ModDir()
	rel := sample(t, md)
	dir := t.TempDir()
	var args []string
	for i, r := range every(rel, 30) {
		data, err := os.ReadFile(filepath.Join(md, r))
		if err != nil {
			t.Fatal(err)
		}
		cuts := []int{len(data) / 2, len(data) - 1, len(data) - 30, 64}
		for j, n := range cuts {
			p := filepath.Join(dir, "t"+itoa(i)+"_"+itoa(j)+".ko")
			if err := os.WriteFile(p, data[:n], 0o644); err != nil {
				t.Fatal(err)
			}
			args = append(args, p)
		}
	}
	for _, a := range args {
		check(t, a)
		check(t, "-F", "signer", a)
	}
	check(t, args...)
	check(t, "/nonexistent/module.ko")
	check(t, "-b", v.Root, "-k", v.Version, "nosuch", "ext4", "/nonexistent.ko", "e1000e")
	check(t, "-b", v.Root, "-k", "0.0.0-nosuch", "ext4")
	check(t, "-b", v.Root+"/nonexistent", "-k", v.Version, "e1000e")
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// TestCombinedStreams sends stdout and stderr to one file, as "2>&1"
// does: kmod's stdout is block-buffered there, so its error messages land
// ahead of output it printed earlier; ours must land in the same places.
func TestCombinedStreams(t *testing.T) {
	t.Parallel()
	v := indexedView(t, "deb12.ko")
	kmod := debtree.Kmod(t, "modinfo")
	dir := t.TempDir()
	writeTree(t, dir, map[string][]byte{"truncated.ko": mod("license=GPL")[:100]})
	bad := filepath.Join(dir, "truncated.ko")
	cases := [][]string{
		{"e1000e", "nosuch", "ext4", "nosuch2", "snd-hda-intel", "nosuch3", "i915", "nosuch4"},
		{bad, "e1000e", bad, "-p", "ext4", bad},
		{"-0", "-F", "signature", "e1000e", "nosuch", "ext4", "nosuch", "xfs", "btrfs", "nosuch"},
	}
	for i, args := range cases {
		args = append([]string{"-b", v.Root, "-k", v.Version}, args...)
		run := func(name string, f func(out *os.File) int) (string, int) {
			p := filepath.Join(dir, name+itoa(i))
			out, err := os.Create(p)
			if err != nil {
				t.Fatal(err)
			}
			code := f(out)
			out.Close()
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			return string(data), code
		}
		want, wcode := run("kmod", func(out *os.File) int {
			cmd := exec.Command(kmod, args...)
			cmd.Args[0] = "modinfo"
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Run(); err != nil {
				if ee, ok := err.(*exec.ExitError); ok {
					return ee.ExitCode()
				}
				t.Fatal(err)
			}
			return 0
		})
		got, gcode := run("ours", func(out *os.File) int {
			return Run(&applet.Env{Argv0: "modinfo", Stdout: out, Stderr: out}, args)
		})
		if got != want || gcode != wcode {
			t.Errorf("modinfo %s 2>&1: exit %d (kmod %d), output differs %s", shellArgs(args), gcode, wcode, firstDiff(got, want))
		}
	}
}
