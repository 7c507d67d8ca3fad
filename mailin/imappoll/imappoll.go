// Package imappoll takes inbound e-mail for agent groups from an existing
// mailbox over IMAP (ACM-5), for customers whose group mail cannot be pointed
// at VMS's own SMTP listener. Each message is parsed with mailin.Parse and
// handed to the same Config.Resolver and Config.Deliver as the listener.
//
// Like package mailin it owns receiving and parsing only: it never touches
// the store or the queue.
//
// A message is marked \Seen once every group it is addressed to has taken it
// (and then moved to Config.Processed when set), so a restart of the poller
// never takes it again; Deliver ignores a Message-ID it already holds, which
// covers a stop between delivering and marking. A message that can never be
// delivered (too large, malformed, no group address among its recipients) is
// marked \Seen and \Flagged and left in the mailbox for a person to look at.
// A failed look-up or Deliver leaves the message unseen: the next poll tries
// again.
package imappoll

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/vmsplatform/vms/mailin"
)

// TLS modes of Config.TLS.
const (
	TLSNone     = "none"     // plain text; only for a server on the same host or in tests
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS (port 143)
	TLSImplicit = "tls"      // TLS from the first byte (port 993)
)

// Defaults of Config, used where a field is zero.
const (
	DefaultMailbox       = "INBOX"
	DefaultEvery         = 30 * time.Second
	DefaultTimeout       = 60 * time.Second
	DefaultMaxRecipients = 50
	maxBackoff           = 5 * time.Minute
)

// Config configures a Poller. Addr, Username, Resolver and Deliver are
// required.
type Config struct {
	Addr      string      // host:port of the IMAP server
	TLS       string      // TLSNone, TLSStartTLS or TLSImplicit; TLSImplicit when empty
	TLSConfig *tls.Config // optional, e.g. extra root certificates; ServerName defaults to Addr's host
	Username  string
	Password  string
	Mailbox   string // mailbox to poll; DefaultMailbox when empty
	// Processed, when set, is the mailbox delivered messages are moved to;
	// empty leaves them in Mailbox, marked \Seen.
	Processed string
	Every     time.Duration // time between polls; DefaultEvery when zero
	// Timeout bounds each exchange with the server (connecting, logging
	// in, fetching one message) and each call of Resolver or Deliver;
	// DefaultTimeout when zero.
	Timeout time.Duration
	// MaxSize is the largest message taken, in raw bytes;
	// mailin.DefaultMaxSize when zero. Larger ones are never fetched whole.
	MaxSize int64
	// MaxRecipients bounds the addresses of one message asked of Resolver;
	// DefaultMaxRecipients when zero.
	MaxRecipients int
	// Limits bound the MIME structure of a message (see mailin.Parse); its
	// MaxSize is always the MaxSize above.
	Limits mailin.Limits

	// Resolver maps a recipient address to its group, as for mailin.Config.
	Resolver func(ctx context.Context, rcpt string) (mailin.Target, bool, error)
	// Deliver hands a parsed message to the queue once per distinct target,
	// as for mailin.Config; it must ignore a Message-ID it already holds.
	Deliver func(ctx context.Context, t mailin.Target, m *mailin.Message) error
}

// Validate checks the configuration and names the first wrong setting.
func (c Config) Validate() error {
	switch {
	case c.Resolver == nil:
		return errors.New("imappoll: resolver is required")
	case c.Deliver == nil:
		return errors.New("imappoll: deliver is required")
	case c.Username == "":
		return errors.New("imappoll: user name is required")
	case c.MaxSize < 0:
		return fmt.Errorf("imappoll: max size %d is negative", c.MaxSize)
	case c.MaxRecipients < 0:
		return fmt.Errorf("imappoll: max recipients %d is negative", c.MaxRecipients)
	case c.Every < 0 || c.Timeout < 0:
		return errors.New("imappoll: durations must not be negative")
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("imappoll: address %q is not host:port", c.Addr)
	}
	switch c.TLS {
	case "", TLSNone, TLSStartTLS, TLSImplicit:
	default:
		return fmt.Errorf("imappoll: tls mode %q is not none, starttls or tls", c.TLS)
	}
	return nil
}

