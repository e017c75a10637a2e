package elfmod

import (
	"github.com/modutils/modutils/internal/debtree"

	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// addSeeds adds the synthetic corpus and the two smallest modules of the
// real tree, if it is there.
func addSeeds(f *testing.F) {
	for _, c := range syntheticCorpus() {
		f.Add(c.data)
	}
	if os.Getenv("ELFMOD_TREE") == "" {
		if _, err := os.Stat(debtree.CacheDir() + "/tree/.complete"); err != nil {
			return
		}
	}
	files := realTree(f)
	type sized struct {
		path string
		size int64
	}
	var all []sized
	for _, p := range files {
		if fi, err := os.Stat(p); err == nil {
			all = append(all, sized{p, fi.Size()})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].size < all[j].size })
	for _, s := range all[:min(2, len(all))] {
		if b, err := os.ReadFile(s.path); err == nil {
			f.Add(b)
		}
	}
}

// FuzzParse parses arbitrary images from memory and through a ReaderAt:
// neither may panic, and both must return exactly the same.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var res [2]results
		var errs [2]string
		for i, p := range parsers {
			m, err := p.parse(data)
			if err != nil {
				errs[i] = err.Error()
				continue
			}
			res[i] = collect(m)
			if i == 0 {
				m.StripSection("__versions")
				m.StripVermagic()
				if img, err := m.Image(); err != nil || len(img) != len(data) {
					t.Fatalf("Image() after strip = %d bytes, %v", len(img), err)
				}
			}
			m.Close()
		}
		if errs[0] != errs[1] || !reflect.DeepEqual(res[0], res[1]) {
			t.Fatalf("ParseBytes and Parse disagree:\n%q\n%+v\n%+v", errs, res[0], res[1])
		}
	})
}

// addCompressedSeeds adds the two smallest real modules of each
// compressed tree there is (Debian 12's .ko.xz, .ko.zst and .ko.gz
// copies, Debian 13's own .ko.xz), so that mutations start from streams
// the kernel's build made.
func addCompressedSeeds(f *testing.F) {
	trees := []string{debtree.CacheDir() + "/tree-xz", debtree.CacheDir() + "/tree-zst",
		debtree.CacheDir() + "/tree-gz", debtree.TrixieDir() + "/current/tree"}
	for _, root := range trees {
		if _, err := os.Stat(root + "/.complete"); err != nil {
			continue
		}
		var smallest [2]struct {
			path string
			size int64
		}
		filepath.WalkDir(root+"/lib/modules/", func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return nil
			}
			if !strings.HasSuffix(p, ".ko.xz") && !strings.HasSuffix(p, ".ko.zst") && !strings.HasSuffix(p, ".ko.gz") {
				return nil
			}
			info, err := e.Info()
			if err != nil {
				return nil
			}
			for i := range smallest {
				if smallest[i].path == "" || info.Size() < smallest[i].size {
					copy(smallest[i+1:], smallest[i:len(smallest)-1])
					smallest[i].path, smallest[i].size = p, info.Size()
					break
				}
			}
			return nil
		})
		for _, s := range smallest {
			if b, err := os.ReadFile(s.path); err == nil {
				f.Add(b)
			}
		}
	}
}

// FuzzDecompress feeds arbitrary data to each decompressor with a small
// limit, then parses what comes out.
func FuzzDecompress(f *testing.F) {
	addSeeds(f)
	addCompressedSeeds(f)
	for _, c := range syntheticCorpus() {
		if Detect(c.data) != None {
			f.Add(c.data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range []Compression{Gzip, XZ, Zstd} {
			img, err := Decompress("fuzz", bytes.NewReader(data), c, 1<<20)
			if err != nil {
				continue
			}
			if len(img) > 1<<20 {
				t.Fatalf("%v: %d bytes past the limit", c, len(img))
			}
			if m, err := ParseBytes("fuzz", img); err == nil {
				collect(m)
				m.Close()
			}
		}
	})
}

// fuzzbudget: 1/10
// FuzzOpenData opens arbitrary files both ways, from the file (Open) and
// from bytes already read (OpenData, depmod's path after it hashed
// them): neither may panic, and both must return exactly the same.
func FuzzOpenData(f *testing.F) {
	addSeeds(f)
	addCompressedSeeds(f)
	path := filepath.Join(f.TempDir(), "m.ko")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var res [2]results
		var errs [2]string
		for i, open := range []func() (*Module, error){
			func() (*Module, error) { return Open(path) },
			func() (*Module, error) { return OpenData(path, data) },
		} {
			m, err := open()
			if err != nil {
				errs[i] = err.Error()
				continue
			}
			res[i] = collect(m)
			m.Close()
		}
		if errs[0] != errs[1] || !reflect.DeepEqual(res[0], res[1]) {
			t.Fatalf("Open and OpenData disagree:\n%q\n%+v\n%+v", errs, res[0], res[1])
		}
	})
}
