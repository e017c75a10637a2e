package modconf

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/modutils/modutils/internal/debtree"
)

var update = flag.Bool("update", false, "rewrite testdata/modprobe from kmod's output")

// kmod reads /proc/cmdline whatever it is asked, so the tests run it in a
// mount namespace of its own with a file of theirs bound over
// /proc/cmdline. That needs root (or CAP_SYS_ADMIN) and unshare(1).
var cmdlineControl = sync.OnceValue(func() bool {
	if _, err := exec.LookPath("unshare"); err != nil {
		return false
	}
	return exec.Command("unshare", "-m", "sh", "-c", "mount --bind /dev/null /proc/cmdline").Run() == nil
})

// runKmod runs kmod's `modprobe -c` on the case's tree; cmdline is what it
// reads as /proc/cmdline, or, without cmdlineControl, the real one.
// testCmdline is the kernel command line both sides see: ours, or the
// host's where kmod cannot be given another.
func testCmdline() string {
	if cmdlineControl() {
		return defaultTestCmdline
	}
	real, _ := os.ReadFile("/proc/cmdline")
	return string(real)
}

// compareKmod runs kmod's modprobe and ours on the case and wants the same
// stdout and stderr; it returns kmod's.
func compareKmod(t *testing.T, tc modprobeCase, root, cmdline string) (stdout, stderr string) {
	t.Helper()
	wantOut, wantErr := runKmod(t, tc, root, cmdline)
	gotOut, gotErr := runOurs(t, tc, root, cmdline)
	if gotOut != wantOut {
		t.Errorf("stdout differs from kmod's\n got: %q\nwant: %q", gotOut, wantOut)
	}
	if gotErr != wantErr {
		t.Errorf("stderr differs from kmod's\n got: %q\nwant: %q", gotErr, wantErr)
	}
	return wantOut, wantErr
}

func runKmod(t *testing.T, tc modprobeCase, root, cmdline string, extraArgs ...string) (stdout, stderr string) {
	t.Helper()
	modprobe := debtree.Kmod(t, "modprobe")
	args := []string{"-c"}
	for _, p := range tc.args(root) {
		args = append(args, "-C", p)
	}
	args = append(args, extraArgs...)
	args = append(args, "-S", testKernel, "-d", root)

	var cmd *exec.Cmd
	if cmdlineControl() {
		f := filepath.Join(t.TempDir(), "cmdline")
		if err := os.WriteFile(f, []byte(cmdline), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd = exec.Command("unshare", append([]string{"-m", "sh", "-c", `mount --bind "$0" /proc/cmdline && exec "$@"`, f, modprobe}, args...)...)
	} else {
		cmd = exec.Command(modprobe, args...)
	}
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, errs.String())
	}
	return out.String(), errs.String()
}

