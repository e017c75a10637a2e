package dist

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// proofScript runs in the booted root as a oneshot unit once kerneld is
// up: it prints what the test checks between markers and powers off.
const proofScript = `#!/bin/sh
echo PROOF-BEGIN
echo "init: $(cat /proc/1/comm)"
echo "root: $(findmnt -n -o SOURCE,FSTYPE /)"
echo "kerneld: $(systemctl show -p ActiveState --value kerneld.service) $(systemctl show -p StatusText --value kerneld.service)"
echo "kdstat:"
kdstat
echo "kdstat-exit: $?"
kdmem() { grep -E '^(VmRSS|RssAnon|RssFile|VmHWM)' /proc/$(systemctl show -p MainPID --value kerneld.service)/status | tr -s '\t ' ' ' | tr '\n' ' '; }
echo "kerneld-memory: $(kdmem)"
echo "initramfs-kerneld:"
cat /run/initramfs/kerneld.status
echo "lsmod:"
lsmod
if [ "$(systemctl show -p ActiveState --value kerneld.service)" != active ]; then
	echo "kerneld-journal:"
	journalctl -b -u kerneld.service --no-pager | tail -n 20
fi
echo PROOF-END
systemctl poweroff --no-block
`

const proofUnit = `[Unit]
Description=modutils boot proof
After=kerneld.service multi-user.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/modutils-proof
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0

[Install]
WantedBy=multi-user.target
`

// bootConsole, when set (make demo), shows the VM's console as it runs.
var bootConsole = os.Getenv("DIST_CONSOLE") != ""

// testBoot makes the root (modutils installed, its initramfs built by
// update-initramfs with kerneld in it) an ext4 image on a virtio disk,
// whose driver is a module, and boots it: the initramfs's kerneld and
// modprobe (ours) load virtio_blk and ext4, the root is mounted and
// switched to, systemd starts kerneld from its unit, which reports
// ready, loads the remaining drivers (virtio_rng's device is there for
// it, its driver is not in the initramfs) and answers kdstat.
func testBoot(t *testing.T, root, version string) {
	need(t, "qemu-system-x86_64", "mkfs.ext4")
	write := func(name, text string, mode os.FileMode) {
		t.Helper()
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("usr/local/sbin/modutils-proof", proofScript, 0o755)
	write("etc/systemd/system/modutils-proof.service", proofUnit, 0o644)
	os.MkdirAll(filepath.Join(root, "etc/systemd/system/multi-user.target.wants"), 0o755)
	if err := os.Symlink("../modutils-proof.service", filepath.Join(root, "etc/systemd/system/multi-user.target.wants/modutils-proof.service")); err != nil {
		t.Fatal(err)
	}
	// No login prompt on the console: the getty systemd starts there
	// would write it into the middle of the proof's lines.
	getty := filepath.Join(root, "etc/systemd/system/serial-getty@ttyS0.service")
	os.Remove(getty)
	if err := os.Symlink("/dev/null", getty); err != nil {
		t.Fatal(err)
	}
	// Not a first boot: systemd-firstboot would ask on the console.
	write("etc/machine-id", "6d6f6475746c732d626f6f742d70726f\n", 0o444)
	write("etc/hostname", "modutils\n", 0o644)
	write("etc/fstab", "/dev/vda / ext4 rw 0 1\n", 0o644)
	for _, d := range []string{"boot/initrd.img-" + version, "boot/vmlinuz-" + version} {
		if _, err := os.Stat(filepath.Join(root, d)); err != nil {
			t.Fatal(err)
		}
	}
	// The image is the root plus room to boot in.
	du := run(t, "du", "-sm", root)
	var mb int
	fmt.Sscan(du, &mb)
	img := filepath.Join(t.TempDir(), "root.ext4")
	run(t, "mkfs.ext4", "-q", "-F", "-L", "root", "-d", root, img, fmt.Sprintf("%dM", mb+mb/2+256))

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64",
		"-accel", "tcg", "-cpu", "max", "-smp", "2", "-m", "1024",
		"-kernel", filepath.Join(root, "boot/vmlinuz-"+version),
		"-initrd", filepath.Join(root, "boot/initrd.img-"+version),
		"-append", "root=/dev/vda rw console=ttyS0 panic=-1 systemd.firstboot=off",
		"-drive", "file="+img+",if=virtio,format=raw",
		"-device", "virtio-rng-pci",
		"-nic", "user,model=e1000",
		"-nodefaults", "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot")
	cmd.WaitDelay = 5 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var console strings.Builder
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		console.WriteString(line + "\n")
		if bootConsole {
			fmt.Println(line)
		}
	}
	io.Copy(io.Discard, stdout)
	err = cmd.Wait()
	out := console.String()
	t.Logf("boot: %v", time.Since(start).Round(time.Second))
	if err != nil || ctx.Err() != nil {
		t.Fatalf("qemu: %v %v: %s\nconsole:\n%s", err, ctx.Err(), stderr.String(), out)
	}
	checkBoot(t, out)
}

