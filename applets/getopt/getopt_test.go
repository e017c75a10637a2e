package getopt

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/modutils/modutils/internal/debtree"
)

// table is one of kmod 34.2's option tables (tools/*.c), as getopt(1)
// takes it too: optstring and long options in table order, since glibc
// lists ambiguous candidates in that order.
type table struct {
	name   string // the tool: argv[0]
	shorts string
	longs  []Long
}

// longs builds a table the way kmod's are written: "name" takes no
// value, "name:" one, "name::" an optional one; val is the letter or
// number kmod returns for it.
func longs(spec ...any) []Long {
	var out []Long
	for i := 0; i < len(spec); i += 2 {
		name, val := spec[i].(string), spec[i+1].(rune)
		l := Long{Name: strings.TrimRight(name, ":"), Val: val}
		switch {
		case strings.HasSuffix(name, "::"):
			l.Arg = OptionalArg
		case strings.HasSuffix(name, ":"):
			l.Arg = RequiredArg
		}
		out = append(out, l)
	}
	return out
}

var tables = []table{
	{"depmod", "aAb:m:o:C:E:F:evnP:wVh", longs(
		"all", 'a', "quick", 'A', "basedir:", 'b', "moduledir:", 'm', "outdir:", 'o',
		"config:", 'C', "symvers:", 'E', "filesyms:", 'F', "errsyms", 'e', "verbose", 'v',
		"show", 'n', "dry-run", 'n', "symbol-prefix:", 'P', "warn", 'w', "version", 'V', "help", 'h')},
	{"modprobe", "arw:RibfDcnC:d:S:sqvVh", longs(
		"all", 'a', "remove", 'r', "remove-dependencies", rune(5), "remove-holders", rune(5),
		"wait:", 'w', "resolve-alias", 'R', "first-time", rune(3), "ignore-install", 'i',
		"ignore-remove", 'i', "use-blacklist", 'b', "force", 'f', "force-modversion", rune(2),
		"force-vermagic", rune(1), "show-depends", 'D', "showconfig", 'c', "show-config", 'c',
		"show-modversions", rune(4), "dump-modversions", rune(4), "show-exports", rune(6),
		"dry-run", 'n', "show", 'n', "config:", 'C', "dirname:", 'd', "set-version:", 'S',
		"syslog", 's', "quiet", 'q', "verbose", 'v', "version", 'V', "help", 'h')},
	{"modinfo", "adlpn0mF:k:b:Vh", longs(
		"author", 'a', "description", 'd', "license", 'l', "parameters", 'p', "filename", 'n',
		"null", '0', "modname", 'm', "field:", 'F', "set-version:", 'k', "basedir:", 'b',
		"version", 'V', "help", 'h')},
	{"insmod", "fsvVh", longs("force", 'f', "syslog", 's', "verbose", 'v', "version", 'V', "help", 'h')},
	{"lsmod", "svVh", longs("syslog", 's', "verbose", 'v', "version", 'V', "help", 'h')},
	{"kmod", "+hV", longs("help", 'h', "version", 'V')},
	// Not kmod's: optional values and operands returned in order.
	{"opt", "-ab::c:", longs("alpha", 'a', "beta::", 'b', "gamma:", 'c', "gam", 'g')},
}

func tableIndex(name string) int {
	for i, tb := range tables {
		if tb.name == name {
			return i
		}
	}
	panic("no table " + name)
}

func tableNamed(name string) table { return tables[tableIndex(name)] }

