package portal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms"
)

// Server-sent event streams of the agent desktop and the supervisor screen.
const (
	// sseHeartbeat is how often an idle stream sends a comment, so that
	// proxies and the browser keep the connection open.
	sseHeartbeat = 15 * time.Second
	// sseMinGap spaces the events of one stream: changes arriving faster
	// are coalesced into the next event (well within the 2 s of ACM-7).
	sseMinGap = 250 * time.Millisecond
	// sseRetry is the reconnection delay the browser is told to use.
	sseRetry = 2 * time.Second
)

// stream answers with a text/event-stream of the contact centre's state
// for tenantID: an event at once, then one after each change reported by
// Center.Subscribe. build returns the event's data and a key: when the key
// (JSON-encoded) equals the previous event's, nothing is sent; a nil key
// always sends. The stream ends when the client goes away or after
// Config.EventStreamMax; the browser then reconnects, which checks its
// session again.
//
// With periodic set, the heartbeat sends a fresh event instead of a bare
// comment: figures that move without a change event (the history's new
// sample) then reach the page too.
func (s *Server) stream(c echo.Context, tenantID uint, periodic bool, build func() (data, key any)) error {
	if s.cfg.Center == nil {
		return errNoCenter
	}
	ctx := c.Request().Context()
	// Subscribe before the first snapshot, so no change is lost between.
	changed, cancel := s.cfg.Center.Subscribe(tenantID)
	defer cancel()

	w := c.Response()
	h := w.Header()
	h.Set(echo.HeaderContentType, "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprintf(w, "retry: %d\n\n", sseRetry.Milliseconds()); err != nil {
		return nil
	}
	var last []byte
	send := func() bool {
		data, key := build()
		if key != nil {
			k, err := json.Marshal(key)
			if err == nil && bytes.Equal(k, last) {
				return true
			}
			last = k
		}
		b, err := json.Marshal(data)
		if err != nil {
			s.log.ErrorContext(ctx, "event stream", errAttr(err), reqAttr(c))
			return false
		}
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return false
		}
		w.Flush()
		return true
	}
	if !send() {
		return nil
	}
	every := sseHeartbeat
	if s.heartbeat > 0 {
		every = s.heartbeat
	}
	heartbeat := time.NewTicker(every)
	defer heartbeat.Stop()
	end := time.NewTimer(s.cfg.EventStreamMax)
	defer end.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-end.C:
			return nil
		case <-heartbeat.C:
			if !s.sessionAlive(c) {
				return nil // logged out: the reconnection meets the login check
			}
			if periodic {
				if !send() {
					return nil
				}
				continue
			}
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
			w.Flush()
		case _, ok := <-changed:
			if !ok {
				return nil
			}
			if !send() {
				return nil
			}
			// Coalesce a burst of changes into the next event.
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(sseMinGap):
			}
		}
	}
}

// sessionAlive reports whether the session a stream was opened with still
// exists (the user may have logged out elsewhere). A stream opened with an
// API token has no session and stays.
func (s *Server) sessionAlive(c echo.Context) bool {
	sess := currentSession(c)
	if sess == nil {
		return true
	}
	_, err := s.store.GetSession(c.Request().Context(), sess.ID)
	return vms.ErrorCode(err) != vms.ENOTFOUND
}
