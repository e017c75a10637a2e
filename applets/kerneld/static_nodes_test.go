package kerneld

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/moddep/devname"
)

// fakeNodes stands for mknod(2): it records each call and leaves a
// regular file where the node would be, so that the next look sees one.
type fakeNodes struct {
	calls []string
	fail  map[string]error // by name under /dev
	root  string
}

func (f *fakeNodes) Mknod(path string, typ byte, perm uint32, major, minor uint32) error {
	rel := strings.TrimPrefix(path, f.root)
	if err := f.fail[rel]; err != nil {
		return err
	}
	f.calls = append(f.calls, fmt.Sprintf("%s %c %o %d:%d", rel, typ, perm, major, minor))
	return os.WriteFile(path, nil, 0o666)
}

func TestMakeStaticNodes(t *testing.T) {
	tun := devname.Node{Module: "tun", Name: "net/tun", Type: 'c', Major: 10, Minor: 200}
	loop := devname.Node{Module: "loop", Name: "loop-control", Type: 'c', Major: 10, Minor: 237}
	timer := devname.Node{Module: "snd_timer", Name: "snd/seq/timer", Type: 'c', Major: 116, Minor: 33}
	blk := devname.Node{Module: "x", Name: "xblk", Type: 'b', Major: 7, Minor: 3}
	tests := []struct {
		name  string
		dev   bool              // the root has a /dev
		files map[string]string // made before: "dir/" is a directory
		nodes []devname.Node
		fail  map[string]error
		calls []string // mknod calls
		made  []string // what makeStaticNodes says it made
		dirs  []string // directories under /dev afterwards
		errs  []string // parts of the errors, in order
	}{
		{name: "missing nodes are made", dev: true, nodes: []devname.Node{loop, blk},
			calls: []string{"/dev/loop-control c 600 10:237", "/dev/xblk b 600 7:3"},
			made:  []string{"loop-control", "xblk"}},
		{name: "parents as tmpfiles makes them", dev: true, nodes: []devname.Node{tun, timer},
			calls: []string{"/dev/net/tun c 600 10:200", "/dev/snd/seq/timer c 600 116:33"},
			made:  []string{"net/tun", "snd/seq/timer"}, dirs: []string{"/dev/net", "/dev/snd", "/dev/snd/seq"}},
		{name: "existing nodes are left alone", dev: true, files: map[string]string{"/dev/net/": "", "/dev/net/tun": "", "/dev/loop-control": ""},
			nodes: []devname.Node{tun, loop}, dirs: []string{"/dev/net"}},
		{name: "an existing directory is used", dev: true, files: map[string]string{"/dev/snd/": ""}, nodes: []devname.Node{timer},
			calls: []string{"/dev/snd/seq/timer c 600 116:33"}, made: []string{"snd/seq/timer"}, dirs: []string{"/dev/snd", "/dev/snd/seq"}},
		{name: "a file in the way of a directory", dev: true, files: map[string]string{"/dev/net": ""}, nodes: []devname.Node{tun, loop},
			calls: []string{"/dev/loop-control c 600 10:237"}, made: []string{"loop-control"}, errs: []string{"/dev/net/tun: not a directory"}},
		{name: "mknod fails", dev: true, nodes: []devname.Node{loop, blk}, fail: map[string]error{"/dev/loop-control": syscall.EPERM},
			calls: []string{"/dev/xblk b 600 7:3"}, made: []string{"xblk"}, errs: []string{"mknod " + "ROOT/dev/loop-control: operation not permitted"}},
		{name: "names that leave /dev", dev: true,
			nodes: []devname.Node{{Name: "../etc/x", Type: 'c'}, {Name: "/abs", Type: 'c'}, {Name: "a//b", Type: 'c'}, {Name: "a/./b", Type: 'c'}},
			errs:  []string{"/dev/../etc/x: not a name under /dev", "/dev//abs: not a name", "/dev/a//b: not a name", "/dev/a/./b: not a name"}},
		{name: "no /dev", nodes: []devname.Node{tun, loop}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			if tc.dev {
				os.Mkdir(root+"/dev", 0o755)
			}
			for p, c := range tc.files {
				if strings.HasSuffix(p, "/") {
					os.MkdirAll(root+p, 0o755)
					continue
				}
				os.MkdirAll(filepath.Dir(root+p), 0o755)
				os.WriteFile(root+p, []byte(c), 0o644)
			}
			fake := &fakeNodes{fail: tc.fail, root: root}
			made, errs := makeStaticNodes(root, tc.nodes, fake)
			if !slices.Equal(fake.calls, tc.calls) {
				t.Errorf("mknod calls\n got: %q\nwant: %q", fake.calls, tc.calls)
			}
			var madeNames []string
			for _, n := range made {
				madeNames = append(madeNames, n.Name)
				st, err := os.Stat(root + n.Path())
				if err != nil || st.Mode().Perm() != 0o600 {
					t.Errorf("%s: mode %v (%v), want 0600", n.Path(), st.Mode(), err)
				}
			}
			if !slices.Equal(madeNames, tc.made) {
				t.Errorf("made %q, want %q", madeNames, tc.made)
			}
			var dirs []string
			filepath.Walk(root+"/dev", func(p string, st os.FileInfo, err error) error {
				if err == nil && st.IsDir() && p != root+"/dev" {
					dirs = append(dirs, strings.TrimPrefix(p, root))
					if st.Mode().Perm() != 0o755 {
						t.Errorf("%s: mode %v, want 0755", p, st.Mode())
					}
				}
				return nil
			})
			if !slices.Equal(dirs, tc.dirs) {
				t.Errorf("directories %q, want %q", dirs, tc.dirs)
			}
			if len(errs) != len(tc.errs) {
				t.Fatalf("errors %v, want %d: %q", errs, len(tc.errs), tc.errs)
			}
			for i, err := range errs {
				if !strings.Contains(err.Error(), strings.ReplaceAll(tc.errs[i], "ROOT", root)) {
					t.Errorf("error %d: %q, want it to say %q", i, err, tc.errs[i])
				}
			}
		})
	}
}

