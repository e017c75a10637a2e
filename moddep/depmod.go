package moddep

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/modutils/modutils/elfmod"
	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/internal/libc"
	"github.com/modutils/modutils/internal/rawfile"
	"github.com/modutils/modutils/modconf"
	"github.com/modutils/modutils/moddep/modcache"
)

// ModuleExtensions are the file name endings depmod takes for modules.
// kmod as Debian builds it has no zlib and skips .ko.gz; we read all four.
var ModuleExtensions = []string{".ko", ".ko.gz", ".ko.xz", ".ko.zst"}

// Bucket counts of kmod's depmod hash tables. Their iteration order is
// visible in what depmod writes, so they are part of the file format.
const (
	modulesHashBuckets = 512
	symbolsHashBuckets = 2048
)

// DepmodConfig says what a depmod run reads and how it reports.
type DepmodConfig struct {
	// Dir is the module directory, ROOT/lib/modules/VERSION; relative
	// paths in the output are relative to it.
	Dir        string
	Conf       *modconf.DepmodConfig
	SymPrefix  byte // -P
	CheckCRCs  bool // -E given
	WarnUnres  bool // -e
	WarnDups   bool // -w
	Verbose    int  // number of -v
	Show       io.Writer
	Report     diag.Reporter
	Concurrent int // module parsers; 0 means GOMAXPROCS
	// Open opens a module; nil is elfmod.Open. Tests make it fail or
	// panic for one module.
	Open func(path string) (*elfmod.Module, error)
	// Cache, when set, holds records of modules read before: a module
	// whose bytes it knows is not decompressed, and each module read is
	// added to it.
	Cache *modcache.Cache
}

// PanicError is a module whose reading panicked: a bug in a parser or a
// decompressor, met on that one file. depmod reports it as that module's
// error and goes on with the others.
type PanicError struct {
	Path  string
	Value any
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("%s: internal error while reading it: %v", e.Path, e.Value)
}

// Depmod computes what kmod's depmod writes: modules, their symbols and
// their dependency order.
type Depmod struct {
	cfg     DepmodConfig
	byName  map[string]*depModule
	modules []*depModule
	symbols map[string]*symbol
	lines   []string // modules.dep lines, with their newlines, in depText
	depText []byte
	owned   []*symbol // ownedSymbols, made once
	readers *readers  // started by the walk's first module
}

// readers read modules on every core while the walk goes on: a warm
// run's hashing of the modules then overlaps the walk instead of
// following it. A module that a better copy later replaces was read for
// nothing, which only costs time.
type readers struct {
	next  chan []*depModule
	batch []*depModule // not handed over yet
	wg    sync.WaitGroup
}

type depModule struct {
	path       string
	relpath    string // relative to Dir, "" when the module lies elsewhere
	uncrelpath string // relpath with the compression suffix cut
	name       string // normalised: dashes become underscores
	sortIdx    int
	depSortIdx int
	idx        int
	users      int
	deps       []*depModule
	info       []kv
	depSyms    []elfmod.DepSymbol
	exports    []elfmod.Symbol
	// rec, when cached is set, holds the symbols instead of depSyms and
	// exports: the cache's record, read in place.
	rec     modcache.View
	cached  bool
	symErr  error
	visited bool // cycle reporting
	queued  bool // handed to the readers
	// dir, when set, is the directory the walk found the module in, and
	// base its name there.
	dir  *walkDir
	base string
	seen int // allDeps' mark
}

type kv struct{ key, value string }

type symbol struct {
	name  string
	owner *depModule
	crc   uint64
}

// NewDepmod starts a depmod run.
func NewDepmod(cfg DepmodConfig) *Depmod {
	if cfg.Report == nil {
		cfg.Report = diag.Discard
	}
	if cfg.Show == nil {
		cfg.Show = io.Discard
	}
	if cfg.Conf == nil {
		cfg.Conf = &modconf.DepmodConfig{}
	}
	return &Depmod{cfg: cfg, byName: map[string]*depModule{}, symbols: map[string]*symbol{}}
}

