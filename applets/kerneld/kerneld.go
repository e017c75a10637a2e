// Package kerneld is the kernel module daemon of Linux 1.3-2.1, rebuilt
// for today's kernels. The old kerneld answered the kernel's requests
// over a System V message queue and unloaded idle modules every minute.
// Today the kernel runs modprobe itself and announces devices through
// uevents, so this kerneld:
//
//   - listens to the kernel's uevents (NETLINK_KOBJECT_UEVENT) and loads
//     the modules of every device that appears (hotplug), after loading
//     those of every device already present (coldplug), as "modprobe -b"
//     would, in process;
//   - answers the kernel's own requests ("modprobe -q -- NAME"), which
//     modprobe hands over through kerneld's socket;
//   - unloads the modules it loaded once they have stayed idle (autoclean),
//     through their modprobe.d remove commands where they have one;
//   - makes the device nodes modules.devname lists (/dev/net/tun,
//     /dev/loop-control...) where they are missing, at start, so that
//     opening one makes the kernel ask for its driver;
//   - reports and takes commands from kdstat over that socket.
package kerneld

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/internal/libc"
	"github.com/modutils/modutils/kernel"
	"github.com/modutils/modutils/kernel/execplan"
	"github.com/modutils/modutils/kernel/kdsock"
	"github.com/modutils/modutils/kernel/libkmod"
	"github.com/modutils/modutils/modconf"
	"github.com/modutils/modutils/moddep"
	"github.com/modutils/modutils/moddep/probe"
)

// Version is what kdstat reports.
const Version = "modutils kerneld 1 (kmod version 34.2)"

// readyEnv marks the background child and names its readiness pipe.
const readyEnv = "KERNELD_READY_FD"

// Parallel bounds how many device loads are in the kernel at once, for
// coldplug and hotplug together (the kernel's own requests are not
// bounded: the init of a module holding a slot may be waiting for what
// it asked for). A load spends its time in the kernel, mostly waiting: a
// driver's probe resets its hardware. Four of them let one slow driver
// (virtio_pci probing three devices, e1000 reading its EEPROM) hold
// coldplug up for seconds; ten is the fewest workers systemd-udevd runs
// on any machine.
const Parallel = 10

// Planned bounds how many of coldplug's requests are under way at once:
// most need no slot for long (no module stands for the device, or it is
// loaded already) or wait for another load's insert of the same module,
// holding none (see sharedKernel).
const Planned = 4 * Parallel

// Options are kerneld's settings.
type Options struct {
	Debug, Keep, Foreground bool
	Delay                   time.Duration
	Socket                  string // kdsock.Path
	Root                    string // "" for the running system; tests use a fake /sys
	// NotifySocket is the service manager's NOTIFY_SOCKET, "" for none.
	NotifySocket string
	// SettleTimeout bounds waiting for the uevent queue to settle
	// before kerneld says it is ready anyway.
	SettleTimeout time.Duration
}

// SettleTimeout is how long kerneld waits, at most, for the uevents of
// the devices the first drivers create: udevadm settle's default is 120
// seconds; a boot that takes this long has a device that never settles.
const SettleTimeout = 30 * time.Second

// Run is the kerneld applet.
func Run(env *applet.Env, args []string) int {
	o, code, ok := commandLine(env, args)
	if !ok {
		return code
	}
	readyFD := os.Getenv(readyEnv)
	if !o.Foreground && readyFD == "" {
		return background(env, args)
	}
	var ready *os.File
	if readyFD != "" {
		os.Unsetenv(readyEnv)
		if n, err := strconv.Atoi(readyFD); err == nil {
			ready = os.NewFile(uintptr(n), "ready")
		}
	}
	// What kerneld runs (install commands) must not speak for it to
	// the service manager, as sd_notify(3)'s unset_environment says.
	o.NotifySocket, _ = env.Lookup("NOTIFY_SOCKET")
	os.Unsetenv("NOTIFY_SOCKET")
	if env.KerneldSocket != "" && o.Socket == kdsock.Path {
		o.Socket = env.KerneldSocket
	}
	d := newDaemon(o)
	if env.Sys != nil {
		d.sys = *env.Sys
	}
	d.allowedUID.Store(env.KerneldUID)
	d.clock = env.Time()
	d.start = d.clock.Now()
	if ready != nil {
		sl := kernel.OpenSyslog("kerneld")
		d.logOut = func(level diag.Level, msg string) { sl.Write(int(level), msg) }
	} else {
		d.logOut = func(_ diag.Level, msg string) { fmt.Fprintf(env.Stderr, "kerneld: %s", msg) }
	}
	return d.main(ready)
}

