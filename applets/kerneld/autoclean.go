package kerneld

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/modutils/modutils/kernel"
)

// ModState is what autoclean needs to know of a module kerneld loaded.
type ModState struct {
	Name    string
	Loaded  bool // still in the kernel
	Refcnt  int
	Holders int // modules using it
	Devices int // devices bound to its drivers
}

// Idle is a module nothing uses: no references (a mounted filesystem, an
// open device), no module depending on it, no device bound to it. A NIC
// whose link is down holds no reference, so the bound-device test is
// what keeps a driver for hardware that is present.
func (m ModState) Idle() bool {
	return m.Loaded && m.Refcnt == 0 && m.Holders == 0 && m.Devices == 0
}

// Sweep is one autoclean pass over the modules kerneld loaded, as a pure
// decision: a module is removed when it is idle now and was idle at an
// earlier sweep at least delay ago, with no sweep in between finding it
// busy (idleSince holds when each was first seen idle). It returns the
// names to remove, sorted, and idleSince for the next sweep.
func Sweep(states []ModState, idleSince map[string]time.Time, now time.Time, delay time.Duration) (remove []string, next map[string]time.Time) {
	next = map[string]time.Time{}
	for _, m := range states {
		if !m.Idle() {
			continue
		}
		since, seen := idleSince[m.Name]
		if seen && now.Sub(since) >= delay {
			remove = append(remove, m.Name)
			continue
		}
		if !seen {
			since = now
		}
		next[m.Name] = since
	}
	sort.Strings(remove)
	return remove, next
}

// readModState reads a module's state under root ("" for the running
// system).
func readModState(sys kernel.Sys, name string) ModState {
	m := ModState{Name: name}
	if _, err := sys.InitState(name); err != nil {
		return m
	}
	m.Loaded = true
	n, err := sys.Refcnt(name)
	if err != nil {
		// A module without refcnt cannot be unloaded at all.
		n = 1
	}
	m.Refcnt = n
	h, _ := sys.Holders(name)
	m.Holders = len(h)
	m.Devices = boundDevices(sys.Root, name)
	return m
}

// boundDevices counts the devices bound to the module's drivers:
// /sys/module/NAME/drivers/BUS:DRIVER links to the driver's directory,
// which links to each device it drives (and to its module, which is not
// a device).
func boundDevices(root, name string) int {
	drivers, _ := filepath.Glob(root + "/sys/module/" + name + "/drivers/*")
	n := 0
	for _, d := range drivers {
		ents, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if e.Type()&os.ModeSymlink == 0 || e.Name() == "module" {
				continue
			}
			if t, err := os.Readlink(filepath.Join(d, e.Name())); err == nil && strings.Contains(t, "devices/") {
				n++
			}
		}
	}
	return n
}