// TestModprobeKmod compares `modprobe -c` and its messages with kmod 30's
// for every case; with -update it records kmod's answers as the goldens.
func TestModprobeKmod(t *testing.T) {
	t.Parallel()
	debtree.Kmod(t, "modprobe")
	if *update && !cmdlineControl() {
		t.Fatal("-update needs to control kmod's /proc/cmdline: run as root with unshare(1)")
	}
	for _, tc := range modprobeCases {
		t.Run(tc.name, func(t *testing.T) {
			cmdline := tc.kernelCmdline()
			if !cmdlineControl() {
				if tc.cmdline != "" || strings.HasPrefix(tc.name, "cmdline-") {
					debtree.Missing(t, "cannot give kmod another /proc/cmdline (needs root and unshare)")
				}
				real, err := os.ReadFile("/proc/cmdline")
				if err != nil {
					debtree.Missing(t, "no /proc/cmdline: %v", err)
				}
				cmdline = string(real)
			}
			root := t.TempDir()
			tc.build(t, root)
			wantOut, wantErr := compareKmod(t, tc, root, cmdline)
			if *update {
				base := filepath.Join("testdata/modprobe", tc.name)
				if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
					t.Fatal(err)
				}
				for ext, s := range map[string]string{".stdout": wantOut, ".stderr": wantErr} {
					if err := os.WriteFile(base+ext, []byte(rootless(s, root)), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
}

// TestModprobeKmodPathTooLong builds a directory whose entries' paths reach
// PATH_MAX: kmod skips them with an error and reads the rest. Such files can
// only be made relative to their directory.
func TestModprobeKmodPathTooLong(t *testing.T) {
	t.Parallel()
	debtree.Kmod(t, "modprobe")
	root := t.TempDir()
	dir := root
	seg := strings.Repeat("d", 200)
	for len(dir)+len(seg)+1 < pathMax-40 {
		dir += "/" + seg
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	dirfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(dirfd)
	create := func(name, content string) {
		fd, err := unix.Openat(dirfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		if _, err := unix.Write(fd, []byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	create("ok.conf", "alias fits m\n")
	// The path of dir/NAME has len(dir)+1+len(NAME) bytes; kmod wants it
	// under PATH_MAX with its NUL.
	for n := pathMax - len(dir) - 4; n <= pathMax-len(dir); n++ {
		create(strings.Repeat("n", n-len(".conf"))+".conf", fmt.Sprintf("alias len-%d m\n", len(dir)+1+n))
	}
	tc := modprobeCase{name: "path-too-long", paths: []string{strings.TrimPrefix(dir, root+"/")}}
	tc.build(t, root)
	cmdline := testCmdline()
	wantOut, wantErr := compareKmod(t, tc, root, cmdline)
	if !strings.Contains(wantErr, "path too long") || !strings.Contains(wantOut, "alias len_4095 m") {
		t.Errorf("the test missed the limit:\n%s%s", wantOut, wantErr)
	}
}

// TestModprobeKmodDangling: kmod 30 decides whether a dangling link is a
// directory from the previous successful stat, in any directory listed
// before; whether that was a directory depends on the file system's order
// of entries, so these trees are compared with kmod only, not recorded.
func TestModprobeKmodDangling(t *testing.T) {
	t.Parallel()
	debtree.Kmod(t, "modprobe")
	trees := []modprobeCase{
		{name: "alone", files: map[string]string{"a/dang.conf": "-> /nonexistent"}, paths: []string{"a"}},
		{name: "with-file", files: map[string]string{"a/dang.conf": "-> /nonexistent", "a/f.conf": "alias f m\n"}, paths: []string{"a"}},
		{name: "with-dir", files: map[string]string{"a/dang.conf": "-> /nonexistent", "a/sub.conf/": ""}, paths: []string{"a"}},
		{name: "after-dir-elsewhere", files: map[string]string{"a/sub.conf/": "", "b/dang.conf": "-> /nonexistent"}, paths: []string{"a", "nonexistent", "b"}},
		{name: "after-file-elsewhere", files: map[string]string{"a/f.conf": "alias f m\n", "b/dang.conf": "-> /nonexistent"}, paths: []string{"a", "b"}},
		{name: "loop", files: map[string]string{"a/loop.conf": "-> loop.conf", "a/sub.conf/": ""}, paths: []string{"a"}},
		{name: "many", files: func() map[string]string {
			m := map[string]string{}
			for i := range 8 {
				m[fmt.Sprintf("a/dang%d.conf", i)] = "-> /nonexistent"
				m[fmt.Sprintf("a/sub%d.conf/", i)] = ""
				m[fmt.Sprintf("a/f%d.conf", i)] = "alias f m\n"
			}
			return m
		}(), paths: []string{"a"}},
	}
	cmdline := testCmdline()
	for _, tc := range trees {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			tc.build(t, root)
			compareKmod(t, tc, root, cmdline)
		})
	}
}

// TestModprobeGolden replays kmod's recorded answers for every case.
func TestModprobeGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range modprobeCases {
		t.Run(tc.name, func(t *testing.T) {
			base := filepath.Join("testdata/modprobe", tc.name)
			wantOut, err := os.ReadFile(base + ".stdout")
			if err != nil {
				t.Fatal(err)
			}
			wantErr, err := os.ReadFile(base + ".stderr")
			if err != nil {
				t.Fatal(err)
			}
			root := t.TempDir()
			tc.build(t, root)
			gotOut, gotErr := runOurs(t, tc, root, tc.kernelCmdline())
			if got := rootless(gotOut, root); got != string(wantOut) {
				t.Errorf("stdout differs from kmod's recorded one\n got: %q\nwant: %q", got, wantOut)
			}
			// Messages about directory entries come in the directory's
			// order, which depends on the file system.
			if got, want := sortedLines(rootless(gotErr, root)), sortedLines(string(wantErr)); got != want {
				t.Errorf("messages differ from kmod's recorded ones\n got: %q\nwant: %q", got, want)
			}
		})
	}
}

func sortedLines(s string) string {
	lines := strings.SplitAfter(s, "\n")
	sort.Strings(lines)
	return strings.Join(lines, "")
}

// TestModprobeKmodRandom compares random configuration files and kernel
// command lines, made of the bytes kmod's parsers care about, with kmod.
func TestModprobeKmodRandom(t *testing.T) {
	t.Parallel()
	debtree.Kmod(t, "modprobe")
	seed := uint64(30)
	if s := os.Getenv("MODCONF_SEED"); s != "" {
		// Try other sequences: MODCONF_SEED=N go test -run KmodRandom
		fmt.Sscan(s, &seed)
	}
	rng := rand.New(rand.NewPCG(seed, 2022))
	pick := func(choices ...string) string { return choices[rng.IntN(len(choices))] }
	word := func() string {
		var b strings.Builder
		for range 1 + rng.IntN(4) {
			b.WriteString(pick("a", "b-c", "d_e", "[x-y]", "]", "[", "*", "pre:", "post:", "#", "\\", "\\\n", "\r", "\v", "\f", "é", "1", "pci:v*d*"))
		}
		return b.String()
	}
	space := func() string { return pick(" ", " ", " ", "\t", "  ", " \t ", "") }

	t.Run("files", func(t *testing.T) {
		files := map[string]string{}
		for i := range 40 {
			var b strings.Builder
			for range 30 {
				if rng.IntN(8) > 0 {
					b.WriteString(pick("", " ", "\t", "#"))
					b.WriteString(pick("alias", "options", "install", "remove", "softdep", "blacklist", "include", "config", "Alias", "bogus", "#"))
				}
				for range rng.IntN(6) {
					b.WriteString(space())
					b.WriteString(word())
				}
				b.WriteString(pick(space(), "") + pick("\n", "\n", "\n", "\\\n", "\r\n"))
			}
			files[fmt.Sprintf("c/%02d-%s.conf", i, pick("a", "b", "c"))] = b.String()
		}
		tc := modprobeCase{name: "random", files: files, paths: []string{"c"}}
		root := t.TempDir()
		tc.build(t, root)
		cmdline := testCmdline()
		wantOut, wantErr := compareKmod(t, tc, root, cmdline)
		if strings.Count(wantOut, "\n") < 100 || strings.Count(wantErr, "\n") < 100 {
			t.Errorf("the random files gave too little to compare: %d lines, %d messages", strings.Count(wantOut, "\n"), strings.Count(wantErr, "\n"))
		}
	})

	t.Run("cmdline", func(t *testing.T) {
		if !cmdlineControl() {
			debtree.Missing(t, "cannot give kmod another /proc/cmdline (needs root and unshare)")
		}
		root := t.TempDir()
		tc := modprobeCase{name: "random-cmdline", paths: []string{"nonexistent"}}
		tc.build(t, root)
		for i := range 150 {
			var b strings.Builder
			for range rng.IntN(40) {
				b.WriteString(pick("m", "x-y", "modprobe", "blacklist=", ".", ".", "=", "=", `"`, `"`, " ", " ", "\t", "\n", ",", "[", "]", "a b", "\x00", "v"))
			}
			cmdline := b.String()
			wantOut, wantErr := runKmod(t, tc, root, cmdline)
			gotOut, gotErr := runOurs(t, tc, root, cmdline)
			if gotOut != wantOut || gotErr != wantErr {
				t.Errorf("%d: cmdline %q\n got: %q %q\nwant: %q %q", i, cmdline, gotOut, gotErr, wantOut, wantErr)
			}
		}
	})
}
