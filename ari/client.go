// Package ari is the Asterisk driver of VMS: it implements engine.Engine
// (and the optional MusicOnHold, Recorder, FallbackStore, EndpointWatcher
// and Continuer) over the Asterisk REST Interface — REST commands plus the
// events WebSocket of one Stasis application (ENG-1).
//
// The package owns the ARI wire format (hand-written models for what VMS
// uses), the connection lifecycle (reconnect with backoff, adoption of the
// calls the application still holds) and the translation of ARI events into
// engine events. It must not import store, portal or controller, and its
// event reader never blocks nor makes REST calls: Asterisk drops a WebSocket
// whose writes stall for ~100 ms.
package ari

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/vmsplatform/vms/engine"
)

// Config configures a Client.
type Config struct {
	// URL is Asterisk's HTTP server, e.g. "http://127.0.0.1:8088" (the
	// "/ari" prefix is added).
	URL string
	// User and Password are an ari.conf user.
	User     string
	Password string
	// App is the Stasis application name; default "vms".
	App string
	// DialContext is the dialplan context that rings a destination for
	// a channel handed over with DialInDialplan; default "vms-dial" (the
	// shipped extensions.conf).
	DialContext string
	// MaxConns bounds concurrent REST connections (Asterisk refuses more
	// than http.conf's sessionlimit, 100 by default); default 64.
	MaxConns int
	// RequestTimeout bounds one REST call when ctx has no earlier deadline;
	// default 10 s.
	RequestTimeout time.Duration
	// MinBackoff and MaxBackoff bound the reconnect delay; defaults
	// 100 ms and 10 s.
	MinBackoff, MaxBackoff time.Duration
	// Logger receives connection and decode problems; default discards.
	Logger *slog.Logger
	// Now is the clock used when an event has no timestamp; default time.Now.
	Now func() time.Time
}

// Client is the ARI driver. Create it with New, run its event connection
// with Run, and stop it with Close.
type Client struct {
	cfg    Config
	base   string // http://host:port/ari
	wsURL  string
	http   *http.Client
	log    *slog.Logger
	router *engine.Router

	mu          sync.Mutex
	connected   bool
	everUp      bool
	originated  map[engine.ChannelID]*legState // legs VMS originated and not yet ended
	hangupCause map[engine.ChannelID]int       // cause of a pending hangup request
	continued   map[engine.ChannelID]struct{}  // channels handed back to the dialplan
	handed      map[engine.ChannelID]struct{}  // channels in the dial context (DialInDialplan)
	endReported map[engine.ChannelID]struct{}  // channels whose end the dial context reported (StasisEnd follows)
	dialOK      bool                           // the dialplan has the dial context (checkDialContext)
	ended       idRing                         // reported at StasisEnd, ChannelDestroyed may follow

	presence presence // endpoints watched, subscribed again after a reconnect

	closeOnce sync.Once
	closed    chan struct{}
}

type legState struct {
	answered   bool
	dialStatus string
}

var (
	_ engine.Engine          = (*Client)(nil)
	_ engine.MusicOnHold     = (*Client)(nil)
	_ engine.Recorder        = (*Client)(nil)
	_ engine.FallbackStore   = (*Client)(nil)
	_ engine.EndpointWatcher = (*Client)(nil)
	_ engine.Continuer       = (*Client)(nil)
	_ engine.DialplanDialer  = (*Client)(nil)
)

