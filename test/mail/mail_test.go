// Package mail_test proves e-mail contacts end to end (ACM-5) with the real
// pieces: a mail sent over SMTP to a group's address reaches VMS's own
// listener (mailin), is stored (SQLite and PostgreSQL), queued in the
// contact centre (center) and given to the most skilled available agent
// with room for it; the agent reads it and replies through the portal's
// JSON API, and the reply leaves through an SMTP relay (mailtest sink) in
// the sender's thread.
package mail_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vmsplatform/vms/access"
	"github.com/vmsplatform/vms/acd"
	"github.com/vmsplatform/vms/center"
	"github.com/vmsplatform/vms/credential"
	"github.com/vmsplatform/vms/mail"
	"github.com/vmsplatform/vms/mail/mailtest"
	"github.com/vmsplatform/vms/mailin"
	"github.com/vmsplatform/vms/mailqueue"
	"github.com/vmsplatform/vms/portal"
	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
)

// maxSize is the listener's message limit in this test.
const maxSize = 64 << 10

// rig is a running VMS with its e-mail parts.
type rig struct {
	t       *testing.T
	st      *store.Store
	center  *center.Service
	queue   *mailqueue.Service
	sink    *mailtest.Sink
	smtp    string // address of the mail listener
	portal  *httptest.Server
	tenant  *store.Tenant
	group   *store.AgentGroup
	expert  agent // level 9, one e-mail at a time
	novice  agent // level 4, two e-mails at a time
	outside *store.User
}

type agent struct {
	user    *store.User
	agent   *store.Agent
	session string
	csrf    string
}

func newRig(t *testing.T, st *store.Store) *rig {
	t.Helper()
	ctx := context.Background()
	r := &rig{t: t, st: st}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	r.tenant = &store.Tenant{Name: "Acme Retail", Formula: "Classic", Options: "acm", Status: store.TenantActive, ActivatedAt: &now}
	must(st.CreateTenant(ctx, store.System, r.tenant))
	tid := r.tenant.ID
	user := func(email string, role access.Role) *store.User {
		u := &store.User{TenantID: &tid, Email: email, Name: "User " + email, Role: string(role), PasswordHash: "x"}
		must(st.CreateUser(ctx, store.System, u))
		return u
	}
	addr := "sales@acme.example"
	g := store.DefaultAgentGroup(tid)
	g.Key, g.Name, g.Email = "sales", "Acme Sales", &addr
	must(st.CreateAgentGroup(ctx, store.System, &g))
	r.group = &g
	mkAgent := func(email string, level, maxEmails int) agent {
		u := user(email, access.Agent)
		a := &store.Agent{TenantID: tid, UserID: u.ID, Name: "Agent " + email, MaxEmails: maxEmails}
		must(st.CreateAgent(ctx, store.System, a))
		_, err := st.SetMembership(ctx, store.System, tid, a.ID, g.ID, level)
		must(err)
		return agent{user: u, agent: a}
	}
	r.expert = mkAgent("expert@acme.example", 9, 1)
	r.novice = mkAgent("novice@acme.example", 4, 2)
	r.outside = user("admin@acme.example", access.Admin)

	r.center = center.New(center.Config{})
	d, err := st.ACDDirectory(ctx)
	must(err)
	must(r.center.Apply(directory(d)))

	r.sink = mailtest.NewSink(t)
	sender, err := mail.NewSMTP(mail.SMTPConfig{Host: r.sink.Host(), Port: r.sink.Port(), TLS: mail.TLSNone, From: "vms@vms.example", Timeout: 10 * time.Second})
	must(err)
	r.queue, err = mailqueue.New(mailqueue.Config{Store: st, Center: r.center, Sender: sender})
	must(err)
	must(r.queue.Start(ctx))

	srv, err := mailin.New(mailin.Config{Domain: "mx.vms.example", Domains: []string{"acme.example"}, MaxSize: maxSize,
		Resolver: r.queue.Resolve, Deliver: r.queue.Deliver}, nil)
	must(err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	r.smtp = ln.Addr().String()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		if err := <-served; err != nil {
			t.Errorf("mail listener: %v", err)
		}
	})

	cfg := portal.Defaults()
	cfg.Emails = r.queue
	cfg.Center = r.center
	p, err := portal.New(cfg, st, sender, nil, nil)
	must(err)
	r.portal = httptest.NewServer(p.Handler())
	t.Cleanup(func() { r.portal.CloseClientConnections(); r.portal.Close() }) // the desktop's event streams stay open

	for _, a := range []*agent{&r.expert, &r.novice} {
		a.session, a.csrf = r.login(a.user)
		must(r.center.Login(acd.AgentID(strconv.FormatUint(uint64(a.agent.ID), 10))))
	}
	return r
}

