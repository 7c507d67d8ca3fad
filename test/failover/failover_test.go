package failover

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vmsplatform/vms/controller"
	"github.com/vmsplatform/vms/routing"
	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
	"github.com/vmsplatform/vms/test/astertest"
	"github.com/vmsplatform/vms/test/sipptest"
)

// The seeded customer: callers dial mainNumber; its tree sends every call
// to reception; while VMS is away Asterisk dials fallback (ENG-3).
const (
	mainNumber = "+3225550100"
	reception  = "+3225550111"
	fallback   = "+3225550199"
	ringSecs   = 10
)

// holdA is how long call A lasts: long enough to stay up across a SIGKILL
// of VMS, a call to the fallback and a restart of VMS on a loaded machine.
const holdA = 30 * time.Second

// callerA is call A's caller in E.164 (placed as 0470000001).
const callerA = "+32470000001"

// digits returns a number without its "+".
func digits(e164 string) string { return strings.TrimPrefix(e164, "+") }

// seed creates an active Classic customer whose number mainNumber is
// routed by a one-node tree to reception, with fallback as the number's
// fallback destination; it returns the tenant's id.
func seed(t *testing.T, st *store.Store) uint {
	t.Helper()
	ctx := context.Background()
	tree := routing.Tree{ID: "main", Name: "Main number", Start: "reception", Nodes: []routing.Node{
		{ID: "reception", Label: "Reception", Type: routing.TypeNumber, Number: reception, RingTimeout: ringSecs},
	}}
	if err := routing.Validate(&tree, routing.RefSet{}); err != nil {
		t.Fatalf("seed: tree: %v", err)
	}
	doc, err := json.Marshal(tree)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tn := &store.Tenant{Name: "Failover NV", Formula: "Classic", Status: store.TenantActive, ActivatedAt: &now}
	if err := st.CreateTenant(ctx, store.System, tn); err != nil {
		t.Fatalf("seed: tenant: %v", err)
	}
	rt := &store.RoutingTree{TenantID: tn.ID, Key: tree.ID, Name: tree.Name}
	if _, err := st.CreateTree(ctx, store.System, rt, doc, "failover test tree"); err != nil {
		t.Fatalf("seed: tree: %v", err)
	}
	num := &store.Number{TenantID: tn.ID, E164: mainNumber, Label: "Main number", Kind: "fixed", OnNetwork: true, Status: store.NumberActive, ActivatedAt: &now}
	if err := st.CreateNumber(ctx, store.System, num); err != nil {
		t.Fatalf("seed: number: %v", err)
	}
	if _, err := st.SetNumberRouting(ctx, store.System, tn.ID, num.ID, store.NumberRouting{TreeID: &rt.ID, Fallback: fallback}); err != nil {
		t.Fatalf("seed: number routing: %v", err)
	}
	return tn.ID
}

// lab is the world of the failover tests: one Asterisk, one SIPp UAS for
// the operator network behind endpoint "out", a PostgreSQL database seen by
// VMS through a proxy, and the environment of the vms binary.
type lab struct {
	ast    *astertest.Asterisk
	uas    *sipptest.UASPeer
	st     *store.Store // direct connection, not through the proxy
	proxy  *tcpProxy
	tenant uint
	env    vmsEnv
}

func newLab(t *testing.T) *lab {
	t.Helper()
	binary(t)
	dbURL := storetest.PostgresURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := store.Open(ctx, store.Config{DSN: dbURL})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	l := &lab{st: st, tenant: seed(t, st)}

	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	l.proxy = startProxy(t, u.Host)
	u.Host = l.proxy.Addr
	viaProxy := u.String()

	l.uas = sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.Answer})
	l.ast = astertest.Start(t, astertest.Options{
		Destinations: []astertest.Destination{{Name: "out", Port: l.uas.Port}},
	})
	l.env = vmsEnv{
		"VMS_DATABASE_URL": viaProxy,
		"VMS_DATA_DIR":     t.TempDir(),
		"VMS_ARI_URL":      l.ast.ARIURL,
		"VMS_ARI_USER":     l.ast.ARIUser,
		"VMS_ARI_PASSWORD": l.ast.ARIPassword,
		"VMS_ARI_APP":      l.ast.App,
		"VMS_TRUNK":        "PJSIP/{number}@out",
		// TestFailover proves the adoption of calls VMS bridged itself;
		// calls the dialplan connects: TestFailoverDialplanCalls.
		"VMS_BRIDGE_CALLS": "true",
		"VMS_MEDIA_URL":    "http://127.0.0.1:1",
		"VMS_LOG_LEVEL":    "info",
	}
	return l
}

