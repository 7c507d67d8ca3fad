package routecache_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/vmsplatform/vms/controller"
	"github.com/vmsplatform/vms/routecache"
	"github.com/vmsplatform/vms/routing"
	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
)

// The cache reads the real store: a saved tree becomes a route, a new
// version is picked up through the generation, a ported number stops
// routing (NUM-3, TRM-6).
func TestFromStore(t *testing.T) {
	ctx := context.Background()
	s := storetest.SQLite(t)
	tn := &store.Tenant{Name: "Acme", Formula: "classic", TimeZone: "Europe/Brussels"}
	if err := s.CreateTenant(ctx, store.System, tn); err != nil {
		t.Fatal(err)
	}
	n := &store.Number{TenantID: tn.ID, E164: "+3222223344", Kind: "geographic", Status: store.NumberActive, OnNetwork: true}
	if err := s.CreateNumber(ctx, store.System, n); err != nil {
		t.Fatal(err)
	}
	tree := func(dest string) []byte {
		b, _ := json.Marshal(routing.Tree{ID: "main", Start: "a", Nodes: []routing.Node{{ID: "a", Type: routing.TypeNumber, Number: dest}}})
		return b
	}
	rt := &store.RoutingTree{TenantID: tn.ID, Key: "main", Name: "Main"}
	if _, err := s.CreateTree(ctx, store.System, rt, tree("+3292223333"), "first"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetNumberRouting(ctx, store.System, tn.ID, n.ID, store.NumberRouting{TreeID: &rt.ID, MaxConcurrent: 3, Overflow: store.OverflowBusy}); err != nil {
		t.Fatal(err)
	}

	c := routecache.New(routecache.FromStore(s), "BE", nil)
	if err := c.Load(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := c.Route(ctx, "3222223344")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Active || r.Plan == nil || r.TreeID != "main" || r.TreeVersion != 1 || r.Limit.MaxConcurrent != 3 || r.TenantID != tn.ID || r.NumberID != n.ID {
		t.Fatalf("route %+v", r)
	}
	if d := r.Plan.Evaluate(routing.Facts{Time: time.Now()}); d.Node.Number != "+3292223333" {
		t.Errorf("plan goes to %q", d.Node.Number)
	}
	if fb, _ := c.Fallbacks(ctx); fb["+3222223344"] != "+3292223333" {
		t.Errorf("fallbacks %v", fb)
	}

	if _, err := s.SaveTreeVersion(ctx, store.System, tn.ID, rt.ID, 1, tree("+3250111111"), "second"); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go c.Run(runCtx)
	waitRoute(t, c, func(r *controller.Route) bool { return r.TreeVersion == 2 })

	n.Status = store.NumberPorted
	if err := s.UpdateNumber(ctx, store.System, n); err != nil {
		t.Fatal(err)
	}
	waitRoute(t, c, func(r *controller.Route) bool { return !r.Active })
	if fb, _ := c.Fallbacks(ctx); len(fb) != 0 {
		t.Errorf("a ported number keeps a fallback: %v", fb)
	}
}

func waitRoute(t *testing.T, c *routecache.Cache, ok func(*controller.Route) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, err := c.Route(context.Background(), "+3222223344")
		if err == nil && ok(r) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("route %+v (%v) never changed as expected", r, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TRM-8: a controller record reaches the store with its legs and path;
// a record the store refuses for good is reported as rejected.
func TestRecords(t *testing.T) {
	ctx := context.Background()
	s := storetest.SQLite(t)
	tn := &store.Tenant{Name: "Acme", Formula: "classic"}
	if err := s.CreateTenant(ctx, store.System, tn); err != nil {
		t.Fatal(err)
	}
	arrived := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	answered := arrived.Add(3 * time.Second)
	ended := arrived.Add(time.Minute)
	rec := &controller.CallRecord{
		ID: "1795704682.0", TenantID: tn.ID, NumberID: 9, Caller: "+32477123456", Dialed: "+3222223344",
		TreeID: "main", TreeVersion: 4, ArrivedAt: arrived, AnsweredAt: &answered, EndedAt: &ended,
		Outcome: controller.OutcomeAnswered, Destination: "+3250111111",
		Path: []routing.Step{{Node: "a", Why: "ring +3292223333"}, {Node: "a", Why: "busy; taking the busy alternative"}},
		Legs: []controller.Leg{
			{Destination: "+3292223333", NodeID: "a", StartedAt: arrived, EndedAt: arrived.Add(time.Second), Outcome: controller.OutcomeBusy, Cause: 17},
			{Destination: "+3250111111", NodeID: "b", StartedAt: arrived.Add(time.Second), AnsweredAt: &answered, EndedAt: ended, Outcome: controller.OutcomeAnswered},
		},
	}
	recs := routecache.Records{Store: s}
	for range 2 { // a retry after a lost reply is harmless
		if err := recs.SaveCall(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.ListCallRecords(ctx, tn.ID, store.CallFilter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("records %v (%v), want one", list, err)
	}
	got, err := s.GetCallRecord(ctx, tn.ID, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.CallID != rec.ID || got.Outcome != "answered" || got.Destination != "+3250111111" || got.TreeVersion != 4 ||
		got.AnsweredAt == nil || !got.AnsweredAt.Equal(answered) || got.EndedAt == nil || !got.EndedAt.Equal(ended) {
		t.Errorf("stored record %+v", got)
	}
	var path []routing.Step
	if err := json.Unmarshal([]byte(got.Path), &path); err != nil || len(path) != 2 || path[1].Why != rec.Path[1].Why {
		t.Errorf("stored path %q (%v)", got.Path, err)
	}
	if len(got.Legs) != 2 || got.Legs[0].Outcome != "busy" || got.Legs[0].Cause != 17 || got.Legs[1].AnsweredAt == nil || got.Legs[1].EndedAt == nil {
		t.Errorf("stored legs %+v", got.Legs)
	}
	bad := *rec
	bad.ID = ""
	if err := recs.SaveCall(ctx, &bad); !errors.Is(err, controller.ErrRecordRejected) {
		t.Errorf("record without id: %v, want ErrRecordRejected", err)
	}
}
