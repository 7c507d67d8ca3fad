package portal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vmsplatform/vms/mail"
	"github.com/vmsplatform/vms/store"
)

func TestAddWorkingDays(t *testing.T) {
	for _, tc := range []struct {
		from time.Time
		n    int
		want time.Time
	}{
		{time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), 15, time.Date(2026, 3, 23, 9, 0, 0, 0, time.UTC)}, // Monday → Monday three weeks on
		{time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC), 1, time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)},   // Friday → Monday
		{time.Date(2026, 3, 7, 9, 0, 0, 0, time.UTC), 1, time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)},   // Saturday → Monday
		{time.Date(2026, 3, 7, 9, 0, 0, 0, time.UTC), 15, time.Date(2026, 3, 27, 9, 0, 0, 0, time.UTC)}, // Saturday → Friday
		{time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC), 0, time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)},
	} {
		if got := addWorkingDays(tc.from, tc.n); !got.Equal(tc.want) {
			t.Errorf("addWorkingDays(%s, %d) = %s, want %s", tc.from.Format("Mon 2006-01-02"), tc.n, got.Format("Mon 2006-01-02"), tc.want.Format("Mon 2006-01-02"))
		}
	}
}

var linkRE = regexp.MustCompile(regexp.QuoteMeta(testBaseURL) + `/first-login/([A-Za-z0-9_\-]+)`)

