// Package modprobe is the modprobe applet: it resolves a name (a module,
// an alias, a device's modalias, "symbol:NAME") to modules with their
// dependencies, soft dependencies, options and install commands, exactly
// as kmod 34.2's modprobe does, and loads or removes them.
//
// The kernel runs it as its request_module() helper, "modprobe -q --
// NAME", possibly with no standard streams at all; main opens /dev/null
// onto missing descriptors before any applet runs.
package modprobe

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/elfmod"
	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/internal/libc"
	"github.com/modutils/modutils/kernel"
	"github.com/modutils/modutils/kernel/execplan"
	"github.com/modutils/modutils/kernel/kdsock"
	"github.com/modutils/modutils/kernel/libkmod"
	"github.com/modutils/modutils/moddep"
	"github.com/modutils/modutils/moddep/probe"
)

// The long-only options have kmod's numbers (Spec has the table).
const (
	optForceVermagic   = 1
	optForceModversion = 2
	optFirstTime       = 3
	optShowModversions = 4
	optRemoveHolders   = 5
	optShowExports     = 6
)

// InsertFlags are the --force variants.
type InsertFlags = libkmod.InsertFlags

type run struct {
	env     *applet.Env
	out     *bufio.Writer
	log     *applet.Logger
	k       execplan.Sys
	libLog  libkmod.LogFunc // libkmod's messages, through modprobe's logger
	r       *moddep.Resolver
	planner *probe.Planner
	dirname string

	msgLevel     diag.Level // LOG()'s priority: FATAL, or WARNING with -a
	verbose      int
	doShow       bool
	dryRun       bool
	ignoreLoaded bool
	lookupOnly   bool
	firstTime    bool
	ignoreCmds   bool
	useBlacklist bool
	force        bool
	stripModver  bool
	stripVermag  bool
	removeHold   bool
	waitMsec     uint64
	childEnv     []string // for install and remove commands
}

// errExit ends a run where kmod's log_printf exits at once after a
// message of priority FATAL.
var errExit = errors.New("fatal message")

// Run runs modprobe with args (without the program name) and returns its
// exit code.
func Run(env *applet.Env, args []string) int {
	defer applet.CollectLate()()
	// The kernel's request_module() runs exactly "modprobe -q -- NAME".
	// When kerneld runs, it answers such a request itself, so that what
	// it loads it also knows to autoclean; without it (no socket, or
	// refused, not root's, or no answer within its deadline) modprobe
	// goes on as always.
	getenv := func(name string) string { v, _ := env.Lookup(name); return v }
	if len(args) == 3 && args[0] == "-q" && args[1] == "--" && args[2] != "" && args[2][0] != '-' && getenv("MODPROBE_OPTIONS") == "" {
		if code, ok := kdsock.ForRequests(env.Socket(), getenv).Request(args[2]); ok {
			return code
		}
	}
	rn := &run{env: env, out: bufio.NewWriter(env.Stdout), log: applet.NewLogger(env), msgLevel: diag.Crit, verbose: int(diag.Warning)}
	defer rn.out.Flush()
	code, err := rn.main(args)
	if errors.Is(err, errExit) {
		return 1
	}
	return code
}

// logf is kmod modprobe's LOG(): its priority is FATAL, which exits, or
// WARNING under -a.
func (rn *run) logf(format string, args ...any) error {
	if rn.msgLevel > rn.log.Priority {
		return nil
	}
	rn.out.Flush()
	rn.log.Report(rn.msgLevel, format, args...)
	if rn.msgLevel <= diag.Crit {
		return errExit
	}
	return nil
}

func (rn *run) getenv(name string) string {
	v, _ := rn.env.Lookup(name)
	return v
}

