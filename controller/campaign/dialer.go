// Package campaign is the outbound dialer (OUT-2..OUT-7): it runs the
// campaigns that are scheduled or running, one runner per campaign, each
// placing the campaign's calls at its pace within its calling windows,
// playing the campaign's message to the people who answer, acting on the
// keys they press (connect to an ACD group, replay, do-not-call, hang up)
// and recording every attempt and its outcome.
//
// The rules — which contact to call next and when, retries, windows,
// limits — are package campaign's (github.com/vmsplatform/vms/campaign);
// this package owns the clock, the engine and the order of the writes.
// An attempt is recorded before it is dialled (Store.BeginAttempt claims
// its number), so that a crash never dials a contact twice for the same
// attempt (OUT-7); only the process holding a campaign's lease dials it.
// A person who asks for an operator is handed to the controller, which
// queues the call in the group like an inbound call.
//
// It reaches the store through the Store interface it declares and the
// controller through Queue; it must not import store, portal or SQL, nor
// any engine driver.
package campaign

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	rules "github.com/vmsplatform/vms/campaign"
	"github.com/vmsplatform/vms/controller"
	"github.com/vmsplatform/vms/engine"
)

// Defaults of Config.
const (
	DefaultLeaseTTL       = 30 * time.Second
	DefaultKeyWait        = 5 * time.Second
	DefaultMaxReplays     = 3
	DefaultRescan         = 15 * time.Second
	DefaultCommandTimeout = 10 * time.Second
	// ringGrace is added to the ring timeout given to the engine: the
	// dialer ends an unanswered call itself at the ring timeout.
	ringGrace = 5 * time.Second
	// lostGrace is added to the ring timeout and the message's length to
	// bound an attempt that is not connected to an agent: in progress
	// longer than that after a restart, it was lost.
	lostGrace = 30 * time.Second
	// maxDTMF bounds the keys kept per attempt.
	maxDTMF = 20
)

// Queue hands an answered call to the controller's ACD queue.
// *controller.Controller implements it.
type Queue interface {
	QueueChannel(ctx context.Context, h controller.Handover) (<-chan controller.HandoverResult, error)
}

