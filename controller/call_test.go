package controller

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vmsplatform/vms/engine"
	"github.com/vmsplatform/vms/engine/enginetest"
	"github.com/vmsplatform/vms/routing"
)

// TRM-2: a number that answers is bridged with the caller, who is answered
// only then; the destination hanging up ends the call.
func TestNumberAnswersAndIsBridged(t *testing.T) {
	t.Parallel()
	h := newHarness(t, tree("a", number("a", numA, nil)))
	h.fake.SetDestination(endpoint(numA), enginetest.Behavior{Outcome: engine.OutcomeNormal, After: 30 * time.Millisecond})
	in := h.fake.Call(caller, dialedTo)
	var leg engine.ChannelID
	h.waitFor("bridge", func() bool {
		for _, r := range h.fake.Originated() {
			if h.fake.Bridged(in, r.ID) {
				leg = r.ID
				return true
			}
		}
		return false
	})
	req := h.leg(endpoint(numA))
	if req.CallerID != caller || req.Originator != in {
		t.Errorf("originate caller id %q originator %q, want %q and %q", req.CallerID, req.Originator, caller, in)
	}
	if req.Timeout < h.c.cfg.DefaultRingTimeout {
		t.Errorf("originate timeout %s shorter than the ring timeout", req.Timeout)
	}
	if ch, _ := h.fake.Channel(in); ch.State != "up" {
		t.Errorf("caller state %q, want up once bridged", ch.State)
	}
	h.fake.FarEndHangup(leg, engine.CauseNormalClearing)
	r := h.record(in)
	if ch, _ := h.fake.Channel(in); ch.Hangup != engine.HangupNormal {
		t.Errorf("caller hung up with %q, want normal", ch.Hangup)
	}
	if r.Outcome != OutcomeAnswered || r.Destination != numA || r.AnsweredAt == nil || r.EndedAt == nil {
		t.Errorf("record %+v, want answered at %s with times", r, numA)
	}
	if r.TenantID != 7 || r.NumberID != 9 || r.Dialed != dialed || r.Caller != caller || r.TreeID != "main" || r.TreeVersion != 2 {
		t.Errorf("record identity %+v", r)
	}
	if len(r.Legs) != 1 || r.Legs[0].Outcome != OutcomeAnswered || r.Legs[0].Destination != numA || r.Legs[0].NodeID != "a" {
		t.Errorf("legs %+v, want one answered leg to %s", r.Legs, numA)
	}
	if len(r.Path) == 0 || r.Path[0].Node != "a" {
		t.Errorf("path %+v, want it to start at node a", r.Path)
	}
}

// The caller is never answered while destinations ring (no charge before
// an answer), and the call never stays up once the caller left.
func TestCallerNotAnsweredWhileRinging(t *testing.T) {
	t.Parallel()
	h := newHarness(t, tree("a", number("a", numA, nil)))
	h.fake.SetDestination(endpoint(numA), enginetest.Behavior{Outcome: engine.OutcomeNoAnswer})
	in := h.fake.Call(caller, dialedTo)
	h.waitFor("originate", func() bool { return len(h.fake.Originated()) == 1 })
	if ch, _ := h.fake.Channel(in); ch.State == "up" {
		t.Fatal("caller answered while the destination rings")
	}
	r := h.record(in)
	if r.Outcome != OutcomeNoAnswer {
		t.Errorf("outcome %q, want no_answer", r.Outcome)
	}
}

// TRM-4: every dynamic outcome leads to its alternative.
func TestDynamicOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		behavior enginetest.Behavior
		want     string // endpoint reached next
		legOut   string
	}{
		{"busy", enginetest.Behavior{Outcome: engine.OutcomeBusy}, numB, OutcomeBusy},
		{"no answer by the ring timeout", enginetest.Behavior{Outcome: engine.OutcomeNoAnswer}, numC, OutcomeNoAnswer},
		{"engine reports no answer", enginetest.Behavior{Outcome: engine.OutcomeNoAnswer, After: time.Millisecond}, numC, OutcomeNoAnswer},
		{"unreachable", enginetest.Behavior{Outcome: engine.OutcomeUnreachable}, numFB, LegUnreachable},
		{"rejected counts as busy", enginetest.Behavior{Outcome: engine.OutcomeRejected}, numB, LegRejected},
		{"originate refused", enginetest.Behavior{Err: engine.ErrInvalid}, numFB, LegUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := tree("a",
				number("a", numA, map[routing.Outcome]string{"busy": "b", "no_answer": "c", "unreachable": "fb"}),
				number("b", numB, nil), number("c", numC, nil), number("fb", numFB, nil))
			h := newHarness(t, tr)
			h.fake.SetDestination(endpoint(numA), tt.behavior)
			for _, n := range []string{numB, numC, numFB} {
				h.fake.SetDestination(endpoint(n), enginetest.Answers)
			}
			in := h.fake.Call(caller, dialedTo)
			var leg engine.ChannelID
			h.waitFor("second leg bridged", func() bool {
				for _, r := range h.fake.Originated() {
					if r.Endpoint == endpoint(tt.want) && h.fake.Bridged(in, r.ID) {
						leg = r.ID
						return true
					}
				}
				return false
			})
			h.fake.FarEndHangup(in, engine.CauseNormalClearing)
			r := h.record(in)
			if ch, _ := h.fake.Channel(leg); ch.Hangup != engine.HangupNormal {
				t.Errorf("bridged leg hung up with %q after the caller left, want normal", ch.Hangup)
			}
			if r.Outcome != OutcomeAnswered || r.Destination != tt.want {
				t.Errorf("record outcome %q destination %q, want answered at %s", r.Outcome, r.Destination, tt.want)
			}
			if tt.behavior.Err == nil {
				if len(r.Legs) != 2 || r.Legs[0].Outcome != tt.legOut || r.Legs[1].Outcome != OutcomeAnswered {
					t.Errorf("legs %+v, want %s then answered", r.Legs, tt.legOut)
				}
			} else if len(r.Legs) != 2 || r.Legs[0].Outcome != LegUnreachable {
				t.Errorf("legs %+v, want a refused originate recorded as unreachable", r.Legs)
			}
			if !strings.Contains(pathText(r), "alternative") {
				t.Errorf("path does not say which alternative was taken:\n%s", pathText(r))
			}
		})
	}
}

