package imappoll

import (
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Config
	}{
		{"imaps://group%40acme.example@mail.acme.example/INBOX", Config{Addr: "mail.acme.example:993", TLS: TLSImplicit, Username: "group@acme.example", Mailbox: "INBOX"}},
		{"imap://sales@mail.acme.example", Config{Addr: "mail.acme.example:143", TLS: TLSStartTLS, Username: "sales", Mailbox: "INBOX"}},
		{"imap://u@127.0.0.1:1143/Group%20mail?tls=none&processed=Done", Config{Addr: "127.0.0.1:1143", TLS: TLSNone, Username: "u", Mailbox: "Group mail", Processed: "Done"}},
		{"imaps://u@[::1]:10993/", Config{Addr: "[::1]:10993", TLS: TLSImplicit, Username: "u", Mailbox: "INBOX"}},
	} {
		got, err := ParseURL(tc.in)
		if err != nil || got.Addr != tc.want.Addr || got.TLS != tc.want.TLS || got.Username != tc.want.Username ||
			got.Mailbox != tc.want.Mailbox || got.Processed != tc.want.Processed {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "http://u@host", "imaps://host/INBOX", "imaps://u:pw@host/INBOX", "imaps://u@/INBOX",
		"imap://u@host?tls=maybe", "imap://u@host?foo=1", "imaps:u@host", "imap://u@host/a%0Db"} {
		if _, err := ParseURL(in); err == nil {
			t.Errorf("ParseURL(%q) accepted", in)
		} else if strings.Contains(err.Error(), "pw") {
			t.Errorf("ParseURL(%q) error shows the password: %v", in, err)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"imaps://u@host/INBOX", "imap://a%40b@h:143/X?tls=none&processed=P", "imaps://u:p@h", "imap://[::1]:1/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseURL(s)
		if err != nil {
			return
		}
		if c.Username == "" || c.Mailbox == "" {
			t.Fatalf("ParseURL(%q) = %+v: empty user or mailbox", s, c)
		}
		c.Resolver, c.Deliver = (&queue{}).resolve, (&queue{}).deliver
		if err := c.Validate(); err != nil {
			t.Fatalf("ParseURL(%q) = %+v does not validate: %v", s, c, err)
		}
	})
}
