// Package applet holds what every applet shares: the environment it runs
// in (its name, its output streams, its environment variables, the kernel,
// the file system it writes through, the clock, kerneld's socket), kmod's
// log format and syslog, and kmod's getopt_long loop over a command line
// with the answers to -h, -V and a bad option that every tool shares (and
// the -s and -v of insmod, rmmod and lsmod).
package applet

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/modutils/modutils/applets/getopt"
	"github.com/modutils/modutils/internal/atomicfile"
	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/kernel"
	"github.com/modutils/modutils/kernel/kdsock"
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

	// Sys is the kernel the applet loads modules into and reads /proc
	// and /sys of; nil is the running one. Tests give a fake root and
	// recorded system calls.
	Sys *kernel.Sys
	// ModuleDir is the module directory; "" is /lib/modules/`uname -r`
	// (rmmod: tests give a fake one).
	ModuleDir string
	// Clock is the applet's time; nil is the real one.
	Clock Clock
	// KerneldSocket is where kerneld listens and its clients find it;
	// "" is kdsock.Path.
	KerneldSocket string
	// KerneldUID is whom kerneld runs as and who alone may talk to it:
	// root (0) unless a test says otherwise.
	KerneldUID uint32
	// Exiting says the process ends when Run returns (main's call, not a
	// test's): an applet that maps one resolver's indexes need not unmap
	// them first, which the kernel does at exit anyway. Unmapping before
	// exit cost a modprobe about 0.1 ms: every munmap of a touched
	// mapping flushes the other threads' TLBs.
	Exiting bool
}

// Clock is what an applet knows of time: a monotonic now, and sleeping.
type Clock interface {
	Now() time.Time
	Sleep(d time.Duration)
}

type realClock struct{}

func (realClock) Now() time.Time        { return time.Now() }
func (realClock) Sleep(d time.Duration) { time.Sleep(d) }

// Time is the applet's clock.
func (e *Env) Time() Clock {
	if e.Clock == nil {
		return realClock{}
	}
	return e.Clock
}

// Kernel is the kernel the applet works on.
func (e *Env) Kernel() kernel.Sys {
	if e.Sys == nil {
		return kernel.Sys{}
	}
	return *e.Sys
}

// Socket is kerneld's socket path.
func (e *Env) Socket() string {
	if e.KerneldSocket == "" {
		return kdsock.Path
	}
	return e.KerneldSocket
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

// Helper prints a tool's help with prog as its name: a spec.Spec.
type Helper interface {
	WriteHelp(w io.Writer, prog string)
}

// CommonOption acts on the options every kmod tool's getopt loop answers
// alike, when their turn comes: -h prints help on w, -V the version, and a
// bad option (getopt has said why on stderr) ends the run with exit code 1.
// done is false for any other option, which the tool's own switch takes.
func (e *Env) CommonOption(w io.Writer, help Helper, val rune) (code int, done bool) {
	switch val {
	case 'h':
		help.WriteHelp(w, e.Name())
		return 0, true
	case 'V':
		io.WriteString(w, Version)
		return 0, true
	case getopt.Invalid:
		return 1, true
	}
	return 0, false
}

// LogOptions are the -s and -v of insmod, rmmod and lsmod: messages to
// syslog instead of stderr, and one level more of them for each -v, from
// errors only.
type LogOptions struct {
	syslog  bool
	verbose diag.Level
}

// Take acts on -s and -v; it is false for any other option.
func (lo *LogOptions) Take(val rune) bool {
	switch val {
	case 's':
		lo.syslog = true
	case 'v':
		lo.verbose++
	default:
		return false
	}
	return true
}

// UseSyslog points log at syslog when -s was given, as kmod does once
// its options are read.
func (lo *LogOptions) UseSyslog(env *Env, log *Logger) {
	if lo.syslog {
		log.Syslog = Syslog(env.Name())
	}
}

// Priority is the priority the -v options ask for.
func (lo *LogOptions) Priority() diag.Level { return min(diag.Err+lo.verbose, diag.Debug) }

// oneModuleHeap is the heap below which an applet that decompresses
// modules one at a time (modinfo, insmod, modprobe) leaves the collector
// off.
const oneModuleHeap = 64 << 20

// CollectLate turns Go's collector off until the heap nears 64 MiB, for
// the run of a tool that decompresses a module or a few and exits: at
// GOGC's default a single large module (btrfs, 5 MB) set off a
// collection whose work, and the faults of the memory it freed for
// reuse, cost more than the memory was worth (and kept its image from
// the fresh, unzeroed pages that huge pages need). The limit still
// bounds a long run over many modules. GOGC and GOMEMLIMIT, when set,
// keep the last word. The returned function restores the settings.
func CollectLate() (restore func()) {
	_, gogc := os.LookupEnv("GOGC")
	_, limit := os.LookupEnv("GOMEMLIMIT")
	if gogc {
		return func() {}
	}
	oldLimit := int64(-1)
	if !limit {
		oldLimit = debug.SetMemoryLimit(oneModuleHeap)
	}
	oldPercent := debug.SetGCPercent(-1)
	return func() {
		debug.SetGCPercent(oldPercent)
		if oldLimit >= 0 {
			debug.SetMemoryLimit(oldLimit)
		}
	}
}