// TRM-4: VMS itself hangs up a leg that rings past its ring timeout.
func TestRingTimeoutCancelsLeg(t *testing.T) {
	t.Parallel()
	h := newHarness(t, tree("a", number("a", numA, nil)))
	h.fake.SetDestination(endpoint(numA), enginetest.Behavior{Outcome: engine.OutcomeNoAnswer})
	in := h.fake.Call(caller, dialedTo)
	r := h.record(in)
	leg := h.leg(endpoint(numA)).ID
	if ch, _ := h.fake.Channel(leg); ch.Hangup != engine.HangupNoAnswer {
		t.Errorf("leg hung up with %q, want no_answer by VMS", ch.Hangup)
	}
	if ch, _ := h.fake.Channel(in); ch.Hangup != engine.HangupNormal {
		t.Errorf("caller hung up with %q, want normal (the tree ends)", ch.Hangup)
	}
	if r.Outcome != OutcomeNoAnswer || len(r.Legs) != 1 || r.Legs[0].Outcome != OutcomeNoAnswer {
		t.Errorf("record %+v, want no_answer", r)
	}
}

// The caller hanging up while a destination rings cancels the leg and the
// call is recorded as abandoned.
func TestCallerHangsUpWhileRinging(t *testing.T) {
	t.Parallel()
	tr := tree("a", routing.Node{ID: "a", Type: routing.TypeNumber, Number: numA, RingTimeout: 30})
	h := newHarness(t, tr)
	h.fake.SetDestination(endpoint(numA), enginetest.Behavior{Outcome: engine.OutcomeNoAnswer})
	in := h.fake.Call(caller, dialedTo)
	h.waitFor("originate", func() bool { return len(h.fake.Originated()) == 1 })
	leg := h.fake.Originated()[0].ID
	h.fake.FarEndHangup(in, engine.CauseNormalClearing)
	r := h.record(in)
	ch, _ := h.fake.Channel(leg)
	if ch.State != "down" || ch.Hangup != engine.HangupNormal {
		t.Errorf("ringing leg %+v, want hung up by VMS", ch)
	}
	if r.Outcome != OutcomeAbandoned || r.AnsweredAt != nil || r.EndedAt == nil {
		t.Errorf("record %+v, want abandoned, never answered, ended", r)
	}
	if len(r.Legs) != 1 || r.Legs[0].Outcome != LegCancelled {
		t.Errorf("legs %+v, want one cancelled", r.Legs)
	}
	h.waitFor("no active calls", func() bool { return h.c.ActiveCalls() == 0 })
}

