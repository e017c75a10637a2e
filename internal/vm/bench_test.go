package vm

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modutils/modutils/internal/benchcmp"
	"github.com/modutils/modutils/internal/debtree"
)

// benchDevices are the coldplug benchmark's dozen devices, beside the
// machine's own (PIIX IDE and ACPI, the PS/2 controller, the floppy, the
// e1000 every boot has): what a small virtual machine or an old PC
// presents, with drivers that create more devices once loaded (a USB
// host and its tablet, two sound cards and their codecs, virtio's
// bus).
var benchDevices = []string{
	"-netdev", "user,id=n2", "-device", "virtio-net-pci,netdev=n2",
	"-device", "virtio-rng-pci",
	"-device", "virtio-balloon-pci",
	"-device", "i6300esb",
	"-device", "usb-ehci,id=ehci", "-device", "usb-tablet,bus=ehci.0",
	"-device", "intel-hda", "-device", "hda-duplex",
	"-device", "AC97",
}

// benchImage ships the modules of the devices qemu presents, so that
// coldplug has real work: what their modaliases resolve to in Debian's
// tree (and the modules the first drivers' devices ask for), with
// crc32c-intel for the CPU. Both sides load from the same tree and
// configuration.
var benchImage = Image{
	Modules: []string{
		"e1000", "ata_piix", "ata_generic", "i2c_piix4", "pcspkr", "serio_raw", "psmouse",
		"floppy", "qemu_fw_cfg", "button", "acpi_cpufreq", "pcc_cpufreq", "crc32c-intel",
		"virtio_pci", "virtio_net", "virtio_rng", "virtio_balloon", "i6300esb",
		"ehci_pci", "uhci_hcd", "usbhid", "hid_generic", "evdev", "joydev",
		"snd_hda_intel", "snd_hda_codec_generic", "snd_intel8x0", "sr_mod", "intel_rng",
	},
	Kmod: true,
}

