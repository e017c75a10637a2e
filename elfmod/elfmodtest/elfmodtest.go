// Package elfmodtest synthesises small, valid kernel module ELF files for
// tests and fuzzing of package elfmod and its users: ELF32 or ELF64, either
// byte order, with chosen .modinfo strings, exported symbols (described the
// way the kernel does: "__crc_" symbols in .symtab pointing into __kcrctab,
// or absolute "__crc_" symbols as before Linux 5.19, plus the names in
// __ksymtab_strings), undefined symbols and a __versions section. It also
// compresses images with gzip, xz or zstd, and has helpers to corrupt
// section headers.
//
// The images are not loadable (there is no code or relocation) but are
// what kmod's parser and elfmod look at.
package elfmodtest

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"

	"compress/gzip"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// ExportStyle selects how exported symbols are described.
type ExportStyle int

const (
	// ExportKcrctab: local "__crc_NAME" symbols whose value is the offset
	// of the CRC in the __kcrctab section (Linux >= 5.19).
	ExportKcrctab ExportStyle = iota
	// ExportAbs: global "__crc_NAME" symbols in SHN_ABS whose value is the
	// CRC itself (older kernels).
	ExportAbs
	// ExportStringsOnly: no "__crc_" symbols, only __ksymtab_strings
	// (CONFIG_MODVERSIONS=n).
	ExportStringsOnly
)

// Export is a symbol the module exports.
type Export struct {
	Name string
	CRC  uint32
}

// Undef is a symbol the module needs.
type Undef struct {
	Name string
	Weak bool
	Type elf.SymType // STT_NOTYPE by default
}

// Version is a __versions entry.
type Version struct {
	Name string
	CRC  uint64
}

// Sym is an arbitrary extra symbol table entry, appended after the
// generated ones.
type Sym struct {
	Name    string
	NameOff *uint32 // if set, used as st_name instead of adding Name to .strtab
	Value   uint64
	Info    uint8
	Section string // section name to take st_shndx from, if not empty
	Shndx   uint16
}

// Section is an extra section.
type Section struct {
	Name string
	Type elf.SectionType // SHT_PROGBITS by default
	Data []byte
}

// Module describes a module to build. The zero value is an empty ELF64
// little-endian x86-64 module with .modinfo, .symtab and .strtab.
type Module struct {
	Class     elf.Class        // ELFCLASS64 by default
	ByteOrder binary.ByteOrder // little endian by default
	Machine   elf.Machine      // EM_X86_64 (64-bit) or EM_386 (32-bit) by default

	Modinfo    []string // each written NUL-terminated
	ModinfoRaw []byte   // if not nil, the .modinfo contents verbatim
	NoModinfo  bool

	Exports     []Export
	ExportStyle ExportStyle

	Undefined []Undef

	Versions    []Version // __versions, if any entries
	VersionsRaw []byte    // if not nil, the __versions contents verbatim

	ExtraSymbols []Sym
	Sections     []Section // extra sections, placed before .symtab
	NoSymtab     bool      // omit .symtab and .strtab
}

// SectionInfo locates a section of a built image.
type SectionInfo struct {
	Name      string
	Index     int
	HeaderOff uint64 // offset of the section header
	Off, Size uint64
}

// Image is a built module.
type Image struct {
	Bytes     []byte
	Class     elf.Class
	ByteOrder binary.ByteOrder
	ShOff     uint64
	Sections  []SectionInfo // by index; index 0 is the null section
}

// Section returns the first section called name.
func (img *Image) Section(name string) (SectionInfo, bool) {
	for _, s := range img.Sections {
		if s.Index > 0 && s.Name == name {
			return s, true
		}
	}
	return SectionInfo{}, false
}

func (img *Image) mustSection(name string) SectionInfo {
	s, ok := img.Section(name)
	if !ok {
		panic("elfmodtest: no section " + name)
	}
	return s
}

// PutUint writes an integer of width 1, 2, 4 or 8 bytes at off, in the
// image's byte order.
func (img *Image) PutUint(off uint64, width int, v uint64) {
	b := img.Bytes[off:]
	switch width {
	case 1:
		b[0] = byte(v)
	case 2:
		img.ByteOrder.PutUint16(b, uint16(v))
	case 4:
		img.ByteOrder.PutUint32(b, uint32(v))
	case 8:
		img.ByteOrder.PutUint64(b, v)
	default:
		panic("elfmodtest: bad width")
	}
}

