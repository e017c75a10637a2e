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
	"sync/atomic"
	"syscall"
	"time"
)

// Options tune one boot.
type Options struct {
	// Timeout bounds each script, in the VM (it is killed and the next
	// one runs) and on the host (qemu is killed when a script has not
	// ended Timeout+30 s after it began, or the first has not begun as
	// long after qemu started): 120 s when zero, which tcg needs on a
	// loaded machine.
	Timeout  time.Duration
	Memory   string   // "512M" when empty
	CPUs     int      // 2 when zero: parallel scenarios want real concurrency
	QemuArgs []string // more devices
	// Console, when set, sees each console line as it arrives.
	Console func(line string)
}

// Result is what one boot printed.
type Result struct {
	Output   string        // the serial console, lines ending in "\n"
	Finished bool          // init reached VM-END: every script ran to its end
	Elapsed  time.Duration // qemu start to exit
}

// Boot starts qemu with kernel k and initrd plus the scripts, which the
// VM's init runs one after another, each from a clean slate, and returns
// the console once the VM powers off. It is an error when qemu fails or
// the VM stops making progress (see Options.Timeout); qemu is then
// terminated, and killed if it lingers.
func (h *Host) Boot(ctx context.Context, k *Kernel, initrd string, scripts []Script, opt Options) (*Result, error) {
	if opt.Timeout == 0 {
		opt.Timeout = 120 * time.Second
	}
	if opt.Memory == "" {
		opt.Memory = "512M"
	}
	if opt.CPUs == 0 {
		opt.CPUs = 2
	}
	img, err := withScripts(initrd, scripts, opt.Timeout)
	if err != nil {
		return nil, err
	}
	defer os.Remove(img)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// A watchdog on progress, not on the whole run: a batch of scripts
	// takes as long as they do, but none may hang.
	step := opt.Timeout
	for _, s := range scripts {
		step = max(step, s.Timeout)
	}
	step += 30 * time.Second
	var stalled atomic.Bool
	watchdog := time.AfterFunc(step, func() { stalled.Store(true); cancel() })
	defer watchdog.Stop()
	args := []string{
		// kvm hangs on this project's machines; tcg boots in seconds.
		"-accel", "tcg", "-cpu", "max", "-smp", fmt.Sprint(opt.CPUs), "-m", opt.Memory,
		"-kernel", k.Image, "-initrd", img,
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
		if strings.HasPrefix(line, beginMark) || strings.HasPrefix(line, endMark) {
			watchdog.Reset(step)
		}
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
	if stalled.Load() {
		return res, fmt.Errorf("VM made no progress for %v; killed it", step)
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	if err != nil {
		return res, fmt.Errorf("qemu: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return res, nil
}

// withScripts copies initrd to a temporary file and appends an
// uncompressed archive holding the scripts, their order (scripts/list)
// and their time limit in seconds (scripts/timeout): the kernel unpacks
// concatenated archives in turn, so one image serves every boot.
func withScripts(initrd string, scripts []Script, limit time.Duration) (string, error) {
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
	var list strings.Builder
	for _, s := range scripts {
		c.File("scripts/"+s.Name+".sh", 0o755, []byte(s.Text))
		if s.Timeout > 0 {
			c.File("scripts/"+s.Name+".timeout", 0o644, fmt.Appendf(nil, "%d\n", int(s.Timeout.Seconds())))
		}
		list.WriteString(s.Name + "\n")
	}
	c.File("scripts/list", 0o644, []byte(list.String()))
	c.File("scripts/timeout", 0o644, fmt.Appendf(nil, "%d\n", int(limit.Seconds())))
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
