package ari

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/vmsplatform/vms/engine"
	"github.com/vmsplatform/vms/test/astertest"
)

// nextEndpointState reads the Inbox until endpoint is reported in state
// want, skipping other events and other states (ARI reports one change
// through several events).
func nextEndpointState(t *testing.T, ctx context.Context, c *Client, endpoint string, want engine.EndpointState) {
	t.Helper()
	for {
		ev, err := c.Inbox().Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %s %s: %v", endpoint, want, err)
		}
		if e, ok := ev.(engine.EndpointStateChanged); ok && e.Endpoint == endpoint && e.State == want {
			return
		}
	}
}

// TestAgentEndpointOnAsterisk provisions an agent's softphone endpoint on a
// real Asterisk, registers a SIP phone on it, and follows its presence
// through unregistration, a phone that stops answering qualify, an
// Asterisk restart and the endpoint's removal.
func TestAgentEndpointOnAsterisk(t *testing.T) {
	if testing.Short() {
		t.Skip("real Asterisk: not in -short")
	}
	a := astertest.Start(t, astertest.Options{})
	c := connect(t, a)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const name, ep = "vmsagent12", "PJSIP/vmsagent12"

	if err := c.ProvisionEndpoint(ctx, name, "first-secret"); err != nil {
		t.Fatal(err)
	}
	// Provisioning again replaces the password.
	if err := c.ProvisionEndpoint(ctx, name, "second-secret"); err != nil {
		t.Fatal(err)
	}
	status, body := a.ARI(t, http.MethodGet, "/ari/asterisk/config/dynamic/res_pjsip/endpoint/"+name, nil)
	if status != http.StatusOK {
		t.Fatalf("endpoint config: %d %s", status, body)
	}
	var fields []configField
	if err := json.Unmarshal(body, &fields); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range fields {
		got[f.Attribute] = f.Value
	}
	for k, want := range map[string]string{"webrtc": "yes", "context": AgentContext, "aors": name, "auth": name, "allow": "(opus|ulaw)"} {
		if got[k] != want {
			t.Errorf("endpoint %s = %q, want %q", k, got[k], want)
		}
	}

	st, err := c.WatchEndpoint(ctx, ep)
	if err != nil {
		t.Fatal(err)
	}
	if st != engine.EndpointOffline {
		t.Fatalf("new endpoint is %s, want offline", st)
	}

	ua := newSIPUA(t, a.SIPAddr(), name)
	if code := ua.register("first-secret", 60); code == 200 {
		t.Fatal("registered with the replaced password")
	}
	if code := ua.register("second-secret", 60); code != 200 {
		t.Fatalf("REGISTER: %d, want 200", code)
	}
	nextEndpointState(t, ctx, c, ep, engine.EndpointOnline)
	if st, err := c.WatchEndpoint(ctx, ep); err != nil || st != engine.EndpointOnline {
		t.Fatalf("state after REGISTER: %s, %v", st, err)
	}

	t.Log("unregister")
	if code := ua.register("second-secret", 0); code != 200 {
		t.Fatalf("unREGISTER: %d, want 200", code)
	}
	nextEndpointState(t, ctx, c, ep, engine.EndpointOffline)

	t.Log("register, then stop answering qualify")
	if code := ua.register("second-secret", 60); code != 200 {
		t.Fatalf("REGISTER: %d, want 200", code)
	}
	nextEndpointState(t, ctx, c, ep, engine.EndpointOnline)
	ua.answer.Store(false)
	nextEndpointState(t, ctx, c, ep, engine.EndpointOffline)
	ua.answer.Store(true)
	if ua.options.Load() == 0 {
		t.Error("the phone was never qualified")
	}

	t.Log("restart Asterisk")
	if code := ua.register("second-secret", 0); code != 200 {
		t.Fatalf("unREGISTER: %d, want 200", code)
	}
	a.Restart(t)
	// The endpoint survived in AstDB; the watch is made again after the
	// reconnect and reports the current state.
	nextOf[engine.Reconnected](t, ctx, c.Inbox())
	nextEndpointState(t, ctx, c, ep, engine.EndpointOffline)
	if code := ua.register("second-secret", 60); code != 200 {
		t.Fatalf("REGISTER after the restart: %d, want 200", code)
	}
	nextEndpointState(t, ctx, c, ep, engine.EndpointOnline)

	t.Log("remove")
	if err := c.RemoveEndpoint(ctx, name); err != nil {
		t.Fatal(err)
	}
	// Asterisk drops its endpoint snapshot a moment after the sorcery
	// object (asynchronously, more so with a contact registered).
	for deadline := time.Now().Add(5 * time.Second); ; {
		status, body := a.ARI(t, http.MethodGet, "/ari/endpoints/PJSIP/"+name, nil)
		if status == http.StatusNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("endpoint 5 s after removal: %d %s, want 404", status, body)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := c.RemoveEndpoint(ctx, name); err != nil {
		t.Errorf("removing twice: %v", err)
	}
	if _, err := c.WatchEndpoint(ctx, ep); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("watching the removed endpoint: %v, want ErrNotFound", err)
	}
	if code := ua.register("second-secret", 60); code == 200 {
		t.Error("registered on the removed endpoint")
	}

	t.Log("provision again: watched without asking")
	if err := c.ProvisionEndpoint(ctx, name, "third-secret"); err != nil {
		t.Fatal(err)
	}
	if code := ua.register("third-secret", 60); code != 200 {
		t.Fatalf("REGISTER on the new endpoint: %d, want 200", code)
	}
	nextEndpointState(t, ctx, c, ep, engine.EndpointOnline)

	t.Log("a second phone replaces the first")
	ua2 := newSIPUA(t, a.SIPAddr(), name)
	if code := ua2.register("third-secret", 60); code != 200 {
		t.Fatalf("REGISTER of the second phone: %d, want 200", code)
	}
	waitFor(t, "second phone qualified", func() bool { return ua2.options.Load() > 0 })
	waitFor(t, "endpoint online", func() bool {
		st, err := c.WatchEndpoint(ctx, ep)
		return err == nil && st == engine.EndpointOnline
	})
	time.Sleep(time.Second) // let the events of the replacement arrive
	last := engine.EndpointUnknown
	for {
		ev, ok := c.Inbox().TryNext()
		if !ok {
			break
		}
		if e, ok := ev.(engine.EndpointStateChanged); ok && e.Endpoint == ep {
			last = e.State
		}
	}
	if last != engine.EndpointOnline && last != engine.EndpointUnknown {
		t.Errorf("after the second phone replaced the first, the last state reported is %s, want online", last)
	}

	// Endpoints of pjsip.conf cannot be changed at run time.
	if err := c.ProvisionEndpoint(ctx, "trunk", "x"); err == nil {
		t.Error("provisioning over the configured trunk succeeded")
	}
}

