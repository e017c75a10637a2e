package vm

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/modutils/modutils/internal/debtree"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name      string
		console   string
		wantHead  string
		wantParts []Part
	}{
		{"no scripts", "boot\nVM-END 1\n", "boot\nVM-END 1\n", nil},
		{
			"two ended",
			"boot\nSCRIPT-BEGIN a 1.0\nCHECK x ok\nSCRIPT-END a 0 2.0 2.5\nSCRIPT-BEGIN b 3\nSCRIPT-END b 143 4 5\nVM-END 5\n",
			"boot\n",
			[]Part{
				{Name: "a", Output: "SCRIPT-BEGIN a 1.0\nCHECK x ok\nSCRIPT-END a 0 2.0 2.5\n", Ended: true},
				{Name: "b", Output: "SCRIPT-BEGIN b 3\nSCRIPT-END b 143 4 5\nVM-END 5\n", Ended: true, Code: 143},
			},
		},
		{
			"stopped in the second",
			"SCRIPT-BEGIN a 1\nSCRIPT-END a 0 1 1\nSCRIPT-BEGIN b 2\nCHECK y FAIL why\n",
			"",
			[]Part{
				{Name: "a", Output: "SCRIPT-BEGIN a 1\nSCRIPT-END a 0 1 1\n", Ended: true},
				{Name: "b", Output: "SCRIPT-BEGIN b 2\nCHECK y FAIL why\n"},
			},
		},
		{
			"an end of another script is not this one's",
			"SCRIPT-BEGIN a 1\nSCRIPT-END b 0 1 1\n",
			"",
			[]Part{{Name: "a", Output: "SCRIPT-BEGIN a 1\nSCRIPT-END b 0 1 1\n"}},
		},
	}
	for _, tt := range tests {
		head, parts := Split(tt.console)
		if head != tt.wantHead || !reflect.DeepEqual(parts, tt.wantParts) {
			t.Errorf("%s: Split = %q, %+v\nwant %q, %+v", tt.name, head, parts, tt.wantHead, tt.wantParts)
		}
	}
}

func TestReadScript(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, text  string
		wantModules []string
		wantKernels []string
		wantErr     bool
	}{
		{"plain", "# plain: nothing declared\nok x\n", nil, nil, false},
		{"modules", "# vm-modules: tun loop\n# vm-modules: floppy\n", []string{"tun", "loop", "floppy"}, nil, false},
		{"one kernel", "# vm-kernels: deb13 -- 6.1 has no /sys/module/compression\n", nil, []string{"deb13"}, false},
		{"unknown kernel", "# vm-kernels: deb11\n", nil, nil, true},
	}
	for _, tt := range tests {
		f := filepath.Join(dir, tt.name+".sh")
		if err := os.WriteFile(f, []byte(tt.text), 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := ReadScript(f)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: ReadScript error %v, want error %v", tt.name, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if s.Name != tt.name || !slices.Equal(s.Modules, tt.wantModules) || !slices.Equal(s.Kernels, tt.wantKernels) {
			t.Errorf("%s: ReadScript = %q modules %q kernels %q, want modules %q kernels %q",
				tt.name, s.Name, s.Modules, s.Kernels, tt.wantModules, tt.wantKernels)
		}
	}
	if s := (Script{Kernels: []string{"deb13"}}); s.RunsOn("deb12") || !s.RunsOn("deb13") {
		t.Errorf("a deb13-only script: RunsOn(deb12) %v, RunsOn(deb13) %v", s.RunsOn("deb12"), s.RunsOn("deb13"))
	}
}

// TestKmodLibraries: what the image ships of Debian 13's kmod, for it to
// run in the VM, is every library it links and dlopens.
func TestKmodLibraries(t *testing.T) {
	debtree.Kmod(t, "kmod")
	root := filepath.Join(debtree.TrixieDir(), "kmod", "root")
	got, err := libraries(filepath.Join(root, "usr/bin/kmod"), filepath.Join(root, "usr/lib/x86_64-linux-gnu"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ld-linux-x86-64.so.2", "libc.so.6", "libcrypto.so.3", "liblzma.so.5", "libz.so.1", "libzstd.so.1"}
	if !slices.Equal(got, want) {
		t.Errorf("libraries = %q, want %q", got, want)
	}
}

func TestClosure(t *testing.T) {
	idx := map[string]module{
		"btrfs":        {rel: "kernel/fs/btrfs/btrfs.ko", deps: []string{"xor", "libcrc32c"}},
		"xor":          {rel: "kernel/crypto/xor.ko"},
		"libcrc32c":    {rel: "kernel/lib/libcrc32c.ko"},
		"dummy":        {rel: "kernel/drivers/net/dummy.ko"},
		"crc32c_intel": {rel: "kernel/arch/x86/crypto/crc32c-intel.ko"},
	}
	builtin := map[string]bool{"virtio_pci": true}
	tests := []struct {
		name    string
		names   []string
		want    []string
		wantErr bool
	}{
		{"dependencies, sorted", []string{"btrfs"}, []string{"btrfs", "libcrc32c", "xor"}, false},
		{"dashes are underscores", []string{"crc32c-intel"}, []string{"crc32c_intel"}, false},
		{"a builtin is left out", []string{"dummy", "virtio-pci"}, []string{"dummy"}, false},
		{"missing", []string{"no_such"}, nil, true},
	}
	for _, tt := range tests {
		got, err := closure(idx, builtin, tt.names)
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("%s: closure(%q) = %q, %v; want %q, error %v", tt.name, tt.names, got, err, tt.want, tt.wantErr)
		}
	}
}
