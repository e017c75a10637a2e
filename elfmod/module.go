package elfmod

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"sync"

	"github.com/modutils/modutils/internal/rawfile"
)

// Class is the ELF class of a module: 32 or 64 bits.
type Class uint8

const (
	Class32 Class = 32
	Class64 Class = 64
)

func (c Class) String() string {
	switch c {
	case Class32:
		return "ELF32"
	case Class64:
		return "ELF64"
	}
	return fmt.Sprintf("Class(%d)", uint8(c))
}

// ELF constants used below; debug/elf has them too, but as typed values that
// would need conversions at every use.
const (
	shnUndef  = 0
	shnAbs    = 0xfff1
	stbWeak   = 2
	sttReg    = 13 // STT_REGISTER, SPARC only
	emSparc   = 2
	emSparcV9 = 43
	shfAlloc  = 0x2

	// modversionSize is sizeof(struct modversion_info) for both classes:
	// the CRC is 4 bytes on ELF32 and 8 on ELF64, the name fills the rest.
	modversionSize = 64

	// readGap is how far apart two sections may lie and still be fetched
	// with one pread; a few KiB of unneeded bytes cost less than a syscall.
	readGap = 8 << 10

	// maxArena bounds the scratch buffers kept in the pool, so one huge
	// module does not pin its buffer forever.
	maxArena = 4 << 20
)

// Module is one parsed kernel module image. Its methods read only the
// sections they need. A Module is not safe for concurrent use.
type Module struct {
	path    string
	comp    Compression
	size    uint64
	class   Class
	msb     bool
	machine uint16

	f      *rawfile.File // owned, uncompressed files from Open only
	r      io.ReaderAt   // lazily read image; nil when mem holds it all
	mem    []byte        // the whole image, when available
	memBuf *[]byte       // pooled backing of mem, returned on Close
	closed bool

	shoff uint64
	known [numKnown]int
	sects []section
	names []byte // section name table, NUL-terminated (validated)

	// win is the last bulk read, kept so that sections which happen to lie
	// inside it (typically .shstrtab next to the section headers) need no
	// read of their own.
	winOff uint64
	win    []byte

	sc *scratch

	changed []byte   // private copy modified by StripSection/StripVermagic
	nulMemo []uint64 // see nulAfter

	hdr [64]byte
}

type section struct {
	off, size uint64
	name      uint32
	// valid mirrors kmod's elf_get_section_info: the section lies inside
	// the image. Invalid sections are skipped by name lookups.
	valid  bool
	loaded bool
	data   []byte
}

