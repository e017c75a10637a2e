package moddep

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/internal/libc"
)

// DepmodOutput is one file depmod writes.
type DepmodOutput struct {
	Name string
	// Binary outputs are the .bin indexes; depmod -n prints only the text.
	Binary bool
	// encode makes the whole file: each is made in memory (an index must
	// be, to fill in its child tables) and written with one call.
	encode func() ([]byte, error)
}

// Write writes the file to w.
func (o DepmodOutput) Write(w io.Writer) error {
	b, err := o.encode()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// Outputs lists the files in the order kmod 34.2 writes them (and prints
// them under -n: modules.weakdep too, which kmod 30 did not know).
func (d *Depmod) Outputs() []DepmodOutput {
	return []DepmodOutput{
		{"modules.dep", false, d.writeDeps},
		{"modules.dep.bin", true, d.writeDepsBin},
		{"modules.alias", false, d.writeAliases},
		{"modules.alias.bin", true, d.writeAliasesBin},
		{"modules.softdep", false, d.writeSoftdeps},
		{"modules.weakdep", false, d.writeWeakdeps},
		{"modules.symbols", false, d.writeSymbols},
		{"modules.symbols.bin", true, d.writeSymbolsBin},
		{"modules.builtin.bin", true, d.writeBuiltinBin},
		{"modules.builtin.alias.bin", true, d.writeBuiltinAliasBin},
		{"modules.devname", false, d.writeDevname},
	}
}

// outputPath is the path modules.dep names a module by.
func (m *depModule) outputPath() string {
	if m.relpath != "" {
		return m.relpath
	}
	return m.path
}

// allDeps appends to out every module m needs, directly or not, each
// once, in load order (kmod's topological numbering puts users before
// what they use). mark is a number no other call used: a module is seen
// when its seen field holds it.
func (m *depModule) allDeps(out []*depModule, mark int) []*depModule {
	out = out[:0]
	var fill func(*depModule)
	fill = func(x *depModule) {
		for _, dep := range x.deps {
			if dep.seen == mark {
				continue
			}
			dep.seen = mark
			out = append(out, dep)
			fill(dep)
		}
	}
	fill(m)
	slices.SortFunc(out, func(a, b *depModule) int { return a.depSortIdx - b.depSortIdx })
	return out
}

// depLines are the modules' modules.dep lines, made once for the text
// and its index: one text, each line a slice of it with its newline.
func (d *Depmod) depLines() []string {
	if d.lines != nil {
		return d.lines
	}
	var text []byte
	ends := make([]int, len(d.modules))
	var deps []*depModule
	for i, m := range d.modules {
		text = append(text, m.outputPath()...)
		text = append(text, ':')
		deps = m.allDeps(deps, i+1)
		for _, dep := range deps {
			text = append(text, ' ')
			text = append(text, dep.outputPath()...)
		}
		text = append(text, '\n')
		ends[i] = len(text)
	}
	// The lines share the text, which nothing writes again.
	all := unsafe.String(unsafe.SliceData(text), len(text))
	d.depText = text
	d.lines = make([]string, len(d.modules))
	start := 0
	for i, end := range ends {
		d.lines[i] = all[start:end]
		start = end
	}
	return d.lines
}

func (d *Depmod) writeDeps() ([]byte, error) {
	d.depLines()
	return d.depText, nil
}

func (d *Depmod) writeDepsBin() ([]byte, error) {
	ix := NewIndexWriter()
	ix.Grow(len(d.modules))
	for i, l := range d.depLines() {
		m := d.modules[i]
		l = l[:len(l)-1]
		if d.insert(ix, m.name, l, uint32(m.idx)) && d.cfg.WarnDups {
			d.cfg.Report(diag.Warning, "duplicate module deps:\n%s\n", l)
		}
	}
	return ix.MarshalBinary()
}

// insert adds an entry to an index and reports whether the key already
// had that value. kmod's index holds 7-bit ASCII only and, on x86, walks
// off its child table for other bytes; we leave such an entry out and say
// which one.
func (d *Depmod) insert(ix *IndexWriter, key, value string, priority uint32) bool {
	var dup bool
	var err error
	if d.cfg.WarnDups {
		dup, err = ix.Insert(key, value, priority)
	} else {
		err = ix.Add(key, value, priority)
	}
	if err != nil {
		d.cfg.Report(diag.Err, "%v\n", err)
	}
	return dup
}

func (d *Depmod) eachInfo(key string, fn func(m *depModule, value string)) {
	for _, m := range d.modules {
		for _, e := range m.info {
			if e.key == key {
				fn(m, e.value)
			}
		}
	}
}

// writeInfoLines writes a header and one line per module info entry:
// the word, then the module's name and the value, or (valueFirst) the
// value and the name.
func (d *Depmod) writeInfoLines(header, key string, valueFirst bool) ([]byte, error) {
	b := append(make([]byte, 0, 64<<10), header...)
	d.eachInfo(key, func(m *depModule, v string) {
		b = append(b, key...)
		b = append(b, ' ')
		if valueFirst {
			b = append(b, v...)
			b = append(b, ' ')
			b = append(b, m.name...)
		} else {
			b = append(b, m.name...)
			b = append(b, ' ')
			b = append(b, v...)
		}
		b = append(b, '\n')
	})
	return b, nil
}

func (d *Depmod) writeAliases() ([]byte, error) {
	return d.writeInfoLines("# Aliases extracted from modules themselves.\n", "alias", true)
}

func (d *Depmod) writeAliasesBin() ([]byte, error) {
	ix := NewIndexWriter()
	d.eachInfo("alias", func(m *depModule, v string) {
		alias, err := NormalizeAlias(v)
		if err != nil {
			d.cfg.Report(diag.Warning, "Unmatched bracket in %s\n", v)
			return
		}
		if d.insert(ix, alias, m.name, uint32(m.idx)) && d.cfg.WarnDups {
			d.cfg.Report(diag.Warning, "duplicate module alias:\n%s %s\n", alias, m.name)
		}
	})
	return ix.MarshalBinary()
}

func (d *Depmod) writeSoftdeps() ([]byte, error) {
	return d.writeInfoLines("# Soft dependencies extracted from modules themselves.\n", "softdep", false)
}

func (d *Depmod) writeWeakdeps() ([]byte, error) {
	return d.writeInfoLines("# Weak dependencies extracted from modules themselves.\n", "weakdep", false)
}

// ownedSymbols lists the symbols some module exports, in the iteration
// order of kmod's symbol hash table, which is the order of
// modules.symbols; made once for the text and its index.
func (d *Depmod) ownedSymbols() []*symbol {
	if d.owned != nil {
		return d.owned
	}
	syms := make([]*symbol, 0, len(d.symbols))
	for _, s := range d.symbols {
		if s.owner != nil {
			syms = append(syms, s)
		}
	}
	sortKmodHashOrder(syms, symbolsHashBuckets, func(s *symbol) string { return s.name })
	d.owned = syms
	return syms
}

// writeSymbols writes modules.symbols, whose lines after the first hold
// the keys of modules.symbols.bin: keys, when set, gets each line's key
// ("symbol:NAME"), sharing the text.
func (d *Depmod) writeSymbols() ([]byte, error) {
	b, _ := d.symbolsText(nil)
	return b, nil
}

func (d *Depmod) symbolsText(keys []string) ([]byte, []string) {
	const header, word = "# Aliases for symbols, used by symbol_request().\n", "alias "
	syms := d.ownedSymbols()
	n := len(header)
	for _, s := range syms {
		n += len(word) + len("symbol:") + len(s.name) + 1 + len(s.owner.name) + 1
	}
	b := append(make([]byte, 0, n), header...)
	for _, s := range syms {
		b = append(b, word...)
		start := len(b)
		b = append(b, "symbol:"...)
		b = append(b, s.name...)
		if keys != nil {
			// b never grows past n: the key stays where it is.
			keys = append(keys, unsafe.String(&b[start], len(b)-start))
		}
		b = append(b, ' ')
		b = append(b, s.owner.name...)
		b = append(b, '\n')
	}
	return b, keys
}

func (d *Depmod) writeSymbolsBin() ([]byte, error) {
	syms := d.ownedSymbols()
	_, keys := d.symbolsText(make([]string, 0, len(syms)))
	ix := NewIndexWriter()
	ix.Grow(len(syms))
	for i, s := range syms {
		key := keys[i]
		if d.insert(ix, key, s.owner.name, uint32(s.owner.idx)) && d.cfg.WarnDups {
			d.cfg.Report(diag.Warning, "duplicate module syms:\n%s %s\n", key, s.owner.name)
		}
	}
	return ix.MarshalBinary()
}

func (d *Depmod) writeBuiltinBin() ([]byte, error) {
	data, ok := d.readSource("modules.builtin")
	if !ok {
		return nil, nil
	}
	ix := NewIndexWriter()
	r := bufio.NewReader(strings.NewReader(data))
	for {
		line, err := readCLine(r, 4096)
		if line == "" && err != nil {
			break
		}
		if c := line[0]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			d.cfg.Report(diag.Err, "Invalid modules.builtin line: %s\n", libc.CString(line))
			continue
		}
		d.insert(ix, ModuleName(libc.CString(line)), "", 0)
	}
	return ix.MarshalBinary()
}

