// Package getopt parses command lines the way kmod does, with glibc's
// getopt_long.
//
// Options may follow operands, short options combine (-av) and take
// attached values (-b/tmp/root, -S6.1.0), long options may be abbreviated
// to any unambiguous prefix and take their value as --opt=value or
// --opt value, and "--" ends the options. Scripts and initramfs generators
// depend on all of that. Normalize parses the way glibc does, reports
// errors in glibc's words, and returns the options in the order given (kmod
// acts on some of them in that order) with typed accessors, and a canonical
// argv: every option as --name[=value], then "--" and the operands.
//
// We do not hand that argv on to urfave/cli: it would add 2.3 MB to a
// binary that must stay under 4 MiB, and parse nothing this package has not
// parsed already.
package getopt

import (
	"fmt"
	"os"
	"strings"
)

// ArgKind says whether an option takes a value.
type ArgKind int

const (
	NoArg ArgKind = iota
	RequiredArg
	OptionalArg
)

// Option describes one option. Short is 0 for a long-only option, Long is
// empty for a short-only one. Options that share a Name are the same option
// spelled differently (kmod's --show and --dry-run).
type Option struct {
	Short rune
	Long  string
	Arg   ArgKind
	// Name is the canonical name handed to urfave/cli; it defaults to
	// Long, or to the short letter where there is no long name.
	Name string
}

func (o Option) name() string {
	switch {
	case o.Name != "":
		return o.Name
	case o.Long != "":
		return o.Long
	}
	return string(o.Short)
}

// Parsed is one option found on the command line.
type Parsed struct {
	Name     string // canonical name
	Value    string
	HasValue bool
	// Spelling is how the option was written, without its value ("-b",
	// "--basedir"); kmod quotes it in some warnings.
	Spelling string
}

// Result is a parsed command line.
type Result struct {
	Options  []Parsed
	Operands []string
}

// Has reports whether the named option was given.
func (r *Result) Has(name string) bool {
	return r.Count(name) > 0
}

// Count is how often the named option was given (-vvv is three).
func (r *Result) Count(name string) int {
	n := 0
	for _, p := range r.Options {
		if p.Name == name {
			n++
		}
	}
	return n
}

// String is the value of the last occurrence of the named option, as
// getopt loops leave it, or def where it was not given.
func (r *Result) String(name, def string) string {
	for i := len(r.Options) - 1; i >= 0; i-- {
		if r.Options[i].Name == name {
			return r.Options[i].Value
		}
	}
	return def
}

// Strings is the values of every occurrence of the named option, in order.
func (r *Result) Strings(name string) []string {
	var out []string
	for _, p := range r.Options {
		if p.Name == name {
			out = append(out, p.Value)
		}
	}
	return out
}

// Argv renders the result as a canonical argv (without the program name):
// every option as --name or --name=value, in the order given, then "--" and
// the operands. It parses back to the same result, which the fuzz target
// checks, and is what the applets log at debug level.
func (r *Result) Argv() []string {
	out := make([]string, 0, len(r.Options)+len(r.Operands)+1)
	for _, p := range r.Options {
		if p.HasValue {
			out = append(out, "--"+p.Name+"="+p.Value)
		} else {
			out = append(out, "--"+p.Name)
		}
	}
	out = append(out, "--")
	return append(out, r.Operands...)
}

// Error is a command-line error, worded as glibc's getopt words it.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// Normalize parses args (without the program name) against opts with GNU
// getopt_long's rules. prog is argv[0] as given, which glibc puts in front
// of its messages. With POSIXLY_CORRECT set in the environment, or
// stopAtOperand true (a "+" in kmod's option string), parsing stops at the
// first operand as POSIX requires.
func Normalize(prog string, args []string, opts []Option, stopAtOperand bool) (*Result, error) {
	if _, ok := os.LookupEnv("POSIXLY_CORRECT"); ok {
		stopAtOperand = true
	}
	return normalize(prog, args, opts, stopAtOperand)
}

