package modcache

import (
	"encoding/hex"
	"os"
	"runtime/debug"
	"strconv"

	"github.com/modutils/modutils/internal/sha256"
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
// elfmod or decompressors may read modules differently) are not used.
// It is the record schema, the Go version, the versions of the modules
// built in (the decompressors among them) and, when the build was
// stamped with it, the VCS revision. Our own extraction changing is
// what Schema is for (TestRealSeed notices it).
func Producer() string {
	p := "modutils schema " + strconv.Itoa(Schema)
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return p
	}
	p += " " + bi.GoVersion
	for _, d := range bi.Deps {
		p += " " + d.Path + "@" + d.Version
	}
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
	if len(p) > maxProducer {
		// Still this build's own, within the header's bound.
		sum := sha256.Sum256([]byte(p))
		p = p[:maxProducer-65] + " " + hex.EncodeToString(sum[:])
	}
	return p
}
