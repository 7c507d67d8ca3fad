package mailin

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, answers with one of the named
// reasons, and keeps what it returns within its limits, whatever the input.
func FuzzParse(f *testing.F) {
	seeds := [][]byte{
		crlf(threadMail),
		nested(12),
		manyParts(20),
		[]byte("From: a@x.example\r\n\r\nbody"),
		[]byte("From: a@x.example\r\nContent-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n\r\n----\r\n"),
		[]byte("From: a@x.example\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n--b--\r\n"),
		[]byte("From: =?utf-8?b?AAAA?= <a@x.example>\r\nSubject: =?utf-8?q?=FF=FE?=\r\nContent-Type: text/plain; charset=shift_jis\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=82=A0=\r\n"),
		[]byte("From: a@x.example\r\nContent-Type: multipart/alternative; boundary=x\r\n\r\n--x\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename*=utf-8''%2e%2e%2f\r\n\r\n////\r\n--x--"),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	lim := Limits{MaxSize: 1 << 20, MaxParts: 50, MaxDepth: 6, MaxAttachmentSize: 64 << 10}
	reasons := []error{ErrNotMail, ErrBadHeader, ErrBadMIME, ErrTooManyParts, ErrTooDeep, ErrAttachmentTooLarge, ErrTooLarge}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(raw, lim)
		if err != nil {
			known := false
			for _, r := range reasons {
				known = known || errors.Is(err, r)
			}
			if !known {
				t.Fatalf("error %q wraps none of the named reasons", err)
			}
			if m != nil {
				t.Fatal("message and error both returned")
			}
			return
		}
		if len(m.Attachments) > lim.MaxParts {
			t.Fatalf("%d attachments, limit %d parts", len(m.Attachments), lim.MaxParts)
		}
		for _, a := range m.Attachments {
			if a.Size > lim.MaxAttachmentSize || int64(len(a.Data)) != a.Size {
				t.Fatalf("attachment %q size %d, data %d, limit %d", a.Filename, a.Size, len(a.Data), lim.MaxAttachmentSize)
			}
			if a.Filename == "" || strings.ContainsAny(a.Filename, "/\\\x00") || a.Filename == ".." {
				t.Fatalf("unsafe attachment name %q", a.Filename)
			}
		}
		if strings.ContainsAny(m.Subject, "\r\n") {
			t.Fatalf("subject %q spans lines", m.Subject)
		}
	})
}
