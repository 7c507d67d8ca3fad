package campaign

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/vmsplatform/vms/internal/testenv"
)

// The dialer must not know SQL, the portal or a particular engine: it
// reaches them only through the interfaces it declares (the adapter over
// the store is package campaignstore).
func TestDependencies(t *testing.T) {
	goBin := testenv.LookPath(t, "go")
	out, err := exec.Command(goBin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const vms = "github.com/vmsplatform/vms/"
	banned := []string{vms + "store", vms + "portal", vms + "ari", vms + "esl", "gorm.io/", "database/sql"}
	for _, dep := range strings.Fields(string(out)) {
		for _, b := range banned {
			if dep == b || strings.HasPrefix(dep, b+"/") || (strings.HasSuffix(b, "/") && strings.HasPrefix(dep, b)) {
				t.Errorf("the dialer depends on %s", dep)
			}
		}
	}
}
