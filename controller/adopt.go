package controller

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/vmsplatform/vms/engine"
)

// reconnected takes back the calls the engine still holds for VMS after a
// restart of VMS or a lost engine connection.
//
// Calls this process still runs keep running (their goroutines see their
// events again). Of the other adopted channels:
//   - a caller and its destination leg that share their call's bridge
//     (named after the inbound channel, see bridgeID) stay up: the pair is
//     watched, and when either side hangs up the other is hung up and the
//     bridge destroyed. The process that routed the call saved its record
//     when the call was answered (and again, still not ended, if it
//     stopped cleanly); the adopter completes that record with the end
//     (see adoptedRecord). The store merges the two (Records).
//   - a caller that was still being routed is routed afresh from its tree
//     when the engine can describe it (ChannelInspector: caller, dialed
//     number, answered or not); otherwise it is hung up with congestion so
//     that the caller's network may retry.
//   - any other channel is hung up: a destination leg whose caller is
//     gone, or a bridge half whose partner is gone.
func (c *Controller) reconnected(ctx context.Context, ev engine.Reconnected) {
	held := make(map[engine.ChannelID]bool, len(ev.Adopted))
	for _, id := range ev.Adopted {
		held[id] = true
	}
	c.mu.Lock()
	if !ev.Initial {
		// Events were lost while the connection was down: tell each
		// running call which of its channels are still there.
		for _, k := range c.calls {
			select {
			case k.resync <- held:
			default:
			}
		}
	}
	mine := func(id engine.ChannelID) bool {
		in := inboundOf(id)
		_, running := c.calls[in]
		return running || c.adopted[id]
	}
	var free []engine.ChannelID
	for _, id := range ev.Adopted {
		if IsOutbound(id) && !ev.Initial && !mine(id) {
			// An outbound call of this process's dialer, not handed
			// over yet: the dialer ends it itself.
			continue
		}
		if !mine(id) {
			free = append(free, id)
		}
	}
	c.mu.Unlock()
	if len(free) == 0 {
		return
	}
	bridges := make(map[engine.BridgeID]bool, len(ev.Bridges))
	for _, b := range ev.Bridges {
		bridges[b] = true
	}
	paired := map[engine.ChannelID]bool{}
	for _, id := range free {
		if isLeg(id) || !bridges[bridgeID(id)] {
			continue
		}
		var leg engine.ChannelID
		for _, other := range free {
			if isLeg(other) && inboundOf(other) == id {
				leg = other
			}
		}
		if leg == "" {
			continue
		}
		paired[id], paired[leg] = true, true
		c.adopt(ctx, id, leg)
	}
	insp, canInspect := c.eng.(ChannelInspector)
	for _, id := range free {
		if paired[id] {
			continue
		}
		if canInspect && !isLeg(id) && !IsOutbound(id) && !bridges[bridgeID(id)] {
			cctx, cancel := c.cmdCtx(ctx)
			ev, answered, err := insp.InspectChannel(cctx, id)
			cancel()
			if err == nil && ev.Channel == id {
				c.log.Info("adopted an inbound call that was still being routed; routing it afresh", slog.String("channel", string(id)))
				ev.Events = c.eng.Subscribe(id)
				c.startCall(ctx, ev, answered)
				continue
			}
			c.log.Warn("inspect adopted channel", slog.String("channel", string(id)), slog.Any("err", err))
		}
		c.log.Warn("adopted channel has no partner; hanging it up", slog.String("channel", string(id)))
		c.background(func() {
			cctx, cancel := c.cmdCtx(ctx)
			defer cancel()
			if err := c.eng.Hangup(cctx, id, engine.HangupCongestion); err != nil && !errors.Is(err, engine.ErrNotFound) {
				c.log.Warn("hang up adopted channel", slog.String("channel", string(id)), slog.Any("err", err))
			}
			if !isLeg(id) && bridges[bridgeID(id)] {
				c.destroyBridge(ctx, bridgeID(id))
			}
		})
	}
}

