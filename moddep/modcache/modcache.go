// Package modcache keeps what depmod and modinfo extract from each module
// file (its .modinfo strings, appended signature, exported symbols with
// their CRCs, and the symbols it needs) in one file, keyed by the SHA-256
// of the module file's bytes as they lie on disk (compressed or not), so
// that a later run reads a record instead of decompressing the module.
//
// The key is the file's content and nothing else: a copy of a module
// under another root hits the same record, a module rewritten in place
// with the same mtime misses, and a crafted module cannot pick up another
// module's record without a SHA-256 collision. Timestamps are trusted for
// nothing but the removal of abandoned temporary files.
//
// A cache only ever costs time. Open ignores a cache that is not owned by
// root or by the effective user, or that group or others may write (the
// file and its directory both), whose header, version or producer differ
// from this build's, or whose index fails its checksum; Lookup ignores a
// record whose checksum or key does not match or that does not decode.
// The caller then reads the module itself.
//
// File layout (little-endian):
//
//	header   magic "modcache", u32 format, u32 producer length,
//	         u64 generation, u32 count, u32 data length,
//	         u32 CRC-32C of the index, u32 CRC-32C of the header so far
//	         and the producer; then the producer string
//	index    count entries sorted by key: key[32], u32 offset into data,
//	         u32 length, u32 generation last used
//	data     records: key[32], u32 CRC-32C of key and payload, payload
//
// A payload is flags, the .modinfo strings, the signature, the exports
// and the needed symbols, with uvarint lengths and counts.
//
// Bounds: a record not used by the last Keep writing runs is dropped,
// oldest first past MaxSize bytes; a file over MaxSize is not read.
package modcache

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"iter"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/modutils/modutils/elfmod"
	"github.com/modutils/modutils/internal/atomicfile"
	"github.com/modutils/modutils/internal/lazy"
	"github.com/modutils/modutils/internal/rawfile"
	"github.com/modutils/modutils/internal/sha256"
)

const (
	magic = "modcache"
	// Format is the layout version of the file.
	Format = 1
	// Schema is the version of what a record holds and how the
	// extraction fills it: bump it when elfmod's reading changes what
	// depmod or modinfo would print, so old records are not used.
	Schema = 1

	headerLen = 40
	entryLen  = 44
	recordHdr = 36

	// FileName is the cache's file inside its directory.
	FileName = "modules.cache"

	// DefaultDir is where the applets keep the cache: not in the module
	// directory, which initramfs builders copy into their images, and on
	// the host even for depmod -b, whose copies of the host's modules
	// hit the host's records.
	DefaultDir = "/var/cache/modutils"

	// Keep is how many writing runs a record survives unused.
	Keep = 8
	// MaxSize bounds the file: about four kernels' trees.
	MaxSize = 64 << 20

	maxProducer = 256
	staleTemp   = 10 * time.Minute
)

// castagnoliTable is made on first use: a table made at initialisation
// would cost every start of the binary, whichever applet it runs
// (TestInitAllocations).
var castagnoliTable = lazy.Value[*crc32.Table]{New: func() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) }}

// Key is the SHA-256 of a module file's bytes.
type Key [32]byte

// KeyOf hashes a module file's bytes. SHA-256 runs on the CPU's SHA
// instructions where it has them (about 1 GB/s a core here); a fast
// non-cryptographic hash would let a crafted module collide with a
// trusted one's key.
func KeyOf(data []byte) Key { return sha256.Sum256(data) }

// Serves says whether the cache is worth asking for the module file at
// path: only for a compressed one. An uncompressed module is read where
// its sections are, a fraction of its bytes; hashing all of them to find
// its record costs more than that (Debian 12's plain tree: depmod took
// 1.15x kmod 34.2's time warm through the cache, 0.3-0.6x without it).
func Serves(path string) bool { return !strings.HasSuffix(path, ".ko") }

// Record is what one module file holds for depmod and modinfo.
type Record struct {
	// Modinfo is elfmod's Modinfo(): the raw .modinfo strings. HasModinfo
	// is false when reading them failed (modinfo then reads the file for
	// its error).
	Modinfo    []string
	HasModinfo bool
	// Signature is the appended signature, nil if none.
	Signature *elfmod.SignatureInfo
	// Exports are Symbols(); Deps are DependencySymbols().
	Exports []elfmod.Symbol
	Deps    []elfmod.DepSymbol
}

