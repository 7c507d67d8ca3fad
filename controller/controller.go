// Package controller executes routing decisions on real calls: one
// goroutine per inbound call reads the call's engine events, asks the
// call's compiled routing.Plan where to go, and carries the decision out
// over an engine.Engine — ring a number and connect it (through the engine's
// dialplan when it can, else bridged by VMS), play an announcement,
// run a DTMF menu, hand over to another tree, queue the caller in an ACD
// group until an agent answers, fall back to the next alternative when a
// destination is busy, does not answer or cannot be reached, or a group
// overflows (TRM-1..9, NUM-3, NUM-5, ENG-1, ENG-3, ACM-2..4).
//
// The package owns the life of a call from arrival to its call record
// (TRM-8), surge protection per number (NUM-5), the static fallback kept in
// the engine for when VMS is away (ENG-3) and the adoption of calls that
// stayed up while VMS restarted, and feeds the contact centre the agents'
// phone presence. It reaches routes, the contact centre and the
// call-record store only through the small interfaces it declares
// (Routes, Queue, Presence, Records, FallbackSource); it must not import
// store, portal or SQL, nor any engine driver.
package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmsplatform/vms/center"
	"github.com/vmsplatform/vms/engine"
	"github.com/vmsplatform/vms/routing"
)

// Defaults used when Config leaves a field at zero.
const (
	DefaultApp              = "vms"
	DefaultRingTimeout      = routing.DefaultRingTimeout * time.Second
	DefaultMenuTimeout      = routing.DefaultMenuTimeout * time.Second
	DefaultMaxHops          = 16
	DefaultRegion           = "BE"
	DefaultFallbackInterval = 10 * time.Second
	DefaultCommandTimeout   = 10 * time.Second
	DefaultRecordQueue      = 10000
	// legGrace is added to the ring timeout given to the engine: the
	// controller hangs a leg up itself at the ring timeout, the engine's
	// own timeout is only a backstop.
	legGrace = 5 * time.Second
	// maxAnnouncement bounds the wait for the end of one playback.
	maxAnnouncement = 10 * time.Minute
)

// Config configures a Controller. Only Trunk (or DialString) is required.
type Config struct {
	// App is the engine's application name (ARI Stasis app); default "vms".
	App string
	// Trunk is the dial-string template of number destinations, e.g.
	// "PJSIP/{number}@trunk-out": {number} is the E.164 number without
	// '+', {e164} with it.
	Trunk string
	// DialString, when set, replaces Trunk: it returns the dial string of
	// an E.164 number (several trunks, per-prefix carriers, tests).
	DialString func(e164 string) string
	// PromptURL returns the media URI that plays a tenant prompt, e.g.
	// "sound:http://vms:8080/media/prompts/<sha>.wav"; default
	// "sound:<promptID>".
	PromptURL func(promptID string) string
	// DefaultRingTimeout is how long a number rings when its node sets no
	// ring timeout; default 20 s, the value routing's traces name (change
	// it only in tests).
	DefaultRingTimeout time.Duration
	// MenuTimeout is how long a menu waits for a digit when its node sets
	// no timeout (and between the digits of a multi-digit choice);
	// default 5 s.
	MenuTimeout time.Duration
	// MaxHops bounds tree hand-overs plus dynamic alternatives per call;
	// default 16. A call over the bound is hung up.
	MaxHops int
	// Region is the numbering region callers' numbers are read in when
	// they come in national form, and home for "international"; default BE.
	Region string
	// Now is the clock of routing decisions and call records (TRM-3
	// office hours); default time.Now.
	Now func() time.Time
	// Random picks percent branches; default math/rand/v2.
	Random func() uint32
	// FallbackInterval is how often the ENG-3 static fallbacks are
	// compared with the routes and updated in the engine; default 10 s.
	FallbackInterval time.Duration
	// CommandTimeout bounds one engine command; default 10 s.
	CommandTimeout time.Duration
	// RecordQueue bounds the call records waiting for the store (oldest
	// dropped first when the store is down for long); default 10,000.
	RecordQueue int
	// BridgeCalls makes VMS ring every number destination itself
	// (originate, answer and bridge over the engine's API) even when the
	// engine's dialplan can ring it (engine.DialplanDialer): the way for
	// an engine whose dialplan lacks VMS's dial context, and for tests of
	// that path. By default a plain number destination is handed to the
	// engine's dialplan, which connects the call natively at a fraction
	// of the cost (docs/performance.md).
	BridgeCalls bool
	// Queue is the contact centre of group destinations (ACM-2..4); nil
	// makes every group closed (the call takes its group_closed
	// alternative). When it also implements Presence, the controller
	// feeds it the agents' phone registrations from the engine.
	Queue Queue
}