// checkBoot reads the proof's part of the console.
func checkBoot(t *testing.T, out string) {
	t.Helper()
	i, j := strings.Index(out, "PROOF-BEGIN\n"), strings.Index(out, "PROOF-END\n")
	if i < 0 || j < i {
		t.Fatalf("the proof did not run; console:\n%s", out)
	}
	proof := out[i:j]
	t.Logf("proof:\n%s", proof)
	// section is what the proof printed from the line "name:" to the
	// line that starts the next part, "end".
	section := func(name, end string) string {
		_, rest, ok := strings.Cut(proof, "\n"+name+":\n")
		if !ok {
			return ""
		}
		rest, _, _ = strings.Cut(rest, "\n"+end)
		return rest + "\n"
	}
	for _, want := range []string{
		"\ninit: systemd\n",
		"\nroot: /dev/vda ext4\n",
		"\nkerneld: active settled at uevent ",
		"\nkdstat-exit: 0\n",
	} {
		if !strings.Contains(proof, want) {
			t.Errorf("the proof has no %q", strings.TrimSpace(want))
		}
	}
	kd := section("kdstat", "kdstat-exit: ")
	if !strings.Contains(kd, "version: modutils kerneld") {
		t.Errorf("kdstat printed:\n%s", kd)
	}
	// What the real root's kerneld loaded (the drivers the initramfs
	// did not have: pcspkr, evdev...) is loaded.
	loaded := regexp.MustCompile(`(?m)^loaded: ([1-9][0-9]*): (.*)$`).FindStringSubmatch(kd)
	if loaded == nil {
		t.Errorf("the real root's kerneld loaded nothing:\n%s", kd)
	}
	initrd := section("initramfs-kerneld", "lsmod:\n")
	// virtio_blk from coldplug; ext4 from the kernel's request (fs-ext4)
	// as the root is mounted: the kernel runs our modprobe, which hands
	// it to kerneld.
	for _, m := range []string{"virtio_blk", "ext4"} {
		if !regexp.MustCompile(`(?m)^loaded: [1-9][0-9]*: .*\b` + m + `\b`).MatchString(initrd) {
			t.Errorf("the initramfs's kerneld did not load %s:\n%s", m, initrd)
		}
	}
	lsmod := section("lsmod", "kerneld-journal:\n")
	want := []string{"virtio_blk", "ext4", "virtio_rng", "e1000"}
	if loaded != nil {
		want = append(want, strings.Fields(loaded[2])...)
	}
	for _, m := range want {
		if !regexp.MustCompile(`(?m)^` + m + ` `).MatchString(lsmod) {
			t.Errorf("%s is not loaded:\n%s", m, lsmod)
		}
	}
}

// TestCheckBoot reads a console the boot printed (Debian 13's root under
// qemu, testdata/boot-trixie.console): what checkBoot accepts.
func TestCheckBoot(t *testing.T) {
	b, err := os.ReadFile("testdata/boot-trixie.console")
	if err != nil {
		t.Fatal(err)
	}
	checkBoot(t, string(b))
}