// ModuleName is a module's name as kmod derives it from a path: the base
// name up to its first dot, with dashes turned into underscores.
func ModuleName(path string) string {
	return NormalizeName(path[strings.LastIndexByte(path, '/')+1:])
}

func hasModuleExtension(name string) bool {
	for _, ext := range ModuleExtensions {
		if len(name) > len(ext) && strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

func (d *Depmod) newModule(path string) *depModule {
	m := &depModule{path: path, name: ModuleName(path), sortIdx: 1, depSortIdx: int(^uint32(0) >> 1)}
	dir := d.cfg.Dir
	if strings.HasPrefix(path, dir) && len(path) > len(dir) && path[len(dir)] == '/' {
		m.relpath = path[len(dir)+1:]
		// kmod cuts the relative path at the length of "DIR/NAME.ko",
		// counting NAME in its normalised form: for ordinary names that
		// is the path without the compression suffix.
		slash := strings.LastIndexByte(m.relpath, '/')
		n := slash + 1 + len(m.name) + len(".ko")
		if n > len(m.relpath) {
			n = len(m.relpath)
		}
		m.uncrelpath = m.relpath[:n]
	}
	return m
}

// AddModule adds a module named on the command line.
func (d *Depmod) AddModule(path string) error {
	m := d.newModule(path)
	if _, dup := d.byName[m.name]; dup {
		return fmt.Errorf("%s", libc.Strerror(syscall.EEXIST))
	}
	d.byName[m.name] = m
	return nil
}

// Search walks the module directory and the external directories, keeping
// for each module name the copy depmod.d's rules prefer.
func (d *Depmod) Search() error {
	if err := d.searchDir(d.cfg.Dir); err != nil {
		return err
	}
	for _, ext := range d.cfg.Conf.Externals {
		d.searchDir(ext)
	}
	return nil
}

func (d *Depmod) searchDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		d.cfg.Report(diag.Err, "could not open directory %s: %s\n", dir, libc.Strerror(err))
		return err
	}
	defer f.Close()
	return d.walk(f, dir+"/")
}

// walk visits a directory in the order the file system returns its
// entries, as kmod does: when two copies of a module have the same
// priority, the first one seen stays.
func (d *Depmod) walk(dir *os.File, prefix string) error {
	entries, err := dir.ReadDir(-1)
	if err != nil && len(entries) == 0 {
		return err
	}
	var wd *walkDir // the directory's modules' readers open them in it
	defer func() {
		if wd != nil {
			wd.release()
		}
	}()
	for _, e := range entries {
		name := e.Name()
		if d.excluded(name) {
			continue
		}
		path := prefix + name
		isDir := e.IsDir()
		if t := e.Type(); t&os.ModeType != 0 && !isDir {
			st, err := os.Stat(path)
			if err != nil {
				d.cfg.Report(diag.Err, "fstatat(%d, %s): %s\n", dir.Fd(), name, libc.Strerror(err))
				continue
			}
			switch {
			case st.Mode().IsRegular():
			case st.IsDir():
				isDir = true
			default:
				d.cfg.Report(diag.Err, "unsupported file type %s: %o\n", path, unixFileType(st.Mode()))
				continue
			}
		}
		if isDir {
			sub, err := os.Open(path)
			if err != nil {
				d.cfg.Report(diag.Err, "openat(%d, %s, O_RDONLY): %s\n", dir.Fd(), name, libc.Strerror(err))
				continue
			}
			d.walk(sub, path+"/")
			sub.Close()
			continue
		}
		if hasModuleExtension(name) {
			if wd == nil && d.cfg.Cache != nil {
				wd = openWalkDir(dir)
			}
			d.consider(path, wd, name)
		}
	}
	return nil
}

// walkDir is a directory the walk found modules in, open until the
// readers have read them, which open each in it by name: a module's full
// path is a dozen components and a link or two to resolve again.
type walkDir struct {
	dir  *rawfile.Dir
	refs atomic.Int32 // the walk's own, and one a module
}

