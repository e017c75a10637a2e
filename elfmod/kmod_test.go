package elfmod

// Cross-checks against kmod itself on a real module tree ($ELFMOD_TREE, by
// default Debian's tree as testdata/debian-tree.sh caches it). They are
// skipped when the tree or the kmod tools (modinfo, modprobe) are missing,
// except under CI, where they fail (internal/debtree).

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/modutils/modutils/elfmod/elfmodtest"
	"github.com/modutils/modutils/internal/debtree"
)

func skipf(t testing.TB, format string, args ...any) {
	t.Helper()
	debtree.Missing(t, format, args...)
}

// treeDir is $ELFMOD_TREE or the cached Debian tree's module directory.
func treeDir(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv("ELFMOD_TREE"); dir != "" {
		return dir
	}
	return debtree.Get(t, "ko").ModDir()
}

// realTree returns the sorted .ko files of the real module tree
// ($ELFMOD_TREE, or the Debian tree cached by the project's scripts).
func realTree(t testing.TB) []string {
	t.Helper()
	dir := treeDir(t)
	if _, err := os.Stat(dir); err != nil {
		skipf(t, "real module tree not available: %v", err)
	}
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && strings.Contains(d.Name(), ".ko") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		skipf(t, "no modules under %s", dir)
	}
	sort.Strings(files)
	return files
}

// sample returns about n files spread over the whole list.
func sample(files []string, n int) []string {
	if len(files) <= n {
		return files
	}
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, files[i*len(files)/n])
	}
	return out
}

func lookTool(t testing.TB, name string) string {
	t.Helper()
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	skipf(t, "%s not installed", name)
	return ""
}

// kmodResult is what libkmod returned for one module.
type kmodResult struct {
	path            string
	infoRet, symRet int
	depRet, verRet  int
	info            [][2]string
	syms, vers      []Symbol
	deps            []DepSymbol
	openFailed      bool
}

// parseKmodRef parses testdata/kmodref.c's output.
func parseKmodRef(r io.Reader) ([]*kmodResult, error) {
	br := bufio.NewReader(r)
	var out []*kmodResult
	var cur *kmodResult
	str := func() (string, error) {
		ls, err := br.ReadString(':')
		if err != nil {
			return "", err
		}
		n, err := strconv.Atoi(ls[:len(ls)-1])
		if err != nil {
			return "", err
		}
		b := make([]byte, n)
		_, err = io.ReadFull(br, b)
		return string(b), err
	}
	word := func() (string, error) {
		w, err := br.ReadString(' ')
		return strings.TrimSuffix(w, " "), err
	}
	num := func() (int, error) {
		l, err := br.ReadString('\n')
		if err != nil {
			return 0, err
		}
		return strconv.Atoi(strings.TrimSpace(l))
	}
	eol := func() error {
		c, err := br.ReadByte()
		if err == nil && c != '\n' {
			err = fmt.Errorf("want newline, got %q", c)
		}
		return err
	}
	for {
		tag, err := br.ReadByte()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if tag == 'X' {
			cur.openFailed = true
			if err := eol(); err != nil {
				return nil, err
			}
			continue
		}
		if _, err := br.ReadByte(); err != nil {
			return nil, err
		}
		switch tag {
		case 'M':
			var p string
			if p, err = str(); err != nil {
				return nil, err
			}
			cur = &kmodResult{path: p}
			out = append(out, cur)
			err = eol()
		case 'I':
			cur.infoRet, err = num()
		case 'S':
			cur.symRet, err = num()
		case 'D':
			cur.depRet, err = num()
		case 'V':
			cur.verRet, err = num()
		case 'i':
			var k, v string
			if k, err = str(); err == nil {
				if _, err = br.ReadByte(); err == nil {
					if v, err = str(); err == nil {
						cur.info = append(cur.info, [2]string{k, v})
						err = eol()
					}
				}
			}
		case 's', 'v':
			var c, name string
			var crc uint64
			if c, err = word(); err == nil {
				if crc, err = strconv.ParseUint(c, 16, 64); err == nil {
					if name, err = str(); err == nil {
						if tag == 's' {
							cur.syms = append(cur.syms, Symbol{name, crc})
						} else {
							cur.vers = append(cur.vers, Symbol{name, crc})
						}
						err = eol()
					}
				}
			}
		case 'd':
			var c, b, name string
			var crc uint64
			var bind int
			if c, err = word(); err == nil {
				if b, err = word(); err == nil {
					crc, err = strconv.ParseUint(c, 16, 64)
					if err == nil {
						bind, err = strconv.Atoi(b)
					}
					if err == nil {
						if name, err = str(); err == nil {
							cur.deps = append(cur.deps, DepSymbol{name, crc, Bind(bind)})
							err = eol()
						}
					}
				}
			}
		default:
			err = fmt.Errorf("unknown tag %q", tag)
		}
		if err != nil {
			return nil, fmt.Errorf("parsing kmodref output (module %v): %w", cur, err)
		}
	}
}

