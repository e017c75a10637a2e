package moddep

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/modutils/modutils/internal/debtree"
)

// kmod30Tree is the uncompressed tree with the indexes kmod 30's depmod
// wrote for it (post-order tries), made once for this test binary.
var kmod30Tree struct {
	sync.Once
	dir string
	err error
}

func needKmod30Tree(t testing.TB) string {
	t.Helper()
	tree := debtree.Get(t, "ko")
	depmod := debtree.Kmod30(t, "depmod")
	kmod30Tree.Do(func() {
		v, err := debtree.ViewIn(filepath.Join(kmodTreeRoot, "kmod30"), tree)
		if err != nil {
			kmod30Tree.err = err
			return
		}
		if out, err := exec.Command(depmod, "-b", v.Root, v.Version).CombinedOutput(); err != nil {
			kmod30Tree.err = fmt.Errorf("kmod 30 depmod -b %s: %v: %s", v.Root, err, out)
			return
		}
		kmod30Tree.dir = v.ModDir()
	})
	if kmod30Tree.err != nil {
		t.Fatal(kmod30Tree.err)
	}
	return kmod30Tree.dir
}

// TestKmod30TreeRead reads the indexes kmod 30 wrote, in its post-order
// layout, and demands the answers kmod 34.2's pre-order files give for
// the same tree: every entry of a dump, every key's lookup, and libkmod's
// recorded wildcard answers.
func TestKmod30TreeRead(t *testing.T) {
	t.Parallel()
	old, cur := needKmod30Tree(t), needKmodTree(t)
	ti := loadTreeInserts(t)
	for _, tc := range treeIndexes {
		t.Run(tc.file, func(t *testing.T) {
			ixOld, err := OpenIndex(filepath.Join(old, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer ixOld.Close()
			ixCur, err := OpenIndex(filepath.Join(cur, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer ixCur.Close()
			if bytes.Equal(ixOld.data, ixCur.data) {
				t.Fatalf("kmod 30's %s is kmod 34.2's byte for byte: the layouts should differ", tc.file)
			}
			if err := ixOld.Verify(); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			var got, want bytes.Buffer
			if err := ixOld.Dump(&got, tc.dumpPrefix); err != nil {
				t.Fatal(err)
			}
			if err := ixCur.Dump(&want, tc.dumpPrefix); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Fatalf("dump of kmod 30's file differs from kmod 34.2's at byte %d", firstDiff(got.Bytes(), want.Bytes()))
			}
			for _, in := range tc.inserts(ti) {
				g, gok := ixOld.Lookup(in.key)
				w, wok := ixCur.Lookup(in.key)
				if g != w || gok != wok {
					t.Fatalf("Lookup(%q) = %q, %v; kmod 34.2's file gives %q, %v", in.key, g, gok, w, wok)
				}
			}
		})
	}
	for _, name := range []string{"alias", "builtin.alias"} {
		t.Run(name+".wild", func(t *testing.T) {
			ix, err := OpenIndex(filepath.Join(old, "modules."+name+".bin"))
			if err != nil {
				t.Fatal(err)
			}
			defer ix.Close()
			replayQueries(t, ix, "testdata/kmodtree/"+name)
		})
	}
}
