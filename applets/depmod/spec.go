package depmod

import (
	"github.com/modutils/modutils/applets/applet/spec"
	"github.com/modutils/modutils/applets/getopt"
)

// Spec is depmod's command line: kmod 34.2's table, in its order
// (glibc lists ambiguous abbreviations in table order), and its help.
var Spec = &spec.Spec{
	Name:    "depmod",
	Summary: "generate modules.dep and map files",
	Usage:   []string{"-[aA] [options] [forced_version]"},
	Intro: "\nIf no arguments (except options) are given, \"depmod -a\" is assumed\n\n" +
		"depmod will output a dependency list suitable for the modprobe utility.\n\n",
	Column: 21,
	Options: []*spec.Option{
		{Short: 'a', Long: "all", Help: "Probe all modules",
			Doc: "Read every module under the module directory (the default when no module file is named)."},
		{Short: 'A', Long: "quick", Help: "Only does the work if there's a new module",
			Doc: "Do nothing when no module (and no configuration) is newer than modules.dep."},
		{Short: 'b', Long: "basedir", Arg: getopt.RequiredArg, ArgName: "DIR", Complete: spec.Root, Help: "Root path (default: /).",
			Doc: "Read the modules and the configuration under DIR, as if it were /; an image being built for another system."},
		{Short: 'm', Long: "moduledir", Arg: getopt.RequiredArg, ArgName: "DIR", Complete: spec.Dir, Help: "Module directory (default: /lib/modules).",
			Doc: "Use DIR (under the base directory) instead of /lib/modules."},
		{Short: 'o', Long: "outdir", Arg: getopt.RequiredArg, ArgName: "DIR", Complete: spec.Dir, Help: "Output root path (default: same as <basedir>).",
			Doc: "Write the files under DIR instead of the base directory."},
		{Short: 'C', Long: "config", Arg: getopt.RequiredArg, ArgName: "PATH", Complete: spec.File, Help: "Read configuration from PATH",
			Doc: "Read the configuration from PATH (a file, or every *.conf of a directory) instead of the depmod.d directories."},
		{Short: 'E', Long: "symvers", Arg: getopt.RequiredArg, ArgName: "FILE", Complete: spec.File, Help: "Use Module.symvers file to check\nsymbol versions.",
			Doc: "With \\fB\\-e\\fR, check the modules' symbol versions against the kernel build's Module.symvers FILE."},
		{Short: 'F', Long: "filesyms", Arg: getopt.RequiredArg, ArgName: "FILE", Complete: spec.File, Help: "Use the file instead of the\ncurrent kernel symbols.",
			Doc: "With \\fB\\-e\\fR, take the kernel's own symbols from the System.map FILE."},
		{Short: 'e', Long: "errsyms", Help: "Report not supplied symbols",
			Doc: "Report the symbols a module needs that no module and (with \\fB\\-F\\fR or \\fB\\-E\\fR) not the kernel provides."},
		{Short: 'v', Long: "verbose", Help: "Enable verbose mode", Doc: "Print each module's dependencies as they are found."},
		{Short: 'n', Long: "show", Help: "Write the dependency file on stdout only",
			Doc: "Print the text files (modules.dep, modules.alias and the rest) on standard output instead of writing any file."},
		{Short: 'n', Long: "dry-run"},
		{Short: 'P', Long: "symbol-prefix", Arg: getopt.RequiredArg, ArgName: "PREFIX", Label: "-P, --symbol-prefix", Help: "Architecture symbol prefix",
			Doc: "Ignore PREFIX in front of the symbols of the System.map (architectures whose symbols have one)."},
		{Short: 'w', Long: "warn", Help: "Warn on duplicates", Doc: "Warn about duplicate dependencies, aliases and symbols."},
		&spec.Version,
		&spec.Help,
	},
	Sections: []spec.Section{
		{Title: "Options:", Options: []string{"all", "quick", "errsyms", "show", "symbol-prefix", "config", "verbose", "warn", "version", "help"}},
		{Title: "The following options are useful for people managing distributions:",
			Options: []string{"basedir", "moduledir", "outdir", "filesyms", "symvers"}},
	},
	Operands: []spec.Value{spec.KernelVersion, spec.File},
}