// Poller polls one mailbox. Run it once; it is not safe to run it twice at
// the same time on the same mailbox (two pollers may deliver a message
// twice, which Deliver then ignores).
type Poller struct {
	cfg Config
	log *slog.Logger
}

// New checks cfg and returns a poller that does not poll yet.
func New(cfg Config, log *slog.Logger) (*Poller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.TLS == "" {
		cfg.TLS = TLSImplicit
	}
	if cfg.Mailbox == "" {
		cfg.Mailbox = DefaultMailbox
	}
	if cfg.Every == 0 {
		cfg.Every = DefaultEvery
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxSize == 0 {
		cfg.MaxSize = mailin.DefaultMaxSize
	}
	if cfg.MaxRecipients == 0 {
		cfg.MaxRecipients = DefaultMaxRecipients
	}
	cfg.Limits.MaxSize = cfg.MaxSize
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Poller{cfg: cfg, log: log}, nil
}

// Run polls at once and then every Config.Every until ctx ends; it returns
// nil then. While the server is unreachable or refuses the login it tries
// again after a growing pause: 1 s, doubling up to Config.Every (at most
// 5 min).
func (p *Poller) Run(ctx context.Context) error {
	backoff := time.Duration(0)
	for {
		wait := p.cfg.Every
		if err := p.Poll(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			backoff = min(max(2*backoff, time.Second), max(min(p.cfg.Every, maxBackoff), time.Second))
			wait = backoff
			p.log.Warn("imappoll: poll failed", slog.String("addr", p.cfg.Addr), slog.String("mailbox", p.cfg.Mailbox),
				slog.Duration("retry_in", wait), slog.Any("err", err))
		} else {
			backoff = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// Poll connects, takes every unseen message of the mailbox once and logs
// out. An error means the server could not be used (connection, login,
// mailbox); problems of single messages are logged and never returned.
// Every exchange with the server is bounded by Config.Timeout.
func (p *Poller) Poll(ctx context.Context) error {
	c, conn, err := p.dial(ctx)
	if err != nil {
		return err
	}
	// Closing the connection ends every command waiting on it.
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	defer stop()
	defer c.Close()
	step := func() { _ = conn.SetDeadline(time.Now().Add(p.cfg.Timeout)) }
	step()
	if err := c.Login(p.cfg.Username, p.cfg.Password).Wait(); err != nil {
		return p.ctxErr(ctx, fmt.Errorf("imappoll: login as %s: %w", p.cfg.Username, err))
	}
	if _, err := c.Select(p.cfg.Mailbox, nil).Wait(); err != nil {
		return p.ctxErr(ctx, fmt.Errorf("imappoll: select %s: %w", p.cfg.Mailbox, err))
	}
	found, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen, imap.FlagDeleted}}, nil).Wait()
	if err != nil {
		return p.ctxErr(ctx, fmt.Errorf("imappoll: search unseen: %w", err))
	}
	uids := found.AllUIDs()
	if len(uids) > 0 {
		sizes, err := p.sizes(c, uids)
		if err != nil {
			return p.ctxErr(ctx, err)
		}
		for _, uid := range uids {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			step()
			if err := p.take(ctx, c, uid, sizes[uid]); err != nil {
				return p.ctxErr(ctx, err)
			}
		}
	}
	step()
	_ = c.Logout().Wait()
	return nil
}

func (p *Poller) ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// dial connects and returns the client and its network connection, whose
// deadline bounds each step.
func (p *Poller) dial(ctx context.Context) (*imapclient.Client, net.Conn, error) {
	d := net.Dialer{Timeout: p.cfg.Timeout}
	conn, err := d.DialContext(ctx, "tcp", p.cfg.Addr)
	if err != nil {
		return nil, nil, fmt.Errorf("imappoll: connect %s: %w", p.cfg.Addr, err)
	}
	_ = conn.SetDeadline(time.Now().Add(p.cfg.Timeout))
	tc := p.tlsConfig()
	opts := &imapclient.Options{TLSConfig: tc}
	switch p.cfg.TLS {
	case TLSImplicit:
		t := tls.Client(conn, tc)
		if err := t.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, nil, fmt.Errorf("imappoll: tls with %s: %w", p.cfg.Addr, err)
		}
		return imapclient.New(t, opts), conn, nil
	case TLSStartTLS:
		stop := context.AfterFunc(ctx, func() { conn.Close() })
		defer stop()
		c, err := imapclient.NewStartTLS(conn, opts)
		if err != nil {
			conn.Close()
			return nil, nil, fmt.Errorf("imappoll: starttls with %s: %w", p.cfg.Addr, err)
		}
		return c, conn, nil
	default:
		return imapclient.New(conn, opts), conn, nil
	}
}

