package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Start-up is most of a single modprobe, insmod or rmmod (README, "Speed
// and memory"): every package linked into the binary initialises at
// every start, whatever the applet. TestInitAllocations bounds what that
// initialisation allocates, as GODEBUG=inittrace=1 reports it (counts,
// not timings): a table built or a regexp compiled at init, in our code
// or in a dependency (a command-line library for kerneld, say), fails it.
func TestInitAllocations(t *testing.T) {
	const (
		// The standard library's own, today about 11 KB: compress/flate's
		// fixed Huffman codes, hash/crc32's table, what urfave/cli links
		// (encoding/base64 through encoding/json), ... (13 KB while
		// urfave/cli's help linked text/template and with it net/netip;
		// 26 KB while regexp was linked: unicode's tables).
		maxTotalBytes = 16 << 10
		// Any package outside the standard library: ours and our
		// dependencies' (today at most 272 bytes in 5, urfave/cli's).
		maxPackageBytes  = 512
		maxPackageAllocs = 6
	)
	bin := filepath.Join(t.TempDir(), "modutils")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, argv := range [][]string{
		{"rmmod", "--version"}, {"insmod", "--version"}, {"modprobe", "--version"}, {"lsmod", "--version"},
	} {
		t.Run(argv[0], func(t *testing.T) {
			cmd := exec.Command(bin, argv...)
			cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
			out, _ := cmd.CombinedOutput()
			total := 0
			for _, line := range strings.Split(string(out), "\n") {
				// init PKG @T ms, C ms clock, B bytes, A allocs
				f := strings.Fields(line)
				if len(f) != 11 || f[0] != "init" {
					continue
				}
				pkg := f[1]
				bytes, err1 := strconv.Atoi(f[7])
				allocs, err2 := strconv.Atoi(f[9])
				if err1 != nil || err2 != nil {
					t.Fatalf("bad inittrace line %q", line)
				}
				total += bytes
				if first, _, _ := strings.Cut(pkg, "/"); strings.Contains(first, ".") &&
					(bytes > maxPackageBytes || allocs > maxPackageAllocs) {
					t.Errorf("%s: init allocates %d bytes in %d allocations: want at most %d in %d", pkg, bytes, allocs, maxPackageBytes, maxPackageAllocs)
				}
			}
			if total == 0 {
				t.Fatalf("no inittrace lines:\n%s", out)
			}
			if total > maxTotalBytes {
				t.Errorf("initialisation allocates %d bytes in all: want at most %d", total, maxTotalBytes)
			}
		})
	}
}
