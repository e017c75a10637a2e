package xz

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/modutils/modutils/internal/debtree"
)

// treeFiles returns the sorted paths of a tree's modules ending in suffix.
func treeFiles(t testing.TB, tree debtree.Tree, suffix string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(tree.ModDir(), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && strings.HasSuffix(d.Name(), suffix) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no %s modules under %s", suffix, tree.ModDir())
	}
	sort.Strings(files)
	return files
}

// readAll reads every file.
func readAll(t testing.TB, files []string) [][]byte {
	t.Helper()
	data := make([][]byte, len(files))
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		data[i] = b
	}
	return data
}

// TestTrixieTree decodes every module of Debian 13's tree and compares
// the output byte for byte with liblzma's: one "xz -dc" over all the
// files, in order, streams the reference on one core while we decode on
// the other.
func TestTrixieTree(t *testing.T) {
	t.Parallel()
	files := treeFiles(t, debtree.Trixie(t), ".ko.xz")
	xz, err := exec.LookPath("xz")
	if err != nil {
		debtree.Missing(t, "xz: %v", err)
	}
	cmd := exec.Command(xz, "-dc", "-T1", "--")
	cmd.Args = append(cmd.Args, files...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	type result struct {
		out []byte
		err error
	}
	results := make(chan result, 4)
	stop := make(chan struct{})
	go func() {
		defer close(results)
		for _, f := range files {
			src, err := os.ReadFile(f)
			var out []byte
			if err == nil {
				out, err = Decode(nil, src, 0)
			}
			select {
			case results <- result{out, err}:
			case <-stop:
				return
			}
		}
	}()
	ref := bufio.NewReaderSize(pipe, 1<<20)
	var want []byte
	var total int64
	bad := 0
	for i := 0; i < len(files) && bad < 5; i++ {
		r := <-results
		if r.err != nil {
			t.Errorf("%s: %v", files[i], r.err)
			bad++
			break // the reference stream can no longer be split
		}
		if cap(want) < len(r.out) {
			want = make([]byte, len(r.out))
		}
		want = want[:len(r.out)]
		if _, err := io.ReadFull(ref, want); err != nil {
			t.Errorf("%s: reading xz -dc's output: %v", files[i], err)
			bad++
			break
		}
		if !bytes.Equal(r.out, want) {
			t.Errorf("%s: %d bytes differ from xz -dc's", files[i], len(want))
			bad++
			break
		}
		total += int64(len(want))
	}
	close(stop)
	if bad == 0 {
		if n, _ := io.Copy(io.Discard, ref); n != 0 {
			t.Errorf("xz -dc gave %d bytes more than we decoded", n)
		}
	} else {
		io.Copy(io.Discard, ref)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("xz -dc: %v: %s", err, stderr.String())
	}
	t.Logf("%d modules, %d bytes decompressed", len(files), total)
}

// TestDebian12Tree decodes every module of Debian 12's .ko.xz copy, on
// two cores, and compares each with the uncompressed tree's.
func TestDebian12Tree(t *testing.T) {
	t.Parallel()
	xzTree, plain := debtree.Get(t, "ko.xz"), debtree.Get(t, "ko")
	files := treeFiles(t, xzTree, ".ko.xz")
	var next atomic.Int64
	var mu sync.Mutex
	var errs []string
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			var dec Decoder
			var buf []byte
			for {
				i := int(next.Add(1)) - 1
				if i >= len(files) {
					return
				}
				f := files[i]
				rel, _ := filepath.Rel(xzTree.ModDir(), f)
				msg := func() string {
					src, err := os.ReadFile(f)
					if err != nil {
						return err.Error()
					}
					want, err := os.ReadFile(filepath.Join(plain.ModDir(), strings.TrimSuffix(rel, ".xz")))
					if err != nil {
						return err.Error()
					}
					got, err := dec.Decode(buf[:0], src, 0)
					buf = got
					if err != nil {
						return fmt.Sprintf("%s: %v", f, err)
					}
					if !bytes.Equal(got, want) {
						return fmt.Sprintf("%s: %d bytes, want the %d of the uncompressed module", f, len(got), len(want))
					}
					return ""
				}()
				if msg != "" {
					mu.Lock()
					errs = append(errs, msg)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	sort.Strings(errs)
	for i, e := range errs {
		if i == 5 {
			t.Errorf("and %d more", len(errs)-5)
			break
		}
		t.Error(e)
	}
}
