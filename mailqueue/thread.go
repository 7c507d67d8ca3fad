package mailqueue

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxReferences bounds the References header of a reply. RFC 5322 3.6.4
// lets a long thread drop ids from the middle: the first (the thread's
// root) and the most recent ones are kept.
const maxReferences = 20

// Thread holds the header fields that put a reply in the thread of the
// mail it answers (RFC 5322 3.6.4).
type Thread struct {
	Subject    string   // "Re: " and the original subject, once
	InReplyTo  string   // the original Message-ID without brackets; "" when it had none
	References []string // ids without brackets, oldest first
}

// Headers returns the thread fields as mail.Message.Headers wants them:
// ids in angle brackets, References separated by spaces. messageID is the
// reply's own Message-ID (without brackets).
func (t Thread) Headers(messageID string) map[string]string {
	h := map[string]string{"Message-ID": "<" + messageID + ">"}
	if t.InReplyTo != "" {
		h["In-Reply-To"] = "<" + t.InReplyTo + ">"
	}
	if len(t.References) > 0 {
		refs := make([]string, len(t.References))
		for i, id := range t.References {
			refs[i] = "<" + id + ">"
		}
		h["References"] = strings.Join(refs, " ")
	}
	return h
}

// ReplyThread returns the thread fields of a reply to a mail with the
// given subject, Message-ID and References header (ids with or without
// brackets, separated by white space). References of the reply are the
// original's References followed by its Message-ID (RFC 5322 3.6.4);
// ids that are not plain printable ASCII are dropped, duplicates kept once.
func ReplyThread(subject, messageID, references string) Thread {
	t := Thread{Subject: ReplySubject(subject)}
	var refs []string
	seen := map[string]bool{}
	add := func(id string) {
		if validID(id) && !seen[id] {
			seen[id] = true
			refs = append(refs, id)
		}
	}
	for _, id := range SplitIDs(references) {
		add(id)
	}
	if id := strings.Trim(strings.TrimSpace(messageID), "<>"); validID(id) {
		t.InReplyTo = id
		delete(seen, id) // the original goes last, even if it was named before
		refs = removeID(refs, id)
		add(id)
	}
	if len(refs) > maxReferences {
		refs = append(refs[:1:1], refs[len(refs)-(maxReferences-1):]...)
	}
	t.References = refs
	return t
}

func removeID(ids []string, id string) []string {
	out := ids[:0]
	for _, v := range ids {
		if v != id {
			out = append(out, v)
		}
	}
	return out
}

// SplitIDs returns the message ids of a header value such as References:
// the text between angle brackets, or, without brackets, each
// white-space separated word.
func SplitIDs(v string) []string {
	if !strings.ContainsRune(v, '<') {
		return strings.Fields(v)
	}
	var ids []string
	for {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			return ids
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			return ids
		}
		if id := strings.TrimSpace(v[i+1 : i+j]); id != "" {
			ids = append(ids, id)
		}
		v = v[i+j+1:]
	}
}

// JoinIDs writes ids as a References header value: each in angle
// brackets, separated by a space.
func JoinIDs(ids []string) string {
	var b strings.Builder
	for _, id := range ids {
		if !validID(id) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("<" + id + ">")
	}
	return b.String()
}

// validID reports whether id can be written into a header as a message id:
// printable ASCII without spaces or brackets, of a sane length.
func validID(id string) bool {
	if id == "" || len(id) > 250 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f || c == '<' || c == '>' {
			return false
		}
	}
	return true
}

// maxSubject bounds the subject of a reply, in runes.
const maxSubject = 900

// ReplySubject returns the subject of a reply: "Re: " and the original
// subject, without piling up prefixes when the original already was a
// reply ("Re: Re: x" and "RE: x" give "Re: x"). Line breaks and control
// characters become spaces.
func ReplySubject(subject string) string {
	s := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(subject, "\uFFFD"))
	s = strings.Join(strings.Fields(s), " ")
	for {
		rest, ok := cutReplyPrefix(s)
		if !ok {
			break
		}
		s = rest
	}
	if utf8.RuneCountInString(s) > maxSubject {
		s = string([]rune(s)[:maxSubject])
	}
	if s == "" {
		return "Re: your message"
	}
	return "Re: " + s
}

// cutReplyPrefix removes one leading "Re:" (any case, optionally with a
// counter as in "Re[2]:" or "Re(2):") and the spaces after it.
func cutReplyPrefix(s string) (string, bool) {
	if len(s) < 3 || !strings.EqualFold(s[:2], "re") {
		return s, false
	}
	rest := s[2:]
	if len(rest) > 0 && (rest[0] == '[' || rest[0] == '(') {
		closing := byte(']')
		if rest[0] == '(' {
			closing = ')'
		}
		j := strings.IndexByte(rest, closing)
		if j < 0 || strings.Trim(rest[1:j], "0123456789") != "" || j == 1 {
			return s, false
		}
		rest = rest[j+1:]
	}
	if !strings.HasPrefix(rest, ":") {
		return s, false
	}
	return strings.TrimLeft(rest[1:], " "), true
}

// NewMessageID returns a fresh message id (without brackets) in domain.
func NewMessageID(domain string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	domain = strings.Trim(strings.TrimSpace(domain), "<>@")
	if !validID(domain) {
		domain = "vms.invalid"
	}
	return hex.EncodeToString(b[:]) + "@" + domain
}
