package kernel

import (
	"errors"
	"io"
	"os"
	"os/exec"
)

// RunShell runs a configured install or remove command as system(3)
// does, through /bin/sh -c, adding env to the environment; it returns the
// command's exit status.
func RunShell(command string, stdout, stderr io.Writer, env ...string) (int, error) {
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	cmd.Env = append(os.Environ(), env...)
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		// A command killed by a signal has no exit status: WEXITSTATUS
		// reads 0 for it, and kmod counts it a success.
		if !ee.Exited() {
			return 0, nil
		}
		return ee.ExitCode(), nil
	}
	return 0, err
}