// background starts kerneld again as a child in a session of its own, and
// returns once it says it is ready (sockets open, coldplug done) or has
// died: a boot script that starts kerneld can then rely on it.
func background(env *applet.Env, args []string) int {
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(env.Stderr, "kerneld: %v\n", err)
		return 1
	}
	// Executing a link named kerneld (as installed) makes the process's
	// name kerneld in ps and /proc/PID/comm, as it was in 1996.
	exe := "/proc/self/exe"
	if p, err := exec.LookPath(env.Argv0); err == nil && filepath.Base(p) == "kerneld" {
		exe = p
	}
	devnull, err := os.OpenFile("/dev/null", os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintf(env.Stderr, "kerneld: %v\n", err)
		return 1
	}
	cmd := &exec.Cmd{
		Path:        exe,
		Args:        append([]string{"kerneld"}, args...),
		Env:         append(os.Environ(), readyEnv+"=3"),
		Stdin:       devnull,
		Stdout:      devnull,
		Stderr:      devnull,
		ExtraFiles:  []*os.File{w},
		Dir:         "/",
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(env.Stderr, "kerneld: %v\n", err)
		return 1
	}
	w.Close()
	devnull.Close()
	msg, _ := io.ReadAll(r)
	if string(msg) != "ready\n" {
		// The child says why it failed, or died without a word.
		cmd.Wait()
		if len(msg) == 0 {
			msg = []byte("kerneld: the daemon died while starting\n")
		}
		env.Stderr.Write(msg)
		return 1
	}
	cmd.Process.Release()
	return 0
}

// daemon is kerneld's state; mu guards everything below it.
type daemon struct {
	o      Options
	sys    kernel.Sys
	clock  applet.Clock // what autoclean's idle times and the log's are read on
	logOut func(level diag.Level, msg string)
	start  time.Time
	// load loads what a name stands for, and loadListed what a boot
	// list names; tests replace them.
	load       func(name string, blacklist bool) error
	loadListed func(m modconf.ModuleToLoad) error
	// mknod makes the static nodes; tests replace it.
	mknod kernel.Mknoder

	mu        sync.Mutex
	events    int
	requests  int
	rejected  int
	overflows int
	loaded    map[string]time.Time // modules kerneld loaded and has not removed
	failed    *failures
	removed   *removals
	nodes     []*madeNode // static nodes kerneld made, by name
	idleSince map[string]time.Time
	queue     int
	inflight  map[string]*call
	// inserting is the module files being inserted, by path, and slots
	// bounds how many device loads are in the kernel at once (see
	// sharedKernel); insertWaits counts the loads waiting for another's
	// insert.
	inserting   map[string]*call
	slots       chan struct{}
	insertWaits int
	watchers    map[chan string]bool
	kick        chan struct{} // the autoclean settings changed
	panics      int
	// kept are modules kerneld loaded that autoclean must leave, with
	// why: what the boot lists name, and drivers whose users hold no
	// reference on them (see keepReason).
	kept map[string]string
	// rescanning is a rescan of /sys under way; rescanAgain asks it to
	// run once more when done, for overflows that came meanwhile.
	rescanning, rescanAgain bool
	rescans                 int
	// work feeds the hotplug workers, Parallel of them; it never blocks
	// the uevent reader (see enqueue).
	work chan string
	// lastSeq is the highest SEQNUM of the uevents taken; pending counts
	// those of them queued or loading. Together with the kernel's
	// uevent_seqnum they say when the queue has settled; progress is
	// poked whenever either changes, or a rescan ends.
	lastSeq  uint64
	pending  int
	progress chan struct{}
	// clients bounds the connections served at once.
	clients chan struct{}
	// allowedUID is who may talk to kerneld (zero: root); tests change
	// it while handlers run.
	allowedUID atomic.Uint32

	// engine is the resolver every load shares; gen counts reloads, and
	// an engine of an older generation is replaced when next taken, and
	// closed once its last load is done.
	engine   *engine
	gen      int
	dir      string
	depMtime time.Time
	// idle is set once coldplug has settled: from then on the end of
	// the last load under way arms shedTimer (see shed).
	idle      bool
	idleShed  time.Duration
	shedTimer *time.Timer
}

