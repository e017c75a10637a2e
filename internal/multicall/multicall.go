// Package multicall is what the binary is besides its applets: the table
// of applets main dispatches on (main fills it: only main imports the
// applets), and modutils' own command line, made with urfave/cli: the applet list, --version, --install [-s] DIR,
// "completion bash|zsh|fish" and "man [NAME]". The applets keep their
// own parsers (kmod's glibc getopt for kmod's tools); urfave/cli is only
// ever set up when modutils is called by its own name, or by kerneld and
// kdstat. main's tests check the man pages and completions the table
// makes.
package multicall

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/applets/applet/spec"
	"github.com/modutils/modutils/internal/cliapp"
	"github.com/modutils/modutils/internal/completion"
	"github.com/modutils/modutils/internal/manual"
)

// Applet is one name the binary answers to.
type Applet struct {
	Name string
	Run  func(env *applet.Env, args []string) int
	// Spec is a kmod tool's command line; CLI kerneld's and kdstat's.
	Spec *spec.Spec
	CLI  func(env *applet.Env) *cli.App
}

// Table is the applets, by name.
type Table []Applet

// Find is the applet called name.
func (t Table) Find(name string) (Applet, bool) {
	for _, a := range t {
		if a.Name == name {
			return a, true
		}
	}
	return Applet{}, false
}

// Model is the applet's completion model.
func (a Applet) Model() completion.Model {
	if a.Spec != nil {
		m := completion.FromSpec(a.Spec)
		m.Name = a.Name
		return m
	}
	app := a.CLI(&applet.Env{Stdout: io.Discard, Stderr: io.Discard})
	app.Setup()
	return completion.FromApp(app)
}

// Pages are the man pages, each with what its options are made from.
func (t Table) Pages() []manual.Source {
	var p []manual.Source
	for _, a := range t {
		s := manual.Source{Name: a.Name, Section: 8, Spec: a.Spec}
		if a.Spec != nil {
			s.Summary = a.Spec.Summary
		} else {
			s.App = a.CLI(&applet.Env{Stdout: io.Discard, Stderr: io.Discard})
			s.App.Setup()
			s.Summary = s.App.Usage
		}
		p = append(p, s)
	}
	self := t.app(&applet.Env{Stdout: io.Discard, Stderr: io.Discard})
	self.Setup()
	return append(p,
		manual.Source{Name: "modutils", Section: 8, Summary: self.Usage, App: self},
		manual.Source{Name: "modprobe.d", Section: 5, Summary: "configuration of modprobe"},
		manual.Source{Name: "depmod.d", Section: 5, Summary: "configuration of depmod"},
		manual.Source{Name: "modules.dep", Section: 5, Summary: "module dependencies and indexes, as depmod writes them"},
		manual.Source{Name: "conf.modules", Section: 5, Summary: "the configuration of modprobe and kerneld in modutils 2.x syntax"},
	)
}

// Alias is the page another name kmod's package gives a page stands
// for (install makes links to it), "" for any other name. A switch, not
// a map: a map literal would be built at every start of the binary.
func Alias(name string) string {
	switch name {
	case "modprobe.conf.5":
		return "modprobe.d.5"
	case "modules.dep.bin.5":
		return "modules.dep.5"
	}
	return ""
}

// FindPage is the page NAME or NAME.SECTION.
func (t Table) FindPage(name string) (manual.Source, bool) {
	if a := Alias(name); a != "" {
		name = a
	} else if a := Alias(name + ".5"); a != "" {
		name = a
	}
	for _, p := range t.Pages() {
		if p.Name == name || p.File() == name {
			return p, true
		}
	}
	return manual.Source{}, false
}

// exitError is a failure whose message is already printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// Run is modutils called by its own name, args being what follows it.
func (t Table) Run(env *applet.Env, args []string) int {
	a := t.app(env)
	err := a.Run(append([]string{"modutils"}, args...))
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	}
	fmt.Fprintf(env.Stderr, "modutils: %v\n", err)
	return 1
}

