package elfmod

import (
	"bytes"
	"hash/maphash"
	"strings"

	"github.com/modutils/modutils/internal/lazy"
)

// Symbol is an exported symbol (Symbols) or a __versions entry (Versions).
type Symbol struct {
	Name string
	CRC  uint64
}

// Bind is kmod's symbol binding (enum kmod_symbol_bind); the values are
// kmod's, so they can be printed or compared as characters.
type Bind byte

const (
	BindNone   Bind = 0
	BindLocal  Bind = 'L'
	BindGlobal Bind = 'G'
	BindWeak   Bind = 'W'
	BindUndef  Bind = 'U'
)

func (b Bind) String() string {
	switch b {
	case BindNone:
		return "none"
	case BindLocal:
		return "local"
	case BindGlobal:
		return "global"
	case BindWeak:
		return "weak"
	case BindUndef:
		return "undef"
	}
	return "Bind(" + string(rune(b)) + ")"
}

// DepSymbol is a symbol the module needs from others.
type DepSymbol struct {
	Name string
	CRC  uint64
	Bind Bind
}

// Modinfo returns the strings of the .modinfo section ("key=value"), as
// kmod_elf_get_strings does: leading NUL padding is skipped, runs of NULs
// separate strings (so empty strings vanish), an unterminated last string
// is kept, and a section that is a single byte after the padding yields
// nothing. A module without .modinfo gives an error matching ErrNoSection.
func (m *Module) Modinfo() ([]string, error) {
	if m.closed {
		return nil, errClosed
	}
	i := m.known[secModinfo]
	if i < 0 {
		return nil, &sectionError{m.path, ".modinfo section"}
	}
	if err := m.prefetchAll(i); err != nil {
		return nil, err
	}
	data, err := m.section(i)
	if err != nil {
		return nil, err
	}
	return splitStrings(data), nil
}

