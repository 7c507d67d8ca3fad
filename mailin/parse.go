package mailin

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Default limits, used where a Limits field is zero.
const (
	DefaultMaxSize  = 25 << 20 // raw bytes of one message
	DefaultMaxParts = 100      // MIME parts of one message, containers included
	DefaultMaxDepth = 8        // nested multipart levels
)

// Limits bound what Parse accepts. Zero fields take the defaults above;
// MaxAttachmentSize defaults to MaxSize.
type Limits struct {
	MaxSize           int64 // raw size of the whole message
	MaxParts          int   // MIME entities, multipart containers included
	MaxDepth          int   // multipart nesting levels below the top
	MaxAttachmentSize int64 // decoded size of one part (attachment or body)
}

func (l Limits) withDefaults() Limits {
	if l.MaxSize <= 0 {
		l.MaxSize = DefaultMaxSize
	}
	if l.MaxParts <= 0 {
		l.MaxParts = DefaultMaxParts
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxAttachmentSize <= 0 {
		l.MaxAttachmentSize = l.MaxSize
	}
	return l
}

// Message is one parsed e-mail.
type Message struct {
	MessageID  string   // Message-ID without angle brackets; "" when absent
	InReplyTo  string   // first message id of In-Reply-To, without brackets
	References []string // message ids of References, oldest first, without brackets

	From    mail.Address
	ReplyTo []mail.Address
	To      []mail.Address
	Cc      []mail.Address
	Subject string    // RFC 2047 decoded, on one line
	Date    time.Time // zero when absent or unreadable

	Text        string // first inline text/plain part, decoded to UTF-8
	HTML        string // first inline text/html part, decoded to UTF-8 (not sanitized)
	Attachments []Attachment

	Header   mail.Header // the top-level header fields as received
	Size     int64       // len(Raw)
	Raw      []byte      // the message as received
	Envelope Envelope    // SMTP envelope; zero when the message did not come through Server
}

// Envelope is what the SMTP client said around the message.
type Envelope struct {
	From       string   // MAIL FROM (the bounce address); "" for the null sender
	To         []string // accepted RCPT TO addresses
	Helo       string   // the client's HELO/EHLO name
	RemoteAddr string
}

// Attachment is one non-body MIME part, decoded.
type Attachment struct {
	Filename    string // sanitized base name, never empty
	ContentType string // media type without parameters, lower case
	ContentID   string // Content-ID without brackets, for inline images
	Inline      bool   // Content-Disposition: inline
	Size        int64  // len(Data)
	Data        []byte
}

// Parse parses raw as an RFC 5322 message with MIME bodies. An error wraps
// one of the package's Err* reasons with details fit to show the sender.
// Parse reads only raw, keeps it in Message.Raw, and is safe to call on
// hostile input: it bounds the parts, their depth and decoded sizes.
func Parse(raw []byte, limits Limits) (*Message, error) {
	lim := limits.withDefaults()
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrNotMail)
	}
	if int64(len(raw)) > lim.MaxSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(raw), lim.MaxSize)
	}
	if !startsWithField(raw) {
		return nil, fmt.Errorf("%w: no header field at the start", ErrNotMail)
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrBadHeader, short(err.Error()))
	}
	h := m.Header
	if h.Get("From") == "" {
		return nil, fmt.Errorf("%w: no From header", ErrNotMail)
	}
	msg := &Message{Header: h, Size: int64(len(raw)), Raw: raw}

	ap := mail.AddressParser{WordDecoder: wordDecoder}
	from, err := ap.ParseList(h.Get("From"))
	if err != nil || len(from) == 0 {
		return nil, fmt.Errorf("%w: From: %s", ErrBadHeader, reason(err, "no address"))
	}
	msg.From = *from[0]
	for _, f := range []struct {
		name string
		dst  *[]mail.Address
	}{{"Reply-To", &msg.ReplyTo}, {"To", &msg.To}, {"Cc", &msg.Cc}} {
		v := strings.TrimSpace(h.Get(f.name))
		if v == "" || isEmptyGroup(v) {
			continue
		}
		list, err := ap.ParseList(v)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %s", ErrBadHeader, f.name, short(err.Error()))
		}
		for _, a := range list {
			*f.dst = append(*f.dst, *a)
		}
	}
	msg.Subject = decodeHeader(h.Get("Subject"))
	if d, err := mail.ParseDate(h.Get("Date")); err == nil {
		msg.Date = d
	}
	msg.MessageID = first(msgIDs(h.Get("Message-Id")))
	msg.InReplyTo = first(msgIDs(h.Get("In-Reply-To")))
	msg.References = msgIDs(h.Get("References"))

	w := walker{lim: lim, msg: msg}
	if err := w.entity(textproto.MIMEHeader(h), m.Body, 0); err != nil {
		return nil, err
	}
	return msg, nil
}

// walker collects bodies and attachments from a MIME tree.
type walker struct {
	lim   Limits
	msg   *Message
	parts int
}

