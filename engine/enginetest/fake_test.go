package enginetest

import (
	"context"
	"testing"
	"time"

	"github.com/vmsplatform/vms/engine"
)

func fakeTarget(t *testing.T) Target {
	f := NewFake()
	f.DialplanDialing = true
	f.SetDestination("answer", Answers)
	f.SetDestination("busy", Behavior{Outcome: engine.OutcomeBusy})
	f.SetDestination("ring", Behavior{Outcome: engine.OutcomeNoAnswer})
	return Target{
		Engine: f,
		Call: func(ctx context.Context, caller, dialed, dtmf string) error {
			ch := f.Call(caller, dialed)
			if dtmf != "" {
				go func() {
					// The caller presses keys once answered, like a person.
					deadline := time.Now().Add(5 * time.Second)
					for time.Now().Before(deadline) {
						if c, _ := f.Channel(ch); c.State == "up" {
							f.PressKeys(ch, dtmf)
							return
						}
						time.Sleep(5 * time.Millisecond)
					}
				}()
			}
			return nil
		},
		Answers:     "answer",
		Busy:        "busy",
		Unreachable: "nowhere",
		NoAnswer:    "ring",
		Media:       "sound:beep",
	}
}

// The Fake must behave like the real engines, or controller tests built on
// it prove nothing.
func TestFakeConformance(t *testing.T) {
	Conformance(t, fakeTarget)
}

func TestFakeRecordsOutcomes(t *testing.T) {
	ctx := context.Background()
	f := NewFake()
	f.SetDestination("PJSIP/100@trunk", Behavior{Outcome: engine.OutcomeBusy})
	f.SetDestination("PJSIP/200@trunk", Answers)
	in := f.Call("0601020304", "3221234567")
	ca := expect(t, ctx, f.Inbox(), "arrival", func(ev engine.CallArrived) bool { return true })
	sub := ca.Events
	mustDo(t, "answer", f.Answer(ctx, in))
	mustDo(t, "play", f.Play(ctx, in, "p1", "sound:http://vms/prompts/welcome.wav"))
	sub.Add("leg1", "leg2")
	mustDo(t, "originate 1", f.Originate(ctx, engine.OriginateRequest{ID: "leg1", Endpoint: "PJSIP/100@trunk", CallerID: "0601020304"}))
	busy := expect(t, ctx, sub, "busy", func(ev engine.OriginateFailed) bool { return ev.Channel == "leg1" })
	if busy.Outcome != engine.OutcomeBusy || busy.Cause != 17 {
		t.Errorf("leg1 failure = %+v, want busy cause 17", busy)
	}
	mustDo(t, "originate 2", f.Originate(ctx, engine.OriginateRequest{ID: "leg2", Endpoint: "PJSIP/200@trunk", CallerID: "0601020304"}))
	expect(t, ctx, sub, "answer", func(ev engine.ChannelAnswered) bool { return ev.Channel == "leg2" })
	mustDo(t, "bridge", f.CreateBridge(ctx, "b", engine.BridgeMixing))
	mustDo(t, "add in", f.AddToBridge(ctx, "b", in))
	mustDo(t, "add leg", f.AddToBridge(ctx, "b", "leg2"))

	if got := f.Heard(in); len(got) != 1 || got[0] != "sound:http://vms/prompts/welcome.wav" {
		t.Errorf("caller heard %v", got)
	}
	if !f.Bridged(in, "leg2") || f.Bridged(in, "leg1") {
		t.Errorf("bridged: leg2 %v leg1 %v, want true false", f.Bridged(in, "leg2"), f.Bridged(in, "leg1"))
	}
	orig := f.Originated()
	if len(orig) != 2 || orig[0].Endpoint != "PJSIP/100@trunk" || orig[1].CallerID != "0601020304" {
		t.Errorf("originated %+v", orig)
	}

	// The caller hangs up: it leaves the bridge, its subscription gets the
	// final event, and the channel is released from routing.
	f.FarEndHangup(in, engine.CauseNormalClearing)
	expect(t, ctx, sub, "left", func(ev engine.BridgeLeft) bool { return ev.Channel == in })
	expect(t, ctx, sub, "hungup", func(ev engine.ChannelHungup) bool { return ev.Channel == in })
	if got := f.Members("b"); len(got) != 1 || got[0] != "leg2" {
		t.Errorf("bridge members %v, want [leg2]", got)
	}
}

func TestFakeNoAnswerUsesInjectedTimer(t *testing.T) {
	ctx := context.Background()
	f := NewFake()
	var fire func()
	f.AfterFunc = func(d time.Duration, fn func()) func() bool {
		if d == 25*time.Second {
			fire = fn
		} else {
			go fn()
		}
		return func() bool { return true }
	}
	f.SetDestination("ring", Behavior{Outcome: engine.OutcomeNoAnswer})
	sub := f.Subscribe("leg")
	mustDo(t, "originate", f.Originate(ctx, engine.OriginateRequest{ID: "leg", Endpoint: "ring", Timeout: 25 * time.Second}))
	expect(t, ctx, sub, "ringing", func(ev engine.ChannelRinging) bool { return true })
	if sub.Len() != 0 || fire == nil {
		t.Fatalf("before the timeout: %d queued events, timer set %v", sub.Len(), fire != nil)
	}
	fire()
	ev := expect(t, ctx, sub, "no answer", func(ev engine.OriginateFailed) bool { return true })
	if ev.Outcome != engine.OutcomeNoAnswer {
		t.Errorf("outcome %s, want no_answer", ev.Outcome)
	}
}
