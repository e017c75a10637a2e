package modlist

import "github.com/modutils/modutils/applets/applet/spec"

// Spec is lsmod's command line: kmod 34.2's table and help.
var Spec = &spec.Spec{
	Name:     "lsmod",
	Summary:  "show the status of the modules in the Linux kernel",
	Usage:    []string{"[options]"},
	Column:   column,
	Options:  options,
	Sections: sections,
}

// ListCommand is kmod list's: lsmod's options, as a command of kmod's
// (which takes its address: a pointer variable would be copied at
// initialisation).
var ListCommand = spec.Spec{
	Name: "list", CommandHelp: "list currently loaded modules", Usage: []string{"list [options]"},
	Column: column, Options: options, Sections: sections,
}

// What lsmod and kmod list share, in this package's variables so that
// both tables are laid out by the linker, not copied at initialisation.
const column = 18

var (
	options  = []*spec.Option{&spec.Syslog, &spec.Verbose, &spec.Version, &spec.Help}
	sections = []spec.Section{{Title: "Options:", Options: []string{"syslog", "verbose", "version", "help"}}}
)
