package calls

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmsplatform/vms/acd"
	"github.com/vmsplatform/vms/ari"
	"github.com/vmsplatform/vms/center"
	"github.com/vmsplatform/vms/controller"
	"github.com/vmsplatform/vms/routing"
	"github.com/vmsplatform/vms/test/astertest"
	"github.com/vmsplatform/vms/test/sipptest"
)

// Agents' phones: SIPp peers that answer Asterisk's qualify OPTIONS, so
// that the agents' endpoints are online only while the phone runs.
const (
	phoneAnswer   = "answer"
	phoneBusy     = "busy"
	phoneNoAnswer = "noanswer"
	phoneGoing    = "going" // answers, until the test stops it
	phoneNone     = ""      // no phone: the endpoint has no contact (never registered)
)

// acdEnv is one Asterisk with agents' PJSIP endpoints, their phones, a
// center.Service, and the ari driver and controller wired to it.
type acdEnv struct {
	*env
	svc    *center.Service
	phones map[string]*sipptest.UASPeer
	// clock is the center's: it moves only when a test advances it, so
	// that maximum waits expire when the test says (calls, rings and
	// prompts run in real time).
	clock *manualClock
}

// manualClock is a clock that moves when told; After fires then.
type manualClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []manualWaiter
}

type manualWaiter struct {
	at time.Time
	c  chan time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, manualWaiter{at: c.now.Add(d), c: ch})
	return ch
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
			continue
		}
		w.c <- c.now
	}
	c.waiters = kept
}

// acdAgent is an agent of the test: its id (store row id), group, level
// and phone.
type acdAgent struct {
	id    uint
	group acd.GroupID
	level acd.Level
	phone string
	login bool
}

func (a acdAgent) acdID() acd.AgentID { return acd.AgentID(fmt.Sprint(a.id)) }

