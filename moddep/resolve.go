package moddep

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/internal/libc"
	"github.com/modutils/modutils/kernel"
	"github.com/modutils/modutils/modconf"
)

// StateFunc tells a module's state in the running kernel; an error
// matching fs.ErrNotExist means it is not loaded.
type StateFunc func(name string) (kernel.State, error)

// index identifies one of the .bin indexes in a module directory.
type index int

const (
	indexDep index = iota
	indexAlias
	indexSymbols
	indexBuiltinAlias
	indexBuiltin
	numIndexes
)

var indexFiles = [numIndexes]string{"modules.dep", "modules.alias", "modules.symbols", "modules.builtin.alias", "modules.builtin"}

// Resolver turns names into modules as libkmod does: through
// configuration aliases, modules.dep, symbols, install and remove
// commands, modules.alias, and the builtin indexes, in that order. Like a
// libkmod context, it keeps one Module per name (or per name and alias),
// so that what is learnt about a module is learnt once.
type Resolver struct {
	Dir    string // the module directory, ROOT/lib/modules/VERSION
	Conf   *modconf.Config
	State  StateFunc // nil: nothing is loaded
	Report diag.Reporter

	// Stream makes index lookups order equal values as libkmod's stream
	// reader does (modinfo) instead of its mmap reader (modprobe).
	Stream bool

	indexes [numIndexes]*Index
	tried   [numIndexes]bool
	pool    map[string]*Module
}

// NewResolver resolves names in the module directory dir with conf.
func NewResolver(dir string, conf *modconf.Config) *Resolver {
	if conf == nil {
		conf = &modconf.Config{}
	}
	return &Resolver{Dir: dir, Conf: conf, Report: diag.Discard, pool: map[string]*Module{}}
}

// Close releases the indexes.
func (r *Resolver) Close() error {
	for i, ix := range r.indexes {
		if ix != nil {
			ix.Close()
			r.indexes[i] = nil
		}
	}
	return nil
}

func (r *Resolver) index(i index) *Index {
	if !r.tried[i] {
		r.tried[i] = true
		ix, err := OpenIndex(r.Dir + "/" + indexFiles[i] + ".bin")
		if err == nil {
			if r.Stream {
				ix = ix.WithOrder(ReaderStream)
			}
			r.indexes[i] = ix
		}
	}
	return r.indexes[i]
}

// LoadResources is kmod_load_resources, which modprobe calls before any
// lookup: it opens the indexes in libkmod's order, reporting a damaged
// header as libkmod does. If one cannot be opened (modules.builtin.alias
// excepted: older depmods did not write it), libkmod closes them all and
// every later lookup reads its file afresh with the stream reader, whose
// order of equal values differs; so does the resolver.
func (r *Resolver) LoadResources() {
	for i := range numIndexes {
		r.tried[i] = true
		ix, err := OpenIndex(r.Dir + "/" + indexFiles[i] + ".bin")
		if err == nil {
			r.indexes[i] = ix
			continue
		}
		var ie *IndexError
		if errors.As(err, &ie) && ie.libkmodMsg != "" {
			diag.LibkmodErr(r.Report, ie.libkmodSite, "%s", ie.libkmodMsg)
		}
		if i == indexBuiltinAlias {
			continue
		}
		r.Close()
		r.tried = [numIndexes]bool{}
		r.Stream = true
		return
	}
}

func (r *Resolver) search(i index, key string) (string, bool) {
	ix := r.index(i)
	if ix == nil {
		return "", false
	}
	return ix.Lookup(key)
}

// Module is one module as libkmod knows it: a name, perhaps the alias it
// was found by, and what the indexes and configuration say of it,
// learnt lazily.
type Module struct {
	r     *Resolver
	Name  string
	Alias string // the alias it was looked up by, if any

	path      string
	depsKnown bool
	deps      []*Module

	builtin    int8 // 0 unknown, 1 yes, -1 no
	install    *string
	remove     *string
	hasInstall bool
	hasRemove  bool
	installSet bool // the lookup found the module by its install command
	removeSet  bool
	options    *string
	visited    bool
	required   bool
	ignoreCmd  bool
}

