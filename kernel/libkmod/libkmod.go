// Package libkmod answers as libkmod 34.2's module functions do: their values
// (negative errnos included) and their messages, over /proc and /sys under
// a root, and loads module files as kmod_module_insert_module does. The
// system calls themselves are package kernel's.
package libkmod

import (
	"bufio"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/internal/libc"
	"github.com/modutils/modutils/kernel"
	"github.com/modutils/modutils/moddep"
)

// Libkmod message sites in kmod 34.2's sources: Debian 13's libkmod (built
// without debug messages) prints them in its default logger only.
var (
	SiteRemove       = diag.Site("kmod_module_remove_module")
	SiteInsert       = diag.Site("kmod_module_insert_module")
	SiteStripModver  = diag.Site("do_init_module")
	SiteStripVermag  = diag.Site("do_init_module")
	SiteLoadedOpen   = diag.Site("kmod_module_new_from_loaded")
	SiteLoadedName   = diag.Site("kmod_module_new_from_loaded")
	SiteStateRead    = diag.Site("kmod_module_get_initstate")
	SiteStateUnknown = diag.Site("kmod_module_get_initstate")
	SiteCoresize     = diag.Site("kmod_module_get_size")
	SiteSizeOpen     = diag.Site("kmod_module_get_size")
	SiteSizeLine1    = diag.Site("kmod_module_get_size")
	SiteSizeLine2    = diag.Site("kmod_module_get_size")
	SiteRefcnt       = diag.Site("kmod_module_get_refcnt")
	SiteHolders      = diag.Site("kmod_module_get_holders")
)

// LogFunc receives libkmod's messages.
type LogFunc func(level diag.Level, site diag.Site, format string, args ...any)

// Lib answers as libkmod's functions over /proc and /sys do, returning
// their values (a negative errno for an error) and logging what they log
// through Log (which may be nil).
type Lib struct {
	kernel.Sys
	Log LogFunc
}

func (l Lib) errf(site diag.Site, format string, args ...any) {
	if l.Log != nil {
		l.Log(diag.Err, site, format, args...)
	}
}

func toErrno(err error) syscall.Errno {
	if en, ok := libc.Errno(err); ok {
		return en
	}
	return syscall.EIO
}

// readStrSafe is libkmod's read_str_safe: at most n-1 bytes.
func readStrSafe(f *os.File, n int) (string, error) {
	buf := make([]byte, n-1)
	done := 0
	for done < len(buf) {
		r, err := f.Read(buf[done:])
		done += r
		if err == io.EOF || (r == 0 && err == nil) {
			break
		}
		if err != nil {
			return "", err
		}
	}
	s := string(buf[:done])
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return s, nil
}

// parseLong is strtol(s, &end, 10) followed by libkmod's check that
// something was converted and a space follows.
func parseLong(s string) (int64, bool) {
	v, n := libc.Strtol(s, 10)
	if n == 0 || n >= len(s) || !libc.IsSpace(s[n]) {
		return 0, false
	}
	return v, true
}

// readLong is libkmod's read_str_long on an open file.
func readLong(f *os.File) (int64, syscall.Errno) {
	s, err := readStrSafe(f, 32)
	if err != nil {
		return 0, toErrno(err)
	}
	v, ok := parseLong(s)
	if !ok {
		return 0, syscall.EINVAL
	}
	return v, 0
}

// Refcnt is kmod_module_get_refcnt.
func (l Lib) Refcnt(name string) int {
	path := "/sys/module/" + name + "/refcnt"
	f, err := os.Open(l.Root + path)
	if err != nil {
		return -int(toErrno(err))
	}
	defer f.Close()
	v, e := readLong(f)
	if e != 0 {
		l.errf(SiteRefcnt, "could not read integer from '%s': '%s'\n", path, libc.Strerror(e))
		return -int(e)
	}
	return int(int32(v))
}

// Holders is kmod_module_get_holders: the names in directory order; nil
// (after a message) when the directory cannot be read.
func (l Lib) Holders(name string) []string {
	path := "/sys/module/" + name + "/holders"
	d, err := os.Open(l.Root + path)
	if err != nil {
		l.errf(SiteHolders, "could not open '%s': %s\n", path, libc.Strerror(toErrno(err)))
		return nil
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil
	}
	out := names[:0]
	for _, n := range names {
		out = append(out, moddep.NormalizeName(n))
	}
	return out
}

