package failover

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/vmsplatform/vms/internal/testenv"
)

// vmsBin is the vms binary built for this run; buildErr says why there is
// none.
var (
	vmsBin   string
	buildErr error
)

// TestMain builds the vms binary once for every test of the package.
func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "vms-failover-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "failover: temp dir:", err)
		os.Exit(1)
	}
	if !testing.Short() {
		vmsBin, buildErr = build(dir)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// build compiles ./cmd/vms into dir with the toolchain running the tests.
func build(dir string) (string, error) {
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		if gobin, err = exec.LookPath("go"); err != nil {
			return "", fmt.Errorf("no go command to build the vms binary: %w", err)
		}
	}
	bin := filepath.Join(dir, "vms")
	cmd := exec.Command(gobin, "build", "-o", bin, "github.com/vmsplatform/vms/cmd/vms")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/vms: %w\n%s", err, out)
	}
	return bin, nil
}

// binary returns the built vms binary; without one the test stops
// through testenv (a failure under CI=true).
func binary(t *testing.T) string {
	t.Helper()
	if buildErr != nil {
		testenv.Missing(t, "vms binary: %v", buildErr)
	}
	if vmsBin == "" {
		testenv.Missing(t, "vms binary was not built")
	}
	return vmsBin
}
