package rawfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestReadStream holds ReadStream to os.ReadFile, on files whose size
// stat tells and on one of /proc, whose size stat gives as 0.
func TestReadStream(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name string
		path string
		buf  []byte
	}{
		{"empty", write("empty", nil), nil},
		{"short", write("short", []byte("options dummy numdummies=2\n")), nil},
		{"one buffer exactly", write("exact", bytes.Repeat([]byte{'x'}, 512)), nil},
		{"grown many times", write("long", bytes.Repeat([]byte("alias a b\n"), 10000)), make([]byte, 3, 7)},
		{"proc", "/proc/self/status", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadStream(tc.path, tc.buf)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if tc.path == "/proc/self/status" {
				// Its counters move between two reads; its first line does not.
				got, _, _ = bytes.Cut(got, []byte("\n"))
				want, _, _ = bytes.Cut(want, []byte("\n"))
				if len(got) == 0 {
					t.Fatal("read nothing of /proc/self/status")
				}
			}
			if !bytes.Equal(got, want) {
				t.Errorf("got %d bytes %.40q, want %d bytes %.40q", len(got), got, len(want), want)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		_, err := ReadStream(filepath.Join(dir, "none"), nil)
		var pe *fs.PathError
		if !errors.As(err, &pe) || !errors.Is(err, fs.ErrNotExist) || pe.Op != "open" {
			t.Errorf("err = %v, want an open *fs.PathError for a missing file", err)
		}
	})
	t.Run("directory", func(t *testing.T) {
		if _, err := ReadStream(dir, nil); err == nil {
			t.Error("reading a directory succeeded")
		}
	})
}

// TestDirNames holds Names to os.File.Readdirnames (the same entries, in
// the same order) and IsDir to os.Stat, links followed.
func TestDirNames(t *testing.T) {
	dir := t.TempDir()
	for i := range 300 { // more than one getdents buffer of names
		name := strings.Repeat("n", 1+i%40) + string(rune('a'+i%26)) + ".conf"
		if err := os.WriteFile(filepath.Join(dir, name+string(rune('0'+i%10))), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("sub.conf", filepath.Join(dir, "link.conf")); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	want, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	d, err := OpenDirPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	got, err := d.Names()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Names: %d names, want %d, in Readdirnames' order", len(got), len(want))
	}
	for _, name := range got {
		isDir, err := d.IsDir(name)
		if err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if isDir != st.IsDir() {
			t.Errorf("IsDir(%q) = %v, want %v", name, isDir, st.IsDir())
		}
	}
	if _, err := OpenDirPath(filepath.Join(dir, "none")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenDirPath of a missing directory: err = %v, want fs.ErrNotExist", err)
	}
}