// openWalkDir returns nil when the directory cannot be opened again: its
// modules are then opened by path.
func openWalkDir(f *os.File) *walkDir {
	dir, err := rawfile.OpenDir(f)
	if err != nil {
		return nil
	}
	w := &walkDir{dir: dir}
	w.refs.Store(1)
	return w
}

func (w *walkDir) release() {
	if w.refs.Add(-1) == 0 {
		w.dir.Close()
	}
}

func unixFileType(m os.FileMode) uint32 {
	switch {
	case m&os.ModeSymlink != 0:
		return syscall.S_IFLNK
	case m&os.ModeNamedPipe != 0:
		return syscall.S_IFIFO
	case m&os.ModeSocket != 0:
		return syscall.S_IFSOCK
	case m&os.ModeCharDevice != 0:
		return syscall.S_IFCHR
	case m&os.ModeDevice != 0:
		return syscall.S_IFBLK
	}
	return 0
}

func (d *Depmod) excluded(name string) bool {
	if name == "." || name == ".." || name == "build" || name == "source" {
		return true
	}
	for _, x := range d.cfg.Conf.Excludes {
		if name == x {
			return true
		}
	}
	return false
}

func (d *Depmod) consider(path string, dir *walkDir, base string) {
	m := d.newModule(path)
	if old, ok := d.byName[m.name]; ok && d.oldWins(old, m) {
		return
	}
	d.byName[m.name] = m
	if dir != nil {
		dir.refs.Add(1)
		m.dir, m.base = dir, base
	}
	d.queue(m)
}

// queue hands m to the readers, starting them first, in batches: one
// channel operation and one wake-up a module cost the scheduler more
// than the module's reading.
func (d *Depmod) queue(m *depModule) {
	if d.readers == nil {
		workers := d.cfg.Concurrent
		if workers <= 0 {
			workers = runtime.GOMAXPROCS(0)
		}
		// A few batches ahead: the walk keeps each directory of queued
		// modules open, and the descriptors must stay few.
		r := &readers{next: make(chan []*depModule, 8)}
		for w := 0; w < workers; w++ {
			r.wg.Add(1)
			go func() {
				defer r.wg.Done()
				var buf []byte
				// cold: the last module the cache could have known was
				// new to it. The run is then reading from the disk, most
				// likely, and the disk can fetch a batch's files while
				// the first of them is decoded; a warm run does not pay
				// the extra open a module.
				cold := false
				for batch := range r.next {
					if cold {
						for _, m := range batch {
							m.prefetch()
						}
					}
					for _, m := range batch {
						var hit bool
						buf, hit = m.read(d.cfg.Open, d.cfg.Cache, buf)
						if cap(buf) > maxKeptBuf {
							buf = nil // one of the few large modules
						}
						if modcache.Serves(m.path) {
							cold = !hit
						}
						if m.dir != nil {
							m.dir.release()
							m.dir = nil
						}
					}
				}
			}()
		}
		d.readers = r
	}
	m.queued = true
	r := d.readers
	r.batch = append(r.batch, m)
	if len(r.batch) == readBatch {
		r.next <- r.batch
		r.batch = nil
	}
}

const readBatch = 16

// maxKeptBuf is the largest file buffer a reader keeps for the next
// module: the few modules of several MiB would otherwise keep one per
// reader to the end of the run.
const maxKeptBuf = 1 << 20

