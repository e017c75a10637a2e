package vm

import (
	"bufio"
	"bytes"
	"debug/elf"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"compress/gzip"

	"github.com/modutils/modutils/internal/debtree"
)

// Applets are the names modutils answers to; each is a link in /sbin,
// and busybox's applets of the same names are left out.
var Applets = []string{"kmod", "insmod", "rmmod", "lsmod", "modprobe", "depmod", "modinfo", "kerneld", "kdstat"}

// kmodApplets are the kmod tools wrapped under /kmod/bin.
var kmodApplets = []string{"kmod", "insmod", "rmmod", "lsmod", "modprobe", "depmod", "modinfo"}

//go:embed init.sh
var initScript []byte

//go:embed lib.sh
var libScript []byte

// Image says what goes into an initramfs.
type Image struct {
	Modutils string // the static modutils binary
	// Modules are module names ("-" and "_" alike) shipped with every
	// module they depend on (Debian 12's whole tree is 390 MB). A name
	// built into the kernel booted is left out.
	Modules []string
	// Compress ships some of those modules in another compression than
	// the kernel's tree has them in: name -> "" (uncompressed), "xz",
	// "zst" or "gz". Debian 12's copies come from debian-tree.sh's
	// trees, Debian 13's are made here from its .ko.xz and cached.
	Compress map[string]string
	// Extra copies of modules outside the module directory, for insmod
	// of a path: destination path -> "NAME.ko" or "NAME.ko.SUFFIX".
	Extra map[string]string
	Files map[string]string // more files: path -> content
	Kmod  bool              // ship kmod 34.2 under /kmod as the oracle
	// Bins are executables: path in the image -> file on the host.
	Bins map[string]string
}

// module is one line of modules.dep.
type module struct {
	rel  string   // kernel/fs/btrfs/btrfs.ko, without the tree's compression suffix
	deps []string // names
}

// modName is a module's name from its path, as kmod names it.
func modName(p string) string {
	b := path.Base(p)
	if i := strings.Index(b, ".ko"); i >= 0 {
		b = b[:i]
	}
	return strings.ReplaceAll(b, "-", "_")
}

// depIndex learns every module's dependencies from a modules.dep our
// depmod writes for the kernel's tree (the Debian packages ship none),
// made once and cached beside the module copies: decompressing Debian
// 13's 4,230 .ko.xz for it takes seconds of both cores. It reads
// modules.builtin too.
func depIndex(modutils string, k *Kernel) (map[string]module, map[string]bool, error) {
	cached := filepath.Join(k.copies, "modules.dep")
	data, err := os.ReadFile(cached)
	if err != nil {
		if data, err = runDepmod(modutils, k); err != nil {
			return nil, nil, err
		}
		if err := writeAtomic(cached, data); err != nil {
			return nil, nil, err
		}
	}
	idx := map[string]module{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		rel, deps, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		m := module{rel: strings.TrimSuffix(rel, compressionSuffix(k.Suffix))}
		for _, d := range strings.Fields(deps) {
			m.deps = append(m.deps, modName(d))
		}
		idx[modName(rel)] = m
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	builtin := map[string]bool{}
	data, err = os.ReadFile(filepath.Join(k.Tree, "lib/modules", k.Version, "modules.builtin"))
	if err != nil {
		return nil, nil, err
	}
	for _, line := range strings.Fields(string(data)) {
		builtin[modName(line)] = true
	}
	return idx, builtin, nil
}

// runDepmod runs our depmod over a view of the kernel's tree and returns
// the modules.dep it wrote.
func runDepmod(modutils string, k *Kernel) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "modutils-vm-dep")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	v, err := debtree.ViewIn(tmp, debtree.Tree{Root: k.Tree, Version: k.Version})
	if err != nil {
		return nil, err
	}
	if out, err := exec.Command(modutils, "depmod", "-b", v.Root, v.Version).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("depmod: %v: %s", err, out)
	}
	return os.ReadFile(filepath.Join(v.ModDir(), "modules.dep"))
}

// compressionSuffix is ".xz" for "xz", "" for "".
func compressionSuffix(s string) string {
	if s == "" {
		return ""
	}
	return "." + s
}

