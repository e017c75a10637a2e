package modconf

import (
	"fmt"
	"io"
	"strings"
)

// LibkmodSite marks a message that libkmod itself logs, and names the
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
// beginning "%s" and a LibkmodSite as its first argument. The site formats
// as nothing, so that a plain Reporter prints the message as the tools'
// logger does, and LibkmodReporter prints it as libkmod's default logger.
type LibkmodSite string

// String is empty: the tools' logger prints no site (see LibkmodSite).
func (LibkmodSite) String() string { return "" }

const (
	siteBadLine    LibkmodSite = "kmod_config_parse"
	siteDeprecated LibkmodSite = "kmod_config_parse"
	siteSubdir     LibkmodSite = "conf_files_filter_out"
	siteOpendir    LibkmodSite = "conf_files_list"
	sitePathLong   LibkmodSite = "kmod_config_new"
	siteKcmdline   LibkmodSite = "kcmdline_parse_result"
)

// LibkmodErr reports a libkmod ERR message from site.
func LibkmodErr(report Reporter, site LibkmodSite, format string, args ...any) {
	report(Err, "%s"+format, append([]any{site}, args...)...)
}

// LibkmodReporter returns a Reporter that prints libkmod's messages (those
// carrying a LibkmodSite) to w as libkmod's default logger does, "libkmod:
// LEVEL: FUNC: text", when their level is within priority (kmod_new starts
// at Err; see ParseKmodLog), and hands every other message to other, which
// may be nil to drop them.
func LibkmodReporter(w io.Writer, priority Level, other Reporter) Reporter {
	return func(level Level, format string, args ...any) {
		if len(args) > 0 {
			if site, ok := args[0].(LibkmodSite); ok {
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
