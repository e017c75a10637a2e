package cliapp

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"text/template"

	"github.com/urfave/cli/v2"

	"github.com/modutils/modutils/applets/applet"
)

// cliDir is our copy of urfave/cli (go.mod's replace line).
const cliDir = "../../third_party/github.com/urfave/cli/v2"

// subTemplates reads the named templates urfave's help templates include
// (helpNameTemplate, usageTemplate, ...) from the copy's template.go:
// unexported there, and what text/template rendered.
func subTemplates(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), cliDir+"/template.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.VAR {
			continue
		}
		for _, s := range g.Specs {
			v := s.(*ast.ValueSpec)
			if len(v.Names) != 1 || len(v.Values) != 1 || !strings.HasSuffix(v.Names[0].Name, "Template") {
				continue
			}
			if lit, ok := v.Values[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil {
					out[v.Names[0].Name] = s
				}
			}
		}
	}
	if len(out) < 10 {
		t.Fatalf("read %d templates from %s/template.go", len(out), cliDir)
	}
	return out
}

// textTemplate is upstream's printHelpCustom: templ and the templates it
// includes run by text/template, through the same tab writer.
func textTemplate(t *testing.T, sub map[string]string, templ string, data any, wrapAt int) string {
	t.Helper()
	funcs := template.FuncMap{
		"join":           strings.Join,
		"subtract":       func(a, b int) int { return a - b },
		"indent":         cli.Indent,
		"nindent":        func(n int, v string) string { return "\n" + cli.Indent(n, v) },
		"trim":           strings.TrimSpace,
		"wrap":           func(s string, offset int) string { return cli.Wrap(s, offset, wrapAt) },
		"offset":         cli.Offset,
		"offsetCommands": cli.OffsetCommands,
	}
	var b bytes.Buffer
	w := tabwriter.NewWriter(&b, 1, 8, 2, ' ', 0)
	tm := template.Must(template.New("help").Funcs(funcs).Parse(templ))
	for _, name := range []string{"helpNameTemplate", "usageTemplate", "descriptionTemplate", "visibleCommandTemplate",
		"copyrightTemplate", "versionTemplate", "visibleFlagCategoryTemplate", "visibleFlagTemplate",
		"authorsTemplate", "visibleCommandCategoryTemplate"} {
		template.Must(tm.New(name).Parse(sub[name]))
	}
	template.Must(tm.New("visibleGlobalFlagCategoryTemplate").Parse(
		strings.ReplaceAll(sub["visibleFlagCategoryTemplate"], "OPTIONS", "GLOBAL OPTIONS")))
	if err := tm.Execute(w, data); err != nil {
		t.Fatalf("text/template: %v", err)
	}
	w.Flush()
	return b.String()
}

// helpApps are command lines that take every branch of urfave's help
// templates; set up says whether each went through App.Setup (without it
// an App has no flag categories, and its help lists its flags plainly).
func helpApps() []struct {
	name  string
	app   *cli.App
	setUp bool
} {
	flags := func() []cli.Flag {
		return []cli.Flag{
			&cli.BoolFlag{Name: "debug", Usage: "log every event, request and load"},
			&cli.StringFlag{Name: "delay", Value: "60", Usage: "unload a module once idle `SECONDS`"},
			&cli.BoolFlag{Name: "foreground", Aliases: []string{"f"}, Usage: "stay in the foreground, log to stderr"},
		}
	}
	categorized := func() []cli.Flag {
		return []cli.Flag{
			&cli.BoolFlag{Name: "a", Category: "Loading", Usage: "the first"},
			&cli.StringFlag{Name: "b", Category: "Unloading", Usage: "the second, whose usage runs long enough to be wrapped at a narrow width"},
			&cli.BoolFlag{Name: "c", Usage: "no category"},
			&cli.BoolFlag{Name: "d", Category: "Loading", Hidden: true},
		}
	}
	commands := func() []*cli.Command {
		return []*cli.Command{
			{Name: "status", Usage: "show the state (the default)", Flags: flags()},
			{Name: "delay", Aliases: []string{"d", "del"}, Usage: "set the delay", ArgsUsage: "SECONDS", Args: true},
			{Name: "hidden", Hidden: true},
			{Name: "watch", Usage: "print events as they happen, until the daemon stops, on and on, a usage long enough to wrap",
				Description: "Watch prints.\n\nIt stops when\nthe daemon does.", Category: "observing", Args: true,
				Subcommands: []*cli.Command{{Name: "events", Usage: "only events"}, {Name: "loads", Aliases: []string{"l"}}}},
			{Name: "flush", UsageText: "app flush\napp flush --now", Flags: categorized()},
		}
	}
	type c = struct {
		name  string
		app   *cli.App
		setUp bool
	}
	return []c{
		{"empty", &cli.App{Name: "x"}, true},
		{"empty, not set up", &cli.App{Name: "x", HideHelp: true}, false},
		{"flags", &cli.App{Name: "kerneld", Usage: "load and unload kernel modules as the system needs them",
			UsageText:   "kerneld [debug] [keep] [delay=SECONDS] [--foreground]",
			Description: "Without --foreground, kerneld starts again in the background and returns once that daemon is ready.",
			Flags:       flags()}, true},
		{"flags, not set up", &cli.App{Name: "kerneld", Flags: flags(), ArgsUsage: "[WORDS]"}, false},
		{"commands", &cli.App{Name: "kdstat", Usage: "show the state", Commands: commands(), HideHelpCommand: true}, true},
		{"commands and help", &cli.App{Name: "kdstat", Commands: commands(), Flags: categorized()}, true},
		{"everything", &cli.App{
			Name: "app", HelpName: "the-app", Usage: "a usage of many words that wraps when the width is small",
			Version: "34.2", Description: "Line one.\n\nLine three, after a blank one.",
			Authors:   []*cli.Author{{Name: "A. Author", Email: "a@example.org"}},
			Copyright: "(c) 2026 the modutils authors\nand others",
			Commands:  commands(), Flags: flags(), Args: true}, true},
		{"authors, hidden version", &cli.App{Name: "app", Version: "1", HideVersion: true,
			Authors: []*cli.Author{{Name: "One"}, {Name: "Two", Email: "two@example.org"}}, ArgsUsage: "FILE..."}, true},
		{"args", &cli.App{Name: "app", Args: true, HideHelp: true}, true},
	}
}

