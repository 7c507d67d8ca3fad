package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vmsplatform/vms/engine"
	"github.com/vmsplatform/vms/phone"
	"github.com/vmsplatform/vms/routing"
)

var (
	// errCallerGone: the caller hung up; the call ends.
	errCallerGone = errors.New("caller hung up")
	// errStopped: the controller is shutting down.
	errStopped = errors.New("controller stopping")
)

// call is the state of one inbound call. Only its own goroutine touches it.
type call struct {
	c      *Controller
	ctx    context.Context // the Run context: its end asks the call to stop
	in     engine.ChannelID
	ev     *engine.Subscription
	raw    engine.CallArrived
	log    *slog.Logger
	rec    CallRecord
	route  *Route
	facts  routing.Facts
	plan   *routing.Plan
	hops   int
	legSeq int
	pbSeq  int
	// queueSeq counts the groups the call queued in.
	queueSeq int

	ringing    bool // Ring sent to the caller
	inDialplan bool // the caller is in the engine's dialplan (dialInDialplan)
	answered   bool // the caller's channel is answered
	gone       bool // the caller hung up
	played     bool // an announcement or menu was played
	bridge     engine.BridgeID
	bridgedLeg engine.ChannelID
	leftUp     bool // bridged call left to the engine at shutdown
	lastLeg    string
	surgeKey   string
	rescued    bool
	curLeg     engine.ChannelID // the leg ringing or bridged now
	// resync receives the channels the engine still holds after a lost
	// connection (events of that time are lost).
	resync chan map[engine.ChannelID]bool
	// handover is set for an outbound channel queued by QueueChannel.
	handover *handover
}

func newCall(c *Controller, ctx context.Context, ev engine.CallArrived) *call {
	k := &call{
		c:   c,
		ctx: ctx,
		in:  ev.Channel,
		ev:  ev.Events,
		raw: ev,
		log: c.log.With(slog.String("call_id", string(ev.Channel))),

		resync: make(chan map[engine.ChannelID]bool, 1),
	}
	if k.ev == nil {
		k.ev = c.eng.Subscribe(ev.Channel)
	}
	arrived := c.cfg.Now()
	k.rec = CallRecord{ID: string(ev.Channel), Dialed: ev.Dialed, ArrivedAt: arrived}
	k.facts = routing.Facts{Time: arrived, Random: c.cfg.Random()}
	k.readCaller(ev.Caller)
	return k
}

// readCaller fills the caller facts (TRM-3): E.164, withheld, kind.
func (k *call) readCaller(raw string) {
	e164, ok := callerNumber(raw, k.c.cfg.Region)
	if e164 == "" {
		k.facts.CallerWithheld = true
		return
	}
	k.rec.Caller = e164
	k.facts.Caller = e164
	if !ok {
		// Not a number VMS can classify: kept as presented so prefix
		// rules on E.164 do not match by accident.
		return
	}
	switch {
	case phone.IsInternational(e164, k.c.cfg.Region):
		k.facts.CallerKind = routing.KindInternational
	case phone.KindOf(e164) == phone.Mobile:
		k.facts.CallerKind = routing.KindMobile
	default:
		k.facts.CallerKind = routing.KindFixed
	}
}

// callerNumber reads a caller number as the engine presents it: "" when
// withheld, E.164 (ok) when it can be read in region, else as presented.
func callerNumber(raw, region string) (number string, ok bool) {
	raw = strings.TrimSpace(raw)
	switch strings.ToLower(raw) {
	case "", "anonymous", "restricted", "unknown", "unavailable", "private":
		return "", false
	}
	e164, err := phone.Normalize(raw, region)
	if err != nil {
		return raw, false
	}
	return e164, true
}

