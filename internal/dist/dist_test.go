package dist

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modutils/modutils/internal/debtree"
)

// top is the repository: mkdeb.sh runs its make install.
var top = func() string {
	d, _ := filepath.Abs("../..")
	return d
}()

var (
	debOnce sync.Once
	debPath string
	debErr  error
	debDir  string
)

func TestMain(m *testing.M) {
	debtree.MainWithTempDir(m, "modutils-dist-*", &debDir)
}

// need skips the test (fails it under CI) when a program is missing.
func need(t *testing.T, progs ...string) {
	t.Helper()
	for _, p := range progs {
		if _, err := exec.LookPath(p); err != nil {
			debtree.Missing(t, "%s is not installed (make test installs it)", p)
		}
	}
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		debtree.Missing(t, "needs root (chroot, debootstrap)")
	}
}

// deb builds the package once per test run, as make deb does.
func deb(t *testing.T) string {
	t.Helper()
	need(t, "dpkg-deb", "make")
	debOnce.Do(func() {
		cmd := exec.Command("./mkdeb.sh", debDir, "0.1.0")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			debErr = fmt.Errorf("mkdeb.sh: %v: %s", err, stderr.String())
			return
		}
		debPath = strings.TrimSpace(string(out))
	})
	if debErr != nil {
		t.Fatal(debErr)
	}
	return debPath
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// contents is dpkg-deb -c's listing: path (without the leading ".") to
// the link target, or "" for a file or directory.
func contents(t *testing.T, deb string) map[string]string {
	t.Helper()
	files := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(run(t, "dpkg-deb", "-c", deb)), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 {
			t.Fatalf("dpkg-deb -c: odd line %q", line)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(f[5], "."), "/")
		target := ""
		if len(f) == 8 && f[6] == "->" {
			target = f[7]
		}
		if name != "" {
			files[name] = target
		}
	}
	return files
}

// kmodDeb is Debian 13's kmod package, which testdata/trixie.sh keeps.
func kmodDeb(t *testing.T) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(debtree.TrixieDir(), "kmod/debs/kmod_*.deb"))
	if len(m) != 1 {
		debtree.Missing(t, "Debian 13's kmod package (testdata/trixie.sh)")
	}
	return m[0]
}

// TestPackage checks the package's metadata and that it ships what
// kmod 34.2's package does (its configuration, its names) and whatever
// make install installs.
func TestPackage(t *testing.T) {
	p := deb(t)
	ctl := run(t, "dpkg-deb", "-f", p, "Package", "Provides", "Conflicts", "Replaces", "Architecture")
	for _, want := range []string{
		"Package: modutils", "Provides: kmod (= 34.2)", "Conflicts: kmod", "Replaces: kmod",
		"Architecture: " + strings.TrimSpace(run(t, "dpkg", "--print-architecture")),
	} {
		if !strings.Contains(ctl, want) {
			t.Errorf("control: no %q in\n%s", want, ctl)
		}
	}
	got := contents(t, p)
	links := map[string]string{
		"/usr/bin/kmod":  "modutils",
		"/usr/bin/lsmod": "modutils",
	}
	for _, a := range []string{"depmod", "insmod", "lsmod", "modinfo", "modprobe", "rmmod", "kerneld", "kdstat"} {
		links["/usr/sbin/"+a] = "../bin/modutils"
	}
	for name, target := range links {
		if got[name] != target {
			t.Errorf("%s: links to %q, want %q", name, got[name], target)
		}
	}
	for _, name := range []string{
		"/usr/bin/modutils",
		"/usr/lib/systemd/system/kerneld.service",
		"/etc/init.d/kerneld",
		"/usr/share/initramfs-tools/hooks/modutils",
		"/usr/share/initramfs-tools/scripts/init-top/kerneld",
		"/usr/share/initramfs-tools/scripts/init-bottom/kerneld",
		"/etc/modutils/initramfs.conf",
		"/usr/lib/initcpio/install/modutils",
		"/usr/share/doc/modutils/copyright",
	} {
		if _, ok := got[name]; !ok {
			t.Errorf("the package has no %s", name)
		}
	}
	// kmod's hook copies /usr/bin/kmod by name: it must go with kmod.
	if _, ok := got["/usr/share/initramfs-tools/hooks/kmod"]; ok {
		t.Errorf("the package ships kmod's initramfs hook")
	}
	// kmod 34.2's configuration and its tools' names, but not its
	// documentation (ours is make install's, below).
	for name := range contents(t, kmodDeb(t)) {
		if strings.HasPrefix(name, "/usr/share/") || name == "/usr/lib" || name == "/usr/bin" || name == "/usr/sbin" || name == "/usr" || name == "/etc" {
			continue
		}
		if _, ok := got[name]; !ok {
			t.Errorf("kmod 34.2's package has %s, ours not", name)
		}
	}
	// Whatever make install installs (man pages and completions too) is
	// in the package, man pages compressed.
	stage := t.TempDir()
	run(t, "make", "-C", top, "--no-print-directory", "-s", "install", "DESTDIR="+stage, "PREFIX=/usr")
	filepath.Walk(stage, func(path string, info os.FileInfo, err error) error {
		if err != nil || path == stage {
			return err
		}
		name := strings.TrimPrefix(path, stage)
		if strings.HasPrefix(name, "/usr/share/man/") && !strings.HasSuffix(name, ".gz") && !info.IsDir() {
			name += ".gz"
		}
		// bash-completion's package has these: mkdeb.sh leaves ours out.
		switch strings.TrimPrefix(name, "/usr/share/bash-completion/completions/") {
		case "insmod", "modinfo", "modprobe", "rmmod":
			if _, ok := got[name]; ok {
				t.Errorf("the package has %s, which bash-completion's has too", name)
			}
			return nil
		}
		if _, ok := got[name]; !ok {
			t.Errorf("make install installs %s, the package has no %s", strings.TrimPrefix(path, stage), name)
		}
		return nil
	})
}

