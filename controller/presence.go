package controller

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/vmsplatform/vms/acd"
	"github.com/vmsplatform/vms/center"
	"github.com/vmsplatform/vms/engine"
)

// Presence is implemented by a Queue that wants to know whether agents'
// phones are registered with the engine (ACM-3): an agent whose phone is
// not registered is never offered a call. *center.Service implements it.
type Presence interface {
	// Agents returns every agent, with its endpoint name (center.Endpoint).
	Agents() []center.Agent
	// SetRegistered records whether an agent's phone is registered.
	SetRegistered(a acd.AgentID, registered bool) error
}

// presenceRetry is how soon endpoints whose watch failed (engine away) are
// tried again.
const presenceRetry = 5 * time.Second

// presence follows the endpoints of the agents' phones: it asks the
// engine to report their state (engine.EndpointWatcher) and feeds the
// changes to the Presence. It is (re)synchronised at each connection to
// the engine and after each change of agents (Refresh).
type presence struct {
	p       Presence
	w       engine.EndpointWatcher
	log     *slog.Logger
	timeout time.Duration
	kick    chan struct{}

	mu sync.Mutex
	// agents maps an engine endpoint ("PJSIP/vmsagent12") to its agent.
	agents map[string]acd.AgentID
	// seen counts the events per endpoint, so that a synchronisation never
	// overwrites a state reported while it ran.
	seen map[string]uint64
}

func newPresence(p Presence, w engine.EndpointWatcher, timeout time.Duration, log *slog.Logger) *presence {
	return &presence{
		p: p, w: w, log: log, timeout: timeout,
		kick:   make(chan struct{}, 1),
		agents: map[string]acd.AgentID{},
		seen:   map[string]uint64{},
	}
}

// engineEndpoint is the engine's name of an agent's phone endpoint.
func engineEndpoint(name string) string { return "PJSIP/" + name }

// refresh asks for a synchronisation; it never blocks.
func (p *presence) refresh() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// run synchronises on each kick until ctx ends.
func (p *presence) run(ctx context.Context) {
	var retry <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.kick:
		case <-retry:
		}
		retry = nil
		if !p.sync(ctx) {
			retry = time.After(presenceRetry)
		}
	}
}

// sync watches every agent's endpoint and records its state; it reports
// false when some endpoint could not be asked (to be retried).
func (p *presence) sync(ctx context.Context) bool {
	agents := p.p.Agents()
	want := make(map[string]acd.AgentID, len(agents))
	for _, a := range agents {
		name := a.Endpoint
		if name == "" {
			continue
		}
		want[engineEndpoint(name)] = a.ID
	}
	p.mu.Lock()
	p.agents = want
	before := make(map[string]uint64, len(want))
	for ep := range want {
		before[ep] = p.seen[ep]
	}
	p.mu.Unlock()
	ok := true
	for ep, id := range want {
		if ctx.Err() != nil {
			return true
		}
		cctx, cancel := context.WithTimeout(ctx, p.timeout)
		state, err := p.w.WatchEndpoint(cctx, ep)
		cancel()
		switch {
		case errors.Is(err, engine.ErrNotFound):
			// No such endpoint in the engine: the phone cannot register.
			state = engine.EndpointOffline
		case err != nil:
			p.log.Warn("watch agent endpoint", slog.String("endpoint", ep), slog.Any("err", err))
			ok = false
			continue
		}
		p.mu.Lock()
		stale := p.seen[ep] != before[ep]
		p.mu.Unlock()
		if stale {
			continue // an event told a newer state meanwhile
		}
		p.set(id, ep, state)
	}
	return ok
}

// changed handles an EndpointStateChanged event.
func (p *presence) changed(ev engine.EndpointStateChanged) {
	p.mu.Lock()
	id, ok := p.agents[ev.Endpoint]
	p.seen[ev.Endpoint]++
	p.mu.Unlock()
	if ok {
		p.set(id, ev.Endpoint, ev.State)
	}
}

func (p *presence) set(id acd.AgentID, ep string, s engine.EndpointState) {
	if err := p.p.SetRegistered(id, s == engine.EndpointOnline); err != nil {
		p.log.Warn("agent presence", slog.String("agent", string(id)), slog.String("endpoint", ep), slog.Any("err", err))
	}
}

// Refresh synchronises the agents' phone presence with the engine again:
// call it after the agents changed (a new agent's phone is then watched).
// It returns at once; nothing happens without a Queue implementing
// Presence or an engine that reports endpoint states.
func (c *Controller) Refresh() {
	if c.presence != nil {
		c.presence.refresh()
	}
}
