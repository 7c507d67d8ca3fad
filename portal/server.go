// Package portal is the web face of VMS: server-rendered HTML pages for
// operator staff and customers, and the JSON REST API under /api/v1 with the
// same authorisation (POR-5). It owns sessions, CSRF, login throttling and the
// mapping of *vms.Error to HTTP. It must not drive a media engine: it reads
// and writes rules through the store; controllers pick them up from there.
// Its only engine call is creating an agent's softphone endpoint, through
// the EndpointProvisioner it is given; the agent desktop and supervisor
// screen read the live contact centre (package center).
package portal

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vmsplatform/vms/center"
	"github.com/vmsplatform/vms/mail"
	"github.com/vmsplatform/vms/store"
)

// Config holds the portal's settings. cmd/vms fills it from env and flags.
type Config struct {
	// BaseURL is the address users reach the portal at, used in e-mails
	// (e.g. https://vms.example.net). No trailing slash.
	BaseURL string
	// SessionIdle ends a session after this long without a request (POR-1).
	SessionIdle time.Duration
	// SessionAbsolute ends a session this long after login (POR-1).
	SessionAbsolute time.Duration
	// SecureCookies marks cookies Secure; on whenever BaseURL is https.
	SecureCookies bool
	// LoginMaxFailures failed logins within LoginWindow lock an account or
	// client address for LoginLock.
	LoginMaxFailures int
	LoginWindow      time.Duration
	LoginLock        time.Duration
	// LoginLinkTTL is how long a first-login link stays valid.
	LoginLinkTTL time.Duration
	// NetworkRegion is the country of the operator's network (ISO code):
	// only its geographic numbers can be activated (NUM-2). A tenant's own
	// region only says how national-format input is read (NUM-4).
	NetworkRegion string
	// OnChange, when set, is called after every successful change made
	// through the portal or the API; the call controller of the same
	// process uses it to load routing changes at once instead of at its
	// next poll (TRM-6: the next call sees the change).
	OnChange func()
	// MetricsToken, when set, is required as "Authorization: Bearer
	// <token>" on /metrics; empty leaves /metrics open to whoever reaches
	// the listen address.
	MetricsToken string
	// Now is the clock; nil means time.Now. Tests inject one to expire
	// sessions without waiting.
	Now func() time.Time
	// Emails answers and closes e-mail contacts from the agent desktop;
	// nil: the desktop lists e-mails but cannot reply to or close them.
	Emails EmailDesk

	// Center is the live contact centre of this process (agent desktop,
	// supervisor screen); nil when none runs: those pages then say so.
	Center *center.Service
	// Provisioner creates the agents' softphone endpoints in the media
	// engine; nil disables the desktop's built-in softphone.
	Provisioner EndpointProvisioner
	// SIPWebSocketURL is where browsers reach the media engine's SIP over
	// WebSocket transport (e.g. wss://pbx.example.net:8089/ws).
	SIPWebSocketURL string
	// SIPDomain is the domain of the agents' SIP URIs; the host of
	// SIPWebSocketURL when empty.
	SIPDomain string
	// EventStreamMax ends a live-update stream after this long; the
	// browser reconnects at once, which checks its session again.
	EventStreamMax time.Duration
}

// Defaults returns the contract's defaults.
func Defaults() Config {
	return Config{
		BaseURL:          "http://127.0.0.1:8080",
		SessionIdle:      30 * time.Minute,
		SessionAbsolute:  480 * time.Minute,
		LoginMaxFailures: 5,
		LoginWindow:      15 * time.Minute,
		LoginLock:        15 * time.Minute,
		LoginLinkTTL:     72 * time.Hour,
		NetworkRegion:    "BE",
		EventStreamMax:   10 * time.Minute,
	}
}

// Mailer sends e-mail; *mail.SMTP is the production implementation.
type Mailer interface {
	Send(ctx context.Context, m mail.Message) error
}

// EndpointProvisioner creates or updates a SIP endpoint in the media
// engine (the agents' softphones); the ari driver implements it.
type EndpointProvisioner interface {
	ProvisionEndpoint(ctx context.Context, name, password string) error
}

// Server is the portal. Create it with New and serve Handler().
type Server struct {
	cfg      Config
	store    *store.Store
	mailer   Mailer
	log      *slog.Logger
	echo     *echo.Echo
	pages    *pages
	metrics  *metrics
	registry *prometheus.Registry
	apiOps   []apiOp
	// heartbeat overrides sseHeartbeat (tests).
	heartbeat time.Duration
}

// New builds the portal with all its routes. reg may be nil (a private
// registry is used).
func New(cfg Config, st *store.Store, mailer Mailer, log *slog.Logger, reg *prometheus.Registry) (*Server, error) {
	if st == nil {
		return nil, errors.New("portal: nil store")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	d := Defaults()
	if cfg.SessionIdle <= 0 {
		cfg.SessionIdle = d.SessionIdle
	}
	if cfg.SessionAbsolute <= 0 {
		cfg.SessionAbsolute = d.SessionAbsolute
	}
	if cfg.LoginMaxFailures <= 0 {
		cfg.LoginMaxFailures = d.LoginMaxFailures
	}
	if cfg.LoginWindow <= 0 {
		cfg.LoginWindow = d.LoginWindow
	}
	if cfg.LoginLock <= 0 {
		cfg.LoginLock = d.LoginLock
	}
	if cfg.LoginLinkTTL <= 0 {
		cfg.LoginLinkTTL = d.LoginLinkTTL
	}
	if cfg.NetworkRegion == "" {
		cfg.NetworkRegion = d.NetworkRegion
	}
	if cfg.EventStreamMax <= 0 {
		cfg.EventStreamMax = d.EventStreamMax
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	p, err := loadPages()
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, store: st, mailer: mailer, log: log, pages: p, metrics: m, registry: reg}
	s.echo = s.routes()
	return s, nil
}

// Handler returns the HTTP handler of the whole portal.
func (s *Server) Handler() http.Handler { return s.echo }

// Routes lists every registered route (method and path); tests use it to
// prove that every route is covered by the authorisation walk and the
// OpenAPI document.
func (s *Server) Routes() []*echo.Route { return s.echo.Routes() }

func (s *Server) now() time.Time { return s.cfg.Now() }
