package vm

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modutils/modutils/internal/debtree"
)

// scenarioImage is what every scenario in testdata/vm needs.
var scenarioImage = Image{
	Modules: []string{
		// modprobe with dependencies and soft dependencies
		"btrfs", "blake2b_generic", "xxhash_generic", "crc32c_generic", "crc32c-intel",
		// small modules to load, unload, pass parameters to
		"dummy", "loop", "e1000", "virtio_rng", "virtio_pci",
		// a static node's driver (/dev/net/tun), loaded when it is opened
		"tun",
		// filesystems the kernel asks for through request_module()
		"vfat", "isofs", "minix", "ext4", "nls_cp437", "nls_utf8", "nls_ascii", "nls_iso8859-1",
		// what an unprivileged user's AF_ALG sockets make the kernel ask for
		"af_alg", "algif_hash",
	},
	// One compression each, unpacked by our modprobe (Debian 12's kernel
	// has no CONFIG_MODULE_DECOMPRESS).
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
	host   *Host
	initrd string
	err    error
}

// setup builds modutils and the image once per test binary.
func setup(t *testing.T) (*Host, string) {
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
		// user), static like everything in the image.
		helper := filepath.Join(dir, "vmhelper")
		hb := exec.Command("go", "build", "-trimpath", "-o", helper, "github.com/modutils/modutils/internal/vm/vmhelper")
		hb.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := hb.CombinedOutput(); err != nil {
			shared.err = errors.New("go build vmhelper: " + string(out))
			return
		}
		img := scenarioImage
		img.Modutils = bin
		img.Bins = map[string]string{"bin/vmhelper": helper}
		initrd := filepath.Join(dir, "initrd.gz")
		if _, err := h.Build(img, initrd); err != nil {
			shared.err = err
			return
		}
		shared.host, shared.initrd = h, initrd
	})
	if errors.Is(shared.err, ErrMissing) {
		debtree.Missing(t, "%v", shared.err)
	}
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.host, shared.initrd
}

// TestScenarios boots one VM per testdata/vm/*.sh and wants every CHECK
// it prints to be ok. VMSCENARIO=name runs only that one, VMSCRIPT=file
// a script of your own.
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("../../testdata/vm/*.sh")
	if s := os.Getenv("VMSCRIPT"); s != "" {
		files = []string{s}
	}
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios in testdata/vm: %v", err)
	}
	h, initrd := setup(t)
	only := os.Getenv("VMSCENARIO")
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".sh")
		if only != "" && only != name {
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			script, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			res, err := h.Boot(context.Background(), initrd, string(script), Options{Timeout: scriptTimeout(script)})
			if res != nil {
				t.Logf("%s: %v\n%s", name, res.Elapsed.Round(100_000_000), res.Output)
			}
			if err != nil {
				t.Fatal(err)
			}
			if !res.Finished {
				t.Errorf("the scenario did not reach its end")
			}
			checks := Checks(res.Output)
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
}

// scriptTimeout is what a scenario's "# vm-timeout: SECONDS" line asks
// for, or zero (the harness's default). Floods take minutes under tcg.
func scriptTimeout(script []byte) time.Duration {
	for _, l := range strings.Split(string(script), "\n") {
		if v, ok := strings.CutPrefix(l, "# vm-timeout: "); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	return 0
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
		t.Skip("no cpio(1)")
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
