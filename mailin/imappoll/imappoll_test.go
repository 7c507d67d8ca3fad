package imappoll

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/vmsplatform/vms/mailin"
)

// imapServer is an in-memory IMAP server with one user "group" / "secret".
type imapServer struct {
	t    *testing.T
	mem  *imapmemserver.Server
	user *imapmemserver.User
	srv  *imapserver.Server
	addr string
}

func newIMAPServer(t *testing.T) *imapServer {
	t.Helper()
	s := &imapServer{t: t, mem: imapmemserver.New(), user: imapmemserver.NewUser("group", "secret")}
	if err := s.user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	s.mem.AddUser(s.user)
	s.start("127.0.0.1:0")
	return s
}

func (s *imapServer) start(addr string) {
	s.t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.srv = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return s.mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
		Logger:       discardLogger{},
	})
	go func() { _ = s.srv.Serve(ln) }()
	s.t.Cleanup(func() { _ = s.srv.Close() })
}

func (s *imapServer) stop() { _ = s.srv.Close() }

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}

// client logs in as a person reading the mailbox.
func (s *imapServer) client() *imapclient.Client {
	s.t.Helper()
	c, err := imapclient.DialInsecure(s.addr, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { c.Close() })
	if err := c.Login("group", "secret").Wait(); err != nil {
		s.t.Fatal(err)
	}
	return c
}

func (s *imapServer) append(mailbox, raw string) {
	s.t.Helper()
	c := s.client()
	cmd := c.Append(mailbox, int64(len(raw)), nil)
	if _, err := cmd.Write([]byte(raw)); err != nil {
		s.t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		s.t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		s.t.Fatal(err)
	}
	c.Close()
}

// flags returns the flags of every message of mailbox by UID (the first
// message appended has UID 1).
func (s *imapServer) flags(mailbox string) map[imap.UID][]imap.Flag {
	s.t.Helper()
	c := s.client()
	defer c.Close()
	sel, err := c.Select(mailbox, nil).Wait()
	if err != nil {
		s.t.Fatal(err)
	}
	out := map[imap.UID][]imap.Flag{}
	if sel.NumMessages == 0 {
		return out
	}
	msgs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{Flags: true, UID: true}).Collect()
	if err != nil {
		s.t.Fatal(err)
	}
	for _, m := range msgs {
		out[m.UID] = m.Flags
	}
	return out
}

func hasFlag(fs []imap.Flag, f imap.Flag) bool {
	for _, x := range fs {
		if strings.EqualFold(string(x), string(f)) {
			return true
		}
	}
	return false
}

// queue records deliveries like mailqueue: once per Message-ID and target.
type queue struct {
	mu        sync.Mutex
	delivered []string // message ids
	calls     int
	resolves  int
	fail      error
	panic     bool
}

func (q *queue) resolve(_ context.Context, rcpt string) (mailin.Target, bool, error) {
	q.mu.Lock()
	q.resolves++
	q.mu.Unlock()
	if rcpt == "sales@acme.example" {
		return mailin.Target{TenantID: 1, GroupID: "7", Address: rcpt}, true, nil
	}
	return mailin.Target{}, false, nil
}

func (q *queue) deliver(_ context.Context, _ mailin.Target, m *mailin.Message) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.calls++
	if q.panic {
		panic("bug in deliver")
	}
	if q.fail != nil {
		return q.fail
	}
	for _, id := range q.delivered {
		if id == m.MessageID {
			return nil
		}
	}
	q.delivered = append(q.delivered, m.MessageID)
	return nil
}

func (q *queue) ids() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]string(nil), q.delivered...)
}

func mailTo(to, id, body string) string {
	return "From: Customer <customer@example.org>\r\nTo: " + to + "\r\nSubject: Order\r\nMessage-ID: <" + id + ">\r\n" +
		"Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n\r\n" + body + "\r\n"
}

func newPoller(t *testing.T, s *imapServer, q *queue, mod func(*Config)) (*Poller, *syncBuffer) {
	t.Helper()
	cfg := Config{Addr: s.addr, TLS: TLSNone, Username: "group", Password: "secret", MaxSize: 4096,
		Timeout: 5 * time.Second, Resolver: q.resolve, Deliver: q.deliver}
	if mod != nil {
		mod(&cfg)
	}
	logs := &syncBuffer{}
	p, err := New(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	return p, logs
}

// syncBuffer collects logs written from the poller's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncBuffer) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(b)
}