func TestContactStatusChange(t *testing.T) {
	c, err := New(Config{URL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	ev := func(status, state string) string {
		return `{"type":"ContactStatusChange",` + ts + `,"endpoint":{"technology":"PJSIP","resource":"vmsagent12","state":"` + state +
			`"},"contact_info":{"uri":"sip:vmsagent12@127.0.0.1:5062","contact_status":"` + status + `","aor":"vmsagent12"}}`
	}
	tests := []struct {
		raw  string
		want []engine.Event
	}{
		{ev("Reachable", "online"), []engine.Event{engine.EndpointStateChanged{Endpoint: "PJSIP/vmsagent12", State: engine.EndpointOnline, At: t0}}},
		{ev("Unreachable", "offline"), []engine.Event{engine.EndpointStateChanged{Endpoint: "PJSIP/vmsagent12", State: engine.EndpointOffline, At: t0}}},
		{ev("Removed", "offline"), []engine.Event{engine.EndpointStateChanged{Endpoint: "PJSIP/vmsagent12", State: engine.EndpointOffline, At: t0}}},
		// Just registered, not qualified yet: the endpoint is still offline.
		{ev("NonQualified", "offline"), nil},
		// An old registration replaced by a new one: the endpoint stays online.
		{ev("Removed", "online"), nil},
		{ev("Unknown", "unknown"), nil},
		{`{"type":"ContactStatusChange",` + ts + `,"endpoint":{"technology":"PJSIP","resource":"x","state":"online"}}`, nil},
	}
	for _, tc := range tests {
		m, err := DecodeMessage([]byte(tc.raw))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.translate(m); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", tc.raw, got, tc.want)
		}
	}
}

// Watched endpoints are subscribed again after a reconnect, and their
// state at that moment is reported.
func TestWatchedEndpointsAfterReconnect(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f := newFakeARI(t)
	f.reply(http.MethodGet, "/ari/endpoints/PJSIP/vmsagent12", 200, `{"technology":"PJSIP","resource":"vmsagent12","state":"offline"}`)
	f.reply(http.MethodGet, "/ari/endpoints/PJSIP/vmsagent13", 200, `{"technology":"PJSIP","resource":"vmsagent13","state":"online"}`)
	c := newTestClient(t, f)
	runClient(t, c)
	ws := f.accept(ctx)
	nextOf[engine.Reconnected](t, ctx, c.Inbox())

	for ep, want := range map[string]engine.EndpointState{"PJSIP/vmsagent12": engine.EndpointOffline, "PJSIP/vmsagent13": engine.EndpointOnline} {
		if st, err := c.WatchEndpoint(ctx, ep); err != nil || st != want {
			t.Fatalf("WatchEndpoint(%s) = %s, %v; want %s", ep, st, err, want)
		}
	}
	if err := c.UnwatchEndpoint(ctx, "PJSIP/vmsagent13"); err != nil {
		t.Fatal(err)
	}
	if r := f.last(); r.Method != http.MethodDelete || r.Path != "/ari/applications/vms/subscription" || r.Query.Get("eventSource") != "endpoint:PJSIP/vmsagent13" {
		t.Errorf("unwatch request %+v", r)
	}
	if _, err := c.WatchEndpoint(ctx, "vmsagent12"); !errors.Is(err, engine.ErrInvalid) {
		t.Errorf("watch without technology: %v", err)
	}
	subscriptions := func() (n int) {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, r := range f.requests {
			if r.Method == http.MethodPost && r.Path == "/ari/applications/vms/subscription" && r.Query.Get("eventSource") == "endpoint:PJSIP/vmsagent12" {
				n++
			}
		}
		return n
	}
	before := subscriptions()

	// The endpoint came online while the connection was down.
	f.reply(http.MethodGet, "/ari/endpoints/PJSIP/vmsagent12", 200, `{"technology":"PJSIP","resource":"vmsagent12","state":"online"}`)
	ws.Close(websocket.StatusGoingAway, "restart")
	f.accept(ctx)
	nextOf[engine.Reconnected](t, ctx, c.Inbox())
	if e := nextOf[engine.EndpointStateChanged](t, ctx, c.Inbox()); e.Endpoint != "PJSIP/vmsagent12" || e.State != engine.EndpointOnline {
		t.Fatalf("after reconnect: %+v, want PJSIP/vmsagent12 online", e)
	}
	if n := subscriptions(); n != before+1 {
		t.Errorf("%d subscriptions after the reconnect, want %d", n, before+1)
	}
	// The unwatched endpoint is not reported.
	if ev, ok := c.Inbox().TryNext(); ok {
		t.Errorf("unexpected event %#v", ev)
	}
}

func TestEventFilterLetsPresenceThrough(t *testing.T) {
	for _, want := range []string{"EndpointStateChange", "ContactStatusChange"} {
		if !slices.Contains(wantedEvents, want) {
			t.Errorf("event filter lacks %s", want)
		}
	}
}
