package kerneld

import (
	"sort"
	"strconv"
)

// Every table that input can grow is capped: an unprivileged user can
// make the kernel ask for any number of distinct names (a bind() of an
// unknown AF_ALG algorithm asks for "crypto-NAME", a mount of an unknown
// type for "fs-NAME"), and a uevent storm can name any number of
// devices. What is dropped is counted, and kdstat says so.
const (
	// MaxFailures is how many distinct failing names kerneld remembers.
	MaxFailures = 256
	// MaxRemovals is how many of its latest removals kerneld remembers.
	MaxRemovals = 64
	// QueueSize bounds the hotplug loads waiting for a worker; a full
	// queue is an overflow, answered by a rescan of /sys.
	QueueSize = 1024
	// MaxClients bounds the kdstat and modprobe connections served at
	// once; more wait in the listen backlog, and a modprobe that waits
	// too long does its work itself.
	MaxClients = 64
)

// failure is one name that failed to load.
type failure struct {
	why   string
	count int
	seq   uint64 // when it last failed, in failures' clock
}

// failures remembers the most recently failed names, with why and how
// often, evicting the least recently failed past its cap.
type failures struct {
	max     int
	byName  map[string]*failure
	clock   uint64
	dropped int // names evicted
}

func newFailures(max int) *failures {
	return &failures{max: max, byName: map[string]*failure{}}
}

func (f *failures) add(name, why string) {
	f.clock++
	if e := f.byName[name]; e != nil {
		e.why, e.seq = why, f.clock
		e.count++
		return
	}
	if len(f.byName) >= f.max {
		// A scan of at most max entries, only when a new name arrives
		// at a full table: cheaper than keeping a list in order.
		oldest, seq := "", ^uint64(0)
		for n, e := range f.byName {
			if e.seq < seq {
				oldest, seq = n, e.seq
			}
		}
		delete(f.byName, oldest)
		f.dropped++
	}
	f.byName[name] = &failure{why: why, count: 1, seq: f.clock}
}

func (f *failures) forget(name string) { delete(f.byName, name) }

func (f *failures) len() int { return len(f.byName) }

// list is "name (why)" for each, with "xN" for repeats, sorted by name.
func (f *failures) list() []string {
	out := make([]string, 0, len(f.byName))
	for n, e := range f.byName {
		s := n + " (" + e.why + ")"
		if e.count > 1 {
			s = n + " (" + e.why + ", " + strconv.Itoa(e.count) + " times)"
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// removals is a ring of the latest removals, and how many there were.
type removals struct {
	ring  []string
	next  int
	total int
}

func newRemovals(max int) *removals { return &removals{ring: make([]string, 0, max)} }

func (r *removals) add(name string) {
	r.total++
	if len(r.ring) < cap(r.ring) {
		r.ring = append(r.ring, name)
		return
	}
	r.ring[r.next] = name
	r.next = (r.next + 1) % len(r.ring)
}

// recent is the remembered removals, oldest first.
func (r *removals) recent() []string {
	out := make([]string, 0, len(r.ring))
	out = append(out, r.ring[r.next:]...)
	return append(out, r.ring[:r.next]...)
}

func (r *removals) dropped() int { return r.total - len(r.ring) }
