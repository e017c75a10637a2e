package elfmod

import (
	"bytes"
	"os"
	"syscall"
)

// BuiltinModinfoFile is the file, in a kernel's module directory, that
// holds the .modinfo strings of the modules built into the kernel, each
// prefixed with the module's name and a dot ("ext4.license=GPL").
const BuiltinModinfoFile = "modules.builtin.modinfo"

// pathMax is PATH_MAX, which bounds a module name in kmod.
const pathMax = 4096

// BuiltinModinfo returns the .modinfo strings ("key=value", the module
// name prefix removed) of the built-in module name, read from
// moduleDir/modules.builtin.modinfo as kmod_builtin_get_modinfo reads it.
//
// The file is a sequence of NUL-terminated strings; consecutive strings
// with the same "name." prefix form a module's block, and only the first
// block of a name counts. A string without a dot ends the scan (kmod logs
// it; Debian's kmod is built without logging), and so does the end of the
// file; a block that runs into an unterminated last string fails with
// EINVAL when it is read. Errors: opening the file (ENOENT: the kernel
// predates the file), ENOSYS when the name has no block, ENAMETOOLONG for
// a module name of PATH_MAX bytes or more before the name is found.
func BuiltinModinfo(moduleDir, name string) ([]string, error) {
	return BuiltinModinfoLog(moduleDir, name, nil)
}

// KmodLog is a message libkmod logs at its default priority (errors)
// while reading a file; Debian's libkmod is built with debugging, so
// kmod's tools print it as "libkmod: ERROR ../libkmod/FILE:LINE FUNC: MSG".
type KmodLog struct {
	File string // libkmod source file, e.g. "libkmod-builtin.c"
	Line int
	Func string
	Msg  string // with its trailing newline
}

// BuiltinModinfoLog is BuiltinModinfo, handing what libkmod would log to
// log (if not nil).
func BuiltinModinfoLog(moduleDir, name string, log func(KmodLog)) ([]string, error) {
	data, err := os.ReadFile(moduleDir + "/" + BuiltinModinfoFile)
	if err != nil {
		return nil, err
	}
	return builtinModinfo(data, name, log)
}

// builtinIter walks the blocks of modules.builtin.modinfo as
// struct kmod_builtin_iter does.
type builtinIter struct {
	data      []byte
	log       func(KmodLog)
	pos, next int
	nstrings  int
}

// str is get_string: the string at off with its NUL, and the offset after
// it; 0 when the file ends before a NUL (line then holds what there was).
func (it *builtinIter) str(off int) (line []byte, next int) {
	if off >= len(it.data) {
		return nil, 0
	}
	if i := bytes.IndexByte(it.data[off:], 0); i >= 0 {
		return it.data[off : off+i+1], off + i + 1
	}
	return it.data[off:], 0
}

// advance is kmod_builtin_iter_next.
func (it *builtinIter) advance() bool {
	size := len(it.data)
	it.nstrings = 0
	pos := it.next
	offset := pos
	var modname []byte
	for offset < size {
		var line []byte
		line, offset = it.str(pos)
		if offset <= 0 {
			pos = size
			break
		}
		dot := bytes.IndexByte(line, '.')
		if dot < 0 || bytes.IndexByte(line[:dot], 0) >= 0 {
			it.logf(193, "kmod_builtin_iter_next", "kmod_builtin_iter_next: unexpected string without modname prefix\n")
			pos = size
			break
		}
		if modname == nil {
			modname = line[:dot]
		} else if !bytes.Equal(modname, line[:dot]) {
			break
		}
		it.nstrings++
		pos = offset
	}
	it.pos, it.next = it.next, pos
	return it.pos < size
}

// modname is kmod_builtin_iter_get_modname.
func (it *builtinIter) modname() ([]byte, error) {
	if it.pos == len(it.data) {
		return nil, syscall.ENOENT
	}
	// kmod fails the next two with whatever errno holds, typically 0,
	// and then frees an uninitialised pointer; EINVAL is our answer.
	line, off := it.str(it.pos)
	if off <= 0 {
		return nil, syscall.EINVAL
	}
	dot := bytes.IndexByte(line, '.')
	if dot < 0 || bytes.IndexByte(line[:dot], 0) >= 0 {
		it.logf(243, "kmod_builtin_iter_get_modname", "kmod_builtin_iter_get_modname: unexpected string without modname prefix\n")
		return nil, syscall.EINVAL
	}
	if dot >= pathMax {
		return nil, syscall.ENAMETOOLONG
	}
	return line[:dot], nil
}

func (it *builtinIter) logf(line int, fn, msg string) {
	if it.log != nil {
		it.log(KmodLog{File: "libkmod-builtin.c", Line: line, Func: fn, Msg: msg})
	}
}

func builtinModinfo(data []byte, name string, log func(KmodLog)) ([]string, error) {
	it := &builtinIter{data: data, log: log}
	found := false
	for !found && it.advance() {
		mod, err := it.modname()
		if err != nil {
			return nil, err
		}
		found = string(mod) == name
	}
	if !found {
		return nil, syscall.ENOSYS
	}
	// kmod reads every string up to the end of the block, which a string
	// without a dot stretched to the end of the file, and fails on an
	// unterminated one; it returns the block's own strings (beyond them it
	// writes past its array: what it shows then is garbage).
	skip := len(name) + 1
	out := make([]string, 0, it.nstrings)
	for pos := it.pos; pos < it.next; {
		line, off := it.str(pos)
		if off <= 0 {
			return nil, syscall.EINVAL
		}
		if len(out) < it.nstrings {
			out = append(out, string(line[skip:len(line)-1]))
		}
		pos = off
	}
	return out, nil
}
