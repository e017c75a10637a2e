package vm

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modutils/modutils/internal/debtree"
)

// benchImage ships the modules of the devices qemu presents (as the VM is
// booted: -nodefaults and one e1000), so that coldplug has real work: what
// modprobe -R resolves each /sys/bus/*/devices/*/modalias to in Debian's
// tree, and crc32c-intel for the CPU.
var benchImage = Image{
	Modules: []string{
		"e1000", "ata_piix", "ata_generic", "i2c_piix4", "pcspkr", "serio_raw", "psmouse",
		"floppy", "qemu_fw_cfg", "button", "acpi_cpufreq", "pcc_cpufreq", "crc32c-intel",
	},
	Kmod: true,
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

// BenchmarkColdplug boots the VM once per iteration and runs
// testdata/vmbench/coldplug.sh there: kerneld's coldplug against a
// udev-style loop of kmod's modprobe -b, each from no modules loaded,
// alternately (VMBENCHREPS times, 5 by default), and kerneld's resident
// memory idle after coldplug. It reports the medians.
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
	h, k, initrd := buildBench(b)
	samples := map[string][]float64{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := h.Boot(context.Background(), k, initrd,
			[]Script{{Name: "coldplug", Text: "REPS=" + strconv.Itoa(reps) + "\n" + string(script)}},
			Options{Timeout: time.Duration(60+20*reps) * time.Second})
		if res != nil && (err != nil || !res.Finished || testing.Verbose()) {
			b.Logf("%v\n%s", res.Elapsed.Round(100*time.Millisecond), res.Output)
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
			if len(f) != 3 || f[0] != "BENCH" {
				continue
			}
			v, err := strconv.ParseFloat(f[2], 64)
			if err != nil {
				b.Fatalf("bad line %q", line)
			}
			samples[f[1]] = append(samples[f[1]], v)
		}
	}
	b.StopTimer()
	med := func(name string) float64 {
		s := samples[name]
		if len(s) == 0 {
			b.Fatalf("no BENCH %s lines", name)
		}
		slices.Sort(s)
		return s[len(s)/2]
	}
	kd, u := med("kerneld-coldplug-us")/1000, med("udevloop-us")/1000
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(kd/u, "coldplug-x-udevloop")
	b.ReportMetric(kd, "kerneld-coldplug-ms")
	b.ReportMetric(u, "udevloop-ms")
	b.ReportMetric(med("idle-rss-kB")/1024, "idle-rss-MiB")
}
