// Package depmod is the depmod applet: it scans a kernel's module tree and
// writes modules.dep and the other index files, byte for byte as kmod 34.2's
// depmod writes them, reading the modules in parallel.
package depmod

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/elfmod"
	"github.com/modutils/modutils/internal/atomicfile"
	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/internal/libc"
	"github.com/modutils/modutils/kernel"
	"github.com/modutils/modutils/modconf"
	"github.com/modutils/modutils/moddep"
	"github.com/modutils/modutils/moddep/modcache"
)

// memoryLimit is the heap size past which the collector works harder. A
// run keeps about 25 MiB live, plus a decompressed module per core on
// compressed trees; without a limit the collector lets the heap double
// before it runs and depmod would peak above kmod's 76 MiB. A soft limit
// costs nothing below it, and GOMEMLIMIT still overrides it.
const memoryLimit = 48 << 20

// gcPercent is the collector's target, unless GOGC is set: a warm run's
// heap stays under 20 MiB, and at Go's default of 100 it was collected
// eight times, from a 4 MiB goal up; the memory limit above still bounds
// a cold run.
const gcPercent = 200

// Run runs depmod with args (without the program name) and returns its
// exit code.
func Run(env *applet.Env, args []string) int {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(memoryLimit))
	}
	if _, set := os.LookupEnv("GOGC"); !set {
		defer debug.SetGCPercent(debug.SetGCPercent(gcPercent))
	}
	j, code := prepare(env, args, nil)
	if j == nil {
		return code
	}
	// The cache holds every record the run will add once the tree is
	// read: it is written while the files are, its fsync beside theirs.
	// Only time depends on it: a cache that cannot be written (a
	// read-only /var, no permission) is silently left as it is.
	saved := make(chan struct{})
	go func() {
		defer close(saved)
		if j.cache != nil {
			j.cache.Save()
		}
	}()
	code = j.write(env.Files())
	<-saved
	if j.cache != nil {
		j.cache.Close()
	}
	return code
}

// job is a run whose tree is read, with its files still to write.
type job struct {
	d     *moddep.Depmod
	dir   string // where the files go
	mkdir bool   // -o: the directory may have to be made
	log   *applet.Logger
	cache *modcache.Cache // saved after the files are written
}

