package modconf

import (
	"io"
	"strings"

	"github.com/modutils/modutils/internal/diag"
)

// LegacyModprobe is the modprobe that the install and remove commands made
// from pre-/post- lines run to load or unload the module itself.
const LegacyModprobe = "/sbin/modprobe"

// ParseLegacyConfig reads /etc/conf.modules or /etc/modules.conf in the
// syntax of modutils 2.x, the kerneld era, and translates it into modprobe.d
// entries; LEGACY.md describes the mapping. filename is only for messages,
// which are ordinary ones (kmod has no counterpart): a warning for each line
// that cannot be used, an diag.Info for each that is accepted but has no effect.
func ParseLegacyConfig(r io.Reader, filename string, report diag.Reporter) *Config {
	if report == nil {
		report = diag.Discard
	}
	p := legacyParser{file: filename, report: report, cfg: &Config{}}
	lr := NewLineReader(r)
	for {
		raw, ok := lr.Next()
		if !ok {
			break
		}
		p.line(string(raw), lr.LineNum)
	}
	if p.skipDepth > 0 {
		p.report(diag.Warning, "%s line %d: ignoring everything from this 'if' to the end of the file: conditionals are not supported and it has no 'endif'\n", p.file, p.skipFrom)
	}
	p.finish()
	return p.cfg
}

type legacyParser struct {
	file   string
	report diag.Reporter
	cfg    *Config

	// An if block being skipped: its depth of nesting and first line.
	skipDepth int
	skipFrom  int

	installs, removes map[string]*legacyCommand
	commands          []legacyCommandRef // first appearance order
	deps              map[string]int     // index in cfg.Softdeps
}

// legacyCommand collects the lines that make up one module's install (or
// remove) command.
type legacyCommand struct {
	pre, main, post []string
}

type legacyCommandRef struct {
	remove  bool
	modname string
}

// stripLegacyComment cuts a '#' that starts a word and what follows:
// modutils allowed comments after a directive.
func stripLegacyComment(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t') {
			return s[:i]
		}
	}
	return s
}

// legacyAssignment splits "KEYWORD=VALUE" or "path[TYPE] = VALUE", the
// modutils assignments; ok is false for any other line.
func legacyAssignment(s string) (keyword, value string, ok bool) {
	i := 0
	for i < len(s) && (s[i] == '_' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9') {
		i++
	}
	if i == 0 {
		return "", "", false
	}
	if i < len(s) && s[i] == '[' {
		j := strings.IndexByte(s[i:], ']')
		if j < 0 {
			return "", "", false
		}
		i += j + 1
	}
	keyword = s[:i]
	rest := strings.TrimLeft(s[i:], " \t")
	if !strings.HasPrefix(rest, "=") {
		return "", "", false
	}
	return keyword, strings.TrimLeft(rest[1:], " \t"), true
}

func (p *legacyParser) bad(lineNum int, word string) {
	p.report(diag.Warning, "%s line %d: ignoring bad line starting with '%s'\n", p.file, lineNum, word)
}

