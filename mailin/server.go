package mailin

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// Defaults of Config, used where a field is zero.
const (
	DefaultMaxRecipients = 50
	DefaultMaxConns      = 100
	DefaultReadTimeout   = 60 * time.Second
	DefaultWriteTimeout  = 60 * time.Second
	DefaultDeliverTime   = 30 * time.Second
	DefaultDataTimeout   = 10 * time.Minute // RFC 5321 4.5.3.2
)

// Target is where mail for one recipient address goes: a tenant's agent
// group.
type Target struct {
	TenantID uint
	GroupID  string
	Address  string // the recipient address as resolved, e.g. sales@acme.vms.example
}

// Config configures a Server. Resolver and Deliver are required.
type Config struct {
	Addr   string // listen address of ListenAndServe, e.g. ":25"
	Domain string // this host's name in the greeting; "localhost" when empty
	// Domains are the recipient domains this server accepts mail for
	// (case-insensitive). A recipient in another domain is refused with
	// 550 before Resolver is asked, so the server is never an open relay.
	// Empty: Resolver decides for every recipient.
	Domains []string

	// MaxSize is the largest message accepted, in raw bytes;
	// DefaultMaxSize when zero. The SIZE extension advertises MaxSize+1.
	MaxSize       int64
	MaxRecipients int           // RCPT TO per message; DefaultMaxRecipients when zero
	MaxConns      int           // simultaneous connections; DefaultMaxConns when zero
	ReadTimeout   time.Duration // waiting for one command; DefaultReadTimeout when zero
	WriteTimeout  time.Duration // writing one reply; DefaultWriteTimeout when zero
	// DataTimeout bounds the transfer of one message after DATA, so that a
	// slow sender cannot hold a connection forever; DefaultDataTimeout
	// when zero.
	DataTimeout time.Duration
	// DeliverTimeout bounds one call of Resolver or Deliver;
	// DefaultDeliverTime when zero.
	DeliverTimeout time.Duration
	// Limits bound the MIME structure of a message (see Parse); its MaxSize
	// is always the MaxSize above.
	Limits Limits
	// TLS, when set, makes the server offer STARTTLS.
	TLS *tls.Config

	// Resolver maps a recipient address to its group. false means no such
	// address: the recipient is refused with 550 at RCPT TO.
	// An error means the look-up itself failed (e.g. the database is
	// down): the recipient is answered 451 so that the sender retries.
	Resolver func(ctx context.Context, rcpt string) (Target, bool, error)
	// Deliver hands a parsed message to the queue, once per distinct
	// target. An error answers the sender 451 so that it retries later; as a
	// retry delivers to every target again, Deliver should ignore a
	// Message.MessageID it already holds for that target.
	Deliver func(ctx context.Context, t Target, m *Message) error
}

// Validate checks the configuration and names the first wrong setting.
func (c Config) Validate() error {
	switch {
	case c.Resolver == nil:
		return errors.New("mailin: resolver is required")
	case c.Deliver == nil:
		return errors.New("mailin: deliver is required")
	case c.MaxSize < 0:
		return fmt.Errorf("mailin: max size %d is negative", c.MaxSize)
	case c.MaxRecipients < 0:
		return fmt.Errorf("mailin: max recipients %d is negative", c.MaxRecipients)
	case c.MaxConns < 0:
		return fmt.Errorf("mailin: max conns %d is negative", c.MaxConns)
	case c.ReadTimeout < 0 || c.WriteTimeout < 0 || c.DataTimeout < 0 || c.DeliverTimeout < 0:
		return errors.New("mailin: timeouts must not be negative")
	}
	for _, d := range c.Domains {
		if d = strings.TrimSpace(d); d == "" || strings.ContainsAny(d, "@ \t") {
			return fmt.Errorf("mailin: domain %q is not a domain name", d)
		}
	}
	return nil
}

// Server is VMS's inbound SMTP listener. Every session runs in its own
// goroutine; a panic in one is answered 451 (or 421) and logged, and never
// stops the listener.
type Server struct {
	cfg    Config
	log    *slog.Logger
	smtp   *smtp.Server
	ctx    context.Context // cancelled by Close: stops Resolver and Deliver calls
	cancel context.CancelFunc
	conns  atomic.Int64
	once   sync.Once
}

