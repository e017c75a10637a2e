package kmod

import (
	"fmt"
	"strings"

	"github.com/modutils/modutils/applets/applet/spec"
	"github.com/modutils/modutils/applets/getopt"
	"github.com/modutils/modutils/applets/modlist"
	"github.com/modutils/modutils/moddep/devname"
)

// compat are the names kmod answers to when called by them.
var compat = []string{"lsmod", "rmmod", "insmod", "modinfo", "modprobe", "depmod"}

// StaticNodes is kmod static-nodes' command line.
var StaticNodes = &spec.Spec{
	Name:        "static-nodes",
	CommandHelp: "output the static-node information installed with the currently running kernel",
	Usage:       []string{"static-nodes [options]"},
	Intro:       "\nkmod static-nodes outputs the static-node information of the currently running kernel.\n\n",
	Column:      21,
	Options: []*spec.Option{
		{Short: 'o', Long: "output", Arg: getopt.RequiredArg, ArgName: "FILE", Complete: spec.File, Help: "write output to file",
			Doc: "Write to FILE instead of standard output, replacing it whole (its parent directories are made)."},
		{Short: 'f', Long: "format", Arg: getopt.RequiredArg, ArgName: "FORMAT", Complete: spec.Word, Words: formatWords,
			Help: "choose format to use: see \"Formats\"",
			Doc:  formatOptionDoc},
		&spec.Help,
	},
	Sections: []spec.Section{{Title: "Options:", Options: []string{"format", "output", "help"}}},
	Trailer:  staticTrailer,
}

// Spec is kmod's own command line: its options, then its commands.
var Spec = &spec.Spec{
	Name:     "kmod",
	Summary:  "program to manage Linux kernel modules",
	Header:   "kmod - Manage kernel modules: list, load, unload, etc\n",
	Usage:    []string{"[options] command [command_options]"},
	Intro:    "\n",
	Column:   18,
	InOrder:  true,
	Operands: []spec.Value{spec.Command},
	Options: []*spec.Option{
		&spec.Help,
		&spec.Version,
	},
	Sections: []spec.Section{{Title: "Options:", Options: []string{"version", "help"}}},
	Commands: commands,
	Trailer:  kmodTrailer,
}

// commands are kmod's, apart from Spec, which kmodTrailer would otherwise
// read in an initialisation cycle (and Spec be completed at every start
// of the binary, not laid out by the linker).
var commands = []*spec.Spec{
	{Name: "help", CommandHelp: "show help message"},
	&modlist.ListCommand,
	StaticNodes,
}

func kmodTrailer() string {
	var b strings.Builder
	b.WriteString("\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-12s %s\n", c.Name, c.CommandHelp)
	}
	b.WriteString("\nkmod also handles gracefully if called from following symlinks:\n")
	for _, c := range compat {
		fmt.Fprintf(&b, "  %-12s compat %s command\n", c, c)
	}
	return b.String()
}

func staticTrailer() string {
	var b strings.Builder
	b.WriteString("\nFormats:\n")
	for _, f := range devname.Formats {
		fmt.Fprintf(&b, "\t%-12s %s\n", f.Name, f.Description)
	}
	return b.String()
}

// formatWords and formatOptionDoc are devname.Formats' names and the
// --format option's text made from their descriptions, spelt out so that StaticNodes is
// laid out by the linker instead of built at every start of the binary
// (TestFormatDoc holds them to devname.Formats).
var formatWords = []string{"human", "tmpfiles", "devname"}

const formatOptionDoc = "Write FORMAT: \\fBhuman\\fR, (default) a human readable format. Do not parse; " +
	"\\fBtmpfiles\\fR, the tmpfiles.d(5) format used by systemd-tmpfiles; \\fBdevname\\fR, the modules.devname format."
