package controller

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/vmsplatform/vms/acd"
	"github.com/vmsplatform/vms/center"
	"github.com/vmsplatform/vms/engine"
	"github.com/vmsplatform/vms/routing"
)

// Queue is the contact centre the controller queues callers in when a
// routing tree sends them to a group (ACM-2..ACM-4). *center.Service
// implements it.
type Queue interface {
	// Group resolves a group of a tenant by the key routing trees use.
	Group(tenantID uint, key string) (center.Group, bool)
	// EnqueueCall puts a caller in a group's queue; a non-empty outcome
	// means it was refused at once (the ticket is then nil).
	EnqueueCall(id acd.ContactID, g acd.GroupID, info center.ContactInfo) (*center.Ticket, acd.Outcome, error)
	// Answered, NoAnswer, Abandon and Ended report what became of an
	// offer and of the call.
	Answered(id acd.ContactID) error
	NoAnswer(id acd.ContactID) error
	Abandon(id acd.ContactID) error
	Ended(id acd.ContactID) error
	// Position gives a waiting caller's place and expected wait, for the
	// periodic announcements.
	Position(id acd.ContactID) (acd.Wait, error)
}

// AgentFormats are the codecs offered to agents' phones, in order: WebRTC
// softphones need opus, and without a list Asterisk offers PCMU first,
// which the browser keeps.
var AgentFormats = []string{"opus", "ulaw"}

// queued is the state of a caller waiting in a group.
type queued struct {
	id      acd.ContactID
	group   center.Group
	node    *routing.Node
	ticket  *center.Ticket
	hold    engine.BridgeID // the holding bridge, "" once left
	moh     bool            // music on hold was started
	leg     int             // index of the group's leg in the record
	since   time.Time       // clock of the controller (records)
	started time.Time       // wall clock (announcement timer)
	// announcing is the position announcement playing now, if any.
	announcing engine.PlaybackID
	settled    bool // the center knows the end (answered+ended, abandoned, overflowed)
}

// queue carries out a group destination (ACM-2..4, TRM-4): the caller
// waits in the group's queue with music on hold and position
// announcements until an agent answers (the call is then bridged with
// the agent) or the center overflows it to the node's alternative.
func (k *call) queue(n *routing.Node) (*routing.Decision, error) {
	k.rec.Destination = "group:" + n.Group
	q := k.c.cfg.Queue
	if q == nil {
		// No contact centre in this process: the group is closed and the
		// call takes the group_closed alternative (TRM-4).
		k.step(n.ID, "no contact centre runs in this VMS; group "+n.Group+" counts as closed")
		return k.alternative(n, routing.OutcomeGroupClosed)
	}
	g, ok := q.Group(k.route.TenantID, n.Group)
	if !ok {
		k.step(n.ID, "group "+n.Group+" does not exist; it counts as closed")
		return k.alternative(n, routing.OutcomeGroupClosed)
	}
	k.queueSeq++
	id := acd.ContactID(k.in)
	if k.queueSeq > 1 {
		id = acd.ContactID(string(k.in) + "-q" + strconv.Itoa(k.queueSeq))
	}
	ticket, outcome, err := q.EnqueueCall(id, g.ID, center.ContactInfo{
		TenantID: k.route.TenantID, From: k.rec.Caller, To: k.rec.Dialed, Path: k.pathLines(),
	})
	if err != nil {
		k.log.Warn("enqueue call", slog.String("group", n.Group), slog.Any("err", err))
		k.step(n.ID, "group "+n.Group+" could not take the call ("+err.Error()+")")
		return k.alternative(n, routing.OutcomeUnreachable)
	}
	if outcome != "" || ticket == nil {
		if outcome == "" {
			outcome = acd.OutcomeClosed
		}
		k.step(n.ID, "group "+groupName(g)+" refused the call: "+string(outcome))
		return k.alternative(n, routing.Outcome(outcome))
	}
	w := &queued{id: id, group: g, node: n, ticket: ticket, since: k.c.cfg.Now(), started: time.Now()}
	k.rec.Legs = append(k.rec.Legs, Leg{Destination: "group:" + n.Group, NodeID: n.ID, StartedAt: w.since})
	w.leg = len(k.rec.Legs) - 1
	k.step(n.ID, "waiting in group "+groupName(g))
	defer func() {
		if !w.settled {
			// The caller left (or VMS stops) while waiting or ringing.
			if err := q.Abandon(w.id); err != nil {
				k.log.Warn("abandon queued call", slog.Any("err", err))
			}
		}
		k.leaveHold(w)
		if l := &k.rec.Legs[w.leg]; l.EndedAt.IsZero() {
			l.EndedAt = k.c.cfg.Now()
			if l.Outcome == "" {
				l.Outcome = OutcomeAbandoned
			}
		}
	}()
	if err := k.answer(); err != nil {
		return nil, err
	}
	k.enterHold(w)
	return k.wait(w)
}

