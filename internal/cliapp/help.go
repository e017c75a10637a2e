package cliapp

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"
)

// urfave/cli renders its help from text/template templates; our copy of
// it calls cli.HelpRenderer instead (third_party/README.md says why), and
// render is ours: urfave's three templates, and each template a command
// line registered with CustomHelp, written out in Go. TestHelpRenderer
// holds the output to text/template's, byte for byte.
func render(w io.Writer, templ string, data any, wrapAt int) {
	h := help{w: w, wrapAt: wrapAt}
	switch templ {
	case cli.AppHelpTemplate:
		if a, ok := data.(*cli.App); ok {
			h.app(a)
			return
		}
	case cli.CommandHelpTemplate, cli.SubcommandHelpTemplate:
		if c, ok := data.(*cli.Command); ok {
			h.command(c, templ == cli.SubcommandHelpTemplate)
			return
		}
	default:
		custom.Lock()
		r := custom.m[templ]
		custom.Unlock()
		if r != nil {
			r(w, data)
			return
		}
	}
	// text/template fails on a template it cannot run and prints
	// nothing unless CLI_TEMPLATE_ERROR_DEBUG is set: say so always.
	fmt.Fprintf(cli.ErrWriter, "CLI TEMPLATE ERROR: no renderer for this template and %T\n", data)
}

// custom holds the renderers of the custom templates of command lines.
var custom struct {
	sync.Mutex
	m map[string]func(io.Writer, any)
}

// CustomHelp registers r as the renderer of the custom help template
// templ (an App's CustomAppHelpTemplate or a Command's
// CustomHelpTemplate), and returns templ: the template's text is then only
// its name, which must tell it from every other registered (a later
// registration of the same name replaces the earlier). r writes the help
// of data, the *cli.App or *cli.Command, through the tab writer urfave's
// templates write through.
func CustomHelp(templ string, r func(w io.Writer, data any)) string {
	install()
	custom.Lock()
	defer custom.Unlock()
	if custom.m == nil {
		custom.m = map[string]func(io.Writer, any){}
	}
	custom.m[templ] = r
	return templ
}

// help writes one help text, as urfave's templates describe it.
type help struct {
	w      io.Writer
	wrapAt int
}

func (h help) str(s ...string) {
	for _, s := range s {
		io.WriteString(h.w, s)
	}
}

func (h help) wrap(s string, offset int) string { return cli.Wrap(s, offset, h.wrapAt) }

// name is helpNameTemplate.
func (h help) name(helpName, usage string) {
	h.str(h.wrap(helpName, 3))
	if usage != "" {
		h.str(" - ", h.wrap(usage, cli.Offset(helpName, 6)))
	}
}

// top writes NAME and the start of USAGE: the usage text, wrapped, if
// there is one, which it reports.
func (h help) top(helpName, usage, usageText string) bool {
	h.str("NAME:\n   ")
	h.name(helpName, usage)
	h.str("\n\nUSAGE:\n   ")
	if usageText == "" {
		return false
	}
	h.str(h.wrap(usageText, 3))
	return true
}

// app is AppHelpTemplate.
func (h help) app(a *cli.App) {
	if !h.top(a.HelpName, a.Usage, a.UsageText) {
		h.str(a.HelpName, " ")
		if len(a.VisibleFlags()) > 0 {
			h.str("[global options]")
		}
		if len(a.Commands) > 0 {
			h.str(" command [command options]")
		}
		h.args(a.ArgsUsage, a.Args)
	}
	if a.Version != "" && !a.HideVersion {
		h.str("\n\nVERSION:\n   ", a.Version)
	}
	if a.Description != "" {
		h.str("\n\nDESCRIPTION:\n   ", h.wrap(a.Description, 3))
	}
	if n := len(a.Authors); n > 0 {
		h.str("\n\nAUTHOR")
		if n != 1 {
			h.str("S")
		}
		h.str(":\n   ")
		for i, au := range a.Authors {
			if i > 0 {
				h.str("\n   ")
			}
			fmt.Fprint(h.w, au)
		}
	}
	if len(a.VisibleCommands()) > 0 {
		h.str("\n\nCOMMANDS:")
		h.commandCategories(a.VisibleCategories())
	}
	h.flags("GLOBAL OPTIONS:", a.VisibleFlagCategories(), a.VisibleFlags())
	if a.Copyright != "" {
		h.str("\n\nCOPYRIGHT:\n   ", h.wrap(a.Copyright, 3))
	}
	h.str("\n")
}

// command is CommandHelpTemplate, or SubcommandHelpTemplate (sub), which
// lists the command's own commands too.
func (h help) command(c *cli.Command, sub bool) {
	if !h.top(c.HelpName, c.Usage, c.UsageText) { // usageTemplate
		h.str(c.HelpName)
		if len(c.VisibleFlags()) > 0 {
			h.str(" [command options]")
		}
		h.args(c.ArgsUsage, c.Args)
	}
	if c.Category != "" {
		h.str("\n\nCATEGORY:\n   ", c.Category)
	}
	if c.Description != "" {
		h.str("\n\nDESCRIPTION:\n   ", h.wrap(c.Description, 3))
	}
	if sub && len(c.VisibleCommands()) > 0 {
		h.str("\n\nCOMMANDS:")
		h.commandCategories(c.VisibleCategories())
	}
	h.flags("OPTIONS:", c.VisibleFlagCategories(), c.VisibleFlags())
	h.str("\n")
}

// args ends a usage line without UsageText.
func (h help) args(argsUsage string, args bool) {
	if argsUsage != "" {
		h.str(" ", argsUsage)
	} else if args {
		h.str(" [arguments...]")
	}
}

// commandCategories is visibleCommandCategoryTemplate: the commands of a
// named category a tab-separated line each, the unnamed category's
// through visibleCommandTemplate, aligned by hand.
func (h help) commandCategories(cats []cli.CommandCategory) {
	for _, cat := range cats {
		if cat.Name() != "" {
			h.str("\n   ", cat.Name(), ":")
			for _, c := range cat.VisibleCommands() {
				h.str("\n     ", strings.Join(c.Names(), ", "), "\t", c.Usage)
			}
			continue
		}
		cmds := cat.VisibleCommands()
		cv := cli.OffsetCommands(cmds, 5)
		for _, c := range cmds {
			s := strings.Join(c.Names(), ", ")
			h.str("\n   ", s, cli.Indent(cv-cli.Offset(s, 3), ""), h.wrap(c.Usage, cv))
		}
	}
}

// flags is the options' section: visibleFlagCategoryTemplate where there
// are categories, else visibleFlagTemplate.
func (h help) flags(title string, cats []cli.VisibleFlagCategory, flags []cli.Flag) {
	switch {
	case len(cats) > 0:
		h.str("\n\n", title)
		for _, cat := range cats {
			h.str("\n   ")
			if cat.Name() != "" {
				h.str(cat.Name(), "\n\n   ")
			}
			fs := cat.Flags()
			for i, f := range fs {
				fmt.Fprint(h.w, f)
				if i == len(fs)-1 {
					h.str("\n")
				} else {
					h.str("\n   ")
				}
			}
		}
	case len(flags) > 0:
		h.str("\n\n", title)
		for _, f := range flags {
			h.str("\n   ", h.wrap(f.String(), 6))
		}
	}
}
