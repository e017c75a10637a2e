package getopt

import (
	"reflect"
	"strings"
	"testing"
)

// depmodOptions is kmod 30's depmod option table, in its order: glibc lists
// ambiguous candidates in table order.
var depmodOptions = []Option{
	{Short: 'a', Long: "all"},
	{Short: 'A', Long: "quick"},
	{Short: 'b', Long: "basedir", Arg: RequiredArg},
	{Short: 'C', Long: "config", Arg: RequiredArg},
	{Short: 'E', Long: "symvers", Arg: RequiredArg},
	{Short: 'F', Long: "filesyms", Arg: RequiredArg},
	{Short: 'e', Long: "errsyms"},
	{Short: 'u', Long: "unresolved-error"},
	{Short: 'q', Long: "quiet"},
	{Short: 'r', Long: "root"},
	{Short: 'v', Long: "verbose"},
	{Short: 'n', Long: "show", Name: "show"},
	{Long: "dry-run", Name: "show"},
	{Short: 'P', Long: "symbol-prefix", Arg: RequiredArg},
	{Short: 'w', Long: "warn"},
	{Short: 'm', Long: "map"},
	{Short: 'V', Long: "version"},
	{Short: 'h', Long: "help"},
	{Short: 'o', Long: "outdir", Arg: RequiredArg},
	{Long: "opt", Arg: OptionalArg},
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    string // Argv joined by spaces
		wantErr string
	}{
		{"empty", nil, "--", ""},
		{"options after operands", []string{"6.1.0", "-a", "-b", "/tmp/r"}, "--all --basedir=/tmp/r -- 6.1.0", ""},
		{"combined shorts", []string{"-av"}, "--all --verbose --", ""},
		{"attached value", []string{"-b/tmp/root", "6.1.0"}, "--basedir=/tmp/root -- 6.1.0", ""},
		{"combined then attached", []string{"-avb/x"}, "--all --verbose --basedir=/x --", ""},
		{"value may start with a dash", []string{"-b", "-a"}, "--basedir=-a --", ""},
		{"long with equals", []string{"--basedir=/r"}, "--basedir=/r --", ""},
		{"long with separate value", []string{"--basedir", "/r", "x"}, "--basedir=/r -- x", ""},
		{"long abbreviation", []string{"--bas=/r"}, "--basedir=/r --", ""},
		{"abbreviation of aliases is not ambiguous", []string{"--dry"}, "--show --", ""},
		{"exact match beats prefix", []string{"--opt"}, "--opt --", ""},
		{"optional argument attached", []string{"--opt=1"}, "--opt=1 --", ""},
		{"optional argument is not taken from the next word", []string{"--opt", "x"}, "--opt -- x", ""},
		{"double dash ends options", []string{"-a", "--", "-v", "x"}, "--all -- -v x", ""},
		{"lone dash is an operand", []string{"-", "-a"}, "--all -- -", ""},
		{"repeated option kept in order", []string{"-C", "a", "-v", "-C", "b"}, "--config=a --verbose --config=b --", ""},
		{"invalid short", []string{"-x"}, "", "depmod: invalid option -- 'x'"},
		{"invalid short inside group", []string{"-axv"}, "", "depmod: invalid option -- 'x'"},
		{"missing short argument", []string{"-b"}, "", "depmod: option requires an argument -- 'b'"},
		{"missing long argument", []string{"--basedir"}, "", "depmod: option '--basedir' requires an argument"},
		{"unrecognized long", []string{"--foo=bar"}, "", "depmod: unrecognized option '--foo=bar'"},
		{"argument not allowed", []string{"--all=3"}, "", "depmod: option '--all' doesn't allow an argument"},
		{"ambiguous", []string{"--s"}, "", "depmod: option '--s' is ambiguous; possibilities: '--symvers' '--show' '--symbol-prefix'"},
		{"ambiguous with value", []string{"--s=x"}, "", "depmod: option '--s=x' is ambiguous; possibilities: '--symvers' '--show' '--symbol-prefix'"},
		{"ambiguous two", []string{"--ver"}, "", "depmod: option '--ver' is ambiguous; possibilities: '--verbose' '--version'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("POSIXLY_CORRECT", "")
			res, err := normalizeNoEnv(tt.args)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if got := strings.Join(res.Argv(), " "); got != tt.want {
				t.Errorf("argv = %q, want %q", got, tt.want)
			}
		})
	}
}

func normalizeNoEnv(args []string) (*Result, error) {
	return normalize("depmod", args, depmodOptions, false)
}

func TestStopAtOperand(t *testing.T) {
	res, err := normalize("modprobe", []string{"-v", "foo", "-a"}, depmodOptions, true)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"foo", "-a"}; !reflect.DeepEqual(res.Operands, want) {
		t.Errorf("operands = %q, want %q", res.Operands, want)
	}
}

func TestSpelling(t *testing.T) {
	res, err := normalizeNoEnv([]string{"-q", "--ro"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range res.Options {
		got = append(got, p.Spelling)
	}
	if want := []string{"-q", "--root"}; !reflect.DeepEqual(got, want) {
		t.Errorf("spellings = %q, want %q", got, want)
	}
}

func FuzzNormalize(f *testing.F) {
	f.Add("-avb/x\x00--bas\x00y\x00--\x00-z")
	f.Add("--s\x00--opt=\x00-")
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		res, err := normalizeNoEnv(args)
		if err != nil {
			return
		}
		// A normalized command line must parse to itself.
		again, err := normalizeNoEnv(res.Argv())
		if err != nil {
			t.Fatalf("re-parse of %q: %v", res.Argv(), err)
		}
		if !reflect.DeepEqual(again.Operands, res.Operands) && !(len(again.Operands) == 0 && len(res.Operands) == 0) {
			t.Fatalf("operands changed: %q -> %q", res.Operands, again.Operands)
		}
	})
}
