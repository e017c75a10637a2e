package xz

import (
	"syscall"
	"time"
)

// threadCPU is the CPU time the calling thread has used. Benchmarks lock
// their goroutine to its thread and report throughput per CPU second
// besides per wall second: this machine is shared, and CPU time is what
// other processes' load disturbs least.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	const rusageThread = 1
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
