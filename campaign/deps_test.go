package campaign_test

import (
	"testing"

	"github.com/vmsplatform/vms/internal/testenv"
)

// The package is pure (see doc.go): its non-test files import only the
// standard library.
func TestImportsOnlyStandardLibrary(t *testing.T) { testenv.ImportsOnlyStandardLibrary(t) }
