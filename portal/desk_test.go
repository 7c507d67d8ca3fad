package portal

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/vmsplatform/vms/acd"
	"github.com/vmsplatform/vms/center"
	"github.com/vmsplatform/vms/credential"
	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/test/browsertest"
)

// withCenter gives tenants A and B the ACM option and rebuilds the
// harness's portal around a real, in-process contact centre: A's agent
// user is agent 11 in group "sales" (pause reasons "lunch" and
// "training"), B's agent user is agent 21. mod adjusts the portal's
// configuration.
func (h *harness) withCenter(mod func(*Config)) *center.Service {
	h.t.Helper()
	return h.withCenterConfig(center.Config{}, mod)
}

// withCenterConfig is withCenter with a centre configured by cc.
func (h *harness) withCenterConfig(cc center.Config, mod func(*Config)) *center.Service {
	h.t.Helper()
	for _, f := range []*tenantFixture{&h.A, &h.B} {
		f.T.Options = "acm"
		if err := h.st.UpdateTenant(h.ctx(), store.System, f.T); err != nil {
			h.t.Fatal(err)
		}
	}
	cs := center.New(cc)
	err := cs.Apply(center.Directory{
		Groups: []center.Group{
			{ID: "7", TenantID: h.A.T.ID, Key: "sales", Name: "Sales",
				Config: acd.GroupConfig{ID: "7", RingTimeout: 15 * time.Second, WrapUp: 10 * time.Second, Target: acd.ServiceLevel{Percent: 80, Within: 20 * time.Second}}},
			{ID: "9", TenantID: h.B.T.ID, Key: "sales", Name: "Bravo sales", Config: acd.GroupConfig{ID: "9"}},
		},
		Agents: []center.Agent{
			{ID: "11", TenantID: h.A.T.ID, UserID: h.A.Agent.ID, Name: "Ann Agent", Endpoint: center.Endpoint(11),
				Config: acd.AgentConfig{ID: "11", Groups: map[acd.GroupID]acd.Level{"7": 5}}},
			{ID: "21", TenantID: h.B.T.ID, UserID: h.B.Agent.ID, Name: "Bob Bravo", Endpoint: center.Endpoint(21),
				Config: acd.AgentConfig{ID: "21", Groups: map[acd.GroupID]acd.Level{"9": 5}}},
		},
		PauseReasons: map[uint][]string{h.A.T.ID: {"lunch", "training"}},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	cfg := h.srv.cfg
	cfg.Center = cs
	if mod != nil {
		mod(&cfg)
	}
	srv, err := New(cfg, h.st, h.mailer, nil, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	h.srv = srv
	return cs
}

// fakeProvisioner records the endpoints the portal provisions.
type fakeProvisioner struct {
	mu   sync.Mutex
	pass map[string]string
	fail error // returned instead of provisioning, when set
}

func (f *fakeProvisioner) ProvisionEndpoint(ctx context.Context, name, password string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	if f.pass == nil {
		f.pass = map[string]string{}
	}
	f.pass[name] = password
	return nil
}

// TestDeskStates drives an agent's state through the desktop's JSON API
// (ACM-3, ACM-6) and checks the refusals.
func TestDeskStates(t *testing.T) {
	h := sqliteHarness(t)
	cs := h.withCenter(nil)
	A := h.A

	var v deskView
	r := h.api(A.Agent, "GET", "/api/v1/desk", nil)
	r.json(t, &v)
	if r.Status != 200 || v.State != "logged_out" || v.Name != "Ann Agent" || strings.Join(v.PauseReasons, ",") != "lunch,training" {
		t.Fatalf("desk: %d %+v", r.Status, v)
	}
	steps := []struct {
		name   string
		body   any
		status int
		state  string
		field  string
	}{
		{"log in", map[string]any{"state": "available"}, 200, "available", ""},
		{"log in again", map[string]any{"state": "available"}, 200, "available", ""},
		{"unknown reason", map[string]any{"state": "paused", "reason": "nap"}, 422, "available", "reason"},
		{"no state", map[string]any{}, 422, "available", "state"},
		{"bad state", map[string]any{"state": "talking"}, 422, "available", "state"},
		{"unknown field", map[string]any{"state": "paused", "agent_id": "21"}, 422, "available", "agent_id"},
		{"state of wrong type", `{"state": 1}`, 422, "available", "state"},
		{"not JSON", `{state:`, 422, "available", ""},
		{"pause", map[string]any{"state": "paused", "reason": "lunch"}, 200, "paused", ""},
		{"resume", map[string]any{"state": "available"}, 200, "available", ""},
		{"log out", map[string]any{"state": "logged_out"}, 200, "logged_out", ""},
		{"pause while logged out", map[string]any{"state": "paused"}, 409, "logged_out", ""},
	}
	for _, s := range steps {
		r := h.api(A.Agent, "POST", "/api/v1/desk/state", s.body)
		if r.Status != s.status {
			t.Fatalf("%s: status %d, want %d: %s", s.name, r.Status, s.status, r.Body)
		}
		if s.field != "" {
			if e := r.apiErr(t); e.Field != s.field {
				t.Errorf("%s: error field %q, want %q", s.name, e.Field, s.field)
			}
		}
		snap := cs.Snapshot(A.T.ID)
		if got := snap.Agents[0].View.State.String(); got != s.state {
			t.Errorf("%s: center state %s, want %s", s.name, got, s.state)
		}
	}
	if st := cs.Snapshot(A.T.ID).Agents[0]; st.View.State != acd.LoggedOut {
		t.Errorf("final state %v", st.View.State)
	}
	// Pause reason shown after a pause.
	h.api(A.Agent, "POST", "/api/v1/desk/state", map[string]any{"state": "available"})
	r = h.api(A.Agent, "POST", "/api/v1/desk/state", map[string]any{"state": "paused", "reason": "training"})
	r.json(t, &v)
	if v.State != "paused" || v.Reason != "training" {
		t.Errorf("paused view %+v", v)
	}

	// Not an agent: a clear refusal, on the API and the page.
	r = h.api(A.RO, "GET", "/api/v1/desk", nil)
	if r.Status != 403 || !strings.Contains(r.apiErr(t).Message, "not set up as an agent") {
		t.Errorf("non-agent API: %d %s", r.Status, r.Body)
	}
	p := h.page(A.RO, "GET", "/desk", nil)
	if p.Status != 403 || !strings.Contains(p.Body, "not set up as an agent") {
		t.Errorf("non-agent page: %d %.300s", p.Status, p.Body)
	}
	p = h.page(A.Agent, "GET", "/desk", nil)
	if p.Status != 200 || !strings.Contains(p.Body, `id="desk"`) || !strings.Contains(p.Body, `id="desk-emails"`) || !strings.Contains(p.Body, "Ann Agent") {
		t.Errorf("agent page: %d %.300s", p.Status, p.Body)
	}
	// B's agent acts on its own agent only.
	if r := h.api(h.B.Agent, "POST", "/api/v1/desk/state", map[string]any{"state": "available"}); r.Status != 200 {
		t.Fatalf("B's agent: %d %s", r.Status, r.Body)
	}
	if st := cs.Snapshot(A.T.ID).Agents[0]; st.View.State != acd.Paused {
		t.Errorf("B's agent changed A's agent: %v", st.View.State)
	}
}

// TestDeskSoftphone checks the softphone credentials: a fresh password
// provisioned on the agent's own endpoint at every request.
func TestDeskSoftphone(t *testing.T) {
	h := sqliteHarness(t)
	h.withCenter(nil)
	if r := h.api(h.A.Agent, "POST", "/api/v1/desk/softphone", nil); r.Status != 503 {
		t.Errorf("without an engine: %d %s", r.Status, r.Body)
	}
	prov := &fakeProvisioner{}
	h.withCenter(func(c *Config) {
		c.Provisioner = prov
		c.SIPWebSocketURL = "wss://pbx.example.net:8089/ws"
	})
	var a, b softphoneView
	h.api(h.A.Agent, "POST", "/api/v1/desk/softphone", nil).json(t, &a)
	h.api(h.A.Agent, "POST", "/api/v1/desk/softphone", nil).json(t, &b)
	if a.URI != "sip:vmsagent11@pbx.example.net" || a.WSURL != "wss://pbx.example.net:8089/ws" || len(a.Password) < 32 || a.DisplayName != "Ann Agent" {
		t.Errorf("softphone %+v", a)
	}
	if a.Password == b.Password {
		t.Errorf("the same password twice")
	}
	if got := prov.pass["vmsagent11"]; got != b.Password {
		t.Errorf("provisioned %q, answered %q", got, b.Password)
	}
	if r := h.api(h.A.RO, "POST", "/api/v1/desk/softphone", nil); r.Status != 403 || len(prov.pass) != 1 {
		t.Errorf("non-agent: %d, provisioned %v", r.Status, prov.pass)
	}
	// The engine refuses: a clear 503, nothing half done.
	prov.fail = errors.New("ari: provision endpoint vmsagent11: connection refused")
	r := h.api(h.A.Agent, "POST", "/api/v1/desk/softphone", nil)
	if e := r.apiErr(t); r.Status != 503 || strings.Contains(e.Message, "ari") || !strings.Contains(e.Message, "could not be set up") {
		t.Errorf("engine down: %d %+v", r.Status, e)
	}
}

// sseClient reads a server-sent event stream.
type sseClient struct {
	t      *testing.T
	events chan string
	cancel func()
}

func openSSE(t *testing.T, url, cookie string) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		t.Fatalf("stream %s: %d %s", url, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	c := &sseClient{t: t, events: make(chan string, 100), cancel: cancel}
	go func() {
		defer resp.Body.Close()
		defer close(c.events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				c.events <- d
			}
		}
	}()
	t.Cleanup(cancel)
	return c
}

// next waits up to 2 s (the ACM-7 bound) for an event matching ok.
func (c *sseClient) next(v any, what string, ok func() bool) {
	c.t.Helper()
	deadline := time.After(2 * time.Second)
	for {
		select {
		case d, open := <-c.events:
			if !open {
				c.t.Fatalf("%s: the stream ended", what)
			}
			reflect.ValueOf(v).Elem().SetZero() // absent fields are absent
			if err := json.Unmarshal([]byte(d), v); err != nil {
				c.t.Fatalf("%s: event %q: %v", what, d, err)
			}
			if ok() {
				return
			}
		case <-deadline:
			c.t.Fatalf("%s: no such event within 2 s; last: %+v", what, v)
		}
	}
}

// TestDeskAndSupervisorEvents checks the live streams: a change in the
// centre reaches the agent's desktop and the supervisor screen.
func TestDeskAndSupervisorEvents(t *testing.T) {
	h := sqliteHarness(t)
	cs := h.withCenter(nil)
	srv := liveServer(t, h)
	agentTok, _ := h.session(h.A.Agent)
	supTok, _ := h.session(h.A.Sup)

	desk := openSSE(t, srv.URL+"/desk/events", agentTok)
	sup := openSSE(t, fmt.Sprintf("%s/tenants/%d/supervisor/events", srv.URL, h.A.T.ID), supTok)
	var dv deskView
	desk.next(&dv, "first desk event", func() bool { return dv.State == "logged_out" })
	var sv supervisorView
	sup.next(&sv, "first supervisor event", func() bool {
		return len(sv.Agents) == 1 && sv.Agents[0].State == "logged_out" && len(sv.Groups) == 1 && sv.Groups[0].Name == "Sales"
	})

	if err := cs.Login("11"); err != nil {
		t.Fatal(err)
	}
	desk.next(&dv, "desk after login", func() bool { return dv.State == "available" })
	sup.next(&sv, "supervisor after login", func() bool {
		return sv.Agents[0].State == "available" && sv.Groups[0].Agents["available"] == 1
	})

	// A call arrives: offered to the agent at once (it is available).
	if err := cs.SetRegistered("11", true); err != nil {
		t.Fatal(err)
	}
	info := center.ContactInfo{TenantID: h.A.T.ID, From: "+32475000001", To: "+3222110001", Path: []string{"start", "sales"}}
	tk, outcome, err := cs.EnqueueCall("call-1", "7", info)
	if err != nil || outcome != "" {
		t.Fatalf("enqueue: %v %q", err, outcome)
	}
	select {
	case d := <-tk.C:
		if d.Offer == nil || d.Offer.Agent != "11" {
			t.Fatalf("decision %+v", d)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no offer")
	}
	desk.next(&dv, "desk ringing", func() bool {
		return dv.State == "ringing" && dv.Call != nil && dv.Call.From == "+32475000001" && strings.Join(dv.Call.Path, ",") == "start,sales"
	})
	sup.next(&sv, "supervisor ringing", func() bool {
		a := sv.Agents[0]
		return a.State == "ringing" && a.Registered && a.Call != nil && a.Call.From == "+32475000001"
	})
	// A second caller waits in the queue.
	if _, _, err := cs.EnqueueCall("call-2", "7", center.ContactInfo{TenantID: h.A.T.ID, From: "+32475000002"}); err != nil {
		t.Fatal(err)
	}
	sup.next(&sv, "supervisor waiting", func() bool {
		g := sv.Groups[0]
		return g.Waiting == 1 && len(g.Contacts) == 1 && g.Contacts[0].From == "+32475000002"
	})
	if err := cs.Answered("call-1"); err != nil {
		t.Fatal(err)
	}
	if err := cs.Ended("call-1"); err != nil {
		t.Fatal(err)
	}
	desk.next(&dv, "desk wrap-up", func() bool { return dv.State == "wrap_up" && dv.WrapUpEnds != nil && dv.Call == nil })

	// Tenant B's stream never shows A's agents.
	bTok, _ := h.session(h.B.Sup)
	bs := openSSE(t, fmt.Sprintf("%s/tenants/%d/supervisor/events", srv.URL, h.B.T.ID), bTok)
	var bv supervisorView
	bs.next(&bv, "B's first event", func() bool { return len(bv.Agents) == 1 && bv.Agents[0].Name == "Bob Bravo" })
}

// TestSupervisorAccess: who reaches the supervisor screen and its API.
func TestSupervisorAccess(t *testing.T) {
	h := sqliteHarness(t)
	h.withCenter(nil)
	A := h.A
	if r := h.page(A.Sup, "GET", "/supervisor", nil); r.Status != 303 || r.Header.Get("Location") != fmt.Sprintf("/tenants/%d/supervisor", A.T.ID) {
		t.Errorf("/supervisor for a supervisor: %d %q", r.Status, r.Header.Get("Location"))
	}
	for _, u := range []*store.User{A.Agent, h.Op} {
		if r := h.page(u, "GET", "/supervisor", nil); r.Status != 403 {
			t.Errorf("/supervisor for %s: %d", u.Role, r.Status)
		}
	}
	var v supervisorView
	r := h.api(A.RO, "GET", fmt.Sprintf("/api/v1/tenants/%d/supervisor", A.T.ID), nil)
	r.json(t, &v)
	if r.Status != 200 || len(v.Agents) != 1 || v.Agents[0].Name != "Ann Agent" || len(v.Groups) != 1 || v.Groups[0].Agents["logged_out"] != 1 {
		t.Errorf("API for a read-only user: %d %+v", r.Status, v)
	}
	if r := h.page(h.OpRO, "GET", fmt.Sprintf("/tenants/%d/supervisor", A.T.ID), nil); r.Status != 200 || !strings.Contains(r.Body, "Ann Agent") {
		t.Errorf("page for operator staff: %d", r.Status)
	}
	// A customer without the contact centre option (Classic without it;
	// Outbound customers have agents for their campaigns): refused, naming it.
	if err := h.st.DB().Model(&store.Tenant{}).Where("id = ?", h.C.T.ID).UpdateColumn("formula", "Classic").Error; err != nil {
		t.Fatal(err)
	}
	if r := h.page(h.C.Admin, "GET", fmt.Sprintf("/tenants/%d/supervisor", h.C.T.ID), nil); r.Status != 403 || !strings.Contains(r.Body, "Agent Contact Management") {
		t.Errorf("tenant without ACM: %d %.300s", r.Status, r.Body)
	}
}

// TestStreamEndsWithSession: a stream whose session is gone (logged out
// elsewhere) ends at its next heartbeat.
func TestStreamEndsWithSession(t *testing.T) {
	h := sqliteHarness(t)
	h.withCenter(nil)
	h.srv.heartbeat = 50 * time.Millisecond
	srv := liveServer(t, h)
	tok, _ := h.session(h.A.Agent)
	desk := openSSE(t, srv.URL+"/desk/events", tok)
	var dv deskView
	desk.next(&dv, "first event", func() bool { return dv.State == "logged_out" })
	if err := h.st.DeleteSession(h.ctx(), credential.HashToken(tok)); err != nil {
		t.Fatal(err)
	}
	select {
	case _, open := <-desk.events:
		if open {
			t.Fatal("an event after the session ended")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the stream outlived its session")
	}
}

// TestSupervisorPageLive proves in Chromium that the supervisor screen
// follows the contact centre without a reload (ACM-7), and that the
// desktop's buttons change the agent's state.
func TestSupervisorPageLive(t *testing.T) {
	b := browsertest.Start(t, browsertest.Options{})
	h := sqliteHarness(t)
	// A history sample every 100 ms, so the chart has points to draw.
	cs := h.withCenterConfig(center.Config{HistoryEvery: 100 * time.Millisecond}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { cs.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	time.Sleep(250 * time.Millisecond) // a first sample or two
	srv := liveServer(t, h)
	tok, _ := h.session(h.A.Sup)
	browsertest.Run(b, "set the session cookie", func(ctx context.Context, tg *chromedp.Target) (cdp.Empty, error) {
		return cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{Name: sessionCookie, Value: tok, URL: srv.URL})
	})
	if st := b.Navigate(fmt.Sprintf("%s/tenants/%d/supervisor", srv.URL, h.A.T.ID)); st != http.StatusOK {
		t.Fatalf("supervisor page: status %d", st)
	}
	b.WaitVisible("#agent-11")
	if got := b.Text("#agent-11 .sup-state"); got != "Logged out" {
		t.Fatalf("agent state %q", got)
	}
	b.WaitVisible("#sup-chart-svg")
	var marker bool
	b.Eval(`window.vmsNoReload = true`, &marker)

	if err := cs.Login("11"); err != nil {
		t.Fatal(err)
	}
	var got string
	b.Eval(waitText("#agent-11 .sup-state", "Available"), &got)
	if got != "Available" {
		t.Fatalf("after login the page shows %q", got)
	}
	if _, _, err := cs.EnqueueCall("call-1", "7", center.ContactInfo{TenantID: h.A.T.ID, From: "+32475000009"}); err != nil {
		t.Fatal(err)
	}
	b.Eval(waitText("#group-sales .sup-waiting", "1"), &got)
	if got != "1" {
		t.Fatalf("waiting callers shown: %q", got)
	}
	var n int
	// The chart is redrawn with the next sample; wait for it (a loaded
	// machine may take a while).
	b.Eval(`new Promise((resolve) => {
	const t0 = Date.now();
	(function poll() {
		const n = document.querySelectorAll("#sup-chart-svg polyline").length;
		if (n === 3 || Date.now() - t0 > 15000) { resolve(n); return; }
		setTimeout(poll, 50);
	})();
})`, &n)
	if n != 3 {
		t.Errorf("the chart draws %d lines, want 3 (waiting, on a call, available)", n)
	}
	b.Eval(`window.vmsNoReload === true`, &marker)
	if !marker {
		t.Error("the page was reloaded")
	}
	b.NoConsoleErrors()
}

// TestDeskPageButtons drives the desktop's state buttons in Chromium.
func TestDeskPageButtons(t *testing.T) {
	b := browsertest.Start(t, browsertest.Options{})
	h := sqliteHarness(t)
	cs := h.withCenter(nil)
	srv := liveServer(t, h)
	// The store knows the agent too (the desktop's e-mail list asks it).
	if err := h.st.CreateAgent(h.ctx(), store.System, &store.Agent{TenantID: h.A.T.ID, UserID: h.A.Agent.ID, Name: "Ann Agent", MaxEmails: 1}); err != nil {
		t.Fatal(err)
	}
	tok, _ := h.session(h.A.Agent)
	browsertest.Run(b, "set the session cookie", func(ctx context.Context, tg *chromedp.Target) (cdp.Empty, error) {
		return cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{Name: sessionCookie, Value: tok, URL: srv.URL})
	})
	if st := b.Navigate(srv.URL + "/desk"); st != http.StatusOK {
		t.Fatalf("desk page: status %d", st)
	}
	b.WaitVisible("#desk-login")
	b.Click("#desk-login")
	var got string
	b.Eval(waitText("#desk-state", "Available"), &got)
	if got != "Available" || cs.Snapshot(h.A.T.ID).Agents[0].View.State != acd.Available {
		t.Fatalf("after Log in: page %q", got)
	}
	b.Fill("#desk-pause-reason", "lunch")
	b.Click("#desk-pause")
	b.Eval(waitText("#desk-reason", "(lunch)"), &got)
	if st := cs.Snapshot(h.A.T.ID).Agents[0].View; st.State != acd.Paused || st.Reason != "lunch" {
		t.Fatalf("after Pause: %v %q (page %q)", st.State, st.Reason, got)
	}
	// A change made elsewhere shows up without a reload.
	if err := cs.Resume("11"); err != nil {
		t.Fatal(err)
	}
	b.Eval(waitText("#desk-state", "Available"), &got)
	if got != "Available" {
		t.Fatalf("after a resume elsewhere: %q", got)
	}
	b.NoConsoleErrors()
}

// liveServer serves h's portal over HTTP until the test ends; open event
// streams are cut first, so closing does not wait for them.
func liveServer(t *testing.T, h *harness) *httptest.Server {
	srv := httptest.NewServer(h.srv.Handler())
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv
}

// waitText is a script that waits (up to 5 s) for selector's text to be
// want and returns the text it last saw.
func waitText(selector, want string) string {
	return fmt.Sprintf(`new Promise((resolve) => {
	const t0 = Date.now();
	(function poll() {
		const e = document.querySelector(%q);
		const s = e ? e.textContent.trim() : "";
		if (s === %q || Date.now() - t0 > 15000) { resolve(s); return; }
		setTimeout(poll, 25);
	})();
})`, selector, want)
}

// BenchmarkSupervisorState measures one event of the supervisor stream
// (snapshot, history and JSON) for a tenant of 200 agents in 20 groups
// with 100 callers waiting: it runs after every change, per viewer.
func BenchmarkSupervisorState(b *testing.B) {
	cs := center.New(center.Config{})
	var d center.Directory
	for g := range 20 {
		id := acd.GroupID(fmt.Sprint(g + 1))
		d.Groups = append(d.Groups, center.Group{ID: id, TenantID: 1, Key: fmt.Sprintf("g%d", g), Name: fmt.Sprintf("Group %02d", g),
			Config: acd.GroupConfig{ID: id, RingTimeout: 15 * time.Second}})
	}
	for a := range 200 {
		id := acd.AgentID(fmt.Sprint(1000 + a))
		d.Agents = append(d.Agents, center.Agent{ID: id, TenantID: 1, UserID: uint(1000 + a), Name: fmt.Sprintf("Agent %03d", a),
			Endpoint: center.Endpoint(uint(1000 + a)), Config: acd.AgentConfig{ID: id, Groups: map[acd.GroupID]acd.Level{acd.GroupID(fmt.Sprint(a%20 + 1)): 5}}})
	}
	if err := cs.Apply(d); err != nil {
		b.Fatal(err)
	}
	// Logged in without a phone: the callers wait.
	for _, a := range d.Agents {
		if err := cs.Login(a.ID); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 100 {
		if _, o, err := cs.EnqueueCall(acd.ContactID(fmt.Sprint("c", i)), acd.GroupID(fmt.Sprint(i%20+1)), center.ContactInfo{TenantID: 1, From: "+32475000001", Path: []string{"start", "queue"}}); err != nil || o != "" {
			b.Fatal(err, o)
		}
	}
	s := &Server{cfg: Config{Center: cs}}
	if v := s.supervisorState(1); v.Groups[0].Waiting != 5 {
		b.Fatalf("%d waiting in the first group, want 5", v.Groups[0].Waiting)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(s.supervisorState(1)); err != nil {
			b.Fatal(err)
		}
	}
}
