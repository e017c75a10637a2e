// Package getopt is glibc's getopt_long as an iterator: applets drive it
// the way kmod's tools drive getopt_long in a loop, acting on each option
// as it comes, so that "depmod -h -x" prints the help before the bad
// option is ever looked at.
//
// It follows glibc 2.41's posix/getopt.c: the short options of an
// optstring ("ab:c::", with a leading "+" to stop at the first operand and
// "-" to return operands in order), a table of long options that may be
// abbreviated to any prefix (an exact match wins; a prefix is ambiguous
// unless every option it matches has the first one's argument kind and
// value), values attached (-b/r, --basedir=/r) or in the next word,
// optional values only attached, operands permuted behind the options
// unless POSIXLY_CORRECT is set, "--" ending the options, and every error
// in glibc's words, after argv[0] as given. The caller passes
// POSIXLY_CORRECT in: this package reads no environment.
//
// kmod's tools must parse their command lines as glibc does, which no
// general CLI library does, so these few hundred lines serve insmod,
// rmmod, lsmod, modprobe, depmod, modinfo and kmod. urfave/cli serves only
// the commands kmod has no counterpart for (modutils itself, kerneld,
// kdstat), whose command lines no script expects in glibc's shape.
package getopt

import (
	"fmt"
	"io"
	"iter"
	"strings"
)

// ArgKind says whether an option takes a value: glibc's has_arg.
type ArgKind int

const (
	NoArg ArgKind = iota
	RequiredArg
	OptionalArg
)

// Long is one entry of a getopt_long table (struct option with a NULL
// flag): Next reports it as Val, which kmod makes the short letter or a
// small number of its own.
type Long struct {
	Name string
	Arg  ArgKind
	Val  rune
}

// Values Opt.Val takes besides the options' own.
const (
	// Invalid is getopt_long's '?': an error, already reported.
	Invalid = '?'
	// Operand is what a "-" optstring returns an operand as (glibc's 1).
	Operand = 1
)

// Opt is one thing getopt_long returned.
type Opt struct {
	// Val is the short letter, the long option's Val, Invalid or Operand.
	Val rune
	// Arg is optarg; HasArg says whether glibc set it at all (an optional
	// value that was not given leaves it NULL).
	Arg    string
	HasArg bool
	// LongIndex is the matched entry of the long table (glibc's longind),
	// or -1 for a short option.
	LongIndex int
	// Err is the message for Invalid, as glibc prints it without its
	// newline.
	Err *Error
}

// Error is a command-line error in glibc's words.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

type ordering int

const (
	permute ordering = iota
	requireOrder
	returnInOrder
)

// Parser is one getopt_long loop over a command line.
type Parser struct {
	prog     string
	args     []string
	shorts   string
	longs    []Long
	order    ordering
	errors   io.Writer
	optind   int
	nextchar string // the rest of a cluster of short options
	operands []string
	done     bool
}

// New starts a getopt_long loop over args (argv without argv[0]). prog is
// argv[0] as given, which glibc puts in front of its messages; errors, when
// not nil, receives each message as glibc prints it (opterr). With
// posixlyCorrect (POSIXLY_CORRECT in the caller's environment) parsing
// stops at the first operand, as a "+" optstring asks too.
func New(prog string, args []string, shorts string, longs []Long, posixlyCorrect bool, errors io.Writer) *Parser {
	p := &Parser{prog: prog, args: args, longs: longs, errors: errors}
	switch {
	case strings.HasPrefix(shorts, "-"):
		p.order, shorts = returnInOrder, shorts[1:]
	case strings.HasPrefix(shorts, "+"):
		p.order, shorts = requireOrder, shorts[1:]
	case posixlyCorrect:
		p.order = requireOrder
	}
	p.shorts = shorts
	return p
}

// Options yields what successive getopt_long calls return, until it
// returns -1. Breaking out of the loop leaves the rest unparsed, as
// returning from kmod's loop does.
func (p *Parser) Options() iter.Seq[Opt] {
	return func(yield func(Opt) bool) {
		for {
			o, ok := p.Next()
			if !ok || !yield(o) {
				return
			}
		}
	}
}

// Operands is what is left for the caller once Options is done: argv from
// optind, the operands in the order given.
func (p *Parser) Operands() []string {
	if !p.done {
		return append(p.operands[:len(p.operands):len(p.operands)], p.args[p.optind:]...)
	}
	return p.operands
}

// Optind is glibc's optind once the loop is done, counted in args (glibc's
// less one): the operands start there in glibc's permuted argv. kmod's own
// loop hands the rest of its command line on to a command from there.
func (p *Parser) Optind() int { return len(p.args) - len(p.Operands()) }

