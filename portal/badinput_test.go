package portal

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/vmsplatform/vms/store"
)

// TestBadInput sends bad bodies to every write endpoint of the API: each
// is refused with the status and the field named, and nothing is written.
func TestBadInput(t *testing.T) {
	h := sqliteHarness(t)
	A, B := h.A, h.B
	tA := fmt.Sprintf("/api/v1/tenants/%d", A.T.ID)
	long := strings.Repeat("x", 201)
	gA := fmt.Sprintf("%s/groups/%d", tA, h.acdObj(A, "group"))
	agA := h.acdObj(A, "agent")
	C := h.C
	tC := fmt.Sprintf("/api/v1/tenants/%d", C.T.ID)
	lC := fmt.Sprintf("%s/call-lists/%d", tC, h.campaignObj(C, "calllist"))
	cC := fmt.Sprintf("%s/campaigns/%d", tC, h.campaignObj(C, "campaign"))
	cases := []struct {
		name   string
		as     *store.User
		method string
		path   string
		body   any
		status int
		field  string
	}{
		{"tenant: empty body", h.Op, "POST", "/api/v1/tenants", "", 422, ""},
		{"tenant: not JSON", h.Op, "POST", "/api/v1/tenants", "{name:", 422, ""},
		{"tenant: two objects", h.Op, "POST", "/api/v1/tenants", `{"name":"X","formula":"Classic"}{}`, 422, ""},
		{"tenant: missing name", h.Op, "POST", "/api/v1/tenants", map[string]any{"formula": "Classic"}, 422, "name"},
		{"tenant: blank name", h.Op, "POST", "/api/v1/tenants", map[string]any{"name": "   ", "formula": "Classic"}, 422, "name"},
		{"tenant: name too long", h.Op, "POST", "/api/v1/tenants", map[string]any{"name": long, "formula": "Classic"}, 422, "name"},
		{"tenant: name with control character", h.Op, "POST", "/api/v1/tenants", map[string]any{"name": "a\x00b", "formula": "Classic"}, 422, "name"},
		{"tenant: name of wrong type", h.Op, "POST", "/api/v1/tenants", `{"name":5,"formula":"Classic"}`, 422, "name"},
		{"tenant: unknown field", h.Op, "POST", "/api/v1/tenants", map[string]any{"name": "X", "formula": "Classic", "status": "active"}, 422, "status"},
		{"tenant: missing formula", h.Op, "POST", "/api/v1/tenants", map[string]any{"name": "X"}, 422, "formula"},
		{"tenant: bad formula", h.Op, "POST", "/api/v1/tenants", map[string]any{"name": "X", "formula": "Platinum"}, 422, "formula"},
		{"tenant: unknown option", h.Op, "POST", "/api/v1/tenants", map[string]any{"name": "X", "formula": "Classic", "options": []string{"teleport"}}, 422, "options"},
		{"tenant: option not available", h.Op, "POST", "/api/v1/tenants", map[string]any{"name": "X", "formula": "DRS", "options": []string{"recording"}}, 422, "options"},
		{"tenant: standard component as option", h.Op, "POST", "/api/v1/tenants", map[string]any{"name": "X", "formula": "Classic", "options": []string{"trm"}}, 422, "options"},
		{"tenant: options not a list", h.Op, "POST", "/api/v1/tenants", `{"name":"X","formula":"Classic","options":"acm"}`, 422, "options"},
		{"tenant: bad time zone", h.Op, "POST", "/api/v1/tenants", map[string]any{"name": "X", "formula": "Classic", "time_zone": "Mars/Olympus"}, 422, "time_zone"},
		{"tenant: path as time zone", h.Op, "POST", "/api/v1/tenants", map[string]any{"name": "X", "formula": "Classic", "time_zone": "../../etc/passwd"}, 422, "time_zone"},
		{"tenant: bad region", h.Op, "POST", "/api/v1/tenants", map[string]any{"name": "X", "formula": "Classic", "region": "XX"}, 422, "region"},

		{"tenant patch: formula is an order change", A.Admin, "PATCH", tA, map[string]any{"formula": "DRS"}, 422, "formula"},
		{"tenant patch: options are an order change", A.Admin, "PATCH", tA, map[string]any{"options": []string{"acm"}}, 422, "options"},
		{"tenant patch: empty name", A.Admin, "PATCH", tA, map[string]any{"name": ""}, 422, "name"},
		{"tenant patch: bad time zone", A.Admin, "PATCH", tA, map[string]any{"time_zone": "Nowhere"}, 422, "time_zone"},
		{"tenant patch: status is not settable", A.Admin, "PATCH", tA, map[string]any{"status": "terminated"}, 422, "status"},
		{"tenant patch: read-write user is not admin", A.RW, "PATCH", tA, map[string]any{"name": "New"}, 403, ""},

		{"order: missing kind", h.Op, "POST", tA + "/orders", map[string]any{"formula": "DRS"}, 422, "kind"},
		{"order: bad kind", h.Op, "POST", tA + "/orders", map[string]any{"kind": "upgrade", "formula": "DRS"}, 422, "kind"},
		{"order: new for an active tenant", h.Op, "POST", tA + "/orders", map[string]any{"kind": "new", "formula": "DRS"}, 422, "kind"},
		{"order: bad formula", h.Op, "POST", tA + "/orders", map[string]any{"kind": "change", "formula": "Gold"}, 422, "formula"},
		{"order: bad option", h.Op, "POST", tA + "/orders", map[string]any{"kind": "change", "formula": "Outbound", "options": []string{"acm"}}, 422, "options"},
		{"order: termination with a formula", h.Op, "POST", tA + "/orders", map[string]any{"kind": "termination", "formula": "DRS"}, 422, "formula"},
		{"order: bad end date", h.Op, "POST", tA + "/orders", map[string]any{"kind": "termination", "ends_on": "31/12/2026"}, 422, "ends_on"},
		{"order: end date in the past", h.Op, "POST", tA + "/orders", map[string]any{"kind": "termination", "ends_on": "2020-01-01"}, 422, "ends_on"},
		{"order: end date on a change", h.Op, "POST", tA + "/orders", map[string]any{"kind": "change", "formula": "DRS", "ends_on": "2027-01-01"}, 422, "ends_on"},
		{"order: tenant admin cannot enter orders", A.Admin, "POST", tA + "/orders", map[string]any{"kind": "change", "formula": "DRS"}, 403, ""},

		{"entity: missing name", A.Admin, "POST", tA + "/entities", map[string]any{"vat": "BE0123"}, 422, "name"},
		{"entity: vat too long", A.Admin, "POST", tA + "/entities", map[string]any{"name": "E", "vat": strings.Repeat("1", 33)}, 422, "vat"},

		{"representative: bad e-mail", A.Admin, "POST", tA + "/representatives", map[string]any{"name": "R", "email": "not-an-address"}, 422, "email"},
		{"representative: display name in e-mail", A.Admin, "POST", tA + "/representatives", map[string]any{"name": "R", "email": "R <r@x.example>"}, 422, "email"},
		{"representative: bad phone", A.Admin, "POST", tA + "/representatives", map[string]any{"name": "R", "email": "r@x.example", "phone": "12"}, 422, "phone"},
		{"representative: contact not boolean", A.Admin, "POST", tA + "/representatives", `{"name":"R","email":"r@x.example","contact":"yes"}`, 422, "contact"},

		{"number: missing", A.Admin, "POST", tA + "/numbers", map[string]any{"label": "x"}, 422, "number"},
		{"number: letters", A.Admin, "POST", tA + "/numbers", map[string]any{"number": "02 CALL ME"}, 422, "number"},
		{"number: too short", A.Admin, "POST", tA + "/numbers", map[string]any{"number": "021"}, 422, "number"},
		{"number: mobile refused (NUM-2)", A.Admin, "POST", tA + "/numbers", map[string]any{"number": "0470 12 34 56"}, 422, "number"},
		{"number: freephone refused (NUM-2)", A.Admin, "POST", tA + "/numbers", map[string]any{"number": "0800 12 345"}, 422, "number"},
		{"number: international refused (NUM-2)", A.Admin, "POST", tA + "/numbers", map[string]any{"number": "+33 1 42 68 53 00"}, 422, "number"},
		{"number: CNIP refused (NUM-2)", h.Op, "POST", tA + "/numbers", map[string]any{"number": "02 211 99 98", "cnip": true}, 422, "number"},
		{"number: not on network refused (NUM-2)", h.Op, "POST", tA + "/numbers", map[string]any{"number": "02 211 99 98", "on_network": false}, 422, "number"},
		{"number: already registered", A.Admin, "POST", tA + "/numbers", map[string]any{"number": A.Number.E164}, 409, "number"},
		{"number: another tenant's number", A.Admin, "POST", tA + "/numbers", map[string]any{"number": B.Number.E164}, 409, "number"},
		{"number: another tenant's entity", A.Admin, "POST", tA + "/numbers", map[string]any{"number": "02 211 99 98", "entity_id": B.Entity.ID}, 422, "entity_id"},
		{"number: label too long", A.Admin, "POST", tA + "/numbers", map[string]any{"number": "02 211 99 98", "label": long}, 422, "label"},
		{"number: tenant admin sets line facts", A.Admin, "POST", tA + "/numbers", map[string]any{"number": "02 211 99 98", "cnip": false}, 403, "cnip"},
		{"number patch: bad status", A.Admin, "PATCH", fmt.Sprintf("%s/numbers/%d", tA, A.Number.ID), map[string]any{"status": "ported"}, 422, "status"},
		{"number patch: another tenant's entity", A.Admin, "PATCH", fmt.Sprintf("%s/numbers/%d", tA, A.Number.ID), map[string]any{"entity_id": B.Entity.ID}, 422, "entity_id"},
		{"number patch: facts that refuse activation", h.Op, "PATCH", fmt.Sprintf("%s/numbers/%d", tA, A.Number.ID), map[string]any{"one_company_number": true}, 422, "number"},
		{"number patch: id of wrong type", A.Admin, "PATCH", fmt.Sprintf("%s/numbers/%d", tA, A.Number.ID), `{"entity_id":"one"}`, 422, "entity_id"},
		{"number port-out: tenant admin", A.Admin, "POST", fmt.Sprintf("%s/numbers/%d/port-out", tA, A.Number.ID), nil, 403, ""},

		{"user: bad role", A.Admin, "POST", tA + "/users", map[string]any{"email": "n@alpha.example", "name": "N", "role": "boss"}, 422, "role"},
		{"user: missing role", A.Admin, "POST", tA + "/users", map[string]any{"email": "n@alpha.example", "name": "N"}, 422, "role"},
		{"user: operator role by a tenant admin", A.Admin, "POST", tA + "/users", map[string]any{"email": "n@alpha.example", "name": "N", "role": "BGC-ADMIN"}, 403, ""},
		{"user: operator role on a tenant by the operator", h.Op, "POST", tA + "/users", map[string]any{"email": "n@alpha.example", "name": "N", "role": "BGC-RW"}, 422, "role"},
		{"user: bad e-mail", A.Admin, "POST", tA + "/users", map[string]any{"email": "n@", "name": "N", "role": "agent"}, 422, "email"},
		{"user: e-mail too long", A.Admin, "POST", tA + "/users", map[string]any{"email": strings.Repeat("a", 250) + "@x.example", "name": "N", "role": "agent"}, 422, "email"},
		{"user: missing name", A.Admin, "POST", tA + "/users", map[string]any{"email": "n@alpha.example", "role": "agent"}, 422, "name"},
		{"user: duplicate e-mail", A.Admin, "POST", tA + "/users", map[string]any{"email": B.Admin.Email, "name": "N", "role": "agent"}, 409, "email"},
		{"user: password is never accepted", A.Admin, "POST", tA + "/users", map[string]any{"email": "n@alpha.example", "name": "N", "role": "agent", "password": "hunter2hunter2"}, 422, "password"},
		{"user patch: bad role", A.Admin, "PATCH", fmt.Sprintf("%s/users/%d", tA, A.RW.ID), map[string]any{"role": "god"}, 422, "role"},
		{"user patch: own role", A.Admin, "PATCH", fmt.Sprintf("%s/users/%d", tA, A.Admin.ID), map[string]any{"role": "agent"}, 403, "role"},
		{"user patch: disable self", A.Admin, "PATCH", fmt.Sprintf("%s/users/%d", tA, A.Admin.ID), map[string]any{"disabled": true}, 403, "disabled"},
		{"user delete: self", A.Admin, "DELETE", fmt.Sprintf("%s/users/%d", tA, A.Admin.ID), nil, 403, ""},
		{"user delete: read-write user is not admin", A.RW, "DELETE", fmt.Sprintf("%s/users/%d", tA, A.Agent.ID), nil, 403, ""},
		{"staff: tenant role", h.Op, "POST", "/api/v1/operator/users", map[string]any{"email": "s@operator.example", "name": "S", "role": "admin"}, 422, "role"},
		{"staff: BGC-RW cannot create staff", h.OpRW, "POST", "/api/v1/operator/users", map[string]any{"email": "s@operator.example", "name": "S", "role": "BGC-RO"}, 403, ""},
		{"staff delete: self", h.Op, "DELETE", fmt.Sprintf("/api/v1/operator/users/%d", h.Op.ID), nil, 403, ""},

		{"token: missing name", A.Admin, "POST", "/api/v1/tokens", map[string]any{}, 422, "name"},
		{"token: negative expiry", A.Admin, "POST", "/api/v1/tokens", map[string]any{"name": "t", "expires_in_days": -1}, 422, "expires_in_days"},
		{"audit: bad limit", A.Admin, "GET", tA + "/audit?limit=0", nil, 422, "limit"},
		{"audit: bad offset", h.Op, "GET", "/api/v1/audit?offset=-3", nil, 422, "offset"},

		{"group: bad key", A.Admin, "POST", tA + "/groups", map[string]any{"key": "Sales Team"}, 422, "key"},
		{"group: duplicate key", A.Admin, "POST", tA + "/groups", map[string]any{"key": "sales"}, 409, "key"},
		{"group: bad strategy", A.Admin, "POST", tA + "/groups", map[string]any{"key": "x", "strategy": "random"}, 422, "strategy"},
		{"group: ring timeout too short", A.Admin, "POST", tA + "/groups", map[string]any{"key": "x", "ring_timeout_seconds": 2}, 422, "ring_timeout_seconds"},
		{"group: relax not lowering", A.Admin, "POST", tA + "/groups", map[string]any{"key": "x", "min_level": 5, "relax": []map[string]int{{"after_seconds": 10, "min_level": 6}}}, 422, "relax"},
		{"group: relax as text", A.Admin, "POST", tA + "/groups", `{"key":"x","relax":"30:3"}`, 422, "relax"},
		{"group: bad e-mail", A.Admin, "POST", tA + "/groups", map[string]any{"key": "x", "email": "sales at alpha"}, 422, "email"},
		{"group: level of wrong type", A.Admin, "POST", tA + "/groups", `{"key":"x","min_level":"high"}`, 422, "min_level"},
		{"group patch: announcement too often", A.Admin, "PATCH", gA, map[string]any{"announce_every_seconds": 5}, 422, "announce_every_seconds"},
		{"group patch: unknown field", A.Admin, "PATCH", gA, map[string]any{"tenant_id": 2}, 422, "tenant_id"},
		{"member: level 11", A.Admin, "PUT", fmt.Sprintf("%s/members/%d", gA, agA), map[string]any{"level": 11}, 422, "level"},
		{"agent: no user", A.Admin, "POST", tA + "/agents", map[string]any{"name": "X"}, 422, "user_id"},
		{"agent: admin user", A.Admin, "POST", tA + "/agents", map[string]any{"user_id": A.Admin.ID}, 422, "user_id"},
		{"agent: user of another tenant", A.Admin, "POST", tA + "/agents", map[string]any{"user_id": B.Agent.ID}, 422, "user_id"},
		{"agent: user is an agent already", A.Admin, "POST", tA + "/agents", map[string]any{"user_id": A.Agent.ID}, 409, "user_id"},
		{"agent: too many e-mails", A.Admin, "POST", tA + "/agents", map[string]any{"user_id": A.Sup.ID, "max_emails": 21}, 422, "max_emails"},
		{"pause reason: empty", A.Admin, "POST", tA + "/pause-reasons", map[string]any{"name": " "}, 422, "name"},
		{"pause reason: duplicate", A.Admin, "POST", tA + "/pause-reasons", map[string]any{"name": "lunch"}, 409, "name"},

		{"call list: csv of wrong type", C.Admin, "POST", tC + "/call-lists", `{"name":"X","csv":5}`, 422, "csv"},
		{"call list: missing name", C.Admin, "POST", tC + "/call-lists", map[string]any{"csv": "0475 11 22 33"}, 422, "name"},
		{"call list: unknown field", C.Admin, "POST", tC + "/call-lists", map[string]any{"name": "X", "csv": "0475 11 22 33", "rows": 1}, 422, "rows"},
		{"call list: bad row", C.Admin, "POST", tC + "/call-lists", map[string]any{"name": "X", "csv": "0475 11 22 33\nabc\n"}, 422, "csv"},
		{"call list entry: bad number", C.Admin, "POST", lC + "/entries", map[string]any{"number": "12"}, 422, "number"},
		{"call list entry: duplicate", C.Admin, "POST", lC + "/entries", map[string]any{"number": "0475 11 22 33"}, 409, "number"},
		{"message: not base64", C.Admin, "POST", tC + "/messages", `{"name":"m","data":"!!"}`, 422, ""},
		{"message: 16-bit audio", C.Admin, "POST", tC + "/messages", map[string]any{"name": "m", "data": wavFile(11025, 16, 1, 100)}, 422, "data"},
		{"message: duplicate name", C.Admin, "POST", tC + "/messages", map[string]any{"name": "welcome", "data": messageWAV(100)}, 409, "name"},
		{"campaign: no caller id", C.Admin, "POST", tC + "/campaigns", map[string]any{"name": "x"}, 422, "caller_id"},
		{"campaign: list ids of wrong type", C.Admin, "POST", tC + "/campaigns", `{"list_ids":"1"}`, 422, "list_ids"},
		{"campaign: change without version", C.Admin, "PUT", cC, map[string]any{"name": "x"}, 422, "version"},
		{"campaign: unknown action", C.Admin, "POST", cC + "/state", map[string]any{"action": "explode"}, 422, "action"},
		{"campaign: resume a draft", C.Admin, "POST", cC + "/state", map[string]any{"action": "resume"}, 409, "state"},
		{"limits: by the customer", C.Admin, "PUT", tC + "/campaign-limits", map[string]any{"lists": 9, "numbers_per_list": 9, "scheduled": 1, "running": 1, "min_pace_seconds": 5}, 403, ""},
		{"limits: negative", h.Op, "PUT", tC + "/campaign-limits", map[string]any{"lists": -1, "numbers_per_list": 9, "scheduled": 1, "running": 1, "min_pace_seconds": 5}, 422, "lists"},
	}
	state := h.dump()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.api(tc.as, tc.method, tc.path, tc.body)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d\n%s", r.Status, tc.status, r.Body)
			}
			e := r.apiErr(t)
			if e.Field != tc.field {
				t.Errorf("field %q, want %q (%s)", e.Field, tc.field, e.Message)
			}
			if e.Message == "" {
				t.Error("no message")
			}
			if after := h.dump(); after != state {
				t.Errorf("refused request changed data")
				state = after
			}
		})
	}
	if msgs := h.sink.Messages(); len(msgs) != 0 {
		t.Errorf("refused requests sent %d e-mails", len(msgs))
	}
}