// run is the call goroutine.
func (k *call) run() {
	defer k.ev.Close()
	defer k.finish()
	defer func() {
		if p := recover(); p != nil {
			k.log.Error("call routing panicked; rescuing the call", slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
			k.rescue(fmt.Sprintf("panic: %v", p))
		}
	}()
	err := k.route0()
	switch {
	case err == nil, errors.Is(err, errCallerGone):
	case errors.Is(err, errStopped):
		k.windDown()
	default:
		k.log.Error("call routing failed; rescuing the call", slog.Any("err", err))
		k.rescue(err.Error())
	}
}

// route0 looks the number up, applies surge protection and runs the plan.
func (k *call) route0() error {
	ctx, cancel := k.c.cmdCtx(k.ctx)
	r, err := k.c.routes.Route(ctx, k.raw.Dialed)
	cancel()
	if err != nil && !errors.Is(err, ErrNoRoute) {
		k.rec.Outcome = OutcomeFailed
		k.step("", "looking up the route of "+k.raw.Dialed+" failed: "+err.Error()+"; refusing the call")
		return k.end(engine.HangupCongestion)
	}
	if r == nil || errors.Is(err, ErrNoRoute) {
		k.rec.Outcome = OutcomeRejected
		k.step("", "dialed "+k.raw.Dialed+" is not a number VMS routes; refusing the call")
		return k.end(engine.HangupCongestion)
	}
	k.route = r
	k.rec.TenantID, k.rec.NumberID = r.TenantID, r.NumberID
	k.rec.Dialed = r.Number
	k.rec.TreeID, k.rec.TreeVersion = r.TreeID, r.TreeVersion
	k.facts.Dialed = r.Number
	k.facts.InList = r.InList
	k.facts.SitesDown = r.SitesDown
	if !r.Active {
		// NUM-3: a ported or deactivated number stops routing.
		k.rec.Outcome = OutcomeRejected
		k.step("", r.Number+" is not active (ported out or deactivated); refusing the call")
		return k.end(engine.HangupCongestion)
	}
	if r.Plan == nil {
		return fmt.Errorf("number %s has no usable routing tree", r.Number)
	}
	key, ok := k.c.surge.admit(r, k.c.cfg.Now())
	if !ok {
		return k.overflow()
	}
	k.surgeKey = key
	k.plan = r.Plan
	d := k.plan.Evaluate(k.facts)
	return k.execute(d)
}

// execute carries out decisions until the call ends.
func (k *call) execute(d routing.Decision) error {
	for {
		k.rec.Path = append(k.rec.Path, d.Trace()...)
		var next *routing.Decision
		var err error
		if d.Kind == routing.KindMenu {
			next, err = k.menu(d)
		} else {
			next, err = k.destination(d)
		}
		if err != nil || next == nil {
			return err
		}
		d = *next
	}
}

// destination carries out a destination node.
func (k *call) destination(d routing.Decision) (*routing.Decision, error) {
	n := d.Node
	switch n.Type {
	case routing.TypeNumber:
		k.rec.Destination = n.Number
		return k.ring(n, n.Number)
	case routing.TypeAnnouncement:
		k.rec.Destination = "announcement:" + n.ID
		if err := k.announce(n.ID, n.Prompt); err != nil {
			return nil, err
		}
		next := k.plan.Resume(n.ID, k.facts)
		return &next, nil
	case routing.TypeTree:
		return k.handOver(n)
	case routing.TypeGroup:
		return k.queue(n)
	case routing.TypeVoicemail:
		k.rec.Destination = "voicemail:" + n.ID
		return nil, k.voicemail(n)
	case routing.TypeBusy:
		if k.rec.Destination == "" {
			k.rec.Destination = "busy"
		}
		k.rec.Outcome = OutcomeBusy
		return nil, k.end(engine.HangupBusy)
	default: // hangup, and the built-in end of a tree
		k.rec.Outcome = k.endOutcome()
		return nil, k.end(engine.HangupNormal)
	}
}

// endOutcome is the outcome of a call the tree hangs up: what became of
// the last thing tried.
func (k *call) endOutcome() string {
	switch {
	case k.lastLeg == OutcomeBusy || k.lastLeg == LegRejected:
		return OutcomeBusy
	case k.lastLeg == OutcomeNoAnswer:
		return OutcomeNoAnswer
	case k.lastLeg != "":
		return OutcomeFailed
	case k.played:
		return OutcomeAnnouncement
	}
	return OutcomeRejected
}

// hop counts a tree hand-over or an alternative against MaxHops.
func (k *call) hop() error {
	k.hops++
	if k.hops > k.c.cfg.MaxHops {
		return fmt.Errorf("more than %d hand-overs and alternatives", k.c.cfg.MaxHops)
	}
	return nil
}

// alternative asks the plan for the next alternative of a failed number
// or group (TRM-4).
func (k *call) alternative(n *routing.Node, o routing.Outcome) (*routing.Decision, error) {
	if err := k.hop(); err != nil {
		return nil, err
	}
	next := k.plan.Next(n.ID, o, k.facts)
	return &next, nil
}

// handOver continues the call in another tree of the tenant.
func (k *call) handOver(n *routing.Node) (*routing.Decision, error) {
	if err := k.hop(); err != nil {
		return nil, err
	}
	ctx, cancel := k.c.cmdCtx(k.ctx)
	plan, version, err := k.c.routes.Tree(ctx, k.route.TenantID, n.Tree)
	cancel()
	if err != nil || plan == nil {
		return nil, fmt.Errorf("tree %s of node %s: %w", n.Tree, n.ID, errors.Join(err, errors.New("not available")))
	}
	k.plan = plan
	k.step(n.ID, "now in tree "+n.Tree+" version "+strconv.Itoa(version))
	d := plan.Evaluate(k.facts)
	return &d, nil
}

// step appends a controller-made step to the path.
func (k *call) step(node, why string) {
	k.rec.Path = append(k.rec.Path, routing.Step{Node: node, Why: why})
}

// ---- events ----

// next returns the call's next event, nil when deadline (if not zero)
// passed, errCallerGone once the caller hung up and errStopped when the
// controller stops.
func (k *call) next(deadline time.Time) (engine.Event, error) {
	var timer <-chan time.Time
	if !deadline.IsZero() {
		d := time.Until(deadline)
		if d <= 0 {
			if ev, ok := k.ev.TryNext(); ok {
				return k.filter(ev)
			}
			return nil, nil
		}
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	for {
		if ev, ok := k.ev.TryNext(); ok {
			return k.filter(ev)
		}
		select {
		case <-k.ev.Ready():
		case <-timer:
			return nil, nil
		case <-k.ctx.Done():
			return nil, errStopped
		case held := <-k.resync:
			if k.inDialplan {
				// The channel is outside the application: its absence
				// from the list says nothing; ask for it.
				if ev := k.lostInDialplan(); ev != nil {
					return ev, nil
				}
				continue
			}
			if ev := k.lost(held); ev != nil {
				return k.filter(ev)
			}
		}
	}
}

// lost makes up the final event of a channel of the call that the engine
// no longer holds after a lost connection, or returns nil.
func (k *call) lost(held map[engine.ChannelID]bool) engine.Event {
	now := k.c.cfg.Now()
	switch {
	case !held[k.in]:
		return engine.ChannelHungup{Channel: k.in, Cause: engine.CauseNormalClearing, CauseText: "lost while disconnected", At: now}
	case k.curLeg != "" && !held[k.curLeg] && k.curLeg == k.bridgedLeg:
		return engine.ChannelHungup{Channel: k.curLeg, Cause: engine.CauseNormalClearing, CauseText: "lost while disconnected", At: now}
	case k.curLeg != "" && !held[k.curLeg]:
		return engine.OriginateFailed{Channel: k.curLeg, Cause: engine.CauseTemporaryFailure,
			CauseText: "lost while disconnected", Outcome: engine.OutcomeUnreachable, At: now}
	}
	return nil
}

// lostEnd is made up by lostInDialplan: a call in the engine's dialplan
// ended while the engine connection was down (its report is lost).
type lostEnd struct {
	channel engine.ChannelID
	at      time.Time
}

func (e lostEnd) EventTime() time.Time           { return e.at }
func (e lostEnd) EventChannel() engine.ChannelID { return e.channel }

// lostInDialplan checks, after a lost engine connection, whether the
// caller's channel handed to the engine's dialplan still exists (when the
// engine can describe channels), and returns a lostEnd if it is gone.
func (k *call) lostInDialplan() engine.Event {
	insp, ok := k.c.eng.(ChannelInspector)
	if !ok {
		return nil
	}
	ctx, cancel := k.c.cmdCtx(k.ctx)
	_, _, err := insp.InspectChannel(ctx, k.in)
	cancel()
	if errors.Is(err, engine.ErrNotFound) {
		return lostEnd{channel: k.in, at: k.c.cfg.Now()}
	}
	return nil
}

// filter turns the caller's hang-up into errCallerGone.
func (k *call) filter(ev engine.Event) (engine.Event, error) {
	if h, ok := ev.(engine.ChannelHungup); ok && h.Channel == k.in {
		k.gone = true
		k.ended(h.At)
		if k.rec.Outcome == "" {
			k.rec.Outcome = OutcomeAbandoned
		}
		return ev, errCallerGone
	}
	return ev, nil
}

// ended notes the end of the call once.
func (k *call) ended(at time.Time) {
	if k.rec.EndedAt == nil {
		t := k.c.cfg.Now()
		k.rec.EndedAt = &t
	}
}

// ---- caller side ----

// ringback sends ringing to the caller once, while destinations ring and
// the caller is not answered (TRM: the caller pays only once answered).
func (k *call) ringback() {
	if k.ringing || k.answered {
		return
	}
	k.ringing = true
	ctx, cancel := k.c.cmdCtx(k.ctx)
	defer cancel()
	if err := k.c.eng.Ring(ctx, k.in); err != nil && !errors.Is(err, engine.ErrNotFound) {
		k.log.Warn("ring caller", slog.Any("err", err))
	}
}

// answer answers the caller once.
func (k *call) answer() error {
	if k.answered {
		return nil
	}
	ctx, cancel := k.c.cmdCtx(k.ctx)
	defer cancel()
	if err := k.c.eng.Answer(ctx, k.in); err != nil {
		if errors.Is(err, engine.ErrNotFound) {
			return k.waitGone()
		}
		return fmt.Errorf("answer caller: %w", err)
	}
	k.answered = true
	return nil
}

// waitGone is called when the engine says the caller's channel is gone:
// its hang-up event is on its way.
func (k *call) waitGone() error {
	deadline := time.Now().Add(2 * time.Second)
	for {
		_, err := k.next(deadline)
		if err != nil {
			return err
		}
		if time.Now().After(deadline) {
			k.gone = true
			k.ended(time.Time{})
			if k.rec.Outcome == "" {
				k.rec.Outcome = OutcomeAbandoned
			}
			return errCallerGone
		}
	}
}

// end hangs the caller up with reason and ends the call.
func (k *call) end(reason engine.HangupReason) error {
	if k.gone {
		return nil
	}
	ctx, cancel := k.c.cmdCtx(k.ctx)
	defer cancel()
	if err := k.c.eng.Hangup(ctx, k.in, reason); err != nil && !errors.Is(err, engine.ErrNotFound) {
		k.log.Warn("hang up caller", slog.Any("err", err))
	}
	k.gone = true
	k.ended(time.Time{})
	return nil
}

// ---- number destinations ----

// ring rings a number; on answer it bridges the caller with it, on failure
// it returns the plan's next alternative.
func (k *call) ring(n *routing.Node, number string) (*routing.Decision, error) {
	outcome, err := k.dial(n.ID, number, k.ringTimeout(n))
	if err != nil || outcome == "" {
		return nil, err
	}
	if k.plan == nil { // rescue: no plan to continue in
		return nil, nil
	}
	return k.alternative(n, outcome)
}

func (k *call) ringTimeout(n *routing.Node) time.Duration {
	if n != nil && n.RingTimeout > 0 {
		return time.Duration(n.RingTimeout) * time.Second
	}
	return k.c.cfg.DefaultRingTimeout
}

// dial rings number and connects the caller with it on answer. It returns
// "" when the call ended (connected and over, or the caller left), or the
// routing outcome of a leg that failed.
//
// A number rung for a caller VMS has not answered (nothing played to it,
// not queued) goes through the engine's dialplan when the engine can
// (dialInDialplan): the call is then what a plain dialplan would make of
// it. VMS originates the leg and bridges it itself (bridgeDial) when the
// caller is already answered and under VMS's control (after an
// announcement, a menu, a queue), for the rescue to the number's
// fallback, for handed-over outbound calls, with Config.BridgeCalls, and
// when the engine cannot take the request.
func (k *call) dial(nodeID, number string, timeout time.Duration) (routing.Outcome, error) {
	if k.dialplanPath() {
		d := k.c.eng.(engine.DialplanDialer)
		if o, handled, err := k.dialInDialplan(d, nodeID, number, timeout); handled {
			return o, err
		}
	}
	return k.bridgeDial(nodeID, number, timeout)
}

// dialplanPath reports whether the next number is rung through the
// engine's dialplan (see dial).
func (k *call) dialplanPath() bool {
	if _, ok := k.c.eng.(engine.DialplanDialer); !ok || k.c.cfg.BridgeCalls {
		return false
	}
	return k.plan != nil && k.handover == nil && !k.answered && !k.played && k.bridge == ""
}

// dialInDialplan hands the caller to the engine's dialplan, which rings
// number and, on answer, connects both natively (engine.DialplanDialer):
// one engine command instead of about eight. A destination that does not
// answer sends the channel back (ChannelReturned) and the routing outcome
// is returned as with bridgeDial; otherwise the engine reports the end
// of the call (DialplanEnded) with whether and how long it was connected,
// which completes the record. handled is false when the engine could not
// take the request and nothing happened: the caller then rings over the
// bridge path.
func (k *call) dialInDialplan(d engine.DialplanDialer, nodeID, number string, timeout time.Duration) (o routing.Outcome, handled bool, err error) {
	leg := Leg{Destination: number, NodeID: nodeID, StartedAt: k.c.cfg.Now()}
	ctx, cancel := k.c.cmdCtx(k.ctx)
	err = d.DialInDialplan(ctx, k.in, engine.DialRequest{
		Dialed:   k.rec.Dialed,
		Endpoint: k.c.dialString(number),
		CallerID: k.rec.Caller,
		Timeout:  timeout,
	})
	cancel()
	switch {
	case errors.Is(err, engine.ErrNotFound):
		return "", true, k.waitGone()
	case errors.Is(err, engine.ErrUnsupported):
		return "", false, nil
	case err != nil:
		k.log.Warn("handing the call to the engine's dialplan failed; ringing it from VMS", slog.String("number", number), slog.Any("err", err))
		return "", false, nil
	}
	k.inDialplan = true
	defer func() {
		k.inDialplan = false
		if leg.EndedAt.IsZero() && !k.leftUp {
			leg.EndedAt = k.c.cfg.Now()
		}
		k.rec.Legs = append(k.rec.Legs, leg)
		k.lastLeg = leg.Outcome
	}()
	for {
		ev, err := k.next(time.Time{})
		if errors.Is(err, errStopped) {
			// Shutdown: the call stays with the engine's dialplan, which
			// reports its end (or its coming back) to the next VMS; if it
			// comes back while no VMS is connected it takes the static
			// fallback.
			k.leftUp = true
			k.step(nodeID, "VMS stopped while the engine rang or connected "+number+"; the call stays with the engine")
			return "", true, nil
		}
		if err != nil { // the caller's channel ended (lost while disconnected)
			leg.Outcome = LegCancelled
			return "", true, err
		}
		switch ev := ev.(type) {
		case lostEnd:
			// Whether it was answered is unknown.
			k.gone = true
			k.ended(time.Time{})
			leg.Outcome = LegUnreachable
			k.rec.Outcome = OutcomeFailed
			k.step(nodeID, "the call ended while VMS was disconnected from the engine; its answer is unknown")
			return "", true, errCallerGone
		case engine.DialplanEnded:
			if ev.Channel != k.in {
				continue
			}
			end := k.c.cfg.Now()
			k.gone = true
			k.rec.EndedAt = &end
			leg.EndedAt = end
			if !ev.Answered {
				leg.Outcome = LegCancelled
				if k.rec.Outcome == "" {
					k.rec.Outcome = OutcomeAbandoned
				}
				return "", true, errCallerGone
			}
			at := end.Add(-ev.Talk)
			leg.AnsweredAt = &at
			leg.Outcome = OutcomeAnswered
			leg.Cause = ev.Cause
			k.answered = true
			k.rec.AnsweredAt = &at
			k.rec.Outcome = OutcomeAnswered
			k.rec.Destination = number
			return "", true, nil
		case engine.ChannelReturned:
			if ev.Channel != k.in {
				continue
			}
			leg.Cause = ev.Cause
			o, lo := legOutcome(ev.Outcome)
			leg.Outcome = lo
			return o, true, nil
		}
	}
}

// bridgeDial originates a leg to number and bridges it on answer, with
// the same results as dial.
func (k *call) bridgeDial(nodeID, number string, timeout time.Duration) (routing.Outcome, error) {
	k.legSeq++
	id := engine.ChannelID(string(k.in) + "-leg" + strconv.Itoa(k.legSeq))
	leg := Leg{Destination: number, NodeID: nodeID, StartedAt: k.c.cfg.Now()}
	defer func() {
		if leg.EndedAt.IsZero() {
			leg.EndedAt = k.c.cfg.Now()
		}
		k.rec.Legs = append(k.rec.Legs, leg)
		k.lastLeg = leg.Outcome
	}()
	k.ev.Add(id)
	k.curLeg = id
	defer func() { k.curLeg = "" }()
	k.ringback()
	ctx, cancel := k.c.cmdCtx(k.ctx)
	err := k.c.eng.Originate(ctx, engine.OriginateRequest{
		ID:         id,
		Endpoint:   k.c.dialString(number),
		CallerID:   k.rec.Caller,
		Timeout:    timeout + legGrace,
		Originator: k.in,
	})
	cancel()
	if err != nil {
		k.ev.Remove(id)
		k.log.Warn("originate failed", slog.String("number", number), slog.Any("err", err))
		leg.Outcome = LegUnreachable
		return routing.OutcomeUnreachable, nil
	}
	deadline := time.Now().Add(timeout)
	for {
		ev, err := k.next(deadline)
		if err != nil {
			k.cancelLeg(id, engine.HangupNormal)
			leg.Outcome = LegCancelled
			return "", err
		}
		switch ev := ev.(type) {
		case nil: // ring timeout: VMS ends the leg itself (TRM-4)
			k.cancelLeg(id, engine.HangupNoAnswer)
			leg.Outcome = OutcomeNoAnswer
			return routing.OutcomeNoAnswer, nil
		case engine.OriginateFailed:
			if ev.Channel != id {
				continue
			}
			leg.Cause = ev.Cause
			leg.EndedAt = k.c.cfg.Now()
			o, lo := legOutcome(ev.Outcome)
			leg.Outcome = lo
			return o, nil
		case engine.ChannelHungup:
			if ev.Channel != id {
				continue
			}
			leg.Cause = ev.Cause
			leg.Outcome = LegUnreachable
			return routing.OutcomeUnreachable, nil
		case engine.ChannelAnswered:
			if ev.Channel != id {
				continue
			}
			at := k.c.cfg.Now()
			leg.AnsweredAt = &at
			leg.Outcome = OutcomeAnswered
			return "", k.connect(id, &leg)
		}
	}
}

// legOutcome maps the engine's outcome of a failed leg to the routing
// outcome and the leg record's outcome. A destination that declines
// counts as busy for routing.
func legOutcome(o engine.Outcome) (routing.Outcome, string) {
	switch o {
	case engine.OutcomeBusy:
		return routing.OutcomeBusy, OutcomeBusy
	case engine.OutcomeRejected:
		return routing.OutcomeBusy, LegRejected
	case engine.OutcomeNoAnswer:
		return routing.OutcomeNoAnswer, OutcomeNoAnswer
	}
	return routing.OutcomeUnreachable, LegUnreachable
}

// cancelLeg hangs up a leg VMS no longer wants and stops following it.
func (k *call) cancelLeg(id engine.ChannelID, reason engine.HangupReason) {
	k.ev.Remove(id)
	ctx, cancel := k.c.cmdCtx(k.ctx)
	defer cancel()
	if err := k.c.eng.Hangup(ctx, id, reason); err != nil && !errors.Is(err, engine.ErrNotFound) {
		k.log.Warn("hang up leg", slog.String("leg", string(id)), slog.Any("err", err))
	}
}

// connect answers the caller, bridges it with the answered leg and waits
// until one side hangs up, then ends the other.
func (k *call) connect(id engine.ChannelID, leg *Leg) error {
	if err := k.answer(); err != nil {
		k.cancelLeg(id, engine.HangupNormal)
		leg.EndedAt = k.c.cfg.Now()
		return err
	}
	at := *leg.AnsweredAt
	k.rec.AnsweredAt = &at
	k.rec.Outcome = OutcomeAnswered
	k.rec.Destination = leg.Destination
	br := bridgeID(k.in)
	ctx, cancel := k.c.cmdCtx(k.ctx)
	err := k.c.eng.CreateBridge(ctx, br, engine.BridgeMixing)
	if err == nil {
		k.bridge = br
		err = k.c.eng.AddToBridge(ctx, br, k.in)
	}
	if err == nil {
		err = k.c.eng.AddToBridge(ctx, br, id)
	}
	cancel()
	if err != nil {
		k.cancelLeg(id, engine.HangupNormal)
		k.destroyBridge()
		leg.EndedAt = k.c.cfg.Now()
		if errors.Is(err, engine.ErrNotFound) {
			return k.waitGone()
		}
		k.rec.Outcome = OutcomeFailed
		k.end(engine.HangupCongestion)
		return fmt.Errorf("bridge with %s: %w", leg.Destination, err)
	}
	k.bridgedLeg = id
	k.saveAnswered(leg)
	k.connectedLeg(leg)
	for {
		ev, err := k.next(time.Time{})
		if errors.Is(err, errStopped) {
			// Shutdown: the conversation stays up in the engine; the next
			// VMS adopts it (see reconnected).
			k.leftUp = true
			leg.EndedAt = time.Time{}
			return nil
		}
		if err != nil { // the caller hung up
			k.cancelLeg(id, engine.HangupNormal)
			leg.EndedAt = k.c.cfg.Now()
			k.destroyBridge()
			return err
		}
		if h, ok := ev.(engine.ChannelHungup); ok && h.Channel == id {
			leg.EndedAt = k.c.cfg.Now()
			leg.Cause = h.Cause
			k.destroyBridge()
			return k.end(engine.HangupNormal)
		}
	}
}

// bridgeID names the bridge of a call after its inbound channel, so that a
// restarted VMS can pair adopted channels (see reconnected).
func bridgeID(in engine.ChannelID) engine.BridgeID { return engine.BridgeID("vms-" + string(in)) }

func (k *call) destroyBridge() {
	if k.bridge == "" {
		return
	}
	ctx, cancel := k.c.cmdCtx(k.ctx)
	defer cancel()
	if err := k.c.eng.DestroyBridge(ctx, k.bridge); err != nil && !errors.Is(err, engine.ErrNotFound) {
		k.log.Warn("destroy bridge", slog.Any("err", err))
	}
	k.bridge = ""
}

// ---- media ----

// play starts media on the caller and returns its playback id.
func (k *call) play(media string) (engine.PlaybackID, error) {
	k.pbSeq++
	id := engine.PlaybackID(string(k.in) + "-pb" + strconv.Itoa(k.pbSeq))
	ctx, cancel := k.c.cmdCtx(k.ctx)
	defer cancel()
	if err := k.c.eng.Play(ctx, k.in, id, media); err != nil {
		if errors.Is(err, engine.ErrNotFound) {
			return "", k.waitGone()
		}
		// A prompt that cannot play must not stop the call: go on as if
		// it was played.
		k.log.Warn("play", slog.String("media", media), slog.Any("err", err))
		return "", nil
	}
	k.played = true
	return id, nil
}

// announce answers the caller and plays a prompt to its end.
func (k *call) announce(node, prompt string) error {
	if err := k.answer(); err != nil {
		return err
	}
	id, err := k.play(k.c.cfg.PromptURL(k.promptKey(node, prompt)))
	if err != nil || id == "" {
		return err
	}
	deadline := time.Now().Add(maxAnnouncement)
	for {
		ev, err := k.next(deadline)
		if err != nil {
			return err
		}
		switch ev := ev.(type) {
		case nil:
			return nil
		case engine.PlaybackFinished:
			if ev.Playback == id {
				if ev.Failed {
					k.log.Warn("announcement failed to play", slog.String("prompt", prompt))
					k.step(node, "prompt "+prompt+" could not be played")
				} else {
					k.step(node, "prompt "+prompt+" played to the end")
				}
				return nil
			}
		}
	}
}

// promptKey resolves a tree's prompt name; node "" marks a prompt that is
// already a key (the overflow announcement).
func (k *call) promptKey(node, name string) string {
	if node == "" || k.route == nil || k.route.PromptKey == nil {
		return name
	}
	if key := k.route.PromptKey(name); key != "" {
		return key
	}
	return name
}

// menu plays a menu prompt, collects the caller's digits and resumes the
// plan with them (TRM-3).
func (k *call) menu(d routing.Decision) (*routing.Decision, error) {
	n := d.Node
	if err := k.answer(); err != nil {
		return nil, err
	}
	k.rec.Destination = "menu:" + n.ID
	timeout := k.c.cfg.MenuTimeout
	if n.Timeout > 0 {
		timeout = time.Duration(n.Timeout) * time.Second
	}
	id, err := k.play(k.c.cfg.PromptURL(k.promptKey(n.ID, n.Prompt)))
	if err != nil {
		return nil, err
	}
	playing := id != ""
	var digits string
	deadline := time.Now().Add(maxAnnouncement)
	if !playing {
		deadline = time.Now().Add(timeout)
	}
collect:
	for {
		ev, err := k.next(deadline)
		if err != nil {
			return nil, err
		}
		switch ev := ev.(type) {
		case nil:
			break collect
		case engine.PlaybackFinished:
			if ev.Playback == id && playing {
				playing = false
				deadline = time.Now().Add(timeout)
			}
		case engine.DTMFReceived:
			if ev.Channel != k.in {
				continue
			}
			if playing {
				// The caller knows the choice: stop the prompt.
				playing = false
				ctx, cancel := k.c.cmdCtx(k.ctx)
				_ = k.c.eng.StopPlayback(ctx, id)
				cancel()
			}
			digits += ev.Digit
			if menuComplete(n, digits) {
				break collect
			}
			deadline = time.Now().Add(timeout)
		}
	}
	f := k.facts
	f.Digits, f.Attempt = digits, d.Attempt
	next := k.plan.Resume(n.ID, f)
	return &next, nil
}

// menuComplete reports whether digits settle the choice at menu n: they
// choose a branch that no longer choice extends, or no branch starts with
// them.
func menuComplete(n *routing.Node, digits string) bool {
	for _, b := range n.Branches {
		if len(b.Digits) > len(digits) && strings.HasPrefix(b.Digits, digits) {
			return false
		}
	}
	return true
}

// voicemail records a message when the engine can record (TRM-2, optional);
// otherwise the caller hears the prompt-less beep and is hung up.
func (k *call) voicemail(n *routing.Node) error {
	if err := k.answer(); err != nil {
		return err
	}
	rec, ok := k.c.eng.(engine.Recorder)
	if !ok {
		k.step(n.ID, "this engine cannot record messages; hanging up")
		k.rec.Outcome = OutcomeFailed
		return k.end(engine.HangupNormal)
	}
	id := engine.RecordingID("vm-" + string(k.in))
	maxDur := time.Duration(n.MaxSeconds) * time.Second
	ctx, cancel := k.c.cmdCtx(k.ctx)
	err := rec.StartRecording(ctx, engine.RecordRequest{ID: id, Channel: k.in, Format: "wav", MaxDuration: maxDur, Beep: true})
	cancel()
	if err != nil {
		k.rec.Outcome = OutcomeFailed
		k.end(engine.HangupNormal)
		return fmt.Errorf("start voicemail recording: %w", err)
	}
	k.rec.Outcome = OutcomeVoicemail
	for {
		ev, err := k.next(time.Time{})
		if err != nil {
			return err // the caller hung up: the engine ends the recording
		}
		switch ev := ev.(type) {
		case engine.RecordingFinished:
			if ev.Recording == id {
				return k.end(engine.HangupNormal)
			}
		case engine.RecordingFailed:
			if ev.Recording == id {
				k.rec.Outcome = OutcomeFailed
				return k.end(engine.HangupNormal)
			}
		}
	}
}

// ---- surge ----

// overflow gives a call above the number's limit its treatment (NUM-5).
func (k *call) overflow() error {
	k.rec.Outcome = OutcomeOverflow
	lim := k.route.Limit
	k.step("", "above the surge limit of "+k.route.Number+"; overflow treatment "+orDefault(lim.Overflow, OverflowBusy))
	if lim.Overflow == OverflowAnnouncement && lim.OverflowPrompt != "" {
		if err := k.announce("", lim.OverflowPrompt); err != nil {
			return err
		}
		return k.end(engine.HangupNormal)
	}
	return k.end(engine.HangupBusy)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ---- end of call ----

// rescue sends a call whose routing failed to the route's fallback, or
// hangs it up. It never panics itself.
func (k *call) rescue(why string) {
	defer func() {
		if p := recover(); p != nil {
			k.log.Error("rescue panicked; hanging up", slog.Any("panic", p))
			k.rec.Outcome = OutcomeFailed
			k.end(engine.HangupCongestion)
		}
	}()
	if k.gone || k.leftUp {
		return
	}
	k.step("", "routing failed ("+why+")")
	if k.rescued || k.bridgedLeg != "" || k.route == nil || k.route.Fallback == "" {
		k.rec.Outcome = OutcomeFailed
		k.end(engine.HangupCongestion)
		return
	}
	k.rescued = true
	k.plan = nil
	k.rec.Destination = k.route.Fallback
	k.step("", "sending the call to the number's fallback "+k.route.Fallback)
	outcome, err := k.dial("", k.route.Fallback, k.c.cfg.DefaultRingTimeout)
	if err != nil || outcome == "" {
		if errors.Is(err, errStopped) {
			k.windDown()
		}
		return
	}
	k.rec.Outcome = k.endOutcome()
	k.end(engine.HangupCongestion)
}

// windDown ends a call that is still being routed when the controller
// stops: its legs were already cancelled; the caller is hung up.
func (k *call) windDown() {
	if k.leftUp || k.gone {
		return
	}
	k.step("", "VMS is shutting down; ending the call")
	if k.rec.Outcome == "" {
		k.rec.Outcome = OutcomeFailed
	}
	k.end(engine.HangupCongestion)
}

// saveAnswered hands the record of a call just bridged with leg to the
// writer (TRM-8): answered, not ended, with the path and legs so far. If
// this process dies while the call is bridged, the VMS that adopts the
// call completes this record when the call ends (see adopt); otherwise
// finish saves the complete record over it.
func (k *call) saveAnswered(leg *Leg) {
	rec := k.rec
	rec.EndedAt = nil
	rec.Path = slices.Clone(k.rec.Path)
	rec.Legs = append(slices.Clone(k.rec.Legs), *leg)
	rec.Legs[len(rec.Legs)-1].EndedAt = time.Time{}
	k.c.records.add(&rec)
}

// finish releases the surge slot and hands the record to the writer.
func (k *call) finish() {
	if k.surgeKey != "" {
		k.c.surge.release(k.surgeKey)
	}
	if !k.leftUp {
		k.ended(time.Time{})
	}
	if k.rec.Outcome == "" {
		k.rec.Outcome = OutcomeFailed
	}
	rec := k.rec
	k.log.Info("call ended", slog.String("dialed", rec.Dialed), slog.String("outcome", rec.Outcome),
		slog.String("destination", rec.Destination), slog.Int("legs", len(rec.Legs)))
	k.c.records.add(&rec)
}
