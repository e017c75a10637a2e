package vm

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Options tune one boot.
type Options struct {
	Timeout  time.Duration // whole boot; 120 s when zero, which tcg needs on a loaded machine
	Memory   string        // "512M" when empty
	CPUs     int           // 2 when zero: parallel scenarios want real concurrency
	QemuArgs []string      // more devices
	// Console, when set, sees each console line as it arrives.
	Console func(line string)
}

// Result is what one boot printed.
type Result struct {
	Output   string        // the serial console, lines ending in "\n"
	Finished bool          // init reached VM-END: the scenario ran to its end
	Elapsed  time.Duration // qemu start to exit
}

// Boot starts qemu with the kernel and initrd plus script as
// /scenario.sh, and returns the console once the VM powers off. It is an
// error when qemu fails or the VM outlives the timeout; qemu is then
// terminated, and killed if it lingers.
func (h *Host) Boot(ctx context.Context, initrd, script string, opt Options) (*Result, error) {
	if opt.Timeout == 0 {
		opt.Timeout = 120 * time.Second
	}
	if opt.Memory == "" {
		opt.Memory = "512M"
	}
	if opt.CPUs == 0 {
		opt.CPUs = 2
	}
	img, err := withScenario(initrd, script)
	if err != nil {
		return nil, err
	}
	defer os.Remove(img)

	ctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()
	args := []string{
		// kvm hangs on this project's machines; tcg boots in seconds.
		"-accel", "tcg", "-cpu", "max", "-smp", fmt.Sprint(opt.CPUs), "-m", opt.Memory,
		"-kernel", h.Kernel, "-initrd", img,
		"-append", "console=ttyS0 panic=-1 rdinit=/init quiet",
		// Nothing qemu adds by itself: the devices are what the
		// scenarios and the demo's coldplug expect to find.
		"-nodefaults", "-display", "none", "-serial", "stdio", "-monitor", "none",
		"-nic", "user,model=e1000",
		"-no-reboot",
	}
	args = append(args, opt.QemuArgs...)
	cmd := exec.CommandContext(ctx, h.Qemu, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	res := &Result{}
	var out strings.Builder
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		out.WriteString(line + "\n")
		if strings.HasPrefix(line, "VM-END ") {
			res.Finished = true
		}
		if opt.Console != nil {
			opt.Console(line)
		}
	}
	io.Copy(io.Discard, stdout)
	err = cmd.Wait()
	res.Elapsed = time.Since(start)
	res.Output = out.String()
	if ctx.Err() == context.DeadlineExceeded {
		return res, fmt.Errorf("VM still running after %v; killed it", opt.Timeout)
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	if err != nil {
		return res, fmt.Errorf("qemu: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return res, nil
}

// withScenario copies initrd to a temporary file and appends an
// uncompressed archive holding the script: the kernel unpacks
// concatenated archives in turn, so one image serves every scenario.
func withScenario(initrd, script string) (string, error) {
	base, err := os.ReadFile(initrd)
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp("", "modutils-vm-*.cpio")
	if err != nil {
		return "", err
	}
	// The kernel skips zeros between archives and wants each to start
	// four-byte aligned.
	base = pad4(base)
	var buf bytes.Buffer
	buf.Write(base)
	c := newCpio(&buf)
	c.File("scenario.sh", 0o755, []byte(script))
	err = errors.Join(c.Close(), writeAll(f, buf.Bytes()))
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

func writeAll(f *os.File, data []byte) error {
	_, err := f.Write(data)
	return errors.Join(err, f.Close())
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