func (rn *run) main(args []string) (int, error) {
	args = append(envOptions(rn.getenv("MODPROBE_OPTIONS")), args...)
	var (
		envAppend                               []string
		configPaths                             []string
		root, kversion                          string
		hasRoot, hasKversion                    bool
		useAll, doRemove, showConfig, useSyslog bool
		showModversions, showExports            bool
	)
	opts := rn.env.Getopt(args, Spec.Shorts(), Spec.Longs())
	for o := range opts.Options() {
		if code, done := rn.env.CommonOption(rn.out, Spec, o.Val); done {
			return code, nil
		}
		switch o.Val {
		case 'a':
			rn.msgLevel = diag.Warning
			useAll = true
		case 'r':
			doRemove = true
		case optRemoveHolders:
			rn.removeHold = true
		case 'w':
			v, ok := parseULong(o.Arg)
			if !ok {
				rn.log.Report(diag.Err, "unexpected wait value '%s'.\n", o.Arg)
				return 1, nil
			}
			rn.waitMsec = v
		case optFirstTime:
			rn.firstTime = true
		case 'i':
			rn.ignoreCmds = true
		case 'b':
			rn.useBlacklist = true
		case 'f':
			rn.force = true
		case optForceModversion:
			rn.stripModver = true
		case optForceVermagic:
			rn.stripVermag = true
		case 'D':
			rn.ignoreLoaded, rn.dryRun, rn.doShow = true, true, true
		case 'R':
			rn.lookupOnly = true
		case 'c':
			showConfig = true
		case optShowModversions:
			showModversions = true
		case optShowExports:
			showExports = true
		case 'n':
			rn.dryRun = true
		case 'C':
			configPaths = append(configPaths, o.Arg)
			envAppend = append(envAppend, "-C", o.Arg)
		case 'd':
			root, hasRoot = o.Arg, true
		case 'S':
			kversion, hasKversion = o.Arg, true
		case 's':
			envAppend = append(envAppend, "-s")
			useSyslog = true
		case 'q':
			envAppend = append(envAppend, "-q")
			rn.verbose = 0
		case 'v':
			envAppend = append(envAppend, "-v")
			rn.verbose++
		}
	}
	// Install commands run by this modprobe inherit the options that
	// matter to a nested modprobe, as kmod passes them on.
	if len(envAppend) > 0 {
		v := strings.Join(envAppend, " ")
		if old, ok := rn.env.Lookup("MODPROBE_OPTIONS"); ok {
			v = old + " " + v
		}
		rn.childEnv = append(rn.childEnv, "MODPROBE_OPTIONS="+v)
	}
	if useSyslog {
		rn.log.Syslog = applet.Syslog(rn.env.Name())
	}
	operands := opts.Operands()
	if !showConfig && len(operands) == 0 {
		rn.log.Report(diag.Err, "missing parameters. See -h.\n")
		return 1, nil
	}

	rn.dirname = ""
	if hasRoot || hasKversion {
		kv := kversion
		if !hasKversion {
			var err error
			kv, err = kernel.Release()
			if err != nil {
				rn.log.Report(diag.Err, "uname() failed: %s\n", libc.Strerror(err))
				return 1, nil
			}
		}
		rn.dirname = root + "/lib/modules/" + kv
	}
	if rn.dirname == "" {
		kv, err := kernel.Release()
		if err != nil {
			rn.log.Report(diag.Err, "kmod_new() failed!\n")
			return 1, nil
		}
		rn.dirname = "/lib/modules/" + kv
	}
	rn.log.Priority = diag.Level(rn.verbose)
	if rn.verbose > int(diag.Debug) {
		rn.log.Priority = diag.Debug
	}
	rn.libLog = libkmod.ToolLog(rn.log.Report)
	rn.k = execplan.NewSys(rn.env.Kernel(), rn.libLog)

	// kmod reads its configuration before it installs its own logger, so
	// messages about it come from libkmod's default one.
	confReport := diag.LibkmodReporter(rn.env.Stderr, diag.LibkmodPriority(rn.env.Lookup), rn.log.Report)
	conf, err := loadConfig(configPaths, configPaths != nil, rn.dirname, rn.k.Cmdline(), confReport)
	if err != nil {
		rn.log.Report(diag.Err, "kmod_new() failed!\n")
		return 1, nil
	}
	rn.r = moddep.NewResolver(rn.dirname, conf.conf)
	rn.r.Report = rn.log.Report
	rn.r.State = rn.state
	rn.r.LoadResources()
	if !rn.env.Exiting {
		defer rn.r.Close()
	}
	rn.planner = &probe.Planner{R: rn.r, Kernel: rn.k, Flags: probe.Flags{
		IgnoreLoaded: rn.ignoreLoaded, FirstTime: rn.firstTime, IgnoreCommands: rn.ignoreCmds,
		UseBlacklist: rn.useBlacklist, RemoveHolders: rn.removeHold,
	}}

	var status error
	switch {
	case showConfig:
		status = rn.showConfig(conf)
	case showModversions:
		status = rn.showSymbols(operands[0], "modversions", (*elfmod.Module).Versions)
	case showExports:
		status = rn.showSymbols(operands[0], "symbols", (*elfmod.Module).Symbols)
	case doRemove:
		for _, a := range operands {
			if err := rn.rmmod(a); err != nil {
				if errors.Is(err, errExit) {
					return 1, err
				}
				status = err
			}
		}
	case useAll:
		for _, a := range operands {
			if err := rn.insmod(a, ""); err != nil {
				if errors.Is(err, errExit) {
					return 1, err
				}
				status = err
			}
		}
	default:
		status = rn.insmod(operands[0], optionsFromArgs(operands[1:]))
	}
	if errors.Is(status, errExit) {
		return 1, status
	}
	if status != nil {
		return 1, nil
	}
	return 0, nil
}

