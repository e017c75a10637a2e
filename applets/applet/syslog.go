package applet

import (
	"log/syslog"

	"github.com/modutils/modutils/modconf"
)

// Syslog sends an applet's messages to the system log as kmod's -s does:
// facility daemon, tagged with the program name. Where there is no
// syslog daemon the messages are dropped, as syslog(3) drops them.
func Syslog(name string) func(level modconf.Level, msg string) {
	w, err := syslog.Dial("", "", syslog.LOG_DAEMON, name)
	if err != nil {
		return func(modconf.Level, string) {}
	}
	return func(level modconf.Level, msg string) {
		switch level {
		case modconf.Crit:
			w.Crit(msg)
		case modconf.Err:
			w.Err(msg)
		case modconf.Warning:
			w.Warning(msg)
		case modconf.Notice:
			w.Notice(msg)
		case modconf.Info:
			w.Info(msg)
		default:
			w.Debug(msg)
		}
	}
}
