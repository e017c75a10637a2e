package modprobe

import (
	"io"

	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/modconf"
)

// config is modprobe's configuration in the two forms it is used in: the
// lists resolution walks, and the text modprobe -c prints.
type config struct {
	conf *modconf.Config
}

// loadConfig reads modprobe.d (or the -C paths), the module directory's
// modules.softdep and modules.weakdep, and the kernel command line.
func loadConfig(paths []string, explicit bool, dir, cmdline string, report diag.Reporter) (*config, error) {
	opts := modconf.ModprobeOptions{ModuleDir: dir, Cmdline: cmdline, Report: report}
	if explicit {
		opts.Paths = paths
	}
	return &config{conf: modconf.LoadModprobeConfig(opts)}, nil
}

func (c *config) writeShowConfig(w io.Writer) error { return c.conf.WriteShowConfig(w) }
