//go:build !linux

package routing_test

// threadCPU is only available on Linux; elsewhere benchmarks report no
// cpu-ns/op.
func threadCPU() (ns int64, ok bool) { return 0, false }
