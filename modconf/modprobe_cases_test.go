package modconf

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modutils/modutils/internal/diag"
)

// A modprobeCase is a configuration tree and how modprobe is pointed at it.
// Each case's expected `modprobe -c` output and messages were recorded from
// kmod 34.2 (TestModprobeKmod -update) into testdata/modprobe/NAME.stdout and
// NAME.stderr, with the tree's root written as ROOT; TestModprobeGolden
// replays them without kmod, TestModprobeKmod against kmod itself.
type modprobeCase struct {
	name string
	// files maps a path under the root to its content; "-> TARGET" makes a
	// symlink and a trailing "/" on the path a directory.
	files map[string]string
	// paths are the -C arguments, relative to the root ("ROOT/" is
	// replaced by the root for paths that need it as written).
	paths []string
	// softdep, when set, is ROOT/lib/modules/9.9/modules.softdep.
	softdep string
	// cmdline is /proc/cmdline for this case.
	cmdline string
}

const testKernel = "9.9"

// defaultTestCmdline is a plain boot command line that configures nothing.
const defaultTestCmdline = "BOOT_IMAGE=/boot/vmlinuz-9.9 root=UUID=0ab1 ro quiet\n"

var modprobeCases = []modprobeCase{
	{
		name: "every-directive",
		files: map[string]string{
			"c/a.conf": "# a comment\n" +
				"alias foo-bar baz-qux\n" +
				"alias pci:v*d*-x_y mod-a\n" +
				"alias a[-x]-b mod[-]-c\n" +
				"alias usb:v05ACp*d*dc*dsc*dp*ic03isc*ip*in* usbhid\n" +
				"blacklist bad-mod\n" +
				"blacklist x[-]y-z\n" +
				"options mod-a x=1\ty=2   z=\"a b\"\n" +
				"options mod-a w=3\n" +
				"options mod_a trailing=1   \n" +
				"options m1  two-spaces\n" +
				"options o-1 a # not a comment\n" +
				"install mod-b /bin/echo hi-there\n" +
				"install i-1   cmd\twith tab  \n" +
				"install wild-* /bin/true\n" +
				"remove mod-b /bin/echo bye\n" +
				"remove r-1 x\n" +
				"softdep mod-c pre: a-b c post: d-e f\n" +
				"softdep s1  pre: a b\n" +
				"softdep s2   pre: a post: b pre: c\n" +
				"softdep s3 pre:\n" +
				"softdep s4 x pre: y post:\n" +
				"softdep s5 pre:a post: b\t\tc \n" +
				"softdep s6 post: z pre: y\n" +
				"softdep s7 pre: a\vb\fc post:\rd\n" +
				"softdep s8 \tpre: a\n" +
				"alias extra words are ignored\n" +
				"blacklist two words\n",
		},
		paths: []string{"c"},
	},
	{
		name: "order-across-dirs",
		files: map[string]string{
			"d1/10-a.conf":     "alias a1 m1\noptions m x=1\n",
			"d1/30-c.conf":     "alias a3 m3\noptions m x=3\n",
			"d2/10-a.conf":     "alias hidden-by-d1 m\n",
			"d2/20-b.conf":     "alias a2 m2\noptions m x=2\n",
			"d2/40-d.conf":     "alias a4 m4\nsoftdep m pre: a4\n",
			"d3/05-first.conf": "install m /bin/true\n",
			"single":           "alias single-file m\n",
			"other/20-b.conf":  "alias single-hidden m\n",
			"d2/z.alias":       "alias dot-alias-suffix m\n",
		},
		paths: []string{"d1", "d2", "single", "other/20-b.conf", "d3/"},
	},
	{
		name: "masking",
		files: map[string]string{
			"etc/vendor.conf": "-> /dev/null",
			"lib/vendor.conf": "blacklist vendor-would-blacklist\n",
			"lib/keep.conf":   "blacklist kept\n",
			"etc/empty.conf":  "",
		},
		paths: []string{"etc", "lib"},
	},
	{
		name: "entries-skipped",
		files: map[string]string{
			"c/.hidden.conf":    "alias hidden m\n",
			"c/noext":           "alias noext m\n",
			"c/x.confx":         "alias confx m\n",
			"c/.conf":           "alias dotconf m\n",
			"c/a.conf/":         "",
			"c/b.conf/":         "",
			"c/linkdir.conf":    "-> a.conf",
			"c/ok.conf":         "alias ok m\n",
			"c/UPPER.CONF":      "alias upper m\n",
			"c/short.alias":     "alias short-alias m\n",
			"c/a.alias/":        "",
			"notthere-sibling/": "",
		},
		paths: []string{"c/", "notthere", "c"},
	},
	{
		name: "bad-lines",
		files: map[string]string{
			"c/bad.conf": "bogus line here\n" +
				"alias onlyone\n" +
				"alias\n" +
				"options nooptions\n" +
				"options m2 \n" +
				"install noinstall\n" +
				"remove noremove\n" +
				"softdep nosoftdep\n" +
				"blacklist\n" +
				"  leading space line\n" +
				"\talias tab-lead x\n" +
				"  # indented comment\n" +
				"include /etc/other.conf\n" +
				"config foo\n" +
				"alias a]b c\n" +
				"alias a[b c\n" +
				"alias ok x]y\n" +
				"options a]b x=1\n" +
				"blacklist a[b\n" +
				"Alias upper case\n" +
				"alias\vvtab x\n" +
				"alias good line\n",
		},
		paths: []string{"c"},
	},
	{
		name: "line-syntax",
		files: map[string]string{
			"c/a.conf": "alias cont \\\n  continued\n" +
				"options m a=1 \\\n b=2 \\\n\\\n c=3\n" +
				"alias esc\\aped m\\-x\n" +
				"alias crlf mod\r\n" +
				"alias nul-in\x00side m\n" +
				"\n\n\n" +
				"bogus after blank lines\n" +
				"bad \\\ncontinued \\\nthree\n" +
				"bogus after continuation\n" +
				"options last y=1\\",
			"c/b.conf": "alias high\xff\xfe byte\nbad\xe9 line\n",
			"c/c.conf": "alias no-newline m",
		},
		paths: []string{"c"},
	},
	{
		name: "dash-underscore",
		files: map[string]string{
			"c/a.conf": "alias my-alias my-mod\n" +
				"alias my_alias2 my_mod\n" +
				"options my-mod a-b=c-d\n" +
				"install my-mod modprobe --ignore-install my-mod\n" +
				"remove my_mod rm-cmd\n" +
				"blacklist snd-pcsp\n" +
				"softdep my-mod pre: a-b post: c_d\n" +
				"alias sym:a[-_]b-c m\n" +
				"alias x-[a-c]-[!-]-y m-[1-2]\n",
		},
		paths: []string{"c"},
	},
	{
		name: "modules-softdep",
		files: map[string]string{
			"c/a.conf":                    "alias before m\n",
			"c/modules.softdep.conf":      "alias after m\n",
			"c/n.conf":                    "softdep n pre: x\n",
			"modules.softdep":             "alias single-named-modules.softdep m\n",
			"lib/modules/9.9/other.conf/": "",
		},
		softdep: "# Soft dependencies extracted from modules themselves.\n" +
			"softdep snd_hda pre: snd_a post: snd_b\n" +
			"alias from-softdep-file m\n" +
			"bogus\n",
		paths: []string{"c", "modules.softdep"},
	},
	{
		name:  "no-paths",
		paths: []string{"nonexistent"},
	},
	{
		name:    "cmdline-basic",
		paths:   []string{"nonexistent"},
		cmdline: "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet foo.bar=1 x-y.z=3 snd-hda.model=auto nomodule\n",
	},
	{
		name:    "cmdline-blacklist",
		paths:   []string{"nonexistent"},
		cmdline: "modprobe.blacklist=a-b,c modprobe.blacklist= modprobe.blacklist=x,,y, modprobe.blacklist modprobe.other=1 modprobe.blacklistx=1\n",
	},
	{
		name:  "cmdline-quotes",
		paths: []string{"nonexistent"},
		cmdline: `"quoted.x=1 2" q.v="a b" parport.dyndbg="file drivers/parport/ieee1284_ops.c +mpf" ` +
			`"parport.dyndbg=file drivers/x.c +p" "modprobe.blacklist=a,b" a"b.c=1 a.b"c=1 "a.b"=c "a b.c=1" ` +
			`x.y="unterminated z.w=1` + "\n",
	},
	{
		name:  "cmdline-quotes-closed",
		paths: []string{"nonexistent"},
		cmdline: `m.p="a b"tail n.q="x"y"z" "o.r=s"t "u.v="w" ""w.x=1 "".y=2 k.l=""` +
			"\n",
	},
	{
		name:    "cmdline-odd",
		paths:   []string{"nonexistent"},
		cmdline: ".bad=1 m.=2 a.b.c=1 a.b=c.d=e =x.y x=y.z a..b=1 a] .x a[b.c=1 a]b.c=1 a-b[c].d=1 m.p\tn.q=1\vo.r=2\x0cp.s=3\rq.t=4 last.word=end",
	},
	{
		name:    "cmdline-separators",
		paths:   []string{"nonexistent"},
		cmdline: "   a.b=1    c.d=2\t\te.f\n\ng.h=3 ",
	},
	{
		name:    "cmdline-empty",
		paths:   []string{"nonexistent"},
		cmdline: "",
	},
	{
		name:    "cmdline-and-files",
		files:   map[string]string{"c/a.conf": "options m x=1\nblacklist b\n"},
		paths:   []string{"c"},
		cmdline: "m.y=2 modprobe.blacklist=c m.x=3\n",
	},
	{
		name:    "cmdline-long",
		paths:   []string{"nonexistent"},
		cmdline: strings.Repeat("a.b=1 ", 682) + "cut.here=123456789",
	},
}

