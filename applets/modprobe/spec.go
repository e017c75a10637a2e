package modprobe

import (
	"github.com/modutils/modutils/applets/applet/spec"
	"github.com/modutils/modutils/applets/getopt"
)

// Spec is modprobe's command line: kmod 34.2's table, in its order, and
// its help.
var Spec = &spec.Spec{
	Name:    "modprobe",
	Summary: "add and remove modules from the Linux kernel",
	Usage: []string{
		"[options] [-i] [-b] modulename",
		"[options] -a [-i] [-b] modulename [modulename...]",
		"[options] -r [-i] modulename",
		"[options] -r -a [-i] modulename [modulename...]",
		"[options] -c",
		"[options] --dump-modversions filename",
	},
	Column: 28,
	Options: []spec.Option{
		{Short: 'a', Long: "all", Help: "Consider every non-argument to\nbe a module name to be inserted\nor removed (-r)",
			Doc: "Insert (or with \\fB\\-r\\fR remove) every module named on the command line, instead of one module and its parameters."},
		{Short: 'r', Long: "remove", OperandsAs: spec.LoadedModule, Help: "Remove modules instead of inserting",
			Doc: "Remove the module, then the modules it depended on that are no longer used, running the configuration's \\fBremove\\fR commands unless \\fB\\-i\\fR is given. Builtin modules cannot be removed."},
		{Long: "remove-dependencies", Val: optRemoveHolders, Help: "Deprecated: use --remove-holders"},
		{Long: "remove-holders", Val: optRemoveHolders, Help: "Also remove module holders (use together with -r)",
			Doc: "With \\fB\\-r\\fR, also remove the modules that hold the module (use it) first."},
		{Short: 'w', Long: "wait", Arg: getopt.RequiredArg, ArgName: "MSEC", Label: "-w, --wait=<MSEC>",
			Help: "When removing a module, wait up to MSEC for\nmodule's refcount to become 0 so it can be\nremoved (use together with -r)"},
		{Short: 'R', Long: "resolve-alias", Help: "Only lookup and print alias and exit",
			Doc: "Print the names of the modules the name or alias resolves to, one a line, and exit."},
		{Long: "first-time", Val: optFirstTime, Help: "Fail if module already inserted or removed",
			Doc: "Fail when the module is already loaded (or, with \\fB\\-r\\fR, already absent), instead of succeeding silently."},
		{Short: 'i', Long: "ignore-install", Help: "Ignore install commands",
			Doc: "Ignore the \\fBinstall\\fR and \\fBremove\\fR commands of the configuration and load or remove the modules themselves."},
		{Short: 'i', Long: "ignore-remove", Help: "Ignore remove commands"},
		{Short: 'b', Long: "use-blacklist", Help: "Apply blacklist to resolved alias.",
			Doc: "Apply the configuration's \\fBblacklist\\fR to every module the name resolves to, not only to aliases. This is how the kernel's uevents load drivers."},
		{Short: 'f', Long: "force", Help: "Force module insertion or removal.\nimplies --force-modversions and\n--force-vermagic",
			Doc: "Ignore the version magic and the symbol versions when loading, and unload even a module in use when removing (if the kernel allows it). Dangerous."},
		{Long: "force-modversion", Val: optForceModversion, Help: "Ignore module's version",
			Doc: "Load the module even if its symbol versions do not match the kernel's."},
		{Long: "force-vermagic", Val: optForceVermagic, Help: "Ignore module's version magic",
			Doc: "Load the module even if its version magic does not match the kernel's."},
		{Short: 'D', Long: "show-depends", Help: "Only print module dependencies and exit",
			Doc: "Print what would be loaded, one \\fBinsmod\\fR line a module (or \\fBbuiltin\\fR, or \\fBinstall\\fR and its command), dependencies first, and exit. Used by initramfs generators."},
		{Short: 'c', Long: "showconfig", Help: "Print out known configuration and exit",
			Doc: "Print the effective configuration (blacklist, options, aliases, install and remove commands, soft and weak dependencies) and exit."},
		{Short: 'c', Long: "show-config", Help: "Same as --showconfig"},
		{Long: "show-modversions", Val: optShowModversions, Help: "Dump module symbol version and exit",
			Doc: "Print the symbol versions (CRCs) the module FILE needs, and exit."},
		{Long: "dump-modversions", Val: optShowModversions, Help: "Same as --show-modversions"},
		{Long: "show-exports", Val: optShowExports, Help: "Only print module exported symbol versions and exit",
			Doc: "Print the symbols the module FILE exports, with their versions, and exit."},
		{Short: 'n', Long: "dry-run", Help: "Do not execute operations, just print out",
			Doc: "Do everything but load or unload modules and run commands; with \\fB\\-v\\fR, print what would be done."},
		{Short: 'n', Long: "show", Help: "Same as --dry-run"},
		{Short: 'C', Long: "config", Arg: getopt.RequiredArg, ArgName: "FILE", Complete: spec.File, Help: "Use FILE instead of default search paths",
			Doc: "Read the configuration from FILE (or every *.conf in the directory FILE) instead of the modprobe.d directories. Also used for \\fBMODPROBE_OPTIONS\\fR."},
		{Short: 'd', Long: "dirname", Arg: getopt.RequiredArg, ArgName: "DIR", Complete: spec.Root, Help: "Use DIR as filesystem root for /lib/modules",
			Doc: "Look for modules under DIR/lib/modules instead of /lib/modules."},
		{Short: 'S', Long: "set-version", Arg: getopt.RequiredArg, ArgName: "VERSION", Complete: spec.KernelVersion, Help: "Use VERSION instead of `uname -r`",
			Doc: "Use the modules of kernel VERSION instead of the running kernel's."},
		spec.Syslog,
		{Short: 'q', Long: "quiet", Help: "disable messages",
			Doc: "Print no error for a module that cannot be found or loaded; the exit status still says so. The kernel runs modprobe with \\fB\\-q\\fR."},
		spec.Verbose,
		spec.Version,
		spec.Help,
	},
	Sections: []spec.Section{
		{Title: "Management Options:", Options: []string{"all", "remove", "remove-dependencies", "remove-holders", "wait", "first-time",
			"ignore-install", "ignore-remove", "use-blacklist", "force", "force-modversion", "force-vermagic"}},
		{Title: "Query Options:", Options: []string{"resolve-alias", "show-depends", "showconfig", "show-config",
			"show-modversions", "dump-modversions", "show-exports"}},
		{Title: "General Options:", Options: []string{"dry-run", "show", "config", "dirname", "set-version",
			"syslog", "quiet", "verbose", "version", "help"}},
	},
	Operands: []spec.Value{spec.Module, spec.Parameter},
}

var (
	shortopts = Spec.Shorts()
	longopts  = Spec.Longs()
)
