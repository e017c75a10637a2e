// Package applet holds what every applet shares: the environment it runs
// in (its name, its output streams), kmod's log format, and kmod's way of
// parsing a command line.
package applet

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/modutils/modutils/applets/getopt"
	"github.com/modutils/modutils/modconf"
)

// Version is what every kmod tool prints for -V: kmod's version line,
// which scripts parse, then the features this build has (it reads
// .ko.gz, which Debian's kmod cannot).
const Version = "kmod version 30\n+ZSTD +XZ +ZLIB +LIBCRYPTO -EXPERIMENTAL\n"

// Env is what an applet is run with. Argv0 is the name it was called by,
// as given; glibc's getopt quotes it in its messages, and kmod's own
// messages use its base name.
type Env struct {
	Argv0  string
	Stdout io.Writer
	Stderr io.Writer
}

// Stdio is the Env of the running process.
func Stdio(argv0 string) *Env {
	return &Env{Argv0: argv0, Stdout: os.Stdout, Stderr: os.Stderr}
}

// Name is the program name kmod puts in front of its messages.
func (e *Env) Name() string { return filepath.Base(e.Argv0) }

// Logger prints messages the way kmod's tools do: "NAME: LEVEL: text",
// dropping those above its priority.
type Logger struct {
	env      *Env
	Priority modconf.Level
	// Syslog, when set, receives the messages instead of stderr.
	Syslog func(level modconf.Level, msg string)
}

// NewLogger logs at kmod's default priority, warnings and worse.
func NewLogger(env *Env) *Logger {
	return &Logger{env: env, Priority: modconf.Warning}
}

// Report is a modconf.Reporter.
func (l *Logger) Report(level modconf.Level, format string, args ...any) {
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

// Capture runs an applet called as name with its output collected, as
// tests and in-process callers need it.
func Capture(name string, run func(*Env, []string) int, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(&Env{Argv0: name, Stdout: &out, Stderr: &errOut}, args)
	return code, out.String(), errOut.String()
}

// Parse parses args with GNU getopt's rules; an error is printed as glibc
// prints it, and returned.
func Parse(env *Env, args []string, opts []getopt.Option) (*getopt.Result, error) {
	res, err := getopt.Normalize(env.Argv0, args, opts, false)
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return nil, err
	}
	return res, nil
}
