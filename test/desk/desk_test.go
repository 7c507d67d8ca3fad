// Package desk proves the agent desktop end to end (ACM-2, ACM-3, ACM-6):
// a real Chromium logs an agent in to the portal's desktop, whose built-in
// softphone (JsSIP over WebSocket) registers to a real Asterisk 22; a SIPp
// caller dials a number routed to the agent's group; the controller queues
// the call in the center and offers it to the agent; the agent answers in
// the page; the caller and the agent are bridged and audio flows both
// ways; closing the page makes the agent unregistered.
//
// The test needs the Asterisk root of test/asterisk/install.sh, root
// privileges, SIPp and Chromium: it skips without them, and fails under
// CI=true.
package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/vmsplatform/vms/access"
	"github.com/vmsplatform/vms/acd"
	"github.com/vmsplatform/vms/ari"
	"github.com/vmsplatform/vms/center"
	"github.com/vmsplatform/vms/controller"
	"github.com/vmsplatform/vms/credential"
	"github.com/vmsplatform/vms/internal/testenv"
	"github.com/vmsplatform/vms/portal"
	"github.com/vmsplatform/vms/routing"
	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
	"github.com/vmsplatform/vms/test/astertest"
	"github.com/vmsplatform/vms/test/browsertest"
	"github.com/vmsplatform/vms/test/sipptest"
)

// The number the caller dials, routed to the agent's group.
const (
	dialed = "+3250990000"
	caller = "+32477123456"
)

