package moddep

import "github.com/modutils/modutils/modconf"

// Fnmatch reports whether name matches the shell pattern exactly as glibc's
// fnmatch(pattern, name, 0) does in the C locale, which is how libkmod
// matches wildcard aliases. It lives in modconf, which moddep imports and
// which needs it for modprobe.d's wildcards; see modconf.Fnmatch.
func Fnmatch(pattern, name string) bool { return modconf.Fnmatch(pattern, name) }

// fnmatch is modconf.FnmatchBytes, for the pattern the index reader
// assembles in a byte slice.
func fnmatch(pattern []byte, name string) bool { return modconf.FnmatchBytes(pattern, name) }