// TRM-2: every kind of destination.
func TestDestinations(t *testing.T) {
	t.Parallel()
	other := tree("x", number("x", numC, nil))
	other.ID = "other"
	otherPlan, err := routing.Compile(&other, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		nodes     []routing.Node
		heard     []string
		hangup    engine.HangupReason // how VMS hung the caller up ("" when bridged)
		bridgedTo string
		outcome   string
		answered  bool
		pathHas   string
	}{
		{name: "announcement then hang-up",
			nodes: []routing.Node{{ID: "s", Type: routing.TypeAnnouncement, Prompt: "closed"}},
			heard: []string{"sound:prompts/closed"}, hangup: engine.HangupNormal, outcome: OutcomeAnnouncement, answered: true,
			pathHas: "announcement ends the call"},
		{name: "announcement then number",
			nodes: []routing.Node{{ID: "s", Type: routing.TypeAnnouncement, Prompt: "welcome", Next: "n"}, number("n", numA, nil)},
			heard: []string{"sound:prompts/welcome"}, bridgedTo: numA, outcome: OutcomeAnswered, answered: true,
			pathHas: "continuing at n"},
		{name: "busy",
			nodes:  []routing.Node{{ID: "s", Type: routing.TypeBusy}},
			hangup: engine.HangupBusy, outcome: OutcomeBusy},
		{name: "hangup",
			nodes:  []routing.Node{{ID: "s", Type: routing.TypeHangup}},
			hangup: engine.HangupNormal, outcome: OutcomeRejected},
		{name: "group without a contact centre: group_closed alternative",
			nodes:     []routing.Node{{ID: "s", Type: routing.TypeGroup, Group: "sales", On: map[routing.Outcome]string{"group_closed": "n"}}, number("n", numA, nil)},
			bridgedTo: numA, outcome: OutcomeAnswered, answered: true, pathHas: "group_closed"},
		{name: "another tree",
			nodes:     []routing.Node{{ID: "s", Type: routing.TypeTree, Tree: "other"}},
			bridgedTo: numC, outcome: OutcomeAnswered, answered: true, pathHas: "now in tree other version 3"},
		{name: "unknown tree goes to the number's fallback",
			nodes:     []routing.Node{{ID: "s", Type: routing.TypeTree, Tree: "missing"}},
			bridgedTo: numFB, outcome: OutcomeAnswered, answered: true, pathHas: "fallback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tree("s", tt.nodes...))
			h.routes.trees["other"] = otherPlan
			for _, n := range []string{numA, numC, numFB} {
				h.fake.SetDestination(endpoint(n), enginetest.Answers)
			}
			in := h.fake.Call(caller, dialedTo)
			if tt.bridgedTo != "" {
				h.waitFor("bridged to "+tt.bridgedTo, func() bool {
					for _, r := range h.fake.Originated() {
						if r.Endpoint == endpoint(tt.bridgedTo) && h.fake.Bridged(in, r.ID) {
							return true
						}
					}
					return false
				})
				h.fake.FarEndHangup(in, engine.CauseNormalClearing)
			}
			r := h.record(in)
			ch, _ := h.fake.Channel(in)
			if tt.hangup != "" && ch.Hangup != tt.hangup {
				t.Errorf("caller hung up with %q, want %q", ch.Hangup, tt.hangup)
			}
			if !slices.Equal(ch.Heard, tt.heard) {
				t.Errorf("caller heard %q, want %q", ch.Heard, tt.heard)
			}
			if r.Outcome != tt.outcome {
				t.Errorf("outcome %q, want %q; path:\n%s", r.Outcome, tt.outcome, pathText(r))
			}
			if !tt.answered && (ch.State == "up" || r.AnsweredAt != nil) {
				t.Errorf("caller answered (state %q) for a call that needs no answer", ch.State)
			}
			if !strings.Contains(pathText(r), tt.pathHas) {
				t.Errorf("path lacks %q:\n%s", tt.pathHas, pathText(r))
			}
		})
	}
}

// TRM-2: voicemail records a message when the engine can record.
func TestVoicemail(t *testing.T) {
	t.Parallel()
	h := newHarness(t, tree("s", routing.Node{ID: "s", Type: routing.TypeVoicemail, MaxSeconds: 60}))
	in := h.fake.Call(caller, dialedTo)
	id := engine.RecordingID("vm-" + string(in))
	// The Fake reports the end of a recording when it is stopped: do what
	// the engine does at the end of the message.
	h.waitFor("recording", func() bool {
		return h.fake.StopRecording(context.Background(), id) == nil
	})
	r := h.record(in)
	if r.Outcome != OutcomeVoicemail {
		t.Errorf("outcome %q, want voicemail", r.Outcome)
	}
	if ch, _ := h.fake.Channel(in); ch.Hangup != engine.HangupNormal {
		t.Errorf("caller hung up with %q, want normal after the message", ch.Hangup)
	}
}

// TRM-3: DTMF menus, one and several digits, retries on no input.
func TestMenu(t *testing.T) {
	t.Parallel()
	menu := routing.Node{ID: "m", Type: routing.TypeMenu, Prompt: "choose", Retries: 1,
		Branches: []routing.Branch{{Digits: "1", Next: "a"}, {Digits: "2", Next: "b"}, {Digits: "31", Next: "c"}},
		Default:  "bye"}
	bye := routing.Node{ID: "bye", Type: routing.TypeBusy}
	tests := []struct {
		name   string
		keys   string
		want   string // number bridged; "" for the default
		prompt int    // times the prompt was played
	}{
		{"one digit", "2", numB, 1},
		{"two digits", "31", numC, 1},
		{"no input twice takes the default", "", "", 2},
		{"invalid digit retries then default", "9", "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tree("m", menu, number("a", numA, nil), number("b", numB, nil), number("c", numC, nil), bye))
			h.fake.HoldPlayback = true
			for _, n := range []string{numA, numB, numC} {
				h.fake.SetDestination(endpoint(n), enginetest.Answers)
			}
			in := h.fake.Call(caller, dialedTo)
			h.waitFor("prompt", func() bool { return len(h.fake.Heard(in)) == 1 })
			if tt.keys != "" {
				h.fake.PressKeys(in, tt.keys) // while the prompt plays
			} else {
				h.fake.FinishPlayback(engine.PlaybackID(string(in) + "-pb1"))
				h.waitFor("prompt again", func() bool { return len(h.fake.Heard(in)) == 2 })
				h.fake.FinishPlayback(engine.PlaybackID(string(in) + "-pb2"))
			}
			if tt.keys == "9" {
				h.waitFor("prompt again", func() bool { return len(h.fake.Heard(in)) == 2 })
				h.fake.FinishPlayback(engine.PlaybackID(string(in) + "-pb2"))
			}
			if tt.want != "" {
				h.waitFor("bridged", func() bool {
					for _, r := range h.fake.Originated() {
						if r.Endpoint == endpoint(tt.want) && h.fake.Bridged(in, r.ID) {
							return true
						}
					}
					return false
				})
				h.fake.FarEndHangup(in, engine.CauseNormalClearing)
			}
			r := h.record(in)
			if got := len(h.fake.Heard(in)); got != tt.prompt {
				t.Errorf("prompt played %d times, want %d", got, tt.prompt)
			}
			if tt.want == "" {
				if ch, _ := h.fake.Channel(in); ch.Hangup != engine.HangupBusy || len(h.fake.Originated()) != 0 {
					t.Errorf("caller %+v, originated %v; want the busy default", ch, h.originatedTo())
				}
			} else if r.Destination != tt.want {
				t.Errorf("destination %q, want %q", r.Destination, tt.want)
			}
		})
	}
}

