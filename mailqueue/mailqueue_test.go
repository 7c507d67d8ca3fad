package mailqueue

import (
	"context"
	"errors"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/access"
	"github.com/vmsplatform/vms/acd"
	"github.com/vmsplatform/vms/center"
	vmsmail "github.com/vmsplatform/vms/mail"
	"github.com/vmsplatform/vms/mailin"
	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
)

// outbox is a Sender that keeps what it was given, or fails.
type outbox struct {
	mu      sync.Mutex
	sent    []vmsmail.Message
	fail    error
	block   chan struct{} // when set, Send says so on entered and waits for it
	entered chan struct{}
}

func (o *outbox) Send(ctx context.Context, m vmsmail.Message) error {
	if o.block != nil {
		o.entered <- struct{}{}
		<-o.block
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fail != nil {
		return o.fail
	}
	o.sent = append(o.sent, m)
	return nil
}

func (o *outbox) Sent() []vmsmail.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]vmsmail.Message(nil), o.sent...)
}

// fixture is a tenant with a group (sales@acme.example) and two agents,
// both logged in; a second tenant has an agent of its own.
type fixture struct {
	st       *store.Store
	center   *center.Service
	svc      *Service
	out      *outbox
	tenant   uint
	group    uint
	ann, bob uint // agents of the tenant
	eve      uint // agent of another tenant
	other    uint
}

func newFixture(t *testing.T, st *store.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{st: st, out: &outbox{}}
	now := time.Now()
	tenant := func(name string) uint {
		tn := &store.Tenant{Name: name, Formula: "Classic", Options: "acm", Status: store.TenantActive, ActivatedAt: &now}
		must(st.CreateTenant(ctx, store.System, tn))
		return tn.ID
	}
	f.tenant, f.other = tenant("Acme"), tenant("Other")
	group := func(tid uint, addr string) uint {
		g := store.DefaultAgentGroup(tid)
		g.Key, g.Name, g.Email = "sales", "Sales", &addr
		must(st.CreateAgentGroup(ctx, store.System, &g))
		return g.ID
	}
	f.group = group(f.tenant, "sales@acme.example")
	otherGroup := group(f.other, "sales@other.example")
	agent := func(tid, gid uint, email string, level int) uint {
		u := &store.User{TenantID: &tid, Email: email, Name: email, Role: string(access.Agent), PasswordHash: "x"}
		must(st.CreateUser(ctx, store.System, u))
		a := &store.Agent{TenantID: tid, UserID: u.ID, Name: email, MaxEmails: 1}
		must(st.CreateAgent(ctx, store.System, a))
		_, err := st.SetMembership(ctx, store.System, tid, a.ID, gid, level)
		must(err)
		return a.ID
	}
	f.ann = agent(f.tenant, f.group, "ann@acme.example", 9)
	f.bob = agent(f.tenant, f.group, "bob@acme.example", 5)
	f.eve = agent(f.other, otherGroup, "eve@other.example", 5)

	f.center = center.New(center.Config{})
	d, err := st.ACDDirectory(ctx)
	must(err)
	must(f.center.Apply(directory(d)))
	f.svc, err = New(Config{Store: st, Center: f.center, Sender: f.out})
	must(err)
	must(f.svc.Start(ctx))
	for _, a := range []uint{f.ann, f.bob, f.eve} {
		must(f.center.Login(agentID(a)))
	}
	return f
}

func agentID(id uint) acd.AgentID { return acd.AgentID(strconv.FormatUint(uint64(id), 10)) }

// directory is the store's configuration as the center takes it.
func directory(d store.ACDDirectory) center.Directory {
	out := center.Directory{}
	for _, g := range d.Groups {
		out.Groups = append(out.Groups, center.Group{ID: groupID(g.ID), TenantID: g.TenantID, Key: g.Key, Name: g.Name, Email: g.EmailAddress(),
			Config: acd.GroupConfig{ID: groupID(g.ID)}})
	}
	for _, a := range d.Agents {
		levels := map[acd.GroupID]acd.Level{}
		for _, m := range d.Memberships {
			if m.AgentID == a.ID {
				levels[groupID(m.GroupID)] = acd.Level(m.Level)
			}
		}
		out.Agents = append(out.Agents, center.Agent{ID: agentID(a.ID), TenantID: a.TenantID, UserID: a.UserID, Name: a.Name,
			Config: acd.AgentConfig{ID: agentID(a.ID), Groups: levels, MaxEmails: a.MaxEmails}})
	}
	return out
}

