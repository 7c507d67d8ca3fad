// Package calls proves the routing of real calls end to end (issue "Calls
// through a real Asterisk"; TRM-1..4, TRM-8, ENG-1): a SIPp caller calls
// an unmodified Asterisk 22 running the shipped dialplan, the call enters
// VMS's Stasis application, the ari driver and the controller route it
// with a real routing tree, and SIPp peers stand for the destinations. Every
// test asserts the destination that really received the INVITE and the
// call record.
//
// The tests need the Asterisk root of test/asterisk/install.sh, root
// privileges and SIPp: they skip without them, and fail under CI=true.
package calls

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vmsplatform/vms/ari"
	"github.com/vmsplatform/vms/controller"
	"github.com/vmsplatform/vms/engine"
	"github.com/vmsplatform/vms/routecache"
	"github.com/vmsplatform/vms/routing"
	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
	"github.com/vmsplatform/vms/test/astertest"
	"github.com/vmsplatform/vms/test/sipptest"
)

// Destination numbers: the digit after "+322" picks the SIPp peer that
// stands for the destination (see env.dial), the rest tells the tests
// apart.
const (
	peerAnswer   = '1'
	peerBusy     = '2'
	peerNoAnswer = '3'
	peerDown     = '4' // congestion
)

// num returns a destination number at the given peer, unique per test.
func num(peer byte, test int) string { return fmt.Sprintf("+322%c%02d0000", peer, test) }

// dialedNum returns the number a test's caller dials.
func dialedNum(test int) string { return fmt.Sprintf("+3250%02d0000", test) }

// env is one Asterisk, the three destination peers, the ari driver and the
// controller, shared by the parallel tests of TestCalls.
type env struct {
	ast     *astertest.Asterisk
	peers   map[byte]*sipptest.UASPeer
	routes  *staticRoutes
	records *memRecords
	prompts *promptServer
	// stopVMS stops the controller and the ari driver (as if VMS went
	// away); it is also run at cleanup.
	stopVMS func()
	// bridgeCalls makes VMS bridge number destinations itself
	// (controller.Config.BridgeCalls) instead of handing them to the
	// dialplan's vms-dial context.
	bridgeCalls bool
}

// now is the controller's clock: Thursday 26 November 2026, 10:00 in
// Brussels (office hours).
var now = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func start(t *testing.T) *env { return startEnv(t, false) }

// startEnv is start with the path of number destinations: bridged by VMS
// (bridgeCalls) or handed to the dialplan.
func startEnv(t *testing.T, bridgeCalls bool) *env {
	t.Helper()
	e := &env{
		bridgeCalls: bridgeCalls,
		peers:       map[byte]*sipptest.UASPeer{},
		routes:      &staticRoutes{routes: map[string]*controller.Route{}},
		records:     &memRecords{recs: map[string]*controller.CallRecord{}},
		prompts:     newPromptServer(t),
	}
	e.peers[peerAnswer] = sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.Answer})
	e.peers[peerBusy] = sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.Busy})
	e.peers[peerNoAnswer] = sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.NoAnswer})
	e.ast = astertest.Start(t, astertest.Options{
		Destinations: []astertest.Destination{
			{Name: "dest-answer", Port: e.peers[peerAnswer].Port},
			{Name: "dest-busy", Port: e.peers[peerBusy].Port},
			{Name: "dest-noanswer", Port: e.peers[peerNoAnswer].Port},
		},
		// A destination that refuses with congestion (cause 34).
		Dialplan: `
[test-congestion]
exten => _X.,1,Congestion(5)
`,
	})
	e.startVMS(t)
	return e
}