const (
	flagModinfo = 1 << iota
	flagSignature
	flagsKnown = flagModinfo | flagSignature
)

// Options say where the cache lives and who made it.
type Options struct {
	// Dir holds FileName.
	Dir string
	// Producer names the build that writes records (for example its
	// VCS revision); a cache made by another producer is not read.
	Producer string
	// Euid is the effective user besides root whose cache is trusted.
	Euid int
	// FS writes the file; nil is atomicfile.OS.
	FS atomicfile.FS
	// MaxSize bounds the file; 0 is the package's MaxSize.
	MaxSize int64
}

func (o Options) maxSize() int64 {
	if o.MaxSize > 0 {
		return o.MaxSize
	}
	return MaxSize
}

type entry struct {
	key       Key
	off, n    uint32
	used      uint32 // generation last used
	hit       bool   // used by this run
	validated bool   // its checksum and key were checked
}

// Cache is an opened cache. Its methods are safe for concurrent use.
type Cache struct {
	opts    Options
	r       io.ReaderAt // the file, open until Close, for Lookup without Load
	size    int64
	closer  io.Closer
	gen     uint32
	dataOff int64
	data    []byte // the data section, once loaded
	trusted bool   // the directory may be written

	mu      sync.Mutex
	entries []entry        // from the file, sorted by key
	added   map[Key][]byte // records this run made, encoded
}

// Open opens the cache in opts.Dir. It never fails: a cache that is
// missing, untrusted or damaged opens empty, and Save then replaces it
// if the directory may be written.
func Open(opts Options) *Cache {
	c := &Cache{opts: opts, added: map[Key][]byte{}}
	c.trusted = trustedDir(opts.Dir, opts.Euid)
	if !c.trusted {
		return c
	}
	// Not through os: an os.File would start the runtime's poller, six
	// system calls of every modinfo's.
	f, st, err := rawfile.OpenNoFollow(opts.Dir + "/" + FileName)
	if err != nil {
		return c
	}
	if !st.Regular || !ownerTrusted(st.Uid, st.Perm, opts.Euid) || st.Size > opts.maxSize() {
		f.Close()
		return c
	}
	c.open(f, st.Size, f)
	return c
}

// open reads the index of the cache in r; a damaged one leaves c empty.
func (c *Cache) open(r io.ReaderAt, size int64, closer io.Closer) {
	if err := c.readIndex(r, size); err != nil {
		c.entries, c.gen = nil, 0
		if closer != nil {
			closer.Close()
		}
		return
	}
	c.r, c.size, c.closer = r, size, closer
}

// openBytes is a cache read from memory, for tests and fuzzing.
func openBytes(opts Options, data []byte) *Cache {
	c := &Cache{opts: opts, added: map[Key][]byte{}}
	c.open(bytes.NewReader(data), int64(len(data)), nil)
	return c
}

// trusted says whether a file or directory is owned by root or euid and
// not writable by group or others.
func trusted(st os.FileInfo, euid int) bool {
	sys, ok := st.Sys().(*syscall.Stat_t)
	return ok && ownerTrusted(sys.Uid, st.Mode().Perm(), euid)
}

// ownerTrusted says whether an owner and permission bits are root's or
// euid's, and not writable by group or others.
func ownerTrusted(uid uint32, perm fs.FileMode, euid int) bool {
	return (uid == 0 || int(uid) == euid) && perm&0o022 == 0
}

func trustedDir(dir string, euid int) bool {
	st, err := os.Lstat(dir)
	return err == nil && st.IsDir() && trusted(st, euid)
}

var errDamaged = errors.New("damaged cache")

