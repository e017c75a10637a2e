// Package modinfo is the modinfo applet: it prints what a module file's
// .modinfo section and appended signature say, or what
// modules.builtin.modinfo says of a built-in module, byte for byte as
// kmod 34.2's modinfo prints it.
//
// An argument that names an existing regular file ending in .ko, .ko.xz,
// .ko.zst (or .ko.gz, which Debian's kmod cannot read) is that file;
// anything else is looked up as kmod looks it up (modules.dep, symbols,
// modules.alias, the builtin indexes), and every module found is shown.
package modinfo

import (
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/elfmod"
	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/internal/libc"
	"github.com/modutils/modutils/internal/rawfile"
	"github.com/modutils/modutils/kernel"
	"github.com/modutils/modutils/modconf"
	"github.com/modutils/modutils/moddep"
	"github.com/modutils/modutils/moddep/modcache"
)

// pathMax is PATH_MAX: kmod builds the module directory's name in a
// buffer of that size.
const pathMax = 4096

// moduleExts are the suffixes that make an argument a file name rather
// than a name to look up: kmod's, plus .ko.gz, which this build reads.
var moduleExts = []string{".ko", ".ko.gz", ".ko.xz", ".ko.zst"}

// runner is one modinfo run.
type runner struct {
	env       *applet.Env
	log       *applet.Logger
	out       *output
	dir       string // the module directory, absolute
	conf      *modconf.Config
	field     string // print only this field; "" with !hasField: everything
	hasField  bool
	sep       byte
	libkmodLv diag.Level
	cache     *modcache.Cache // opened for the first module file
	noCache   bool
}

// Run runs modinfo with args (without the program name) and returns its
// exit code.
func Run(env *applet.Env, args []string) int {
	defer applet.CollectLate()()
	r := &runner{env: env, log: applet.NewLogger(env), sep: '\n'}
	modname := false
	var root, kversion string
	var hasRoot, hasKversion bool
	opts := env.Getopt(args, Spec.Shorts(), Spec.Longs())
	for o := range opts.Options() {
		if code, done := env.CommonOption(env.Stdout, Spec, o.Val); done {
			return code
		}
		switch o.Val {
		case 'a':
			r.field, r.hasField = "author", true
		case 'd':
			r.field, r.hasField = "description", true
		case 'l':
			r.field, r.hasField = "license", true
		case 'p':
			r.field, r.hasField = "parm", true
		case 'n':
			r.field, r.hasField = "filename", true
		case '0':
			r.sep = 0
		case 'm':
			modname = true
		case 'F':
			r.field, r.hasField = o.Arg, true
		case 'k':
			kversion, hasKversion = o.Arg, true
		case 'b':
			root, hasRoot = o.Arg, true
		}
	}
	operands := opts.Operands()
	if len(operands) == 0 {
		r.log.Report(diag.Err, "missing module or filename.\n")
		return 1
	}

	var dir string
	if hasRoot || hasKversion {
		if !hasKversion {
			kv, err := kernel.Release()
			if err != nil {
				r.log.Report(diag.Err, "uname() failed: %s\n", libc.Strerror(err))
				return 1
			}
			kversion = kv
		}
		dir = root + "/lib/modules/" + kversion
		if len(dir) >= pathMax {
			dir = dir[:pathMax-1] // snprintf into a PATH_MAX buffer
		}
		dir = moddep.AbsFromCwd(dir)
	} else {
		kv, err := kernel.Release()
		if err != nil {
			r.log.Report(diag.Err, "kmod_new() failed!\n")
			return 1
		}
		dir = "/lib/modules/" + kv
	}
	r.dir = dir

	// kmod_new reads no modprobe.d here (modinfo passes an empty list),
	// but still the module directory's modules.softdep and the kernel
	// command line, reporting through libkmod's own logger.
	r.libkmodLv = diag.LibkmodPriority(env.Lookup)
	r.conf = modconf.LoadModprobeConfig(modconf.ModprobeOptions{
		Paths:       []string{},
		LegacyFiles: []string{},
		ModuleDir:   dir,
		Cmdline:     kernel.Sys{}.Cmdline(),
		Report:      diag.LibkmodReporter(env.Stderr, r.libkmodLv, r.log.Report),
	})

	r.out = newOutput(env.Stdout)
	defer r.out.Flush()
	defer func() {
		if r.cache != nil {
			r.cache.Close()
		}
	}()
	failed := false
	for _, arg := range operands {
		var err error
		switch {
		case modname:
			err = r.showName(arg)
		case isModuleFile(arg):
			err = r.showPath(arg)
		default:
			err = r.showAlias(arg)
		}
		if err != nil {
			failed = true
		}
	}
	if failed {
		return 1
	}
	return 0
}

