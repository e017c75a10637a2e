// Package depmod is the depmod applet: it scans a kernel's module tree and
// writes modules.dep and the other index files, byte for byte as kmod 34.2's
// depmod writes them, reading the modules in parallel.
package depmod

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/applets/getopt"
	"github.com/modutils/modutils/kernel"
	"github.com/modutils/modutils/modconf"
	"github.com/modutils/modutils/moddep"
)

// options is kmod's depmod table, in its order (glibc lists ambiguous
// abbreviations in table order), with -m and -o as newer kmod has them.
var options = []getopt.Option{
	{Short: 'a', Long: "all"},
	{Short: 'A', Long: "quick"},
	{Short: 'b', Long: "basedir", Arg: getopt.RequiredArg},
	{Short: 'C', Long: "config", Arg: getopt.RequiredArg},
	{Short: 'E', Long: "symvers", Arg: getopt.RequiredArg},
	{Short: 'F', Long: "filesyms", Arg: getopt.RequiredArg},
	{Short: 'e', Long: "errsyms"},
	{Short: 'u', Long: "unresolved-error"},
	{Short: 'q', Long: "quiet"},
	{Short: 'r', Long: "root"},
	{Short: 'v', Long: "verbose"},
	{Short: 'n', Long: "show"},
	{Long: "dry-run", Name: "show"},
	{Short: 'P', Long: "symbol-prefix", Arg: getopt.RequiredArg},
	{Short: 'w', Long: "warn"},
	{Short: 'm', Long: "moduledir", Arg: getopt.RequiredArg},
	{Short: 'o', Long: "outdir", Arg: getopt.RequiredArg},
	{Short: 'V', Long: "version"},
	{Short: 'h', Long: "help"},
}

const helpText = `Usage:
	%s -[aA] [options] [forced_version]

If no arguments (except options) are given, "depmod -a" is assumed

depmod will output a dependency list suitable for the modprobe utility.

Options:
	-a, --all            Probe all modules
	-A, --quick          Only does the work if there's a new module
	-e, --errsyms        Report not supplied symbols
	-n, --show           Write the dependency file on stdout only
	-P, --symbol-prefix  Architecture symbol prefix
	-C, --config=PATH    Read configuration from PATH
	-v, --verbose        Enable verbose mode
	-w, --warn           Warn on duplicates
	-V, --version        show version
	-h, --help           show this help

The following options are useful for people managing distributions:
	-b, --basedir=DIR    Use an image of a module tree.
	-m, --moduledir=DIR  Module directory (default: /lib/modules).
	-o, --outdir=DIR     Output root path (default: same as <basedir>).
	-F, --filesyms=FILE  Use the file instead of the
	                     current kernel symbols.
	-E, --symvers=FILE   Use Module.symvers file to check
	                     symbol versions.
`

// memoryLimit is the heap size past which the collector works harder. A
// run keeps about 25 MiB live, plus a decompressed module per core on
// compressed trees; without a limit the collector lets the heap double
// before it runs and depmod would peak above kmod's 76 MiB. A soft limit
// costs nothing below it, and GOMEMLIMIT still overrides it.
const memoryLimit = 48 << 20

