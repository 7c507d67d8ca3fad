package controller

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmsplatform/vms/acd"
	"github.com/vmsplatform/vms/center"
	"github.com/vmsplatform/vms/engine"
	"github.com/vmsplatform/vms/engine/enginetest"
	"github.com/vmsplatform/vms/routing"
)

// fakeClock is the center's clock in these tests: it only moves when the
// test advances it, and its After fires then.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []clockWaiter
}

type clockWaiter struct {
	at time.Time
	c  chan time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, clockWaiter{at: c.now.Add(d), c: ch})
	return ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.c <- c.now
			continue
		}
		kept = append(kept, w)
	}
	c.waiters = kept
}

// The group of these tests: tenant 7 (the harness's route), key "sales",
// agents 11 (level 5) and 12 (level 9).
const (
	agentLow   = acd.AgentID("11")
	agentHigh  = acd.AgentID("12")
	salesGroup = acd.GroupID("3")
)

var (
	phoneLow  = "PJSIP/" + center.Endpoint(11)
	phoneHigh = "PJSIP/" + center.Endpoint(12)
)

type acdHarness struct {
	*harness
	svc   *center.Service
	clock *fakeClock
	dir   center.Directory
}

// testAgent is an agent of the sales group.
func testAgent(id acd.AgentID, n uint, lv acd.Level) center.Agent {
	return center.Agent{ID: id, TenantID: 7, UserID: n, Name: "agent " + string(id), Endpoint: center.Endpoint(n),
		Config: acd.AgentConfig{ID: id, Groups: map[acd.GroupID]acd.Level{salesGroup: lv}}}
}

