package mailin

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// queue is a Deliver that records what it is given.
type queue struct {
	mu   sync.Mutex
	got  []delivery
	fail error // returned by every Deliver when set
	boom bool  // Deliver panics when set
}

type delivery struct {
	target Target
	msg    *Message
}

func (q *queue) deliver(_ context.Context, t Target, m *Message) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.boom {
		panic("queue bug")
	}
	if q.fail != nil {
		return q.fail
	}
	q.got = append(q.got, delivery{t, m})
	return nil
}

func (q *queue) deliveries() []delivery {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]delivery(nil), q.got...)
}

// groups resolves <group>@acme.vms.example for a few groups of tenant 7.
func groups(_ context.Context, rcpt string) (Target, bool, error) {
	local, domain, _ := strings.Cut(strings.ToLower(rcpt), "@")
	if domain != "acme.vms.example" || (local != "sales" && local != "support") {
		return Target{}, false, nil
	}
	return Target{TenantID: 7, GroupID: local}, true, nil
}

// startServer runs a server on a loopback port until the test ends.
func startServer(t *testing.T, cfg Config) (addr string, q *queue) {
	t.Helper()
	q = &queue{}
	if cfg.Resolver == nil {
		cfg.Resolver = groups
	}
	cfg.Deliver = q.deliver
	if cfg.Domains == nil {
		cfg.Domains = []string{"acme.vms.example"}
	}
	cfg.ReadTimeout, cfg.WriteTimeout = 5*time.Second, 5*time.Second
	s, err := New(cfg, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String(), q
}

// send runs one SMTP transaction and returns the first refusal.
func send(t *testing.T, addr, from string, to []string, raw []byte) error {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	if err := c.Hello("client.example"); err != nil {
		return err
	}
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(raw); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func smtpCode(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

func TestServerDelivers(t *testing.T) {
	addr, q := startServer(t, Config{})
	raw := crlf(threadMail)
	err := send(t, addr, "bounce@customer.example", []string{"Sales@ACME.vms.example", "support@acme.vms.example", "sales@acme.vms.example"}, raw)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	got := q.deliveries()
	if len(got) != 2 {
		t.Fatalf("got %d deliveries, want 2 (one per group)", len(got))
	}
	if got[0].target.GroupID != "sales" || got[1].target.GroupID != "support" || got[0].target.TenantID != 7 {
		t.Errorf("targets = %+v, %+v", got[0].target, got[1].target)
	}
	if got[0].target.Address != "Sales@ACME.vms.example" {
		t.Errorf("target address = %q, want the RCPT TO address", got[0].target.Address)
	}
	m := got[0].msg
	if m.MessageID != "m2@customer.example" || m.InReplyTo != "m1@acme.vms.example" || len(m.References) != 2 {
		t.Errorf("thread headers = %q, %q, %q", m.MessageID, m.InReplyTo, m.References)
	}
	if len(m.Attachments) != 2 || string(m.Attachments[0].Data) != "%PDF-1.4\n%%EOF\n" {
		t.Errorf("attachments = %+v", m.Attachments)
	}
	if !bytes.Equal(m.Raw, raw) {
		t.Errorf("raw differs from what was sent:\n%q\nwant\n%q", m.Raw, raw)
	}
	if m.Envelope.From != "bounce@customer.example" || len(m.Envelope.To) != 3 || m.Envelope.Helo != "client.example" || m.Envelope.RemoteAddr == "" {
		t.Errorf("envelope = %+v", m.Envelope)
	}
}

func TestServerDotStuffing(t *testing.T) {
	addr, q := startServer(t, Config{})
	raw := crlf("From: a@x.example\nMessage-ID: <dots@x>\n\n.leading dot\n..two\n")
	if err := send(t, addr, "a@x.example", []string{"sales@acme.vms.example"}, raw); err != nil {
		t.Fatalf("send: %v", err)
	}
	if got := q.deliveries()[0].msg.Text; got != ".leading dot\r\n..two\r\n" {
		t.Errorf("Text = %q", got)
	}
}

func TestServerRefusals(t *testing.T) {
	good := crlf("From: a@x.example\nSubject: hi\n\nhello\n")
	tests := []struct {
		name     string
		cfg      Config
		to       []string
		raw      []byte
		fail     error
		boom     bool
		code     int
		inReason string
	}{
		{name: "unknown recipient", to: []string{"nobody@acme.vms.example"}, raw: good, code: 550, inReason: "no such address"},
		{name: "foreign domain", to: []string{"sales@elsewhere.example"}, raw: good, code: 550, inReason: "relaying denied"},
		{name: "no domain", to: []string{"sales"}, raw: good, code: 501},
		{name: "too many recipients", cfg: Config{MaxRecipients: 1}, to: []string{"sales@acme.vms.example", "support@acme.vms.example"}, raw: good, code: 452},
		{name: "too large", cfg: Config{MaxSize: 1024}, to: []string{"sales@acme.vms.example"}, raw: append(good, bytes.Repeat([]byte("0123456789abcde\r\n"), 1<<12)...), code: 552, inReason: "1024 bytes"},
		{name: "malformed", to: []string{"sales@acme.vms.example"}, raw: crlf("Subject: no sender\n\nhi\n"), code: 554, inReason: "not a mail: no From header"},
		{name: "bad MIME", to: []string{"sales@acme.vms.example"}, raw: crlf("From: a@x.example\nContent-Type: multipart/mixed\n\nhi\n"), code: 554, inReason: "bad MIME structure"},
		{name: "too deep", cfg: Config{Limits: Limits{MaxDepth: 2}}, to: []string{"sales@acme.vms.example"}, raw: nested(3), code: 554, inReason: "nesting too deep"},
		{name: "deliver fails", to: []string{"sales@acme.vms.example"}, raw: good, fail: errors.New("queue down"), code: 451},
		{name: "deliver panics", to: []string{"sales@acme.vms.example"}, raw: good, boom: true, code: 451},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, q := startServer(t, tt.cfg)
			q.fail, q.boom = tt.fail, tt.boom
			err := send(t, addr, "a@x.example", tt.to, tt.raw)
			if smtpCode(err) != tt.code {
				t.Fatalf("send = %v, want code %d", err, tt.code)
			}
			if !strings.Contains(err.Error(), tt.inReason) {
				t.Errorf("reply %q does not say %q", err, tt.inReason)
			}
			if n := len(q.deliveries()); n != 0 {
				t.Errorf("%d deliveries, want none", n)
			}
			// The listener survives: a good mail still goes through.
			q.fail, q.boom = nil, false
			if err := send(t, addr, "a@x.example", []string{"sales@acme.vms.example"}, good); err != nil {
				t.Fatalf("good mail after refusal: %v", err)
			}
		})
	}
}

func TestServerSizeBoundary(t *testing.T) {
	raw := crlf("From: a@x.example\n\n")
	raw = append(raw, bytes.Repeat([]byte("x"), 1024-len(raw)-2)...)
	raw = append(raw, "\r\n"...)
	addr, q := startServer(t, Config{MaxSize: 1024})
	if err := send(t, addr, "a@x.example", []string{"sales@acme.vms.example"}, raw); err != nil {
		t.Fatalf("message of exactly MaxSize: %v", err)
	}
	if got := q.deliveries(); len(got) != 1 || got[0].msg.Size != 1024 {
		t.Fatalf("deliveries = %d, want one of 1024 bytes", len(got))
	}
	over := append([]byte(" "), raw...) // 1025 bytes
	if err := send(t, addr, "a@x.example", []string{"sales@acme.vms.example"}, over); smtpCode(err) != 552 {
		t.Fatalf("message of MaxSize+1 bytes = %v, want 552", err)
	}
}

func TestServerSizeDeclaredTooLarge(t *testing.T) {
	addr, _ := startServer(t, Config{MaxSize: 1024})
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example"); err != nil {
		t.Fatal(err)
	}
	if size, ok := c.MaxMessageSize(); !ok || size != 1025 {
		t.Errorf("advertised SIZE = %d, %v; want 1025 (MaxSize+1)", size, ok)
	}
	err = c.Mail("a@x.example", &smtp.MailOptions{Size: 4096})
	if smtpCode(err) != 552 {
		t.Errorf("MAIL FROM with SIZE=4096 = %v, want 552", err)
	}
}

