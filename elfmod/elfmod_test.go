package elfmod

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/modutils/modutils/elfmod/elfmodtest"
)

// results collects everything the module API returns, so that different
// ways of reading the same image can be compared as a whole.
type results struct {
	Class               Class
	MSB                 bool
	Info                []string
	Syms, Vers          []Symbol
	Deps                []DepSymbol
	InfoErr, SymErr     string
	DepErr, VerErr      string
	InfoErrno, SymErrno syscall.Errno
	DepErrno, VerErrno  syscall.Errno
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// withoutMessages drops the error texts, which name the file, keeping the
// errnos.
func (r results) withoutMessages() results {
	r.InfoErr, r.SymErr, r.DepErr, r.VerErr = "", "", "", ""
	return r
}

func collect(m *Module) results {
	var r results
	var err error
	r.Class, r.MSB = m.Class(), m.ByteOrder() == binary.BigEndian
	r.Info, err = m.Modinfo()
	r.InfoErr, r.InfoErrno = errString(err), Errno(err)
	r.Syms, err = m.Symbols()
	r.SymErr, r.SymErrno = errString(err), Errno(err)
	r.Deps, err = m.DependencySymbols()
	r.DepErr, r.DepErrno = errString(err), Errno(err)
	r.Vers, err = m.Versions()
	r.VerErr, r.VerErrno = errString(err), Errno(err)
	return r
}

func parse(t *testing.T, img []byte) *Module {
	t.Helper()
	m, err := ParseBytes("test.ko", img)
	if err != nil {
		t.Fatalf("ParseBytes: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// layouts are the four class/byte-order combinations depmod must read.
// layout is one of the ELF classes and byte orders modules come in.
type layout struct {
	name  string
	class elf.Class
	bo    binary.ByteOrder
}

// sample is sampleModule in layout l.
func (l layout) sample() *elfmodtest.Module {
	b := sampleModule()
	b.Class, b.ByteOrder = l.class, l.bo
	return b
}

var layouts = []layout{
	{"elf64le", elf.ELFCLASS64, binary.LittleEndian},
	{"elf64be", elf.ELFCLASS64, binary.BigEndian},
	{"elf32le", elf.ELFCLASS32, binary.LittleEndian},
	{"elf32be", elf.ELFCLASS32, binary.BigEndian},
}

func sampleModule() *elfmodtest.Module {
	return &elfmodtest.Module{
		Modinfo: []string{"alias=pci:v00008086d*", "depends=foo,bar", "license=GPL", "vermagic=6.1.0 SMP mod_unload modversions "},
		Exports: []elfmodtest.Export{{Name: "ex_one", CRC: 0x11111111}, {Name: "ex_two", CRC: 0xdeadbeef}},
		Undefined: []elfmodtest.Undef{
			{Name: "printk"},
			{Name: "maybe_there", Weak: true},
			{Name: "no_version"},
		},
		Versions: []elfmodtest.Version{
			{Name: "module_layout", CRC: 0xabcdef01},
			{Name: "printk", CRC: 0x12345678},
			{Name: "maybe_there", CRC: 0x9abcdef0},
		},
	}
}

func TestLayouts(t *testing.T) {
	t.Parallel()
	for _, l := range layouts {
		for _, style := range []elfmodtest.ExportStyle{elfmodtest.ExportKcrctab, elfmodtest.ExportAbs, elfmodtest.ExportStringsOnly} {
			t.Run(fmt.Sprintf("%s/style%d", l.name, style), func(t *testing.T) {
				b := sampleModule()
				b.Class, b.ByteOrder, b.ExportStyle = l.class, l.bo, style
				m := parse(t, b.Bytes())
				wantClass := Class64
				if l.class == elf.ELFCLASS32 {
					wantClass = Class32
				}
				if m.Class() != wantClass || m.ByteOrder() != l.bo {
					t.Errorf("Class, ByteOrder = %v, %v; want %v, %v", m.Class(), m.ByteOrder(), wantClass, l.bo)
				}
				got := collect(m)
				want := results{
					Class: wantClass,
					MSB:   l.bo == binary.BigEndian,
					Info:  b.Modinfo,
					Syms:  []Symbol{{"ex_one", 0x11111111}, {"ex_two", 0xdeadbeef}},
					Deps: []DepSymbol{
						{"printk", 0x12345678, BindUndef},
						{"maybe_there", 0x9abcdef0, BindWeak},
						{"no_version", 0, BindUndef},
						{"module_layout", 0xabcdef01, BindUndef},
					},
					Vers: []Symbol{{"module_layout", 0xabcdef01}, {"printk", 0x12345678}, {"maybe_there", 0x9abcdef0}},
				}
				if style == elfmodtest.ExportStringsOnly {
					want.Syms = []Symbol{{"ex_one", 0}, {"ex_two", 0}}
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("got  %+v\nwant %+v", got, want)
				}
			})
		}
	}
}

var modinfoCases = []struct {
	name string
	raw  string
	want []string
}{
	{"terminated", "a=1\x00b=2\x00", []string{"a=1", "b=2"}},
	{"no final NUL", "a=1\x00b=2", []string{"a=1", "b=2"}},
	{"empty strings between NULs", "a=1\x00\x00\x00b=2\x00\x00", []string{"a=1", "b=2"}},
	{"leading padding", "\x00\x00\x00a=1\x00", []string{"a=1"}},
	{"single string", "license=GPL\x00", []string{"license=GPL"}},
	{"single unterminated byte", "x", nil},
	{"padding then one byte", "\x00\x00x", nil},
	{"two bytes", "xy", []string{"xy"}},
	{"only NULs", "\x00\x00\x00", nil},
	{"one NUL", "\x00", nil},
	{"empty", "", nil},
	{"no equals sign", "flag\x00k=v=w\x00", []string{"flag", "k=v=w"}},
	{"duplicates kept", "alias=a\x00alias=a\x00", []string{"alias=a", "alias=a"}},
	{"high bytes", "author=J\xc3\xb6rg\x00", []string{"author=J\xc3\xb6rg"}},
}

func TestModinfoStrings(t *testing.T) {
	t.Parallel()
	for _, tt := range modinfoCases {
		t.Run(tt.name, func(t *testing.T) {
			for _, l := range layouts {
				b := &elfmodtest.Module{Class: l.class, ByteOrder: l.bo, ModinfoRaw: []byte(tt.raw)}
				got, err := parse(t, b.Bytes()).Modinfo()
				if err != nil {
					t.Fatalf("%s: Modinfo: %v", l.name, err)
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("%s: Modinfo() = %q, want %q", l.name, got, tt.want)
				}
			}
		})
	}
}

func TestNoSections(t *testing.T) {
	t.Parallel()
	m := parse(t, (&elfmodtest.Module{NoModinfo: true, NoSymtab: true}).Bytes())
	for _, c := range []struct {
		name  string
		err   error
		errno syscall.Errno
	}{
		{"Modinfo", second(m.Modinfo()), syscall.ENODATA},
		{"Symbols", second(m.Symbols()), syscall.ENODATA},
		{"Versions", second(m.Versions()), syscall.ENODATA},
		{"DependencySymbols", second(m.DependencySymbols()), syscall.EINVAL},
	} {
		if c.err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if got := Errno(c.err); got != c.errno {
			t.Errorf("%s: Errno(%v) = %v, want %v", c.name, c.err, got, c.errno)
		}
		if !errors.Is(c.err, c.errno) {
			t.Errorf("%s: errors.Is(%v, %v) = false", c.name, c.err, c.errno)
		}
		if (c.errno == syscall.ENODATA) != errors.Is(c.err, ErrNoSection) {
			t.Errorf("%s: errors.Is(%v, ErrNoSection) wrong", c.name, c.err)
		}
		if !strings.HasPrefix(c.err.Error(), "test.ko: ") || strings.Count(c.err.Error(), "test.ko") != 1 {
			t.Errorf("%s: error %q should name the file once, first", c.name, c.err)
		}
	}
	var fe *FormatError
	if _, err := m.DependencySymbols(); !errors.As(err, &fe) {
		t.Errorf("DependencySymbols without .symtab: %T, want *FormatError", err)
	}
}

func second[T any](_ T, err error) error { return err }

func u32p(v uint32) *uint32 { return &v }

var exports = []elfmodtest.Export{{Name: "a", CRC: 1}, {Name: "b", CRC: 2}}

var symbolCases = []struct {
	name   string
	mod    elfmodtest.Module
	patch  func(img *elfmodtest.Image)
	want   []Symbol
	want32 []Symbol // for ELF32, if different
	wantBE []Symbol // for big-endian, if different
	errno  syscall.Errno
}{
	{
		name: "kcrctab",
		mod:  elfmodtest.Module{Exports: exports},
		want: []Symbol{{"a", 1}, {"b", 2}},
	},
	{
		name: "absolute CRC keeps 64 bits",
		mod: elfmodtest.Module{ExportStyle: elfmodtest.ExportStringsOnly, Exports: exports, ExtraSymbols: []elfmodtest.Sym{
			{Name: "__crc_wide", Value: 0x1234567890, Shndx: uint16(elf.SHN_ABS)},
		}},
		want:   []Symbol{{"wide", 0x1234567890}},
		want32: []Symbol{{"wide", 0x34567890}},
	},
	{
		name: "undefined __crc_ symbol uses its value",
		mod: elfmodtest.Module{ExtraSymbols: []elfmodtest.Sym{
			{Name: "__crc_u", Value: 77},
		}},
		want: []Symbol{{"u", 77}},
	},
	{
		name: "duplicates kept in table order",
		mod:  elfmodtest.Module{ExportStyle: elfmodtest.ExportAbs, Exports: []elfmodtest.Export{{Name: "z", CRC: 9}, {Name: "y", CRC: 8}, {Name: "z", CRC: 7}}},
		want: []Symbol{{"z", 9}, {"y", 8}, {"z", 7}},
	},
	{
		name: "CRC section index out of range",
		mod: elfmodtest.Module{ExtraSymbols: []elfmodtest.Sym{
			{Name: "__crc_x", Value: 0, Shndx: 0xff00},
		}},
		want: []Symbol{{"x", ^uint64(0)}},
	},
	{
		name: "CRC offset past section end",
		mod: elfmodtest.Module{Exports: exports, ExtraSymbols: []elfmodtest.Sym{
			{Name: "__crc_x", Value: 5, Section: "__kcrctab"},
			{Name: "__crc_y", Value: 4, Section: "__kcrctab"},
		}},
		want: []Symbol{{"a", 1}, {"b", 2}, {"x", ^uint64(0)}, {"y", 2}},
	},
	{
		// kmod computes size-4 unsigned: for a 2-byte section the
		// check passes and the word is read past the section.
		name: "CRC in section smaller than a word",
		mod: elfmodtest.Module{
			Sections:     []elfmodtest.Section{{Name: "tiny", Data: []byte{0xaa, 0xbb}}, {Name: "after", Data: []byte{0xcc, 0xdd, 0xee, 0xff}}},
			ExtraSymbols: []elfmodtest.Sym{{Name: "__crc_t", Value: 0, Section: "tiny"}},
		},
		// kmod 34.2 checks the size first (kmod 30's check wrapped
		// and it read the word across into the next section).
		want: []Symbol{{"t", ^uint64(0)}},
	},
	{
		name: "CRC section past end of file",
		mod:  elfmodtest.Module{Exports: exports},
		patch: func(img *elfmodtest.Image) {
			img.SetSection("__kcrctab", uint64(len(img.Bytes)), 8)
		},
		want: []Symbol{{"a", ^uint64(0)}, {"b", ^uint64(0)}},
	},
	{
		name: "bad name offset falls back to __ksymtab_strings",
		mod: elfmodtest.Module{Exports: exports, ExtraSymbols: []elfmodtest.Sym{
			{NameOff: u32p(1 << 30)},
		}},
		want: []Symbol{{"a", 0}, {"b", 0}},
	},
	{
		name:  "no __crc_ symbols and no __ksymtab_strings",
		mod:   elfmodtest.Module{Undefined: []elfmodtest.Undef{{Name: "x"}}},
		errno: syscall.ENODATA,
	},
	{
		name: "empty __ksymtab_strings",
		mod:  elfmodtest.Module{Sections: []elfmodtest.Section{{Name: "__ksymtab_strings", Data: []byte{0, 0}}}},
		want: nil,
	},
	{
		name: "no .symtab uses __ksymtab_strings",
		mod:  elfmodtest.Module{Exports: exports, NoSymtab: true},
		want: []Symbol{{"a", 0}, {"b", 0}},
	},
	{
		name: ".symtab of odd size uses __ksymtab_strings",
		mod:  elfmodtest.Module{Exports: exports},
		patch: func(img *elfmodtest.Image) {
			s, _ := img.Section(".symtab")
			img.SetSection(".symtab", s.Off, s.Size-1)
		},
		want: []Symbol{{"a", 0}, {"b", 0}},
	},
}

func TestSymbols(t *testing.T) {
	t.Parallel()
	for _, tt := range symbolCases {
		t.Run(tt.name, func(t *testing.T) {
			for _, l := range layouts {
				mod := tt.mod
				mod.Class, mod.ByteOrder = l.class, l.bo
				img := mod.Build()
				if tt.patch != nil {
					tt.patch(img)
				}
				want := tt.want
				if tt.want32 != nil && l.class == elf.ELFCLASS32 {
					want = tt.want32
				}
				if tt.wantBE != nil && l.bo == binary.BigEndian {
					want = tt.wantBE
				}
				got, err := parse(t, img.Bytes).Symbols()
				if tt.errno != 0 {
					if Errno(err) != tt.errno {
						t.Errorf("%s: Symbols() error %v, want errno %v", l.name, err, tt.errno)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: Symbols: %v", l.name, err)
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s: Symbols() = %v, want %v", l.name, got, want)
				}
			}
		})
	}
}

var depCases = []struct {
	name    string
	mod     elfmodtest.Module
	patch   func(img *elfmodtest.Image)
	want    []DepSymbol
	wantErr bool
	only64  bool // raw bytes laid out for 8-byte CRCs
}{
	{
		name: "no __versions",
		mod:  elfmodtest.Module{Undefined: []elfmodtest.Undef{{Name: "a"}, {Name: "b", Weak: true}}},
		want: []DepSymbol{{"a", 0, BindUndef}, {"b", 0, BindWeak}},
	},
	{
		name: "symbol twice gets the same CRC",
		mod: elfmodtest.Module{
			Undefined: []elfmodtest.Undef{{Name: "a"}, {Name: "a", Weak: true}},
			Versions:  []elfmodtest.Version{{Name: "a", CRC: 5}},
		},
		want: []DepSymbol{{"a", 5, BindUndef}, {"a", 5, BindWeak}},
	},
	{
		name: "first __versions entry wins, the duplicate is unvisited",
		mod: elfmodtest.Module{
			Undefined: []elfmodtest.Undef{{Name: "a"}},
			Versions:  []elfmodtest.Version{{Name: "module_layout", CRC: 1}, {Name: "a", CRC: 2}, {Name: "a", CRC: 3}, {Name: "zz", CRC: 4}},
		},
		want: []DepSymbol{{"a", 2, BindUndef}, {"module_layout", 1, BindUndef}, {"a", 3, BindUndef}, {"zz", 4, BindUndef}},
	},
	{
		name: "__versions of odd size is ignored",
		mod: elfmodtest.Module{
			Undefined:   []elfmodtest.Undef{{Name: "a"}},
			VersionsRaw: make([]byte, 65),
		},
		want: []DepSymbol{{"a", 0, BindUndef}},
	},
	{
		name: "empty __versions",
		mod: elfmodtest.Module{
			Undefined:   []elfmodtest.Undef{{Name: "a"}},
			VersionsRaw: []byte{},
		},
		want: []DepSymbol{{"a", 0, BindUndef}},
	},
	{
		name: "defined, unnamed and local symbols are skipped",
		mod: elfmodtest.Module{
			Exports:   []elfmodtest.Export{{Name: "e", CRC: 1}},
			Undefined: []elfmodtest.Undef{{Name: ""}, {Name: "a"}},
			ExtraSymbols: []elfmodtest.Sym{
				{Name: "local_undef", Info: 0}, // STB_LOCAL undefined: still listed
				{Name: "defined", Section: ".text", Info: 0x10},
			},
		},
		want: []DepSymbol{{"a", 0, BindUndef}, {"local_undef", 0, BindUndef}},
	},
	{
		name: "STT_REGISTER is an ordinary symbol off SPARC",
		mod: elfmodtest.Module{
			Undefined: []elfmodtest.Undef{{Name: "g7", Type: 13}, {Name: "a"}},
		},
		want: []DepSymbol{{"g7", 0, BindUndef}, {"a", 0, BindUndef}},
	},
	{
		name: "STT_REGISTER skipped on SPARC",
		mod: elfmodtest.Module{
			Machine:   elf.EM_SPARCV9,
			Undefined: []elfmodtest.Undef{{Name: "g7", Type: 13}, {Name: "a"}},
		},
		want: []DepSymbol{{"a", 0, BindUndef}},
	},
	{
		name: "STT_REGISTER kept on SPARC32PLUS (kmod checks SPARC and SPARCV9 only)",
		mod: elfmodtest.Module{
			Machine:   elf.EM_SPARC32PLUS,
			Undefined: []elfmodtest.Undef{{Name: "g7", Type: 13}},
		},
		want: []DepSymbol{{"g7", 0, BindUndef}},
	},
	{
		name: "GNU unique and other bindings are undef",
		mod: elfmodtest.Module{
			ExtraSymbols: []elfmodtest.Sym{{Name: "u", Info: 10 << 4}},
		},
		want: []DepSymbol{{"u", 0, BindUndef}},
	},
	{
		// A name filling its whole 56/60-byte slot is never matched,
		// and listing it is EINVAL (kmod 34.2; kmod 30 read on into
		// the next entry).
		name: "__versions name without NUL",
		mod: elfmodtest.Module{
			VersionsRaw: versionsNoNUL(),
		},
		only64:  true,
		wantErr: true,
	},
	{
		name: "undefined symbol name offset outside .strtab",
		mod: elfmodtest.Module{
			ExtraSymbols: []elfmodtest.Sym{{NameOff: u32p(1 << 20)}},
		},
		wantErr: true,
	},
	{
		name: "defined symbol name offset outside .strtab is ignored",
		mod: elfmodtest.Module{
			Undefined:    []elfmodtest.Undef{{Name: "a"}},
			ExtraSymbols: []elfmodtest.Sym{{NameOff: u32p(1 << 20), Section: ".text"}},
		},
		want: []DepSymbol{{"a", 0, BindUndef}},
	},
	{
		name: "name running past the end of .strtab",
		mod: elfmodtest.Module{
			Undefined: []elfmodtest.Undef{{Name: "first"}, {Name: "last"}},
		},
		patch: func(img *elfmodtest.Image) {
			s, _ := img.Section(".strtab")
			img.SetSection(".strtab", s.Off, s.Size-3)
		},
		want: []DepSymbol{{"first", 0, BindUndef}, {"last", 0, BindUndef}},
	},
	{
		name: ".symtab of odd size",
		mod:  elfmodtest.Module{Undefined: []elfmodtest.Undef{{Name: "a"}}},
		patch: func(img *elfmodtest.Image) {
			s, _ := img.Section(".symtab")
			img.SetSection(".symtab", s.Off, s.Size+1)
		},
		wantErr: true,
	},
	{
		name:    "no .symtab",
		mod:     elfmodtest.Module{NoSymtab: true},
		wantErr: true,
	},
}

func TestDependencySymbols(t *testing.T) {
	t.Parallel()
	for _, tt := range depCases {
		t.Run(tt.name, func(t *testing.T) {
			for _, l := range layouts {
				mod := tt.mod
				mod.Class, mod.ByteOrder = l.class, l.bo
				if tt.only64 && l.class == elf.ELFCLASS32 {
					continue
				}
				img := mod.Build()
				if tt.patch != nil {
					tt.patch(img)
				}
				got, err := parse(t, img.Bytes).DependencySymbols()
				if tt.wantErr {
					var fe *FormatError
					if !errors.As(err, &fe) || Errno(err) != syscall.EINVAL {
						t.Errorf("%s: DependencySymbols() error %v, want *FormatError (EINVAL)", l.name, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: DependencySymbols: %v", l.name, err)
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("%s: DependencySymbols() = %+v, want %+v", l.name, got, tt.want)
				}
			}
		})
	}
}

// versionsNoNUL is two 64-bit __versions entries: the first name fills its
// slot, the second entry is all 0x01 bytes up to a final NUL.
func versionsNoNUL() []byte {
	b := make([]byte, 128)
	copy(b[8:64], strings.Repeat("x", 56))
	for i := 64; i < 127; i++ {
		b[i] = 1
	}
	return b
}

func TestVersions(t *testing.T) {
	t.Parallel()
	for _, l := range layouts {
		mod := elfmodtest.Module{Class: l.class, ByteOrder: l.bo, Versions: []elfmodtest.Version{{Name: ".dotted", CRC: 1}, {Name: "..two", CRC: 2}, {Name: "", CRC: 3}, {Name: "plain", CRC: 0xffffffff}}}
		got, err := parse(t, mod.Bytes()).Versions()
		want := []Symbol{{"dotted", 1}, {".two", 2}, {"", 3}, {"plain", 0xffffffff}}
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: Versions() = %v, %v; want %v", l.name, got, err, want)
		}
		mod.VersionsRaw = make([]byte, 100)
		_, err = parse(t, mod.Bytes()).Versions()
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Errorf("%s: Versions() with 100-byte section: %v, want *FormatError", l.name, err)
		}
	}
}

type headerCase struct {
	name   string
	layout int
	patch  func(img *elfmodtest.Image) []byte
	off    int64 // want FormatError.Off, -1 to skip the check
	errno  syscall.Errno
}

func goodImage(l int) *elfmodtest.Image {
	b := sampleModule()
	b.Class, b.ByteOrder = layouts[l].class, layouts[l].bo
	return b.Build()
}

func headerCases() []headerCase {
	type tc = headerCase
	field := func(name string, v uint64) func(img *elfmodtest.Image) []byte {
		return func(img *elfmodtest.Image) []byte {
			off, w := img.HeaderField(name)
			img.PutUint(off, w, v)
			return img.Bytes
		}
	}
	var tests []tc
	for l := range layouts {
		tests = append(tests,
			tc{"bad magic", l, func(img *elfmodtest.Image) []byte { img.Bytes[1] = 'X'; return img.Bytes }, 0, syscall.ENOEXEC},
			tc{"16 bytes", l, func(img *elfmodtest.Image) []byte { return img.Bytes[:16] }, 0, syscall.ENOEXEC},
			tc{"header size", l, func(img *elfmodtest.Image) []byte {
				if img.Class == elf.ELFCLASS32 {
					return img.Bytes[:52]
				}
				return img.Bytes[:64]
			}, -1, syscall.EINVAL},
			tc{"class", l, func(img *elfmodtest.Image) []byte { img.Bytes[4] = 3; return img.Bytes }, 4, syscall.EINVAL},
			tc{"data encoding", l, func(img *elfmodtest.Image) []byte { img.Bytes[5] = 0; return img.Bytes }, 5, syscall.EINVAL},
			tc{"shentsize", l, field("e_shentsize", 12), -1, syscall.EINVAL},
			tc{"shoff past EOF", l, field("e_shoff", 1<<31), 1 << 31, syscall.EINVAL},
			tc{"shoff wraps", l, func(img *elfmodtest.Image) []byte {
				off, w := img.HeaderField("e_shoff")
				img.PutUint(off, w, ^uint64(0)-100)
				return img.Bytes
			}, -1, syscall.EINVAL},
			tc{"shnum huge", l, field("e_shnum", 0xffff), -1, syscall.EINVAL},
			tc{"shnum zero", l, field("e_shnum", 0), -1, syscall.EINVAL},
			tc{"shstrndx zero", l, field("e_shstrndx", 0), -1, syscall.EINVAL},
			tc{"shstrndx out of range", l, field("e_shstrndx", 200), -1, syscall.EINVAL},
			tc{"shstrtab past EOF", l, func(img *elfmodtest.Image) []byte {
				img.SetSection(".shstrtab", uint64(len(img.Bytes))-2, 10)
				return img.Bytes
			}, -1, syscall.EINVAL},
			tc{"shstrtab huge", l, func(img *elfmodtest.Image) []byte {
				s, _ := img.Section(".shstrtab")
				img.SetSection(".shstrtab", s.Off, 1<<31)
				return img.Bytes
			}, -1, syscall.EINVAL},
			tc{"shstrtab empty", l, func(img *elfmodtest.Image) []byte {
				s, _ := img.Section(".shstrtab")
				img.SetSection(".shstrtab", s.Off, 0)
				return img.Bytes
			}, -1, syscall.EINVAL},
			tc{"shstrtab unterminated", l, func(img *elfmodtest.Image) []byte {
				s, _ := img.Section(".shstrtab")
				img.SetSection(".shstrtab", s.Off, s.Size-1)
				return img.Bytes
			}, -1, syscall.EINVAL},
		)
	}
	return tests
}

func TestHeaderValidation(t *testing.T) {
	t.Parallel()
	for _, tt := range headerCases() {
		t.Run(layouts[tt.layout].name+"/"+tt.name, func(t *testing.T) {
			img := tt.patch(goodImage(tt.layout))
			for _, p := range parsers {
				m, err := p.parse(img)
				if err == nil {
					m.Close()
					t.Fatalf("%s: no error", p.name)
				}
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("%s: error %v (%T), want *FormatError", p.name, err, err)
				}
				if tt.off >= 0 && fe.Off != tt.off {
					t.Errorf("%s: error %v: offset %#x, want %#x", p.name, err, fe.Off, tt.off)
				}
				if got := Errno(err); got != tt.errno {
					t.Errorf("%s: error %v: errno %v, want %v", p.name, err, got, tt.errno)
				}
				if want := "test.ko: "; !strings.HasPrefix(err.Error(), want) {
					t.Errorf("%s: error %q does not start with %q", p.name, err, want)
				}
			}
		})
	}
}

// parsers are the ways an image can be parsed; all must agree.
var parsers = []struct {
	name  string
	parse func([]byte) (*Module, error)
}{
	{"ParseBytes", func(b []byte) (*Module, error) { return ParseBytes("test.ko", b) }},
	{"Parse", func(b []byte) (*Module, error) { return Parse("test.ko", bytes.NewReader(b), int64(len(b))) }},
}

func TestSectionBounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		section string
		off     func(img *elfmodtest.Image) uint64
		size    uint64
	}{
		{"offset past EOF", ".modinfo", func(img *elfmodtest.Image) uint64 { return uint64(len(img.Bytes)) + 1 }, 4},
		{"end past EOF", ".modinfo", func(img *elfmodtest.Image) uint64 { return uint64(len(img.Bytes)) - 2 }, 4},
		{"huge size", ".modinfo", func(img *elfmodtest.Image) uint64 { return 0 }, 1 << 62},
		{"offset+size wraps", ".modinfo", func(img *elfmodtest.Image) uint64 { return 16 }, ^uint64(0) - 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, l := range layouts {
				b := l.sample()
				img := b.Build()
				size := tt.size
				if l.class == elf.ELFCLASS32 {
					size = min(size, 0xffffffff)
				}
				img.SetSection(tt.section, tt.off(img)&0xffffffff, size)
				for _, p := range parsers {
					m, err := p.parse(img.Bytes)
					if err != nil {
						t.Fatalf("%s %s: %v", l.name, p.name, err)
					}
					// kmod skips sections that do not fit, so this
					// one is simply not found.
					if _, err := m.Modinfo(); !errors.Is(err, ErrNoSection) {
						t.Errorf("%s %s: Modinfo() error %v, want ErrNoSection", l.name, p.name, err)
					}
					m.Close()
				}
			}
		})
	}
	// A second section of the same name is found when the first is bad.
	b := &elfmodtest.Module{Sections: []elfmodtest.Section{{Name: ".modinfo", Data: []byte("second=1\x00")}}, ModinfoRaw: []byte("first=1\x00")}
	img := b.Build()
	img.SetSection(".modinfo", 1<<20, 1)
	if got, err := parse(t, img.Bytes).Modinfo(); err != nil || !slices.Equal(got, []string{"second=1"}) {
		t.Errorf("Modinfo() with bad first .modinfo = %q, %v; want [second=1]", got, err)
	}
	// And so is a section whose name offset is out of range skipped.
	img = b.Build()
	img.SetSectionName(".modinfo", 1<<30)
	if got, err := parse(t, img.Bytes).Modinfo(); err != nil || !slices.Equal(got, []string{"second=1"}) {
		t.Errorf("Modinfo() with bad first name = %q, %v; want [second=1]", got, err)
	}
}

// TestTruncation cuts a module at every offset: every call must return
// (errors are fine), never panic, and both parsers must agree.
func TestTruncation(t *testing.T) {
	t.Parallel()
	for _, l := range layouts {
		b := l.sample()
		full := b.Bytes()
		for n := 0; n < len(full); n++ {
			img := full[:n]
			var res [2]results
			var errs [2]string
			for i, p := range parsers {
				m, err := p.parse(img)
				if err != nil {
					errs[i] = err.Error()
					continue
				}
				res[i] = collect(m)
				m.Close()
			}
			if errs != [2]string{errs[0], errs[0]} || !reflect.DeepEqual(res[0], res[1]) {
				t.Fatalf("%s cut at %d: parsers disagree: %q\n%+v\n%+v", l.name, n, errs, res[0], res[1])
			}
		}
	}
}

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var compressors = []struct {
	c        Compression
	ext      string
	compress func([]byte) []byte
}{
	{None, "", func(b []byte) []byte { return b }},
	{Gzip, ".gz", elfmodtest.Gzip},
	{XZ, ".xz", elfmodtest.XZ},
	{Zstd, ".zst", elfmodtest.Zstd},
}

func TestOpenCompressed(t *testing.T) {
	t.Parallel()
	for _, l := range layouts {
		b := l.sample()
		img := b.Bytes()
		want := collect(parse(t, img))
		for _, c := range compressors {
			t.Run(l.name+"/"+c.c.String(), func(t *testing.T) {
				// The name says nothing: detection is by magic.
				p := writeFile(t, "mod.ko", c.compress(img))
				m, err := Open(p)
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				if m.Compression() != c.c {
					t.Errorf("Compression() = %v, want %v", m.Compression(), c.c)
				}
				if got := collect(m); !reflect.DeepEqual(got, want) {
					t.Errorf("got  %+v\nwant %+v", got, want)
				}
				if got, err := m.Image(); err != nil || !bytes.Equal(got, img) {
					t.Errorf("Image() = %d bytes, %v; want the %d-byte image", len(got), err, len(img))
				}
			})
		}
	}
}

func TestCompressedStreams(t *testing.T) {
	t.Parallel()
	img := sampleModule().Bytes()
	half := len(img) / 2
	xzPadded := append(elfmodtest.XZ(img[:half]), 0, 0, 0, 0)
	xzPadded = append(xzPadded, elfmodtest.XZ(img[half:])...)
	xzPadded = append(xzPadded, 0, 0, 0, 0, 0, 0, 0, 0)
	tests := []struct {
		name    string
		data    []byte
		wantErr bool
	}{
		{"gzip members", append(elfmodtest.Gzip(img[:half]), elfmodtest.Gzip(img[half:])...), false},
		{"gzip trailing garbage ignored", append(elfmodtest.Gzip(img), "garbage!"...), false},
		{"gzip trailing 0x1f ignored", append(elfmodtest.Gzip(img), 0x1f), false},
		{"gzip truncated", elfmodtest.Gzip(img)[:100], true},
		{"gzip bad member after first", append(elfmodtest.Gzip(img), 0x1f, 0x8b, 0, 0, 0), true},
		{"gzip corrupt CRC", corruptTail(elfmodtest.Gzip(img), 8), true},
		{"xz streams with padding", xzPadded, false},
		{"xz truncated", elfmodtest.XZ(img)[:100], true},
		{"xz bad padding", append(elfmodtest.XZ(img), 0, 0, 0), true},
		{"xz corrupt check", corruptTail(elfmodtest.XZ(img), 20), true},
		{"xz trailing garbage", append(elfmodtest.XZ(img), "garbage!"...), true},
		{"zstd frames", append(elfmodtest.Zstd(img[:half]), elfmodtest.Zstd(img[half:])...), false},
		{"zstd skippable frame", append(elfmodtest.Zstd(img), 0x50, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 1, 2), false},
		{"zstd truncated", elfmodtest.Zstd(img)[:100], true},
		{"zstd trailing garbage", append(elfmodtest.Zstd(img), "garbage!"...), true},
		{"magic only: zstd", []byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0}, true},
		{"magic only: xz", []byte{0xfd, '7', 'z', 'X', 'Z', 0}, true},
		{"magic only: gzip", []byte{0x1f, 0x8b, 0, 0, 0, 0}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Open(writeFile(t, "m.ko", tt.data))
			if tt.wantErr {
				var de *DecompressError
				if err == nil {
					m.Close()
					t.Fatal("no error")
				}
				if !errors.As(err, &de) || Errno(err) != syscall.EINVAL {
					t.Errorf("error %v (%T), want *DecompressError (EINVAL)", err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if got, _ := m.Image(); !bytes.Equal(got, img) {
				t.Errorf("Image() differs from the original (%d vs %d bytes)", len(got), len(img))
			}
		})
	}
}

func corruptTail(b []byte, back int) []byte {
	b = bytes.Clone(b)
	b[len(b)-back] ^= 0xff
	return b
}

func TestDecompressBomb(t *testing.T) {
	// Not parallel: it measures the process's allocations (runtime.ReadMemStats).
	const limit = 1 << 20
	zeros := make([]byte, 16<<20)
	for _, c := range compressors[1:] {
		t.Run(c.c.String(), func(t *testing.T) {
			bomb := c.compress(zeros)
			if len(bomb) > 1<<16 {
				t.Fatalf("bomb is %d bytes", len(bomb))
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			b, err := Decompress("bomb", bytes.NewReader(bomb), c.c, limit)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrTooLarge) || b != nil {
				t.Errorf("Decompress() = %d bytes, %v; want ErrTooLarge", len(b), err)
			}
			if Errno(err) != syscall.EFBIG {
				t.Errorf("Errno(%v) = %v, want EFBIG", err, Errno(err))
			}
			// The output buffer may reach limit+1 after doubling, plus
			// decoder state (an xz dictionary of 1 MiB here).
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8*limit {
				t.Errorf("allocated %d bytes for a %d-byte limit", alloc, limit)
			}
			// Exactly at the limit is fine.
			b, err = Decompress("ok", bytes.NewReader(c.compress(zeros[:limit])), c.c, limit)
			if err != nil || len(b) != limit {
				t.Errorf("Decompress() of exactly limit bytes = %d bytes, %v", len(b), err)
			}
		})
	}
	t.Run("zstd without content size", func(t *testing.T) {
		// A streamed frame declares no size, so only the output limit
		// stops it.
		var buf bytes.Buffer
		w, err := zstd.NewWriter(&buf, zstd.WithWindowSize(1<<20), zstd.WithEncoderConcurrency(1))
		if err != nil {
			t.Fatal(err)
		}
		w.Write(zeros)
		w.Close()
		b, err := Decompress("bomb", &buf, Zstd, limit)
		if !errors.Is(err, ErrTooLarge) || b != nil {
			t.Errorf("Decompress() = %d bytes, %v; want ErrTooLarge", len(b), err)
		}
	})
	t.Run("Open", func(t *testing.T) {
		_, err := open(writeFile(t, "bomb.ko.zst", elfmodtest.Zstd(zeros)), limit)
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("Open() error %v, want ErrTooLarge", err)
		}
	})
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name  string
		path  string
		errno syscall.Errno
	}{
		{"missing", filepath.Join(dir, "nope.ko"), syscall.ENOENT},
		{"directory", dir, syscall.EISDIR},
		{"empty", writeFile(t, "empty.ko", nil), syscall.EINVAL},
		{"5 bytes", writeFile(t, "5.ko", []byte("\x7fELF\x02")), syscall.EINVAL},
		{"6 bytes", writeFile(t, "6.ko", []byte("\x7fELF\x02\x01")), syscall.ENOEXEC},
		{"text", writeFile(t, "t.ko", []byte("hello, world\n")), syscall.ENOEXEC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Open(tt.path)
			if err == nil {
				m.Close()
				t.Fatal("no error")
			}
			if got := Errno(err); got != tt.errno {
				t.Errorf("Open() error %v: errno %v, want %v", err, got, tt.errno)
			}
			if strings.Count(err.Error(), tt.path) != 1 {
				t.Errorf("error %q should name %s once", err, tt.path)
			}
		})
	}
}