// prepare does all of a run but writing its files: a nil job is a run
// that ended (-h, -n, an error) with the exit code. open, when set,
// opens the modules instead of elfmod.Open (tests inject faults there).
func prepare(env *applet.Env, args []string, open func(string) (*elfmod.Module, error)) (*job, int) {
	log := applet.NewLogger(env)
	var (
		all, maybeAll, show, printUnknown, warnDups bool
		verbose                                     int
		root, outRoot                               string
		moduleDir                                   = "/lib/modules"
		configPaths                                 []string
		symvers, systemMap                          string
		checkSymvers, hasSystemMap, hasOutRoot      bool
		prefix                                      byte
	)
	opts := env.Getopt(args, Spec.Shorts(), Spec.Longs())
	for o := range opts.Options() {
		if code, done := env.CommonOption(env.Stdout, Spec, o.Val); done {
			return nil, code
		}
		switch o.Val {
		case 'a':
			all = true
		case 'A':
			maybeAll = true
		case 'b':
			// kmod makes -b and -o absolute as it meets them.
			abs, err := moddep.MakeAbsolute(o.Arg)
			if err != nil {
				log.Report(diag.Err, "invalid image path %s\n", o.Arg)
				return nil, 1
			}
			root = abs
		case 'm':
			moduleDir = o.Arg
		case 'o':
			abs, err := moddep.MakeAbsolute(o.Arg)
			if err != nil {
				log.Report(diag.Err, "invalid output directory %s\n", o.Arg)
				return nil, 1
			}
			outRoot, hasOutRoot = abs, true
		case 'C':
			configPaths = append(configPaths, o.Arg)
		case 'E':
			symvers, checkSymvers = o.Arg, true
		case 'F':
			systemMap, hasSystemMap = o.Arg, true
		case 'e':
			printUnknown = true
		case 'v':
			verbose++
		case 'n':
			show = true
		case 'P':
			if len(o.Arg) != 1 {
				log.Report(diag.Crit, "-P only takes a single char\n")
				return nil, 1
			}
			prefix = o.Arg[0]
		case 'w':
			warnDups = true
		}
	}
	log.Priority = min(diag.Warning+diag.Level(verbose), diag.Debug)

	operands := opts.Operands()
	var kversion string
	if len(operands) > 0 {
		if !isVersionNumber(operands[0]) {
			log.Report(diag.Err, "Bad version passed %s\n", operands[0])
			return nil, 1
		}
		kversion, operands = operands[0], operands[1:]
	} else {
		var err error
		kversion, err = kernel.Release()
		if err != nil {
			log.Report(diag.Crit, "uname() failed: %s\n", libc.Strerror(err))
			return nil, 1
		}
	}

	moduleDir = strings.TrimLeft(moduleDir, "/")
	dir := root + "/" + moduleDir + "/" + kversion
	outDir := dir
	if hasOutRoot {
		outDir = outRoot + "/" + moduleDir + "/" + kversion
	}
	all = all || len(operands) == 0

	if maybeAll {
		if show {
			return nil, 0
		}
		if upToDate, err := moddep.DepUpToDate(dir, log.Report); err == nil && upToDate {
			return nil, 0
		}
		all = true
	}

	warnUnresolved := printUnknown
	if warnUnresolved && !checkSymvers && !hasSystemMap {
		log.Report(diag.Warning, "-e needs -E or -F\n")
		warnUnresolved = false
	}
	conf := &modconf.DepmodConfig{}
	// The cache is the host's even under -b: its keys are the modules'
	// bytes, so an image's copies of the host's modules hit. Tests that
	// make modules fail to open bypass it.
	var cache *modcache.Cache
	if opts, ok := modcache.FromEnv(env.Lookup); ok && open == nil {
		cache = modcache.Open(opts)
		cache.Load()
		defer func() {
			if cache != nil {
				cache.Close()
			}
		}()
	}
	d := moddep.NewDepmod(moddep.DepmodConfig{
		Dir:       dir,
		Conf:      conf,
		SymPrefix: prefix,
		CheckCRCs: checkSymvers,
		WarnUnres: warnUnresolved,
		WarnDups:  warnDups,
		Verbose:   verbose,
		Show:      env.Stdout,
		Report:    log.Report,
		Open:      open,
		Cache:     cache,
	})
	switch {
	case checkSymvers:
		if err := d.LoadSymvers(symvers); err != nil {
			log.Report(diag.Crit, "could not load %s: %s\n", symvers, libc.Strerror(err))
			return nil, 1
		}
	case hasSystemMap:
		if err := d.LoadSystemMap(systemMap); err != nil {
			log.Report(diag.Crit, "could not load %s: %s\n", systemMap, libc.Strerror(err))
			return nil, 1
		}
	}

	if all {
		paths := modconf.DefaultDepmodDirs
		if configPaths != nil {
			paths = configPaths
		}
		*conf = *modconf.LoadDepmodConfig(paths, kversion, log.Report)
		if err := d.Search(); err != nil {
			log.Report(diag.Crit, "could not search modules: %s\n", libc.Strerror(err))
			return nil, 1
		}
	} else {
		for _, p := range operands {
			if !strings.HasPrefix(p, "/") {
				log.Report(diag.Crit, "%s: not absolute path.\n", p)
				return nil, 1
			}
			if _, err := os.Stat(p); err != nil {
				log.Report(diag.Crit, "could not create module %s: %s\n", p, libc.Strerror(err))
				return nil, 1
			}
			if err := d.AddModule(p); err != nil {
				log.Report(diag.Err, "hash_add_unique %s: %s\n", moddep.ModuleName(p), err)
				log.Report(diag.Crit, "could not add module %s: %s\n", p, err)
				return nil, 1
			}
		}
	}

	if err := d.Load(); err != nil {
		return nil, 1
	}
	if show {
		for _, out := range d.Outputs() {
			if out.Binary {
				continue
			}
			if err := out.Write(env.Stdout); err != nil {
				return nil, 1
			}
		}
		return nil, 0
	}
	j := &job{d: d, dir: outDir, mkdir: hasOutRoot, log: log, cache: cache}
	cache = nil // the job closes it
	return j, 0
}

