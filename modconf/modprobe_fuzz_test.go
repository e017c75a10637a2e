package modconf

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/internal/libc"
)

// checkNames fails when a module name kmod normalises is not normalised.
func checkNames(t *testing.T, c *Config) {
	t.Helper()
	var names []string
	for _, a := range c.Aliases {
		names = append(names, a.Name, a.Modname)
	}
	for _, o := range c.Options {
		names = append(names, o.Modname)
	}
	for _, cmd := range append(append([]Command{}, c.Installs...), c.Removes...) {
		names = append(names, cmd.Modname)
	}
	for _, d := range c.Softdeps {
		names = append(names, d.Modname)
	}
	for _, d := range c.Weakdeps {
		names = append(names, d.Modname)
	}
	for _, n := range names {
		if got, ok := Underscores(n); !ok || got != n {
			t.Errorf("name %q is not normalised (Underscores gives %q, %v)", n, got, ok)
		}
	}
}

// entries is how many lines WriteShowConfig prints before its trailer.
func entries(c *Config) int {
	return len(c.Aliases) + len(c.Options) + len(c.Installs) + len(c.Removes) + len(c.Softdeps) + len(c.Weakdeps) + len(c.Blacklists)
}

func checkShowConfig(t *testing.T, c *Config) {
	t.Helper()
	var out bytes.Buffer
	if err := c.WriteShowConfig(&out); err != nil {
		t.Fatal(err)
	}
	s, ok := strings.CutSuffix(out.String(), ShowConfigTrailer)
	if !ok {
		t.Fatalf("no trailer in %q", out.String())
	}
	// A quoted value on the kernel command line may hold a newline, which
	// kmod keeps, so such an entry prints over two lines.
	for _, o := range c.Options {
		if strings.Contains(o.Modname+o.Options, "\n") {
			return
		}
	}
	for _, b := range c.Blacklists {
		if strings.Contains(b, "\n") {
			return
		}
	}
	if got := strings.Count(s, "\n"); got != entries(c) {
		t.Errorf("%d lines for %d entries:\n%s", got, entries(c), s)
	}
}

// messageChecker fails on a message that does not end its line or, for
// modprobe.d and the command line, does not come from a libkmod site.
func messageChecker(t *testing.T, libkmod bool) diag.Reporter {
	return func(level diag.Level, format string, args ...any) {
		if !strings.HasSuffix(format, "\n") {
			t.Errorf("message without newline: %q", format)
		}
		site := false
		if len(args) > 0 {
			_, site = args[0].(diag.Site)
		}
		if site != libkmod {
			t.Errorf("message %q: from libkmod %v, want %v", format, site, libkmod)
		}
	}
}

func FuzzModprobeConfig(f *testing.F) {
	for _, tc := range modprobeCases {
		for _, content := range tc.files {
			f.Add([]byte(content))
		}
		f.Add([]byte(tc.softdep))
	}
	f.Add([]byte("softdep m  pre: a post: b pre: c\nweakdep w \ta b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &Config{}
		c.Parse(bytes.NewReader(data), "f.conf", messageChecker(t, true))
		checkNames(t, c)
		checkShowConfig(t, c)
		again := &Config{}
		again.Parse(bytes.NewReader(data), "f.conf", nil)
		if !reflect.DeepEqual(c, again) {
			t.Error("parsing twice gave two answers")
		}
		for _, d := range c.Softdeps {
			for _, w := range d.words {
				if w.word == "" {
					t.Errorf("empty softdep word in %+v", d)
				}
			}
		}
	})
}

func FuzzCmdline(f *testing.F) {
	for _, tc := range modprobeCases {
		if tc.cmdline != "" {
			f.Add(tc.cmdline)
		}
	}
	f.Add(defaultTestCmdline)
	f.Add(`"a.b=c d" "e.f=g`)
	f.Fuzz(func(t *testing.T, cmdline string) {
		c := &Config{}
		c.AddCmdline(cmdline, messageChecker(t, true))
		checkNames(t, c)
		checkShowConfig(t, c)
		if len(c.Aliases)+len(c.Installs)+len(c.Removes)+len(c.Softdeps)+len(c.Weakdeps) > 0 {
			t.Errorf("the command line configured more than options and blacklist: %+v", c)
		}
		visible := libc.CString(cmdline)
		if len(visible) > kcmdlineSize-1 {
			visible = libc.CString(cmdline[:kcmdlineSize-1])
		}
		if !strings.Contains(visible, ".") && entries(c) > 0 {
			t.Errorf("%q has no '.' but configured %+v", visible, c)
		}
		for _, o := range c.Options {
			if !strings.Contains(visible, strings.TrimPrefix(strings.SplitN(o.Options, "=", 2)[0], `"`)) {
				t.Errorf("option %q is not from %q", o.Options, visible)
			}
		}
	})
}

func FuzzLegacyConfig(f *testing.F) {
	files, _ := filepath.Glob("testdata/legacy/*.conf")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := ParseLegacyConfig(bytes.NewReader(data), "/etc/modules.conf", messageChecker(t, false))
		checkNames(t, c)
		checkShowConfig(t, c)
		seen := map[string]bool{}
		for _, cmd := range c.Installs {
			if seen[cmd.Modname] {
				t.Errorf("two install entries for %s: only the first would count", cmd.Modname)
			}
			seen[cmd.Modname] = true
		}
	})
}