func (p *legacyParser) line(raw string, lineNum int) {
	s := strings.TrimRight(stripLegacyComment(raw), " \t")
	s = strings.TrimLeft(s, " \t")
	if s == "" {
		return
	}
	words := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' })
	cmd := words[0]

	if p.skipDepth > 0 {
		switch cmd {
		case "if":
			p.skipDepth++
		case "endif":
			if p.skipDepth--; p.skipDepth == 0 {
				p.report(diag.Warning, "%s line %d: ignoring this 'if' block up to line %d: conditionals are not supported\n", p.file, p.skipFrom, lineNum)
			}
		}
		return
	}

	if kw, _, ok := legacyAssignment(s); ok {
		base := kw
		if i := strings.IndexByte(kw, '['); i >= 0 {
			base = kw[:i]
		}
		switch base {
		case "path":
			p.report(diag.Info, "%s line %d: ignoring %s: modules are found through modules.dep\n", p.file, lineNum, kw)
		case "depfile":
			if base != kw {
				p.bad(lineNum, kw)
				return
			}
			p.report(diag.Info, "%s line %d: ignoring depfile: the module directory's modules.dep is used\n", p.file, lineNum)
		default:
			p.bad(lineNum, kw)
		}
		return
	}

	// rest is the line after the command and the module name, as written.
	rest := func() string {
		r := strings.TrimLeft(s[len(cmd):], " \t")
		r = strings.TrimLeft(r[len(words[1]):], " \t")
		return r
	}

	switch cmd {
	case "if":
		p.skipDepth = 1
		p.skipFrom = lineNum
	case "keep":
		// It only said that a following path line adds to the default
		// search path; path lines are ignored.
		if len(words) != 1 {
			p.bad(lineNum, cmd)
		}
	case "alias":
		if len(words) != 3 {
			p.bad(lineNum, cmd)
			return
		}
		name, ok1 := Underscores(words[1])
		if !ok1 {
			p.bad(lineNum, cmd)
			return
		}
		if words[2] == "off" || words[2] == "null" {
			c := p.command(false, name)
			c.main = append(c.main, "/bin/true")
			return
		}
		mod, ok2 := Underscores(words[2])
		if !ok2 {
			p.bad(lineNum, cmd)
			return
		}
		p.cfg.Aliases = append(p.cfg.Aliases, Alias{Name: name, Modname: mod})
	case "options":
		mod, ok := p.module(words, 2, lineNum, cmd)
		if !ok {
			return
		}
		opts := rest()
		if opts == "" {
			p.bad(lineNum, cmd)
			return
		}
		p.cfg.Options = append(p.cfg.Options, ModOptions{Modname: mod, Options: strings.ReplaceAll(opts, "\t", " ")})
	case "install", "remove", "pre-install", "post-install", "pre-remove", "post-remove":
		mod, ok := p.module(words, 3, lineNum, cmd)
		if !ok {
			return
		}
		remove := strings.HasSuffix(cmd, "remove")
		c := p.command(remove, mod)
		switch {
		case strings.HasPrefix(cmd, "pre-"):
			c.pre = append(c.pre, rest())
		case strings.HasPrefix(cmd, "post-"):
			c.post = append(c.post, rest())
		default:
			c.main = append(c.main, rest())
		}
	case "below", "above":
		mod, ok := p.module(words, 3, lineNum, cmd)
		if !ok {
			return
		}
		i, seen := p.deps[mod]
		if !seen {
			if p.deps == nil {
				p.deps = map[string]int{}
			}
			i = len(p.cfg.Softdeps)
			p.deps[mod] = i
			p.cfg.Softdeps = append(p.cfg.Softdeps, Softdep{Modname: mod})
		}
		d := &p.cfg.Softdeps[i]
		if cmd == "below" {
			d.Pre = append(d.Pre, words[2:]...)
		} else {
			d.Post = append(d.Post, words[2:]...)
		}
	default:
		p.bad(lineNum, cmd)
	}
}

// module is the module a directive names in its second word, given at
// least min words; a line short of words or with a bad name is reported.
func (p *legacyParser) module(words []string, min, lineNum int, cmd string) (string, bool) {
	if len(words) < min {
		p.bad(lineNum, cmd)
		return "", false
	}
	mod, ok := Underscores(words[1])
	if !ok {
		p.bad(lineNum, cmd)
	}
	return mod, ok
}

// command returns the install or remove command being collected for
// modname, starting one at this position in the list.
func (p *legacyParser) command(remove bool, modname string) *legacyCommand {
	m := &p.installs
	if remove {
		m = &p.removes
	}
	if *m == nil {
		*m = map[string]*legacyCommand{}
	}
	c := (*m)[modname]
	if c == nil {
		c = &legacyCommand{}
		(*m)[modname] = c
		p.commands = append(p.commands, legacyCommandRef{remove, modname})
	}
	return c
}

// finish composes the install and remove commands.
func (p *legacyParser) finish() {
	for _, ref := range p.commands {
		if ref.remove {
			c := p.removes[ref.modname]
			cmd := composeLegacy(c, LegacyModprobe+" -r --ignore-remove "+ref.modname)
			p.cfg.Removes = append(p.cfg.Removes, Command{Modname: ref.modname, Command: cmd})
		} else {
			c := p.installs[ref.modname]
			cmd := composeLegacy(c, LegacyModprobe+" --ignore-install "+ref.modname+" $CMDLINE_OPTS")
			p.cfg.Installs = append(p.cfg.Installs, Command{Modname: ref.modname, Command: cmd})
		}
	}
}

// composeLegacy makes one shell command of pre-, main and post- commands:
// "PRE; MAIN && { POST; }", MAIN being def when no install (or remove) line
// replaced it, several lines of one kind joined by "; ".
func composeLegacy(c *legacyCommand, def string) string {
	main := def
	if len(c.main) > 0 {
		main = strings.Join(c.main, "; ")
	}
	cmd := main
	if len(c.pre) > 0 {
		cmd = strings.Join(c.pre, "; ") + "; " + cmd
	}
	if len(c.post) > 0 {
		cmd += " && { " + strings.Join(c.post, "; ") + "; }"
	}
	return cmd
}

// mergeLegacy adds what a legacy file configures to c, read after
// modprobe.d, so that modprobe.d wins: entries where the first match counts
// (install, remove, softdep) and aliases go after modprobe.d's; options go
// before them, because there the last word wins.
func (c *Config) mergeLegacy(old *Config) {
	c.Aliases = append(c.Aliases, old.Aliases...)
	c.Options = append(old.Options, c.Options...)
	c.Installs = append(c.Installs, old.Installs...)
	c.Removes = append(c.Removes, old.Removes...)
	c.Softdeps = append(c.Softdeps, old.Softdeps...)
	c.Weakdeps = append(c.Weakdeps, old.Weakdeps...)
	c.Blacklists = append(c.Blacklists, old.Blacklists...)
}
