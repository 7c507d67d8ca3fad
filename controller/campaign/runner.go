package campaign

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	rules "github.com/vmsplatform/vms/campaign"
	"github.com/vmsplatform/vms/controller"
)

// runner runs one campaign: it holds the campaign's lease and places its
// calls. Only its own goroutine runs run; calls run in goroutines of
// their own and report their end on ended.
type runner struct {
	d   *Dialer
	id  uint
	log *slog.Logger

	wake  chan struct{}
	ended chan struct{}

	calls    sync.WaitGroup
	mu       sync.Mutex
	inflight int
	starts   map[uint]time.Time // of the calls in flight, by attempt id

	leased    bool
	renewedAt time.Time
	lastDial  time.Time
	// engineDownAt is when a call last found the engine unreachable
	// (wall clock); no call is placed for engineBackoff after it.
	engineDownAt time.Time
}

// engineBackoff is how long the runner places no call after the engine
// was found unreachable.
const engineBackoff = 10 * time.Second

func newRunner(d *Dialer, id uint) *runner {
	return &runner{
		d: d, id: id,
		log:   d.log.With(slog.Uint64("campaign", uint64(id))),
		wake:  make(chan struct{}, 1),
		ended: make(chan struct{}, 1),
	}
}

func (r *runner) wakeUp() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *runner) busy() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inflight
}

// oldest returns the start of the oldest call in flight; zero when none.
func (r *runner) oldest() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	var t time.Time
	for _, s := range r.starts {
		if t.IsZero() || s.Before(t) {
			t = s
		}
	}
	return t
}

// run is the runner's loop. It returns when the campaign is no longer to
// be dialled by this process (paused, stopped, done, not runnable) and its
// calls ended, or when ctx ends (its calls are then left as after a
// crash).
func (r *runner) run(ctx context.Context) {
	defer r.calls.Wait()
	for ctx.Err() == nil {
		next, stop := r.step(ctx)
		if stop {
			if r.busy() == 0 {
				r.release(ctx)
				return
			}
			next = time.Second
		}
		r.sleep(ctx, next)
	}
}

// sleep waits d, a wake-up, the end of a call, or the next lease renewal.
func (r *runner) sleep(ctx context.Context, d time.Duration) {
	if r.leased {
		d = min(d, r.d.cfg.LeaseTTL/3)
	}
	d = max(d, 10*time.Millisecond)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-r.wake:
	case <-r.ended:
	case <-t.C:
	}
}

func (r *runner) cmdCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, r.d.cfg.CommandTimeout)
}

// step does one round: lease, campaign state, lost attempts, the plan's
// next dial. It returns how long to wait before the next round, or stop.
func (r *runner) step(ctx context.Context) (wait time.Duration, stop bool) {
	cfg := r.d.cfg
	st := r.d.store
	now := cfg.Now()
	if !r.lease(ctx, now) {
		return cfg.LeaseTTL / 2, false
	}
	cctx, cancel := r.cmdCtx(ctx)
	c, err := st.Campaign(cctx, r.id)
	cancel()
	if err != nil {
		r.log.Warn("read campaign", slog.Any("err", err))
		return 5 * time.Second, false
	}
	if c.State != StateScheduled && c.State != StateRunning {
		return 0, true
	}
	plan, err := rules.Compile(c.Settings, c.Limits)
	if err != nil {
		r.log.Error("campaign settings do not compile; not dialling", slog.Any("err", err))
		return 0, true
	}
	// Attempts left in progress by a process that went away (OUT-7).
	lostAfter := cfg.LostAfter
	if lostAfter <= 0 {
		lostAfter = c.Settings.RingTimeout + c.MessageDuration*time.Duration(cfg.MaxReplays+1) + cfg.KeyWait + lostGrace
	}
	bound := now.Add(-lostAfter)
	// The store cannot tell our own calls from those of a process that
	// went away: while one of ours is older than the bound (a person
	// waiting long in a queue), the others wait for a later round.
	if oldest := r.oldest(); oldest.IsZero() || !oldest.Before(bound) {
		cctx, cancel = r.cmdCtx(ctx)
		n, err := st.LostAttempts(cctx, r.id, bound)
		cancel()
		if err != nil {
			r.log.Warn("mark lost attempts", slog.Any("err", err))
		} else if n > 0 {
			r.log.Warn("attempts left in progress by an earlier process marked lost", slog.Int("attempts", n))
		}
	}
	cctx, cancel = r.cmdCtx(ctx)
	contacts, err := st.Contacts(cctx, r.id)
	cancel()
	if err != nil {
		r.log.Warn("read contacts", slog.Any("err", err))
		return 5 * time.Second, false
	}
	hist := r.history(c, contacts)
	dec := plan.Next(hist, r.lastDial, now)
	switch {
	case dec.Finished || dec.Ended:
		if r.busy() > 0 {
			return time.Second, false
		}
		if c.State == StateScheduled {
			// Over before it started (its dates passed): a campaign is
			// done from running only.
			cctx, cancel = r.cmdCtx(ctx)
			_ = st.SetState(cctx, r.id, []string{StateScheduled}, StateRunning)
			cancel()
		}
		cctx, cancel = r.cmdCtx(ctx)
		err := st.SetState(cctx, r.id, []string{StateRunning}, StateDone)
		cancel()
		if err != nil && !errors.Is(err, ErrStateChanged) {
			r.log.Warn("mark campaign done", slog.Any("err", err))
			return 5 * time.Second, false
		}
		r.log.Info("campaign done", slog.Bool("all_contacts_done", dec.Finished))
		return 0, true
	case dec.Waiting():
		// Only attempts in progress are left: their end wakes us, and an
		// attempt of a process that went away becomes lost in time.
		return 5 * time.Second, false
	case dec.At.After(now):
		return dec.At.Sub(now), false
	}
	r.mu.Lock()
	down := r.engineDownAt
	r.mu.Unlock()
	if wait := engineBackoff - time.Since(down); !down.IsZero() && wait > 0 {
		return wait, false
	}
	if c.State == StateScheduled {
		cctx, cancel = r.cmdCtx(ctx)
		err := st.SetState(cctx, r.id, []string{StateScheduled}, StateRunning)
		cancel()
		if err != nil {
			r.log.Info("campaign cannot start yet", slog.Any("err", err))
			return cfg.Rescan, false
		}
		r.log.Info("campaign running")
	}
	if err := r.dial(ctx, c, contacts[dec.Contact]); err != nil {
		r.log.Warn("dial", slog.Any("err", err))
		return 5 * time.Second, false
	}
	return 0, false
}

