// Package probe plans what modprobe (and kerneld, which loads as
// "modprobe -b" does) does for a request: which module files to insert
// with which options, which install or remove commands to run, what to
// remove, and what is already loaded or built in, in kmod 34.2's order,
// with what is required, what is soft, and why.
//
// Planning is pure: it reads the module directory and the configuration
// through a moddep.Resolver, and what it knows of the running kernel (the
// states of modules, their holders) comes in through the resolver's
// StateFunc and the Kernel interface, which package kernel implements. A
// Plan is a value: printing it is modprobe's -n, -D and --show-depends,
// and kernel/execplan carries it out.
package probe

import (
	"fmt"
	"strings"
	"syscall"

	"github.com/modutils/modutils/moddep"
)

// Action is what a load step does.
type Action int

const (
	// Insert inserts the module file Path with Options.
	Insert Action = iota + 1
	// Install runs the module's install command, Command, with
	// $CMDLINE_OPTS standing for Options.
	Install
	// Loaded is a module the kernel has already: nothing to do (EEXIST
	// to kmod, which is no failure).
	Loaded
	// Blacklisted is a module a blacklist line excludes: nothing to do.
	Blacklisted
)

func (a Action) String() string {
	switch a {
	case Insert:
		return "insmod"
	case Install:
		return "install"
	case Loaded:
		return "loaded"
	case Blacklisted:
		return "blacklisted"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Step is one module of a load.
type Step struct {
	Action  Action
	Module  string
	Path    string // Insert: the file; "" for a module modules.dep does not know
	Options string
	Command string // Install
	// Builtin: modules.builtin lists it (an Insert without a path is
	// then no failure, and -D prints "builtin NAME").
	Builtin bool
	// Required: the module asked for or one of its dependencies; a soft
	// dependency's failure is ignored.
	Required bool
	// Target is the module asked for.
	Target bool
	// Reason says why the step is in the plan.
	Reason string
}

// Target is the load of one module a request resolved to, with
// everything it takes.
type Target struct {
	Module string
	Steps  []Step
}

// Plan is what a load request takes: for each module the name resolves
// to, its steps in order.
type Plan struct {
	Name    string
	Targets []Target
}

// Flags are the request's modprobe options that change the plan.
type Flags struct {
	// IgnoreLoaded plans every module as if none were loaded (-D).
	IgnoreLoaded bool
	// FirstTime fails when the module is loaded already (--first-time).
	FirstTime bool
	// IgnoreCommands: no install or remove commands, no softdeps (-i).
	IgnoreCommands bool
	// UseBlacklist applies the blacklist to every module, not only to
	// aliases (-b).
	UseBlacklist bool
	// RemoveHolders also removes the modules that hold the one removed
	// (--remove-holders).
	RemoveHolders bool
}

// Kernel is what planning a removal needs to know of the running kernel
// beyond modules' states (which the resolver's StateFunc tells).
type Kernel interface {
	Holders(name string) ([]string, error)
}

// Planner plans requests against one module directory and configuration.
// It is safe for concurrent use as its Resolver is.
type Planner struct {
	R      *moddep.Resolver
	Kernel Kernel // nil: no module has holders
	Flags  Flags
}

// ErrNotFound is a name that no module stands for; it matches
// syscall.ENOENT, the errno kmod reports for it.
var ErrNotFound error = notFound{}

type notFound struct{}

func (notFound) Error() string        { return "module not found" }
func (notFound) Is(target error) bool { return target == syscall.ENOENT }

// PathError is a module path (a name starting with / or ./) whose file
// cannot be taken as a module.
type PathError struct {
	Path string
	Err  error
}

func (e *PathError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *PathError) Unwrap() error { return e.Err }

// IsPath reports whether modprobe takes name for a file, as kmod 34.2
// does (kmod 30 looked the path up as a name and failed).
func IsPath(name string) bool {
	return strings.HasPrefix(name, "/") || strings.HasPrefix(name, "./")
}

// Load plans loading what name stands for, with extra (the command
// line's options) for the module asked for. The error is ErrNotFound
// or a *PathError.
func (p *Planner) Load(name, extra string) (Plan, error) {
	plan := Plan{Name: name}
	mods, err := p.lookup(name)
	if err != nil {
		return plan, err
	}
	for _, m := range mods {
		plan.Targets = append(plan.Targets, p.target(m, extra))
	}
	return plan, nil
}

// lookup is what name stands for: a module file, or what the resolver
// finds.
func (p *Planner) lookup(name string) ([]*moddep.Module, error) {
	if IsPath(name) {
		m, err := p.R.NewFromPath(name)
		if err != nil {
			return nil, &PathError{Path: name, Err: err}
		}
		return []*moddep.Module{m}, nil
	}
	mods := p.R.Lookup(name)
	if len(mods) == 0 {
		return nil, ErrNotFound
	}
	return mods, nil
}

// Resolve is the modules name stands for (-R): ErrNotFound or a
// *PathError as for Load.
func (p *Planner) Resolve(name string) ([]string, error) {
	mods, err := p.lookup(name)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(mods))
	for i, m := range mods {
		names[i] = m.Name
	}
	return names, nil
}

// target is kmod_module_probe_insert_module's decisions for mod.
func (p *Planner) target(mod *moddep.Module, extra string) Target {
	t := Target{Module: mod.Name}
	if !p.Flags.IgnoreLoaded && mod.InKernel() {
		t.Steps = []Step{{Action: Loaded, Module: mod.Name, Target: true, Required: true, Reason: "asked for: " + stateWord(mod)}}
		return t
	}
	// modprobe always applies the blacklist to aliases, and with -b to
	// every module.
	if (mod.Alias != "" || p.Flags.UseBlacklist) && mod.Blacklisted() {
		t.Steps = []Step{{Action: Blacklisted, Module: mod.Name, Target: true, Reason: "blacklisted"}}
		return t
	}
	for _, e := range p.R.ProbeList(mod, p.Flags.IgnoreCommands) {
		m := e.Module
		s := Step{Module: m.Name, Required: e.Required, Target: m == mod, Builtin: m.IsBuiltin(), Reason: reason(mod, e)}
		switch {
		case !p.Flags.IgnoreLoaded && m.InKernel():
			s.Action = Loaded
			s.Reason += ": " + stateWord(m)
		default:
			s.Options = joinOptions(m.Options(), extra, m == mod)
			if cmd, ok := m.InstallCommand(); ok && !e.IgnoreCmd {
				s.Action, s.Command = Install, cmd
			} else {
				s.Action, s.Path = Insert, m.Path()
			}
		}
		t.Steps = append(t.Steps, s)
	}
	return t
}

func stateWord(m *moddep.Module) string {
	if s, err := m.InitState(); err == nil {
		return s.String()
	}
	return "loaded"
}

func reason(target *moddep.Module, e moddep.ProbeEntry) string {
	switch {
	case e.Module == target:
		if target.Alias != "" {
			return "asked for as " + target.Alias
		}
		return "asked for"
	case e.Softdep != "":
		return "softdep of " + e.Softdep
	}
	return "dependency of " + target.Name
}

// joinOptions is kmod's module_options_concat: configured options, a
// space, then the command line's (for the module asked for only).
func joinOptions(conf, extra string, target bool) string {
	if !target {
		extra = ""
	}
	switch {
	case conf == "" && extra == "":
		return ""
	case conf == "":
		return extra
	}
	return conf + " " + extra
}

// Removal is kmod's rmmod_do_module for one module: its post-softdeps
// removed first, then its holders (with --remove-holders), the module
// itself (or its remove command), the dependencies it leaves unused, and
// its pre-softdeps. kmod reads a module's holders, its dependencies and
// its softdeps' own configuration only when the removal gets that far
// (a module that is not loaded stops it first), and says so when what it
// reads is damaged; so a Removal names them, and whoever carries it out
// asks the Planner for their removals when their turn comes, as the
// kernel's state then is.
type Removal struct {
	Module  string
	Builtin bool // modules.builtin lists it
	// Command is the remove command, when HasCommand.
	Command    string
	HasCommand bool
	// CheckState: before anything, a module not loaded is skipped (an
	// error with FirstTime) and a builtin one is an error unless
	// IgnoreBuiltin.
	CheckState    bool
	IgnoreBuiltin bool
	// CheckInUse: a module still in use when its turn comes is an error.
	CheckInUse bool
	// Post and Pre are the softdeps, in the order to remove them, each
	// planned by Softdep; their failures are ignored.
	Post, Pre []string
	// Holders: the modules holding it are removed before it (planned by
	// Holders); the first failure stops.
	Holders bool
	// Deps: its dependencies (Deps) are removed after it, each once it
	// is unused; failures are ignored.
	Deps   bool
	Reason string
}

// RemovePlan is what removing name takes: one Removal per module it
// resolves to, removed in order until one fails.
type RemovePlan struct {
	Name     string
	Removals []Removal
}

// Remove plans removing what name stands for; the error is ErrNotFound.
func (p *Planner) Remove(name string) (RemovePlan, error) {
	plan := RemovePlan{Name: name}
	mods := p.R.Lookup(name)
	if len(mods) == 0 {
		return plan, ErrNotFound
	}
	for _, m := range mods {
		plan.Removals = append(plan.Removals, p.removal(m, false, "asked for"))
	}
	return plan, nil
}

// Unload plans kerneld's autoclean of the one module name: through its
// remove command if modprobe.d gives one (so that what "modprobe -r"
// would do first, such as saving a mixer's settings, is done), else
// delete_module; softdeps and dependencies are left alone, as they may be
// someone else's.
func (p *Planner) Unload(name string) Removal {
	m := p.R.NewFromName(name)
	r := Removal{Module: m.Name, Reason: "idle"}
	r.Command, r.HasCommand = m.RemoveCommand()
	return r
}

// Softdep plans the removal of a softdep of parent's.
func (p *Planner) Softdep(name, parent string) Removal {
	return p.removal(p.R.NewFromName(name), true, "softdep of "+parent)
}

// Holders plans the removal of what holds name now, in kmod's order.
func (p *Planner) Holders(name string) []Removal {
	if p.Kernel == nil {
		return nil
	}
	names, _ := p.Kernel.Holders(name)
	var out []Removal
	for i := len(names) - 1; i >= 0; i-- {
		out = append(out, p.removal(p.R.NewFromName(names[i]), true, "holder of "+name))
	}
	return out
}

// Deps are the modules name needs, in the order to load them.
func (p *Planner) Deps(name string) []string {
	var out []string
	for _, d := range p.R.NewFromName(name).Deps() {
		out = append(out, d.Name)
	}
	return out
}

// removal plans rmmod_do_module(m) as far as kmod decides before its
// first check.
func (p *Planner) removal(m *moddep.Module, ignoreBuiltin bool, why string) Removal {
	r := Removal{Module: m.Name, Builtin: m.IsBuiltin(), IgnoreBuiltin: ignoreBuiltin, Reason: why}
	var pre, post []*moddep.Module
	if !p.Flags.IgnoreCommands {
		pre, post = m.Softdeps()
		r.Command, r.HasCommand = m.RemoveCommand()
	}
	r.CheckState = !r.HasCommand && !p.Flags.IgnoreLoaded
	r.CheckInUse = r.CheckState
	r.Post = reversed(post)
	r.Holders = p.Flags.RemoveHolders
	r.Deps = !r.HasCommand
	r.Pre = reversed(pre)
	return r
}

// reversed is the names of mods in reverse order, as kmod's
// rmmod_do_modlist removes them.
func reversed(mods []*moddep.Module) []string {
	var out []string
	for i := len(mods) - 1; i >= 0; i-- {
		out = append(out, mods[i].Name)
	}
	return out
}
