package modconf

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/modutils/modutils/internal/diag"
)

// legacyRun parses a legacy file and renders what came of it: the
// configuration as `modprobe -c` prints it, then the messages.
func legacyRun(data []byte, name string) string {
	var msgs strings.Builder
	report := func(level diag.Level, format string, args ...any) {
		fmt.Fprintf(&msgs, "%s: "+format, append([]any{level}, args...)...)
	}
	cfg := ParseLegacyConfig(bytes.NewReader(data), name, report)
	var out strings.Builder
	out.WriteString("== modprobe -c\n")
	cfg.WriteShowConfig(&out)
	out.WriteString("== messages\n")
	out.WriteString(msgs.String())
	return out.String()
}

// TestLegacyGolden: testdata/legacy/NAME.conf gives NAME.golden. There is
// no oracle for this translation; the goldens were checked by hand against
// LEGACY.md (-update rewrites them).
func TestLegacyGolden(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/legacy/*.conf")
	if err != nil || len(files) == 0 {
		t.Fatalf("no legacy test files: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".conf")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got := legacyRun(data, "/etc/modules.conf")
			golden := strings.TrimSuffix(f, ".conf") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestLegacyDirectives(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     Config
	}{
		{"alias", "alias eth0 ne\n", Config{Aliases: []Alias{{"eth0", "ne"}}}},
		{"alias normalised", "alias char-major-10-1 ps-aux\n", Config{Aliases: []Alias{{"char_major_10_1", "ps_aux"}}}},
		{"alias off", "alias net-pf-3 off\n", Config{Installs: []Command{{"net_pf_3", "/bin/true"}}}},
		{"alias null", "alias net-pf-4 null\n", Config{Installs: []Command{{"net_pf_4", "/bin/true"}}}},
		{"trailing comment", "alias a b # c d\n", Config{Aliases: []Alias{{"a", "b"}}}},
		{"hash inside a word", "options m x=a#b # comment\n", Config{Options: []ModOptions{{"m", "x=a#b"}}}},
		{"options rest of line", "options  ne \tirq=5\t io=0x300  \n", Config{Options: []ModOptions{{"ne", "irq=5  io=0x300"}}}},
		{"continuation", "options ne irq=5 \\\n io=0x300\n", Config{Options: []ModOptions{{"ne", "irq=5  io=0x300"}}}},
		{"pre-install", "pre-install m cmd a\n", Config{Installs: []Command{{"m", "cmd a; /sbin/modprobe --ignore-install m $CMDLINE_OPTS"}}}},
		{"post-install", "post-install m cmd a\n", Config{Installs: []Command{{"m", "/sbin/modprobe --ignore-install m $CMDLINE_OPTS && { cmd a; }"}}}},
		{"pre and post install", "post-install m b\npre-install m a\n", Config{Installs: []Command{{"m", "a; /sbin/modprobe --ignore-install m $CMDLINE_OPTS && { b; }"}}}},
		{"install replaces the load", "install m x\npost-install m y\n", Config{Installs: []Command{{"m", "x && { y; }"}}}},
		{"two of a kind", "pre-install m a\npre-install m b\n", Config{Installs: []Command{{"m", "a; b; /sbin/modprobe --ignore-install m $CMDLINE_OPTS"}}}},
		{"pre-remove", "pre-remove m-x a\n", Config{Removes: []Command{{"m_x", "a; /sbin/modprobe -r --ignore-remove m_x"}}}},
		{"post-remove", "post-remove m b\n", Config{Removes: []Command{{"m", "/sbin/modprobe -r --ignore-remove m && { b; }"}}}},
		{"remove", "remove m r\n", Config{Removes: []Command{{"m", "r"}}}},
		{"install order is first mention", "post-install b x\npre-install a y\ninstall b z\n", Config{Installs: []Command{{"b", "z && { x; }"}, {"a", "y; /sbin/modprobe --ignore-install a $CMDLINE_OPTS"}}}},
		{"below and above", "below m a b\nabove m c\nbelow m d\n", Config{Softdeps: []Softdep{{Modname: "m", Pre: []string{"a", "b", "d"}, Post: []string{"c"}}}}},
		{"keep path depfile", "keep\npath[net]=/x\npath=/y\ndepfile=/z\n", Config{}},
		{"if block skipped", "alias a b\nif x\nalias c d\nelse\nalias e f\nendif\nalias g h\n", Config{Aliases: []Alias{{"a", "b"}, {"g", "h"}}}},
		{"nested if", "if x\nif y\nendif\nalias in if\nendif\nalias out side\n", Config{Aliases: []Alias{{"out", "side"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var msgs []string
			report := func(level diag.Level, format string, args ...any) {
				if level <= diag.Warning {
					msgs = append(msgs, fmt.Sprintf(format, args...))
				}
			}
			got := ParseLegacyConfig(strings.NewReader(tt.in), "f", report)
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("ParseLegacyConfig(%q)\n got %+v\nwant %+v", tt.in, *got, tt.want)
			}
			if len(msgs) > 0 && !strings.HasPrefix(tt.name, "if") && !strings.HasPrefix(tt.name, "nested") {
				t.Errorf("unexpected warnings: %q", msgs)
			}
		})
	}
}

// TestLegacyMerge: the legacy file counts after modprobe.d, so modprobe.d
// wins: its install, remove and softdep entries come first (the first match
// counts) and its options last (the last word counts); the kernel command
// line still comes after everything.
func TestLegacyMerge(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("d/a.conf", "alias eth0 e1000\noptions ne irq=7\ninstall snd /bin/new\nsoftdep m pre: new\n")
	conf := write("etc/conf.modules", "alias eth0 ne\noptions ne irq=5 io=0x300\npost-install snd /bin/old\nbelow m old\n")
	modules := write("etc/modules.conf", "alias preferred yes\n")
	var msgs []string
	report := func(level diag.Level, format string, args ...any) { msgs = append(msgs, fmt.Sprintf(format, args...)) }
	cfg := LoadModprobeConfig(ModprobeOptions{
		Paths:       []string{filepath.Join(dir, "d")},
		LegacyFiles: []string{filepath.Join(dir, "etc/none"), conf, modules},
		Cmdline:     "ne.irq=9\n",
		Report:      report,
	})
	var out bytes.Buffer
	cfg.WriteShowConfig(&out)
	want := "install snd /bin/new\n" +
		"install snd /sbin/modprobe --ignore-install snd $CMDLINE_OPTS && { /bin/old; }\n" +
		"alias eth0 e1000\n" +
		"alias eth0 ne\n" +
		"options ne irq=5 io=0x300\n" +
		"options ne irq=7\n" +
		"options ne irq=9\n" +
		"softdep m pre: new\n" +
		"softdep m pre: old\n" +
		ShowConfigTrailer
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
	if got := cfg.OptionsFor("ne"); got != "irq=5 io=0x300 irq=7 irq=9" {
		t.Errorf("OptionsFor(ne) = %q", got)
	}
	if got, _ := cfg.InstallFor("snd"); got != "/bin/new" {
		t.Errorf("InstallFor(snd) = %q, want modprobe.d's", got)
	}
	if len(msgs) != 0 {
		t.Errorf("unexpected messages: %q", msgs)
	}
}

// TestLegacyDefaults: the default legacy files are read only when -C did
// not replace the search path.
func TestLegacyDefaults(t *testing.T) {
	t.Parallel()
	if !reflect.DeepEqual(DefaultLegacyFiles, []string{"/etc/modules.conf", "/etc/conf.modules"}) {
		t.Errorf("DefaultLegacyFiles = %q", DefaultLegacyFiles)
	}
	dir := t.TempDir()
	legacy := filepath.Join(dir, "modules.conf")
	if err := os.WriteFile(legacy, []byte("alias legacy m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		paths       []string
		legacyFiles []string
		want        bool
	}{
		{"-C given, legacy nil", []string{dir + "/none"}, nil, false},
		{"-C given, legacy given", []string{dir + "/none"}, []string{legacy}, true},
		{"legacy empty", []string{dir + "/none"}, []string{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := LoadModprobeConfig(ModprobeOptions{Paths: tt.paths, LegacyFiles: tt.legacyFiles})
			if got := len(cfg.AliasesMatching("legacy")) == 1; got != tt.want {
				t.Errorf("legacy alias read = %v, want %v", got, tt.want)
			}
		})
	}
}