// startVMS starts an ari driver and a controller against the env's
// Asterisk, as a VMS process would, and sets stopVMS.
func (e *env) startVMS(t *testing.T) {
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
		MenuTimeout:        3 * time.Second,
		Now:                func() time.Time { return now },
		FallbackInterval:   200 * time.Millisecond,
		BridgeCalls:        e.bridgeCalls,
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
	// The controller consumes the Inbox; wait for the WebSocket through
	// the driver's own state.
	deadline := time.Now().Add(15 * time.Second)
	for !drv.Connected() {
		if time.Now().After(deadline) {
			t.Fatal("ari events WebSocket not up")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// dial maps a destination number to its SIPp peer's endpoint.
func dial(e164 string) string {
	digits := strings.TrimPrefix(e164, "+")
	peer := map[byte]string{peerAnswer: "dest-answer", peerBusy: "dest-busy", peerNoAnswer: "dest-noanswer"}
	if len(digits) > 3 {
		if p, ok := peer[digits[3]]; ok {
			return "PJSIP/" + digits + "@" + p
		}
	}
	// Congestion. (A SIP peer whose port is closed is no quicker: PJSIP
	// does not act on the ICMP error and the leg rings until the ring
	// timeout, which the no-answer test covers.)
	return "Local/" + digits + "@test-congestion"
}

// route registers the tree of a test's dialed number.
func (e *env) route(t *testing.T, test int, tr routing.Tree, mod func(*controller.Route)) string {
	t.Helper()
	tr.ID = fmt.Sprintf("tree-%d", test)
	plan, err := routing.Compile(&tr, routing.RefSet{
		Prompts: map[string]bool{"welcome": true, "closed": true, "menu": true},
		Lists:   map[string]bool{"VIP": true},
	})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	d := dialedNum(test)
	r := &controller.Route{TenantID: 1, NumberID: uint(test), Number: d, TreeID: tr.ID, TreeVersion: 1, Plan: plan, Active: true}
	if mod != nil {
		mod(r)
	}
	e.routes.set(d, r)
	return d
}

// call places one SIPp call and returns its result.
func (e *env) call(t *testing.T, caller, dialed string, hold time.Duration, dtmf string) *sipptest.CallResult {
	t.Helper()
	return sipptest.Call(t, sipptest.CallOptions{
		Target: e.ast.SIPAddr(), Number: strings.TrimPrefix(dialed, "+"), Caller: caller,
		Hold: hold, DTMF: dtmf, CallTimeout: 20 * time.Second,
	})
}

// invites returns the INVITEs a peer received for a number.
func (e *env) invites(peer byte, number string, want int) []sipptest.Invite {
	digits := strings.TrimPrefix(number, "+")
	deadline := time.Now().Add(5 * time.Second)
	for {
		var out []sipptest.Invite
		for _, inv := range e.peers[peer].Invites() {
			if strings.HasPrefix(inv.RequestURI, "sip:"+digits+"@") {
				out = append(out, inv)
			}
		}
		if len(out) >= want || time.Now().After(deadline) {
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// record waits for the final call record of a call to dialed (an
// answered call is saved at answer, then at its end).
func (e *env) record(t *testing.T, dialed string) *controller.CallRecord {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if r := e.records.byDialed(dialed); r != nil && r.EndedAt != nil {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("no call record for a call to %s", dialed)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func node(id string, typ routing.Type) routing.Node { return routing.Node{ID: id, Type: typ} }

func numberNode(id, e164 string, ring int, on map[routing.Outcome]string) routing.Node {
	return routing.Node{ID: id, Type: routing.TypeNumber, Number: e164, RingTimeout: ring, On: on}
}

func TestCalls(t *testing.T) {
	if testing.Short() {
		t.Skip("real Asterisk and SIPp: not in -short")
	}
	t.Parallel()
	e := start(t)
	const vipCaller = "0477123456" // +32477123456, in the VIP list

	t.Run("office hours open", func(t *testing.T) {
		t.Parallel()
		const id = 1
		d := e.route(t, id, routing.Tree{Start: "hours", Nodes: []routing.Node{
			{ID: "hours", Type: routing.TypeTime, Default: "closed", Branches: []routing.Branch{{Label: "office hours", Next: "office",
				Windows: []routing.Window{{Days: []string{"mon-fri"}, From: "08:00", To: "18:00"}}}}},
			numberNode("office", num(peerAnswer, id), 0, nil),
			numberNode("closed", num(peerAnswer, id+50), 0, nil),
		}}, nil)
		res := e.call(t, "022223344", d, time.Second, "")
		e.expectAnswered(t, res, d, num(peerAnswer, id), "+3222223344")
		if inv := e.invites(peerAnswer, num(peerAnswer, id+50), 0); len(inv) != 0 {
			t.Errorf("the closed branch's number got %d INVITEs", len(inv))
		}
	})

	t.Run("office hours closed", func(t *testing.T) {
		t.Parallel()
		const id = 2
		d := e.route(t, id, routing.Tree{Start: "hours", Nodes: []routing.Node{
			{ID: "hours", Type: routing.TypeTime, Default: "closed", Branches: []routing.Branch{{Label: "weekend duty", Next: "duty",
				Windows: []routing.Window{{Days: []string{"sat-sun"}, From: "00:00", To: "24:00"}}}}},
			numberNode("duty", num(peerAnswer, id+50), 0, nil),
			numberNode("closed", num(peerAnswer, id), 0, nil),
		}}, nil)
		res := e.call(t, "022223344", d, time.Second, "")
		r := e.expectAnswered(t, res, d, num(peerAnswer, id), "+3222223344")
		if !strings.Contains(routing.TraceText(r.Path), "Thu 10:00 Europe/Brussels") {
			t.Errorf("path does not show the injected time:\n%s", routing.TraceText(r.Path))
		}
	})

	t.Run("CLI prefix", func(t *testing.T) {
		t.Parallel()
		const id = 3
		d := e.route(t, id, routing.Tree{Start: "origin", Nodes: []routing.Node{
			{ID: "origin", Type: routing.TypeCaller, Default: "other", Branches: []routing.Branch{{Label: "Brussels", Prefixes: []string{"02"}, Next: "bxl"}}},
			numberNode("bxl", num(peerAnswer, id), 0, nil),
			numberNode("other", num(peerAnswer, id+50), 0, nil),
		}}, nil)
		res := e.call(t, "022223344", d, time.Second, "")
		e.expectAnswered(t, res, d, num(peerAnswer, id), "+3222223344")
	})

	t.Run("VIP list", func(t *testing.T) {
		t.Parallel()
		const id = 4
		d := e.route(t, id, routing.Tree{Start: "vip", Nodes: []routing.Node{
			{ID: "vip", Type: routing.TypeList, Default: "other", Branches: []routing.Branch{{List: "VIP", Next: "vipdesk"}}},
			numberNode("vipdesk", num(peerAnswer, id), 0, nil),
			numberNode("other", num(peerAnswer, id+50), 0, nil),
		}}, func(r *controller.Route) {
			r.InList = func(list, n string) bool { return list == "VIP" && n == "+32477123456" }
		})
		res := e.call(t, vipCaller, d, time.Second, "")
		e.expectAnswered(t, res, d, num(peerAnswer, id), "+32477123456")
	})

	t.Run("answered through the dialplan", func(t *testing.T) {
		t.Parallel()
		const id = 12
		d := e.route(t, id, routing.Tree{Start: "a", Nodes: []routing.Node{numberNode("a", num(peerAnswer, id), 0, nil)}}, nil)
		done := make(chan *sipptest.CallResult, 1)
		go func() { done <- e.call(t, "022223344", d, 2*time.Second, "") }()
		if n := len(e.invites(peerAnswer, num(peerAnswer, id), 1)); n != 1 {
			t.Fatalf("destination got %d INVITEs, want 1", n)
		}
		// While connected the caller is in the dialplan's dial context,
		// and VMS made neither a leg nor a bridge of its own.
		in := e.inbound(t, d)
		ch := e.channel(t, in)
		if ch.Dialplan.Context != "vms-dial" || ch.Dialplan.AppName != "Dial" {
			t.Errorf("caller in context %q running %q, want Dial in vms-dial", ch.Dialplan.Context, ch.Dialplan.AppName)
		}
		if status, _ := e.ast.ARI(t, http.MethodGet, "/ari/bridges/vms-"+in, nil); status != http.StatusNotFound {
			t.Errorf("VMS bridge of the call: status %d, want none", status)
		}
		if ids := e.channels(t, d); slices.ContainsFunc(ids, func(id string) bool { return strings.Contains(id, "-leg") }) {
			t.Errorf("channels %v: VMS originated a leg", ids)
		}
		res := <-done
		r := e.expectAnswered(t, res, d, num(peerAnswer, id), "+3222223344")
		expectLegs(t, r, controller.OutcomeAnswered)
		l := r.Legs[0]
		if l.AnsweredAt == nil || l.EndedAt.IsZero() || l.EndedAt.Before(*l.AnsweredAt) || l.NodeID != "a" || l.Destination != num(peerAnswer, id) {
			t.Errorf("leg %+v, want answered at node a with answer and end", l)
		}
		if r.AnsweredAt == nil || r.EndedAt == nil || r.EndedAt.Before(*r.AnsweredAt) {
			t.Errorf("record times answered %v ended %v", r.AnsweredAt, r.EndedAt)
		}
		e.expectNoChannels(t, d)
	})

	t.Run("busy then next", func(t *testing.T) {
		t.Parallel()
		const id = 5
		d := e.route(t, id, routing.Tree{Start: "first", Nodes: []routing.Node{
			numberNode("first", num(peerBusy, id), 0, map[routing.Outcome]string{"busy": "second"}),
			numberNode("second", num(peerAnswer, id), 0, nil),
		}}, nil)
		res := e.call(t, vipCaller, d, time.Second, "")
		if n := len(e.invites(peerBusy, num(peerBusy, id), 1)); n != 1 {
			t.Errorf("busy peer got %d INVITEs, want 1", n)
		}
		r := e.expectAnswered(t, res, d, num(peerAnswer, id), "+32477123456")
		expectLegs(t, r, controller.OutcomeBusy, controller.OutcomeAnswered)
		if r.Legs[0].Cause != engine.CauseUserBusy {
			t.Errorf("busy leg cause %d, want 17", r.Legs[0].Cause)
		}
	})

	t.Run("no answer then next", func(t *testing.T) {
		t.Parallel()
		const id = 6
		d := e.route(t, id, routing.Tree{Start: "first", Nodes: []routing.Node{
			numberNode("first", num(peerNoAnswer, id), 2, map[routing.Outcome]string{"no_answer": "second"}),
			numberNode("second", num(peerAnswer, id), 0, nil),
		}}, nil)
		res := e.call(t, vipCaller, d, time.Second, "")
		if n := len(e.invites(peerNoAnswer, num(peerNoAnswer, id), 1)); n != 1 {
			t.Errorf("ringing peer got %d INVITEs, want 1", n)
		}
		r := e.expectAnswered(t, res, d, num(peerAnswer, id), "+32477123456")
		expectLegs(t, r, controller.OutcomeNoAnswer, controller.OutcomeAnswered)
		if rang := r.Legs[0].EndedAt.Sub(r.Legs[0].StartedAt); rang < 0 {
			t.Errorf("leg times inverted: %+v", r.Legs[0])
		}
	})

	t.Run("unreachable then next", func(t *testing.T) {
		t.Parallel()
		const id = 7
		d := e.route(t, id, routing.Tree{Start: "first", Nodes: []routing.Node{
			numberNode("first", num(peerDown, id), 10, map[routing.Outcome]string{"unreachable": "second"}),
			numberNode("second", num(peerAnswer, id), 0, nil),
		}}, nil)
		res := e.call(t, vipCaller, d, time.Second, "")
		r := e.expectAnswered(t, res, d, num(peerAnswer, id), "+32477123456")
		expectLegs(t, r, controller.LegUnreachable, controller.OutcomeAnswered)
	})

	t.Run("announcement then hang-up", func(t *testing.T) {
		t.Parallel()
		const id = 8
		d := e.route(t, id, routing.Tree{Start: "closed", Nodes: []routing.Node{
			{ID: "closed", Type: routing.TypeAnnouncement, Prompt: "closed"},
		}}, nil)
		res := e.call(t, vipCaller, d, 10*time.Second, "")
		if res.FinalStatus != 200 || res.Successful != 1 {
			t.Errorf("caller got final status %d (successful %d), want answered for the announcement", res.FinalStatus, res.Successful)
		}
		r := e.record(t, d)
		if r.Outcome != controller.OutcomeAnnouncement || len(r.Legs) != 0 {
			t.Errorf("record outcome %q legs %d, want announcement without legs", r.Outcome, len(r.Legs))
		}
		if !strings.Contains(routing.TraceText(r.Path), "prompt closed played to the end") {
			t.Errorf("path does not show PlaybackFinished:\n%s", routing.TraceText(r.Path))
		}
		if e.prompts.fetched("closed") == 0 {
			t.Error("Asterisk never fetched the prompt over HTTP")
		}
		if r.EndedAt == nil || r.EndedAt.Before(r.ArrivedAt) {
			t.Errorf("record times %v → %v", r.ArrivedAt, r.EndedAt)
		}
	})

	t.Run("DTMF menu", func(t *testing.T) {
		t.Parallel()
		const id = 9
		d := e.route(t, id, routing.Tree{Start: "menu", Nodes: []routing.Node{
			{ID: "menu", Type: routing.TypeMenu, Prompt: "menu", Timeout: 5, Default: "bye", Branches: []routing.Branch{
				{Label: "sales", Digits: "1", Next: "sales"}, {Label: "support", Digits: "2", Next: "support"}}},
			numberNode("sales", num(peerAnswer, id+50), 0, nil),
			numberNode("support", num(peerAnswer, id), 0, nil),
			node("bye", routing.TypeHangup),
		}}, nil)
		res := e.call(t, vipCaller, d, 3*time.Second, "2")
		r := e.expectAnswered(t, res, d, num(peerAnswer, id), "+32477123456")
		if !strings.Contains(routing.TraceText(r.Path), "pressed") {
			t.Errorf("path does not show the digit:\n%s", routing.TraceText(r.Path))
		}
		if n := len(e.invites(peerAnswer, num(peerAnswer, id+50), 0)); n != 0 {
			t.Errorf("the other choice got %d INVITEs", n)
		}
	})

	t.Run("routes from the store", func(t *testing.T) {
		t.Parallel()
		const id = 11
		d := dialedNum(id)
		ctx := context.Background()
		s := storetest.SQLite(t)
		tn := &store.Tenant{Name: "Acme", Formula: "classic", TimeZone: "Europe/Brussels"}
		if err := s.CreateTenant(ctx, store.System, tn); err != nil {
			t.Fatal(err)
		}
		n := &store.Number{TenantID: tn.ID, E164: d, Kind: "geographic", Status: store.NumberActive, OnNetwork: true}
		if err := s.CreateNumber(ctx, store.System, n); err != nil {
			t.Fatal(err)
		}
		// Hand-over to a second tree: the first number is busy, its
		// alternative is in the "backup" tree.
		main, _ := json.Marshal(routing.Tree{ID: "main", Start: "first", Nodes: []routing.Node{
			numberNode("first", num(peerBusy, id), 0, map[routing.Outcome]string{"busy": "backup"}),
			{ID: "backup", Type: routing.TypeTree, Tree: "backup"},
		}})
		backup, _ := json.Marshal(routing.Tree{ID: "backup", Start: "b", Nodes: []routing.Node{
			numberNode("b", num(peerAnswer, id), 0, nil),
		}})
		bt := &store.RoutingTree{TenantID: tn.ID, Key: "backup", Name: "Backup"}
		if _, err := s.CreateTree(ctx, store.System, bt, backup, "backup"); err != nil {
			t.Fatal(err)
		}
		mt := &store.RoutingTree{TenantID: tn.ID, Key: "main", Name: "Main"}
		if _, err := s.CreateTree(ctx, store.System, mt, main, "main"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetNumberRouting(ctx, store.System, tn.ID, n.ID, store.NumberRouting{TreeID: &mt.ID}); err != nil {
			t.Fatal(err)
		}
		cache := routecache.New(routecache.FromStore(s), "BE", nil)
		if err := cache.Load(ctx); err != nil {
			t.Fatal(err)
		}
		e.routes.mu.Lock()
		e.routes.more = cache
		e.routes.mu.Unlock()
		res := e.call(t, vipCaller, d, time.Second, "")
		if n := len(e.invites(peerBusy, num(peerBusy, id), 1)); n != 1 {
			t.Errorf("busy peer got %d INVITEs, want 1", n)
		}
		r := e.expectAnswered(t, res, d, num(peerAnswer, id), "+32477123456")
		expectLegs(t, r, controller.OutcomeBusy, controller.OutcomeAnswered)
		if r.TenantID != tn.ID || r.NumberID != n.ID || r.TreeID != "main" || r.TreeVersion != 1 {
			t.Errorf("record tenant %d number %d tree %s v%d", r.TenantID, r.NumberID, r.TreeID, r.TreeVersion)
		}
		if !strings.Contains(routing.TraceText(r.Path), "now in tree backup version 1") {
			t.Errorf("path does not show the hand-over:\n%s", routing.TraceText(r.Path))
		}
	})

	t.Run("caller hangs up while ringing", func(t *testing.T) {
		t.Parallel()
		const id = 10
		d := e.route(t, id, routing.Tree{Start: "first", Nodes: []routing.Node{
			numberNode("first", num(peerNoAnswer, id), 60, nil),
		}}, nil)
		done := make(chan *sipptest.CallResult, 1)
		go func() { done <- e.call(t, vipCaller, d, time.Second, "") }()
		if n := len(e.invites(peerNoAnswer, num(peerNoAnswer, id), 1)); n != 1 {
			t.Fatalf("ringing peer got %d INVITEs, want 1", n)
		}
		// The caller gives up: its channel ends in Asterisk. (SIPp runs
		// with -nd, so the UAC cannot CANCEL by itself; hanging its
		// channel up is what Asterisk does on a CANCEL.)
		e.hangupInbound(t, d)
		res := <-done
		if res.Successful != 0 {
			t.Errorf("caller's call counted successful; want it ended unanswered")
		}
		r := e.record(t, d)
		if r.Outcome != controller.OutcomeAbandoned || r.AnsweredAt != nil {
			t.Errorf("record outcome %q, want abandoned and never answered", r.Outcome)
		}
		expectLegs(t, r, controller.LegCancelled)
		e.expectNoChannels(t, d)
	})
}

// ENG-3: VMS keeps each number's static fallback in Asterisk's AstDB, and
// while VMS is away the shipped dialplan sends calls there.
func TestFallbackWhileVMSAway(t *testing.T) {
	if testing.Short() {
		t.Skip("real Asterisk and SIPp: not in -short")
	}
	t.Parallel()
	e := start(t)
	const id = 40
	d := dialedNum(id)
	fb := num(peerAnswer, id)
	e.routes.mu.Lock()
	e.routes.fallbacks = map[string]string{d: fb}
	e.routes.mu.Unlock()
	digits := strings.TrimPrefix(d, "+")
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, ok := e.ast.DBGet(t, "vms-fallback", digits)
		if ok && v == dial(fb) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("AstDB vms-fallback/%s = %q (%v), want %q", digits, v, ok, dial(fb))
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.stopVMS()
	res := e.call(t, "022223344", d, time.Second, "")
	if res.FinalStatus != 200 {
		t.Errorf("caller got %d while VMS was away, want 200 from the fallback", res.FinalStatus)
	}
	if inv := e.invites(peerAnswer, fb, 1); len(inv) != 1 {
		t.Errorf("fallback %s got %d INVITEs, want 1", fb, len(inv))
	}
	if r := e.records.byDialed(d); r != nil {
		t.Errorf("a record %+v for a call VMS never saw", r)
	}
}

// A VMS restart while a call is bridged: the conversation stays up, the
// next VMS adopts it, and the caller's hang-up then ends the destination's
// leg (no channel is left behind). (VMS bridges the call itself here; a
// call connected by the dialplan: TestRestartKeepsDialplanCalls.)
func TestRestartKeepsBridgedCalls(t *testing.T) {
	if testing.Short() {
		t.Skip("real Asterisk and SIPp: not in -short")
	}
	t.Parallel()
	e := startEnv(t, true)
	const id = 41
	d := e.route(t, id, routing.Tree{Start: "a", Nodes: []routing.Node{numberNode("a", num(peerAnswer, id), 0, nil)}}, nil)
	done := make(chan *sipptest.CallResult, 1)
	go func() { done <- e.call(t, "022223344", d, 6*time.Second, "") }()
	if n := len(e.invites(peerAnswer, num(peerAnswer, id), 1)); n != 1 {
		t.Fatalf("destination got %d INVITEs, want 1", n)
	}
	// Wait until caller and destination share the call's bridge.
	in := e.inbound(t, d)
	deadline := time.Now().Add(5 * time.Second)
	for {
		status, body := e.ast.ARI(t, http.MethodGet, "/ari/bridges/vms-"+in, nil)
		if status == http.StatusOK && bytes.Contains(body, []byte(in+"-leg")) && bytes.Contains(body, []byte(`"`+in+`"`)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("call not bridged: %d %s", status, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.stopVMS()
	if r := e.records.byDialed(d); r == nil || r.Outcome != controller.OutcomeAnswered || r.EndedAt != nil {
		t.Errorf("record at shutdown %+v, want answered and still up", r)
	}
	if ids := e.channels(t, d); len(ids) != 2 {
		t.Fatalf("channels after VMS stopped: %v, want caller and leg still up", ids)
	}
	e.startVMS(t)
	res := <-done
	if res.FinalStatus != 200 || res.Successful != 1 {
		t.Errorf("caller final status %d successful %d, want an answered call that ended normally", res.FinalStatus, res.Successful)
	}
	e.expectNoChannels(t, d)
}

// A VMS restart while the dialplan's vms-dial context connects a call:
// Asterisk keeps the conversation (its own bridge) and reports its end to
// the next VMS, which completes the call record.
func TestRestartKeepsDialplanCalls(t *testing.T) {
	if testing.Short() {
		t.Skip("real Asterisk and SIPp: not in -short")
	}
	t.Parallel()
	e := start(t)
	const id = 42
	d := e.route(t, id, routing.Tree{Start: "a", Nodes: []routing.Node{numberNode("a", num(peerAnswer, id), 0, nil)}}, nil)
	done := make(chan *sipptest.CallResult, 1)
	go func() { done <- e.call(t, "022223344", d, 6*time.Second, "") }()
	if n := len(e.invites(peerAnswer, num(peerAnswer, id), 1)); n != 1 {
		t.Fatalf("destination got %d INVITEs, want 1", n)
	}
	in := e.inbound(t, d)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if ch := e.channel(t, in); ch.State == "Up" && ch.Dialplan.Context == "vms-dial" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("caller not connected in vms-dial: %+v", e.channel(t, in))
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.stopVMS()
	ch := e.channel(t, in)
	if ch.State != "Up" || ch.Dialplan.Context != "vms-dial" {
		t.Fatalf("caller after VMS stopped: state %q context %q, want up in vms-dial", ch.State, ch.Dialplan.Context)
	}
	if r := e.records.byDialed(d); r == nil || r.EndedAt != nil || len(r.Legs) != 1 {
		t.Errorf("record at shutdown %+v, want saved with its leg, not ended", r)
	}
	e.startVMS(t)
	res := <-done
	if res.FinalStatus != 200 || res.Successful != 1 {
		t.Errorf("caller final status %d successful %d, want an answered call that ended normally", res.FinalStatus, res.Successful)
	}
	r := e.record(t, d)
	if r.Outcome != controller.OutcomeAnswered || r.EndedAt == nil {
		t.Errorf("record after the call %+v, want answered and ended by the VMS that took it over", r)
	}
	e.expectNoChannels(t, d)
}

// channel returns a channel as ARI describes it.
func (e *env) channel(t *testing.T, id string) ari.Channel {
	t.Helper()
	status, body := e.ast.ARI(t, http.MethodGet, "/ari/channels/"+id, nil)
	if status != http.StatusOK {
		t.Fatalf("get channel %s: %d %s", id, status, body)
	}
	var ch ari.Channel
	if err := json.Unmarshal(body, &ch); err != nil {
		t.Fatal(err)
	}
	return ch
}

// expectAnswered checks a call that must reach dest: the caller was
// answered, dest (and only it, of the answer peer's numbers) got the
// INVITE with the caller's number, and the record says so.
func (e *env) expectAnswered(t *testing.T, res *sipptest.CallResult, dialed, dest, callerE164 string) *controller.CallRecord {
	t.Helper()
	if res.FinalStatus != 200 || res.Successful != 1 {
		t.Errorf("caller got final status %d (successful %d, failed %d), want 200", res.FinalStatus, res.Successful, res.Failed)
	}
	inv := e.invites(peerAnswer, dest, 1)
	if len(inv) != 1 {
		t.Fatalf("%s got %d INVITEs, want 1", dest, len(inv))
	}
	if !strings.Contains(inv[0].From, strings.TrimPrefix(callerE164, "+")) {
		t.Errorf("INVITE From %q does not present the caller %s", inv[0].From, callerE164)
	}
	r := e.record(t, dialed)
	if r.Outcome != controller.OutcomeAnswered || r.Destination != dest || r.AnsweredAt == nil || r.EndedAt == nil {
		t.Errorf("record outcome %q destination %q answered %v ended %v; want answered at %s", r.Outcome, r.Destination, r.AnsweredAt, r.EndedAt, dest)
	}
	if r.Caller != callerE164 || r.Dialed != dialed || len(r.Path) == 0 {
		t.Errorf("record caller %q dialed %q path %d steps", r.Caller, r.Dialed, len(r.Path))
	}
	return r
}

func expectLegs(t *testing.T, r *controller.CallRecord, outcomes ...string) {
	t.Helper()
	var got []string
	for _, l := range r.Legs {
		got = append(got, l.Outcome)
	}
	if strings.Join(got, ",") != strings.Join(outcomes, ",") {
		t.Errorf("legs %v, want %v; path:\n%s", got, outcomes, routing.TraceText(r.Path))
	}
}

// hangupInbound hangs up the inbound channel of the call to dialed.
func (e *env) hangupInbound(t *testing.T, dialed string) {
	t.Helper()
	id := e.inbound(t, dialed)
	status, body := e.ast.ARI(t, http.MethodDelete, "/ari/channels/"+id, nil)
	if status != http.StatusNoContent {
		t.Fatalf("hang up %s: %d %s", id, status, body)
	}
}

// inbound finds the inbound channel of the call to dialed.
func (e *env) inbound(t *testing.T, dialed string) string {
	t.Helper()
	ids := e.channels(t, dialed)
	for _, id := range ids {
		// Not a leg VMS originated, nor one that the dialplan's Dial()
		// made (named after the dialed number, as the caller's channel).
		if !strings.Contains(id, "-leg") && e.channel(t, id).Dialplan.AppName != "AppDial" {
			return id
		}
	}
	t.Fatalf("no inbound channel for %s among %v", dialed, ids)
	return ""
}

// channels lists the ids of the channels of a call to dialed.
func (e *env) channels(t *testing.T, dialed string) []string {
	t.Helper()
	status, body := e.ast.ARI(t, http.MethodGet, "/ari/channels", nil)
	if status != http.StatusOK {
		t.Fatalf("list channels: %d %s", status, body)
	}
	var all, out []string
	digits := strings.TrimPrefix(dialed, "+")
	for _, part := range bytes.Split(body, []byte(`{"id":"`))[1:] {
		id, rest, _ := strings.Cut(string(part), `"`)
		all = append(all, id)
		end := strings.Index(rest, `{"id":"`)
		if end < 0 {
			end = len(rest)
		}
		if strings.Contains(rest[:end], digits) && !strings.Contains(id, "-leg") {
			out = append(out, id)
		}
	}
	// The call's outbound legs are named after its inbound channel.
	for _, in := range slices.Clone(out) {
		for _, id := range all {
			if strings.HasPrefix(id, in+"-leg") {
				out = append(out, id)
			}
		}
	}
	return out
}

// expectNoChannels waits until no channel of the call is left.
func (e *env) expectNoChannels(t *testing.T, dialed string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ids := e.channels(t, dialed)
		if len(ids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("channels left behind: %v", ids)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// staticRoutes is a controller.Routes over literal trees.
type staticRoutes struct {
	mu        sync.Mutex
	routes    map[string]*controller.Route
	fallbacks map[string]string
	// more answers for the numbers not set here (the store-backed cache).
	more controller.Routes
}

// Fallbacks implements controller.FallbackSource (ENG-3).
func (s *staticRoutes) Fallbacks(ctx context.Context) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]string, len(s.fallbacks))
	for k, v := range s.fallbacks {
		out[k] = v
	}
	return out, nil
}

func (s *staticRoutes) set(dialed string, r *controller.Route) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routes[dialed] = r
}

func (s *staticRoutes) Route(ctx context.Context, dialed string) (*controller.Route, error) {
	s.mu.Lock()
	r, more := s.routes["+"+strings.TrimPrefix(dialed, "+")], s.more
	s.mu.Unlock()
	switch {
	case r != nil:
		return r, nil
	case more != nil:
		return more.Route(ctx, dialed)
	}
	return nil, controller.ErrNoRoute
}

func (s *staticRoutes) Tree(ctx context.Context, tenant uint, id string) (*routing.Plan, int, error) {
	s.mu.Lock()
	more := s.more
	s.mu.Unlock()
	if more != nil {
		return more.Tree(ctx, tenant, id)
	}
	return nil, 0, errors.New("no tree hand-overs in these tests")
}

// memRecords keeps the call records in memory.
type memRecords struct {
	mu   sync.Mutex
	recs map[string]*controller.CallRecord
}

func (m *memRecords) SaveCall(ctx context.Context, r *controller.CallRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recs[r.ID] = r
	return nil
}

func (m *memRecords) byDialed(d string) *controller.CallRecord {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.recs {
		if r.Dialed == d {
			return r
		}
	}
	return nil
}

// promptServer serves tenant prompts over HTTP, as VMS does for an
// Asterisk on another host (res_http_media_cache), and counts fetches.
type promptServer struct {
	srv   *httptest.Server
	mu    sync.Mutex
	count map[string]int
	total atomic.Int64
}

func newPromptServer(t *testing.T) *promptServer {
	p := &promptServer{count: map[string]int{}}
	wav := toneWAV(300 * time.Millisecond)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/prompts/"), ".wav")
		p.mu.Lock()
		p.count[name]++
		p.mu.Unlock()
		p.total.Add(1)
		w.Header().Set("Content-Type", "audio/wav")
		w.Write(wav)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *promptServer) url(id string) string { return "sound:" + p.srv.URL + "/prompts/" + id + ".wav" }

func (p *promptServer) fetched(id string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count[id]
}

// toneWAV returns a 440 Hz tone as an 8 kHz 16-bit mono WAV.
func toneWAV(d time.Duration) []byte {
	const rate = 8000
	n := int(d.Seconds() * rate)
	var pcm bytes.Buffer
	for i := range n {
		v := int16(8000 * math.Sin(2*math.Pi*440*float64(i)/rate))
		binary.Write(&pcm, binary.LittleEndian, v)
	}
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	w(uint32(36 + pcm.Len()))
	b.WriteString("WAVEfmt ")
	w(uint32(16))
	w(uint16(1))
	w(uint16(1))
	w(uint32(rate))
	w(uint32(rate * 2))
	w(uint16(2))
	w(uint16(16))
	b.WriteString("data")
	w(uint32(pcm.Len()))
	b.Write(pcm.Bytes())
	return b.Bytes()
}
