package modconf

import (
	"bufio"
	"io"
	"strings"
)

// OptionsFor is what the configuration passes to module modname when it is
// loaded by its name: ModuleOptions(modname, "").
func (c *Config) OptionsFor(modname string) string {
	return c.ModuleOptions(modname, "")
}

// ModuleOptions is kmod_module_get_options: the options of every "options"
// entry, in list order, whose module name is modname or, when the module was
// found through an alias, that alias exactly as looked up; joined by one
// space, empty entries left out. Later words win in the kernel, so the
// kernel command line, which comes last, overrides the files.
func (c *Config) ModuleOptions(modname, alias string) string {
	var b strings.Builder
	for _, o := range c.Options {
		if o.Modname != modname && (alias == "" || o.Modname != alias) {
			continue
		}
		if o.Options == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(o.Options)
	}
	return b.String()
}

// InstallFor is the install command for module modname: that of the first
// "install" entry whose name, an fnmatch pattern, matches
// (kmod_module_get_install_commands).
func (c *Config) InstallFor(modname string) (string, bool) {
	return firstCommand(c.Installs, modname)
}

// RemoveFor is the remove command for module modname, found as InstallFor.
func (c *Config) RemoveFor(modname string) (string, bool) {
	return firstCommand(c.Removes, modname)
}

func firstCommand(list []Command, modname string) (string, bool) {
	for _, cmd := range list {
		if Fnmatch(cmd.Modname, modname) {
			return cmd.Command, true
		}
	}
	return "", false
}

// InstallNamed and RemoveNamed are kmod's last resort when a name is neither
// a module nor an alias (kmod_lookup_alias_from_commands): the first install
// entry written for exactly that name; failing that, the first such remove
// entry. modprobe then treats the name as a module whose command is that.
func (c *Config) InstallNamed(name string) (string, bool) {
	return namedCommand(c.Installs, name)
}

// RemoveNamed: see InstallNamed.
func (c *Config) RemoveNamed(name string) (string, bool) {
	return namedCommand(c.Removes, name)
}

func namedCommand(list []Command, name string) (string, bool) {
	for _, cmd := range list {
		if cmd.Modname == name {
			return cmd.Command, true
		}
	}
	return "", false
}

// SoftdepFor is the soft dependencies of module modname: those of the first
// "softdep" entry whose name, an fnmatch pattern, matches
// (kmod_module_get_softdeps). The names are as written, to be looked up
// like any name given to modprobe.
func (c *Config) SoftdepFor(modname string) (pre, post []string, ok bool) {
	for _, d := range c.Softdeps {
		if Fnmatch(d.Modname, modname) {
			return d.Pre, d.Post, true
		}
	}
	return nil, nil, false
}

// WeakdepFor is the weak dependencies of module modname, found as
// SoftdepFor (newer kmod's kmod_module_get_weakdeps).
func (c *Config) WeakdepFor(modname string) ([]string, bool) {
	for _, d := range c.Weakdeps {
		if Fnmatch(d.Modname, modname) {
			return d.Deps, true
		}
	}
	return nil, false
}

// IsBlacklisted reports whether a "blacklist" entry, or the kernel's
// modprobe.blacklist, names module modname exactly (module_is_blacklisted).
func (c *Config) IsBlacklisted(modname string) bool {
	for _, b := range c.Blacklists {
		if b == modname {
			return true
		}
	}
	return false
}

// AliasesMatching returns, in list order, every alias entry whose name, an
// fnmatch pattern, matches name (kmod_lookup_alias_from_config); pass the
// name normalised (moddep.NormalizeAlias), as modprobe does.
func (c *Config) AliasesMatching(name string) []Alias {
	var out []Alias
	for _, a := range c.Aliases {
		if Fnmatch(a.Name, name) {
			out = append(out, a)
		}
	}
	return out
}

// ShowConfigTrailer is what `modprobe -c` prints after the configuration;
// the dumps of modules.alias.bin and then modules.symbols.bin follow it.
const ShowConfigTrailer = "\n# End of configuration files. Dumping indexes now:\n\n"

// WriteShowConfig writes what kmod's show_config (`modprobe -c`) prints
// before it dumps the indexes, ShowConfigTrailer included: the blacklist,
// install, remove, alias, options and softdep entries, each list in order,
// one "KIND NAME VALUE" line each, then the weakdep entries (since kmod
// 33; kmod 30 rejected weakdep lines).
//
// kmod prints a softdep from the words it kept: "pre: " and the pre
// names, then "post: " and the post names, with no space between the two
// parts ("softdep m pre: a bpost: c"), and each part is the stretch of the
// line from its first to its last name, so that a post name written between
// two pre names shows in both. That is reproduced.
func (c *Config) WriteShowConfig(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, b := range c.Blacklists {
		bw.WriteString("blacklist " + b + "\n")
	}
	for _, cmd := range c.Installs {
		bw.WriteString("install " + cmd.Modname + " " + cmd.Command + "\n")
	}
	for _, cmd := range c.Removes {
		bw.WriteString("remove " + cmd.Modname + " " + cmd.Command + "\n")
	}
	for _, a := range c.Aliases {
		bw.WriteString("alias " + a.Name + " " + a.Modname + "\n")
	}
	for _, o := range c.Options {
		bw.WriteString("options " + o.Modname + " " + o.Options + "\n")
	}
	for _, d := range c.Softdeps {
		bw.WriteString("softdep " + d.Modname + " " + d.String() + "\n")
	}
	for _, d := range c.Weakdeps {
		bw.WriteString("weakdep " + d.Modname + " " + strings.Join(d.Deps, " ") + "\n")
	}
	bw.WriteString(ShowConfigTrailer)
	return bw.Flush()
}

// String is the dependency list as `modprobe -c` prints it (see
// WriteShowConfig). A Softdep built in Go rather than parsed prints its
// Pre and Post lists in that format.
func (d Softdep) String() string {
	words := d.words
	if words == nil {
		for _, p := range d.Pre {
			words = append(words, depWord{p, depPre})
		}
		for _, p := range d.Post {
			words = append(words, depWord{p, depPost})
		}
	}
	var b strings.Builder
	for _, kind := range []depKind{depPre, depPost} {
		first, last := -1, -1
		for i, w := range words {
			if w.kind == kind {
				if first < 0 {
					first = i
				}
				last = i
			}
		}
		if first < 0 {
			continue
		}
		if kind == depPre {
			b.WriteString("pre: ")
		} else {
			b.WriteString("post: ")
		}
		for i := first; i <= last; i++ {
			if i > first {
				b.WriteByte(' ')
			}
			b.WriteString(words[i].word)
		}
	}
	return b.String()
}
