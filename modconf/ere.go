package modconf

// ere is depmod.d's version patterns: POSIX extended regular expressions,
// searched for in a kernel version (kmod's regcomp(REG_EXTENDED|REG_NOSUB)
// and regexec). It is our own small matcher, not package regexp: linking
// regexp made every start of the binary build the unicode package's
// tables (its \p{...} groups) whatever the applet, about 0.1 ms and 280 KB.
//
// The syntax is what regexp.CompilePOSIX accepted before (TestEREMatches
// holds the two to the same answers): literals, ".", bracket expressions
// with ranges and [:class:] names, "^" and "$" (at a line's start and
// end, as regexp's POSIX mode has them), groups, "|", "*", "+", "?"
// and {m}, {m,}, {m,n} (at most 1000), backslash escapes of punctuation
// and \a \f \n \r \t \v, octal and \x. It works on bytes, as glibc does
// in the C locale; a pattern with a byte above 0x7f does not compile. The
// pattern compiles to a Thompson NFA that is simulated over the version,
// so that no pattern takes more than time linear in the version.

import "errors"

var errERE = errors.New("bad pattern")

// ereMaxInsts bounds a compiled pattern (repeats are expanded).
const ereMaxInsts = 1 << 14

type ereOp uint8

const (
	ereSet   ereOp = iota // one byte in set
	ereSplit              // to x and y
	ereJmp                // to x
	ereBOL                // at the start of a line (regexp's POSIX mode)
	ereEOL                // at the end of a line
	ereMatch
)

type ereInst struct {
	op   ereOp
	x, y int
	set  [4]uint64
}

// ereNode is a parsed pattern.
type ereNode struct {
	kind     ereKind
	set      [4]uint64
	subs     []*ereNode
	min, max int // repeat; max -1 is unbounded
}

type ereKind uint8

const (
	ereKSet ereKind = iota
	ereKBOL
	ereKEOL
	ereKConcat
	ereKAlt
	ereKRepeat
)

// ereSearch reports whether pattern matches somewhere in s, or an error if
// the pattern does not compile.
func ereSearch(pattern, s string) (bool, error) {
	prog, err := ereCompile(pattern)
	if err != nil {
		return false, err
	}
	return prog.match(s), nil
}

type ereProg []ereInst

func ereCompile(pattern string) (ereProg, error) {
	for i := 0; i < len(pattern); i++ {
		if pattern[i] >= 0x80 {
			return nil, errERE
		}
	}
	p := &ereParser{s: pattern}
	n, err := p.alt(0)
	if err != nil {
		return nil, err
	}
	if p.i < len(p.s) { // an unmatched ")"
		return nil, errERE
	}
	var c ereCompiler
	if err := c.compile(n); err != nil {
		return nil, err
	}
	c.emit(ereInst{op: ereMatch})
	return c.prog, nil
}

type ereParser struct {
	s string
	i int
}

func (p *ereParser) alt(depth int) (*ereNode, error) {
	if depth > 1000 {
		return nil, errERE
	}
	var branches []*ereNode
	for {
		b, err := p.concat(depth)
		if err != nil {
			return nil, err
		}
		branches = append(branches, b)
		if p.i < len(p.s) && p.s[p.i] == '|' {
			p.i++
			continue
		}
		break
	}
	if len(branches) == 1 {
		return branches[0], nil
	}
	return &ereNode{kind: ereKAlt, subs: branches}, nil
}