// isModuleFile is kmod's is_module_filename: an existing regular file
// (after symbolic links) whose name ends with a module extension.
func isModuleFile(name string) bool {
	st, err := os.Stat(name)
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	for _, ext := range moduleExts {
		if len(name) > len(ext) && strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// target is a module to show: its name, its file ("" for a built-in
// module, or one modules.dep does not know), and whether modinfo reads
// modules.builtin.modinfo for it.
type target struct {
	name    string
	path    string
	builtin func() bool
}

var notBuiltin = func() bool { return false }

// showPath is modinfo_path_do.
func (r *runner) showPath(path string) error {
	return r.show(target{name: moddep.ModuleName(path), path: moddep.AbsFromCwd(path), builtin: notBuiltin})
}

// resolver returns a fresh resolver: kmod frees its modules after each
// argument, so nothing one lookup learns carries over to the next.
func (r *runner) resolver() *moddep.Resolver {
	res := moddep.NewResolver(r.dir, r.conf)
	res.Stream = true
	// modinfo installs no logger: libkmod's own prints what the lookup
	// reports.
	res.Report = diag.LibkmodReporter(r.env.Stderr, r.libkmodLv, r.log.Report)
	return res
}

func fromModule(m *moddep.Module) target {
	return target{name: m.Name, path: m.Path(), builtin: m.IsBuiltin}
}

// showAlias is modinfo_alias_do: every module the name stands for.
func (r *runner) showAlias(name string) error {
	if _, err := moddep.NormalizeAlias(name); err != nil {
		r.log.Report(diag.Err, "Module alias %s not found.\n", name)
		return err
	}
	res := r.resolver()
	defer res.Close()
	mods := res.Lookup(name)
	if len(mods) == 0 {
		r.log.Report(diag.Err, "Module %s not found.\n", name)
		return syscall.ENOENT
	}
	var err error
	for _, m := range mods {
		if e := r.show(fromModule(m)); e != nil {
			err = e
		}
	}
	return err
}

// showName is modinfo_name_do, for -m: the name is a module's, looked up
// in modules.dep, then modules.builtin, then the built-in modules'
// aliases; only the first match is shown.
func (r *runner) showName(name string) error {
	res := r.resolver()
	defer res.Close()
	t, ok := lookupName(res, r.dir, name)
	if !ok {
		r.log.Report(diag.Err, "Module name %s not found.\n", name)
		return syscall.ENOENT
	}
	return r.show(t)
}

// lookupName is kmod_module_new_from_name_lookup.
func lookupName(res *moddep.Resolver, dir, name string) (target, bool) {
	name = moddep.NormalizeName(name)
	m := res.NewFromName(name)
	if !strings.Contains(name, ":") && m.Path() != "" {
		return fromModule(m), true
	}
	if m.IsBuiltin() {
		return fromModule(m), true
	}
	ix, err := moddep.OpenIndex(dir + "/modules.builtin.alias.bin")
	if err != nil {
		return target{}, false
	}
	defer ix.Close()
	vals := ix.WithOrder(moddep.ReaderStream).LookupWild(name)
	if len(vals) == 0 {
		return target{}, false
	}
	mod := res.NewFromName(vals[0].Value)
	return target{name: mod.Name, path: mod.Path(), builtin: func() bool { return true }}, true
}

// show is modinfo_do.
func (r *runner) show(t target) error {
	filename := t.path
	builtin := filename == ""
	if builtin {
		if !r.hasField {
			r.out.printf("%-16s%s%c", "name:", t.name, r.sep)
		} else if r.field == "name" {
			r.out.printf("%s%c", t.name, r.sep)
		}
		filename = "(builtin)"
	}
	if r.hasField && r.field == "filename" {
		r.out.printf("%s%c", filename, r.sep)
		return nil
	} else if !r.hasField {
		r.out.printf("%-16s%s%c", "filename:", filename, r.sep)
	}

	info, err := r.info(t)
	if err != nil {
		errno := elfmod.Errno(err)
		if builtin && errno == syscall.ENOENT {
			// An old kernel, without modules.builtin.modinfo.
			return nil
		}
		r.log.Report(diag.Err, "could not get modinfo from '%s': %s\n", t.name, libc.Strerror(errno))
		return err
	}

	if r.hasField && r.field == "parm" {
		r.printParams(info, true)
		return nil
	}
	var params []*param
	for _, s := range info {
		key, value := splitInfo(s)
		if r.hasField {
			if key == r.field {
				r.out.printf("%s%c", value, r.sep)
			}
			continue
		}
		if key == "parm" || key == "parmtype" {
			params = r.addParam(params, key, value)
			continue
		}
		if r.sep == 0 {
			r.out.printf("%s=%s%c", key, value, r.sep)
			continue
		}
		// kmod 34.2 pads to 16 columns and no further (kmod 30 padded a
		// longer key by its excess, printf's negative width).
		pad := 15 - min(len(key), 15)
		r.out.printf("%s:%*s%s%c", key, pad, "", value, r.sep)
	}
	if !r.hasField {
		r.writeParams(params, false)
	}
	return nil
}

// info is kmod_module_get_info: the .modinfo strings, then the signature's
// entries; or a built-in module's strings.
func (r *runner) info(t target) ([]string, error) {
	if t.builtin() {
		return elfmod.BuiltinModinfoLog(r.dir, t.name, r.libkmodLog)
	}
	if t.path == "" {
		return nil, syscall.ENOENT
	}
	if info, ok := r.cached(t.path); ok {
		return info, nil
	}
	m, err := elfmod.Open(t.path)
	if err != nil {
		if l, ok := elfmod.LibkmodLoadError(err); ok {
			r.libkmodLog(l)
		}
		return nil, err
	}
	defer m.Close()
	info, err := m.Modinfo()
	if err != nil {
		return nil, err
	}
	if sig, err := m.Signature(); err == nil && sig != nil {
		info = append(info, sig.Modinfo()...)
	}
	return cStrings(info), nil
}

// cached is info from the module cache, which depmod fills: the record
// of the file's bytes, if there is one. modinfo never writes the cache:
// initramfs builders call it hundreds of times in a row.
func (r *runner) cached(path string) ([]string, bool) {
	if r.cache == nil && !r.noCache {
		opts, ok := modcache.FromEnv(r.env.Lookup)
		if r.noCache = !ok; ok {
			r.cache = modcache.Open(opts)
			r.noCache = r.cache.Len() == 0
		}
	}
	if r.noCache || !modcache.Serves(path) {
		return nil, false
	}
	data, _, err := rawfile.ReadFile(path, nil)
	if err != nil {
		return nil, false
	}
	rec, ok := r.cache.Lookup(modcache.KeyOf(data))
	if !ok || !rec.HasModinfo {
		return nil, false
	}
	info := rec.Modinfo
	if rec.Signature != nil {
		info = append(info[:len(info):len(info)], rec.Signature.Modinfo()...)
	} else {
		info = append([]string(nil), info...)
	}
	return cStrings(info), true
}

// libkmodLog prints a message of libkmod's as its default logger does.
func (r *runner) libkmodLog(l elfmod.KmodLog) {
	if r.libkmodLv < diag.Err {
		return
	}
	fmt.Fprintf(r.env.Stderr, "libkmod: ERROR: %s: %s", l.Func, l.Msg)
}

// cStrings cuts each string at a NUL, as kmod's C strings end there.
func cStrings(ss []string) []string {
	for i, s := range ss {
		if j := strings.IndexByte(s, 0); j >= 0 {
			ss[i] = s[:j]
		}
	}
	return ss
}

// splitInfo splits "key=value" at the first '='; a string without one is
// all key.
func splitInfo(s string) (key, value string) {
	if i := strings.IndexByte(s, '='); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// param is one parameter, merged from its parm (description) and
// parmtype entries.
type param struct {
	name          string
	desc, typ     string
	hasDesc, hasT bool
}

// addParam is process_parm and add_param: a parameter new to the list
// goes to its front, later entries overwrite earlier ones.
func (r *runner) addParam(params []*param, key, value string) []*param {
	colon := strings.IndexByte(value, ':')
	if colon < 0 {
		r.log.Report(diag.Err, "Found invalid \"%s=%s\": missing ':'\n", key, value)
		return params
	}
	name, rest := value[:colon], value[colon+1:]
	var p *param
	for _, q := range params {
		if q.name == name {
			p = q
			break
		}
	}
	if p == nil {
		p = &param{name: name}
		params = append(params, p)
	}
	if key == "parm" {
		p.desc, p.hasDesc = rest, true
	} else {
		p.typ, p.hasT = rest, true
	}
	return params
}

// printParams is modinfo_params_do (-p, -F parm).
func (r *runner) printParams(info []string, short bool) {
	var params []*param
	for _, s := range info {
		key, value := splitInfo(s)
		if key == "parm" || key == "parmtype" {
			params = r.addParam(params, key, value)
		}
	}
	r.writeParams(params, short)
}

// writeParams prints the parameters newest first, as kmod's list has them.
func (r *runner) writeParams(params []*param, short bool) {
	for i := len(params) - 1; i >= 0; i-- {
		p := params[i]
		prefix := "parm:           "
		if short {
			prefix = ""
		}
		switch {
		case !p.hasDesc && short:
			r.out.printf("%s: (%s)%c", p.name, p.typ, r.sep)
		case !p.hasDesc:
			r.out.printf("%s%s:%s%c", prefix, p.name, p.typ, r.sep)
		case p.hasT:
			r.out.printf("%s%s:%s (%s)%c", prefix, p.name, p.desc, p.typ, r.sep)
		default:
			r.out.printf("%s%s:%s%c", prefix, p.name, p.desc, r.sep)
		}
	}
}
