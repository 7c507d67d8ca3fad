package mailtest

import (
	"fmt"
	"net/smtp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name       string
		raw        string
		text, html string
	}{
		{
			name: "no content type is plain text",
			raw:  "From: a@example.org\r\nSubject: hi\r\n\r\nline one\r\nline two\r\n",
			text: "line one\nline two\n",
		},
		{
			name: "quoted-printable",
			raw: "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
				"Zo=C3=AB pays 12 =E2=82=AC, a very long line that is soft=\r\n-wrapped.\r\n",
			text: "Zoë pays 12 €, a very long line that is soft-wrapped.\n",
		},
		{
			name: "base64 wrapped",
			raw: "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
				"SGVsbG8sIFpv\r\nw6shCg==\r\n",
			text: "Hello, Zoë!\n",
		},
		{
			name: "multipart alternative",
			raw: "Content-Type: multipart/alternative; boundary=XX\r\n\r\n" +
				"--XX\r\nContent-Type: text/plain\r\n\r\nplain\r\n" +
				"--XX\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\nPGI+aHRtbDwvYj4=\r\n" +
				"--XX--\r\n",
			text: "plain",
			html: "<b>html</b>",
		},
		{
			name: "alternative inside mixed with an attachment",
			raw: "Content-Type: multipart/mixed; boundary=OUT\r\n\r\n" +
				"--OUT\r\nContent-Type: multipart/alternative; boundary=IN\r\n\r\n" +
				"--IN\r\nContent-Type: text/plain\r\n\r\ninner text\r\n--IN--\r\n" +
				"--OUT\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n" +
				"--OUT--\r\n",
			text: "inner text",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.raw))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.Text != tt.text || got.HTML != tt.html {
				t.Errorf("Parse = text %q html %q, want %q %q", got.Text, got.HTML, tt.text, tt.html)
			}
			if string(got.Raw) != tt.raw {
				t.Error("Raw is not the input")
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for name, raw := range map[string]string{
		"malformed header":   "no colon here\r\n\r\nbody",
		"bad content type":   "Content-Type: ;;\r\n\r\nx",
		"multipart unclosed": "Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nx",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(raw)); err == nil {
				t.Error("Parse accepted a broken message")
			}
		})
	}
}

// TestSinkReceives sends through net/smtp (an independent client) and
// checks what the sink kept, with several concurrent senders.
func TestSinkReceives(t *testing.T) {
	sink := NewSink(t)
	addr := fmt.Sprintf("%s:%d", sink.Host(), sink.Port())
	const n = 4
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			body := fmt.Sprintf("Subject: m%d\r\n\r\nbody %d\r\n", i, i)
			errs <- smtp.SendMail(addr, nil, "from@example.org", []string{"to@example.org", "cc@example.org"}, []byte(body))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	msgs := sink.Wait(t, n, 10*time.Second)
	seen := map[string]bool{}
	for _, m := range msgs {
		if m.From != "from@example.org" || strings.Join(m.To, ",") != "to@example.org,cc@example.org" {
			t.Errorf("envelope %q -> %v", m.From, m.To)
		}
		seen[m.Header.Get("Subject")+"/"+m.Text] = true
	}
	for i := range n {
		if k := fmt.Sprintf("m%d/body %d\n", i, i); !seen[k] {
			t.Errorf("message %q not received; got %v", k, seen)
		}
	}
	if got := len(sink.Messages()); got != n {
		t.Errorf("Messages() holds %d, want %d", got, n)
	}
}

// recordingTB records a fatal failure instead of failing the real test.
type recordingTB struct {
	testing.TB
	mu     sync.Mutex
	failed string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.failed = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}

func TestWaitFailsOnTimeout(t *testing.T) {
	sink := NewSink(t)
	rec := &recordingTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sink.Wait(rec, 1, 20*time.Millisecond)
	}()
	<-done
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if !strings.Contains(rec.failed, "got 0 messages") {
		t.Errorf("Wait did not fail the test as expected: %q", rec.failed)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("Subject: x\r\n\r\nbody"))
	f.Add([]byte("Content-Type: multipart/alternative; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\naGk=\r\n--XX--\r\n"))
	f.Add([]byte("Content-Transfer-Encoding: quoted-printable\r\n\r\n=C3=A9=\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := Parse(raw)
		if err == nil && string(got.Raw) != string(raw) {
			t.Fatal("Raw is not the input")
		}
	})
}

// TestSinkClosesAtOnce: a test that ends right after NewSink must not hang
// in cleanup, even before the server goroutine has started serving.
func TestSinkClosesAtOnce(t *testing.T) {
	for i := range 20 {
		t.Run(fmt.Sprint(i), func(t *testing.T) { NewSink(t) })
	}
}

func TestSinkRequiresAuth(t *testing.T) {
	sink := NewSink(t)
	sink.RequireAuth("user", "secret")
	addr := fmt.Sprintf("%s:%d", sink.Host(), sink.Port())
	msg := []byte("Subject: x\r\n\r\nbody\r\n")
	if err := smtp.SendMail(addr, nil, "a@example.org", []string{"b@example.org"}, msg); err == nil {
		t.Error("a message without authentication was accepted")
	}
	if err := smtp.SendMail(addr, smtp.PlainAuth("", "user", "wrong", sink.Host()), "a@example.org", []string{"b@example.org"}, msg); err == nil {
		t.Error("a wrong password was accepted")
	}
	if err := smtp.SendMail(addr, smtp.PlainAuth("", "user", "secret", sink.Host()), "a@example.org", []string{"b@example.org"}, msg); err != nil {
		t.Errorf("the right credentials were refused: %v", err)
	}
	if n := len(sink.Messages()); n != 1 {
		t.Errorf("sink holds %d messages, want 1", n)
	}
	if n := sink.AuthFailures(); n != 1 {
		t.Errorf("AuthFailures = %d, want 1", n)
	}
}
