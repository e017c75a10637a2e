package kerneld

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/internal/cliapp"
	"github.com/modutils/modutils/kernel/kdsock"
)

// kerneld's command line is urfave/cli's: its flags are defined once here,
// and its help, the man page and the shell completions are made from
// them. The 1990s spellings, bare words without dashes ("kerneld debug
// keep delay=60"), are the same flags: they are given dashes before the
// parser sees them.

// seedWords are the bare words of the 1990s kerneld, as flags.
var seedWords = []string{"debug", "keep", "delay"}

// CLI is kerneld's command line; its Action stores what it parsed in o.
func CLI(env *applet.Env, o *Options) *cli.App {
	return cliapp.Wire(env, &cli.App{
		Name:      "kerneld",
		HelpName:  "kerneld",
		Usage:     "load and unload kernel modules as the system needs them",
		UsageText: "kerneld [debug] [keep] [delay=SECONDS] [--foreground]",
		Description: "Without --foreground, kerneld starts again in the background and returns once that daemon is ready " +
			"(coldplug done). Each flag may also be spelt as the 1990s kerneld took it, without dashes: debug, keep, delay=N.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "debug", Usage: "log every event, request and load"},
			&cli.BoolFlag{Name: "keep", Usage: "never unload modules (no autoclean)"},
			&cli.StringFlag{Name: "delay", Value: "60", Usage: "unload a module kerneld loaded once idle `SECONDS`"},
			&cli.BoolFlag{Name: "foreground", Aliases: []string{"f"}, Usage: "stay in the foreground, log to stderr"},
			&cli.StringFlag{Name: "socket", Value: kdsock.Path, Usage: "listen on `PATH` (for tests)", Hidden: true},
		},
		HideHelpCommand: true,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{err}
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError{fmt.Errorf("unknown argument '%s'", c.Args().First())}
			}
			n, err := strconv.Atoi(c.String("delay"))
			if err != nil || n < 1 {
				return usageError{fmt.Errorf("bad delay '%s'", c.String("delay"))}
			}
			o.Debug, o.Keep, o.Foreground = c.Bool("debug"), c.Bool("keep"), c.Bool("foreground")
			o.Delay = time.Duration(n) * time.Second
			o.Socket = c.String("socket")
			return nil
		},
	})
}

// usageError is a command line kerneld does not take.
type usageError struct{ error }

// seedArgs gives the 1990s bare words their dashes.
func seedArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		name, _, _ := strings.Cut(a, "=")
		out[i] = a
		for _, w := range seedWords {
			if name == w {
				out[i] = "--" + a
			}
		}
	}
	return out
}

// parseArgs reads kerneld's command line, printing nothing.
func parseArgs(args []string) (Options, error) {
	o, _, err := parse(&applet.Env{Stdout: io.Discard, Stderr: io.Discard}, args)
	return o, err
}

// parse reads kerneld's command line; help is set when it asked for the
// help, which urfave/cli has printed on env's stdout.
func parse(env *applet.Env, args []string) (o Options, help bool, err error) {
	o = Options{Delay: 60 * time.Second, Socket: kdsock.Path, SettleTimeout: SettleTimeout}
	parsed := false
	app := CLI(env, &o)
	action := app.Action
	app.Action = func(c *cli.Context) error { parsed = true; return action(c) }
	err = app.Run(append([]string{"kerneld"}, seedArgs(args)...))
	return o, err == nil && !parsed, err
}

// commandLine parses kerneld's arguments: ok is false when kerneld is to
// exit at once with code (after its help, or a bad command line).
func commandLine(env *applet.Env, args []string) (o Options, code int, ok bool) {
	o, help, err := parse(env, args)
	var ue usageError
	switch {
	case help:
		return o, 0, false
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "kerneld: %v\nUsage: %s\nTry 'kerneld --help' for more information.\n", ue.error, CLI(env, &o).UsageText)
		return o, 1, false
	case err != nil:
		fmt.Fprintf(env.Stderr, "kerneld: %v\n", err)
		return o, 1, false
	}
	return o, 0, true
}