// readIndex reads and checks the header and the index.
func (c *Cache) readIndex(r io.ReaderAt, size int64) error {
	var h [headerLen]byte
	if size < headerLen {
		return errDamaged
	}
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return err
	}
	le := binary.LittleEndian
	if string(h[:8]) != magic || le.Uint32(h[8:]) != Format {
		return errDamaged
	}
	plen := le.Uint32(h[12:])
	gen := le.Uint64(h[16:])
	count := le.Uint32(h[24:])
	dlen := le.Uint32(h[28:])
	icrc := le.Uint32(h[32:])
	if plen > maxProducer || gen > 1<<31 || int64(plen)+headerLen+int64(count)*entryLen+int64(dlen) != size {
		return errDamaged
	}
	rest := make([]byte, int64(plen)+int64(count)*entryLen)
	if _, err := r.ReadAt(rest, headerLen); err != nil {
		return err
	}
	producer, index := rest[:plen], rest[plen:]
	hc := crc32.Update(crc32.Checksum(h[:36], castagnoliTable.Get()), castagnoliTable.Get(), producer)
	if hc != le.Uint32(h[36:]) || string(producer) != c.opts.Producer || crc32.Checksum(index, castagnoliTable.Get()) != icrc {
		return errDamaged
	}
	entries := make([]entry, count)
	for i := range entries {
		e := index[i*entryLen:]
		en := &entries[i]
		copy(en.key[:], e[:32])
		en.off, en.n, en.used = le.Uint32(e[32:]), le.Uint32(e[36:]), le.Uint32(e[40:])
		if uint64(en.off)+uint64(en.n) > uint64(dlen) || en.n < recordHdr || uint64(en.used) > gen {
			return errDamaged
		}
		if i > 0 && bytes.Compare(entries[i-1].key[:], en.key[:]) >= 0 {
			return errDamaged
		}
	}
	c.entries, c.gen, c.dataOff = entries, uint32(gen), headerLen+int64(plen)+int64(count)*entryLen
	return nil
}

// Load makes all records readable from memory at once, for a run that
// will look most of them up; without it each Lookup reads its own
// record. The file is mapped, not read: no copy, and the kernel brings
// in only the pages the lookups touch. The mapping stays for the life
// of the process, since the records Lookup returns point into it (a
// cache file is replaced by rename, never rewritten in place, so the
// mapped bytes do not change).
func (c *Cache) Load() {
	if c.r == nil || c.data != nil {
		return
	}
	if f, ok := c.r.(*os.File); ok && c.size > 0 && c.size < math.MaxInt32 {
		if m, err := rawfile.MapFile(f, int(c.size)); err == nil {
			c.data = m[c.dataOff:]
			return
		}
	}
	data := make([]byte, c.size-c.dataOff)
	if _, err := c.r.ReadAt(data, c.dataOff); err != nil {
		return
	}
	c.data = data
}

// Close releases the file; records already returned stay valid.
func (c *Cache) Close() error {
	if c.closer == nil {
		return nil
	}
	err := c.closer.Close()
	c.r, c.closer = nil, nil
	return err
}

// Len is the number of records the cache file held.
func (c *Cache) Len() int { return len(c.entries) }

func (c *Cache) find(k Key) (int, bool) {
	i := sort.Search(len(c.entries), func(i int) bool { return bytes.Compare(c.entries[i].key[:], k[:]) >= 0 })
	return i, i < len(c.entries) && c.entries[i].key == k
}

// checkRecord checks a record's key and checksum.
func checkRecord(b []byte, k Key) bool {
	return len(b) >= recordHdr && bytes.Equal(b[:32], k[:]) &&
		crc32.Update(crc32.Checksum(b[:32], castagnoliTable.Get()), castagnoliTable.Get(), b[recordHdr:]) == binary.LittleEndian.Uint32(b[32:])
}

// raw returns an entry's record bytes (key, CRC, payload), read from
// the loaded data or the file.
func (c *Cache) raw(e entry) ([]byte, bool) {
	if c.data != nil {
		return c.data[e.off : e.off+e.n], true
	}
	if c.r == nil {
		return nil, false
	}
	b := make([]byte, e.n)
	if _, err := c.r.ReadAt(b, c.dataOff+int64(e.off)); err != nil {
		return nil, false
	}
	return b, true
}

