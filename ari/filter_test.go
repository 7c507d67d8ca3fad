package ari

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/vmsplatform/vms/engine"
)

// TestEventFilterSetOnConnect: every connection asks Asterisk for the
// event types the driver uses only, and a refusal does not stop the
// driver.
func TestEventFilterSetOnConnect(t *testing.T) {
	for _, refuse := range []bool{false, true} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		f := newFakeARI(t)
		if refuse {
			f.reply(http.MethodPut, "/ari/applications/vms/eventFilter", 404, `{"message":"Resource not found"}`)
		}
		c := newTestClient(t, f)
		runClient(t, c)
		f.accept(ctx)
		nextOf[engine.Reconnected](t, ctx, c.Inbox())
		var filter *recordedRequest
		f.mu.Lock()
		for i := range f.requests {
			if r := f.requests[i]; r.Method == http.MethodPut && r.Path == "/ari/applications/vms/eventFilter" {
				filter = &r
			}
		}
		f.mu.Unlock()
		if filter == nil {
			t.Fatalf("refuse=%v: no event filter request", refuse)
		}
		var body struct {
			Allowed []struct{ Type string } `json:"allowed"`
		}
		if err := json.Unmarshal([]byte(filter.Body), &body); err != nil {
			t.Fatalf("filter body %q: %v", filter.Body, err)
		}
		got := map[string]bool{}
		for _, a := range body.Allowed {
			got[a.Type] = true
		}
		for _, want := range []string{"StasisStart", "StasisEnd", "ChannelDestroyed", "Dial", "ChannelDtmfReceived", "PlaybackFinished", "EndpointStateChange"} {
			if !got[want] {
				t.Errorf("refuse=%v: filter lacks %s: %v", refuse, want, body.Allowed)
			}
		}
		if got["ChannelVarset"] || got["ChannelDialplan"] {
			t.Errorf("filter lets chatty events through: %v", body.Allowed)
		}
		cancel()
	}
}