func (p *Poller) tlsConfig() *tls.Config {
	var tc *tls.Config
	if p.cfg.TLSConfig != nil {
		tc = p.cfg.TLSConfig.Clone()
	} else {
		tc = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if tc.ServerName == "" {
		tc.ServerName, _, _ = net.SplitHostPort(p.cfg.Addr)
	}
	return tc
}

// sizes asks the server for the size of each message, so that an oversized
// one is never fetched.
func (p *Poller) sizes(c *imapclient.Client, uids []imap.UID) (map[imap.UID]int64, error) {
	msgs, err := c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return nil, fmt.Errorf("imappoll: fetch sizes: %w", err)
	}
	out := make(map[imap.UID]int64, len(msgs))
	for _, m := range msgs {
		out[m.UID] = m.RFC822Size
	}
	return out, nil
}

// take handles one message. It returns an error only when the connection is
// no longer usable.
func (p *Poller) take(ctx context.Context, c *imapclient.Client, uid imap.UID, size int64) (err error) {
	log := p.log.With(slog.String("mailbox", p.cfg.Mailbox), slog.Uint64("uid", uint64(uid)))
	defer func() {
		// A bug triggered by one message must not stop the poller; the
		// message stays unseen.
		if r := recover(); r != nil {
			log.Error("imappoll: panic on a message", slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
			err = nil
		}
	}()
	if size > p.cfg.MaxSize {
		log.Warn("imappoll: message too large, flagged and left in the mailbox", slog.Int64("size", size), slog.Int64("limit", p.cfg.MaxSize))
		return p.refuse(c, uid)
	}
	raw, err := p.fetch(c, uid)
	if errors.Is(err, mailin.ErrTooLarge) {
		log.Warn("imappoll: message too large, flagged and left in the mailbox", slog.Int64("limit", p.cfg.MaxSize))
		return p.refuse(c, uid)
	}
	if err != nil {
		return err
	}
	if raw == nil { // expunged meanwhile
		return nil
	}
	msg, err := mailin.Parse(raw, p.cfg.Limits)
	if err != nil {
		log.Warn("imappoll: malformed message, flagged and left in the mailbox", slog.String("reason", err.Error()))
		return p.refuse(c, uid)
	}
	rcpts := Recipients(msg, p.cfg.MaxRecipients)
	var targets []mailin.Target
	var accepted []string
	for _, rcpt := range rcpts {
		rctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
		t, ok, rerr := p.cfg.Resolver(rctx, rcpt)
		cancel()
		if rerr != nil {
			log.Warn("imappoll: recipient look-up failed, trying again at the next poll", slog.String("rcpt", rcpt), slog.Any("err", rerr))
			return nil
		}
		if !ok {
			log.Debug("imappoll: not a group address", slog.String("rcpt", rcpt))
			continue
		}
		if t.Address == "" {
			t.Address = rcpt
		}
		accepted = append(accepted, rcpt)
		if !slices.ContainsFunc(targets, func(o mailin.Target) bool { return o.TenantID == t.TenantID && o.GroupID == t.GroupID }) {
			targets = append(targets, t)
		}
	}
	if len(targets) == 0 {
		log.Info("imappoll: no group address among the recipients, flagged and left in the mailbox",
			slog.String("message_id", msg.MessageID), slog.Any("recipients", rcpts))
		return p.refuse(c, uid)
	}
	msg.Envelope = mailin.Envelope{From: returnPath(msg), To: accepted, RemoteAddr: p.cfg.Addr}
	for _, t := range targets {
		dctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
		derr := p.cfg.Deliver(dctx, t, msg)
		cancel()
		if derr != nil {
			log.Warn("imappoll: deliver failed, trying again at the next poll", slog.String("message_id", msg.MessageID),
				slog.Uint64("tenant_id", uint64(t.TenantID)), slog.String("group_id", t.GroupID), slog.Any("err", derr))
			return nil
		}
	}
	if err := c.Store(imap.UIDSetNum(uid), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		return fmt.Errorf("imappoll: mark %d seen: %w", uid, err)
	}
	if p.cfg.Processed != "" {
		if _, err := c.Move(imap.UIDSetNum(uid), p.cfg.Processed).Wait(); err != nil {
			// Seen already: it is not taken again, only left in place.
			log.Warn("imappoll: moving a delivered message failed", slog.String("to", p.cfg.Processed), slog.Any("err", err))
		}
	}
	log.Info("imappoll: message delivered", slog.String("message_id", msg.MessageID), slog.Int("targets", len(targets)), slog.Int64("size", msg.Size))
	return nil
}

// fetch reads one message, never more than MaxSize+1 bytes of it. It
// returns nil, nil when the message is gone.
func (p *Poller) fetch(c *imapclient.Client, uid imap.UID) ([]byte, error) {
	section := &imap.FetchItemBodySection{Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: p.cfg.MaxSize + 1}}
	cmd := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}})
	defer cmd.Close()
	var raw []byte
	var tooLarge bool
	for m := cmd.Next(); m != nil; m = cmd.Next() {
		for item := m.Next(); item != nil; item = m.Next() {
			b, ok := item.(imapclient.FetchItemDataBodySection)
			if !ok || b.Literal == nil {
				continue
			}
			data, err := io.ReadAll(io.LimitReader(b.Literal, p.cfg.MaxSize+1))
			if err != nil {
				return nil, fmt.Errorf("imappoll: fetch %d: %w", uid, err)
			}
			if int64(len(data)) > p.cfg.MaxSize {
				tooLarge = true
				continue
			}
			raw = data
		}
	}
	if err := cmd.Close(); err != nil {
		return nil, fmt.Errorf("imappoll: fetch %d: %w", uid, err)
	}
	if tooLarge {
		return nil, mailin.ErrTooLarge
	}
	return raw, nil
}