func (p *ereParser) concat(depth int) (*ereNode, error) {
	cat := &ereNode{kind: ereKConcat}
	for p.i < len(p.s) {
		c := p.s[p.i]
		var atom *ereNode
		switch c {
		case '|', ')':
			return cat, nil
		case '(':
			p.i++
			sub, err := p.alt(depth + 1)
			if err != nil {
				return nil, err
			}
			if p.i >= len(p.s) || p.s[p.i] != ')' {
				return nil, errERE
			}
			p.i++
			atom = &ereNode{kind: ereKConcat, subs: []*ereNode{sub}}
		case '*', '+', '?':
			return nil, errERE // nothing to repeat
		case '{':
			if _, _, _, ok := ereRepeat(p.s[p.i:]); ok {
				return nil, errERE
			}
			p.i++
			atom = ereByte('{')
		case '.':
			p.i++
			atom = &ereNode{kind: ereKSet}
			for b := 0; b < 256; b++ {
				if b != '\n' {
					ereAdd(&atom.set, byte(b))
				}
			}
		case '^':
			p.i++
			atom = &ereNode{kind: ereKBOL}
		case '$':
			p.i++
			atom = &ereNode{kind: ereKEOL}
		case '[':
			n, err := p.bracket()
			if err != nil {
				return nil, err
			}
			atom = n
		case '\\':
			b, err := p.escape()
			if err != nil {
				return nil, err
			}
			atom = ereByte(b)
		default:
			p.i++
			atom = ereByte(c)
		}
		// Repetition operators, any number of them (POSIX allows a**).
		for p.i < len(p.s) {
			min, max := 0, 0
			switch p.s[p.i] {
			case '*':
				min, max = 0, -1
				p.i++
			case '+':
				min, max = 1, -1
				p.i++
			case '?':
				min, max = 0, 1
				p.i++
			case '{':
				lo, hi, n, ok := ereRepeat(p.s[p.i:])
				if !ok {
					goto done
				}
				if lo > 1000 || hi > 1000 || hi >= 0 && lo > hi {
					return nil, errERE
				}
				min, max = lo, hi
				p.i += n
			default:
				goto done
			}
			atom = &ereNode{kind: ereKRepeat, subs: []*ereNode{atom}, min: min, max: max}
		}
	done:
		cat.subs = append(cat.subs, atom)
	}
	return cat, nil
}

// ereRepeat parses {m}, {m,} or {m,n} at the start of s: the bounds (max
// -1 for none) and its length; ok is false if s does not start with one
// (a "{" that is then a literal).
func ereRepeat(s string) (min, max, n int, ok bool) {
	i := 1
	num := func() (int, bool) {
		start, v := i, 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if v < 1e6 {
				v = v*10 + int(s[i]-'0')
			}
			i++
		}
		return v, i > start
	}
	min, ok = num()
	if !ok || i >= len(s) {
		return 0, 0, 0, false
	}
	max = min
	if s[i] == ',' {
		i++
		if i < len(s) && s[i] == '}' {
			max = -1
		} else if max, ok = num(); !ok {
			return 0, 0, 0, false
		}
	}
	if i >= len(s) || s[i] != '}' {
		return 0, 0, 0, false
	}
	return min, max, i + 1, true
}

// escape is the byte a backslash escape at p.i stands for.
func (p *ereParser) escape() (byte, error) {
	p.i++ // the backslash
	if p.i >= len(p.s) {
		return 0, errERE
	}
	c := p.s[p.i]
	p.i++
	switch {
	case !ereAlnum(c):
		return c, nil
	case c >= '1' && c <= '7' && (p.i >= len(p.s) || p.s[p.i] < '0' || p.s[p.i] > '7'):
		return 0, errERE // a back-reference
	case c >= '0' && c <= '7':
		r := int(c - '0')
		for k := 1; k < 3 && p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '7'; k++ {
			r = r*8 + int(p.s[p.i]-'0')
			p.i++
		}
		if r >= 0x80 {
			return 0, errERE
		}
		return byte(r), nil
	case c == 'x':
		r, ok := 0, false
		if p.i < len(p.s) && p.s[p.i] == '{' {
			p.i++
			n := 0
			for p.i < len(p.s) && ereHex(p.s[p.i]) >= 0 {
				if r = r*16 + ereHex(p.s[p.i]); r > 0x10ffff {
					return 0, errERE
				}
				p.i++
				n++
			}
			if n == 0 || p.i >= len(p.s) || p.s[p.i] != '}' {
				return 0, errERE
			}
			p.i++
			ok = true
		} else if p.i+1 < len(p.s) && ereHex(p.s[p.i]) >= 0 && ereHex(p.s[p.i+1]) >= 0 {
			r, ok = ereHex(p.s[p.i])*16+ereHex(p.s[p.i+1]), true
			p.i += 2
		}
		if !ok || r >= 0x80 {
			return 0, errERE
		}
		return byte(r), nil
	}
	switch c {
	case 'a':
		return '\a', nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'v':
		return '\v', nil
	}
	return 0, errERE
}