// New checks cfg and returns a server that is not listening yet.
func New(cfg Config, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Domain == "" {
		cfg.Domain = "localhost"
	}
	if cfg.MaxSize == 0 {
		cfg.MaxSize = DefaultMaxSize
	}
	if cfg.MaxRecipients == 0 {
		cfg.MaxRecipients = DefaultMaxRecipients
	}
	if cfg.MaxConns == 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.DataTimeout == 0 {
		cfg.DataTimeout = DefaultDataTimeout
	}
	if cfg.DeliverTimeout == 0 {
		cfg.DeliverTimeout = DefaultDeliverTime
	}
	cfg.Limits.MaxSize = cfg.MaxSize
	cfg.Domains = slices.Clone(cfg.Domains) // the caller's slice stays as it is
	for i, d := range cfg.Domains {
		cfg.Domains[i] = strings.ToLower(strings.TrimSpace(d))
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: log}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Addr = cfg.Addr
	srv.Domain = cfg.Domain
	// go-smtp refuses a message once it has read MaxMessageBytes without
	// seeing its end, so a message of exactly MaxSize bytes needs one more;
	// Data enforces MaxSize itself.
	srv.MaxMessageBytes = cfg.MaxSize + 1
	srv.MaxRecipients = cfg.MaxRecipients
	srv.ReadTimeout = cfg.ReadTimeout
	srv.WriteTimeout = cfg.WriteTimeout
	srv.TLSConfig = cfg.TLS
	srv.ErrorLog = errorLog{log}
	s.smtp = srv
	return s, nil
}

// Serve accepts connections on ln until Close. It returns nil after Close.
func (s *Server) Serve(ln net.Listener) error {
	err := s.smtp.Serve(&limitListener{Listener: ln, s: s})
	if err == nil || errors.Is(err, net.ErrClosed) && s.ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("mailin: serve: %w", err)
}

// ListenAndServe listens on Config.Addr and serves until ctx ends or Close
// is called; then it closes the server and returns nil.
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("mailin: listen %s: %w", s.cfg.Addr, err)
	}
	stop := context.AfterFunc(ctx, func() { _ = s.Close() })
	defer stop()
	return s.Serve(ln)
}

// Close stops listening, closes every connection at once and cancels the
// contexts of running Resolver and Deliver calls. A message whose DATA was
// not answered yet is not accepted, so its sender retries.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		s.cancel()
		err = s.smtp.Close()
		if errors.Is(err, net.ErrClosed) {
			err = nil
		}
	})
	return err
}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	ss := &session{s: s, helo: c.Hostname()}
	if nc := c.Conn(); nc != nil {
		ss.conn = nc
		ss.remote = nc.RemoteAddr().String()
	}
	return ss, nil
}

// session is one SMTP connection's state; go-smtp calls it from the
// connection's goroutine only.
type session struct {
	s       *Server
	conn    net.Conn // nil in unit tests
	remote  string   // client address
	helo    string   // the client's HELO/EHLO name
	from    string
	rcpts   []string
	targets []Target
}

// Replies. Texts are what the sender's mail server reports to the user.
var (
	errUnknownRcpt = func(rcpt string) *smtp.SMTPError {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: fmt.Sprintf("<%s>: no such address here", short(rcpt))}
	}
	errRelay = func(rcpt string) *smtp.SMTPError {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: fmt.Sprintf("<%s>: relaying denied, not a domain of this server", short(rcpt))}
	}
	errTooLarge = func(max int64) *smtp.SMTPError {
		return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: fmt.Sprintf("message too large: the limit is %d bytes", max)}
	}
	errMalformed = func(err error) *smtp.SMTPError {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "malformed message: " + err.Error()}
	}
	errReadFailed = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "timeout or connection error while reading the message, please try again"}
	errTemporary  = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "temporary local failure, please try again later"}
)

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) (err error) {
	defer ss.recoverTo(&err)
	at := strings.LastIndexByte(to, '@')
	if at <= 0 || at == len(to)-1 {
		return errUnknownRcpt(to)
	}
	if len(ss.s.cfg.Domains) > 0 && !slices.Contains(ss.s.cfg.Domains, strings.ToLower(to[at+1:])) {
		return errRelay(to)
	}
	ctx, cancel := context.WithTimeout(ss.s.ctx, ss.s.cfg.DeliverTimeout)
	defer cancel()
	t, ok, rerr := ss.s.cfg.Resolver(ctx, to)
	if rerr != nil {
		// The directory is unreachable: a permanent 550 would lose real
		// mail, so ask the sender to retry.
		ss.s.log.Warn("mailin: recipient look-up failed", slog.String("rcpt", to), slog.String("err", rerr.Error()))
		return errTemporary
	}
	if !ok {
		ss.s.log.Info("mailin: unknown recipient", slog.String("rcpt", to), slog.String("remote", ss.remote))
		return errUnknownRcpt(to)
	}
	if t.Address == "" {
		t.Address = to
	}
	ss.rcpts = append(ss.rcpts, to)
	if !slices.ContainsFunc(ss.targets, func(o Target) bool { return o.TenantID == t.TenantID && o.GroupID == t.GroupID }) {
		ss.targets = append(ss.targets, t)
	}
	return nil
}

