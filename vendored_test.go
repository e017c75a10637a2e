package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/modutils/modutils/internal/debtree"
)

// TestVendoredCopies holds each copy under third_party to the upstream
// version third_party/README.md names, fetched through the Go module proxy
// into the module cache: the copy may differ from upstream only by the
// lines it marks (markedChanges says exactly which), every file of the copy
// is upstream's, and every non-test Go file of a copied upstream directory
// is copied.
func TestVendoredCopies(t *testing.T) {
	copies := vendoredCopies(t)
	if len(copies) == 0 {
		t.Fatal("third_party/README.md names no module and version")
	}
	gomod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range copies {
		t.Run(c.module, func(t *testing.T) {
			if !strings.Contains(string(gomod), "\t"+c.module+" "+c.version+"\n") {
				t.Errorf("go.mod does not require %s %s, the version third_party/README.md names", c.module, c.version)
			}
			upstream := download(t, c.module, c.version)
			local := filepath.Join("third_party", c.module)
			dirs := map[string]bool{}
			err := filepath.WalkDir(local, func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, _ := filepath.Rel(local, path)
				dirs[filepath.Dir(rel)] = true
				ours, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				theirs, err := os.ReadFile(filepath.Join(upstream, rel))
				if err != nil {
					t.Errorf("%s: not in %s@%s: %v", path, c.module, c.version, err)
					return nil
				}
				for _, p := range markedChanges(lines(theirs), lines(ours)) {
					t.Errorf("%s:%d: differs from %s@%s and is not marked modutils: %s", path, p.line, c.module, c.version, p.what)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for dir := range dirs {
				entries, err := os.ReadDir(filepath.Join(upstream, dir))
				if err != nil {
					continue // reported above, file by file
				}
				for _, e := range entries {
					n := e.Name()
					if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
						continue
					}
					if _, err := os.Stat(filepath.Join(local, dir, n)); err != nil {
						t.Errorf("%s: upstream has %s, the copy does not", filepath.Join(local, dir), n)
					}
				}
			}
		})
	}
}

type vendored struct{ module, version string }

// vendoredCopies reads the table of third_party/README.md: a row whose first
// cell is a module path in backquotes and whose second is its version.
func vendoredCopies(t *testing.T) []vendored {
	t.Helper()
	f, err := os.Open("third_party/README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := regexp.MustCompile("^\\| `([^`]+)` \\| (v[0-9][^ |]*) \\|")
	var out []vendored
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := row.FindStringSubmatch(sc.Text()); m != nil {
			out = append(out, vendored{m[1], m[2]})
		}
	}
	return out
}

// download is `go mod download -json MODULE@VERSION`: the directory the
// module cache holds the version's files in. It runs outside this module,
// whose replace line would otherwise stand in for the module.
func download(t *testing.T, module, version string) string {
	t.Helper()
	// go test puts its own go first in PATH.
	cmd := exec.Command("go", "mod", "download", "-json", module+"@"+version)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.Output()
	var res struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &res); jerr != nil || res.Dir == "" {
		// No proxy (an offline machine): skipped locally, a failure under CI.
		debtree.Missing(t, "go mod download %s@%s: %v %s %s", module, version, err, res.Error, exitText(err))
	}
	return res.Dir
}

func exitText(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

func lines(b []byte) []string {
	s := strings.Split(string(b), "\n")
	if len(s) > 0 && s[len(s)-1] == "" {
		s = s[:len(s)-1]
	}
	return s
}

type unmarked struct {
	line int // in the copy; for a removed line, the line before which it stood
	what string
}

// markedChanges compares a copy with upstream line by line (a longest
// common subsequence) and returns what the rule of third_party/README.md
// does not allow. A line the copy has and upstream does not (added, or
// standing in for upstream lines) must be marked: it contains "modutils:",
// or it is a // comment in a run of comment lines whose first contains
// "modutils:", or it is the first line after such a run (the declaration
// the comment explains). A run of upstream lines the copy drops must have
// lines added in its place, which are then held to that rule.
func markedChanges(upstream, copy []string) []unmarked {
	n, m := len(upstream), len(copy)
	// lcs[i][j] is the length of the common subsequence of upstream[i:]
	// and copy[j:].
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			switch {
			case upstream[i] == copy[j]:
				lcs[i][j] = lcs[i+1][j+1] + 1
			case lcs[i+1][j] >= lcs[i][j+1]:
				lcs[i][j] = lcs[i+1][j]
			default:
				lcs[i][j] = lcs[i][j+1]
			}
		}
	}
	marked := markedLines(copy)
	var out []unmarked
	i, j := 0, 0
	for i < n || j < m {
		if i < n && j < m && upstream[i] == copy[j] {
			i, j = i+1, j+1
			continue
		}
		// One hunk: what upstream drops and the copy adds until they meet.
		var dropped []string
		start := j
		for i < n || j < m {
			if i < n && j < m && upstream[i] == copy[j] {
				break
			}
			if j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]) {
				if !marked[j] {
					out = append(out, unmarked{j + 1, "added " + quote(copy[j])})
				}
				j++
			} else {
				dropped = append(dropped, upstream[i])
				i++
			}
		}
		if len(dropped) > 0 && j == start {
			out = append(out, unmarked{start + 1, "removed " + quote(strings.Join(dropped, "\n"))})
		}
	}
	return out
}

// markedLines says which lines of a file carry or follow a modutils: mark.
func markedLines(ls []string) []bool {
	marked := make([]bool, len(ls))
	inMarkedComment := false
	for k, l := range ls {
		comment := strings.HasPrefix(strings.TrimSpace(l), "//")
		switch {
		case strings.Contains(l, "modutils:"):
			marked[k] = true
			inMarkedComment = comment
		case inMarkedComment && comment:
			marked[k] = true
		case inMarkedComment:
			marked[k] = true // the line the marked comment explains
			inMarkedComment = false
		}
	}
	return marked
}

func quote(s string) string {
	var b bytes.Buffer
	json.NewEncoder(&b).Encode(s)
	return strings.TrimSpace(b.String())
}

func TestMarkedChanges(t *testing.T) {
	up := []string{"import (", `	"hash/crc32"`, ")", "var t = crc32.MakeTable(c)", "func f() { use(t) }"}
	tests := []struct {
		name string
		copy []string
		want []unmarked
	}{
		{"same", up, nil},
		{"marked patch", []string{"import (", `	"hash/crc32"`, `	"sync" // modutils: for t`, ")",
			"// modutils: built on first use,", "// not at init.", "var t = sync.OnceValue(mk)",
			"func f() { use(t()) } // modutils: t is a func"}, nil},
		{"unmarked line added", []string{"import (", `	"hash/crc32"`, `	"sync"`, ")", "var t = crc32.MakeTable(c)", "func f() { use(t) }"},
			[]unmarked{{3, `added "\t\"sync\""`}}},
		{"unmarked replacement", []string{"import (", `	"hash/crc32"`, ")", "var t = crc32.MakeTable(c)", "func f() { use(t()) }"},
			[]unmarked{{5, `added "func f() { use(t()) }"`}}},
		{"line removed", []string{"import (", `	"hash/crc32"`, ")", "func f() { use(t) }"},
			[]unmarked{{4, `removed "var t = crc32.MakeTable(c)"`}}},
		{"mark ends at the declaration", []string{"import (", `	"hash/crc32"`, ")", "// modutils: why", "var t = crc32.MakeTable(c)", "var u = 1", "func f() { use(t) }"},
			[]unmarked{{6, `added "var u = 1"`}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := markedChanges(up, tc.copy)
			if len(got) != len(tc.want) {
				t.Fatalf("markedChanges = %+v, want %+v", got, tc.want)
			}
			for k := range got {
				if got[k] != tc.want[k] {
					t.Errorf("markedChanges[%d] = %+v, want %+v", k, got[k], tc.want[k])
				}
			}
		})
	}
}

// TestFlagNamesStrip holds the urfave/cli copy's stripCommaWhitespace
// (FlagNames) to the regexp it stands in for, "[, ]+.*" replaced by "".
func TestFlagNamesStrip(t *testing.T) {
	re := regexp.MustCompile("[, ]+.*")
	for _, name := range []string{"", "a", "a, b", "a,b", "a b", " a", ",", "a,\n,b", "a, b\nc d", "ab\n\n c", "a\n"} {
		got := cli.FlagNames(name, nil)[0]
		if want := re.ReplaceAllString(name, ""); got != want {
			t.Errorf("FlagNames(%q) = %q, want %q", name, got, want)
		}
	}
}