// login opens a portal session for u, as the login page would.
func (r *rig) login(u *store.User) (session, csrf string) {
	r.t.Helper()
	tok, err := credential.NewToken()
	if err != nil {
		r.t.Fatal(err)
	}
	csrf, err = credential.NewToken()
	if err != nil {
		r.t.Fatal(err)
	}
	now := time.Now()
	if err := r.st.CreateSession(context.Background(), &store.Session{ID: credential.HashToken(tok), UserID: u.ID, CSRFToken: csrf, CreatedAt: now, LastSeenAt: now}); err != nil {
		r.t.Fatal(err)
	}
	return tok, csrf
}

// directory is the store's ACD configuration as the center takes it (what
// cmd/vms does).
func directory(d store.ACDDirectory) center.Directory {
	id := func(n uint) string { return strconv.FormatUint(uint64(n), 10) }
	out := center.Directory{PauseReasons: map[uint][]string{}}
	for _, g := range d.Groups {
		gid := acd.GroupID(id(g.ID))
		out.Groups = append(out.Groups, center.Group{ID: gid, TenantID: g.TenantID, Key: g.Key, Name: g.Name, Email: g.EmailAddress(),
			Config: acd.GroupConfig{ID: gid, MinLevel: acd.Level(g.MinLevel), RingTimeout: time.Duration(g.RingTimeoutSeconds) * time.Second,
				WrapUp: time.Duration(g.WrapUpSeconds) * time.Second}})
	}
	levels := map[uint]map[acd.GroupID]acd.Level{}
	for _, m := range d.Memberships {
		if levels[m.AgentID] == nil {
			levels[m.AgentID] = map[acd.GroupID]acd.Level{}
		}
		levels[m.AgentID][acd.GroupID(id(m.GroupID))] = acd.Level(m.Level)
	}
	for _, a := range d.Agents {
		aid := acd.AgentID(id(a.ID))
		out.Agents = append(out.Agents, center.Agent{ID: aid, TenantID: a.TenantID, UserID: a.UserID, Name: a.Name, Endpoint: center.Endpoint(a.ID),
			Config: acd.AgentConfig{ID: aid, Groups: levels[a.ID], MaxEmails: a.MaxEmails}})
	}
	return out
}

// send sends raw from customer@shop.example to rcpt over SMTP.
func (r *rig) send(rcpt, raw string) error {
	return smtp.SendMail(r.smtp, nil, "customer@shop.example", []string{rcpt}, []byte(strings.ReplaceAll(raw, "\n", "\r\n")))
}

// message is a mail from the customer with a PDF attachment.
func message(id, subject, refs, text string) string {
	pdf := base64.StdEncoding.EncodeToString([]byte("%PDF-1.4 order form"))
	return fmt.Sprintf(`From: "Carla Customer" <customer@shop.example>
To: sales@acme.example
Subject: %s
Message-ID: <%s>
References: %s
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

%s
--b1
Content-Type: application/pdf; name="order.pdf"
Content-Disposition: attachment; filename="order.pdf"
Content-Transfer-Encoding: base64

%s
--b1--
`, subject, id, refs, text, pdf)
}

// api calls the portal's JSON API as a, with its session and CSRF token
// (as the desktop page does), and decodes the answer into out.
func (r *rig) api(a agent, method, path string, body any, out any) int {
	r.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, r.portal.URL+path, rd)
	if err != nil {
		r.t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: "vms_session", Value: a.session})
	req.Header.Set("X-CSRF-Token", a.csrf)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if s, ok := out.(*string); ok {
			*s = string(b)
		} else if err := json.Unmarshal(b, out); err != nil {
			r.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode
}

type emailView struct {
	ID          uint   `json:"id"`
	State       string `json:"state"`
	From        string `json:"from"`
	Subject     string `json:"subject"`
	Text        string `json:"text"`
	Attachments []struct {
		ID       uint   `json:"id"`
		Filename string `json:"filename"`
		Size     int64  `json:"size"`
		URL      string `json:"url"`
	} `json:"attachments"`
}

// emailsOf returns the e-mails a's desktop lists.
func (r *rig) emailsOf(a agent) []emailView {
	r.t.Helper()
	var list []emailView
	if code := r.api(a, http.MethodGet, "/api/v1/desk/emails", nil, &list); code != http.StatusOK {
		r.t.Fatalf("list of %s: %d", a.user.Email, code)
	}
	return list
}

