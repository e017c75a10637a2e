package vm

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modutils/modutils/internal/debtree"
)

// scenarioImage is what every scenario in testdata/vm needs, beside what
// each names in its "# vm-modules:" lines.
var scenarioImage = Image{
	Modules: []string{
		// modprobe with dependencies and soft dependencies
		"btrfs", "blake2b_generic", "xxhash_generic", "crc32c_generic", "crc32c-intel",
		// small modules to load, unload, pass parameters to
		"dummy", "loop", "e1000", "virtio_rng", "virtio_pci",
		// filesystems the kernel asks for through request_module()
		"vfat", "isofs", "minix", "ext4", "nls_cp437", "nls_utf8", "nls_ascii", "nls_iso8859-1",
	},
	// One compression each: on Debian 12's kernel (no
	// CONFIG_MODULE_DECOMPRESS) our modprobe unpacks all three; Debian
	// 13's decompresses .ko.xz itself (its tree's own) and we unpack the
	// other two.
	Compress: map[string]string{"isofs": "xz", "minix": "zst", "nls_utf8": "gz"},
	Extra: map[string]string{
		"/opt/ko/dummy.ko":     "dummy.ko",
		"/opt/ko/dummy.ko.xz":  "dummy.ko.xz",
		"/opt/ko/dummy.ko.zst": "dummy.ko.zst",
		"/opt/ko/dummy.ko.gz":  "dummy.ko.gz",
	},
	Kmod: true,
}

var shared struct {
	sync.Once
	host        *Host
	bin, helper string
	err         error
}

// setup finds the host and builds modutils and vmhelper once per test
// binary.
func setup(t *testing.T) *Host {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		t.Skip("the VM runs Debian's amd64 kernel")
	}
	shared.Do(func() {
		h, err := FindHost()
		if err != nil {
			shared.err = err
			return
		}
		dir, err := os.MkdirTemp("", "modutils-vm")
		if err != nil {
			shared.err = err
			return
		}
		// make vmtest passes the binary it built; go test builds one.
		bin := os.Getenv("VMMODUTILS")
		if bin == "" {
			bin = filepath.Join(dir, "modutils")
			build := exec.Command("go", "build", "-trimpath", "-o", bin, "github.com/modutils/modutils")
			build.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := build.CombinedOutput(); err != nil {
				shared.err = errors.New("go build: " + string(out))
				return
			}
		}
		// The scenarios' helper (forged uevents, running as another
		// user, seccomp filters), static like everything in the image.
		helper := filepath.Join(dir, "vmhelper")
		hb := exec.Command("go", "build", "-trimpath", "-o", helper, "github.com/modutils/modutils/internal/vm/vmhelper")
		hb.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := hb.CombinedOutput(); err != nil {
			shared.err = errors.New("go build vmhelper: " + string(out))
			return
		}
		shared.host, shared.bin, shared.helper = h, bin, helper
	})
	if errors.Is(shared.err, ErrMissing) {
		debtree.Missing(t, "%v", shared.err)
	}
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.host
}

// scenarios reads testdata/vm/*.sh; VMSCRIPT=file reads a script of
// your own instead, VMSCENARIO=name keeps only that one.
func scenarios(t *testing.T) []Script {
	files, err := filepath.Glob("../../testdata/vm/*.sh")
	if s := os.Getenv("VMSCRIPT"); s != "" {
		files = []string{s}
	}
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios in testdata/vm: %v", err)
	}
	only := os.Getenv("VMSCENARIO")
	var out []Script
	for _, f := range files {
		s, err := ReadScript(f)
		if err != nil {
			t.Fatal(err)
		}
		if only == "" || only == s.Name {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no scenario %q in testdata/vm", only)
	}
	return out
}