// receive delivers a mail to the group as the listener would.
func (f *fixture) receive(t *testing.T, raw string) *store.EmailContact {
	t.Helper()
	ctx := context.Background()
	rcpt := "Sales@Acme.example"
	tg, ok, err := f.svc.Resolve(ctx, rcpt)
	if err != nil || !ok {
		t.Fatalf("resolve %s: %v %v", rcpt, ok, err)
	}
	m, err := mailin.Parse([]byte(strings.ReplaceAll(raw, "\n", "\r\n")), mailin.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Deliver(ctx, tg, m); err != nil {
		t.Fatal(err)
	}
	es, err := f.st.ListEmailContacts(ctx, f.tenant, store.EmailFilter{})
	if err != nil || len(es) == 0 {
		t.Fatalf("stored: %v %d", err, len(es))
	}
	e, err := f.st.GetEmailContact(ctx, f.tenant, es[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

const order = `From: Carla <carla@shop.example>
Reply-To: orders@shop.example
To: sales@acme.example
Subject: Re: Re: Order 42
Message-ID: <m1@shop.example>
References: <root@shop.example>
Content-Type: text/plain; charset=utf-8

Where is it?
`

func TestEmailResolve(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t))
	tg, ok, err := f.svc.Resolve(context.Background(), "SALES@acme.example")
	if err != nil || !ok || tg.TenantID != f.tenant || tg.GroupID != strconv.FormatUint(uint64(f.group), 10) || tg.Address != "sales@acme.example" {
		t.Errorf("group address: %+v %v %v", tg, ok, err)
	}
	if _, ok, err := f.svc.Resolve(context.Background(), "nobody@acme.example"); ok || err != nil {
		t.Errorf("unknown address: %v %v", ok, err)
	}
	// A group the center has not loaded yet is found in the store.
	addr := "new@acme.example"
	g := store.DefaultAgentGroup(f.tenant)
	g.Key, g.Name, g.Email = "new", "New", &addr
	if err := f.st.CreateAgentGroup(context.Background(), store.System, &g); err != nil {
		t.Fatal(err)
	}
	tg, ok, err = f.svc.Resolve(context.Background(), "New@acme.example")
	if err != nil || !ok || tg.GroupID != strconv.FormatUint(uint64(g.ID), 10) || tg.Address != addr {
		t.Errorf("group not in the center yet: %+v %v %v", tg, ok, err)
	}
	// The database is down: the sender is asked to retry.
	db, err := f.st.DB().DB()
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, _, err := f.svc.Resolve(context.Background(), "other@acme.example"); err == nil {
		t.Errorf("look-up without a database: no error")
	}
}

func TestEmailReply(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		ctx := context.Background()
		e := f.receive(t, order)
		if e.State != store.EmailAssigned || e.AgentID == nil || *e.AgentID != f.ann {
			t.Fatalf("assigned to %v (%s), want ann %d", e.AgentID, e.State, f.ann)
		}
		if e.MessageID != "m1@shop.example" || e.References != "<root@shop.example>" || e.FromAddr != "carla@shop.example" || e.ToAddr != "sales@acme.example" {
			t.Errorf("stored: %+v", e)
		}
		actor := store.Actor{Email: "ann@acme.example"}

		for _, tc := range []struct {
			name            string
			tenant, agent   uint
			body, code, fld string
		}{
			{"another agent", f.tenant, f.bob, "Hi", vms.ENOTFOUND, ""},
			{"another tenant's agent", f.other, f.eve, "Hi", vms.ENOTFOUND, ""},
			{"the right agent under another tenant", f.other, f.ann, "Hi", vms.ENOTFOUND, ""},
			{"empty body", f.tenant, f.ann, " \n ", vms.EINVALID, "body"},
			{"too long", f.tenant, f.ann, strings.Repeat("x", MaxReplyBytes+1), vms.EINVALID, "body"},
			{"NUL", f.tenant, f.ann, "a\x00b", vms.EINVALID, "body"},
		} {
			err := f.svc.Reply(ctx, actor, tc.tenant, tc.agent, e.ID, tc.body)
			if vms.ErrorCode(err) != tc.code || vms.ErrorField(err) != tc.fld {
				t.Errorf("%s: %v", tc.name, err)
			}
		}

		// The relay fails: nothing is recorded, the agent keeps the mail.
		f.out.fail = errors.New("relay down")
		err := f.svc.Reply(ctx, actor, f.tenant, f.ann, e.ID, "On its way.")
		if vms.ErrorCode(err) != vms.EUNAVAILABLE {
			t.Errorf("relay down: %v", err)
		}
		if got, _ := st.GetEmailContact(ctx, f.tenant, e.ID); got.State != store.EmailAssigned {
			t.Errorf("after a failed send: %s", got.State)
		}
		if len(f.out.Sent()) != 0 {
			t.Fatalf("sent %d", len(f.out.Sent()))
		}
		f.out.fail = nil

		if err := f.svc.Reply(ctx, actor, f.tenant, f.ann, e.ID, "On its way."); err != nil {
			t.Fatal(err)
		}
		sent := f.out.Sent()
		if len(sent) != 1 {
			t.Fatalf("sent %d", len(sent))
		}
		m := sent[0]
		if m.From != `"Sales" <sales@acme.example>` || len(m.To) != 1 || m.To[0] != "orders@shop.example" || m.Subject != "Re: Order 42" {
			t.Errorf("reply: from %q to %q subject %q", m.From, m.To, m.Subject)
		}
		if m.Headers["In-Reply-To"] != "<m1@shop.example>" || m.Headers["References"] != "<root@shop.example> <m1@shop.example>" {
			t.Errorf("thread headers: %v", m.Headers)
		}
		got, _ := st.GetEmailContact(ctx, f.tenant, e.ID)
		if got.State != store.EmailAnswered || "<"+got.ReplyMessageID+">" != m.Headers["Message-ID"] || got.ReplyBody != "On its way." {
			t.Errorf("recorded: %s %q %q", got.State, got.ReplyMessageID, got.ReplyBody)
		}
		if !strings.HasPrefix(m.Text, "On its way.\n\nOn ") || !strings.Contains(m.Text, "Carla <carla@shop.example> wrote:\n> Where is it?") {
			t.Errorf("reply text:\n%s", m.Text)
		}
		// Done: a second reply or a close is refused; ann is free again.
		if err := f.svc.Reply(ctx, actor, f.tenant, f.ann, e.ID, "Again"); vms.ErrorCode(err) != vms.ECONFLICT {
			t.Errorf("second reply: %v", err)
		}
		if err := f.svc.Close(ctx, actor, f.tenant, f.ann, e.ID); vms.ErrorCode(err) != vms.ECONFLICT {
			t.Errorf("close after the reply: %v", err)
		}
		e2 := f.receive(t, strings.Replace(order, "m1@shop", "m2@shop", 1))
		if e2.AgentID == nil || *e2.AgentID != f.ann {
			t.Errorf("next mail to %v, want ann again", e2.AgentID)
		}
		if err := f.svc.Close(ctx, actor, f.tenant, f.ann, e2.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.GetEmailContact(ctx, f.tenant, e2.ID); got.State != store.EmailClosed {
			t.Errorf("closed: %s", got.State)
		}
		if len(f.out.Sent()) != 1 {
			t.Errorf("close sent mail")
		}
	})
}

// TestReplyOnce: a double click sends one reply.
func TestEmailReplyOnce(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t))
	e := f.receive(t, order)
	f.out.block, f.out.entered = make(chan struct{}), make(chan struct{}, 1)
	actor := store.Actor{Email: "ann@acme.example"}
	done := make(chan error)
	go func() { done <- f.svc.Reply(context.Background(), actor, f.tenant, f.ann, e.ID, "First") }()
	<-f.out.entered // the first reply is being sent
	second := f.svc.Reply(context.Background(), actor, f.tenant, f.ann, e.ID, "Second")
	if vms.ErrorCode(second) != vms.ECONFLICT || !strings.Contains(vms.ErrorMessage(second), "being sent") {
		t.Errorf("second reply: %v", second)
	}
	close(f.out.block)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := len(f.out.Sent()); n != 1 {
		t.Errorf("%d replies sent", n)
	}
}