// engine is one generation's resolver and how many loads use it.
type engine struct {
	r     *moddep.Resolver
	gen   int
	users int
}

type call struct {
	done chan struct{}
	err  error
}

func newDaemon(o Options) *daemon {
	clock := (&applet.Env{}).Time()
	d := &daemon{o: o, sys: kernel.Sys{Root: o.Root}, clock: clock, start: clock.Now(),
		loaded: map[string]time.Time{}, failed: newFailures(MaxFailures), removed: newRemovals(MaxRemovals),
		idleSince: map[string]time.Time{}, inflight: map[string]*call{}, inserting: map[string]*call{},
		slots: make(chan struct{}, Parallel), watchers: map[chan string]bool{},
		kick: make(chan struct{}, 1),
		work: make(chan string, QueueSize), clients: make(chan struct{}, MaxClients),
		progress: make(chan struct{}, 1), kept: map[string]string{}, idleShed: IdleShed}
	d.load = d.modprobe
	d.loadListed = d.modprobeListed
	d.mknod = kernel.Nodes{}
	return d
}

// logf logs at level: errors always, the rest only under debug.
func (d *daemon) logf(level diag.Level, format string, args ...any) {
	d.mu.Lock()
	debug := d.o.Debug
	d.mu.Unlock()
	if level > diag.Err && !debug {
		return
	}
	if d.logOut != nil {
		d.logOut(level, fmt.Sprintf(format, args...))
	}
}

// note logs a debug line and sends it to every kdstat watch.
func (d *daemon) note(format string, args ...any) {
	line := d.clock.Now().Format("15:04:05.000 ") + fmt.Sprintf(format, args...)
	d.logf(diag.Debug, "%s\n", line)
	d.mu.Lock()
	defer d.mu.Unlock()
	for ch := range d.watchers {
		select {
		case ch <- line:
		default: // a watcher too slow to keep up loses lines, not kerneld
		}
	}
}

func (d *daemon) main(ready *os.File) int {
	fail := func(format string, args ...any) int {
		msg := fmt.Sprintf("kerneld: "+format+"\n", args...)
		if ready != nil {
			io.WriteString(ready, msg)
		}
		d.logf(diag.Err, "%s", strings.TrimPrefix(msg, "kerneld: "))
		return 1
	}
	tuneGC()
	kv, err := kernel.Release()
	if err != nil {
		return fail("uname: %v", err)
	}
	d.dir = d.o.Root + "/lib/modules/" + kv
	// The uevent socket first: a device that appears during coldplug is
	// then either seen by the scan or queued on the socket.
	ul, err := kernel.ListenUevents()
	if err != nil {
		return fail("%v", err)
	}
	defer ul.Close()
	lfd, err := kdsock.Listen(d.o.Socket)
	if err != nil {
		return fail("%v", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); d.serve(lfd) }()
	defer func() {
		lfd.Close()
		wg.Wait()
	}()

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(sigs)

	d.staticNodes()
	d.modulesLoad()
	// Events are taken from here on, so that the devices the first
	// drivers create are handled while coldplug goes on; a device seen
	// both ways is loaded once (requests in flight merge, and a module
	// already loaded is no load).
	for range Parallel {
		go d.worker(ctx)
	}
	events := make(chan kernel.Uevent, 256)
	go d.receive(ctx, ul, events)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case u := <-events:
				d.hotplug(u)
			}
		}
	}()
	d.coldplug()
	settled, at := d.settle(d.o.SettleTimeout)
	if !settled {
		d.logf(diag.Warning, "uevents still coming after %v (seqnum %d): ready all the same\n", d.o.SettleTimeout, at)
	}
	if ready != nil {
		io.WriteString(ready, "ready\n")
		ready.Close()
	}
	d.notify(fmt.Sprintf("READY=1\nSTATUS=settled at uevent %d\nMAINPID=%d", at, os.Getpid()))
	d.logf(diag.Info, "ready, pid %d\n", os.Getpid())
	// After saying ready, so that its collection delays no boot.
	d.shed()

	go d.autoclean(ctx)
	for s := range sigs {
		if s == syscall.SIGHUP {
			d.notify(fmt.Sprintf("RELOADING=1\nMONOTONIC_USEC=%d", kernel.MonotonicUsec()))
			d.reload("SIGHUP")
			d.notify("READY=1")
			continue
		}
		d.notify("STOPPING=1")
		d.note("exit on %v", s)
		stop()
		d.closeWatchers()
		return 0
	}
	return 0
}

