package benchcmp_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/modutils/modutils/internal/benchcmp"
	"github.com/modutils/modutils/internal/debtree"
	"github.com/modutils/modutils/moddep/modcache"
)

// reps is how many paired runs a row takes: BENCHREPS, else n.
func reps(b *testing.B, n int) int {
	if s := os.Getenv("BENCHREPS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			b.Fatalf("BENCHREPS=%q", s)
		}
		return v
	}
	return n
}

// depmodReps is the paired runs of a depmod row (and its limit's):
// BENCHDEPMODREPS, else 3. A whole tree takes seconds a run.
func depmodReps(b *testing.B) int {
	if s := os.Getenv("BENCHDEPMODREPS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			b.Fatalf("BENCHDEPMODREPS=%q", s)
		}
		return v
	}
	return 3
}

var trees = []string{"deb13.ko.xz", "deb12.ko", "deb12.ko.zst", "deb12.ko.xz"}

func tree(b *testing.B, name string) debtree.Tree {
	if name == "deb13.ko.xz" {
		return debtree.Trixie(b)
	}
	return debtree.Get(b, name[len("deb12."):])
}

// decoders undo a tree's compression at C speed, one core each (the
// system's xz is liblzma 5.4, Debian 12's).
var decoders = map[string]string{"ko": "cat", "ko.xz": "xz -dc -T1", "ko.zst": "zstd -dcq"}

// depmodLimit is the least time depmod over tree can take here: reading
// every module (cold, from the disk) and decoding them all at C speed on
// every core, whichever is longer.
func depmodLimit(b *testing.B, t debtree.Tree, cold bool) (float64, string) {
	files := fmt.Sprintf("find -L %s -name '*.%s' -print0 | xargs -0 cat", t.ModDir(), t.Flavour)
	read := benchcmp.Floor(b, cold, depmodReps(b), benchcmp.Cmd{Path: "sh", Args: []string{"-c", files + " >/dev/null"}})
	dec := benchcmp.Floor(b, false, depmodReps(b), benchcmp.Cmd{Path: "sh", Args: []string{"-c", files + " | " + decoders[t.Flavour] + " >/dev/null"}})
	n := runtime.NumCPU()
	perCore := dec / time.Duration(n)
	if read > perCore {
		return benchcmp.Ms(read), "(reading every module)"
	}
	return benchcmp.Ms(perCore), fmt.Sprintf("(`%s` of every module, %s, / %d cores)", decoders[t.Flavour], dec.Round(10*time.Millisecond), n)
}

// execFloor is the wall time of a static program that does nothing
// (busybox's true): what any tool pays to be started.
func execFloor(b *testing.B, cold bool) time.Duration {
	bb, err := exec.LookPath("busybox")
	if err != nil {
		debtree.Missing(b, "busybox (apt-get install busybox-static)")
	}
	return benchcmp.Floor(b, cold, 20, benchcmp.Cmd{Path: bb, Args: []string{"true"}})
}

