package kerneld

import (
	"bytes"
	"testing"
	"time"

	"github.com/modutils/modutils/applets/applet"
)

// TestSpellings parses the command lines kerneld is started with: the
// seeds' and testdata/vm's bare words, today's flags, and the help.
func TestSpellings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name              string
		args              []string
		debug, keep, fore bool
		delay             time.Duration
		help, bad         bool
	}{
		{name: "none", delay: time.Minute},
		{name: "vm: keep delay=2 debug", args: []string{"keep", "delay=2", "debug"}, keep: true, debug: true, delay: 2 * time.Second},
		{name: "vm: keep debug", args: []string{"keep", "debug"}, keep: true, debug: true, delay: time.Minute},
		{name: "vm: delay=60", args: []string{"delay=60"}, delay: time.Minute},
		{name: "vmbench: keep", args: []string{"keep"}, keep: true, delay: time.Minute},
		{name: "vm: delay=1 debug", args: []string{"delay=1", "debug"}, debug: true, delay: time.Second},
		{name: "flags", args: []string{"--foreground", "--debug", "--delay", "7"}, fore: true, debug: true, delay: 7 * time.Second},
		{name: "short foreground", args: []string{"-f", "--keep"}, fore: true, keep: true, delay: time.Minute},
		{name: "single-dash words", args: []string{"-debug", "-delay=3"}, debug: true, delay: 3 * time.Second},
		{name: "help", args: []string{"-h"}, help: true},
		{name: "long help", args: []string{"debug", "--help"}, help: true},
		{name: "bad delay", args: []string{"delay=x"}, bad: true},
		{name: "zero delay", args: []string{"delay=0"}, bad: true},
		{name: "bare foreground", args: []string{"foreground"}, bad: true},
		{name: "unknown flag", args: []string{"--what"}, bad: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			o, code, ok := commandLine(&applet.Env{Argv0: "kerneld", Stdout: &out, Stderr: &errOut}, c.args)
			switch {
			case c.help:
				if ok || code != 0 || out.Len() == 0 {
					t.Errorf("kerneld %q: ok %v code %d, stdout %q; want the help", c.args, ok, code, out.String())
				}
			case c.bad:
				if ok || code != 1 || errOut.Len() == 0 {
					t.Errorf("kerneld %q: ok %v code %d, stderr %q; want a usage error", c.args, ok, code, errOut.String())
				}
			case !ok || o.Debug != c.debug || o.Keep != c.keep || o.Foreground != c.fore || o.Delay != c.delay:
				t.Errorf("kerneld %q: %+v ok %v; want debug %v keep %v foreground %v delay %v", c.args, o, ok, c.debug, c.keep, c.fore, c.delay)
			}
		})
	}
}
