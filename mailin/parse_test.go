package mailin

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"testing"
	"time"
)

// crlf turns the LF line ends of a test message into CRLF, as on the wire.
func crlf(s string) []byte {
	return []byte(strings.ReplaceAll(strings.TrimPrefix(s, "\n"), "\n", "\r\n"))
}

const threadMail = `
From: "Jane Doe" <jane@customer.example>
To: Sales <sales@acme.vms.example>, support@acme.vms.example
Cc: =?UTF-8?Q?J=C3=BCrgen?= <juergen@customer.example>
Reply-To: replies@customer.example
Subject: =?UTF-8?B?UmU6IMOcYmVyIGRpZSBSZWNobnVuZw==?=
 =?ISO-8859-1?Q?_Nr=2E_42_=E4?=
Date: Thu, 26 Nov 2026 14:03:00 +0100
Message-ID: <m2@customer.example>
In-Reply-To: <m1@acme.vms.example>
References: <m0@customer.example>
 <m1@acme.vms.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Gr=C3=BC=C3=9Fe, die Rechnung ist =
falsch.
--inner
Content-Type: text/html; charset=utf-8

<p>Gr&uuml;&szlig;e</p>
--inner--

--outer
Content-Type: application/pdf; name="invoice.pdf"
Content-Disposition: attachment; filename="../../etc/invoice 42.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQK
JSVFT0YK
--outer
Content-Type: image/png
Content-Disposition: inline
Content-ID: <logo@customer>
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--outer--
`