func (ss *session) Data(r io.Reader) (err error) {
	defer ss.recoverTo(&err)
	max := ss.s.cfg.MaxSize
	if ss.conn != nil {
		// go-smtp set the read deadline for the DATA command line; the
		// message itself gets DataTimeout. The next command resets it.
		_ = ss.conn.SetReadDeadline(time.Now().Add(ss.s.cfg.DataTimeout))
	}
	// go-smtp's reader stops at MaxMessageBytes with ErrDataTooLarge; the
	// LimitReader makes the bound hold whatever reader comes in.
	raw, err := io.ReadAll(io.LimitReader(r, max+1))
	if errors.Is(err, smtp.ErrDataTooLarge) || int64(len(raw)) > max {
		ss.s.log.Info("mailin: message too large", slog.String("remote", ss.remote), slog.Int64("limit", max))
		return errTooLarge(max)
	}
	if err != nil {
		ss.s.log.Info("mailin: reading message failed", slog.String("remote", ss.remote), slog.Any("err", err))
		return errReadFailed
	}
	msg, err := Parse(raw, ss.s.cfg.Limits)
	if errors.Is(err, ErrTooLarge) {
		return errTooLarge(max)
	}
	if err != nil {
		ss.s.log.Info("mailin: malformed message refused", slog.String("remote", ss.remote), slog.String("reason", err.Error()))
		return errMalformed(err)
	}
	msg.Envelope = Envelope{From: ss.from, To: slices.Clone(ss.rcpts), Helo: ss.helo, RemoteAddr: ss.remote}
	for _, t := range ss.targets {
		ctx, cancel := context.WithTimeout(ss.s.ctx, ss.s.cfg.DeliverTimeout)
		err := ss.s.cfg.Deliver(ctx, t, msg)
		cancel()
		if err != nil {
			ss.s.log.Warn("mailin: deliver failed", slog.String("message_id", msg.MessageID),
				slog.Uint64("tenant_id", uint64(t.TenantID)), slog.String("group_id", t.GroupID), slog.Any("err", err))
			return errTemporary
		}
	}
	ss.s.log.Info("mailin: message accepted", slog.String("message_id", msg.MessageID),
		slog.Int("targets", len(ss.targets)), slog.Int64("size", msg.Size), slog.String("remote", ss.remote))
	return nil
}

func (ss *session) Reset() {
	ss.from, ss.rcpts, ss.targets = "", nil, nil
}

func (ss *session) Logout() error { return nil }

// recoverTo turns a panic in a command into a temporary failure, so that a
// bug triggered by one message neither kills the listener nor loses the mail.
func (ss *session) recoverTo(err *error) {
	if p := recover(); p != nil {
		ss.s.log.Error("mailin: panic in session", slog.Any("panic", p),
			slog.String("remote", ss.remote), slog.String("stack", string(debug.Stack())))
		*err = errTemporary
	}
}

// limitListener refuses connections beyond Config.MaxConns with 421.
type limitListener struct {
	net.Listener
	s *Server
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.s.conns.Add(1) > int64(l.s.cfg.MaxConns) {
			l.s.conns.Add(-1)
			l.s.log.Warn("mailin: too many connections", slog.String("remote", c.RemoteAddr().String()))
			_ = c.SetWriteDeadline(time.Now().Add(time.Second))
			_, _ = fmt.Fprintf(c, "421 4.7.0 %s too many connections, try again later\r\n", l.s.cfg.Domain)
			_ = c.Close()
			continue
		}
		return &countedConn{Conn: c, s: l.s}, nil
	}
}

type countedConn struct {
	net.Conn
	s    *Server
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.s.conns.Add(-1) })
	return c.Conn.Close()
}

// errorLog sends go-smtp's own messages (connection errors, recovered
// panics) to the logger.
type errorLog struct{ log *slog.Logger }

func (e errorLog) Printf(format string, v ...any) {
	e.log.Warn("mailin: smtp", slog.String("detail", strings.TrimSpace(fmt.Sprintf(format, v...))))
}

func (e errorLog) Println(v ...any) {
	e.log.Warn("mailin: smtp", slog.String("detail", strings.TrimSpace(fmt.Sprintln(v...))))
}
