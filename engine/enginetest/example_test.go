package enginetest_test

import (
	"context"
	"fmt"

	"github.com/vmsplatform/vms/engine"
	"github.com/vmsplatform/vms/engine/enginetest"
)

// A controller test scripts the destinations, places a call, lets the code
// under test run, then asserts outcomes: what the caller heard and who was
// bridged with whom.
func ExampleFake() {
	ctx := context.Background()
	f := enginetest.NewFake()
	f.SetDestination("PJSIP/0611111111@trunk-out", enginetest.Behavior{Outcome: engine.OutcomeBusy})
	f.SetDestination("PJSIP/0622222222@trunk-out", enginetest.Answers)

	f.Call("0601020304", "3221234567")

	// The code under test would do this, driven by the events.
	ev, _ := f.Inbox().Next(ctx)
	call := ev.(engine.CallArrived)
	_ = f.Answer(ctx, call.Channel)
	_ = f.Play(ctx, call.Channel, "welcome", "sound:http://vms/prompts/welcome.wav")
	for i, dest := range []string{"PJSIP/0611111111@trunk-out", "PJSIP/0622222222@trunk-out"} {
		leg := engine.ChannelID(fmt.Sprintf("leg-%d", i))
		call.Events.Add(leg)
		_ = f.Originate(ctx, engine.OriginateRequest{ID: leg, Endpoint: dest, CallerID: call.Caller})
		if outcome := waitLeg(ctx, call.Events, leg); outcome != engine.OutcomeNormal {
			fmt.Println(dest, outcome)
			continue
		}
		_ = f.CreateBridge(ctx, "b", engine.BridgeMixing)
		_ = f.AddToBridge(ctx, "b", call.Channel)
		_ = f.AddToBridge(ctx, "b", leg)
		break
	}

	fmt.Println("heard:", f.Heard(call.Channel))
	fmt.Println("bridged with 0622222222:", f.Bridged(call.Channel, "leg-1"))
	// Output:
	// PJSIP/0611111111@trunk-out busy
	// heard: [sound:http://vms/prompts/welcome.wav]
	// bridged with 0622222222: true
}

// waitLeg waits until an originated leg answers (OutcomeNormal) or fails.
func waitLeg(ctx context.Context, sub *engine.Subscription, leg engine.ChannelID) engine.Outcome {
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			return engine.OutcomeUnreachable
		}
		switch ev := ev.(type) {
		case engine.ChannelAnswered:
			if ev.Channel == leg {
				return engine.OutcomeNormal
			}
		case engine.OriginateFailed:
			if ev.Channel == leg {
				return ev.Outcome
			}
		}
	}
}