// call places one call from the trunk to mainNumber and waits for its end.
func (l *lab) call(t testing.TB, caller string, hold time.Duration) *sipptest.CallResult {
	t.Helper()
	return sipptest.Call(t, sipptest.CallOptions{
		Target: l.ast.SIPAddr(), Number: digits(mainNumber), Caller: caller,
		Hold: hold, CallTimeout: 30 * time.Second,
	})
}

// invitesTo returns how many INVITEs the operator network received for
// number.
func (l *lab) invitesTo(number string) int {
	n := 0
	for _, inv := range l.uas.Invites() {
		if strings.HasPrefix(inv.RequestURI, "sip:"+digits(number)+"@") {
			n++
		}
	}
	return n
}

// requestURIs lists the Request-URIs received so far, for failure messages.
func (l *lab) requestURIs() string {
	var s []string
	for _, inv := range l.uas.Invites() {
		s = append(s, inv.RequestURI)
	}
	return "[" + strings.Join(s, " ") + "]"
}

// waitInvitesTo waits until number received want INVITEs in all, and
// fails if it received more.
func (l *lab) waitInvitesTo(t *testing.T, number string, want int) {
	t.Helper()
	eventually(t, 20*time.Second, fmt.Sprintf("%d INVITE(s) for %s", want, number), func() (bool, string) {
		return l.invitesTo(number) >= want, "received " + l.requestURIs()
	})
	if got := l.invitesTo(number); got != want {
		t.Fatalf("INVITEs for %s: got %d, want %d; received %s", number, got, want, l.requestURIs())
	}
}

// ari sends a GET to Asterisk's ARI and decodes a 200 answer into v; it
// returns the status.
func (l *lab) ari(t *testing.T, path string, q url.Values, v any) int {
	t.Helper()
	status, body := l.ast.ARI(t, http.MethodGet, path, q)
	if status == http.StatusOK && v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("ARI GET %s: %v: %s", path, err, body)
		}
	}
	return status
}

// appRegistered reports whether a client holds the Stasis application.
func (l *lab) appRegistered(t *testing.T) bool {
	return l.ari(t, "/ari/applications/"+l.ast.App, nil, nil) == http.StatusOK
}

// global returns a dialplan global variable ("" when unset).
func (l *lab) global(t *testing.T, name string) string {
	var v struct {
		Value string `json:"value"`
	}
	l.ari(t, "/ari/asterisk/variable", url.Values{"variable": {name}}, &v)
	return v.Value
}

type ariChannel struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type ariBridge struct {
	ID       string   `json:"id"`
	Channels []string `json:"channels"`
}

func (l *lab) channels(t *testing.T) []ariChannel {
	var cs []ariChannel
	l.ari(t, "/ari/channels", nil, &cs)
	return cs
}

func (l *lab) bridges(t *testing.T) []ariBridge {
	var bs []ariBridge
	l.ari(t, "/ari/bridges", nil, &bs)
	return bs
}

// vmsBridges returns the bridges VMS made for calls (named vms-<inbound>)
// that hold two channels.
func (l *lab) vmsBridges(t *testing.T) []ariBridge {
	var out []ariBridge
	for _, b := range l.bridges(t) {
		if strings.HasPrefix(b.ID, "vms-") && len(b.Channels) == 2 {
			out = append(out, b)
		}
	}
	return out
}

// waitRegistered waits until the Stasis application is held by a client.
func (l *lab) waitRegistered(t *testing.T, who string) {
	t.Helper()
	eventually(t, 60*time.Second, who+" holds ARI application "+l.ast.App, func() (bool, string) {
		return l.appRegistered(t), "GET /ari/applications/" + l.ast.App + " is not 200"
	})
}

// waitFallbackStored waits until Asterisk holds mainNumber's fallback in
// AstDB and in the global.
func (l *lab) waitFallbackStored(t *testing.T) {
	t.Helper()
	want := "PJSIP/" + digits(fallback) + "@out"
	eventually(t, 60*time.Second, "fallback of "+mainNumber+" stored in Asterisk", func() (bool, string) {
		db, _ := l.ast.DBGet(t, "vms-fallback", digits(mainNumber))
		g := l.global(t, "VMS_FALLBACK_"+digits(mainNumber))
		return db == want && g == want, fmt.Sprintf("AstDB %q, global %q, want %q", db, g, want)
	})
}