// notify tells the service manager, if there is one, what state kerneld
// is in; a failure is logged, never fatal.
func (d *daemon) notify(state string) {
	if err := kernel.Notify(d.o.NotifySocket, state); err != nil {
		d.logf(diag.Err, "%v\n", err)
	}
}

// poke says that something settle waits for has changed.
func (d *daemon) poke() {
	select {
	case d.progress <- struct{}{}:
	default:
	}
}

// settled reports whether every uevent up to seq has been taken and
// handled, and nothing is left to do: no hotplug load queued or under
// way, no rescan. Requests of the kernel's are not waited for: the
// kernel waits for those itself.
func (d *daemon) settled(seq uint64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lastSeq >= seq && d.pending == 0 && !d.rescanning
}

// settle waits until the uevent queue has settled, as udevadm settle
// means it: every event up to the kernel's uevent_seqnum handled, then
// uevent_seqnum read again, until it stops changing (handling events
// makes drivers create devices, whose events come after). It returns
// false if that takes longer than timeout, and the seqnum it reached.
func (d *daemon) settle(timeout time.Duration) (bool, uint64) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	sys := kernel.Sys{Root: d.o.Root}
	for {
		seq, err := sys.UeventSeqnum()
		if err != nil {
			// No /sys/kernel (a container): nothing to measure by.
			return true, 0
		}
		if d.settled(seq) {
			if again, err := sys.UeventSeqnum(); err == nil && again == seq {
				return true, seq
			}
			continue
		}
		select {
		case <-d.progress:
		case <-deadline.C:
			return false, seq
		}
	}
}

// receive reads uevents until ctx ends; after an overflow it rescans, as
// the events it lost are lost for good.
func (d *daemon) receive(ctx context.Context, ul *kernel.UeventListener, out chan<- kernel.Uevent) {
	for ctx.Err() == nil {
		u, err := ul.Receive()
		d.mu.Lock()
		d.rejected = ul.Rejected
		d.mu.Unlock()
		switch {
		case err == nil:
			out <- u
		case kernel.IsTimeout(err):
		case errors.Is(err, kernel.ErrOverflow):
			d.overflow("overflow")
		default:
			d.logf(diag.Err, "%v\n", err)
			time.Sleep(time.Second)
		}
	}
}

func (d *daemon) hotplug(u kernel.Uevent) {
	d.mu.Lock()
	d.events++
	d.mu.Unlock()
	d.note("event %s %s %s", u.Action, u.Devpath, u.Modalias)
	if u.Action == "add" && u.Modalias != "" {
		d.enqueue(u.Modalias)
	}
	d.mu.Lock()
	d.lastSeq = max(d.lastSeq, u.Seqnum)
	d.mu.Unlock()
	d.poke()
}

// enqueue hands a modalias to the workers. A full queue is treated as
// the socket's overflow is: the event is dropped and /sys rescanned, so
// its device is still seen, and the uevent reader never waits.
func (d *daemon) enqueue(modalias string) {
	d.mu.Lock()
	d.pending++
	d.mu.Unlock()
	select {
	case d.work <- modalias:
	default:
		d.mu.Lock()
		d.pending--
		d.mu.Unlock()
		d.overflow("queue full")
	}
}

