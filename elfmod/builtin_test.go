package elfmod

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestBuiltinModinfo follows kmod 34.2's get_strings: strings read one by
// one, the first run of the name's counts, a dotless string before the run
// ends fails the read.
func TestBuiltinModinfo(t *testing.T) {
	t.Parallel()
	const errLine = "get_strings"
	cases := []struct {
		name  string
		file  string // "" with noFile: no file at all
		mod   string
		want  []string
		err   error
		logs  []string
		noDir bool
	}{
		{name: "first block", file: "foo.license=GPL\x00foo.author=me\x00bar.x=1\x00", mod: "foo", want: []string{"license=GPL", "author=me"}},
		{name: "last block", file: "foo.license=GPL\x00bar.x=1\x00bar.y\x00", mod: "bar", want: []string{"x=1", "y"}},
		{name: "value with dots", file: "foo.a.b=c.d\x00", mod: "foo", want: []string{"a.b=c.d"}},
		{name: "prefix of another", file: "foobar.x=1\x00foo.y=2\x00", mod: "foo", want: []string{"y=2"}},
		{name: "first block only", file: "foo.x=1\x00bar.y=2\x00foo.z=3\x00", mod: "foo", want: []string{"x=1"}},
		{name: "second block of a name ignored", file: "foo.x=1\x00bar.y=2\x00foo.z=3\x00", mod: "bar", want: []string{"y=2"}},
		{name: "missing name", file: "foo.x=1\x00", mod: "bar"},
		{name: "empty file", file: "", mod: "bar"},
		{name: "no file", mod: "bar", noDir: true, err: syscall.ENOENT},
		{name: "unterminated in block", file: "foo.x=1\x00foo.y", mod: "foo", want: []string{"x=1", "y"}},
		{name: "unterminated next block", file: "foo.x=1\x00bar.y", mod: "foo", want: []string{"x=1"}},
		{name: "unterminated after", file: "foo.x=1\x00bar.y=1\x00baz", mod: "foo", want: []string{"x=1"}},
		{name: "unterminated found", file: "foo.x=1\x00bar.y", mod: "bar", want: []string{"y"}},
		{name: "unterminated first", file: "foo.x", mod: "foo", want: []string{"x"}},
		{name: "empty string in block", file: "foo.a=1\x00\x00foo.b=2\x00bar.x=1\x00", mod: "foo", err: syscall.EINVAL, logs: []string{errLine}},
		{name: "empty string before", file: "foo.a=1\x00\x00bar.x=1\x00", mod: "bar", err: syscall.EINVAL, logs: []string{errLine}},
		{name: "empty string after", file: "foo.a=1\x00bar.x=1\x00\x00", mod: "foo", want: []string{"a=1"}},
		{name: "no dot first", file: "nodot\x00foo.a=1\x00", mod: "foo", err: syscall.EINVAL, logs: []string{errLine}},
		{name: "no dot right after the block", file: "foo.a=1\x00nodot\x00", mod: "foo", err: syscall.EINVAL, logs: []string{errLine}},
		{name: "empty value", file: "foo.\x00", mod: "foo", want: []string{""}},
		{name: "empty name", file: ".x=1\x00", mod: "", want: []string{"x=1"}},
		{name: "long name", file: strings.Repeat("a", 4096) + ".x=1\x00", mod: "b"},
		{name: "long name found first", file: "b.x=1\x00" + strings.Repeat("a", 4096) + ".x=1\x00", mod: "b", want: []string{"x=1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if !c.noDir {
				if err := os.WriteFile(filepath.Join(dir, BuiltinModinfoFile), []byte(c.file), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var logs []string
			got, err := BuiltinModinfoLog(dir, c.mod, func(l KmodLog) {
				logs = append(logs, l.Func)
				if !strings.HasPrefix(l.Msg, l.Func+": ") || !strings.HasSuffix(l.Msg, "\n") {
					t.Errorf("log message %q", l.Msg)
				}
			})
			if c.err != nil {
				if !errors.Is(err, c.err) || Errno(err) != c.err {
					t.Errorf("error %v (errno %d), want %v", err, Errno(err), c.err)
				}
			} else if err != nil {
				t.Errorf("error %v", err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
			if !slices.Equal(logs, c.logs) {
				t.Errorf("logs %q, want %q", logs, c.logs)
			}
		})
	}
}

// TestBuiltinModinfoTree reads every built-in module of the real tree and
// checks each block against a plain split of the file.
func TestBuiltinModinfoTree(t *testing.T) {
	t.Parallel()
	dir := treeDir(t)
	data, err := os.ReadFile(filepath.Join(dir, BuiltinModinfoFile))
	if err != nil {
		skipf(t, "%v", err)
	}
	want := map[string][]string{}
	var order []string
	for _, s := range bytes.Split(bytes.TrimSuffix(data, []byte{0}), []byte{0}) {
		name, kv, _ := strings.Cut(string(s), ".")
		if _, ok := want[name]; !ok {
			order = append(order, name)
		}
		want[name] = append(want[name], kv)
	}
	if len(order) < 50 {
		t.Fatalf("only %d built-in modules", len(order))
	}
	for _, name := range order {
		got, err := BuiltinModinfo(dir, name)
		if err != nil || !slices.Equal(got, want[name]) {
			t.Errorf("%s: %q, %v; want %q", name, got, err, want[name])
		}
	}
}

// FuzzBuiltinModinfo reads arbitrary modules.builtin.modinfo contents:
// no panics, and every string returned lies within the file.
func FuzzBuiltinModinfo(f *testing.F) {
	f.Add([]byte("foo.license=GPL\x00foo.author=me\x00bar.x=1\x00"), "foo")
	f.Add([]byte("foo.a=1\x00\x00foo.b=2\x00bar.x=1\x00"), "bar")
	f.Add([]byte("nodot\x00foo.a=1\x00"), "foo")
	f.Add([]byte("foo.x=1\x00bar.y"), "bar")
	f.Add([]byte(".x=1\x00"), "")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		out, err := builtinModinfo(data, name, func(KmodLog) {})
		if err != nil && out != nil {
			t.Fatalf("strings %q with error %v", out, err)
		}
		for _, s := range out {
			if !bytes.Contains(data, []byte(s)) {
				t.Fatalf("%q is not in the file", s)
			}
		}
	})
}