// bracket parses a bracket expression at p.i.
func (p *ereParser) bracket() (*ereNode, error) {
	p.i++ // [
	var set [4]uint64
	negate := false
	if p.i < len(p.s) && p.s[p.i] == '^' {
		negate = true
		p.i++
	}
	first := true // "]" and "-" are themselves first
	for {
		if p.i >= len(p.s) {
			return nil, errERE
		}
		if p.s[p.i] == ']' && !first {
			p.i++
			break
		}
		// "-" is itself only first or last.
		if p.s[p.i] == '-' && !first && (p.i+1 >= len(p.s) || p.s[p.i+1] != ']') {
			return nil, errERE
		}
		first = false
		if p.i+2 < len(p.s) && p.s[p.i] == '[' && p.s[p.i+1] == ':' {
			if ok, err := p.namedClass(&set); err != nil {
				return nil, err
			} else if ok {
				continue
			}
		}
		lo, err := p.classChar()
		if err != nil {
			return nil, err
		}
		hi := lo
		if p.i+1 < len(p.s) && p.s[p.i] == '-' && p.s[p.i+1] != ']' {
			p.i++
			if hi, err = p.classChar(); err != nil {
				return nil, err
			}
			if hi < lo {
				return nil, errERE
			}
		}
		for b := int(lo); b <= int(hi); b++ {
			ereAdd(&set, byte(b))
		}
	}
	if negate {
		ereAdd(&set, '\n') // as regexp: a negated class never matches a newline
		for k := range set {
			set[k] = ^set[k]
		}
	}
	return &ereNode{kind: ereKSet, set: set}, nil
}

func (p *ereParser) classChar() (byte, error) {
	if p.s[p.i] == '\\' {
		return p.escape()
	}
	c := p.s[p.i]
	p.i++
	return c, nil
}

// namedClass adds [:name:] or [:^name:] at p.i to set; false if there is
// no ":]" to close it (the "[" is then a character of the class).
func (p *ereParser) namedClass(set *[4]uint64) (bool, error) {
	rest := p.s[p.i+2:]
	end := -1
	for k := 0; k+1 < len(rest); k++ {
		if rest[k] == ':' && rest[k+1] == ']' {
			end = k
			break
		}
	}
	if end < 0 {
		return false, nil
	}
	name := rest[:end]
	negate := false
	if len(name) > 0 && name[0] == '^' {
		negate, name = true, name[1:]
	}
	var in func(byte) bool
	switch name {
	case "ascii":
		in = func(c byte) bool { return c < 0x80 }
	case "word":
		in = func(c byte) bool { return ereAlnum(c) || c == '_' }
	default:
		in = fnClass(name)
	}
	if in == nil {
		return false, errERE
	}
	for b := 0; b < 256; b++ {
		if in(byte(b)) != negate && (b < 0x80 || negate) {
			ereAdd(set, byte(b))
		}
	}
	p.i += 2 + end + 2
	return true, nil
}

func ereByte(c byte) *ereNode {
	n := &ereNode{kind: ereKSet}
	ereAdd(&n.set, c)
	return n
}

func ereAdd(set *[4]uint64, c byte) { set[c>>6] |= 1 << (c & 63) }

func ereHas(set *[4]uint64, c byte) bool { return set[c>>6]&(1<<(c&63)) != 0 }

func ereAlnum(c byte) bool { return fnIsAlpha(c) || fnIsDigit(c) }