// TestDeliverCleansInput: what a sender writes is cut to the columns'
// sizes and made storable on PostgreSQL (no NUL, valid UTF-8); a mail
// without Message-ID is kept (nothing to deduplicate it by).
func TestEmailDeliverCleansInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		tg, _, _ := f.svc.Resolve(context.Background(), "sales@acme.example")
		m := &mailin.Message{
			From:    mail.Address{Name: strings.Repeat("é", 150) + "\x00", Address: "X@Shop.Example"},
			Subject: strings.Repeat("ü", 600) + "\xff",
			Text:    "a\x00b\xffc",
			Raw:     []byte("From: x@shop.example\r\n\r\nraw\x00"),
		}
		for range 2 {
			if err := f.svc.Deliver(context.Background(), tg, m); err != nil {
				t.Fatal(err)
			}
		}
		es, err := st.ListEmailContacts(context.Background(), f.tenant, store.EmailFilter{})
		if err != nil || len(es) != 2 {
			t.Fatalf("stored %d: %v", len(es), err)
		}
		e := es[0]
		if len(e.FromName) > 200 || len(e.Subject) > 998 || strings.ContainsRune(e.TextBody, 0) || e.TextBody != "ab\uFFFDc" || e.FromAddr != "x@shop.example" {
			t.Errorf("stored: name %d bytes, subject %d bytes, text %q, from %q", len(e.FromName), len(e.Subject), e.TextBody, e.FromAddr)
		}
	})
}