// TestScenarios boots each kernel once (both at the same time) and runs
// every testdata/vm/*.sh that applies to it there, one after another from
// a clean slate; each is a subtest (deb12/deps) that wants every CHECK
// it prints to be ok. VMKERNEL=deb13 boots only that kernel.
func TestScenarios(t *testing.T) {
	scripts := scenarios(t)
	h := setup(t)
	for _, name := range KernelNames {
		if only := os.Getenv("VMKERNEL"); only != "" && only != name {
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runKernel(t, h, name, scripts)
		})
	}
}

func runKernel(t *testing.T, h *Host, name string, all []Script) {
	k, err := h.Kernel(name)
	if errors.Is(err, ErrMissing) {
		debtree.Missing(t, "%v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	img := scenarioImage
	img.Modules = slices.Clone(img.Modules)
	var scripts []Script
	for _, s := range all {
		if !s.RunsOn(name) {
			t.Logf("%s: runs on %s only", s.Name, strings.Join(s.Kernels, ", "))
			continue
		}
		scripts = append(scripts, s)
		img.Modules = append(img.Modules, s.Modules...)
	}
	if len(scripts) == 0 {
		return
	}
	img.Modutils = shared.bin
	img.Bins = map[string]string{"bin/vmhelper": shared.helper}
	initrd := filepath.Join(t.TempDir(), "initrd.gz")
	if _, err := h.Build(img, k, initrd); err != nil {
		if errors.Is(err, ErrMissing) {
			debtree.Missing(t, "%v", err)
		}
		t.Fatal(err)
	}
	res, bootErr := h.Boot(context.Background(), k, initrd, scripts, Options{})
	if res == nil {
		t.Fatal(bootErr)
	}
	head, parts := Split(res.Output)
	t.Logf("Linux %s, %d scripts: %v\n%s", k.Version, len(scripts), res.Elapsed.Round(100*time.Millisecond), head)
	for _, c := range Checks(head) {
		if !c.OK {
			t.Errorf("CHECK %s: %s", c.Name, c.Detail)
		}
	}
	// What stopped the VM, for the script it stopped in and those after.
	stopped := "the VM stopped before it"
	if bootErr != nil {
		stopped += ": " + bootErr.Error()
	}
	for _, s := range scripts {
		t.Run(s.Name, func(t *testing.T) {
			i := slices.IndexFunc(parts, func(p Part) bool { return p.Name == s.Name })
			if i < 0 {
				t.Fatal(stopped)
			}
			p := parts[i]
			t.Logf("%s", p.Output)
			if !p.Ended {
				t.Errorf("the VM stopped during this scenario: %v", bootErr)
			}
			checks := Checks(p.Output)
			if len(checks) == 0 {
				t.Errorf("no CHECK lines")
			}
			for _, c := range checks {
				if !c.OK {
					t.Errorf("CHECK %s: %s", c.Name, c.Detail)
				}
			}
		})
	}
	if bootErr != nil {
		t.Error(bootErr)
	}
	if !res.Finished {
		t.Errorf("the VM did not reach its end")
	}
}

func TestChecks(t *testing.T) {
	got := Checks("x\nCHECK a ok\n[ 1.0] noise CHECK b FAIL exit 1: why\nCHECK c\n")
	want := []Check{{"a", true, ""}, {"b", false, "exit 1: why"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Checks = %+v, want %+v", got, want)
	}
}

// TestCpio reads an archive back with cpio(1), when it is installed.
func TestCpio(t *testing.T) {
	if _, err := exec.LookPath("cpio"); err != nil {
		debtree.Missing(t, "no cpio(1)")
	}
	var buf bytes.Buffer
	c := newCpio(&buf)
	c.File("a/b/c.txt", 0o644, []byte("hello"))
	c.Symlink("a/link", "b/c.txt")
	c.Node("dev/console", 0o600, 5, 1)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("cpio", "-t", "-v", "--quiet")
	cmd.Stdin = &buf
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cpio: %v: %s", err, out)
	}
	for _, want := range []string{"drwxr-xr-x", " a/b\n", "-rw-r--r--", " a/b/c.txt\n", "a/link -> b/c.txt", "crw-------", "5,"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("cpio -t missing %q:\n%s", want, out)
		}
	}
}
