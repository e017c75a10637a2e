package modprobe

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/kernel"
	"github.com/modutils/modutils/modconf"
	"github.com/modutils/modutils/moddep"
)

// removeKernel records delete_module calls and answers err to them.
type removeKernel struct {
	removed []string
	err     error
}

func (k *removeKernel) State(string) (kernel.State, error)       { return kernel.Live, nil }
func (k *removeKernel) Refcnt(string) (int, error)               { return 0, nil }
func (k *removeKernel) Holders(string) ([]string, error)         { return nil, nil }
func (k *removeKernel) Cmdline() string                          { return "" }
func (k *removeKernel) Insert(string, string, InsertFlags) error { return syscall.EPERM }
func (k *removeKernel) Remove(name string, flags int) error {
	k.removed = append(k.removed, name)
	return k.err
}

// Unload, kerneld's autoclean, runs a configured remove command instead
// of delete_module, and touches neither softdeps nor dependencies.
func TestUnload(t *testing.T) {
	tests := []struct {
		name, conf, module string
		kernelErr          error
		wantRemoved        string // delete_module calls, space-separated
		wantRan            string // what the remove command wrote
		wantErr            string
		wantLog            string
	}{
		{name: "delete_module", conf: "softdep m pre: p post: q\n", module: "m", wantRemoved: "m"},
		{name: "dashes", module: "snd-foo", wantRemoved: "snd_foo"},
		{name: "remove command", conf: "remove m echo \"$MODPROBE_MODULE\" >>OUT\n", module: "m", wantRan: "m\n"},
		{name: "command fails", conf: "remove m echo ran >>OUT; exit 3\n", module: "m", wantRan: "ran\n",
			wantErr: "remove command exited with status 3", wantLog: "Error running remove command for m"},
		{name: "busy", module: "m", kernelErr: syscall.EAGAIN, wantRemoved: "m",
			wantErr: syscall.EAGAIN.Error(), wantLog: "could not remove 'm'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			conf := &modconf.Config{}
			conf.Parse(strings.NewReader(strings.ReplaceAll(tt.conf, "OUT", out)), "t.conf", nil)
			r := moddep.NewResolver(t.TempDir(), conf)
			defer r.Close()
			k := &removeKernel{err: tt.kernelErr}
			var logged bytes.Buffer
			log := applet.NewLogger(&applet.Env{Argv0: "kerneld", Stderr: &logged})
			log.Priority = diag.Err

			err := Unload(r, k, log, tt.module)

			if got := strings.Join(k.removed, " "); got != tt.wantRemoved {
				t.Errorf("delete_module calls %q, want %q", got, tt.wantRemoved)
			}
			ran, _ := os.ReadFile(out)
			if string(ran) != tt.wantRan {
				t.Errorf("the remove command wrote %q, want %q", ran, tt.wantRan)
			}
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr {
				t.Errorf("error %q, want %q", gotErr, tt.wantErr)
			}
			if !strings.Contains(logged.String(), tt.wantLog) || tt.wantLog == "" && logged.Len() > 0 {
				t.Errorf("logged %q, want %q", logged.String(), tt.wantLog)
			}
		})
	}
}