// wait runs the queue until an agent answers or the call overflows.
func (k *call) wait(w *queued) (*routing.Decision, error) {
	// Announcements come AnnounceEvery after the previous one ended;
	// nextAnnounce is zero while none is due (none configured, or one
	// plays).
	every := w.group.AnnounceEvery
	var nextAnnounce time.Time
	if every > 0 {
		nextAnnounce = w.started.Add(every)
	}
	for {
		ev, d, got, err := k.nextQueued(nextAnnounce, w.ticket.C)
		if err != nil {
			return nil, err
		}
		switch {
		case got && d.Overflow != nil:
			return k.overflowQueue(w, acd.Outcome(d.Overflow.Outcome))
		case got && d.Offer != nil:
			done, err := k.offer(w, d.Offer)
			if err != nil || done {
				return nil, err
			}
			// An announcement that ended while the agent rang, or one
			// due meanwhile, counts from now.
			if every > 0 && w.announcing == "" && (nextAnnounce.IsZero() || time.Now().After(nextAnnounce)) {
				nextAnnounce = time.Now().Add(every)
			}
		case got: // the ticket closed without a decision: the group is gone
			return k.overflowQueue(w, acd.OutcomeClosed)
		case ev == nil: // announcement due
			nextAnnounce = time.Time{}
			if !k.announcePosition(w) {
				nextAnnounce = time.Now().Add(every)
			}
		default:
			if pf, ok := ev.(engine.PlaybackFinished); ok && pf.Playback == w.announcing && w.announcing != "" {
				w.announcing = ""
				k.startMOH(w)
				nextAnnounce = time.Now().Add(every)
			}
		}
	}
}

// nextQueued is next for a queued caller: it also returns the center's
// decisions (got; a closed ticket gives got with an empty decision), and
// nil event and no decision when deadline passed.
func (k *call) nextQueued(deadline time.Time, decisions <-chan center.Decision) (engine.Event, center.Decision, bool, error) {
	var timer <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(max(time.Until(deadline), 0))
		defer t.Stop()
		timer = t.C
	}
	for {
		if ev, ok := k.ev.TryNext(); ok {
			ev, err := k.filter(ev)
			return ev, center.Decision{}, false, err
		}
		select {
		case d, ok := <-decisions:
			if !ok {
				return nil, center.Decision{}, true, nil
			}
			return nil, d, true, nil
		case <-k.ev.Ready():
		case <-timer:
			return nil, center.Decision{}, false, nil
		case <-k.ctx.Done():
			return nil, center.Decision{}, false, errStopped
		case held := <-k.resync:
			if ev := k.lost(held); ev != nil {
				ev, err := k.filter(ev)
				return ev, center.Decision{}, false, err
			}
		}
	}
}

