package ari

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/vmsplatform/vms/engine"
)

// readLimit bounds one WebSocket message. ARI events carrying many channel
// variables exceed coder/websocket's 32 KiB default.
const readLimit = 4 << 20

// pingInterval is how often a quiet connection is checked.
const pingInterval = 20 * time.Second

// Run connects the events WebSocket of the application and delivers events
// until ctx ends or Close is called, reconnecting with exponential backoff
// and jitter. After every connection it emits engine.Reconnected listing
// the channels and bridges the application still holds. It returns nil
// after Close and ctx.Err() when ctx ends.
func (c *Client) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-c.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	backoff := c.cfg.MinBackoff
	for {
		up, err := c.session(ctx)
		select {
		case <-c.closed:
			return nil
		default:
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if up {
			backoff = c.cfg.MinBackoff
		}
		c.log.Warn("ari events connection lost; reconnecting", slog.Any("err", err), slog.Duration("backoff", backoff))
		// Full jitter between backoff/2 and backoff spreads reconnects of
		// several VMS instances after an Asterisk restart.
		d := backoff/2 + rand.N(backoff/2+1)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			if isClosed(c.closed) {
				return nil
			}
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(backoff*2, c.cfg.MaxBackoff)
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// session runs one WebSocket connection. up reports whether the connection
// was established (and adoption done), which resets the backoff.
func (c *Client) session(ctx context.Context) (up bool, err error) {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, resp, err := websocket.Dial(dctx, c.wsURL, &websocket.DialOptions{
		// Its own client: the upgraded connection must not count against
		// the REST pool, and no proxy is wanted between VMS and Asterisk.
		HTTPClient: &http.Client{Transport: &http.Transport{Proxy: nil}},
	})
	cancel()
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return false, fmt.Errorf("ari: dial events: %w", err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(readLimit)

	sctx, scancel := context.WithCancel(ctx)
	defer scancel()
	readErr := make(chan error, 1)
	go func() { readErr <- c.read(sctx, conn) }()

	app, err := c.application(sctx)
	if err != nil {
		scancel()
		<-readErr
		return false, fmt.Errorf("ari: adopt: %w", err)
	}
	if err := c.filterEvents(sctx); err != nil {
		// An Asterisk without event filters still works, only chattier.
		c.log.Warn("ari event filter not set; every event type will be sent", slog.String("err", err.Error()))
	}
	c.checkDialContext(sctx)
	c.mu.Lock()
	initial := !c.everUp
	c.everUp, c.connected = true, true
	c.mu.Unlock()
	rc := engine.Reconnected{Initial: initial, At: c.cfg.Now()}
	for _, id := range app.ChannelIDs {
		rc.Adopted = append(rc.Adopted, engine.ChannelID(id))
	}
	for _, id := range app.BridgeIDs {
		rc.Bridges = append(rc.Bridges, engine.BridgeID(id))
	}
	c.log.Info("ari events connected", slog.Bool("initial", initial), slog.Int("adopted", len(rc.Adopted)))
	c.router.Dispatch(rc)
	// Endpoint subscriptions are lost when Asterisk restarts: make them
	// again, beside the reader (presence.go).
	rewatched := make(chan struct{})
	go func() {
		defer close(rewatched)
		c.rewatch(sctx)
	}()
	defer func() {
		scancel()
		<-rewatched
	}()

	ping := time.NewTicker(pingInterval)
	defer ping.Stop()
	for {
		select {
		case err = <-readErr:
		case <-ping.C:
			pctx, pcancel := context.WithTimeout(sctx, 10*time.Second)
			perr := conn.Ping(pctx)
			pcancel()
			if perr == nil {
				continue
			}
			scancel()
			<-readErr
			err = fmt.Errorf("ping: %w", perr)
		}
		break
	}
	c.mu.Lock()
	c.connected = false
	c.mu.Unlock()
	if ctx.Err() == nil {
		c.router.Dispatch(engine.Disconnected{Err: err, At: c.cfg.Now()})
	}
	return true, err
}

// read is the reader goroutine: it decodes and dispatches, never blocking
// on a consumer and never calling REST.
func (c *Client) read(ctx context.Context, conn *websocket.Conn) error {
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			return err
		}
		if typ != websocket.MessageText {
			continue
		}
		m, err := DecodeMessage(data)
		if err != nil {
			c.log.Warn("ari: bad event", slog.Any("err", err), slog.Int("bytes", len(data)))
			continue
		}
		if c.log.Enabled(ctx, slog.LevelDebug) {
			var ch string
			if m.Channel != nil {
				ch = m.Channel.ID
			}
			c.log.Debug("ari event", slog.String("type", m.Type), slog.String("channel_id", ch), slog.String("raw", string(data)))
		}
		for _, ev := range c.translate(m) {
			c.router.Dispatch(ev)
		}
	}
}

// wantedEvents are the event types translate turns into engine events.
// Asterisk sends an application every event of its channels otherwise —
// about 80 messages per bridged call, most of them ChannelVarset — which
// costs Asterisk's application taskprocessor and VMS's reader for nothing.
var wantedEvents = []string{
	"StasisStart", "StasisEnd", "ChannelStateChange", "ChannelHangupRequest",
	"ChannelDestroyed", "Dial", "ChannelDtmfReceived", "PlaybackStarted",
	"PlaybackFinished", "ChannelEnteredBridge", "ChannelLeftBridge",
	"EndpointStateChange", "ContactStatusChange", "RecordingStarted", "RecordingFinished", "RecordingFailed",
}

// filterEvents asks Asterisk to send the application only wantedEvents
// (PUT /applications/{app}/eventFilter, Asterisk 16.24+/18.10+).
func (c *Client) filterEvents(ctx context.Context) error {
	type eventType struct {
		Type string `json:"type"`
	}
	body := struct {
		Allowed []eventType `json:"allowed"`
	}{}
	for _, t := range wantedEvents {
		body.Allowed = append(body.Allowed, eventType{t})
	}
	return c.do(ctx, http.MethodPut, "/applications/"+esc(c.cfg.App)+"/eventFilter", nil, body, nil)
}

// application fetches the application's state, retrying briefly.
func (c *Client) application(ctx context.Context) (Application, error) {
	var app Application
	var err error
	for i := range 3 {
		if i > 0 {
			select {
			case <-ctx.Done():
				return app, ctx.Err()
			case <-time.After(time.Duration(i) * 200 * time.Millisecond):
			}
		}
		err = c.do(ctx, http.MethodGet, "/applications/"+esc(c.cfg.App), nil, nil, &app)
		if err == nil || errors.Is(err, context.Canceled) {
			return app, err
		}
	}
	return app, err
}

// Connected reports whether the events WebSocket is up.
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connected
}