// smtpCode returns the SMTP reply code of a refused send.
func smtpCode(t *testing.T, err error) (int, string) {
	t.Helper()
	var te *textproto.Error
	if !errors.As(err, &te) {
		t.Fatalf("send error %v is not an SMTP reply", err)
	}
	return te.Code, te.Msg
}

func TestEmailContact(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		r := newRig(t, st)

		// An unknown recipient is refused at RCPT with a reason.
		err := r.send("nobody@acme.example", message("x1@shop.example", "Hello", "", "Anyone?"))
		if code, msg := smtpCode(t, err); code != 550 || !strings.Contains(msg, "no such address") {
			t.Errorf("unknown recipient: %d %s", code, msg)
		}

		// A mail in a thread: the most skilled agent gets it.
		err = r.send("Sales@Acme.example", message("m1@shop.example", "RE: Order 42", "<root@shop.example> <r2@shop.example>", "Where is my order 42?"))
		if err != nil {
			t.Fatalf("send: %v", err)
		}
		got := r.emailsOf(r.expert)
		if len(got) != 1 || got[0].Subject != "RE: Order 42" || got[0].From != "customer@shop.example" {
			t.Fatalf("expert's e-mails: %+v", got)
		}
		if n := len(r.emailsOf(r.novice)); n != 0 {
			t.Errorf("novice has %d e-mails, want 0", n)
		}
		first := got[0].ID

		// The expert holds one e-mail at most: the next goes to the novice.
		if err := r.send("sales@acme.example", message("m2@shop.example", "Opening hours", "", "When are you open?")); err != nil {
			t.Fatalf("send: %v", err)
		}
		if got := r.emailsOf(r.novice); len(got) != 1 || got[0].Subject != "Opening hours" {
			t.Fatalf("novice's e-mails: %+v", got)
		}
		if n := len(r.emailsOf(r.expert)); n != 1 {
			t.Errorf("expert has %d e-mails, want 1", n)
		}

		// The expert reads the mail and its attachment.
		var one emailView
		if code := r.api(r.expert, http.MethodGet, fmt.Sprintf("/api/v1/desk/emails/%d", first), nil, &one); code != http.StatusOK {
			t.Fatalf("read: %d", code)
		}
		if !strings.Contains(one.Text, "Where is my order 42?") || len(one.Attachments) != 1 || one.Attachments[0].Filename != "order.pdf" {
			t.Fatalf("read: %+v", one)
		}
		var pdf string
		if code := r.api(r.expert, http.MethodGet, one.Attachments[0].URL, nil, &pdf); code != http.StatusOK || pdf != "%PDF-1.4 order form" {
			t.Errorf("attachment: %d %q", code, pdf)
		}
		// The novice cannot read or answer the expert's mail.
		var refused string
		if code := r.api(r.novice, http.MethodPost, fmt.Sprintf("/api/v1/desk/emails/%d/reply", first), map[string]any{"body": "Me!"}, &refused); code != http.StatusNotFound {
			t.Errorf("novice replies to the expert's mail: %d %s", code, refused)
		}

		// The expert replies; the reply leaves in the thread.
		var answered emailView
		if code := r.api(r.expert, http.MethodPost, fmt.Sprintf("/api/v1/desk/emails/%d/reply", first),
			map[string]any{"body": "It left our warehouse today."}, &answered); code != http.StatusOK || answered.State != store.EmailAnswered {
			t.Fatalf("reply: %d %+v", code, answered)
		}
		msgs := r.sink.Wait(t, 1, 10*time.Second)
		m := msgs[0]
		h := m.Header
		if len(m.To) != 1 || m.To[0] != "customer@shop.example" {
			t.Errorf("reply envelope to %q", m.To)
		}
		if got := h.Get("To"); !strings.Contains(got, "customer@shop.example") {
			t.Errorf("To %q", got)
		}
		if got := h.Get("From"); got != `"Acme Sales" <sales@acme.example>` {
			t.Errorf("From %q", got)
		}
		if got := h.Get("Subject"); got != "Re: Order 42" {
			t.Errorf("Subject %q", got)
		}
		if got := h.Get("In-Reply-To"); got != "<m1@shop.example>" {
			t.Errorf("In-Reply-To %q", got)
		}
		if got := strings.Join(strings.Fields(h.Get("References")), " "); got != "<root@shop.example> <r2@shop.example> <m1@shop.example>" {
			t.Errorf("References %q", got)
		}
		stored, err := st.GetEmailContact(context.Background(), r.tenant.ID, first)
		if err != nil {
			t.Fatal(err)
		}
		if got := h.Get("Message-Id"); got != "<"+stored.ReplyMessageID+">" || !strings.HasSuffix(stored.ReplyMessageID, "@acme.example") {
			t.Errorf("Message-ID %q, stored %q", got, stored.ReplyMessageID)
		}
		if !strings.HasPrefix(m.Text, "It left our warehouse today.") || !strings.Contains(m.Text, "> Where is my order 42?") {
			t.Errorf("reply text:\n%s", m.Text)
		}
		if stored.State != store.EmailAnswered || stored.ReplyBody != "It left our warehouse today." {
			t.Errorf("stored: %s %q", stored.State, stored.ReplyBody)
		}
		// Answering twice is refused; the expert is free for the next mail.
		if code := r.api(r.expert, http.MethodPost, fmt.Sprintf("/api/v1/desk/emails/%d/reply", first), map[string]any{"body": "Again"}, &refused); code != http.StatusConflict {
			t.Errorf("second reply: %d %s", code, refused)
		}
		if n := len(r.expert.list(r)); n != 0 {
			t.Errorf("expert still lists %d e-mails", n)
		}

		// A mail larger than the limit is refused with the reason, and
		// the listener keeps serving.
		big := message("big@shop.example", "Big", "", strings.Repeat(strings.Repeat("x", 76)+"\n", maxSize/77+1))
		if code, msg := smtpCode(t, r.send("sales@acme.example", big)); code != 552 || !strings.Contains(msg, "too large") {
			t.Errorf("oversized: %d %s", code, msg)
		}
		// So is a malformed one.
		if code, msg := smtpCode(t, r.send("sales@acme.example", "this is not a mail\n")); code != 554 || !strings.Contains(msg, "malformed") {
			t.Errorf("malformed: %d %s", code, msg)
		}
		if err := r.send("sales@acme.example", message("m3@shop.example", "Invoice", "", "Please send the invoice.")); err != nil {
			t.Fatalf("send after the oversized mail: %v", err)
		}
		got = r.expert.list(r)
		if len(got) != 1 || got[0].Subject != "Invoice" {
			t.Fatalf("expert's e-mails after the reply: %+v", got)
		}
		// Closing without a reply ends it as well; no mail is sent.
		var closed emailView
		if code := r.api(r.expert, http.MethodPost, fmt.Sprintf("/api/v1/desk/emails/%d/close", got[0].ID), nil, &closed); code != http.StatusOK || closed.State != store.EmailClosed {
			t.Errorf("close: %d %+v", code, closed)
		}
		if n := len(r.sink.Messages()); n != 1 {
			t.Errorf("%d mails sent, want the one reply", n)
		}
		// The sender retrying a mail already taken does not make a second
		// contact.
		if err := r.send("sales@acme.example", message("m2@shop.example", "Opening hours", "", "When are you open?")); err != nil {
			t.Fatalf("resend: %v", err)
		}
		all, err := st.ListEmailContacts(context.Background(), r.tenant.ID, store.EmailFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 3 {
			t.Errorf("%d e-mails stored, want 3", len(all))
		}
	})
}

