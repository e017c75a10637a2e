package kernel

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/modutils/modutils/internal/rawfile"
	"github.com/modutils/modutils/moddep"
)

// State is a module's state, as moddep resolves with it.
type State = moddep.State

const (
	Live    = moddep.Live
	Coming  = moddep.Coming
	Going   = moddep.Going
	Builtin = moddep.Builtin
)

// Sys reads the kernel's view of modules under Root ("" for the running
// system), so that tests can point it at a fake tree, and makes the module
// system calls through Calls (nil: the real ones).
type Sys struct {
	Root  string
	Calls Syscalls
}

// InitState reads /sys/module/NAME/initstate as libkmod does: a module
// directory without initstate is still coming up; no directory at all is
// fs.ErrNotExist (the module is not loaded).
func (s Sys) InitState(name string) (State, error) {
	dir := s.Root + "/sys/module/" + name
	data, err := rawfile.ReadStream(dir+"/initstate", nil)
	if err != nil {
		if st, serr := os.Stat(dir); serr == nil && st.IsDir() {
			return Coming, nil
		}
		if errors.Is(err, fs.ErrNotExist) {
			return 0, fs.ErrNotExist
		}
		return 0, err
	}
	switch string(data) {
	case "live\n":
		return Live, nil
	case "coming\n":
		return Coming, nil
	case "going\n":
		return Going, nil
	}
	return 0, fmt.Errorf("unknown %s/initstate: '%s': %w", dir, data, syscall.EINVAL)
}

// Cmdline is the kernel command line, /proc/cmdline.
func (s Sys) Cmdline() string {
	data, err := rawfile.ReadStream(s.Root+"/proc/cmdline", nil)
	if err != nil {
		return ""
	}
	return string(data)
}

// Refcnt is /sys/module/NAME/refcnt: how many users hold the module.
func (s Sys) Refcnt(name string) (int, error) {
	data, err := rawfile.ReadStream(s.Root+"/sys/module/"+name+"/refcnt", nil)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0, fmt.Errorf("%s/sys/module/%s/refcnt: %w", s.Root, name, syscall.EINVAL)
	}
	return n, nil
}

// Holders lists /sys/module/NAME/holders: the modules using this one.
func (s Sys) Holders(name string) ([]string, error) {
	d, err := rawfile.OpenDirPath(s.Root + "/sys/module/" + name + "/holders")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Names()
	if err != nil {
		return nil, err
	}
	return names, nil
}

// RemoveForce is delete_module's O_TRUNC: remove even a module in use.
const RemoveForce = 0o1000
