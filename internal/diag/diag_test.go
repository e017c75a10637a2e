package diag

import (
	"bytes"
	"fmt"
	"testing"
)

// The values follow kmod_new's log_priority: strtol, then prefixes.
func TestParseKmodLog(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Level
	}{
		{"3", Err}, {"7", Debug}, {" 6", Info}, {"6 ", Info}, {"6\n", Info}, {"+4", Warning},
		{"-1", -1}, {"6x", 0}, {"err", Err}, {"error", Err}, {"info", Info}, {"debug", Debug},
		{"debugging", Debug}, {"DEBUG", 0}, {"", 0}, {" err", 0}, {"warning", 0}, {"0", 0},
		{"99999999999999999999", -1}, {"4294967302", 6},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.in), func(t *testing.T) {
			if got := ParseKmodLog(tt.in); got != tt.want {
				t.Errorf("ParseKmodLog(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestLibkmodReporter(t *testing.T) {
	t.Parallel()
	var w, other bytes.Buffer
	r := LibkmodReporter(&w, Err, func(level Level, format string, args ...any) {
		fmt.Fprintf(&other, "%s: "+format, append([]any{level}, args...)...)
	})
	LibkmodErr(r, Site("kmod_config_parse"), "%s line %d: ignoring bad line starting with '%s'\n", "/x.conf", 3, "foo")
	r(Warning, "%s line %d: legacy\n", "/etc/modules.conf", 4)
	libkmodReport := func(level Level) { r(level, "%sdebug\n", Site("kmod_config_parse")) }
	libkmodReport(Debug) // above the priority
	want := "libkmod: ERROR: kmod_config_parse: /x.conf line 3: ignoring bad line starting with 'foo'\n"
	if w.String() != want {
		t.Errorf("libkmod messages:\n got %q\nwant %q", w.String(), want)
	}
	if want := "WARNING: /etc/modules.conf line 4: legacy\n"; other.String() != want {
		t.Errorf("other messages:\n got %q\nwant %q", other.String(), want)
	}
	w.Reset()
	LibkmodReporter(&w, Debug, nil)(Crit, "%sx\n", Site("fn"))
	if want := "libkmod: CRITICAL: fn: x\n"; w.String() != want {
		t.Errorf("got %q, want %q", w.String(), want)
	}
}

func TestLibkmodPriority(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want Level
	}{
		{"unset", nil, Err},
		{"set", map[string]string{"KMOD_LOG": "debug"}, Debug},
		{"set empty", map[string]string{"KMOD_LOG": ""}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lookup := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			if got := LibkmodPriority(lookup); got != tc.want {
				t.Errorf("LibkmodPriority = %d, want %d", got, tc.want)
			}
		})
	}
}
