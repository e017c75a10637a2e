// Command demo is make demo-initrd: it boots Debian's kernel in qemu with an
// initramfs whose only module tools are modutils, lets them coldplug the
// VM's devices (e1000 for the network card, virtio for the random number
// generator), load a filesystem with its dependencies and remove it
// again, and prints what happened.
//
//	go run ./internal/vm/demo [-modutils ./modutils] [-start UNIXNANO]
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/modutils/modutils/internal/vm"
)

//go:embed demo.sh
var script string

func main() {
	bin := flag.String("modutils", "modutils", "the modutils binary to ship")
	since := flag.Int64("start", 0, "when make demo-initrd began, in Unix nanoseconds: the total time includes the build")
	flag.Parse()
	start := time.Now()
	if *since > 0 {
		start = time.Unix(0, *since)
	}
	if err := run(*bin, start); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		if errors.Is(err, vm.ErrMissing) {
			fmt.Fprintln(os.Stderr, "demo: make demo-initrd installs these on Debian")
		}
		os.Exit(1)
	}
}

func run(bin string, start time.Time) error {
	h, err := vm.FindHost()
	if err != nil {
		return err
	}
	// Debian 12's kernel: the demo needs nothing testdata/trixie.sh
	// makes.
	k, err := h.Kernel("deb12")
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "modutils-demo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	initrd := filepath.Join(dir, "initrd.gz")
	mods, err := h.Build(vm.Image{
		Modutils: bin,
		Modules: []string{
			"e1000", "virtio_pci", "virtio_rng", "loop", "vfat", "nls_cp437", "nls_ascii", "nls_utf8",
			"btrfs", "blake2b_generic", "xxhash_generic", "crc32c_generic",
		},
	}, k, initrd)
	if err != nil {
		return err
	}
	st, err := os.Stat(initrd)
	if err != nil {
		return err
	}
	fmt.Printf("initramfs: modutils, busybox and %d of Debian's modules for Linux %s (%.1f MiB)\n",
		len(mods), k.Version, float64(st.Size())/(1<<20))
	fmt.Printf("booting it in qemu (no KVM: emulated, so a little slow)...\n\n")
	res, err := h.Boot(context.Background(), k, initrd, []vm.Script{{Name: "demo", Text: script}}, vm.Options{
		QemuArgs: []string{"-device", "virtio-rng-pci"},
		Console: func(line string) {
			// Only the demo's own lines: not the kernel's, not init's markers.
			if strings.HasPrefix(line, "[") || strings.HasPrefix(line, "VM-") || strings.HasPrefix(line, "SCRIPT-") {
				return
			}
			fmt.Println("  " + line)
		},
	})
	if err != nil {
		return err
	}
	fmt.Println()
	if !res.Finished {
		return errors.New("the VM stopped before the demo's end")
	}
	for _, c := range vm.Checks(res.Output) {
		if !c.OK {
			return fmt.Errorf("%s: %s", c.Name, c.Detail)
		}
	}
	fmt.Printf("done in %.1f s (the VM ran for %.1f s)\n", time.Since(start).Seconds(), res.Elapsed.Seconds())
	return nil
}
