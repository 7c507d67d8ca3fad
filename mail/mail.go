// Package mail sends e-mail through an SMTP relay: first-login links,
// notifications, replies to e-mail contacts (ACM-5). mail/mailtest holds an
// in-process SMTP sink for tests.
//
// The package knows nothing of tenants, users or templates: callers build a
// Message and hand it to Send. It never logs, and it never shows the relay
// password (SMTPConfig redacts it when printed or logged).
package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Message is one e-mail to send.
type Message struct {
	From    string // defaults to SMTPConfig.From
	To      []string
	Subject string
	Text    string // text/plain body
	HTML    string // text/html alternative; sent alone when Text is empty
	// Headers are extra header fields, e.g. Message-ID, In-Reply-To and
	// References for threading. Address and MIME headers (From, To, Cc,
	// Bcc, Subject, Content-*, MIME-Version) cannot be set here.
	Headers map[string]string
}

// TLS modes of SMTPConfig.TLS.
const (
	TLSNone     = "none"     // plain text; for a relay on the same host or in tests
	TLSStartTLS = "starttls" // STARTTLS is required (usually port 587)
	TLSImplicit = "tls"      // TLS from the first byte (usually port 465)
)

// DefaultTimeout bounds a whole send when SMTPConfig.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// SMTPConfig says how to reach the relay.
type SMTPConfig struct {
	Host     string
	Port     int
	Username string // empty: no authentication
	Password string // never logged: String and LogValue redact it
	TLS      string // TLSNone, TLSStartTLS or TLSImplicit; credentials need TLS unless Host is loopback
	From     string // default sender address
	Timeout  time.Duration
}

// Validate checks the configuration and returns an error naming the first
// wrong setting.
func (c SMTPConfig) Validate() error {
	switch {
	case strings.TrimSpace(c.Host) == "":
		return errors.New("mail: smtp host is required")
	case c.Port < 1 || c.Port > 65535:
		return fmt.Errorf("mail: smtp port %d is out of range 1-65535", c.Port)
	case c.TLS != TLSNone && c.TLS != TLSStartTLS && c.TLS != TLSImplicit:
		return fmt.Errorf("mail: smtp tls %q must be %q, %q or %q", c.TLS, TLSNone, TLSStartTLS, TLSImplicit)
	case c.Timeout < 0:
		return fmt.Errorf("mail: smtp timeout %s is negative", c.Timeout)
	case c.Password != "" && c.Username == "":
		return errors.New("mail: smtp password is set without a username")
	case c.Username != "" && c.TLS == TLSNone && !loopback(c.Host):
		return fmt.Errorf("mail: smtp credentials need tls %q or %q: with %q they would cross the network in clear text", TLSStartTLS, TLSImplicit, TLSNone)
	}
	if c.From != "" {
		if _, err := netmail.ParseAddress(c.From); err != nil {
			return fmt.Errorf("mail: smtp from %q is not an address: %w", c.From, err)
		}
	}
	return nil
}

// String describes the configuration without the password.
func (c SMTPConfig) String() string {
	return fmt.Sprintf("smtp://%s:%d (tls=%s, user=%q, password=%s, from=%q)",
		c.Host, c.Port, c.TLS, c.Username, redacted(c.Password), c.From)
}

// LogValue lets log/slog print the configuration without the password.
func (c SMTPConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("host", c.Host),
		slog.Int("port", c.Port),
		slog.String("tls", c.TLS),
		slog.String("username", c.Username),
		slog.String("password", redacted(c.Password)),
		slog.String("from", c.From),
		slog.Duration("timeout", c.Timeout),
	)
}

// loopback reports whether host names this machine.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func redacted(pw string) string {
	if pw == "" {
		return "(none)"
	}
	return "(redacted)"
}

// SMTP sends messages through one relay. It is safe for concurrent use:
// every Send opens its own connection.
type SMTP struct {
	cfg  SMTPConfig
	opts []gomail.Option
}