// New returns a Client for cfg. It does not connect; call Run.
func New(cfg Config) (*Client, error) {
	if cfg.App == "" {
		cfg.App = "vms"
	}
	if cfg.DialContext == "" {
		cfg.DialContext = DefaultDialContext
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 64
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(10*time.Second, cfg.MinBackoff)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("ari: invalid url %q: want http(s)://host:port", cfg.URL)
	}
	base := strings.TrimSuffix(u.String(), "/")
	base = strings.TrimSuffix(base, "/ari") + "/ari"
	ws := *u
	ws.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
	ws.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/ari") + "/ari/events"
	ws.RawQuery = url.Values{
		"app":          {cfg.App},
		"subscribeAll": {"false"},
		"api_key":      {cfg.User + ":" + cfg.Password},
	}.Encode()

	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxConnsPerHost:     cfg.MaxConns,
		MaxIdleConns:        cfg.MaxConns,
		MaxIdleConnsPerHost: cfg.MaxConns,
		IdleConnTimeout:     60 * time.Second,
	}
	return &Client{
		cfg:         cfg,
		base:        base,
		wsURL:       ws.String(),
		http:        &http.Client{Transport: tr},
		log:         cfg.Logger.With(slog.String("engine", "ari"), slog.String("app", cfg.App)),
		router:      engine.NewRouter(),
		originated:  make(map[engine.ChannelID]*legState),
		hangupCause: make(map[engine.ChannelID]int),
		continued:   make(map[engine.ChannelID]struct{}),
		handed:      make(map[engine.ChannelID]struct{}),
		endReported: make(map[engine.ChannelID]struct{}),
		closed:      make(chan struct{}),
	}, nil
}

// Inbox implements engine.Engine.
func (c *Client) Inbox() *engine.Subscription { return c.router.Inbox() }

// Subscribe implements engine.Engine.
func (c *Client) Subscribe(ids ...engine.ChannelID) *engine.Subscription {
	return c.router.Subscribe(ids...)
}

// Close stops Run and releases idle REST connections. It is safe to call
// more than once.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		c.http.CloseIdleConnections()
	})
	return nil
}

// apiError is the body Asterisk sends with a failed REST call.
type apiError struct {
	Message string `json:"message"`
	Error   string `json:"error"`
}

// do performs one REST call. query may be nil; body, when non-nil, is sent
// as JSON; out, when non-nil, receives the decoded response.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	select {
	case <-c.closed:
		return engine.ErrClosed
	default:
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.RequestTimeout)
		defer cancel()
	}
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode body: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("new request: %w", err)
	}
	req.SetBasicAuth(c.cfg.User, c.cfg.Password)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: %w", engine.ErrDisconnected, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode >= 300 {
		return statusError(resp.StatusCode, data)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("decode response: %w", err)
		}
	}
	return nil
}

// statusError maps an ARI status code to an engine sentinel, keeping
// Asterisk's message.
func statusError(code int, body []byte) error {
	var ae apiError
	_ = json.Unmarshal(body, &ae)
	msg := ae.Message
	if msg == "" {
		msg = ae.Error
	}
	if msg == "" {
		msg = http.StatusText(code)
	}
	var sentinel error
	switch code {
	case http.StatusNotFound:
		sentinel = engine.ErrNotFound
	case http.StatusConflict, http.StatusPreconditionFailed:
		sentinel = engine.ErrConflict
	case http.StatusUnprocessableEntity:
		sentinel = engine.ErrInvalid
		// A channel that hung up leaves the application before its
		// StasisEnd reaches us: for a command racing with the hang-up,
		// Asterisk answers 422 "Channel not in Stasis application". The
		// channel is gone, not the request wrong.
		if strings.Contains(msg, "not in Stasis application") {
			sentinel = engine.ErrNotFound
		}
	case http.StatusBadRequest:
		sentinel = engine.ErrInvalid
	case http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout:
		sentinel = engine.ErrDisconnected
	default:
		return &StatusError{Code: code, Message: msg}
	}
	return fmt.Errorf("%w: %w", sentinel, &StatusError{Code: code, Message: msg})
}

// StatusError is a REST call that Asterisk answered with an error status.
type StatusError struct {
	Code    int
	Message string
}

func (e *StatusError) Error() string { return fmt.Sprintf("status %d: %s", e.Code, e.Message) }

func esc(s string) string { return url.PathEscape(s) }