// write writes each file through fsys (atomicfile.Replace: a temporary
// name, fsync, rename, fsync of the directory), so that an interrupted
// or failed run, or a power cut, leaves every file either old or new.
// kmod renames even a truncated file, and syncs nothing; we keep the old
// one. Temporary files that a killed run of ours left behind are removed
// first.
func (j *job) write(fsys atomicfile.FS) int {
	dir, log := j.dir, j.log
	if j.mkdir {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			log.Report(diag.Err, "mkdir_p %s: %s\n", dir, libc.Strerror(err))
			return 1
		}
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		if err == nil {
			err = fmt.Errorf("not a directory")
		}
		log.Report(diag.Crit, "could not open directory %s: %s\n", dir, libc.Strerror(err))
		return 1
	}
	removeStale(fsys, dir, j.d.Outputs(), os.Getpid(), processAlive)
	now := time.Now()
	// The files are made on every core, then written in order, each
	// with the messages its making reported just before it, as a run
	// that made and wrote each in turn would say them; then all are
	// fsynced at once and renamed into place in order
	// (atomicfile.CommitAll: one fsync after another was most of the
	// time of a warm run's writing).
	encs := j.d.EncodeOutputs(runtime.GOMAXPROCS(0))
	var pending []*atomicfile.Pending
	abort := func() {
		for _, p := range pending {
			p.Abort()
		}
	}
	tmpName := func(name string) string {
		return fmt.Sprintf("%s/%s.%d.%d.%d", dir, name, os.Getpid(), now.Nanosecond()/1000, now.Unix())
	}
	truncated := func(name string, err error) int {
		log.Report(diag.Err, "Could not create index '%s'. Output is truncated: %s\n", name, libc.Strerror(err))
		return 1
	}
	for _, out := range encs {
		out.Replay(log.Report)
		if out.Err != nil {
			abort()
			log.Report(diag.Err, "Could not write index '%s': %s\n", out.Name, out.Err)
			return 1
		}
		p, err := atomicfile.Create(fsys, dir+"/"+out.Name, tmpName(out.Name), 0o644)
		if err == nil {
			pending = append(pending, p)
			_, err = p.Write(out.Data)
		}
		if err != nil {
			abort()
			return truncated(out.Name, err)
		}
	}
	i, err := atomicfile.CommitAll(pending)
	if err == nil {
		return 0
	}
	var pe *fs.PathError
	switch name := encs[i].Name; {
	case errors.As(err, &pe) && pe.Op == atomicfile.OpRename:
		log.Report(diag.Crit, "renameat(%s, %s, %s, %s): %s\n", dir, filepath.Base(tmpName(name)), dir, name, libc.Strerror(err))
		return 1
	case errors.As(err, &pe) && pe.Op == atomicfile.OpSyncRenamed:
		// The files are in place; whether they survive a power cut is
		// what the directory's fsync would have said.
		log.Report(diag.Err, "could not sync directory %s after writing '%s': %s\n", dir, name, libc.Strerror(err))
		return 1
	default:
		return truncated(name, err)
	}
}

// staleTemp splits the name of a temporary file of depmod's,
// NAME.PID.USEC.SEC (three runs of digits), into NAME and PID. It is
// parsed by hand: a regexp compiled at package initialisation cost every
// run of the binary, whatever its applet, about 0.3 ms on this project's
// machine.
func staleTemp(file string) (name, pid string, ok bool) {
	rest := file
	var fields [3]string
	for i := 2; i >= 0; i-- {
		dot := strings.LastIndexByte(rest, '.')
		if dot < 0 || !allDigits(rest[dot+1:]) {
			return "", "", false
		}
		fields[i], rest = rest[dot+1:], rest[:dot]
	}
	if rest == "" {
		return "", "", false
	}
	return rest, fields[0], true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// removeStale removes the temporary files a depmod of ours left when it
// was killed: named after one of the outputs, by a process that is gone
// or by this one (whose own temporary files of this run are not made
// yet). A live depmod's are left alone: kmod's and ours run side by
// side in initramfs builders.
func removeStale(fsys atomicfile.FS, dir string, outputs []moddep.DepmodOutput, self int, alive func(pid int) bool) {
	names := map[string]bool{}
	for _, o := range outputs {
		names[o.Name] = true
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name, digits, ok := staleTemp(e.Name())
		if !ok || !names[name] || !e.Type().IsRegular() {
			continue
		}
		pid, err := strconv.Atoi(digits)
		if err != nil || pid != self && alive(pid) {
			continue
		}
		fsys.Remove(dir + "/" + e.Name())
	}
}

// processAlive reports whether a process pid exists (signal 0 reaches it,
// or it is someone else's).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// isVersionNumber is kmod's test, sscanf(v, "%u.%u") == 2.
func isVersionNumber(v string) bool {
	rest, ok := scanUnsigned(v)
	if !ok || !strings.HasPrefix(rest, ".") {
		return false
	}
	_, ok = scanUnsigned(rest[1:])
	return ok
}

// scanUnsigned skips what sscanf's %u skips and consumes its digits.
func scanUnsigned(s string) (rest string, ok bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return s[n:], n > 0
}