// suite is one Debian release the package is installed into.
type suite struct {
	name      string // debootstrap's
	kernelDeb string // the kernel package installed in the root
	kerneld   bool   // KERNELD=yes in the initramfs
	boot      bool   // the root boots in qemu
}

var suites = []suite{
	{name: "bookworm", kernelDeb: filepath.Join(debtree.CacheDir(), "deb")},
	{name: "trixie", kernelDeb: filepath.Join(debtree.TrixieDir(), "current", "deb"), kerneld: true, boot: true},
}

// TestDebian installs the package with apt in a throwaway root of each
// suite, which removes kmod; then the real update-initramfs builds an
// image with modutils in it, kmod static-nodes works, systemd-analyze
// verify accepts the unit, and Debian 13's root boots.
func TestDebian(t *testing.T) {
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) { testSuite(t, s) })
	}
}

// chroot runs a command in the root and returns its stdout and stderr
// together (systemd-analyze reports on stderr).
func chroot(t *testing.T, root string, args ...string) string {
	t.Helper()
	stdout, stderr := chroot2(t, root, args...)
	return stdout + stderr
}

// chroot2 keeps them apart: systemctl warns on stderr that /proc is not
// mounted in the root.
func chroot2(t *testing.T, root string, args ...string) (string, string) {
	t.Helper()
	cmd := exec.Command("chroot", append([]string{root}, args...)...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C.UTF-8")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("in %s: %s: %v\n%s%s", filepath.Base(root), strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), stderr.String()
}

var tmpfilesLine = regexp.MustCompile(`^(d /dev/\S+ 0755 - - -|[cb]! /dev/\S+ 0600 - - - \d+:\d+)$`)

func testSuite(t *testing.T, s suite) {
	needRoot(t)
	need(t, "debootstrap", "chroot", "dpkg-deb")
	if _, err := os.Stat(s.kernelDeb); err != nil {
		debtree.Missing(t, "the kernel package %s (testdata/*.sh)", s.kernelDeb)
	}
	p := deb(t)
	cmd := exec.Command("./mkroot.sh", s.name, s.kernelDeb)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("mkroot.sh %s: %v", s.name, err)
	}
	cached := strings.TrimSpace(string(out))
	version := strings.TrimPrefix(strings.TrimSpace(run(t, "dpkg-deb", "-f", s.kernelDeb, "Package")), "linux-image-")

	root := filepath.Join(t.TempDir(), "root")
	run(t, "cp", "-a", cached, root)
	run(t, "cp", p, filepath.Join(root, "tmp/modutils.deb"))

	// apt swaps kmod out, and nothing that depends on kmod is left
	// unsatisfied.
	out2 := chroot(t, root, "apt-get", "install", "-y", "/tmp/modutils.deb")
	if !strings.Contains(out2, "Removing kmod") {
		t.Errorf("apt-get install did not remove kmod:\n%s", out2)
	}
	chroot(t, root, "apt-get", "check")
	if st, _ := chroot2(t, root, "dpkg-query", "-W", "-f", "${db:Status-Abbrev}", "modutils"); !strings.HasPrefix(st, "ii") {
		t.Errorf("modutils is %q after apt-get install, want ii", st)
	}
	if st, _ := exec.Command("chroot", root, "dpkg-query", "-W", "-f", "${db:Status-Abbrev}", "kmod").Output(); strings.HasPrefix(string(st), "ii") {
		t.Errorf("kmod is still installed")
	}
	for _, f := range []string{"usr/share/initramfs-tools/hooks/kmod", "usr/lib/modprobe.d/aliases.conf", "etc/modules"} {
		_, err := os.Lstat(filepath.Join(root, f))
		if want := f != "usr/share/initramfs-tools/hooks/kmod"; (err == nil) != want {
			t.Errorf("/%s: exists %v, want %v", f, err == nil, want)
		}
	}
	if v, _ := chroot2(t, root, "modprobe", "-V"); !strings.Contains(v, "kmod version 34") {
		t.Errorf("modprobe -V in the root: %q", v)
	}

	if s.kerneld {
		conf := filepath.Join(root, "etc/modutils/initramfs.conf")
		b, err := os.ReadFile(conf)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(conf, bytes.Replace(b, []byte("\nKERNELD=no\n"), []byte("\nKERNELD=yes\n"), 1), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	chroot(t, root, "update-initramfs", "-c", "-k", version)
	t.Logf("update-initramfs -c -k %s: %v", version, time.Since(start).Round(time.Second))
	image := "/boot/initrd.img-" + version
	list, _ := chroot2(t, root, "lsinitramfs", "-l", image)
	wantIn := []string{"usr/bin/modutils", "usr/sbin/modprobe -> ../bin/modutils", "usr/bin/kmod -> modutils",
		"usr/lib/modprobe.d/aliases.conf", "scripts/init-top/kerneld", "scripts/init-bottom/kerneld"}
	if s.kerneld {
		wantIn = append(wantIn, "conf/kerneld.conf")
	}
	for _, w := range wantIn {
		if !strings.Contains(list, " "+w+"\n") {
			t.Errorf("%s has no %s", image, w)
		}
	}

	// kmod static-nodes reads the running kernel's modules.devname: the
	// root's kernel stands in for this machine's.
	uname := strings.TrimSpace(run(t, "uname", "-r"))
	if uname != version {
		os.Symlink(version, filepath.Join(root, "lib/modules", uname))
	}
	nodes, _ := chroot2(t, root, "kmod", "static-nodes", "--format=tmpfiles")
	lines := strings.Split(strings.TrimSpace(nodes), "\n")
	if len(lines) < 5 {
		t.Errorf("kmod static-nodes --format=tmpfiles printed too little:\n%s", nodes)
	}
	for _, l := range lines {
		if !tmpfilesLine.MatchString(l) {
			t.Errorf("kmod static-nodes --format=tmpfiles: odd line %q", l)
		}
	}
	os.Remove(filepath.Join(root, "lib/modules", uname))

	// systemd-analyze verify: man=no, as the root has no man-db.
	if v := chroot(t, root, "systemd-analyze", "verify", "--man=no", "kerneld.service"); strings.Contains(v, "kerneld") {
		t.Errorf("systemd-analyze verify kerneld.service:\n%s", v)
	}
	if en, _ := chroot2(t, root, "systemctl", "is-enabled", "kerneld.service"); strings.TrimSpace(en) != "enabled" {
		t.Errorf("kerneld.service is %q after install, want enabled", en)
	}

	if s.boot {
		t.Run("boot", func(t *testing.T) { testBoot(t, root, version) })
	}
}
