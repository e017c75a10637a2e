package insmod

import "github.com/modutils/modutils/applets/applet/spec"

// Spec is insmod's command line: kmod 34.2's table and help.
var Spec = &spec.Spec{
	Name:    "insmod",
	Summary: "insert a module file into the Linux kernel",
	Usage:   []string{"[options] filename [module options]"},
	Column:  18,
	Options: []*spec.Option{
		{Short: 'f', Long: "force", Help: "DANGEROUS: forces a module load, may cause\ndata corruption and crash your machine",
			Doc: "Load the module even if its version magic or symbol versions do not match the kernel's. This can corrupt data and crash the machine."},
		&spec.Syslog,
		&spec.Verbose,
		&spec.Version,
		&spec.Help,
	},
	Sections: []spec.Section{{Title: "Options:", Options: []string{"force", "syslog", "verbose", "version", "help"}}},
	Operands: []spec.Value{spec.File, spec.Parameter},
}