// withDefaults returns cfg with every zero field set.
func (cfg Config) withDefaults() Config {
	if cfg.App == "" {
		cfg.App = DefaultApp
	}
	if cfg.PromptURL == nil {
		cfg.PromptURL = func(id string) string { return "sound:" + id }
	}
	if cfg.DefaultRingTimeout <= 0 {
		cfg.DefaultRingTimeout = DefaultRingTimeout
	}
	if cfg.MenuTimeout <= 0 {
		cfg.MenuTimeout = DefaultMenuTimeout
	}
	if cfg.MaxHops <= 0 {
		cfg.MaxHops = DefaultMaxHops
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Random == nil {
		cfg.Random = rand.Uint32
	}
	if cfg.FallbackInterval <= 0 {
		cfg.FallbackInterval = DefaultFallbackInterval
	}
	if cfg.CommandTimeout <= 0 {
		cfg.CommandTimeout = DefaultCommandTimeout
	}
	if cfg.RecordQueue <= 0 {
		cfg.RecordQueue = DefaultRecordQueue
	}
	return cfg
}

// Validate reports a configuration the controller cannot work with.
func (cfg Config) Validate() error {
	if cfg.DialString == nil && !strings.Contains(cfg.Trunk, "{number}") && !strings.Contains(cfg.Trunk, "{e164}") {
		return fmt.Errorf("controller: trunk %q: want a dial string with {number} or {e164}", cfg.Trunk)
	}
	return nil
}

// Route is what the controller needs to route calls to one dialed number.
// A Route and its Plan are never modified once handed out: a call keeps
// the Plan it started with (TRM-6).
type Route struct {
	TenantID, NumberID uint
	// Number is the dialed number in E.164.
	Number string
	// TreeID and TreeVersion name the tree version Plan was compiled from.
	TreeID      string
	TreeVersion int
	// Plan is the compiled tree; nil when the tree does not compile (then
	// calls go to Fallback).
	Plan *routing.Plan
	// Active is false when the number is ported out (NUM-3) or otherwise
	// not in service: its calls are refused.
	Active bool
	// Limit is the surge protection of the number (NUM-5).
	Limit Limit
	// Fallback is the static fallback destination in E.164 (ENG-3), also
	// used when routing a call fails unexpectedly.
	Fallback string
	// InList reports whether a number is in a customer list (TRM-3).
	InList func(list, number string) bool
	// SitesDown holds the tenant's sites marked down (TRM-9).
	SitesDown map[string]bool
	// PromptKey maps a prompt name used in the tenant's trees to the key
	// Config.PromptURL takes (e.g. the prompt's content hash); nil means
	// names are keys. Limit.OverflowPrompt is already a key.
	PromptKey func(name string) string
}

// Overflow treatments of Limit.
const (
	OverflowBusy         = "busy"
	OverflowAnnouncement = "announcement"
)

// Limit protects a number against traffic surges (NUM-5). Zero fields
// mean no limit.
type Limit struct {
	// CallsPerSecond is the sustained rate of new calls accepted; bursts
	// up to one second's worth (at least one call) pass.
	CallsPerSecond float64
	// MaxConcurrent is the most calls to the number at once.
	MaxConcurrent int
	// Overflow is the treatment of calls above the limit: OverflowBusy
	// (default) or OverflowAnnouncement (answer, play OverflowPrompt, hang
	// up).
	Overflow string
	// OverflowPrompt is the key (as Config.PromptURL takes it) of the
	// overflow announcement.
	OverflowPrompt string
}

// ErrNoRoute is returned (wrapped) by Routes.Route for a number VMS does
// not route; a nil Route with a nil error means the same.
var ErrNoRoute = errors.New("controller: no route")

// Routes gives the controller the routes of dialed numbers.
type Routes interface {
	// Route returns the route of a dialed number as the engine reports it
	// (E.164 with or without '+', or national form).
	Route(ctx context.Context, dialed string) (*Route, error)
	// Tree returns the current plan and version of a tenant's tree, for
	// "tree" destinations.
	Tree(ctx context.Context, tenantID uint, treeID string) (*routing.Plan, int, error)
}

// FallbackSource is implemented by Routes that know the static fallback
// destination of every routed number (ENG-3): dialed number (E.164) →
// destination (E.164). The controller keeps the engine's copy current.
type FallbackSource interface {
	Fallbacks(ctx context.Context) (map[string]string, error)
}

// Records stores call records (TRM-8).
type Records interface {
	// SaveCall stores a record, merging it with what is stored under the
	// same ID: a call is saved when it is answered (EndedAt nil) and
	// again when it ends, possibly by another process that adopted it
	// after a restart and knows less of it (no path, legs or answer
	// time). The stored record must only move forward: a record with
	// more information (ended where the stored one is not, more legs)
	// completes it, and a stale or repeated save (the writer retries
	// after failures) never overwrites a more complete one. An error
	// wrapping ErrRecordRejected means the record can never be stored:
	// it is dropped (and logged) instead of retried.
	SaveCall(ctx context.Context, r *CallRecord) error
}

// ErrRecordRejected is wrapped by Records for a record the store refuses
// for good.
var ErrRecordRejected = errors.New("controller: call record rejected")

// Call outcomes (TRM-8).
const (
	OutcomeAnswered     = "answered"     // connected with a destination
	OutcomeBusy         = "busy"         // ended busy (busy node, or the last destination was busy)
	OutcomeNoAnswer     = "no_answer"    // the last destination did not answer
	OutcomeAbandoned    = "abandoned"    // the caller hung up before an answer
	OutcomeFailed       = "failed"       // unreachable destinations or an internal failure
	OutcomeAnnouncement = "announcement" // ended after an announcement or menu
	OutcomeRejected     = "rejected"     // unknown, ported or inactive number, or a hang-up node
	OutcomeOverflow     = "overflow"     // refused by surge protection (NUM-5)
	OutcomeVoicemail    = "voicemail"    // a message was recorded
)

// Leg outcomes beyond the call outcomes above.
const (
	LegUnreachable = "unreachable" // congestion, no route, failure
	LegRejected    = "rejected"    // declined by the destination
	LegCancelled   = "cancelled"   // hung up by VMS while ringing
)

// CallRecord is the record every call leaves (TRM-8).
type CallRecord struct {
	// ID is the inbound channel id.
	ID                 string
	TenantID, NumberID uint
	// Caller is the caller's number (E.164 when it could be read, else as
	// presented; "" when withheld); Dialed is E.164 when routed.
	Caller, Dialed string
	TreeID         string
	TreeVersion    int
	ArrivedAt      time.Time
	AnsweredAt     *time.Time // when a destination answered
	EndedAt        *time.Time // nil while the call stays up (left to the engine)
	Outcome        string
	// Destination is the final destination: the E.164 number that
	// answered, else the last destination or node reached.
	Destination string
	// Path is the trace of every routing decision, concatenated.
	Path []routing.Step
	// Legs are the outbound legs, in order.
	Legs []Leg
}

// Leg is one outbound leg of a call. A call queued in an ACD group has a
// leg for its wait in the group (Destination "group:<key>", ended by the
// answer or the overflow) and one per agent rung ("agent:<id>").
type Leg struct {
	Destination string // E.164, "group:<key>" or "agent:<id>"
	NodeID      string
	StartedAt   time.Time
	AnsweredAt  *time.Time
	EndedAt     time.Time
	Outcome     string // answered, busy, no_answer, unreachable, rejected, cancelled; group legs: answered, abandoned or the overflow's routing outcome (group_timeout, group_closed)
	Cause       int    // Q.850 cause when the engine reported one
}

// Controller runs calls. Create it with New and run it with Run.
type Controller struct {
	cfg     Config
	eng     engine.Engine
	routes  Routes
	log     *slog.Logger
	records *recordWriter
	surge   *surge

	active atomic.Int64
	wg     sync.WaitGroup

	mu      sync.Mutex
	calls   map[engine.ChannelID]*call // by inbound channel
	adopted map[engine.ChannelID]bool  // channels held by adopted calls
	// partners maps each channel of an adopted pair to the other.
	partners map[engine.ChannelID]engine.ChannelID

	fallbackKick chan struct{}
	// runCtx is the context of Run, the life of calls handed over by
	// QueueChannel; nil when Run does not run.
	runCtx context.Context
	// presence follows the agents' phones; nil without a Queue that
	// implements Presence or an engine that reports endpoint states.
	presence *presence
}

// New returns a Controller. records may be nil (records are then only
// logged); log may be nil.
func New(cfg Config, eng engine.Engine, routes Routes, records Records, log *slog.Logger) (*Controller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if eng == nil || routes == nil {
		return nil, errors.New("controller: engine and routes are required")
	}
	if svc, ok := cfg.Queue.(*center.Service); ok && svc == nil {
		cfg.Queue = nil // a nil service: no contact centre
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	c := &Controller{
		cfg:          cfg,
		eng:          eng,
		routes:       routes,
		log:          log,
		surge:        newSurge(),
		calls:        make(map[engine.ChannelID]*call),
		adopted:      make(map[engine.ChannelID]bool),
		partners:     make(map[engine.ChannelID]engine.ChannelID),
		fallbackKick: make(chan struct{}, 1),
	}
	c.records = newRecordWriter(records, cfg.RecordQueue, log)
	if p, ok := cfg.Queue.(Presence); ok {
		if w, ok := eng.(engine.EndpointWatcher); ok {
			c.presence = newPresence(p, w, cfg.CommandTimeout, log)
		}
	}
	return c, nil
}

// ActiveCalls returns the number of calls the controller runs now,
// adopted calls included.
func (c *Controller) ActiveCalls() int { return int(c.active.Load()) }

// Run reads the engine's Inbox and runs one goroutine per call until ctx
// ends. Then calls that are bridged are left up in the engine (a restarted
// VMS adopts them), calls still being routed are wound down (legs and
// caller hung up, records saved), and Run returns nil once every call
// goroutine ended and the records queue was flushed (or its flush timed
// out).
func (c *Controller) Run(ctx context.Context) error {
	c.mu.Lock()
	c.runCtx = ctx
	c.mu.Unlock()
	bg := context.WithoutCancel(ctx)
	wctx, wcancel := context.WithCancel(bg)
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		c.records.run(wctx)
	}()
	var aux sync.WaitGroup
	if fs, ok := c.eng.(engine.FallbackStore); ok {
		if src, ok := c.routes.(FallbackSource); ok {
			aux.Add(1)
			go func() {
				defer aux.Done()
				c.syncFallbacks(ctx, fs, src)
			}()
		}
	}
	if c.presence != nil {
		aux.Add(1)
		go func() {
			defer aux.Done()
			c.presence.run(ctx)
		}()
	}
	inbox := c.eng.Inbox()
	for {
		ev, err := inbox.Next(ctx)
		if err != nil {
			break
		}
		c.handle(ctx, ev)
	}
	c.wg.Wait()
	aux.Wait()
	// Give the store a short while to take the last records.
	flush, fcancel := context.WithTimeout(bg, 5*time.Second)
	c.records.flush(flush)
	fcancel()
	wcancel()
	<-writerDone
	return nil
}

// handle dispatches one Inbox event; it never blocks on a call.
func (c *Controller) handle(ctx context.Context, ev engine.Event) {
	switch ev := ev.(type) {
	case engine.CallArrived:
		if isLeg(ev.Channel) || IsOutbound(ev.Channel) {
			// A leg originated by an earlier VMS process that answered
			// while VMS was away: its call is gone, end it.
			c.log.Warn("orphaned leg entered the application; hanging it up", slog.String("channel", string(ev.Channel)))
			if ev.Events != nil {
				ev.Events.Close()
			}
			c.background(func() {
				cctx, cancel := c.cmdCtx(ctx)
				defer cancel()
				_ = c.eng.Hangup(cctx, ev.Channel, engine.HangupNormal)
			})
			return
		}
		c.start(ctx, ev)
	case engine.Reconnected:
		c.reconnected(ctx, ev)
		select {
		case c.fallbackKick <- struct{}{}:
		default:
		}
		// Endpoint events of the time away are lost, and a restarted
		// engine forgot the watches.
		c.Refresh()
	case engine.DialplanEnded:
		// The end of a call handed to the engine's dialplan by an
		// earlier VMS process.
		c.dialplanEnded(ctx, ev)
	case engine.ChannelReturned:
		// A channel back from the engine's dialplan whose call goroutine
		// is gone: route it afresh.
		c.reroute(ctx, ev.Channel)
	case engine.Disconnected:
		c.log.Warn("engine disconnected", slog.Any("err", ev.Err))
	case engine.EndpointStateChanged:
		if c.presence != nil {
			c.presence.changed(ev)
		}
	case engine.ChannelHungup:
		// An adopted channel that ended between the engine's listing and
		// the adoption's subscription: end its partner, whose own hang-up
		// then ends the adoption.
		c.mu.Lock()
		partner := c.partners[ev.Channel]
		c.mu.Unlock()
		if partner != "" {
			c.background(func() {
				cctx, cancel := c.cmdCtx(ctx)
				defer cancel()
				_ = c.eng.Hangup(cctx, partner, engine.HangupNormal)
			})
		}
	default:
		// Events of channels nobody holds: late events of legs already
		// given up, or of channels hung up while adopted.
		c.log.Debug("unclaimed engine event", slog.String("type", fmt.Sprintf("%T", ev)),
			slog.String("channel", string(ev.EventChannel())))
	}
}

// start launches the goroutine of a new inbound call.
func (c *Controller) start(ctx context.Context, ev engine.CallArrived) { c.startCall(ctx, ev, false) }

// startCall launches a call goroutine; answered is set for an adopted
// caller that is already answered.
func (c *Controller) startCall(ctx context.Context, ev engine.CallArrived, answered bool) {
	k := newCall(c, ctx, ev)
	k.answered = answered
	c.mu.Lock()
	c.calls[ev.Channel] = k
	c.mu.Unlock()
	c.active.Add(1)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer c.active.Add(-1)
		defer func() {
			c.mu.Lock()
			delete(c.calls, ev.Channel)
			c.mu.Unlock()
		}()
		k.run()
	}()
}

// cmdCtx bounds one engine command; it outlives the Run context so that a
// call can always be cleaned up.
func (c *Controller) cmdCtx(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(parent), c.cfg.CommandTimeout)
}

// dialString turns an E.164 number into the engine's dial string.
func (c *Controller) dialString(e164 string) string {
	if c.cfg.DialString != nil {
		return c.cfg.DialString(e164)
	}
	digits := strings.TrimPrefix(e164, "+")
	s := strings.ReplaceAll(c.cfg.Trunk, "{number}", digits)
	return strings.ReplaceAll(s, "{e164}", "+"+digits)
}
