package modconf

import (
	"io"
	"os"
	"sort"
	"strings"

	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/internal/libc"
	"github.com/modutils/modutils/internal/rawfile"
)

// DefaultModprobePaths are the directories modprobe.d files are read from
// when no -C is given, highest priority first.
//
// These are kmod 34.2's, as Debian 13 builds it (DISTCONFDIR /usr/lib; kmod
// 32 added it, kmod 30 had only the other four). Where /lib is a link to
// /usr/lib (merged /usr) the last two are one directory, read twice as kmod
// reads it: each file counts once, under its /usr/lib name, but a message
// about the directory's entries comes twice. (`strings` on Debian 13's
// libkmod shows no /lib/modprobe.d only because the linker stored it as the
// tail of "/usr/lib/modprobe.d"; strace shows kmod opening it.)
var DefaultModprobePaths = []string{
	"/etc/modprobe.d",
	"/run/modprobe.d",
	"/usr/local/lib/modprobe.d",
	"/usr/lib/modprobe.d",
	"/lib/modprobe.d",
}

// DefaultLegacyFiles are the configuration files of modutils 2.x, the
// kerneld era, in the order modutils 2.4 looked for them: the first one
// present is read (see LEGACY.md).
var DefaultLegacyFiles = []string{"/etc/modules.conf", "/etc/conf.modules"}

// ModprobeOptions says where the modprobe configuration comes from.
type ModprobeOptions struct {
	// Paths are directories of *.conf files, or single files, as given
	// with modprobe -C (each -C adds one). nil means DefaultModprobePaths.
	Paths []string
	// ModuleDir is the module directory (/lib/modules/VERSION, or under
	// modprobe -d), whose modules.softdep, and modules.weakdep as newer
	// kmod reads it, count as configuration files. Empty reads neither.
	ModuleDir string
	// Cmdline is the text of /proc/cmdline, which kmod always reads; the
	// caller passes it in, modconf never reads /proc. Empty adds nothing.
	Cmdline string
	// LegacyFiles are conf.modules files; the first one that exists is
	// read. nil means DefaultLegacyFiles when Paths is nil too, and none
	// when -C replaced the search path; an empty non-nil slice reads none.
	LegacyFiles []string
	// Report receives every message. libkmod's carry a diag.Site (see
	// diag.LibkmodReporter); those about the legacy files, which kmod has no
	// counterpart for, are ordinary ones, worded as kmod words its own.
	// nil discards them.
	Report diag.Reporter
}

// Alias is one "alias NAME MODNAME" line. Name may be an fnmatch pattern.
type Alias struct{ Name, Modname string }

// ModOptions is one "options MODNAME OPTIONS" line, or a module.param=value
// word of the kernel command line.
type ModOptions struct{ Modname, Options string }

// Command is one "install" or "remove" line. Modname may be an fnmatch
// pattern; Command is run by /bin/sh.
type Command struct{ Modname, Command string }

// Softdep is one "softdep MODNAME pre: ... post: ..." line.
type Softdep struct {
	Modname   string // may be an fnmatch pattern
	Pre, Post []string
	// words are the words kmod keeps, in the order written, as kmod lays
	// them out in one buffer; `modprobe -c` prints spans of it.
	words []depWord
}

// Weakdep is one "weakdep MODNAME mod..." line, as newer kmod reads it.
type Weakdep struct {
	Modname string // may be an fnmatch pattern
	Deps    []string
}

// Config is modprobe's configuration: every list in kmod's order, the order
// of the files (see LoadModprobeConfig) and of the lines in each. The kernel
// command line's options and blacklist come last, as kmod reads it last.
type Config struct {
	Aliases    []Alias
	Options    []ModOptions
	Installs   []Command
	Removes    []Command
	Softdeps   []Softdep
	Weakdeps   []Weakdep
	Blacklists []string
}