// lease takes or renews the campaign's lease; false while another process
// holds it.
func (r *runner) lease(ctx context.Context, now time.Time) bool {
	cfg := r.d.cfg
	if r.leased && now.Sub(r.renewedAt) < cfg.LeaseTTL/3 {
		return true
	}
	cctx, cancel := r.cmdCtx(ctx)
	defer cancel()
	var ok bool
	var err error
	if r.leased {
		ok, err = r.d.store.RenewLease(cctx, r.id, cfg.Owner, cfg.LeaseTTL, now)
	} else {
		ok, err = r.d.store.TryLease(cctx, r.id, cfg.Owner, cfg.LeaseTTL, now)
	}
	switch {
	case err != nil:
		r.log.Warn("campaign lease", slog.Any("err", err))
		if r.leased && now.Sub(r.renewedAt) < cfg.LeaseTTL*2/3 {
			return true // still ours for a while; try again soon
		}
		ok = false
	case ok && !r.leased:
		r.log.Info("campaign lease taken", slog.String("owner", cfg.Owner))
	case !ok && r.leased:
		r.log.Warn("campaign lease lost; no more calls from this process")
	}
	r.leased = ok
	if ok {
		r.renewedAt = now
	}
	return ok
}

func (r *runner) release(ctx context.Context) {
	if !r.leased || ctx.Err() != nil {
		return
	}
	cctx, cancel := r.cmdCtx(ctx)
	defer cancel()
	if err := r.d.store.ReleaseLease(cctx, r.id, r.d.cfg.Owner); err != nil {
		r.log.Warn("release campaign lease", slog.Any("err", err))
	}
	r.leased = false
}

// history turns the contacts into the plan's view, and moves lastDial to
// the latest attempt recorded (the pace holds across restarts).
func (r *runner) history(c Campaign, contacts []Contact) []rules.Contact {
	out := make([]rules.Contact, len(contacts))
	for i, ct := range contacts {
		h := rules.Contact{DoNotCall: ct.DoNotCall, Attempts: make([]rules.Attempt, 0, len(ct.Attempts))}
		for _, a := range ct.Attempts {
			if a.Start.After(r.lastDial) {
				r.lastDial = a.Start
			}
			o := a.Outcome
			if o == Lost {
				// Nobody knows what became of it: retried like a call
				// that was not answered, as a new attempt.
				o = rules.NoAnswer
			}
			end := a.End
			if d := r.d.cfg.RetryDelay; d > 0 && !end.IsZero() {
				var policy time.Duration
				switch o {
				case rules.Busy:
					policy = c.Settings.Busy.Delay
				case rules.NoAnswer:
					policy = c.Settings.NoAnswer.Delay
				}
				if policy > d {
					end = end.Add(d - policy)
				}
			}
			h.Attempts = append(h.Attempts, rules.Attempt{Start: a.Start, End: end, Outcome: o})
		}
		out[i] = h
	}
	return out
}

// dial records the contact's next attempt and starts its call.
func (r *runner) dial(ctx context.Context, c Campaign, ct Contact) error {
	number := 1
	for _, a := range ct.Attempts {
		number = max(number, a.Number+1)
	}
	number = max(number, len(ct.Attempts)+1)
	ch := controller.OutboundPrefix + fmt.Sprintf("%d-%d-%d", c.ID, ct.ID, number)
	now := r.d.cfg.Now()
	cctx, cancel := r.cmdCtx(ctx)
	id, err := r.d.store.BeginAttempt(cctx, Attempt{
		CampaignID: c.ID, ContactID: ct.ID, Number: number, ChannelID: ch, Owner: r.d.cfg.Owner, At: now,
	})
	cancel()
	if errors.Is(err, ErrAttemptTaken) {
		r.log.Warn("attempt already taken; not dialled again", slog.String("channel", ch))
		return nil
	}
	if err != nil {
		return fmt.Errorf("begin attempt %s: %w", ch, err)
	}
	r.lastDial = now
	r.mu.Lock()
	r.inflight++
	if r.starts == nil {
		r.starts = map[uint]time.Time{}
	}
	r.starts[id] = now
	r.mu.Unlock()
	a := &attempt{
		d: r.d, c: c, contact: ct, id: id, ch: engineChannel(ch),
		log: r.log.With(slog.String("call_id", ch)),
		engineDown: func() {
			r.mu.Lock()
			r.engineDownAt = time.Now()
			r.mu.Unlock()
		},
	}
	r.calls.Add(1)
	go func() {
		defer r.calls.Done()
		defer func() {
			r.mu.Lock()
			r.inflight--
			delete(r.starts, id)
			r.mu.Unlock()
			select {
			case r.ended <- struct{}{}:
			default:
			}
		}()
		a.run(ctx)
	}()
	return nil
}
