package controller

import (
	"os/exec"
	"strings"
	"testing"
)

// The controller must not know SQL, the portal or a particular engine:
// it reaches them only through the interfaces it declares.
func TestDependencies(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"/store", "/portal", "/ari", "/esl", "/routecache", "gorm.io", "database/sql"} {
			if strings.Contains(dep, banned) {
				t.Errorf("controller depends on %s", dep)
			}
		}
	}
}