// isOperand is glibc's NONOPTION_P.
func isOperand(a string) bool { return len(a) < 2 || a[0] != '-' }

// Next is one getopt_long call; false is its -1.
func (p *Parser) Next() (Opt, bool) {
	if p.done {
		return Opt{}, false
	}
	if p.nextchar == "" {
		if p.order == permute {
			// glibc moves the operands it skips behind the options; in
			// the end they come out in the order given.
			for p.optind < len(p.args) && isOperand(p.args[p.optind]) {
				p.operands = append(p.operands, p.args[p.optind])
				p.optind++
			}
		}
		if p.optind < len(p.args) && p.args[p.optind] == "--" {
			p.optind++
			return p.finish()
		}
		if p.optind == len(p.args) {
			return p.finish()
		}
		a := p.args[p.optind]
		if isOperand(a) {
			if p.order == requireOrder {
				return p.finish()
			}
			p.optind++
			return Opt{Val: Operand, Arg: a, HasArg: true, LongIndex: -1}, true
		}
		if a[1] == '-' {
			p.optind++
			return p.long(a[2:]), true
		}
		p.nextchar = a[1:]
	}
	return p.short(), true
}

func (p *Parser) finish() (Opt, bool) {
	p.operands = append(p.operands, p.args[p.optind:]...)
	p.optind = len(p.args)
	p.done = true
	return Opt{}, false
}

func (p *Parser) fail(format string, args ...any) Opt {
	e := &Error{fmt.Sprintf("%s: "+format, append([]any{p.prog}, args...)...)}
	if p.errors != nil {
		io.WriteString(p.errors, e.Msg+"\n")
	}
	return Opt{Val: Invalid, LongIndex: -1, Err: e}
}

// short takes the next letter of a cluster.
func (p *Parser) short() Opt {
	c := p.nextchar[0]
	p.nextchar = p.nextchar[1:]
	// glibc moves past the word as it takes its last letter.
	if p.nextchar == "" {
		p.optind++
	}
	i := strings.IndexByte(p.shorts, c)
	if i < 0 || c == ':' || c == ';' {
		// %c: the byte itself, whatever it is.
		return p.fail("invalid option -- '%s'", string([]byte{c}))
	}
	o := Opt{Val: rune(c), LongIndex: -1}
	spec := p.shorts[i+1:]
	if !strings.HasPrefix(spec, ":") {
		return o
	}
	rest := p.nextchar
	p.nextchar = ""
	switch {
	case rest != "":
		o.Arg, o.HasArg = rest, true
		p.optind++
	case strings.HasPrefix(spec, "::"):
		// An optional value is only ever attached.
	case p.optind == len(p.args):
		return p.fail("option requires an argument -- '%s'", string([]byte{c}))
	default:
		o.Arg, o.HasArg = p.args[p.optind], true
		p.optind++
	}
	return o
}

// long handles "--"+body, already counted in optind.
func (p *Parser) long(body string) Opt {
	name, value, hasValue := strings.Cut(body, "=")
	found := -1
	for i, l := range p.longs {
		if l.Name == name {
			found = i
			break
		}
	}
	if found < 0 {
		var ambiguous []int
		for i, l := range p.longs {
			if !strings.HasPrefix(l.Name, name) {
				continue
			}
			if found < 0 {
				found = i
				continue
			}
			// glibc compares each later match with the first one only.
			if f := p.longs[found]; f.Arg != l.Arg || f.Val != l.Val {
				if ambiguous == nil {
					ambiguous = []int{found}
				}
				ambiguous = append(ambiguous, i)
			}
		}
		if ambiguous != nil {
			var b strings.Builder
			for _, i := range ambiguous {
				fmt.Fprintf(&b, " '--%s'", p.longs[i].Name)
			}
			return p.fail("option '--%s' is ambiguous; possibilities:%s", body, b.String())
		}
	}
	if found < 0 {
		return p.fail("unrecognized option '--%s'", body)
	}
	l := p.longs[found]
	o := Opt{Val: l.Val, LongIndex: found}
	switch {
	case hasValue && l.Arg == NoArg:
		return p.fail("option '--%s' doesn't allow an argument", l.Name)
	case hasValue:
		o.Arg, o.HasArg = value, true
	case l.Arg == RequiredArg:
		if p.optind >= len(p.args) {
			return p.fail("option '--%s' requires an argument", l.Name)
		}
		o.Arg, o.HasArg = p.args[p.optind], true
		p.optind++
	}
	return o
}
