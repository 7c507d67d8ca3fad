package enginetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vmsplatform/vms/engine"
)

// Target is one engine under test, as the Conformance suite needs it.
type Target struct {
	// Engine is connected: its Inbox already received the initial
	// Reconnected (if the driver sends one) or will; the suite skips it.
	Engine engine.Engine
	// Call places a new inbound call to dialed from caller that enters the
	// VMS application (a CallArrived). Once answered, the caller's side
	// sends the DTMF digits in dtmf (may be empty) and then stays up.
	Call func(ctx context.Context, caller, dialed, dtmf string) error
	// Endpoints to originate to.
	Answers     string // answers at once and stays up
	Busy        string // refuses with user busy (cause 17)
	Unreachable string // fails: congestion, no route, out of order
	NoAnswer    string // rings and never answers
	// Media is a media URI the engine can play, e.g. "sound:beep".
	Media string
}

// Conformance runs the behaviour every engine driver must show against its
// real engine (ENG-1, ENG-2). setup is called once per subtest and must
// return a fresh, connected Target whose resources it cleans up with
// t.Cleanup.
func Conformance(t *testing.T, setup func(t *testing.T) Target) {
	t.Run("InboundAnswerPlayOriginateBridgeHangup", func(t *testing.T) {
		tg := setup(t)
		ctx := testContext(t)
		e := tg.Engine
		in := arrive(t, ctx, tg, "0601020304", "3221234567", "")

		mustDo(t, "answer", e.Answer(ctx, in.Channel))
		expect(t, ctx, in.Events, "inbound answered", func(ev engine.ChannelAnswered) bool { return ev.Channel == in.Channel })

		pb := engine.PlaybackID(uniqueID("pb"))
		mustDo(t, "play", e.Play(ctx, in.Channel, pb, tg.Media))
		fin := expect(t, ctx, in.Events, "playback finished", func(ev engine.PlaybackFinished) bool { return ev.Playback == pb })
		if fin.Channel != in.Channel || fin.Failed {
			t.Errorf("PlaybackFinished = %+v, want channel %s, not failed", fin, in.Channel)
		}

		leg := engine.ChannelID(uniqueID("leg"))
		in.Events.Add(leg)
		mustDo(t, "originate", e.Originate(ctx, engine.OriginateRequest{
			ID: leg, Endpoint: tg.Answers, CallerID: "0601020304", Timeout: 10 * time.Second,
			Originator: in.Channel,
		}))
		expect(t, ctx, in.Events, "leg answered", func(ev engine.ChannelAnswered) bool { return ev.Channel == leg })

		br := engine.BridgeID(uniqueID("br"))
		mustDo(t, "create bridge", e.CreateBridge(ctx, br, engine.BridgeMixing))
		mustDo(t, "add caller", e.AddToBridge(ctx, br, in.Channel))
		mustDo(t, "add leg", e.AddToBridge(ctx, br, leg))
		joined := map[engine.ChannelID]bool{}
		for len(joined) < 2 {
			ev := expect(t, ctx, in.Events, "both joined", func(ev engine.BridgeJoined) bool { return ev.Bridge == br })
			joined[ev.Channel] = true
		}
		if !joined[in.Channel] || !joined[leg] {
			t.Fatalf("joined %v, want %s and %s", joined, in.Channel, leg)
		}

		// The destination hangs up: the leg ends, leaves the bridge, and
		// later commands on it fail with ErrNotFound.
		mustDo(t, "hangup leg", e.Hangup(ctx, leg, engine.HangupNormal))
		expect(t, ctx, in.Events, "leg hung up", func(ev engine.ChannelHungup) bool { return ev.Channel == leg })
		if err := e.Answer(ctx, leg); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("Answer(gone leg) = %v, want ErrNotFound", err)
		}
		mustDo(t, "hangup caller", e.Hangup(ctx, in.Channel, engine.HangupNormal))
		hu := expect(t, ctx, in.Events, "caller hung up", func(ev engine.ChannelHungup) bool { return ev.Channel == in.Channel })
		if hu.At.IsZero() {
			t.Error("ChannelHungup has no time")
		}
		mustDo(t, "destroy bridge", e.DestroyBridge(ctx, br))
	})

	t.Run("CallerIdentityAndDTMF", func(t *testing.T) {
		tg := setup(t)
		ctx := testContext(t)
		in := arrive(t, ctx, tg, "0601020304", "3227654321", "42")
		if in.Caller != "0601020304" || in.Dialed != "3227654321" {
			t.Errorf("CallArrived caller %q dialed %q, want 0601020304 / 3227654321", in.Caller, in.Dialed)
		}
		mustDo(t, "ring", tg.Engine.Ring(ctx, in.Channel))
		mustDo(t, "answer", tg.Engine.Answer(ctx, in.Channel))
		var got string
		for len(got) < 2 {
			ev := expect(t, ctx, in.Events, "dtmf", func(ev engine.DTMFReceived) bool { return ev.Channel == in.Channel })
			got += ev.Digit
		}
		if got != "42" {
			t.Errorf("digits = %q, want 42", got)
		}
		mustDo(t, "hangup", tg.Engine.Hangup(ctx, in.Channel, engine.HangupNormal))
		expect(t, ctx, in.Events, "hung up", func(ev engine.ChannelHungup) bool { return ev.Channel == in.Channel })
	})

	failures := []struct {
		name     string
		endpoint func(Target) string
		timeout  time.Duration
		want     engine.Outcome
	}{
		{"OriginateBusy", func(tg Target) string { return tg.Busy }, 10 * time.Second, engine.OutcomeBusy},
		{"OriginateUnreachable", func(tg Target) string { return tg.Unreachable }, 10 * time.Second, engine.OutcomeUnreachable},
		{"OriginateNoAnswer", func(tg Target) string { return tg.NoAnswer }, time.Second, engine.OutcomeNoAnswer},
	}
	for _, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			tg := setup(t)
			ctx := testContext(t)
			leg := engine.ChannelID(uniqueID("leg"))
			sub := tg.Engine.Subscribe(leg)
			defer sub.Close()
			err := tg.Engine.Originate(ctx, engine.OriginateRequest{
				ID: leg, Endpoint: tc.endpoint(tg), Timeout: tc.timeout,
				CallerID: "VMS <3221234567>", Formats: []string{"ulaw", "alaw"},
				Variables: map[string]string{"VMS_CONFORMANCE": "1"},
			})
			mustDo(t, "originate", err)
			ev := expect(t, ctx, sub, "originate failed", func(ev engine.OriginateFailed) bool { return ev.Channel == leg })
			if ev.Outcome != tc.want {
				t.Errorf("outcome = %s (cause %d %q), want %s", ev.Outcome, ev.Cause, ev.CauseText, tc.want)
			}
		})
	}

	t.Run("CancelRingingLeg", func(t *testing.T) {
		tg := setup(t)
		ctx := testContext(t)
		leg := engine.ChannelID(uniqueID("leg"))
		sub := tg.Engine.Subscribe(leg)
		defer sub.Close()
		mustDo(t, "originate", tg.Engine.Originate(ctx, engine.OriginateRequest{ID: leg, Endpoint: tg.NoAnswer, Timeout: 30 * time.Second}))
		// The leg exists once the engine accepted the originate; hang it up
		// while it rings (the controller cancelling an alternative).
		deadline := time.Now().Add(5 * time.Second)
		for {
			err := tg.Engine.Hangup(ctx, leg, engine.HangupNormal)
			if err == nil {
				break
			}
			if !errors.Is(err, engine.ErrNotFound) || time.Now().After(deadline) {
				t.Fatalf("hangup ringing leg: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		expect(t, ctx, sub, "originate failed", func(ev engine.OriginateFailed) bool { return ev.Channel == leg })
	})

	t.Run("DialInDialplan", func(t *testing.T) {
		tg := setup(t)
		d, ok := tg.Engine.(engine.DialplanDialer)
		if !ok {
			t.Skip("the engine cannot ring destinations in its dialplan")
		}
		ctx := testContext(t)
		in := arrive(t, ctx, tg, "0601020304", "3221234567", "")
		req := engine.DialRequest{Dialed: "+3221234567", Endpoint: tg.Busy, CallerID: "+33601020304", Timeout: 10 * time.Second}
		mustDo(t, "dial busy", d.DialInDialplan(ctx, in.Channel, req))
		ret := expect(t, ctx, in.Events, "back from the dialplan", func(ev engine.ChannelReturned) bool { return ev.Channel == in.Channel })
		if ret.Outcome != engine.OutcomeBusy || ret.Cause != engine.CauseUserBusy {
			t.Errorf("ChannelReturned = %+v, want busy, cause 17", ret)
		}
		// Back under control: a second destination, which answers. The
		// caller hung up then (it may be hung up, not controlled, in the
		// dialplan) ends once: DialplanEnded, or ChannelHungup if the
		// hang-up came before the channel left the application.
		req.Endpoint = tg.Answers
		mustDo(t, "dial answering", d.DialInDialplan(ctx, in.Channel, req))
		time.Sleep(300 * time.Millisecond)
		mustDo(t, "hang up the caller", tg.Engine.Hangup(ctx, in.Channel, engine.HangupNormal))
		end := expect(t, ctx, in.Events, "end reported", func(ev engine.Event) bool {
			switch ev.(type) {
			case engine.DialplanEnded, engine.ChannelHungup:
				return ev.EventChannel() == in.Channel
			}
			return false
		})
		if de, ok := end.(engine.DialplanEnded); ok && de.Dialed != "+3221234567" && de.Dialed != "" {
			t.Errorf("DialplanEnded = %+v, want dialed +3221234567 (or unknown)", de)
		}
		if ev, ok := in.Events.TryNext(); ok {
			t.Errorf("event after the end: %#v", ev)
		}
	})

	t.Run("UnknownChannelOrBridge", func(t *testing.T) {
		tg := setup(t)
		ctx := testContext(t)
		ghost := engine.ChannelID(uniqueID("ghost"))
		for name, err := range map[string]error{
			"answer": tg.Engine.Answer(ctx, ghost),
			"hangup": tg.Engine.Hangup(ctx, ghost, engine.HangupNormal),
			"play":   tg.Engine.Play(ctx, ghost, engine.PlaybackID(uniqueID("pb")), tg.Media),
			// A bridge being destroyed may briefly answer "conflict" on
			// Asterisk, so the unknown bridge is one never created.
			"destroy bridge": tg.Engine.DestroyBridge(ctx, engine.BridgeID(uniqueID("nobridge"))),
		} {
			if !errors.Is(err, engine.ErrNotFound) {
				t.Errorf("%s(unknown) = %v, want ErrNotFound", name, err)
			}
		}
	})
}

var idSeq atomic.Int64

// uniqueID returns an id unique within the process and across runs.
func uniqueID(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e9, idSeq.Add(1))
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustDo(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// arrive places a call and waits for its CallArrived in the Inbox.
func arrive(t *testing.T, ctx context.Context, tg Target, caller, dialed, dtmf string) engine.CallArrived {
	t.Helper()
	if err := tg.Call(ctx, caller, dialed, dtmf); err != nil {
		t.Fatalf("place call: %v", err)
	}
	ca := expect(t, ctx, tg.Engine.Inbox(), "call arrived", func(ev engine.CallArrived) bool { return ev.Dialed == dialed })
	if ca.Events == nil {
		t.Fatal("CallArrived without Events subscription")
	}
	t.Cleanup(ca.Events.Close)
	return ca
}

// expect reads sub until an event of type E matching ok arrives, skipping
// others, and fails the test when ctx ends first.
func expect[E engine.Event](t *testing.T, ctx context.Context, sub *engine.Subscription, what string, ok func(E) bool) E {
	t.Helper()
	var seen []string
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %s: %v; seen: %v", what, err, seen)
		}
		if e, is := ev.(E); is && ok(e) {
			return e
		}
		seen = append(seen, fmt.Sprintf("%T", ev)+strconv.Quote(string(ev.EventChannel())))
	}
}