func (w *walker) entity(h textproto.MIMEHeader, body io.Reader, depth int) error {
	w.parts++
	if w.parts > w.lim.MaxParts {
		return fmt.Errorf("%w: more than %d", ErrTooManyParts, w.lim.MaxParts)
	}
	mt, params := "text/plain", map[string]string{"charset": "us-ascii"}
	if ct := strings.TrimSpace(h.Get("Content-Type")); ct != "" {
		var err error
		mt, params, err = mime.ParseMediaType(ct)
		if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) {
			return fmt.Errorf("%w: Content-Type %q: %s", ErrBadMIME, short(ct), short(err.Error()))
		}
	}
	if strings.HasPrefix(mt, "multipart/") {
		if depth >= w.lim.MaxDepth {
			return fmt.Errorf("%w: more than %d levels", ErrTooDeep, w.lim.MaxDepth)
		}
		boundary := params["boundary"]
		if boundary == "" {
			return fmt.Errorf("%w: %s without boundary", ErrBadMIME, mt)
		}
		mr := multipart.NewReader(body, boundary)
		n := 0
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("%w: %s: %s", ErrBadMIME, mt, short(err.Error()))
			}
			n++
			if err := w.entity(p.Header, p, depth+1); err != nil {
				return err
			}
		}
		if n == 0 {
			return fmt.Errorf("%w: %s has no parts", ErrBadMIME, mt)
		}
		return nil
	}
	return w.leaf(h, mt, params, body)
}

func (w *walker) leaf(h textproto.MIMEHeader, mt string, params map[string]string, body io.Reader) error {
	var r io.Reader
	switch cte := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))); cte {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &base64Filter{r: body})
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	default: // 7bit, 8bit, binary, and unknown ones kept as they are
		r = body
	}
	data, err := io.ReadAll(io.LimitReader(r, w.lim.MaxAttachmentSize+1))
	if err != nil {
		return fmt.Errorf("%w: part %d (%s): %s", ErrBadMIME, w.parts, mt, short(err.Error()))
	}
	disp, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	filename := dparams["filename"]
	if filename == "" {
		filename = decodeHeader(params["name"])
	}
	if disp != "attachment" && filename == "" {
		switch {
		case mt == "text/plain" && w.msg.Text == "":
			if int64(len(data)) > w.lim.MaxAttachmentSize {
				return fmt.Errorf("%w: text body over %d bytes", ErrAttachmentTooLarge, w.lim.MaxAttachmentSize)
			}
			w.msg.Text = decodeText(data, params["charset"])
			return nil
		case mt == "text/html" && w.msg.HTML == "":
			if int64(len(data)) > w.lim.MaxAttachmentSize {
				return fmt.Errorf("%w: HTML body over %d bytes", ErrAttachmentTooLarge, w.lim.MaxAttachmentSize)
			}
			w.msg.HTML = decodeText(data, params["charset"])
			return nil
		}
	}
	name := sanitizeFilename(filename)
	if name == "" {
		name = fmt.Sprintf("part-%d", w.parts)
		if mt == "message/rfc822" {
			name += ".eml"
		}
	}
	if int64(len(data)) > w.lim.MaxAttachmentSize {
		return fmt.Errorf("%w: %q is over %d bytes", ErrAttachmentTooLarge, name, w.lim.MaxAttachmentSize)
	}
	w.msg.Attachments = append(w.msg.Attachments, Attachment{
		Filename:    name,
		ContentType: mt,
		ContentID:   first(msgIDs(h.Get("Content-Id"))),
		Inline:      disp == "inline",
		Size:        int64(len(data)),
		Data:        data,
	})
	return nil
}

// base64Filter drops what is not base64 alphabet (line breaks, spaces), as
// mail readers do; base64.NewDecoder alone only skips CR and LF.
type base64Filter struct{ r io.Reader }

func (f *base64Filter) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	j := 0
	for _, c := range p[:n] {
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=' {
			p[j] = c
			j++
		}
	}
	return j, err
}

// startsWithField reports whether raw begins with "Name:" where Name is a
// header field name (RFC 5322 ftext). An mbox "From " line is not one.
func startsWithField(raw []byte) bool {
	line := raw
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return false
	}
	for _, c := range line[:colon] {
		if c < 33 || c > 126 {
			return false
		}
	}
	return true
}

// isEmptyGroup reports whether v is an address group with no members, like
// "undisclosed-recipients:;".
func isEmptyGroup(v string) bool {
	return strings.HasSuffix(v, ":;") && !strings.ContainsAny(v, "@<,")
}

// msgIDs extracts the message ids (between angle brackets) of a header
// value; a value without brackets counts as one id.
func msgIDs(v string) []string {
	var ids []string
	for {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			break
		}
		if id := strings.TrimSpace(v[i+1 : i+j]); id != "" {
			ids = append(ids, id)
		}
		v = v[i+j+1:]
	}
	if ids == nil {
		if f := strings.Fields(v); len(f) == 1 {
			ids = f
		}
	}
	return ids
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// sanitizeFilename keeps the base name of a sender-given file name, without
// control characters, so that it is safe to offer for download.
func sanitizeFilename(name string) string {
	name = strings.Map(func(r rune) rune {
		if r == '\\' {
			return '/'
		}
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = path.Base(name)
	name = strings.Trim(name, " .")
	if name == "/" {
		return ""
	}
	for len(name) > 255 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name
}

// short bounds a detail that goes into an error shown to the sender: SMTP
// replies are one line of printable ASCII.
func short(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r >= 0x7f {
			return '?'
		}
		return r
	}, s)
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}

func reason(err error, fallback string) string {
	if err == nil {
		return fallback
	}
	return short(err.Error())
}
