package completion

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/modutils/modutils/kernel"
)

// Kinds are what "modutils completion --list KIND" prints, one a line.
var Kinds = []string{"modules", "loaded", "kernels", "params"}

// RootEnv, when set, is the root the lister reads /proc/modules and
// /lib/modules under by default: for tests and for completing inside a
// chroot's image from outside it.
const RootEnv = "MODUTILS_COMPLETION_ROOT"

// Lists is what the lister reads.
type Lists struct {
	Root   string // "" for /
	Kernel string // "" for the running kernel's release
	// Params returns modinfo's parm values of a module ("name:text").
	Params func(root, kernel, module string) ([]string, error)
}

func (l Lists) moduleDir() (string, error) {
	kv := l.Kernel
	if kv == "" {
		var err error
		if kv, err = kernel.Release(); err != nil {
			return "", err
		}
	}
	return filepath.Join(l.Root+"/lib/modules", kv), nil
}

// Write prints the list of kind; args are its operands (params: the
// module).
func (l Lists) Write(w io.Writer, kind string, args []string) error {
	var items []string
	var err error
	switch kind {
	case "modules":
		items, err = l.modules()
	case "loaded":
		items, err = l.loaded()
	case "kernels":
		items, err = l.kernels()
	case "params":
		if len(args) != 1 {
			return fmt.Errorf("params needs one module name")
		}
		items, err = l.params(args[0])
	default:
		return fmt.Errorf("unknown list '%s' (one of %s)", kind, strings.Join(Kinds, ", "))
	}
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	for _, it := range items {
		bw.WriteString(it + "\n")
	}
	return bw.Flush()
}

// modules are the names modules.dep lists: each line's module path, its
// file name without the .ko and compression suffixes.
func (l Lists) modules() ([]string, error) {
	dir, err := l.moduleDir()
	if err != nil {
		return nil, err
	}
	return linesBefore(filepath.Join(dir, "modules.dep"), ":", func(path string) string {
		name := filepath.Base(path)
		if i := strings.Index(name, ".ko"); i > 0 {
			name = name[:i]
		}
		return name
	})
}

// loaded are the names in /proc/modules.
func (l Lists) loaded() ([]string, error) {
	return linesBefore(l.Root+"/proc/modules", " ", func(name string) string { return name })
}

// linesBefore is, sorted, what each line of the file at path holds before
// its first sep, made a name by name; a line without sep names nothing.
func linesBefore(path, sep string, name func(string) string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if before, _, ok := strings.Cut(sc.Text(), sep); ok {
			names = append(names, name(before))
		}
	}
	sort.Strings(names)
	return names, sc.Err()
}

// kernels are the directories under /lib/modules.
func (l Lists) kernels() ([]string, error) {
	ents, err := os.ReadDir(l.Root + "/lib/modules")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// params are "name=" for each parameter modinfo lists.
func (l Lists) params(module string) ([]string, error) {
	if l.Params == nil {
		return nil, nil
	}
	parms, err := l.Params(l.Root, l.Kernel, module)
	var names []string
	for _, p := range parms {
		if name, _, ok := strings.Cut(p, ":"); ok && name != "" {
			names = append(names, name+"=")
		}
	}
	return names, err
}
