package mailqueue

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The e-mail router sits between the listener, the store, the center and
// the relay; the portal and cmd/vms use it, so it must not use them, nor
// the call side (controller, media engine).
func TestEmailRouterImports(t *testing.T) {
	forbidden := []string{"portal", "controller", "engine", "ari", "cmd", "routing", "routecache"}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			rest, ours := strings.CutPrefix(path, "github.com/vmsplatform/vms/")
			if !ours {
				continue
			}
			top, _, _ := strings.Cut(rest, "/")
			for _, bad := range forbidden {
				if top == bad {
					t.Errorf("%s imports %s", name, path)
				}
			}
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no source files found")
	}
}