// oldWins applies depmod.d's override and search rules to two copies of a
// module, in kmod's order: overrides first, then the search list, where a
// later position means a higher priority and "built-in" stands for every
// directory that no other word names.
func (d *Depmod) oldWins(old, cand *depModule) bool {
	// kmod compares paths cut after the module name's length.
	cut := func(m *depModule) string {
		if m.relpath == "" {
			return ""
		}
		slash := strings.LastIndexByte(m.relpath, '/')
		n := slash + 1 + len(m.name)
		if n > len(m.relpath) {
			n = len(m.relpath)
		}
		return m.relpath[:n]
	}
	relNew, relOld := cut(cand), cut(old)
	for _, ov := range d.cfg.Conf.Overrides {
		if relNew != "" && relNew == ov.Path {
			return false
		}
		if relOld != "" && relOld == ov.Path {
			return true
		}
	}
	fullCut := func(m *depModule) string {
		slash := strings.LastIndexByte(m.path, '/')
		n := slash + 1 + len(m.name)
		if n > len(m.path) {
			n = len(m.path)
		}
		return m.path[:n]
	}
	newFull, oldFull := fullCut(cand), fullCut(old)
	under := func(path, dir string) bool {
		return len(path) > len(dir) && path[len(dir)] == '/' && strings.HasPrefix(path, dir)
	}
	bprio, oldprio, newprio := -1, -1, -1
	i := 0
	for _, se := range d.cfg.Conf.Searches {
		switch {
		case se.Kind == modconf.SearchBuiltin:
			bprio = i
		case se.Kind == modconf.SearchExternal:
			for _, ext := range d.cfg.Conf.Externals {
				if under(newFull, ext) {
					newprio = i
				}
				if under(oldFull, ext) {
					oldprio = i
				}
				i++
			}
		case relNew != "" && under(relNew, se.Path):
			newprio = i
		case relOld != "" && under(relOld, se.Path):
			oldprio = i
		}
		i++
	}
	if newprio < 0 {
		newprio = bprio
	}
	if oldprio < 0 {
		oldprio = bprio
	}
	return newprio <= oldprio
}

// Load orders the modules as kmod does, reads them, and resolves their
// symbols into a dependency graph sorted topologically. It fails, after
// reporting every cycle, when the graph has cycles.
func (d *Depmod) Load() error {
	d.buildArray()
	d.sortByOrderFile()
	d.readModules()
	for _, m := range d.modules {
		for s := range m.exportSymbols() {
			d.addSymbol(s.Name, false, s.CRC, m)
		}
	}
	// Resolving only reads the symbol table: it runs on every core,
	// unless messages must come out in the modules' order.
	if d.cfg.WarnUnres || d.cfg.Verbose > 0 {
		for _, m := range d.modules {
			d.resolve(m)
		}
	} else {
		d.eachModule(d.resolve)
	}
	for _, m := range d.modules {
		for _, dep := range m.deps {
			dep.users++
		}
	}
	return d.topoSort()
}

// eachModule calls fn for every module, on every core, in batches.
func (d *Depmod) eachModule(fn func(m *depModule)) {
	const batch = 64
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(batch)) - batch
				if i >= len(d.modules) {
					return
				}
				for _, m := range d.modules[i:min(i+batch, len(d.modules))] {
					fn(m)
				}
			}
		}()
	}
	wg.Wait()
}

// buildArray lists the modules in kmod's hash iteration order, which
// decides the order of modules missing from modules.order.
func (d *Depmod) buildArray() {
	d.modules = make([]*depModule, 0, len(d.byName))
	for _, m := range d.byName {
		d.modules = append(d.modules, m)
	}
	sortKmodHashOrder(d.modules, modulesHashBuckets, func(m *depModule) string { return m.name })
	for i, m := range d.modules {
		m.idx = i
	}
}