// BenchmarkTable makes the rows of make bench's table that run on this
// machine: every tool against kmod 34.2's, on Debian 13's tree and
// Debian 12's, cold and warm. insmod and rmmod run their whole start-up
// path here but no kernel accepts a module on this machine (insmod's
// finit_module fails, rmmod finds the module not loaded), on both sides
// alike.
func BenchmarkTable(b *testing.B) {
	ours := benchcmp.Binary(b)
	kmod := func(tool string) string { return debtree.Kmod(b, tool) }
	caches := []bool{true, false}
	cacheName := map[bool]string{true: "cold", false: "warm"}
	views := b.TempDir()
	// Our module cache is the benchmark's own: a cold run removes it.
	cache := filepath.Join(b.TempDir(), "cache")
	for _, name := range trees {
		t := tree(b, name)
		for _, cold := range caches {
			b.Run("depmod/"+name+"/"+cacheName[cold], func(b *testing.B) {
				kv, ov := debtree.View(b, t), debtree.View(b, t)
				r := benchcmp.Pair(b, name, "`depmod` whole tree", cold, depmodReps(b),
					benchcmp.Cmd{Path: kmod("depmod"), Args: []string{"-b", kv.Root, t.Version}},
					benchcmp.Cmd{Path: ours, Args: []string{"depmod", "-b", ov.Root, t.Version}, Cache: cache})
				r.LimitMs, r.Limit = depmodLimit(b, t, cold)
				if name == "deb13.ko.xz" {
					r.Goal = map[bool]float64{true: 0.6, false: 0.05}[cold]
				}
				benchcmp.Report(b, r)
			})
		}
		if name == "deb13.ko.xz" {
			depmodChanged(b, t, cache)
		}
	}

	// One view of each tree with kmod's indexes for the lookups.
	indexed := map[string]debtree.Tree{}
	view := func(b *testing.B, name string) debtree.Tree {
		if v, ok := indexed[name]; ok {
			return v
		}
		v, err := debtree.ViewIn(filepath.Join(views, name), tree(b, name))
		if err != nil {
			b.Fatal(err)
		}
		if out, err := exec.Command(kmod("depmod"), "-b", v.Root, v.Version).CombinedOutput(); err != nil {
			b.Fatalf("kmod depmod: %v\n%s", err, out)
		}
		indexed[name] = v
		return v
	}
	conf := b.TempDir()
	for _, name := range []string{"deb13.ko.xz", "deb12.ko.xz"} {
		for _, cold := range caches {
			b.Run("modinfo/"+name+"/"+cacheName[cold], func(b *testing.B) {
				v := view(b, name)
				if !cold {
					// Warm is a system whose depmod filled the module cache
					// (at the kernel's installation): modinfo reads it, and
					// only depmod writes it.
					benchcmp.Time(b, benchcmp.Cmd{Path: ours, Args: []string{"depmod", "-b", v.Root, v.Version}, Cache: cache})
				}
				args := []string{"-b", v.Root, "-k", v.Version, "btrfs"}
				r := benchcmp.Pair(b, name, "`modinfo btrfs` (.ko.xz)", cold, reps(b, 20),
					benchcmp.Cmd{Path: kmod("modinfo"), Args: args},
					benchcmp.Cmd{Path: ours, Args: append([]string{"modinfo"}, args...), Cache: cache})
				ko := filepath.Join(v.ModDir(), "kernel/fs/btrfs/btrfs.ko.xz")
				dec := benchcmp.Floor(b, cold, 10, benchcmp.Cmd{Path: "xz", Args: []string{"-dc", "-T1", ko}})
				r.LimitMs = benchcmp.Ms(execFloor(b, cold) + dec - xzStart(b))
				r.Limit = "(start-up + liblzma decoding)"
				r.Goal = map[bool]float64{true: 0.9, false: 0.3}[cold]
				benchcmp.Report(b, r)
			})
		}
	}
	for _, q := range []struct{ name, run string }{
		{"show-depends", "`modprobe -D btrfs`"},
		{"resolve-alias", "`modprobe -R` PCI modalias"},
		{"insmod", "`insmod dummy.ko.xz` (refused)"},
		{"rmmod", "`rmmod dummy` (not loaded)"},
	} {
		for _, cold := range caches {
			b.Run(q.name+"/"+cacheName[cold], func(b *testing.B) {
				v := view(b, "deb13.ko.xz")
				var tool string
				var args []string
				exit := 0
				switch q.name {
				case "show-depends":
					tool, args = "modprobe", []string{"-C", conf, "-d", v.Root, "-S", v.Version, "-D", "btrfs"}
				case "resolve-alias":
					tool, args = "modprobe", []string{"-C", conf, "-d", v.Root, "-S", v.Version, "-R",
						"pci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00"}
				case "insmod":
					tool, args, exit = "insmod", []string{filepath.Join(v.ModDir(), "kernel/drivers/net/dummy.ko.xz")}, 1
				case "rmmod":
					tool, args, exit = "rmmod", []string{"dummy"}, 1
				}
				r := benchcmp.Pair(b, "deb13.ko.xz", q.run, cold, reps(b, 30),
					benchcmp.Cmd{Path: kmod(tool), Args: args, Exit: exit},
					benchcmp.Cmd{Path: ours, Args: append([]string{tool}, args...), Exit: exit, Cache: cache})
				r.LimitMs, r.Limit = benchcmp.Ms(execFloor(b, cold)), "(start-up of a static program)"
				r.Goal = 0.8
				benchcmp.Report(b, r)
			})
		}
	}
}

