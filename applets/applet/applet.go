// Package applet holds what every applet shares: the environment it runs
// in (its name, its output streams, its environment variables), kmod's log
// format, and kmod's getopt_long loop over a command line.
package applet

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/modutils/modutils/applets/getopt"
	"github.com/modutils/modutils/internal/atomicfile"
	"github.com/modutils/modutils/internal/diag"
)

// Version is what every kmod tool prints for -V: kmod 34.2's version
// line, which scripts parse, then its feature line as this build has the
// features: it decompresses zstd, xz and gzip and reads signatures itself
// (Debian's kmod prints -ZLIB: it is built without zlib).
const Version = "kmod version 34.2\n+ZSTD +XZ +ZLIB +OPENSSL\n"

// Env is what an applet is run with. Argv0 is the name it was called by,
// as given; glibc's getopt quotes it in its messages, and kmod's own
// messages use its base name.
type Env struct {
	Argv0  string
	Stdout io.Writer
	Stderr io.Writer
	// LookupEnv reads the applet's environment; nil is the process's.
	LookupEnv func(name string) (string, bool)
	// FS is what the applet replaces files through; nil is the running
	// system's. Tests fail or stop its calls one by one.
	FS atomicfile.FS
}

// Files is the file system the applet writes through.
func (e *Env) Files() atomicfile.FS {
	if e.FS == nil {
		return atomicfile.OS
	}
	return e.FS
}

// Lookup is os.LookupEnv in the applet's environment.
func (e *Env) Lookup(name string) (string, bool) {
	if e.LookupEnv == nil {
		return os.LookupEnv(name)
	}
	return e.LookupEnv(name)
}

// Name is the program name kmod puts in front of its messages.
func (e *Env) Name() string { return filepath.Base(e.Argv0) }

// Logger prints messages the way kmod's tools do: "NAME: LEVEL: text",
// dropping those above its priority.
type Logger struct {
	env      *Env
	Priority diag.Level
	// Syslog, when set, receives the messages instead of stderr.
	Syslog func(level diag.Level, msg string)
}

// NewLogger logs at kmod's default priority, warnings and worse.
func NewLogger(env *Env) *Logger {
	return &Logger{env: env, Priority: diag.Warning}
}

// Report is a diag.Reporter.
func (l *Logger) Report(level diag.Level, format string, args ...any) {
	if level > l.Priority {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if l.Syslog != nil {
		l.Syslog(level, level.String()+": "+msg)
		return
	}
	fmt.Fprintf(l.env.Stderr, "%s: %s: %s", l.env.Name(), level, msg)
}

// Getopt starts kmod's getopt_long loop over args (without the program
// name): glibc's rules, POSIXLY_CORRECT from the applet's environment, and
// each error printed on stderr in glibc's words as it is met.
func (e *Env) Getopt(args []string, shorts string, longs []getopt.Long) *getopt.Parser {
	return e.GetoptAs(e.Argv0, args, shorts, longs)
}

// GetoptAs is Getopt with prog in front of glibc's messages instead of
// argv[0]: kmod's commands parse their own argument vector, whose first
// word is the command's name.
func (e *Env) GetoptAs(prog string, args []string, shorts string, longs []getopt.Long) *getopt.Parser {
	_, posix := e.Lookup("POSIXLY_CORRECT")
	return getopt.New(prog, args, shorts, longs, posix, e.Stderr)
}