// TestAgentAnswersInBrowser is the whole path: login, registration, a
// queued call answered in the page, media both ways, and presence when
// the page closes.
func TestAgentAnswersInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("real Asterisk, SIPp and Chromium: not in -short")
	}
	b := browsertest.Start(t, browsertest.Options{FakeMedia: true, Timeout: 45 * time.Second})
	sipp := sippPath(t)
	ast := astertest.Start(t, astertest.Options{
		Files: map[string]string{
			// The test root has no music files: hold music over the stock
			// prompts.
			"musiconhold.conf": "[general]\n\n[default]\nmode = files\ndirectory = /usr/share/asterisk/sounds/en_US_f_Allison/digits\n",
		},
	})
	var log *slog.Logger
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}

	// The store: a customer with the ACM option, an agent user, a group,
	// the agent in it.
	ctx := context.Background()
	st := storetest.SQLite(t)
	now := time.Now()
	tenant := &store.Tenant{Name: "Desk Test NV", Formula: "Classic", Options: "acm", Status: store.TenantActive, ActivatedAt: &now}
	must(t, st.CreateTenant(ctx, store.System, tenant))
	user := &store.User{TenantID: &tenant.ID, Email: "agent@desk.example", Name: "Ann Agent", Role: string(access.Agent), PasswordHash: "x"}
	must(t, st.CreateUser(ctx, store.System, user))
	group := &store.AgentGroup{TenantID: tenant.ID, Key: "sales", Name: "Sales", Strategy: store.StrategyLevelThenLongestIdle,
		RingTimeoutSeconds: 30, WrapUpSeconds: 5}
	must(t, st.CreateAgentGroup(ctx, store.System, group))
	agent := &store.Agent{TenantID: tenant.ID, UserID: user.ID, Name: "Ann Agent", MaxEmails: 0}
	must(t, st.CreateAgent(ctx, store.System, agent))
	if _, err := st.SetMembership(ctx, store.System, tenant.ID, agent.ID, group.ID, 7); err != nil {
		t.Fatal(err)
	}
	agentID := acd.AgentID(strconv.FormatUint(uint64(agent.ID), 10))

	// The contact centre, loaded from the store.
	d, err := st.ACDDirectory(ctx)
	must(t, err)
	svc := center.New(center.Config{Logger: log})
	must(t, svc.Apply(directoryOf(d)))
	runCtx, stop := context.WithCancel(ctx)
	svcDone := make(chan struct{})
	go func() { svc.Run(runCtx); close(svcDone) }()
	t.Cleanup(func() { stop(); <-svcDone })

	// The ari driver and the controller queueing in the center.
	drv, err := ari.New(ari.Config{URL: ast.ARIURL, User: ast.ARIUser, Password: ast.ARIPassword, App: ast.App, Logger: log})
	must(t, err)
	tr := routing.Tree{ID: "desk", Start: "queue", Nodes: []routing.Node{
		{ID: "queue", Type: routing.TypeGroup, Group: "sales"},
	}}
	plan, err := routing.Compile(&tr, nil)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	routes := &oneRoute{r: &controller.Route{TenantID: tenant.ID, NumberID: 1, Number: dialed, TreeID: tr.ID, TreeVersion: 1, Plan: plan, Active: true}}
	ctl, err := controller.New(controller.Config{
		App:                ast.App,
		DialString:         func(e164 string) string { return "PJSIP/" + strings.TrimPrefix(e164, "+") + "@nowhere" },
		DefaultRingTimeout: 30 * time.Second,
		Queue:              svc,
	}, drv, routes, &records{}, log)
	must(t, err)
	drvDone := make(chan error, 1)
	ctlDone := make(chan error, 1)
	go func() { drvDone <- drv.Run(runCtx) }()
	go func() { ctlDone <- ctl.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-ctlDone; err != nil {
			t.Errorf("controller Run: %v", err)
		}
		drv.Close()
		if err := <-drvDone; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("ari Run: %v", err)
		}
	})
	waitFor(t, 15*time.Second, "the ari events WebSocket", drv.Connected)

	// The portal, with the center and the softphone provisioning.
	pcfg := portal.Defaults()
	pcfg.Center = svc
	// A new softphone endpoint must be watched for presence: the
	// controller is told after each provisioning, as cmd/vms does.
	pcfg.Provisioner = &watchingProvisioner{drv: drv, ctl: ctl}
	pcfg.SIPWebSocketURL = fmt.Sprintf("ws://127.0.0.1:%d/ws", ast.HTTPPort)
	srv, err := portal.New(pcfg, st, nil, log, nil)
	must(t, err)
	web := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { web.CloseClientConnections(); web.Close() })

	// The agent's session, as after a login.
	tok, err := credential.NewToken()
	must(t, err)
	csrf, err := credential.NewToken()
	must(t, err)
	must(t, st.CreateSession(ctx, &store.Session{ID: credential.HashToken(tok), UserID: user.ID, CSRFToken: csrf, CreatedAt: time.Now(), LastSeenAt: time.Now()}))
	browsertest.Run(b, "set the session cookie", func(ctx context.Context, tg *chromedp.Target) (cdp.Empty, error) {
		return cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{Name: "vms_session", Value: tok, URL: web.URL})
	})

	// 1. The desktop: the softphone registers, the agent logs in.
	if st := b.Navigate(web.URL + "/desk"); st != http.StatusOK {
		t.Fatalf("desk page: status %d", st)
	}
	var got string
	b.Eval(waitAttr("#phone-status", "data-status", "ready", 20000), &got)
	if got != "ready" {
		t.Fatalf("softphone status %q, want ready; Asterisk log:\n%s", got, ast.LogTail(40))
	}
	waitFor(t, 10*time.Second, "the center to see the softphone registered", func() bool { return status(svc, tenant.ID, agentID).View.Registered })
	b.Click("#desk-login")
	b.Eval(waitAttr("#desk-state", "data-state", "available", 5000), &got)
	if got != "available" {
		t.Fatalf("desk state %q after Log in", got)
	}

	// 2. A call to the group's number: the page rings, the agent answers.
	callDone := make(chan error, 1)
	callDir, callPort, mediaPort := t.TempDir(), sipptest.FreeUDPPort(t), sipptest.FreeUDPPort(t)
	go func() { callDone <- placeCall(sipp, ast.SIPAddr(), callDir, callPort, mediaPort, 40*time.Second) }()
	b.Eval(waitVisible("#phone-answer", 20000), &got)
	if got != "visible" {
		t.Fatalf("no Answer button; phone status %q, center %+v", b.Text("#phone-status"), status(svc, tenant.ID, agentID).View)
	}
	if from := b.Text("#phone-from"); !strings.Contains(from, strings.TrimPrefix(caller, "+")) {
		t.Errorf("incoming call shows %q, want the caller", from)
	}
	// The desktop shows the contact: caller and routing path.
	b.Eval(waitText("#desk-caller", caller, 5000), &got)
	if got != caller {
		t.Errorf("current contact caller %q, want %s", got, caller)
	}
	if path := b.Text("#desk-path"); path == "" {
		t.Errorf("no routing path shown")
	}
	b.Click("#phone-answer")
	b.Eval(waitAttr("#phone-status", "data-status", "in call", 10000), &got)
	if got != "in call" {
		t.Fatalf("phone status %q after Answer", got)
	}

	// 3. The caller and the agent share a mixing bridge in Asterisk.
	waitFor(t, 10*time.Second, "the caller and the agent bridged", func() bool { return bridged(t, ast, center.Endpoint(agent.ID)) })
	if s := status(svc, tenant.ID, agentID); s.View.State != acd.Talking || s.Call == nil || s.Call.Info.From != caller {
		t.Errorf("center: agent %v call %+v, want talking with %s", s.View.State, s.Call, caller)
	}

	// 4. Audio both ways, from the browser's own RTP statistics.
	var stats struct{ Sent, Received int }
	deadline := time.Now().Add(15 * time.Second)
	for {
		b.Eval(`window.vmsDesk.stats().then(s => ({Sent: s.sent, Received: s.received}))`, &stats)
		if stats.Sent >= minRTP && stats.Received >= minRTP || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if stats.Sent < minRTP || stats.Received < minRTP {
		t.Errorf("RTP payload bytes sent %d, received %d: want both at least %d", stats.Sent, stats.Received, minRTP)
	}
	t.Logf("browser RTP: %d bytes sent, %d bytes received", stats.Sent, stats.Received)

	// 5. The agent hangs up in the page: the caller is hung up, the agent
	// is in after-call work, then ready again with its button.
	b.Click("#phone-hangup")
	select {
	case err := <-callDone:
		if err != nil {
			t.Errorf("first caller: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the caller was not hung up after the agent hung up")
	}
	b.Eval(waitAttr("#desk-state", "data-state", "wrap_up", 5000), &got)
	if got != "wrap_up" || !b.Visible("#desk-wrapup") {
		t.Fatalf("desk state %q after the call, want wrap_up with its countdown", got)
	}
	b.Click("#desk-resume")
	b.Eval(waitAttr("#desk-state", "data-state", "available", 5000), &got)
	if got != "available" {
		t.Fatalf("desk state %q after Ready", got)
	}

	// 6. Auto-answer: the next call is answered without a click.
	b.Click("#phone-auto-answer")
	callDone = make(chan error, 1)
	callDir, callPort, mediaPort = t.TempDir(), sipptest.FreeUDPPort(t), sipptest.FreeUDPPort(t)
	go func() { callDone <- placeCall(sipp, ast.SIPAddr(), callDir, callPort, mediaPort, 40*time.Second) }()
	b.Eval(waitAttr("#phone-status", "data-status", "in call", 20000), &got)
	if got != "in call" {
		t.Fatalf("phone status %q: the second call was not answered automatically", got)
	}
	waitFor(t, 10*time.Second, "the second caller and the agent bridged", func() bool { return bridged(t, ast, center.Endpoint(agent.ID)) })

	// 7. Closing the page: the agent's phone is gone within seconds, and
	// the caller is hung up.
	closeTab(b)
	waitFor(t, 10*time.Second, "the center to see the softphone unregistered", func() bool { return !status(svc, tenant.ID, agentID).View.Registered })
	select {
	case err := <-callDone:
		if err != nil {
			t.Errorf("second caller: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Error("the caller was not hung up after the agent left")
	}
}

// minRTP is the RTP payload, in bytes, each direction must carry: a few
// seconds of speech (or of the browser's fake microphone) in Opus.
const minRTP = 2000

// status returns agent id's live status.
func status(svc *center.Service, tenantID uint, id acd.AgentID) center.AgentStatus {
	for _, s := range svc.Snapshot(tenantID).Agents {
		if s.ID == id {
			return s
		}
	}
	return center.AgentStatus{}
}

// bridged reports whether a mixing bridge holds exactly the caller (the
// trunk's channel) and the agent's softphone channel.
func bridged(t *testing.T, ast *astertest.Asterisk, endpoint string) bool {
	code, body := ast.ARI(t, http.MethodGet, "/ari/bridges", nil)
	if code != http.StatusOK {
		return false
	}
	var bridges []struct {
		BridgeType string   `json:"bridge_type"`
		Channels   []string `json:"channels"`
	}
	if json.Unmarshal(body, &bridges) != nil {
		return false
	}
	for _, br := range bridges {
		if br.BridgeType != "mixing" || len(br.Channels) != 2 {
			continue
		}
		var names []string
		for _, id := range br.Channels {
			code, cb := ast.ARI(t, http.MethodGet, "/ari/channels/"+id, nil)
			if code != http.StatusOK {
				continue
			}
			var ch struct {
				Name  string `json:"name"`
				State string `json:"state"`
			}
			if json.Unmarshal(cb, &ch) == nil && ch.State == "Up" {
				names = append(names, ch.Name)
			}
		}
		agentLeg, callerLeg := false, false
		for _, n := range names {
			agentLeg = agentLeg || strings.HasPrefix(n, "PJSIP/"+endpoint+"-")
			callerLeg = callerLeg || strings.HasPrefix(n, "PJSIP/trunk-")
		}
		if agentLeg && callerLeg {
			return true
		}
	}
	return false
}

// closeTab closes the browser tab of the desktop.
func closeTab(b *browsertest.Browser) {
	ctx, cancel := context.WithTimeout(b.Context(), 10*time.Second)
	defer cancel()
	// The target goes away with the call: its error is expected.
	_, _ = chromedp.Run(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.Close, cdp.Empty{})
		return err
	}))
}