// endless is a reader that never ends, counting what was read from it.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	e.n += int64(len(p))
	return len(p), nil
}

func TestDataReadsAtMostMaxSizePlusOne(t *testing.T) {
	s, err := New(Config{MaxSize: 4096, Resolver: groups, Deliver: (&queue{}).deliver}, nil)
	if err != nil {
		t.Fatal(err)
	}
	src := &endless{}
	err = (&session{s: s}).Data(src)
	if smtpCode(err) != 552 {
		t.Fatalf("Data = %v, want 552", err)
	}
	if src.n > 4097 {
		t.Errorf("read %d bytes of an endless message, want at most 4097", src.n)
	}
}

func TestServerDataTimeout(t *testing.T) {
	addr, q := startServer(t, Config{DataTimeout: 100 * time.Millisecond})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	tc := textproto.NewConn(conn)
	steps := []struct {
		send string
		code int
	}{
		{"", 220},
		{"EHLO slow.example", 250},
		{"MAIL FROM:<a@x.example>", 250},
		{"RCPT TO:<sales@acme.vms.example>", 250},
		{"DATA", 354},
		{"From: a@x.example", 451}, // then the sender stalls
	}
	for _, st := range steps {
		if st.send != "" {
			if err := tc.PrintfLine("%s", st.send); err != nil {
				t.Fatalf("send %q: %v", st.send, err)
			}
		}
		if _, msg, err := tc.ReadResponse(st.code); err != nil {
			t.Fatalf("after %q: %v %s", st.send, err, msg)
		}
	}
	if n := len(q.deliveries()); n != 0 {
		t.Errorf("%d deliveries of a stalled message, want none", n)
	}
}

