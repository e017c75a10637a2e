// Package cmdlinetest compares an applet's command line with kmod 34.2's:
// each named case runs through the applet in process (its Run with a built
// Env) and through kmod's tool, with the same argv[0] and environment, and
// stdout, stderr and exit code must be the same bytes. The applets' tests
// use it with cases that end before anything touches the kernel: errors,
// -h, -V, dry runs. Capture and Stdio run an applet in a test with its
// output collected, or as the test binary itself.
package cmdlinetest

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/internal/debtree"
)

// Case is one command line.
type Case struct {
	Name string
	Args []string
	// Env is NAME=VALUE settings for both runs, such as POSIXLY_CORRECT.
	Env []string
	// Argv0 is argv[0] for both runs when not the tool's bare name; TOOL
	// in it stands for the tool's name.
	Argv0 string
}

// Common are cases every kmod tool answers alike, whatever its table: -h
// and -V act as they come, before a bad option later on is looked at.
var Common = []Case{
	{Name: "help", Args: []string{"-h"}},
	{Name: "long help", Args: []string{"--help"}},
	{Name: "help abbreviated", Args: []string{"--he"}},
	{Name: "help with a value", Args: []string{"--help=1"}},
	{Name: "version", Args: []string{"-V"}},
	{Name: "long version", Args: []string{"--version"}},
	{Name: "version abbreviated", Args: []string{"--vers"}},
	{Name: "help before a bad option", Args: []string{"-h", "-x"}},
	{Name: "bad option before help", Args: []string{"-x", "-h"}},
	{Name: "version then a bad letter", Args: []string{"-Vx"}},
	{Name: "bad letter then version", Args: []string{"-xV"}},
	{Name: "version before unrecognized", Args: []string{"-V", "--bogus"}},
	{Name: "unrecognized before version", Args: []string{"--bogus", "-V"}},
	{Name: "unrecognized with a value", Args: []string{"--bogus=1"}},
	{Name: "version after an operand", Args: []string{"x", "-V"}},
	{Name: "help after an operand and a dash", Args: []string{"-", "x", "-h"}},
	{Name: "ambiguous verbose or version", Args: []string{"--ver"}},
	{Name: "empty long name", Args: []string{"--=1"}},
	{Name: "invalid byte", Args: []string{"-\xff"}},
	{Name: "invalid control byte", Args: []string{"-\x01"}},
	{Name: "invalid UTF-8 letter", Args: []string{"-é"}},
	{Name: "colon", Args: []string{"-:"}},
	{Name: "question mark", Args: []string{"-?"}},
	{Name: "POSIXLY_CORRECT still sees options first", Args: []string{"-V", "x"}, Env: []string{"POSIXLY_CORRECT=1"}},
	{Name: "argv[0] a path, help", Args: []string{"-h"}, Argv0: "/usr/sbin/TOOL"},
	{Name: "argv[0] a path, bad option", Args: []string{"-x"}, Argv0: "/usr/sbin/TOOL"},
	{Name: "argv[0] relative, ambiguous", Args: []string{"--ver"}, Argv0: "./TOOL"},
}

// debianVersion is Debian 13's kmod -V: built without zlib, it prints
// -ZLIB where we print +ZLIB, the one difference Compare forgives (the
// README says why).
const debianVersion = "kmod version 34.2\n+ZSTD +XZ -ZLIB +OPENSSL\n"

// Compare runs every case through run and through kmod 34.2's tool, in
// parallel: each case's variables reach kmod through its process's
// environment and the applet through its Env, never the test process's.
func Compare(t *testing.T, tool string, run func(*applet.Env, []string) int, cases []Case) {
	t.Helper()
	debtree.Kmod(t, tool)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			env, lookup := Environ(c.Env...)
			argv0 := strings.ReplaceAll(c.Argv0, "TOOL", tool)
			if argv0 == "" {
				argv0 = tool
			}
			want := debtree.RunKmodEnv(t, tool, argv0, env, c.Args...)
			if want.Stdout == debianVersion {
				want.Stdout = applet.Version
			}
			var stdout, stderr bytes.Buffer
			code := run(&applet.Env{Argv0: argv0, Stdout: &stdout, Stderr: &stderr, LookupEnv: lookup}, c.Args)
			got := debtree.Result{Code: code, Stdout: stdout.String(), Stderr: stderr.String()}
			if got != want {
				t.Errorf("%s %q (env %q):\nours: exit %d\n  stdout %q\n  stderr %q\nkmod: exit %d\n  stdout %q\n  stderr %q",
					tool, c.Args, c.Env, got.Code, got.Stdout, got.Stderr, want.Code, want.Stdout, want.Stderr)
			}
		})
	}
}

// kmodReads are the variables kmod's tools read besides the command
// line, and glibc's locale: a case sets them itself or not at all.
var kmodReads = []string{"POSIXLY_CORRECT", "MODPROBE_OPTIONS", "KMOD_LOG", "LANGUAGE", "LC_ALL"}

// Environ is the environment of a case's two runs: the test process's
// without kmodReads, LC_ALL=C (no locale to translate glibc's
// messages), then set (NAME=VALUE); as lines for kmod's process and as
// the lookup for the applet's Env.
func Environ(set ...string) (env []string, lookup func(string) (string, bool)) {
	vars := map[string]string{}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(kmodReads, k) {
			env = append(env, kv)
		}
	}
	env = append(append(env, "LC_ALL=C"), set...)
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	return env, func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

// Capture runs an applet called as name with its output collected.
func Capture(name string, run func(*applet.Env, []string) int, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(&applet.Env{Argv0: name, Stdout: &out, Stderr: &errOut}, args)
	return code, out.String(), errOut.String()
}

// Stdio is the Env of the running process, for a test binary that runs
// as an applet.
func Stdio(argv0 string) *applet.Env {
	return &applet.Env{Argv0: argv0, Stdout: os.Stdout, Stderr: os.Stderr, LookupEnv: os.LookupEnv}
}
