package rmmod

import "github.com/modutils/modutils/applets/applet/spec"

// Spec is rmmod's command line: kmod 34.2's table and help.
var Spec = &spec.Spec{
	Name:    "rmmod",
	Summary: "remove a module from the Linux kernel",
	Usage:   []string{"[options] [list of modulenames]"},
	Column:  18,
	Options: []*spec.Option{
		{Short: 'f', Long: "force", Help: "DANGEROUS: forces a module unload and may\ncrash your machine",
			Doc: "Remove the module even when it is in use or cannot be unloaded (a kernel built with CONFIG_MODULE_FORCE_UNLOAD only). This can crash the machine."},
		&spec.Syslog,
		&spec.Verbose,
		&spec.Version,
		&spec.Help,
	},
	Sections: []spec.Section{{Title: "Options:", Options: []string{"force", "syslog", "verbose", "version", "help"}}},
	Operands: []spec.Value{spec.LoadedModule, spec.LoadedModule},
}