func (r *Resolver) module(name, alias string) *Module {
	key := name
	if alias != "" {
		key = name + "\\" + alias
	}
	if m := r.pool[key]; m != nil {
		return m
	}
	m := &Module{r: r, Name: name, Alias: alias}
	r.pool[key] = m
	return m
}

// NewFromName is the module of that name (normalised: dashes become
// underscores, the name ends at a dot).
func (r *Resolver) NewFromName(name string) *Module {
	return r.module(NormalizeName(name), "")
}

// NormalizeName is kmod's modname_normalize.
func NormalizeName(name string) string {
	if i := strings.IndexByte(name, '.'); i >= 0 {
		name = name[:i]
	}
	return strings.ReplaceAll(name, "-", "_")
}

// NewFromPath is the module in the file at path, which must exist.
func (r *Resolver) NewFromPath(path string) (*Module, error) {
	abs := AbsFromCwd(path)
	if _, err := statErr(abs); err != nil {
		return nil, err
	}
	name := ModuleName(path)
	if name == "" {
		return nil, syscall.ENOENT
	}
	m := r.module(name, "")
	switch {
	case m.path == "":
		m.path = abs
	case m.path != abs:
		diag.LibkmodErr(r.Report, siteNewPath, "kmod_module '%s' already exists with different path: new-path='%s' old-path='%s'\n", name, abs, m.path)
		return nil, syscall.EEXIST
	}
	m.builtin = -1
	return m, nil
}

// Lookup finds the modules a name stands for: the first of kmod's
// sources that knows the name gives every module it matches.
func (r *Resolver) Lookup(name string) []*Module {
	// Names are looked up with dashes as underscores, outside brackets.
	name, err := NormalizeAlias(name)
	if err != nil {
		return nil
	}
	for _, lookup := range []func(string) []*Module{
		r.fromConfigAliases, r.fromModdep, r.fromSymbols, r.fromCommands,
		r.fromAliases, r.fromBuiltin, r.fromBuiltinAliases,
	} {
		if mods := lookup(name); len(mods) > 0 {
			return mods
		}
	}
	return nil
}

func (r *Resolver) fromConfigAliases(name string) []*Module {
	var out []*Module
	for _, a := range r.Conf.AliasesMatching(name) {
		out = append(out, r.module(a.Modname, a.Name))
	}
	return out
}

func (r *Resolver) fromModdep(name string) []*Module {
	if strings.IndexByte(name, ':') >= 0 {
		return nil
	}
	line, ok := r.search(indexDep, name)
	if !ok {
		return nil
	}
	m := r.NewFromName(name)
	m.parseDepLine(line)
	return []*Module{m}
}

func (r *Resolver) fromIndexWild(i index, name string) []*Module {
	ix := r.index(i)
	if ix == nil {
		return nil
	}
	var out []*Module
	for _, v := range ix.LookupWild(name) {
		out = append(out, r.module(v.Value, name))
	}
	return out
}

func (r *Resolver) fromSymbols(name string) []*Module {
	if !strings.HasPrefix(name, "symbol:") {
		return nil
	}
	return r.fromIndexWild(indexSymbols, name)
}

func (r *Resolver) fromAliases(name string) []*Module {
	return r.fromIndexWild(indexAlias, name)
}

func (r *Resolver) fromCommands(name string) []*Module {
	if cmd, ok := r.Conf.InstallNamed(name); ok {
		m := r.NewFromName(name)
		m.install, m.installSet = &cmd, true
		return []*Module{m}
	}
	if cmd, ok := r.Conf.RemoveNamed(name); ok {
		m := r.NewFromName(name)
		m.remove, m.removeSet = &cmd, true
		return []*Module{m}
	}
	return nil
}

