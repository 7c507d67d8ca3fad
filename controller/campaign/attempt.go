package campaign

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	rules "github.com/vmsplatform/vms/campaign"
	"github.com/vmsplatform/vms/controller"
	"github.com/vmsplatform/vms/engine"
)

func engineChannel(s string) engine.ChannelID { return engine.ChannelID(s) }

var (
	// errStopped: the dialer's context ended during the call.
	errStopped = errors.New("dialer stopping")
	// errEngineDown: the call could not be placed because the engine
	// cannot be reached; the number is not at fault.
	errEngineDown = errors.New("engine unreachable")
)

// attempt is one call of a campaign, run by its own goroutine.
type attempt struct {
	d       *Dialer
	c       Campaign
	contact Contact
	id      uint
	ch      engine.ChannelID
	log     *slog.Logger
	ev      *engine.Subscription
	pbSeq   int
	// engineDown tells the runner that the engine cannot be reached.
	engineDown func()
}

// run places the call and records its result. When ctx ends first,
// nothing more is written: the attempt stays in progress, as after a
// crash, and the next dialer marks it lost.
func (a *attempt) run(ctx context.Context) {
	a.ev = a.d.eng.Subscribe(a.ch)
	handed := false
	defer func() {
		if !handed {
			a.ev.Close()
		}
	}()
	res, err := a.call(ctx, &handed)
	if errors.Is(err, errEngineDown) && a.engineDown != nil {
		a.engineDown()
	}
	if err != nil {
		if errors.Is(err, errStopped) {
			a.log.Info("dialer stopped during the call; the attempt stays in progress")
			return
		}
		if errors.Is(err, errEngineDown) {
			// Left in progress: it becomes lost in time and the contact
			// is called again as a new attempt, as after a crash.
			a.log.Warn("the engine cannot be reached; the attempt stays in progress", slog.Any("err", err))
			return
		}
		a.log.Error("campaign call failed", slog.Any("err", err))
		res = Result{Outcome: rules.Failed}
	}
	res.At = a.d.cfg.Now()
	a.log.Info("campaign call ended", slog.String("outcome", string(res.Outcome)), slog.String("dtmf", res.DTMF),
		slog.Bool("connected", res.Connected), slog.String("agent", res.Agent))
	// The result must not be lost (OUT-7): retry a store that fails for
	// a while.
	for i := 0; ; i++ {
		cctx, cancel := context.WithTimeout(ctx, a.d.cfg.CommandTimeout)
		err := a.d.store.EndAttempt(cctx, a.id, res)
		cancel()
		if err == nil {
			return
		}
		if ctx.Err() != nil || i == 5 {
			a.log.Error("record the attempt's result", slog.Any("err", err))
			return
		}
		a.log.Warn("record the attempt's result; retrying", slog.Any("err", err))
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(i+1) * time.Second):
		}
	}
}

func (a *attempt) cmdCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), a.d.cfg.CommandTimeout)
}

// next returns the next event of the call's channel, nil at deadline, or
// errStopped.
func (a *attempt) next(ctx context.Context, deadline time.Time) (engine.Event, error) {
	t := time.NewTimer(max(time.Until(deadline), 0))
	defer t.Stop()
	for {
		if ev, ok := a.ev.TryNext(); ok {
			if ev.EventChannel() == a.ch {
				return ev, nil
			}
			continue
		}
		select {
		case <-ctx.Done():
			return nil, errStopped
		case <-a.ev.Ready():
		case <-t.C:
			return nil, nil
		}
	}
}

func (a *attempt) hangup(ctx context.Context, reason engine.HangupReason) {
	cctx, cancel := a.cmdCtx(ctx)
	defer cancel()
	if err := a.d.eng.Hangup(cctx, a.ch, reason); err != nil && !errors.Is(err, engine.ErrNotFound) {
		a.log.Warn("hang up", slog.Any("err", err))
	}
}

// call rings the contact and, when answered, plays the message and acts on
// the keys pressed.
func (a *attempt) call(ctx context.Context, handed *bool) (Result, error) {
	s := a.c.Settings
	ring := s.RingTimeout
	if ring <= 0 {
		ring = rules.MinRingTimeout
	}
	cctx, cancel := a.cmdCtx(ctx)
	err := a.d.eng.Originate(cctx, engine.OriginateRequest{
		ID:       a.ch,
		Endpoint: a.d.cfg.DialString(a.contact.E164),
		CallerID: s.CallerID,
		Timeout:  ring + ringGrace,
	})
	cancel()
	if errors.Is(err, engine.ErrDisconnected) || errors.Is(err, engine.ErrClosed) {
		return Result{}, fmt.Errorf("originate: %w: %w", errEngineDown, err)
	}
	if err != nil {
		a.log.Warn("originate", slog.String("number", a.contact.E164), slog.Any("err", err))
		return Result{Outcome: rules.Failed}, nil
	}
	deadline := time.Now().Add(ring)
ringing:
	for {
		ev, err := a.next(ctx, deadline)
		if err != nil {
			a.hangup(ctx, engine.HangupNormal)
			return Result{}, err
		}
		switch ev := ev.(type) {
		case nil:
			a.hangup(ctx, engine.HangupNoAnswer)
			return Result{Outcome: rules.NoAnswer}, nil
		case engine.OriginateFailed:
			return Result{Outcome: failedOutcome(ev.Outcome)}, nil
		case engine.ChannelHungup:
			return Result{Outcome: rules.Failed}, nil
		case engine.ChannelAnswered:
			break ringing
		}
	}
	return a.message(ctx, handed)
}