// splitStrings implements kmod_elf_get_strings' splitting. The strings share
// one allocation.
func splitStrings(data []byte) []string {
	if len(data) == 0 {
		return nil
	}
	for len(data) > 1 && data[0] == 0 {
		data = data[1:]
	}
	if len(data) <= 1 {
		return nil
	}
	n := 0
	for i, c := range data {
		if c != 0 && (i == 0 || data[i-1] == 0) {
			n++
		}
	}
	s := string(data)
	out := make([]string, 0, n)
	start := -1
	for i := 0; i < len(s); i++ {
		if s[i] != 0 {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			out = append(out, s[start:i])
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

func (m *Module) symSize() uint64 {
	if m.class == Class32 {
		return 16
	}
	return 24
}

// sym decodes the fields kmod looks at from one symbol table entry.
func (m *Module) sym(e []byte) (name uint32, value uint64, info uint8, shndx uint16) {
	if m.class == Class32 {
		return m.u32(e), uint64(m.u32(e[4:])), e[12], m.u16(e[14:])
	}
	return m.u32(e), m.u64(e[8:]), e[4], m.u16(e[6:])
}

// crcLen is the size of the CRC in a __versions entry.
func (m *Module) crcLen() int {
	if m.class == Class32 {
		return 4
	}
	return 8
}

// Symbols returns the symbols the module exports, as
// kmod_module_get_symbols: the "__crc_" symbols of .symtab in table order
// (duplicates kept), each CRC being the symbol value for SHN_ABS/SHN_UNDEF
// symbols or the 32-bit word at that offset of the symbol's section
// (0xffffffffffffffff when that is out of range). Only when there is no
// usable .symtab/.strtab or no __crc_ symbol at all does it fall back to the
// names in __ksymtab_strings, with CRC 0; if that section is missing too the
// error matches ErrNoSection.
func (m *Module) Symbols() ([]Symbol, error) {
	if m.closed {
		return nil, errClosed
	}
	syms, ok, err := m.crcSymbols()
	if err != nil || ok {
		return syms, err
	}
	return m.ksymtabStrings()
}

type depRef struct {
	name []byte
	crc  uint64
	bind Bind
}

type crcRef struct {
	name  []byte
	value uint64
	shndx uint16
}

func (m *Module) crcSymbols() ([]Symbol, bool, error) {
	stri, symi := m.known[secStrtab], m.known[secSymtab]
	if stri < 0 || symi < 0 {
		return nil, false, nil
	}
	// __kcrctab holds the CRCs on kernels >= 5.19 (with __kcrctab_gpl
	// before 5.13 or so); loading them now saves a read later.
	if err := m.prefetchAll(stri, symi, m.known[secKcrctab], m.known[secKcrctabGPL]); err != nil {
		return nil, false, err
	}
	strtab, err := m.section(stri)
	if err != nil {
		return nil, false, err
	}
	symtab, err := m.section(symi)
	if err != nil {
		return nil, false, err
	}
	symlen := m.symSize()
	if uint64(len(symtab))%symlen != 0 {
		return nil, false, nil
	}
	stroff := m.sects[stri].off
	refs := m.sc.crcs[:0]
	defer func() { m.sc.crcs = refs }()
	budget := m.nameBudget()
	for off := symlen; off < uint64(len(symtab)); off += symlen {
		nameOff, value, _, shndx := m.sym(symtab[off:])
		if uint64(nameOff) >= uint64(len(strtab)) {
			// kmod gives up on .symtab altogether.
			return nil, false, nil
		}
		rest := strtab[nameOff:]
		const prefix = "__crc_"
		if len(rest) >= len(prefix) {
			if string(rest[:len(prefix)]) != prefix {
				continue
			}
		} else {
			// strncmp runs past the end of .strtab, for 6 bytes at most.
			if err := m.loadAll(); err != nil {
				return nil, false, err
			}
			o := stroff + uint64(nameOff)
			s := m.mem[o:min(o+uint64(len(prefix)), m.size)]
			if i := bytes.IndexByte(s, 0); i >= 0 {
				s = s[:i]
			}
			if string(s) != prefix {
				continue
			}
		}
		name, err := m.cstring(rest[len(prefix):], stroff+uint64(nameOff)+uint64(len(prefix)))
		if err != nil {
			return nil, false, err
		}
		if err := m.spend(&budget, len(name), "exported symbol", m.sects[symi].off+off); err != nil {
			return nil, false, err
		}
		refs = append(refs, crcRef{name, value, shndx})
	}
	if len(refs) == 0 {
		return nil, false, nil
	}
	var nb nameBuilder
	for _, r := range refs {
		nb.grow(r.name)
	}
	nb.init()
	syms := make([]Symbol, len(refs))
	for k, r := range refs {
		crc, err := m.resolveCRC(r.value, r.shndx)
		if err != nil {
			return nil, false, err
		}
		syms[k] = Symbol{Name: nb.add(r.name), CRC: crc}
	}
	return syms, true, nil
}

// resolveCRC follows kmod 34.2's kmod_elf_resolve_crc: the symbol's
// section must be one elf_get_section_info accepts (inside the image, its
// name inside the section names) and hold the whole word, or the CRC is all
// ones.
func (m *Module) resolveCRC(crc uint64, shndx uint16) (uint64, error) {
	if shndx == shnAbs || shndx == shnUndef {
		return crc, nil
	}
	const bad = ^uint64(0)
	if int(shndx) >= len(m.sects) || !m.sects[shndx].valid || uint64(m.sects[shndx].name) >= uint64(len(m.names)) {
		return bad, nil
	}
	s := &m.sects[shndx]
	if s.size < 4 || crc > s.size-4 {
		return bad, nil
	}
	data, err := m.section(int(shndx))
	if err != nil {
		return 0, err
	}
	return uint64(m.u32(data[crc:])), nil
}

// ksymtabStrings is kmod 34.2's kmod_elf_get_symbols_symtab: after the
// leading NUL padding, the NUL-separated names (empty ones skipped); a
// section whose last byte is not a NUL is EINVAL.
func (m *Module) ksymtabStrings() ([]Symbol, error) {
	i := m.known[secKsymtabStrings]
	if i < 0 {
		return nil, &sectionError{m.path, "__ksymtab_strings section"}
	}
	data, err := m.section(i)
	if err != nil {
		return nil, err
	}
	for len(data) > 1 && data[0] == 0 {
		data = data[1:]
	}
	if len(data) <= 1 {
		return nil, nil
	}
	if data[len(data)-1] != 0 {
		return nil, formatErr(m.path, m.sects[i].off+m.sects[i].size-1, "__ksymtab_strings does not end with a NUL")
	}
	names := splitStrings(data)
	if len(names) == 0 {
		return nil, nil
	}
	syms := make([]Symbol, len(names))
	for k, n := range names {
		syms[k].Name = n
	}
	return syms, nil
}

// DependencySymbols returns the undefined symbols of .symtab, as
// kmod_module_get_dependency_symbols: in table order (duplicates kept,
// unnamed ones skipped, and on SPARC STT_REGISTER ones too), bound
// BindWeak or BindUndef, each with the CRC of the first __versions entry of
// the same name (0 if none), followed by the __versions entries no symbol
// matched (module_layout, typically) with BindUndef. A __versions section
// whose size is not a multiple of 64 is ignored. A missing or malformed
// .symtab/.strtab is a *FormatError (kmod: EINVAL).
func (m *Module) DependencySymbols() ([]DepSymbol, error) {
	if m.closed {
		return nil, errClosed
	}
	veri, stri, symi := m.known[secVersions], m.known[secStrtab], m.known[secSymtab]
	if err := m.prefetchAll(veri, stri, symi); err != nil {
		return nil, err
	}
	var versions []byte
	var veroff uint64
	if veri >= 0 {
		var err error
		if versions, err = m.section(veri); err != nil {
			return nil, err
		}
		veroff = m.sects[veri].off
		if len(versions)%modversionSize != 0 {
			versions = nil
		}
	}
	if stri < 0 {
		return nil, formatErr(m.path, m.shoff, "no .strtab section")
	}
	if symi < 0 {
		return nil, formatErr(m.path, m.shoff, "no .symtab section")
	}
	strtab, err := m.section(stri)
	if err != nil {
		return nil, err
	}
	symtab, err := m.section(symi)
	if err != nil {
		return nil, err
	}
	symlen := m.symSize()
	if uint64(len(symtab))%symlen != 0 {
		return nil, formatErr(m.path, m.sects[symi].off, ".symtab size %#x is not a multiple of %d", len(symtab), symlen)
	}
	stroff, symoff := m.sects[stri].off, m.sects[symi].off

	crclen := m.crcLen()
	budget := m.nameBudget()
	vers, err := m.versionNames(versions, veroff, crclen, &budget)
	if err != nil {
		return nil, err
	}
	idx := m.newNameIndex(vers)
	visited := grow(m.sc.visited, len(vers))
	m.sc.visited = visited

	sparc := m.machine == emSparc || m.machine == emSparcV9
	refs := m.sc.deps[:0]
	defer func() { m.sc.deps = refs }()
	for off := symlen; off < uint64(len(symtab)); off += symlen {
		nameOff, _, info, shndx := m.sym(symtab[off:])
		if shndx != shnUndef {
			continue
		}
		if sparc && info&0xf == sttReg {
			// Not really undefined: sparc gcc creates U references
			// for global asm register variables.
			continue
		}
		if uint64(nameOff) >= uint64(len(strtab)) {
			return nil, formatErr(m.path, symoff+off, "symbol %d name offset %#x outside .strtab (size %#x)", off/symlen, nameOff, len(strtab))
		}
		name, err := m.cstring(strtab[nameOff:], stroff+uint64(nameOff))
		if err != nil {
			return nil, err
		}
		if len(name) == 0 {
			continue
		}
		// The budget is charged before hashing, which costs the length.
		if err := m.spend(&budget, len(name), "undefined symbol", symoff+off); err != nil {
			return nil, err
		}
		r := depRef{name: name, bind: BindUndef}
		if info>>4 == stbWeak {
			r.bind = BindWeak
		}
		if k := idx.lookup(name, vers); k >= 0 {
			visited[k] = true
			r.crc = m.uint(versions[k*modversionSize:], crclen)
		}
		refs = append(refs, r)
	}
	for k, v := range visited {
		if !v {
			if vers[k] == nil {
				return nil, formatErr(m.path, veroff+uint64(k*modversionSize), "__versions entry %d has no NUL in its name", k)
			}
			refs = append(refs, depRef{name: vers[k], crc: m.uint(versions[k*modversionSize:], crclen), bind: BindUndef})
		}
	}
	if len(refs) == 0 {
		return nil, nil
	}
	var nb nameBuilder
	for _, r := range refs {
		nb.grow(r.name)
	}
	nb.init()
	out := make([]DepSymbol, len(refs))
	for k, r := range refs {
		out[k] = DepSymbol{Name: nb.add(r.name), CRC: r.crc, Bind: r.bind}
	}
	return out, nil
}

// versionNames returns the name of each __versions entry, nil for one
// whose name field holds no NUL: kmod 34.2 never matches such an entry
// and fails on listing it (kmod 30 read on into the next entry).
func (m *Module) versionNames(versions []byte, off uint64, crclen int, budget *uint64) ([][]byte, error) {
	n := len(versions) / modversionSize
	if n == 0 {
		return nil, nil
	}
	names := grow(m.sc.vers, n)
	m.sc.vers = names
	for k := range names {
		field := versions[k*modversionSize+crclen : (k+1)*modversionSize]
		end := bytes.IndexByte(field, 0)
		if end < 0 {
			names[k] = nil
			continue
		}
		if err := m.spend(budget, end, "__versions", off+uint64(k*modversionSize)); err != nil {
			return nil, err
		}
		names[k] = field[:end:end]
	}
	return names, nil
}

// Versions returns the __versions entries, as kmod_module_get_versions
// (used by modprobe --show-modversions): names with one leading '.'
// removed (PPC64 function descriptors). A missing section gives an error
// matching ErrNoSection, a size not a multiple of 64 a *FormatError.
func (m *Module) Versions() ([]Symbol, error) {
	if m.closed {
		return nil, errClosed
	}
	i := m.known[secVersions]
	if i < 0 {
		return nil, &sectionError{m.path, "__versions section"}
	}
	data, err := m.section(i)
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, nil
	}
	if len(data)%modversionSize != 0 {
		return nil, formatErr(m.path, m.sects[i].off, "__versions size %#x is not a multiple of %d", len(data), modversionSize)
	}
	crclen := m.crcLen()
	budget := m.nameBudget()
	names, err := m.versionNames(data, m.sects[i].off, crclen, &budget)
	if err != nil {
		return nil, err
	}
	var nb nameBuilder
	for k, n := range names {
		if n == nil {
			return nil, formatErr(m.path, m.sects[i].off+uint64(k*modversionSize), "__versions entry %d has no NUL in its name", k)
		}
		if len(n) > 0 && n[0] == '.' {
			names[k] = n[1:]
		}
		nb.grow(names[k])
	}
	nb.init()
	out := make([]Symbol, len(names))
	for k, n := range names {
		out[k] = Symbol{Name: nb.add(n), CRC: m.uint(data[k*modversionSize:], crclen)}
	}
	return out, nil
}

// nameBuilder copies many names into one string, so that a symbol list
// costs one allocation for its names and keeps no section buffer alive.
type nameBuilder struct {
	n   int
	buf strings.Builder
	pos int
}

func (b *nameBuilder) grow(name []byte) { b.n += len(name) }

func (b *nameBuilder) init() { b.buf.Grow(b.n) }

func (b *nameBuilder) add(name []byte) string {
	b.buf.Write(name)
	// String does not copy; earlier substrings stay valid as the builder
	// never reallocates after Grow.
	s := b.buf.String()
	start := b.pos
	b.pos = len(s)
	return s[start:b.pos]
}

// nameIndex finds the first __versions entry with a given name. kmod does a
// linear search per undefined symbol; modules with hundreds of both make
// that quadratic, so this is an open-addressing hash table of entry
// numbers.
type nameIndex struct {
	slots []int32 // entry number + 1; 0 is empty
	mask  uint64
}

var nameSeed = lazy.Value[maphash.Seed]{New: maphash.MakeSeed}

func (m *Module) newNameIndex(names [][]byte) nameIndex {
	if len(names) == 0 {
		return nameIndex{}
	}
	size := 1
	for size < 2*len(names) {
		size <<= 1
	}
	m.sc.slots = grow(m.sc.slots, size)
	ix := nameIndex{slots: m.sc.slots, mask: uint64(size - 1)}
	for k, n := range names {
		if n == nil {
			continue // unterminated: never matched
		}
		h := maphash.Bytes(nameSeed.Get(), n) & ix.mask
		for {
			s := ix.slots[h]
			if s == 0 {
				ix.slots[h] = int32(k + 1)
				break
			}
			if string(names[s-1]) == string(n) {
				break // keep the first entry, as kmod's search finds it
			}
			h = (h + 1) & ix.mask
		}
	}
	return ix
}

func (ix nameIndex) lookup(name []byte, names [][]byte) int {
	if ix.slots == nil {
		return -1
	}
	h := maphash.Bytes(nameSeed.Get(), name) & ix.mask
	for {
		s := ix.slots[h]
		if s == 0 {
			return -1
		}
		if string(names[s-1]) == string(name) {
			return int(s - 1)
		}
		h = (h + 1) & ix.mask
	}
}
