// Package kdstat is the kdstat applet: it shows kerneld's state and
// changes its settings over kerneld's socket, as the 1990s kdstat did
// over kerneld's message queue.
package kdstat

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/kernel/kdsock"
)

const usage = `Usage: kdstat [debug|nodebug|keep|nokeep|delay=SECONDS|flush|reload|watch]
	(none)     show kerneld's state
	debug      log every event, request and load; nodebug stops it
	keep       never unload modules; nokeep unloads idle ones again
	delay=N    unload a module kerneld loaded once idle N seconds
	flush      unload every idle module kerneld loaded, now
	reload     read the configuration and indexes again (as SIGHUP)
	watch      print events, requests and loads as they happen
`

// Timeout bounds a command's answer: a flush unloads modules, which can
// take a while, but a kerneld that says nothing for this long is stuck.
const Timeout = 30 * time.Second

// Run is the kdstat applet.
func Run(env *applet.Env, args []string) int {
	cmd := "status"
	switch {
	case len(args) > 1:
		fmt.Fprint(env.Stderr, usage)
		return 1
	case len(args) == 1:
		cmd = strings.TrimLeft(args[0], "-")
		switch cmd {
		case "h", "help":
			io.WriteString(env.Stdout, usage)
			return 0
		case "status", "debug", "nodebug", "keep", "nokeep", "flush", "reload", "watch":
		default:
			if !strings.HasPrefix(cmd, "delay=") {
				fmt.Fprintf(env.Stderr, "kdstat: unknown command '%s'\n%s", args[0], usage)
				return 1
			}
		}
	}
	// A command other than watch has its answer within seconds from a
	// kerneld that works; watch reads for as long as kerneld runs.
	Socket := env.Socket()
	cl := kdsock.Client{Path: Socket, Timeout: Timeout, PeerUID: env.KerneldUID}
	if cmd == "watch" {
		cl.Timeout = 0
	}
	code, err := cl.Call(cmd, env.Stdout)
	switch {
	case err == nil:
		return code
	case kdsock.NotRunning(err):
		fmt.Fprintf(env.Stderr, "kdstat: kerneld is not running (no %s)\n", Socket)
	case kdsock.Denied(err):
		fmt.Fprintf(env.Stderr, "kdstat: permission denied: only root may talk to kerneld\n")
	case errors.Is(err, kdsock.ErrNotKerneld):
		fmt.Fprintf(env.Stderr, "kdstat: %s: %v: not talking to it\n", Socket, err)
	case errors.Is(err, kdsock.ErrTimeout):
		fmt.Fprintf(env.Stderr, "kdstat: %s: kerneld did not answer within %d s (stopped or stuck?)\n", Socket, int(cl.Timeout/time.Second))
	case errors.Is(err, kdsock.ErrProtocol):
		if cmd == "watch" {
			fmt.Fprintf(env.Stderr, "kdstat: kerneld went away\n")
		} else {
			fmt.Fprintf(env.Stderr, "kdstat: kerneld closed the connection without an answer\n")
		}
	default:
		fmt.Fprintf(env.Stderr, "kdstat: %s: %v\n", Socket, err)
	}
	return 1
}
