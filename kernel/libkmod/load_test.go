package libkmod

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/modutils/modutils/elfmod"
	"github.com/modutils/modutils/elfmod/elfmodtest"
	"github.com/modutils/modutils/kernel"
)

func TestPlanLoad(t *testing.T) {
	t.Parallel()
	none, gz, xz, zst := elfmod.None, elfmod.Gzip, elfmod.XZ, elfmod.Zstd
	force := InsertFlags{ForceVermagic: true, ForceModversion: true}
	tests := []struct {
		name         string
		file, kernel elfmod.Compression
		flags        InsertFlags
		want         LoadPlan
	}{
		{"plain", none, none, InsertFlags{}, LoadPlan{Finit: true}},
		{"plain, kernel decompresses zstd", none, zst, InsertFlags{}, LoadPlan{Finit: true}},
		{"zstd, kernel zstd", zst, zst, InsertFlags{}, LoadPlan{Finit: true, FinitFlags: kernel.InitCompressedFile, Decompress: true}},
		{"xz, kernel zstd", xz, zst, InsertFlags{}, LoadPlan{Decompress: true}},
		{"xz, kernel none", xz, none, InsertFlags{}, LoadPlan{Decompress: true}},
		{"gzip, kernel gzip", gz, gz, InsertFlags{}, LoadPlan{Finit: true, FinitFlags: kernel.InitCompressedFile, Decompress: true}},
		{"plain forced", none, none, force, LoadPlan{Finit: true, FinitFlags: kernel.InitIgnoreVermagic | kernel.InitIgnoreModversions, StripModversions: true, StripVermagic: true}},
		{"plain vermagic", none, none, InsertFlags{ForceVermagic: true}, LoadPlan{Finit: true, FinitFlags: kernel.InitIgnoreVermagic, StripVermagic: true}},
		{"plain modversion", none, none, InsertFlags{ForceModversion: true}, LoadPlan{Finit: true, FinitFlags: kernel.InitIgnoreModversions, StripModversions: true}},
		{"zstd forced, kernel zstd", zst, zst, force, LoadPlan{Finit: true, FinitFlags: kernel.InitCompressedFile | kernel.InitIgnoreVermagic | kernel.InitIgnoreModversions, Decompress: true, StripModversions: true, StripVermagic: true}},
		{"xz forced, kernel none", xz, none, force, LoadPlan{Decompress: true, StripModversions: true, StripVermagic: true}},
	}
	for _, tt := range tests {
		if got := PlanLoad(tt.file, tt.kernel, tt.flags); got != tt.want {
			t.Errorf("%s: PlanLoad = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// recorder is a Syscalls that records what it is asked and answers with
// the errors set.
type recorder struct {
	finitErr, initErr, deleteErr error
	finitFlags                   []int
	finitParams                  string
	image                        []byte
	initParams                   string
	deleted                      string
	deleteFlags                  int
}

func (r *recorder) FinitModule(fd int, params string, flags int) error {
	r.finitFlags = append(r.finitFlags, flags)
	r.finitParams = params
	return r.finitErr
}
func (r *recorder) InitModule(img []byte, params string) error {
	r.image = bytes.Clone(img)
	r.initParams = params
	return r.initErr
}
func (r *recorder) DeleteModule(name string, flags int) error {
	r.deleted, r.deleteFlags = name, flags
	return r.deleteErr
}

func testModule() []byte {
	return (&elfmodtest.Module{
		Modinfo:  []string{"license=GPL", "vermagic=6.1.0 SMP mod_unload", "name=m"},
		Versions: []elfmodtest.Version{{Name: "module_layout", CRC: 1}},
	}).Bytes()
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestInsert(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	plain := testModule()
	writeFile(t, dir+"/m.ko", plain)
	writeFile(t, dir+"/m.ko.zst", elfmodtest.Zstd(plain))
	writeFile(t, dir+"/m.ko.xz", elfmodtest.XZ(plain))
	writeFile(t, dir+"/m.ko.gz", elfmodtest.Gzip(plain))
	writeFile(t, dir+"/short", []byte("ELF"))
	writeFile(t, dir+"/root/sys/module/compression", []byte("zstd\n"))

	t.Run("finit", func(t *testing.T) {
		r := &recorder{}
		if err := Insert(kernel.Sys{Calls: r}, dir+"/m.ko", "a=1", InsertFlags{}); err != nil {
			t.Fatal(err)
		}
		if len(r.finitFlags) != 1 || r.finitFlags[0] != 0 || r.finitParams != "a=1" || r.image != nil {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("finit EEXIST", func(t *testing.T) {
		r := &recorder{finitErr: syscall.EEXIST}
		err := Insert(kernel.Sys{Calls: r}, dir+"/m.ko", "", InsertFlags{})
		if err != syscall.EEXIST {
			t.Errorf("err = %v", err)
		}
		if r.image != nil {
			t.Error("fell back to init_module")
		}
	})
	t.Run("ENOSYS falls back", func(t *testing.T) {
		r := &recorder{finitErr: syscall.ENOSYS}
		if err := Insert(kernel.Sys{Calls: r}, dir+"/m.ko", "x", InsertFlags{}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(r.image, plain) || r.initParams != "x" {
			t.Errorf("init_module got %d bytes, params %q", len(r.image), r.initParams)
		}
	})
	for _, name := range []string{"m.ko.xz", "m.ko.gz", "m.ko.zst"} {
		t.Run(name+" decompressed here", func(t *testing.T) {
			r := &recorder{}
			if err := Insert(kernel.Sys{Root: dir + "/none", Calls: r}, dir+"/"+name, "", InsertFlags{}); err != nil {
				t.Fatal(err)
			}
			if len(r.finitFlags) != 0 || !bytes.Equal(r.image, plain) {
				t.Errorf("finit %v, image %d bytes", r.finitFlags, len(r.image))
			}
		})
	}
	t.Run("zstd by the kernel", func(t *testing.T) {
		r := &recorder{}
		if err := Insert(kernel.Sys{Root: dir + "/root", Calls: r}, dir+"/m.ko.zst", "", InsertFlags{ForceVermagic: true}); err != nil {
			t.Fatal(err)
		}
		if len(r.finitFlags) != 1 || r.finitFlags[0] != kernel.InitCompressedFile|kernel.InitIgnoreVermagic || r.image != nil {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("forced init_module strips", func(t *testing.T) {
		r := &recorder{finitErr: syscall.ENOSYS}
		if err := Insert(kernel.Sys{Calls: r}, dir+"/m.ko", "", InsertFlags{ForceVermagic: true, ForceModversion: true}); err != nil {
			t.Fatal(err)
		}
		if r.finitFlags[0] != kernel.InitIgnoreVermagic|kernel.InitIgnoreModversions {
			t.Errorf("finit flags %#x", r.finitFlags[0])
		}
		if bytes.Contains(r.image, []byte("vermagic=")) || len(r.image) != len(plain) {
			t.Error("vermagic not stripped")
		}
		m, err := elfmod.ParseBytes("m", r.image)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		info, _ := m.Modinfo()
		if len(info) != 2 {
			t.Errorf("modinfo after strip: %q", info)
		}
	})
	for _, tt := range []struct {
		path string
		want syscall.Errno
	}{
		{dir + "/missing.ko", syscall.ENOENT},
		{dir + "/short", syscall.EINVAL},
		{dir, syscall.EISDIR},
	} {
		r := &recorder{}
		err := Insert(kernel.Sys{Calls: r}, tt.path, "", InsertFlags{})
		var fe *FileError
		if !errors.As(err, &fe) || fe.Errno != tt.want || !errors.Is(err, tt.want) {
			t.Errorf("Insert(%s) = %v, want FileError %v", tt.path, err, tt.want)
		}
		if r.finitFlags != nil || r.image != nil {
			t.Errorf("Insert(%s) made a system call", tt.path)
		}
	}
}

func TestRemove(t *testing.T) {
	t.Parallel()
	r := &recorder{deleteErr: syscall.EAGAIN}
	err := kernel.Sys{Calls: r}.Remove("m", kernel.RemoveForce|0x80)
	if err != syscall.EAGAIN || r.deleted != "m" || r.deleteFlags != kernel.RemoveForce|kernel.RemoveNowait {
		t.Errorf("err %v, deleted %q flags %#o", err, r.deleted, r.deleteFlags)
	}
	kernel.Sys{Calls: r}.Remove("m", 0)
	if r.deleteFlags != kernel.RemoveNowait {
		t.Errorf("flags %#o", r.deleteFlags)
	}
}

func TestCompression(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for content, want := range map[string]elfmod.Compression{"zstd\n": elfmod.Zstd, "xz\n": elfmod.XZ, "gzip\n": elfmod.Gzip, "lz4\n": elfmod.None, "zstd": elfmod.None} {
		writeFile(t, dir+"/sys/module/compression", []byte(content))
		if got := KernelCompression(kernel.Sys{Root: dir}); got != want {
			t.Errorf("%q: %v, want %v", content, got, want)
		}
	}
	if got := KernelCompression(kernel.Sys{Root: dir + "/x"}); got != elfmod.None {
		t.Errorf("missing: %v", got)
	}
}
