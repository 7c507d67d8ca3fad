package portal

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes is POR-5: every /api/v1 route is in the
// OpenAPI document with its method and every documented operation is a
// route; the document is OpenAPI 3 JSON whose $refs all resolve.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	h := sqliteHarness(t)
	r := h.api(nil, http.MethodGet, "/api/v1/openapi.json", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("status %d", r.Status)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.Body), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Errorf("openapi version %q", v)
	}

	documented := map[string]bool{}
	paths, _ := doc["paths"].(map[string]any)
	for p, ops := range paths {
		for m, op := range ops.(map[string]any) {
			documented[strings.ToUpper(m)+" "+pathParam.ReplaceAllString(strings.NewReplacer("{", ":", "}", "").Replace(p), ":$1")] = true
			o := op.(map[string]any)
			if o["summary"] == "" || o["operationId"] == "" {
				t.Errorf("%s %s lacks a summary or an operation id", m, p)
			}
		}
	}
	// The document itself is served outside the documented API.
	undocumented := map[string]bool{"GET /api/v1/openapi.json": true}
	registered := map[string]bool{}
	for _, k := range routeKeys(h.srv) {
		if _, path, _ := strings.Cut(k, " "); !strings.HasPrefix(path, "/api/v1/") || undocumented[k] {
			continue
		}
		registered[k] = true
		if !documented[k] {
			t.Errorf("route %s is not in the OpenAPI document", k)
		}
	}
	for k := range documented {
		if !registered[k] {
			t.Errorf("the OpenAPI document has %s, which is not a route", k)
		}
	}
	if len(registered) < 30 {
		t.Errorf("only %d API routes registered", len(registered))
	}

	// Every $ref resolves.
	var refs []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && k == "$ref" {
					refs = append(refs, s)
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)
	sort.Strings(refs)
	if len(refs) == 0 {
		t.Fatal("no $ref in the document")
	}
	for _, ref := range refs {
		var cur any = doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			m, ok := cur.(map[string]any)
			if !ok {
				cur = nil
				break
			}
			cur = m[part]
		}
		if cur == nil {
			t.Errorf("$ref %s does not resolve", ref)
		}
	}
	// Views never expose secrets.
	for _, secret := range []string{"password_hash", "PasswordHash", "csrf"} {
		if strings.Contains(r.Body, secret) {
			t.Errorf("the document mentions %q", secret)
		}
	}
}