// readSource reads a file the kernel build installs beside the modules.
// Without it kmod leaves the index it would feed empty, and so do we.
func (d *Depmod) readSource(name string) (string, bool) {
	data, err := os.ReadFile(d.cfg.Dir + "/" + name)
	if err != nil {
		d.cfg.Report(diag.Warning, "could not open %s at %s: %s\n", name, d.cfg.Dir, libc.Strerror(err))
		return "", false
	}
	return string(data), true
}

// builtinModinfoScanner reads modules.builtin.modinfo (NUL-separated
// "module.key=value" records) with kmod's exact stream rules, including
// how it resynchronises after a malformed record.
type builtinModinfoScanner struct {
	data string
	pos  int
	d    *Depmod
}

const eof = -1

func (s *builtinModinfoScanner) getc() int {
	if s.pos >= len(s.data) {
		s.pos = len(s.data) + 1 // C's feof is set only by a read past the end
		return eof
	}
	c := s.data[s.pos]
	s.pos++
	return int(c)
}

func (s *builtinModinfoScanner) atEOF() bool { return s.pos > len(s.data) }

// upTo reads up to endchar, a NUL or the end; it returns what it read only
// when it stopped at endchar.
func (s *builtinModinfoScanner) upTo(endchar int, max int) string {
	var b []byte
	c := s.getc()
	for c != eof && c != endchar && c != 0 && len(b) < max {
		b = append(b, byte(c))
		c = s.getc()
	}
	if len(b) == max {
		s.d.cfg.Report(diag.Warning, "Could not flush stream: %d. Partial content: %s\n", 28, string(b))
		b = b[:len(b)-1]
	}
	if c != endchar {
		return ""
	}
	return string(b)
}