// depmodChanged makes the rows of a depmod run again over a tree that
// changed since our module cache was filled (the cache is the one the
// rows before left, over the whole tree t): the tree with one module
// added, as DKMS installs one (a module of Debian 12's in updates/dkms;
// the cache is put back before each of our runs, so the module is new
// each time), and a copy of every third module under another root, as
// initramfs-tools' depmod -b DESTDIR reads it. kmod has no cache: its
// runs are warm in the page cache only.
func depmodChanged(b *testing.B, t debtree.Tree, cache string) {
	ours := benchcmp.Binary(b)
	kmod := debtree.Kmod(b, "depmod")
	fill := debtree.View(b, t)
	benchcmp.Time(b, benchcmp.Cmd{Path: ours, Args: []string{"depmod", "-b", fill.Root, t.Version}, Cache: cache})
	file := filepath.Join(cache, modcache.FileName)
	filled, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	restore := func() {
		if err := os.WriteFile(file, filled, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("depmod/deb13.ko.xz/one-added", func(b *testing.B) {
		data, err := os.ReadFile(filepath.Join(debtree.Get(b, "ko.xz").ModDir(), "kernel/drivers/net/dummy.ko.xz"))
		if err != nil {
			b.Fatal(err)
		}
		kv, ov := debtree.View(b, t), debtree.View(b, t)
		debtree.AddModule(b, "updates/dkms/dummy.ko.xz", data, kv, ov)
		r := benchcmp.Pair(b, "deb13.ko.xz", "`depmod` whole tree, one module added (DKMS)", false, depmodReps(b),
			benchcmp.Cmd{Path: kmod, Args: []string{"-b", kv.Root, t.Version}},
			benchcmp.Cmd{Path: ours, Args: []string{"depmod", "-b", ov.Root, t.Version}, Cache: cache, Before: restore})
		r.Goal = 0.05
		benchcmp.Report(b, r)
	})
	b.Run("depmod/deb13.ko.xz/subset-copy", func(b *testing.B) {
		restore()
		kr, or := b.TempDir(), b.TempDir()
		debtree.SubsetCopy(b, t, 3, kr, or)
		r := benchcmp.Pair(b, "deb13.ko.xz", "`depmod -b` copy of every third module (initramfs)", false, depmodReps(b),
			benchcmp.Cmd{Path: kmod, Args: []string{"-b", kr, t.Version}},
			benchcmp.Cmd{Path: ours, Args: []string{"depmod", "-b", or, t.Version}, Cache: cache, Before: restore})
		r.Goal = 0.05
		benchcmp.Report(b, r)
	})
}

// xzStart is xz's own start-up: its wall time on an empty stream.
func xzStart(b *testing.B) time.Duration {
	empty := filepath.Join(b.TempDir(), "empty.xz")
	out, err := exec.Command("sh", "-c", "printf '' | xz -c >"+empty).CombinedOutput()
	if err != nil {
		b.Fatalf("xz: %v: %s", err, out)
	}
	return benchcmp.Floor(b, false, 10, benchcmp.Cmd{Path: "xz", Args: []string{"-dc", empty}})
}