func TestParseThread(t *testing.T) {
	m, err := Parse(crlf(threadMail), Limits{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	checks := []struct{ name, got, want string }{
		{"message id", m.MessageID, "m2@customer.example"},
		{"in-reply-to", m.InReplyTo, "m1@acme.vms.example"},
		{"references", strings.Join(m.References, " "), "m0@customer.example m1@acme.vms.example"},
		{"from", m.From.String(), `"Jane Doe" <jane@customer.example>`},
		{"to", fmt.Sprint(len(m.To), " ", m.To[0].Address, " ", m.To[1].Address), "2 sales@acme.vms.example support@acme.vms.example"},
		{"cc name", m.Cc[0].Name, "Jürgen"},
		{"reply-to", m.ReplyTo[0].Address, "replies@customer.example"},
		{"subject", m.Subject, "Re: Über die Rechnung Nr. 42 ä"},
		{"date", m.Date.UTC().Format(time.RFC3339), "2026-11-26T13:03:00Z"},
		{"text", m.Text, "Grüße, die Rechnung ist falsch."},
		{"html", m.HTML, "<p>Gr&uuml;&szlig;e</p>"},
		{"attachments", fmt.Sprint(len(m.Attachments)), "2"},
		{"pdf name", m.Attachments[0].Filename, "invoice 42.pdf"},
		{"pdf type", m.Attachments[0].ContentType, "application/pdf"},
		{"pdf data", string(m.Attachments[0].Data), "%PDF-1.4\n%%EOF\n"},
		{"pdf size", fmt.Sprint(m.Attachments[0].Size), "15"},
		{"png name", m.Attachments[1].Filename, "part-6"},
		{"png cid", m.Attachments[1].ContentID, "logo@customer"},
		{"png inline", fmt.Sprint(m.Attachments[1].Inline), "true"},
		{"size", fmt.Sprint(m.Size), fmt.Sprint(len(crlf(threadMail)))},
		{"raw kept", fmt.Sprint(bytes.Equal(m.Raw, crlf(threadMail))), "true"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestParseBodies(t *testing.T) {
	tests := []struct {
		name      string
		raw       string
		lf        bool // keep LF line ends instead of CRLF
		text      string
		html      string
		subject   string
		filenames []string
	}{
		{
			name: "plain without MIME headers",
			raw:  "From: a@x.example\nSubject: hi\n\nhello\n",
			text: "hello\r\n", subject: "hi",
		},
		{
			name: "LF line ends only",
			raw:  "From: a@x.example\n\nhello\n", lf: true,
			text: "hello\n",
		},
		{
			name: "ISO-8859-1 body",
			raw:  "From: a@x.example\nContent-Type: text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: 8bit\n\nGr\xfc\xdfe \xe0 vous\n",
			text: "Grüße à vous\r\n",
		},
		{
			name: "ISO-8859-15 euro sign",
			raw:  "From: a@x.example\nContent-Type: text/plain; charset=iso-8859-15\n\n10 \xa4\n",
			text: "10 €\r\n",
		},
		{
			name: "Windows-1252 quotes quoted-printable",
			raw:  "From: a@x.example\nContent-Type: text/plain; charset=windows-1252\nContent-Transfer-Encoding: quoted-printable\n\n=93quoted=94 =80\n",
			text: "“quoted” €\r\n",
		},
		{
			name: "base64 UTF-8 with spaces in the base64",
			raw:  "From: a@x.example\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: base64\n\nw5xi ZXI=\n",
			text: "Über",
		},
		{
			name: "unknown charset kept as UTF-8",
			raw:  "From: a@x.example\nContent-Type: text/plain; charset=x-made-up\n\nok \xff\n",
			text: "ok \uFFFD\r\n",
		},
		{
			name:    "RFC 2047 subjects in Q and B, mixed charsets",
			raw:     "From: a@x.example\nSubject: =?iso-8859-1?q?caf=E9?= =?windows-1252?B?gA==?= end\n\n.\n",
			subject: "café€ end", text: ".\r\n",
		},
		{
			name:    "undecodable encoded word kept as received",
			raw:     "From: a@x.example\nSubject: =?x-unknown?q?abc?=\n\n.\n",
			subject: "=?x-unknown?q?abc?=", text: ".\r\n",
		},
		{
			name: "multipart/alternative",
			raw:  "From: a@x.example\nContent-Type: multipart/alternative; boundary=b\n\npreamble\n--b\nContent-Type: text/plain\n\nplain\n--b\nContent-Type: text/html; charset=iso-8859-1\n\n<b>\xe9</b>\n--b--\nepilogue\n",
			text: "plain", html: "<b>é</b>",
		},
		{
			name: "second text part and rfc822 become attachments",
			raw:  "From: a@x.example\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\nfirst\n--b\nContent-Type: text/plain\n\nsecond\n--b\nContent-Type: message/rfc822\n\nFrom: c@x.example\n\nfwd\n--b--\n",
			text: "first", filenames: []string{"part-3", "part-4.eml"},
		},
		{
			name:      "RFC 2231 and RFC 2047 filenames",
			raw:       "From: a@x.example\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Disposition: attachment; filename*=UTF-8''%C3%BCbersicht.txt\n\nx\n--b\nContent-Type: application/octet-stream; name=\"=?UTF-8?Q?r=C3=A9sum=C3=A9.doc?=\"\n\ny\n--b\nContent-Disposition: attachment; filename=\"C:\\\\Users\\\\x\\\\evil.exe\"\n\nz\n--b--\n",
			filenames: []string{"übersicht.txt", "résumé.doc", "evil.exe"},
		},
		{
			name: "undisclosed recipients",
			raw:  "From: a@x.example\nTo: undisclosed-recipients:;\n\nbody",
			text: "body",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := crlf(tt.raw)
			if tt.lf {
				raw = []byte(tt.raw)
			}
			m, err := Parse(raw, Limits{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if m.Text != tt.text {
				t.Errorf("Text = %q, want %q", m.Text, tt.text)
			}
			if m.HTML != tt.html {
				t.Errorf("HTML = %q, want %q", m.HTML, tt.html)
			}
			if m.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", m.Subject, tt.subject)
			}
			var names []string
			for _, a := range m.Attachments {
				names = append(names, a.Filename)
			}
			if strings.Join(names, "|") != strings.Join(tt.filenames, "|") {
				t.Errorf("attachments = %q, want %q", names, tt.filenames)
			}
		})
	}
}

// nested returns a message with depth levels of multipart/mixed.
func nested(depth int) []byte {
	var b strings.Builder
	b.WriteString("From: a@x.example\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n")
	for i := 1; i < depth; i++ {
		fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i-1, i)
	}
	fmt.Fprintf(&b, "--b%d\r\n\r\nleaf\r\n", depth-1)
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return []byte(b.String())
}

// manyParts returns a multipart/mixed message with n leaf parts.
func manyParts(n int) []byte {
	var b strings.Builder
	b.WriteString("From: a@x.example\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n")
	for range n {
		b.WriteString("--b\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n")
	}
	b.WriteString("--b--\r\n")
	return []byte(b.String())
}

func TestParseRefusals(t *testing.T) {
	bigAttachment := "From: a@x.example\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Disposition: attachment; filename=big.bin\n\n" + strings.Repeat("x", 200) + "\n--b--\n"
	tests := []struct {
		name   string
		raw    []byte
		limits Limits
		want   error
	}{
		{"empty", nil, Limits{}, ErrNotMail},
		{"blank lines", []byte("\r\n\r\n"), Limits{}, ErrNotMail},
		{"binary junk", []byte("\x00\x01\x02 not mail"), Limits{}, ErrNotMail},
		{"body only", crlf("hello there\nhow are you\n"), Limits{}, ErrNotMail},
		{"no From", crlf("To: b@x.example\nSubject: s\n\nbody"), Limits{}, ErrNotMail},
		{"bad header line", crlf("From: a@x.example\nthis is no header\n\nbody"), Limits{}, ErrBadHeader},
		{"bad From", crlf("From: not an address\n\nbody"), Limits{}, ErrBadHeader},
		{"bad To", crlf("From: a@x.example\nTo: <<<\n\nbody"), Limits{}, ErrBadHeader},
		{"bad content type", crlf("From: a@x.example\nContent-Type: /\n\nbody"), Limits{}, ErrBadMIME},
		{"multipart without boundary", crlf("From: a@x.example\nContent-Type: multipart/mixed\n\nbody"), Limits{}, ErrBadMIME},
		{"multipart without parts", crlf("From: a@x.example\nContent-Type: multipart/mixed; boundary=b\n\nno boundary at all\n"), Limits{}, ErrBadMIME},
		{"truncated multipart", crlf("From: a@x.example\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\ntext without end"), Limits{}, ErrBadMIME},
		{"bad base64", crlf("From: a@x.example\nContent-Transfer-Encoding: base64\n\nQQ=Q\n"), Limits{}, ErrBadMIME},
		{"too deep", nested(5), Limits{MaxDepth: 4}, ErrTooDeep},
		{"too many parts", manyParts(10), Limits{MaxParts: 10}, ErrTooManyParts},
		{"attachment too large", crlf(bigAttachment), Limits{MaxAttachmentSize: 100}, ErrAttachmentTooLarge},
		{"message too large", crlf(threadMail), Limits{MaxSize: 100}, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(tt.raw, tt.limits)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse = %v, %v; want error %v", m, err, tt.want)
			}
			if len(err.Error()) > 300 {
				t.Errorf("error text is %d bytes, too long for an SMTP reply", len(err.Error()))
			}
		})
	}
}

func TestParseLimitsAtBoundary(t *testing.T) {
	if _, err := Parse(nested(4), Limits{MaxDepth: 4}); err != nil {
		t.Errorf("depth 4 with MaxDepth 4: %v", err)
	}
	// 9 leaves + the container = 10 parts.
	if _, err := Parse(manyParts(9), Limits{MaxParts: 10}); err != nil {
		t.Errorf("10 parts with MaxParts 10: %v", err)
	}
}

// mail100KB returns the thread mail grown to about 100 KB: a 70 KB
// quoted-printable text body and a 30 KB base64 attachment.
func mail100KB(tb testing.TB) []byte {
	var body strings.Builder
	for body.Len() < 70<<10 {
		body.WriteString("Lorem ipsum dolor sit amet, consectetur adipiscing elit. Gr=C3=BC=C3=9Fe.=\r\n")
	}
	raw := []byte(strings.ReplaceAll(string(crlf(threadMail)), "Gr=C3=BC=C3=9Fe, die Rechnung ist =", body.String()))
	pdf := strings.Repeat("JVBERi0xLjQKJSVFT0YKJVBERi0xLjQKJSVFT0YKJVBERi0xLjQKJSVFT0YKJVBERi0xLjQK\r\n", 400)
	raw = bytes.Replace(raw, []byte("JVBERi0xLjQK\r\n"), []byte(pdf), 1)
	if _, err := Parse(raw, Limits{}); err != nil {
		tb.Fatal(err)
	}
	return raw
}

func BenchmarkParse100KB(b *testing.B) {
	raw := mail100KB(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadMessage100KB is the baseline: the standard library reading
// the same mail's header and raw body, without any MIME decoding.
func BenchmarkReadMessage100KB(b *testing.B) {
	raw := mail100KB(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadAll(m.Body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseNestedAtLimit measures the worst nesting Parse accepts by
// default (DefaultMaxDepth levels) around a 100 KB leaf.
func BenchmarkParseNestedAtLimit(b *testing.B) {
	raw := nested(DefaultMaxDepth)
	raw = bytes.Replace(raw, []byte("leaf"), bytes.Repeat([]byte("leaf line of text\r\n"), 100<<10/19), 1)
	if _, err := Parse(raw, Limits{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
