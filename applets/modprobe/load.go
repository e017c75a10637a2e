package modprobe

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"syscall"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/kernel/libkmod"
	"github.com/modutils/modutils/moddep"
)

// NewResolver is the resolver modprobe would use for the module
// directory dir: modprobe.d, modules.softdep and the kernel command line
// of k, with module states read from k. kerneld keeps a few of them for
// its whole life and makes new ones when the configuration changes.
func NewResolver(dir string, k Kernel, report diag.Reporter) *moddep.Resolver {
	conf, _ := loadConfig(nil, false, dir, k.Cmdline(), report)
	r := moddep.NewResolver(dir, conf.conf)
	r.Report = report
	r.State = k.State
	r.LoadResources()
	return r
}

// Load loads what name stands for as "modprobe -q NAME" (with -b when
// useBlacklist) does, in process: the same lookup, probe list, softdeps,
// options and install commands. A resolver is not safe for concurrent
// use; callers loading in parallel give each its own. A name that
// resolves to nothing is ErrNotFound; a blacklisted module is no error.
func Load(r *moddep.Resolver, k Kernel, log *applet.Logger, name string, useBlacklist bool) error {
	return LoadWithOptions(r, k, log, name, "", useBlacklist)
}

// LoadWithOptions is Load with options after the name, as "modprobe NAME
// OPTIONS" gives them: added to modprobe.d's for that module.
func LoadWithOptions(r *moddep.Resolver, k Kernel, log *applet.Logger, name, options string, useBlacklist bool) error {
	rn := inProcess(r, k, log, diag.Crit)
	rn.useBlacklist = useBlacklist
	err := rn.insmod(name, options)
	if errors.Is(err, errExit) {
		// Only "not found" is fatal in insmod, once it is printed.
		return ErrNotFound
	}
	return err
}

// Unload removes the one module name as kerneld's autoclean wants it
// gone: through its remove command if modprobe.d gives one (so that what
// "modprobe -r" would do first, such as saving a mixer's settings, is
// done), else with delete_module. Unlike "modprobe -r" it leaves
// softdeps and dependencies alone: they may be someone else's.
func Unload(r *moddep.Resolver, k Kernel, log *applet.Logger, name string) error {
	// At Err, a failed remove command is logged and its exit status
	// returned, where Crit would end a modprobe run.
	rn := inProcess(r, k, log, diag.Err)
	m := r.NewFromName(name)
	if cmd, ok := m.RemoveCommand(); ok {
		err := rn.removeCommand(m, cmd)
		// modprobe turns the command's exit status into an errno;
		// kerneld's log says what it was.
		if code, ok := err.(syscall.Errno); ok {
			return fmt.Errorf("remove command exited with status %d", int(code))
		}
		return err
	}
	return rn.removeOne(m)
}

// inProcess is a run for kerneld: no command line, no output of its
// own, messages through log at msgLevel.
func inProcess(r *moddep.Resolver, k Kernel, log *applet.Logger, msgLevel diag.Level) *run {
	env := &applet.Env{Argv0: "modprobe", Stdout: io.Discard, Stderr: io.Discard}
	rn := &run{env: env, out: bufio.NewWriter(io.Discard), log: log, k: k, r: r,
		msgLevel: msgLevel, dirname: r.Dir}
	rn.libLog = libkmod.ToolLog(log.Report)
	return rn
}

// ErrNotFound is Load's answer for a name no module stands for; it
// matches syscall.ENOENT, the errno kmod reports for it.
var ErrNotFound error = notFound{}

type notFound struct{}

func (notFound) Error() string        { return "module not found" }
func (notFound) Is(target error) bool { return target == syscall.ENOENT }
