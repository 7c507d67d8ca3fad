package sipptest

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"time"
)

// Message is one SIP message from a SIPp message trace (-trace_msg).
type Message struct {
	// At is when SIPp logged it (local time of this machine).
	At time.Time
	// Received is true for a message SIPp received, false for one it sent.
	Received bool
	// StartLine is the request or status line, e.g. "INVITE sip:1@h SIP/2.0".
	StartLine string
	// Headers maps canonical header names (full form, e.g. "Call-ID") to
	// the first value.
	Headers map[string]string
}

// Method returns the request method, or "" for a response.
func (m Message) Method() string {
	if strings.HasPrefix(m.StartLine, "SIP/") {
		return ""
	}
	method, _, _ := strings.Cut(m.StartLine, " ")
	return method
}

// RequestURI returns the Request-URI of a request, or "".
func (m Message) RequestURI() string {
	f := strings.Fields(m.StartLine)
	if len(f) < 3 || strings.HasPrefix(m.StartLine, "SIP/") {
		return ""
	}
	return f[1]
}

// Status returns the status code of a response, or 0 for a request.
func (m Message) Status() int {
	f := strings.Fields(m.StartLine)
	if len(f) < 2 || !strings.HasPrefix(f[0], "SIP/") {
		return 0
	}
	code, err := strconv.Atoi(f[1])
	if err != nil || code < 100 || code > 699 {
		return 0
	}
	return code
}

// CSeqMethod returns the method named in the CSeq header.
func (m Message) CSeqMethod() string {
	f := strings.Fields(m.Headers["CSeq"])
	if len(f) < 2 {
		return ""
	}
	return f[1]
}

// traceSeparator starts every entry of a SIPp message trace, followed by a
// space and the time stamp.
const traceSeparator = "-----------------------------------------------"

// traceTime is the layout of the time stamps of a SIPp message trace.
const traceTime = "2006-01-02 15:04:05.000000"

// compactHeaders maps SIP compact header forms (RFC 3261 §7.3.3) to full
// names.
var compactHeaders = map[string]string{
	"i": "Call-ID", "f": "From", "t": "To", "m": "Contact", "v": "Via",
	"c": "Content-Type", "l": "Content-Length",
}

// ParseTrace parses a SIPp message trace file (-trace_msg). It is lenient:
// an entry it cannot read is skipped, and a truncated last entry (SIPp
// still writing) is dropped, so it can be read while SIPp runs.
func ParseTrace(data []byte) []Message {
	var out []Message
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	var (
		cur     *Message
		inBody  bool
		started bool // past the direction line and the blank line
	)
	flush := func() {
		if cur != nil && cur.StartLine != "" {
			out = append(out, *cur)
		}
		cur = nil
	}
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if rest, ok := strings.CutPrefix(line, traceSeparator+" "); ok {
			flush()
			at, err := time.ParseInLocation(traceTime, strings.TrimSpace(rest), time.Local)
			if err != nil {
				continue
			}
			cur = &Message{At: at, Headers: map[string]string{}}
			inBody, started = false, false
			continue
		}
		if cur == nil || inBody {
			continue
		}
		if !started {
			switch {
			case strings.Contains(line, "message received"):
				cur.Received = true
			case strings.Contains(line, "message sent"):
				cur.Received = false
			case line == "" && cur.StartLine == "":
				// the blank line between the direction line and the message
			default:
				started = true
			}
			if !started {
				continue
			}
		}
		if cur.StartLine == "" {
			if strings.TrimSpace(line) == "" {
				continue
			}
			cur.StartLine = line
			continue
		}
		if line == "" {
			inBody = true
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		name = strings.TrimSpace(name)
		if full, ok := compactHeaders[strings.ToLower(name)]; ok {
			name = full
		} else {
			name = canonicalHeader(name)
		}
		if _, dup := cur.Headers[name]; !dup {
			cur.Headers[name] = strings.TrimSpace(value)
		}
	}
	// The last entry is complete only when the trace has moved past it; a
	// message still being written has no end yet. SIPp ends each entry with
	// a blank line, so a last entry whose header block ended is kept.
	if cur != nil && inBody {
		flush()
	}
	return out
}

// canonicalHeader gives header names the case SIP uses in practice, so
// that "call-id" and "Call-Id" both read as "Call-ID".
func canonicalHeader(name string) string {
	switch strings.ToLower(name) {
	case "call-id":
		return "Call-ID"
	case "cseq":
		return "CSeq"
	case "www-authenticate":
		return "WWW-Authenticate"
	}
	parts := strings.Split(strings.ToLower(name), "-")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "-")
}
