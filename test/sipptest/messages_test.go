package sipptest

import (
	"reflect"
	"testing"
	"time"
)

// trace is a SIPp 3.6 message trace as written by -trace_msg.
const trace = `----------------------------------------------- 2026-11-26 14:12:52.215017
UDP message received [308] bytes :

INVITE sip:123@127.0.0.1:17001 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:17002;branch=z9hG4bK-28396-1-0
From: <sip:caller@127.0.0.1:17002>;tag=28396SIPpTag001
To: <sip:123@127.0.0.1:17001>
Call-ID: 1-28396@127.0.0.1
CSeq: 1 INVITE
Content-Type: application/sdp
Content-Length: 12

v=0
s=-

----------------------------------------------- 2026-11-26 14:12:52.215927
UDP message sent (254 bytes):

SIP/2.0 486 Busy Here
Via: SIP/2.0/UDP 127.0.0.1:17002;branch=z9hG4bK-28396-1-0
f: <sip:caller@127.0.0.1:17002>;tag=28396SIPpTag001
t: <sip:123@127.0.0.1:17001>;tag=28385SIPpTag011
i: 1-28396@127.0.0.1
CSEQ: 1 INVITE
Content-Length: 0


----------------------------------------------- 2026-11-26 14:12:52.216822
UDP message received [283] bytes :

INVITE sip:123@127.0.0.1:17001 SIP/2.0
Call-ID: 1-28396@127.0.0.1
CSeq: 1 INVITE

----------------------------------------------- 2026-11-26 14:12:53.000000
UDP message received [283] bytes :

INVITE sip:456@127.0.0.1:17001 SIP/2.0
Call-ID: 2-28396@127.0.0.1
CSeq: 1 INVITE

`

func TestParseTrace(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.ParseInLocation(traceTime, s, time.Local)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name        string
		in          string
		wantInvites []Invite
		wantFinal   []int // always empty: the traces hold no INVITE this side sent
	}{
		{
			name: "invites once per call, responses with compact headers",
			in:   trace,
			wantInvites: []Invite{
				{RequestURI: "sip:123@127.0.0.1:17001", From: "<sip:caller@127.0.0.1:17002>;tag=28396SIPpTag001",
					To: "<sip:123@127.0.0.1:17001>", CallID: "1-28396@127.0.0.1", At: at("2026-11-26 14:12:52.215017")},
				{RequestURI: "sip:456@127.0.0.1:17001", CallID: "2-28396@127.0.0.1", At: at("2026-11-26 14:12:53.000000")},
			},
			// This side placed no call (it sent no INVITE).
			wantFinal: []int{},
		},
		{
			name: "truncated last entry is dropped",
			in:   trace[:len(trace)-60],
			wantInvites: []Invite{
				{RequestURI: "sip:123@127.0.0.1:17001", From: "<sip:caller@127.0.0.1:17002>;tag=28396SIPpTag001",
					To: "<sip:123@127.0.0.1:17001>", CallID: "1-28396@127.0.0.1", At: at("2026-11-26 14:12:52.215017")},
			},
			wantFinal: []int{},
		},
		{name: "empty", in: ""},
		{name: "garbage", in: "hello\n-----\nSIP/2.0\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := ParseTrace([]byte(tt.in))
			if got := invitesOf(msgs); !reflect.DeepEqual(got, tt.wantInvites) {
				t.Errorf("invites:\n got %+v\nwant %+v", got, tt.wantInvites)
			}
			if got := finalStatuses(msgs); len(got) != 0 || len(tt.wantFinal) != 0 {
				t.Errorf("final statuses: got %v, want %v", got, tt.wantFinal)
			}
		})
	}
}

func TestFinalStatusOfReceivedResponses(t *testing.T) {
	msgs := []Message{
		{Received: false, StartLine: "INVITE sip:1@h SIP/2.0", Headers: map[string]string{"Call-ID": "a", "CSeq": "1 INVITE"}},
		{Received: true, StartLine: "SIP/2.0 180 Ringing", Headers: map[string]string{"Call-ID": "a", "CSeq": "1 INVITE"}},
		{Received: true, StartLine: "SIP/2.0 200 OK", Headers: map[string]string{"Call-ID": "a", "CSeq": "1 INVITE"}},
		{Received: true, StartLine: "SIP/2.0 200 OK", Headers: map[string]string{"Call-ID": "a", "CSeq": "2 BYE"}},
		{Received: false, StartLine: "INVITE sip:2@h SIP/2.0", Headers: map[string]string{"Call-ID": "b", "CSeq": "1 INVITE"}},
		{Received: true, StartLine: "SIP/2.0 486 Busy Here", Headers: map[string]string{"Call-ID": "b", "CSeq": "1 INVITE"}},
		{Received: true, StartLine: "SIP/2.0 200 OK", Headers: map[string]string{"Call-ID": "stray", "CSeq": "1 INVITE"}},
		{Received: false, StartLine: "INVITE sip:3@h SIP/2.0", Headers: map[string]string{"Call-ID": "c", "CSeq": "1 INVITE"}},
	}
	if got, want := finalStatuses(msgs), []int{200, 486, 0}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var out []time.Duration
		for _, x := range v {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	tests := []struct {
		name  string
		times []time.Duration
		p     float64
		want  time.Duration
	}{
		{"none", nil, 50, 0},
		{"one", ms(7), 95, 7 * time.Millisecond},
		{"median of unsorted", ms(9, 1, 5, 3, 7), 50, 5 * time.Millisecond},
		{"p95 of twenty", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 100), 95, 19 * time.Millisecond},
		{"max", ms(1, 2, 3), 100, 3 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &CallResult{SetupTimes: tt.times}
			if got := r.Percentile(tt.p); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzParseTrace(f *testing.F) {
	f.Add([]byte(trace))
	f.Add([]byte(traceSeparator + " 2026-11-26 14:12:52.215017\nUDP message received [1] bytes :\n\nSIP/2.0 200 OK\nCSeq: 1 INVITE\nCall-ID: x\n\n"))
	f.Add([]byte(traceSeparator + " bad\n\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		msgs := ParseTrace(data)
		for _, m := range msgs {
			if m.StartLine == "" {
				t.Fatalf("message without start line: %+v", m)
			}
			_ = m.Status()
			_ = m.RequestURI()
			_ = m.CSeqMethod()
		}
		if got := finalStatuses(msgs); len(got) > len(msgs) {
			t.Fatalf("%d statuses from %d messages", len(got), len(msgs))
		}
		_ = invitesOf(msgs)
	})
}