// NewSMTP checks cfg and returns a sender for it. It does not connect.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	opts := []gomail.Option{gomail.WithPort(cfg.Port), gomail.WithTimeout(cfg.Timeout)}
	switch cfg.TLS {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	}
	if cfg.Username != "" {
		// Over TLS, the strongest mechanism the relay offers is chosen.
		// Without TLS (allowed only to a relay on this host, see
		// Validate) PLAIN is used as is.
		auth := gomail.SMTPAuthAutoDiscover
		if cfg.TLS == TLSNone {
			auth = gomail.SMTPAuthPlainNoEnc
		}
		opts = append(opts,
			gomail.WithSMTPAuth(auth),
			gomail.WithUsername(cfg.Username),
			gomail.WithPassword(cfg.Password))
	}
	return &SMTP{cfg: cfg, opts: opts}, nil
}

// Send delivers m to the relay. From defaults to the configured sender; a
// Date and, when m has none, a Message-ID are added.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := s.build(m)
	if err != nil {
		return err
	}
	client, err := gomail.NewClient(s.cfg.Host, s.opts...)
	if err != nil {
		return fmt.Errorf("mail: client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("mail: send to %s:%d: %w", s.cfg.Host, s.cfg.Port, err)
	}
	return nil
}

// reserved are the headers Message fields own; setting them through
// Headers would make the message ambiguous.
var reserved = map[string]bool{
	"From": true, "To": true, "Cc": true, "Bcc": true, "Subject": true,
	"Sender": true, "Date": true, "Mime-Version": true,
	"Content-Type": true, "Content-Transfer-Encoding": true,
}

func (s *SMTP) build(m Message) (*gomail.Msg, error) {
	from := m.From
	if from == "" {
		from = s.cfg.From
	}
	if from == "" {
		return nil, errors.New("mail: message has no sender and no default is configured")
	}
	if len(m.To) == 0 {
		return nil, errors.New("mail: message has no recipient")
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, errors.New("mail: subject contains a line break")
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("mail: from %q: %w", from, err)
	}
	if err := msg.To(m.To...); err != nil {
		return nil, fmt.Errorf("mail: to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	hasID := false
	for name, value := range m.Headers {
		canon := canonicalHeader(name)
		if canon == "" {
			return nil, fmt.Errorf("mail: header name %q is not valid", name)
		}
		if reserved[canon] || strings.HasPrefix(canon, "Content-") {
			return nil, fmt.Errorf("mail: header %s is set from the message fields, not Headers", canon)
		}
		if strings.ContainsAny(value, "\r\n") {
			return nil, fmt.Errorf("mail: header %s contains a line break", canon)
		}
		if canon == "Message-Id" || canon == "In-Reply-To" {
			if canon == "Message-Id" {
				canon, hasID = "Message-ID", true
			}
			value = msgID(value)
		}
		msg.SetGenHeader(gomail.Header(canon), value)
	}
	if !hasID {
		msg.SetMessageID()
	}
	switch {
	case m.HTML == "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	case m.Text == "":
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	default:
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// msgID encloses a bare message identifier ("abc@host") in angle brackets,
// as RFC 5322 writes it; an identifier already enclosed is kept.
func msgID(v string) string {
	v = strings.TrimSpace(v)
	if v == "" || strings.HasPrefix(v, "<") {
		return v
	}
	return "<" + v + ">"
}

// canonicalHeader returns the canonical form of a header name ("in-reply-to"
// → "In-Reply-To"), or "" when it holds characters a header name may not.
func canonicalHeader(name string) string {
	if name == "" {
		return ""
	}
	b := []byte(name)
	upper := true
	for i, c := range b {
		if c <= ' ' || c >= 0x7f || c == ':' {
			return ""
		}
		switch {
		case upper && 'a' <= c && c <= 'z':
			b[i] = c - 'a' + 'A'
		case !upper && 'A' <= c && c <= 'Z':
			b[i] = c - 'A' + 'a'
		}
		upper = c == '-'
	}
	return string(b)
}