// overflow counts events lost (what: the socket's overflow or a full
// queue) and rescans /sys, as the events themselves are gone.
func (d *daemon) overflow(what string) {
	d.mu.Lock()
	d.overflows++
	d.mu.Unlock()
	d.note("%s: rescanning", what)
	d.rescan()
}

// worker loads what the queue names until ctx ends.
func (d *daemon) worker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case a := <-d.work:
			d.request(a, true, "hotplug")
			d.mu.Lock()
			d.pending--
			d.mu.Unlock()
			d.poke()
		}
	}
}

// rescan runs coldplug again in the background, one at a time: asked
// while one runs, it runs once more after it, however often it was asked.
func (d *daemon) rescan() {
	d.mu.Lock()
	if d.rescanning {
		d.rescanAgain = true
		d.mu.Unlock()
		return
	}
	d.rescanning = true
	d.mu.Unlock()
	go func() {
		for {
			d.coldplug()
			d.mu.Lock()
			d.rescans++
			if !d.rescanAgain {
				d.rescanning = false
				d.mu.Unlock()
				d.poke()
				return
			}
			d.rescanAgain = false
			d.mu.Unlock()
		}
	}()
}

// coldplug loads the modules of every device present, each modalias
// once, and returns when all are done. Loads start as the scan finds
// their devices, at most Planned at a time.
func (d *daemon) coldplug() {
	sem := make(chan struct{}, Planned)
	var wg sync.WaitGroup
	n := scanModaliases(d.o.Root, func(a string) {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			d.request(a, true, "coldplug")
			<-sem
		}()
	})
	d.note("coldplug: %d modaliases", n)
	wg.Wait()
}

// scanModaliases calls found with the modalias of each device in /sys,
// each once, and returns how many there were: the devices of every bus,
// then those of every class (input devices, DMI), the devices udevadm
// trigger enumerates, by their modalias files or else the MODALIAS of
// their uevent files (a CPU has only the latter). It walks no more of
// /sys/devices than that: reading every uevent file there took seconds
// of a slow machine's coldplug, for kobjects (queues, power,
// workqueues) that have no modalias. PCI's devices come first: their
// drivers' probes (hardware resets, EEPROM reads, virtio_pci setting up
// its devices, ata_piix's port scan) are the slow loads, and the
// devices of most other buses (USB, virtio, HD audio, SCSI) appear only
// once those drivers are loaded.
func scanModaliases(root string, found func(string)) int {
	seen := map[string]bool{}
	pci := root + "/sys/bus/pci/devices/"
	for i, pattern := range []string{pci + "*", root + "/sys/bus/*/devices/*", root + "/sys/class/*/*"} {
		devs, _ := filepath.Glob(pattern)
		for _, dev := range devs {
			if i > 0 && strings.HasPrefix(dev, pci) {
				continue // scanned first
			}
			if a := deviceModalias(dev); a != "" && !seen[a] {
				seen[a] = true
				found(a)
			}
		}
	}
	return len(seen)
}

// deviceModalias is the modalias of the device at dir in /sys, or "".
func deviceModalias(dir string) string {
	if b, err := os.ReadFile(dir + "/modalias"); err == nil {
		if a := strings.TrimSpace(string(b)); a != "" {
			return a
		}
	}
	b, err := os.ReadFile(dir + "/uevent")
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		if a, ok := strings.CutPrefix(l, "MODALIAS="); ok {
			return a
		}
	}
	return ""
}

// request loads name once even when asked for it many times at once:
// identical requests in flight share the first one's answer.
func (d *daemon) request(name string, blacklist bool, why string) error {
	key := fmt.Sprintf("%s\x00%v", name, blacklist)
	d.mu.Lock()
	if why == "request" {
		d.requests++
	}
	if c := d.inflight[key]; c != nil {
		d.mu.Unlock()
		<-c.done
		return c.err
	}
	c := &call{done: make(chan struct{})}
	d.inflight[key] = c
	d.queue++
	d.mu.Unlock()
	d.note("%s %s", why, name)

	c.err = d.loadContained(name, blacklist)

	// Most devices have no module (bridges, the CPU, the keyboard
	// controller built in): for a device event, that is no failure.
	noModule := why != "request" && errors.Is(c.err, probe.ErrNotFound)
	// A load's failures are its modules': those the observer recorded
	// one by one (a modalias that twenty modules answer fails only for
	// the one that failed), else the name's own.
	var rec recorded
	d.mu.Lock()
	delete(d.inflight, key)
	d.queue--
	switch {
	case c.err == nil || noModule:
		d.failed.forget(name)
	case !errors.As(c.err, &rec):
		d.failed.add(name, libc.Strerror(c.err))
	}
	d.mu.Unlock()
	if c.err != nil && !noModule {
		d.note("failed %s: %s", name, libc.Strerror(c.err))
	}
	if c.err == nil && why == "request" {
		d.nodeRequest(name)
	}
	close(c.done)
	return c.err
}