func (d *Depmod) sortByOrderFile() {
	path := d.cfg.Dir + "/modules.order"
	data, err := os.ReadFile(path)
	if err != nil {
		d.cfg.Report(diag.Warning, "could not open %s at %s: %s\n", "modules.order", d.cfg.Dir, libc.Strerror(err))
		return
	}
	// kmod 34.2 reads the file once: a module takes the place of its
	// first line (kmod 30 took its last), and a last line without its
	// newline stops the reading and leaves the modules unsorted.
	byUncrel := make(map[string]*depModule, len(d.modules))
	for _, m := range d.modules {
		if m.uncrelpath != "" {
			byUncrel[m.uncrelpath] = m
		}
	}
	lines := strings.SplitAfter(string(data), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	next := -len(d.modules)
	for i, l := range lines {
		if !strings.HasSuffix(l, "\n") {
			d.cfg.Report(diag.Err, "%s/%s:%d corrupted line misses '\\n'\n", d.cfg.Dir, "modules.order", i+1)
			return
		}
		if m := byUncrel[libc.CString(l[:len(l)-1])]; m != nil && m.sortIdx >= 0 {
			m.sortIdx = next
			next++
		}
	}
	if len(d.modules) <= 1 {
		return
	}
	sort.SliceStable(d.modules, func(i, j int) bool { return d.modules[i].sortIdx < d.modules[j].sortIdx })
	for i, m := range d.modules {
		m.idx = i
	}
}

// readModules waits for the readers to have read every module (those
// the walk did not hand them, named on the command line, are handed
// now); everything order-dependent happens afterwards, in array order.
func (d *Depmod) readModules() {
	for _, m := range d.modules {
		if !m.queued {
			d.queue(m)
		}
	}
	if d.readers != nil {
		if len(d.readers.batch) > 0 {
			d.readers.next <- d.readers.batch
		}
		close(d.readers.next)
		d.readers.wg.Wait()
		d.readers = nil
	}
	for _, m := range d.modules {
		if m.symErr == nil {
			continue
		}
		// libkmod logs a decompression failure each time depmod opens the
		// module: for its symbols, its .modinfo and its dependencies.
		lib, logged := elfmod.LibkmodLoadError(m.symErr)
		if logged {
			d.cfg.Report(diag.Err, "%s", lib.Msg)
		}
		d.cfg.Report(diag.Err, "failed to load symbols from %s: %s\n", m.path, errnoOf(m.symErr))
		if logged {
			d.cfg.Report(diag.Err, "%s", lib.Msg)
			d.cfg.Report(diag.Err, "%s", lib.Msg)
		}
	}
}

// prefetch has the kernel start reading m's file (rawfile.Prefetch).
func (m *depModule) prefetch() {
	if !modcache.Serves(m.path) {
		return
	}
	if m.dir != nil {
		m.dir.dir.Prefetch(m.base)
	} else {
		rawfile.Prefetch(m.path)
	}
}

// read reads a module's symbols and the .modinfo entries depmod writes:
// from the cache when it knows the file's bytes, else from the file,
// whose record then goes to the cache. buf is the worker's buffer for
// the file's bytes, returned for the next module, with whether the
// cache knew them.
func (m *depModule) read(open func(string) (*elfmod.Module, error), cache *modcache.Cache, buf []byte) ([]byte, bool) {
	var key modcache.Key
	var hashed rawfile.Identity
	ok := false
	if !modcache.Serves(m.path) {
		cache = nil
	}
	if cache != nil {
		var err error
		if m.dir != nil {
			buf, hashed, err = m.dir.dir.ReadFile(m.base, buf)
		} else {
			buf, hashed, err = rawfile.ReadFile(m.path, buf)
		}
		if err == nil {
			ok = true
			key = modcache.KeyOf(buf)
			if rec, hit := cache.View(key); hit {
				m.rec, m.cached = rec, true
				m.keepInfo(rec.Modinfo())
				return buf, true
			}
		}
	}
	fromHashed := ok && open == nil
	if fromHashed {
		// Parsed from the bytes just hashed: the file is not read again,
		// and the record is theirs whatever happens to the file meanwhile.
		data := buf
		open = func(path string) (*elfmod.Module, error) { return elfmod.OpenData(path, data) }
	}
	rec := m.parse(open, ok)
	if rec == nil || m.symErr != nil {
		return buf, false
	}
	// A module opened again (tests do, through cfg.Open) goes under the
	// key only if nothing wrote or replaced the file in between.
	if !fromHashed {
		if now, err := rawfile.Stat(m.path); err != nil || now != hashed {
			return buf, false
		}
	}
	if v, ok := cache.Put(key, rec); ok {
		// Its symbols held once, as its record, as a hit's are: a cold
		// run holds thousands of modules' to the end.
		m.rec, m.cached = v, true
		m.exports, m.depSyms = nil, nil
	}
	return buf, false
}

// exportSymbols are the symbols m exports, from its record or its file.
func (m *depModule) exportSymbols() iter.Seq[elfmod.Symbol] {
	if m.cached {
		return m.rec.Exports()
	}
	return slices.Values(m.exports)
}

// dependencySymbols are the symbols m needs, from its record or its file.
func (m *depModule) dependencySymbols() iter.Seq[elfmod.DepSymbol] {
	if m.cached {
		return m.rec.Deps()
	}
	return slices.Values(m.depSyms)
}

// keepInfo keeps only the .modinfo entries depmod writes out:
// descriptions and parameter docs would be most of what stays in memory.
func (m *depModule) keepInfo(strs iter.Seq[string]) {
	for s := range strs {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			v = ""
		}
		if k == "alias" || k == "softdep" || k == "weakdep" {
			m.info = append(m.info, kv{k, v})
		}
	}
}

