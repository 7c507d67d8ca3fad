package controller

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmsplatform/vms/engine"
	"github.com/vmsplatform/vms/engine/enginetest"
	"github.com/vmsplatform/vms/routing"
)

// dialplanDialing lets the harness's Fake ring number destinations in its
// dialplan (engine.DialplanDialer), as Asterisk with the shipped dialplan.
func dialplanDialing(cfg *Config, h *harness) { h.fake.DialplanDialing = true }

// bridgeCalls forces the bridge path.
func bridgeCalls(cfg *Config, h *harness) { cfg.BridgeCalls = true }

// A plain number destination is handed to the engine's dialplan: no leg
// is originated, the engine connects the call, and the record still has
// the answer, the end and the leg (TRM-2, TRM-8).
func TestDialplanPathAnswered(t *testing.T) {
	t.Parallel()
	h := newHarness(t, tree("a", number("a", numA, nil)), dialplanDialing)
	h.fake.SetDestination(endpoint(numA), enginetest.Behavior{Outcome: engine.OutcomeNormal, After: 30 * time.Millisecond})
	in := h.fake.Call(caller, dialedTo)
	h.waitFor("connected", func() bool {
		ch, _ := h.fake.Channel(in)
		return ch.Connected == endpoint(numA)
	})
	dials := h.fake.DialplanDials()
	if len(dials) != 1 {
		t.Fatalf("dialplan dials %+v, want one", dials)
	}
	d := dials[0]
	if d.Endpoint != endpoint(numA) || d.CallerID != caller || d.Dialed != dialed || d.Timeout != h.c.cfg.DefaultRingTimeout {
		t.Errorf("dialplan request %+v, want %s from %s for %s ringing %s", d, endpoint(numA), caller, dialed, h.c.cfg.DefaultRingTimeout)
	}
	if o := h.fake.Originated(); len(o) != 0 {
		t.Errorf("originated %+v on the dialplan path", o)
	}
	// One side hangs up: the engine reports the end of the call.
	h.setNow(h.clock().Add(90 * time.Second))
	h.fake.FarEndHangup(in, engine.CauseNormalClearing)
	r := h.record(in)
	if r.Outcome != OutcomeAnswered || r.Destination != numA || r.AnsweredAt == nil || r.EndedAt == nil {
		t.Errorf("record %+v, want answered at %s with times", r, numA)
	}
	if r.TenantID != 7 || r.NumberID != 9 || r.Dialed != dialed || r.Caller != caller || r.TreeID != "main" {
		t.Errorf("record identity %+v", r)
	}
	if len(r.Legs) != 1 || r.Legs[0].Outcome != OutcomeAnswered || r.Legs[0].Destination != numA ||
		r.Legs[0].NodeID != "a" || r.Legs[0].AnsweredAt == nil || r.Legs[0].EndedAt.IsZero() {
		t.Errorf("legs %+v, want one answered leg to %s with its times", r.Legs, numA)
	}
	if ch, _ := h.fake.Channel(in); ch.Hangup != "" {
		t.Errorf("VMS hung the caller up (%q); the engine ends the call", ch.Hangup)
	}
	h.waitFor("no active calls", func() bool { return h.c.ActiveCalls() == 0 })
}

// TRM-4 on the dialplan path: a destination that does not answer sends
// the channel back, and the controller takes the alternative of the
// outcome, again through the dialplan.
func TestDialplanPathOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		behavior enginetest.Behavior
		want     string
		legOut   string
		cause    int
	}{
		{"busy", enginetest.Behavior{Outcome: engine.OutcomeBusy}, numB, OutcomeBusy, engine.CauseUserBusy},
		{"no answer", enginetest.Behavior{Outcome: engine.OutcomeNoAnswer}, numC, OutcomeNoAnswer, engine.CauseNoAnswer},
		{"unreachable", enginetest.Behavior{Outcome: engine.OutcomeUnreachable}, numFB, LegUnreachable, engine.CauseNoRoute},
		{"rejected counts as busy", enginetest.Behavior{Outcome: engine.OutcomeRejected}, numB, LegRejected, engine.CauseCallRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := tree("a",
				number("a", numA, map[routing.Outcome]string{"busy": "b", "no_answer": "c", "unreachable": "fb"}),
				number("b", numB, nil), number("c", numC, nil), number("fb", numFB, nil))
			h := newHarness(t, tr, dialplanDialing)
			h.fake.SetDestination(endpoint(numA), tt.behavior)
			for _, n := range []string{numB, numC, numFB} {
				h.fake.SetDestination(endpoint(n), enginetest.Answers)
			}
			in := h.fake.Call(caller, dialedTo)
			h.waitFor("second destination connected", func() bool {
				ch, _ := h.fake.Channel(in)
				return ch.Connected == endpoint(tt.want)
			})
			h.fake.FarEndHangup(in, engine.CauseNormalClearing)
			r := h.record(in)
			if r.Outcome != OutcomeAnswered || r.Destination != tt.want {
				t.Errorf("record outcome %q destination %q, want answered at %s", r.Outcome, r.Destination, tt.want)
			}
			if len(r.Legs) != 2 || r.Legs[0].Outcome != tt.legOut || r.Legs[0].Cause != tt.cause || r.Legs[1].Outcome != OutcomeAnswered {
				t.Errorf("legs %+v, want %s (cause %d) then answered", r.Legs, tt.legOut, tt.cause)
			}
			if d := h.fake.DialplanDials(); len(d) != 2 || len(h.fake.Originated()) != 0 {
				t.Errorf("dialplan dials %d, originated %d; want both destinations through the dialplan", len(d), len(h.fake.Originated()))
			}
		})
	}
}

