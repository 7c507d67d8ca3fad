package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/vmsplatform/vms/engine"
	"github.com/vmsplatform/vms/routing"
)

// OutboundPrefix starts the ids of the channels VMS originates on its own
// account, outside an inbound call: the calls of outbound campaigns. The
// controller never takes such a channel for a new inbound call: one that
// enters the application unannounced was originated by a VMS process that
// went away and is hung up, and after a lost engine connection it is left
// to the dialer that runs it (see reconnected).
const OutboundPrefix = "vmsout-"

// IsOutbound reports whether id names a channel VMS originated outside an
// inbound call (OutboundPrefix).
func IsOutbound(id engine.ChannelID) bool { return strings.HasPrefix(string(id), OutboundPrefix) }

// Handover is an answered outbound channel that the campaign dialer hands
// to the controller to queue in an ACD group: the called person then waits
// in the group's queue like an inbound caller (music, announcements, the
// group's agents rung by level, overflow), and is bridged with the agent
// who answers.
type Handover struct {
	// Channel is the answered channel; its id starts with OutboundPrefix.
	Channel engine.ChannelID
	// Events holds the channel's events; the controller owns it from now
	// on and closes it when the call ends. Nil subscribes afresh.
	Events *engine.Subscription
	// TenantID and Group (the key routing trees use) name the group.
	TenantID uint
	Group    string
	// Caller is the called person's number (E.164), shown to the agent as
	// the caller; Dialed is the number the call was made from (the
	// campaign's caller id).
	Caller, Dialed string
	// Path is shown to the agent as the routing path (e.g. the campaign
	// and the key pressed).
	Path []string
}

// HandoverResult is what became of a handed-over call, sent once on the
// channel QueueChannel returns.
type HandoverResult struct {
	// Connected is true once an agent answered and was bridged with the
	// person; Agent is the agent's id (acd.AgentID) and At the time.
	Connected bool
	Agent     string
	At        time.Time
	// Outcome is the call's outcome when it ended without an agent
	// (abandoned: the person hung up; or the group's overflow ended it).
	Outcome string
}

// handover follows a handed-over call until its result is known.
type handover struct {
	once sync.Once
	c    chan HandoverResult
}

func (h *handover) send(r HandoverResult) {
	h.once.Do(func() {
		h.c <- r
		close(h.c)
	})
}

// handoverNode is the id of the group node of a handed-over call's tree.
const handoverNode = "queue"

// QueueChannel queues an answered outbound channel in a group of the
// tenant (see Handover). It returns at once; the result arrives on the
// returned channel when an agent answers or when the call ends without
// one. The call then belongs to the controller until it ends, as an
// inbound call does, and lives in Run's context: the end of ctx (the
// caller's) does not end it. QueueChannel fails when Run does not run.
func (c *Controller) QueueChannel(ctx context.Context, h Handover) (<-chan HandoverResult, error) {
	if h.Channel == "" || h.Group == "" {
		return nil, errors.New("controller: queue channel: channel and group are required")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("controller: queue channel: %w", err)
	}
	c.mu.Lock()
	run := c.runCtx
	c.mu.Unlock()
	if run == nil || run.Err() != nil {
		return nil, errors.New("controller: queue channel: the controller does not run")
	}
	tree := routing.Tree{
		ID:    "outbound",
		Start: handoverNode,
		Nodes: []routing.Node{{ID: handoverNode, Label: "group " + h.Group, Type: routing.TypeGroup, Group: h.Group}},
	}
	plan, err := routing.Compile(&tree, routing.RefSet{Groups: map[string]bool{h.Group: true}})
	if err != nil {
		return nil, fmt.Errorf("controller: queue channel in group %q: %w", h.Group, err)
	}
	ev := engine.CallArrived{Channel: h.Channel, Caller: h.Caller, Dialed: h.Dialed, At: time.Now(), Events: h.Events}
	k := newCall(c, run, ev)
	k.answered = true
	k.route = &Route{TenantID: h.TenantID, Number: h.Dialed, TreeID: tree.ID, Plan: plan, Active: true}
	k.rec.TenantID = h.TenantID
	k.rec.TreeID = tree.ID
	k.plan = plan
	for _, p := range h.Path {
		k.step("", p)
	}
	ho := &handover{c: make(chan HandoverResult, 1)}
	k.handover = ho
	c.mu.Lock()
	c.calls[h.Channel] = k
	c.mu.Unlock()
	c.active.Add(1)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer c.active.Add(-1)
		defer func() {
			c.mu.Lock()
			delete(c.calls, h.Channel)
			c.mu.Unlock()
		}()
		defer func() {
			out := k.rec.Outcome
			if out == "" {
				out = OutcomeFailed
			}
			ho.send(HandoverResult{Outcome: out, At: c.cfg.Now()})
		}()
		k.runHandover()
	}()
	return ho.c, nil
}

// runHandover is run for a handed-over call: the group's queue, then the
// call's end.
func (k *call) runHandover() {
	defer k.ev.Close()
	defer k.finish()
	defer func() {
		if p := recover(); p != nil {
			k.log.Error("queued outbound call panicked", slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
			k.rec.Outcome = OutcomeFailed
			k.end(engine.HangupCongestion)
		}
	}()
	err := k.execute(k.plan.Evaluate(k.facts))
	switch {
	case err == nil, errors.Is(err, errCallerGone):
	case errors.Is(err, errStopped):
		k.windDown()
	default:
		k.log.Error("queued outbound call failed", slog.Any("err", err))
		k.rec.Outcome = OutcomeFailed
		k.end(engine.HangupCongestion)
	}
}

// connectedLeg tells the dialer of a handed-over call that an agent
// answered (called by connect once the leg is bridged).
func (k *call) connectedLeg(leg *Leg) {
	if k.handover == nil || !strings.HasPrefix(leg.Destination, "agent:") {
		return
	}
	at := k.c.cfg.Now()
	if leg.AnsweredAt != nil {
		at = *leg.AnsweredAt
	}
	k.handover.send(HandoverResult{Connected: true, Agent: strings.TrimPrefix(leg.Destination, "agent:"), At: at, Outcome: OutcomeAnswered})
}

// DialString returns the engine's dial string of an E.164 number through
// the controller's trunk (Config.DialString or Config.Trunk), for the
// campaign dialer: it calls people the way calls are forwarded.
func (c *Controller) DialString(e164 string) string { return c.dialString(e164) }