// LoadModprobeConfig reads the modprobe configuration as libkmod 34.2's
// kmod_config_new does, then the legacy file and the kernel command line.
//
// Files: every entry of Paths that is a directory contributes its *.conf
// files (kmod 30 also took *.alias files; kmod 33 stopped); one that is
// not a directory is a file to read whatever its name; one that does not
// exist is skipped. Names starting with '.' are skipped; a directory inside
// a directory and an entry that cannot be stat'ed (a dangling link) get an
// error. All the files are then read in one sequence ordered by their
// base name (byte order), across directories; a name already seen in an
// earlier path hides the same name in a later one, so a link to /dev/null
// in /etc/modprobe.d masks a vendor file. modules.softdep and
// modules.weakdep of ModuleDir join that sequence under their own names.
//
// kmod reports a bad line, goes on with the next, and never fails; nor does
// this.
func LoadModprobeConfig(opts ModprobeOptions) *Config {
	report := opts.Report
	if report == nil {
		report = diag.Discard
	}
	paths := opts.Paths
	legacy := opts.LegacyFiles
	if paths == nil {
		paths = DefaultModprobePaths
		if legacy == nil {
			legacy = DefaultLegacyFiles
		}
	}

	var files []confFile
	if opts.ModuleDir != "" {
		files = insertConfFile(files, confFile{dir: opts.ModuleDir, name: "modules.softdep"})
		files = insertConfFile(files, confFile{dir: opts.ModuleDir, name: "modules.weakdep"})
	}
	for _, p := range paths {
		files = listModprobeFiles(files, p, report)
	}

	cfg := &Config{}
	for _, f := range files {
		path := f.path()
		if !f.single && len(f.dir)+1+len(f.name) >= pathMax {
			diag.LibkmodErr(report, sitePathLong, "Error parsing %s/%s: path too long\n", f.dir, f.name)
			continue
		}
		fp, err := rawfile.OpenStream(path)
		if err != nil {
			continue // kmod says so only in debug messages
		}
		cfg.Parse(fp, path, report)
		fp.Close()
	}

	for _, name := range legacy {
		fp, err := rawfile.OpenStream(name)
		if err != nil {
			continue
		}
		old := ParseLegacyConfig(fp, name, report)
		fp.Close()
		cfg.mergeLegacy(old)
		break
	}

	cfg.AddCmdline(opts.Cmdline, report)
	return cfg
}

// confFile is one file to read: dir/name, or a single file given by path.
type confFile struct {
	dir, name string
	single    bool // dir is the whole path; name is its base name
}

func (f confFile) path() string {
	if f.single {
		return f.dir
	}
	return f.dir + "/" + f.name
}

// insertConfFile keeps files sorted by name and drops a name already there,
// as kmod's conf_files_insert_sorted.
func insertConfFile(files []confFile, f confFile) []confFile {
	i := sort.Search(len(files), func(i int) bool { return files[i].name >= f.name })
	if i < len(files) && files[i].name == f.name {
		return files
	}
	files = append(files, confFile{})
	copy(files[i+1:], files[i:])
	files[i] = f
	return files
}

// listModprobeFiles adds the files of one -C path, as kmod's
// conf_files_list.
func listModprobeFiles(files []confFile, path string, report diag.Reporter) []confFile {
	st, err := os.Stat(path)
	if err != nil {
		return files
	}
	if !st.IsDir() {
		return insertConfFile(files, confFile{dir: path, name: gnuBasename(path), single: true})
	}
	d, err := rawfile.OpenDirPath(path)
	if err != nil {
		diag.LibkmodErr(report, siteOpendir, "opendir(%s): %s\n", path, libc.Strerror(err))
		return files
	}
	defer d.Close()
	// The directory's own order decides the order of the messages.
	names, _ := d.Names()
	for _, name := range names {
		if name[0] == '.' {
			continue
		}
		if len(name) < 6 || !strings.HasSuffix(name, ".conf") {
			continue
		}
		// kmod follows links.
		isDir, err := d.IsDir(name)
		if err != nil {
			diag.LibkmodErr(report, siteSubdir, "Cannot stat directory entry: %s/%s\n", path, name)
			continue
		}
		if isDir {
			diag.LibkmodErr(report, siteSubdir, "Directories inside directories are not supported: %s/%s\n", path, name)
			continue
		}
		files = insertConfFile(files, confFile{dir: path, name: name})
	}
	return files
}

// gnuBasename is GNU basename(3): what follows the last '/', empty when the
// path ends with one.
func gnuBasename(p string) string {
	return p[strings.LastIndexByte(p, '/')+1:]
}

// Parse reads one modprobe.d file, adding its lines to c as kmod's
// kmod_config_parse does. filename is only for messages.
//
// A line is split into words at spaces and tabs. The command and the module
// name are words; options, install, remove, softdep and weakdep take the rest
// of the line after the one space or tab that ends the module name, as
// written (options with its tabs made spaces), and softdep and weakdep split
// that again at white space. Module names and alias names go through
// Underscores; the module names listed by softdep and weakdep stay as
// written. Only a line whose first byte is '#' is a comment. A line kmod
// cannot use is reported with its number and skipped.
func (c *Config) Parse(r io.Reader, filename string, report diag.Reporter) {
	if report == nil {
		report = diag.Discard
	}
	lr := NewLineReader(r)
	for raw := range lr.Directives() {
		t := strtok{s: string(raw)}
		cmd, ok := t.next()
		if !ok {
			continue
		}
		if !c.parseDirective(cmd, &t) {
			if cmd == "include" || cmd == "config" {
				diag.LibkmodErr(report, siteDeprecated, "%s: command %s is deprecated and not parsed anymore\n", filename, cmd)
				continue
			}
			diag.LibkmodErr(report, siteBadLine, "%s line %d: ignoring bad line starting with '%s'\n", filename, lr.LineNum, cmd)
		}
	}
}