func (r *Resolver) fromBuiltin(name string) []*Module {
	if _, ok := r.search(indexBuiltin, name); !ok {
		return nil
	}
	m := r.NewFromName(name)
	m.builtin = 1
	return []*Module{m}
}

func (r *Resolver) fromBuiltinAliases(name string) []*Module {
	mods := r.fromIndexWild(indexBuiltinAlias, name)
	for _, m := range mods {
		m.builtin = 1
	}
	return mods
}

// Where in libkmod the resolver's messages come from (see
// diag.Site).
const (
	siteDepline = diag.Site("kmod_module_parse_depline")
	siteNewPath = diag.Site("kmod_module_new_from_path")

	siteIndexMagic   = diag.Site("index_mm_open")
	siteIndexVersion = diag.Site("index_mm_open")
)

// parseDepLine learns a module's path and dependencies from its
// modules.dep line. The dependencies are kept in reverse order, as libkmod
// keeps them: the order to load them in.
func (m *Module) parseDepLine(line string) {
	if m.depsKnown {
		return
	}
	m.depsKnown = true
	path, rest, ok := strings.Cut(line, ":")
	if !ok {
		return
	}
	base := m.r.Dir + "/"
	if m.path == "" {
		m.path = joinPath(base, path)
	}
	for _, dep := range strings.FieldsFunc(rest, func(c rune) bool { return c == ' ' || c == '\t' }) {
		d, err := m.r.NewFromPath(joinPath(base, dep))
		if err != nil {
			diag.LibkmodErr(m.r.Report, siteDepline, "ctx=%p path=%s error=%s\n", m.r, joinPath(base, dep), libc.Strerror(err))
			// As libkmod does, forget the line: the next question
			// about dependencies reads (and reports) it again.
			m.deps = nil
			m.depsKnown = false
			return
		}
		m.deps = append([]*Module{d}, m.deps...)
	}
}

func joinPath(base, p string) string {
	if strings.HasPrefix(p, "/") {
		return p
	}
	return base + p
}

// Path is the module's file, or "" for a builtin module or an alias that
// modules.dep does not know.
func (m *Module) Path() string {
	if m.path != "" || m.depsKnown {
		return m.path
	}
	if line, ok := m.r.search(indexDep, m.Name); ok {
		m.parseDepLine(line)
	}
	return m.path
}

// Deps are the modules m needs, in the order to load them.
func (m *Module) Deps() []*Module {
	if !m.depsKnown {
		if line, ok := m.r.search(indexDep, m.Name); ok {
			m.parseDepLine(line)
		}
	}
	return m.deps
}

// IsBuiltin reports whether modules.builtin lists the module.
func (m *Module) IsBuiltin() bool {
	if m.builtin == 0 {
		m.builtin = -1
		if _, ok := m.r.search(indexBuiltin, m.Name); ok {
			m.builtin = 1
		}
	}
	return m.builtin == 1
}

// InitState is the module's state in the kernel; an error matching
// fs.ErrNotExist means it is not loaded.
func (m *Module) InitState() (kernel.State, error) {
	if m.IsBuiltin() {
		return kernel.Builtin, nil
	}
	if m.r.State == nil {
		return 0, fs.ErrNotExist
	}
	return m.r.State(m.Name)
}

// InKernel is libkmod's module_is_inkernel: live or builtin.
func (m *Module) InKernel() bool {
	s, err := m.InitState()
	return err == nil && (s == kernel.Live || s == kernel.Builtin)
}

// Options are the module's parameters from the configuration, for its
// name or the alias it was found by, joined in configuration order.
func (m *Module) Options() string {
	if m.options == nil {
		s := m.r.Conf.ModuleOptions(m.Name, m.Alias)
		m.options = &s
	}
	return *m.options
}

