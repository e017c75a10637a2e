// Package manual makes modutils' man pages: each page's prose is a roff
// file of pages/, and its SYNOPSIS and OPTIONS (and kdstat's COMMANDS)
// are written from the definitions the parsers use, a kmod applet's
// spec.Spec or kerneld's and kdstat's urfave/cli App, where the prose
// says ".\" @SYNOPSIS@", ".\" @OPTIONS@" or ".\" @COMMANDS@". A man page
// can then name no option the parser lacks, nor miss one it has.
package manual

import (
	"embed"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/modutils/modutils/applets/applet/spec"
	"github.com/modutils/modutils/applets/getopt"
)

//go:embed pages
var pages embed.FS

// Source is one page: its prose and, for a command, its definition.
type Source struct {
	Name    string // "modprobe", "modprobe.d"
	Section int
	Summary string
	Spec    *spec.Spec
	App     *cli.App
}

// File is the page's file name, "modprobe.8".
func (s Source) File() string { return fmt.Sprintf("%s.%d", s.Name, s.Section) }

// Prose lists the pages that have prose, by file name.
func Prose() []string {
	ents, _ := pages.ReadDir("pages")
	var n []string
	for _, e := range ents {
		n = append(n, e.Name())
	}
	sort.Strings(n)
	return n
}

// Render writes the page in roff.
func Render(w io.Writer, s Source) error {
	prose, err := pages.ReadFile("pages/" + s.File())
	if err != nil {
		return fmt.Errorf("no man page %s: %w", s.File(), err)
	}
	var b strings.Builder
	title := "System Administration"
	if s.Section == 5 {
		title = "File Formats"
	}
	fmt.Fprintf(&b, ".\\\" %s(%d), made by \"modutils man %s\" from its prose and its parser's definition.\n", s.Name, s.Section, s.Name)
	fmt.Fprintf(&b, ".TH %s %d \"\" \"modutils\" \"%s\"\n.SH NAME\n%s \\- %s\n", strings.ToUpper(s.Name), s.Section, title, Escape(s.Name), s.Summary)
	for _, line := range strings.SplitAfter(string(prose), "\n") {
		switch strings.TrimSpace(line) {
		case `.\" @SYNOPSIS@`:
			synopsis(&b, s)
		case `.\" @OPTIONS@`:
			options(&b, s)
		case `.\" @COMMANDS@`:
			commands(&b, s)
		default:
			b.WriteString(line)
		}
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// Escape makes text safe in roff: dashes are \- and a leading dot or
// quote is guarded.
func Escape(s string) string {
	s = strings.NewReplacer(`\`, `\e`, "-", `\-`).Replace(s)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

func synopsis(b *strings.Builder, s Source) {
	b.WriteString(".SH SYNOPSIS\n")
	switch {
	case s.Spec != nil:
		for i, u := range s.Spec.Usage {
			if i > 0 {
				b.WriteString(".br\n")
			}
			fmt.Fprintf(b, "\\fB%s\\fR %s\n", Escape(s.Name), Escape(u))
		}
		for _, c := range s.Spec.Commands {
			for _, u := range c.Usage {
				fmt.Fprintf(b, ".br\n\\fB%s\\fR %s\n", Escape(s.Name), Escape(u))
			}
		}
	case s.App != nil:
		for i, u := range strings.Split(s.App.UsageText, "\n") {
			if i > 0 {
				b.WriteString(".br\n")
			}
			name, rest, _ := strings.Cut(strings.TrimSpace(u), " ")
			fmt.Fprintf(b, "\\fB%s\\fR %s\n", Escape(name), Escape(rest))
		}
	}
}

func options(b *strings.Builder, s Source) {
	b.WriteString(".SH OPTIONS\n")
	switch {
	case s.Spec != nil:
		specOptions(b, s.Spec)
		for _, c := range s.Spec.Commands {
			if len(c.Options) == 0 {
				continue
			}
			fmt.Fprintf(b, ".SS %s options\n", Escape(c.Name))
			specOptions(b, c)
		}
	case s.App != nil:
		appFlags(b, s.App.VisibleFlags())
	}
}

// Tag is one option's spelling in a .TP line: \fB\-C\fR \fIFILE\fR.
func Tag(o spec.Option) []string {
	var t []string
	if o.Short != 0 {
		x := `\fB\-` + Escape(string(o.Short)) + `\fR`
		if o.Arg == getopt.RequiredArg {
			x += ` \fI` + o.ArgName + `\fR`
		}
		t = append(t, x)
	}
	if o.Long != "" {
		x := `\fB\-\-` + Escape(o.Long) + `\fR`
		if o.Arg == getopt.RequiredArg {
			x = `\fB\-\-` + Escape(o.Long) + `=\fR\fI` + o.ArgName + `\fR`
		}
		t = append(t, x)
	}
	return t
}

func specOptions(b *strings.Builder, s *spec.Spec) {
	for _, g := range s.Groups() {
		var tags []string
		seen := map[string]bool{}
		doc := ""
		for _, o := range g {
			for _, t := range Tag(o) {
				if !seen[t] {
					seen[t] = true
					tags = append(tags, t)
				}
			}
			if doc == "" {
				doc = o.Doc
			}
		}
		if doc == "" {
			doc = Escape(strings.Join(strings.Fields(g[0].Help), " "))
		}
		fmt.Fprintf(b, ".TP\n%s\n%s\n", strings.Join(tags, ", "), doc)
	}
}

func appFlags(b *strings.Builder, flags []cli.Flag) {
	for _, f := range flags {
		d, ok := f.(cli.DocGenerationFlag)
		if !ok {
			continue
		}
		var tags []string
		for _, n := range f.Names() {
			dash := `\-\-`
			if len(n) == 1 {
				dash = `\-`
			}
			t := `\fB` + dash + Escape(n) + `\fR`
			if d.TakesValue() {
				arg, _ := unquoteUsage(d.GetUsage())
				if arg == "" {
					arg = "VALUE"
				}
				t += ` \fI` + arg + `\fR`
			}
			tags = append(tags, t)
		}
		_, usage := unquoteUsage(d.GetUsage())
		if v := d.GetDefaultText(); v != "" && d.TakesValue() {
			usage += " (default: " + strings.Trim(v, `"`) + ")"
		}
		fmt.Fprintf(b, ".TP\n%s\n%s.\n", strings.Join(tags, ", "), Escape(usage))
	}
}

func commands(b *strings.Builder, s Source) {
	b.WriteString(".SH COMMANDS\n")
	if s.App != nil {
		for _, c := range s.App.VisibleCommands() {
			tag := `\fB` + Escape(c.Name) + `\fR`
			if c.ArgsUsage != "" {
				tag += ` \fI` + c.ArgsUsage + `\fR`
			}
			fmt.Fprintf(b, ".TP\n%s\n%s.\n", tag, Escape(c.Usage))
		}
	}
	if s.Spec != nil {
		for _, c := range s.Spec.Commands {
			fmt.Fprintf(b, ".TP\n\\fB%s\\fR\n%s.\n", Escape(c.Name), Escape(strings.ToUpper(c.CommandHelp[:1])+c.CommandHelp[1:]))
		}
	}
}

// unquoteUsage splits urfave/cli's usage text into its back-quoted
// argument name and the text without the quotes, as its help does.
func unquoteUsage(usage string) (name, text string) {
	before, rest, ok := strings.Cut(usage, "`")
	if !ok {
		return "", usage
	}
	name, after, ok := strings.Cut(rest, "`")
	if !ok {
		return "", usage
	}
	return name, before + name + after
}
