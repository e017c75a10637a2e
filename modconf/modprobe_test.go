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

func TestUnderscores(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"plain", "snd-hda-intel", "snd_hda_intel", true},
		{"already", "snd_hda", "snd_hda", true},
		{"empty", "", "", true},
		{"bracket kept", "a[-x]-b", "a[-x]_b", true},
		{"two brackets", "x-[a-c]-[!-]-y", "x_[a-c]_[!-]_y", true},
		{"close without open", "a-b]c-d", "a_b]c-d", false},
		{"open without close", "a-b[c-d", "a_b[c-d", false},
		{"bracket then close", "[a]]", "[a]]", false},
		{"star untouched", "pci:v*d*-x", "pci:v*d*_x", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Underscores(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Underscores(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func parseString(t *testing.T, in string) (*Config, []string) {
	t.Helper()
	var msgs []string
	c := &Config{}
	c.Parse(strings.NewReader(in), "f.conf", func(level diag.Level, format string, args ...any) {
		msgs = append(msgs, fmt.Sprintf(format, args...))
	})
	return c, msgs
}

// TestParse checks the lists kmod would build, field by field; the
// differential tests check the same through `modprobe -c`.
func TestParse(t *testing.T) {
	t.Parallel()
	sd := func(mod string, pre, post []string, words ...depWord) Softdep {
		return Softdep{Modname: mod, Pre: pre, Post: post, words: words}
	}
	tests := []struct {
		name, in string
		want     Config
		msgs     int
	}{
		{"alias", "alias a-b c-d\n", Config{Aliases: []Alias{{"a_b", "c_d"}}}, 0},
		{"options keep the rest", "options m  a=1\tb=2 \n", Config{Options: []ModOptions{{"m", " a=1 b=2 "}}}, 0},
		{"install keeps tabs", "install m a\tb\n", Config{Installs: []Command{{"m", "a\tb"}}}, 0},
		{"remove", "remove m-1 x\n", Config{Removes: []Command{{"m_1", "x"}}}, 0},
		{"blacklist", "blacklist a-b extra\n", Config{Blacklists: []string{"a_b"}}, 0},
		{"softdep", "softdep m pre: a-b post: c\n", Config{Softdeps: []Softdep{sd("m", []string{"a-b"}, []string{"c"}, depWord{"a-b", depPre}, depWord{"c", depPost})}}, 0},
		{"softdep leading space quirk", "softdep m  pre: a\n", Config{Softdeps: []Softdep{sd("m", nil, nil)}}, 0},
		{"weakdep", "weakdep m-x a-b  c\n", Config{Weakdeps: []Weakdep{{"m_x", []string{"a-b", "c"}}}}, 0},
		{"weakdep empty list", "weakdep m \t\n", Config{Weakdeps: []Weakdep{{Modname: "m"}}}, 0},
		{"weakdep without list", "weakdep m\n", Config{}, 1},
		{"comment", "# alias a b\n", Config{}, 0},
		{"indented comment", " # alias a b\n", Config{}, 1},
		{"include", "include /x\n", Config{}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, msgs := parseString(t, tt.in)
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.in, *got, tt.want)
			}
			if len(msgs) != tt.msgs {
				t.Errorf("Parse(%q) messages %q, want %d", tt.in, msgs, tt.msgs)
			}
		})
	}
}