func TestEmailClip(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abcdef", 3, "abc"},
		{"aé", 2, "a"}, // é is two bytes: not cut in half
		{"a\x00b", 5, "ab"},
	} {
		if got := clip(tc.in, tc.n); got != tc.want {
			t.Errorf("clip(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

// TestRequeue: an e-mail whose group the center did not know is queued
// once the group is there; queuing again changes nothing; an assignment
// of an e-mail finished meanwhile gives the agent its capacity back.
func TestEmailRequeue(t *testing.T) {
	st := storetest.SQLite(t)
	f := newFixture(t, st)
	ctx := context.Background()
	e := &store.EmailContact{TenantID: f.tenant, GroupID: f.group, MessageID: "late@shop.example", FromAddr: "carla@shop.example", ToAddr: "sales@acme.example", Subject: "Late"}
	if err := st.CreateEmailContact(ctx, e, nil); err != nil {
		t.Fatal(err)
	}
	// A process whose center has no configuration yet.
	c2 := center.New(center.Config{})
	svc, err := New(Config{Store: st, Center: c2, Sender: f.out})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	d, err := st.ACDDirectory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.Apply(directory(d)); err != nil {
		t.Fatal(err)
	}
	if err := c2.Login(agentID(f.bob)); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.GetEmailContact(ctx, f.tenant, e.ID); got.State != store.EmailQueued {
		t.Fatalf("before the re-queue: %s", got.State)
	}
	for range 2 {
		if err := svc.Requeue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := st.GetEmailContact(ctx, f.tenant, e.ID)
	if got.State != store.EmailAssigned || *got.AgentID != f.bob {
		t.Fatalf("after the re-queue: %s %v", got.State, got.AgentID)
	}
	if n := emailsHeld(c2, f.tenant, f.bob); n != 1 {
		t.Fatalf("bob holds %d e-mails", n)
	}

	// The e-mail is closed while a stale copy is queued again.
	if err := svc.Close(ctx, store.System, f.tenant, f.bob, e.ID); err != nil {
		t.Fatal(err)
	}
	got, _ = st.GetEmailContact(ctx, f.tenant, e.ID)
	if !svc.enqueue(got) {
		t.Fatal("the stale copy was not queued")
	}
	if n := emailsHeld(c2, f.tenant, f.bob); n != 0 {
		t.Errorf("bob holds %d e-mails after the stale assignment, want 0", n)
	}
	if got, _ := st.GetEmailContact(ctx, f.tenant, e.ID); got.State != store.EmailClosed {
		t.Errorf("the closed e-mail is %s", got.State)
	}
}

// emailsHeld is how many e-mails the center says agent id holds.
func emailsHeld(c *center.Service, tenant, id uint) int {
	for _, a := range c.Snapshot(tenant).Agents {
		if a.ID == agentID(id) {
			return len(a.Emails)
		}
	}
	return -1
}

// TestEmailBackToQueueOnLogout: an agent who logs out loses its e-mails to
// the queue; it can no longer answer them, and the next agent takes them.
func TestEmailBackToQueueOnLogout(t *testing.T) {
	f := newFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	e := f.receive(t, order)
	if got, _ := f.st.GetEmailContact(ctx, f.tenant, e.ID); got.AgentID == nil || *got.AgentID != f.ann {
		t.Fatalf("first assignment: %+v, want Ann (level 9)", got.AgentID)
	}
	if err := f.center.Logout(agentID(f.ann)); err != nil {
		t.Fatal(err)
	}
	if f.center.Holds(agentID(f.ann), ContactID(e.ID)) {
		t.Fatal("Ann still holds the e-mail after logging out")
	}
	err := f.svc.Reply(ctx, store.Actor{Email: "ann@acme.example"}, f.tenant, f.ann, e.ID, "Too late")
	if vms.ErrorCode(err) != vms.ECONFLICT && vms.ErrorCode(err) != vms.ENOTFOUND {
		t.Errorf("Ann's reply after logout: %v, want a refusal", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, _ := f.st.GetEmailContact(ctx, f.tenant, e.ID)
		if got.AgentID != nil && *got.AgentID == f.bob {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the e-mail did not go to Bob: agent %v state %s", got.AgentID, got.State)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := f.svc.Reply(ctx, store.Actor{Email: "bob@acme.example"}, f.tenant, f.bob, e.ID, "On its way"); err != nil {
		t.Fatalf("Bob's reply: %v", err)
	}
	if n := len(f.out.Sent()); n != 1 {
		t.Errorf("%d replies sent, want Bob's only", n)
	}
}