func normalize(prog string, args []string, opts []Option, stopAtOperand bool) (*Result, error) {
	res := &Result{}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--":
			res.Operands = append(res.Operands, args[i+1:]...)
			return res, nil
		case strings.HasPrefix(arg, "--"):
			n, err := parseLong(prog, args, i, opts, res)
			if err != nil {
				return nil, err
			}
			i = n
		case len(arg) > 1 && arg[0] == '-':
			n, err := parseShort(prog, args, i, opts, res)
			if err != nil {
				return nil, err
			}
			i = n
		default:
			if stopAtOperand {
				res.Operands = append(res.Operands, args[i:]...)
				return res, nil
			}
			res.Operands = append(res.Operands, arg)
		}
	}
	return res, nil
}

func parseLong(prog string, args []string, i int, opts []Option, res *Result) (int, error) {
	body := args[i][2:]
	name, value, hasValue := strings.Cut(body, "=")

	match := -1
	var ambiguous []int
	for k, o := range opts {
		if o.Long == "" || !strings.HasPrefix(o.Long, name) {
			continue
		}
		if o.Long == name {
			match, ambiguous = k, nil
			break
		}
		if match < 0 {
			match = k
			continue
		}
		// glibc lets a prefix stand for several spellings of one option.
		m := opts[match]
		if m.name() != o.name() || m.Arg != o.Arg {
			if ambiguous == nil {
				ambiguous = []int{match}
			}
			ambiguous = append(ambiguous, k)
		}
	}
	if ambiguous != nil {
		var b strings.Builder
		// glibc quotes the word as given, value included.
		fmt.Fprintf(&b, "%s: option '--%s' is ambiguous; possibilities:", prog, body)
		for _, k := range ambiguous {
			fmt.Fprintf(&b, " '--%s'", opts[k].Long)
		}
		return 0, &Error{b.String()}
	}
	if match < 0 {
		return 0, &Error{fmt.Sprintf("%s: unrecognized option '%s'", prog, args[i])}
	}
	o := opts[match]
	p := Parsed{Name: o.name(), Spelling: "--" + o.Long}
	switch o.Arg {
	case NoArg:
		if hasValue {
			return 0, &Error{fmt.Sprintf("%s: option '--%s' doesn't allow an argument", prog, o.Long)}
		}
	case RequiredArg:
		if !hasValue {
			if i+1 >= len(args) {
				return 0, &Error{fmt.Sprintf("%s: option '--%s' requires an argument", prog, o.Long)}
			}
			i++
			value, hasValue = args[i], true
		}
	}
	p.Value, p.HasValue = value, hasValue
	res.Options = append(res.Options, p)
	return i, nil
}

func parseShort(prog string, args []string, i int, opts []Option, res *Result) (int, error) {
	arg := args[i]
	for j := 1; j < len(arg); j++ {
		c := rune(arg[j])
		o, ok := findShort(opts, c)
		if !ok {
			return 0, &Error{fmt.Sprintf("%s: invalid option -- '%c'", prog, c)}
		}
		p := Parsed{Name: o.name(), Spelling: "-" + string(c)}
		if o.Arg == NoArg {
			res.Options = append(res.Options, p)
			continue
		}
		switch rest := arg[j+1:]; {
		case rest != "":
			p.Value, p.HasValue = rest, true
		case o.Arg == RequiredArg:
			if i+1 >= len(args) {
				return 0, &Error{fmt.Sprintf("%s: option requires an argument -- '%c'", prog, c)}
			}
			i++
			p.Value, p.HasValue = args[i], true
		}
		res.Options = append(res.Options, p)
		break
	}
	return i, nil
}

func findShort(opts []Option, c rune) (Option, bool) {
	if c == ':' || c == '-' {
		return Option{}, false
	}
	for _, o := range opts {
		if o.Short == c {
			return o, true
		}
	}
	return Option{}, false
}
