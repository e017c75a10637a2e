package modconf

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/internal/libc"
	"github.com/modutils/modutils/internal/rawfile"
)

// DefaultDepmodDirs are the directories kmod's depmod reads depmod.d files
// from, highest priority first. kmod reads them from the running system
// even with -b, and so do we.
var DefaultDepmodDirs = []string{"/etc/depmod.d", "/run/depmod.d", "/usr/local/lib/depmod.d", "/usr/lib/depmod.d", "/lib/depmod.d"}

// SearchKind tells a plain search directory from the two keywords.
type SearchKind int

const (
	SearchPath SearchKind = iota
	SearchBuiltin
	SearchExternal
)

// Search is one word of a "search" line.
type Search struct {
	Kind SearchKind
	Path string // relative to the module directory, for SearchPath
}

// Override says which directory's copy of a module wins: Path is
// "SUBDIR/MODNAME", with no extension so that it matches any compression.
type Override struct{ Path string }

// DepmodConfig is the merged depmod.d configuration.
//
// kmod keeps each list as a linked list it pushes onto, so every list here is
// in reverse order of appearance; the priority rules depend on that order
// (the first search word listed ends up last and wins), so it is kept.
type DepmodConfig struct {
	Searches  []Search
	Overrides []Override
	Externals []string
	Excludes  []string
}

// LoadDepmodConfig reads the depmod.d files found in paths (directories,
// or single files as given with depmod -C) for kernel version kversion.
// Files are taken in name order across all directories; a name seen in an
// earlier path hides the same name in a later one.
func LoadDepmodConfig(paths []string, kversion string, report diag.Reporter) *DepmodConfig {
	cfg := &DepmodConfig{}
	for _, f := range listConfigFiles(paths, ".conf", report) {
		cfg.parseFile(f, kversion, report)
	}
	cfg.finish()
	return cfg
}

// finish puts the lists in kmod's order and adds the default search.
func (cfg *DepmodConfig) finish() {
	// parseFile appends in order of appearance; kmod pushes onto linked
	// lists, so reverse once here. (Prepending to a slice per word made a
	// long line quadratic, which the fuzzer would call a hang.)
	slices.Reverse(cfg.Searches)
	slices.Reverse(cfg.Overrides)
	slices.Reverse(cfg.Externals)
	slices.Reverse(cfg.Excludes)
	if len(cfg.Searches) == 0 {
		cfg.Searches = []Search{{Kind: SearchPath, Path: "updates"}}
	}
}

// listConfigFiles lists configuration files the way kmod's depmod does
// (its modprobe differs in small ways and has its own lister).
func listConfigFiles(paths []string, suffix string, report diag.Reporter) []string {
	type file struct{ name, path string }
	var files []file
	seen := map[string]bool{}
	add := func(name, path string) {
		if seen[name] {
			return
		}
		seen[name] = true
		files = append(files, file{name, path})
	}
	for _, dir := range paths {
		st, err := os.Stat(dir)
		if err != nil {
			continue
		}
		if !st.IsDir() {
			add(filepath.Base(dir), dir)
			continue
		}
		entries, err := readDirUnsorted(dir)
		if err != nil {
			report(diag.Err, "files list %s: %s\n", dir, libc.Strerror(err))
			continue
		}
		for _, name := range entries {
			if name[0] == '.' {
				continue
			}
			if len(name) < len(suffix)+1 || !strings.HasSuffix(name, suffix) {
				report(diag.Info, "All cfg files need %s: %s/%s\n", suffix, dir, name)
				continue
			}
			st, err := os.Stat(dir + "/" + name)
			if err != nil {
				// kmod 34.2's words, without the slash between the two.
				report(diag.Err, "Cannot stat directory entry: %s%s\n", dir, name)
				continue
			}
			if st.IsDir() {
				report(diag.Err, "Directories inside directories are not supported: %s/%s\n", dir, name)
				continue
			}
			add(name, dir+"/"+name)
		}
	}
	sort.SliceStable(files, func(i, j int) bool { return files[i].name < files[j].name })
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.path
	}
	return out
}

func readDirUnsorted(dir string) ([]string, error) {
	d, err := rawfile.OpenDirPath(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Names()
}

func (cfg *DepmodConfig) parseFile(path string, kversion string, report diag.Reporter) {
	f, err := rawfile.OpenStream(path)
	if err != nil {
		report(diag.Err, "file parse %s: %s\n", path, libc.Strerror(err))
		return
	}
	defer f.Close()
	cfg.parse(f, path, kversion, report)
}

// parse reads one depmod.d file's lines; path only names it in messages.
func (cfg *DepmodConfig) parse(r io.Reader, path string, kversion string, report diag.Reporter) {
	lr := NewLineReader(r)
	for raw := range lr.Directives() {
		fields := strings.FieldsFunc(string(raw), func(r rune) bool { return r == ' ' || r == '\t' })
		if len(fields) == 0 {
			continue
		}
		cmd, args := fields[0], fields[1:]
		switch cmd {
		case "search":
			for _, a := range args {
				cfg.Searches = append(cfg.Searches, searchFor(a))
			}
		case "override":
			if len(args) < 3 {
				report(diag.Err, "%s:%d: ignoring bad line starting with '%s'\n", path, lr.LineNum, cmd)
				continue
			}
			if !kernelMatches(args[1], kversion) {
				report(diag.Info, "%s:%d: override kernel did not match %s\n", path, lr.LineNum, args[1])
				continue
			}
			cfg.Overrides = append(cfg.Overrides, Override{Path: args[2] + "/" + args[0]})
		case "external":
			if len(args) < 2 {
				report(diag.Err, "%s:%d: ignoring bad line starting with '%s'\n", path, lr.LineNum, cmd)
				continue
			}
			if !kernelMatches(args[0], kversion) {
				report(diag.Info, "%s:%d: external directory did not match %s\n", path, lr.LineNum, args[0])
				continue
			}
			cfg.Externals = append(cfg.Externals, args[1])
		case "exclude":
			cfg.Excludes = append(cfg.Excludes, args...)
		case "include", "make_map_files":
			report(diag.Info, "%s:%d: command %s not implemented yet\n", path, lr.LineNum, cmd)
		default:
			report(diag.Err, "%s:%d: ignoring bad line starting with '%s'\n", path, lr.LineNum, cmd)
		}
	}
}

func searchFor(word string) Search {
	switch word {
	case "built-in":
		return Search{Kind: SearchBuiltin}
	case "external":
		return Search{Kind: SearchExternal}
	}
	return Search{Kind: SearchPath, Path: word}
}

// kernelMatches applies an override or external line's version pattern:
// "*" matches every version, anything else is a POSIX extended regular
// expression searched for in the version, and a pattern that does not
// compile matches nothing.
func kernelMatches(pattern, kversion string) bool {
	if pattern == "*" {
		return true
	}
	ok, err := ereSearch(pattern, kversion)
	return err == nil && ok
}
