package kerneld

import (
	"syscall"

	"github.com/modutils/modutils/kernel/execplan"
	"github.com/modutils/modutils/kernel/libkmod"
	"github.com/modutils/modutils/moddep"
)

// Coldplug's loads share their modules' dependencies (the virtio and USB
// cores, snd and soundcore) and their drivers (three virtio devices, one
// virtio_pci): left to the kernel, every load of such a module reads and
// checks the file and then waits in finit_module for the first one's
// init, holding one of the Parallel slots meanwhile. Instead each module
// file is inserted once at a time: the loads that need it while that
// insert runs wait for it in kerneld, holding no slot, and take its
// success as the kernel's EEXIST ("loaded already", which the plan takes
// as done). A failed insert is tried again by the next load that needs
// it, as the kernel lets a second finit_module try after the first
// failed. And a load that finds the module live once it has its slot
// (another load inserted it while this one waited) asks the kernel for
// nothing: the kernel would read the whole file and check its signature
// before it said EEXIST.

// sharedKernel is the kernel as one load of kerneld's sees it: inserts go
// through the daemon's table of inserts under way, and, with slot set,
// take one of the daemon's Parallel insert slots while in the kernel.
// The kernel's own requests take none: the init of a module holding a
// slot may be waiting for what it asked for.
type sharedKernel struct {
	execplan.Kernel
	d    *daemon
	slot bool
}

func (k sharedKernel) Insert(path, options string, flags libkmod.InsertFlags) error {
	d := k.d
	for {
		// The slot first: a load queued for one must not make the
		// kernel's request for the same module (which takes none) wait.
		if k.slot {
			d.slots <- struct{}{}
		}
		d.mu.Lock()
		c := d.inserting[path]
		if c == nil {
			c = &call{done: make(chan struct{})}
			d.inserting[path] = c
			d.mu.Unlock()
			if k.live(path) {
				c.err = syscall.EEXIST
			} else {
				d.note("insert %s", moddep.ModuleName(path))
				c.err = k.Kernel.Insert(path, options, flags)
			}
			d.mu.Lock()
			delete(d.inserting, path)
			d.mu.Unlock()
			k.free()
			close(c.done)
			return c.err
		}
		d.insertWaits++
		d.mu.Unlock()
		k.free()
		<-c.done
		d.mu.Lock()
		d.insertWaits--
		d.mu.Unlock()
		if c.err == nil || c.err == syscall.EEXIST {
			return syscall.EEXIST
		}
	}
}

// live reports whether the module at path is loaded and live already.
// A load saw it missing when it planned, but may then have waited for a
// slot while another load inserted it: asked again, the kernel would
// read the whole file and check its signature before it said EEXIST.
func (k sharedKernel) live(path string) bool {
	s, err := k.Kernel.State(moddep.ModuleName(path))
	return err == nil && s == moddep.Live
}

// free gives the slot back, if the load takes one.
func (k sharedKernel) free() {
	if k.slot {
		<-k.d.slots
	}
}
