package kdstat

import (
	"bytes"
	"strings"
	"testing"

	"github.com/modutils/modutils/applets/applet"
)

// TestSpellings checks that each spelling, today's and the 1990s' (the
// kerneld mini-HOWTO's "kdstat debug", "-debug", delay=N), and those
// testdata/vm's scenarios use, sends kerneld the command it names.
func TestSpellings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		want string // the command sent; "" for none
		code int    // 1 for a usage error
	}{
		{"bare", nil, "status", 0},
		{"status", []string{"status"}, "status", 0},
		{"debug", []string{"debug"}, "debug", 0},
		{"nodebug", []string{"nodebug"}, "nodebug", 0},
		{"dashed debug", []string{"-debug"}, "debug", 0},
		{"double-dashed keep", []string{"--keep"}, "keep", 0},
		{"nokeep", []string{"nokeep"}, "nokeep", 0},
		{"flush", []string{"flush"}, "flush", 0},
		{"reload", []string{"reload"}, "reload", 0},
		{"watch", []string{"watch"}, "watch", 0},
		{"seed delay", []string{"delay=60"}, "delay=60", 0},
		{"dashed seed delay", []string{"--delay=5"}, "delay=5", 0},
		{"delay command", []string{"delay", "7"}, "delay=7", 0},
		{"delay without seconds", []string{"delay"}, "", 1},
		{"unknown", []string{"bogus"}, "", 1},
		{"two words", []string{"debug", "keep"}, "", 1},
		{"help", []string{"-h"}, "", 0},
		{"long help", []string{"--help"}, "", 0},
		{"help command", []string{"help"}, "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			env := &applet.Env{Argv0: "kdstat", Stdout: &out, Stderr: &errOut}
			sent := ""
			app := CLI(env, func(cmd string) error { sent = cmd; return nil })
			err := app.Run(append([]string{"kdstat"}, seedArgs(c.args)...))
			code := 0
			if err != nil {
				code = 1
			}
			if sent != c.want || code != c.code {
				t.Errorf("kdstat %q: sent %q, code %d (%v); want %q, %d", c.args, sent, code, err, c.want, c.code)
			}
			if c.want == "" && c.code == 0 && !strings.Contains(out.String(), "delay=SECONDS") {
				t.Errorf("kdstat %q: no help on stdout:\n%s", c.args, out.String())
			}
		})
	}
}

// TestHelpConcurrent asks for help in every way at once: under -race it
// fails if the command lines still share urfave's help command or flag.
func TestHelpConcurrent(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help"}, {"help", "debug"}, {"debug", "help"}, {"debug", "-h"}, {"delay", "--help"}, {"-h"}, {"help", "help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			app := CLI(&applet.Env{Argv0: "kdstat", Stdout: &out, Stderr: &out}, func(string) error { return nil })
			if err := app.Run(append([]string{"kdstat"}, args...)); err != nil || !strings.Contains(out.String(), "NAME:") {
				t.Errorf("kdstat %q: %v\n%s", args, err, out.String())
			}
		})
	}
}