// Closure is the named modules with everything they depend on, sorted;
// names built into the kernel are left out.
func closure(idx map[string]module, builtin map[string]bool, names []string) ([]string, error) {
	seen := map[string]bool{}
	var walk func(string) error
	walk = func(n string) error {
		n = strings.ReplaceAll(n, "-", "_")
		if seen[n] {
			return nil
		}
		m, ok := idx[n]
		if !ok {
			if builtin[n] {
				return nil
			}
			return fmt.Errorf("module %s is not in the kernel's tree", n)
		}
		seen[n] = true
		for _, d := range m.deps {
			if err := walk(d); err != nil {
				return err
			}
		}
		return nil
	}
	for _, n := range names {
		if err := walk(n); err != nil {
			return nil, err
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

// Build writes the initramfs for kernel k, a gzip-compressed newc cpio
// archive, to dst, and returns the names of the modules it holds.
func (h *Host) Build(img Image, k *Kernel, dst string) ([]string, error) {
	idx, builtin, err := depIndex(img.Modutils, k)
	if err != nil {
		return nil, err
	}
	mods, err := closure(idx, builtin, img.Modules)
	if err != nil {
		return nil, err
	}
	f, err := os.Create(dst)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Speed over size: the image is built for every test run, and the
	// kernel unpacks it in well under a second either way.
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	c := newCpio(zw)

	// A merged-/usr root keeps /lib in /usr/lib, as Debian 13 does: the
	// tools find /lib/modules through the link.
	place := func(p string) string { return p }
	if k.MergedUsr {
		c.Mkdir("usr/lib")
		c.Symlink("lib", "usr/lib")
		place = func(p string) string {
			if strings.HasPrefix(p, "lib/") {
				return "usr/" + p
			}
			return p
		}
	}
	for _, d := range []string{"proc", "sys", "dev", "tmp", "run", "mnt", "root", "etc/modprobe.d"} {
		c.Mkdir(d)
	}
	c.Node("dev/console", 0o600, 5, 1)
	c.File("init", 0o755, initScript)
	c.File(place("lib/vm.sh"), 0o644, libScript)
	c.File("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\n"))
	// Scenarios that differ by kernel ask which one this is.
	c.File("etc/vm-kernel", 0o644, []byte(k.Name+"\n"))

	bb, err := os.ReadFile(h.Busybox)
	if err != nil {
		return nil, err
	}
	c.File("bin/busybox", 0o755, bb)
	list, err := exec.Command(h.Busybox, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("busybox --list: %v", err)
	}
	for _, a := range strings.Fields(string(list)) {
		if a != "busybox" && !slices.Contains(Applets, a) {
			c.Symlink("bin/"+a, "busybox")
		}
	}

	mu, err := os.ReadFile(img.Modutils)
	if err != nil {
		return nil, err
	}
	c.File("sbin/modutils", 0o755, mu)
	for _, a := range Applets {
		c.Symlink("sbin/"+a, "modutils")
	}

	if img.Kmod {
		if err := h.addKmod(c); err != nil {
			return nil, err
		}
	}

	moddir := path.Join("lib/modules", k.Version)
	src := filepath.Join(k.Tree, moddir)
	for _, n := range []string{"modules.order", "modules.builtin", "modules.builtin.modinfo"} {
		data, err := os.ReadFile(filepath.Join(src, n))
		if err != nil {
			return nil, err
		}
		c.File(place(path.Join(moddir, n)), 0o644, data)
	}
	for _, n := range mods {
		rel := idx[n].rel
		suffix, ok := img.Compress[n]
		if !ok {
			suffix = k.Suffix
		}
		data, name, err := k.moduleFile(rel, suffix)
		if err != nil {
			return nil, err
		}
		c.File(place(path.Join(moddir, path.Dir(rel), name)), 0o644, data)
	}
	for dest, file := range img.Extra {
		n, suffix, _ := strings.Cut(file, ".ko")
		m, ok := idx[strings.ReplaceAll(n, "-", "_")]
		if !ok {
			return nil, fmt.Errorf("extra %s: no module %s", dest, n)
		}
		data, _, err := k.moduleFile(m.rel, strings.TrimPrefix(suffix, "."))
		if err != nil {
			return nil, err
		}
		c.File(place(dest), 0o644, data)
	}
	for p, content := range img.Files {
		c.File(place(p), 0o644, []byte(content))
	}
	for p, host := range img.Bins {
		data, err := os.ReadFile(host)
		if err != nil {
			return nil, err
		}
		c.File(place(p), 0o755, data)
	}
	if err := c.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return mods, f.Close()
}

// moduleFile reads a module (rel without a compression suffix) in the
// given compression ("" for none), returning its bytes and file name.
func (k *Kernel) moduleFile(rel, suffix string) ([]byte, string, error) {
	name := path.Base(rel) + compressionSuffix(suffix)
	switch {
	case suffix == k.Suffix:
		data, err := os.ReadFile(filepath.Join(k.Tree, "lib/modules", k.Version, path.Dir(rel), name))
		return data, name, err
	case k.Suffix == "":
		root := TreeFlavour(suffix)
		if root == "" {
			return nil, "", fmt.Errorf("%w: the .ko.%s tree (testdata/debian-tree.sh)", ErrMissing, suffix)
		}
		data, err := os.ReadFile(filepath.Join(root, "lib/modules", k.Version, path.Dir(rel), name))
		return data, name, err
	}
	data, err := k.recompressed(rel, suffix)
	return data, name, err
}

// compressors make a module's copies as debian-tree.sh makes Debian 12's:
// the tree's own command line for each format, given a file (zstd writes
// the content size in the frame only then, and libkmod's zstd reader
// wants it).
var compressors = map[string][]string{
	"":    nil,
	"xz":  {"xz", "--check=crc32", "--lzma2=dict=1MiB", "-q", "-c"},
	"zst": {"zstd", "-q", "-c"},
	"gz":  {"gzip", "-n", "-9", "-c"},
}

// decompressors undo a tree's compression.
var decompressors = map[string][]string{
	"xz":  {"xz", "-d", "-q", "-c"},
	"zst": {"zstd", "-d", "-q", "-c"},
	"gz":  {"gzip", "-d", "-c"},
}

// recompressed is the module rel of a compressed tree in another
// compression, made once (only for the modules an image ships, not the
// whole tree) and cached outside the clone beside the tree.
func (k *Kernel) recompressed(rel, suffix string) ([]byte, error) {
	comp, ok := compressors[suffix]
	if !ok {
		return nil, fmt.Errorf("%s: no compression %q", rel, suffix)
	}
	ko := filepath.Join(k.copies, rel)
	cached := ko + compressionSuffix(suffix)
	if data, err := os.ReadFile(cached); err == nil {
		return data, nil
	}
	if _, err := os.Stat(ko); err != nil {
		src := filepath.Join(k.Tree, "lib/modules", k.Version, rel+compressionSuffix(k.Suffix))
		data, err := filter(decompressors[k.Suffix], src)
		if err != nil {
			return nil, err
		}
		if err := writeAtomic(ko, data); err != nil {
			return nil, err
		}
	}
	if comp == nil {
		return os.ReadFile(ko)
	}
	data, err := filter(comp, ko)
	if err != nil {
		return nil, err
	}
	return data, writeAtomic(cached, data)
}

// filter runs argv on file and returns its output.
func filter(argv []string, file string) ([]byte, error) {
	if _, err := exec.LookPath(argv[0]); err != nil {
		return nil, fmt.Errorf("%w: %s (apt-get install xz-utils zstd gzip)", ErrMissing, argv[0])
	}
	cmd := exec.Command(argv[0], append(argv[1:len(argv):len(argv)], file)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v: %s", strings.Join(argv, " "), file, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, nil
}

// writeAtomic writes a cache file whole or not at all: two test binaries
// may make the same copy at once.
func writeAtomic(name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	d, err := os.Open(filepath.Dir(name))
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// addKmod ships Debian 13's kmod 34.2 under /kmod: the binary as Debian
// builds it, the libraries it links and those it dlopens (liblzma and
// libzstd, named in its .note.dlopen) from Debian 13's packages, and a
// wrapper per tool that runs it through Debian 13's loader there, under
// that tool's name (ld.so --argv0: kmod dispatches on argv[0], and
// messages quoting it compare equal with ours), so that nothing outside
// /kmod is dynamic and nothing in PATH is kmod's.
func (h *Host) addKmod(c *cpioWriter) error {
	if h.Kmod == "" {
		return fmt.Errorf("%w: kmod 34.2 (testdata/trixie.sh)", ErrMissing)
	}
	bin := filepath.Join(h.Kmod, "usr/bin/kmod")
	libdir := filepath.Join(h.Kmod, "usr/lib/x86_64-linux-gnu")
	libs, err := libraries(bin, libdir)
	if err != nil {
		return err
	}
	for _, lib := range libs {
		data, err := os.ReadFile(filepath.Join(libdir, lib))
		if err != nil {
			return err
		}
		c.File("kmod/lib/"+lib, 0o755, data)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	c.File("kmod/lib/kmod", 0o755, data)
	for _, a := range kmodApplets {
		c.File("kmod/bin/"+a, 0o755, fmt.Appendf(nil,
			"#!/bin/sh\nexec /kmod/lib/%s --library-path /kmod/lib --argv0 /sbin/%s /kmod/lib/kmod \"$@\"\n", loader, a))
	}
	return nil
}

// loader is the dynamic loader's name in Debian's amd64 libc.
const loader = "ld-linux-x86-64.so.2"

// dlopenSoname finds the libraries an ELF note of type FDO_DLOPEN_METADATA
// names: systemd's convention, which kmod 34 follows for what it dlopens.
var dlopenSoname = regexp.MustCompile(`"soname":\[([^\]]*)\]`)

// libraries is every shared library bin needs from libdir, by file name:
// what it and they link (DT_NEEDED, transitively), what bin dlopens, and
// the loader.
func libraries(bin, libdir string) ([]string, error) {
	need := []string{loader}
	queue := []string{bin}
	seen := map[string]bool{loader: true}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		f, err := elf.Open(p)
		if err != nil {
			return nil, err
		}
		names, err := f.ImportedLibraries()
		if p == bin {
			if s := f.Section(".note.dlopen"); s != nil {
				note, _ := s.Data()
				for _, m := range dlopenSoname.FindAllSubmatch(note, -1) {
					for _, q := range strings.Split(string(m[1]), ",") {
						names = append(names, strings.Trim(q, `" `))
					}
				}
			}
		}
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", p, err)
		}
		for _, n := range names {
			if seen[n] {
				continue
			}
			seen[n] = true
			need = append(need, n)
			queue = append(queue, filepath.Join(libdir, n))
		}
	}
	sort.Strings(need)
	return need, nil
}