// parse reads the module file itself; with record set it also returns
// the module's cache record (nil if it could not be opened).
func (m *depModule) parse(open func(string) (*elfmod.Module, error), record bool) (rec *modcache.Record) {
	// One crafted file must not take the run down with it.
	defer func() {
		if p := recover(); p != nil {
			m.symErr = &PanicError{Path: m.path, Value: p}
			m.exports, m.info, m.depSyms = nil, nil, nil
			rec = nil
		}
	}()
	if open == nil {
		open = elfmod.Open
	}
	f, err := open(m.path)
	if err != nil {
		m.symErr = err
		return nil
	}
	defer f.Close()
	if syms, err := f.Symbols(); err != nil {
		if !errors.Is(err, elfmod.ErrNoSection) {
			m.symErr = err
		}
	} else {
		m.exports = syms
	}
	strs, err := f.Modinfo()
	if err == nil {
		m.keepInfo(slices.Values(strs))
	}
	if ds, err := f.DependencySymbols(); err == nil {
		m.depSyms = ds
	}
	if !record {
		return nil
	}
	rec = &modcache.Record{Modinfo: strs, HasModinfo: err == nil, Exports: m.exports, Deps: m.depSyms}
	if sig, err := f.Signature(); err == nil {
		rec.Signature = sig
	}
	return rec
}

// errnoOf words a module reading error as kmod's strerror(-err) would;
// a panic, which kmod cannot have, is said as what it was.
func errnoOf(err error) string {
	var pe *PanicError
	if errors.As(err, &pe) {
		return fmt.Sprintf("internal error: %v", pe.Value)
	}
	return libc.Strerror(elfmod.Errno(err))
}

func (d *Depmod) addSymbol(name string, prefixSkipped bool, crc uint64, owner *depModule) {
	if !prefixSkipped && d.cfg.SymPrefix != 0 && len(name) > 0 && name[0] == d.cfg.SymPrefix {
		name = name[1:]
	}
	d.symbols[name] = &symbol{name: name, owner: owner, crc: crc}
}

func (d *Depmod) findSymbol(name string) *symbol {
	name = strings.TrimPrefix(name, ".")
	if d.cfg.SymPrefix != 0 && len(name) > 0 && name[0] == d.cfg.SymPrefix {
		name = name[1:]
	}
	return d.symbols[name]
}