// TestBadInputPages: a page form with bad input is shown again with the
// message next to the field, the input kept, and status 422.
func TestBadInputPages(t *testing.T) {
	h := sqliteHarness(t)
	A := h.A
	cases := []struct {
		name  string
		as    *store.User
		path  string
		form  map[string][]string
		field string
		kept  string
	}{
		{"number refused", A.Admin, fmt.Sprintf("/tenants/%d/numbers", A.T.ID), map[string][]string{"number": {"0470 12 34 56"}, "label": {"Sales desk"}}, "number", "Sales desk"},
		{"tenant bad zone", h.Op, "/operator/tenants", map[string][]string{"name": {"Delta Foods"}, "formula": {"Classic"}, "time_zone": {"Moon/Base"}}, "time_zone", "Delta Foods"},
		{"user bad e-mail", A.Admin, fmt.Sprintf("/tenants/%d/users", A.T.ID), map[string][]string{"name": {"Newcomer Name"}, "email": {"nope"}, "role": {"agent"}}, "email", "Newcomer Name"},
		{"representative bad phone", A.Admin, fmt.Sprintf("/tenants/%d/representatives", A.T.ID), map[string][]string{"name": {"Rita Rep"}, "email": {"rita@alpha.example"}, "phone": {"1"}}, "phone", "Rita Rep"},
		{"order bad options", h.Op, fmt.Sprintf("/tenants/%d/orders", A.T.ID), map[string][]string{"kind": {"change"}, "formula": {"DRS"}, "options": {"recording"}}, "options", ""},
		{"settings bad region", A.Admin, fmt.Sprintf("/tenants/%d", A.T.ID), map[string][]string{"name": {"Alpha Renamed"}, "time_zone": {"Europe/Brussels"}, "region": {"ZZ"}}, "region", "Alpha Renamed"},
		{"group bad key", A.Admin, fmt.Sprintf("/tenants/%d/groups", A.T.ID), map[string][]string{"key": {"Sales Team"}, "name": {"Sales people"}}, "key", "Sales people"},
		{"group bad ring time", A.Admin, fmt.Sprintf("/tenants/%d/groups/%d", A.T.ID, h.acdObj(A, "group")), map[string][]string{"key": {"sales"}, "name": {"Sales people"}, "ring_timeout_seconds": {"500"}}, "ring_timeout_seconds", "Sales people"},
		{"agent bad user", A.Admin, fmt.Sprintf("/tenants/%d/agents", A.T.ID), map[string][]string{"user_id": {fmt.Sprint(A.RO.ID)}, "name": {"Robin Reader"}}, "user_id", "Robin Reader"},
		{"pause reason too long", A.Admin, fmt.Sprintf("/tenants/%d/pause-reasons", A.T.ID), map[string][]string{"name": {strings.Repeat("z", 65)}}, "name", ""},
		{"campaign pace too fast", h.C.Admin, fmt.Sprintf("/tenants/%d/campaigns", h.C.T.ID), map[string][]string{"name": {"Autumn calls"}, "caller_id": {"02 511 22 33"}, "pace_seconds": {"1"}, "windows": {"mon-fri 09:00-17:00"}}, "pace_seconds", "Autumn calls"},
		{"campaign bad window", h.C.Admin, fmt.Sprintf("/tenants/%d/campaigns", h.C.T.ID), map[string][]string{"name": {"Autumn calls"}, "windows": {"someday 09:00-17:00"}}, "windows", "Autumn calls"},
		{"call list typed bad number", h.C.Admin, fmt.Sprintf("/tenants/%d/call-lists/%d/entries", h.C.T.ID, h.campaignObj(h.C, "calllist")), map[string][]string{"number": {"12"}, "name": {"Kept Name"}}, "number", "Kept Name"},
		{"campaign limits running over scheduled", h.Op, fmt.Sprintf("/tenants/%d/campaign-limits", h.C.T.ID), map[string][]string{"lists": {"5"}, "numbers_per_list": {"100"}, "scheduled": {"1"}, "running": {"2"}, "min_pace_seconds": {"5"}}, "running", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := h.dump()
			r := h.page(tc.as, http.MethodPost, tc.path, tc.form)
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422\n%.500s", r.Status, r.Body)
			}
			if !strings.Contains(r.Body, `id="err-`+tc.field+`"`) || !strings.Contains(r.Body, `role="alert"`) {
				t.Errorf("no error next to field %s", tc.field)
			}
			if !strings.Contains(r.Body, `aria-invalid="true" aria-describedby="err-`+tc.field+`"`) {
				t.Errorf("field %s is not marked invalid", tc.field)
			}
			if tc.kept != "" && !strings.Contains(r.Body, tc.kept) {
				t.Errorf("input %q not kept", tc.kept)
			}
			if h.dump() != before {
				t.Error("refused form changed data")
			}
		})
	}
}
