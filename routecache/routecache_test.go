package routecache

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmsplatform/vms/controller"
	"github.com/vmsplatform/vms/routing"
)

// fakeSource serves snapshots; err makes every read fail (database down).
type fakeSource struct {
	mu    sync.Mutex
	snap  *Snapshot
	err   error
	reads int
}

func (f *fakeSource) Generation(ctx context.Context) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return 0, f.err
	}
	return f.snap.Generation, nil
}

func (f *fakeSource) Snapshot(ctx context.Context) (*Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	if f.err != nil {
		return nil, f.err
	}
	return f.snap, nil
}

func (f *fakeSource) set(s *Snapshot) {
	f.mu.Lock()
	f.snap = s
	f.mu.Unlock()
}

func doc(t *testing.T, tr routing.Tree) []byte {
	t.Helper()
	b, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// snapshot: tenant 1 with an office-hours tree on +3221234567, a broken
// tree on +3221234568, a ported number; tenant 2 with its own tree.
func snapshot(t *testing.T, gen int64, officeNumber string) *Snapshot {
	office := routing.Tree{ID: "office", Start: "hours", Nodes: []routing.Node{
		{ID: "hours", Type: routing.TypeTime, Default: "night", Branches: []routing.Branch{{Next: "vip",
			Windows: []routing.Window{{Days: []string{"mon-fri"}, From: "08:00", To: "18:00"}}}}},
		{ID: "vip", Type: routing.TypeList, Default: "desk", Branches: []routing.Branch{{List: "VIP", Next: "boss"}}},
		{ID: "desk", Type: routing.TypeNumber, Number: officeNumber, Site: "ghent"},
		{ID: "boss", Type: routing.TypeNumber, Number: "+32475000001"},
		{ID: "night", Type: routing.TypeAnnouncement, Prompt: "closed"},
	}}
	broken := routing.Tree{ID: "broken", Start: "a", Nodes: []routing.Node{
		{ID: "a", Type: routing.TypeAnnouncement, Prompt: "deleted-prompt"},
	}}
	nightOnly := routing.Tree{ID: "night", Start: "n", Nodes: []routing.Node{
		{ID: "n", Type: routing.TypeAnnouncement, Prompt: "closed", Next: "m"},
		{ID: "m", Type: routing.TypeNumber, Number: "+3250111111"},
	}}
	return &Snapshot{
		Generation: gen,
		Numbers: []Number{
			{TenantID: 1, NumberID: 10, E164: "+3221234567", Active: true, TimeZone: "Europe/Brussels", TreeID: "office",
				Limit: controller.Limit{MaxConcurrent: 5}},
			{TenantID: 1, NumberID: 11, E164: "+3221234568", Active: true, TreeID: "broken", Fallback: "+3292220000"},
			{TenantID: 1, NumberID: 12, E164: "+3221234569", Active: false, TreeID: "office"},
			{TenantID: 1, NumberID: 13, E164: "+3222223344", Active: true, TreeID: "night"},
			{TenantID: 2, NumberID: 20, E164: "+3250000000", Active: true, TreeID: "night"},
		},
		Trees: map[uint]map[string]Tree{
			1: {"office": {Version: 4, Document: doc(t, office)}, "broken": {Version: 1, Document: doc(t, broken)}},
			2: {"night": {Version: 2, Document: doc(t, nightOnly)}},
		},
		Lists:   map[uint]map[string]map[string]bool{1: {"VIP": {"+32477123456": true}}},
		Sites:   map[uint]map[string]bool{1: {"ghent": true, "brussels": false}},
		Prompts: map[uint]map[string]string{1: {"closed": "abc123"}, 2: {"closed": "def456"}},
	}
}

func loaded(t *testing.T, snap *Snapshot) (*Cache, *fakeSource) {
	t.Helper()
	src := &fakeSource{snap: snap}
	c := New(src, "", nil)
	if err := c.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c, src
}

func TestRoute(t *testing.T) {
	c, _ := loaded(t, snapshot(t, 1, "+3292223333"))
	ctx := context.Background()
	tests := []struct {
		name, dialed, want string
		active             bool
	}{
		{"E.164", "+3221234567", "+3221234567", true},
		{"E.164 without plus, as Asterisk reports it", "3221234567", "+3221234567", true},
		{"international", "003221234567", "+3221234567", true},
		{"national", "022223344", "+3222223344", true},
		{"ported number is routed inactive (NUM-3)", "+3221234569", "+3221234569", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := c.Route(ctx, tt.dialed)
			if err != nil {
				t.Fatal(err)
			}
			if r.Number != tt.want || r.Active != tt.active {
				t.Errorf("route %s active %v, want %s active %v", r.Number, r.Active, tt.want, tt.active)
			}
		})
	}
	if _, err := c.Route(ctx, "+3299999999"); !errors.Is(err, controller.ErrNoRoute) {
		t.Errorf("unknown number: %v, want ErrNoRoute", err)
	}
	r, _ := c.Route(ctx, "+3221234567")
	if r.Plan == nil || r.TreeVersion != 4 || r.TenantID != 1 || r.NumberID != 10 || r.Limit.MaxConcurrent != 5 {
		t.Errorf("route %+v", r)
	}
	if r.InList == nil || !r.InList("VIP", "+32477123456") || r.InList("VIP", "+32477000000") {
		t.Error("InList does not follow the VIP list")
	}
	if !r.SitesDown["ghent"] || r.SitesDown["brussels"] {
		t.Errorf("SitesDown = %v, want only ghent", r.SitesDown)
	}
	// The tree's facts reach the plan: in office hours a VIP goes to the
	// boss; the desk is at a site that is down.
	d := r.Plan.Evaluate(routing.Facts{Time: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), Caller: "+32477123456", InList: r.InList, SitesDown: r.SitesDown})
	if d.NodeID() != "boss" {
		t.Errorf("VIP in office hours went to %q", d.NodeID())
	}
}