// A number that never answers ends the call with no_answer once its ring
// time is over (the engine's dialplan gives up and sends it back).
func TestDialplanPathNoAnswerEnds(t *testing.T) {
	t.Parallel()
	h := newHarness(t, tree("a", number("a", numA, nil)), dialplanDialing)
	h.fake.SetDestination(endpoint(numA), enginetest.Behavior{Outcome: engine.OutcomeNoAnswer})
	in := h.fake.Call(caller, dialedTo)
	r := h.record(in)
	if r.Outcome != OutcomeNoAnswer || len(r.Legs) != 1 || r.Legs[0].Outcome != OutcomeNoAnswer || r.AnsweredAt != nil {
		t.Errorf("record %+v, want no_answer with one leg", r)
	}
	if ch, _ := h.fake.Channel(in); ch.State == "up" || ch.Hangup != engine.HangupNormal {
		t.Errorf("caller %+v, want never answered and hung up by VMS at the end of the tree", ch)
	}
}

// The caller hanging up while the dialplan rings: abandoned, leg cancelled.
func TestDialplanPathCallerHangsUp(t *testing.T) {
	t.Parallel()
	tr := tree("a", routing.Node{ID: "a", Type: routing.TypeNumber, Number: numA, RingTimeout: 30})
	h := newHarness(t, tr, dialplanDialing)
	h.fake.SetDestination(endpoint(numA), enginetest.Behavior{Outcome: engine.OutcomeNoAnswer})
	in := h.fake.Call(caller, dialedTo)
	h.waitFor("dialplan dial", func() bool { return len(h.fake.DialplanDials()) == 1 })
	if d := h.fake.DialplanDials()[0]; d.Timeout != 30*time.Second {
		t.Errorf("ring time %s, want the node's 30 s", d.Timeout)
	}
	h.fake.FarEndHangup(in, engine.CauseNormalClearing)
	r := h.record(in)
	if r.Outcome != OutcomeAbandoned || r.AnsweredAt != nil || r.EndedAt == nil {
		t.Errorf("record %+v, want abandoned, never answered, ended", r)
	}
	if len(r.Legs) != 1 || r.Legs[0].Outcome != LegCancelled {
		t.Errorf("legs %+v, want one cancelled", r.Legs)
	}
}

// Config.BridgeCalls keeps the bridge path although the engine could
// dial in its dialplan; the rescue to the number's fallback always
// bridges.
func TestBridgeCallsForcesBridgePath(t *testing.T) {
	t.Parallel()
	h := newHarness(t, tree("a", number("a", numA, nil)), dialplanDialing, bridgeCalls)
	h.fake.SetDestination(endpoint(numA), enginetest.Answers)
	in := h.fake.Call(caller, dialedTo)
	h.waitFor("bridge", func() bool {
		o := h.fake.Originated()
		return len(o) == 1 && h.fake.Bridged(in, o[0].ID)
	})
	if d := h.fake.DialplanDials(); len(d) != 0 {
		t.Errorf("dialplan dials %+v with BridgeCalls", d)
	}
}

