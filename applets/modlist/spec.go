package modlist

import "github.com/modutils/modutils/applets/applet/spec"

// Spec is lsmod's command line (and kmod list's): kmod 34.2's table and
// help.
var Spec = &spec.Spec{
	Name:    "lsmod",
	Summary: "show the status of the modules in the Linux kernel",
	Usage:   []string{"[options]"},
	Column:  18,
	Options: []spec.Option{
		spec.Syslog,
		spec.Verbose,
		spec.Version,
		spec.Help,
	},
	Sections: []spec.Section{{Title: "Options:", Options: []string{"syslog", "verbose", "version", "help"}}},
}