// refuse marks a message that can never be delivered \Seen and \Flagged, so
// that it is not taken again and a person sees it.
func (p *Poller) refuse(c *imapclient.Client, uid imap.UID) error {
	err := c.Store(imap.UIDSetNum(uid), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen, imap.FlagFlagged}}, nil).Close()
	if err != nil {
		return fmt.Errorf("imappoll: flag %d: %w", uid, err)
	}
	return nil
}

// Recipients returns the addresses a message was sent to, as a mailbox
// shared by several groups sees them: Delivered-To and X-Original-To (set by
// the receiving server, often the only trace of a Bcc or alias), then To and
// Cc. Addresses are lower-case, without duplicates, at most max of them.
func Recipients(m *mailin.Message, max int) []string {
	var out []string
	add := func(a string) {
		a = strings.ToLower(strings.TrimSpace(a))
		if at := strings.LastIndexByte(a, '@'); at <= 0 || at == len(a)-1 || strings.ContainsAny(a, " \t\r\n<>") {
			return
		}
		if len(out) < max && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	for _, name := range []string{"Delivered-To", "X-Original-To"} {
		for _, v := range m.Header[name] {
			if list, err := mail.ParseAddressList(v); err == nil {
				for _, a := range list {
					add(a.Address)
				}
			} else {
				add(strings.Trim(strings.TrimSpace(v), "<>"))
			}
		}
	}
	for _, a := range m.To {
		add(a.Address)
	}
	for _, a := range m.Cc {
		add(a.Address)
	}
	return out
}

// returnPath is the bounce address the receiving server recorded.
func returnPath(m *mailin.Message) string {
	v := strings.TrimSpace(m.Header.Get("Return-Path"))
	if a, err := mail.ParseAddress(v); err == nil {
		return a.Address
	}
	return strings.Trim(v, "<>")
}
