package kerneld

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/modutils/modutils/kernel"
	"github.com/modutils/modutils/kernel/kdsock"
)

// serve accepts connections until the socket is shut down.
func (d *daemon) serve(l *kdsock.Listener) {
	for {
		p, err := l.Accept(clientTimeout)
		if err != nil {
			return
		}
		// Past MaxClients, accepting waits: further connections queue
		// in the backlog, and their clients' deadlines decide.
		d.clients <- struct{}{}
		go func() {
			defer func() { <-d.clients }()
			d.handle(p)
		}()
	}
}

// clientTimeout bounds reading a client's command and each write of an
// answer: a client that connects and says nothing, or stops reading its
// watch, holds a connection no longer than this.
const clientTimeout = 5 * time.Second

// maxCommand bounds a command line: a name to load is at most a path.
const maxCommand = 8192

// handle answers one connection: one command, its answer, "=CODE".
func (d *daemon) handle(f *kdsock.Peer) {
	defer f.Close()
	// The socket's mode keeps others out already; SO_PEERCRED is what
	// the kernel says of the peer, so a descriptor passed to another
	// process does not carry root's rights with it.
	//
	// The command is read first, though: a refusal written to a peer
	// that is still sending would reset its connection, and it would
	// never learn why. Reading is all that happens before the check.
	line, err := bufio.NewReader(io.LimitReader(f, maxCommand)).ReadString('\n')
	uid, cerr := f.UID()
	if cerr != nil || uid != d.allowedUID.Load() {
		io.WriteString(f, "kerneld: permission denied: only root may talk to kerneld\n=1\n")
		return
	}
	if err != nil {
		return
	}
	cmd, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	if c, v, ok := strings.Cut(cmd, "="); ok {
		cmd, arg = c, v
	}
	w := bufio.NewWriter(f)
	defer w.Flush()
	answer := func(code int, format string, args ...any) {
		fmt.Fprintf(w, format, args...)
		fmt.Fprintf(w, "=%d\n", code)
	}
	switch cmd {
	case "request":
		if arg == "" {
			answer(1, "kerneld: request what?\n")
			return
		}
		if err := d.request(arg, false, "request"); err != nil {
			answer(1, "")
			return
		}
		answer(0, "")
	case "status", "":
		d.status(w)
		answer(0, "")
	case "debug", "nodebug", "keep", "nokeep":
		d.mu.Lock()
		switch cmd {
		case "debug", "nodebug":
			d.o.Debug = cmd == "debug"
		default:
			d.o.Keep = cmd == "keep"
		}
		d.mu.Unlock()
		d.note("kdstat %s", cmd)
		answer(0, "kerneld: %s\n", cmd)
	case "delay":
		n, err := strconv.Atoi(arg)
		if err != nil || n < 1 {
			answer(1, "kerneld: bad delay '%s'\n", arg)
			return
		}
		d.mu.Lock()
		d.o.Delay = time.Duration(n) * time.Second
		d.mu.Unlock()
		select {
		case d.kick <- struct{}{}:
		default:
		}
		d.note("kdstat delay=%d", n)
		answer(0, "kerneld: delay=%d\n", n)
	case "flush":
		removed := d.sweep(true)
		answer(0, "kerneld: removed %d idle module(s)%s\n", len(removed), names(removed))
	case "reload":
		d.reload("kdstat reload")
		answer(0, "kerneld: reloading configuration and indexes\n")
	case "watch":
		ch := make(chan string, 256)
		d.mu.Lock()
		d.watchers[ch] = true
		d.mu.Unlock()
		defer func() {
			d.mu.Lock()
			if d.watchers[ch] {
				delete(d.watchers, ch)
				close(ch)
			}
			d.mu.Unlock()
		}()
		w.WriteString("kerneld: watching\n")
		w.Flush()
		for l := range ch {
			if _, err := fmt.Fprintf(w, "%s\n", l); err != nil {
				return
			}
			if w.Flush() != nil {
				return
			}
		}
		answer(0, "kerneld: exiting\n")
	default:
		answer(1, "kerneld: unknown command '%s'\n", cmd)
	}
}

func names(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return ": " + strings.Join(l, " ")
}

// status is what a bare kdstat prints.
func (d *daemon) status(w io.Writer) {
	d.mu.Lock()
	defer d.mu.Unlock()
	loaded := make([]string, 0, len(d.loaded))
	for n := range d.loaded {
		loaded = append(loaded, n)
	}
	sort.Strings(loaded)
	failed := d.failed.list()
	onoff := map[bool]string{true: "on", false: "off"}
	fmt.Fprintf(w, "version: %s\n", Version)
	fmt.Fprintf(w, "pid: %d\n", os.Getpid())
	fmt.Fprintf(w, "uptime: %s\n", d.clock.Now().Sub(d.start).Round(time.Second))
	fmt.Fprintf(w, "autoclean: %s, delay %d s, keep %s\n", onoff[!d.o.Keep], int(d.o.Delay/time.Second), onoff[d.o.Keep])
	fmt.Fprintf(w, "debug: %s\n", onoff[d.o.Debug])
	fmt.Fprintf(w, "events: %d (rejected %d, overflows %d)\n", d.events, d.rejected, d.overflows)
	fmt.Fprintf(w, "requests: %d\n", d.requests)
	fmt.Fprintf(w, "loaded: %d%s\n", len(loaded), names(loaded))
	if len(d.kept) > 0 {
		kept := make([]string, 0, len(d.kept))
		for n, why := range d.kept {
			kept = append(kept, n+" ("+why+")")
		}
		sort.Strings(kept)
		fmt.Fprintf(w, "kept: %d%s\n", len(kept), names(kept))
	}
	fmt.Fprintf(w, "failed: %d%s\n", len(failed), names(failed))
	if d.failed.dropped > 0 {
		fmt.Fprintf(w, "failed, forgotten: %d (only the latest %d are kept)\n", d.failed.dropped, MaxFailures)
	}
	fmt.Fprintf(w, "removed: %d%s\n", d.removed.total, names(d.removed.recent()))
	if n := d.removed.dropped(); n > 0 {
		fmt.Fprintf(w, "removed, forgotten: %d (only the latest %d are kept)\n", n, MaxRemovals)
	}
	var made, opened []string
	for _, n := range d.nodes {
		made = append(made, n.Path())
		if n.loadedBy != "" {
			opened = append(opened, fmt.Sprintf("%s (%s: %s)", n.Path(), n.loadedBy, n.Module))
		}
	}
	fmt.Fprintf(w, "nodes: %d%s\n", len(made), names(made))
	fmt.Fprintf(w, "nodes-loaded: %d%s\n", len(opened), names(opened))
	fmt.Fprintf(w, "queue: %d (waiting %d of %d)\n", d.queue, len(d.work), cap(d.work))
	fmt.Fprintf(w, "rescans: %d\n", d.rescans)
	if d.panics > 0 {
		fmt.Fprintf(w, "panics: %d (loads that failed inside kerneld; see its log)\n", d.panics)
	}
	fmt.Fprintf(w, "goroutines: %d\n", runtime.NumGoroutine())
	if rss, err := kernel.ResidentBytes(); err == nil {
		fmt.Fprintf(w, "memory: %d KiB resident\n", rss>>10)
	}
}