// build makes the case's tree under root.
func (tc modprobeCase) build(t *testing.T, root string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(root, "lib/modules", testKernel), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range tc.files {
		p := filepath.Join(root, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(content, "-> "); ok {
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if tc.softdep != "" {
		if err := os.WriteFile(filepath.Join(root, "lib/modules", testKernel, "modules.softdep"), []byte(tc.softdep), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// args are the -C arguments for the tree at root.
func (tc modprobeCase) args(root string) []string {
	var out []string
	for _, p := range tc.paths {
		out = append(out, root+"/"+p)
	}
	return out
}

func (tc modprobeCase) kernelCmdline() string {
	if tc.cmdline == "" && !strings.HasPrefix(tc.name, "cmdline-") {
		return defaultTestCmdline
	}
	return tc.cmdline
}

// runOurs is `modprobe -c -C ... -d root -S 9.9` by modconf: stdout, and
// the messages as kmod's modprobe prints them.
func runOurs(t *testing.T, tc modprobeCase, root, cmdline string) (stdout, stderr string) {
	t.Helper()
	var out, errs bytes.Buffer
	other := func(level diag.Level, format string, args ...any) {
		t.Errorf("unexpected non-libkmod message: "+format, args...)
	}
	cfg := LoadModprobeConfig(ModprobeOptions{
		Paths:     tc.args(root),
		ModuleDir: root + "/lib/modules/" + testKernel,
		Cmdline:   cmdline,
		Report:    diag.LibkmodReporter(&errs, diag.Err, other),
	})
	if err := cfg.WriteShowConfig(&out); err != nil {
		t.Fatal(err)
	}
	return out.String(), errs.String()
}

// rootless replaces the test's root directory by ROOT.
func rootless(s, root string) string {
	return strings.ReplaceAll(s, root, "ROOT")
}
