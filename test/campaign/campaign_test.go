// Package campaign proves the outbound dialer end to end (issue "Outbound
// campaigns"; OUT-2..OUT-7): a campaign in the real store (SQLite) is run
// by controller/campaign's Dialer over the ari driver against an
// unmodified Asterisk 22; SIPp peers stand for the called people (one
// answers and presses 1, one is busy, one never answers, one answers and
// listens), and a SIPp phone for the agent the person who pressed 1 is
// connected to through the controller's ACD queue. The tests assert the
// INVITEs the peers really received (how many per number, how far apart)
// and the results in the store.
//
// The tests need the Asterisk root of test/asterisk/install.sh, root
// privileges and SIPp: they skip without them, and fail under CI=true.
package campaign

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vmsplatform/vms/acd"
	"github.com/vmsplatform/vms/ari"
	"github.com/vmsplatform/vms/calllist"
	rules "github.com/vmsplatform/vms/campaign"
	"github.com/vmsplatform/vms/center"
	"github.com/vmsplatform/vms/controller"
	dialer "github.com/vmsplatform/vms/controller/campaign"
	"github.com/vmsplatform/vms/controller/campaign/campaignstore"
	"github.com/vmsplatform/vms/pcm"
	"github.com/vmsplatform/vms/routing"
	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
	"github.com/vmsplatform/vms/test/astertest"
	"github.com/vmsplatform/vms/test/sipptest"
)

// The called numbers: the digit after "+32471" picks the SIPp peer that
// stands for the person (see dial).
const (
	peerKey      = '1' // answers, presses 1 after 1.5 s, hangs up 4 s later
	peerBusy     = '2' // 486 Busy Here
	peerNoAnswer = '3' // rings for ever
	peerListen   = '4' // answers, presses nothing, hangs up after 30 s
)

func num(peer byte, n int) string { return fmt.Sprintf("+32471%c%05d", peer, n) }

// The campaign's pace and the test's retry delay.
const (
	pace       = 3 * time.Second
	retryDelay = 2 * time.Second
	// jitter is what may separate the moment the dialer places a call
	// from the moment its INVITE reaches SIPp, in either direction.
	jitter = 150 * time.Millisecond
)

// agentID is the agent's store-style id (its endpoint is vmsagent1).
const agentID = 1

// env is one Asterisk with the people's peers and the agent's phone, the
// store with a tenant, its group, message and limits, the contact centre
// with the agent logged in, the ari driver and the controller.
type env struct {
	ast     *astertest.Asterisk
	peers   map[byte]*sipptest.UASPeer
	phone   *sipptest.UASPeer
	store   *store.Store
	tenant  *store.Tenant
	msg     *store.CampaignMessage
	svc     *center.Service
	ctl     *controller.Controller
	drv     *ari.Client
	gets    atomic.Int64 // message downloads by Asterisk
	msgURL  string
	logger  *slog.Logger
	started time.Time
}

func start(t *testing.T) *env {
	t.Helper()
	if testing.Short() {
		t.Skip("real Asterisk and SIPp: not in -short")
	}
	e := &env{peers: map[byte]*sipptest.UASPeer{}, started: time.Now()}
	if testing.Verbose() {
		e.logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	e.peers[peerKey] = sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.Answer, DTMF: "1", DTMFDelay: 1500 * time.Millisecond, Hold: 4 * time.Second})
	e.peers[peerBusy] = sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.Busy})
	e.peers[peerNoAnswer] = sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.NoAnswer})
	e.peers[peerListen] = sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.Answer, Hold: 30 * time.Second})
	e.phone = sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.Answer, Phone: true})
	var dests []astertest.Destination
	for p, peer := range e.peers {
		dests = append(dests, astertest.Destination{Name: "person-" + string(p), Port: peer.Port})
	}
	e.ast = astertest.Start(t, astertest.Options{
		Destinations: dests,
		Files: map[string]string{
			// The test root has no music files: the queue's music over
			// the stock prompts.
			"musiconhold.conf": "[general]\n\n[default]\nmode = files\ndirectory = /usr/share/asterisk/sounds/en_US_f_Allison/digits\n",
		},
	})
	e.provisionAgent(t)
	e.serveMessage(t)
	e.startStore(t)
	e.startCenter(t)
	e.startVMS(t)
	return e
}