func TestClose(t *testing.T) {
	t.Parallel()
	p := writeFile(t, "m.ko", sampleModule().Bytes())
	m, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err == nil {
		t.Error("second Close succeeded")
	}
	if _, err := m.Modinfo(); err == nil {
		t.Error("Modinfo after Close succeeded")
	}
	if _, err := m.Image(); err == nil {
		t.Error("Image after Close succeeded")
	}
}

func TestImageLazy(t *testing.T) {
	t.Parallel()
	img := sampleModule().Bytes()
	m, err := Open(writeFile(t, "m.ko", img))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	before := collect(m)
	got, err := m.Image()
	if err != nil || !bytes.Equal(got, img) {
		t.Fatalf("Image() = %d bytes, %v", len(got), err)
	}
	if after := collect(m); !reflect.DeepEqual(before, after) {
		t.Errorf("results changed after Image():\n%+v\n%+v", before, after)
	}
}

func TestStrip(t *testing.T) {
	t.Parallel()
	for _, l := range layouts {
		b := l.sample()
		img := b.Build()
		m := parse(t, img.Bytes)
		if err := m.StripSection("__versions"); err != nil {
			t.Fatal(err)
		}
		if err := m.StripVermagic(); err != nil {
			t.Fatal(err)
		}
		got, _ := m.Image()
		if bytes.Equal(got, img.Bytes) {
			t.Fatal("Image() unchanged after stripping")
		}
		if img.Bytes[0] != 0x7f || !bytes.Equal(img.Bytes, b.Bytes()) {
			t.Fatal("original image modified")
		}
		f, err := elf.NewFile(bytes.NewReader(got))
		if err != nil {
			t.Fatal(err)
		}
		if f.Section("__versions").Flags&elf.SHF_ALLOC != 0 {
			t.Errorf("%s: __versions still SHF_ALLOC", l.name)
		}
		if f.Section(".modinfo").Flags&elf.SHF_ALLOC == 0 {
			t.Errorf("%s: .modinfo lost SHF_ALLOC", l.name)
		}
		m2 := parse(t, got)
		info, _ := m2.Modinfo()
		if want := []string{"alias=pci:v00008086d*", "depends=foo,bar", "license=GPL"}; !slices.Equal(info, want) {
			t.Errorf("%s: Modinfo after StripVermagic = %q, want %q", l.name, info, want)
		}
		if err := m.StripSection("nothere"); !errors.Is(err, ErrNoSection) {
			t.Errorf("StripSection(nothere) = %v", err)
		}
	}
	tests := []struct {
		name, raw, want string
		err             bool
	}{
		{"first", "vermagic=x y\x00a=1\x00", strings.Repeat("\x00", 13) + "a=1\x00", false},
		{"after padding", "\x00\x00vermagic=x\x00a\x00", strings.Repeat("\x00", 13) + "a\x00", false},
		{"only at string start", "xvermagic=1\x00\x00", "", true},
		{"too close to the end", "a\x00vermagic=", "", true},
		{"one byte after key", "a\x00vermagic=1", "a\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", false},
		{"empty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := (&elfmodtest.Module{ModinfoRaw: []byte(tt.raw)}).Build()
			m := parse(t, img.Bytes)
			err := m.StripVermagic()
			if tt.err {
				if !errors.Is(err, ErrNoSection) {
					t.Errorf("StripVermagic() = %v, want ErrNoSection", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := m.Image()
			s, _ := img.Section(".modinfo")
			if g := string(got[s.Off : s.Off+s.Size]); g != tt.want && tt.raw != "" {
				t.Errorf(".modinfo = %q, want %q", g, tt.want)
			}
		})
	}
}

func TestParseReaderErrors(t *testing.T) {
	t.Parallel()
	b := sampleModule()
	// Far enough from the section headers not to be read with them.
	b.Sections = []elfmodtest.Section{{Name: "big", Data: make([]byte, 64<<10)}}
	img := b.Bytes()
	// A reader that fails after the headers: the error must surface.
	r := &failingReader{r: bytes.NewReader(img), after: 2}
	m, err := Parse("x.ko", r, int64(len(img)))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	_, err = m.Modinfo()
	if !errors.Is(err, errInjected) {
		t.Errorf("got %v, want the reader's error", err)
	}
	if _, err := Parse("x.ko", bytes.NewReader(img), -1); err == nil {
		t.Error("negative size accepted")
	}
	// A lying size: reads come back short.
	if _, err := Parse("x.ko", bytes.NewReader(img[:100]), int64(len(img))); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short reader: %v, want io.ErrUnexpectedEOF", err)
	}
}

var errInjected = errors.New("injected")

type failingReader struct {
	r     io.ReaderAt
	after int
}

func (f *failingReader) ReadAt(b []byte, off int64) (int, error) {
	if f.after == 0 {
		return 0, errInjected
	}
	f.after--
	return f.r.ReadAt(b, off)
}

func TestBindString(t *testing.T) {
	t.Parallel()
	for b, want := range map[Bind]string{BindUndef: "undef", BindWeak: "weak", BindGlobal: "global", BindLocal: "local", BindNone: "none", 'Q': "Bind(Q)"} {
		if got := b.String(); got != want {
			t.Errorf("Bind(%d).String() = %q, want %q", b, got, want)
		}
	}
}

type corpusEntry struct {
	name string
	data []byte
}

// syntheticCorpus is every image the table tests use, plus truncations and
// compressed copies: seeds for the fuzzers and input for the comparison
// with libkmod.
func syntheticCorpus() []corpusEntry {
	var out []corpusEntry
	add := func(name string, b []byte) { out = append(out, corpusEntry{name, b}) }
	for li, l := range layouts {
		for _, style := range []elfmodtest.ExportStyle{elfmodtest.ExportKcrctab, elfmodtest.ExportAbs, elfmodtest.ExportStringsOnly} {
			b := sampleModule()
			b.Class, b.ByteOrder, b.ExportStyle = l.class, l.bo, style
			add(fmt.Sprintf("%s-sample-style%d", l.name, style), b.Bytes())
		}
		for i, c := range modinfoCases {
			add(fmt.Sprintf("%s-modinfo%d", l.name, i), (&elfmodtest.Module{Class: l.class, ByteOrder: l.bo, ModinfoRaw: []byte(c.raw)}).Bytes())
		}
		for i, c := range symbolCases {
			mod := c.mod
			mod.Class, mod.ByteOrder = l.class, l.bo
			img := mod.Build()
			if c.patch != nil {
				c.patch(img)
			}
			add(fmt.Sprintf("%s-symbols%d", l.name, i), img.Bytes)
		}
		for i, c := range depCases {
			mod := c.mod
			mod.Class, mod.ByteOrder = l.class, l.bo
			img := mod.Build()
			if c.patch != nil {
				c.patch(img)
			}
			add(fmt.Sprintf("%s-deps%d", l.name, i), img.Bytes)
		}
		for i, c := range headerCases() {
			if c.layout == li {
				add(fmt.Sprintf("%s-header%d", l.name, i), c.patch(goodImage(li)))
			}
		}
		full := goodImage(li).Bytes
		for n := 0; n < len(full); n += 13 {
			add(fmt.Sprintf("%s-cut%d", l.name, n), full[:n])
		}
	}
	img := sampleModule().Bytes()
	add("gzip", elfmodtest.Gzip(img))
	add("xz", elfmodtest.XZ(img))
	add("zstd", elfmodtest.Zstd(img))
	return out
}

// TestHostileTables: tables crafted to make kmod's algorithms quadratic or
// its allocations huge must be answered quickly, with an error or not.
func TestHostileTables(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 1<<20)
	many := func(n int, off uint32, section string) []elfmodtest.Sym {
		s := make([]elfmodtest.Sym, n)
		for i := range s {
			s[i] = elfmodtest.Sym{NameOff: u32p(off), Section: section}
		}
		return s
	}
	tests := []struct {
		name  string
		mod   elfmodtest.Module
		patch func(img *elfmodtest.Image)
	}{
		{
			// 100k references to one 1 MiB name: 100 GB of names.
			name: "one long name referenced many times",
			mod: elfmodtest.Module{
				Undefined:    []elfmodtest.Undef{{Name: long}},
				ExtraSymbols: many(100000, 1, ""),
				Versions:     []elfmodtest.Version{{Name: "x"}},
			},
		},
		{
			// .strtab ends 3 bytes into a name that continues for 1 MiB
			// in the next section; every symbol points there.
			name: "unterminated .strtab tail",
			mod: elfmodtest.Module{
				Undefined:    []elfmodtest.Undef{{Name: "abc"}},
				ExtraSymbols: many(100000, 1, ".text"),
				Sections:     []elfmodtest.Section{{Name: "after", Data: []byte(long)}},
			},
			patch: func(img *elfmodtest.Image) {
				// Make .strtab end inside "abc" and be followed by the
				// long section: move it just before "after".
				s, _ := img.Section(".strtab")
				a, _ := img.Section("after")
				copy(img.Bytes[a.Off-4:], img.Bytes[s.Off:s.Off+4]) // "\0abc"
				img.SetSection(".strtab", a.Off-4, 4)
			},
		},
		{
			name: "__versions names running into each other",
			mod: elfmodtest.Module{
				VersionsRaw: bytes.Repeat([]byte{'v'}, 64*20000),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := tt.mod.Build()
			if tt.patch != nil {
				tt.patch(img)
			}
			for _, p := range parsers {
				m, err := p.parse(img.Bytes)
				if err != nil {
					t.Fatal(err)
				}
				done := make(chan results)
				go func() { done <- collect(m) }()
				select {
				case r := <-done:
					t.Logf("%s: %d deps (%s), %d syms (%s), %d versions (%s)", p.name, len(r.Deps), r.DepErr, len(r.Syms), r.SymErr, len(r.Vers), r.VerErr)
				case <-time.After(20 * time.Second):
					t.Fatalf("%s: still running after 20s", p.name)
				}
				m.Close()
			}
		})
	}
}

// TestConcurrent opens modules of every compression from several goroutines,
// so that the race detector sees the pooled decoders and buffers shared.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	var paths []string
	var want []results
	for i, l := range layouts {
		b := l.sample()
		img := b.Bytes()
		c := compressors[i%len(compressors)]
		paths = append(paths, writeFile(t, "m.ko"+c.ext, c.compress(img)))
		want = append(want, collect(parse(t, img)).withoutMessages())
	}
	done := make(chan error)
	for g := range 4 {
		go func() {
			for n := range 50 {
				i := (g + n) % len(paths)
				m, err := Open(paths[i])
				if err != nil {
					done <- err
					return
				}
				got := collect(m).withoutMessages()
				m.Close()
				if !reflect.DeepEqual(got, want[i]) {
					done <- fmt.Errorf("%s: got %+v, want %+v", paths[i], got, want[i])
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
