package center

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vmsplatform/vms/acd"
)

// fakeClock is the Service's clock in tests: time moves only by Advance.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
	calls   int // After calls: Run is waiting
}

type fakeWaiter struct {
	due time.Time
	c   chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 26, 9, 0, 30, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeWaiter{due: c.now.Add(d), c: ch})
	return ch
}

func (c *fakeClock) afterCalls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// Advance moves the clock on and fires the waits that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.due.After(c.now) {
			kept = append(kept, w)
			continue
		}
		w.c <- c.now
	}
	c.waiters = kept
}

// eventually waits (a hang guard, not a timing assertion) until cond holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func recv(t *testing.T, tk *Ticket) Decision {
	t.Helper()
	select {
	case d, ok := <-tk.C:
		if !ok {
			t.Fatal("ticket closed, want a decision")
		}
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("no decision")
	}
	return Decision{}
}

func wantClosed(t *testing.T, tk *Ticket) {
	t.Helper()
	select {
	case d, ok := <-tk.C:
		if ok {
			t.Fatalf("decision %+v, want the ticket closed", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ticket not closed")
	}
}

func wantNothing(t *testing.T, tk *Ticket) {
	t.Helper()
	select {
	case d, ok := <-tk.C:
		t.Fatalf("got %+v (open %v), want nothing", d, ok)
	default:
	}
}

func wantOffer(t *testing.T, tk *Ticket, agent acd.AgentID) *acd.Assignment {
	t.Helper()
	d := recv(t, tk)
	if d.Offer == nil || d.Offer.Agent != agent {
		t.Fatalf("decision %+v (offer %+v), want an offer to %s", d, d.Offer, agent)
	}
	return d.Offer
}

// fixture: tenant 1 with group "7" (key "support"), agents 11 (level 8)
// and 12 (level 5); tenant 2 with group "9" and agent 21.
func directory() Directory {
	return Directory{
		Groups: []Group{
			{ID: "7", TenantID: 1, Key: "support", Name: "Support", Email: "Support@Example.com",
				Config: acd.GroupConfig{MaxWait: time.Minute, RingTimeout: 15 * time.Second, WrapUp: 10 * time.Second}},
			{ID: "8", TenantID: 1, Key: "sales", Name: "Sales"},
			{ID: "9", TenantID: 2, Key: "support", Name: "Other support"},
		},
		Agents: []Agent{
			{ID: "11", TenantID: 1, UserID: 101, Name: "Ann", Endpoint: Endpoint(11),
				Config: acd.AgentConfig{Groups: map[acd.GroupID]acd.Level{"7": 8, "8": 5}, MaxEmails: 2}},
			{ID: "12", TenantID: 1, UserID: 102, Name: "Bob", Endpoint: Endpoint(12),
				Config: acd.AgentConfig{Groups: map[acd.GroupID]acd.Level{"7": 5}}},
			{ID: "21", TenantID: 2, UserID: 201, Name: "Cid", Endpoint: Endpoint(21),
				Config: acd.AgentConfig{Groups: map[acd.GroupID]acd.Level{"9": 5}}},
		},
		PauseReasons: map[uint][]string{1: {"lunch", "training"}},
	}
}

func newService(t *testing.T) (*Service, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	s := New(Config{Now: clk.Now, After: clk.After})
	if err := s.Apply(directory()); err != nil {
		t.Fatal(err)
	}
	return s, clk
}

// run starts Run and waits until it sleeps; the returned function stops it.
func run(t *testing.T, s *Service, clk *fakeClock) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	n := clk.afterCalls()
	go func() { done <- s.Run(ctx) }()
	eventually(t, "Run waits", func() bool { return clk.afterCalls() > n })
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

func ready(t *testing.T, s *Service, ids ...acd.AgentID) {
	t.Helper()
	for _, id := range ids {
		if err := s.SetRegistered(id, true); err != nil {
			t.Fatal(err)
		}
		if err := s.Login(id); err != nil {
			t.Fatal(err)
		}
	}
}

func agentState(t *testing.T, s *Service, tenant uint, id acd.AgentID) acd.State {
	t.Helper()
	for _, a := range s.Snapshot(tenant).Agents {
		if a.ID == id {
			return a.View.State
		}
	}
	t.Fatalf("agent %s not in the snapshot", id)
	return 0
}

func TestEndpoint(t *testing.T) {
	if got := Endpoint(12); got != "vmsagent12" {
		t.Fatalf("Endpoint(12) = %q", got)
	}
}

func TestLookups(t *testing.T) {
	s, _ := newService(t)
	if g, ok := s.Group(1, "support"); !ok || g.ID != "7" || g.Config.ID != "7" {
		t.Errorf("Group(1, support) = %+v, %v", g, ok)
	}
	if g, ok := s.Group(2, "support"); !ok || g.ID != "9" {
		t.Errorf("Group(2, support) = %+v, %v", g, ok)
	}
	if _, ok := s.Group(3, "support"); ok {
		t.Error("Group(3, support) found")
	}
	if g, ok := s.GroupByEmail("SUPPORT@example.COM"); !ok || g.ID != "7" {
		t.Errorf("GroupByEmail = %+v, %v", g, ok)
	}
	if a, ok := s.AgentByUser(102); !ok || a.ID != "12" {
		t.Errorf("AgentByUser(102) = %+v, %v", a, ok)
	}
	if a, ok := s.AgentByEndpoint("vmsagent21"); !ok || a.ID != "21" {
		t.Errorf("AgentByEndpoint = %+v, %v", a, ok)
	}
	if n := len(s.Agents()); n != 3 {
		t.Errorf("Agents: %d, want 3", n)
	}
	if r := s.PauseReasons(1); len(r) != 2 || r[0] != "lunch" {
		t.Errorf("PauseReasons(1) = %v", r)
	}
}

func TestCallOfferedAnsweredEnded(t *testing.T) {
	s, clk := newService(t)
	ready(t, s, "11", "12")
	tk, out, err := s.EnqueueCall("c1", "7", ContactInfo{From: "+41441234567", To: "+41440000000", Path: []string{"start", "support"}})
	if err != nil || out != "" {
		t.Fatalf("EnqueueCall: %q, %v", out, err)
	}
	of := wantOffer(t, tk, "11") // level 8 beats level 5
	if of.RingTimeout != 15*time.Second || of.Contact != "c1" || of.Group != "7" {
		t.Errorf("offer %+v", of)
	}
	snap := s.Snapshot(1)
	if c := snap.Agents[0].Call; snap.Agents[0].Name != "Ann" || c == nil || c.ID != "c1" || c.Info.TenantID != 1 || c.Info.From != "+41441234567" {
		t.Fatalf("Ann's status %+v", snap.Agents[0])
	}
	clk.Advance(3 * time.Second)
	if err := s.Answered("c1"); err != nil {
		t.Fatal(err)
	}
	if st := agentState(t, s, 1, "11"); st != acd.Talking {
		t.Fatalf("Ann %s, want talking", st)
	}
	clk.Advance(time.Minute)
	if err := s.Ended("c1"); err != nil {
		t.Fatal(err)
	}
	wantClosed(t, tk)
	snap = s.Snapshot(1)
	ann := snap.Agents[0]
	if ann.View.State != acd.WrapUp || !ann.WrapUpEnds.Equal(clk.Now().Add(10*time.Second)) {
		t.Errorf("Ann %s until %v, want wrap_up until %v", ann.View.State, ann.WrapUpEnds, clk.Now().Add(10*time.Second))
	}
	if st := snap.Groups[1].Stats; snap.Groups[1].ID != "7" || st.Answered != 1 {
		t.Errorf("group stats %+v", snap.Groups[1])
	}
	if err := s.Ended("c1"); !errors.Is(err, acd.ErrUnknownContact) {
		t.Errorf("Ended twice: %v", err)
	}
}

func TestNoAnswerOffersTheNextAgent(t *testing.T) {
	s, clk := newService(t)
	ready(t, s, "11", "12")
	tk, _, err := s.EnqueueCall("c1", "7", ContactInfo{})
	if err != nil {
		t.Fatal(err)
	}
	wantOffer(t, tk, "11")
	clk.Advance(15 * time.Second)
	if err := s.NoAnswer("c1"); err != nil {
		t.Fatal(err)
	}
	wantOffer(t, tk, "12")
	if st := agentState(t, s, 1, "11"); st != acd.NotReady {
		t.Errorf("Ann %s, want not_ready", st)
	}
	// Bob does not answer either: the call waits, nobody is left.
	if err := s.NoAnswer("c1"); err != nil {
		t.Fatal(err)
	}
	wantNothing(t, tk)
	snap := s.Snapshot(1)
	if w := snap.Groups[1].Waiting; len(w) != 1 || w[0].ID != "c1" {
		t.Errorf("waiting %+v", w)
	}
	if err := s.Resume("12"); err != nil {
		t.Fatal(err)
	}
	wantOffer(t, tk, "12")
}

func TestRefusedAtOnce(t *testing.T) {
	s, _ := newService(t)
	tk, out, err := s.EnqueueCall("c1", "7", ContactInfo{})
	if err != nil || out != acd.OutcomeClosed || tk != nil {
		t.Fatalf("nobody logged in: %v, %q, %v", tk, out, err)
	}
	if _, _, err := s.EnqueueCall("c2", "nope", ContactInfo{}); !errors.Is(err, acd.ErrUnknownGroup) {
		t.Fatalf("unknown group: %v", err)
	}
	ready(t, s, "11")
	if _, _, err := s.EnqueueCall("c3", "7", ContactInfo{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.EnqueueCall("c3", "7", ContactInfo{}); !errors.Is(err, acd.ErrDuplicateContact) {
		t.Fatalf("duplicate: %v", err)
	}
}

func TestOverflowTimeoutByRun(t *testing.T) {
	s, clk := newService(t)
	ready(t, s, "11")
	if err := s.Pause("11", "lunch"); err != nil {
		t.Fatal(err)
	}
	run(t, s, clk)
	tk, out, err := s.EnqueueCall("c1", "7", ContactInfo{})
	if err != nil || out != "" {
		t.Fatalf("EnqueueCall: %q, %v", out, err)
	}
	clk.Advance(30 * time.Second)
	if w, err := s.Position("c1"); err != nil || w.Position != 1 || w.Waited != 30*time.Second {
		t.Fatalf("Position: %+v, %v", w, err)
	}
	clk.Advance(30 * time.Second) // MaxWait: a minute
	d := recv(t, tk)
	if d.Overflow == nil || d.Overflow.Outcome != acd.OutcomeTimeout || d.Overflow.Waited != time.Minute {
		t.Fatalf("decision %+v (overflow %+v), want group_timeout after a minute", d, d.Overflow)
	}
	wantClosed(t, tk)
	if _, err := s.Position("c1"); !errors.Is(err, acd.ErrUnknownContact) {
		t.Errorf("Position after overflow: %v", err)
	}
}

func TestWrapUpEndsByRun(t *testing.T) {
	s, clk := newService(t)
	ready(t, s, "12")
	run(t, s, clk)
	tk, _, _ := s.EnqueueCall("c1", "7", ContactInfo{})
	wantOffer(t, tk, "12")
	if err := s.Answered("c1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Ended("c1"); err != nil {
		t.Fatal(err)
	}
	tk2, _, _ := s.EnqueueCall("c2", "7", ContactInfo{})
	wantNothing(t, tk2)
	clk.Advance(10 * time.Second)
	wantOffer(t, tk2, "12")

	// A wrap-up that ends with nobody waiting is shown too.
	if err := s.Answered("c2"); err != nil {
		t.Fatal(err)
	}
	if err := s.Ended("c2"); err != nil {
		t.Fatal(err)
	}
	sub, cancel := s.Subscribe(1)
	defer cancel()
	clk.Advance(10 * time.Second)
	select {
	case <-sub:
	case <-time.After(10 * time.Second):
		t.Fatal("no notification at the end of the wrap-up")
	}
	if st := agentState(t, s, 1, "12"); st != acd.Available {
		t.Errorf("Bob %s, want available", st)
	}
}

func TestAbandon(t *testing.T) {
	s, _ := newService(t)
	ready(t, s, "11")
	tk, _, _ := s.EnqueueCall("c1", "7", ContactInfo{})
	wantOffer(t, tk, "11")
	tk2, _, _ := s.EnqueueCall("c2", "7", ContactInfo{})
	if err := s.Abandon("c2"); err != nil { // hung up while waiting
		t.Fatal(err)
	}
	wantClosed(t, tk2)
	if err := s.Abandon("c1"); err != nil { // hung up while Ann's phone rang
		t.Fatal(err)
	}
	wantClosed(t, tk)
	if st := agentState(t, s, 1, "11"); st != acd.Available {
		t.Errorf("Ann %s, want available", st)
	}
	if got := s.Snapshot(1).Groups[1].Stats.Abandoned; got != 2 {
		t.Errorf("abandoned %d, want 2", got)
	}
	if err := s.Abandon("c1"); !errors.Is(err, acd.ErrUnknownContact) {
		t.Errorf("Abandon twice: %v", err)
	}
}

func TestEmails(t *testing.T) {
	s, _ := newService(t)
	var mu sync.Mutex
	var got []string
	s.OnEmail(func(a acd.Assignment, info ContactInfo) {
		mu.Lock()
		got = append(got, fmt.Sprintf("%s>%s %s", a.Contact, a.Agent, info.Subject))
		mu.Unlock()
		if a.Contact == "m1" {
			// The callback may call back into the Service.
			_ = s.Snapshot(info.TenantID)
		}
	})
	emails := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
	for i := 1; i <= 3; i++ {
		id := acd.ContactID(fmt.Sprintf("m%d", i))
		if err := s.EnqueueEmail(id, "7", ContactInfo{Subject: fmt.Sprintf("s%d", i), EmailID: uint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if g := emails(); len(g) != 0 {
		t.Fatalf("assigned while nobody is logged in: %v", g)
	}
	if err := s.Login("11"); err != nil { // no softphone needed for e-mails
		t.Fatal(err)
	}
	if g := emails(); len(g) != 2 || g[0] != "m1>11 s1" || g[1] != "m2>11 s2" {
		t.Fatalf("assignments %v, want m1 and m2 to Ann in order", g)
	}
	snap := s.Snapshot(1)
	if len(snap.Agents[0].Emails) != 2 || snap.Agents[0].Emails[1].Info.EmailID != 2 {
		t.Errorf("Ann's e-mails %+v", snap.Agents[0].Emails)
	}
	if w := snap.Groups[1].Waiting; len(w) != 1 || w[0].ID != "m3" || w[0].Channel != acd.Email {
		t.Errorf("waiting %+v", w)
	}
	if err := s.Ended("m1"); err != nil {
		t.Fatal(err)
	}
	if g := emails(); len(g) != 3 || g[2] != "m3>11 s3" {
		t.Fatalf("assignments %v, want m3 after m1 ended", g)
	}
}

func TestPauseReasons(t *testing.T) {
	s, _ := newService(t)
	ready(t, s, "11", "21")
	if err := s.Pause("11", "coffee"); !errors.Is(err, ErrUnknownReason) {
		t.Fatalf("unknown reason: %v", err)
	}
	if err := s.Pause("21", "lunch"); !errors.Is(err, ErrUnknownReason) {
		t.Fatalf("another tenant's reason: %v", err)
	}
	if err := s.Pause("11", "lunch"); err != nil {
		t.Fatal(err)
	}
	if v := s.Snapshot(1).Agents[0].View; v.State != acd.Paused || v.Reason != "lunch" {
		t.Errorf("Ann %s (%s)", v.State, v.Reason)
	}
	if err := s.Pause("21", ""); err != nil {
		t.Fatal(err)
	}
	if v := s.Snapshot(2).Agents[0].View; v.State != acd.Paused || v.Reason != NoReason {
		t.Errorf("Cid %s (%s)", v.State, v.Reason)
	}
	if err := s.Pause("99", ""); !errors.Is(err, acd.ErrUnknownAgent) {
		t.Errorf("unknown agent: %v", err)
	}
	if err := s.Logout("11"); err != nil {
		t.Fatal(err)
	}
	if err := s.Resume("11"); !errors.Is(err, acd.ErrInvalidTransition) {
		t.Errorf("resume logged out: %v", err)
	}
}

func TestApplyKeepsLiveState(t *testing.T) {
	s, _ := newService(t)
	ready(t, s, "11", "12")
	if err := s.Pause("12", "lunch"); err != nil {
		t.Fatal(err)
	}
	tk1, _, _ := s.EnqueueCall("c1", "7", ContactInfo{})
	wantOffer(t, tk1, "11")
	if err := s.Answered("c1"); err != nil {
		t.Fatal(err)
	}
	tk2, _, _ := s.EnqueueCall("c2", "7", ContactInfo{}) // waits: Ann talks, Bob pauses
	tk3, _, _ := s.EnqueueCall("c3", "8", ContactInfo{}) // sales: only Ann, talking

	// Same agents and groups, a new name and a longer ring time.
	d := directory()
	d.Groups[0].Name = "Helpdesk"
	d.Groups[0].Config.RingTimeout = 20 * time.Second
	if err := s.Apply(d); err != nil {
		t.Fatal(err)
	}
	wantNothing(t, tk2)
	snap := s.Snapshot(1)
	if snap.Agents[0].View.State != acd.Talking || snap.Agents[1].View.State != acd.Paused {
		t.Fatalf("agents after Apply: %s, %s", snap.Agents[0].View.State, snap.Agents[1].View.State)
	}
	if g := snap.Groups[0]; g.Name != "Helpdesk" || len(g.Waiting) != 1 || g.Waiting[0].ID != "c2" {
		t.Fatalf("group after Apply: %+v", g)
	}
	if err := s.Resume("12"); err != nil {
		t.Fatal(err)
	}
	if of := wantOffer(t, tk2, "12"); of.RingTimeout != 20*time.Second {
		t.Errorf("ring timeout %s, want the new 20s", of.RingTimeout)
	}

	// Sales is removed and Ann with it (she is talking): sales' caller
	// overflows at once; Ann goes when her call ends.
	d.Groups = d.Groups[:1]
	d.Groups = append(d.Groups, directory().Groups[2])
	d.Agents = d.Agents[1:]
	if err := s.Apply(d); err != nil {
		t.Fatal(err)
	}
	if d := recv(t, tk3); d.Overflow == nil || d.Overflow.Outcome != acd.OutcomeClosed {
		t.Fatalf("sales caller: %+v, want group_closed", d)
	}
	wantClosed(t, tk3)
	if _, ok := s.Group(1, "sales"); ok {
		t.Error("sales still found")
	}
	if _, ok := s.AgentByUser(101); ok {
		t.Error("Ann still found")
	}
	if err := s.Login("11"); !errors.Is(err, acd.ErrUnknownAgent) {
		t.Errorf("Login of a removed agent: %v", err)
	}
	if err := s.Ended("c1"); err != nil {
		t.Fatal(err)
	}
	wantClosed(t, tk1)
	s.mu.Lock()
	_, err := s.c.Agent("11")
	s.mu.Unlock()
	if !errors.Is(err, acd.ErrUnknownAgent) {
		t.Errorf("Ann still in the ACD after her call: %v", err)
	}
	if _, out, err := s.EnqueueCall("c4", "8", ContactInfo{}); !errors.Is(err, acd.ErrUnknownGroup) {
		t.Errorf("call to the removed group: %q, %v", out, err)
	}
}

func TestApplyRemovedGroupOverflowsWaitingCallers(t *testing.T) {
	s, _ := newService(t)
	ready(t, s, "12")
	if err := s.Pause("12", ""); err != nil {
		t.Fatal(err)
	}
	tk, _, _ := s.EnqueueCall("c1", "7", ContactInfo{})
	d := directory()
	d.Groups = d.Groups[1:]
	d.Agents = d.Agents[2:]
	if err := s.Apply(d); err != nil {
		t.Fatal(err)
	}
	if d := recv(t, tk); d.Overflow == nil || d.Overflow.Outcome != acd.OutcomeClosed {
		t.Fatalf("decision %+v, want group_closed", d)
	}
	wantClosed(t, tk)
	if n := len(s.Agents()); n != 1 {
		t.Errorf("%d agents, want 1", n)
	}
}

func TestApplyInvalidChangesNothing(t *testing.T) {
	cases := map[string]func(d *Directory){
		"bad group config":   func(d *Directory) { d.Groups[0].Config.MaxWait = -1 },
		"duplicate group":    func(d *Directory) { d.Groups[1].ID = "7" },
		"duplicate key":      func(d *Directory) { d.Groups[1].Key = "support" },
		"duplicate email":    func(d *Directory) { d.Groups[1].Email = "support@example.com" },
		"unknown group":      func(d *Directory) { d.Agents[0].Config.Groups["99"] = 3 },
		"other tenant group": func(d *Directory) { d.Agents[0].Config.Groups["9"] = 3 },
		"bad level":          func(d *Directory) { d.Agents[0].Config.Groups["7"] = 11 },
		"duplicate agent":    func(d *Directory) { d.Agents[1].ID = "11" },
		"duplicate user":     func(d *Directory) { d.Agents[1].UserID = 101 },
		"duplicate endpoint": func(d *Directory) { d.Agents[1].Endpoint = Endpoint(11) },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			s, _ := newService(t)
			d := directory()
			d.Groups = d.Groups[:2]
			d.Agents = d.Agents[:2]
			d.Groups = append(d.Groups, directory().Groups[2])
			change(&d)
			if err := s.Apply(d); err == nil {
				t.Fatal("Apply succeeded")
			}
			if g, ok := s.Group(1, "support"); !ok || g.Name != "Support" {
				t.Errorf("configuration changed: %+v, %v", g, ok)
			}
			if n := len(s.Agents()); n != 3 {
				t.Errorf("%d agents, want 3", n)
			}
		})
	}
}

func TestSubscribeCoalesces(t *testing.T) {
	s, _ := newService(t)
	c1, cancel1 := s.Subscribe(1)
	c2, cancel2 := s.Subscribe(2)
	defer cancel2()
	ready(t, s, "11", "12") // four changes
	select {
	case <-c1:
	default:
		t.Fatal("no notification for tenant 1")
	}
	select {
	case <-c1:
		t.Fatal("a second notification: not coalesced")
	default:
	}
	select {
	case <-c2:
		t.Fatal("tenant 2 notified of tenant 1's changes")
	default:
	}
	if err := s.Login("21"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c2:
	default:
		t.Fatal("no notification for tenant 2")
	}
	cancel1()
	cancel1() // twice is harmless
	if err := s.Logout("11"); err != nil {
		t.Fatal(err)
	}
	if _, open := <-c1; open {
		t.Fatal("notified after cancel")
	}
}

func TestHistory(t *testing.T) {
	s, clk := newService(t)
	ready(t, s, "11", "12")
	if err := s.Pause("12", "lunch"); err != nil {
		t.Fatal(err)
	}
	tk, _, _ := s.EnqueueCall("c1", "7", ContactInfo{})
	wantOffer(t, tk, "11")
	if err := s.Answered("c1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.EnqueueCall("c2", "7", ContactInfo{}); err != nil {
		t.Fatal(err)
	}
	run(t, s, clk)
	clk.Advance(30 * time.Second) // 9:01:00
	eventually(t, "first sample", func() bool { return len(s.History(1)) == 1 })
	h := s.History(1)[0]
	want := Sample{At: clk.Now(), Waiting: 1, Talking: 1, Available: 0, LongestWait: 30 * time.Second}
	if h != want {
		t.Fatalf("sample %+v, want %+v", h, want)
	}
	// c2 overflows after its maximum wait of a minute.
	for i := 2; i <= HistorySamples+5; i++ {
		clk.Advance(time.Minute)
		eventually(t, "next sample", func() bool {
			h := s.History(1)
			return len(h) > 0 && h[len(h)-1].At.Equal(clk.Now())
		})
	}
	h1 := s.History(1)
	if len(h1) != HistorySamples {
		t.Fatalf("%d samples, want %d", len(h1), HistorySamples)
	}
	if first := h1[0].At; !first.Equal(clk.Now().Add(-(HistorySamples - 1) * time.Minute)) {
		t.Errorf("oldest sample at %v", first)
	}
	if last := h1[len(h1)-1]; last.Waiting != 0 || last.Talking != 1 {
		t.Errorf("last sample %+v", last)
	}
	if h2 := s.History(2); len(h2) != HistorySamples || h2[0].Available != 0 {
		t.Errorf("tenant 2: %d samples", len(h2))
	}
}

// Many goroutines use the Service at once (run with -race).
func TestConcurrentUse(t *testing.T) {
	s, clk := newService(t)
	run(t, s, clk)
	ready(t, s, "11", "12", "21")
	var handled atomic.Int32
	s.OnEmail(func(a acd.Assignment, _ ContactInfo) {
		go func() {
			defer handled.Add(1)
			if err := s.Ended(a.Contact); err != nil {
				t.Errorf("end e-mail %s: %v", a.Contact, err)
			}
		}()
	})
	sub, cancel := s.Subscribe(1)
	defer cancel()
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Add(1)
	go func() {
		defer readers.Done()
		for {
			select {
			case <-stop:
				return
			case <-sub:
				_ = s.Snapshot(1)
				_ = s.History(1)
			}
		}
	}()
	var callers sync.WaitGroup
	for w := range 4 {
		callers.Add(1)
		go func() {
			defer callers.Done()
			for i := range 25 {
				id := acd.ContactID(fmt.Sprintf("c%d-%d", w, i))
				g := acd.GroupID("7")
				if w == 3 {
					g = "9"
				}
				if w == 2 {
					if err := s.EnqueueEmail(id, "7", ContactInfo{}); err != nil {
						t.Error(err)
					}
					continue
				}
				tk, out, err := s.EnqueueCall(id, g, ContactInfo{})
				if err != nil || out != "" {
					continue // closed or full at this moment
				}
				declined := false
				for d := range tk.C {
					if d.Overflow != nil {
						continue
					}
					if i%3 == 0 && !declined {
						declined = true
						_ = s.NoAnswer(id)
						_ = s.Resume(d.Offer.Agent)
						continue
					}
					if err := s.Answered(id); err != nil {
						t.Error(err)
						break
					}
					clk.Advance(time.Second)
					if err := s.Ended(id); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	var ticker sync.WaitGroup
	ticker.Add(1)
	go func() {
		defer ticker.Done()
		for {
			select {
			case <-stop:
				return
			default:
				clk.Advance(5 * time.Second)
				s.poke()
				time.Sleep(100 * time.Microsecond)
			}
		}
	}()
	callers.Wait()
	eventually(t, "every e-mail handled", func() bool { return handled.Load() == 25 })
	close(stop)
	readers.Wait()
	ticker.Wait()
	snap := s.Snapshot(1)
	for _, g := range snap.Groups {
		for _, w := range g.Waiting {
			if w.Channel == acd.Voice {
				t.Errorf("call %s still waiting", w.ID)
			}
		}
	}
}

func TestEmailsWaitForTheHandler(t *testing.T) {
	s, _ := newService(t)
	if err := s.Login("11"); err != nil {
		t.Fatal(err)
	}
	if err := s.EnqueueEmail("m1", "7", ContactInfo{Subject: "hello"}); err != nil {
		t.Fatal(err)
	}
	var got []acd.ContactID
	s.OnEmail(func(a acd.Assignment, info ContactInfo) {
		if info.TenantID != 1 || info.Subject != "hello" {
			t.Errorf("info %+v", info)
		}
		got = append(got, a.Contact)
	})
	if len(got) != 1 || got[0] != "m1" {
		t.Fatalf("delivered %v, want m1", got)
	}
}

func TestApplyDefaultsTheEndpoint(t *testing.T) {
	s := New(Config{})
	d := directory()
	d.Agents[0].Endpoint = ""
	if err := s.Apply(d); err != nil {
		t.Fatal(err)
	}
	if a, ok := s.AgentByEndpoint("vmsagent11"); !ok || a.Endpoint != "vmsagent11" {
		t.Errorf("AgentByEndpoint(vmsagent11) = %+v, %v", a, ok)
	}
	// The directory given is not kept: changing it changes nothing.
	d.Agents[0].Config.Groups["8"] = 1
	if a, _ := s.AgentByUser(101); a.Config.Groups["8"] != 5 {
		t.Errorf("the Service shares the caller's map: level %d", a.Config.Groups["8"])
	}
}

// BenchmarkCallCycle is one call through the Service: queued, offered,
// answered, ended, with a subscriber and 50 agents per group.
func BenchmarkCallCycle(b *testing.B) {
	s := New(Config{})
	d := Directory{Groups: []Group{{ID: "1", TenantID: 1, Key: "g", Name: "G"}}}
	for i := range 50 {
		id := acd.AgentID(fmt.Sprint(100 + i))
		d.Agents = append(d.Agents, Agent{ID: id, TenantID: 1, Name: string(id),
			Config: acd.AgentConfig{Groups: map[acd.GroupID]acd.Level{"1": acd.Level(1 + i%10)}}})
	}
	if err := s.Apply(d); err != nil {
		b.Fatal(err)
	}
	for _, a := range d.Agents {
		_ = s.SetRegistered(a.ID, true)
		_ = s.Login(a.ID)
	}
	sub, cancel := s.Subscribe(1)
	defer cancel()
	go func() {
		for range sub {
		}
	}()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		id := acd.ContactID(fmt.Sprint("c", i))
		tk, out, err := s.EnqueueCall(id, "1", ContactInfo{})
		if err != nil || out != "" {
			b.Fatal(out, err)
		}
		<-tk.C
		if err := s.Answered(id); err != nil {
			b.Fatal(err)
		}
		if err := s.Ended(id); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSnapshot is the supervisor screen's read of a tenant with 200
// agents in 10 groups.
func BenchmarkSnapshot(b *testing.B) {
	s := New(Config{})
	var d Directory
	for g := range 10 {
		d.Groups = append(d.Groups, Group{ID: acd.GroupID(fmt.Sprint(g)), TenantID: 1, Key: fmt.Sprint("g", g), Name: fmt.Sprint("G", g)})
	}
	for i := range 200 {
		id := acd.AgentID(fmt.Sprint(1000 + i))
		d.Agents = append(d.Agents, Agent{ID: id, TenantID: 1, Name: string(id),
			Config: acd.AgentConfig{Groups: map[acd.GroupID]acd.Level{acd.GroupID(fmt.Sprint(i % 10)): 5}}})
	}
	if err := s.Apply(d); err != nil {
		b.Fatal(err)
	}
	for _, a := range d.Agents {
		_ = s.Login(a.ID)
	}
	for i := range 100 {
		if _, _, err := s.EnqueueCall(acd.ContactID(fmt.Sprint("c", i)), acd.GroupID(fmt.Sprint(i%10)), ContactInfo{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if snap := s.Snapshot(1); len(snap.Agents) != 200 {
			b.Fatal(len(snap.Agents))
		}
	}
}