func (s *builtinModinfoScanner) skip(endchar int) {
	c := s.getc()
	for c != eof && c != endchar && c != 0 {
		c = s.getc()
	}
}

func (d *Depmod) writeBuiltinAliasBin() ([]byte, error) {
	data, ok := d.readSource("modules.builtin.modinfo")
	if !ok {
		return nil, nil
	}
	ix := NewIndexWriter()
	s := &builtinModinfoScanner{data: data, d: d}
	const pathMax = 4096
	for !s.atEOF() {
		modname := s.upTo('.', pathMax)
		if modname == "" {
			continue
		}
		if key := s.upTo('=', pathMax); key != "alias" {
			s.skip(0)
			continue
		}
		value := s.upTo(0, pathMax)
		if value == "" {
			continue
		}
		alias, err := NormalizeAlias(value)
		if err != nil {
			d.cfg.Report(diag.Warning, "Unmatched bracket in %s\n", value)
			continue
		}
		d.insert(ix, alias, modname, 0)
	}
	return ix.MarshalBinary()
}

func (d *Depmod) writeDevname() ([]byte, error) {
	var bw bytes.Buffer
	empty := true
	for _, m := range d.modules {
		var devname string
		haveName := false
		var typ byte
		var major, minor uint32
		for _, e := range m.info {
			if e.key != "alias" {
				continue
			}
			if name, ok := strings.CutPrefix(e.value, "devname:"); ok {
				devname, haveName = name, true
			} else if maj, min, ok := scanMajorMinor(e.value, "char-major-"); ok {
				typ, major, minor = 'c', maj, min
			} else if maj, min, ok := scanMajorMinor(e.value, "block-major-"); ok {
				typ, major, minor = 'b', maj, min
			}
			if typ != 0 && haveName {
				break
			}
		}
		if !haveName {
			continue
		}
		if typ == 0 {
			d.cfg.Report(diag.Err, "Module '%s' has devname (%s) but lacks major and minor information. Ignoring.\n", m.name, devname)
			continue
		}
		if empty {
			bw.WriteString("# Device nodes to trigger on-demand module loading.\n")
			empty = false
		}
		fmt.Fprintf(&bw, "%s %s %c%d:%d\n", m.name, devname, typ, major, minor)
	}
	return bw.Bytes(), nil
}

// scanMajorMinor matches sscanf(s, PREFIX "%u-%u"): each number may have
// leading blanks and a sign, and stops at the first non-digit.
func scanMajorMinor(s, prefix string) (uint32, uint32, bool) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return 0, 0, false
	}
	maj, rest, ok := libc.ScanUint(rest)
	if !ok {
		return 0, 0, false
	}
	rest, ok = strings.CutPrefix(rest, "-")
	if !ok {
		return 0, 0, false
	}
	min, _, ok := libc.ScanUint(rest)
	return maj, min, ok
}

// EncodedOutput is one output's bytes, made by EncodeOutputs, with the
// messages its making reported, kept to be said when it is written.
type EncodedOutput struct {
	Name    string
	Data    []byte
	Err     error
	reports []func(diag.Reporter)
}

// Replay says the messages the output's encoding reported, in order.
func (e *EncodedOutput) Replay(report diag.Reporter) {
	for _, r := range e.reports {
		r(report)
	}
}

// EncodeOutputs makes every file Outputs lists, in parallel on up to
// workers goroutines (each output's encoding is independent: it only
// reads the run's modules and symbols). Their messages are kept, not
// reported: the caller replays each output's as it writes that output,
// so stderr reads as a sequential run's would.
func (d *Depmod) EncodeOutputs(workers int) []EncodedOutput {
	// Made once, each shared by a text and its index.
	d.depLines()
	d.ownedSymbols()
	outs := d.Outputs()
	enc := make([]EncodedOutput, len(outs))
	next := make(chan int, len(outs))
	for i := range outs {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for w := 0; w < max(1, workers); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				e := &enc[i]
				dd := *d // the same run, reporting into e
				dd.cfg.Report = func(level diag.Level, format string, args ...any) {
					e.reports = append(e.reports, func(r diag.Reporter) { r(level, format, args...) })
				}
				e.Name = outs[i].Name
				e.Data, e.Err = dd.Outputs()[i].encode()
			}
		}()
	}
	wg.Wait()
	return enc
}
