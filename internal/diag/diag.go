// Package diag is how the module tools say what went wrong: the syslog
// levels kmod filters and labels its messages by, the Reporter every
// package hands its messages to, the libkmod function a message is logged
// from (Site), the reporters that print kmod's two formats (the tools'
// "NAME: LEVEL: text" and libkmod's default "libkmod: LEVEL: FUNC: text"),
// and KMOD_LOG, which decides what libkmod's logger shows.
//
// The packages that read configuration and resolve modules report here
// and print nothing themselves, so that each tool decides where its
// messages go (stderr, syslog, nowhere) as kmod's tools do.
package diag

import (
	"fmt"
	"io"
	"strings"

	"github.com/modutils/modutils/internal/libc"
)

// Level is a syslog priority; kmod's tools filter and label messages by it.
type Level int

const (
	Crit    Level = 2
	Err     Level = 3
	Warning Level = 4
	Notice  Level = 5
	Info    Level = 6
	Debug   Level = 7
)

// String is the label kmod prints after the program name.
func (l Level) String() string {
	switch l {
	case Crit:
		return "FATAL"
	case Err:
		return "ERROR"
	case Warning:
		return "WARNING"
	case Notice:
		return "NOTICE"
	case Info:
		return "INFO"
	case Debug:
		return "DEBUG"
	}
	return fmt.Sprintf("LOG-%03d", int(l))
}

// Reporter receives diagnostics. The message carries kmod's trailing
// newline so that a reporter can print it verbatim.
type Reporter func(level Level, format string, args ...any)

// Discard is a Reporter that drops everything.
func Discard(Level, string, ...any) {}

// Site marks a message that libkmod itself logs, and names the
// libkmod function it comes from. Debian 13 builds kmod 34.2 without debug
// messages, so libkmod's default logger prints the function after the
// level, and the tools' own logger (log_kmod) prints no site at all. (kmod
// 30 as Debian 12 built it printed "../libkmod/FILE.c:LINE FUNC" in both.)
//
// kmod's tools read their configuration inside kmod_new, before they install
// their own log function, so every message about modprobe.d or the kernel
// command line goes through libkmod's default logger to stderr:
//
//	libkmod: ERROR: kmod_config_parse: /etc/modprobe.d/x.conf line 3: ignoring bad line starting with 'foo'
//
// whatever -q, -v or -s say; only KMOD_LOG changes which are shown (see
// ParseKmodLog). A message from libkmod reaches a Reporter with its format
// beginning "%s" and a Site as its first argument. The site formats
// as nothing, so that a plain Reporter prints the message as the tools'
// logger does, and LibkmodReporter prints it as libkmod's default logger.
type Site string

// String is empty: the tools' logger prints no site (see Site).
func (Site) String() string { return "" }

// Libkmod reports a message libkmod logs at level from site: its format
// begins "%s" and the site is its first argument, the shape every Reporter
// knows a libkmod message by.
func Libkmod(report Reporter, level Level, site Site, format string, args ...any) {
	report(level, "%s"+format, append([]any{site}, args...)...)
}

// LibkmodErr reports a libkmod ERR message from site.
func LibkmodErr(report Reporter, site Site, format string, args ...any) {
	Libkmod(report, Err, site, format, args...)
}

// LibkmodReporter returns a Reporter that prints libkmod's messages (those
// carrying a Site) to w as libkmod's default logger does, "libkmod:
// LEVEL: FUNC: text", when their level is within priority (kmod_new starts
// at Err; see ParseKmodLog), and hands every other message to other, which
// may be nil to drop them.
func LibkmodReporter(w io.Writer, priority Level, other Reporter) Reporter {
	return func(level Level, format string, args ...any) {
		if len(args) > 0 {
			if site, ok := args[0].(Site); ok {
				if level <= priority {
					fmt.Fprintf(w, "libkmod: %s: %s: %s", libkmodLevelName(level), string(site), fmt.Sprintf(format, args...))
				}
				return
			}
		}
		if other != nil {
			other(level, format, args...)
		}
	}
}

// libkmodLevelName is the label of libkmod's log_filep, which differs from
// the tools' for the severe levels.
func libkmodLevelName(l Level) string {
	switch l {
	case 0:
		return "EMERGENCY"
	case 1:
		return "ALERT"
	case Crit:
		return "CRITICAL"
	case Err, Warning, Notice, Info, Debug:
		return l.String()
	}
	return fmt.Sprintf("L:%d", int(l))
}

// LibkmodPriority is the priority kmod_new gives libkmod's logger: Err, or
// what KMOD_LOG says when lookup (os.LookupEnv, or an applet's
// environment) has it.
func LibkmodPriority(lookup func(string) (string, bool)) Level {
	if v, ok := lookup("KMOD_LOG"); ok {
		return ParseKmodLog(v)
	}
	return Err
}

// ParseKmodLog reads the KMOD_LOG environment variable as kmod_new does: a
// number (optionally followed by white space), or a word starting "err",
// "info" or "debug"; anything else means 0, which silences libkmod.
func ParseKmodLog(s string) Level {
	s = libc.CString(s)
	if v, n := libc.Strtol(s, 10); n == len(s) || libc.IsSpace(s[n]) {
		return Level(int32(v)) // strtol's long, stored in an int
	}
	switch {
	case strings.HasPrefix(s, "err"):
		return Err
	case strings.HasPrefix(s, "info"):
		return Info
	case strings.HasPrefix(s, "debug"):
		return Debug
	}
	return 0
}
