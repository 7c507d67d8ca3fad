package imappoll

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ParseURL reads the mailbox address of the form
//
//	imaps://user@host[:993]/Mailbox[?processed=Folder]  TLS (default port 993)
//	imap://user@host[:143]/Mailbox[?processed=Folder]   STARTTLS (default port 143)
//	imap://user@host:143/INBOX?tls=none                 plain text, no TLS
//
// into a Config's Addr, TLS, Username, Mailbox and Processed. The user may
// be percent-encoded (group%40acme.example). A password in the URL is
// refused: it belongs in a secret setting.
func ParseURL(s string) (Config, error) {
	var c Config
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return c, fmt.Errorf("not a URL: %w", err)
	}
	port := ""
	switch u.Scheme {
	case "imaps":
		c.TLS, port = TLSImplicit, "993"
	case "imap":
		c.TLS, port = TLSStartTLS, "143"
	default:
		return c, fmt.Errorf("must start with imaps:// or imap://, got %q", u.Scheme)
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return c, fmt.Errorf("no host in %q", u.Redacted())
	}
	if u.User == nil || u.User.Username() == "" {
		return c, fmt.Errorf("no user name: write it as %s://user@%s", u.Scheme, u.Host)
	}
	if _, ok := u.User.Password(); ok {
		return c, fmt.Errorf("the password must not be in the URL: set it on its own")
	}
	c.Username = u.User.Username()
	if p := u.Port(); p != "" {
		port = p
	}
	c.Addr = net.JoinHostPort(u.Hostname(), port)
	c.Mailbox = strings.TrimPrefix(u.Path, "/")
	if c.Mailbox == "" {
		c.Mailbox = DefaultMailbox
	}
	q := u.Query()
	for k := range q {
		if k != "tls" && k != "processed" {
			return c, fmt.Errorf("unknown parameter %q (known: tls, processed)", k)
		}
	}
	c.Processed = q.Get("processed")
	switch t := q.Get("tls"); t {
	case "":
	case TLSNone, TLSStartTLS, TLSImplicit:
		c.TLS = t
	default:
		return c, fmt.Errorf("tls=%q must be none, starttls or tls", t)
	}
	if strings.ContainsAny(c.Mailbox+c.Processed+c.Username, "\r\n\x00") {
		return c, fmt.Errorf("user or mailbox names contain control characters")
	}
	return c, nil
}
