package vm

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Script is one shell script the VM's init runs, after lib.sh.
type Script struct {
	Name string // a single word: it names the script's part of the console
	Text string
	// Modules are what the script needs shipped ("# vm-modules: a b"
	// lines), with what they depend on.
	Modules []string
	// Kernels are the kernels the script runs on ("# vm-kernels: deb13"
	// and why, for a scenario that cannot apply to the other); nil for
	// every kernel.
	Kernels []string
	// Timeout is the script's own time limit ("# vm-timeout: SECONDS"),
	// for one that takes minutes under tcg; zero for the harness's.
	Timeout time.Duration
}

// ReadScript reads a scenario file and the headers it declares.
func ReadScript(file string) (Script, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return Script{}, err
	}
	s := Script{Name: strings.TrimSuffix(filepath.Base(file), ".sh"), Text: string(data)}
	for _, line := range strings.Split(s.Text, "\n") {
		if v, ok := strings.CutPrefix(line, "# vm-modules:"); ok {
			s.Modules = append(s.Modules, strings.Fields(v)...)
		}
		if v, ok := strings.CutPrefix(line, "# vm-timeout:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n <= 0 {
				return Script{}, fmt.Errorf("%s: vm-timeout: %q is not a number of seconds", file, strings.TrimSpace(v))
			}
			s.Timeout = time.Duration(n) * time.Second
		}
		if v, ok := strings.CutPrefix(line, "# vm-kernels:"); ok {
			// The kernels, then (after " -- ") why only those.
			names, _, _ := strings.Cut(v, "--")
			for _, k := range strings.Fields(names) {
				if !slices.Contains(KernelNames, k) {
					return Script{}, fmt.Errorf("%s: vm-kernels: no kernel %q (there are %s)", file, k, strings.Join(KernelNames, ", "))
				}
				s.Kernels = append(s.Kernels, k)
			}
		}
	}
	return s, nil
}

// RunsOn reports whether the script applies to kernel name.
func (s Script) RunsOn(name string) bool {
	return s.Kernels == nil || slices.Contains(s.Kernels, name)
}

// The VM's init brackets each script's lines with these.
const (
	beginMark = "SCRIPT-BEGIN "
	endMark   = "SCRIPT-END "
)

// Part is one script's share of the console.
type Part struct {
	Name   string
	Output string // its lines, those of the cleanup after it included
	Ended  bool   // init saw it end (and cleaned up after it)
	Code   int    // its exit status, when Ended
}

// Split cuts a console into what came before the first script (the
// kernel's boot and init's start) and each script's part, in order.
func Split(output string) (head string, parts []Part) {
	var b strings.Builder
	var cur *Part
	for _, line := range strings.SplitAfter(output, "\n") {
		switch {
		case strings.HasPrefix(line, beginMark):
			if cur != nil {
				cur.Output = b.String()
			} else {
				head = b.String()
			}
			b.Reset()
			f := strings.Fields(line)
			parts = append(parts, Part{Name: f[1]})
			cur = &parts[len(parts)-1]
		case strings.HasPrefix(line, endMark) && cur != nil:
			f := strings.Fields(line)
			cur.Ended = len(f) > 2 && f[1] == cur.Name
			if cur.Ended {
				cur.Code, _ = strconv.Atoi(f[2])
			}
		}
		b.WriteString(line)
	}
	if cur != nil {
		cur.Output = b.String()
	} else {
		head = b.String()
	}
	return head, parts
}

// Check is one "CHECK name ok|FAIL detail" line.
type Check struct {
	Name   string
	OK     bool
	Detail string
}

// Checks parses the CHECK lines of a console.
func Checks(output string) []Check {
	var cs []Check
	for _, line := range strings.Split(output, "\n") {
		i := strings.Index(line, "CHECK ")
		if i < 0 {
			continue
		}
		f := strings.SplitN(line[i+len("CHECK "):], " ", 3)
		if len(f) < 2 {
			continue
		}
		c := Check{Name: f[0], OK: f[1] == "ok"}
		if len(f) == 3 {
			c.Detail = f[2]
		}
		cs = append(cs, c)
	}
	return cs
}