// buildKmodRef compiles testdata/kmodref.c against kmod 34.2's libkmod
// (Debian 13's, unpacked by testdata/trixie.sh), run by Debian 13's
// loader with Debian 13's libraries.
func buildKmodRef(t testing.TB) string {
	t.Helper()
	debtree.Kmod(t, "kmod")
	cc, err := exec.LookPath("gcc")
	if err != nil {
		if cc, err = exec.LookPath("cc"); err != nil {
			skipf(t, "no C compiler to build the libkmod reference dumper")
		}
	}
	lib := filepath.Join(debtree.TrixieDir(), "kmod/root/usr/lib/x86_64-linux-gnu")
	bin := filepath.Join(t.TempDir(), "kmodref")
	// Debian 13's libkmod needs symbols of Debian 13's glibc, which the
	// machine's linker does not know: they are bound at run time.
	out, err := exec.Command(cc, "-O1", "-o", bin, "testdata/kmodref.c", filepath.Join(lib, "libkmod.so.2"),
		"-Wl,--dynamic-linker="+filepath.Join(lib, "ld-linux-x86-64.so.2"), "-Wl,-rpath,"+lib,
		"-Wl,--allow-shlib-undefined").CombinedOutput()
	if err != nil {
		skipf(t, "cannot build libkmod reference dumper: %v\n%s", err, out)
	}
	return bin
}

func runKmodRef(t testing.TB, bin string, files []string) []*kmodResult {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Stdin = strings.NewReader(strings.Join(files, "\n") + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kmodref: %v\n%s", err, stderr.Bytes())
	}
	res, err := parseKmodRef(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(files) {
		t.Fatalf("kmodref returned %d modules, want %d", len(res), len(files))
	}
	return res
}

// sigKeys are what kmod_module_get_info appends after .modinfo for a
// signed module; they are not part of the ELF data.
var sigKeys = []string{"sig_id", "signer", "sig_key", "sig_hashalgo", "signature"}

func splitKV(s string) [2]string {
	if k, v, ok := strings.Cut(s, "="); ok {
		return [2]string{k, v}
	}
	return [2]string{s, ""}
}

// compareKmod checks one module against libkmod's results.
func compareKmod(t *testing.T, want *kmodResult) {
	t.Helper()
	m, err := Open(want.path)
	if want.openFailed {
		if err == nil {
			m.Close()
			t.Errorf("%s: Open succeeded, kmod could not create the module", want.path)
		}
		return
	}
	checkErr := func(what string, err error, ret int) bool {
		t.Helper()
		if ret < 0 {
			if err == nil {
				t.Errorf("%s: %s: no error, kmod returned %d", want.path, what, ret)
			} else if got := -int(Errno(err)); got != ret {
				t.Errorf("%s: %s: error %v (errno %d), kmod returned %d", want.path, what, err, got, ret)
			}
			return false
		}
		if err != nil {
			t.Errorf("%s: %s: %v, kmod returned %d entries", want.path, what, err, ret)
			return false
		}
		return true
	}
	if err != nil {
		checkErr("Open", err, min(want.infoRet, want.symRet, want.depRet, want.verRet))
		return
	}
	defer m.Close()

	info, err := m.Modinfo()
	if checkErr("Modinfo", err, want.infoRet) {
		if len(info) > len(want.info) {
			t.Errorf("%s: Modinfo has %d entries, kmod %d", want.path, len(info), len(want.info))
		} else {
			for i, s := range info {
				if got := splitKV(s); got != want.info[i] {
					t.Errorf("%s: Modinfo[%d] = %q, kmod %q", want.path, i, got, want.info[i])
				}
			}
			var rest []string
			for _, kv := range want.info[len(info):] {
				rest = append(rest, kv[0])
			}
			if len(rest) > 0 && !slices.Equal(rest, sigKeys) {
				t.Errorf("%s: kmod has extra info entries %q beyond our %d", want.path, rest, len(info))
			}
		}
	}

	syms, err := m.Symbols()
	if checkErr("Symbols", err, want.symRet) && !slices.Equal(syms, want.syms) {
		t.Errorf("%s: Symbols differ from kmod:\n got %v\nwant %v", want.path, head(syms), head(want.syms))
	}
	deps, err := m.DependencySymbols()
	if checkErr("DependencySymbols", err, want.depRet) && !slices.Equal(deps, want.deps) {
		t.Errorf("%s: DependencySymbols differ from kmod:\n got %v\nwant %v", want.path, head(deps), head(want.deps))
	}
	vers, err := m.Versions()
	if checkErr("Versions", err, want.verRet) && !slices.Equal(vers, want.vers) {
		t.Errorf("%s: Versions differ from kmod:\n got %v\nwant %v", want.path, head(vers), head(want.vers))
	}
}

func head[T any](s []T) []T {
	if len(s) > 5 {
		return s[:5]
	}
	return s
}

// TestKmodReference compares every module of the real tree, and compressed
// copies of some, with what libkmod itself returns.
func TestKmodReference(t *testing.T) {
	t.Parallel()
	files := realTree(t)
	bin := buildKmodRef(t)
	if testing.Short() {
		files = sample(files, 300)
	}
	files = append(files, compressedCopies(t, sample(files, 24))...)
	var nInfo, nSyms, nDeps, nVers int
	for _, want := range runKmodRef(t, bin, files) {
		compareKmod(t, want)
		nInfo += len(want.info)
		nSyms += len(want.syms)
		nDeps += len(want.deps)
		nVers += len(want.vers)
	}
	t.Logf("compared %d modules: %d info entries, %d exported symbols, %d dependency symbols, %d versions",
		len(files), nInfo, nSyms, nDeps, nVers)
}

// compressedCopies makes xz and zstd copies the way the kernel's
// modules_install does (the installed kmod lacks zlib, so no gzip here; see
// TestCompressedRealModules).
func compressedCopies(t *testing.T, files []string) []string {
	t.Helper()
	dir := t.TempDir()
	var out []string
	for _, c := range []struct {
		tool, ext string
		args      []string
	}{
		{"xz", ".xz", []string{"--check=crc32", "--lzma2=dict=1MiB", "-c"}},
		{"zstd", ".zst", []string{"-q", "-T0", "-c"}},
	} {
		tool, err := exec.LookPath(c.tool)
		if err != nil {
			continue
		}
		for i, f := range files {
			dst := filepath.Join(dir, fmt.Sprintf("%d-%s%s", i, filepath.Base(f), c.ext))
			cmd := exec.Command(tool, append(c.args, f)...)
			b, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s %s: %v", c.tool, f, err)
			}
			if err := os.WriteFile(dst, b, 0o644); err != nil {
				t.Fatal(err)
			}
			out = append(out, dst)
		}
	}
	return out
}