// InstallCommand is the first install command whose pattern matches the
// module's name, or what the lookup found.
func (m *Module) InstallCommand() (string, bool) {
	if m.install == nil {
		cmd, ok := m.r.Conf.InstallFor(m.Name)
		m.install, m.hasInstall = &cmd, ok
	}
	return *m.install, m.hasInstall || m.installSet
}

// RemoveCommand is the first remove command whose pattern matches.
func (m *Module) RemoveCommand() (string, bool) {
	if m.remove == nil {
		cmd, ok := m.r.Conf.RemoveFor(m.Name)
		m.remove, m.hasRemove = &cmd, ok
	}
	return *m.remove, m.hasRemove || m.removeSet
}

// Softdeps are the modules the first matching softdep line names, each
// looked up like a name on the command line.
func (m *Module) Softdeps() (pre, post []*Module) {
	preNames, postNames, ok := m.r.Conf.SoftdepFor(m.Name)
	if !ok {
		return nil, nil
	}
	return m.r.lookupAll(preNames), m.r.lookupAll(postNames)
}

func (r *Resolver) lookupAll(names []string) []*Module {
	var out []*Module
	for _, n := range names {
		out = append(out, r.Lookup(n)...)
	}
	return out
}

// Blacklisted reports whether a blacklist line names the module.
func (m *Module) Blacklisted() bool {
	return m.r.Conf.IsBlacklisted(m.Name)
}

// ProbeList is what loading m takes, in order: each dependency's
// softdeps around it, then m's own pre-softdeps, m, and its
// post-softdeps, each module once. With ignoreCmd, m's softdeps are not
// followed and its install command will not be used.
func (r *Resolver) ProbeList(m *Module, ignoreCmd bool) []*Module {
	for _, p := range r.pool {
		p.visited, p.required = false, false
	}
	var list []*Module
	r.probe(m, true, ignoreCmd, &list)
	return list
}

func (r *Resolver) probe(m *Module, required, ignoreCmd bool, list *[]*Module) {
	if m.visited {
		return
	}
	m.visited = true
	deps := m.Deps()
	if required {
		m.required = true
		for _, d := range deps {
			d.required = true
		}
	}
	for _, d := range deps {
		r.fillSoftdep(d, list)
	}
	if ignoreCmd {
		*list = append(*list, m)
		m.ignoreCmd = true
		return
	}
	r.fillSoftdep(m, list)
}

func (r *Resolver) fillSoftdep(m *Module, list *[]*Module) {
	pre, post := m.Softdeps()
	for _, p := range pre {
		r.probe(p, false, false, list)
	}
	*list = append(*list, m)
	m.ignoreCmd = pre != nil || post != nil
	for _, p := range post {
		r.probe(p, false, false, list)
	}
}

// IgnoreCmd reports whether the probe list decided m's install command is
// not to be used (it has softdeps, or -i was given).
func (m *Module) IgnoreCmd() bool { return m.ignoreCmd }

// Required reports whether m is the module asked for or one of its
// dependencies, as opposed to a softdep, whose failures are ignored.
func (m *Module) Required() bool { return m.required }

func statErr(path string) (bool, error) {
	if _, err := os.Stat(path); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return false, pe.Err
		}
		return false, err
	}
	return true, nil
}

// AbsFromCwd makes a path absolute as kmod does, by prefixing the working
// directory, without cleaning anything up.
func AbsFromCwd(p string) string {
	if abs, err := MakeAbsolute(p); err == nil {
		return abs
	}
	return p
}

// MakeAbsolute is kmod's path_make_absolute_cwd: p itself when absolute,
// else the working directory, a slash and p; an error when the working
// directory has no name (getcwd(3) fails: it was removed).
func MakeAbsolute(p string) (string, error) {
	if strings.HasPrefix(p, "/") {
		return p, nil
	}
	// getcwd itself: os.Getwd would trust $PWD.
	wd, err := syscall.Getwd()
	if err != nil {
		return "", err
	}
	return wd + "/" + p, nil
}