// newACD runs a controller whose Queue is a real center.Service with the
// sales group (adjusted by cfg), both agents logged in, and the phones in
// the given engine states (a phone missing from online is offline).
func newACD(t *testing.T, tr routing.Tree, group func(*center.Group), online ...string) *acdHarness {
	t.Helper()
	clk := &fakeClock{now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	svc := center.New(center.Config{Now: clk.Now, After: clk.After})
	g := center.Group{ID: salesGroup, TenantID: 7, Key: "sales", Name: "Sales",
		Config: acd.GroupConfig{RingTimeout: 150 * time.Millisecond, MaxWait: time.Hour}}
	if group != nil {
		group(&g)
	}
	dir := center.Directory{Groups: []center.Group{g},
		Agents: []center.Agent{testAgent(agentLow, 11, 5), testAgent(agentHigh, 12, 9)}}
	if err := svc.Apply(dir); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { svc.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	var h *harness
	h = newHarness(t, tr, func(cfg *Config, hh *harness) {
		cfg.Queue = svc
		for _, ph := range append([]string{phoneLow, phoneHigh}, online...) {
			st := engine.EndpointOffline
			if slices.Contains(online, ph) {
				st = engine.EndpointOnline
			}
			hh.fake.SetEndpointState(ph, st)
		}
		// The endpoint events of the set-up reach nobody yet: drain them.
		for {
			if _, ok := hh.fake.Inbox().TryNext(); !ok {
				break
			}
		}
	})
	a := &acdHarness{harness: h, svc: svc, clock: clk, dir: dir}
	// The engine connects: presence watches the agents' phones.
	h.fake.Reconnect()
	for _, ph := range online {
		a.waitAgent("registered "+ph, func(v center.AgentStatus) bool {
			return "PJSIP/"+v.Endpoint != ph || v.View.Registered
		})
	}
	return a
}

// agent returns an agent's live status.
func (a *acdHarness) agent(id acd.AgentID) center.AgentStatus {
	for _, s := range a.svc.Snapshot(7).Agents {
		if s.ID == id {
			return s
		}
	}
	a.t.Fatalf("no agent %s", id)
	return center.AgentStatus{}
}

// waitAgent waits until cond holds for every agent.
func (a *acdHarness) waitAgent(what string, cond func(center.AgentStatus) bool) {
	a.t.Helper()
	a.waitFor(what, func() bool {
		for _, s := range a.svc.Snapshot(7).Agents {
			if !cond(s) {
				return false
			}
		}
		return true
	})
}

func (a *acdHarness) login(ids ...acd.AgentID) {
	a.t.Helper()
	for _, id := range ids {
		if err := a.svc.Login(id); err != nil {
			a.t.Fatal(err)
		}
	}
}

// bridgedLeg waits until the caller is bridged with a leg to ep.
func (a *acdHarness) bridgedLeg(in engine.ChannelID, ep string) engine.ChannelID {
	a.t.Helper()
	var leg engine.ChannelID
	a.waitFor("caller bridged with "+ep, func() bool {
		for _, r := range a.fake.Originated() {
			if r.Endpoint == ep && a.fake.Bridged(in, r.ID) {
				leg = r.ID
				return true
			}
		}
		return false
	})
	return leg
}

func salesTree() routing.Tree {
	return tree("q",
		routing.Node{ID: "q", Type: routing.TypeGroup, Group: "sales",
			On: map[routing.Outcome]string{"group_closed": "closed", "group_timeout": "late", "unreachable": "closed"}},
		number("closed", numA, nil), number("late", numB, nil))
}

func legOutcomes(r *CallRecord) string {
	var out []string
	for _, l := range r.Legs {
		out = append(out, l.Destination+"="+l.Outcome)
	}
	return strings.Join(out, " ")
}

// ACM-2: the agent with the higher level gets the call; caller and agent
// are bridged; the agent's hang-up ends the call and the center knows.
func TestQueueHigherLevelAnswers(t *testing.T) {
	t.Parallel()
	a := newACD(t, salesTree(), func(g *center.Group) { g.Config.WrapUp = time.Minute }, phoneLow, phoneHigh)
	a.login(agentLow, agentHigh)
	a.fake.SetDestination(phoneLow, enginetest.Answers)
	a.fake.SetDestination(phoneHigh, enginetest.Behavior{Outcome: engine.OutcomeNormal, After: 30 * time.Millisecond})
	in := a.fake.Call(caller, dialedTo)
	leg := a.bridgedLeg(in, phoneHigh)
	req := a.leg(phoneHigh)
	if req.CallerID != caller || !slices.Equal(req.Formats, []string{"opus", "ulaw"}) {
		t.Errorf("agent leg caller id %q formats %v, want the caller and opus,ulaw", req.CallerID, req.Formats)
	}
	if !slices.Contains(a.fake.Heard(in), "moh:default") {
		t.Errorf("caller heard %v, want music on hold while waiting", a.fake.Heard(in))
	}
	if s := a.agent(agentHigh); s.View.State != acd.Talking {
		t.Errorf("agent 12 %s, want talking", s.View.State)
	}
	if m := a.fake.Members(engine.BridgeID("vms-q-" + string(in))); len(m) != 0 {
		t.Errorf("holding bridge still holds %v", m)
	}
	a.fake.FarEndHangup(leg, engine.CauseNormalClearing)
	r := a.record(in)
	if ch, _ := a.fake.Channel(in); ch.Hangup != engine.HangupNormal {
		t.Errorf("caller hung up with %q after the agent left, want normal", ch.Hangup)
	}
	if r.Outcome != OutcomeAnswered || r.Destination != "agent:12" {
		t.Errorf("record outcome %q destination %q, want answered by agent:12", r.Outcome, r.Destination)
	}
	if got := legOutcomes(r); got != "group:sales=answered agent:12=answered" {
		t.Errorf("legs %s", got)
	}
	if q := r.Legs[0]; q.AnsweredAt == nil || q.NodeID != "q" {
		t.Errorf("group leg %+v, want answered at node q", q)
	}
	if !strings.Contains(pathText(r), "agent 12 answered") {
		t.Errorf("path:\n%s", pathText(r))
	}
	a.waitAgent("agent 12 in wrap-up", func(s center.AgentStatus) bool { return s.ID != agentHigh || s.View.State == acd.WrapUp })
	if len(a.fake.Originated()) != 1 {
		t.Errorf("originated %v, want only the higher level", a.originatedTo())
	}
}

// ACM-3: an agent that does not answer (rings out, or is busy) becomes
// not ready and the call goes to the next agent.
func TestQueueNoAnswerNextAgent(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		b       enginetest.Behavior
		outcome string
	}{
		{"rings out", enginetest.Behavior{Outcome: engine.OutcomeNoAnswer}, OutcomeNoAnswer},
		{"busy", enginetest.Behavior{Outcome: engine.OutcomeBusy}, OutcomeBusy},
		{"unreachable", enginetest.Behavior{Outcome: engine.OutcomeUnreachable}, LegUnreachable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := newACD(t, salesTree(), nil, phoneLow, phoneHigh)
			a.login(agentLow, agentHigh)
			a.fake.SetDestination(phoneHigh, tt.b)
			a.fake.SetDestination(phoneLow, enginetest.Answers)
			in := a.fake.Call(caller, dialedTo)
			a.bridgedLeg(in, phoneLow)
			if got := a.originatedTo(); !slices.Equal(got, []string{phoneHigh, phoneLow}) {
				t.Errorf("originated %v, want the higher level first", got)
			}
			if s := a.agent(agentHigh); s.View.State != acd.NotReady {
				t.Errorf("agent 12 %s, want not ready", s.View.State)
			}
			if tt.b.Outcome == engine.OutcomeNoAnswer {
				if ch, _ := a.fake.Channel(a.leg(phoneHigh).ID); ch.Hangup != engine.HangupNoAnswer {
					t.Errorf("unanswered agent leg hung up with %q, want no_answer", ch.Hangup)
				}
			}
			a.fake.FarEndHangup(in, engine.CauseNormalClearing)
			r := a.record(in)
			if got, want := legOutcomes(r), "group:sales=answered agent:12="+tt.outcome+" agent:11=answered"; got != want {
				t.Errorf("legs %s, want %s", got, want)
			}
		})
	}
}

