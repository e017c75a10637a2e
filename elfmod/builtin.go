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

// BuiltinModinfo returns the .modinfo strings ("key=value", the text after
// the first dot) of the built-in module name, read from
// moduleDir/modules.builtin.modinfo as kmod 34.2's kmod_builtin_get_modinfo
// reads it (kmod 30's block iterator is gone).
//
// The file is a sequence of NUL-terminated strings, read one at a time;
// the last may lack its NUL. The first run of consecutive strings starting
// "name." is the module's; a later run of the same name does not count. A
// string without a dot met before the run ends (an empty string is one)
// fails the whole read with EINVAL, and libkmod logs it. A name with no
// strings gives none and no error. Errors: opening the file (ENOENT: the
// kernel predates it).
func BuiltinModinfo(moduleDir, name string) ([]string, error) {
	return BuiltinModinfoLog(moduleDir, name, nil)
}

// KmodLog is a message libkmod logs at its default priority (errors)
// while reading a file; kmod's tools print it as "libkmod: ERROR: FUNC:
// MSG" (Debian 13's libkmod is built without debug messages, which would
// add the source file and line).
type KmodLog struct {
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

// builtinModinfo is get_strings over the file's bytes.
func builtinModinfo(data []byte, name string, log func(KmodLog)) ([]string, error) {
	var out []string
	for pos := 0; pos < len(data); {
		line := data[pos:]
		if i := bytes.IndexByte(line, 0); i >= 0 {
			line = line[:i]
			pos += i + 1
		} else {
			pos = len(data)
		}
		dot := bytes.IndexByte(line, '.')
		if dot < 0 {
			if log != nil {
				log(KmodLog{Func: "get_strings", Msg: "get_strings: unexpected string without modname prefix\n"})
			}
			return nil, syscall.EINVAL
		}
		if len(line) <= len(name) || string(line[:len(name)]) != name || line[len(name)] != '.' {
			if len(out) == 0 {
				continue
			}
			break
		}
		out = append(out, string(line[dot+1:]))
	}
	return out, nil
}
