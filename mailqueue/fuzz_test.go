package mailqueue

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vmsplatform/vms/mailin"
)

// FuzzEmailIntake feeds what a sender controls through everything this
// package does with it: the stored form of a parsed mail must fit the
// columns and be storable on PostgreSQL, and a reply to it must be
// buildable without breaking a header.
func FuzzEmailIntake(f *testing.F) {
	f.Add("From: A <a@x>\r\nReply-To: r@x\r\nSubject: Re: Hi\r\nMessage-ID: <m@x>\r\nReferences: <a@x> <b@y>\r\n\r\nHello\r\n")
	f.Add("From: =?utf-8?q?=C3=A9?= <a@x>\r\nSubject: =?iso-8859-1?q?caf=E9?=\r\nContent-Type: text/html\r\n\r\n<p>x\x00</p>\r\n")
	f.Add("From: a@x\r\nReply-To: <<>>\r\nMessage-ID: bad id\r\n\r\n")
	f.Fuzz(func(t *testing.T, raw string) {
		m, err := mailin.Parse([]byte(raw), mailin.Limits{MaxSize: 1 << 16})
		if err != nil {
			return
		}
		e, atts := contactOf(mailin.Target{TenantID: 1, GroupID: "2", Address: "sales@acme.example"}, 2, m, time.Unix(0, 0))
		for name, v := range map[string]string{"from": e.FromAddr, "from_name": e.FromName, "subject": e.Subject, "text": e.TextBody, "html": e.HTMLBody, "message_id": e.MessageID, "references": e.References} {
			if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
				t.Fatalf("%s %q is not storable", name, v)
			}
		}
		if len(e.FromName) > 200 || len(e.Subject) > 998 || len(e.FromAddr) > 254 || len(e.MessageID) > 998 {
			t.Fatalf("too long: %d %d %d %d", len(e.FromName), len(e.Subject), len(e.FromAddr), len(e.MessageID))
		}
		for _, a := range atts {
			if len(a.Filename) > 255 || len(a.ContentType) > 255 || !utf8.ValidString(a.Filename) {
				t.Fatalf("attachment %q %q", a.Filename, a.ContentType)
			}
		}
		_ = replyAddress(e)
		th := ReplyThread(e.Subject, e.MessageID, e.References)
		for k, v := range th.Headers(NewMessageID("acme.example")) {
			if strings.ContainsAny(v, "\r\n") {
				t.Fatalf("header %s: %q", k, v)
			}
		}
		if text := ReplyText("Thanks", e); !strings.HasPrefix(text, "Thanks") || !utf8.ValidString(text) {
			t.Fatalf("reply text %q", text)
		}
	})
}