// Run runs depmod with args (without the program name) and returns its
// exit code.
func Run(env *applet.Env, args []string) int {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(memoryLimit))
	}
	log := applet.NewLogger(env)
	c, err := applet.Parse(env, args, options)
	if err != nil {
		return 1
	}
	verbose := c.Count("verbose")
	// Options with side effects act in the order given, as in kmod's loop.
	for _, o := range c.Options {
		switch o.Name {
		case "symbol-prefix":
			if len(o.Value) != 1 {
				log.Report(modconf.Crit, "-P only takes a single char\n")
				return 1
			}
		case "unresolved-error", "quiet", "root":
			log.Report(modconf.Warning, "Ignored deprecated option %s\n", o.Spelling)
		case "help":
			fmt.Fprintf(env.Stdout, helpText, env.Name())
			return 0
		case "version":
			io.WriteString(env.Stdout, applet.Version)
			return 0
		}
	}
	log.Priority = min(modconf.Warning+modconf.Level(verbose), modconf.Debug)

	// kmod makes -b and -o absolute as it meets them.
	root, outRoot := "", ""
	if c.Has("basedir") {
		if root, err = moddep.MakeAbsolute(c.String("basedir", "")); err != nil {
			log.Report(modconf.Err, "invalid image path %s\n", c.String("basedir", ""))
			return 1
		}
	}
	if c.Has("outdir") {
		if outRoot, err = moddep.MakeAbsolute(c.String("outdir", "")); err != nil {
			log.Report(modconf.Err, "invalid output directory %s\n", c.String("outdir", ""))
			return 1
		}
	}

	operands := c.Operands
	var kversion string
	if len(operands) > 0 {
		if !isVersionNumber(operands[0]) {
			log.Report(modconf.Err, "Bad version passed %s\n", operands[0])
			return 1
		}
		kversion, operands = operands[0], operands[1:]
	} else {
		kversion, err = kernel.Release()
		if err != nil {
			log.Report(modconf.Crit, "uname() failed: %s\n", modconf.ErrnoString(err))
			return 1
		}
	}

	moduleDir := strings.TrimLeft(c.String("moduledir", "/lib/modules"), "/")
	dir := root + "/" + moduleDir + "/" + kversion
	outDir := dir
	if c.Has("outdir") {
		outDir = outRoot + "/" + moduleDir + "/" + kversion
	}
	all := c.Has("all") || len(operands) == 0
	show := c.Has("show")

	if c.Has("quick") {
		if show {
			return 0
		}
		if upToDate, err := moddep.DepUpToDate(dir, log.Report); err == nil && upToDate {
			return 0
		}
		all = true
	}

	var prefix byte
	if c.Has("symbol-prefix") {
		prefix = c.String("symbol-prefix", "")[0]
	}
	warnUnresolved := c.Has("errsyms")
	if warnUnresolved && !c.Has("symvers") && !c.Has("filesyms") {
		log.Report(modconf.Warning, "-e needs -E or -F\n")
		warnUnresolved = false
	}
	conf := &modconf.DepmodConfig{}
	d := moddep.NewDepmod(moddep.DepmodConfig{
		Dir:       dir,
		Conf:      conf,
		SymPrefix: prefix,
		CheckCRCs: c.Has("symvers"),
		WarnUnres: warnUnresolved,
		WarnDups:  c.Has("warn"),
		Verbose:   verbose,
		Show:      env.Stdout,
		Report:    log.Report,
	})
	switch {
	case c.Has("symvers"):
		if err := d.LoadSymvers(c.String("symvers", "")); err != nil {
			log.Report(modconf.Crit, "could not load %s: %s\n", c.String("symvers", ""), modconf.ErrnoString(err))
			return 1
		}
	case c.Has("filesyms"):
		if err := d.LoadSystemMap(c.String("filesyms", "")); err != nil {
			log.Report(modconf.Crit, "could not load %s: %s\n", c.String("filesyms", ""), modconf.ErrnoString(err))
			return 1
		}
	}

	if all {
		paths := modconf.DefaultDepmodDirs
		if c.Has("config") {
			paths = c.Strings("config")
		}
		*conf = *modconf.LoadDepmodConfig(paths, kversion, log.Report)
		if err := d.Search(); err != nil {
			log.Report(modconf.Crit, "could not search modules: %s\n", modconf.ErrnoString(err))
			return 1
		}
	} else {
		for _, p := range operands {
			if !strings.HasPrefix(p, "/") {
				log.Report(modconf.Crit, "%s: not absolute path.\n", p)
				return 1
			}
			if _, err := os.Stat(p); err != nil {
				log.Report(modconf.Crit, "could not create module %s: %s\n", p, modconf.ErrnoString(err))
				return 1
			}
			if err := d.AddModule(p); err != nil {
				log.Report(modconf.Err, "hash_add_unique %s: %s\n", moddep.ModuleName(p), err)
				log.Report(modconf.Crit, "could not add module %s: %s\n", p, err)
				return 1
			}
		}
	}

	if err := d.Load(); err != nil {
		return 1
	}
	if show {
		for _, out := range d.Outputs() {
			if out.Binary {
				continue
			}
			if err := out.Write(env.Stdout); err != nil {
				return 1
			}
		}
		return 0
	}
	return writeOutputs(d, outDir, c.Has("outdir"), log)
}

// writeOutputs writes each file to a temporary name in the output
// directory and renames it over the old one only once it is complete, so
// that an interrupted or failed run leaves every file either old or new.
// kmod renames even a truncated file; we keep the old one.
func writeOutputs(d *moddep.Depmod, dir string, mkdir bool, log *applet.Logger) int {
	if mkdir {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			log.Report(modconf.Err, "mkdir_p %s: %s\n", dir, modconf.ErrnoString(err))
			return 1
		}
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		if err == nil {
			err = fmt.Errorf("not a directory")
		}
		log.Report(modconf.Crit, "could not open directory %s: %s\n", dir, modconf.ErrnoString(err))
		return 1
	}
	now := time.Now()
	var buf bytes.Buffer
	for _, out := range d.Outputs() {
		buf.Reset()
		if err := out.Write(&buf); err != nil {
			log.Report(modconf.Err, "Could not write index '%s': %s\n", out.Name, err)
			return 1
		}
		tmp := fmt.Sprintf("%s/%s.%d.%d.%d", dir, out.Name, os.Getpid(), now.Nanosecond()/1000, now.Unix())
		if err := writeFile(tmp, buf.Bytes()); err != nil {
			os.Remove(tmp)
			log.Report(modconf.Err, "Could not create index '%s'. Output is truncated: %s\n", out.Name, modconf.ErrnoString(err))
			return 1
		}
		if err := os.Rename(tmp, dir+"/"+out.Name); err != nil {
			os.Remove(tmp)
			log.Report(modconf.Crit, "renameat(%s, %s, %s, %s): %s\n", dir, filepath.Base(tmp), dir, out.Name, modconf.ErrnoString(err))
			return 1
		}
	}
	return 0
}

func writeFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
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
