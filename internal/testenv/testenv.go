// Package testenv decides what a test does when a real dependency it needs
// (PostgreSQL, Chromium, Asterisk, SIPp, ...) is missing: outside CI the test
// is skipped with the reason; under CI=true it fails, so that a missing
// dependency can never pass as a green run.
package testenv

import (
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// InCI reports whether the tests run under CI (CI=true).
func InCI() bool {
	v, _ := strconv.ParseBool(os.Getenv("CI"))
	return v
}

// Missing stops the test because a dependency is missing: t.Fatal under CI,
// t.Skip elsewhere.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf("missing test dependency (CI=true makes this a failure): "+format, args...)
	}
	t.Skipf("missing test dependency: "+format, args...)
}

// LookPath returns the path of a command the test needs, or stops the test
// through Missing.
func LookPath(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "command %q not found: %v", name, err)
	}
	return p
}