// TestFailover runs the reliability proofs in order, on one Asterisk and
// one database: each step starts from the state the previous one left
// (the calls still up, the process that runs), as in production.
func TestFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("real vms binary, Asterisk, SIPp and PostgreSQL: not in -short")
	}
	l := newLab(t)
	vms1 := startVMS(t, t, "vms-1", l.env)
	l.waitRegistered(t, vms1.Name)

	// Call A outlives the first VMS process: it is placed in step 1 and
	// must end normally, by the caller, after step 2. It runs in its own
	// goroutine; the top-level t owns it as it spans both steps.
	resA := make(chan *sipptest.CallResult, 1)
	top := t
	var vms2 *vmsProc

	// ENG-3, ENG-1: VMS dies without warning while a call is bridged.
	ok := t.Run("kill VMS mid-traffic", func(t *testing.T) {
		l.waitFallbackStored(t)

		aDone := make(chan struct{})
		go func() {
			defer close(aDone)
			resA <- l.call(top, "0470000001", holdA)
		}()
		// Should a step fail early, call A still ends before the test's
		// cleanup stops Asterisk and SIPp under it.
		top.Cleanup(func() {
			select {
			case <-aDone:
			case <-time.After(holdA + 60*time.Second):
			}
		})
		l.waitInvitesTo(t, reception, 1)
		eventually(t, 30*time.Second, "call A bridged by VMS", func() (bool, string) {
			return len(l.vmsBridges(t)) == 1, fmt.Sprintf("bridges %+v", l.bridges(t))
		})

		// TRM-8: vms-1 saves call A's record as soon as it is answered,
		// so that the record outlives vms-1.
		eventually(t, 30*time.Second, "call A's answer-time record saved", func() (bool, string) {
			rec := l.recordOf(t, callerA)
			return rec != nil && rec.AnsweredAt != nil, fmt.Sprintf("record %+v", rec)
		})
		vms1.Kill(t)
		// The kernel closed the dead process's sockets; Asterisk
		// deactivates the application once it has read the WebSocket's
		// end and closed its side. Until then Stasis() would still take
		// calls for the dead application. (The application itself stays
		// listed in ARI while it owns call A's channels.)
		eventually(t, 30*time.Second, "Asterisk closes the dead VMS's connections", func() (bool, string) {
			n := closeWait(l.ast.HTTPPort)
			return n == 0, fmt.Sprintf("%d connection(s) of Asterisk's HTTP port still in CLOSE_WAIT", n)
		})

		resB := l.call(t, "0470000002", time.Second)
		if resB.Successful != 1 || resB.Failed != 0 {
			t.Errorf("call B while VMS is down: successful %d, failed %d, final status %d; want answered by the fallback",
				resB.Successful, resB.Failed, resB.FinalStatus)
		}
		l.waitInvitesTo(t, fallback, 1)
		if n := l.invitesTo(reception); n != 1 {
			t.Errorf("INVITEs for %s: %d, want 1 (call B must not reach the tree's destination); received %s", reception, n, l.requestURIs())
		}
		select {
		case r := <-resA:
			resA <- r
			t.Errorf("call A ended while VMS was down (successful %d, failed %d): it must stay up", r.Successful, r.Failed)
		default:
		}
		if len(l.vmsBridges(t)) != 1 {
			t.Errorf("call A's bridge is gone while VMS is down: bridges %+v", l.bridges(t))
		}
	})
	if !ok {
		return
	}

	// ENG-1, TRM-6: a new process on the same database takes the calls
	// it finds back and routes the next call by the tree.
	ok = t.Run("restart VMS", func(t *testing.T) {
		vms2 = startVMS(t, top, "vms-2", l.env)
		l.waitRegistered(t, vms2.Name)
		eventually(t, 30*time.Second, "vms-2 adopts call A", func() (bool, string) {
			return vms2.logCount("adopted a bridged call after reconnecting") >= 1, "no adoption logged yet"
		})
		select {
		case r := <-resA:
			resA <- r
			t.Fatalf("call A ended (successful %d) before the adoption could be checked; the proof needs it up", r.Successful)
		default:
		}
		if n := vms2.logCount("adopted channel has no partner; hanging it up"); n != 0 {
			t.Errorf("vms-2 hung up %d adopted channel(s) of a bridged call", n)
		}

		resC := l.call(t, "0470000003", time.Second)
		if resC.Successful != 1 || resC.Failed != 0 {
			t.Errorf("call C after the restart: successful %d, failed %d, final status %d", resC.Successful, resC.Failed, resC.FinalStatus)
		}
		l.waitInvitesTo(t, reception, 2)
		if n := l.invitesTo(fallback); n != 1 {
			t.Errorf("INVITEs for the fallback %s: %d, want 1 (call C must be routed by VMS)", fallback, n)
		}

		var a *sipptest.CallResult
		select {
		case a = <-resA:
		case <-time.After(holdA + 90*time.Second):
			t.Fatal("call A did not end")
		}
		if a.Successful != 1 || a.Failed != 0 {
			t.Errorf("call A across the kill and restart: successful %d, failed %d, final status %d; want one call ended normally by its caller",
				a.Successful, a.Failed, a.FinalStatus)
		}
		// Without VMS the destination leg would stay up in Stasis after
		// the caller's hang-up: an empty Asterisk proves vms-2 ended it.
		eventually(t, 30*time.Second, "no channel or bridge left in Asterisk", func() (bool, string) {
			cs, bs := l.channels(t), l.bridges(t)
			return len(cs) == 0 && len(bs) == 0, fmt.Sprintf("channels %+v, bridges %+v", cs, bs)
		})
		if n := vms2.logCount("adopted call ended"); n != 1 {
			t.Errorf("vms-2 logged the end of %d adopted call(s), want 1 (call A)", n)
		}
		// TRM-8: call A's record is complete although vms-1, which
		// routed and answered it, was killed: vms-2 saved the end over
		// the record vms-1 saved at answer.
		var recA *store.CallRecord
		eventually(t, 30*time.Second, "call A's record ended", func() (bool, string) {
			recA = l.recordOf(t, callerA)
			return recA != nil && recA.EndedAt != nil, fmt.Sprintf("record %+v", recA)
		})
		if recA.Outcome != controller.OutcomeAnswered || recA.Dialed != mainNumber || recA.Destination != reception ||
			recA.AnsweredAt == nil || recA.Path == "" || recA.Path == "[]" || len(recA.Legs) != 1 || recA.Legs[0].EndedAt == nil {
			t.Errorf("call A's record %+v, legs %+v; want answered at %s, ended, with its path and its ended leg", recA, recA.Legs, reception)
		}
		if !vms2.Running() {
			t.Error("vms-2 exited")
		}
	})
	if !ok {
		return
	}

	// ENG-1, ENG-3: Asterisk restarts under a running VMS.
	ok = t.Run("restart Asterisk", func(t *testing.T) {
		l.ast.Restart(t)
		l.waitRegistered(t, vms2.Name+" after the Asterisk restart")
		// The global is lost with the restart (AstDB is kept): VMS writes
		// it again after reconnecting.
		l.waitFallbackStored(t)

		resD := l.call(t, "0470000004", time.Second)
		if resD.Successful != 1 || resD.Failed != 0 {
			t.Errorf("call D after the Asterisk restart: successful %d, failed %d, final status %d", resD.Successful, resD.Failed, resD.FinalStatus)
		}
		l.waitInvitesTo(t, reception, 3)
		if n := l.invitesTo(fallback); n != 1 {
			t.Errorf("INVITEs for the fallback %s: %d, want 1 (call D must be routed by VMS)", fallback, n)
		}
		if !vms2.Running() {
			t.Error("vms-2 exited during the Asterisk restart")
		}
	})
	if !ok {
		return
	}

	// TRM-8, "PostgreSQL stopped: calls still routed".
	t.Run("PostgreSQL stopped", func(t *testing.T) {
		// The records of A, C and D are saved complete first (each call
		// is saved at answer and at its end), so that the only record
		// waiting during the outage is E's.
		eventually(t, 60*time.Second, "records of calls A, C and D saved ended", func() (bool, string) {
			recs, ended := l.recordsSince(t, time.Time{}), 0
			for _, r := range recs {
				if r.EndedAt != nil {
					ended++
				}
			}
			return ended >= 3, fmt.Sprintf("%d record(s), %d ended", len(recs), ended)
		})
		since := time.Now()
		l.proxy.Down()
		eventually(t, 30*time.Second, "readyz reports the database unavailable", func() (bool, string) {
			code, body := vms2.get("/readyz")
			return code == http.StatusServiceUnavailable && strings.Contains(body, "database"), fmt.Sprintf("HTTP %d %s", code, body)
		})

		resE := l.call(t, "0470000005", time.Second)
		if resE.Successful != 1 || resE.Failed != 0 {
			t.Errorf("call E with the database down: successful %d, failed %d, final status %d", resE.Successful, resE.Failed, resE.FinalStatus)
		}
		l.waitInvitesTo(t, reception, 4)
		if n := l.invitesTo(fallback); n != 1 {
			t.Errorf("INVITEs for the fallback %s: %d, want 1 (call E must be routed by VMS)", fallback, n)
		}
		if code, body := vms2.get("/healthz"); code != http.StatusOK {
			t.Errorf("healthz with the database down: HTTP %d %s, want 200", code, body)
		}
		if !vms2.Running() {
			t.Fatal("vms-2 exited with the database down")
		}
		// The record of E waits in the controller's queue: its save fails
		// while the database is unreachable and is retried (checked by
		// call id below, once the record tells it).
		eventually(t, 30*time.Second, "vms-2 fails to save a call record", func() (bool, string) {
			return vms2.logCount("saving call record failed; will retry") >= 1, "no failed save logged"
		})
		if recs := l.recordsSince(t, since); len(recs) != 0 {
			t.Fatalf("call records saved while the database was unreachable through the proxy: %+v", recs)
		}

		l.proxy.Up(t)
		var rec store.CallRecord
		eventually(t, 90*time.Second, "call E's record saved once the database is back", func() (bool, string) {
			recs := l.recordsSince(t, since)
			if len(recs) == 0 {
				return false, "no record yet"
			}
			rec = recs[0]
			return true, ""
		})
		if recs := l.recordsSince(t, since); len(recs) != 1 {
			t.Errorf("records since the outage began: %d, want 1 (call E)", len(recs))
		}
		if !strings.Contains(vms2.Stderr(), `msg="saving call record failed; will retry" component=controller call_id=`+rec.CallID+" ") {
			t.Errorf("no failed save of call E's record (call id %s) was logged: was it saved during the outage?", rec.CallID)
		}
		if rec.Dialed != mainNumber || rec.Destination != reception || rec.Outcome != controller.OutcomeAnswered {
			t.Errorf("call E's record: dialed %q, destination %q, outcome %q; want %s, %s, %s",
				rec.Dialed, rec.Destination, rec.Outcome, mainNumber, reception, controller.OutcomeAnswered)
		}
		eventually(t, 30*time.Second, "readyz ready again", func() (bool, string) {
			code, body := vms2.get("/readyz")
			return code == http.StatusOK, fmt.Sprintf("HTTP %d %s", code, body)
		})
		eventually(t, 30*time.Second, "no channel or bridge left in Asterisk", func() (bool, string) {
			cs, bs := l.channels(t), l.bridges(t)
			return len(cs) == 0 && len(bs) == 0, fmt.Sprintf("channels %+v, bridges %+v", cs, bs)
		})
	})
}

