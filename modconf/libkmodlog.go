package modconf

import (
	"fmt"
	"io"
	"strings"
)

// LibkmodSite marks a message that libkmod itself logs, and says where in
// libkmod it comes from, as libkmod's default logger prints it: source file
// and line as Debian builds kmod 30 (with --enable-debug), then the function.
//
// kmod's tools read their configuration inside kmod_new, before they install
// their own log function, so every message about modprobe.d or the kernel
// command line goes through libkmod's default logger to stderr:
//
//	libkmod: ERROR ../libkmod/libkmod-config.c:712 kmod_config_parse: /etc/modprobe.d/x.conf line 3: ignoring bad line starting with 'foo'
//
// whatever -q, -v or -s say; only KMOD_LOG changes which are shown (see
// ParseKmodLog). A message from libkmod reaches a Reporter with its format
// beginning "%s" and a LibkmodSite as its first argument, so that a plain
// Reporter prints the site in front of the text and LibkmodReporter can
// print it exactly as libkmod does.
type LibkmodSite string

const (
	siteBadLine    LibkmodSite = "../libkmod/libkmod-config.c:712 kmod_config_parse: "
	siteDeprecated LibkmodSite = "../libkmod/libkmod-config.c:708 kmod_config_parse: "
	siteSubdir     LibkmodSite = "../libkmod/libkmod-config.c:772 conf_files_filter_out: "
	siteOpendir    LibkmodSite = "../libkmod/libkmod-config.c:868 conf_files_list: "
	sitePathLong   LibkmodSite = "../libkmod/libkmod-config.c:936 kmod_config_new: "
	siteKcmdline   LibkmodSite = "../libkmod/libkmod-config.c:489 kcmdline_parse_result: "
)

// LibkmodErr reports a libkmod ERR message from site.
func LibkmodErr(report Reporter, site LibkmodSite, format string, args ...any) {
	report(Err, "%s"+format, append([]any{site}, args...)...)
}

// LibkmodReporter returns a Reporter that prints libkmod's messages (those
// carrying a LibkmodSite) to w as libkmod's default logger does, when their
// level is within priority (kmod_new starts at Err; see ParseKmodLog), and
// hands every other message to other, which may be nil to drop them.
func LibkmodReporter(w io.Writer, priority Level, other Reporter) Reporter {
	return func(level Level, format string, args ...any) {
		if len(args) > 0 {
			if _, ok := args[0].(LibkmodSite); ok {
				if level <= priority {
					fmt.Fprintf(w, "libkmod: %s %s", libkmodLevelName(level), fmt.Sprintf(format, args...))
				}
				return
			}
		}
		if other != nil {
			other(level, format, args...)
		}
	}
}

// ToolReporter hands libkmod's messages to report as kmod's modprobe and
// rmmod print them once their own logger is installed (log_kmod): the site
// as "FILE:LINE FUNC() ", then the text. Other messages pass unchanged.
func ToolReporter(report Reporter) Reporter {
	return func(level Level, format string, args ...any) {
		if len(args) > 0 {
			if site, ok := args[0].(LibkmodSite); ok {
				args = append([]any{site.tool()}, args[1:]...)
			}
		}
		report(level, format, args...)
	}
}

// tool turns the default logger's "FILE:LINE FUNC: " into the tools'
// "FILE:LINE FUNC() ".
func (s LibkmodSite) tool() string {
	return strings.TrimSuffix(string(s), ": ") + "() "
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

// ParseKmodLog reads the KMOD_LOG environment variable as kmod_new does: a
// number (optionally followed by white space), or a word starting "err",
// "info" or "debug"; anything else means 0, which silences libkmod.
func ParseKmodLog(s string) Level {
	s = cString(s)
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var v int64
	overflow := false
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if v > (1<<63-1-int64(s[i]-'0'))/10 {
			overflow = true
		} else {
			v = v*10 + int64(s[i]-'0')
		}
		i++
	}
	if i == start {
		i = 0 // strtol converted nothing: its end pointer is the start
	}
	if i == len(s) || isCSpace(s[i]) {
		if i == 0 {
			return 0
		}
		switch {
		case overflow && neg:
			v = -1 << 63
		case overflow:
			v = 1<<63 - 1
		case neg:
			v = -v
		}
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

// isCSpace is C's isspace in the C locale.
func isCSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}
