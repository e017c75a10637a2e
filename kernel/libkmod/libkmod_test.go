package libkmod

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/kernel"
)

// fakeTree writes files under a new root: path -> content, a content
// ending in "/" making a directory.
func fakeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, c := range files {
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(root+p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		writeFile(t, root+p, []byte(c))
	}
	return root
}

// logTo is the tools' logger writing "LEVEL SITE text" to b.
func logTo(b *strings.Builder) LogFunc {
	return ToolLog(func(level diag.Level, format string, args ...any) {
		fmt.Fprintf(b, "%d ", level)
		fmt.Fprintf(b, format, args...)
	})
}

func TestLib(t *testing.T) {
	t.Parallel()
	root := fakeTree(t, map[string]string{
		"/proc/modules":                   "a 16384 1 b, Live 0x0\nb 8192 0 - Live 0x0\nold 4096 0 - Live 0x0\n",
		"/sys/module/a/initstate":         "live\n",
		"/sys/module/a/refcnt":            "1\n",
		"/sys/module/a/coresize":          "16384\n",
		"/sys/module/a/holders/b":         "",
		"/sys/module/b/initstate":         "coming\n",
		"/sys/module/b/refcnt":            "x\n",
		"/sys/module/b/coresize":          "12",
		"/sys/module/b/holders/":          "",
		"/sys/module/c/initstate":         "weird\n",
		"/sys/module/builtin/parameters/": "",
		"/sys/module/old/refcnt":          "  -3 \n",
	})
	var msgs strings.Builder
	l := Lib{Sys: kernel.Sys{Root: root}, Log: logTo(&msgs)}
	check := func(what string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	names, err := l.Loaded()
	check("Loaded", names, []string{"a", "b", "old"})
	check("Loaded err", err, nil)
	check("Refcnt a", l.Refcnt("a"), 1)
	check("Refcnt b", l.Refcnt("b"), -int(syscall.EINVAL))
	check("Refcnt old", l.Refcnt("old"), -3)
	check("Refcnt none", l.Refcnt("none"), -int(syscall.ENOENT))
	check("Size a", l.Size("a"), 16384)
	check("Size b", l.Size("b"), 0)        // no space after the number
	check("Size old", l.Size("old"), 4096) // from /proc/modules
	check("Size none", l.Size("none"), -int(syscall.ENOENT))
	check("Holders a", l.Holders("a"), []string{"b"})
	check("Holders b", len(l.Holders("b")), 0)
	check("Holders none", l.Holders("none"), []string(nil))
	for name, want := range map[string]string{"a": "live 0", "b": "coming 0", "builtin": "coming 0", "none": "State(0) " + syscall.ENOENT.Error(), "c": "State(0) " + syscall.EINVAL.Error()} {
		s, e := l.InitState(name)
		got := s.String() + " "
		if e != 0 {
			got += e.Error()
		} else {
			got += "0"
		}
		check("InitState "+name, got, want)
	}
	wantMsgs := "3 could not read integer from '/sys/module/b/refcnt': 'Invalid argument'\n" +
		"3 failed to read coresize from /sys/module/b\n" +
		"3 could not open '/sys/module/none/holders': No such file or directory\n" +
		""
	got := msgs.String()
	// InitState of c logs last, after the map's random order: check apart.
	unknown := "3 unknown /sys/module/c/initstate: 'weird\n'\n"
	if !strings.Contains(got, unknown) {
		t.Errorf("missing %q in %q", unknown, got)
	}
	got = strings.Replace(got, unknown, "", 1)
	check("messages", got, wantMsgs)

	var none strings.Builder
	_, err = Lib{Sys: kernel.Sys{Root: root + "/x"}, Log: logTo(&none)}.Loaded()
	check("Loaded missing", err, syscall.ENOENT)
	check("Loaded message", none.String(), "3 could not open /proc/modules: No such file or directory\n")
}

func TestParseLong(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]string{
		"1\n": "1 true", " 12 ": "12 true", "-4\n": "-4 true", "+5\t": "5 true",
		"5": "0 false", "": "0 false", "x\n": "0 false", "12x\n": "0 false", "-\n": "0 false",
		"99999999999999999999\n": "9223372036854775807 true",
	} {
		v, ok := parseLong(s)
		if got := fmt.Sprint(v, " ", ok); got != want {
			t.Errorf("parseLong(%q) = %s, want %s", s, got, want)
		}
	}
}
