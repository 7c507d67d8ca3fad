package astertest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vmsplatform/vms/test/astertest"
	"github.com/vmsplatform/vms/test/sipptest"
)

// TestDialReachesDestination proves the harness end to end without VMS: a
// SIPp caller, identified by its port, calls a number in a test context
// that dials a SIPp destination, which must receive the INVITE for that
// number.
func TestDialReachesDestination(t *testing.T) {
	dest := sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.Answer})
	callerPort := sipptest.FreeUDPPort(t)
	a := astertest.Start(t, astertest.Options{
		Callers:      []astertest.Caller{{Name: "trunk", Port: callerPort, Context: "test-dial"}},
		Destinations: []astertest.Destination{{Name: "dest-a", Port: dest.Port}},
		Dialplan: `
[test-dial]
exten => _X.,1,Dial(PJSIP/${EXTEN}@dest-a,10)
 same => n,Hangup()
`,
	})
	res := sipptest.Call(t, sipptest.CallOptions{
		Target:    a.SIPAddr(),
		Number:    "3221234567",
		LocalPort: callerPort,
	})
	if res.Successful != 1 || res.Failed != 0 || res.FinalStatus != 200 {
		t.Fatalf("call: successful %d, failed %d, final status %d; want 1, 0, 200", res.Successful, res.Failed, res.FinalStatus)
	}
	inv := dest.WaitInvites(1, 5*time.Second)
	if len(inv) != 1 || !strings.HasPrefix(inv[0].RequestURI, "sip:3221234567@127.0.0.1") {
		t.Fatalf("destination got %+v; want one INVITE for 3221234567", inv)
	}
}

// TestFallbackWithoutVMS covers ENG-3 on the real Asterisk with the shipped
// dialplan: no ARI application is connected, so Stasis() fails and the call
// goes to the fallback destination VMS stored in AstDB over ARI.
func TestFallbackWithoutVMS(t *testing.T) {
	destA := sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.Answer})
	destB := sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.Answer})
	busy := sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.Busy})
	callerPort := sipptest.FreeUDPPort(t)
	a := astertest.Start(t, astertest.Options{
		Callers: []astertest.Caller{{Name: "trunk", Port: callerPort}}, // vms-inbound
		Destinations: []astertest.Destination{
			{Name: "dest-a", Port: destA.Port},
			{Name: "dest-b", Port: destB.Port},
			{Name: "dest-busy", Port: busy.Port},
		},
	})
	setVar := func(t *testing.T, name, value string) {
		t.Helper()
		st, body := a.ARI(t, http.MethodPost, "/ari/asterisk/variable", url.Values{"variable": {name}, "value": {value}})
		if st != http.StatusNoContent {
			t.Fatalf("set %s: HTTP %d %s", name, st, body)
		}
	}
	// storeDB writes AstDB through the shipped vms-fallback-store context,
	// exactly as README.md tells the ARI driver to.
	storeDB := func(t *testing.T, key, dest string) {
		t.Helper()
		storeFallback(t, a, key, dest)
	}
	tests := []struct {
		name       string
		number     string            // dialled
		global     map[string]string // VMS_FALLBACK_<key> -> dial string, set over ARI
		db         map[string]string // AstDB vms-fallback/<key> -> dial string, stored over ARI
		defaultTo  string            // VMS_FALLBACK_DEFAULT, set over ARI
		wantStatus int
		wantPeer   *sipptest.UASPeer // who must get the INVITE
		wantURI    string            // its Request-URI prefix
	}{
		{
			name: "fallback in a global variable", number: "3221234567",
			global:     map[string]string{"3221234567": "PJSIP/0611111111@dest-a"},
			wantStatus: 200, wantPeer: destA, wantURI: "sip:0611111111@",
		},
		{
			name: "fallback in AstDB", number: "3221112222",
			db:         map[string]string{"3221112222": "PJSIP/0655555555@dest-a"},
			wantStatus: 200, wantPeer: destA, wantURI: "sip:0655555555@",
		},
		{
			name: "global wins over AstDB", number: "3221113333",
			global:     map[string]string{"3221113333": "PJSIP/0666666666@dest-b"},
			db:         map[string]string{"3221113333": "PJSIP/0677777777@dest-a"},
			wantStatus: 200, wantPeer: destB, wantURI: "sip:0666666666@",
		},
		{
			name: "E.164 number keyed by its digits", number: "+3227654321",
			db:         map[string]string{"3227654321": "PJSIP/0622222222@dest-b"},
			wantStatus: 200, wantPeer: destB, wantURI: "sip:0622222222@",
		},
		{
			name: "no stored fallback takes the default", number: "3220000001",
			defaultTo:  "PJSIP/0633333333@dest-b",
			wantStatus: 200, wantPeer: destB, wantURI: "sip:0633333333@",
		},
		{
			name: "busy fallback destination", number: "3220000002",
			db:         map[string]string{"3220000002": "PJSIP/0644444444@dest-busy"},
			wantStatus: 486, wantPeer: busy, wantURI: "sip:0644444444@",
		},
		{
			name: "nothing stored and no default is busy", number: "3220000003",
			wantStatus: 486,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for key, dest := range tt.global {
				setVar(t, "VMS_FALLBACK_"+key, dest)
				st, body := a.ARI(t, http.MethodGet, "/ari/asterisk/variable", url.Values{"variable": {"VMS_FALLBACK_" + key}})
				if st != http.StatusOK || !strings.Contains(string(body), `"`+dest+`"`) {
					t.Fatalf("read back VMS_FALLBACK_%s: HTTP %d %s", key, st, body)
				}
			}
			for key, dest := range tt.db {
				storeDB(t, key, dest)
			}
			setVar(t, "VMS_FALLBACK_DEFAULT", tt.defaultTo)
			before := map[*sipptest.UASPeer]int{}
			for _, p := range []*sipptest.UASPeer{destA, destB, busy} {
				before[p] = len(p.Invites())
			}
			res := sipptest.Call(t, sipptest.CallOptions{Target: a.SIPAddr(), Number: tt.number, LocalPort: callerPort, Hold: 100 * time.Millisecond})
			if res.FinalStatus != tt.wantStatus {
				t.Fatalf("final status %d; want %d", res.FinalStatus, tt.wantStatus)
			}
			for _, p := range []*sipptest.UASPeer{destA, destB, busy} {
				want := before[p]
				if p == tt.wantPeer {
					want++
				}
				inv := p.WaitInvites(want, 2*time.Second)
				if len(inv) != want {
					t.Fatalf("peer :%d got %d INVITEs; want %d", p.Port, len(inv), want)
				}
				if p == tt.wantPeer && !strings.HasPrefix(inv[len(inv)-1].RequestURI, tt.wantURI) {
					t.Fatalf("peer :%d got %s; want %s…", p.Port, inv[len(inv)-1].RequestURI, tt.wantURI)
				}
			}
		})
	}
}