// Names are the applets' names.
func (t Table) Names() []string {
	var n []string
	for _, a := range t {
		n = append(n, a.Name)
	}
	return n
}

const usage = "modutils APPLET [ARGS...]  (or call it by an applet's name)\n" +
	"modutils --install [-s] DIR\n" +
	"modutils completion bash|zsh|fish [APPLET...]\n" +
	"modutils man [NAME]\n" +
	"modutils --version"

func (t Table) app(env *applet.Env) *cli.App {
	var b strings.Builder
	b.WriteString("Usage: " + strings.ReplaceAll(usage, "\n", "\n       ") + "\nApplets:\n")
	for _, n := range t.Names() {
		fmt.Fprintf(&b, "\t%s\n", n)
	}
	head := b.String()
	return cliapp.Wire(env, &cli.App{
		Name:      "modutils",
		HelpName:  "modutils",
		Usage:     "the Linux kernel-module tools in one binary",
		UsageText: usage,
		// The help: the usage, the applets, then a line of tab-separated
		// cells for each command and each option, which urfave's tab
		// writer aligns.
		// Named by its text, so that two tables' help never mix.
		CustomAppHelpTemplate: cliapp.CustomHelp(head, func(w io.Writer, data any) {
			a, ok := data.(*cli.App)
			if !ok {
				return
			}
			io.WriteString(w, head+"Commands:\n")
			for _, c := range a.VisibleCommands() {
				fmt.Fprintf(w, "\t%s\t%s\n", c.Name, c.Usage)
			}
			io.WriteString(w, "Options:\n")
			for _, f := range a.VisibleFlags() {
				fmt.Fprintf(w, "\t%s\n", f)
			}
		}),
		HideHelpCommand: true,
		HideVersion:     true,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "version", Aliases: []string{"V"}, Usage: "print the version of kmod this is, and the features it has", DisableDefaultText: true},
			&cli.BoolFlag{Name: "install", Usage: "make a link named after each applet in `DIR`, leaving names that exist alone", DisableDefaultText: true},
			&cli.BoolFlag{Name: "s", Usage: "with --install: symbolic links, not hard links", DisableDefaultText: true},
		},
		Commands: []*cli.Command{
			{
				Name:               "completion",
				Usage:              "print the completion of the applets for a shell",
				ArgsUsage:          "bash|zsh|fish [APPLET...]",
				Subcommands:        []*cli.Command{cliapp.HelpCommand()},
				CustomHelpTemplate: cli.CommandHelpTemplate,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "list", Usage: "print the `KIND` of names the scripts complete: " + strings.Join(completion.Kinds, ", ")},
					&cli.StringFlag{Name: "root", Usage: "with --list: read the lists under `DIR` (default: $" + completion.RootEnv + ", or /)"},
					&cli.StringFlag{Name: "kernel", Usage: "with --list: the kernel `VERSION` whose modules are listed (default: uname -r)"},
				},
				Action: func(c *cli.Context) error { return t.completionCmd(env, c) },
			},
			{
				Name:               "man",
				Usage:              "print a man page in roff (without NAME, the list of pages)",
				ArgsUsage:          "[NAME]",
				Subcommands:        []*cli.Command{cliapp.HelpCommand()},
				CustomHelpTemplate: cli.CommandHelpTemplate,
				Action:             func(c *cli.Context) error { return t.manCmd(env, c) },
			},
		},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			fmt.Fprintf(env.Stderr, "modutils: %v\nTry 'modutils --help' for more information.\n", err)
			return exitError{1}
		},
		Action: func(c *cli.Context) error {
			switch {
			case c.Bool("version"):
				io.WriteString(env.Stdout, applet.Version)
				return nil
			case c.Bool("install"):
				if c.NArg() != 1 {
					fmt.Fprintf(env.Stderr, "modutils: --install needs one directory\n")
					return exitError{1}
				}
				self, err := os.Executable()
				if err != nil {
					return err
				}
				return Install(env, t.Names(), self, c.Args().First(), c.Bool("s"))
			case c.NArg() > 0:
				fmt.Fprintf(env.Stderr, "modutils: unknown applet '%s'\n", c.Args().First())
				cli.HelpPrinter(env.Stderr, c.App.CustomAppHelpTemplate, c.App)
				return exitError{1}
			}
			cli.HelpPrinter(env.Stdout, c.App.CustomAppHelpTemplate, c.App)
			return exitError{1}
		},
	})
}