// resolve lists the modules m needs in m.deps; Load counts their users.
func (d *Depmod) resolve(m *depModule) {
	for ds := range m.dependencySymbols() {
		weak := ds.Bind == elfmod.BindWeak
		sym := d.findSymbol(ds.Name)
		if sym == nil {
			if d.cfg.WarnUnres && !weak {
				d.cfg.Report(diag.Warning, "%s needs unknown symbol %s\n", m.path, ds.Name)
			}
			continue
		}
		if d.cfg.CheckCRCs && sym.crc != ds.CRC && !weak && d.cfg.WarnUnres {
			d.cfg.Report(diag.Warning, "%s disagrees about version of symbol %s\n", m.path, ds.Name)
		}
		if sym.owner == nil {
			continue
		}
		dup := false
		for _, have := range m.deps {
			if have == sym.owner {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		m.deps = append(m.deps, sym.owner)
		if d.cfg.Verbose > 0 {
			fmt.Fprintf(d.cfg.Show, "%s needs \"%s\": %s\n", m.path, sym.name, sym.owner.path)
		}
	}
}

// topoSort numbers the modules so that users come before what they use,
// exactly as kmod does: its numbering decides the order of every
// dependency list in modules.dep.
func (d *Depmod) topoSort() error {
	n := len(d.modules)
	users := make([]int, n)
	roots := make([]int, 0, n)
	for i, m := range d.modules {
		users[i] = m.users
		if m.users == 0 {
			roots = append(roots, i)
		}
	}
	sorted := 0
	for len(roots) > 0 {
		src := d.modules[roots[len(roots)-1]]
		roots = roots[:len(roots)-1]
		src.depSortIdx = sorted
		sorted++
		for _, dst := range src.deps {
			users[dst.idx]--
			if users[dst.idx] == 0 {
				roots = append(roots, dst.idx)
			}
		}
	}
	if sorted < n {
		d.reportCycles(users)
		return ErrCycle
	}
	for _, m := range d.modules {
		if len(m.deps) > 1 {
			sort.Slice(m.deps, func(i, j int) bool { return m.deps[i].depSortIdx < m.deps[j].depSortIdx })
		}
	}
	return nil
}

// ErrCycle is returned by Load when modules depend on each other in a loop.
var ErrCycle = errors.New("dependency cycle")

type vertex struct {
	parent *vertex
	mod    *depModule
}

// reportCycles walks the modules left unsorted and reports each loop once,
// in the words and the order kmod reports them.
func (d *Depmod) reportCycles(users []int) {
	var roots []*depModule
	for i, m := range d.modules {
		if users[i] > 0 {
			roots = append(roots, m)
		}
	}
	// kmod keeps the roots in a circular list, and removing an entry
	// makes the one after it the head: the next root tried is the module
	// after the last one removed, which decides how each loop is printed.
	remove := func(m *depModule) {
		for i, r := range roots {
			if r == m {
				roots = append(roots[i+1:len(roots):len(roots)], roots[:i]...)
				return
			}
		}
	}
	inLoops := map[string]bool{}
	for len(roots) > 0 {
		root := roots[0]
		roots = roots[1:]
		stack := []*vertex{{mod: root}}
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			m := v.mod
			if m.visited && m == root {
				var chain []*vertex
				for p := v.parent; p != nil; p = p.parent {
					chain = append(chain, p)
					inLoops[p.mod.name] = true
				}
				var b strings.Builder
				for i := len(chain) - 1; i >= 0; i-- {
					b.WriteString(chain[i].mod.name)
					b.WriteString(" -> ")
					remove(chain[i].mod)
				}
				b.WriteString(m.name)
				d.cfg.Report(diag.Err, "Cycle detected: %s\n", b.String())
				continue
			}
			m.visited = true
			if len(m.deps) == 0 {
				remove(m)
				continue
			}
			for _, dep := range m.deps {
				stack = append(stack, &vertex{parent: v, mod: dep})
			}
		}
	}
	d.cfg.Report(diag.Err, "Found %d modules in dependency cycles!\n", len(inLoops))
}

// LoadSymvers reads the kernel's own symbols and their CRCs from a
// Module.symvers file (-E).
func (d *Depmod) LoadSymvers(path string) error {
	return eachCLine(path, func(lineNum int, line string) {
		// kmod splits on blanks only: a newline stays part of the last word.
		fields := strings.FieldsFunc(libc.CString(line), func(r rune) bool { return r == ' ' || r == '\t' })
		if len(fields) < 3 || fields[2] != "vmlinux" {
			return
		}
		crc, ok := parseHexCRC(fields[0])
		if !ok {
			// kmod prints a stale errno here; the version is what is wrong.
			d.cfg.Report(diag.Err, "%s:%d Invalid symbol version %s: %s\n", path, lineNum, fields[0], libc.Strerror(syscall.EINVAL))
			return
		}
		d.addSymbol(fields[1], false, crc, nil)
	}, d.addFakeSymbols)
}

// eachCLine calls fn for each line of a file as kmod's fgets loops read
// it (lines of at most 10239 bytes, newline kept), then done.
func eachCLine(path string, fn func(lineNum int, line string), done func()) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	for lineNum := 1; ; lineNum++ {
		line, err := readCLine(r, 10240)
		if line == "" && err != nil {
			break
		}
		fn(lineNum, line)
	}
	done()
	return nil
}

