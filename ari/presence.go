package ari

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/vmsplatform/vms/engine"
)

// presence is the set of endpoints the application watches, so that the
// subscriptions are made again after a reconnect: Asterisk forgets them
// when it restarts.
type presence struct {
	mu      sync.Mutex
	watched map[string]struct{} // "PJSIP/vmsagent12"
}

func (p *presence) add(endpoint string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.watched == nil {
		p.watched = make(map[string]struct{})
	}
	p.watched[endpoint] = struct{}{}
}

func (p *presence) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.watched))
	for e := range p.watched {
		out = append(out, e)
	}
	slices.Sort(out)
	return out
}

func (c *Client) unwatch(endpoint string) {
	c.presence.mu.Lock()
	delete(c.presence.watched, endpoint)
	c.presence.mu.Unlock()
}

// splitEndpoint splits "PJSIP/vmsagent12" into technology and resource.
func splitEndpoint(endpoint string) (tech, res string, ok bool) {
	tech, res, ok = strings.Cut(endpoint, "/")
	return tech, res, ok && tech != "" && res != "" && !strings.Contains(res, "/")
}

// WatchEndpoint implements engine.EndpointWatcher: it subscribes the
// application to the endpoint ("PJSIP/vmsagent12"; POST
// /applications/{app}/subscription?eventSource=endpoint:...) and returns
// its current state. Its EndpointStateChanged events then arrive in the
// Inbox, from ARI's EndpointStateChange and ContactStatusChange events.
// The subscription is made again after every reconnect, followed by an
// EndpointStateChanged with the state at that moment, until the endpoint
// is unwatched or removed. An endpoint that does not exist (yet) is
// ErrNotFound and is not watched.
func (c *Client) WatchEndpoint(ctx context.Context, endpoint string) (engine.EndpointState, error) {
	tech, res, ok := splitEndpoint(endpoint)
	if !ok {
		return engine.EndpointUnknown, fmt.Errorf("ari: watch endpoint: %w: want tech/resource, got %q", engine.ErrInvalid, endpoint)
	}
	st, err := c.subscribeEndpoint(ctx, endpoint, tech, res)
	if err != nil {
		return engine.EndpointUnknown, err
	}
	c.presence.add(endpoint)
	return st, nil
}

// UnwatchEndpoint ends the subscription WatchEndpoint made. An endpoint
// that is not watched, or no longer exists, is not an error.
func (c *Client) UnwatchEndpoint(ctx context.Context, endpoint string) error {
	if _, _, ok := splitEndpoint(endpoint); !ok {
		return fmt.Errorf("ari: unwatch endpoint: %w: want tech/resource, got %q", engine.ErrInvalid, endpoint)
	}
	c.unwatch(endpoint)
	q := url.Values{"eventSource": {"endpoint:" + endpoint}}
	err := c.do(ctx, http.MethodDelete, "/applications/"+esc(c.cfg.App)+"/subscription", q, nil, nil)
	// 400/422: not subscribed; 404: the endpoint is gone.
	if err != nil && !errors.Is(err, engine.ErrNotFound) && !errors.Is(err, engine.ErrInvalid) {
		return fmt.Errorf("ari: unwatch endpoint %s: %w", endpoint, err)
	}
	return nil
}

func (c *Client) subscribeEndpoint(ctx context.Context, endpoint, tech, res string) (engine.EndpointState, error) {
	q := url.Values{"eventSource": {"endpoint:" + endpoint}}
	if err := c.do(ctx, http.MethodPost, "/applications/"+esc(c.cfg.App)+"/subscription", q, nil, nil); err != nil {
		if errors.Is(err, engine.ErrInvalid) {
			// 422 "Event source does not exist": no such endpoint.
			err = fmt.Errorf("%w: %w", engine.ErrNotFound, err)
		}
		return engine.EndpointUnknown, fmt.Errorf("ari: watch endpoint %s: %w", endpoint, err)
	}
	var ep Endpoint
	if err := c.do(ctx, http.MethodGet, "/endpoints/"+esc(tech)+"/"+esc(res), nil, nil, &ep); err != nil {
		return engine.EndpointUnknown, fmt.Errorf("ari: endpoint %s: %w", endpoint, err)
	}
	return endpointState(ep.State), nil
}

// rewatchWorkers bounds the concurrent REST calls of rewatch.
const rewatchWorkers = 8

// rewatch subscribes the application to the watched endpoints again after
// a (re)connection and reports each one's current state: changes made
// while VMS was away produced no event. An endpoint that no longer
// exists is reported offline and stays watched (it may be provisioned
// again). It runs beside the event reader, never on it.
func (c *Client) rewatch(ctx context.Context) {
	eps := c.presence.list()
	if len(eps) == 0 {
		return
	}
	work := make(chan string)
	var wg sync.WaitGroup
	for range min(rewatchWorkers, len(eps)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ep := range work {
				tech, res, _ := splitEndpoint(ep)
				st, err := c.subscribeEndpoint(ctx, ep, tech, res)
				switch {
				case errors.Is(err, engine.ErrNotFound):
					st = engine.EndpointOffline
				case err != nil:
					if ctx.Err() == nil {
						c.log.Warn("ari: watch endpoint again", slog.String("endpoint", ep), slog.Any("err", err))
					}
					continue
				}
				c.router.Dispatch(engine.EndpointStateChanged{Endpoint: ep, State: st, At: c.cfg.Now()})
			}
		}()
	}
	for _, ep := range eps {
		select {
		case work <- ep:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
}

// contactState maps a ContactStatusChange to the state of its endpoint,
// when the contact's status and the endpoint's state (as the event
// carries it) agree. Agent endpoints have one contact (max_contacts=1),
// so the contact's reachability is the endpoint's; the check keeps a
// contact removed because a new registration replaced it from reporting
// an endpoint that is online as offline. A phone that has just registered
// is NonQualified until it answers its first qualify, and its endpoint
// stays offline until then: no change either.
func contactState(status, endpoint string) (engine.EndpointState, bool) {
	switch {
	case status == "Reachable" && endpoint == "online":
		return engine.EndpointOnline, true
	case (status == "Unreachable" || status == "Removed") && endpoint == "offline":
		return engine.EndpointOffline, true
	}
	return engine.EndpointUnknown, false
}