// SetSection overwrites sh_offset and sh_size of the named section's
// header, e.g. to point it past the end of the file.
func (img *Image) SetSection(name string, off, size uint64) {
	s := img.mustSection(name)
	if img.Class == elf.ELFCLASS32 {
		img.PutUint(s.HeaderOff+16, 4, off)
		img.PutUint(s.HeaderOff+20, 4, size)
	} else {
		img.PutUint(s.HeaderOff+24, 8, off)
		img.PutUint(s.HeaderOff+32, 8, size)
	}
}

// SetSectionName overwrites sh_name of the named section's header.
func (img *Image) SetSectionName(name string, nameOff uint32) {
	img.PutUint(img.mustSection(name).HeaderOff, 4, uint64(nameOff))
}

// HeaderField offsets in the ELF header, for PutUint.
func (img *Image) HeaderField(field string) (off uint64, width int) {
	is32 := img.Class == elf.ELFCLASS32
	switch field {
	case "e_machine":
		return 18, 2
	case "e_shoff":
		if is32 {
			return 32, 4
		}
		return 40, 8
	case "e_shentsize":
		if is32 {
			return 46, 2
		}
		return 58, 2
	case "e_shnum":
		if is32 {
			return 48, 2
		}
		return 60, 2
	case "e_shstrndx":
		if is32 {
			return 50, 2
		}
		return 62, 2
	}
	panic("elfmodtest: unknown header field " + field)
}

type strtab struct{ b []byte }

func (s *strtab) add(name string) uint32 {
	if s.b == nil {
		s.b = []byte{0}
	}
	if name == "" {
		return 0
	}
	off := uint32(len(s.b))
	s.b = append(s.b, name...)
	s.b = append(s.b, 0)
	return off
}

type rawSym struct {
	name  uint32
	value uint64
	info  uint8
	shndx uint16
}

