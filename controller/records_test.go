package controller

import (
	"context"
	"testing"
	"time"

	"github.com/vmsplatform/vms/engine"
	"github.com/vmsplatform/vms/engine/enginetest"
)

// TRM-8: a bridged call's record is saved when it is answered (so that it
// survives this process) and again, complete, when it ends.
func TestRecordSavedAtAnswerAndEnd(t *testing.T) {
	t.Parallel()
	h := newHarness(t, tree("a", number("a", numA, nil)))
	h.fake.SetDestination(endpoint(numA), enginetest.Answers)
	in := h.fake.Call(caller, dialedTo)
	h.waitFor("answer-time record", func() bool { return len(h.recs.saves(string(in))) == 1 })
	a := h.recs.saves(string(in))[0]
	if a.Outcome != OutcomeAnswered || a.AnsweredAt == nil || a.EndedAt != nil || a.Destination != numA {
		t.Errorf("answer-time record %+v, want answered at %s, not ended", a, numA)
	}
	if a.TenantID != 7 || a.NumberID != 9 || a.Caller != caller || a.Dialed != dialed || a.TreeID != "main" || len(a.Path) == 0 {
		t.Errorf("answer-time record identity or path %+v", a)
	}
	if len(a.Legs) != 1 || a.Legs[0].Outcome != OutcomeAnswered || a.Legs[0].AnsweredAt == nil || !a.Legs[0].EndedAt.IsZero() {
		t.Errorf("answer-time legs %+v, want the answered leg, not ended", a.Legs)
	}
	leg := h.fake.Originated()[0].ID
	h.fake.FarEndHangup(leg, engine.CauseNormalClearing)
	r := h.record(in)
	if r.Outcome != OutcomeAnswered || r.EndedAt == nil || len(r.Legs) != 1 || r.Legs[0].EndedAt.IsZero() || len(r.Path) < len(a.Path) {
		t.Errorf("final record %+v, want answered and ended with its ended leg", r)
	}
	if n := len(h.recs.saves(string(in))); n != 2 {
		t.Errorf("%d saves, want 2 (answer, end)", n)
	}
	// The answer-time save does not share slices with the final one.
	if a.Legs[0].EndedAt != (time.Time{}) {
		t.Errorf("answer-time leg changed after the save: %+v", a.Legs[0])
	}
}

// bridgedPair builds, on f, what a previous VMS leaves in the engine: a
// caller bridged with its answered leg. It returns the inbound channel,
// the leg, the bridge and the caller's CallArrived.
func bridgedPair(t *testing.T, f *enginetest.Fake) (engine.ChannelID, engine.ChannelID, engine.BridgeID, engine.CallArrived) {
	t.Helper()
	ctx := context.Background()
	f.SetDestination("PJSIP/callee@trunk", enginetest.Answers)
	in := f.Call(caller, dialedTo)
	ev, err := f.Inbox().Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	arrived := ev.(engine.CallArrived)
	arrived.Events.Close()
	arrived.Events = nil
	leg := engine.ChannelID(string(in) + "-leg1")
	must(t, f.Answer(ctx, in))
	must(t, f.Originate(ctx, engine.OriginateRequest{ID: leg, Endpoint: "PJSIP/callee@trunk"}))
	waitUntil(t, func() bool { ch, _ := f.Channel(leg); return ch.State == "up" })
	br := bridgeID(in)
	must(t, f.CreateBridge(ctx, br, engine.BridgeMixing))
	must(t, f.AddToBridge(ctx, br, in))
	must(t, f.AddToBridge(ctx, br, leg))
	for {
		if _, ok := f.Inbox().TryNext(); !ok {
			break
		}
	}
	return in, leg, br, arrived
}

