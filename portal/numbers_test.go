package portal

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vmsplatform/vms/store"
)

// TestFormulaGating is FRM-2: an Outbound tenant has no TRM, so its
// numbers are refused on the server, API and pages, with the component
// named; the tenant still sees its dashboard.
func TestFormulaGating(t *testing.T) {
	h := sqliteHarness(t)
	C := h.C
	for _, tc := range []struct {
		name   string
		method string
		path   string
		body   any
	}{
		{"list", "GET", fmt.Sprintf("/api/v1/tenants/%d/numbers", C.T.ID), nil},
		{"get", "GET", fmt.Sprintf("/api/v1/tenants/%d/numbers/%d", C.T.ID, C.Number.ID), nil},
		{"create", "POST", fmt.Sprintf("/api/v1/tenants/%d/numbers", C.T.ID), map[string]any{"number": "02 233 44 55"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, u := range []*store.User{C.Admin, h.Op} {
				before := h.dump()
				r := h.api(u, tc.method, tc.path, tc.body)
				if r.Status != http.StatusForbidden {
					t.Fatalf("%s: status %d, want 403: %s", u.Email, r.Status, r.Body)
				}
				e := r.apiErr(t)
				if e.Field != "trm" || !strings.Contains(e.Message, "Traffic Routing Management") || !strings.Contains(e.Message, "Outbound") {
					t.Errorf("%s: error %+v does not name the missing component", u.Email, e)
				}
				if h.dump() != before {
					t.Error("refused request changed data")
				}
			}
		})
	}
	page := h.page(C.Admin, "GET", fmt.Sprintf("/tenants/%d/numbers", C.T.ID), nil)
	if page.Status != http.StatusForbidden || !strings.Contains(page.Body, "Traffic Routing Management") {
		t.Errorf("numbers page: %d", page.Status)
	}
	if dash := h.page(C.Admin, "GET", fmt.Sprintf("/tenants/%d", C.T.ID), nil); dash.Status != http.StatusOK || !strings.Contains(dash.Body, "Outbound campaigns") {
		t.Errorf("dashboard of an Outbound tenant: %d", dash.Status)
	}
	var doc map[string]any
	h.api(nil, "GET", "/api/v1/openapi.json", nil).json(t, &doc)
	op := doc["paths"].(map[string]any)["/api/v1/tenants/{tid}/numbers"].(map[string]any)["get"].(map[string]any)
	if !strings.Contains(fmt.Sprint(op["description"]), "trm") {
		t.Errorf("the API document does not say numbers need trm: %v", op["description"])
	}
}

