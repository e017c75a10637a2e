package cliapp

import (
	"bytes"
	"sync"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/modutils/modutils/applets/applet"
)

// TestConcurrentHelp runs Apps with urfave's help flag at once: under
// -race it fails if their parses still write one shared flag.
func TestConcurrentHelp(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	outs := make([]bytes.Buffer, 8)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			env := &applet.Env{Stdout: &outs[i], Stderr: &outs[i]}
			app := Wire(env, &cli.App{Name: "x", HideHelpCommand: true, Commands: []*cli.Command{{Name: "c"}}})
			app.Run([]string{"x", "--help"})
		}()
	}
	wg.Wait()
	want := "NAME:\n   x - A new cli application\n\nUSAGE:\n   x [global options] command [command options]\n\nCOMMANDS:\n   c  \n\nGLOBAL OPTIONS:\n   --help, -h  show help\n"
	for i := range outs {
		if got := outs[i].String(); got != want {
			t.Errorf("app %d printed %q, want %q", i, got, want)
		}
	}
}
