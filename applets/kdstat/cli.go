package kdstat

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/internal/cliapp"
)

// kdstat's commands are urfave/cli's: defined once here, with their help,
// man page and completions made from them. The 1990s kdstat took one
// word, with or without dashes ("kdstat debug", "kdstat -debug"), and
// delay=N: seedArgs turns those into the commands.

// commands are kdstat's, each with what it asks of kerneld.
var commands = []struct{ name, usage string }{
	{"status", "show kerneld's state (the default)"},
	{"debug", "make kerneld log every event, request and load"},
	{"nodebug", "stop debug's logging"},
	{"keep", "make kerneld never unload modules"},
	{"nokeep", "make kerneld unload idle modules again"},
	{"flush", "unload every idle module kerneld loaded, now"},
	{"reload", "make kerneld read its configuration and indexes again (as SIGHUP)"},
	{"watch", "print events, requests and loads as they happen, until kerneld stops"},
}

// CLI is kdstat's command line; send is called with the command for
// kerneld ("status", "delay=60").
func CLI(env *applet.Env, send func(cmd string) error) *cli.App {
	app := cliapp.Wire(env, &cli.App{
		Name:      "kdstat",
		HelpName:  "kdstat",
		Usage:     "show kerneld's state and change its settings",
		UsageText: "kdstat [status|debug|nodebug|keep|nokeep|delay=SECONDS|flush|reload|watch]",
		Description: "kdstat talks to kerneld over its socket, /run/kerneld.sock, which only root may open. " +
			"Each command may also be spelt as the 1990s kdstat took it: with dashes (-debug) and delay=N.",
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return err
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("unknown command '%s'", c.Args().First())
			}
			return send("status")
		},
	})
	for _, cmd := range commands {
		name := cmd.name
		app.Commands = append(app.Commands, &cli.Command{
			Name:               name,
			Usage:              cmd.usage,
			Subcommands:        []*cli.Command{cliapp.HelpCommand()},
			CustomHelpTemplate: cli.CommandHelpTemplate,
			Action: func(c *cli.Context) error {
				if c.NArg() > 0 {
					return fmt.Errorf("%s takes no argument", name)
				}
				return send(name)
			},
		})
	}
	app.Commands = append(app.Commands, &cli.Command{
		Name:               "delay",
		Usage:              "make kerneld unload a module it loaded once idle SECONDS (delay=SECONDS)",
		ArgsUsage:          "SECONDS",
		Subcommands:        []*cli.Command{cliapp.HelpCommand()},
		CustomHelpTemplate: cli.CommandHelpTemplate,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("delay takes one argument, the seconds")
			}
			return send("delay=" + c.Args().First())
		},
	})
	// Each command has a help command of its own, copied from urfave's,
	// and so does the App, which then takes the help flag explicitly:
	// urfave's one help command is a package variable that setting up a
	// command writes into.
	app.Commands = append(app.Commands, cliapp.HelpCommand())
	app.Flags = append(app.Flags, cli.HelpFlag)
	return app
}

// seedArgs turns the 1990s spellings into commands: a command word's
// dashes go ("-debug" is debug; -h and --help stay urfave's help), and
// delay=N is "delay N".
func seedArgs(args []string) []string {
	if len(args) == 0 {
		return args
	}
	word := strings.TrimLeft(args[0], "-")
	name, val, hasVal := strings.Cut(word, "=")
	if name == "delay" && hasVal {
		return append([]string{"delay", val}, args[1:]...)
	}
	for _, c := range commands {
		if word == c.name {
			return append([]string{word}, args[1:]...)
		}
	}
	return args
}