// errPanic is a load that panicked: one module (a crafted file, a bug in
// a decompressor) must not take the daemon, and every later load, down.
var errPanic = errors.New("internal error while loading (see kerneld's log)")

// loadContained is d.load with a panic turned into that load's error.
func (d *daemon) loadContained(name string, blacklist bool) (err error) {
	defer d.contain(name, &err)
	return d.load(name, blacklist)
}

// contain, deferred, turns a panic in the load of name into *err.
func (d *daemon) contain(name string, err *error) {
	if p := recover(); p != nil {
		d.mu.Lock()
		d.panics++
		d.mu.Unlock()
		d.logf(diag.Err, "panic while loading %s: %v\n%s", name, p, debug.Stack())
		*err = errPanic
	}
}

// keepReason says why autoclean must leave what a request for name
// loads, or "". Autoclean takes a module without references for idle,
// but some drivers' users hold none: a network device of an rtnetlink
// link type (ip link add type dummy, veth, bridge...) or one the kernel
// loaded a driver for by its name (netdev-NAME) keeps its driver busy
// without a reference, and unloading it would destroy the devices.
func keepReason(name string) string {
	for _, p := range []string{"rtnl-link-", "netdev-"} {
		if strings.HasPrefix(name, p) {
			return name + ": its devices hold no reference"
		}
	}
	return ""
}

func (d *daemon) report(level diag.Level, format string, args ...any) {
	d.logf(level, format, args...)
}

// modprobe is the real load: what "modprobe -q NAME" (with -b for
// blacklist) plans, carried out.
func (d *daemon) modprobe(name string, blacklist bool) error {
	// Devices' loads, the ones with the blacklist, share the insert
	// slots; the kernel's requests do not.
	return d.loadPlan(name, "", blacklist, keepReason(name), blacklist)
}

// modprobeListed loads one module of a boot list, with its parameters and
// the blacklist, as systemd-modules-load does.
func (d *daemon) modprobeListed(m modconf.ModuleToLoad) error {
	return d.loadPlan(m.Name, m.Params, true, "modules-load: "+m.Source, false)
}

// recorded is a load's failure that the observer has recorded already,
// module by module.
type recorded struct{ error }

func (r recorded) Unwrap() error { return r.error }

// loadPlan plans loading name (with params for it, as "modprobe NAME
// PARAMS" gives them) and carries the plan out. What it inserts is
// kerneld's to autoclean, or, with keep set, to keep (keep says why);
// what fails is recorded by module. A name no module stands for is
// probe.ErrNotFound; a blacklisted module is no error. With slot set,
// each insert takes one of the daemon's insert slots.
func (d *daemon) loadPlan(name, params string, blacklist bool, keep string, slot bool) error {
	e := d.acquire()
	defer d.release(e)
	log := d.logger()
	libLog := libkmod.ToolLog(log.Report)
	k := sharedKernel{Kernel: execplan.NewSys(d.sys, libLog), d: d, slot: slot}
	pl := &probe.Planner{R: e.r, Kernel: k, Flags: probe.Flags{UseBlacklist: blacklist}}
	plan, err := pl.Load(name, params)
	if err != nil {
		if errors.Is(err, probe.ErrNotFound) {
			// modprobe's fatal message, which kerneld logs as such.
			log.Report(diag.Crit, "Module %s not found in directory %s\n", name, d.dir)
		}
		return err
	}
	x := d.executor(k)
	x.Observer = execplan.ObserverFunc(func(ev execplan.Event) error {
		switch ev.Kind {
		case execplan.Inserted:
			d.record(ev.Module, keep)
		case execplan.Failed:
			why := libc.Strerror(ev.Err)
			if ev.Module != name {
				why += ", for " + name
			}
			d.mu.Lock()
			d.failed.add(ev.Module, why)
			d.mu.Unlock()
			d.note("failed %s: %s", ev.Module, why)
		case execplan.Removed:
		default:
			execplan.Say(ev, log.Report, libLog)
		}
		return nil
	})
	// Each target that loads is no longer failed; the last one's result
	// is the load's, as in modprobe.
	for _, t := range plan.Targets {
		d.mu.Lock()
		d.failed.forget(t.Module)
		d.mu.Unlock()
	}
	if err := x.Load(plan); err != nil {
		return recorded{err}
	}
	return nil
}