// dial maps a person's number to its SIPp peer.
func dial(e164 string) string {
	digits := strings.TrimPrefix(e164, "+")
	return "PJSIP/" + digits + "@person-" + digits[5:6]
}

// provisionAgent creates the agent's endpoint over ARI dynamic
// configuration, with the SIPp phone as its contact (qualified).
func (e *env) provisionAgent(t *testing.T) {
	t.Helper()
	name := center.Endpoint(agentID)
	put := func(kind string, fields [][2]string) {
		var body struct {
			Fields []map[string]string `json:"fields"`
		}
		for _, f := range fields {
			body.Fields = append(body.Fields, map[string]string{"attribute": f[0], "value": f[1]})
		}
		status, resp := e.ast.ARIJSON(t, http.MethodPut, "/ari/asterisk/config/dynamic/res_pjsip/"+kind+"/"+name, nil, body)
		if status != http.StatusOK {
			t.Fatalf("create %s %s: %d %s", kind, name, status, resp)
		}
	}
	put("aor", [][2]string{{"max_contacts", "1"}, {"qualify_frequency", "1"}, {"qualify_timeout", "0.5"},
		{"contact", fmt.Sprintf("sip:%s@127.0.0.1:%d", name, e.phone.Port)}})
	put("endpoint", [][2]string{
		{"transport", "transport-udp"}, {"aors", name}, {"context", "vms-from-trunk-out"},
		{"disallow", "all"}, {"allow", "ulaw"}, {"direct_media", "no"}, {"rtp_symmetric", "yes"},
	})
}

// serveMessage serves the campaign's message (2 s of a 440 Hz tone, 8 kHz
// 16-bit, as the portal stores converted messages) where Asterisk fetches
// it, and counts the downloads.
func (e *env) serveMessage(t *testing.T) {
	t.Helper()
	samples := make([]int16, 16000)
	for i := range samples {
		samples[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/8000))
	}
	wav := pcm.EncodeWAV(samples, 8000)
	sum := sha256.Sum256(wav)
	sha := hex.EncodeToString(sum[:])
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/media/messages/"+sha+".wav" {
			http.NotFound(w, r)
			return
		}
		e.gets.Add(1)
		w.Header().Set("Content-Type", "audio/wav")
		w.Write(wav)
	}))
	t.Cleanup(srv.Close)
	e.msgURL = srv.URL
	e.msg = &store.CampaignMessage{SHA256: sha, Converted: wav, DurationMS: 2000}
}

// startStore opens a SQLite store with a tenant, its group "sales", limits
// that allow the test's pace, and the message.
func (e *env) startStore(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	e.store = storetest.SQLite(t)
	e.tenant = &store.Tenant{Name: "acme", Formula: "classic"}
	if err := e.store.CreateTenant(ctx, store.System, e.tenant); err != nil {
		t.Fatal(err)
	}
	g := store.DefaultAgentGroup(e.tenant.ID)
	g.Key = "sales"
	if err := e.store.CreateAgentGroup(ctx, store.System, &g); err != nil {
		t.Fatal(err)
	}
	lim := rules.DefaultLimits()
	lim.MinPace = 2 * time.Second
	if _, err := e.store.SetCampaignLimits(ctx, store.System, e.tenant.ID, lim); err != nil {
		t.Fatal(err)
	}
	m, err := e.store.CreateCampaignMessage(ctx, store.System, e.tenant.ID, "offer", []byte("RIFF original"), e.msg.Converted, e.msg.SHA256, e.msg.DurationMS)
	if err != nil {
		t.Fatal(err)
	}
	e.msg = m
}

