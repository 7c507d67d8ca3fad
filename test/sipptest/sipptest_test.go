package sipptest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/vmsplatform/vms/test/astertest"
	"github.com/vmsplatform/vms/test/sipptest"
)

// TestUASModes calls through a real Asterisk, without VMS, to one UAS peer
// of each mode and checks what the caller got and what the peer saw.
func TestUASModes(t *testing.T) {
	answer := sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.Answer})
	hangup := sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.Answer, Hold: 200 * time.Millisecond})
	busy := sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.Busy})
	noAnswer := sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.NoAnswer})
	down := sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.Unreachable})
	callerPort := sipptest.FreeUDPPort(t)
	a := astertest.Start(t, astertest.Options{
		Callers: []astertest.Caller{{Name: "trunk", Port: callerPort, Context: "test-dial"}},
		Destinations: []astertest.Destination{
			{Name: "dest-answer", Port: answer.Port},
			{Name: "dest-hangup", Port: hangup.Port},
			{Name: "dest-busy", Port: busy.Port},
			{Name: "dest-noanswer", Port: noAnswer.Port},
			{Name: "dest-down", Port: down.Port},
		},
		// The first digit picks the destination; Dial rings 2 s at most.
		Dialplan: `
[test-dial]
exten => _1X.,1,Dial(PJSIP/${EXTEN}@dest-answer,2)
exten => _2X.,1,Dial(PJSIP/${EXTEN}@dest-hangup,2)
exten => _3X.,1,Dial(PJSIP/${EXTEN}@dest-busy,2)
exten => _4X.,1,Dial(PJSIP/${EXTEN}@dest-noanswer,2)
exten => _5X.,1,Dial(PJSIP/${EXTEN}@dest-down,2)
`,
	})
	tests := []struct {
		name        string
		number      string
		peer        *sipptest.UASPeer
		wantOK      bool
		wantStatus  int // 0: any failure status (4xx-6xx)
		wantInvites int
	}{
		{"answer, caller hangs up", "1001", answer, true, 200, 1},
		{"answer, destination hangs up", "2001", hangup, true, 200, 1},
		{"busy", "3001", busy, false, 486, 1},
		{"no answer", "4001", noAnswer, false, 0, 1},
		{"unreachable", "5001", down, false, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := sipptest.Call(t, sipptest.CallOptions{
				Target: a.SIPAddr(), Number: tt.number, LocalPort: callerPort, Hold: time.Second,
			})
			if ok := res.Successful == 1 && res.Failed == 0; ok != tt.wantOK {
				t.Errorf("successful %d, failed %d; want success %v", res.Successful, res.Failed, tt.wantOK)
			}
			switch {
			case tt.wantStatus != 0 && res.FinalStatus != tt.wantStatus:
				t.Errorf("final status %d; want %d", res.FinalStatus, tt.wantStatus)
			case tt.wantStatus == 0 && res.FinalStatus < 400:
				t.Errorf("final status %d; want a failure", res.FinalStatus)
			}
			if tt.wantOK && len(res.SetupTimes) != 1 {
				t.Errorf("%d set-up times; want 1", len(res.SetupTimes))
			}
			inv := tt.peer.WaitInvites(tt.wantInvites, 2*time.Second)
			if len(inv) != tt.wantInvites {
				t.Fatalf("peer got %d INVITEs; want %d", len(inv), tt.wantInvites)
			}
			if tt.wantInvites > 0 && !strings.HasPrefix(inv[0].RequestURI, "sip:"+tt.number+"@") {
				t.Errorf("peer got %s; want the number %s", inv[0].RequestURI, tt.number)
			}
		})
	}
}

// TestDTMF sends an RFC 4733 digit after the answer; the dialplan reads it
// and dials it as the number, so the destination's INVITE proves Asterisk
// received the right digit.
func TestDTMF(t *testing.T) {
	dest := sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.Answer})
	callerPort := sipptest.FreeUDPPort(t)
	a := astertest.Start(t, astertest.Options{
		Callers:      []astertest.Caller{{Name: "trunk", Port: callerPort, Context: "test-dtmf"}},
		Destinations: []astertest.Destination{{Name: "dest-a", Port: dest.Port}},
		Dialplan: `
[test-dtmf]
exten => _X.,1,Answer()
 same => n,Read(DIGIT,,1,,1,5)
 same => n,Dial(PJSIP/${DIGIT}@dest-a,5)
`,
	})
	res := sipptest.Call(t, sipptest.CallOptions{
		Target: a.SIPAddr(), Number: "3221234567", LocalPort: callerPort, DTMF: "7", Hold: 2 * time.Second,
	})
	if res.FinalStatus != 200 {
		t.Fatalf("final status %d; want 200", res.FinalStatus)
	}
	inv := dest.WaitInvites(1, 5*time.Second)
	if len(inv) != 1 || !strings.HasPrefix(inv[0].RequestURI, "sip:7@") {
		t.Fatalf("destination got %+v; want one INVITE for digit 7", inv)
	}
}