func (l *syncBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A mail to a group address is delivered once and marked seen; a second
// poll and a new poller (a restart) do not deliver it again. Mail for no
// group, an oversized and a malformed mail are flagged and skipped without
// stopping the others, and are not taken again.
func TestPollDeliversOnce(t *testing.T) {
	s := newIMAPServer(t)
	q := &queue{}
	s.append("INBOX", mailTo("Sales <sales@acme.example>", "a@example.org", "Where is my order?"))
	s.append("INBOX", mailTo("someone@acme.example", "unknown@example.org", "Hello"))
	s.append("INBOX", mailTo("sales@acme.example", "big@example.org", strings.Repeat("x", 5000)))
	s.append("INBOX", "this is not a mail at all\r\n\r\n")
	s.append("INBOX", "Delivered-To: sales@acme.example\r\n"+mailTo("list@lists.example", "b@example.org", "via an alias"))
	p, logs := newPoller(t, s, q, nil)
	ctx := context.Background()
	if err := p.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if got := q.ids(); len(got) != 2 || got[0] != "a@example.org" || got[1] != "b@example.org" {
		t.Fatalf("delivered %v, want a and b\nlogs:\n%s", got, logs)
	}
	fl := s.flags("INBOX")
	for _, id := range []imap.UID{1, 5} {
		if !hasFlag(fl[id], imap.FlagSeen) || hasFlag(fl[id], imap.FlagFlagged) {
			t.Errorf("message %d flags %v, want seen only", id, fl[id])
		}
	}
	for _, id := range []imap.UID{2, 3, 4} {
		if !hasFlag(fl[id], imap.FlagSeen) || !hasFlag(fl[id], imap.FlagFlagged) {
			t.Errorf("message %d flags %v, want seen and flagged", id, fl[id])
		}
	}
	for _, want := range []string{"too large", "malformed", "no group address"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	calls, resolves := q.calls, q.resolves
	if err := p.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	p2, _ := newPoller(t, s, q, nil)
	if err := p2.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if q.calls != calls || q.resolves != resolves {
		t.Errorf("after the mails were taken: %d more Deliver and %d more Resolver calls", q.calls-calls, q.resolves-resolves)
	}
}

// A failed Deliver leaves the mail unseen; the next poll delivers it.
func TestPollRetriesFailedDeliver(t *testing.T) {
	s := newIMAPServer(t)
	q := &queue{fail: errors.New("database down")}
	s.append("INBOX", mailTo("sales@acme.example", "a@example.org", "Hi"))
	p, _ := newPoller(t, s, q, nil)
	if err := p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if fl := s.flags("INBOX")[1]; hasFlag(fl, imap.FlagSeen) || len(q.ids()) != 0 {
		t.Fatalf("after a failed deliver: flags %v, delivered %v", fl, q.ids())
	}
	q.mu.Lock()
	q.fail = nil
	q.mu.Unlock()
	if err := p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if fl := s.flags("INBOX")[1]; !hasFlag(fl, imap.FlagSeen) || len(q.ids()) != 1 {
		t.Fatalf("after the retry: flags %v, delivered %v", fl, q.ids())
	}
}

// With Processed set, a delivered mail is moved there.
func TestPollMovesToProcessed(t *testing.T) {
	s := newIMAPServer(t)
	if err := s.user.Create("Processed", nil); err != nil {
		t.Fatal(err)
	}
	q := &queue{}
	s.append("INBOX", mailTo("sales@acme.example", "a@example.org", "Hi"))
	p, logs := newPoller(t, s, q, func(c *Config) { c.Processed = "Processed" })
	if err := p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if in, done := s.flags("INBOX"), s.flags("Processed"); len(in) != 0 || len(done) != 1 || !hasFlag(done[1], imap.FlagSeen) {
		t.Fatalf("inbox %v, processed %v\nlogs:\n%s", in, done, logs)
	}
}

// Run keeps polling while the server goes away and comes back, and stops
// when its context ends.
func TestRunReconnects(t *testing.T) {
	s := newIMAPServer(t)
	q := &queue{}
	p, logs := newPoller(t, s, q, func(c *Config) { c.Every = 50 * time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	s.append("INBOX", mailTo("sales@acme.example", "a@example.org", "Hi"))
	waitFor(t, func() bool { return len(q.ids()) == 1 }, logs)
	addr := s.addr
	s.stop()
	waitFor(t, func() bool { return strings.Contains(logs.String(), "poll failed") }, logs)
	s.start(addr)
	s.append("INBOX", mailTo("sales@acme.example", "b@example.org", "Hi again"))
	waitFor(t, func() bool { return len(q.ids()) == 2 }, logs)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v", err)
	}
}

func waitFor(t *testing.T, cond func() bool, logs *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met in time\nlogs:\n%s", logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRecipients(t *testing.T) {
	m, err := mailin.Parse([]byte("Delivered-To: Sales@Acme.example\r\nX-Original-To: <support@acme.example>\r\n"+
		"From: a@example.org\r\nTo: sales@acme.example, Bob <bob@example.org>\r\n\r\nhi\r\n"), mailin.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(Recipients(m, 10), ",")
	if want := "sales@acme.example,support@acme.example,bob@example.org"; got != want {
		t.Errorf("Recipients = %s, want %s", got, want)
	}
	if got := Recipients(m, 1); len(got) != 1 {
		t.Errorf("Recipients(max 1) = %v", got)
	}
}

// A panic while handling one mail is logged; the poll goes on with the next
// mail and the one that panicked stays unseen.
func TestPollSurvivesPanic(t *testing.T) {
	s := newIMAPServer(t)
	q := &queue{panic: true}
	s.append("INBOX", mailTo("sales@acme.example", "a@example.org", "Hi"))
	p, logs := newPoller(t, s, q, nil)
	if err := p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if fl := s.flags("INBOX")[1]; hasFlag(fl, imap.FlagSeen) || !strings.Contains(logs.String(), "panic") {
		t.Fatalf("flags %v\nlogs:\n%s", fl, logs)
	}
	q.mu.Lock()
	q.panic = false
	q.mu.Unlock()
	if err := p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(q.ids()) != 1 {
		t.Fatalf("delivered %v after the panic", q.ids())
	}
}

// Implicit TLS and STARTTLS both work against a server with a certificate
// the poller is told to trust; a wrong password is an error of Poll.
func TestPollTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	for _, mode := range []string{TLSImplicit, TLSStartTLS} {
		t.Run(mode, func(t *testing.T) {
			mem := imapmemserver.New()
			user := imapmemserver.NewUser("group", "secret")
			if err := user.Create("INBOX", nil); err != nil {
				t.Fatal(err)
			}
			mem.AddUser(user)
			msg := mailTo("sales@acme.example", "tls@example.org", "Hi")
			mbox := imapmemserver.NewUserSession(user)
			if _, err := mbox.Append("INBOX", literal{strings.NewReader(msg), int64(len(msg))}, &imap.AppendOptions{}); err != nil {
				t.Fatal(err)
			}
			srvTLS := &tls.Config{Certificates: []tls.Certificate{cert}}
			opts := &imapserver.Options{
				NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
					return mem.NewSession(), nil, nil
				},
				Caps: imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}}, Logger: discardLogger{},
			}
			var ln net.Listener
			var err error
			if mode == TLSImplicit {
				ln, err = tls.Listen("tcp", "127.0.0.1:0", srvTLS)
				opts.InsecureAuth = true // TLS is the listener's
			} else {
				ln, err = net.Listen("tcp", "127.0.0.1:0")
				opts.TLSConfig = srvTLS
			}
			if err != nil {
				t.Fatal(err)
			}
			srv := imapserver.New(opts)
			go func() { _ = srv.Serve(ln) }()
			defer srv.Close()
			q := &queue{}
			cfg := Config{Addr: ln.Addr().String(), TLS: mode, TLSConfig: &tls.Config{RootCAs: pool, ServerName: "imap.test"},
				Username: "group", Password: "wrong", Timeout: 5 * time.Second, Resolver: q.resolve, Deliver: q.deliver}
			p, err := New(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Poll(context.Background()); err == nil || !strings.Contains(err.Error(), "login") {
				t.Fatalf("wrong password: Poll = %v", err)
			}
			cfg.Password = "secret"
			if p, err = New(cfg, nil); err != nil {
				t.Fatal(err)
			}
			if err := p.Poll(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := q.ids(); len(got) != 1 || got[0] != "tls@example.org" {
				t.Fatalf("delivered %v", got)
			}
		})
	}
}

type literal struct {
	io.Reader
	n int64
}

func (l literal) Size() int64 { return l.n }

// selfSigned returns a certificate for imap.test and a pool trusting it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "imap.test"}, DNSNames: []string{"imap.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: c}, pool
}

// Recipients never returns more than asked, nor anything that is not an
// address, whatever the mail says.
func FuzzRecipients(f *testing.F) {
	f.Add([]byte("Delivered-To: Sales@Acme.example\r\nX-Original-To: <support@acme.example>\r\nFrom: a@example.org\r\nTo: sales@acme.example, Bob <bob@example.org>\r\n\r\nhi\r\n"))
	f.Add([]byte("Delivered-To: <>\r\nX-Original-To: a@\r\nFrom: a@example.org\r\nTo: undisclosed-recipients:;\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := mailin.Parse(raw, mailin.Limits{MaxSize: 1 << 16})
		if err != nil {
			return
		}
		got := Recipients(m, 3)
		if len(got) > 3 {
			t.Fatalf("%d recipients, max 3", len(got))
		}
		for _, a := range got {
			if a != strings.ToLower(a) || !strings.Contains(a, "@") || strings.ContainsAny(a, " <>\r\n") {
				t.Fatalf("recipient %q", a)
			}
		}
	})
}