// reroute routes afresh a channel that came back from the engine's
// dialplan with no call goroutine to take it (one that stopped meanwhile),
// or hangs it up when the engine cannot describe it.
func (c *Controller) reroute(ctx context.Context, id engine.ChannelID) {
	if insp, ok := c.eng.(ChannelInspector); ok {
		cctx, cancel := c.cmdCtx(ctx)
		ev, answered, err := insp.InspectChannel(cctx, id)
		cancel()
		if err == nil && ev.Channel == id {
			c.log.Info("a call came back from the engine's dialplan to no one; routing it afresh", slog.String("channel", string(id)))
			ev.Events = c.eng.Subscribe(id)
			c.startCall(ctx, ev, answered)
			return
		}
	}
	c.log.Warn("a call came back from the engine's dialplan to no one; hanging it up", slog.String("channel", string(id)))
	c.background(func() {
		cctx, cancel := c.cmdCtx(ctx)
		defer cancel()
		_ = c.eng.Hangup(cctx, id, engine.HangupCongestion)
	})
}

// dialplanEnded records the end of a call that the engine's dialplan
// connected or rang for a VMS process that is gone (this one restarted
// meanwhile): the record has what the engine reports (answered or not,
// for how long, caller, dialed number and its tenant); the store
// completes the record the earlier process saved with it, when it saved
// one (a clean stop does, a crash does not) (TRM-8).
func (c *Controller) dialplanEnded(ctx context.Context, ev engine.DialplanEnded) {
	end := c.cfg.Now()
	rec := &CallRecord{ID: string(ev.Channel), Dialed: ev.Dialed, ArrivedAt: end.Add(-ev.Dialing), EndedAt: &end, Outcome: OutcomeAbandoned}
	rec.Caller, _ = callerNumber(ev.Caller, c.cfg.Region)
	if ev.Answered {
		at := end.Add(-ev.Talk)
		rec.AnsweredAt, rec.Outcome = &at, OutcomeAnswered
		if at.Before(rec.ArrivedAt) {
			rec.ArrivedAt = at
		}
	}
	if ev.Dialed != "" {
		cctx, cancel := c.cmdCtx(ctx)
		r, err := c.routes.Route(cctx, ev.Dialed)
		cancel()
		if err == nil && r != nil {
			rec.TenantID, rec.NumberID, rec.Dialed = r.TenantID, r.NumberID, r.Number
		}
	}
	c.log.Info("a call the engine's dialplan connected for an earlier VMS ended", slog.String("call_id", rec.ID),
		slog.String("outcome", rec.Outcome))
	c.records.add(rec)
}

// background runs engine clean-up off the Inbox goroutine, so that new
// calls are not held up by it; Run waits for it.
func (c *Controller) background(f func()) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
}

// ChannelInspector is implemented by engines that can describe a channel
// they still hold for VMS. With it, an inbound call adopted while still
// being routed is routed afresh instead of hung up.
type ChannelInspector interface {
	// InspectChannel returns the channel as the CallArrived it was
	// (Caller, Dialed, Args; Events left nil) and whether it is answered.
	InspectChannel(ctx context.Context, id engine.ChannelID) (engine.CallArrived, bool, error)
}