// parseDirective applies one line whose command is cmd; false means kmod's
// syntax error (or a command it does not know).
func (c *Config) parseDirective(cmd string, t *strtok) bool {
	switch cmd {
	case "alias":
		alias, ok1 := t.next()
		mod, ok2 := t.next()
		alias, ok1 = underscoresOK(alias, ok1)
		if !ok1 {
			return false
		}
		mod, ok2 = underscoresOK(mod, ok2)
		if !ok2 {
			return false
		}
		c.Aliases = append(c.Aliases, Alias{Name: alias, Modname: mod})
	case "blacklist":
		mod, ok := underscoresOK(t.next())
		if !ok {
			return false
		}
		c.Blacklists = append(c.Blacklists, mod)
	case "options", "install", "remove", "softdep", "weakdep":
		mod, ok1 := t.next()
		rest, ok2 := t.rest()
		mod, ok1 = underscoresOK(mod, ok1)
		if !ok1 || !ok2 {
			return false
		}
		switch cmd {
		case "options":
			c.Options = append(c.Options, ModOptions{Modname: mod, Options: strings.ReplaceAll(rest, "\t", " ")})
		case "install":
			c.Installs = append(c.Installs, Command{Modname: mod, Command: rest})
		case "remove":
			c.Removes = append(c.Removes, Command{Modname: mod, Command: rest})
		case "softdep":
			c.Softdeps = append(c.Softdeps, newSoftdep(mod, rest))
		case "weakdep":
			w := Weakdep{Modname: mod}
			for _, d := range depWords(rest, false) {
				w.Deps = append(w.Deps, d.word)
			}
			c.Weakdeps = append(c.Weakdeps, w)
		}
	default:
		return false
	}
	return true
}

func underscoresOK(s string, present bool) (string, bool) {
	if !present {
		return "", false
	}
	return Underscores(s)
}

// strtok splits a line as glibc's strtok_r does with the delimiters " \t".
type strtok struct {
	s   string
	pos int
}

// next returns the next word; a word followed by a delimiter consumes that
// one delimiter.
func (t *strtok) next() (string, bool) {
	for t.pos < len(t.s) && (t.s[t.pos] == ' ' || t.s[t.pos] == '\t') {
		t.pos++
	}
	if t.pos == len(t.s) {
		return "", false
	}
	start := t.pos
	for t.pos < len(t.s) && t.s[t.pos] != ' ' && t.s[t.pos] != '\t' {
		t.pos++
	}
	word := t.s[start:t.pos]
	if t.pos < len(t.s) {
		t.pos++
	}
	return word, true
}

// rest is strtok_r(NULL, "\0"): everything left, unless nothing is.
func (t *strtok) rest() (string, bool) {
	if t.pos >= len(t.s) {
		return "", false
	}
	r := t.s[t.pos:]
	t.pos = len(t.s)
	return r, true
}

type depKind uint8

const (
	depNone depKind = iota
	depPre
	depPost
)

type depWord struct {
	word string
	kind depKind
}

// depWords splits the list of a softdep (withModes: pre: and post: switch
// lists, words before either are dropped) or weakdep line, as kmod's
// kmod_config_add_softdep and kmod_config_add_weakdep do. Their scan has a
// quirk kept here: when the list starts with exactly one white-space byte,
// that byte stays at the front of the first word.
func depWords(line string, withModes bool) []depWord {
	var out []depWord
	mode := depNone
	if !withModes {
		mode = depPre
	}
	p := 0
	wasSpace := false
	for s := 0; ; s++ {
		end := s == len(line)
		if !end {
			if !libc.IsSpace(line[s]) {
				wasSpace = false
				continue
			}
			if wasSpace {
				p = s + 1
				continue
			}
			wasSpace = true
			if p >= s {
				continue
			}
		}
		w := line[p:s]
		switch {
		case withModes && w == "pre:":
			mode = depPre
		case withModes && w == "post:":
			mode = depPost
		case !end || !wasSpace:
			if mode != depNone {
				out = append(out, depWord{w, mode})
			}
		}
		p = s + 1
		if end {
			return out
		}
	}
}

func newSoftdep(mod, list string) Softdep {
	d := Softdep{Modname: mod, words: depWords(list, true)}
	for _, w := range d.words {
		if w.kind == depPre {
			d.Pre = append(d.Pre, w.word)
		} else {
			d.Post = append(d.Post, w.word)
		}
	}
	return d
}