// Config configures a Dialer. DialString is required.
type Config struct {
	// Owner names this process in leases and attempts; default
	// hostname-pid.
	Owner string
	// DialString returns the engine's dial string of an E.164 number
	// (the controller's trunk, see controller.Config.DialString).
	DialString func(e164 string) string
	// MessageURL returns the media URI that plays a campaign message
	// addressed by its SHA-256, e.g.
	// "sound:http://vms:8080/media/messages/<sha>"; default "sound:<sha>".
	MessageURL func(sha string) string
	// AgentName returns the name of an agent (acd.AgentID) recorded as
	// the connected agent; default the id.
	AgentName func(agentID string) string
	// LeaseTTL is how long a campaign's lease lasts without renewal;
	// default 30 s. It is renewed every third of it.
	LeaseTTL time.Duration
	// KeyWait is how long a key is awaited after the message; default 5 s.
	KeyWait time.Duration
	// MaxReplays bounds the replays of the message per call; default 3.
	MaxReplays int
	// Rescan is how often the runnable campaigns are read again without
	// a Kick; default 15 s.
	Rescan time.Duration
	// CommandTimeout bounds one engine or store command; default 10 s.
	CommandTimeout time.Duration
	// LostAfter is how long after its start an attempt left in progress
	// by another process (one that went away) is marked lost; default
	// the ring timeout, the message played as often as it may be, the
	// key wait and 30 s. It must exceed the longest call before the
	// person is connected.
	LostAfter time.Duration
	// RetryDelay, when set, replaces the campaigns' retry delays. For
	// tests only: the settings users write keep their bounds.
	RetryDelay time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

func (cfg Config) withDefaults() Config {
	if cfg.Owner == "" {
		host, _ := os.Hostname()
		cfg.Owner = host + "-" + strconv.Itoa(os.Getpid())
	}
	if cfg.MessageURL == nil {
		cfg.MessageURL = func(sha string) string { return "sound:" + sha }
	}
	if cfg.AgentName == nil {
		cfg.AgentName = func(id string) string { return id }
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	if cfg.KeyWait <= 0 {
		cfg.KeyWait = DefaultKeyWait
	}
	if cfg.MaxReplays <= 0 {
		cfg.MaxReplays = DefaultMaxReplays
	}
	if cfg.Rescan <= 0 {
		cfg.Rescan = DefaultRescan
	}
	if cfg.CommandTimeout <= 0 {
		cfg.CommandTimeout = DefaultCommandTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}

// Dialer runs the campaigns. Create it with New and run it with Run.
type Dialer struct {
	cfg   Config
	eng   engine.Engine
	store Store
	queue Queue
	log   *slog.Logger

	kick chan struct{}

	mu      sync.Mutex
	runners map[uint]*runner
}

// New returns a Dialer. queue may be nil (then the connect key only hangs
// up); log may be nil.
func New(cfg Config, eng engine.Engine, store Store, queue Queue, log *slog.Logger) (*Dialer, error) {
	if cfg.DialString == nil {
		return nil, errors.New("campaign: a dial string is required")
	}
	if eng == nil || store == nil {
		return nil, errors.New("campaign: engine and store are required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Dialer{
		cfg: cfg.withDefaults(), eng: eng, store: store, queue: queue, log: log,
		kick:    make(chan struct{}, 1),
		runners: make(map[uint]*runner),
	}, nil
}

// Owner returns the name this dialer uses in leases and attempts.
func (d *Dialer) Owner() string { return d.cfg.Owner }

// Kick makes the dialer read the campaigns again at once, after a change
// in the portal (scheduled, paused, resumed, stopped, edited). It never
// blocks.
func (d *Dialer) Kick() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range d.runners {
		r.wakeUp()
	}
}

// Run runs the campaigns until ctx ends. Calls connected to an agent then
// stay with the controller; attempts still ringing or playing are left as
// they are, like after a crash: the next dialer marks them lost once they
// are too old to be in progress. Run returns nil once every runner ended.
func (d *Dialer) Run(ctx context.Context) error {
	sched := cron.New(cron.WithLocation(time.UTC), cron.WithLogger(cron.DiscardLogger))
	sched.Start()
	defer sched.Stop()
	entries := map[uint][]cron.EntryID{}
	specs := map[uint]string{}
	var wg sync.WaitGroup
	defer wg.Wait()
	t := time.NewTicker(d.cfg.Rescan)
	defer t.Stop()
	for {
		d.scan(ctx, &wg, sched, entries, specs)
		select {
		case <-ctx.Done():
			return nil
		case <-d.kick:
		case <-t.C:
		}
	}
}

// scan starts a runner for each runnable campaign without one and keeps
// the calling-window wake-ups of the cron scheduler in step.
func (d *Dialer) scan(ctx context.Context, wg *sync.WaitGroup, sched *cron.Cron, entries map[uint][]cron.EntryID, specs map[uint]string) {
	sctx, cancel := context.WithTimeout(ctx, d.cfg.CommandTimeout)
	cs, err := d.store.RunnableCampaigns(sctx, d.cfg.Now())
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			d.log.Warn("read runnable campaigns", slog.Any("err", err))
		}
		return
	}
	seen := map[uint]bool{}
	for _, c := range cs {
		seen[c.ID] = true
		d.mu.Lock()
		r := d.runners[c.ID]
		if r == nil {
			r = newRunner(d, c.ID)
			d.runners[c.ID] = r
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.run(ctx)
				d.mu.Lock()
				if d.runners[c.ID] == r {
					delete(d.runners, c.ID)
				}
				d.mu.Unlock()
			}()
		}
		d.mu.Unlock()
		spec := strings.Join(CronSpecs(c.Settings), "\n")
		if specs[c.ID] == spec {
			continue
		}
		for _, id := range entries[c.ID] {
			sched.Remove(id)
		}
		entries[c.ID], specs[c.ID] = nil, spec
		id := c.ID
		for _, s := range CronSpecs(c.Settings) {
			e, err := sched.AddFunc(s, func() { d.wake(id) })
			if err != nil {
				d.log.Warn("calling window wake-up", slog.Uint64("campaign", uint64(id)), slog.String("spec", s), slog.Any("err", err))
				continue
			}
			entries[c.ID] = append(entries[c.ID], e)
		}
	}
	for id := range entries {
		if !seen[id] {
			for _, e := range entries[id] {
				sched.Remove(e)
			}
			delete(entries, id)
			delete(specs, id)
			d.wake(id)
		}
	}
}

// wake wakes the runner of a campaign, if any.
func (d *Dialer) wake(id uint) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if r := d.runners[id]; r != nil {
		r.wakeUp()
	}
}

// CronSpecs returns the cron specifications (robfig/cron, with CRON_TZ)
// that fire when one of the campaign's calling windows opens, in the
// campaign's time zone.
func CronSpecs(c rules.Campaign) []string {
	tz := c.TimeZone
	if tz == "" {
		tz = rules.DefaultTimeZone
	}
	var out []string
	for _, w := range c.Windows {
		var days []string
		for wd := time.Sunday; wd <= time.Saturday; wd++ {
			if w.Days.Has(wd) {
				days = append(days, strconv.Itoa(int(wd)))
			}
		}
		if len(days) == 0 || w.From < 0 || w.From >= 24*60 {
			continue
		}
		out = append(out, fmt.Sprintf("CRON_TZ=%s %d %d * * %s", tz, w.From%60, w.From/60, strings.Join(days, ",")))
	}
	return out
}