// Weakdep is newer kmod's (kmod 30 rejects the line): checked against
// kmod 34's parser and show_config by reading, there being no kmod 34 here.
func TestWeakdepShowConfig(t *testing.T) {
	t.Parallel()
	c, msgs := parseString(t, "weakdep m1 a b\nsoftdep s pre: x\nweakdep m2  c\t d \n")
	if len(msgs) != 0 {
		t.Errorf("messages: %q", msgs)
	}
	var out bytes.Buffer
	if err := c.WriteShowConfig(&out); err != nil {
		t.Fatal(err)
	}
	// The list " c\t d " starts with one space, which kmod's scan keeps at
	// the front of the first word.
	want := "softdep s pre: x\nweakdep m1 a b\nweakdep m2  c d\n" + ShowConfigTrailer
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

// TestModulesWeakdep: modules.weakdep in the module directory is read as
// newer kmod reads it, sorted among the configuration files by its name.
func TestModulesWeakdep(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	moddir := filepath.Join(root, "lib/modules/9.9")
	for name, content := range map[string]string{
		moddir + "/modules.weakdep": "# Weak dependencies extracted from modules themselves.\nweakdep w a b\n",
		moddir + "/modules.softdep": "softdep s pre: x\n",
		root + "/c/a.conf":          "weakdep first z\n",
		root + "/c/modules.t.conf":  "weakdep between y\n",
		root + "/c/z.conf":          "weakdep last q\n",
	} {
		os.MkdirAll(filepath.Dir(name), 0o755)
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := LoadModprobeConfig(ModprobeOptions{Paths: []string{root + "/c"}, ModuleDir: moddir})
	var got []string
	for _, w := range cfg.Weakdeps {
		got = append(got, w.Modname)
	}
	if want := []string{"first", "between", "w", "last"}; !reflect.DeepEqual(got, want) {
		t.Errorf("weakdep order %q, want %q", got, want)
	}
	if deps, ok := cfg.WeakdepFor("w"); !ok || !reflect.DeepEqual(deps, []string{"a", "b"}) {
		t.Errorf("WeakdepFor(w) = %q, %v", deps, ok)
	}
}

func TestQueries(t *testing.T) {
	t.Parallel()
	c, msgs := parseString(t, ""+
		"alias pci:v00008086d* e1000e\n"+
		"alias pci:v*d* generic\n"+
		"alias eth0 e1000e\n"+
		"options e1000e a=1\n"+
		"options e1000e b=2\n"+
		"options eth0 c=3\n"+
		"options other x=1\n"+
		"install snd-* /bin/first\n"+
		"install snd-hda /bin/second\n"+
		"install name-only /bin/cmd\n"+
		"remove snd-hda /bin/rm\n"+
		"remove remove-only /bin/rm2\n"+
		"softdep snd-h* pre: a post: b\n"+
		"softdep snd-hda pre: c\n"+
		"weakdep w* x\n"+
		"blacklist pcspkr\n")
	if len(msgs) != 0 {
		t.Fatalf("messages: %q", msgs)
	}
	c.AddCmdline("e1000e.c=9 snd-hda.model=x modprobe.blacklist=evbug", nil)
	c.Options = append(c.Options, ModOptions{"e1000e", ""})

	if got, want := c.OptionsFor("e1000e"), "a=1 b=2 c=9"; got != want {
		t.Errorf("OptionsFor(e1000e) = %q, want %q", got, want)
	}
	if got, want := c.ModuleOptions("e1000e", "eth0"), "a=1 b=2 c=3 c=9"; got != want {
		t.Errorf("ModuleOptions(e1000e, eth0) = %q, want %q", got, want)
	}
	if got := c.OptionsFor("none"); got != "" {
		t.Errorf("OptionsFor(none) = %q", got)
	}
	if got, ok := c.InstallFor("snd_hda"); got != "/bin/first" || !ok {
		t.Errorf("InstallFor(snd_hda) = %q, %v: the first matching pattern counts", got, ok)
	}
	if got, ok := c.RemoveFor("snd_hda"); got != "/bin/rm" || !ok {
		t.Errorf("RemoveFor(snd_hda) = %q, %v", got, ok)
	}
	if _, ok := c.RemoveFor("snd_other"); ok {
		t.Error("RemoveFor(snd_other) found a command")
	}
	if got, ok := c.InstallNamed("name_only"); got != "/bin/cmd" || !ok {
		t.Errorf("InstallNamed(name_only) = %q, %v", got, ok)
	}
	if _, ok := c.InstallNamed("snd_x"); ok {
		t.Error("InstallNamed matched a pattern; kmod compares names exactly there")
	}
	if got, ok := c.RemoveNamed("remove_only"); got != "/bin/rm2" || !ok {
		t.Errorf("RemoveNamed(remove_only) = %q, %v", got, ok)
	}
	if pre, post, ok := c.SoftdepFor("snd_hda"); !ok || !reflect.DeepEqual(pre, []string{"a"}) || !reflect.DeepEqual(post, []string{"b"}) {
		t.Errorf("SoftdepFor(snd_hda) = %q, %q, %v", pre, post, ok)
	}
	if _, _, ok := c.SoftdepFor("x"); ok {
		t.Error("SoftdepFor(x) found one")
	}
	if deps, ok := c.WeakdepFor("wx"); !ok || !reflect.DeepEqual(deps, []string{"x"}) {
		t.Errorf("WeakdepFor(wx) = %q, %v", deps, ok)
	}
	for name, want := range map[string]bool{"pcspkr": true, "evbug": true, "pcspk": false, "pcspkr2": false} {
		if got := c.IsBlacklisted(name); got != want {
			t.Errorf("IsBlacklisted(%s) = %v, want %v", name, got, want)
		}
	}
	got := c.AliasesMatching("pci:v00008086d00001502")
	want := []Alias{{"pci:v00008086d*", "e1000e"}, {"pci:v*d*", "generic"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("AliasesMatching = %v, want %v", got, want)
	}
	if got := c.AliasesMatching("eth1"); got != nil {
		t.Errorf("AliasesMatching(eth1) = %v", got)
	}
}

func TestSoftdepString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		d    Softdep
		want string
	}{
		{"built in Go", Softdep{Modname: "m", Pre: []string{"a", "b"}, Post: []string{"c"}}, "pre: a bpost: c"},
		{"post only", Softdep{Modname: "m", Post: []string{"c"}}, "post: c"},
		{"empty", Softdep{Modname: "m"}, ""},
		{"parsed interleaved", newSoftdep("m", "pre: a post: b pre: c"), "pre: a b cpost: b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.d.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestDefaultModprobePaths: kmod 34.2's five directories, /usr/lib and
// /lib both even where they are one directory.
func TestDefaultModprobePaths(t *testing.T) {
	t.Parallel()
	want := []string{"/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d", "/lib/modprobe.d"}
	if !reflect.DeepEqual(DefaultModprobePaths, want) {
		t.Errorf("DefaultModprobePaths = %q, want %q", DefaultModprobePaths, want)
	}
	wantDepmod := []string{"/etc/depmod.d", "/run/depmod.d", "/usr/local/lib/depmod.d", "/usr/lib/depmod.d", "/lib/depmod.d"}
	if !reflect.DeepEqual(DefaultDepmodDirs, wantDepmod) {
		t.Errorf("DefaultDepmodDirs = %q, want %q", DefaultDepmodDirs, wantDepmod)
	}
}

// TestModprobeKmodDefaultPaths compares `modprobe -c` without -C, the
// system's own configuration, with kmod's.
func TestModprobeKmodDefaultPaths(t *testing.T) {
	t.Parallel()
	cmdline := testCmdline()
	root := t.TempDir()
	tc := modprobeCase{name: "defaults"}
	tc.build(t, root)
	wantOut, wantErr := runKmod(t, tc, root, cmdline)
	var out, errs bytes.Buffer
	cfg := LoadModprobeConfig(ModprobeOptions{
		ModuleDir:   root + "/lib/modules/" + testKernel,
		Cmdline:     cmdline,
		LegacyFiles: []string{},
		Report:      diag.LibkmodReporter(&errs, diag.Err, nil),
	})
	cfg.WriteShowConfig(&out)
	if out.String() != wantOut {
		t.Errorf("stdout differs from kmod's\n got: %q\nwant: %q", out.String(), wantOut)
	}
	if errs.String() != wantErr {
		t.Errorf("stderr differs from kmod's\n got: %q\nwant: %q", errs.String(), wantErr)
	}
}