// Lookup returns the record for a module file's key. A record that is
// damaged or for another key is a miss. The record's strings point into
// the cache's memory, which is never written.
func (c *Cache) Lookup(k Key) (*Record, bool) {
	v, ok := c.View(k)
	if !ok {
		return nil, false
	}
	return v.Record(), true
}

// View returns the record for a module file's key as it lies in the
// cache, checked whole (its checksum, its key and its structure) but not
// decoded: a run that reads every record once (depmod) walks each in
// place instead of allocating its strings and symbols, which the
// collector would then scan. A record that fails is a miss, as in Lookup.
func (c *Cache) View(k Key) (View, bool) {
	c.mu.Lock()
	i, ok := c.find(k)
	var e entry
	if ok {
		e = c.entries[i]
	}
	c.mu.Unlock()
	if !ok {
		return View{}, false
	}
	b, ok := c.raw(e)
	if !ok || !e.validated && !checkRecord(b, k) {
		return View{}, false
	}
	v, ok := scan(b[recordHdr:])
	if !ok {
		return View{}, false
	}
	c.mu.Lock()
	c.entries[i].hit, c.entries[i].validated = true, true
	c.mu.Unlock()
	return v, true
}

// Put adds the record of a module file this run read itself, and
// returns it as a View, which holds the record's symbols compactly: a
// run that reads a tree the cache does not know keeps each module's
// View, as it does a hit's, rather than its symbols as slices too.
func (c *Cache) Put(k Key, rec *Record) (View, bool) {
	b := make([]byte, recordHdr, 512)
	copy(b, k[:])
	b = encode(b, rec)
	binary.LittleEndian.PutUint32(b[32:], crc32.Update(crc32.Checksum(b[:32], castagnoliTable.Get()), castagnoliTable.Get(), b[recordHdr:]))
	c.mu.Lock()
	c.added[k] = b
	c.mu.Unlock()
	return scan(b[recordHdr:])
}

// Dirty says whether Save would change the file: records were added,
// or records this run used are old enough that aging would soon drop
// them. An unchanged tree thus costs no write on most runs.
func (c *Cache) Dirty() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.added) > 0 {
		return true
	}
	for _, e := range c.entries {
		if e.hit && e.used+Keep/2 <= c.gen {
			return true
		}
	}
	return false
}

// Save writes the cache back if it is Dirty and its directory may be
// written: this run's records and the ones it used marked with a new
// generation, others kept for Keep generations, the oldest dropped
// first past MaxSize. Errors (a read-only file system, no permission)
// are returned for the caller to ignore: the answer does not depend on
// them.
func (c *Cache) Save() error {
	if !c.Dirty() {
		return nil
	}
	dir := c.opts.Dir
	if !c.trusted {
		if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			// A umask of 002 would leave it group-writable: untrusted.
			os.Chmod(dir, 0o755)
		}
		if c.trusted = trustedDir(dir, c.opts.Euid); !c.trusted {
			return fmt.Errorf("%s: not trusted", dir)
		}
	}
	fsys := c.opts.FS
	if fsys == nil {
		fsys = atomicfile.OS
	}
	removeStaleTemps(fsys, dir)
	tmp := fmt.Sprintf("%s/%s.%d.%d.tmp", dir, FileName, os.Getpid(), time.Now().UnixNano())
	p, err := atomicfile.Create(fsys, dir+"/"+FileName, tmp, 0o644)
	if err != nil {
		return err
	}
	// Streamed, not made whole first: a cold run's records are most of
	// depmod's live memory at its end, and a second copy of them would
	// raise its peak by as much.
	w := bufio.NewWriterSize(p, 256<<10)
	if err := c.writeFile(w); err != nil {
		p.Abort()
		return err
	}
	w.Flush() // an error is kept in p, and Commit returns it
	if err := p.Commit(); err != nil {
		return err
	}
	// Whatever the umask, or the file would not be trusted next time.
	return os.Chmod(dir+"/"+FileName, 0o644)
}

// removeStaleTemps removes temporary files that a killed run left: a
// live writer finishes within seconds.
func removeStaleTemps(fsys atomicfile.FS, dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, FileName+".") || !strings.HasSuffix(name, ".tmp") || !e.Type().IsRegular() {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > staleTemp {
			fsys.Remove(dir + "/" + name)
		}
	}
}