// TestKmodTools checks a few hundred modules against kmod's command-line
// tools: modinfo -F for alias, depends and vermagic, and modprobe
// --show-exports / --show-modversions, which print "0x%08llx\t%s\n".
func TestKmodTools(t *testing.T) {
	t.Parallel()
	files := realTree(t)
	modinfo := lookTool(t, "modinfo")
	modprobe := lookTool(t, "modprobe")
	n := 200
	if testing.Short() {
		n = 40
	}
	files = sample(files, n)

	run := func(name string, args ...string) (string, error) {
		cmd := exec.Command(name, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return string(out), fmt.Errorf("%s %q: %w: %s", name, args, err, stderr.Bytes())
		}
		return string(out), nil
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	work := make(chan string)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				errs := checkTools(f, modinfo, modprobe, run)
				mu.Lock()
				for _, e := range errs {
					t.Error(e)
				}
				mu.Unlock()
			}
		}()
	}
	for _, f := range files {
		work <- f
	}
	close(work)
	wg.Wait()
}

func checkTools(f, modinfo, modprobe string, run func(string, ...string) (string, error)) []error {
	var errs []error
	m, err := Open(f)
	if err != nil {
		return []error{err}
	}
	defer m.Close()
	info, err := m.Modinfo()
	if err != nil {
		return []error{err}
	}
	for _, field := range []string{"alias", "depends", "vermagic"} {
		out, err := run(modinfo, "-0", "-F", field, f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var want []string
		if out != "" {
			want = strings.Split(strings.TrimSuffix(out, "\x00"), "\x00")
		}
		var got []string
		for _, s := range info {
			if kv := splitKV(s); kv[0] == field {
				got = append(got, kv[1])
			}
		}
		if !slices.Equal(got, want) {
			errs = append(errs, fmt.Errorf("%s: %s = %q, modinfo -F %s: %q", f, field, got, field, want))
		}
	}

	format := func(syms []Symbol) string {
		var b strings.Builder
		for _, s := range syms {
			fmt.Fprintf(&b, "0x%08x\t%s\n", s.CRC, s.Name)
		}
		return b.String()
	}
	for _, c := range []struct {
		flag string
		get  func() ([]Symbol, error)
	}{
		{"--show-exports", m.Symbols},
		{"--show-modversions", m.Versions},
	} {
		syms, gerr := c.get()
		out, err := run(modprobe, c.flag, f)
		switch {
		case gerr != nil && errors.Is(gerr, ErrNoSection):
			// modprobe fails with "could not get symbols: No such
			// file or directory".
			if err == nil {
				errs = append(errs, fmt.Errorf("%s: %v, but modprobe %s succeeded", f, gerr, c.flag))
			}
		case gerr != nil:
			errs = append(errs, gerr)
		case err != nil:
			errs = append(errs, err)
		case out != format(syms):
			errs = append(errs, fmt.Errorf("%s: modprobe %s differs:\n got %q\nwant %q", f, c.flag, firstLines(format(syms)), firstLines(out)))
		}
	}
	return errs
}

func firstLines(s string) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > 5 {
		lines = lines[:5]
	}
	return strings.Join(lines, "")
}