// ACM-3: an agent whose phone is not registered is skipped; once its
// phone registers, it is offered calls again.
func TestQueueUnregisteredAgentSkipped(t *testing.T) {
	t.Parallel()
	a := newACD(t, salesTree(), nil, phoneLow)
	a.login(agentLow, agentHigh)
	a.fake.SetDestination(phoneLow, enginetest.Answers)
	a.fake.SetDestination(phoneHigh, enginetest.Answers)
	if a.agent(agentHigh).View.Registered {
		t.Fatal("agent 12 registered while its phone is offline")
	}
	in := a.fake.Call(caller, dialedTo)
	a.bridgedLeg(in, phoneLow)
	a.fake.FarEndHangup(in, engine.CauseNormalClearing)
	a.record(in)
	if got := a.originatedTo(); !slices.Equal(got, []string{phoneLow}) {
		t.Errorf("originated %v, want only the registered agent", got)
	}
	a.fake.SetEndpointState(phoneHigh, engine.EndpointOnline)
	a.waitAgent("agent 12 registered", func(s center.AgentStatus) bool { return s.ID != agentHigh || s.View.Registered })
	second := a.fake.Call(caller, dialedTo)
	a.bridgedLeg(second, phoneHigh)
	a.fake.SetEndpointState(phoneHigh, engine.EndpointOffline)
	a.waitAgent("agent 12 unregistered", func(s center.AgentStatus) bool { return s.ID != agentHigh || !s.View.Registered })
}

// After a change of agents, Refresh watches the new agents' phones: an
// agent added later whose phone was registered all along becomes
// registered (no endpoint event tells it).
func TestPresenceRefresh(t *testing.T) {
	t.Parallel()
	const newAgent = acd.AgentID("13")
	phone := "PJSIP/" + center.Endpoint(13)
	a := newACD(t, salesTree(), nil, phone)
	dir := a.dir
	dir.Agents = append(dir.Agents, testAgent(newAgent, 13, 5))
	if err := a.svc.Apply(dir); err != nil {
		t.Fatal(err)
	}
	if a.agent(newAgent).View.Registered {
		t.Fatal("new agent registered before Refresh")
	}
	a.c.Refresh()
	a.waitAgent("agent 13 registered", func(s center.AgentStatus) bool { return s.ID != newAgent || s.View.Registered })
	a.fake.SetEndpointState(phone, engine.EndpointOffline)
	a.waitAgent("agent 13 unregistered", func(s center.AgentStatus) bool { return s.ID != newAgent || !s.View.Registered })
}

