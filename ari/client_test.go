package ari

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/vmsplatform/vms/engine"
)

func TestRESTErrorMapping(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		want    error
		wantMsg string
	}{
		{"not found", 404, `{"message":"Channel not found"}`, engine.ErrNotFound, "Channel not found"},
		{"not in stasis", 409, `{"message":"Channel not in Stasis application"}`, engine.ErrConflict, "Channel not in Stasis application"},
		{"precondition", 412, `{"message":"Channel in invalid state"}`, engine.ErrConflict, "invalid state"},
		{"bad request", 400, `{"message":"Invalid endpoint"}`, engine.ErrInvalid, "Invalid endpoint"},
		{"unprocessable", 422, `{"message":"Bridge not found"}`, engine.ErrInvalid, "Bridge not found"},
		{"unavailable", 503, `{"error":"Service Unavailable"}`, engine.ErrDisconnected, "Service Unavailable"},
		{"server error, body not json", 500, `oops`, nil, "Internal Server Error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeARI(t)
			c := newTestClient(t, f)
			f.reply(http.MethodPost, "/ari/channels/c1/answer", tc.status, tc.body)
			err := c.Answer(context.Background(), "c1")
			if err == nil {
				t.Fatal("Answer succeeded, want an error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			var se *StatusError
			if !errors.As(err, &se) || se.Code != tc.status {
				t.Errorf("err = %v, want a StatusError %d", err, tc.status)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) || !strings.HasPrefix(err.Error(), "ari: answer c1: ") {
				t.Errorf("err = %q, want prefix %q and message %q", err, "ari: answer c1: ", tc.wantMsg)
			}
		})
	}
	t.Run("channel that already left the application", func(t *testing.T) {
		f := newFakeARI(t)
		c := newTestClient(t, f)
		msg, _ := DecodeMessage([]byte(`{"type":"StasisEnd","channel":{"id":"c1"}}`))
		c.translate(msg)
		f.reply(http.MethodPost, "/ari/channels/c1/answer", 500, `{"message":"Failed to answer channel"}`)
		if err := c.Answer(context.Background(), "c1"); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("server down", func(t *testing.T) {
		f := newFakeARI(t)
		c := newTestClient(t, f)
		f.srv.Close()
		if err := c.Answer(context.Background(), "c1"); !errors.Is(err, engine.ErrDisconnected) {
			t.Errorf("err = %v, want ErrDisconnected", err)
		}
	})
	t.Run("closed client", func(t *testing.T) {
		f := newFakeARI(t)
		c := newTestClient(t, f)
		c.Close()
		if err := c.Answer(context.Background(), "c1"); !errors.Is(err, engine.ErrClosed) {
			t.Errorf("err = %v, want ErrClosed", err)
		}
	})
}

func TestCommandRequests(t *testing.T) {
	type want struct {
		method, path string
		query        map[string]string
		body         string
	}
	tests := []struct {
		name string
		do   func(context.Context, *Client) error
		want want
	}{
		{"originate", func(ctx context.Context, c *Client) error {
			return c.Originate(ctx, engine.OriginateRequest{
				ID: "leg-1", Endpoint: "PJSIP/0612345678@trunk-out", CallerID: "0601020304",
				Timeout: 29500 * time.Millisecond, Formats: []string{"opus", "ulaw"},
				Variables: map[string]string{"VMS_CALL": "42"}, Args: []string{"outbound", "42"}, Originator: "in-1",
			})
		}, want{"POST", "/ari/channels/leg-1", map[string]string{
			"endpoint": "PJSIP/0612345678@trunk-out", "app": "vms", "callerId": "0601020304",
			"timeout": "30", "formats": "opus,ulaw", "appArgs": "outbound,42",
		}, `{"variables":{"VMS_CALL":"42"}}`}},
		{"originate with originator, no formats", func(ctx context.Context, c *Client) error {
			return c.Originate(ctx, engine.OriginateRequest{ID: "leg-2", Endpoint: "PJSIP/1@trunk-out", Originator: "in-1"})
		}, want{"POST", "/ari/channels/leg-2", map[string]string{"endpoint": "PJSIP/1@trunk-out", "app": "vms", "originator": "in-1"}, ""}},
		{"play several media", func(ctx context.Context, c *Client) error {
			return c.Play(ctx, "in-1", "pb-1", "sound:http://vms/prompts/a.wav", "sound:beep")
		}, want{"POST", "/ari/channels/in-1/play/pb-1", map[string]string{"media": "sound:http://vms/prompts/a.wav,sound:beep"}, ""}},
		{"hangup busy", func(ctx context.Context, c *Client) error { return c.Hangup(ctx, "in-1", engine.HangupBusy) },
			want{"DELETE", "/ari/channels/in-1", map[string]string{"reason": "busy"}, ""}},
		{"hangup default reason", func(ctx context.Context, c *Client) error { return c.Hangup(ctx, "in-1", "") },
			want{"DELETE", "/ari/channels/in-1", map[string]string{"reason": "normal"}, ""}},
		{"ring", func(ctx context.Context, c *Client) error { return c.Ring(ctx, "in-1") },
			want{"POST", "/ari/channels/in-1/ring", nil, ""}},
		{"holding bridge", func(ctx context.Context, c *Client) error { return c.CreateBridge(ctx, "q-1", engine.BridgeHolding) },
			want{"POST", "/ari/bridges/q-1", map[string]string{"type": "holding"}, ""}},
		{"add to bridge", func(ctx context.Context, c *Client) error { return c.AddToBridge(ctx, "b-1", "in-1") },
			want{"POST", "/ari/bridges/b-1/addChannel", map[string]string{"channel": "in-1"}, ""}},
		{"stop playback", func(ctx context.Context, c *Client) error { return c.StopPlayback(ctx, "pb-1") },
			want{"DELETE", "/ari/playbacks/pb-1", nil, ""}},
		{"moh", func(ctx context.Context, c *Client) error { return c.StartMOH(ctx, "in-1", "tenant42") },
			want{"POST", "/ari/channels/in-1/moh", map[string]string{"mohClass": "tenant42"}, ""}},
		{"record", func(ctx context.Context, c *Client) error {
			return c.StartRecording(ctx, engine.RecordRequest{ID: "rec-1", Channel: "in-1", MaxDuration: time.Hour})
		}, want{"POST", "/ari/channels/in-1/record", map[string]string{"name": "rec-1", "format": "wav", "ifExists": "fail", "maxDurationSeconds": "3600"}, ""}},
		{"fallback (ENG-3) writes AstDB through the dialplan", func(ctx context.Context, c *Client) error {
			return c.SetFallback(ctx, "+3221234567", "PJSIP/0612345678@trunk-out")
		}, want{"POST", "/ari/channels", map[string]string{
			"endpoint": "Local/3221234567@vms-fallback-store", "context": "vms-fallback-store", "extension": "done", "priority": "1",
		}, `{"variables":{"VMS_FALLBACK_DEST":"PJSIP/0612345678@trunk-out"}}`}},
		{"ids are path-escaped", func(ctx context.Context, c *Client) error { return c.Answer(ctx, "a/b c") },
			want{"POST", "/ari/channels/a/b c/answer", nil, ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeARI(t)
			c := newTestClient(t, f)
			if err := tc.do(context.Background(), c); err != nil {
				t.Fatal(err)
			}
			got := f.last()
			if got.Method != tc.want.method || got.Path != tc.want.path {
				t.Errorf("request %s %s, want %s %s", got.Method, got.Path, tc.want.method, tc.want.path)
			}
			if got.User != "vms" {
				t.Errorf("basic auth user %q, want vms", got.User)
			}
			for k, v := range tc.want.query {
				if got.Query.Get(k) != v {
					t.Errorf("query %s = %q, want %q", k, got.Query.Get(k), v)
				}
			}
			if len(got.Query) != len(tc.want.query) && tc.name != "record" {
				t.Errorf("query %v has extra parameters, want %v", got.Query, tc.want.query)
			}
			if strings.TrimSpace(got.Body) != tc.want.body {
				t.Errorf("body %q, want %q", got.Body, tc.want.body)
			}
		})
	}
}

func TestCommandValidation(t *testing.T) {
	f := newFakeARI(t)
	c := newTestClient(t, f)
	ctx := context.Background()
	for name, err := range map[string]error{
		"originate without id":  c.Originate(ctx, engine.OriginateRequest{Endpoint: "PJSIP/1@t"}),
		"play without media":    c.Play(ctx, "c", "pb"),
		"unknown bridge kind":   c.CreateBridge(ctx, "b", "weird"),
		"fallback number slash": c.SetFallback(ctx, "12/34", "PJSIP/1@t"),
		"fallback empty number": c.SetFallback(ctx, "+", "PJSIP/1@t"),
	} {
		if !errors.Is(err, engine.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

func TestReconnectAdoptsChannels(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f := newFakeARI(t)
	c := newTestClient(t, f)
	runClient(t, c)

	ws := f.accept(ctx)
	first := nextOf[engine.Reconnected](t, ctx, c.Inbox())
	if !first.Initial || len(first.Adopted) != 0 {
		t.Errorf("first connection: %+v, want initial, nothing adopted", first)
	}

	// Asterisk goes away while two calls sit in Stasis; they are still
	// there when the client comes back.
	f.setAdopted("call-1", "call-2")
	ws.Close(websocket.StatusGoingAway, "restart")
	nextOf[engine.Disconnected](t, ctx, c.Inbox())
	ws = f.accept(ctx)
	again := nextOf[engine.Reconnected](t, ctx, c.Inbox())
	if again.Initial || !slices.Equal(again.Adopted, []engine.ChannelID{"call-1", "call-2"}) {
		t.Errorf("reconnection: %+v, want not initial, adopted call-1 call-2", again)
	}

	// Events flow on the new connection.
	sub := c.Subscribe("call-1")
	writeEvent(t, ctx, ws, `{"type":"ChannelDtmfReceived","digit":"7","duration_ms":90,"channel":{"id":"call-1"}}`)
	if d := nextOf[engine.DTMFReceived](t, ctx, sub); d.Digit != "7" {
		t.Errorf("digit %q, want 7", d.Digit)
	}
}

func TestSlowConsumerDoesNotBlockReader(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	f := newFakeARI(t)
	c := newTestClient(t, f)
	slow := c.Subscribe("slow") // never read
	fast := c.Subscribe("fast")
	runClient(t, c)
	ws := f.accept(ctx)
	nextOf[engine.Reconnected](t, ctx, c.Inbox())

	// Events for a call nobody reads, then one for another call: a reader
	// that waited for the slow consumer would never deliver the last one,
	// and would stall the writer the way Asterisk's 100 ms write timeout
	// punishes.
	pad := strings.Repeat("x", 200)
	const n = 2000
	for i := range n {
		wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
		raw := fmt.Sprintf(`{"type":"ChannelDtmfReceived","digit":"1","duration_ms":%d,"channel":{"id":"slow","name":"%s"}}`, i, pad)
		err := ws.Write(wctx, websocket.MessageText, []byte(raw))
		wcancel()
		if err != nil {
			t.Fatalf("write %d stalled: %v", i, err)
		}
	}
	writeEvent(t, ctx, ws, `{"type":"ChannelDtmfReceived","digit":"9","channel":{"id":"fast"}}`)
	if d := nextOf[engine.DTMFReceived](t, ctx, fast); d.Digit != "9" {
		t.Errorf("fast call got %q, want 9", d.Digit)
	}
	// Nothing was lost for the slow call either, in order.
	for i := range n {
		ev, _ := slow.TryNext()
		if d, ok := ev.(engine.DTMFReceived); !ok || d.DurationMs != i {
			t.Fatalf("slow event %d = %#v", i, ev)
		}
	}
}

func TestLargeEventAboveDefaultReadLimit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f := newFakeARI(t)
	c := newTestClient(t, f)
	sub := c.Subscribe("big")
	runClient(t, c)
	ws := f.accept(ctx)
	nextOf[engine.Reconnected](t, ctx, c.Inbox())
	vars, _ := json.Marshal(map[string]string{"BIG": strings.Repeat("v", 100<<10)})
	writeEvent(t, ctx, ws, `{"type":"ChannelDtmfReceived","digit":"3","channel":{"id":"big","channelvars":`+string(vars)+`}}`)
	if d := nextOf[engine.DTMFReceived](t, ctx, sub); d.Digit != "3" {
		t.Errorf("digit %q, want 3", d.Digit)
	}
}

func TestContinueIsNotAHangup(t *testing.T) {
	f := newFakeARI(t)
	c := newTestClient(t, f)
	if err := c.Continue(context.Background(), "in-1", "vms-bench-plain", "0612345678"); err != nil {
		t.Fatal(err)
	}
	got := f.last()
	if got.Path != "/ari/channels/in-1/continue" || got.Query.Get("context") != "vms-bench-plain" || got.Query.Get("extension") != "0612345678" {
		t.Errorf("request %s %v", got.Path, got.Query)
	}
	m, _ := DecodeMessage([]byte(`{"type":"StasisEnd","channel":{"id":"in-1"}}`))
	if evs := c.translate(m); len(evs) != 0 {
		t.Errorf("StasisEnd after continue gave %v, want nothing", evs)
	}
	// A later StasisEnd of the same channel (it came back and left again)
	// is a hangup again.
	if evs := c.translate(m); len(evs) != 1 {
		t.Errorf("second StasisEnd gave %v, want a ChannelHungup", evs)
	}
}