// TestRestartKeepsAstDB checks Restart: the same ports answer again and
// AstDB (where VMS keeps the fallback routes) survives.
func TestRestartKeepsAstDB(t *testing.T) {
	a := astertest.Start(t, astertest.Options{})
	storeFallback(t, a, "3221234567", "PJSIP/1@trunk-out")
	a.Restart(t)
	if got, ok := a.DBGet(t, "vms-fallback", "3221234567"); !ok || got != "PJSIP/1@trunk-out" {
		t.Fatalf("after restart: vms-fallback/3221234567 = %q (exists %v); want the stored value", got, ok)
	}
	if st, body := a.ARI(t, http.MethodGet, "/ari/asterisk/info", nil); st != http.StatusOK {
		t.Fatalf("ARI after restart: HTTP %d %s", st, body)
	}
	storeFallback(t, a, "3221234567", "") // deletes
}

// storeFallback stores an ENG-3 fallback in AstDB the way README.md
// documents for the ARI driver: a Local channel into vms-fallback-store;
// an empty dest deletes the entry. It waits until AstDB shows the result.
func storeFallback(t *testing.T, a *astertest.Asterisk, key, dest string) {
	t.Helper()
	q := url.Values{
		"endpoint":  {"Local/" + key + "@vms-fallback-store"},
		"context":   {"vms-fallback-store"},
		"extension": {"done"},
		"priority":  {"1"},
	}
	st, body := a.ARIJSON(t, http.MethodPost, "/ari/channels", q,
		map[string]any{"variables": map[string]string{"VMS_FALLBACK_DEST": dest}})
	if st != http.StatusOK {
		t.Fatalf("originate store: HTTP %d %s", st, body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, ok := a.DBGet(t, "vms-fallback", key)
		if (dest == "" && !ok) || (ok && got == dest) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("AstDB vms-fallback/%s = %q (exists %v); want %q", key, got, ok, dest)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