func ereHex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c|0x20 >= 'a' && c|0x20 <= 'f':
		return int(c|0x20-'a') + 10
	}
	return -1
}

type ereCompiler struct{ prog ereProg }

func (c *ereCompiler) emit(in ereInst) int {
	c.prog = append(c.prog, in)
	return len(c.prog) - 1
}

func (c *ereCompiler) compile(n *ereNode) error {
	if len(c.prog) > ereMaxInsts {
		return errERE
	}
	switch n.kind {
	case ereKSet:
		c.emit(ereInst{op: ereSet, set: n.set})
	case ereKBOL:
		c.emit(ereInst{op: ereBOL})
	case ereKEOL:
		c.emit(ereInst{op: ereEOL})
	case ereKConcat:
		for _, s := range n.subs {
			if err := c.compile(s); err != nil {
				return err
			}
		}
	case ereKAlt:
		var jumps []int
		for k, s := range n.subs {
			split := -1
			if k < len(n.subs)-1 {
				split = c.emit(ereInst{op: ereSplit})
				c.prog[split].x = split + 1
			}
			if err := c.compile(s); err != nil {
				return err
			}
			if split >= 0 {
				jumps = append(jumps, c.emit(ereInst{op: ereJmp}))
				c.prog[split].y = len(c.prog)
			}
		}
		for _, j := range jumps {
			c.prog[j].x = len(c.prog)
		}
	case ereKRepeat:
		sub := n.subs[0]
		for k := 0; k < n.min; k++ {
			if err := c.compile(sub); err != nil {
				return err
			}
		}
		if n.max < 0 { // then any number more
			split := c.emit(ereInst{op: ereSplit})
			c.prog[split].x = split + 1
			if err := c.compile(sub); err != nil {
				return err
			}
			c.emit(ereInst{op: ereJmp, x: split})
			c.prog[split].y = len(c.prog)
			return nil
		}
		var splits []int
		for k := n.min; k < n.max; k++ { // then up to max-min more
			split := c.emit(ereInst{op: ereSplit})
			c.prog[split].x = split + 1
			splits = append(splits, split)
			if err := c.compile(sub); err != nil {
				return err
			}
		}
		for _, s := range splits {
			c.prog[s].y = len(c.prog)
		}
	}
	if len(c.prog) > ereMaxInsts {
		return errERE
	}
	return nil
}

// match simulates the program over s, a thread started at every
// position: whether any reaches ereMatch.
func (prog ereProg) match(s string) bool {
	n := len(prog)
	mark := make([]int, n) // the step (+1) a pc was last added in
	cur, next := make([]int, 0, n), make([]int, 0, n)
	stack := make([]int, 0, n)
	matched := false
	// add follows pc's empty transitions at position pos into list.
	add := func(list []int, pc, pos, step int) []int {
		stack = append(stack[:0], pc)
		for len(stack) > 0 {
			pc := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if mark[pc] == step {
				continue
			}
			mark[pc] = step
			switch in := &prog[pc]; in.op {
			case ereSet:
				list = append(list, pc)
			case ereSplit:
				stack = append(stack, in.y, in.x)
			case ereJmp:
				stack = append(stack, in.x)
			case ereBOL:
				if pos == 0 || s[pos-1] == '\n' {
					stack = append(stack, pc+1)
				}
			case ereEOL:
				if pos == len(s) || s[pos] == '\n' {
					stack = append(stack, pc+1)
				}
			case ereMatch:
				matched = true
			}
		}
		return list
	}
	for pos := 0; pos <= len(s); pos++ {
		step := pos + 1
		cur = add(cur, 0, pos, step)
		if matched {
			return true
		}
		if pos == len(s) {
			break
		}
		next = next[:0]
		for _, pc := range cur {
			if ereHas(&prog[pc].set, s[pos]) {
				next = add(next, pc+1, pos+1, step+1)
			}
		}
		if matched {
			return true
		}
		cur, next = next, cur
	}
	return false
}
