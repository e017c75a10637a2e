package debtree

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// Result is what one run of a tool gave.
type Result struct {
	Code           int
	Stdout, Stderr string
}

// RunKmod runs kmod 34.2's tool (depmod, modprobe, modinfo...) with args,
// named by its usual name as scripts call it.
func RunKmod(t testing.TB, tool string, args ...string) Result {
	t.Helper()
	return run(t, Kmod(t, tool), tool, args)
}

// RunKmodAs is RunKmod with argv[0] as given (a path such as
// /sbin/depmod), which glibc's getopt puts in front of its messages; its
// base name must be the tool's.
func RunKmodAs(t testing.TB, tool, argv0 string, args ...string) Result {
	t.Helper()
	return run(t, Kmod(t, tool), argv0, args)
}

// RunKmodEnv is RunKmodAs in the environment env (NAME=VALUE lines) in
// place of the test process's, so that tests setting variables for kmod
// need not set them in the process and can run in parallel.
func RunKmodEnv(t testing.TB, tool, argv0 string, env []string, args ...string) Result {
	t.Helper()
	return runEnv(t, Kmod(t, tool), argv0, env, args)
}

// RunKmod30 is RunKmod with Debian 12's kmod 30.
func RunKmod30(t testing.TB, tool string, args ...string) Result {
	t.Helper()
	return run(t, Kmod30(t, tool), tool, args)
}

func run(t testing.TB, path, argv0 string, args []string) Result {
	t.Helper()
	return runEnv(t, path, argv0, nil, args)
}

// runEnv runs path as argv0 with args, in env (nil: the process's).
func runEnv(t testing.TB, path, argv0 string, env, args []string) Result {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Args[0] = argv0
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
		if code < 0 {
			t.Fatalf("kmod %s %q: %v", argv0, args, err)
		}
	} else if err != nil {
		t.Fatal(err)
	}
	return Result{code, stdout.String(), stderr.String()}
}

// MainWithTempDir runs a package's tests with *dir set to a fresh
// directory, removed afterwards: for oracle trees made once per package.
func MainWithTempDir(m *testing.M, pattern string, dir *string) {
	d, err := os.MkdirTemp("", pattern)
	if err != nil {
		panic(err)
	}
	*dir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

// Captured makes a Result of what cmdlinetest.Capture returns.
func Captured(code int, stdout, stderr string) Result { return Result{code, stdout, stderr} }