// TRM-3: office hours follow the injected clock in the tree's time zone.
func TestOfficeHours(t *testing.T) {
	t.Parallel()
	tr := tree("hours",
		routing.Node{ID: "hours", Type: routing.TypeTime, Default: "closed", Branches: []routing.Branch{{
			Label: "office hours", Next: "office",
			Windows: []routing.Window{{Days: []string{"mon-fri"}, From: "08:00", To: "18:00"}},
		}}},
		number("office", numA, nil),
		routing.Node{ID: "closed", Type: routing.TypeAnnouncement, Prompt: "closed"})
	tests := []struct {
		name string
		now  time.Time
		want string
	}{
		{"Thursday 10:00 Brussels", time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), "office"},
		{"Thursday 18:30 Brussels", time.Date(2026, 11, 26, 17, 30, 0, 0, time.UTC), "closed"},
		{"Saturday 10:00 Brussels", time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC), "closed"},
		{"Monday 07:59 Brussels", time.Date(2026, 11, 30, 6, 59, 0, 0, time.UTC), "closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tr)
			h.setNow(tt.now)
			h.fake.SetDestination(endpoint(numA), enginetest.Behavior{Outcome: engine.OutcomeBusy})
			in := h.fake.Call(caller, dialedTo)
			r := h.record(in)
			got := "closed"
			if len(h.fake.Originated()) > 0 {
				got = "office"
			}
			if got != tt.want {
				t.Errorf("went to %s, want %s; path:\n%s", got, tt.want, pathText(r))
			}
			if !r.ArrivedAt.Equal(tt.now) {
				t.Errorf("arrived at %s, want the injected clock %s", r.ArrivedAt, tt.now)
			}
		})
	}
}

// TRM-3: caller-origin and customer-list criteria get the caller's facts.
func TestCallerFacts(t *testing.T) {
	t.Parallel()
	tr := tree("vip",
		routing.Node{ID: "vip", Type: routing.TypeList, Default: "origin", Branches: []routing.Branch{{List: "VIP", Next: "a"}}},
		routing.Node{ID: "origin", Type: routing.TypeCaller, Default: "c", Branches: []routing.Branch{
			{Withheld: true, Next: "busy"},
			{Kinds: []string{"international"}, Next: "busy"},
			{Prefixes: []string{"02"}, Next: "b"},
		}},
		number("a", numA, nil), number("b", numB, nil), number("c", numC, nil),
		routing.Node{ID: "busy", Type: routing.TypeBusy})
	tests := []struct {
		name, caller, want string
	}{
		{"VIP list member", "0477 12 34 56", numA},
		{"Brussels fixed prefix in national form", "022223344", numB},
		{"other Belgian caller", "+3292223344", numC},
		{"international caller", "+33142685300", "busy"},
		{"withheld", "", "busy"},
		{"anonymous", "anonymous", "busy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tr)
			h.routes.routes[dialed].InList = func(list, n string) bool { return list == "VIP" && n == "+32477123456" }
			for _, n := range []string{numA, numB, numC} {
				h.fake.SetDestination(endpoint(n), enginetest.Behavior{Outcome: engine.OutcomeBusy})
			}
			in := h.fake.Call(tt.caller, dialedTo)
			r := h.record(in)
			got := "busy"
			if o := h.fake.Originated(); len(o) > 0 {
				got = "+" + strings.TrimSuffix(strings.TrimPrefix(o[0].Endpoint, "PJSIP/"), "@trunk")
			}
			if got != tt.want {
				t.Errorf("went to %s, want %s; path:\n%s", got, tt.want, pathText(r))
			}
		})
	}
}

// NUM-3: ported-out and unknown numbers are refused with a record; a route
// look-up failure too.
func TestRefusedNumbers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		dialed  string
		setup   func(*harness)
		outcome string
	}{
		{"ported out", dialedTo, func(h *harness) { h.routes.routes[dialed].Active = false }, OutcomeRejected},
		{"unknown number", "3299999999", func(*harness) {}, OutcomeRejected},
		{"routes unavailable", dialedTo, func(h *harness) { h.routes.err = errors.New("database is down") }, OutcomeFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tree("a", number("a", numA, nil)))
			tt.setup(h)
			in := h.fake.Call(caller, tt.dialed)
			r := h.record(in)
			if ch, _ := h.fake.Channel(in); ch.Hangup != engine.HangupCongestion || ch.State == "up" {
				t.Errorf("caller %+v, want refused with congestion, never answered", ch)
			}
			if len(h.fake.Originated()) != 0 {
				t.Errorf("originated %v for a refused call", h.originatedTo())
			}
			if r.Outcome != tt.outcome || len(r.Path) == 0 {
				t.Errorf("record outcome %q path %v, want %q with a reason", r.Outcome, r.Path, tt.outcome)
			}
		})
	}
}

