package kerneld

import (
	"os"
	"runtime/debug"
)

// An idle kerneld should cost what udevd costs (about 4 MiB resident):
// what coldplug's loads needed, the resolver with the module indexes
// mapped and touched, a heap grown for parallel decompression,
// is given back once the queue has settled, and the collector runs more
// often than Go's default for a daemon whose live heap is small.

// gcPercent is the daemon's GOGC unless the environment sets one: the
// heap may grow half again over what is live, not double.
const gcPercent = 50

// tuneGC sets the daemon's collector, leaving what GOGC says alone.
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
}

// shed closes the shared resolver if no load is using it (its indexes
// are unmapped; the next load opens them again, a millisecond or two)
// and returns the heap's free pages to the kernel.
func (d *daemon) shed() {
	d.mu.Lock()
	if e := d.engine; e != nil && e.users == 0 {
		e.r.Close()
		d.engine = nil
	}
	d.mu.Unlock()
	debug.FreeOSMemory()
}
