// Package mailtest provides an in-process SMTP sink for tests: it accepts
// every message on 127.0.0.1 and keeps it, parsed, for the test to inspect.
// It is for tests only; it does no authentication and no TLS.
package mailtest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// maxMessageBytes bounds what the sink keeps of one message.
const maxMessageBytes = 10 << 20

// Received is one message the sink accepted.
type Received struct {
	From   string      // envelope sender (MAIL FROM)
	To     []string    // envelope recipients (RCPT TO)
	Raw    []byte      // the message as transmitted
	Header mail.Header // its parsed header
	Text   string      // its decoded text/plain body ("" when it has none)
	HTML   string      // its decoded text/html body ("" when it has none)
}

// Sink is an SMTP server on 127.0.0.1 keeping every message it receives.
type Sink struct {
	server *smtp.Server
	addr   *net.TCPAddr

	mu       sync.Mutex
	msgs     []Received
	errs     []error
	user     string // when set, AUTH PLAIN with user and pass is required
	pass     string
	authFail int
}

// NewSink starts a sink on a free port of 127.0.0.1; it is closed when the
// test ends. A message the sink cannot parse fails the test at cleanup.
func NewSink(t testing.TB) *Sink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	s := &Sink{addr: ln.Addr().(*net.TCPAddr)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{sink: s}, nil
	}))
	srv.Domain = "localhost"
	srv.MaxMessageBytes = maxMessageBytes
	srv.MaxRecipients = 100
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.AllowInsecureAuth = true // tests run without TLS
	s.server = srv
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // returns when closed
	}()
	t.Cleanup(func() {
		// Serve may not have taken the listener yet when a test ends
		// at once: closing it as well makes Serve return either way.
		_ = srv.Close()
		_ = ln.Close()
		<-done
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, err := range s.errs {
			t.Errorf("mailtest: %v", err)
		}
	})
	return s
}

// Host returns the address the sink listens on ("127.0.0.1").
func (s *Sink) Host() string { return s.addr.IP.String() }

// Port returns the port the sink listens on.
func (s *Sink) Port() int { return s.addr.Port }

// Messages returns a copy of the messages received so far, in order.
func (s *Sink) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// Wait polls until the sink holds at least n messages and returns them; it
// fails the test when they have not all arrived within timeout.
func (s *Sink) Wait(t testing.TB, n int, timeout time.Duration) []Received {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msgs := s.Messages()
		if len(msgs) >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailtest: got %d messages after %s, want %d", len(msgs), timeout, n)
			return msgs
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// RequireAuth makes the sink demand SMTP AUTH PLAIN with these credentials
// from the next connection on, as a relay with an account does.
func (s *Sink) RequireAuth(user, pass string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user, s.pass = user, pass
}

// AuthFailures returns how many authentication attempts were refused.
func (s *Sink) AuthFailures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authFail
}

func (s *Sink) credentials() (user, pass string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.user, s.pass
}

func (s *Sink) add(r Received, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.errs = append(s.errs, err)
	}
	s.msgs = append(s.msgs, r)
}

type session struct {
	sink   *Sink
	authed bool
	from   string
	to     []string
}

func (ss *session) AuthMechanisms() []string {
	if user, _ := ss.sink.credentials(); user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, username, password string) error {
		user, pass := ss.sink.credentials()
		if user == "" || username != user || password != pass {
			ss.sink.mu.Lock()
			ss.sink.authFail++
			ss.sink.mu.Unlock()
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if user, _ := ss.sink.credentials(); user != "" && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read data: %w", err)
	}
	rec, perr := Parse(raw)
	rec.From, rec.To = ss.from, append([]string(nil), ss.to...)
	ss.sink.add(rec, perr)
	return nil
}

func (ss *session) Reset() {
	ss.from, ss.to = "", nil
}

func (ss *session) Logout() error { return nil }

// Parse reads a raw message into a Received (without the envelope): its
// header and its text/plain and text/html bodies, decoded from
// quoted-printable or base64, looking inside multipart containers.
func Parse(raw []byte) (Received, error) {
	rec := Received{Raw: raw}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return rec, fmt.Errorf("parse message: %w", err)
	}
	rec.Header = m.Header
	err = walk(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Body, &rec, 0)
	return rec, err
}

// walk decodes one MIME entity, descending into multipart ones.
func walk(ctype, cte string, body io.Reader, rec *Received, depth int) error {
	if depth > 10 {
		return errors.New("parse message: multipart nested too deeply")
	}
	if ctype == "" {
		ctype = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return fmt.Errorf("parse content type %q: %w", ctype, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("parse multipart: %w", err)
			}
			if err := walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, rec, depth+1); err != nil {
				return err
			}
		}
	}
	if mt != "text/plain" && mt != "text/html" {
		return nil // attachments and the like are kept only in Raw
	}
	var r io.Reader = body
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &newlineStripper{r: body})
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("decode %s body: %w", mt, err)
	}
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	if mt == "text/plain" && rec.Text == "" {
		rec.Text = text
	} else if mt == "text/html" && rec.HTML == "" {
		rec.HTML = text
	}
	return nil
}

// newlineStripper drops CR and LF, which base64 bodies are wrapped with.
type newlineStripper struct{ r io.Reader }

func (n *newlineStripper) Read(p []byte) (int, error) {
	for {
		k, err := n.r.Read(p)
		j := 0
		for _, c := range p[:k] {
			if c != '\r' && c != '\n' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}
