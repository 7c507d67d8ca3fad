package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vmsplatform/vms/center"
	"github.com/vmsplatform/vms/engine"
	"github.com/vmsplatform/vms/engine/enginetest"
)

// answeredOutbound originates an outbound channel (as the campaign dialer
// does) to an answering destination and returns it answered, with its
// subscription.
func answeredOutbound(t *testing.T, a *acdHarness, id engine.ChannelID) *engine.Subscription {
	t.Helper()
	a.fake.SetDestination("PJSIP/person", enginetest.Answers)
	sub := a.fake.Subscribe(id)
	if err := a.fake.Originate(context.Background(), engine.OriginateRequest{ID: id, Endpoint: "PJSIP/person"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("outbound channel not answered: %v", err)
		}
		if _, ok := ev.(engine.ChannelAnswered); ok {
			return sub
		}
	}
}

// An outbound channel handed over waits in the group like an inbound
// caller and is bridged with the agent who answers; the result names the
// agent, and the call leaves a record.
func TestQueueChannelConnectsAgent(t *testing.T) {
	t.Parallel()
	a := newACD(t, salesTree(), nil, phoneHigh)
	a.login(agentHigh)
	a.fake.SetDestination(phoneHigh, enginetest.Behavior{Outcome: engine.OutcomeNormal, After: 30 * time.Millisecond})
	ch := engine.ChannelID(OutboundPrefix + "1-2-1")
	sub := answeredOutbound(t, a, ch)
	res, err := a.c.QueueChannel(context.Background(), Handover{
		Channel: ch, Events: sub, TenantID: 7, Group: "sales", Caller: "+32475000001", Dialed: "+3225550000",
		Path: []string{"campaign test: pressed 1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-res:
		if !r.Connected || r.Agent != "12" {
			t.Fatalf("result %+v, want connected to agent 12", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no result")
	}
	leg := a.bridgedLeg(ch, phoneHigh)
	if req := a.leg(phoneHigh); req.CallerID != "+32475000001" {
		t.Errorf("agent sees caller %q, want the called person", req.CallerID)
	}
	s := a.agent(agentHigh)
	if s.Call == nil || s.Call.Info.From != "+32475000001" || !strings.Contains(strings.Join(s.Call.Info.Path, "\n"), "pressed 1") {
		t.Errorf("agent's call %+v, want the person and the campaign path", s.Call)
	}
	a.fake.FarEndHangup(leg, engine.CauseNormalClearing)
	r := a.record(ch)
	if r.Outcome != OutcomeAnswered || r.Destination != "agent:12" || r.TenantID != 7 {
		t.Errorf("record %+v, want answered by agent:12 for tenant 7", r)
	}
}

// A handed-over call that nobody can take (no agent logged in) ends
// without an agent: the result says so and the channel is hung up.
func TestQueueChannelClosedGroup(t *testing.T) {
	t.Parallel()
	a := newACD(t, salesTree(), func(g *center.Group) {}, phoneHigh)
	ch := engine.ChannelID(OutboundPrefix + "1-3-1")
	sub := answeredOutbound(t, a, ch)
	res, err := a.c.QueueChannel(context.Background(), Handover{Channel: ch, Events: sub, TenantID: 7, Group: "sales", Caller: "+32475000002"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-res:
		if r.Connected {
			t.Fatalf("result %+v, want not connected", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no result")
	}
	a.waitFor("outbound channel hung up", func() bool {
		c, _ := a.fake.Channel(ch)
		return c.State == "down"
	})
}

// An outbound channel that enters the application unannounced (its
// dialer went away) is hung up, not routed as an inbound call.
func TestOrphanOutboundChannelHungUp(t *testing.T) {
	t.Parallel()
	a := newACD(t, salesTree(), nil)
	ch := engine.ChannelID(OutboundPrefix + "9-9-1")
	a.fake.SetDestination("PJSIP/person", enginetest.Answers)
	// Nobody subscribed: the answer reaches the Inbox like an unknown
	// channel; a CallArrived of such a channel is hung up.
	if err := a.fake.Originate(context.Background(), engine.OriginateRequest{ID: ch, Endpoint: "PJSIP/person"}); err != nil {
		t.Fatal(err)
	}
	a.c.handle(context.Background(), engine.CallArrived{Channel: ch, Dialed: "s"})
	a.waitFor("orphan hung up", func() bool {
		c, _ := a.fake.Channel(ch)
		return c.State == "down"
	})
	if n := a.c.ActiveCalls(); n != 0 {
		t.Errorf("%d calls run, want none", n)
	}
}

// After a lost engine connection, an outbound channel this process's
// dialer still runs is left to it; at the first connection of a process,
// one left by an earlier process is hung up (never routed as a caller).
func TestReconnectedOutboundChannels(t *testing.T) {
	t.Parallel()
	a := newACD(t, salesTree(), nil)
	mine := engine.ChannelID(OutboundPrefix + "1-4-1")
	sub := answeredOutbound(t, a, mine)
	defer sub.Close()
	a.fake.Reconnect(mine)
	a.waitFor("reconnect handled", func() bool { return a.fake.Inbox().Len() == 0 })
	old := engine.ChannelID(OutboundPrefix + "1-5-1")
	if err := a.fake.Originate(context.Background(), engine.OriginateRequest{ID: old, Endpoint: "PJSIP/person"}); err != nil {
		t.Fatal(err)
	}
	a.c.handle(context.Background(), engine.Reconnected{Initial: true, Adopted: []engine.ChannelID{old}})
	a.waitFor("old outbound channel hung up", func() bool {
		c, _ := a.fake.Channel(old)
		return c.State == "down"
	})
	if c, _ := a.fake.Channel(mine); c.State != "up" {
		t.Errorf("the dialer's channel is %s after a reconnect, want up", c.State)
	}
	if n := a.c.ActiveCalls(); n != 0 {
		t.Errorf("%d calls run, want none", n)
	}
}