type kept struct {
	key  Key
	used uint32
	b    []byte
}

// encodeFile makes the new file's bytes in memory (tests, fuzzing).
func (c *Cache) encodeFile() ([]byte, error) {
	var b bytes.Buffer
	err := c.writeFile(&b)
	return b.Bytes(), err
}

// writeFile writes the new file's bytes to w.
func (c *Cache) writeFile(w io.Writer) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	gen := c.gen + 1
	var recs []kept
	for k, b := range c.added {
		recs = append(recs, kept{k, gen, b})
	}
	for _, e := range c.entries {
		if _, dup := c.added[e.key]; dup {
			continue
		}
		used := e.used
		if e.hit {
			used = gen
		} else if used+Keep < gen {
			continue
		}
		b, ok := c.raw(e)
		if !ok || !e.validated && !checkRecord(b, e.key) {
			continue
		}
		recs = append(recs, kept{e.key, used, b})
	}
	// Newest first, then drop what does not fit.
	slices.SortStableFunc(recs, func(a, b kept) int { return int(b.used) - int(a.used) })
	size := int64(headerLen + len(c.opts.Producer))
	for i, r := range recs {
		size += entryLen + int64(len(r.b))
		if size > c.opts.maxSize() {
			recs = recs[:i]
			break
		}
	}
	slices.SortFunc(recs, func(a, b kept) int { return bytes.Compare(a.key[:], b.key[:]) })
	if len(c.opts.Producer) > maxProducer {
		return fmt.Errorf("producer name too long")
	}
	le := binary.LittleEndian
	index := make([]byte, 0, len(recs)*entryLen)
	var dlen uint32
	for _, r := range recs {
		index = append(index, r.key[:]...)
		index = le.AppendUint32(index, dlen)
		index = le.AppendUint32(index, uint32(len(r.b)))
		index = le.AppendUint32(index, r.used)
		dlen += uint32(len(r.b))
	}
	out := make([]byte, 0, headerLen+len(c.opts.Producer))
	out = append(out, magic...)
	out = le.AppendUint32(out, Format)
	out = le.AppendUint32(out, uint32(len(c.opts.Producer)))
	out = le.AppendUint64(out, uint64(gen))
	out = le.AppendUint32(out, uint32(len(recs)))
	out = le.AppendUint32(out, dlen)
	out = le.AppendUint32(out, crc32.Checksum(index, castagnoliTable.Get()))
	out = le.AppendUint32(out, crc32.Update(crc32.Checksum(out[:36], castagnoliTable.Get()), castagnoliTable.Get(), []byte(c.opts.Producer)))
	out = append(out, c.opts.Producer...)
	if _, err := w.Write(out); err != nil {
		return err
	}
	if _, err := w.Write(index); err != nil {
		return err
	}
	for _, r := range recs {
		if _, err := w.Write(r.b); err != nil {
			return err
		}
	}
	return nil
}