// NUM-5: calls above the concurrent or per-second limit get the overflow
// treatment.
func TestSurgeProtection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		limit  Limit
		hangup engine.HangupReason
		heard  []string
	}{
		{"concurrent, busy", Limit{MaxConcurrent: 1}, engine.HangupBusy, nil},
		{"per second, busy", Limit{CallsPerSecond: 1}, engine.HangupBusy, nil},
		{"concurrent, announcement", Limit{MaxConcurrent: 1, Overflow: OverflowAnnouncement, OverflowPrompt: "full"},
			engine.HangupNormal, []string{"sound:prompts/full"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tree("a", routing.Node{ID: "a", Type: routing.TypeNumber, Number: numA, RingTimeout: 30}))
			h.routes.routes[dialed].Limit = tt.limit
			h.fake.SetDestination(endpoint(numA), enginetest.Behavior{Outcome: engine.OutcomeNoAnswer})
			first := h.fake.Call(caller, dialedTo)
			h.waitFor("first call rings", func() bool { return len(h.fake.Originated()) == 1 })
			second := h.fake.Call(caller, dialedTo)
			r := h.record(second)
			ch, _ := h.fake.Channel(second)
			if r.Outcome != OutcomeOverflow || ch.Hangup != tt.hangup || !slices.Equal(ch.Heard, tt.heard) {
				t.Errorf("second call %+v outcome %q, want overflow hung up %q hearing %q", ch, r.Outcome, tt.hangup, tt.heard)
			}
			if len(h.fake.Originated()) != 1 {
				t.Errorf("originated %v, want only the first call's leg", h.originatedTo())
			}
			h.fake.FarEndHangup(first, engine.CauseNormalClearing)
			h.record(first)
			if tt.limit.MaxConcurrent > 0 {
				// The slot is free again.
				third := h.fake.Call(caller, dialedTo)
				h.waitFor("third call rings", func() bool { return len(h.fake.Originated()) == 2 })
				h.fake.FarEndHangup(third, engine.CauseNormalClearing)
			} else {
				// One second later a token is back.
				h.setNow(h.clock().Add(time.Second))
				third := h.fake.Call(caller, dialedTo)
				h.waitFor("third call rings", func() bool { return len(h.fake.Originated()) == 2 })
				h.fake.FarEndHangup(third, engine.CauseNormalClearing)
			}
		})
	}
}

// A bad rule never crashes a call: a panic while routing sends the call to
// the number's fallback; without a fallback it is hung up.
func TestPanicRecovery(t *testing.T) {
	t.Parallel()
	tr := tree("l", routing.Node{ID: "l", Type: routing.TypeList, Default: "a", Branches: []routing.Branch{{List: "VIP", Next: "a"}}},
		number("a", numA, nil))
	for _, withFallback := range []bool{true, false} {
		name := "no fallback"
		if withFallback {
			name = "fallback"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tr)
			h.routes.routes[dialed].InList = func(string, string) bool { panic("list store exploded") }
			if !withFallback {
				h.routes.routes[dialed].Fallback = ""
			}
			h.fake.SetDestination(endpoint(numFB), enginetest.Answers)
			in := h.fake.Call(caller, dialedTo)
			if withFallback {
				h.waitFor("bridged to the fallback", func() bool {
					o := h.fake.Originated()
					return len(o) == 1 && h.fake.Bridged(in, o[0].ID)
				})
				h.fake.FarEndHangup(in, engine.CauseNormalClearing)
			}
			r := h.record(in)
			if !strings.Contains(pathText(r), "panic: list store exploded") {
				t.Errorf("path does not tell the failure:\n%s", pathText(r))
			}
			if withFallback {
				if r.Outcome != OutcomeAnswered || r.Destination != numFB {
					t.Errorf("record %q at %q, want answered at the fallback", r.Outcome, r.Destination)
				}
			} else if ch, _ := h.fake.Channel(in); ch.Hangup != engine.HangupCongestion || r.Outcome != OutcomeFailed {
				t.Errorf("caller %+v outcome %q, want congestion and failed", ch, r.Outcome)
			}
			// The controller goes on routing calls.
			h.routes.routes[dialed].InList = nil
			h.fake.SetDestination(endpoint(numA), enginetest.Behavior{Outcome: engine.OutcomeBusy})
			next := h.fake.Call(caller, dialedTo)
			if r := h.record(next); r.Outcome != OutcomeBusy {
				t.Errorf("next call outcome %q, want busy", r.Outcome)
			}
		})
	}
}