// offer rings the agent of an offer. done reports that the call is over
// (bridged with the agent and ended); otherwise the caller waits on.
func (k *call) offer(w *queued, a *acd.Assignment) (done bool, err error) {
	q := k.c.cfg.Queue
	dest := "agent:" + string(a.Agent)
	k.legSeq++
	id := engine.ChannelID(string(k.in) + legMark + strconv.Itoa(k.legSeq))
	leg := Leg{Destination: dest, NodeID: w.node.ID, StartedAt: k.c.cfg.Now()}
	record := func() {
		if leg.EndedAt.IsZero() {
			leg.EndedAt = k.c.cfg.Now()
		}
		k.rec.Legs = append(k.rec.Legs, leg)
	}
	timeout := a.RingTimeout
	if timeout <= 0 {
		timeout = k.c.cfg.DefaultRingTimeout
	}
	noAnswer := func(outcome string, why string) (bool, error) {
		leg.Outcome = outcome
		record()
		k.step(w.node.ID, "agent "+string(a.Agent)+" "+why+"; the caller waits on")
		if err := q.NoAnswer(w.id); err != nil {
			k.log.Warn("report no answer", slog.Any("err", err))
		}
		return false, nil
	}
	// Agent ids are the store's row ids (see center.Endpoint).
	n, perr := strconv.ParseUint(string(a.Agent), 10, 0)
	if perr != nil {
		k.log.Error("agent id is not a number", slog.String("agent", string(a.Agent)))
		return noAnswer(LegUnreachable, "has no phone")
	}
	k.ev.Add(id)
	k.curLeg = id
	defer func() { k.curLeg = "" }()
	ctx, cancel := k.c.cmdCtx(k.ctx)
	err = k.c.eng.Originate(ctx, engine.OriginateRequest{
		ID:       id,
		Endpoint: "PJSIP/" + center.Endpoint(uint(n)),
		CallerID: k.rec.Caller,
		Timeout:  timeout + legGrace,
		Formats:  AgentFormats,
	})
	cancel()
	if err != nil {
		k.ev.Remove(id)
		k.log.Warn("originate to agent failed", slog.String("agent", string(a.Agent)), slog.Any("err", err))
		return noAnswer(LegUnreachable, "could not be called")
	}
	k.step(w.node.ID, "ringing agent "+string(a.Agent)+" (level "+strconv.Itoa(int(a.Level))+")")
	deadline := time.Now().Add(timeout)
	for {
		ev, err := k.next(deadline)
		if err != nil {
			k.cancelLeg(id, engine.HangupNormal)
			leg.Outcome = LegCancelled
			record()
			return false, err
		}
		switch ev := ev.(type) {
		case nil:
			k.cancelLeg(id, engine.HangupNoAnswer)
			return noAnswer(OutcomeNoAnswer, "did not answer in "+timeout.String())
		case engine.OriginateFailed:
			if ev.Channel != id {
				continue
			}
			k.ev.Remove(id)
			leg.Cause = ev.Cause
			_, lo := legOutcome(ev.Outcome)
			return noAnswer(lo, "did not take the call ("+lo+")")
		case engine.ChannelHungup:
			if ev.Channel != id {
				continue
			}
			k.ev.Remove(id)
			leg.Cause = ev.Cause
			return noAnswer(LegUnreachable, "could not be reached")
		case engine.PlaybackFinished:
			if ev.Playback == w.announcing && w.announcing != "" {
				w.announcing = ""
				k.startMOH(w)
			}
		case engine.ChannelAnswered:
			if ev.Channel != id {
				continue
			}
			at := k.c.cfg.Now()
			leg.AnsweredAt = &at
			leg.Outcome = OutcomeAnswered
			w.settled = true
			if err := q.Answered(w.id); err != nil {
				k.log.Warn("report answered", slog.Any("err", err))
			}
			ql := &k.rec.Legs[w.leg]
			ql.AnsweredAt, ql.EndedAt, ql.Outcome = &at, at, OutcomeAnswered
			k.step(w.node.ID, fmt.Sprintf("agent %s answered after %s in group %s", a.Agent, at.Sub(w.since).Round(time.Second), groupName(w.group)))
			k.leaveHold(w)
			err := k.connect(id, &leg)
			k.rec.Legs = append(k.rec.Legs, leg)
			if !k.leftUp {
				if e := q.Ended(w.id); e != nil {
					k.log.Warn("report call ended", slog.Any("err", e))
				}
			}
			return true, err
		}
	}
}

// overflowQueue takes the caller out of the queue to the node's
// alternative for outcome (ACM-4, TRM-4).
func (k *call) overflowQueue(w *queued, o acd.Outcome) (*routing.Decision, error) {
	w.settled = true
	k.leaveHold(w)
	l := &k.rec.Legs[w.leg]
	l.EndedAt, l.Outcome = k.c.cfg.Now(), string(o)
	k.step(w.node.ID, fmt.Sprintf("left group %s after %s: %s", groupName(w.group), l.EndedAt.Sub(w.since).Round(time.Second), o))
	return k.alternative(w.node, routing.Outcome(o))
}