// parse runs a whole loop as getopt(1) runs it, going on after errors, and
// renders what it returned in getopt(1)'s output format.
func parse(tb table, shorts string, longs []Long, args []string, posix bool) (stdout, stderr string, code int) {
	var errs, out bytes.Buffer
	p := New(tb.name, args, shorts, longs, posix, &errs)
	for o := range p.Options() {
		switch {
		case o.Val == Invalid:
			code = 1
		case o.LongIndex >= 0:
			out.WriteString(" --" + longs[o.LongIndex].Name)
			if longs[o.LongIndex].Arg != NoArg {
				out.WriteString(" " + shellQuote(o.Arg))
			}
		case o.Val == Operand:
			out.WriteString(" " + shellQuote(o.Arg))
		default:
			out.WriteString(" -" + string([]byte{byte(o.Val)}))
			if i := strings.IndexByte(shorts, byte(o.Val)); i >= 0 && strings.HasPrefix(shorts[i+1:], ":") {
				out.WriteString(" " + shellQuote(o.Arg))
			}
		}
	}
	out.WriteString(" --")
	for _, a := range p.Operands() {
		out.WriteString(" " + shellQuote(a))
	}
	out.WriteString("\n")
	return out.String(), errs.String(), code
}

// shellQuote is getopt(1)'s quoting for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// getoptCases are named command lines with what getopt(1) makes of them;
// they seed FuzzGetopt too.
var getoptCases = []struct {
	name  string
	table string
	args  []string
	posix bool
	want  string // getopt(1)'s output
	err   string
}{
	{"empty", "depmod", nil, false, " --\n", ""},
	{"options after operands", "depmod", []string{"6.1.0", "-a", "-b", "/tmp/r"}, false, " -a -b '/tmp/r' -- '6.1.0'\n", ""},
	{"combined shorts", "depmod", []string{"-av"}, false, " -a -v --\n", ""},
	{"attached value", "depmod", []string{"-b/tmp/root", "6.1.0"}, false, " -b '/tmp/root' -- '6.1.0'\n", ""},
	{"combined then attached", "depmod", []string{"-avb/x"}, false, " -a -v -b '/x' --\n", ""},
	{"value may start with a dash", "depmod", []string{"-b", "-a"}, false, " -b '-a' --\n", ""},
	{"value may be --", "depmod", []string{"-b", "--", "x"}, false, " -b '--' -- 'x'\n", ""},
	{"long with equals", "depmod", []string{"--basedir=/r"}, false, " --basedir '/r' --\n", ""},
	{"long with empty value", "depmod", []string{"--basedir="}, false, " --basedir '' --\n", ""},
	{"long with separate value", "depmod", []string{"--basedir", "/r", "x"}, false, " --basedir '/r' -- 'x'\n", ""},
	{"long abbreviation", "depmod", []string{"--bas=/r"}, false, " --basedir '/r' --\n", ""},
	{"abbreviation of one option's two names", "depmod", []string{"--dry"}, false, " --dry-run --\n", ""},
	{"double dash ends options", "depmod", []string{"-a", "--", "-v", "x"}, false, " -a -- '-v' 'x'\n", ""},
	{"operands before and after double dash", "depmod", []string{"x", "-a", "--", "-v"}, false, " -a -- 'x' '-v'\n", ""},
	{"lone dash is an operand", "depmod", []string{"-", "-a"}, false, " -a -- '-'\n", ""},
	{"empty word is an operand", "depmod", []string{"", "-a"}, false, " -a -- ''\n", ""},
	{"quote in an operand", "depmod", []string{"it's"}, false, " -- 'it'\\''s'\n", ""},
	{"POSIXLY_CORRECT stops at the first operand", "depmod", []string{"-a", "x", "-v"}, true, " -a -- 'x' '-v'\n", ""},
	{"plus stops at the first operand", "kmod", []string{"-V", "list", "-h"}, false, " -V -- 'list' '-h'\n", ""},
	{"invalid short", "depmod", []string{"-x"}, false, " --\n", "depmod: invalid option -- 'x'\n"},
	{"invalid short inside cluster, the rest goes on", "depmod", []string{"-axv"}, false, " -a -v --\n", "depmod: invalid option -- 'x'\n"},
	{"invalid byte as it is", "depmod", []string{"-\xff\x01"}, false, " --\n", "depmod: invalid option -- '\xff'\ndepmod: invalid option -- '\x01'\n"},
	{"colon is never an option", "depmod", []string{"-:"}, false, " --\n", "depmod: invalid option -- ':'\n"},
	{"missing short argument", "depmod", []string{"-b"}, false, " --\n", "depmod: option requires an argument -- 'b'\n"},
	{"missing long argument", "depmod", []string{"--basedir"}, false, " --\n", "depmod: option '--basedir' requires an argument\n"},
	{"missing argument of an abbreviation names the option", "depmod", []string{"--bas"}, false, " --\n", "depmod: option '--basedir' requires an argument\n"},
	{"unrecognized long", "depmod", []string{"--foo=bar"}, false, " --\n", "depmod: unrecognized option '--foo=bar'\n"},
	{"argument not allowed", "depmod", []string{"--al=3"}, false, " --\n", "depmod: option '--all' doesn't allow an argument\n"},
	{"ambiguous", "depmod", []string{"--s"}, false, " --\n", "depmod: option '--s' is ambiguous; possibilities: '--symvers' '--show' '--symbol-prefix'\n"},
	{"ambiguous with value", "depmod", []string{"--s=x"}, false, " --\n", "depmod: option '--s=x' is ambiguous; possibilities: '--symvers' '--show' '--symbol-prefix'\n"},
	{"ambiguous two", "depmod", []string{"--ver"}, false, " --\n", "depmod: option '--ver' is ambiguous; possibilities: '--verbose' '--version'\n"},
	{"empty name matches every option", "lsmod", []string{"--=1"}, false, " --\n", "lsmod: option '--=1' is ambiguous; possibilities: '--syslog' '--verbose' '--version' '--help'\n"},
	{"exact match beats prefix", "opt", []string{"--gam"}, false, " --gam --\n", ""},
	{"optional short attached", "opt", []string{"-bx", "-b", "y"}, false, " -b 'x' -b '' 'y' --\n", ""},
	{"optional long", "opt", []string{"--beta=1", "--beta", "y"}, false, " --beta '1' --beta '' 'y' --\n", ""},
	{"operands in order", "opt", []string{"x", "-a", "y"}, false, " 'x' -a 'y' --\n", ""},
}