// Tree hand-overs that loop are stopped by MaxHops; the call then goes to
// the number's fallback.
func TestMaxHops(t *testing.T) {
	t.Parallel()
	h := newHarness(t, tree("s", routing.Node{ID: "s", Type: routing.TypeTree, Tree: "other"}), func(c *Config, _ *harness) { c.MaxHops = 3 })
	other := tree("o", routing.Node{ID: "o", Type: routing.TypeTree, Tree: "main"})
	other.ID = "other"
	p, err := routing.Compile(&other, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.routes.trees["main"] = h.routes.routes[dialed].Plan
	h.routes.trees["other"] = p
	h.fake.SetDestination(endpoint(numFB), enginetest.Behavior{Outcome: engine.OutcomeBusy})
	in := h.fake.Call(caller, dialedTo)
	r := h.record(in)
	if n := strings.Count(pathText(r), "now in tree"); n != 3 {
		t.Errorf("%d hand-overs, want 3; path:\n%s", n, pathText(r))
	}
	if !strings.Contains(pathText(r), "more than 3 hand-overs") || h.leg(endpoint(numFB)).ID == "" {
		t.Errorf("path does not show the bound and the fallback:\n%s", pathText(r))
	}
	if r.Outcome != OutcomeBusy {
		t.Errorf("outcome %q, want busy (the fallback was busy)", r.Outcome)
	}
}

// TRM-8: records reach the store even when it is down for a while, and
// the calls are routed meanwhile.
func TestRecordsRetriedWhileStoreDown(t *testing.T) {
	t.Parallel()
	h := newHarness(t, tree("s", routing.Node{ID: "s", Type: routing.TypeBusy}))
	h.recs.mu.Lock()
	h.recs.failFirst = 2
	h.recs.mu.Unlock()
	in := h.fake.Call(caller, dialedTo)
	h.waitFor("caller hung up busy", func() bool {
		ch, _ := h.fake.Channel(in)
		return ch.Hangup == engine.HangupBusy
	})
	r := h.record(in)
	if r.Outcome != OutcomeBusy {
		t.Errorf("outcome %q, want busy", r.Outcome)
	}
	h.recs.mu.Lock()
	attempts := h.recs.attempts
	h.recs.mu.Unlock()
	if attempts != 3 {
		t.Errorf("%d save attempts, want 3 (two failures, one success)", attempts)
	}
}

// ENG-3: the engine's static fallback follows the routes.
func TestFallbackSync(t *testing.T) {
	t.Parallel()
	h := newHarness(t, tree("a", number("a", numA, nil)))
	h.routes.mu.Lock()
	h.routes.fallbacks = map[string]string{dialed: numFB, numB: numA}
	h.routes.mu.Unlock()
	h.waitFor("fallbacks written", func() bool {
		return h.fake.Fallback(dialedTo) == endpoint(numFB) && h.fake.Fallback("3233334444") == endpoint(numA)
	})
	h.routes.mu.Lock()
	h.routes.fallbacks = map[string]string{dialed: numC}
	h.routes.mu.Unlock()
	h.waitFor("fallbacks updated", func() bool {
		return h.fake.Fallback(dialedTo) == endpoint(numC) && h.fake.Fallback("3233334444") == ""
	})
}

// Shutdown: a bridged call is left up for the next VMS; a call still
// ringing is wound down.
func TestShutdown(t *testing.T) {
	t.Parallel()
	tr := tree("d", routing.Node{ID: "d", Type: routing.TypeDialed, Default: "a", Branches: []routing.Branch{{Numbers: []string{numB}, Next: "r"}}},
		number("a", numA, nil), routing.Node{ID: "r", Type: routing.TypeNumber, Number: numC, RingTimeout: 30})
	h := newHarness(t, tr)
	plan := h.routes.routes[dialed].Plan
	h.routes.routes[numB] = &Route{TenantID: 7, NumberID: 10, Number: numB, TreeID: "main", Plan: plan, Active: true}
	h.fake.SetDestination(endpoint(numA), enginetest.Answers)
	h.fake.SetDestination(endpoint(numC), enginetest.Behavior{Outcome: engine.OutcomeNoAnswer})
	bridged := h.fake.Call(caller, dialedTo)
	ringing := h.fake.Call(caller, "3233334444")
	h.waitFor("one bridged, one ringing", func() bool {
		o := h.fake.Originated()
		return len(o) == 2 && (h.fake.Bridged(bridged, o[0].ID) || h.fake.Bridged(bridged, o[1].ID))
	})
	h.stop()
	if ch, _ := h.fake.Channel(bridged); ch.State != "up" || ch.Bridge == "" {
		t.Errorf("bridged caller %+v, want left up in its bridge", ch)
	}
	if ch, _ := h.fake.Channel(ringing); ch.State != "down" {
		t.Errorf("ringing caller %+v, want wound down", ch)
	}
	if r := h.recs.get(string(ringing)); r == nil || r.Outcome != OutcomeFailed {
		t.Errorf("ringing call record %+v, want failed", r)
	}
	if r := h.recs.get(string(bridged)); r == nil || r.Outcome != OutcomeAnswered || r.EndedAt != nil {
		t.Errorf("bridged call record %+v, want answered, not ended", r)
	}
}

// A restarted VMS takes bridged calls back: they stay up, and the end of
// one side ends the other. Channels without a partner are hung up.
func TestAdoption(t *testing.T) {
	t.Parallel()
	h := newHarness(t, tree("a", number("a", numA, nil)))
	ctx := context.Background()
	// What the previous VMS left in the engine: a caller bridged with its
	// leg, and a lone caller that was still being routed.
	in := h.fake.Call(caller, dialedTo)
	lone := h.fake.Call(caller, dialedTo)
	_ = in
	// The running controller picks these CallArrived up; stop it first
	// and build the scene on a fresh engine instead.
	h.stop()
	f := enginetest.NewFake()
	f.SetDestination("PJSIP/callee@trunk", enginetest.Answers)
	in = f.Call(caller, dialedTo)
	lone = f.Call(caller, dialedTo)
	for range 2 {
		ev, _ := f.Inbox().Next(ctx)
		ev.(engine.CallArrived).Events.Close()
	}
	leg := engine.ChannelID(string(in) + "-leg1")
	must(t, f.Answer(ctx, in))
	must(t, f.Originate(ctx, engine.OriginateRequest{ID: leg, Endpoint: "PJSIP/callee@trunk"}))
	waitUntil(t, func() bool { ch, _ := f.Channel(leg); return ch.State == "up" })
	br := bridgeID(in)
	must(t, f.CreateBridge(ctx, br, engine.BridgeMixing))
	must(t, f.AddToBridge(ctx, br, in))
	must(t, f.AddToBridge(ctx, br, leg))
	for { // drain what the scene reported
		if _, ok := f.Inbox().TryNext(); !ok {
			break
		}
	}

	c, err := New(Config{Trunk: "PJSIP/{number}@trunk"}, f, h.routes, h.recs, nil)
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(rctx) }()
	c.handle(rctx, engine.Reconnected{Adopted: []engine.ChannelID{in, leg, lone}, Bridges: []engine.BridgeID{br}})
	waitUntil(t, func() bool { ch, _ := f.Channel(lone); return ch.State == "down" })
	if ch, _ := f.Channel(in); ch.State != "up" {
		t.Fatalf("adopted bridged caller %+v, want still up", ch)
	}
	if c.ActiveCalls() != 1 {
		t.Errorf("ActiveCalls = %d, want the adopted call", c.ActiveCalls())
	}
	f.FarEndHangup(leg, engine.CauseNormalClearing)
	waitUntil(t, func() bool { ch, _ := f.Channel(in); return ch.State == "down" })
	if ch, _ := f.Channel(in); ch.Hangup != engine.HangupNormal {
		t.Errorf("caller hung up with %q, want normal", ch.Hangup)
	}
	waitUntil(t, func() bool { return c.ActiveCalls() == 0 })
	if m := f.Members(br); len(m) != 0 {
		t.Errorf("bridge still has %v", m)
	}
	cancel()
	<-done
}