// A tree that does not compile never breaks loading: its number keeps its
// fallback and no plan; the other trees serve.
func TestBrokenTree(t *testing.T) {
	c, _ := loaded(t, snapshot(t, 1, "+3292223333"))
	r, err := c.Route(context.Background(), "+3221234568")
	if err != nil {
		t.Fatal(err)
	}
	if r.Plan != nil || r.Fallback != "+3292220000" || !r.Active {
		t.Errorf("broken tree's route %+v, want active, no plan, explicit fallback", r)
	}
	if _, _, err := c.Tree(context.Background(), 1, "broken"); err == nil || !strings.Contains(err.Error(), "deleted-prompt") {
		t.Errorf("Tree(broken) = %v, want the compile problem", err)
	}
	if p, v, err := c.Tree(context.Background(), 2, "night"); err != nil || p == nil || v != 2 {
		t.Errorf("Tree(night) = %v %d %v", p, v, err)
	}
	if _, _, err := c.Tree(context.Background(), 2, "office"); err == nil {
		t.Error("tenant 2 got tenant 1's tree")
	}
}

// ENG-3: the static fallback is the explicit one, else the number an
// ordinary call reaches in office hours, else the first number of the
// tree; inactive numbers have none.
func TestFallbacks(t *testing.T) {
	c, _ := loaded(t, snapshot(t, 1, "+3292223333"))
	got, err := c.Fallbacks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		// Office hours lead to the desk even though its site is down now:
		// the fallback is for when VMS is away, not a routing decision.
		"+3221234567": "+3292223333",
		"+3221234568": "+3292220000",
		"+3250000000": "+3250111111", // behind the announcement
	}
	if len(got) != len(want) {
		t.Errorf("fallbacks %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("fallback of %s = %q, want %q", k, got[k], v)
		}
	}
}

// TRM-6: a new generation is picked up without restart; a call keeps the
// plan it started with; the database being down keeps the last routes.
func TestRefresh(t *testing.T) {
	c, src := loaded(t, snapshot(t, 1, "+3292223333"))
	ctx := context.Background()
	before, _ := c.Route(ctx, "+3221234567")
	oldPlan := before.Plan

	c.refresh(ctx, false) // same generation: nothing read
	if src.reads != 1 {
		t.Errorf("%d snapshot reads for an unchanged generation, want 1", src.reads)
	}
	src.set(snapshot(t, 2, "+3292224444"))
	c.refresh(ctx, false)
	after, _ := c.Route(ctx, "+3221234567")
	if c.Generation() != 2 || after.Fallback != "+3292224444" {
		t.Errorf("generation %d fallback %q, want 2 and the new number", c.Generation(), after.Fallback)
	}
	if before.Plan != oldPlan || before.Fallback != "+3292223333" || after.Plan == oldPlan {
		t.Error("the route handed out before the change was modified, or the new one kept the old plan")
	}

	src.mu.Lock()
	src.err = errors.New("connection refused")
	src.mu.Unlock()
	c.refresh(ctx, false)
	c.refresh(ctx, true)
	if r, err := c.Route(ctx, "+3221234567"); err != nil || r != after {
		t.Errorf("with the database down: %v %v, want the last loaded route", r, err)
	}
}

// Invalidate reloads at once through Run, even at the same generation.
func TestInvalidate(t *testing.T) {
	c, src := loaded(t, snapshot(t, 1, "+3292223333"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	src.set(snapshot(t, 1, "+3292225555"))
	c.Invalidate()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, _ := c.Route(ctx, "+3221234567")
		if r.Fallback == "+3292225555" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Invalidate did not reload")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// BenchmarkRoute measures the look-up a call makes.
func BenchmarkRoute(b *testing.B) {
	t := &testing.T{}
	c, _ := loaded(t, snapshot(t, 1, "+3292223333"))
	ctx := context.Background()
	for b.Loop() {
		if _, err := c.Route(ctx, "3221234567"); err != nil {
			b.Fatal(err)
		}
	}
}
