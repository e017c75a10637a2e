package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/applets/applet/spec"
	"github.com/modutils/modutils/applets/getopt"
	"github.com/modutils/modutils/internal/completion"
	"github.com/modutils/modutils/internal/manual"
	"github.com/modutils/modutils/internal/multicall"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/")

func render(t *testing.T, p manual.Source) string {
	t.Helper()
	var b bytes.Buffer
	if err := manual.Render(&b, p); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// tagOption finds the options of a .TP tag line: \fB\-\-name or \fB\-x.
var tagOption = regexp.MustCompile(`\\fB\\-(\\-(?:[a-z0-9]|\\-)+|[a-zA-Z0-9])`)

// tags are the options the OPTIONS section's .TP lines document, by
// subsection ("" for the command's own, else a kmod command's name).
func tags(page string) map[string][]string {
	out := map[string][]string{}
	in, sub, tp := false, "", false
	for _, line := range strings.Split(page, "\n") {
		switch {
		case strings.HasPrefix(line, ".SH "):
			in = line == ".SH OPTIONS"
			sub = ""
		case in && strings.HasPrefix(line, ".SS "):
			sub = strings.Fields(strings.ReplaceAll(line[4:], `\-`, "-"))[0]
		case in && line == ".TP":
			tp = true
		case tp:
			tp = false
			for _, m := range tagOption.FindAllStringSubmatch(line, -1) {
				out[sub] = append(out[sub], "-"+strings.ReplaceAll(m[1], `\-`, "-"))
			}
		}
	}
	return out
}

func specNames(s *spec.Spec) []string {
	var n []string
	seen := map[string]bool{}
	for _, o := range s.Options {
		for _, x := range []string{string(o.Short), o.Long} {
			name := "-" + x
			if len(x) > 1 {
				name = "--" + x
			}
			if x != "\x00" && x != "" && !seen[name] {
				seen[name] = true
				n = append(n, name)
			}
		}
	}
	sort.Strings(n)
	return n
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}

// TestManPagesMatchParsers checks that each command's man page
// documents every option its parser has and none it lacks, and, for
// kmod's tools, that the real parser takes every option documented.
func TestManPagesMatchParsers(t *testing.T) {
	for _, p := range applets.Pages() {
		t.Run(p.File(), func(t *testing.T) {
			got := tags(render(t, p))
			switch {
			case p.Spec != nil:
				checkSet(t, "", got[""], specNames(p.Spec))
				for _, c := range p.Spec.Commands {
					if len(c.Options) > 0 {
						checkSet(t, c.Name, got[c.Name], specNames(c))
					}
				}
				a, _ := applets.Find(p.Name)
				for sub, opts := range got {
					for _, o := range opts {
						acceptedBy(t, a, p.Spec, sub, o)
					}
				}
			case p.App != nil:
				var want []string
				for _, f := range p.App.VisibleFlags() {
					for _, n := range f.Names() {
						if len(n) == 1 {
							want = append(want, "-"+n)
						} else {
							want = append(want, "--"+n)
						}
					}
				}
				checkSet(t, "", got[""], sorted(want))
			default:
				if len(got) > 0 {
					t.Errorf("a file format's page documents options: %v", got)
				}
			}
		})
	}
}

func checkSet(t *testing.T, sub string, got, want []string) {
	t.Helper()
	got = sorted(got)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%s: the man page documents %v; the parser has %v", sub, got, want)
	}
}

// acceptedBy runs the applet with the option, then --help: a parser
// that lacks the option says so in glibc's words before the help.
func acceptedBy(t *testing.T, a multicall.Applet, s *spec.Spec, sub, opt string) {
	t.Helper()
	args := []string{opt}
	if sub != "" {
		args = []string{sub, opt}
		for _, c := range s.Commands {
			if c.Name == sub {
				s = c
			}
		}
	}
	for _, o := range s.Options {
		if (opt == "-"+string(o.Short) || opt == "--"+o.Long) && o.Arg == getopt.RequiredArg {
			arg := "/"
			if len(o.Words) > 0 {
				arg = o.Words[0]
			}
			args = append(args, arg)
		}
	}
	args = append(args, "--help")
	var out, errOut bytes.Buffer
	code := a.Run(&applet.Env{Argv0: a.Name, Stdout: &out, Stderr: &errOut, LookupEnv: func(string) (string, bool) { return "", false }}, args)
	for _, bad := range []string{"unrecognized option", "invalid option", "requires an argument", "ambiguous"} {
		if strings.Contains(errOut.String(), bad) {
			t.Errorf("%s %q: %d, %s", a.Name, args, code, errOut.String())
		}
	}
}

// TestPagesHaveProse checks that every page has prose and every prose
// file a page.
func TestPagesHaveProse(t *testing.T) {
	var files []string
	for _, p := range applets.Pages() {
		files = append(files, p.File())
	}
	if got, want := strings.Join(manual.Prose(), " "), strings.Join(sorted(files), " "); got != want {
		t.Errorf("prose %s; pages %s", got, want)
	}
}

// golden compares got with testdata/NAME, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test . -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from what is generated now (go test . -update rewrites it):\n%s", path, firstDiff(got, string(want)))
	}
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got %s\nwant %s", i+1, gl, wl)
		}
	}
	return ""
}

// TestGolden keeps the generated man pages and completions under
// testdata/, so that a change to any of them shows in review.
func TestGolden(t *testing.T) {
	for _, p := range applets.Pages() {
		golden(t, "man/"+p.File(), render(t, p))
	}
	for _, a := range applets {
		for shell, write := range map[string]func(*bytes.Buffer, completion.Model){
			"bash": func(b *bytes.Buffer, m completion.Model) { completion.Bash(b, m) },
			"zsh":  func(b *bytes.Buffer, m completion.Model) { completion.Zsh(b, m) },
			"fish": func(b *bytes.Buffer, m completion.Model) { completion.Fish(b, m) },
		} {
			var b bytes.Buffer
			write(&b, a.Model())
			golden(t, "completion/"+shell+"/"+a.Name, b.String())
		}
	}
}