// startACD starts Asterisk with one answering destination peer (for the
// overflow alternatives), the phones, the agents' endpoints created over
// ARI as VMS creates softphone endpoints (but on UDP, with the phone's
// address as static contact and qualify), the center with groups and
// agents, and VMS.
func startACD(t *testing.T, groups []center.Group, agents []acdAgent) *acdEnv {
	t.Helper()
	e := &acdEnv{
		env: &env{
			peers:   map[byte]*sipptest.UASPeer{},
			routes:  &staticRoutes{routes: map[string]*controller.Route{}},
			records: &memRecords{recs: map[string]*controller.CallRecord{}},
			prompts: newPromptServer(t),
		},
		phones: map[string]*sipptest.UASPeer{},
	}
	e.peers[peerAnswer] = sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.Answer})
	e.phones[phoneAnswer] = sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.Answer, Phone: true})
	e.phones[phoneBusy] = sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.Busy, Phone: true})
	e.phones[phoneNoAnswer] = sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.NoAnswer, Phone: true})
	e.phones[phoneGoing] = sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.Answer, Phone: true})
	e.ast = astertest.Start(t, astertest.Options{
		Destinations: []astertest.Destination{{Name: "dest-answer", Port: e.peers[peerAnswer].Port}},
		Files: map[string]string{
			// The test root has no music files: classes over the stock
			// prompts, and a log that says when music starts and stops.
			"musiconhold.conf": "[general]\n\n[default]\nmode = files\ndirectory = /usr/share/asterisk/sounds/en_US_f_Allison/digits\n\n" +
				"[queue-test]\nmode = files\ndirectory = /usr/share/asterisk/sounds/en_US_f_Allison/digits\n",
			"logger.conf": "[general]\ndateformat = %F %T.%3q\n\n[logfiles]\nmessages.log => notice,warning,error,verbose(3)\n",
		},
	})
	dir := center.Directory{Groups: groups}
	for _, a := range agents {
		e.provision(t, a)
		dir.Agents = append(dir.Agents, center.Agent{
			ID: a.acdID(), TenantID: 1, UserID: a.id, Name: "Agent " + fmt.Sprint(a.id), Endpoint: center.Endpoint(a.id),
			Config: acd.AgentConfig{ID: a.acdID(), Groups: map[acd.GroupID]acd.Level{a.group: a.level}},
		})
	}
	e.clock = &manualClock{now: time.Now()}
	e.svc = center.New(center.Config{Logger: slog.New(slog.DiscardHandler), Now: e.clock.Now, After: e.clock.After})
	if err := e.svc.Apply(dir); err != nil {
		t.Fatal(err)
	}
	for _, a := range agents {
		if a.login {
			if err := e.svc.Login(a.acdID()); err != nil {
				t.Fatal(err)
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.svc.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	e.startVMS(t)
	// Presence: the phones that run are online once qualified.
	deadline := time.Now().Add(15 * time.Second)
	for _, a := range agents {
		for e.agent(t, a.acdID()).View.Registered != (a.phone != phoneNone) {
			if time.Now().After(deadline) {
				t.Fatalf("agent %d registered %v, want %v", a.id, e.agent(t, a.acdID()).View.Registered, a.phone != phoneNone)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return e
}

// provision creates an agent's endpoint in Asterisk over ARI dynamic
// configuration: an aor whose contact is the agent's phone (none for
// phoneNone), qualified every second, and a UDP endpoint offering ulaw.
func (e *acdEnv) provision(t *testing.T, a acdAgent) {
	t.Helper()
	name := center.Endpoint(a.id)
	aor := [][2]string{{"max_contacts", "1"}, {"qualify_frequency", "1"}, {"qualify_timeout", "0.5"}}
	if a.phone != phoneNone {
		aor = append(aor, [2]string{"contact", fmt.Sprintf("sip:%s@127.0.0.1:%d", name, e.phones[a.phone].Port)})
	}
	put := func(kind string, fields [][2]string) {
		var body struct {
			Fields []map[string]string `json:"fields"`
		}
		for _, f := range fields {
			body.Fields = append(body.Fields, map[string]string{"attribute": f[0], "value": f[1]})
		}
		status, resp := e.ast.ARIJSON(t, http.MethodPut, "/ari/asterisk/config/dynamic/res_pjsip/"+kind+"/"+name, nil, body)
		if status != http.StatusOK {
			t.Fatalf("create %s %s: %d %s", kind, name, status, resp)
		}
	}
	put("aor", aor)
	put("endpoint", [][2]string{
		{"transport", "transport-udp"}, {"aors", name}, {"context", "vms-from-trunk-out"},
		{"disallow", "all"}, {"allow", "ulaw"}, {"direct_media", "no"}, {"rtp_symmetric", "yes"},
	})
}

// startVMS starts the ari driver and a controller queueing in e.svc.
func (e *acdEnv) startVMS(t *testing.T) {
	t.Helper()
	var log *slog.Logger
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	drv, err := ari.New(ari.Config{URL: e.ast.ARIURL, User: e.ast.ARIUser, Password: e.ast.ARIPassword, App: e.ast.App, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctl, err := controller.New(controller.Config{
		App:                e.ast.App,
		DialString:         dial,
		PromptURL:          e.prompts.url,
		DefaultRingTimeout: 5 * time.Second,
		Now:                func() time.Time { return now },
		Queue:              e.svc,
	}, drv, e.routes, e.records, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	drvDone := make(chan error, 1)
	ctlDone := make(chan error, 1)
	go func() { drvDone <- drv.Run(ctx) }()
	go func() { ctlDone <- ctl.Run(ctx) }()
	var once sync.Once
	e.stopVMS = func() {
		once.Do(func() {
			cancel()
			if err := <-ctlDone; err != nil {
				t.Errorf("controller Run: %v", err)
			}
			drv.Close()
			if err := <-drvDone; err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("ari Run: %v", err)
			}
		})
	}
	t.Cleanup(e.stopVMS)
	deadline := time.Now().Add(15 * time.Second)
	for !drv.Connected() {
		if time.Now().After(deadline) {
			t.Fatal("ari events WebSocket not up")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// messages returns Asterisk's messages log.
func (e *acdEnv) messages(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(e.ast.Dir, "log", "messages.log"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// mediaOf reads from Asterisk's log what the channel that got music of
// class first heard: "music", "stop" (of the music) and "play <file>".
func mediaOf(log, class string) string {
	_, rest, ok := strings.Cut(log, "Started music on hold, class '"+class+"', on channel '")
	if !ok {
		return "no music of class " + class
	}
	ch, _, _ := strings.Cut(rest, "'")
	var out []string
	for _, line := range strings.Split(log, "\n") {
		switch {
		case strings.Contains(line, "Started music on hold") && strings.Contains(line, "'"+ch+"'"):
			out = append(out, "music")
		case strings.Contains(line, "Stopped music on hold on "+ch):
			out = append(out, "stop")
		case strings.Contains(line, "<"+ch+"> Playing '"):
			_, f, _ := strings.Cut(line, "Playing '")
			f, _, _ = strings.Cut(f, ".")
			out = append(out, "play "+f)
		}
	}
	return strings.Join(out, ",")
}

// agent returns an agent's live status in the center.
func (e *acdEnv) agent(t *testing.T, id acd.AgentID) center.AgentStatus {
	t.Helper()
	for _, s := range e.svc.Snapshot(1).Agents {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no agent %s", id)
	return center.AgentStatus{}
}

// routeGroup routes a test's dialed number to a group whose overflows
// (closed, timeout) go to a number on the answering destination peer.
func (e *acdEnv) routeGroup(t *testing.T, test int, group string) string {
	t.Helper()
	tr := routing.Tree{ID: fmt.Sprintf("tree-%d", test), Start: "queue", Nodes: []routing.Node{
		{ID: "queue", Type: routing.TypeGroup, Group: group, On: map[routing.Outcome]string{
			routing.OutcomeGroupClosed: "overflow", routing.OutcomeGroupTimeout: "overflow", routing.OutcomeGroupFull: "overflow"}},
		numberNode("overflow", num(peerAnswer, test), 0, nil),
	}}
	plan, err := routing.Compile(&tr, nil)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	d := dialedNum(test)
	e.routes.set(d, &controller.Route{TenantID: 1, NumberID: uint(test), Number: d, TreeID: tr.ID, TreeVersion: 1, Plan: plan, Active: true})
	return d
}

// phoneInvites returns the INVITEs a phone received for an agent.
func (e *acdEnv) phoneInvites(phone string, agent uint, want int) []sipptest.Invite {
	prefix := "sip:" + center.Endpoint(agent) + "@"
	deadline := time.Now().Add(5 * time.Second)
	for {
		var out []sipptest.Invite
		for _, inv := range e.phones[phone].Invites() {
			if strings.HasPrefix(inv.RequestURI, prefix) {
				out = append(out, inv)
			}
		}
		if len(out) >= want || time.Now().After(deadline) {
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitBridged waits until the caller of the call to dialed shares its
// call's mixing bridge with an outbound leg.
func (e *acdEnv) waitBridged(t *testing.T, dialed string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ids := e.channels(t, dialed)
		for _, in := range ids {
			if strings.Contains(in, "-leg") {
				continue
			}
			status, body := e.ast.ARI(t, http.MethodGet, "/ari/bridges/vms-"+in, nil)
			if status == http.StatusOK && bytes.Contains(body, []byte(`"`+in+`-leg`)) && bytes.Contains(body, []byte(`"`+in+`"`)) &&
				bytes.Contains(body, []byte(`"bridge_type":"mixing"`)) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the call to %s was never bridged; channels %v", dialed, ids)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// expectAgentAnswered checks a call an agent answered: the agent's phone
// got the INVITE presenting the caller, the record names the agent, and
// the legs are as given (group leg first).
func (e *acdEnv) expectAgentAnswered(t *testing.T, res *sipptest.CallResult, dialed string, agent uint, phone string, legs ...string) {
	t.Helper()
	if res.FinalStatus != 200 || res.Successful != 1 {
		t.Errorf("caller got final status %d (successful %d, failed %d), want 200", res.FinalStatus, res.Successful, res.Failed)
	}
	inv := e.phoneInvites(phone, agent, 1)
	if len(inv) != 1 {
		t.Fatalf("agent %d's phone got %d INVITEs, want 1", agent, len(inv))
	}
	if !strings.Contains(inv[0].From, "32477123456") {
		t.Errorf("INVITE From %q does not present the caller", inv[0].From)
	}
	r := e.record(t, dialed)
	want := fmt.Sprintf("agent:%d", agent)
	if r.Outcome != controller.OutcomeAnswered || r.Destination != want || r.AnsweredAt == nil {
		t.Errorf("record outcome %q destination %q, want answered by %s; path:\n%s", r.Outcome, r.Destination, want, routing.TraceText(r.Path))
	}
	var got []string
	for _, l := range r.Legs {
		got = append(got, l.Destination+"="+l.Outcome)
	}
	if strings.Join(got, " ") != strings.Join(legs, " ") {
		t.Errorf("legs %v, want %v; path:\n%s", got, legs, routing.TraceText(r.Path))
	}
}

// ACM-1..4 through a real Asterisk: agents are PJSIP endpoints whose
// phones are SIPp peers; the center chooses, the controller rings and
// bridges.
func TestACD(t *testing.T) {
	if testing.Short() {
		t.Skip("real Asterisk and SIPp: not in -short")
	}
	t.Parallel()
	group := func(id, key string, mod func(*center.Group)) center.Group {
		g := center.Group{ID: acd.GroupID(id), TenantID: 1, Key: key, Name: key,
			Config: acd.GroupConfig{RingTimeout: 5 * time.Second, MaxWait: time.Minute}, AnnounceEvery: time.Second}
		if mod != nil {
			mod(&g)
		}
		return g
	}
	e := startACD(t, []center.Group{
		group("101", "levels", nil),
		group("102", "busy", nil),
		group("103", "noanswer", func(g *center.Group) { g.Config.RingTimeout = 2 * time.Second }),
		group("104", "unregistered", nil),
		group("105", "nobody", nil),
		group("106", "maxwait", func(g *center.Group) { g.Config.MaxWait = 30 * time.Second; g.MOHClass = "queue-test" }),
		group("107", "phonegone", nil),
		group("108", "abandon", func(g *center.Group) { g.Config.RingTimeout = 30 * time.Second }),
	}, []acdAgent{
		{id: 21, group: "101", level: 3, phone: phoneAnswer, login: true},
		{id: 22, group: "101", level: 8, phone: phoneAnswer, login: true},
		{id: 23, group: "102", level: 9, phone: phoneBusy, login: true},
		{id: 24, group: "102", level: 2, phone: phoneAnswer, login: true},
		{id: 25, group: "103", level: 9, phone: phoneNoAnswer, login: true},
		{id: 26, group: "103", level: 1, phone: phoneAnswer, login: true},
		{id: 27, group: "104", level: 9, phone: phoneNone, login: true},
		{id: 28, group: "104", level: 1, phone: phoneAnswer, login: true},
		{id: 29, group: "105", level: 5, phone: phoneAnswer, login: false},
		{id: 30, group: "106", level: 5, phone: phoneNone, login: true},
		{id: 31, group: "107", level: 9, phone: phoneGoing, login: true},
		{id: 32, group: "107", level: 1, phone: phoneAnswer, login: true},
		{id: 33, group: "108", level: 5, phone: phoneNoAnswer, login: true},
	})
	const caller = "0477123456"

	t.Run("higher level gets the call", func(t *testing.T) {
		t.Parallel()
		const id = 60
		d := e.routeGroup(t, id, "levels")
		done := make(chan *sipptest.CallResult, 1)
		go func() { done <- e.call(t, caller, d, 4*time.Second, "") }()
		e.waitBridged(t, d)
		if s := e.agent(t, "22"); s.View.State != acd.Talking {
			t.Errorf("agent 22 %s while bridged, want talking", s.View.State)
		}
		res := <-done
		e.expectAgentAnswered(t, res, d, 22, phoneAnswer, "group:levels=answered", "agent:22=answered")
		if n := len(e.phoneInvites(phoneAnswer, 21, 0)); n != 0 {
			t.Errorf("the lower-level agent's phone got %d INVITEs", n)
		}
		e.expectNoChannels(t, d)
	})

	t.Run("busy agent skipped", func(t *testing.T) {
		t.Parallel()
		const id = 61
		d := e.routeGroup(t, id, "busy")
		res := e.call(t, caller, d, 3*time.Second, "")
		if n := len(e.phoneInvites(phoneBusy, 23, 1)); n != 1 {
			t.Errorf("busy agent's phone got %d INVITEs, want 1", n)
		}
		e.expectAgentAnswered(t, res, d, 24, phoneAnswer, "group:busy=answered", "agent:23=busy", "agent:24=answered")
		if s := e.agent(t, "23"); s.View.State != acd.NotReady {
			t.Errorf("busy agent 23 %s, want not ready", s.View.State)
		}
	})

	t.Run("unanswered offer goes to the next agent", func(t *testing.T) {
		t.Parallel()
		const id = 62
		d := e.routeGroup(t, id, "noanswer")
		res := e.call(t, caller, d, 5*time.Second, "")
		if n := len(e.phoneInvites(phoneNoAnswer, 25, 1)); n != 1 {
			t.Errorf("ringing agent's phone got %d INVITEs, want 1", n)
		}
		e.expectAgentAnswered(t, res, d, 26, phoneAnswer, "group:noanswer=answered", "agent:25=no_answer", "agent:26=answered")
		if s := e.agent(t, "25"); s.View.State != acd.NotReady {
			t.Errorf("agent 25 that did not answer is %s, want not ready", s.View.State)
		}
	})

	t.Run("unregistered agent skipped", func(t *testing.T) {
		t.Parallel()
		const id = 63
		d := e.routeGroup(t, id, "unregistered")
		if e.agent(t, "27").View.Registered {
			t.Fatal("agent 27 registered without a phone")
		}
		res := e.call(t, caller, d, 3*time.Second, "")
		e.expectAgentAnswered(t, res, d, 28, phoneAnswer, "group:unregistered=answered", "agent:28=answered")
	})

	t.Run("agent whose phone went away skipped", func(t *testing.T) {
		t.Parallel()
		const id = 66
		d := e.routeGroup(t, id, "phonegone")
		// The phone stops answering Asterisk's qualify: the endpoint goes
		// offline and the center learns it from the endpoint's event.
		e.phones[phoneGoing].Stop()
		deadline := time.Now().Add(10 * time.Second)
		for e.agent(t, "31").View.Registered {
			if time.Now().After(deadline) {
				t.Fatal("agent 31 still registered after its phone went away")
			}
			time.Sleep(50 * time.Millisecond)
		}
		res := e.call(t, caller, d, 3*time.Second, "")
		e.expectAgentAnswered(t, res, d, 32, phoneAnswer, "group:phonegone=answered", "agent:32=answered")
	})

	t.Run("caller hangs up while the agent rings", func(t *testing.T) {
		t.Parallel()
		const id = 67
		d := e.routeGroup(t, id, "abandon")
		// The caller is answered in the queue and hangs up after 3 s,
		// while the agent's phone still rings.
		res := e.call(t, caller, d, 3*time.Second, "")
		if res.FinalStatus != 200 {
			t.Errorf("caller got %d, want 200 from the queue", res.FinalStatus)
		}
		if n := len(e.phoneInvites(phoneNoAnswer, 33, 1)); n != 1 {
			t.Errorf("agent's phone got %d INVITEs, want 1", n)
		}
		r := e.record(t, d)
		if r.Outcome != controller.OutcomeAbandoned || r.AnsweredAt != nil {
			t.Errorf("record outcome %q answered %v, want abandoned", r.Outcome, r.AnsweredAt)
		}
		expectLegs(t, r, controller.OutcomeAbandoned, controller.LegCancelled)
		e.expectNoChannels(t, d)
		deadline := time.Now().Add(5 * time.Second)
		for e.agent(t, "33").View.State != acd.Available {
			if time.Now().After(deadline) {
				t.Fatalf("agent 33 %s after the caller left, want available", e.agent(t, "33").View.State)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})

	t.Run("no agent logged in overflows", func(t *testing.T) {
		t.Parallel()
		const id = 64
		d := e.routeGroup(t, id, "nobody")
		res := e.call(t, caller, d, time.Second, "")
		r := e.expectAnswered(t, res, d, num(peerAnswer, id), "+32477123456")
		if !strings.Contains(routing.TraceText(r.Path), "refused the call: group_closed") {
			t.Errorf("path:\n%s", routing.TraceText(r.Path))
		}
		if n := len(e.phoneInvites(phoneAnswer, 29, 0)); n != 0 {
			t.Errorf("the logged-out agent's phone got %d INVITEs", n)
		}
	})

	t.Run("maximum wait overflows", func(t *testing.T) {
		t.Parallel()
		const id = 65
		d := e.routeGroup(t, id, "maxwait")
		done := make(chan *sipptest.CallResult, 1)
		go func() { done <- e.call(t, caller, d, 40*time.Second, "") }()
		// The waiting caller hears the group's music, then the position
		// announcement (the music stops for it and comes back after it:
		// the prompt lasts about 5 s).
		const heard = "music,stop,play queue-youarenext,music"
		deadline := time.Now().Add(30 * time.Second)
		for !strings.HasPrefix(mediaOf(e.messages(t), "queue-test"), heard) {
			if time.Now().After(deadline) {
				t.Fatalf("the waiting caller heard %s, want %s…", mediaOf(e.messages(t), "queue-test"), heard)
			}
			time.Sleep(100 * time.Millisecond)
		}
		// The group's maximum wait passes: the caller leaves the queue for
		// the overflow destination.
		e.clock.Advance(31 * time.Second)
		if inv := e.invites(peerAnswer, num(peerAnswer, id), 1); len(inv) != 1 {
			t.Fatalf("overflow destination got %d INVITEs, want 1", len(inv))
		}
		e.waitBridged(t, d)
		e.hangupInbound(t, d)
		res := <-done
		if res.FinalStatus != 200 {
			t.Errorf("caller got %d, want 200", res.FinalStatus)
		}
		r := e.record(t, d)
		if r.Outcome != controller.OutcomeAnswered || r.Destination != num(peerAnswer, id) {
			t.Errorf("record outcome %q destination %q, want answered at %s", r.Outcome, r.Destination, num(peerAnswer, id))
		}
		expectLegs(t, r, "group_timeout", controller.OutcomeAnswered)
		// No music once the caller left the queue.
		if got := mediaOf(e.messages(t), "queue-test"); strings.HasSuffix(got, ",music") {
			t.Errorf("the caller heard %s: music after it left the queue", got)
		}
	})
}
