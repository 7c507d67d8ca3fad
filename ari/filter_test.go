package ari

import (
	"context"
	"encoding/json"
	"errors"
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

// TestChannelLeftStasisIsNotFound: a command racing with the caller's
// hang-up is answered 422 "Channel not in Stasis application"; the
// controller must see the channel gone, not a failure of its own.
func TestChannelLeftStasisIsNotFound(t *testing.T) {
	f := newFakeARI(t)
	c := newTestClient(t, f)
	f.reply(http.MethodPost, "/ari/bridges/b1/addChannel", 422, `{"message":"Channel not in Stasis application"}`)
	if err := c.AddToBridge(context.Background(), "b1", "c1"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
	f.reply(http.MethodPost, "/ari/bridges/b2/addChannel", 422, `{"message":"Bridge is not a holding bridge"}`)
	if err := c.AddToBridge(context.Background(), "b2", "c1"); !errors.Is(err, engine.ErrInvalid) {
		t.Errorf("err = %v, want ErrInvalid", err)
	}
}