func TestServerConcurrentSessions(t *testing.T) {
	addr, q := startServer(t, Config{})
	const clients, each = 8, 3
	var wg sync.WaitGroup
	errs := make(chan error, clients*each)
	for i := range clients {
		wg.Go(func() {
			for j := range each {
				raw := crlf(fmt.Sprintf("From: c%d@x.example\nMessage-ID: <%d.%d@x>\n\nmail %d of client %d\n", i, i, j, j, i))
				if err := send(t, addr, "a@x.example", []string{"support@acme.vms.example"}, raw); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("send: %v", err)
	}
	ids := map[string]bool{}
	for _, d := range q.deliveries() {
		ids[d.msg.MessageID] = true
	}
	if len(ids) != clients*each {
		t.Errorf("%d distinct messages delivered, want %d", len(ids), clients*each)
	}
}

func TestServerMaxConns(t *testing.T) {
	addr, _ := startServer(t, Config{MaxConns: 1})
	first, err := smtp.Dial(addr)
	if err != nil {
		t.Fatalf("first dial: %v", err)
	}
	if err := first.Hello("one.example"); err != nil {
		t.Fatalf("first hello: %v", err)
	}
	second, err := smtp.Dial(addr)
	if err != nil {
		t.Fatalf("second dial: %v", err)
	}
	defer second.Close()
	if err := second.Hello("two.example"); smtpCode(err) != 421 {
		t.Fatalf("second connection's greeting = %v, want 421", err)
	}
	_ = first.Quit()
	// The slot is freed when the first connection ends.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := smtp.Dial(addr)
		if err == nil {
			err = c.Hello("three.example")
			_ = c.Close()
			if err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("dial after the first connection ended: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestServerStartTLS(t *testing.T) {
	cert := selfSigned(t)
	addr, q := startServer(t, Config{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}})
	c, err := smtp.DialStartTLS(addr, &tls.Config{InsecureSkipVerify: true}) // self-signed test certificate
	if err != nil {
		t.Fatalf("dial with STARTTLS: %v", err)
	}
	defer c.Close()
	if _, ok := c.TLSConnectionState(); !ok {
		t.Fatal("connection is not encrypted")
	}
	if err := c.SendMail("a@x.example", []string{"sales@acme.vms.example"}, bytes.NewReader(crlf("From: a@x.example\n\nsecret\n"))); err != nil {
		t.Fatalf("send over TLS: %v", err)
	}
	if got := q.deliveries(); len(got) != 1 || got[0].msg.Text != "secret\r\n" {
		t.Errorf("deliveries = %+v", got)
	}
}

func TestListenAndServeStopsWithContext(t *testing.T) {
	s, err := New(Config{Addr: "127.0.0.1:0", Resolver: groups, Deliver: (&queue{}).deliver}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServe(ctx) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ListenAndServe = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ListenAndServe did not return after its context ended")
	}
}

func TestConfigValidate(t *testing.T) {
	ok := Config{Resolver: groups, Deliver: (&queue{}).deliver}
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"valid", func(*Config) {}, ""},
		{"no resolver", func(c *Config) { c.Resolver = nil }, "resolver is required"},
		{"no deliver", func(c *Config) { c.Deliver = nil }, "deliver is required"},
		{"negative size", func(c *Config) { c.MaxSize = -1 }, "max size"},
		{"negative timeout", func(c *Config) { c.ReadTimeout = -time.Second }, "timeouts"},
		{"address as domain", func(c *Config) { c.Domains = []string{"sales@acme.example"} }, "not a domain name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.change(&c)
			err := c.Validate()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
}

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestServerResolverPanic(t *testing.T) {
	addr, q := startServer(t, Config{Resolver: func(_ context.Context, rcpt string) (Target, bool, error) {
		if strings.HasPrefix(rcpt, "crash@") {
			panic("resolver bug")
		}
		if strings.HasPrefix(rcpt, "down@") {
			return Target{}, false, errors.New("directory unreachable")
		}
		return groups(context.Background(), rcpt)
	}})
	good := crlf("From: a@x.example\n\nhello\n")
	if err := send(t, addr, "a@x.example", []string{"crash@acme.vms.example"}, good); smtpCode(err) != 451 {
		t.Fatalf("send to a recipient whose lookup panics = %v, want 451", err)
	}
	// A look-up that fails is a temporary refusal, never a 550 that would
	// lose the mail.
	if err := send(t, addr, "a@x.example", []string{"down@acme.vms.example"}, good); smtpCode(err) != 451 {
		t.Fatalf("send to a recipient whose lookup fails = %v, want 451", err)
	}
	if err := send(t, addr, "a@x.example", []string{"sales@acme.vms.example"}, good); err != nil {
		t.Fatalf("good mail after the panic: %v", err)
	}
	if n := len(q.deliveries()); n != 1 {
		t.Errorf("%d deliveries, want 1", n)
	}
}
