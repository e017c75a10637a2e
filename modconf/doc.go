// Package modconf reads the configuration of the module tools: depmod.d
// (search, override, external, exclude), modprobe.d and the legacy
// conf.modules of the kerneld era.
//
// It is pure: every function reads only the files or directories it is
// given and never touches the running kernel, so the same code serves a
// live system, a -b image root and the tests. Problems in a file are
// reported through a Reporter, worded as kmod words them, and the rest of
// the file still counts.
package modconf

import "fmt"

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
