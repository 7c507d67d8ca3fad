package storetest

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestThrowawayCluster starts a cluster from Debian's binaries. It is slow
// (initdb) and needs root or the binaries, so it runs only when
// VMS_TEST_THROWAWAY_CLUSTER=1.
func TestThrowawayCluster(t *testing.T) {
	if os.Getenv("VMS_TEST_THROWAWAY_CLUSTER") != "1" {
		t.Skip("set VMS_TEST_THROWAWAY_CLUSTER=1 to start a throwaway PostgreSQL cluster")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	u, err := startCluster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := adminExec(ctx, u, "CREATE DATABASE vms_t_cluster"); err != nil {
		t.Fatal(err)
	}
}
