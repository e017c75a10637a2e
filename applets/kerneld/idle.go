package kerneld

import (
	"os"
	"runtime/debug"
	"time"

	"github.com/modutils/modutils/kernel"
)

// An idle kerneld should cost what udevd costs (about 4 MiB resident):
// what coldplug's loads needed, the resolver with the module indexes
// mapped and touched, a heap grown for parallel decompression,
// is given back once the queue has settled, and again whenever loads
// stop for IdleShed (a boot replays every device's uevent after kerneld
// is ready: systemd-udev-trigger, udevadm trigger), and the collector
// runs more often than Go's default for a daemon whose live heap is
// small.

// IdleShed is how long no load may have run before kerneld gives back
// what the last ones held: a burst of events is handled with the
// indexes mapped once, and the next burst maps them again in a
// millisecond or two.
const IdleShed = 2 * time.Second

// gcPercent is the daemon's GOGC unless the environment sets one: the
// heap may grow half again over what is live, not double.
const gcPercent = 50

// tuneGC sets the daemon's collector, leaving what GOGC says alone, and
// has the kernel back none of its memory with transparent huge pages
// (see kernel.NoHugePages): Debian's kernels set THP to "always", where
// a 2 MiB page of a small, scattered heap is resident whole. The install
// commands it runs inherit that, which costs them nothing that matters.
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
	kernel.NoHugePages()
}

// shed closes the shared resolver (its indexes are unmapped; the next
// load opens them again) and returns the heap's free pages to the
// kernel, unless a load is under way: the end of the last one sheds
// IdleShed later. Called first once coldplug has settled, it makes
// every later end of the loads do so.
func (d *daemon) shed() {
	d.mu.Lock()
	d.idle = true
	e := d.engine
	if e != nil && e.users > 0 {
		d.mu.Unlock()
		return
	}
	if e != nil {
		e.r.Close()
		d.engine = nil
	}
	d.mu.Unlock()
	debug.FreeOSMemory()
}

// shedLater sheds once no load has run for d.idleShed; d.mu is held.
func (d *daemon) shedLater() {
	if d.shedTimer == nil {
		d.shedTimer = time.AfterFunc(d.idleShed, d.shed)
		return
	}
	d.shedTimer.Reset(d.idleShed)
}