// TRM-8: the VMS that adopted a bridged call after a restart saves its
// record when it ends: answered and ended, with the caller, dialed number,
// arrival, tenant and number when the engine can describe the channel.
func TestAdoptedCallEndSavesRecord(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 26, 8, 59, 30, 0, time.UTC)
	tests := []struct {
		name    string
		inspect bool // the engine is a ChannelInspector
		known   bool // it knows the channel
		routed  bool // the dialed number has a route
		tenant  uint
		caller  string
		dialed  string
		arrival bool // ArrivedAt is the channel's creation
		endedBy string
	}{
		{name: "inspected and routed", inspect: true, known: true, routed: true, tenant: 7, caller: caller, dialed: dialed, arrival: true, endedBy: "leg"},
		{name: "inspected, number no longer routed", inspect: true, known: true, dialed: dialedTo, caller: caller, arrival: true, endedBy: "caller"},
		{name: "inspection fails", inspect: true, endedBy: "leg"},
		{name: "engine cannot inspect", endedBy: "caller"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := enginetest.NewFake()
			in, leg, br, arrived := bridgedPair(t, f)
			arrived.At = at
			var eng engine.Engine = f
			if tt.inspect {
				calls := map[engine.ChannelID]engine.CallArrived{}
				if tt.known {
					calls[in] = arrived
				}
				eng = inspecting{Fake: f, calls: calls}
			}
			routes := &fakeRoutes{routes: map[string]*Route{}}
			if tt.routed {
				routes.routes[dialed] = &Route{TenantID: 7, NumberID: 9, Number: dialed, TreeID: "main", Active: true}
			}
			recs := newMemRecords()
			now := time.Date(2026, 11, 26, 9, 5, 0, 0, time.UTC)
			c, err := New(Config{Trunk: "PJSIP/{number}@trunk", Now: func() time.Time { return now }}, eng, routes, recs, nil)
			if err != nil {
				t.Fatal(err)
			}
			rctx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- c.Run(rctx) }()
			c.handle(rctx, engine.Reconnected{Adopted: []engine.ChannelID{in, leg}, Bridges: []engine.BridgeID{br}})
			waitUntil(t, func() bool { return c.ActiveCalls() == 1 })
			if tt.endedBy == "leg" {
				f.FarEndHangup(leg, engine.CauseNormalClearing)
			} else {
				f.FarEndHangup(in, engine.CauseNormalClearing)
			}
			waitUntil(t, func() bool { return len(recs.saves(string(in))) == 1 })
			cancel()
			<-done
			r := recs.saves(string(in))[0]
			if r.Outcome != OutcomeAnswered || r.EndedAt == nil || r.EndedAt.IsZero() {
				t.Errorf("record %+v, want answered and ended", r)
			}
			if r.TenantID != tt.tenant || r.Caller != tt.caller || r.Dialed != tt.dialed {
				t.Errorf("record tenant %d caller %q dialed %q, want %d %q %q", r.TenantID, r.Caller, r.Dialed, tt.tenant, tt.caller, tt.dialed)
			}
			if tt.routed && r.NumberID != 9 {
				t.Errorf("number id %d, want 9", r.NumberID)
			}
			want := now // the adoption time, when nothing better is known
			if tt.arrival {
				want = at
			}
			if !r.ArrivedAt.Equal(want) {
				t.Errorf("arrived %v, want %v", r.ArrivedAt, want)
			}
			// The adopter knows nothing of the routing: it must not
			// claim a path or legs the store would take for the real ones.
			if len(r.Path) != 0 || len(r.Legs) != 0 || r.AnsweredAt != nil {
				t.Errorf("adopter invented path %v, legs %v or answer %v", r.Path, r.Legs, r.AnsweredAt)
			}
		})
	}
}

// TRM-8 across a restart: a VMS stopping cleanly leaves a bridged call up
// with its record answered and not ended; the next VMS adopts the call
// and saves its end under the same call id.
func TestShutdownThenAdopterSavesEnd(t *testing.T) {
	t.Parallel()
	h := newHarness(t, tree("a", number("a", numA, nil)))
	h.fake.SetDestination(endpoint(numA), enginetest.Answers)
	in := h.fake.Call(caller, dialedTo)
	h.waitFor("bridged", func() bool {
		o := h.fake.Originated()
		return len(o) == 1 && h.fake.Bridged(in, o[0].ID)
	})
	leg := h.fake.Originated()[0].ID
	h.stop()
	first := h.recs.saves(string(in))
	if len(first) == 0 {
		t.Fatal("no record saved by the stopping VMS")
	}
	for i, r := range first {
		if r.Outcome != OutcomeAnswered || r.EndedAt != nil || len(r.Legs) != 1 || r.TenantID != 7 {
			t.Errorf("save %d by the stopping VMS %+v, want answered, not ended, one leg", i, r)
		}
	}

	eng := inspecting{Fake: h.fake, calls: map[engine.ChannelID]engine.CallArrived{
		in: {Channel: in, Caller: caller, Dialed: dialedTo, At: h.clock().Add(-time.Minute)},
	}}
	c, err := New(Config{Trunk: "PJSIP/{number}@trunk"}, eng, h.routes, h.recs, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	c.handle(ctx, engine.Reconnected{Initial: true, Adopted: []engine.ChannelID{in, leg}, Bridges: []engine.BridgeID{bridgeID(in)}})
	waitUntil(t, func() bool { return c.ActiveCalls() == 1 })
	h.fake.FarEndHangup(in, engine.CauseNormalClearing)
	waitUntil(t, func() bool { return len(h.recs.saves(string(in))) == len(first)+1 })
	cancel()
	<-done
	last := h.recs.saves(string(in))[len(first)]
	if last.EndedAt == nil || last.Outcome != OutcomeAnswered || last.TenantID != 7 || last.NumberID != 9 || last.Caller != caller {
		t.Errorf("adopter's record %+v, want the end of the same call", last)
	}
	if ch, _ := h.fake.Channel(leg); ch.State != "down" {
		t.Errorf("leg %+v, want hung up after the caller left", ch)
	}
}
