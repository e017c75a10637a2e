package modcache

import (
	"os"
	"runtime/debug"
	"strconv"
)

// EnvVar chooses the cache: unset or empty is DefaultDir, "off" disables
// it, anything else is the directory to use (tests point it at their
// own).
const EnvVar = "MODUTILS_CACHE"

// FromEnv returns the options for the cache that the environment (as
// lookup reads it) chooses, and false when it is disabled. The producer
// is this build's: its VCS revision and the record schema.
func FromEnv(lookup func(string) (string, bool)) (Options, bool) {
	dir, _ := lookup(EnvVar)
	switch dir {
	case "off":
		return Options{}, false
	case "":
		dir = DefaultDir
	}
	return Options{Dir: dir, Producer: Producer(), Euid: os.Geteuid()}, true
}

// Producer names this build: records made by another build (whose
// elfmod may read modules differently) are not used.
func Producer() string {
	p := "modutils schema " + strconv.Itoa(Schema)
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				p += " " + s.Value
			case "vcs.modified":
				if s.Value == "true" {
					p += "+dirty"
				}
			}
		}
	}
	return p
}