// uac is a SIPp caller that sends speech (Debian's g711a.pcap) several
// times while it holds, so the agent hears something.
const uac = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="vms desk caller">
  <send retrans="500"><![CDATA[

INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:CALLER@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:CALLER@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=vms 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=sendrecv

]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true"/>
  <send><![CDATA[

ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:CALLER@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
[routes]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: <sip:CALLER@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

]]></send>
PLAYS
  <label id="hangup"/>
  <send retrans="500"><![CDATA[

BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:CALLER@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
[routes]
Call-ID: [call_id]
CSeq: 2 BYE
Contact: <sip:CALLER@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200" crlf="true"/>
  <nop next="done"/>

  <label id="hungup"/>
  <send><![CDATA[

SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
  <label id="done"/>
</scenario>
`

// speech is Debian's SIPp speech sample (about 6 s of PCMA).
const speech = "/usr/share/sip-tester/g711a.pcap"

// placeCall runs one SIPp call that lasts about hold, playing speech all
// along, and waits for it to end.
func placeCall(sipp, target, dir string, port, media int, hold time.Duration) error {
	// Play the speech every 7 s; a BYE from Asterisk ends the call at any
	// time.
	var plays strings.Builder
	n := int(hold / (7 * time.Second))
	for i := range n {
		next := fmt.Sprintf("play%d", i+1)
		if i == n-1 {
			next = "hangup"
		}
		fmt.Fprintf(&plays, "  <label id=\"play%d\"/>\n  <nop><action><exec play_pcap_audio=%q/></action></nop>\n  <recv request=\"BYE\" timeout=\"7000\" ontimeout=%q next=\"hungup\"/>\n", i, speech, next)
	}
	sc := strings.ReplaceAll(strings.Replace(uac, "PLAYS", plays.String(), 1), "CALLER", caller)
	file := filepath.Join(dir, "uac.xml")
	if err := os.WriteFile(file, []byte(sc), 0o644); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), hold+60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sipp, "-sf", file, "-s", strings.TrimPrefix(dialed, "+"),
		"-i", "127.0.0.1", "-p", strconv.Itoa(port), "-mi", "127.0.0.1", "-mp", strconv.Itoa(media),
		"-m", "1", "-recv_timeout", "90000", "-nd", "-nostdin",
		"-trace_err", "-error_file", filepath.Join(dir, "errors.log"), target)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	out, err := cmd.CombinedOutput()
	if err != nil {
		errs, _ := os.ReadFile(filepath.Join(dir, "errors.log"))
		return fmt.Errorf("sipp: %v: %s %s", err, out, errs)
	}
	return nil
}

// sippPath finds SIPp and its speech sample, or stops the test.
func sippPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("sipp")
	if err != nil {
		testenv.Missing(t, "SIPp (Debian package sip-tester)")
	}
	if _, err := os.Stat(speech); err != nil {
		testenv.Missing(t, "SIPp's speech sample "+speech+" (Debian package sip-tester)")
	}
	return p
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// waitFor polls ok every 50 ms for up to d.
func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitAttr is a script that waits up to ms for an attribute to have a
// value, and returns the value it last saw.
func waitAttr(selector, attr, want string, ms int) string {
	return poll(fmt.Sprintf(`(document.querySelector(%q) || {getAttribute: () => ""}).getAttribute(%q) || ""`, selector, attr), want, ms)
}

// waitText waits for an element's text.
func waitText(selector, want string, ms int) string {
	return poll(fmt.Sprintf(`((document.querySelector(%q) || {}).textContent || "").trim()`, selector), want, ms)
}

// waitVisible waits for an element to be shown; "visible" when it is.
func waitVisible(selector string, ms int) string {
	return poll(fmt.Sprintf(`(document.querySelector(%q) && !document.querySelector(%q).hidden) ? "visible" : "hidden"`, selector, selector), "visible", ms)
}

func poll(expr, want string, ms int) string {
	return fmt.Sprintf(`new Promise((resolve) => {
	const t0 = Date.now();
	(function again() {
		const v = %s;
		if (v === %q || Date.now() - t0 > %d) { resolve(v); return; }
		setTimeout(again, 50);
	})();
})`, expr, want, ms)
}

// watchingProvisioner provisions an agent's softphone endpoint, then has
// the controller watch it (the endpoint did not exist when the controller
// started).
type watchingProvisioner struct {
	drv *ari.Client
	ctl *controller.Controller
}

func (w *watchingProvisioner) ProvisionEndpoint(ctx context.Context, name, password string) error {
	if err := w.drv.ProvisionEndpoint(ctx, name, password); err != nil {
		return err
	}
	w.ctl.Refresh()
	return nil
}

// oneRoute routes the test's number to its tree.
type oneRoute struct{ r *controller.Route }

func (o *oneRoute) Route(ctx context.Context, d string) (*controller.Route, error) {
	if "+"+strings.TrimPrefix(d, "+") == dialed {
		return o.r, nil
	}
	return nil, controller.ErrNoRoute
}

func (o *oneRoute) Tree(ctx context.Context, tenant uint, id string) (*routing.Plan, int, error) {
	return nil, 0, errors.New("no tree hand-overs in this test")
}

// records keeps the call records.
type records struct {
	mu   sync.Mutex
	recs []*controller.CallRecord
}

func (r *records) SaveCall(ctx context.Context, rec *controller.CallRecord) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec)
	return nil
}

// directoryOf converts the store's ACD configuration to the center's, as
// cmd/vms does.
func directoryOf(d store.ACDDirectory) center.Directory {
	out := center.Directory{PauseReasons: map[uint][]string{}}
	key := func(id uint) string { return strconv.FormatUint(uint64(id), 10) }
	for _, g := range d.Groups {
		id := acd.GroupID(key(g.ID))
		out.Groups = append(out.Groups, center.Group{ID: id, TenantID: g.TenantID, Key: g.Key, Name: g.Name,
			Config: acd.GroupConfig{ID: id, RingTimeout: time.Duration(g.RingTimeoutSeconds) * time.Second,
				WrapUp: time.Duration(g.WrapUpSeconds) * time.Second}})
	}
	levels := map[uint]map[acd.GroupID]acd.Level{}
	for _, m := range d.Memberships {
		if levels[m.AgentID] == nil {
			levels[m.AgentID] = map[acd.GroupID]acd.Level{}
		}
		levels[m.AgentID][acd.GroupID(key(m.GroupID))] = acd.Level(m.Level)
	}
	for _, a := range d.Agents {
		id := acd.AgentID(key(a.ID))
		out.Agents = append(out.Agents, center.Agent{ID: id, TenantID: a.TenantID, UserID: a.UserID, Name: a.Name,
			Endpoint: center.Endpoint(a.ID), Config: acd.AgentConfig{ID: id, Groups: levels[a.ID], MaxEmails: a.MaxEmails}})
	}
	for _, r := range d.PauseReasons {
		out.PauseReasons[r.TenantID] = append(out.PauseReasons[r.TenantID], r.Name)
	}
	return out
}
