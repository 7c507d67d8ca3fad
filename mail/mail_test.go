package mail_test

import (
	"bytes"
	"context"
	"log/slog"
	"mime"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/vmsplatform/vms/mail"
	"github.com/vmsplatform/vms/mail/mailtest"
)

func sender(t *testing.T, sink *mailtest.Sink) *mail.SMTP {
	t.Helper()
	s, err := mail.NewSMTP(mail.SMTPConfig{
		Host: sink.Host(), Port: sink.Port(), TLS: mail.TLSNone,
		From: "VMS <noreply@vms.example>", Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSendPlain(t *testing.T) {
	sink := mailtest.NewSink(t)
	s := sender(t, sink)
	err := s.Send(context.Background(), mail.Message{
		To:      []string{"alice@customer.example", "bob@customer.example"},
		Subject: "Your VMS portal access",
		Text:    "Hello Alice,\n\nOpen https://vms.example/first-login/abc to set your password.\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	got := sink.Wait(t, 1, 10*time.Second)[0]
	if got.From != "noreply@vms.example" {
		t.Errorf("envelope from = %q, want the configured sender", got.From)
	}
	if strings.Join(got.To, ",") != "alice@customer.example,bob@customer.example" {
		t.Errorf("envelope to = %v", got.To)
	}
	if h := got.Header.Get("From"); !strings.Contains(h, "noreply@vms.example") {
		t.Errorf("From header = %q", h)
	}
	if h := got.Header.Get("Subject"); h != "Your VMS portal access" {
		t.Errorf("Subject = %q", h)
	}
	if got.Header.Get("Message-ID") == "" || got.Header.Get("Date") == "" {
		t.Errorf("Message-ID %q or Date %q missing", got.Header.Get("Message-ID"), got.Header.Get("Date"))
	}
	if want := "Hello Alice,\n\nOpen https://vms.example/first-login/abc to set your password.\n"; got.Text != want {
		t.Errorf("text = %q, want %q", got.Text, want)
	}
	if got.HTML != "" {
		t.Errorf("unexpected HTML part %q", got.HTML)
	}
}

// TestSendThreadedMultipart: a reply to an e-mail contact (ACM-5) keeps the
// thread headers and carries text and HTML alternatives.
func TestSendThreadedMultipart(t *testing.T) {
	sink := mailtest.NewSink(t)
	s := sender(t, sink)
	text := "Bonjour Zoë,\nvotre demande est traitée. Prix : 12 €.\n"
	html := "<p>Bonjour Zoë,<br>votre demande est <b>traitée</b>.</p>"
	err := s.Send(context.Background(), mail.Message{
		From:    "support@customer.example",
		To:      []string{"zoe@example.org"},
		Subject: "Re: Demande n° 42",
		Text:    text,
		HTML:    html,
		Headers: map[string]string{
			"message-id":  "<reply-1@vms.example>",
			"In-Reply-To": "<question-1@example.org>",
			"References":  "<first@example.org> <question-1@example.org>",
			"X-VMS-Queue": "support",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := sink.Wait(t, 1, 10*time.Second)[0]
	if got.From != "support@customer.example" {
		t.Errorf("envelope from = %q, want the message's sender", got.From)
	}
	for name, want := range map[string]string{
		"Message-ID":  "<reply-1@vms.example>",
		"In-Reply-To": "<question-1@example.org>",
		"References":  "<first@example.org> <question-1@example.org>",
		"X-Vms-Queue": "support",
	} {
		if h := got.Header.Get(name); h != want {
			t.Errorf("%s = %q, want %q", name, h, want)
		}
	}
	if subj, err := decodeHeader(got.Header.Get("Subject")); err != nil || subj != "Re: Demande n° 42" {
		t.Errorf("Subject decodes to %q, %v", subj, err)
	}
	if ct := got.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative") {
		t.Errorf("Content-Type = %q, want multipart/alternative", ct)
	}
	if got.Text != text {
		t.Errorf("text = %q, want %q", got.Text, text)
	}
	if got.HTML != html {
		t.Errorf("html = %q, want %q", got.HTML, html)
	}
}

func TestSendBareMessageID(t *testing.T) {
	sink := mailtest.NewSink(t)
	err := sender(t, sink).Send(context.Background(), mail.Message{
		To: []string{"a@example.org"}, Text: "x",
		Headers: map[string]string{"Message-ID": "bare-1@vms.example", "In-Reply-To": " q-1@example.org "},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := sink.Wait(t, 1, 10*time.Second)[0]
	if h := got.Header.Get("Message-ID"); h != "<bare-1@vms.example>" {
		t.Errorf("Message-ID = %q", h)
	}
	if h := got.Header.Get("In-Reply-To"); h != "<q-1@example.org>" {
		t.Errorf("In-Reply-To = %q", h)
	}
}

func TestSendHTMLOnly(t *testing.T) {
	sink := mailtest.NewSink(t)
	if err := sender(t, sink).Send(context.Background(), mail.Message{
		To: []string{"a@example.org"}, Subject: "s", HTML: "<p>only html</p>",
	}); err != nil {
		t.Fatal(err)
	}
	got := sink.Wait(t, 1, 10*time.Second)[0]
	if ct := got.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q, want text/html", ct)
	}
	// A single-part body ends with a line break on the wire.
	if strings.TrimSuffix(got.HTML, "\n") != "<p>only html</p>" || got.Text != "" {
		t.Errorf("html %q text %q", got.HTML, got.Text)
	}
}

func TestSendRefuses(t *testing.T) {
	sink := mailtest.NewSink(t)
	s := sender(t, sink)
	noDefault, err := mail.NewSMTP(mail.SMTPConfig{Host: sink.Host(), Port: sink.Port(), TLS: mail.TLSNone})
	if err != nil {
		t.Fatal(err)
	}
	ok := mail.Message{To: []string{"a@example.org"}, Subject: "s", Text: "t"}
	tests := []struct {
		name   string
		s      *mail.SMTP
		mutate func(*mail.Message)
		want   string
	}{
		{"no recipient", s, func(m *mail.Message) { m.To = nil }, "no recipient"},
		{"bad recipient", s, func(m *mail.Message) { m.To = []string{"not an address"} }, "to"},
		{"bad sender", s, func(m *mail.Message) { m.From = "nobody" }, "from"},
		{"no sender at all", noDefault, func(*mail.Message) {}, "no sender"},
		{"subject injection", s, func(m *mail.Message) { m.Subject = "hi\r\nBcc: x@evil.example" }, "line break"},
		{"header injection", s, func(m *mail.Message) { m.Headers = map[string]string{"X-A": "1\r\nBcc: x@evil.example"} }, "line break"},
		{"reserved header", s, func(m *mail.Message) { m.Headers = map[string]string{"bcc": "x@evil.example"} }, "Bcc is set from the message fields"},
		{"content header", s, func(m *mail.Message) { m.Headers = map[string]string{"Content-Type": "text/html"} }, "Content-Type"},
		{"bad header name", s, func(m *mail.Message) { m.Headers = map[string]string{"X A": "1"} }, "not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ok
			tt.mutate(&m)
			err := tt.s.Send(context.Background(), m)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Send = %v, want an error about %q", err, tt.want)
			}
		})
	}
	if n := len(sink.Messages()); n != 0 {
		t.Errorf("%d refused messages reached the relay", n)
	}
}

func TestSendUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens there any more
	s, err := mail.NewSMTP(mail.SMTPConfig{Host: "127.0.0.1", Port: port, TLS: mail.TLSNone, From: "a@example.org", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), mail.Message{To: []string{"b@example.org"}, Text: "x"})
	if err == nil || !strings.Contains(err.Error(), "mail: send to 127.0.0.1") {
		t.Errorf("Send = %v, want a wrapped connection error", err)
	}
}

func TestSendCancelled(t *testing.T) {
	sink := mailtest.NewSink(t)
	s := sender(t, sink)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Send(ctx, mail.Message{To: []string{"b@example.org"}, Text: "x"}); err == nil {
		t.Error("Send with a cancelled context succeeded")
	}
}

func TestConfigValidate(t *testing.T) {
	good := mail.SMTPConfig{Host: "smtp.example", Port: 587, TLS: mail.TLSStartTLS, Username: "u", Password: "p", From: "noreply@vms.example"}
	tests := []struct {
		name   string
		mutate func(*mail.SMTPConfig)
		want   string // "" when valid
	}{
		{"good", func(*mail.SMTPConfig) {}, ""},
		{"implicit tls", func(c *mail.SMTPConfig) { c.TLS = mail.TLSImplicit; c.Port = 465 }, ""},
		{"no auth", func(c *mail.SMTPConfig) { c.Username, c.Password = "", "" }, ""},
		{"no host", func(c *mail.SMTPConfig) { c.Host = " " }, "host"},
		{"port zero", func(c *mail.SMTPConfig) { c.Port = 0 }, "port"},
		{"port too big", func(c *mail.SMTPConfig) { c.Port = 70000 }, "port"},
		{"bad tls", func(c *mail.SMTPConfig) { c.TLS = "ssl" }, "tls"},
		{"empty tls", func(c *mail.SMTPConfig) { c.TLS = "" }, "tls"},
		{"negative timeout", func(c *mail.SMTPConfig) { c.Timeout = -time.Second }, "timeout"},
		{"password without user", func(c *mail.SMTPConfig) { c.Username = "" }, "password"},
		{"bad from", func(c *mail.SMTPConfig) { c.From = "noreply" }, "from"},
		{"credentials in clear text", func(c *mail.SMTPConfig) { c.TLS = mail.TLSNone }, "clear text"},
		{"credentials in clear text to this host", func(c *mail.SMTPConfig) { c.TLS, c.Host = mail.TLSNone, "127.0.0.1" }, ""},
		{"credentials in clear text to localhost", func(c *mail.SMTPConfig) { c.TLS, c.Host = mail.TLSNone, "localhost" }, ""},
		{"no credentials in clear text", func(c *mail.SMTPConfig) { c.TLS, c.Username, c.Password = mail.TLSNone, "", "" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.mutate(&c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				if _, err := mail.NewSMTP(c); err != nil {
					t.Fatalf("NewSMTP: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want an error about %q", err, tt.want)
			}
			if _, err := mail.NewSMTP(c); err == nil {
				t.Fatal("NewSMTP accepted an invalid config")
			}
		})
	}
}

func TestConfigHidesPassword(t *testing.T) {
	c := mail.SMTPConfig{Host: "smtp.example", Port: 587, TLS: mail.TLSStartTLS, Username: "u", Password: "hunter2-secret"}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("smtp", "config", c)
	for name, out := range map[string]string{"String": c.String(), "slog": buf.String()} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("%s shows the password: %s", name, out)
		}
		if !strings.Contains(out, "smtp.example") || !strings.Contains(out, "redacted") {
			t.Errorf("%s does not describe the config: %s", name, out)
		}
	}
}

func decodeHeader(s string) (string, error) {
	return new(mime.WordDecoder).DecodeHeader(s)
}

func TestSendWithAuth(t *testing.T) {
	sink := mailtest.NewSink(t)
	sink.RequireAuth("relay-user", "relay-secret-pw")
	cfg := mail.SMTPConfig{
		Host: sink.Host(), Port: sink.Port(), TLS: mail.TLSNone,
		Username: "relay-user", Password: "relay-secret-pw", From: "noreply@vms.example",
	}
	msg := mail.Message{To: []string{"a@example.org"}, Subject: "s", Text: "authenticated\n"}

	s, err := mail.NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), msg); err != nil {
		t.Fatalf("Send with the right credentials: %v", err)
	}
	if got := sink.Wait(t, 1, 10*time.Second)[0].Text; got != "authenticated\n" {
		t.Errorf("text = %q", got)
	}

	cfg.Password = "wrong-secret-pw"
	bad, err := mail.NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = bad.Send(context.Background(), msg)
	if err == nil {
		t.Fatal("Send with a wrong password succeeded")
	}
	if strings.Contains(err.Error(), "wrong-secret-pw") {
		t.Errorf("error shows the password: %v", err)
	}
	if sink.AuthFailures() == 0 {
		t.Error("the relay saw no failed authentication")
	}

	cfg.Username, cfg.Password = "", ""
	anon, err := mail.NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := anon.Send(context.Background(), msg); err == nil {
		t.Error("Send without credentials to a relay that requires them succeeded")
	}
	if n := len(sink.Messages()); n != 1 {
		t.Errorf("relay holds %d messages, want only the authenticated one", n)
	}
}