// TestHelpRenderer holds render to text/template's rendering of urfave's
// templates, byte for byte: every App's help, and every command's as a
// command and as a command with subcommands, at urfave's width and at a
// narrow one.
func TestHelpRenderer(t *testing.T) {
	t.Parallel()
	sub := subTemplates(t)
	for _, tc := range helpApps() {
		if tc.setUp {
			// Running a command sets it up, as printing its help needs.
			Wire(&applet.Env{Stdout: io.Discard, Stderr: io.Discard}, tc.app)
			for _, c := range tc.app.Commands {
				tc.app.Run([]string{tc.app.Name, c.Name, "--help"})
			}
			tc.app.Setup()
		}
		for _, wrapAt := range []int{10000, 30} {
			check := func(what, templ string, data any) {
				t.Helper()
				var got bytes.Buffer
				w := tabwriter.NewWriter(&got, 1, 8, 2, ' ', 0)
				render(w, templ, data, wrapAt)
				w.Flush()
				if want := textTemplate(t, sub, templ, data, wrapAt); got.String() != want {
					t.Errorf("%s, %s, wrapped at %d:\ngot:\n%s\nwant (text/template):\n%s", tc.name, what, wrapAt, got.String(), want)
				}
			}
			check("app", cli.AppHelpTemplate, tc.app)
			for _, c := range tc.app.Commands {
				check("command "+c.Name, cli.CommandHelpTemplate, c)
				if tc.setUp {
					check("command "+c.Name+" with subcommands", cli.SubcommandHelpTemplate, c)
				}
				for _, s := range c.Subcommands {
					check("subcommand "+s.Name, cli.CommandHelpTemplate, s)
				}
			}
		}
	}
}

// TestHelpPrinter goes through urfave's own entry: HelpPrinterCustom's
// width ("wrapAt") reaches render, and a custom template reaches the
// renderer registered for it.
func TestHelpPrinter(t *testing.T) {
	t.Parallel()
	install()
	sub := subTemplates(t)
	app := helpApps()[6].app
	app.Setup()
	var got bytes.Buffer
	cli.HelpPrinterCustom(&got, cli.AppHelpTemplate, app, map[string]any{"wrapAt": func() int { return 30 }})
	if want := textTemplate(t, sub, cli.AppHelpTemplate, app, 30); got.String() != want {
		t.Errorf("HelpPrinterCustom at 30:\ngot:\n%s\nwant:\n%s", got.String(), want)
	}
	templ := CustomHelp("TestHelpPrinter's help", func(w io.Writer, data any) {
		a := data.(*cli.App)
		for _, c := range a.VisibleCommands() {
			w.Write([]byte(c.Name + "\t" + c.Usage + "\n"))
		}
	})
	got.Reset()
	cli.HelpPrinter(&got, templ, app)
	if want := textTemplate(t, sub, "{{range .VisibleCommands}}{{.Name}}\t{{.Usage}}\n{{end}}", app, 10000); got.String() != want {
		t.Errorf("custom help:\ngot:\n%s\nwant:\n%s", got.String(), want)
	}
}

// TestFishCompletion holds our copy's ToFishCompletion, which writes what
// FishCompletionTemplate described, to text/template's rendering of that
// template with the same commands and completions.
func TestFishCompletion(t *testing.T) {
	t.Parallel()
	for _, tc := range helpApps() {
		if !tc.setUp {
			continue
		}
		got, err := tc.app.ToFishCompletion()
		if err != nil {
			t.Fatal(err)
		}
		// The commands and completions are upstream's code, unchanged:
		// read them back from the script to render the template with.
		_, rest, ok := strings.Cut(got, "if contains -- $i")
		if !ok {
			t.Fatalf("%s: no command list in\n%s", tc.name, got)
		}
		line, _, _ := strings.Cut(rest, "\n")
		var data struct {
			App         *cli.App
			Completions []string
			AllCommands []string
		}
		data.App, data.AllCommands = tc.app, strings.Fields(line)
		if _, comps, ok := strings.Cut(got, "    return 0\nend\n\n"); ok && comps != "" {
			data.Completions = strings.Split(strings.TrimSuffix(comps, "\n"), "\n")
		}
		var want bytes.Buffer
		if err := template.Must(template.New("cli").Parse(cli.FishCompletionTemplate)).Execute(&want, &data); err != nil {
			t.Fatal(err)
		}
		if got != want.String() {
			t.Errorf("%s:\ngot:\n%s\nwant (text/template):\n%s", tc.name, got, want.String())
		}
	}
}