// ACM-4: no agent logged in: the group refuses the call and the caller
// takes the group_closed alternative at once.
func TestQueueNoAgentOverflows(t *testing.T) {
	t.Parallel()
	a := newACD(t, salesTree(), nil, phoneLow, phoneHigh)
	a.fake.SetDestination(endpoint(numA), enginetest.Answers)
	in := a.fake.Call(caller, dialedTo)
	a.bridgedLeg(in, endpoint(numA))
	a.fake.FarEndHangup(in, engine.CauseNormalClearing)
	r := a.record(in)
	if !strings.Contains(pathText(r), "refused the call: group_closed") || r.Destination != numA {
		t.Errorf("destination %q, path:\n%s", r.Destination, pathText(r))
	}
	if slices.Contains(a.fake.Heard(in), "moh:default") {
		t.Error("a refused caller heard music on hold")
	}
}

// ACM-4: a caller that waits the group's maximum leaves the queue (music
// stopped, holding bridge gone) for the group_timeout alternative.
func TestQueueMaxWaitOverflows(t *testing.T) {
	t.Parallel()
	a := newACD(t, salesTree(), func(g *center.Group) { g.Config.MaxWait = 30 * time.Second })
	a.login(agentLow) // logged in, phone offline: the queue is open but nobody takes the call
	a.fake.SetDestination(endpoint(numB), enginetest.Answers)
	in := a.fake.Call(caller, dialedTo)
	hold := engine.BridgeID("vms-q-" + string(in))
	a.waitFor("caller in the holding bridge", func() bool { return slices.Contains(a.fake.Members(hold), in) })
	a.clock.Advance(31 * time.Second)
	a.bridgedLeg(in, endpoint(numB))
	if m := a.fake.Members(hold); len(m) != 0 {
		t.Errorf("holding bridge still holds %v", m)
	}
	a.fake.FarEndHangup(in, engine.CauseNormalClearing)
	r := a.record(in)
	if got := legOutcomes(r); !strings.HasPrefix(got, "group:sales=group_timeout ") {
		t.Errorf("legs %s, want the group leg to end with group_timeout", got)
	}
}

// The caller hanging up while an agent rings: the agent leg is cancelled,
// the agent is free again and the call is abandoned.
func TestQueueCallerAbandonsWhileAgentRings(t *testing.T) {
	t.Parallel()
	a := newACD(t, salesTree(), func(g *center.Group) { g.Config.RingTimeout = time.Minute }, phoneHigh)
	a.login(agentHigh)
	a.fake.SetDestination(phoneHigh, enginetest.Behavior{Outcome: engine.OutcomeNoAnswer})
	in := a.fake.Call(caller, dialedTo)
	a.waitFor("agent rung", func() bool { return len(a.fake.Originated()) == 1 })
	a.fake.FarEndHangup(in, engine.CauseNormalClearing)
	r := a.record(in)
	if ch, _ := a.fake.Channel(a.leg(phoneHigh).ID); ch.State != "down" {
		t.Errorf("agent leg %+v, want hung up", ch)
	}
	if r.Outcome != OutcomeAbandoned {
		t.Errorf("outcome %q, want abandoned", r.Outcome)
	}
	if got := legOutcomes(r); got != "group:sales=abandoned agent:12=cancelled" {
		t.Errorf("legs %s", got)
	}
	a.waitAgent("agent 12 available", func(s center.AgentStatus) bool { return s.ID != agentHigh || s.View.State == acd.Available })
	if m := a.fake.Members(engine.BridgeID("vms-q-" + string(in))); len(m) != 0 {
		t.Errorf("holding bridge still holds %v", m)
	}
}

