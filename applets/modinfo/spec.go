package modinfo

import (
	"github.com/modutils/modutils/applets/applet/spec"
	"github.com/modutils/modutils/applets/getopt"
)

// Spec is modinfo's command line: kmod 34.2's table, in its order, and
// its help.
var Spec = &spec.Spec{
	Name:    "modinfo",
	Summary: "show information about a Linux kernel module",
	Usage:   []string{"[options] <modulename|filename> [args]"},
	Column:  28,
	Options: []*spec.Option{
		{Short: 'a', Long: "author", Help: "Print only 'author'"},
		{Short: 'd', Long: "description", Help: "Print only 'description'"},
		{Short: 'l', Long: "license", Help: "Print only 'license'"},
		{Short: 'p', Long: "parameters", Help: "Print only 'parm'"},
		{Short: 'n', Long: "filename", Help: "Print only 'filename'"},
		{Short: '0', Long: "null", Help: "Use \\0 instead of \\n",
			Doc: "End each field with a NUL byte instead of a newline, for \\fBxargs \\-0\\fR."},
		{Short: 'm', Long: "modname", Help: "Handle argument as module name instead of alias or filename",
			Doc: "Take each argument as a module's name only: no alias is looked up and no file is read."},
		{Short: 'F', Long: "field", Arg: getopt.RequiredArg, ArgName: "FIELD", Complete: spec.Word,
			Words: []string{"alias", "author", "depends", "description", "filename", "firmware", "import_ns", "intree", "license",
				"name", "parm", "retpoline", "sig_hashalgo", "sig_id", "signature", "signer", "sig_key", "softdep", "srcversion", "vermagic"},
			Help: "Print only provided FIELD",
			Doc:  "Print only the values of FIELD (alias, depends, parm, vermagic...), one a line, without the field's name."},
		{Short: 'k', Long: "set-version", Arg: getopt.RequiredArg, ArgName: "VERSION", Complete: spec.KernelVersion, Help: "Use VERSION instead of `uname -r`",
			Doc: "Look the names up in the modules of kernel VERSION instead of the running kernel's."},
		{Short: 'b', Long: "basedir", Arg: getopt.RequiredArg, ArgName: "DIR", Complete: spec.Root, Help: "Use DIR as filesystem root for /lib/modules",
			Doc: "Look for modules under DIR/lib/modules instead of /lib/modules."},
		{Short: 'V', Long: "version", Help: "Show version"},
		{Short: 'h', Long: "help", Help: "Show this help"},
	},
	Sections: []spec.Section{{Title: "Options:", Options: []string{"author", "description", "license", "parameters", "filename",
		"null", "modname", "field", "set-version", "basedir", "version", "help"}}},
	Operands: []spec.Value{spec.Module, spec.Module},
}
