// Package libkmod answers as libkmod 34.2's module functions do: their values
// (negative errnos included) and their messages, over /proc and /sys under
// a root, and loads module files as kmod_module_insert_module does. The
// system calls themselves are package kernel's.
package libkmod

import (
	"bufio"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/modutils/modutils/kernel"
	"github.com/modutils/modutils/modconf"
)

// Site is the libkmod function a message comes from. Debian 13's libkmod
// (built without debug messages) prints it in its default logger only; the
// tools' logger prints none.
type Site struct {
	Func string
}

// Libkmod message sites in kmod 34.2's sources.
var (
	SiteRemove       = Site{"kmod_module_remove_module"}
	SiteInsert       = Site{"kmod_module_insert_module"}
	SiteStripModver  = Site{"do_init_module"}
	SiteStripVermag  = Site{"do_init_module"}
	SiteLoadedOpen   = Site{"kmod_module_new_from_loaded"}
	SiteLoadedName   = Site{"kmod_module_new_from_loaded"}
	SiteStateRead    = Site{"kmod_module_get_initstate"}
	SiteStateUnknown = Site{"kmod_module_get_initstate"}
	SiteCoresize     = Site{"kmod_module_get_size"}
	SiteSizeOpen     = Site{"kmod_module_get_size"}
	SiteSizeLine1    = Site{"kmod_module_get_size"}
	SiteSizeLine2    = Site{"kmod_module_get_size"}
	SiteRefcnt       = Site{"kmod_module_get_refcnt"}
	SiteHolders      = Site{"kmod_module_get_holders"}
)

// libkmodSite is the site as modconf's reporters take it.
func (s Site) libkmodSite() modconf.LibkmodSite { return modconf.LibkmodSite(s.Func) }

// LogFunc receives libkmod's messages.
type LogFunc func(level modconf.Level, site Site, format string, args ...any)

// Lib answers as libkmod's functions over /proc and /sys do, returning
// their values (a negative errno for an error) and logging what they log
// through Log (which may be nil).
type Lib struct {
	kernel.Sys
	Log LogFunc
}

func (l Lib) errf(site Site, format string, args ...any) {
	if l.Log != nil {
		l.Log(modconf.Err, site, format, args...)
	}
}

// Strerror is glibc's strerror for an errno.
func Strerror(e syscall.Errno) string { return modconf.ErrnoString(e) }

func toErrno(err error) syscall.Errno {
	var en syscall.Errno
	if errors.As(err, &en) {
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
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	j := i
	if j < len(s) && (s[j] == '+' || s[j] == '-') {
		j++
	}
	k := j
	for k < len(s) && s[k] >= '0' && s[k] <= '9' {
		k++
	}
	if k == j || k >= len(s) || !isSpace(s[k]) {
		return 0, false
	}
	v, err := strconv.ParseInt(s[i:k], 10, 64)
	if err != nil {
		if s[i] == '-' {
			return -1 << 63, true
		}
		return 1<<63 - 1, true
	}
	return v, true
}

func isSpace(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }

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
		l.errf(SiteRefcnt, "could not read integer from '%s': '%s'\n", path, Strerror(e))
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
		l.errf(SiteHolders, "could not open '%s': %s\n", path, Strerror(toErrno(err)))
		return nil
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil
	}
	out := names[:0]
	for _, n := range names {
		out = append(out, normalizeName(n))
	}
	return out
}

// normalizeName is kmod's modname_normalize.
func normalizeName(name string) string {
	if i := strings.IndexByte(name, '.'); i >= 0 {
		name = name[:i]
	}
	return strings.ReplaceAll(name, "-", "_")
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
		l.errf(SiteSizeOpen, "could not open /proc/modules: %s\n", Strerror(e))
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
		l.errf(SiteLoadedOpen, "could not open /proc/modules: %s\n", Strerror(e))
		return nil, e
	}
	defer f.Close()
	var names []string
	for line := range procLines(f) {
		toks := strtok(line)
		if len(toks) == 0 {
			// strtok_r found nothing: libkmod hands NULL on.
			l.errf(SiteLoadedName, "could not get module from name '%s': %s\n", "(null)", Strerror(syscall.ENOENT))
			continue
		}
		names = append(names, normalizeName(toks[0]))
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
		l.errf(SiteStateRead, "could not read from '%s': %s\n", path, Strerror(e))
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

// DefaultLog is libkmod's own logger, which tools that do not install
// theirs (insmod, lsmod) print through: "libkmod: LEVEL: FUNC: text" on w,
// at ERROR and worse unless KMOD_LOG says otherwise.
func DefaultLog(w io.Writer) LogFunc {
	prio := modconf.Err
	if v, ok := os.LookupEnv("KMOD_LOG"); ok {
		prio = modconf.ParseKmodLog(v)
	}
	return reportTo(modconf.LibkmodReporter(w, prio, nil))
}

// ToolLog is the logger kmod's rmmod and modprobe install in libkmod
// (log_kmod): report (the tool's own logger, which filters by priority and
// prints "NAME: LEVEL: ") gets the text, and the site prints as nothing.
func ToolLog(report modconf.Reporter) LogFunc { return reportTo(report) }

// reportTo hands each message to report with its site first, as
// modconf's reporters expect libkmod's messages.
func reportTo(report modconf.Reporter) LogFunc {
	return func(level modconf.Level, site Site, format string, args ...any) {
		report(level, "%s"+format, append([]any{site.libkmodSite()}, args...)...)
	}
}
