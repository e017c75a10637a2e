// Package elfmod reads Linux kernel modules (.ko files, optionally gzip-,
// xz- or zstd-compressed) for depmod, modinfo and modprobe, returning exactly
// what kmod 34.2's libkmod returns: same strings, same order, same CRCs and
// bindings, same errors. depmod's output files must be byte-identical to
// kmod's, so libkmod's quirks are reproduced on purpose.
//
// # API
//
//	func Open(path string) (*Module, error)                    // detect compression by magic, read lazily
//	func Parse(name string, r io.ReaderAt, size int64) (*Module, error)
//	func ParseBytes(name string, img []byte) (*Module, error)
//	func Decompress(path string, r io.Reader, c Compression, limit int64) ([]byte, error)
//	func Detect(magic []byte) Compression
//	func Errno(err error) syscall.Errno                         // kmod's errno for an error
//
//	func (m *Module) Modinfo() ([]string, error)               // kmod_module_get_info, before the signature entries
//	func (m *Module) Symbols() ([]Symbol, error)               // kmod_module_get_symbols
//	func (m *Module) DependencySymbols() ([]DepSymbol, error)  // kmod_module_get_dependency_symbols
//	func (m *Module) Versions() ([]Symbol, error)              // kmod_module_get_versions
//	func (m *Module) Signature() (*SignatureInfo, error)       // kmod_module_signature_info: the PKCS#7 trailer
//	func ParseSignature(img []byte) *SignatureInfo
//	func BuiltinModinfo(moduleDir, name string) ([]string, error) // modules.builtin.modinfo
//	func (m *Module) Image() ([]byte, error)                   // whole image, for init_module
//	func (m *Module) StripSection(name string) error           // for --force-modversion
//	func (m *Module) StripVermagic() error                     // for --force-vermagic
//	func (m *Module) Class() Class; ByteOrder() binary.ByteOrder; Machine() uint16
//	func (m *Module) Compression() Compression; Name() string; Size() int64; Close() error
//
// # What is reproduced
//
// Modinfo splits .modinfo like kmod_elf_get_strings: leading NUL padding is
// skipped, runs of NULs separate strings so empty strings disappear, an
// unterminated last string is kept, and a section that is one byte long
// after the padding yields nothing.
//
// Symbols lists the "__crc_" symbols of .symtab in table order, duplicates
// included. The CRC is the symbol value for SHN_ABS and SHN_UNDEF symbols,
// otherwise the 32-bit word at that offset of the symbol's section (on
// Linux >= 5.19, __kcrctab), or all ones when out of range. Without a usable
// .symtab/.strtab (missing, odd size, a name offset out of range) or
// without any __crc_ symbol, the names of __ksymtab_strings are returned with
// CRC 0; without that section too, the error matches ErrNoSection (kmod:
// ENODATA, which depmod ignores).
//
// DependencySymbols lists the undefined symbols of .symtab in table order,
// duplicates included, skipping unnamed ones and, on EM_SPARC/EM_SPARCV9
// only, STT_REGISTER ones. Weak ones are BindWeak, all others BindUndef.
// Each gets the CRC of the first __versions entry of the same name (0 if
// none). The __versions entries no symbol matched (module_layout, say) follow
// in section order. A __versions whose size is not a multiple of 64 is
// ignored; the CRC is 4 bytes on ELF32 and 8 on ELF64.
//
// Sections are looked up like kmod_elf_get_section: the first section of
// that name whose offset and size lie within the image; out-of-bounds ones
// are skipped, not errors. Strings are read as C strings of the image: a
// name without a terminator inside its section continues into the bytes
// that follow, up to the end of the image.
//
// Open detects gzip, xz and zstd by magic, never by name, and, like kmod,
// fails with EINVAL on files shorter than 6 bytes. Concatenated xz streams
// (with stream padding), gzip members and zstd frames are accepted; data
// after the last gzip member that is not another member is ignored, as
// zlib's gzread does.
//
// # Untrusted input
//
// Every structure is validated before use (header, section table bounds,
// section offsets and sizes, string table indexes, terminators) and every
// allocation is bounded by the image size; malformed input yields an error,
// never a panic. Header errors and malformed .symtab/.strtab/__versions
// are *FormatError with the byte offset. Decompression stops with an error
// matching ErrTooLarge past MaxDecompressedSize. Where libkmod itself would
// abort on an assertion (a section header string table index of 0 or past
// the table, a __crc_ symbol in a section index past the table) elfmod
// returns what kmod's assertion-free code path would: EINVAL, or a CRC of
// all ones.
//
// A signature's PKCS#7 message is decoded by elfmod/pkcs7, as OpenSSL's
// d2i_PKCS7 accepts it; the other signature kinds are read here from the
// trailer. Module files are read through internal/rawfile (pread), so that
// this package makes no system calls of its own.
//
// # Cost
//
// An uncompressed module is read with a handful of preads (ELF header,
// section table with the name table next to it, then the sections asked
// for, neighbours merged into one read), never as a whole. Scratch memory and
// decoders are pooled; results own their memory (each list's names share
// one allocation) and stay valid after Close.
package elfmod