// Size is kmod_module_get_size: /sys/module/NAME/coresize, or the size
// column of /proc/modules on kernels without it.
func (l Lib) Size(name string) int64 {
	dir := "/sys/module/" + name
	d, err := os.Open(l.Root + dir)
	if err != nil {
		return -int64(toErrno(err))
	}
	d.Close()
	size := -int64(syscall.ENOENT)
	if f, err := os.Open(l.Root + dir + "/coresize"); err == nil {
		v, e := readLong(f)
		f.Close()
		if e != 0 {
			// read_str_long zeroes its result before failing.
			l.errf(SiteCoresize, "failed to read coresize from %s\n", dir)
			return 0
		}
		return v
	}
	f, err := os.Open(l.Root + "/proc/modules")
	if err != nil {
		e := toErrno(err)
		l.errf(SiteSizeOpen, "could not open /proc/modules: %s\n", libc.Strerror(e))
		return -int64(e)
	}
	defer f.Close()
	lineno := 0
	for line := range procLines(f) {
		lineno++
		toks := strtok(line)
		if len(toks) == 0 || toks[0] != name {
			continue
		}
		if len(toks) < 2 {
			l.errf(SiteSizeLine1, "invalid line format at /proc/modules:%d\n", lineno)
			break
		}
		v, err := strconv.ParseInt(toks[1], 10, 64)
		if err != nil {
			l.errf(SiteSizeLine2, "invalid line format at /proc/modules:%d\n", lineno)
			break
		}
		size = v
		break
	}
	return size
}

// procLines yields the lines of /proc/modules as libkmod's fgets loop
// sees them: at most 4095 bytes of each, the rest of a longer line eaten.
func procLines(r io.Reader) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		br := bufio.NewReader(r)
		for {
			line, err := br.ReadString('\n')
			if line == "" && err != nil {
				return
			}
			if len(line) > 4095 {
				line = line[:4095]
			}
			if !yield(line) {
				return
			}
			if err != nil {
				return
			}
		}
	}
}

// strtok splits s at spaces and tabs, as strtok_r(s, " \t") does
// (a newline stays part of its word).
func strtok(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' })
}

// Loaded is kmod_module_new_from_loaded: the names of /proc/modules in
// its order.
func (l Lib) Loaded() ([]string, error) {
	f, err := os.Open(l.Root + "/proc/modules")
	if err != nil {
		e := toErrno(err)
		l.errf(SiteLoadedOpen, "could not open /proc/modules: %s\n", libc.Strerror(e))
		return nil, e
	}
	defer f.Close()
	var names []string
	for line := range procLines(f) {
		toks := strtok(line)
		if len(toks) == 0 {
			// strtok_r found nothing: libkmod hands NULL on.
			l.errf(SiteLoadedName, "could not get module from name '%s': %s\n", "(null)", libc.Strerror(syscall.ENOENT))
			continue
		}
		names = append(names, moddep.NormalizeName(toks[0]))
	}
	return names, nil
}

// InitState is kmod_module_get_initstate for a module that is not
// builtin: its state, or a negative errno (ENOENT: not loaded).
func (l Lib) InitState(name string) (kernel.State, syscall.Errno) {
	path := "/sys/module/" + name + "/initstate"
	f, err := os.Open(l.Root + path)
	if err != nil {
		if st, serr := os.Stat(l.Root + "/sys/module/" + name); serr == nil && st.IsDir() {
			return kernel.Coming, 0
		}
		return 0, toErrno(err)
	}
	defer f.Close()
	s, err := readStrSafe(f, 32)
	if err != nil {
		e := toErrno(err)
		l.errf(SiteStateRead, "could not read from '%s': %s\n", path, libc.Strerror(e))
		return 0, e
	}
	switch s {
	case "live\n":
		return kernel.Live, 0
	case "coming\n":
		return kernel.Coming, 0
	case "going\n":
		return kernel.Going, 0
	}
	l.errf(SiteStateUnknown, "unknown %s: '%s'\n", path, s)
	return 0, syscall.EINVAL
}

// ToolLog is the logger kmod's rmmod and modprobe install in libkmod
// (log_kmod): report (the tool's own logger, which filters by priority and
// prints "NAME: LEVEL: ") gets the text, and the site prints as nothing.
func ToolLog(report diag.Reporter) LogFunc { return reportTo(report) }

// reportTo hands each message to report with its site first, as
// modconf's reporters expect libkmod's messages.
func reportTo(report diag.Reporter) LogFunc {
	return func(level diag.Level, site diag.Site, format string, args ...any) {
		diag.Libkmod(report, level, site, format, args...)
	}
}