// failedOutcome maps the engine's outcome of a call that did not answer.
// A declined call counts as busy, as for inbound calls' destinations.
func failedOutcome(o engine.Outcome) rules.Outcome {
	switch o {
	case engine.OutcomeBusy, engine.OutcomeRejected:
		return rules.Busy
	case engine.OutcomeNoAnswer:
		return rules.NoAnswer
	}
	return rules.Failed
}

// play starts the message; "" when it cannot be played.
func (a *attempt) play(ctx context.Context) engine.PlaybackID {
	a.pbSeq++
	id := engine.PlaybackID(string(a.ch) + "-pb" + strconv.Itoa(a.pbSeq))
	cctx, cancel := a.cmdCtx(ctx)
	defer cancel()
	if err := a.d.eng.Play(cctx, a.ch, id, a.d.cfg.MessageURL(a.c.MessageSHA)); err != nil {
		a.log.Warn("play message", slog.Any("err", err))
		return ""
	}
	return id
}

// message plays the message to the person who answered and acts on the
// keys pressed during it and a while after it (OUT-2, OUT-3).
func (a *attempt) message(ctx context.Context, handed *bool) (Result, error) {
	res := Result{Outcome: rules.Answered}
	playing := a.play(ctx)
	replays := 0
	// A playback that never reports its end is given up after its
	// length and a margin.
	deadline := time.Now().Add(a.c.MessageDuration + 30*time.Second)
	if playing == "" {
		deadline = time.Now().Add(a.d.cfg.KeyWait)
	}
	for {
		ev, err := a.next(ctx, deadline)
		if err != nil {
			a.hangup(ctx, engine.HangupNormal)
			return Result{}, err
		}
		switch ev := ev.(type) {
		case nil:
			if playing != "" {
				playing = ""
				deadline = time.Now().Add(a.d.cfg.KeyWait)
				continue
			}
			a.hangup(ctx, engine.HangupNormal)
			return res, nil
		case engine.ChannelHungup:
			return res, nil
		case engine.PlaybackFinished:
			if ev.Playback == playing {
				if ev.Failed {
					a.log.Warn("the message could not be played", slog.String("media", a.d.cfg.MessageURL(a.c.MessageSHA)))
				}
				playing = ""
				deadline = time.Now().Add(a.d.cfg.KeyWait)
			}
		case engine.DTMFReceived:
			if len(res.DTMF) < maxDTMF {
				res.DTMF += ev.Digit
			}
			act, ok := a.c.Settings.Keys[ev.Digit]
			if !ok {
				continue
			}
			if playing != "" {
				cctx, cancel := a.cmdCtx(ctx)
				_ = a.d.eng.StopPlayback(cctx, playing)
				cancel()
				playing = ""
			}
			switch act.Action {
			case rules.Replay:
				if replays >= a.d.cfg.MaxReplays {
					// Played enough: the call ends.
					a.hangup(ctx, engine.HangupNormal)
					return res, nil
				}
				replays++
				playing = a.play(ctx)
				if playing != "" {
					deadline = time.Now().Add(a.c.MessageDuration + 30*time.Second)
				} else {
					deadline = time.Now().Add(a.d.cfg.KeyWait)
				}
			case rules.Connect:
				return a.connect(ctx, act.Group, ev.Digit, res, handed)
			case rules.DoNotCall:
				res.DoNotCall = true
				a.hangup(ctx, engine.HangupNormal)
				return res, nil
			default: // hang up
				a.hangup(ctx, engine.HangupNormal)
				return res, nil
			}
		}
	}
}

// connect hands the call to the group's queue and waits until an agent
// answers or the call ends without one.
func (a *attempt) connect(ctx context.Context, group, key string, res Result, handed *bool) (Result, error) {
	if a.d.queue == nil {
		a.log.Warn("no contact centre in this process; hanging up instead of connecting", slog.String("group", group))
		a.hangup(ctx, engine.HangupNormal)
		return res, nil
	}
	c, err := a.d.queue.QueueChannel(ctx, controller.Handover{
		Channel: a.ch, Events: a.ev, TenantID: a.c.TenantID, Group: group,
		Caller: a.contact.E164, Dialed: a.c.Settings.CallerID,
		Path: []string{"campaign " + a.c.Settings.Name + ": the called person pressed " + key + " to speak to an operator"},
	})
	if err != nil {
		a.log.Warn("queue the call", slog.String("group", group), slog.Any("err", err))
		a.hangup(ctx, engine.HangupNormal)
		return res, nil
	}
	*handed = true
	select {
	case <-ctx.Done():
		return Result{}, errStopped
	case r, ok := <-c:
		if ok && r.Connected {
			res.Connected = true
			res.Agent = a.d.cfg.AgentName(r.Agent)
		}
		return res, nil
	}
}