// TestStaticNodesDaemon: kerneld makes the nodes of the running kernel's
// modules.devname at start, and kdstat shows them and the kernel request
// that loaded a node's driver when the node was opened.
func TestStaticNodesDaemon(t *testing.T) {
	root := t.TempDir()
	os.Mkdir(root+"/dev", 0o755)
	dir := root + "/lib/modules/6.12.0"
	os.MkdirAll(dir, 0o755)
	os.WriteFile(dir+"/modules.devname", []byte("# Device nodes to trigger on-demand module loading.\n"+
		"tun net/tun c10:200\nloop loop-control c10:237\nbad line\nbtrfs btrfs-control c10:234\n"), 0o644)
	d := newDaemon(Options{Root: root})
	d.dir = dir
	fake := &fakeNodes{root: root}
	d.mknod = fake
	var logged []string
	d.o.Debug = true
	d.logOut = func(_ diag.Level, msg string) { logged = append(logged, msg) }
	d.load = func(name string, blacklist bool) error {
		if name == "char-major-10-237" {
			return errors.New("no such module")
		}
		return nil
	}
	d.staticNodes()
	want := []string{"/dev/btrfs-control c 600 10:234", "/dev/loop-control c 600 10:237", "/dev/net/tun c 600 10:200"}
	slices.Sort(fake.calls)
	if !slices.Equal(fake.calls, want) {
		t.Errorf("mknod calls %q, want %q", fake.calls, want)
	}
	d.request("char-major-10-200", false, "request")
	d.request("char-major-10-237", false, "request") // fails: no driver loaded
	d.request("char-major-10-234", true, "hotplug")  // not the node's open
	var status strings.Builder
	d.status(&status)
	for _, line := range []string{
		"nodes: 3: /dev/btrfs-control /dev/loop-control /dev/net/tun\n",
		"nodes-loaded: 1: /dev/net/tun (char-major-10-200: tun)\n",
	} {
		if !strings.Contains(status.String(), line) {
			t.Errorf("kdstat has no %q:\n%s", line, status.String())
		}
	}
	all := strings.Join(logged, "")
	for _, msg := range []string{"invalid devname entry: bad line\n", "node /dev/net/tun c 10:200 (tun)", "node /dev/net/tun: char-major-10-200 loaded tun"} {
		if !strings.Contains(all, msg) {
			t.Errorf("log has no %q:\n%s", msg, all)
		}
	}
}
