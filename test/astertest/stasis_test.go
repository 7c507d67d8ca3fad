package astertest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/vmsplatform/vms/test/astertest"
	"github.com/vmsplatform/vms/test/sipptest"
)

// TestInboundEntersConnectedApp is the other side of ENG-3: with an ARI
// client holding the "vms" application (EventsURL), an inbound call enters
// it with args ["inbound", <number>] and is NOT sent to the fallback.
func TestInboundEntersConnectedApp(t *testing.T) {
	fallback := sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.Answer})
	callerPort := sipptest.FreeUDPPort(t)
	a := astertest.Start(t, astertest.Options{
		Callers:      []astertest.Caller{{Name: "trunk", Port: callerPort}},
		Destinations: []astertest.Destination{{Name: "dest-a", Port: fallback.Port}},
		Globals:      map[string]string{"VMS_FALLBACK_DEFAULT": "PJSIP/0611111111@dest-a"},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, a.EventsURL(""), nil)
	if err != nil {
		t.Fatalf("events websocket: %v", err)
	}
	defer ws.CloseNow()

	type event struct {
		Type    string   `json:"type"`
		Args    []string `json:"args"`
		Channel struct {
			ID string `json:"id"`
		} `json:"channel"`
	}
	started := make(chan event, 1)
	go func() {
		for {
			_, data, err := ws.Read(ctx)
			if err != nil {
				return
			}
			var ev event
			if json.Unmarshal(data, &ev) != nil || ev.Type != "StasisStart" {
				continue
			}
			started <- ev
			// The test's "controller" rejects the call: hang it up.
			req, _ := http.NewRequestWithContext(ctx, http.MethodDelete,
				a.ARIURL+"/ari/channels/"+url.PathEscape(ev.Channel.ID)+"?reason=busy", nil)
			req.SetBasicAuth(a.ARIUser, a.ARIPassword)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
			return
		}
	}()

	res := sipptest.Call(t, sipptest.CallOptions{Target: a.SIPAddr(), Number: "3221234567", LocalPort: callerPort, CallTimeout: 10 * time.Second})
	select {
	case ev := <-started:
		if len(ev.Args) != 2 || ev.Args[0] != "inbound" || ev.Args[1] != "3221234567" {
			t.Fatalf("StasisStart args %q; want [inbound 3221234567]", ev.Args)
		}
	default:
		t.Fatalf("no StasisStart; call ended with %d", res.FinalStatus)
	}
	if res.FinalStatus != 486 {
		t.Errorf("caller got %d; want 486 (hung up by the app with reason busy)", res.FinalStatus)
	}
	if inv := fallback.Invites(); len(inv) != 0 {
		t.Fatalf("fallback got %d INVITEs while the app was connected", len(inv))
	}
}
