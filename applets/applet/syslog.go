package applet

import (
	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/kernel"
)

// Syslog sends an applet's messages to the system log as kmod's -s does:
// facility daemon, tagged with the program name.
func Syslog(name string) func(level diag.Level, msg string) {
	s := kernel.OpenSyslog(name)
	return func(level diag.Level, msg string) { s.Write(int(level), msg) }
}
