package kerneld

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/kernel"
	"github.com/modutils/modutils/moddep/devname"
)

// madeNode is a device node kerneld made from modules.devname, and the
// kernel request that later loaded its driver, once one has.
type madeNode struct {
	devname.Node
	loadedBy string // "char-major-10-200", or ""
}

// makeStaticNodes makes, under root's /dev, every node in nodes that is
// missing, as systemd-tmpfiles makes them from kmod's tmpfiles output
// ("d /dev/net 0755", "c! /dev/net/tun 0600 - - - 10:200"): missing
// parent directories mode 0755, the node mode 0600, owned by the caller
// (root), whatever the umask. A node that exists, of whatever kind, is
// left alone. It returns the nodes it made and an error for each it
// could not. Without a /dev under root there is nothing to do.
func makeStaticNodes(root string, nodes []devname.Node, mk kernel.Mknoder) ([]devname.Node, []error) {
	dev := root + "/dev"
	if st, err := os.Stat(dev); err != nil || !st.IsDir() {
		return nil, nil
	}
	var made []devname.Node
	var errs []error
	for _, n := range nodes {
		if !safeName(n.Name) {
			errs = append(errs, fmt.Errorf("%s: not a name under /dev", n.Path()))
			continue
		}
		path := root + n.Path()
		if _, err := os.Lstat(path); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		if err := makeDirs(dev, strings.TrimPrefix(n.Dir(), "/dev")); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := mk.Mknod(path, n.Type, devname.Mode, n.Major, n.Minor); err != nil {
			errs = append(errs, fmt.Errorf("mknod %s: %w", path, err))
			continue
		}
		// mknod took the umask off; tmpfiles' mode is exact.
		if err := os.Chmod(path, devname.Mode); err != nil {
			errs = append(errs, err)
			continue
		}
		made = append(made, n)
	}
	return made, errs
}

// safeName refuses what would leave /dev: modules.devname is root's, but
// a path is no place to trust it with "..".
func safeName(name string) bool {
	if name == "" || strings.HasPrefix(name, "/") {
		return false
	}
	for _, c := range strings.Split(name, "/") {
		if c == "" || c == "." || c == ".." {
			return false
		}
	}
	return true
}

// makeDirs makes each missing directory of rel ("/net", "/a/b") under
// dev, mode 0755.
func makeDirs(dev, rel string) error {
	p := dev
	for _, c := range strings.Split(strings.Trim(rel, "/"), "/") {
		if c == "" {
			continue
		}
		p += "/" + c
		// A link to a directory is one, as it is to systemd-tmpfiles.
		st, err := os.Stat(p)
		switch {
		case err == nil && st.IsDir():
			continue
		case err == nil:
			return fmt.Errorf("%s: %w", p, fs.ErrExist)
		case !errors.Is(err, fs.ErrNotExist):
			return err
		}
		if err := os.Mkdir(p, devname.DirMode); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		if err := os.Chmod(p, devname.DirMode); err != nil {
			return err
		}
	}
	return nil
}

// staticNodes reads the running kernel's modules.devname and makes the
// nodes it lists that are missing, so that opening one makes the kernel
// ask for its driver (char-major-M-m), which kerneld then loads.
func (d *daemon) staticNodes() {
	f, err := os.Open(d.dir + "/modules.devname")
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			d.logf(diag.Err, "%v\n", err)
		}
		return
	}
	defer f.Close()
	nodes := devname.Parse(f, func(line string) {
		d.logf(diag.Err, "%s/modules.devname: invalid devname entry: %s\n", d.dir, strings.TrimSuffix(line, "\n"))
	})
	made, errs := makeStaticNodes(d.o.Root, nodes, d.mknod)
	for _, err := range errs {
		d.logf(diag.Err, "static node: %v\n", err)
	}
	sort.Slice(made, func(i, j int) bool { return made[i].Name < made[j].Name })
	d.mu.Lock()
	for _, n := range made {
		d.nodes = append(d.nodes, &madeNode{Node: n})
	}
	d.mu.Unlock()
	for _, n := range made {
		d.note("node %s %c %d:%d (%s)", n.Path(), n.Type, n.Major, n.Minor, n.Module)
	}
}

// nodeRequest notes that a kernel request that succeeded loaded the
// driver of a node kerneld made.
func (d *daemon) nodeRequest(name string) {
	d.mu.Lock()
	var hit []*madeNode
	for _, n := range d.nodes {
		if n.Request() == name {
			n.loadedBy = name
			hit = append(hit, n)
		}
	}
	d.mu.Unlock()
	for _, n := range hit {
		d.note("node %s: %s loaded %s", n.Path(), name, n.Module)
	}
}
