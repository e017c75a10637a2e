package vm

import (
	"bufio"
	"bytes"
	_ "embed"
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
var Applets = []string{"insmod", "rmmod", "lsmod", "modprobe", "depmod", "modinfo", "kerneld", "kdstat"}

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
	// module they depend on; the whole tree is 390 MB.
	Modules []string
	// Compress ships some of those modules compressed: name -> "xz",
	// "zst" or "gz", taken from the tree copies debian-tree.sh makes.
	Compress map[string]string
	// Extra copies of modules outside the module directory, for insmod
	// of a path: destination path -> "NAME.ko" or "NAME.ko.SUFFIX".
	Extra map[string]string
	Files map[string]string // more files: path -> content
	Kmod  bool              // ship kmod under /kmod as the oracle
	// Bins are executables: path in the image -> file on the host.
	Bins map[string]string
}

// module is one line of modules.dep.
type module struct {
	rel  string   // kernel/fs/btrfs/btrfs.ko
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

// depIndex runs our depmod over a view of the tree to learn every
// module's dependencies: the Debian package ships no modules.dep.
func (h *Host) depIndex(modutils string) (map[string]module, error) {
	tmp, err := os.MkdirTemp("", "modutils-vm-dep")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	v, err := debtree.ViewIn(tmp, debtree.Tree{Flavour: "ko", Root: h.Tree, Version: h.Version})
	if err != nil {
		return nil, err
	}
	if out, err := exec.Command(modutils, "depmod", "-b", v.Root, v.Version).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("depmod: %v: %s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(v.ModDir(), "modules.dep"))
	if err != nil {
		return nil, err
	}
	idx := map[string]module{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		rel, deps, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		m := module{rel: rel}
		for _, d := range strings.Fields(deps) {
			m.deps = append(m.deps, modName(d))
		}
		idx[modName(rel)] = m
	}
	return idx, sc.Err()
}

// Closure is the named modules with everything they depend on, sorted.
func closure(idx map[string]module, names []string) ([]string, error) {
	seen := map[string]bool{}
	var walk func(string) error
	walk = func(n string) error {
		n = strings.ReplaceAll(n, "-", "_")
		if seen[n] {
			return nil
		}
		m, ok := idx[n]
		if !ok {
			return fmt.Errorf("module %s is not in %s's tree", n, "the kernel")
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

// Build writes the initramfs, a gzip-compressed newc cpio archive, to
// dst, and returns the names of the modules it holds.
func (h *Host) Build(img Image, dst string) ([]string, error) {
	idx, err := h.depIndex(img.Modutils)
	if err != nil {
		return nil, err
	}
	mods, err := closure(idx, img.Modules)
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

	for _, d := range []string{"proc", "sys", "dev", "tmp", "run", "mnt", "root", "etc/modprobe.d"} {
		c.Mkdir(d)
	}
	c.Node("dev/console", 0o600, 5, 1)
	c.File("init", 0o755, initScript)
	c.File("lib/vm.sh", 0o644, libScript)
	c.File("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\n"))

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

	moddir := path.Join("lib/modules", h.Version)
	src := filepath.Join(h.Tree, moddir)
	for _, n := range []string{"modules.order", "modules.builtin", "modules.builtin.modinfo"} {
		data, err := os.ReadFile(filepath.Join(src, n))
		if err != nil {
			return nil, err
		}
		c.File(path.Join(moddir, n), 0o644, data)
	}
	for _, n := range mods {
		rel := idx[n].rel
		data, name, err := h.moduleFile(rel, img.Compress[n])
		if err != nil {
			return nil, err
		}
		c.File(path.Join(moddir, path.Dir(rel), name), 0o644, data)
	}
	for dest, file := range img.Extra {
		n, suffix, _ := strings.Cut(file, ".ko")
		m, ok := idx[strings.ReplaceAll(n, "-", "_")]
		if !ok {
			return nil, fmt.Errorf("extra %s: no module %s", dest, n)
		}
		data, _, err := h.moduleFile(m.rel, strings.TrimPrefix(suffix, "."))
		if err != nil {
			return nil, err
		}
		c.File(dest, 0o644, data)
	}
	for p, content := range img.Files {
		c.File(p, 0o644, []byte(content))
	}
	for p, host := range img.Bins {
		data, err := os.ReadFile(host)
		if err != nil {
			return nil, err
		}
		c.File(p, 0o755, data)
	}
	if err := c.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return mods, f.Close()
}

// moduleFile reads a module from the tree copy of the given compression
// ("" for none), returning its bytes and file name.
func (h *Host) moduleFile(rel, suffix string) ([]byte, string, error) {
	root, name := h.Tree, path.Base(rel)
	if suffix != "" {
		if root = h.TreeFlavour(suffix); root == "" {
			return nil, "", fmt.Errorf("%w: the .ko.%s tree (testdata/debian-tree.sh)", ErrMissing, suffix)
		}
		name += "." + suffix
	}
	data, err := os.ReadFile(filepath.Join(root, "lib/modules", h.Version, path.Dir(rel), name))
	return data, name, err
}

var lddLine = regexp.MustCompile(`(?m)(?:=>\s*)?(/\S+)\s+\(0x`)

// addKmod ships Debian's kmod with the shared libraries ldd names, all
// under /kmod, and a wrapper per tool that runs it through the dynamic
// loader there (under that tool's name), so that nothing outside /kmod
// is dynamic and nothing in PATH is kmod's.
func (h *Host) addKmod(c *cpioWriter) error {
	if h.Kmod == "" {
		return fmt.Errorf("%w: Debian's kmod (apt-get install kmod)", ErrMissing)
	}
	out, err := exec.Command("ldd", h.Kmod).Output()
	if err != nil {
		return fmt.Errorf("ldd %s: %v", h.Kmod, err)
	}
	var loader string
	for _, m := range lddLine.FindAllStringSubmatch(string(out), -1) {
		lib := m[1]
		data, err := os.ReadFile(lib)
		if err != nil {
			return err
		}
		c.File("kmod/lib/"+path.Base(lib), 0o755, data)
		if strings.Contains(path.Base(lib), "ld-linux") {
			loader = "/kmod/lib/" + path.Base(lib)
		}
	}
	if loader == "" {
		return fmt.Errorf("ldd %s: no dynamic loader in %q", h.Kmod, out)
	}
	data, err := os.ReadFile(h.Kmod)
	if err != nil {
		return err
	}
	c.File("kmod/lib/kmod", 0o755, data)
	for _, a := range kmodApplets {
		c.File("kmod/bin/"+a, 0o755, fmt.Appendf(nil,
			"#!/bin/sh\nexec %s --library-path /kmod/lib --argv0 /sbin/%s /kmod/lib/kmod \"$@\"\n", loader, a))
	}
	return nil
}
