//go:build linux

package routing_test

import "syscall"

// threadCPU returns the CPU time, user and system, that the calling OS
// thread has used so far.
func threadCPU() (ns int64, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		return 0, false
	}
	return ru.Utime.Nano() + ru.Stime.Nano(), true
}