// parseULong is strtoul(s, &end, 0) that must consume all of s.
func parseULong(s string) (uint64, bool) {
	v, n := libc.Strtoul(s, 0)
	return v, n > 0 && n == len(s)
}

// optionsFromArgs joins the parameters given after the module name,
// quoting a value that holds a space, as kmod does.
func optionsFromArgs(args []string) string {
	var parts []string
	for _, a := range args {
		key, value, ok := strings.Cut(a, "=")
		if ok && value != "" && value[0] != '"' && value[0] != '\'' && strings.Contains(value, " ") {
			a = key + "=\"" + value + "\""
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// envOptions splits MODPROBE_OPTIONS into words as kmod does: at single
// spaces, with a quoted word's quotes dropped and quotes inside a word
// removed.
func envOptions(env string) []string {
	if env == "" {
		return nil
	}
	var out []string
	b := []byte(env)
	start := 0
	quote := -1
	for i := 0; i < len(b); i++ {
		if quote < 0 {
			switch b[i] {
			case ' ':
				out = append(out, string(b[start:i]))
				start = i + 1
			case '"', '\'':
				quote = i
			}
			continue
		}
		if b[i] != b[quote] {
			continue
		}
		if quote == start {
			out = append(out, string(b[start+1:i]))
			start = i + 1
		} else {
			// Drop both quote characters from inside the word.
			b = append(b[:quote], b[quote+1:]...)
			b = append(b[:i-1], b[i:]...)
			i -= 2
		}
		quote = -1
	}
	if start < len(b) {
		out = append(out, string(b[start:]))
	}
	return out
}

func (rn *run) showConfig(conf *config) error {
	if err := conf.writeShowConfig(rn.out); err != nil {
		return err
	}
	for _, name := range []string{"modules.alias.bin", "modules.symbols.bin"} {
		ix, err := moddep.OpenIndex(rn.dirname + "/" + name)
		if err != nil {
			continue
		}
		ix.Dump(rn.out, "alias ")
		ix.Close()
	}
	return nil
}

func (rn *run) showSymbols(path, what string, get func(*elfmod.Module) ([]elfmod.Symbol, error)) error {
	if _, err := rn.r.NewFromPath(path); err != nil {
		return rn.logf("Module %s not found.\n", path)
	}
	m, err := elfmod.Open(moddep.AbsFromCwd(path))
	var syms []elfmod.Symbol
	if err == nil {
		syms, err = get(m)
		m.Close()
	}
	if err != nil {
		if e := rn.logf("could not get %s of %s: %s\n", what, path, libc.Strerror(elfmod.Errno(err))); e != nil {
			return e
		}
		return err
	}
	for _, s := range syms {
		fmt.Fprintf(rn.out, "0x%08x\t%s\n", s.CRC, s.Name)
	}
	return nil
}

// showing reports whether steps are printed as they are carried out
// (kmod's print_action): under -v, -n or -D.
func (rn *run) showing() bool { return rn.doShow || rn.verbose > int(diag.Warning) }

// state is a module's state as the resolver wants it: not loaded is
// fs.ErrNotExist.
func (rn *run) state(name string) (moddep.State, error) {
	s, err := rn.k.State(name)
	if errors.Is(err, syscall.ENOENT) {
		return 0, fs.ErrNotExist
	}
	return s, err
}

// insmod loads every module name resolves to, as kmod's modprobe does;
// with -R it prints their names instead.
func (rn *run) insmod(name, extra string) error {
	var plan probe.Plan
	var names []string
	var err error
	if rn.lookupOnly {
		names, err = rn.planner.Resolve(name)
	} else {
		plan, err = rn.planner.Load(name, extra)
	}
	var pe *probe.PathError
	switch {
	case errors.As(err, &pe):
		if e := rn.logf("Failed to get module from path %s: %s\n", name, libc.Strerror(pe.Err)); e != nil {
			return e
		}
		return syscall.ENOENT
	case err != nil:
		if e := rn.logf("Module %s not found in directory %s\n", name, rn.dirname); e != nil {
			return e
		}
		return syscall.ENOENT
	}
	if rn.lookupOnly {
		for _, n := range names {
			fmt.Fprintf(rn.out, "%s\n", n)
		}
		return nil
	}
	return rn.executor().Load(plan)
}