// encode appends a record's payload.
func encode(b []byte, r *Record) []byte {
	var flags byte
	if r.HasModinfo {
		flags |= flagModinfo
	}
	if r.Signature != nil {
		flags |= flagSignature
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(len(r.Modinfo)))
	for _, s := range r.Modinfo {
		b = appendString(b, s)
	}
	if s := r.Signature; s != nil {
		for _, f := range []string{s.IDType, s.Algo, s.HashAlgo, s.Signer, unsafeString(s.KeyID), unsafeString(s.Signature)} {
			b = appendString(b, f)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(r.Exports)))
	for _, s := range r.Exports {
		b = appendString(b, s.Name)
		b = binary.AppendUvarint(b, s.CRC)
	}
	b = binary.AppendUvarint(b, uint64(len(r.Deps)))
	for _, s := range r.Deps {
		b = appendString(b, s.Name)
		b = binary.AppendUvarint(b, s.CRC)
		b = append(b, byte(s.Bind))
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// decoder reads a payload; any inconsistency makes the record a miss.
type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad = true
		d.b = nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a count of items that take at least min bytes each, so a
// damaged count cannot make a huge allocation.
func (d *decoder) count(min int) int {
	n := d.uvarint()
	if n > uint64(len(d.b)/min) {
		d.bad = true
		d.b = nil
		return 0
	}
	return int(n)
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.bad = true
		d.b = nil
		return nil
	}
	s := d.b[:n:n]
	d.b = d.b[n:]
	return s
}

// string returns a string sharing the record's memory, never written.
func (d *decoder) string() string { return unsafeString(d.bytes()) }

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.bad = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

// View is a checked record read in place. Its strings share the cache's
// memory, which is never written.
type View struct {
	flags           byte
	modinfo         []byte // the .modinfo strings' count and strings
	sig             []byte // the signature's fields, if any
	exports, deps   []byte // each section's count and items
	nExports, nDeps int
	nModinfo        int
}

// scan checks a payload's structure whole, allocating nothing, and
// finds its sections.
func scan(b []byte) (View, bool) {
	d := &decoder{b: b}
	var v View
	v.flags = d.byte()
	if v.flags&^flagsKnown != 0 {
		return View{}, false
	}
	section := func(min int, item func()) (int, []byte) {
		start := d.b
		n := d.count(min)
		for i := 0; i < n && !d.bad; i++ {
			item()
		}
		return n, start[:len(start)-len(d.b)]
	}
	v.nModinfo, v.modinfo = section(1, func() { d.bytes() })
	if v.flags&flagSignature != 0 {
		start := d.b
		for range 6 {
			d.bytes()
		}
		v.sig = start[:len(start)-len(d.b)]
	}
	v.nExports, v.exports = section(2, func() { d.bytes(); d.uvarint() })
	v.nDeps, v.deps = section(3, func() { d.bytes(); d.uvarint(); d.byte() })
	if d.bad || len(d.b) != 0 {
		return View{}, false
	}
	return v, true
}

// HasModinfo is Record.HasModinfo.
func (v View) HasModinfo() bool { return v.flags&flagModinfo != 0 }

// Modinfo yields the .modinfo strings.
func (v View) Modinfo() iter.Seq[string] {
	return func(yield func(string) bool) {
		d := decoder{b: v.modinfo}
		for n := d.uvarint(); n > 0; n-- {
			if !yield(d.string()) {
				return
			}
		}
	}
}

// Exports yields the exported symbols with their CRCs.
func (v View) Exports() iter.Seq[elfmod.Symbol] {
	return func(yield func(elfmod.Symbol) bool) {
		d := decoder{b: v.exports}
		for n := d.uvarint(); n > 0; n-- {
			if !yield(elfmod.Symbol{Name: d.string(), CRC: d.uvarint()}) {
				return
			}
		}
	}
}

// Deps yields the symbols the module needs, with their CRCs and binding.
func (v View) Deps() iter.Seq[elfmod.DepSymbol] {
	return func(yield func(elfmod.DepSymbol) bool) {
		d := decoder{b: v.deps}
		for n := d.uvarint(); n > 0; n-- {
			if !yield(elfmod.DepSymbol{Name: d.string(), CRC: d.uvarint(), Bind: elfmod.Bind(d.byte())}) {
				return
			}
		}
	}
}

// Record decodes the whole record.
func (v View) Record() *Record {
	r := &Record{HasModinfo: v.HasModinfo()}
	if v.nModinfo > 0 {
		r.Modinfo = slices.AppendSeq(make([]string, 0, v.nModinfo), v.Modinfo())
	}
	if v.sig != nil {
		d := decoder{b: v.sig}
		s := &elfmod.SignatureInfo{}
		s.IDType, s.Algo, s.HashAlgo, s.Signer = d.string(), d.string(), d.string(), d.string()
		s.KeyID, s.Signature = d.bytes(), d.bytes()
		r.Signature = s
	}
	if v.nExports > 0 {
		r.Exports = slices.AppendSeq(make([]elfmod.Symbol, 0, v.nExports), v.Exports())
	}
	if v.nDeps > 0 {
		r.Deps = slices.AppendSeq(make([]elfmod.DepSymbol, 0, v.nDeps), v.Deps())
	}
	return r
}