func TestGetopt(t *testing.T) {
	t.Parallel()
	for _, tt := range getoptCases {
		t.Run(tt.name, func(t *testing.T) {
			tb := tableNamed(tt.table)
			got, errs, _ := parse(tb, tb.shorts, tb.longs, tt.args, tt.posix)
			if got != tt.want || errs != tt.err {
				t.Errorf("%s %q:\ngot  %q, errors %q\nwant %q, errors %q", tt.table, tt.args, got, errs, tt.want, tt.err)
			}
		})
	}
}

// kmod's tables give two long names of one option the same val: a prefix
// of both is not ambiguous, but glibc compares each later match with the
// first match only.
func TestAmbiguity(t *testing.T) {
	t.Parallel()
	mp := tableNamed("modprobe")
	tests := []struct {
		arg, want, err string
	}{
		{"--remove-", " --remove-dependencies --\n", ""},
		{"--ig", " --ignore-install --\n", ""},
		{"--rem", " --\n", "modprobe: option '--rem' is ambiguous; possibilities: '--remove' '--remove-dependencies' '--remove-holders'\n"},
		{"--show-", " --\n", "modprobe: option '--show-' is ambiguous; possibilities: '--show-depends' '--show-config' '--show-modversions' '--show-exports'\n"},
	}
	for _, tt := range tests {
		got, errs, _ := parse(mp, mp.shorts, mp.longs, []string{tt.arg}, false)
		if got != tt.want || errs != tt.err {
			t.Errorf("%s: got %q, errors %q; want %q, errors %q", tt.arg, got, errs, tt.want, tt.err)
		}
	}
}

func TestOptind(t *testing.T) {
	t.Parallel()
	kmod := tableNamed("kmod")
	for _, tt := range []struct {
		args []string
		want int
	}{
		{nil, 0},
		{[]string{"list", "-V"}, 0},
		{[]string{"-V", "list"}, 1},
		{[]string{"--", "list"}, 1},
	} {
		p := New("kmod", tt.args, kmod.shorts, kmod.longs, false, nil)
		for range p.Options() {
		}
		if got := p.Optind(); got != tt.want {
			t.Errorf("%q: optind %d, want %d", tt.args, got, tt.want)
		}
	}
	// Permuted, the operands come last: optind is where they start.
	dm := tableNamed("depmod")
	p := New("depmod", []string{"x", "-a", "y", "-b", "z"}, dm.shorts, dm.longs, false, nil)
	for range p.Options() {
	}
	if got := p.Optind(); got != 3 {
		t.Errorf("permuted: optind %d, want 3", got)
	}
}

