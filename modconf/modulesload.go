package modconf

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/internal/libc"
)

// ModulesLoadDirs are where systemd-modules-load(8) finds the lists of
// modules to load at boot, the first winning for a file name: root's
// own, then the runtime's, then the packages'.
var ModulesLoadDirs = []string{"/etc/modules-load.d", "/run/modules-load.d", "/usr/local/lib/modules-load.d", "/usr/lib/modules-load.d", "/lib/modules-load.d"}

// DebianModules is Debian's /etc/modules: the same list, where a module
// name may be followed by its parameters, as Debian's kmod init script
// passes them to modprobe.
const DebianModules = "/etc/modules"

// ModuleToLoad is one module a boot-time list names.
type ModuleToLoad struct {
	Name   string
	Params string // "" for none
	Source string // "FILE:LINE", or "kernel command line"
}

// ModulesToLoad reads what systemd-modules-load would load, and Debian's
// kmod init script: the kernel command line's modules_load= (or
// modules-load=, and rd.modules_load= in an initramfs, where root has
// /etc/initrd-release), comma-separated, then each *.conf of
// ModulesLoadDirs in the order of their names (a file masked by a link
// to /dev/null, or emptied, names nothing), then /etc/modules unless one
// of those files was it (Debian links /etc/modules-load.d/modules.conf
// to it). A line is a module name and, optionally, parameters after it;
// blank lines and lines starting with '#' or ';' are comments.
func ModulesToLoad(root, cmdline string, report diag.Reporter) []ModuleToLoad {
	var out []ModuleToLoad
	_, err := os.Stat(root + "/etc/initrd-release")
	initrd := err == nil
	for _, word := range cmdlineWords(cmdline) {
		key, value, ok := strings.Cut(word, "=")
		key = strings.ReplaceAll(key, "-", "_")
		if !ok || !(key == "modules_load" || initrd && key == "rd.modules_load") {
			continue
		}
		for _, name := range strings.Split(value, ",") {
			if name != "" {
				out = append(out, ModuleToLoad{Name: name, Source: "kernel command line"})
			}
		}
	}
	chosen := map[string]string{} // file name -> path, first directory wins
	for _, dir := range ModulesLoadDirs {
		entries, _ := os.ReadDir(root + dir)
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".conf") || e.IsDir() {
				continue
			}
			if _, ok := chosen[e.Name()]; !ok {
				chosen[e.Name()] = dir + "/" + e.Name()
			}
		}
	}
	names := make([]string, 0, len(chosen))
	for n := range chosen {
		names = append(names, n)
	}
	sort.Strings(names)
	read := map[string]bool{}
	for _, n := range names {
		path := chosen[n]
		if target, err := filepath.EvalSymlinks(root + path); err == nil {
			if strings.TrimPrefix(target, root) == "/dev/null" {
				continue
			}
			read[target] = true
		}
		out = append(out, readModulesList(root, path, report)...)
	}
	if target, err := filepath.EvalSymlinks(root + DebianModules); err == nil && !read[target] {
		out = append(out, readModulesList(root, DebianModules, report)...)
	}
	return out
}

// readModulesList reads one list; path is as the system sees it.
func readModulesList(root, path string, report diag.Reporter) []ModuleToLoad {
	f, err := os.Open(root + path)
	if err != nil {
		if !os.IsNotExist(err) && report != nil {
			report(diag.Err, "could not read %s: %s\n", path, libc.Strerror(err))
		}
		return nil
	}
	defer f.Close()
	var out []ModuleToLoad
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		name, params := line, ""
		if i := strings.IndexAny(line, " \t"); i >= 0 {
			name, params = line[:i], strings.TrimSpace(line[i+1:])
		}
		out = append(out, ModuleToLoad{Name: name, Params: params, Source: path + ":" + strconv.Itoa(n)})
	}
	if err := sc.Err(); err != nil && report != nil {
		report(diag.Err, "%s: %v\n", path, err)
	}
	return out
}

// cmdlineWords splits a kernel command line as systemd does: at white
// space, with double or single quotes grouping and removed.
func cmdlineWords(s string) []string {
	var words []string
	var cur strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(c)
		case c == '"' || c == '\'':
			quote, in = c, true
		case c == ' ' || c == '\t' || c == '\n':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}
