// Package kdstat is the kdstat applet: it shows kerneld's state and
// changes its settings over kerneld's socket, as the 1990s kdstat did
// over kerneld's message queue.
package kdstat

import (
	"errors"
	"fmt"
	"time"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/applets/kerneld/kdsock"
	"golang.org/x/sys/unix"
)

// Socket is where kdstat finds kerneld; tests change it.
var Socket = kdsock.Path

// Timeout bounds a command's answer: a flush unloads modules, which can
// take a while, but a kerneld that says nothing for this long is stuck.
const Timeout = 30 * time.Second

// Run is the kdstat applet: its command line is CLI's, each command
// ending in call.
func Run(env *applet.Env, args []string) int {
	code := 0
	app := CLI(env, func(cmd string) error { code = call(env, cmd); return nil })
	if err := app.Run(append([]string{"kdstat"}, seedArgs(args)...)); err != nil {
		fmt.Fprintf(env.Stderr, "kdstat: %v\nUsage: %s\nTry 'kdstat --help' for more information.\n", err, app.UsageText)
		return 1
	}
	return code
}

// call sends kerneld one command and prints its answer.
func call(env *applet.Env, cmd string) int {
	// A command other than watch has its answer within seconds from a
	// kerneld that works; watch reads for as long as kerneld runs.
	cl := kdsock.Client{Path: Socket, Timeout: Timeout}
	if cmd == "watch" {
		cl.Timeout = 0
	}
	code, err := cl.Call(cmd, env.Stdout)
	switch {
	case err == nil:
		return code
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ECONNREFUSED):
		fmt.Fprintf(env.Stderr, "kdstat: kerneld is not running (no %s)\n", Socket)
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
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