func TestStopEarly(t *testing.T) {
	t.Parallel()
	// kmod returns from its loop at -h: what follows is never parsed,
	// so a bad option after it is never reported.
	var errs bytes.Buffer
	p := New("depmod", []string{"-h", "-x", "--bogus"}, "aAb:m:o:C:E:F:evnP:wVh", nil, false, &errs)
	for o := range p.Options() {
		if o.Val != 'h' {
			t.Fatalf("first option %q, want h", o.Val)
		}
		break
	}
	if errs.Len() != 0 {
		t.Errorf("errors %q after breaking out at -h", errs.String())
	}
}

// FuzzGetopt compares the parser with util-linux getopt(1), which is
// glibc's getopt_long (on this machine the system's glibc), over kmod's
// tables: its normalized command line, its errors and its exit code.
// getopt(1) gives every long option a value of its own, so no two long
// names are one option there; the fuzz gives ours distinct values too.
//
// Each input costs an exec of getopt(1), a millisecond or two: the
// Makefile runs this target for a tenth of the others' budget.
//
// fuzzbudget: 1/10
func FuzzGetopt(f *testing.F) {
	getopt, err := exec.LookPath("getopt")
	if err != nil {
		debtree.Missing(f, "util-linux getopt(1) is not installed")
	}
	for _, c := range getoptCases {
		f.Add(uint8(tableIndex(c.table)), c.posix, strings.Join(c.args, "\x00"))
	}
	for i := range tables {
		for _, seed := range []string{
			"-avb/x\x00--bas\x00y\x00--\x00-z", "--s\x00--opt=\x00-", "x\x00-h\x00-x", "--ver",
			"-b", "--basedir", "--foo=bar", "--all=3", "-\xff", "--=", "--dry", "--rem", "-Vx",
			"--show-", "--ig", "list\x00-V", "-k", "--set", "--field=x\x00-F", "-bx\x00--beta",
		} {
			f.Add(uint8(i), false, seed)
			f.Add(uint8(i), true, seed)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, posix bool, joined string) {
		tb := tables[int(which)%len(tables)]
		var args []string
		if joined != "" {
			args = strings.Split(joined, "\x00")
		}
		if len(args) > 32 {
			return
		}
		// getopt(1) hands glibc a "+" in front of its optstring under
		// POSIXLY_CORRECT.
		shorts := tb.shorts
		if posix && !strings.HasPrefix(shorts, "+") {
			shorts = "+" + shorts
		}
		var names []string
		distinct := make([]Long, len(tb.longs))
		for i, l := range tb.longs {
			names = append(names, l.Name+[]string{"", ":", "::"}[l.Arg])
			distinct[i] = Long{Name: l.Name, Arg: l.Arg, Val: rune(0x100 + i)}
		}
		cmd := exec.Command(getopt, append([]string{"-o", shorts, "-l", strings.Join(names, ","), "-n", tb.name, "--"}, args...)...)
		cmd.Env = []string{}
		if posix {
			cmd.Env = []string{"POSIXLY_CORRECT=1"}
		}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		code := 0
		if err := cmd.Run(); err != nil {
			ee, ok := err.(*exec.ExitError)
			if !ok {
				t.Fatal(err)
			}
			code = ee.ExitCode()
		}
		got, gotErr, gotCode := parse(tb, shorts, distinct, args, posix)
		if got != stdout.String() || gotErr != stderr.String() || gotCode != code {
			t.Errorf("%s %q (POSIXLY_CORRECT %v):\nours     %q %q exit %d\ngetopt(1) %q %q exit %d",
				tb.name, args, posix, got, gotErr, gotCode, stdout.String(), stderr.String(), code)
		}
	})
}