// adopt watches a bridged pair that survived a restart until one side
// hangs up.
func (c *Controller) adopt(ctx context.Context, in, leg engine.ChannelID) {
	sub := c.eng.Subscribe(in, leg)
	c.mu.Lock()
	c.adopted[in], c.adopted[leg] = true, true
	c.partners[in], c.partners[leg] = leg, in
	c.mu.Unlock()
	c.active.Add(1)
	c.wg.Add(1)
	log := c.log.With(slog.String("call_id", string(in)))
	log.Info("adopted a bridged call after reconnecting", slog.String("leg", string(leg)))
	go func() {
		defer c.wg.Done()
		defer c.active.Add(-1)
		defer sub.Close()
		defer func() {
			c.mu.Lock()
			delete(c.adopted, in)
			delete(c.adopted, leg)
			delete(c.partners, in)
			delete(c.partners, leg)
			c.mu.Unlock()
		}()
		defer func() {
			if p := recover(); p != nil {
				log.Error("adopted call panicked", slog.Any("panic", p))
			}
		}()
		rec := c.adoptedRecord(ctx, in)
		for {
			ev, err := sub.Next(ctx)
			if err != nil {
				return // shutdown: leave the pair to the engine again
			}
			h, ok := ev.(engine.ChannelHungup)
			if !ok {
				continue
			}
			other := leg
			if h.Channel == leg {
				other = in
			}
			cctx, cancel := c.cmdCtx(ctx)
			if err := c.eng.Hangup(cctx, other, engine.HangupNormal); err != nil && !errors.Is(err, engine.ErrNotFound) {
				log.Warn("hang up adopted partner", slog.Any("err", err))
			}
			cancel()
			c.destroyBridge(ctx, bridgeID(in))
			end := h.At
			if end.IsZero() {
				end = c.cfg.Now()
			}
			rec.EndedAt = &end
			log.Info("adopted call ended", slog.String("by", string(h.Channel)), slog.Time("at", end))
			c.records.add(rec)
			return
		}
	}()
}

// adoptedRecord returns what the adopter knows of the call record of an
// adopted bridged call whose inbound channel is in (TRM-8): answered, and
// when the engine can describe the channel (ChannelInspector) its caller,
// dialed number and creation time, with the tenant and number of the
// dialed number's route. It has no path, legs or answer time: those come
// from the record the routing process saved at answer, which the store
// completes with this one. Without either, the record still says that
// the call existed, when it ended and that it was answered.
func (c *Controller) adoptedRecord(ctx context.Context, in engine.ChannelID) *CallRecord {
	rec := &CallRecord{ID: string(in), ArrivedAt: c.cfg.Now(), Outcome: OutcomeAnswered}
	insp, ok := c.eng.(ChannelInspector)
	if !ok {
		return rec
	}
	cctx, cancel := c.cmdCtx(ctx)
	defer cancel()
	ev, _, err := insp.InspectChannel(cctx, in)
	if err != nil {
		c.log.Warn("inspect adopted call; its record will lack caller and tenant", slog.String("call_id", string(in)), slog.Any("err", err))
		return rec
	}
	if !ev.At.IsZero() {
		rec.ArrivedAt = ev.At
	}
	rec.Caller, _ = callerNumber(ev.Caller, c.cfg.Region)
	rec.Dialed = ev.Dialed
	r, err := c.routes.Route(cctx, ev.Dialed)
	switch {
	case err == nil && r != nil:
		rec.TenantID, rec.NumberID, rec.Dialed = r.TenantID, r.NumberID, r.Number
	case err != nil && !errors.Is(err, ErrNoRoute):
		c.log.Warn("look up the route of an adopted call; its record will lack the tenant", slog.String("call_id", string(in)), slog.Any("err", err))
	}
	return rec
}

func (c *Controller) destroyBridge(ctx context.Context, b engine.BridgeID) {
	cctx, cancel := c.cmdCtx(ctx)
	defer cancel()
	if err := c.eng.DestroyBridge(cctx, b); err != nil && !errors.Is(err, engine.ErrNotFound) {
		c.log.Warn("destroy bridge", slog.String("bridge", string(b)), slog.Any("err", err))
	}
}

// legMark separates a leg's id from its inbound channel's id.
const legMark = "-leg"

// isLeg reports whether id names an outbound leg VMS originated.
func isLeg(id engine.ChannelID) bool { return strings.Contains(string(id), legMark) }

// inboundOf returns the inbound channel a leg belongs to (id itself for
// an inbound channel).
func inboundOf(id engine.ChannelID) engine.ChannelID {
	if i := strings.LastIndex(string(id), legMark); i >= 0 {
		return id[:i]
	}
	return id
}