// parseHexCRC reads a version as strtoull(s, &end, 16) with nothing left.
func parseHexCRC(s string) (uint64, bool) {
	v, n := libc.Strtoul(s, 16)
	return v, n == len(s)
}

// readCLine reads a line as fgets into a buffer of size n does: at most
// n-1 bytes, keeping the newline.
func readCLine(r *bufio.Reader, n int) (string, error) {
	var b []byte
	for len(b) < n-1 {
		c, err := r.ReadByte()
		if err != nil {
			return string(b), err
		}
		b = append(b, c)
		if c == '\n' {
			break
		}
	}
	return string(b), nil
}

// LoadSystemMap reads the kernel's exported symbols from a System.map (-F).
func (d *Depmod) LoadSystemMap(path string) error {
	return eachCLine(path, func(lineNum int, raw string) {
		line := libc.CString(raw)
		_, rest, ok := strings.Cut(line, " ")
		if ok {
			_, rest, ok = strings.Cut(rest, " ")
		}
		if !ok {
			d.cfg.Report(diag.Err, "%s:%d: invalid line: %s\n", path, lineNum, line)
			return
		}
		if d.cfg.SymPrefix != 0 && len(rest) > 0 && rest[0] == d.cfg.SymPrefix {
			rest = rest[1:]
		}
		name, ok := strings.CutPrefix(rest, "__ksymtab_")
		if !ok {
			return
		}
		if i := strings.IndexByte(name, '\n'); i >= 0 {
			name = name[:i]
		}
		d.addSymbol(name, true, 0, nil)
	}, d.addFakeSymbols)
}

func (d *Depmod) addFakeSymbols() {
	// The kernel's loader provides these to every module.
	d.addSymbol("__this_module", true, 0, nil)
	d.addSymbol("_GLOBAL_OFFSET_TABLE_", true, 0, nil)
	if d.findSymbol("TOC.") == nil {
		d.addSymbol("TOC.", true, 0, nil)
	}
}

// DepUpToDate reports whether modules.dep in dir is newer than every
// module below dir, the test behind depmod -A.
func DepUpToDate(dir string, report diag.Reporter) (bool, error) {
	st, err := os.Stat(dir + "/modules.dep")
	if err != nil {
		report(diag.Err, "could not fstatat(%s, modules.dep): %s\n", dir, libc.Strerror(err))
		return false, err
	}
	return newerThanModules(dir, st.ModTime().Unix(), report), nil
}

func newerThanModules(dir string, mtime int64, report diag.Reporter) bool {
	f, err := os.Open(dir)
	if err != nil {
		return true
	}
	names, _ := f.Readdirnames(-1)
	f.Close()
	for _, name := range names {
		if name == "build" || name == "source" {
			continue
		}
		path := dir + "/" + name
		st, err := os.Stat(path)
		if err != nil {
			report(diag.Err, "fstatat(%d, %s): %s\n", 0, name, libc.Strerror(err))
			continue
		}
		switch {
		case st.IsDir():
			if !newerThanModules(path, mtime, report) {
				return false
			}
		case st.Mode().IsRegular():
			// kmod compares whole seconds.
			if hasModuleExtension(name) && st.ModTime().Unix() > mtime {
				return false
			}
		}
	}
	return true
}