// record notes a module the probe logic inserted, so that autoclean knows
// which modules kerneld loaded: its own, or, with keep set, ones to keep
// (and why).
func (d *daemon) record(name, keep string) {
	d.mu.Lock()
	if keep != "" {
		d.kept[name] = keep
	} else {
		d.loaded[name] = d.clock.Now()
	}
	d.mu.Unlock()
	d.note("loaded %s", name)
}

// executor carries kerneld's plans out: no output of its own, commands
// with their output discarded.
func (d *daemon) executor(k execplan.Kernel) *execplan.Executor {
	return &execplan.Executor{Kernel: k, Shell: func(cmd string, env []string) (int, error) {
		return kernel.RunShell(cmd, io.Discard, io.Discard, env...)
	}}
}

// modulesLoad loads what /etc/modules-load.d and the rest of
// systemd-modules-load's lists, Debian's /etc/modules and the kernel
// command line's modules_load= name, before coldplug, so a system without
// systemd needs nothing else. These are the system's wish, not kerneld's
// own loads: autoclean leaves them alone.
func (d *daemon) modulesLoad() {
	sys := kernel.Sys{Root: d.o.Root}
	list := modconf.ModulesToLoad(d.o.Root, sys.Cmdline(), d.report)
	for _, m := range list {
		d.note("modules-load %s (%s)", m.Name, m.Source)
		if err := d.loadListedContained(m); err != nil {
			why := libc.Strerror(err)
			d.logf(diag.Err, "%s: %s: %s\n", m.Source, m.Name, why)
			d.mu.Lock()
			d.failed.add(m.Name, why)
			d.mu.Unlock()
		}
	}
}

// loadListedContained is loadListed with a panic turned into its error.
func (d *daemon) loadListedContained(m modconf.ModuleToLoad) (err error) {
	defer d.contain(m.Name, &err)
	return d.loadListed(m)
}

// unload is autoclean's removal of one module, its remove command
// included.
func (d *daemon) unload(name string) error {
	e := d.acquire()
	defer d.release(e)
	log := d.logger()
	libLog := libkmod.ToolLog(log.Report)
	k := execplan.NewSys(d.sys, libLog)
	r := (&probe.Planner{R: e.r}).Unload(name)
	x := d.executor(k)
	x.Observer = execplan.ObserverFunc(func(ev execplan.Event) error {
		execplan.Say(ev, log.Report, libLog)
		return nil
	})
	err := x.Unload(r)
	// A remove command's exit status comes back as an errno; kerneld's
	// log says what it was.
	if code, ok := err.(syscall.Errno); ok && r.HasCommand {
		return fmt.Errorf("remove command exited with status %d", int(code))
	}
	return err
}

// logger is kerneld's log as modprobe's messages go into it.
func (d *daemon) logger() *applet.Logger {
	d.mu.Lock()
	debug := d.o.Debug
	d.mu.Unlock()
	log := applet.NewLogger(&applet.Env{Argv0: "kerneld", Stderr: io.Discard})
	log.Syslog = func(level diag.Level, msg string) { d.logf(level, "%s", msg) }
	log.Priority = diag.Err
	if debug {
		log.Priority = diag.Debug
	}
	return log
}