// TestKmodSynthetic runs libkmod over the synthetic edge cases (malformed
// headers, odd sections, truncations) and checks that we return the same.
// Inputs that crash libkmod (it asserts on some) are skipped.
func TestKmodSynthetic(t *testing.T) {
	t.Parallel()
	bin := buildKmodRef(t)
	dir := t.TempDir()
	var files []string
	for i, c := range syntheticCorpus() {
		if c.name == "gzip" {
			continue // the system kmod may lack zlib
		}
		p := filepath.Join(dir, fmt.Sprintf("m%d.ko", i))
		if err := os.WriteFile(p, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	results, crashed := runKmodRefEach(t, bin, files)
	if len(crashed) > 0 {
		t.Logf("libkmod crashed on %d of %d inputs: %v", len(crashed), len(files), crashed)
	}
	for _, want := range results {
		compareKmod(t, want)
	}
	t.Logf("compared %d synthetic modules", len(results))
}

// runKmodRefEach is runKmodRef, but retries file by file when libkmod
// crashes.
func runKmodRefEach(t *testing.T, bin string, files []string) (res []*kmodResult, crashed []string) {
	t.Helper()
	run := func(files []string) ([]*kmodResult, error) {
		cmd := exec.Command(bin)
		cmd.Stdin = strings.NewReader(strings.Join(files, "\n") + "\n")
		out, err := cmd.Output()
		if err != nil {
			return nil, err
		}
		return parseKmodRef(bytes.NewReader(out))
	}
	if r, err := run(files); err == nil && len(r) == len(files) {
		return r, nil
	}
	for _, f := range files {
		r, err := run([]string{f})
		if err != nil || len(r) != 1 {
			crashed = append(crashed, filepath.Base(f))
			continue
		}
		res = append(res, r...)
	}
	return res, crashed
}

// TestCompressedRealModules checks that gzip, xz and zstd copies of real
// modules (made by the command-line tools when installed, as distributions
// do, else by elfmodtest) give the same results as the originals.
func TestCompressedRealModules(t *testing.T) {
	t.Parallel()
	files := sample(realTree(t), 30)
	tools := []struct {
		c    Compression
		tool string
		args []string
		lib  func([]byte) []byte
	}{
		{Gzip, "gzip", []string{"-n", "-c"}, elfmodtest.Gzip},
		{XZ, "xz", []string{"--check=crc32", "--lzma2=dict=1MiB", "-c"}, elfmodtest.XZ},
		{Zstd, "zstd", []string{"-q", "-c", "-19"}, elfmodtest.Zstd},
	}
	dir := t.TempDir()
	for _, f := range files {
		orig, err := Open(f)
		if err != nil {
			t.Fatal(err)
		}
		want := collect(orig).withoutMessages()
		img, err := orig.Image()
		if err != nil {
			t.Fatal(err)
		}
		img = bytes.Clone(img)
		orig.Close()
		for _, tl := range tools {
			var data []byte
			if p, err := exec.LookPath(tl.tool); err == nil {
				if data, err = exec.Command(p, append(tl.args, f)...).Output(); err != nil {
					t.Fatalf("%s %s: %v", tl.tool, f, err)
				}
			} else {
				data = tl.lib(img)
			}
			p := filepath.Join(dir, filepath.Base(f)+"."+tl.c.String())
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := Open(p)
			if err != nil {
				t.Errorf("%s: %v", p, err)
				continue
			}
			if m.Compression() != tl.c {
				t.Errorf("%s: Compression() = %v, want %v", p, m.Compression(), tl.c)
			}
			if got := collect(m).withoutMessages(); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: results differ from the uncompressed module:\n got %+v\nwant %+v", p, got, want)
			}
			if got, _ := m.Image(); !bytes.Equal(got, img) {
				t.Errorf("%s: Image() differs from the uncompressed module", p)
			}
			m.Close()
		}
	}
}
