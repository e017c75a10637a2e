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
	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/internal/libc"
	"github.com/modutils/modutils/kernel/libkmod"
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

// Main is kmod 34.2's do_lsmod over the kernel lib reads: options
// (-s, -v, -V, -h) acted on as they come, no operands, then the table.
// args are what follows the program or command name; prog is what
// glibc's getopt names in its messages (argv[0] of the command's argument
// vector). stopAtOperand is for kmod's commands, which inherit the "+" of
// kmod's own option string through getopt's state.
func Main(env *applet.Env, lib libkmod.Lib, prog string, args []string, stopAtOperand bool) int {
	shorts := Spec.Shorts()
	if stopAtOperand {
		shorts = "+" + shorts
	}
	p := env.GetoptAs(prog, args, shorts, Spec.Longs())
	log := applet.NewLogger(env)
	var lo applet.LogOptions
	for o := range p.Options() {
		if code, done := env.CommonOption(env.Stdout, Spec, o.Val); done {
			return code
		}
		lo.Take(o.Val)
	}
	lo.UseSyslog(env, log)
	if len(p.Operands()) > 0 {
		log.Report(diag.Err, "too many arguments provided.\n")
		return 1
	}
	// kmod_new, then libkmod logs through the tool (log_setup_kmod_log)
	// at -v's priority, without source locations.
	log.Priority = lo.Priority()
	lib.Log = libkmod.ToolLog(log.Report)
	if err := Write(env.Stdout, lib); err != nil {
		log.Report(diag.Err, "could not get list of modules: %s\n", libc.Strerror(err))
		return 1
	}
	return 0
}