// TestActivationEmail is PRV-1 end to end: the operator creates a tenant
// (first order due in 15 working days), adds the contact person and
// activates; the contact receives the portal address and a one-time
// first-login link, never a password; the link sets a password and logs
// in, once.
func TestActivationEmail(t *testing.T) {
	h := sqliteHarness(t)
	r := h.api(h.Op, "POST", "/api/v1/tenants", map[string]any{"name": "Delta Foods", "formula": "Classic", "options": []string{"ACM"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("create tenant: %d %s", r.Status, r.Body)
	}
	var tv tenantView
	r.json(t, &tv)
	if tv.Status != store.TenantOrdered || tv.Formula != "Classic" || strings.Join(tv.Options, ",") != "acm" {
		t.Fatalf("new tenant %+v", tv)
	}
	base := fmt.Sprintf("/api/v1/tenants/%d", tv.ID)
	var orders []orderView
	h.api(h.Op, "GET", base+"/orders", nil).json(t, &orders)
	if len(orders) != 1 || orders[0].Kind != store.OrderNew || orders[0].Status != store.OrderEntered {
		t.Fatalf("orders %+v", orders)
	}
	if want := time.Date(2026, 3, 23, 9, 0, 0, 0, time.UTC); !orders[0].DueAt.Equal(want) {
		t.Errorf("due %s, want 15 working days later %s", orders[0].DueAt, want)
	}

	// No contact person yet: refused, nothing activated.
	act := fmt.Sprintf("%s/orders/%d/activate", base, orders[0].ID)
	if r := h.api(h.Op, "POST", act, nil); r.Status != 422 || r.apiErr(t).Field != "contact" {
		t.Fatalf("activate without contact: %d %s", r.Status, r.Body)
	}
	if r := h.api(h.Op, "POST", base+"/representatives", map[string]any{"name": "Dora Delta", "email": "Dora@Delta.example", "phone": "02 555 12 12", "contact": true}); r.Status != 201 {
		t.Fatalf("add contact: %d %s", r.Status, r.Body)
	}
	r = h.api(h.Op, "POST", act, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("activate: %d %s", r.Status, r.Body)
	}
	var av activationView
	r.json(t, &av)
	if !av.MailSent || av.ContactEmail != "dora@delta.example" || av.Order.Status != store.OrderActivated {
		t.Fatalf("activation %+v", av)
	}
	if r := h.api(h.Op, "POST", act, nil); r.Status != http.StatusConflict {
		t.Errorf("second activation: %d, want 409", r.Status)
	}
	var td tenantDetailView
	h.api(h.Op, "GET", base, nil).json(t, &td)
	if td.Status != store.TenantActive {
		t.Errorf("tenant status %s after activation", td.Status)
	}
	u, err := h.st.UserByEmail(h.ctx(), "dora@delta.example")
	if err != nil || u.Role != "admin" || u.PasswordHash != "" || u.TenantID == nil || *u.TenantID != tv.ID {
		t.Fatalf("contact user %+v %v", u, err)
	}

	msgs := h.sink.Wait(t, 1, 5*time.Second)
	if len(msgs) != 1 || msgs[0].To[0] != "dora@delta.example" {
		t.Fatalf("mails %+v", msgs)
	}
	body := msgs[0].Text
	if !strings.Contains(body, testBaseURL) {
		t.Errorf("mail lacks the portal address:\n%s", body)
	}
	m := linkRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("mail lacks a first-login link:\n%s", body)
	}
	for _, bad := range []string{"password:", "Password:", "wachtwoord", "mot de passe"} {
		if strings.Contains(body, bad) {
			t.Errorf("mail contains %q:\n%s", bad, body)
		}
	}

	// Following the link sets a password and logs in.
	linkPath := "/first-login/" + m[1]
	first := h.serve(httptestRequest(http.MethodGet, linkPath, nil, nil))
	if first.Status != http.StatusOK {
		t.Fatalf("first-login page: %d", first.Status)
	}
	csrf := cookieValue(first.Header, loginCSRF)
	pw := "correct horse battery staple"
	form := url.Values{csrfField: {csrf}, "password": {pw}, "password2": {pw}}
	done := h.serve(httptestRequest(http.MethodPost, linkPath, form, map[string]string{loginCSRF: csrf}))
	if done.Status != http.StatusSeeOther {
		t.Fatalf("set password: %d %.300s", done.Status, done.Body)
	}
	sess := cookieValue(done.Header, sessionCookie)
	me := h.serve(httptestRequest(http.MethodGet, "/api/v1/me", nil, map[string]string{sessionCookie: sess}))
	if me.Status != http.StatusOK || !strings.Contains(me.Body, "dora@delta.example") {
		t.Fatalf("logged in as: %d %s", me.Status, me.Body)
	}
	// A second use of the link fails.
	again := h.serve(httptestRequest(http.MethodPost, linkPath, form, map[string]string{loginCSRF: csrf}))
	if again.Status != http.StatusNotFound {
		t.Errorf("second use of the link: %d, want 404", again.Status)
	}
}

// TestActivationMailFailure: when the relay is down the activation still
// stands, the API says the mail failed, and the link can be re-sent.
func TestActivationMailFailure(t *testing.T) {
	h := sqliteHarness(t)
	h.srv.mailer = failingMailer{}
	r := h.api(h.Op, "POST", "/api/v1/tenants", map[string]any{"name": "Echo Bank", "formula": "DRS"})
	var tv tenantView
	r.json(t, &tv)
	base := fmt.Sprintf("/api/v1/tenants/%d", tv.ID)
	h.api(h.Op, "POST", base+"/representatives", map[string]any{"name": "Ed", "email": "ed@echo.example", "contact": true})
	var orders []orderView
	h.api(h.Op, "GET", base+"/orders", nil).json(t, &orders)
	r = h.api(h.Op, "POST", fmt.Sprintf("%s/orders/%d/activate", base, orders[0].ID), nil)
	var av activationView
	r.json(t, &av)
	if r.Status != 200 || av.MailSent || av.MailError == "" || av.Order.Status != store.OrderActivated {
		t.Fatalf("activation with a failing relay: %d %+v", r.Status, av)
	}
	h.srv.mailer = h.mailer
	r = h.api(h.Op, "POST", fmt.Sprintf("%s/users/%d/login-link", base, av.ContactID), nil)
	var ls linkSentView
	r.json(t, &ls)
	if r.Status != 200 || !ls.MailSent {
		t.Fatalf("re-send: %d %s", r.Status, r.Body)
	}
	msgs := h.sink.Wait(t, 1, 5*time.Second)
	if !linkRE.MatchString(msgs[0].Text) || msgs[0].To[0] != "ed@echo.example" {
		t.Errorf("re-sent mail %+v", msgs[0])
	}
}

// TestOrderChangeTakesEffectAtActivation is FRM-3: a formula change is
// entered as an order and changes the tenant only when activated.
func TestOrderChangeTakesEffectAtActivation(t *testing.T) {
	h := sqliteHarness(t)
	base := fmt.Sprintf("/api/v1/tenants/%d", h.A.T.ID)
	r := h.api(h.Op, "POST", base+"/orders", map[string]any{"kind": "change", "formula": "Classic", "options": []string{"recording", "acm"}})
	if r.Status != 201 {
		t.Fatalf("enter change: %d %s", r.Status, r.Body)
	}
	var o orderView
	r.json(t, &o)
	var td tenantDetailView
	h.api(h.A.Admin, "GET", base, nil).json(t, &td)
	if len(td.Options) != 0 {
		t.Fatalf("options changed before activation: %v", td.Options)
	}
	if r := h.api(h.Op, "POST", fmt.Sprintf("%s/orders/%d/activate", base, o.ID), nil); r.Status != 200 {
		t.Fatalf("activate: %d %s", r.Status, r.Body)
	}
	h.api(h.A.Admin, "GET", base, nil).json(t, &td)
	if strings.Join(td.Options, ",") != "acm,recording" {
		t.Errorf("options after activation %v", td.Options)
	}
	comps := map[string]string{}
	for _, c := range td.Components {
		comps[c.Component] = c.Availability
	}
	if comps["trm"] != "STD" || comps["acm"] != "OPT" || comps["recording"] != "OPT" || comps["statistics"] != "" {
		t.Errorf("components %v", comps)
	}
	if n := len(h.sink.Messages()); n != 0 {
		t.Errorf("a change order sent %d e-mails", n)
	}
	// The dashboard shows formula, components with badges and orders.
	page := h.page(h.A.Admin, "GET", fmt.Sprintf("/tenants/%d", h.A.T.ID), nil)
	for _, want := range []string{"Call recording", ">OPT<", ">STD<", "activated"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
}

// TestOrderPages: the operator enters and activates orders from the
// tenant page; the flash says what happened.
func TestOrderPages(t *testing.T) {
	h := sqliteHarness(t)
	p := fmt.Sprintf("/tenants/%d", h.A.T.ID)
	r := h.page(h.Op, "POST", p+"/orders", url.Values{"kind": {"termination"}, "ends_on": {"2026-06-30"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != p+"?done=order-created" {
		t.Fatalf("enter termination: %d %q", r.Status, r.Header.Get("Location"))
	}
	// The service stops at the start of that day in the tenant's zone.
	page := h.page(h.Op, "GET", r.Header.Get("Location"), nil)
	if !strings.Contains(page.Body, "Order entered.") || !strings.Contains(page.Body, "termination") || !strings.Contains(page.Body, "2026-06-29 22:00 UTC") {
		t.Errorf("tenant page after entering:\n%.2000s", page.Body)
	}
	if h.page(h.A.Admin, "GET", p, nil).Body == "" || strings.Contains(h.page(h.A.Admin, "GET", p, nil).Body, "/activate") {
		t.Error("a tenant admin sees the activate button")
	}
}

type failingMailer struct{}

func (failingMailer) Send(context.Context, mail.Message) error {
	return errors.New("dial tcp 127.0.0.1:25: connection refused")
}

// TestTerminationOrder is PRV-2: a termination ends the service on a date
// with 30 days' notice by default, recorded on the tenant at activation.
func TestTerminationOrder(t *testing.T) {
	h := sqliteHarness(t)
	base := fmt.Sprintf("/api/v1/tenants/%d", h.B.T.ID)
	r := h.api(h.Op, "POST", base+"/orders", map[string]any{"kind": "termination"})
	var o orderView
	r.json(t, &o)
	if want := h.clock.Now().Add(30 * 24 * time.Hour); r.Status != 201 || !o.DueAt.Equal(want) || o.Formula != "Classic" {
		t.Fatalf("termination: %d %+v, want end %s", r.Status, o, want)
	}
	if r := h.api(h.Op, "POST", fmt.Sprintf("%s/orders/%d/activate", base, o.ID), nil); r.Status != 200 {
		t.Fatalf("activate: %d %s", r.Status, r.Body)
	}
	tn, err := h.st.GetTenant(h.ctx(), h.B.T.ID)
	if err != nil || tn.TerminatesAt == nil || !tn.TerminatesAt.Equal(o.DueAt) {
		t.Errorf("tenant after termination %+v %v", tn, err)
	}
	if r := h.api(h.Op, "POST", base+"/orders", map[string]any{"kind": "change", "formula": "DRS"}); r.Status == 201 {
		t.Error("an order was accepted for a terminated customer")
	}
}