// udevFiles adds Debian 12's systemd-udevd (testdata/vmbench/udev.sh
// unpacks it with its libraries) to the image's executables: the
// daemon, udevadm, the rules and helpers under /lib/udev, the libraries
// (the image's dynamic programs otherwise live under /kmod), and Debian
// 12's kmod as /udev/modprobe, the kernel's helper on that side. Nothing
// in /sbin is replaced.
func udevFiles(b *testing.B, bins map[string]string) {
	out, err := exec.Command("../../testdata/vmbench/udev.sh").CombinedOutput()
	if err != nil {
		debtree.Missing(b, "Debian 12's udev (testdata/vmbench/udev.sh): %v: %s", err, out)
	}
	root := strings.TrimSpace(string(out))
	// The packages' links are absolute (systemd-udevd -> /bin/udevadm,
	// the loader's in /lib64): followed inside root, not on this machine.
	resolve := func(p string) string {
		for range 10 {
			t, err := os.Readlink(p)
			if err != nil {
				break
			}
			if filepath.IsAbs(t) {
				p = filepath.Join(root, t)
			} else {
				p = filepath.Join(filepath.Dir(p), t)
			}
		}
		return p
	}
	bins["udev/modprobe"] = filepath.Join(root, "bin/kmod")
	bins["bin/udevadm"] = filepath.Join(root, "bin/udevadm")
	for _, dir := range []string{"lib", "lib64", "usr/lib", "etc/udev"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			if d.IsDir() && d.Name() == "gconv" {
				return filepath.SkipDir
			}
			if st, err := os.Stat(resolve(p)); err == nil && st.Mode().IsRegular() {
				bins[rel] = resolve(p)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// buildBench builds modutils (unless VMMODUTILS names one), vmclock and
// the image.
func buildBench(b *testing.B) (*Host, *Kernel, string) {
	b.Helper()
	if runtime.GOARCH != "amd64" {
		b.Skip("the VM runs Debian's amd64 kernel")
	}
	h, err := FindHost()
	if errors.Is(err, ErrMissing) {
		debtree.Missing(b, "%v", err)
	}
	if err != nil {
		b.Fatal(err)
	}
	// Debian 12's kernel, on which the numbers in the README were taken.
	k, err := h.Kernel("deb12")
	if errors.Is(err, ErrMissing) {
		debtree.Missing(b, "%v", err)
	}
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	// Built afresh (go's cache makes it quick) rather than taking the
	// tree's ./modutils, which may be older than the source.
	bin := os.Getenv("VMMODUTILS")
	if bin == "" {
		bin = filepath.Join(dir, "modutils")
		gobuild(b, bin, "github.com/modutils/modutils")
	}
	clock := filepath.Join(dir, "vmclock")
	gobuild(b, clock, "github.com/modutils/modutils/internal/vm/vmclock")
	img := benchImage
	img.Modutils = bin
	img.Bins = map[string]string{"bin/vmclock": clock}
	udevFiles(b, img.Bins)
	initrd := filepath.Join(dir, "initrd.gz")
	if _, err := h.Build(img, k, initrd); err != nil {
		b.Fatal(err)
	}
	return h, k, initrd
}

func gobuild(b *testing.B, out, pkg string) {
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if o, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build %s: %v\n%s", pkg, err, o)
	}
}

// BenchmarkColdplug boots the VM afresh for each measurement, sides
// alternating (kerneld, systemd-udevd, kerneld, ...; VMBENCHREPS boots
// each, 5 by default), and runs testdata/vmbench/coldplug.sh there:
// coldplug from the boot's own state until the last module is live, by
// kerneld or by Debian 12's systemd-udevd started as Debian's initramfs
// starts it; then each side's resident memory idle, and the kernel's own
// time to load the same modules in one modprobe -a: its wall time, and
// its CPU time over the VM's CPUs (the limit: the kernel's work, however
// parallel the loads). It
// reports the medians, checks both sides loaded the same modules, and
// records the rows of make bench's table.
func BenchmarkColdplug(b *testing.B) {
	script, err := os.ReadFile("../../testdata/vmbench/coldplug.sh")
	if err != nil {
		b.Fatal(err)
	}
	reps := 5
	if s := os.Getenv("VMBENCHREPS"); s != "" {
		if reps, err = strconv.Atoi(s); err != nil || reps < 1 {
			b.Fatalf("VMBENCHREPS=%q", s)
		}
	}
	// VMBENCHSIDES=udevd (or kerneld) boots one side alone, to look at it.
	sides := []string{"kerneld", "udevd"}
	if s := os.Getenv("VMBENCHSIDES"); s != "" {
		sides = strings.Fields(s)
	}
	// VMBENCHTRACE=1 has kerneld log every event and load (through
	// busybox's syslogd) and prints that log and the kernel's after each
	// kerneld boot: where coldplug's time goes.
	prefix := ""
	if os.Getenv("VMBENCHTRACE") != "" {
		prefix = "TRACE=1\n"
	}
	h, k, initrd := buildBench(b)
	samples := map[string][]float64{}
	modules := map[string]map[string]int{} // side -> module set -> boots
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for r := 0; r < reps; r++ {
			for _, side := range sides {
				res, err := h.Boot(context.Background(), k, initrd,
					[]Script{{Name: "coldplug-" + side, Text: prefix + "SIDE=" + side + "\n" + string(script)}},
					Options{Timeout: 600 * time.Second, QemuArgs: benchDevices})
				if res != nil && (err != nil || !res.Finished || testing.Verbose()) {
					b.Logf("%s: %v\n%s", side, res.Elapsed.Round(100*time.Millisecond), res.Output)
				}
				if err != nil {
					b.Fatal(err)
				}
				if !res.Finished {
					b.Fatal("the benchmark script did not reach its end")
				}
				for _, c := range Checks(res.Output) {
					if !c.OK {
						b.Errorf("CHECK %s: %s", c.Name, c.Detail)
					}
				}
				for _, line := range strings.Split(res.Output, "\n") {
					f := strings.Fields(line)
					switch {
					case len(f) == 3 && f[0] == "BENCH":
						v, err := strconv.ParseFloat(f[2], 64)
						if err != nil {
							b.Fatalf("bad line %q", line)
						}
						samples[f[1]] = append(samples[f[1]], v)
					case len(f) >= 2 && f[0] == "MODULES":
						if modules[f[1]] == nil {
							modules[f[1]] = map[string]int{}
						}
						modules[f[1]][strings.Join(f[2:], " ")]++
					}
				}
			}
		}
	}
	b.StopTimer()
	med := func(name string) float64 {
		s := samples[name]
		if len(s) == 0 {
			b.Fatalf("no BENCH %s lines", name)
		}
		return benchcmp.Median(s)
	}
	if len(sides) != 2 {
		for name, v := range samples {
			b.Logf("%s: median %.0f of %v", name, benchcmp.Median(v), v)
		}
		return
	}
	// The same modules on both sides, on every boot.
	if len(modules["kerneld"]) != 1 || len(modules["udevd"]) != 1 {
		b.Errorf("the modules loaded differ between boots of one side: %v", modules)
	}
	for kset := range modules["kerneld"] {
		for uset := range modules["udevd"] {
			if kset != uset {
				b.Errorf("kerneld loaded [%s], udevd [%s]", kset, uset)
			}
		}
	}
	kd, u := med("kerneld-live-us")/1000, med("udevd-live-us")/1000
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(kd/u, "coldplug-x-udevd")
	b.ReportMetric(kd, "kerneld-ms")
	b.ReportMetric(u, "udevd-ms")
	b.ReportMetric(med("kerneld-ready-us")/1000, "kerneld-ready-ms")
	b.ReportMetric(med("udevd-ready-us")/1000, "udevd-settled-ms")
	b.ReportMetric(med("kerneld-idle-rss-kB")/1024, "kerneld-idle-MiB")
	b.ReportMetric(med("udevd-idle-rss-kB")/1024, "udevd-idle-MiB")
	b.ReportMetric(med("limit-us")/1000, "limit-ms")
	b.ReportMetric(med("limit-cpu-us")/1000, "limit-cpu-ms")
	b.ReportMetric(med("kerneld-busy-pct"), "kerneld-cpus-busy-%")
	b.ReportMetric(med("udevd-busy-pct"), "udevd-cpus-busy-%")
	benchcmp.Record(b, benchcmp.Row{
		Tree: "VM, Debian 12's kernel (tcg)", Run: "coldplug of 12 devices until the last module is live (memory: idle resident)",
		Cache: "fresh boot", Other: "Debian 12's systemd-udevd", N: reps,
		OursMs: kd, OtherMs: u,
		OursMiB: med("kerneld-idle-rss-kB") / 1024, OtherMiB: med("udevd-idle-rss-kB") / 1024,
		LimitMs: med("limit-cpu-us") / 1000, Limit: "(the VM's CPU time in one `modprobe -a` of the same modules, over its 2 CPUs)", Goal: 0.5,
		When: time.Now().UTC().Format(time.DateOnly),
	})
}
