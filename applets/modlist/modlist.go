// Package modlist is the table of loaded modules that lsmod and kmod list
// print, and kmod 34.2's lsmod command around it (tools/lsmod.c's
// do_lsmod: its options, its messages through the tool's logger). It
// serves applets; it is not one.
package modlist

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/applets/getopt"
	"github.com/modutils/modutils/kernel/libkmod"
	"github.com/modutils/modutils/modconf"
)

// Write prints the table of lib's loaded modules to w, as kmod prints
// it: a header, then "%-19s %8ld  %d" and the holders, the first after
// a space and the others after commas. The module list comes first, so
// that an error reading it prints no header; err is that error.
func Write(w io.Writer, lib libkmod.Lib) error {
	names, err := lib.Loaded()
	if err != nil {
		return err
	}
	// stdout is a pipe or file more often than not: kmod's stdio buffers
	// it whole, and libkmod's messages on stderr come first.
	out := bufio.NewWriter(w)
	defer out.Flush()
	out.WriteString("Module                  Size  Used by\n")
	for _, name := range names {
		useCount := lib.Refcnt(name) // kmod asks for it before the size
		fmt.Fprintf(out, "%-19s %8d  %d", name, lib.Size(name), useCount)
		if holders := lib.Holders(name); len(holders) > 0 {
			out.WriteString(" " + strings.Join(holders, ","))
		}
		out.WriteByte('\n')
	}
	return nil
}

var options = []getopt.Option{
	{Short: 's', Long: "syslog"},
	{Short: 'v', Long: "verbose"},
	{Short: 'V', Long: "version"},
	{Short: 'h', Long: "help"},
}

func help(env *applet.Env) {
	fmt.Fprintf(env.Stdout, "Usage:\n"+
		"\t%s [options]\n"+
		"Options:\n"+
		"\t-s, --syslog      print to syslog, not stderr\n"+
		"\t-v, --verbose     enables more messages\n"+
		"\t-V, --version     show version\n"+
		"\t-h, --help        show this help\n", env.Name())
}

// Main is kmod 34.2's do_lsmod over the kernel lib reads: options
// (-s, -v, -V, -h), no operands, then the table. args are what follows
// the program or command name; prog is what glibc's getopt names in its
// messages (argv[0] of the command's argument vector), and opts how the
// command line is parsed (kmod's subcommands inherit the "+" of kmod's
// own option string).
func Main(env *applet.Env, lib libkmod.Lib, prog string, args []string, stopAtOperand bool) int {
	res, err := getopt.Normalize(prog, args, options, stopAtOperand)
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return 1
	}
	log := applet.NewLogger(env)
	log.Priority = modconf.Err
	useSyslog := false
	for _, o := range res.Options {
		switch o.Name {
		case "syslog":
			useSyslog = true
		case "verbose":
			log.Priority++
		case "help":
			help(env)
			return 0
		case "version":
			io.WriteString(env.Stdout, applet.Version)
			return 0
		}
	}
	if useSyslog {
		log.Syslog = applet.Syslog(env.Name())
	}
	if len(res.Operands) > 0 {
		log.Report(modconf.Err, "too many arguments provided.\n")
		return 1
	}
	// kmod 34.2 hands libkmod the tool's logger (log_setup_kmod_log),
	// without the source locations.
	lib.Log = func(level modconf.Level, _ libkmod.Site, format string, args ...any) {
		log.Report(level, format, args...)
	}
	if err := Write(env.Stdout, lib); err != nil {
		log.Report(modconf.Err, "could not get list of modules: %s\n", modconf.ErrnoString(err))
		return 1
	}
	return 0
}