func (a agent) list(r *rig) []emailView { return r.emailsOf(a) }

// TestEmailRequeuedAfterRestart: mails stored while no agent was free are
// queued again by a new process and assigned once an agent logs in.
func TestEmailRequeuedAfterRestart(t *testing.T) {
	st := storetest.SQLite(t)
	r := newRig(t, st)
	for _, a := range []agent{r.expert, r.novice} {
		if err := r.center.Logout(acd.AgentID(strconv.FormatUint(uint64(a.agent.ID), 10))); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.send("sales@acme.example", message("q1@shop.example", "Waiting", "", "Anyone there?")); err != nil {
		t.Fatal(err)
	}
	// A new process: a fresh center and queue over the same store.
	c2 := center.New(center.Config{})
	d, err := st.ACDDirectory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.Apply(directory(d)); err != nil {
		t.Fatal(err)
	}
	q2, err := mailqueue.New(mailqueue.Config{Store: st, Center: c2, Sender: discard{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := q2.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := c2.Login(acd.AgentID(strconv.FormatUint(uint64(r.novice.agent.ID), 10))); err != nil {
		t.Fatal(err)
	}
	all, err := st.ListEmailContacts(context.Background(), r.tenant.ID, store.EmailFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].State != store.EmailAssigned || all[0].AgentID == nil || *all[0].AgentID != r.novice.agent.ID {
		t.Errorf("after the restart: %+v", all)
	}
}

type discard struct{}

func (discard) Send(context.Context, mail.Message) error { return nil }