// Build lays the module out: ELF header, section contents, then the
// section header table, like a linked .ko.
func (m *Module) Build() *Image {
	class := m.Class
	if class == elf.ELFCLASSNONE {
		class = elf.ELFCLASS64
	}
	bo := m.ByteOrder
	if bo == nil {
		bo = binary.LittleEndian
	}
	is32 := class == elf.ELFCLASS32
	machine := m.Machine
	if machine == elf.EM_NONE {
		machine = elf.EM_X86_64
		if is32 {
			machine = elf.EM_386
		}
	}
	img := &Image{Class: class, ByteOrder: bo}

	type sec struct {
		name  string
		typ   elf.SectionType
		flags uint64
		data  []byte
		link  uint32
		info  uint32
		align uint64
		ent   uint64
	}
	secs := []sec{{}}
	index := func(name string) int {
		for i, s := range secs {
			if i > 0 && s.name == name {
				return i
			}
		}
		return -1
	}
	add := func(s sec) int {
		if s.typ == 0 {
			s.typ = elf.SHT_PROGBITS
		}
		if s.align == 0 {
			s.align = 1
		}
		secs = append(secs, s)
		return len(secs) - 1
	}

	text := add(sec{name: ".text", flags: uint64(elf.SHF_ALLOC | elf.SHF_EXECINSTR), data: make([]byte, 16*max(1, len(m.Exports))), align: 16})
	if !m.NoModinfo {
		var mi []byte
		if m.ModinfoRaw != nil {
			mi = m.ModinfoRaw
		} else {
			for _, s := range m.Modinfo {
				mi = append(append(mi, s...), 0)
			}
		}
		add(sec{name: ".modinfo", flags: uint64(elf.SHF_ALLOC), data: mi})
	}
	if m.VersionsRaw != nil || len(m.Versions) > 0 {
		data := m.VersionsRaw
		if data == nil {
			crclen := 8
			if is32 {
				crclen = 4
			}
			for _, v := range m.Versions {
				e := make([]byte, 64)
				if is32 {
					bo.PutUint32(e, uint32(v.CRC))
				} else {
					bo.PutUint64(e, v.CRC)
				}
				copy(e[crclen:63], v.Name)
				data = append(data, e...)
			}
		}
		add(sec{name: "__versions", flags: uint64(elf.SHF_ALLOC), data: data, align: 32})
	}
	kcrctab := -1
	if len(m.Exports) > 0 {
		var ks []byte
		for _, e := range m.Exports {
			ks = append(append(ks, e.Name...), 0)
		}
		add(sec{name: "__ksymtab_strings", flags: uint64(elf.SHF_ALLOC | elf.SHF_MERGE | elf.SHF_STRINGS), data: ks, ent: 1})
		if m.ExportStyle == ExportKcrctab {
			crcs := make([]byte, 4*len(m.Exports))
			for i, e := range m.Exports {
				bo.PutUint32(crcs[4*i:], e.CRC)
			}
			kcrctab = add(sec{name: "__kcrctab", flags: uint64(elf.SHF_ALLOC), data: crcs, align: 4})
		}
	}
	for _, s := range m.Sections {
		add(sec{name: s.Name, typ: s.Type, data: s.Data})
	}

	if !m.NoSymtab {
		var str strtab
		str.add("")
		syms := []rawSym{{}}
		info := func(b elf.SymBind, t elf.SymType) uint8 { return uint8(b)<<4 | uint8(t)&0xf }
		if m.ExportStyle == ExportKcrctab {
			for i, e := range m.Exports {
				syms = append(syms, rawSym{str.add("__crc_" + e.Name), uint64(4 * i), info(elf.STB_LOCAL, elf.STT_NOTYPE), uint16(kcrctab)})
			}
		}
		firstGlobal := len(syms)
		for i, e := range m.Exports {
			syms = append(syms, rawSym{str.add(e.Name), uint64(16 * i), info(elf.STB_GLOBAL, elf.STT_FUNC), uint16(text)})
		}
		if m.ExportStyle == ExportAbs {
			for _, e := range m.Exports {
				syms = append(syms, rawSym{str.add("__crc_" + e.Name), uint64(e.CRC), info(elf.STB_GLOBAL, elf.STT_NOTYPE), uint16(elf.SHN_ABS)})
			}
		}
		for _, u := range m.Undefined {
			b := elf.STB_GLOBAL
			if u.Weak {
				b = elf.STB_WEAK
			}
			syms = append(syms, rawSym{str.add(u.Name), 0, info(b, u.Type), 0})
		}
		for _, s := range m.ExtraSymbols {
			r := rawSym{value: s.Value, info: s.Info, shndx: s.Shndx}
			if s.NameOff != nil {
				r.name = *s.NameOff
			} else {
				r.name = str.add(s.Name)
			}
			if s.Section != "" {
				i := index(s.Section)
				if i < 0 {
					panic("elfmodtest: symbol in unknown section " + s.Section)
				}
				r.shndx = uint16(i)
			}
			syms = append(syms, r)
		}
		entsize := 24
		if is32 {
			entsize = 16
		}
		st := make([]byte, entsize*len(syms))
		for i, s := range syms {
			e := st[i*entsize:]
			bo.PutUint32(e, s.name)
			if is32 {
				bo.PutUint32(e[4:], uint32(s.value))
				e[12] = s.info
				bo.PutUint16(e[14:], s.shndx)
			} else {
				e[4] = s.info
				bo.PutUint16(e[6:], s.shndx)
				bo.PutUint64(e[8:], s.value)
			}
		}
		symi := add(sec{name: ".symtab", typ: elf.SHT_SYMTAB, data: st, info: uint32(firstGlobal), align: 8, ent: uint64(entsize)})
		stri := add(sec{name: ".strtab", typ: elf.SHT_STRTAB, data: str.b})
		secs[symi].link = uint32(stri)
	}
	shstrndx := add(sec{name: ".shstrtab", typ: elf.SHT_STRTAB})
	var shstr strtab
	shstr.add("")
	names := make([]uint32, len(secs))
	for i := 1; i < len(secs); i++ {
		names[i] = shstr.add(secs[i].name)
	}
	secs[shstrndx].data = shstr.b

	ehsize, shentsize := 64, 64
	if is32 {
		ehsize, shentsize = 52, 40
	}
	out := make([]byte, ehsize)
	img.Sections = make([]SectionInfo, len(secs))
	offs := make([]uint64, len(secs))
	for i := 1; i < len(secs); i++ {
		for uint64(len(out))%secs[i].align != 0 {
			out = append(out, 0)
		}
		offs[i] = uint64(len(out))
		out = append(out, secs[i].data...)
	}
	for len(out)%8 != 0 {
		out = append(out, 0)
	}
	shoff := uint64(len(out))
	img.ShOff = shoff
	out = append(out, make([]byte, shentsize*len(secs))...)
	for i, s := range secs {
		h := out[shoff+uint64(i*shentsize):]
		img.Sections[i] = SectionInfo{Name: s.name, Index: i, HeaderOff: shoff + uint64(i*shentsize), Off: offs[i], Size: uint64(len(s.data))}
		if i == 0 {
			continue
		}
		bo.PutUint32(h, names[i])
		bo.PutUint32(h[4:], uint32(s.typ))
		if is32 {
			bo.PutUint32(h[8:], uint32(s.flags))
			bo.PutUint32(h[16:], uint32(offs[i]))
			bo.PutUint32(h[20:], uint32(len(s.data)))
			bo.PutUint32(h[24:], s.link)
			bo.PutUint32(h[28:], s.info)
			bo.PutUint32(h[32:], uint32(s.align))
			bo.PutUint32(h[36:], uint32(s.ent))
		} else {
			bo.PutUint64(h[8:], s.flags)
			bo.PutUint64(h[24:], offs[i])
			bo.PutUint64(h[32:], uint64(len(s.data)))
			bo.PutUint32(h[40:], s.link)
			bo.PutUint32(h[44:], s.info)
			bo.PutUint64(h[48:], s.align)
			bo.PutUint64(h[56:], s.ent)
		}
	}

	copy(out, "\x7fELF")
	out[elf.EI_CLASS] = byte(class)
	if bo == binary.BigEndian {
		out[elf.EI_DATA] = byte(elf.ELFDATA2MSB)
	} else {
		out[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	}
	out[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	bo.PutUint16(out[16:], uint16(elf.ET_REL))
	bo.PutUint16(out[18:], uint16(machine))
	bo.PutUint32(out[20:], uint32(elf.EV_CURRENT))
	if is32 {
		bo.PutUint32(out[32:], uint32(shoff))
		bo.PutUint16(out[40:], uint16(ehsize))
		bo.PutUint16(out[46:], uint16(shentsize))
		bo.PutUint16(out[48:], uint16(len(secs)))
		bo.PutUint16(out[50:], uint16(shstrndx))
	} else {
		bo.PutUint64(out[40:], shoff)
		bo.PutUint16(out[52:], uint16(ehsize))
		bo.PutUint16(out[58:], uint16(shentsize))
		bo.PutUint16(out[60:], uint16(len(secs)))
		bo.PutUint16(out[62:], uint16(shstrndx))
	}
	img.Bytes = out
	return img
}

// Bytes is shorthand for Build().Bytes.
func (m *Module) Bytes() []byte { return m.Build().Bytes }

// Gzip compresses b as "gzip -n" would.
func Gzip(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	if err := w.Close(); err != nil {
		panic(fmt.Sprintf("elfmodtest: gzip: %v", err))
	}
	return buf.Bytes()
}

// XZ compresses b with a CRC32 check, as the kernel's modules_install does
// ("xz --check=crc32 --lzma2=dict=1MiB").
func XZ(b []byte) []byte {
	var buf bytes.Buffer
	w, err := xz.WriterConfig{CheckSum: xz.CRC32, DictCap: 1 << 20}.NewWriter(&buf)
	if err == nil {
		_, err = w.Write(b)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		panic(fmt.Sprintf("elfmodtest: xz: %v", err))
	}
	return buf.Bytes()
}

// Zstd compresses b into one zstd frame.
func Zstd(b []byte) []byte {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		panic(fmt.Sprintf("elfmodtest: zstd: %v", err))
	}
	defer enc.Close()
	return enc.EncodeAll(b, nil)
}