// TestNumbers covers NUM-1, NUM-2, NUM-3 and NUM-4 through the API.
func TestNumbers(t *testing.T) {
	h := sqliteHarness(t)
	A := h.A
	base := fmt.Sprintf("/api/v1/tenants/%d/numbers", A.T.ID)

	// National input is normalised to E.164; the kind is recorded; a
	// tenant admin gets the default line facts.
	r := h.api(A.Admin, "POST", base, map[string]any{"number": "02/234.56.78", "label": "Helpdesk", "entity_id": A.Entity.ID})
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var n numberView
	r.json(t, &n)
	if n.Number != "+3222345678" || n.Kind != "fixed" || n.Status != store.NumberActive || !n.OnNetwork || n.CNIP || n.EntityID == nil || *n.EntityID != A.Entity.ID || n.ActivatedAt == nil {
		t.Fatalf("created %+v", n)
	}
	// The same number in international format is the same number.
	if r := h.api(A.Admin, "POST", base, map[string]any{"number": "+32 2 234 56 78"}); r.Status != http.StatusConflict || r.apiErr(t).Field != "number" {
		t.Errorf("duplicate in international format: %d %s", r.Status, r.Body)
	}
	// Refusals give the reason and store nothing.
	for _, tc := range []struct {
		name string
		as   *store.User
		body map[string]any
		want string
	}{
		{"mobile", A.Admin, map[string]any{"number": "+32 470 12 34 56"}, "mobile"},
		{"premium", A.Admin, map[string]any{"number": "0903 12 345"}, "marketing"},
		{"enterprise switch", h.Op, map[string]any{"number": "02 234 00 01", "enterprise_switch": true}, "Enterprise Office Switch"},
		{"one company number", h.Op, map[string]any{"number": "02 234 00 01", "one_company_number": true}, "One Company Number"},
	} {
		r := h.api(tc.as, "POST", base, tc.body)
		if r.Status != 422 || !strings.Contains(r.apiErr(t).Message, tc.want) {
			t.Errorf("%s: %d %s, want 422 mentioning %q", tc.name, r.Status, r.Body, tc.want)
		}
	}
	// A marketing destination is accepted (NUM-2) when the operator says so.
	r = h.api(h.Op, "POST", base, map[string]any{"number": "02 234 00 02", "marketing_destination": true})
	if r.Status != http.StatusCreated {
		t.Errorf("marketing destination: %d %s", r.Status, r.Body)
	}
	var list []numberView
	h.api(A.RO, "GET", base, nil).json(t, &list)
	if len(list) != 3 {
		t.Errorf("list has %d numbers, want 3: %+v", len(list), list)
	}

	one := fmt.Sprintf("%s/%d", base, n.ID)
	// Deactivate and reactivate.
	r = h.api(A.RW, "PATCH", one, map[string]any{"status": "inactive", "label": "Old helpdesk", "entity_id": 0})
	var got numberView
	r.json(t, &got)
	if r.Status != 200 || got.Status != store.NumberInactive || got.Label != "Old helpdesk" || got.EntityID != nil {
		t.Fatalf("patch: %d %+v", r.Status, got)
	}
	// Port-out (NUM-3) by the operator: routing stops, the number stays.
	r = h.api(h.Op, "POST", one+"/port-out", nil)
	r.json(t, &got)
	if r.Status != 200 || got.Status != store.NumberPorted || got.PortedAt == nil || got.OnNetwork {
		t.Fatalf("port-out: %d %+v", r.Status, got)
	}
	if r := h.api(A.Admin, "PATCH", one, map[string]any{"status": "active"}); r.Status != http.StatusConflict {
		t.Errorf("reactivating a ported number: %d, want 409", r.Status)
	}
	if r := h.api(A.Admin, "GET", one, nil); r.Status != 200 || !strings.Contains(r.Body, `"ported"`) {
		t.Errorf("ported number is kept: %d %s", r.Status, r.Body)
	}
	if r := h.api(A.Admin, "DELETE", one, nil); r.Status != http.StatusNoContent {
		t.Errorf("delete: %d %s", r.Status, r.Body)
	}
	if r := h.api(A.Admin, "GET", one, nil); r.Status != http.StatusNotFound {
		t.Errorf("deleted number: %d", r.Status)
	}
	// The audit log holds who did what.
	var audit []auditView
	h.api(A.Admin, "GET", fmt.Sprintf("/api/v1/tenants/%d/audit", A.T.ID), nil).json(t, &audit)
	actions := []string{}
	for _, e := range audit {
		if e.ObjectType == "number" && e.ObjectID == fmt.Sprint(n.ID) {
			actions = append(actions, e.Action+" by "+e.ActorEmail)
		}
	}
	want := []string{"number.delete by admin@alpha.example", "number.update by op-admin@operator.example", "number.update by rw@alpha.example", "number.create by admin@alpha.example"}
	if strings.Join(actions, "; ") != strings.Join(want, "; ") {
		t.Errorf("audit\n got %v\nwant %v", actions, want)
	}
}

// TestNumberPages: add a number through the form, see it listed, edit it.
func TestNumberPages(t *testing.T) {
	h := sqliteHarness(t)
	A := h.A
	p := fmt.Sprintf("/tenants/%d/numbers", A.T.ID)
	r := h.page(A.Admin, "POST", p, url.Values{"number": {"02 299 11 22"}, "label": {"Front desk"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("add: %d %.500s", r.Status, r.Body)
	}
	list := h.page(A.Admin, "GET", r.Header.Get("Location"), nil)
	if !strings.Contains(list.Body, "3222991122") || !strings.Contains(list.Body, "Number added and activated.") || !strings.Contains(list.Body, `data-label="Number"`) {
		t.Errorf("list after add:\n%.3000s", list.Body)
	}
	if strings.Contains(list.Body, `name="cnip"`) {
		t.Error("a tenant admin is offered the operator's line facts")
	}
	if op := h.page(h.Op, "GET", p, nil); !strings.Contains(op.Body, `name="cnip"`) {
		t.Error("the operator is not offered the line facts")
	}
	n, err := h.st.NumberByE164(h.ctx(), "+3222991122")
	if err != nil {
		t.Fatal(err)
	}
	edit := fmt.Sprintf("%s/%d", p, n.ID)
	r = h.page(A.Admin, "POST", edit, url.Values{"label": {"Back desk"}, "status": {"inactive"}, "entity_id": {fmt.Sprint(A.Entity.ID)}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("edit: %d %.500s", r.Status, r.Body)
	}
	got, _ := h.st.GetNumber(h.ctx(), A.T.ID, n.ID)
	if got.Label != "Back desk" || got.Status != store.NumberInactive || got.EntityID == nil {
		t.Errorf("after edit %+v", got)
	}
	if ro := h.page(A.RO, "GET", edit, nil); ro.Status != 200 || strings.Contains(ro.Body, "Delete number") {
		t.Errorf("read-only page: %d, offers delete: %v", ro.Status, strings.Contains(ro.Body, "Delete number"))
	}
}