// acquire is the engine of the current generation, made anew after a
// reload; release gives it back. Loads share it: a module's init may ask
// the kernel for another module, whose request comes back here while its
// parent's load goes on, and needs no resolver of its own.
func (d *daemon) acquire() *engine {
	d.checkIndex()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.engine == nil || d.engine.gen != d.gen {
		if old := d.engine; old != nil && old.users == 0 {
			old.r.Close()
		}
		conf := modconf.LoadModprobeConfig(modconf.ModprobeOptions{ModuleDir: d.dir, Cmdline: d.sys.Cmdline(), Report: d.report})
		r := moddep.NewResolver(d.dir, conf)
		r.Report = d.report
		r.State = d.state
		r.LoadResources()
		d.engine = &engine{r: r, gen: d.gen}
	}
	d.engine.users++
	return d.engine
}

func (d *daemon) release(e *engine) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e.users--
	if e.users == 0 && e != d.engine {
		e.r.Close()
	}
	if (d.engine == nil || d.engine.users == 0) && d.idle {
		d.shedLater()
	}
}

// state is a module's state as the resolver wants it.
func (d *daemon) state(name string) (moddep.State, error) {
	s, err := d.sys.InitState(name)
	if err != nil {
		return 0, fs.ErrNotExist
	}
	return s, nil
}

// checkIndex reloads when modules.dep.bin changed: depmod after
// installing a kernel update needs no SIGHUP.
func (d *daemon) checkIndex() {
	st, err := os.Stat(d.dir + "/modules.dep.bin")
	if err != nil {
		return
	}
	d.mu.Lock()
	changed := !d.depMtime.IsZero() && !st.ModTime().Equal(d.depMtime)
	d.depMtime = st.ModTime()
	d.mu.Unlock()
	if changed {
		d.reload("modules.dep.bin changed")
	}
}

// reload makes every resolver read the configuration and indexes anew
// the next time it is used.
func (d *daemon) reload(why string) {
	d.mu.Lock()
	d.gen++
	d.mu.Unlock()
	d.note("reload: %s", why)
}

// autoclean sweeps every delay until ctx ends.
func (d *daemon) autoclean(ctx context.Context) {
	for {
		d.mu.Lock()
		delay := d.o.Delay
		d.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-d.kick:
			continue
		case <-time.After(delay):
		}
		d.sweep(false)
		d.shed() // what the loads since the last sweep held
	}
}

// sweep removes the idle modules kerneld loaded: those idle over two
// sweeps, or with flush every idle one now.
func (d *daemon) sweep(flush bool) []string {
	d.mu.Lock()
	if d.o.Keep && !flush {
		d.idleSince = map[string]time.Time{}
		d.mu.Unlock()
		return nil
	}
	names := make([]string, 0, len(d.loaded))
	for n := range d.loaded {
		names = append(names, n)
	}
	delay := d.o.Delay
	d.mu.Unlock()
	sort.Strings(names)
	var states []ModState
	for _, n := range names {
		s := readModState(d.sys, n)
		if !s.Loaded {
			// Someone else removed it; it is no longer ours.
			d.mu.Lock()
			delete(d.loaded, n)
			d.mu.Unlock()
			continue
		}
		states = append(states, s)
	}
	now := d.clock.Now()
	d.mu.Lock()
	idle := d.idleSince
	d.mu.Unlock()
	if flush {
		idle = map[string]time.Time{}
		for _, s := range states {
			idle[s.Name] = now.Add(-delay)
		}
	}
	remove, next := Sweep(states, idle, now, delay)
	var done []string
	for _, n := range remove {
		if err := d.unload(n); err != nil {
			d.note("autoclean %s: %s", n, libc.Strerror(err))
			continue
		}
		if readModState(d.sys, n).Loaded {
			// A remove command that kept it; the next sweeps try again.
			d.note("autoclean %s: still loaded after its remove command", n)
			continue
		}
		done = append(done, n)
		d.note("removed %s", n)
	}
	d.mu.Lock()
	d.idleSince = next
	for _, n := range done {
		delete(d.loaded, n)
		d.removed.add(n)
	}
	d.mu.Unlock()
	return done
}

func (d *daemon) closeWatchers() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for ch := range d.watchers {
		close(ch)
		delete(d.watchers, ch)
	}
}