// enterHold puts the caller in its holding bridge with music on hold.
func (k *call) enterHold(w *queued) {
	br := engine.BridgeID("vms-q-" + string(k.in))
	ctx, cancel := k.c.cmdCtx(k.ctx)
	err := k.c.eng.CreateBridge(ctx, br, engine.BridgeHolding)
	if errors.Is(err, engine.ErrConflict) {
		// Left by a VMS that stopped while the caller waited (the caller
		// was adopted and routed afresh): use it again.
		err = nil
	}
	if err == nil {
		w.hold = br
		err = k.c.eng.AddToBridge(ctx, br, k.in)
	}
	cancel()
	if err != nil && !errors.Is(err, engine.ErrNotFound) {
		// Waiting works without the bridge: the caller still hears the
		// music started on its channel.
		k.log.Warn("holding bridge", slog.Any("err", err))
	}
	k.startMOH(w)
}

// startMOH (re)starts the group's music on hold for the caller.
func (k *call) startMOH(w *queued) {
	moh, ok := k.c.eng.(engine.MusicOnHold)
	if !ok {
		return
	}
	ctx, cancel := k.c.cmdCtx(k.ctx)
	defer cancel()
	w.moh = true
	if err := moh.StartMOH(ctx, k.in, w.group.MOHClass); err != nil && !errors.Is(err, engine.ErrNotFound) {
		k.log.Warn("start music on hold", slog.Any("err", err))
	}
}

// leaveHold stops the music and any announcement and destroys the
// holding bridge; safe to repeat.
func (k *call) leaveHold(w *queued) {
	ctx, cancel := k.c.cmdCtx(k.ctx)
	defer cancel()
	if w.announcing != "" {
		_ = k.c.eng.StopPlayback(ctx, w.announcing)
		w.announcing = ""
	}
	if moh, ok := k.c.eng.(engine.MusicOnHold); ok && w.moh && !k.gone {
		if err := moh.StopMOH(ctx, k.in); err != nil && !errors.Is(err, engine.ErrNotFound) {
			k.log.Warn("stop music on hold", slog.Any("err", err))
		}
	}
	w.moh = false
	if w.hold == "" {
		return
	}
	if err := k.c.eng.DestroyBridge(ctx, w.hold); err != nil && !errors.Is(err, engine.ErrNotFound) {
		k.log.Warn("destroy holding bridge", slog.Any("err", err))
	}
	w.hold = ""
}

// announcePosition tells the caller its place in the queue and the
// expected wait, then the music goes on (see wait). It reports whether
// the announcement plays.
func (k *call) announcePosition(w *queued) bool {
	if w.announcing != "" {
		return true
	}
	pos, err := k.c.cfg.Queue.Position(w.id)
	if err != nil {
		return false // not waiting (an offer is being made)
	}
	media := positionMedia(pos)
	k.pbSeq++
	id := engine.PlaybackID(string(k.in) + "-pb" + strconv.Itoa(k.pbSeq))
	ctx, cancel := k.c.cmdCtx(k.ctx)
	defer cancel()
	if moh, ok := k.c.eng.(engine.MusicOnHold); ok && w.moh {
		_ = moh.StopMOH(ctx, k.in)
		w.moh = false
	}
	if err := k.c.eng.Play(ctx, k.in, id, media...); err != nil {
		if !errors.Is(err, engine.ErrNotFound) {
			k.log.Warn("play queue position", slog.Any("err", err))
		}
		k.startMOH(w)
		return false
	}
	w.announcing = id
	return true
}

// positionMedia is the announcement of a waiting caller's position and
// expected wait, in Asterisk's stock queue prompts: "you are next" or
// "there are N calls waiting", then "the estimated hold time is M
// minutes" when an estimate exists.
func positionMedia(w acd.Wait) []string {
	var media []string
	if w.Position <= 1 {
		media = append(media, "sound:queue-youarenext")
	} else {
		media = append(media, "sound:queue-thereare", "number:"+strconv.Itoa(w.Position), "sound:queue-callswaiting")
	}
	if w.Known && w.Expected > 0 {
		minutes := int((w.Expected + time.Minute - 1) / time.Minute)
		unit := "sound:queue-minutes"
		if minutes == 1 {
			unit = "sound:queue-minute"
		}
		media = append(media, "sound:queue-holdtime", "number:"+strconv.Itoa(minutes), unit)
	}
	return media
}

// pathLines is the routing path so far as text, for the agent's screen.
func (k *call) pathLines() []string {
	out := make([]string, 0, len(k.rec.Path))
	for _, s := range k.rec.Path {
		if s.Node != "" {
			out = append(out, s.Node+": "+s.Why)
		} else {
			out = append(out, s.Why)
		}
	}
	return out
}

func groupName(g center.Group) string {
	if g.Name != "" {
		return g.Name
	}
	return g.Key
}
