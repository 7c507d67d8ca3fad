package engine

import (
	"context"
	"sync"
)

// Router delivers events to subscriptions keyed by channel id. Drivers own
// one Router and call Dispatch from their reader; Dispatch never blocks on
// a consumer (queues are unbounded), so a slow call cannot stall the
// engine connection or other calls.
type Router struct {
	mu    sync.Mutex
	subs  map[ChannelID]*Subscription
	inbox *Subscription
}

// NewRouter returns an empty Router.
func NewRouter() *Router {
	r := &Router{subs: make(map[ChannelID]*Subscription)}
	r.inbox = newSubscription(nil)
	return r
}

// Inbox returns the subscription for events no other subscription claims.
func (r *Router) Inbox() *Subscription { return r.inbox }

// Subscribe returns a new subscription for the given channels. A channel
// already subscribed elsewhere moves to the new subscription.
func (r *Router) Subscribe(ids ...ChannelID) *Subscription {
	s := newSubscription(r)
	s.Add(ids...)
	return s
}

// Dispatch delivers ev. A CallArrived gets a fresh subscription for its
// channel (in ev.Events) and goes to the Inbox. A channel's subscription is
// released after its final event (ChannelHungup, OriginateFailed, DialplanEnded), which is
// still delivered.
func (r *Router) Dispatch(ev Event) {
	id := ev.EventChannel()
	if ca, ok := ev.(CallArrived); ok {
		if ca.Events == nil {
			ca.Events = r.Subscribe(ca.Channel)
		}
		r.inbox.push(ca)
		return
	}
	final := false
	switch ev.(type) {
	case ChannelHungup, OriginateFailed, DialplanEnded:
		final = true
	}
	r.mu.Lock()
	s := r.subs[id]
	if s != nil && final {
		delete(r.subs, id)
		s.forget(id)
	}
	r.mu.Unlock()
	if id == "" || s == nil {
		r.inbox.push(ev)
		return
	}
	s.push(ev)
}

// Subscribed reports whether a channel has a subscription (for tests and
// diagnostics).
func (r *Router) Subscribed(id ChannelID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.subs[id]
	return ok
}

// Subscription is an unbounded queue of events for one consumer, normally
// one call goroutine. Its methods are safe for concurrent use.
type Subscription struct {
	r      *Router
	mu     sync.Mutex
	queue  []Event
	ids    map[ChannelID]struct{}
	ready  chan struct{} // holds a token while queue is non-empty
	closed bool
}

func newSubscription(r *Router) *Subscription {
	return &Subscription{r: r, ids: make(map[ChannelID]struct{}), ready: make(chan struct{}, 1)}
}

// Add routes the events of more channels to s, e.g. an outbound leg before
// it is originated. It does nothing on the Inbox or a closed subscription.
func (s *Subscription) Add(ids ...ChannelID) {
	if s.r == nil {
		return
	}
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	for _, id := range ids {
		if old := s.r.subs[id]; old != nil && old != s {
			old.mu.Lock()
			delete(old.ids, id)
			old.mu.Unlock()
		}
		s.r.subs[id] = s
		s.ids[id] = struct{}{}
	}
}

// Remove stops routing a channel's events to s; later events of that
// channel go to the Inbox.
func (s *Subscription) Remove(ids ...ChannelID) {
	if s.r == nil {
		return
	}
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if s.r.subs[id] == s {
			delete(s.r.subs, id)
		}
		delete(s.ids, id)
	}
}

// forget drops id from s.ids; the caller holds r.mu.
func (s *Subscription) forget(id ChannelID) {
	s.mu.Lock()
	delete(s.ids, id)
	s.mu.Unlock()
}

// Close releases every channel of s and drops queued events. Later events
// of those channels go to the Inbox.
func (s *Subscription) Close() {
	if s.r != nil {
		s.r.mu.Lock()
		defer s.r.mu.Unlock()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range s.ids {
		if s.r != nil && s.r.subs[id] == s {
			delete(s.r.subs, id)
		}
	}
	s.ids = nil
	s.queue = nil
	s.closed = true
}

func (s *Subscription) push(ev Event) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.queue = append(s.queue, ev)
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// Ready returns a channel that has a value when events may be queued; use
// it in a select, then call TryNext until it reports false.
func (s *Subscription) Ready() <-chan struct{} { return s.ready }

// TryNext returns the next queued event without waiting.
func (s *Subscription) TryNext() (Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return nil, false
	}
	ev := s.queue[0]
	s.queue[0] = nil
	s.queue = s.queue[1:]
	if len(s.queue) == 0 {
		s.queue = nil // let the backing array go
	} else {
		select {
		case s.ready <- struct{}{}:
		default:
		}
	}
	return ev, true
}

// Next waits for the next event or for ctx to end.
func (s *Subscription) Next(ctx context.Context) (Event, error) {
	for {
		if ev, ok := s.TryNext(); ok {
			return ev, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.ready:
		}
	}
}

// Len returns the number of queued events.
func (s *Subscription) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}
