package portal

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vmsplatform/vms/store"
)

// TestUsers covers POR-2 user management through the API: a new user
// gets a first-login link and no password; roles change within the
// rules; a disabled user's sessions end.
func TestUsers(t *testing.T) {
	h := sqliteHarness(t)
	A := h.A
	base := fmt.Sprintf("/api/v1/tenants/%d/users", A.T.ID)

	r := h.api(A.Admin, "POST", base, map[string]any{"email": "New.Person@Alpha.example", "name": "New Person", "role": "read-write"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var ls linkSentView
	r.json(t, &ls)
	if !ls.MailSent || ls.User.Email != "new.person@alpha.example" || ls.User.HasPassword || ls.User.Role != "read-write" {
		t.Fatalf("created %+v", ls)
	}
	if strings.Contains(r.Body, "password_hash") || strings.Contains(r.Body, "PasswordHash") {
		t.Error("the API shows a password hash field")
	}
	msgs := h.sink.Wait(t, 1, 5*time.Second)
	if msgs[0].To[0] != "new.person@alpha.example" || !linkRE.MatchString(msgs[0].Text) || !strings.Contains(msgs[0].Text, A.T.Name) {
		t.Errorf("welcome mail %q", msgs[0].Text)
	}

	one := fmt.Sprintf("%s/%d", base, ls.User.ID)
	var u userView
	r = h.api(A.Admin, "PATCH", one, map[string]any{"role": "supervisor", "name": "Renamed"})
	r.json(t, &u)
	if r.Status != 200 || u.Role != "supervisor" || u.Name != "Renamed" {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	// Disabling ends the user's sessions.
	victim := A.RW
	if r := h.api(victim, "GET", "/api/v1/me", nil); r.Status != 200 {
		t.Fatalf("before disabling: %d", r.Status)
	}
	r = h.api(A.Admin, "PATCH", fmt.Sprintf("%s/%d", base, victim.ID), map[string]any{"disabled": true})
	if r.Status != 200 {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}
	if r := h.api(victim, "GET", "/api/v1/me", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("disabled user's token: %d, want 401", r.Status)
	}
	if r := h.page(victim, "GET", "/account", nil); r.Status != http.StatusSeeOther {
		t.Errorf("disabled user's session: %d, want a redirect to log in", r.Status)
	}
	if r := h.api(A.Admin, "POST", fmt.Sprintf("%s/%d/login-link", base, victim.ID), nil); r.Status != http.StatusConflict {
		t.Errorf("link for a disabled user: %d, want 409", r.Status)
	}
	if r := h.api(A.Admin, "DELETE", one, nil); r.Status != http.StatusNoContent {
		t.Errorf("delete: %d %s", r.Status, r.Body)
	}
	if _, err := h.st.GetUser(h.ctx(), ls.User.ID); err == nil {
		t.Error("deleted user still there")
	}
}

// TestOperatorStaffProtected: BGC-* profiles can never be changed or
// deleted by a tenant user, even by id under the tenant's path; only
// BGC-ADMIN manages staff; nobody deletes themselves.
func TestOperatorStaffProtected(t *testing.T) {
	h := sqliteHarness(t)
	A := h.A
	for _, tc := range []struct {
		name   string
		as     *store.User
		method string
		path   string
		body   any
		status int
	}{
		{"tenant admin patches staff under own tenant", A.Admin, "PATCH", fmt.Sprintf("/api/v1/tenants/%d/users/%d", A.T.ID, h.OpRW.ID), map[string]any{"role": "BGC-RO"}, 404},
		{"tenant admin deletes staff under own tenant", A.Admin, "DELETE", fmt.Sprintf("/api/v1/tenants/%d/users/%d", A.T.ID, h.Op.ID), nil, 404},
		{"tenant admin deletes staff", A.Admin, "DELETE", fmt.Sprintf("/api/v1/operator/users/%d", h.OpRW.ID), nil, 403},
		{"BGC-RW changes staff", h.OpRW, "PATCH", fmt.Sprintf("/api/v1/operator/users/%d", h.OpRO.ID), map[string]any{"role": "BGC-ADMIN"}, 403},
		{"BGC-ADMIN deletes self", h.Op, "DELETE", fmt.Sprintf("/api/v1/operator/users/%d", h.Op.ID), nil, 403},
		{"tenant user under operator path", h.Op, "PATCH", fmt.Sprintf("/api/v1/operator/users/%d", A.RW.ID), map[string]any{"role": "BGC-ADMIN"}, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := h.dump()
			if r := h.api(tc.as, tc.method, tc.path, tc.body); r.Status != tc.status {
				t.Errorf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if h.dump() != before {
				t.Error("data changed")
			}
		})
	}
	// BGC-ADMIN manages staff.
	r := h.api(h.Op, "POST", "/api/v1/operator/users", map[string]any{"email": "new-staff@operator.example", "name": "New Staff", "role": "BGC-RO"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create staff: %d %s", r.Status, r.Body)
	}
	if r := h.api(h.Op, "PATCH", fmt.Sprintf("/api/v1/operator/users/%d", h.OpRO.ID), map[string]any{"role": "BGC-RW"}); r.Status != 200 {
		t.Errorf("promote staff: %d %s", r.Status, r.Body)
	}
	// Operator staff may manage a tenant's users too.
	if r := h.api(h.OpRW, "POST", fmt.Sprintf("/api/v1/tenants/%d/users", A.T.ID), map[string]any{"email": "x@alpha.example", "name": "X", "role": "agent"}); r.Status != http.StatusCreated {
		t.Errorf("BGC-RW creates a tenant user: %d %s", r.Status, r.Body)
	}
}

// TestUserPages: create a user, change a role and send a link from the
// users page.
func TestUserPages(t *testing.T) {
	h := sqliteHarness(t)
	A := h.A
	p := fmt.Sprintf("/tenants/%d/users", A.T.ID)
	r := h.page(A.Admin, "POST", p, url.Values{"email": {"page.user@alpha.example"}, "name": {"Page User"}, "role": {"agent"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != p+"?done=user-created" {
		t.Fatalf("create: %d %q %.300s", r.Status, r.Header.Get("Location"), r.Body)
	}
	list := h.page(A.Admin, "GET", r.Header.Get("Location"), nil)
	if !strings.Contains(list.Body, "page.user@alpha.example") || !strings.Contains(list.Body, "invited") {
		t.Errorf("list after create lacks the invited user")
	}
	u, err := h.st.UserByEmail(h.ctx(), "page.user@alpha.example")
	if err != nil {
		t.Fatal(err)
	}
	if r := h.page(A.Admin, "POST", fmt.Sprintf("%s/%d", p, u.ID), url.Values{"role": {"read-only"}}); r.Status != http.StatusSeeOther {
		t.Errorf("change role: %d", r.Status)
	}
	if got, _ := h.st.GetUser(h.ctx(), u.ID); got.Role != "read-only" {
		t.Errorf("role %s", got.Role)
	}
	if r := h.page(A.Admin, "POST", fmt.Sprintf("%s/%d/login-link", p, u.ID), nil); r.Status != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "link-sent") {
		t.Errorf("send link: %d %q", r.Status, r.Header.Get("Location"))
	}
	h.sink.Wait(t, 2, 5*time.Second)
	if ro := h.page(A.RO, "GET", p, nil); ro.Status != 200 || strings.Contains(ro.Body, "Create user") {
		t.Errorf("read-only users page: %d, offers create: %v", ro.Status, strings.Contains(ro.Body, "Create user"))
	}
	if staff := h.page(h.Op, "GET", "/operator/users", nil); !strings.Contains(staff.Body, h.OpRW.Email) || strings.Contains(staff.Body, A.Admin.Email) {
		t.Error("staff page does not list exactly operator staff")
	}
}