// The caller hanging up while waiting: the center forgets the call.
func TestQueueCallerAbandonsWhileWaiting(t *testing.T) {
	t.Parallel()
	a := newACD(t, salesTree(), nil)
	a.login(agentLow)
	in := a.fake.Call(caller, dialedTo)
	a.waitFor("caller waiting", func() bool {
		gs := a.svc.Snapshot(7).Groups
		return len(gs) == 1 && len(gs[0].Waiting) == 1
	})
	w := a.svc.Snapshot(7).Groups[0].Waiting[0]
	if w.Info.From != caller || w.Info.To != dialed || len(w.Info.Path) == 0 {
		t.Errorf("contact info %+v, want caller, dialed number and path", w.Info)
	}
	a.fake.FarEndHangup(in, engine.CauseNormalClearing)
	r := a.record(in)
	if r.Outcome != OutcomeAbandoned || legOutcomes(r) != "group:sales=abandoned" {
		t.Errorf("outcome %q legs %s", r.Outcome, legOutcomes(r))
	}
	a.waitFor("queue empty", func() bool { return len(a.svc.Snapshot(7).Groups[0].Waiting) == 0 })
}

// Waiting callers hear their position every AnnounceEvery, and the music
// comes back after each announcement.
func TestQueueAnnouncements(t *testing.T) {
	t.Parallel()
	a := newACD(t, salesTree(), func(g *center.Group) {
		g.AnnounceEvery = 20 * time.Millisecond
		g.MOHClass = "jazz"
	})
	a.login(agentLow)
	in := a.fake.Call(caller, dialedTo)
	a.waitFor("two announcements", func() bool {
		n := 0
		for _, m := range a.fake.Heard(in) {
			if m == "sound:queue-youarenext" {
				n++
			}
		}
		return n >= 2
	})
	heard := a.fake.Heard(in)
	i := slices.Index(heard, "sound:queue-youarenext")
	if heard[0] != "moh:jazz" || i < 0 || i+1 >= len(heard) || heard[i+1] != "moh:jazz" {
		t.Errorf("heard %v, want music, the position, music again", heard)
	}
	a.fake.FarEndHangup(in, engine.CauseNormalClearing)
	a.record(in)
}

func TestPositionMedia(t *testing.T) {
	t.Parallel()
	tests := []struct {
		w    acd.Wait
		want string
	}{
		{acd.Wait{Position: 1}, "sound:queue-youarenext"},
		{acd.Wait{Position: 3}, "sound:queue-thereare number:3 sound:queue-callswaiting"},
		{acd.Wait{Position: 1, Known: true, Expected: 40 * time.Second}, "sound:queue-youarenext sound:queue-holdtime number:1 sound:queue-minute"},
		{acd.Wait{Position: 2, Known: true, Expected: 150 * time.Second}, "sound:queue-thereare number:2 sound:queue-callswaiting sound:queue-holdtime number:3 sound:queue-minutes"},
	}
	for _, tt := range tests {
		if got := strings.Join(positionMedia(tt.w), " "); got != tt.want {
			t.Errorf("positionMedia(%+v) = %s, want %s", tt.w, got, tt.want)
		}
	}
}

// A caller adopted while it waited (VMS restarted) and routed afresh
// finds its holding bridge still in the engine: it is used again, and
// destroyed when an agent answers.
func TestQueueReusesLeftHoldingBridge(t *testing.T) {
	t.Parallel()
	a := newACD(t, salesTree(), nil)
	a.login(agentHigh)
	a.fake.SetDestination(phoneHigh, enginetest.Answers)
	hold := engine.BridgeID("vms-q-fake-in-1") // the Fake's first inbound channel
	must(t, a.fake.CreateBridge(context.Background(), hold, engine.BridgeHolding))
	in := a.fake.Call(caller, dialedTo)
	if in != "fake-in-1" {
		t.Fatalf("inbound channel %s, want fake-in-1", in)
	}
	a.waitFor("caller in the old holding bridge", func() bool { return slices.Contains(a.fake.Members(hold), in) })
	a.fake.SetEndpointState(phoneHigh, engine.EndpointOnline)
	a.bridgedLeg(in, phoneHigh)
	a.waitFor("holding bridge destroyed", func() bool {
		return a.fake.CreateBridge(context.Background(), hold, engine.BridgeHolding) == nil
	})
	a.fake.FarEndHangup(in, engine.CauseNormalClearing)
	a.record(in)
}
