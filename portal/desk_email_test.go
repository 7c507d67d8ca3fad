package portal

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/store"
)

// emailFixture is one tenant's e-mail contacts: Email (with Attachment)
// is assigned to the tenant's agent user, Other to an agent of its
// supervisor, Queued to nobody.
type emailFixture struct {
	Group, Agent, OtherAgent uint
	Email, Attachment        uint
	Other, Queued            uint
}

var (
	emailFixturesMu sync.Mutex
	emailFixtures   = map[*harness]map[uint]emailFixture{}
)

// fixtureAttachment is the content of the fixtures' attachment.
const fixtureAttachment = "<html><script>alert(1)</script></html>"

// emailFixture returns f's e-mail fixtures, creating them on first use.
// Like the routing fixtures they are written straight to the database,
// without audit entries, so that creating them midway through the
// authorisation walk does not look like a change made by a refused
// request.
func (h *harness) emailFixture(f tenantFixture) emailFixture {
	h.t.Helper()
	emailFixturesMu.Lock()
	defer emailFixturesMu.Unlock()
	byTenant := emailFixtures[h]
	if byTenant == nil {
		byTenant = map[uint]emailFixture{}
		emailFixtures[h] = byTenant
		h.t.Cleanup(func() {
			emailFixturesMu.Lock()
			delete(emailFixtures, h)
			emailFixturesMu.Unlock()
		})
	}
	if fx, ok := byTenant[f.T.ID]; ok {
		return fx
	}
	db := h.st.DB()
	must := func(err error) {
		if err != nil {
			h.t.Fatalf("seed e-mail fixtures: %v", err)
		}
	}
	now := h.clock.Now().UTC()
	slug := strings.TrimPrefix(f.Admin.Email, "admin@")
	addr := "support@" + slug
	g := store.DefaultAgentGroup(f.T.ID)
	g.Key, g.Name, g.Email = "support", "Support of "+f.T.Name, &addr
	must(db.Create(&g).Error)
	// The contact centre fixtures may have made the agents already.
	agentOf := func(u *store.User, name string) store.Agent {
		a := store.Agent{TenantID: f.T.ID, UserID: u.ID, Name: name, MaxEmails: 3}
		must(db.Where("user_id = ?", u.ID).FirstOrCreate(&a).Error)
		return a
	}
	agent := agentOf(f.Agent, "Agent of "+f.T.Name)
	other := agentOf(f.Sup, "Supervisor of "+f.T.Name)
	mk := func(subject string, agentID *uint) store.EmailContact {
		e := store.EmailContact{TenantID: f.T.ID, GroupID: g.ID, MessageID: subject + "@customer.example",
			FromAddr: "customer@customer.example", FromName: "A Customer", ToAddr: addr, Subject: subject + " for " + f.T.Name,
			TextBody: "Hello " + f.T.Name + ",\nwhere is my order?", HTMLBody: "<p>Hello</p>", Raw: []byte("From: customer@customer.example\r\n\r\nHello\r\n"),
			State: store.EmailQueued, ReceivedAt: now}
		if agentID != nil {
			e.State, e.AgentID, e.AssignedAt = store.EmailAssigned, agentID, &now
		}
		must(db.Create(&e).Error)
		return e
	}
	e := mk("order", &agent.ID)
	att := store.EmailAttachment{EmailID: e.ID, Filename: "invoice.html", ContentType: "text/html", Size: int64(len(fixtureAttachment)), Data: []byte(fixtureAttachment)}
	must(db.Create(&att).Error)
	o := mk("other", &other.ID)
	q := mk("queued", nil)
	fx := emailFixture{Group: g.ID, Agent: agent.ID, OtherAgent: other.ID, Email: e.ID, Attachment: att.ID, Other: o.ID, Queued: q.ID}
	byTenant[f.T.ID] = fx
	return fx
}

// recordingDesk is an EmailDesk that records what it was asked.
type recordingDesk struct {
	mu    sync.Mutex
	calls []string
	err   error
	st    *store.Store
}

func (d *recordingDesk) Reply(ctx context.Context, a store.Actor, tenantID, agentID, emailID uint, body string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, fmt.Sprintf("reply tenant=%d agent=%d email=%d by=%s body=%q", tenantID, agentID, emailID, a.Email, body))
	if d.err != nil {
		return d.err
	}
	return d.st.AnswerEmail(ctx, a, tenantID, emailID, "reply@x", body, time.Now())
}

func (d *recordingDesk) Close(ctx context.Context, a store.Actor, tenantID, agentID, emailID uint) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, fmt.Sprintf("close tenant=%d agent=%d email=%d by=%s", tenantID, agentID, emailID, a.Email))
	if d.err != nil {
		return d.err
	}
	return d.st.CloseEmail(ctx, a, tenantID, emailID)
}

func (d *recordingDesk) Calls() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.calls...)
}