// recordOf returns, with its legs, the tenant's call record of the one
// call from caller (E.164), nil if there is none yet.
func (l *lab) recordOf(t *testing.T, caller string) *store.CallRecord {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	recs, err := l.st.ListCallRecords(ctx, l.tenant, store.CallFilter{Number: caller})
	if err != nil {
		t.Fatalf("list call records: %v", err)
	}
	if len(recs) == 0 {
		return nil
	}
	if len(recs) > 1 {
		t.Fatalf("%d call records from %s, want one", len(recs), caller)
	}
	rec, err := l.st.GetCallRecord(ctx, l.tenant, recs[0].ID)
	if err != nil {
		t.Fatalf("get call record: %v", err)
	}
	return rec
}

// recordsSince reads, over the test's own connection, the tenant's call
// records that arrived at since or later.
func (l *lab) recordsSince(t *testing.T, since time.Time) []store.CallRecord {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	recs, err := l.st.ListCallRecords(ctx, l.tenant, store.CallFilter{From: since})
	if err != nil {
		t.Fatalf("list call records: %v", err)
	}
	return recs
}

// closeWait counts the TCP connections accepted on 127.0.0.1:port whose
// peer has closed but that the server has not closed yet (CLOSE_WAIT).
func closeWait(port int) int {
	data, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return 0
	}
	local := fmt.Sprintf("0100007F:%04X", port)
	n := 0
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(line)
		// sl local_address rem_address st ...; st 08 is CLOSE_WAIT.
		if len(f) > 3 && f[1] == local && f[3] == "08" {
			n++
		}
	}
	return n
}