// VMS stopping leaves calls in the engine's dialplan alone: the
// connected call stays up, and its end reaches the next VMS, which
// completes the record; a call that comes back unanswered to the next VMS
// is routed afresh.
func TestDialplanPathRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := enginetest.NewFake()
	f.DialplanDialing = true
	f.SetDestination(endpoint(numA), enginetest.Answers)
	f.SetDestination(endpoint(numB), enginetest.Behavior{Outcome: engine.OutcomeBusy, After: 300 * time.Millisecond})
	f.SetDestination(endpoint(numC), enginetest.Answers)
	tr := tree("d", routing.Node{ID: "d", Type: routing.TypeDialed, Default: "a", Branches: []routing.Branch{{Numbers: []string{numB}, Next: "b"}}},
		number("a", numA, nil), number("b", numB, map[routing.Outcome]string{"busy": "c"}), number("c", numC, nil))
	plan, err := routing.Compile(&tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	routes := &fakeRoutes{routes: map[string]*Route{
		dialed: {TenantID: 7, NumberID: 9, Number: dialed, Plan: plan, Active: true},
		numB:   {TenantID: 7, NumberID: 10, Number: numB, Plan: plan, Active: true},
	}}
	recs := newMemRecords()
	calls := map[engine.ChannelID]engine.CallArrived{}
	eng := inspecting{Fake: f, calls: calls}
	run := func() (*Controller, context.CancelFunc, chan error) {
		c, err := New(Config{Trunk: "PJSIP/{number}@trunk"}, eng, routes, recs, nil)
		if err != nil {
			t.Fatal(err)
		}
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- c.Run(rctx) }()
		return c, cancel, done
	}
	_, cancel1, done1 := run()
	connected := f.Call(caller, dialedTo)
	ringing := f.Call(caller, "3233334444")
	calls[ringing] = engine.CallArrived{Channel: ringing, Caller: caller, Dialed: "3233334444"}
	waitUntil(t, func() bool { ch, _ := f.Channel(connected); return ch.Connected == endpoint(numA) })
	waitUntil(t, func() bool { return len(f.DialplanDials()) == 2 })
	cancel1()
	<-done1
	if ch, _ := f.Channel(connected); ch.State != "up" || ch.Hangup != "" {
		t.Errorf("connected caller %+v after VMS stopped, want left up", ch)
	}
	if r := recs.get(string(connected)); r == nil || r.EndedAt != nil || len(r.Legs) != 1 || r.Legs[0].Destination != numA {
		t.Errorf("record at shutdown %+v, want not ended, with the leg to %s", r, numA)
	}
	// The next VMS: the ringing call comes back busy and is routed
	// afresh; the connected call's end completes its record.
	_, cancel2, done2 := run()
	waitUntil(t, func() bool { ch, _ := f.Channel(ringing); return ch.Connected == endpoint(numC) })
	f.FarEndHangup(connected, engine.CauseNormalClearing)
	f.FarEndHangup(ringing, engine.CauseNormalClearing)
	waitUntil(t, func() bool {
		a, b := recs.get(string(connected)), recs.get(string(ringing))
		return a != nil && a.EndedAt != nil && b != nil && b.EndedAt != nil
	})
	if r := recs.get(string(connected)); r.Outcome != OutcomeAnswered || r.AnsweredAt == nil || r.TenantID != 7 || r.NumberID != 9 ||
		r.Caller != caller || r.Dialed != dialed || len(r.Legs) != 0 {
		t.Errorf("connected call's record %+v, want answered and ended, from %s to %s of tenant 7 number 9 (the legs are in the record saved at shutdown)", r, caller, dialed)
	}
	if r := recs.get(string(ringing)); r.Outcome != OutcomeAnswered || r.Destination != numC {
		t.Errorf("ringing call's record %+v, want answered at %s", r, numC)
	}
	cancel2()
	<-done2
}

// A lost engine connection does not end calls in the engine's dialplan
// (they are not listed as the application's); one whose channel is gone
// meanwhile ends, its answer unknown.
func TestDialplanPathReconnect(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := enginetest.NewFake()
	f.DialplanDialing = true
	f.SetDestination(endpoint(numA), enginetest.Answers)
	tr := tree("a", number("a", numA, nil))
	plan, err := routing.Compile(&tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	routes := &fakeRoutes{routes: map[string]*Route{dialed: {TenantID: 7, NumberID: 9, Number: dialed, Plan: plan, Active: true}}}
	recs := newMemRecords()
	eng := &inspectingMu{Fake: f, calls: map[engine.ChannelID]bool{}}
	c, err := New(Config{Trunk: "PJSIP/{number}@trunk"}, eng, routes, recs, nil)
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(rctx) }()
	defer func() { cancel(); <-done }()
	stays := f.Call(caller, dialedTo)
	gone := f.Call(caller, dialedTo)
	eng.set(stays, true)
	waitUntil(t, func() bool { return len(f.DialplanDials()) == 2 })
	waitUntil(t, func() bool { ch, _ := f.Channel(gone); return ch.Connected != "" })
	f.Reconnect()
	waitUntil(t, func() bool { r := recs.get(string(gone)); return r != nil && r.EndedAt != nil })
	if r := recs.get(string(gone)); r.Outcome != OutcomeFailed || !strings.Contains(pathText(r), "disconnected") {
		t.Errorf("record of the call gone meanwhile %+v, want failed with the reason", r)
	}
	if r := recs.get(string(stays)); r != nil {
		t.Errorf("the call still up has a record %+v already", r)
	}
	f.FarEndHangup(stays, engine.CauseNormalClearing)
	waitUntil(t, func() bool { r := recs.get(string(stays)); return r != nil && r.EndedAt != nil })
	if r := recs.get(string(stays)); r.Outcome != OutcomeAnswered {
		t.Errorf("record %+v, want answered", r)
	}
}

// inspectingMu is a Fake that describes the channels set as existing.
type inspectingMu struct {
	*enginetest.Fake
	mu    sync.Mutex
	calls map[engine.ChannelID]bool
}

func (e *inspectingMu) set(id engine.ChannelID, up bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls[id] = up
}

func (e *inspectingMu) InspectChannel(ctx context.Context, id engine.ChannelID) (engine.CallArrived, bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.calls[id] {
		return engine.CallArrived{}, false, engine.ErrNotFound
	}
	return engine.CallArrived{Channel: id, Dialed: dialedTo}, true, nil
}
