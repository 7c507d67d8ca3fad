package portal

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestTenants: operators see every tenant, a tenant user only their own;
// tenant admins change settings, never the formula (FRM-3); the operator
// creates a tenant from the page.
func TestTenants(t *testing.T) {
	h := sqliteHarness(t)
	A, B := h.A, h.B
	var all []tenantView
	h.api(h.OpRO, "GET", "/api/v1/tenants", nil).json(t, &all)
	if len(all) != 3 {
		t.Errorf("operator sees %d tenants, want 3", len(all))
	}
	var own []tenantView
	h.api(A.RO, "GET", "/api/v1/tenants", nil).json(t, &own)
	if len(own) != 1 || own[0].ID != A.T.ID {
		t.Errorf("tenant user sees %+v", own)
	}
	var none []tenantView
	h.api(A.Agent, "GET", "/api/v1/tenants", nil).json(t, &none)
	if len(none) != 0 {
		t.Errorf("agent sees %+v", none)
	}

	p := fmt.Sprintf("/api/v1/tenants/%d", A.T.ID)
	r := h.api(A.Admin, "PATCH", p, map[string]any{"name": "Alpha Widgets Group", "time_zone": "Europe/Amsterdam", "region": "nl"})
	var tv tenantView
	r.json(t, &tv)
	if r.Status != 200 || tv.Name != "Alpha Widgets Group" || tv.TimeZone != "Europe/Amsterdam" || tv.Region != "NL" || tv.Formula != "Classic" {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	// A Dutch number in national format now normalises as NL (NUM-4)...
	// but activation stays national to the operator (BE), so refused.
	if r := h.api(A.Admin, "POST", p+"/numbers", map[string]any{"number": "020 123 4567"}); r.Status != 422 || !strings.Contains(r.Body, "+31") {
		t.Errorf("NL national number: %d %s", r.Status, r.Body)
	}
	if r := h.api(B.Admin, "PATCH", p, map[string]any{"name": "Hijacked"}); r.Status != http.StatusNotFound {
		t.Errorf("B patches A: %d", r.Status)
	}

	// Page: the operator creates a tenant; it is ordered with one order.
	form := url.Values{"name": {"Foxtrot Media"}, "formula": {"VoiceContinuity"}, "options": {"acm", "standard-changes"}, "time_zone": {"Europe/Brussels"}, "region": {"BE"}}
	r = h.page(h.Op, "POST", "/operator/tenants", form)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/tenants/") {
		t.Fatalf("create page: %d %q %.400s", r.Status, r.Header.Get("Location"), r.Body)
	}
	dash := h.page(h.Op, "GET", r.Header.Get("Location"), nil)
	for _, want := range []string{"Foxtrot Media", "ordered", "Mobile app", "Standard changes", "entered", "Activate", "Customer created"} {
		if !strings.Contains(dash.Body, want) {
			t.Errorf("new tenant's page lacks %q", want)
		}
	}
	list := h.page(h.Op, "GET", "/operator/tenants", nil)
	if !strings.Contains(list.Body, "Foxtrot Media") || !strings.Contains(list.Body, A.T.Name) && !strings.Contains(list.Body, "Alpha Widgets Group") {
		t.Error("tenant list incomplete")
	}
	if r := h.page(A.Admin, "GET", "/operator/tenants", nil); r.Status != http.StatusForbidden {
		t.Errorf("tenant admin on the operator's list: %d", r.Status)
	}
}

// TestAuditLog is POR-4 as seen in the portal: who, when, what, with the
// changed keys; a tenant sees only its own entries, operators all.
func TestAuditLog(t *testing.T) {
	h := sqliteHarness(t)
	A, B := h.A, h.B
	if r := h.api(A.Admin, "PATCH", fmt.Sprintf("/api/v1/tenants/%d", A.T.ID), map[string]any{"name": "Alpha Renamed"}); r.Status != 200 {
		t.Fatal(r.Body)
	}
	if r := h.api(B.Admin, "PATCH", fmt.Sprintf("/api/v1/tenants/%d", B.T.ID), map[string]any{"time_zone": "Europe/Paris"}); r.Status != 200 {
		t.Fatal(r.Body)
	}
	var es []auditView
	h.api(A.RO, "GET", fmt.Sprintf("/api/v1/tenants/%d/audit?limit=5", A.T.ID), nil).json(t, &es)
	if len(es) == 0 || len(es) > 5 {
		t.Fatalf("%d entries", len(es))
	}
	e := es[0]
	if e.Action != "tenant.update" || e.ActorEmail != A.Admin.Email || strings.Join(e.Changed, ",") != "Name,UpdatedAt" && strings.Join(e.Changed, ",") != "Name" {
		t.Errorf("newest entry %+v", e)
	}
	for _, x := range es {
		if x.TenantID == nil || *x.TenantID != A.T.ID {
			t.Errorf("A's log holds an entry of tenant %v", x.TenantID)
		}
	}
	var all []auditView
	h.api(h.OpRO, "GET", "/api/v1/audit", nil).json(t, &all)
	seen := map[uint]bool{}
	for _, x := range all {
		if x.TenantID != nil {
			seen[*x.TenantID] = true
		}
		if strings.Contains(string(x.Before)+string(x.After), "PasswordHash") {
			t.Errorf("audit entry %d shows a password hash", x.ID)
		}
	}
	if !seen[A.T.ID] || !seen[B.T.ID] {
		t.Errorf("operator log covers tenants %v", seen)
	}
	page := h.page(A.Admin, "GET", fmt.Sprintf("/tenants/%d/audit", A.T.ID), nil)
	if !strings.Contains(page.Body, "tenant.update") || !strings.Contains(page.Body, "Alpha Widgets NV → Alpha Renamed") || strings.Contains(page.Body, "Europe/Paris") {
		t.Errorf("audit page:\n%.3000s", page.Body)
	}
}

func TestAuditDiff(t *testing.T) {
	b, _ := auditObject(`{"Name":"a","Label":"x","PasswordHash":"$argon2id$secret","N":1}`)
	a, _ := auditObject(`{"Name":"b","Label":"x","N":2,"New":true}`)
	got := auditDiff(b, a)
	want := []auditChange{{"N", "1", "2"}, {"Name", "a", "b"}, {"New", "—", "true"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("diff %v, want %v", got, want)
	}
	if _, ok := auditObject(""); ok {
		t.Error("empty snapshot parsed")
	}
}
