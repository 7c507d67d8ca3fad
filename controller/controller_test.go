package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmsplatform/vms/engine"
	"github.com/vmsplatform/vms/engine/enginetest"
	"github.com/vmsplatform/vms/routing"
)

// Numbers used by the tests.
const (
	dialed   = "+3221234567"
	dialedTo = "3221234567" // as the engine reports it
	numA     = "+3222221111"
	numB     = "+3233334444"
	numC     = "+3292223333"
	numFB    = "+3250556677"
	caller   = "+3247712345" // a Belgian mobile
)

// endpoint is the Fake's dial string of an E.164 number.
func endpoint(e164 string) string { return "PJSIP/" + strings.TrimPrefix(e164, "+") + "@trunk" }

// fakeRoutes is a Routes over literal trees.
type fakeRoutes struct {
	mu        sync.Mutex
	routes    map[string]*Route
	trees     map[string]*routing.Plan
	fallbacks map[string]string
	err       error
}

func (r *fakeRoutes) Route(ctx context.Context, d string) (*Route, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return nil, r.err
	}
	rt := r.routes["+"+strings.TrimPrefix(d, "+")]
	if rt == nil {
		return nil, ErrNoRoute
	}
	return rt, nil
}

func (r *fakeRoutes) Tree(ctx context.Context, tenant uint, id string) (*routing.Plan, int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.trees[id]
	if p == nil {
		return nil, 0, errors.New("no such tree")
	}
	return p, 3, nil
}

func (r *fakeRoutes) Fallbacks(ctx context.Context) (map[string]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return cloneMap(r.fallbacks), nil
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// memRecords keeps the last record saved per call and every save;
// failFirst makes the first saves fail (a database that is down).
type memRecords struct {
	mu        sync.Mutex
	recs      map[string]*CallRecord
	history   map[string][]CallRecord
	failFirst int
	reject    bool // refuse every record for good
	attempts  int
	saved     chan string // when set, receives the id of each saved record
}

func (m *memRecords) SaveCall(ctx context.Context, r *CallRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.attempts++
	if m.attempts <= m.failFirst {
		return errors.New("database is down")
	}
	if m.reject {
		return fmt.Errorf("bad record: %w", ErrRecordRejected)
	}
	m.recs[r.ID] = r
	m.history[r.ID] = append(m.history[r.ID], *r)
	if m.saved != nil {
		m.saved <- r.ID
	}
	return nil
}

func (m *memRecords) get(id string) *CallRecord {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.recs[id]
}

// saves returns every record saved for a call, in order.
func (m *memRecords) saves(id string) []CallRecord {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.history[id])
}

func newMemRecords() *memRecords {
	return &memRecords{recs: map[string]*CallRecord{}, history: map[string][]CallRecord{}}
}

type harness struct {
	t      testing.TB
	fake   *enginetest.Fake
	routes *fakeRoutes
	recs   *memRecords
	c      *Controller
	cancel context.CancelFunc
	done   chan error
	now    time.Time
	mu     sync.Mutex
}

type option func(*Config, *harness)

// newHarness runs a Controller on a Fake with one routed number, dialed,
// whose tree is tr.
func newHarness(t testing.TB, tr routing.Tree, opts ...option) *harness {
	t.Helper()
	plan, err := routing.Compile(&tr, nil)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	h := &harness{
		t:    t,
		fake: enginetest.NewFake(),
		routes: &fakeRoutes{
			routes: map[string]*Route{dialed: {TenantID: 7, NumberID: 9, Number: dialed, TreeID: tr.ID, TreeVersion: 2, Plan: plan, Active: true, Fallback: numFB}},
			trees:  map[string]*routing.Plan{},
		},
		recs: newMemRecords(),
		// Thursday 26 November 2026, 10:00 in Brussels: office hours.
		now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC),
	}
	cfg := Config{
		Trunk:              "PJSIP/{number}@trunk",
		PromptURL:          func(id string) string { return "sound:prompts/" + id },
		DefaultRingTimeout: 150 * time.Millisecond,
		MenuTimeout:        150 * time.Millisecond,
		Now:                h.clock,
		Random:             func() uint32 { return 42 },
		FallbackInterval:   20 * time.Millisecond,
	}
	for _, o := range opts {
		o(&cfg, h)
	}
	var log *slog.Logger
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	c, err := New(cfg, h.fake, h.routes, h.recs, log)
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.done = make(chan error, 1)
	go func() { h.done <- c.Run(ctx) }()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) clock() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

func (h *harness) setNow(t time.Time) {
	h.mu.Lock()
	h.now = t
	h.mu.Unlock()
}

func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		h.t.Error("Run did not return after cancel")
	}
}

// record waits for the final call record of the inbound channel (the
// one with EndedAt set).
func (h *harness) record(in engine.ChannelID) *CallRecord {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if r := h.recs.get(string(in)); r != nil && r.EndedAt != nil {
			return r
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("no call record for %s", in)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitFor polls cond until it holds.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// originatedTo returns the endpoints originated, in order.
func (h *harness) originatedTo() []string {
	var out []string
	for _, r := range h.fake.Originated() {
		out = append(out, r.Endpoint)
	}
	return out
}

// leg returns the originate request to an endpoint.
func (h *harness) leg(ep string) engine.OriginateRequest {
	for _, r := range h.fake.Originated() {
		if r.Endpoint == ep {
			return r
		}
	}
	h.t.Fatalf("%s was never originated; originated %v", ep, h.originatedTo())
	return engine.OriginateRequest{}
}

func tree(start string, nodes ...routing.Node) routing.Tree {
	return routing.Tree{ID: "main", Start: start, Nodes: nodes}
}

func number(id, e164 string, on map[routing.Outcome]string) routing.Node {
	return routing.Node{ID: id, Type: routing.TypeNumber, Number: e164, On: on}
}

func pathText(r *CallRecord) string { return routing.TraceText(r.Path) }