// withEmailDesk rebuilds the portal with d as Config.Emails.
func (h *harness) withEmailDesk(d EmailDesk) {
	h.t.Helper()
	cfg := h.srv.cfg
	cfg.Emails = d
	srv, err := New(cfg, h.st, h.mailer, nil, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	h.srv = srv
}

// withACM gives tenants A and B the ACM component.
func (h *harness) withACM() {
	h.t.Helper()
	for _, f := range []*tenantFixture{&h.A, &h.B} {
		f.T.Options = "acm"
		if err := h.st.UpdateTenant(h.ctx(), store.System, f.T); err != nil {
			h.t.Fatal(err)
		}
	}
}

// TestDeskEmailRead: an agent lists and reads the e-mails assigned to it,
// downloads their attachments, and sees nothing of anybody else's.
func TestDeskEmailRead(t *testing.T) {
	h := sqliteHarness(t)
	h.withACM()
	fx, fxB := h.emailFixture(h.A), h.emailFixture(h.B)
	agent := h.A.Agent

	r := h.api(agent, http.MethodGet, "/api/v1/desk/emails", nil)
	var list []deskEmailView
	r.json(t, &list)
	if r.Status != http.StatusOK || len(list) != 1 || list[0].ID != fx.Email {
		t.Fatalf("list: %d %+v", r.Status, list)
	}
	if list[0].Subject != "order for "+h.A.T.Name || list[0].From != "customer@customer.example" || list[0].Text != "" {
		t.Errorf("list item: %+v", list[0])
	}

	r = h.api(agent, http.MethodGet, fmt.Sprintf("/api/v1/desk/emails/%d", fx.Email), nil)
	var one deskEmailView
	r.json(t, &one)
	if r.Status != http.StatusOK || !strings.Contains(one.Text, "where is my order?") || len(one.Attachments) != 1 {
		t.Fatalf("one: %d %+v", r.Status, one)
	}
	att := one.Attachments[0]
	if att.Filename != "invoice.html" || att.Size != int64(len(fixtureAttachment)) || att.URL != fmt.Sprintf("/desk/emails/%d/attachments/%d", fx.Email, fx.Attachment) {
		t.Errorf("attachment: %+v", att)
	}

	// The download is always a download, never a page of the portal.
	r = h.page(agent, http.MethodGet, att.URL, nil)
	if r.Status != http.StatusOK || r.Body != fixtureAttachment {
		t.Fatalf("download: %d %q", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("download Content-Type %q", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename=invoice.html` {
		t.Errorf("download Content-Disposition %q", cd)
	}
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") {
		t.Errorf("download CSP %q", csp)
	}

	// Not the agent's: another agent's, a queued one, another tenant's,
	// another e-mail's attachment.
	for _, p := range []string{
		fmt.Sprintf("/api/v1/desk/emails/%d", fx.Other),
		fmt.Sprintf("/api/v1/desk/emails/%d", fx.Queued),
		fmt.Sprintf("/api/v1/desk/emails/%d", fxB.Email),
		"/api/v1/desk/emails/x",
		fmt.Sprintf("/desk/emails/%d/attachments/%d", fx.Other, fx.Attachment),
		fmt.Sprintf("/desk/emails/%d/attachments/%d", fxB.Email, fxB.Attachment),
		fmt.Sprintf("/desk/emails/%d/attachments/%d", fx.Email, fxB.Attachment),
	} {
		var r response
		if strings.HasPrefix(p, "/api/") {
			r = h.api(agent, http.MethodGet, p, nil)
		} else {
			r = h.page(agent, http.MethodGet, p, nil)
		}
		if r.Status != http.StatusNotFound || strings.Contains(r.Body, "where is my order") || strings.Contains(r.Body, "alert(1)") {
			t.Errorf("%s: %d %.200s", p, r.Status, r.Body)
		}
	}

	// Users who are no agent are told so on the list, and see no e-mail.
	r = h.api(h.A.Admin, http.MethodGet, "/api/v1/desk/emails", nil)
	if r.Status != http.StatusForbidden || !strings.Contains(r.apiErr(t).Message, "not set up as an agent") {
		t.Errorf("admin list: %d %s", r.Status, r.Body)
	}
	if r := h.api(h.A.Admin, http.MethodGet, fmt.Sprintf("/api/v1/desk/emails/%d", fx.Email), nil); r.Status != http.StatusNotFound {
		t.Errorf("admin one: %d %s", r.Status, r.Body)
	}
}

// TestDeskEmailNeedsACM: a tenant without the ACM component has no e-mail
// desk.
func TestDeskEmailNeedsACM(t *testing.T) {
	h := sqliteHarness(t)
	fx := h.emailFixture(h.A)
	r := h.api(h.A.Agent, http.MethodGet, "/api/v1/desk/emails", nil)
	if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "Agent Contact Management") {
		t.Errorf("list: %d %s", r.Status, r.Body)
	}
	if r := h.api(h.A.Agent, http.MethodGet, fmt.Sprintf("/api/v1/desk/emails/%d", fx.Email), nil); r.Status != http.StatusForbidden {
		t.Errorf("one: %d %s", r.Status, r.Body)
	}
}

// TestDeskEmailReply: reply and close go to Config.Emails with the
// caller's tenant and agent; without it they say the feature is off.
func TestDeskEmailReply(t *testing.T) {
	h := sqliteHarness(t)
	h.withACM()
	fx := h.emailFixture(h.A)
	agent := h.A.Agent
	reply := fmt.Sprintf("/api/v1/desk/emails/%d/reply", fx.Email)

	r := h.api(agent, http.MethodPost, reply, map[string]any{"body": "On its way."})
	if r.Status != http.StatusServiceUnavailable || !strings.Contains(r.apiErr(t).Message, "not enabled") {
		t.Errorf("without a desk: %d %s", r.Status, r.Body)
	}

	d := &recordingDesk{st: h.st}
	h.withEmailDesk(d)
	for _, tc := range []struct {
		name, body string
		field      string
	}{
		{"unknown field", `{"text":"x"}`, "text"},
		{"wrong type", `{"body":3}`, "body"},
	} {
		r := h.api(agent, http.MethodPost, reply, tc.body)
		if r.Status != http.StatusUnprocessableEntity || r.apiErr(t).Field != tc.field {
			t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
		}
	}
	d.err = vms.FieldError("body", "write the reply")
	if r := h.api(agent, http.MethodPost, reply, map[string]any{"body": " "}); r.Status != http.StatusUnprocessableEntity || r.apiErr(t).Field != "body" {
		t.Errorf("refused by the desk: %d %s", r.Status, r.Body)
	}
	d.err = nil

	// Another agent's e-mail never reaches the desk.
	if r := h.api(agent, http.MethodPost, fmt.Sprintf("/api/v1/desk/emails/%d/reply", fx.Other), map[string]any{"body": "x"}); r.Status != http.StatusNotFound {
		t.Errorf("other's e-mail: %d %s", r.Status, r.Body)
	}

	r = h.api(agent, http.MethodPost, reply, map[string]any{"body": "On its way."})
	var v deskEmailView
	r.json(t, &v)
	if r.Status != http.StatusOK || v.State != store.EmailAnswered || v.Reply != "On its way." {
		t.Errorf("reply: %d %s", r.Status, r.Body)
	}
	r = h.api(agent, http.MethodPost, fmt.Sprintf("/api/v1/desk/emails/%d/close", fx.Email), nil)
	r.json(t, &v)
	if r.Status != http.StatusOK || v.State != store.EmailClosed {
		t.Errorf("close: %d %s", r.Status, r.Body)
	}
	want := []string{
		fmt.Sprintf(`reply tenant=%d agent=%d email=%d by=%s body=" "`, h.A.T.ID, fx.Agent, fx.Email, agent.Email),
		fmt.Sprintf(`reply tenant=%d agent=%d email=%d by=%s body="On its way."`, h.A.T.ID, fx.Agent, fx.Email, agent.Email),
		fmt.Sprintf(`close tenant=%d agent=%d email=%d by=%s`, h.A.T.ID, fx.Agent, fx.Email, agent.Email),
	}
	if got := d.Calls(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("desk calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestHTMLText(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", ""},
		{"paragraphs", "<p>Hello <b>there</b>,</p><p>see   you</p>", "Hello there,\n\nsee you"},
		{"line breaks", "a<br>b<br/>c", "a\nb\nc"},
		{"scripts and styles dropped", "<head><title>T</title><style>p{}</style></head><script>alert(1)</script><p>x</p>", "x"},
		{"entities", "<p>Fish &amp; chips &lt;3&nbsp;ok</p>", "Fish & chips <3 ok"},
		{"attributes never text", `<img src=x onerror="alert(1)"><a href="javascript:x">link</a>`, "link"},
		{"unclosed script hides the rest", "a<script>b", "a"},
		{"list", "<ul><li>one</li><li>two</li></ul>", "one\n\ntwo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := htmlText(tc.in); got != tc.want {
				t.Errorf("htmlText(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzHTMLText: the HTML of received mail is anybody's.
func FuzzHTMLText(f *testing.F) {
	f.Add("<p>Hello <b>there</b></p>")
	f.Add("<script>x</script><style>")
	f.Add("<<<>>>&#xffffff;\x00\xff")
	f.Fuzz(func(t *testing.T, in string) {
		out := htmlText(in)
		if !utf8.ValidString(out) || strings.Contains(out, "\n\n\n") || out != strings.TrimSpace(out) {
			t.Fatalf("htmlText(%q) = %q", in, out)
		}
		if len(out) > maxHTMLText+len(in) {
			t.Fatalf("output of %d bytes", len(out))
		}
	})
}