// A lost engine connection: a call whose caller vanished meanwhile ends.
func TestResyncAfterReconnect(t *testing.T) {
	t.Parallel()
	h := newHarness(t, tree("a", routing.Node{ID: "a", Type: routing.TypeNumber, Number: numA, RingTimeout: 30}))
	h.fake.SetDestination(endpoint(numA), enginetest.Behavior{Outcome: engine.OutcomeNoAnswer})
	in := h.fake.Call(caller, dialedTo)
	h.waitFor("ringing", func() bool { return len(h.fake.Originated()) == 1 })
	leg := h.fake.Originated()[0].ID
	h.c.handle(context.Background(), engine.Reconnected{Adopted: []engine.ChannelID{leg}})
	r := h.record(in)
	if r.Outcome != OutcomeAbandoned {
		t.Errorf("outcome %q, want abandoned", r.Outcome)
	}
	if ch, _ := h.fake.Channel(leg); ch.State != "down" {
		t.Errorf("leg %+v, want hung up", ch)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// An adopted channel that ended before the adoption subscribed: its
// hang-up reaches the Inbox, and the partner is ended all the same.
func TestAdoptionPartnerGoneEarly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := enginetest.NewFake()
	f.SetDestination("PJSIP/callee@trunk", enginetest.Answers)
	in := f.Call(caller, dialedTo)
	ev, _ := f.Inbox().Next(ctx)
	ev.(engine.CallArrived).Events.Close()
	leg := engine.ChannelID(string(in) + "-leg1")
	must(t, f.Originate(ctx, engine.OriginateRequest{ID: leg, Endpoint: "PJSIP/callee@trunk"}))
	waitUntil(t, func() bool { ch, _ := f.Channel(leg); return ch.State == "up" })
	c, err := New(Config{Trunk: "PJSIP/{number}@trunk"}, f, &fakeRoutes{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.handle(rctx, engine.Reconnected{Adopted: []engine.ChannelID{in, leg}, Bridges: []engine.BridgeID{bridgeID(in)}})
	// The leg's end, as the engine reported it before the subscription.
	c.handle(rctx, engine.ChannelHungup{Channel: leg, Cause: engine.CauseNormalClearing})
	waitUntil(t, func() bool { ch, _ := f.Channel(in); return ch.State == "down" })
	f.FarEndHangup(leg, engine.CauseNormalClearing)
	waitUntil(t, func() bool { return c.ActiveCalls() == 0 })
}

// Prompt names of a tenant's tree are played by their content key; the
// overflow prompt is a key already.
func TestPromptKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t, tree("s", routing.Node{ID: "s", Type: routing.TypeAnnouncement, Prompt: "closed"}))
	h.routes.routes[dialed].PromptKey = func(name string) string { return map[string]string{"closed": "5ha256"}[name] }
	in := h.fake.Call(caller, dialedTo)
	h.record(in)
	if got := h.fake.Heard(in); !slices.Equal(got, []string{"sound:prompts/5ha256"}) {
		t.Errorf("heard %q, want the prompt by its key", got)
	}
}

// A record the store refuses for good is dropped, not retried forever,
// and does not hold up the records after it.
func TestRecordRejected(t *testing.T) {
	t.Parallel()
	h := newHarness(t, tree("s", routing.Node{ID: "s", Type: routing.TypeBusy}))
	h.recs.mu.Lock()
	h.recs.reject = true
	h.recs.mu.Unlock()
	first := h.fake.Call(caller, dialedTo)
	h.waitFor("first record refused", func() bool {
		h.recs.mu.Lock()
		defer h.recs.mu.Unlock()
		return h.recs.attempts >= 1
	})
	h.recs.mu.Lock()
	h.recs.reject = false
	h.recs.mu.Unlock()
	second := h.fake.Call(caller, dialedTo)
	h.record(second)
	h.recs.mu.Lock()
	defer h.recs.mu.Unlock()
	if h.recs.recs[string(first)] != nil || h.recs.attempts != 2 {
		t.Errorf("attempts %d, first record stored %v; want one refused try, then the second saved", h.recs.attempts, h.recs.recs[string(first)] != nil)
	}
}

// inspecting is a Fake that can describe the channels it holds.
type inspecting struct {
	*enginetest.Fake
	calls map[engine.ChannelID]engine.CallArrived
}

func (e inspecting) InspectChannel(ctx context.Context, id engine.ChannelID) (engine.CallArrived, bool, error) {
	ev, ok := e.calls[id]
	if !ok {
		return engine.CallArrived{}, false, engine.ErrNotFound
	}
	ch, _ := e.Fake.Channel(id)
	return ev, ch.State == "up", nil
}

// With an engine that can describe adopted channels, a caller that was
// still being routed when VMS restarted is routed afresh.
func TestAdoptionRoutesAfresh(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := enginetest.NewFake()
	f.SetDestination(endpoint(numA), enginetest.Answers)
	lone := f.Call(caller, dialedTo)
	ev, _ := f.Inbox().Next(ctx)
	arrived := ev.(engine.CallArrived)
	arrived.Events.Close()
	arrived.Events = nil
	eng := inspecting{Fake: f, calls: map[engine.ChannelID]engine.CallArrived{lone: arrived}}
	tr := tree("a", number("a", numA, nil))
	plan, err := routing.Compile(&tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	routes := &fakeRoutes{routes: map[string]*Route{dialed: {Number: dialed, Plan: plan, Active: true}}}
	recs := newMemRecords()
	c, err := New(Config{Trunk: "PJSIP/{number}@trunk"}, eng, routes, recs, nil)
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(rctx) }()
	c.handle(rctx, engine.Reconnected{Initial: true, Adopted: []engine.ChannelID{lone}})
	waitUntil(t, func() bool {
		o := f.Originated()
		return len(o) == 1 && f.Bridged(lone, o[0].ID)
	})
	f.FarEndHangup(lone, engine.CauseNormalClearing)
	waitUntil(t, func() bool { return recs.get(string(lone)) != nil })
	if r := recs.get(string(lone)); r.Outcome != OutcomeAnswered || r.Destination != numA {
		t.Errorf("record %+v, want answered at %s", r, numA)
	}
	cancel()
	<-done
}

// TRM-9: a number at a site marked down is never dialled; the call takes
// the site_down alternative.
func TestSiteDown(t *testing.T) {
	t.Parallel()
	h := newHarness(t, tree("a",
		routing.Node{ID: "a", Type: routing.TypeNumber, Number: numA, Site: "ghent", On: map[routing.Outcome]string{"site_down": "b"}},
		number("b", numB, nil)))
	h.routes.routes[dialed].SitesDown = map[string]bool{"ghent": true}
	h.fake.SetDestination(endpoint(numA), enginetest.Answers)
	h.fake.SetDestination(endpoint(numB), enginetest.Behavior{Outcome: engine.OutcomeBusy})
	in := h.fake.Call(caller, dialedTo)
	r := h.record(in)
	if got := h.originatedTo(); !slices.Equal(got, []string{endpoint(numB)}) {
		t.Errorf("originated %v, want only %s", got, endpoint(numB))
	}
	if !strings.Contains(pathText(r), "marked down") || r.Outcome != OutcomeBusy {
		t.Errorf("outcome %q, path:\n%s", r.Outcome, pathText(r))
	}
}

// The record queue is bounded: with the store down, the oldest records
// go first and the newest are kept.
func TestRecordQueueBounded(t *testing.T) {
	t.Parallel()
	w := newRecordWriter(newMemRecords(), 2, slog.New(slog.DiscardHandler))
	for _, id := range []string{"a", "b", "c"} {
		w.add(&CallRecord{ID: id})
	}
	if w.pending() != 2 || w.queue[0].ID != "b" || w.dropped != 1 {
		t.Errorf("queue %d (first %s), dropped %d; want b and c kept, one dropped", w.pending(), w.queue[0].ID, w.dropped)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.run(ctx); close(done) }()
	fctx, fcancel := context.WithTimeout(context.Background(), 5*time.Second)
	w.flush(fctx)
	fcancel()
	cancel()
	<-done
	if w.pending() != 0 {
		t.Errorf("%d records left after flush", w.pending())
	}
}
