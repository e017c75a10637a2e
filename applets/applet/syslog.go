package applet

import (
	"github.com/modutils/modutils/kernel"
	"github.com/modutils/modutils/modconf"
)

// Syslog sends an applet's messages to the system log as kmod's -s does:
// facility daemon, tagged with the program name.
func Syslog(name string) func(level modconf.Level, msg string) {
	s := kernel.OpenSyslog(name)
	return func(level modconf.Level, msg string) { s.Write(int(level), msg) }
}