// scratch is the per-module working memory, pooled so that scanning
// thousands of modules allocates little beyond the results.
type scratch struct {
	arena   []byte // section contents read from files
	sects   []section
	vers    [][]byte
	slots   []int32
	visited []bool
	deps    []depRef
	crcs    []crcRef
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func (sc *scratch) reset() {
	if cap(sc.arena) > maxArena {
		sc.arena = nil
	}
	sc.arena = sc.arena[:0]
	// Drop references into images that are about to be reused elsewhere.
	// Clearing what was used keeps everything up to cap zeroed.
	clear(sc.sects)
	clear(sc.vers)
	clear(sc.deps)
	clear(sc.crcs)
	sc.sects, sc.vers, sc.deps, sc.crcs = sc.sects[:0], sc.vers[:0], sc.deps[:0], sc.crcs[:0]
}

// Open opens a kernel module file. Compression (gzip, xz, zstd) is detected
// by magic bytes, as kmod does, never by file name. Uncompressed files are
// kept open and read lazily with ReadAt: the ELF header, the section headers
// and section name table, and later only the sections a method needs.
// Compressed files are decompressed into memory, bounded by
// MaxDecompressedSize. The caller must Close the module.
func Open(path string) (*Module, error) { return open(path, MaxDecompressedSize) }

// open is Open with compressed images bounded by limit.
func open(path string, limit int64) (*Module, error) {
	f, size, err := rawfile.Open(path)
	if err != nil {
		return nil, err
	}
	var hdr [64]byte
	n := min(int64(len(hdr)), size)
	if err := preadFull(f, hdr[:n], 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: reading header: %w", path, err)
	}
	// kmod insists on reading the 6 bytes of the longest magic before it
	// looks at anything, so tiny files fail with EINVAL, not ENOEXEC.
	if size < magicLen {
		f.Close()
		return nil, formatErr(path, uint64(size), "file too short to be a module (%d bytes)", size)
	}
	comp := Detect(hdr[:magicLen])
	if comp == None {
		m, err := newModule(path, f, nil, uint64(size), hdr[:n])
		if err != nil {
			f.Close()
			return nil, err
		}
		m.f = f
		return m, nil
	}
	defer f.Close()
	return openCompressed(path, f, size, comp, hdr[:n], nil, limit)
}

// OpenData is Open of a module file whose bytes the caller has read
// already: data, which the Module may refer to and which must not change
// while it is open. A compressed module is decompressed from data itself:
// no second read of the file, and no second copy of its bytes, which for
// the largest modules (amdgpu's 5 MB of xz) was most of a reader's
// memory beside the image.
func OpenData(path string, data []byte) (*Module, error) {
	if len(data) < magicLen {
		return nil, formatErr(path, uint64(len(data)), "file too short to be a module (%d bytes)", len(data))
	}
	hdr := data[:min(64, len(data))]
	comp := Detect(hdr[:magicLen])
	if comp == None {
		return newModule(path, nil, data, uint64(len(data)), nil)
	}
	return openCompressed(path, bytes.NewReader(data), int64(len(data)), comp, hdr, data, MaxDecompressedSize)
}

// openCompressed decompresses the module r holds (size bytes, compressed
// with comp, starting with hdr; data, if not nil, is all of them in
// memory, as an .xz file not given so is read first) into a pooled image
// buffer.
func openCompressed(path string, r io.ReaderAt, size int64, comp Compression, hdr, data []byte, limit int64) (*Module, error) {
	if data == nil && comp == XZ && size <= xzInputMax(limit) {
		// xz decodes from the whole file in memory: one read of exactly
		// its size, not a buffer doubled from 256 KiB (for the largest
		// modules, three allocations and two copies, each page of them
		// a fault). A read that comes up short (the file changed) is
		// left to the general path to report as it does.
		p := getXZInput()
		in := slices.Grow((*p)[:0], int(size))[:size]
		defer putXZInput(p, in)
		if k, err := r.ReadAt(in, 0); err == nil && int64(k) == size {
			data = in
		}
	}
	buf := getImageBuf()
	if hint := sizeHint(r, size, comp, hdr); hint > int64(cap(*buf)) {
		// A little slack lets the final read see EOF without growing.
		*buf = rawfile.HugeBuffer(int(hint + 512))
	}
	var img []byte
	var err error
	if data != nil {
		img, err = decompressData(path, data, comp, limit, (*buf)[:0])
	} else {
		br := getBufReader(io.NewSectionReader(r, 0, size))
		img, err = decompress(path, br, comp, limit, (*buf)[:0])
		putBufReader(br)
	}
	if err != nil {
		putImageBuf(buf, img)
		return nil, err
	}
	m, err := newModule(path, nil, img, uint64(len(img)), nil)
	if err != nil {
		putImageBuf(buf, img)
		return nil, err
	}
	*buf = img
	m.memBuf = buf
	m.comp = comp
	return m, nil
}

// Parse parses an ELF image (not compressed) available through r, which
// must hold size bytes. name is used in errors. Sections are read lazily,
// so r must stay readable until the Module is closed; Close does not close r.
func Parse(name string, r io.ReaderAt, size int64) (*Module, error) {
	if size < 0 {
		return nil, formatErr(name, 0, "negative size %d", size)
	}
	return newModule(name, r, nil, uint64(size), nil)
}

// ParseBytes parses an ELF image held in memory. The Module refers to img
// without copying it; img must not be modified while the Module is in use.
func ParseBytes(name string, img []byte) (*Module, error) {
	if img == nil {
		img = []byte{}
	}
	return newModule(name, nil, img, uint64(len(img)), nil)
}

func newModule(name string, r io.ReaderAt, mem []byte, size uint64, hdr []byte) (*Module, error) {
	m := &Module{path: name, r: r, mem: mem, size: size, sc: scratchPool.Get().(*scratch)}
	if err := m.parseHeaders(hdr); err != nil {
		m.release()
		return nil, err
	}
	return m, nil
}

// parseHeaders reproduces kmod_elf_new: identification, header fields,
// section table bounds and the section name table.
func (m *Module) parseHeaders(hdr []byte) error {
	if hdr == nil {
		n := uint64(len(m.hdr))
		if m.size < n {
			n = m.size
		}
		if m.mem != nil {
			hdr = m.mem[:n]
		} else {
			hdr = m.hdr[:n]
			if err := m.pread(hdr, 0); err != nil {
				return err
			}
		}
	}
	if m.size <= 16 || !bytes.HasPrefix(hdr, []byte("\x7fELF")) {
		e := formatErr(m.path, 0, "not an ELF file")
		e.notELF = true
		return e
	}
	var ehdrSize, shdrSize uint64
	switch hdr[4] {
	case 1:
		m.class, ehdrSize, shdrSize = Class32, 52, 40
	case 2:
		m.class, ehdrSize, shdrSize = Class64, 64, 64
	default:
		return formatErr(m.path, 4, "unknown ELF class %d", hdr[4])
	}
	if m.size <= ehdrSize {
		return formatErr(m.path, m.size, "file too short for %v header", m.class)
	}
	switch hdr[5] {
	case 1:
	case 2:
		m.msb = true
	default:
		return formatErr(m.path, 5, "unknown ELF data encoding %d", hdr[5])
	}

	var shoff uint64
	var shnum, shentsize, shstrndx uint16
	var shentsizeOff, shstrndxOff uint64
	m.machine = m.u16(hdr[18:])
	if m.class == Class32 {
		shoff = uint64(m.u32(hdr[32:]))
		shentsizeOff, shstrndxOff = 46, 50
	} else {
		shoff = m.u64(hdr[40:])
		shentsizeOff, shstrndxOff = 58, 62
	}
	shentsize = m.u16(hdr[shentsizeOff:])
	shnum = m.u16(hdr[shentsizeOff+2:])
	shstrndx = m.u16(hdr[shstrndxOff:])
	if uint64(shentsize) != shdrSize {
		return formatErr(m.path, shentsizeOff, "section header size %d, want %d", shentsize, shdrSize)
	}
	tabSize := uint64(shnum) * shdrSize
	if shoff > m.size || tabSize > m.size-shoff {
		return formatErr(m.path, shoff, "section header table (%d entries) extends past end of file (%d bytes)", shnum, m.size)
	}

	// Read the section table together with the bytes just before it, where
	// linkers put .shstrtab; it then needs no read of its own.
	start := shoff - min(shoff, readGap)
	tab, err := m.bulkRead(start, shoff+tabSize-start)
	if err != nil {
		return err
	}
	tab = tab[shoff-start:]
	m.shoff = shoff
	m.sects = grow(m.sc.sects, int(shnum))
	m.sc.sects = m.sects
	for i := range m.sects {
		s := &m.sects[i]
		h := tab[uint64(i)*shdrSize:]
		s.name = m.u32(h)
		if m.class == Class32 {
			s.off, s.size = uint64(m.u32(h[16:])), uint64(m.u32(h[20:]))
		} else {
			s.off, s.size = m.u64(h[24:]), m.u64(h[32:])
		}
		s.valid = s.off <= m.size && s.size <= m.size-s.off
	}

	if shstrndx == shnUndef || shstrndx >= shnum {
		return formatErr(m.path, shstrndxOff, "section name table index %d out of range (%d sections)", shstrndx, shnum)
	}
	ss := &m.sects[shstrndx]
	if !ss.valid {
		return formatErr(m.path, shoff+uint64(shstrndx)*shdrSize, "section name table (offset %#x, size %#x) extends past end of file", ss.off, ss.size)
	}
	names, err := m.section(int(shstrndx))
	if err != nil {
		return err
	}
	if len(names) == 0 || names[len(names)-1] != 0 {
		return formatErr(m.path, ss.off+max(ss.size, 1)-1, "section name table not NUL-terminated")
	}
	m.names = names
	m.indexKnown()
	return nil
}

// Sections the readers use, located once per module instead of by a scan
// of the section table per lookup.
const (
	secModinfo = iota
	secVersions
	secSymtab
	secStrtab
	secKcrctab
	secKcrctabGPL
	secKsymtabStrings
	numKnown
)

// indexKnown fills m.known with the first in-bounds section of each known
// name, the same section find would return.
func (m *Module) indexKnown() {
	for k := range m.known {
		m.known[k] = -1
	}
	for i := 1; i < len(m.sects); i++ {
		s := &m.sects[i]
		if !s.valid || uint64(s.name) >= uint64(len(m.names)) {
			continue
		}
		n := m.names[s.name:]
		n = n[:bytes.IndexByte(n, 0)]
		k := -1
		switch string(n) {
		case ".modinfo":
			k = secModinfo
		case "__versions":
			k = secVersions
		case ".symtab":
			k = secSymtab
		case ".strtab":
			k = secStrtab
		case "__kcrctab":
			k = secKcrctab
		case "__kcrctab_gpl":
			k = secKcrctabGPL
		case "__ksymtab_strings":
			k = secKsymtabStrings
		}
		if k >= 0 && m.known[k] < 0 {
			m.known[k] = i
		}
	}
}

func (m *Module) u16(b []byte) uint16 {
	if m.msb {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (m *Module) u32(b []byte) uint32 {
	if m.msb {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (m *Module) u64(b []byte) uint64 {
	if m.msb {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}

// uint reads an unsigned integer of n (4 or 8) bytes.
func (m *Module) uint(b []byte, n int) uint64 {
	if n == 4 {
		return uint64(m.u32(b))
	}
	return m.u64(b)
}

// Name returns the path or name the module was opened with.
func (m *Module) Name() string { return m.path }

// Compression returns how the file was compressed.
func (m *Module) Compression() Compression { return m.comp }

// Class returns the ELF class.
func (m *Module) Class() Class { return m.class }

// ByteOrder returns the byte order of the image.
func (m *Module) ByteOrder() binary.ByteOrder {
	if m.msb {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// Machine returns e_machine.
func (m *Module) Machine() uint16 { return m.machine }

// Size returns the size of the (decompressed) image.
func (m *Module) Size() int64 { return int64(m.size) }

// Close releases the file and buffers. Slices returned by Image are invalid
// afterwards; strings and symbol lists are not affected.
func (m *Module) Close() error {
	if m.closed {
		return errClosed
	}
	var err error
	if m.f != nil {
		err = m.f.Close()
	}
	m.release()
	return err
}

func (m *Module) release() {
	m.closed = true
	if m.sc != nil {
		m.sc.reset()
		scratchPool.Put(m.sc)
	}
	if m.memBuf != nil {
		putImageBuf(m.memBuf, m.mem)
	}
	m.sc, m.mem, m.memBuf, m.win, m.sects, m.names, m.changed, m.nulMemo = nil, nil, nil, nil, nil, nil, nil, nil
	m.r, m.f = nil, nil
}

// grow returns s resliced to n zeroed elements, reallocating if needed.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// alloc returns n bytes of scratch space that lives until Close.
func (m *Module) alloc(n uint64) []byte {
	a := m.sc.arena
	if uint64(cap(a)-len(a)) < n {
		// Earlier slices keep the old arena alive; only the newest one
		// goes back to the pool.
		a = make([]byte, 0, max(2*uint64(cap(a)), n, 64<<10))
	}
	l := uint64(len(a))
	a = a[:l+n]
	m.sc.arena = a
	return a[l : l+n : l+n]
}

// readErr turns a failed ReadAt into the cause alone: callers name the file
// themselves, and a file that ends early is unexpected.
func readErr(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// preadFull fills b from offset off of r.
func preadFull(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return readErr(err)
}

// pread fills b from offset off of a lazily read image.
func (m *Module) pread(b []byte, off uint64) error {
	if err := preadFull(m.r, b, int64(off)); err != nil {
		return fmt.Errorf("%s: reading %d bytes at offset %#x: %w", m.path, len(b), off, err)
	}
	return nil
}

// bulkRead returns the image bytes [off, off+n), which the caller has
// bounds-checked, and remembers them as the read window.
func (m *Module) bulkRead(off, n uint64) ([]byte, error) {
	b, fresh, err := m.fetch(off, n)
	if fresh {
		m.winOff, m.win = off, b
	}
	return b, err
}

func (m *Module) inWindow(off, n uint64) ([]byte, bool) {
	if off >= m.winOff && off-m.winOff <= uint64(len(m.win)) && n <= uint64(len(m.win))-(off-m.winOff) {
		o := off - m.winOff
		return m.win[o : o+n : o+n], true
	}
	return nil, false
}

// readAt returns the image bytes [off, off+n) without touching the window;
// used for the odd reads that reach outside any section.
func (m *Module) readAt(off, n uint64) ([]byte, error) {
	b, _, err := m.fetch(off, n)
	return b, err
}

// fetch returns the image bytes [off, off+n) from memory, the read window
// or the file; fresh says they were read from the file just now.
func (m *Module) fetch(off, n uint64) (b []byte, fresh bool, err error) {
	if m.mem != nil {
		return m.mem[off : off+n : off+n], false, nil
	}
	if b, ok := m.inWindow(off, n); ok {
		return b, false, nil
	}
	b = m.alloc(n)
	if err := m.pread(b, off); err != nil {
		return nil, false, err
	}
	return b, true, nil
}

// find returns the index of the first in-bounds section called name, or -1,
// scanning like kmod_elf_get_section (index 0 is never considered).
func (m *Module) find(name string) int {
	for i := 1; i < len(m.sects); i++ {
		s := &m.sects[i]
		if !s.valid || uint64(s.name) >= uint64(len(m.names)) {
			continue
		}
		n := m.names[s.name:]
		if len(n) > len(name) && n[len(name)] == 0 && string(n[:len(name)]) == name {
			return i
		}
	}
	return -1
}

// section returns the contents of the valid section i.
func (m *Module) section(i int) ([]byte, error) {
	s := &m.sects[i]
	if !s.loaded && s.size == 0 {
		s.loaded = true
	}
	if !s.loaded {
		b, err := m.bulkRead(s.off, s.size)
		if err != nil {
			return nil, err
		}
		s.data, s.loaded = b, true
	}
	return s.data, nil
}

// prefetch loads the sections need (negative indexes are ignored),
// merging sections that lie close together into one read. Sections in opt,
// which a later call will probably want, are read along when they lie
// within readGap of a needed one.
func (m *Module) prefetch(need []int, opt ...int) error {
	if m.mem != nil {
		return nil
	}
	type span struct{ start, end uint64 }
	var buf [8]span
	spans := buf[:0]
	add := func(i int) {
		s := &m.sects[i]
		sp := span{s.off, s.off + s.size}
		j := len(spans)
		spans = append(spans, sp)
		for j > 0 && spans[j-1].start > sp.start {
			spans[j] = spans[j-1]
			j--
		}
		spans[j] = sp
	}
	pending := func(i int) bool {
		if i < 0 || m.sects[i].loaded || m.sects[i].size == 0 {
			return false
		}
		if b, ok := m.inWindow(m.sects[i].off, m.sects[i].size); ok {
			m.sects[i].data, m.sects[i].loaded = b, true
			return false
		}
		return true
	}
	for _, i := range need {
		if pending(i) {
			add(i)
		}
	}
	if len(spans) == 0 {
		return nil
	}
	for _, i := range opt {
		if !pending(i) {
			continue
		}
		s := &m.sects[i]
		for _, sp := range spans {
			if s.off+s.size+readGap >= sp.start && s.off <= sp.end+readGap {
				add(i)
				break
			}
		}
	}
	for len(spans) > 0 {
		start, end := spans[0].start, spans[0].end
		n := 1
		for n < len(spans) && spans[n].start <= end+readGap {
			end = max(end, spans[n].end)
			n++
		}
		spans = spans[n:]
		b, err := m.bulkRead(start, end-start)
		if err != nil {
			return err
		}
		for i := range m.sects {
			s := &m.sects[i]
			if !s.loaded && s.valid && s.size > 0 && s.off >= start && s.off+s.size <= end {
				s.data, s.loaded = b[s.off-start:s.off-start+s.size:s.off-start+s.size], true
			}
		}
	}
	return nil
}

// prefetchAll loads need and, when close by, the other sections that
// Modinfo, Symbols and DependencySymbols read, as depmod calls all three.
func (m *Module) prefetchAll(need ...int) error {
	return m.prefetch(need, m.known[:]...)
}

// cstring returns the NUL-terminated string at image offset off, of which
// buf holds the first bytes. Like the C code, which calls strlen/strcmp on
// raw image memory, the string may run past the end of its section; the end
// of the image terminates it (an mmap of the file reads as zeros there).
func (m *Module) cstring(buf []byte, off uint64) ([]byte, error) {
	if i := bytes.IndexByte(buf[:min(len(buf), nulBlock)], 0); i >= 0 {
		return buf[:i], nil
	}
	// Only crafted or corrupt modules get here: the whole image is loaded
	// and NULs are found through an index, so that thousands of symbols
	// naming the same megabytes-long string cost linear time, not
	// quadratic as in kmod.
	if err := m.loadAll(); err != nil {
		return nil, err
	}
	return m.mem[off:m.nulAfter(off)], nil
}

// nulBlock is the granularity of the NUL index.
const nulBlock = 256

// nulAfter returns the offset of the first NUL at or after off, or the image
// size if there is none. m.nulMemo[b] caches, plus one, the answer for the
// start of block b, so each block is scanned at most once.
func (m *Module) nulAfter(off uint64) uint64 {
	b := off / nulBlock
	if i := bytes.IndexByte(m.mem[off:min((b+1)*nulBlock, m.size)], 0); i >= 0 {
		return off + uint64(i)
	}
	nb := (m.size + nulBlock - 1) / nulBlock
	if m.nulMemo == nil {
		m.nulMemo = make([]uint64, nb)
	}
	first := b + 1
	p := m.size
	for b = first; b < nb; b++ {
		if v := m.nulMemo[b]; v != 0 {
			p = v - 1
			break
		}
		lo := b * nulBlock
		if i := bytes.IndexByte(m.mem[lo:min(lo+nulBlock, m.size)], 0); i >= 0 {
			p = lo + uint64(i)
			break
		}
	}
	for k := first; k <= b && k < nb; k++ {
		m.nulMemo[k] = p + 1
	}
	return p
}

// loadAll reads a lazily read image into memory. Sections already read
// stay where they are.
func (m *Module) loadAll() error {
	if m.mem != nil {
		return nil
	}
	b := make([]byte, m.size)
	if err := m.pread(b, 0); err != nil {
		return err
	}
	m.mem = b
	return nil
}

// nameBudget bounds the total size of the names one call returns. kmod
// would try to allocate whatever the strings add up to; crafted tables can
// make that many times the image size.
func (m *Module) nameBudget() uint64 { return 2*m.size + 1<<20 }

// spend charges n bytes of names to budget; at is the offset of the table
// entry naming them, for the error.
func (m *Module) spend(budget *uint64, n int, what string, at uint64) error {
	if uint64(n) > *budget {
		return formatErr(m.path, at, "%s names add up to more than %d bytes", what, m.nameBudget())
	}
	*budget -= uint64(n)
	return nil
}

// Image returns the whole (decompressed) image, for init_module. After
// StripSection or StripVermagic it returns the modified copy. The slice
// must not be modified and is valid until Close.
func (m *Module) Image() ([]byte, error) {
	if m.closed {
		return nil, errClosed
	}
	if m.changed != nil {
		return m.changed, nil
	}
	if err := m.loadAll(); err != nil {
		return nil, err
	}
	return m.mem, nil
}

var bufReaderPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}

func getBufReader(r io.Reader) *bufio.Reader {
	br := bufReaderPool.Get().(*bufio.Reader)
	br.Reset(r)
	return br
}

func putBufReader(br *bufio.Reader) {
	br.Reset(nil)
	bufReaderPool.Put(br)
}