// startCenter runs the contact centre: group "sales" of the tenant, the
// agent logged in.
func (e *env) startCenter(t *testing.T) {
	t.Helper()
	gid := acd.GroupID("1")
	aid := acd.AgentID(fmt.Sprint(agentID))
	e.svc = center.New(center.Config{Logger: slog.New(slog.DiscardHandler)})
	err := e.svc.Apply(center.Directory{
		Groups: []center.Group{{ID: gid, TenantID: e.tenant.ID, Key: "sales", Name: "Sales",
			Config: acd.GroupConfig{ID: gid, RingTimeout: 10 * time.Second, MaxWait: time.Minute}}},
		Agents: []center.Agent{{ID: aid, TenantID: e.tenant.ID, UserID: agentID, Name: "Agent One", Endpoint: center.Endpoint(agentID),
			Config: acd.AgentConfig{ID: aid, Groups: map[acd.GroupID]acd.Level{gid: 5}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Login(aid); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.svc.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// noRoutes: the test places no inbound call.
type noRoutes struct{}

func (noRoutes) Route(context.Context, string) (*controller.Route, error) {
	return nil, controller.ErrNoRoute
}
func (noRoutes) Tree(context.Context, uint, string) (*routing.Plan, int, error) {
	return nil, 0, errors.New("no trees")
}

// startVMS starts the ari driver and the controller (queueing in the
// center), and waits for the agent's phone to be online.
func (e *env) startVMS(t *testing.T) {
	t.Helper()
	drv, err := ari.New(ari.Config{URL: e.ast.ARIURL, User: e.ast.ARIUser, Password: e.ast.ARIPassword, App: e.ast.App, Logger: e.logger})
	if err != nil {
		t.Fatal(err)
	}
	ctl, err := controller.New(controller.Config{App: e.ast.App, DialString: dial, Queue: e.svc}, drv, noRoutes{}, nil, e.logger)
	if err != nil {
		t.Fatal(err)
	}
	e.drv, e.ctl = drv, ctl
	ctx, cancel := context.WithCancel(context.Background())
	drvDone := make(chan error, 1)
	ctlDone := make(chan error, 1)
	go func() { drvDone <- drv.Run(ctx) }()
	go func() { ctlDone <- ctl.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-ctlDone; err != nil {
			t.Errorf("controller Run: %v", err)
		}
		drv.Close()
		if err := <-drvDone; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("ari Run: %v", err)
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for !drv.Connected() || !e.agentOnline() {
		if time.Now().After(deadline) {
			t.Fatalf("VMS not ready: events WebSocket up %v, agent's phone online %v", drv.Connected(), e.agentOnline())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *env) agentOnline() bool {
	for _, a := range e.svc.Snapshot(e.tenant.ID).Agents {
		if a.View.Registered {
			return true
		}
	}
	return false
}

// campaign creates and schedules a campaign over numbers: key 1 connects
// to sales; busy and unanswered calls are tried twice.
func (e *env) campaign(t *testing.T, name string, numbers ...string) *store.Campaign {
	t.Helper()
	ctx := context.Background()
	var es []calllist.Entry
	for i, n := range numbers {
		es = append(es, calllist.Entry{Line: i + 1, Number: n, Name: fmt.Sprintf("Person %d", i+1)})
	}
	l, err := e.store.CreateCallList(ctx, store.System, e.tenant.ID, name, es)
	if err != nil {
		t.Fatal(err)
	}
	ws, _ := rules.ParseWindows("daily 00:00-24:00")
	c, err := e.store.CreateCampaign(ctx, store.System, e.tenant.ID, store.CampaignInput{MessageID: e.msg.ID, ListIDs: []uint{l.ID}, Settings: rules.Campaign{
		Name: name, CallerID: "+3225550000",
		Keys: map[string]rules.KeyAction{"1": {Action: rules.Connect, Group: "sales"}, "9": {Action: rules.DoNotCall}},
		// The product's shortest retry delay; the test's dialer retries
		// after retryDelay instead.
		Busy:        rules.Retry{Attempts: 2, Delay: time.Minute},
		NoAnswer:    rules.Retry{Attempts: 2, Delay: time.Minute},
		RingTimeout: 10 * time.Second, Windows: ws, Pace: pace,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.SetCampaignState(ctx, store.System, e.tenant.ID, c.ID, []string{store.CampaignDraft}, store.CampaignScheduled); err != nil {
		t.Fatal(err)
	}
	return c
}

// dialer starts a Dialer as one VMS process would; the returned func
// stops it hard (its context ends, as at a crash) and waits for it.
func (e *env) dialer(t *testing.T, owner string) func() {
	t.Helper()
	d, err := dialer.New(dialer.Config{
		Owner:      owner,
		DialString: dial,
		MessageURL: func(sha string) string { return "sound:" + e.msgURL + "/media/messages/" + sha + ".wav" },
		AgentName: func(id string) string {
			if a, ok := e.svc.AgentByUser(agentID); ok && string(a.ID) == id {
				return a.Name
			}
			return id
		},
		LeaseTTL:   3 * time.Second,
		LostAfter:  20 * time.Second,
		RetryDelay: retryDelay,
		Rescan:     time.Second,
	}, e.drv, campaignstore.New(e.store), e.ctl, e.logger)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// waitDone waits until the campaign is done and returns it.
func (e *env) waitDone(t *testing.T, c *store.Campaign, timeout time.Duration) *store.Campaign {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got, err := e.store.GetCampaign(context.Background(), e.tenant.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State == store.CampaignDone {
			return got
		}
		if time.Now().After(deadline) {
			res, _ := e.store.CampaignResults(context.Background(), e.tenant.ID, c.ID)
			for _, ct := range res {
				t.Logf("%s: %s %q, %d attempts", ct.E164, ct.State, ct.Result, ct.Attempts)
			}
			t.Fatalf("campaign %s after %v, want done", got.State, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// invitesTo returns the INVITEs the peers received for a number.
func (e *env) invitesTo(number string) []sipptest.Invite {
	digits := strings.TrimPrefix(number, "+")
	var out []sipptest.Invite
	for _, p := range e.peers {
		for _, inv := range p.Invites() {
			if strings.Contains(inv.RequestURI, digits) {
				out = append(out, inv)
			}
		}
	}
	return out
}

// checkPace asserts that the INVITEs of the numbers are at least the pace
// apart (up to the jitter between placing a call and its INVITE).
func (e *env) checkPace(t *testing.T, numbers ...string) {
	t.Helper()
	var at []time.Time
	for _, n := range numbers {
		for _, inv := range e.invitesTo(n) {
			at = append(at, inv.At)
		}
	}
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	for i := 1; i < len(at); i++ {
		if gap := at[i].Sub(at[i-1]); gap < pace-jitter {
			t.Errorf("INVITEs %d and %d %v apart, want at least the pace %v", i, i+1, gap.Round(time.Millisecond), pace)
		}
	}
}

// results returns the campaign's contacts by number.
func (e *env) results(t *testing.T, c *store.Campaign) map[string]store.CampaignContact {
	t.Helper()
	res, err := e.store.CampaignResults(context.Background(), e.tenant.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.CampaignContact{}
	for _, ct := range res {
		out[ct.E164] = ct
	}
	return out
}

// A campaign over four people: the one who presses 1 hears the message
// and is bridged with the logged-in agent; the busy and the unanswered
// numbers are called twice (the policy), the listener once; one new call
// per pace; results and counts in the store.
func TestCampaign(t *testing.T) {
	t.Parallel()
	e := start(t)
	key, busy, noAnswer, listen := num(peerKey, 1), num(peerBusy, 1), num(peerNoAnswer, 1), num(peerListen, 1)
	c := e.campaign(t, "winter", key, busy, noAnswer, listen)
	e.dialer(t, "vms-1")
	got := e.waitDone(t, c, 90*time.Second)

	if p := got.Progress; p.Total != 4 || p.Done != 4 || p.Answered != 2 || p.Connected != 1 {
		t.Errorf("progress %+v, want 4 done, 2 answered, 1 connected", p)
	}
	res := e.results(t, c)
	for n, w := range map[string]struct {
		invites int
		result  string
	}{key: {1, "answered"}, busy: {2, "busy after 2 attempts"}, noAnswer: {2, "no answer after 2 attempts"}, listen: {1, "answered"}} {
		if inv := e.invitesTo(n); len(inv) != w.invites {
			t.Errorf("%s: %d INVITEs, want %d", n, len(inv), w.invites)
		}
		ct := res[n]
		if ct.State != store.ContactDone || ct.Result != w.result || ct.Attempts != w.invites || len(ct.History) != w.invites {
			t.Errorf("%s: %s %q after %d attempts, want done %q after %d", n, ct.State, ct.Result, ct.Attempts, w.result, w.invites)
		}
		for _, a := range ct.History {
			if a.Owner != "vms-1" || a.EndedAt == nil {
				t.Errorf("%s attempt %d: %+v", n, a.Number, a)
			}
		}
	}
	k := res[key]
	if a := k.History[0]; a.DTMF != "1" || !a.Connected || a.Agent != "Agent One" || k.ConnectedAgent != "Agent One" {
		t.Errorf("the person who pressed 1: %+v / attempt %+v, want connected to Agent One", k, a)
	}
	if l := res[listen].History[0]; l.DTMF != "" || l.Connected || l.Outcome != "answered" {
		t.Errorf("the listener: %+v", l)
	}
	// The agent's phone took the call, from the person's number.
	inv := e.phone.WaitInvites(1, 5*time.Second)
	if len(inv) != 1 || !strings.Contains(inv[0].From, strings.TrimPrefix(key, "+")) {
		t.Errorf("agent's phone INVITEs %+v, want one from %s", inv, key)
	}
	// Every call shows the campaign's caller id.
	for _, n := range []string{key, busy, noAnswer, listen} {
		for _, i := range e.invitesTo(n) {
			if !strings.Contains(i.From, "3225550000") {
				t.Errorf("INVITE to %s from %q, want the campaign's caller id", n, i.From)
			}
		}
	}
	if e.gets.Load() == 0 {
		t.Error("Asterisk never fetched the message")
	}
	e.checkPace(t, key, busy, noAnswer, listen)
}

// The dialer dies while the listener hears the message; a new dialer on
// the same store takes the campaign over once the lease expired: nobody
// is dialled twice for the same attempt (INVITEs per number = attempts),
// the attempt in progress at the crash is marked lost and retried as a
// new attempt, the other numbers are called, every result is recorded.
func TestCampaignKillRestart(t *testing.T) {
	t.Parallel()
	e := start(t)
	listen, key, busy, noAnswer := num(peerListen, 2), num(peerKey, 2), num(peerBusy, 2), num(peerNoAnswer, 2)
	c := e.campaign(t, "spring", listen, key, busy, noAnswer)
	stop := e.dialer(t, "vms-1")
	// The listener answers the first call and hears the message.
	deadline := time.Now().Add(30 * time.Second)
	for {
		res := e.results(t, c)
		l := res[listen]
		if len(l.History) == 1 && l.History[0].Outcome == "" && len(e.invitesTo(listen)) == 1 && e.gets.Load() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the listener's call not in progress: %+v", l)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	if l := e.results(t, c)[listen]; len(l.History) != 1 || l.History[0].Outcome != "" {
		t.Fatalf("after the crash the listener's attempt is %+v, want in progress", l.History)
	}
	e.dialer(t, "vms-2")
	e.waitDone(t, c, 120*time.Second)

	res := e.results(t, c)
	for _, n := range []string{listen, key, busy, noAnswer} {
		ct := res[n]
		if inv := e.invitesTo(n); len(inv) != len(ct.History) {
			t.Errorf("%s: %d INVITEs for %d attempts", n, len(inv), len(ct.History))
		}
		if ct.State != store.ContactDone {
			t.Errorf("%s: %s %q, want done", n, ct.State, ct.Result)
		}
		for _, a := range ct.History {
			if a.Outcome == "" || a.EndedAt == nil {
				t.Errorf("%s attempt %d has no result: %+v", n, a.Number, a)
			}
		}
	}
	l := res[listen]
	if len(l.History) != 2 || l.History[0].Outcome != store.OutcomeLost || l.History[0].Owner != "vms-1" ||
		l.History[1].Outcome != "answered" || l.History[1].Owner != "vms-2" {
		t.Errorf("listener attempts %+v, want the first lost (vms-1), the second answered (vms-2)", l.History)
	}
	if k := res[key]; k.ConnectedAgent != "Agent One" {
		t.Errorf("the person who pressed 1: %+v, want connected to Agent One", k)
	}
	if b := res[busy]; b.Attempts != 2 {
		t.Errorf("busy number: %d attempts, want 2", b.Attempts)
	}
	e.checkPace(t, listen, key, busy, noAnswer)
}