// Install makes a link to self named after each applet in dir, as
// BusyBox's --install: hard links, or symbolic ones to self's absolute
// path; a name that exists already is left as it is.
func Install(env *applet.Env, names []string, self, dir string, symbolic bool) error {
	abs, err := filepath.Abs(self)
	if err != nil {
		return err
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		fmt.Fprintf(env.Stderr, "modutils: %s: not a directory\n", dir)
		return exitError{1}
	}
	failed := false
	for _, n := range names {
		link := filepath.Join(dir, n)
		if symbolic {
			err = os.Symlink(abs, link)
		} else {
			err = os.Link(abs, link)
		}
		if err != nil && !errors.Is(err, fs.ErrExist) {
			fmt.Fprintf(env.Stderr, "modutils: %v\n", err)
			failed = true
		}
	}
	if failed {
		return exitError{1}
	}
	return nil
}

func (t Table) completionCmd(env *applet.Env, c *cli.Context) error {
	if kind := c.String("list"); kind != "" {
		root := c.String("root")
		if root == "" {
			root, _ = env.Lookup(completion.RootEnv)
		}
		l := completion.Lists{Root: root, Kernel: c.String("kernel"), Params: t.params}
		if err := l.Write(env.Stdout, kind, c.Args().Slice()); err != nil {
			fmt.Fprintf(env.Stderr, "modutils: completion --list %s: %v\n", kind, err)
			return exitError{1}
		}
		return nil
	}
	if c.NArg() == 0 {
		fmt.Fprintf(env.Stderr, "modutils: completion needs a shell: bash, zsh or fish\n")
		return exitError{1}
	}
	shell := c.Args().First()
	var write func(io.Writer, completion.Model)
	switch shell {
	case "bash":
		write = completion.Bash
	case "zsh":
		write = completion.Zsh
	case "fish":
		write = completion.Fish
	default:
		fmt.Fprintf(env.Stderr, "modutils: no completion for '%s': bash, zsh or fish\n", shell)
		return exitError{1}
	}
	names := c.Args().Tail()
	if len(names) == 0 {
		names = t.Names()
	}
	for _, n := range names {
		a, ok := t.Find(n)
		if !ok {
			fmt.Fprintf(env.Stderr, "modutils: unknown applet '%s'\n", n)
			return exitError{1}
		}
		write(env.Stdout, a.Model())
	}
	return nil
}

// params are a module's parm fields, as modinfo -F parm prints them.
func (t Table) params(root, kernel, module string) ([]string, error) {
	modinfo, ok := t.Find("modinfo")
	if !ok {
		return nil, fmt.Errorf("no modinfo")
	}
	args := []string{"-F", "parm"}
	if root != "" {
		args = append(args, "-b", root)
	}
	if kernel != "" {
		args = append(args, "-k", kernel)
	}
	var out bytes.Buffer
	if modinfo.Run(&applet.Env{Argv0: "modinfo", Stdout: &out, Stderr: io.Discard}, append(args, "--", module)) != 0 {
		return nil, fmt.Errorf("module %s not found", module)
	}
	return strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n"), nil
}

func (t Table) manCmd(env *applet.Env, c *cli.Context) error {
	if c.NArg() == 0 {
		for _, p := range t.Pages() {
			fmt.Fprintln(env.Stdout, p.File())
		}
		return nil
	}
	p, ok := t.FindPage(c.Args().First())
	if !ok {
		fmt.Fprintf(env.Stderr, "modutils: no man page '%s'\n", c.Args().First())
		return exitError{1}
	}
	return manual.Render(env.Stdout, p)
}
