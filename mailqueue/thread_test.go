package mailqueue

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEmailReplySubject(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "Order 42", "Re: Order 42"},
		{"already a reply", "Re: Order 42", "Re: Order 42"},
		{"upper case", "RE: Order 42", "Re: Order 42"},
		{"lower case without space", "re:Order 42", "Re: Order 42"},
		{"piled up", "Re: RE: re: Order 42", "Re: Order 42"},
		{"counter", "Re[3]: Order 42", "Re: Order 42"},
		{"counter in parentheses", "Re(2): Order 42", "Re: Order 42"},
		{"not a prefix", "Reorder 42", "Re: Reorder 42"},
		{"word starting with re", "Refund: please", "Re: Refund: please"},
		{"empty counter is text", "Re[]: x", "Re: Re[]: x"},
		{"forward kept", "Fwd: Order 42", "Re: Fwd: Order 42"},
		{"spaces squeezed", "  Order \t 42  ", "Re: Order 42"},
		{"line breaks", "Order\r\n 42", "Re: Order 42"},
		{"empty", "", "Re: your message"},
		{"only a prefix", "Re:", "Re: your message"},
		{"unicode", "Réclamation n° 7", "Re: Réclamation n° 7"},
		{"invalid utf-8", "bad \xff byte", "Re: bad \uFFFD byte"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ReplySubject(tc.in); got != tc.want {
				t.Errorf("ReplySubject(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	long := ReplySubject(strings.Repeat("é", 2000))
	if n := utf8.RuneCountInString(long); n != len("Re: ")+maxSubject {
		t.Errorf("long subject: %d runes", n)
	}
}

func TestEmailReplyThread(t *testing.T) {
	for _, tc := range []struct {
		name                string
		subject, id, refs   string
		wantInReplyTo       string
		wantRefs            []string
		wantHeaderRefs      string
		wantHeaderInReplyTo string
	}{
		{name: "first mail", subject: "Hello", id: "a@x",
			wantInReplyTo: "a@x", wantRefs: []string{"a@x"}, wantHeaderRefs: "<a@x>", wantHeaderInReplyTo: "<a@x>"},
		{name: "mail in a thread", subject: "Re: Hello", id: "c@x", refs: "<a@x> <b@y>",
			wantInReplyTo: "c@x", wantRefs: []string{"a@x", "b@y", "c@x"}, wantHeaderRefs: "<a@x> <b@y> <c@x>", wantHeaderInReplyTo: "<c@x>"},
		{name: "bracketed id", subject: "x", id: "<c@x>", refs: "<a@x>",
			wantInReplyTo: "c@x", wantRefs: []string{"a@x", "c@x"}, wantHeaderRefs: "<a@x> <c@x>", wantHeaderInReplyTo: "<c@x>"},
		{name: "references without brackets", subject: "x", id: "c@x", refs: "a@x\r\n b@y",
			wantInReplyTo: "c@x", wantRefs: []string{"a@x", "b@y", "c@x"}, wantHeaderRefs: "<a@x> <b@y> <c@x>", wantHeaderInReplyTo: "<c@x>"},
		{name: "duplicates once, original last", subject: "x", id: "a@x", refs: "<a@x> <b@y> <b@y>",
			wantInReplyTo: "a@x", wantRefs: []string{"b@y", "a@x"}, wantHeaderRefs: "<b@y> <a@x>", wantHeaderInReplyTo: "<a@x>"},
		{name: "no message id", subject: "x", refs: "<a@x>",
			wantRefs: []string{"a@x"}, wantHeaderRefs: "<a@x>"},
		{name: "nothing at all", subject: "x"},
		{name: "garbage ids dropped", subject: "x", id: "bad id", refs: "<ok@x> <with space> <é@x>",
			wantRefs: []string{"ok@x"}, wantHeaderRefs: "<ok@x>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th := ReplyThread(tc.subject, tc.id, tc.refs)
			if th.InReplyTo != tc.wantInReplyTo {
				t.Errorf("InReplyTo = %q, want %q", th.InReplyTo, tc.wantInReplyTo)
			}
			if !reflect.DeepEqual(th.References, tc.wantRefs) {
				t.Errorf("References = %q, want %q", th.References, tc.wantRefs)
			}
			h := th.Headers("new@vms.example")
			if h["Message-ID"] != "<new@vms.example>" {
				t.Errorf("Message-ID header = %q", h["Message-ID"])
			}
			if h["References"] != tc.wantHeaderRefs {
				t.Errorf("References header = %q, want %q", h["References"], tc.wantHeaderRefs)
			}
			if h["In-Reply-To"] != tc.wantHeaderInReplyTo {
				t.Errorf("In-Reply-To header = %q, want %q", h["In-Reply-To"], tc.wantHeaderInReplyTo)
			}
			if _, ok := h["In-Reply-To"]; ok != (tc.wantHeaderInReplyTo != "") {
				t.Errorf("In-Reply-To present = %v", ok)
			}
		})
	}
}

func TestEmailReplyThreadKeepsRootAndRecent(t *testing.T) {
	var ids []string
	for i := range 40 {
		ids = append(ids, "m"+strings.Repeat("x", i)+"@x")
	}
	th := ReplyThread("x", "last@x", JoinIDs(ids))
	if len(th.References) != maxReferences {
		t.Fatalf("%d references, want %d", len(th.References), maxReferences)
	}
	if th.References[0] != ids[0] {
		t.Errorf("first reference %q, want the thread's root %q", th.References[0], ids[0])
	}
	if got := th.References[len(th.References)-1]; got != "last@x" {
		t.Errorf("last reference %q, want the original", got)
	}
	if got := th.References[len(th.References)-2]; got != ids[len(ids)-1] {
		t.Errorf("second to last reference %q, want %q", got, ids[len(ids)-1])
	}
}

func TestEmailNewMessageID(t *testing.T) {
	a, b := NewMessageID("demo.example"), NewMessageID("demo.example")
	if a == b {
		t.Errorf("two ids are equal: %q", a)
	}
	if !strings.HasSuffix(a, "@demo.example") || !validID(a) {
		t.Errorf("id %q", a)
	}
	if id := NewMessageID("bad domain>"); !strings.HasSuffix(id, "@vms.invalid") {
		t.Errorf("id with a bad domain: %q", id)
	}
}

func TestEmailSplitJoinIDs(t *testing.T) {
	ids := SplitIDs(" <a@x>\r\n\t<b@y> junk <c@z")
	if !reflect.DeepEqual(ids, []string{"a@x", "b@y"}) {
		t.Errorf("SplitIDs = %q", ids)
	}
	if got := JoinIDs([]string{"a@x", "bad id", "b@y"}); got != "<a@x> <b@y>" {
		t.Errorf("JoinIDs = %q", got)
	}
}

// FuzzReplyThread feeds the thread functions the header values of
// received mail, which anyone can write.
func FuzzReplyThread(f *testing.F) {
	f.Add("Re: Order 42", "<a@x>", "<r1@x> <r2@y>")
	f.Add("RE[2]: RE(3):", "", "a b c")
	f.Add("\xff\x00\r\n", "<>", "<<>>")
	f.Fuzz(func(t *testing.T, subject, id, refs string) {
		th := ReplyThread(subject, id, refs)
		if !strings.HasPrefix(th.Subject, "Re: ") || strings.ContainsAny(th.Subject, "\r\n") || !utf8.ValidString(th.Subject) {
			t.Fatalf("subject %q", th.Subject)
		}
		if strings.HasPrefix(strings.ToLower(th.Subject[4:]), "re:") {
			t.Fatalf("double Re: in %q", th.Subject)
		}
		if ReplySubject(th.Subject) != th.Subject {
			t.Fatalf("replying again changes %q", th.Subject)
		}
		if len(th.References) > maxReferences {
			t.Fatalf("%d references", len(th.References))
		}
		if th.InReplyTo != "" && th.References[len(th.References)-1] != th.InReplyTo {
			t.Fatalf("the original %q is not the last reference %q", th.InReplyTo, th.References)
		}
		for k, v := range th.Headers("n@x") {
			if strings.ContainsAny(v, "\r\n") {
				t.Fatalf("header %s has a line break: %q", k, v)
			}
		}
		seen := map[string]bool{}
		for _, r := range th.References {
			if !validID(r) || seen[r] {
				t.Fatalf("reference %q invalid or repeated", r)
			}
			seen[r] = true
		}
	})
}
