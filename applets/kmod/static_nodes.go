package kmod

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/internal/atomicfile"
	"github.com/modutils/modutils/internal/libc"
	"github.com/modutils/modutils/moddep/devname"
)

func staticHelp(env *applet.Env) { StaticNodes.WriteHelp(env.Stdout, env.Name()) }

// staticNodes is kmod's do_static_nodes: the running kernel's
// modules.devname in a format, to stdout or to a file. Unlike kmod, which
// truncates the file and writes into it, the file is replaced whole
// (temporary file, fsync, rename, fsync of the directory): a reader such
// as systemd-tmpfiles never sees half of it.
func (t Tool) staticNodes(env *applet.Env, prog string, args []string) int {
	format := devname.Formats[0]
	output, toFile := "", false
	for o := range parser(env, prog, args, StaticNodes.Shorts(), StaticNodes.Longs()).Options() {
		if code, done := env.CommonOption(env.Stdout, StaticNodes, o.Val); done {
			return code
		}
		switch o.Val {
		case 'o':
			output, toFile = o.Arg, true
		case 'f':
			f, ok := devname.FindFormat(o.Arg)
			if !ok {
				fmt.Fprintf(env.Stderr, "Unknown format: '%s'.\n", o.Arg)
				staticHelp(env)
				return 1
			}
			format = f
		}
	}
	rel, err := t.release()
	if err != nil {
		io.WriteString(env.Stderr, "Error: uname failed!\n")
		return 1
	}
	shown := "/lib/modules/" + rel + "/modules.devname"
	in, err := os.Open(t.Root + shown)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(env.Stderr, "Warning: %s not found - ignoring\n", shown)
			return 0
		}
		fmt.Fprintf(env.Stderr, "Error: could not open %s - %s\n", shown, libc.Strerror(err))
		return 1
	}
	defer in.Close()

	w := env.Stdout
	var commit func() error
	if toFile {
		if err := mkdirParents(output); err != nil {
			fmt.Fprintf(env.Stderr, "Error: could not create parent directory for %s - %s.\n", output, libc.Strerror(err))
			return 1
		}
		var abort func()
		if w, commit, abort, err = create(env.Files(), output); err != nil {
			fmt.Fprintf(env.Stderr, "Error: could not create %s - %s\n", output, libc.Strerror(err))
			return 1
		}
		defer abort()
	}
	bw := bufio.NewWriter(w)
	code := 0
	var werr error
	devname.Scan(in, func(n devname.Node) {
		if err := format.Write(bw, n); err != nil && werr == nil {
			werr = err
		}
	}, func(line string) {
		fmt.Fprintf(env.Stderr, "Error: invalid devname entry: %s", line)
		code = 1
	})
	if err := bw.Flush(); err != nil && werr == nil {
		werr = err
	}
	if commit != nil {
		if werr == nil {
			werr = commit()
		}
		if werr != nil {
			// kmod ignores a failed write and leaves the file cut short;
			// the file we would replace stays as it was.
			fmt.Fprintf(env.Stderr, "Error: could not write %s - %s\n", output, libc.Strerror(werr))
			return 1
		}
	}
	return code
}

// mkdirParents is kmod's mkdir_parents(path, 0755): every missing
// directory above path's last '/' is made; a component that exists but
// is no directory is an error, with the errno kmod prints for it.
func mkdirParents(path string) error {
	i := strings.LastIndexByte(path, '/')
	if i <= 0 {
		return nil
	}
	dir := path[:i]
	if st, err := os.Stat(dir); err == nil {
		if st.IsDir() {
			return nil
		}
		// kmod returns -ENOTDIR but prints errno, which nothing has
		// set when the parent itself is the file: "Success".
		return syscall.Errno(0)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return nil
}

// create opens what static-nodes writes to path: a replacement of the
// file path names (through a symbolic link, as kmod writes through one),
// with the mode fopen would give a new file; or path itself when it is
// something other than a regular file (a device such as /dev/stdout,
// kmod 30's default), written in place. commit is nil for the latter.
func create(fsys atomicfile.FS, path string) (w io.Writer, commit func() error, abort func(), err error) {
	if path == "" {
		return nil, nil, nil, syscall.ENOENT
	}
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		if st.IsDir() {
			return nil, nil, nil, syscall.EISDIR
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
		if err != nil {
			return nil, nil, nil, err
		}
		return f, f.Close, func() { f.Close() }, nil
	}
	dest := path
	if l, err := os.Lstat(path); err == nil && l.Mode()&fs.ModeSymlink != 0 {
		if r, err := filepath.EvalSymlinks(path); err == nil {
			dest = r
		}
	}
	dir, base := filepath.Split(dest)
	for i := 0; ; i++ {
		tmp := fmt.Sprintf("%s.%s.%d.%d", dir, base, os.Getpid(), i)
		p, err := atomicfile.Create(fsys, dest, tmp, 0o666)
		if err == nil {
			return p, p.Commit, p.Abort, nil
		}
		if !errors.Is(err, fs.ErrExist) || i == 1000 {
			return nil, nil, nil, err
		}
	}
}
