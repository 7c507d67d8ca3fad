//go:build bench

package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vmsplatform/vms/ari"
	"github.com/vmsplatform/vms/controller"
	"github.com/vmsplatform/vms/engine"
	"github.com/vmsplatform/vms/routing"
	"github.com/vmsplatform/vms/test/astertest"
)

// destination is the number the bench's one-node tree rings; the trunk
// "trunk-out" leads to the SIPp UAS whatever the number.
const destination = "+3221234567"

// bridgeApp is the Stasis application of the "ari-bridge" path, and
// bridgeContext the context its calls enter.
const (
	bridgeApp     = "vms-bridge"
	bridgeContext = "vms-bench-bridge"
)

// bridgeDialplan is the context the "ari-bridge" path's calls enter: the
// shipped vms-inbound with the application's name.
const bridgeDialplan = `
[` + bridgeContext + `]
exten => _[+0-9].,1,Stasis(` + bridgeApp + `,inbound,${EXTEN})
 same => n,Hangup()
`

// vms is the VMS ARI path running in the bench process: the real ari
// driver and controller, a compiled one-node routing tree for every
// dialed number, and counters around the engine and the call records.
type vms struct {
	// bridge is set when the controller bridges calls itself
	// (controller.Config.BridgeCalls: the "ari-bridge" path).
	bridge  bool
	app     string
	ctl     *controller.Controller
	eng     *countingEngine
	records *countingRecords
	logs    *countingHandler
	// tpProcessed is the application taskprocessor's processed count
	// after the previous ARI run.
	tpProcessed int
}

// startVMS connects VMS to the instance as the Stasis application app and
// routes every call to destination over trunk-out (the same wiring as
// test/calls, without prompts, menus or fallbacks): through the dialplan's
// vms-dial context as VMS does by default, or bridged by VMS itself when
// bridge is set. It stops at cleanup.
func startVMS(t *testing.T, a *astertest.Asterisk, app string, bridge bool) *vms {
	t.Helper()
	v := &vms{bridge: bridge, app: app, records: &countingRecords{outcomes: map[string]int{}}, logs: &countingHandler{}}
	log := slog.New(v.logs)
	drv, err := ari.New(ari.Config{URL: a.ARIURL, User: a.ARIUser, Password: a.ARIPassword, App: app, Logger: log})
	if err != nil {
		t.Fatalf("ari: %v", err)
	}
	v.eng = &countingEngine{Engine: drv, stats: map[string]*cmdStat{}, adds: map[engine.BridgeID]int{}}
	tree := routing.Tree{ID: "bench", Start: "dest", Nodes: []routing.Node{
		{ID: "dest", Type: routing.TypeNumber, Number: destination},
	}}
	plan, err := routing.Compile(&tree, routing.RefSet{})
	if err != nil {
		t.Fatalf("compile the bench tree: %v", err)
	}
	routes := &oneRoute{route: &controller.Route{TenantID: 1, NumberID: 1, Number: "+3250000000",
		TreeID: tree.ID, TreeVersion: 1, Plan: plan, Active: true}}
	v.ctl, err = controller.New(controller.Config{App: app, Trunk: "PJSIP/{number}@trunk-out", BridgeCalls: bridge},
		v.eng, routes, v.records, log)
	if err != nil {
		t.Fatalf("controller: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	drvDone, ctlDone := make(chan error, 1), make(chan error, 1)
	go func() { drvDone <- drv.Run(ctx) }()
	go func() { ctlDone <- v.ctl.Run(ctx) }()
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
	for !drv.Connected() {
		if time.Now().After(deadline) {
			t.Fatal("ari events WebSocket not up")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return v
}

// oneRoute routes every dialed number with the same Route.
type oneRoute struct{ route *controller.Route }

func (o *oneRoute) Route(context.Context, string) (*controller.Route, error) { return o.route, nil }

func (o *oneRoute) Tree(context.Context, uint, string) (*routing.Plan, int, error) {
	return nil, 0, errors.New("the bench tree hands over to no other tree")
}

// countingRecords counts the final call records by outcome (an answered
// call is saved at answer, not ended, then at its end).
type countingRecords struct {
	mu       sync.Mutex
	outcomes map[string]int
}

func (r *countingRecords) SaveCall(_ context.Context, rec *controller.CallRecord) error {
	if rec.EndedAt == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outcomes[rec.Outcome]++
	return nil
}

// snapshot returns the counts so far.
func (r *countingRecords) snapshot() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.outcomes))
	for k, n := range r.outcomes {
		out[k] = n
	}
	return out
}

// total returns the number of records so far.
func (r *countingRecords) total() int {
	n := 0
	for _, c := range r.snapshot() {
		n += c
	}
	return n
}

// countingEngine counts the engine commands (ARI REST calls) the
// controller makes and the time they take. It embeds engine.Engine and
// passes DialInDialplan on; the other optional interfaces (Recorder,
// FallbackStore, ...) are hidden, which the bench's tree and routes never
// use.
type countingEngine struct {
	engine.Engine
	mu    sync.Mutex
	stats map[string]*cmdStat
	// adds counts the channels added to each bridge since the last take:
	// a call is bridged when both its channels were.
	adds map[engine.BridgeID]int
}

type cmdStat struct {
	n     int
	total time.Duration
	fails int
}

func (c *countingEngine) count(name string, start time.Time, err error) error {
	d := time.Since(start)
	c.mu.Lock()
	s := c.stats[name]
	if s == nil {
		s = &cmdStat{}
		c.stats[name] = s
	}
	s.n++
	s.total += d
	if err != nil {
		s.fails++
	}
	c.mu.Unlock()
	return err
}

// take returns the counts and the calls bridged with their destination
// since the last take, and resets them.
func (c *countingEngine) take() (map[string]cmdStat, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]cmdStat, len(c.stats))
	for k, s := range c.stats {
		out[k] = *s
	}
	bridged := 0
	for _, n := range c.adds {
		if n >= 2 {
			bridged++
		}
	}
	c.stats, c.adds = map[string]*cmdStat{}, map[engine.BridgeID]int{}
	return out, bridged
}

// DialInDialplan implements engine.DialplanDialer when the driver does.
func (c *countingEngine) DialInDialplan(ctx context.Context, ch engine.ChannelID, req engine.DialRequest) error {
	d, ok := c.Engine.(engine.DialplanDialer)
	if !ok {
		return engine.ErrUnsupported
	}
	start := time.Now()
	// One REST call: POST /channels/{id}/continue into vms-dial.
	return c.count("continue", start, d.DialInDialplan(ctx, ch, req))
}

func (c *countingEngine) Answer(ctx context.Context, ch engine.ChannelID) error {
	start := time.Now()
	return c.count("answer", start, c.Engine.Answer(ctx, ch))
}

func (c *countingEngine) Ring(ctx context.Context, ch engine.ChannelID) error {
	start := time.Now()
	return c.count("ring", start, c.Engine.Ring(ctx, ch))
}

func (c *countingEngine) Hangup(ctx context.Context, ch engine.ChannelID, r engine.HangupReason) error {
	start := time.Now()
	return c.count("hangup", start, c.Engine.Hangup(ctx, ch, r))
}

func (c *countingEngine) Originate(ctx context.Context, req engine.OriginateRequest) error {
	start := time.Now()
	return c.count("originate", start, c.Engine.Originate(ctx, req))
}

func (c *countingEngine) Play(ctx context.Context, ch engine.ChannelID, id engine.PlaybackID, media ...string) error {
	start := time.Now()
	return c.count("play", start, c.Engine.Play(ctx, ch, id, media...))
}

func (c *countingEngine) StopPlayback(ctx context.Context, id engine.PlaybackID) error {
	start := time.Now()
	return c.count("stop_playback", start, c.Engine.StopPlayback(ctx, id))
}

func (c *countingEngine) CreateBridge(ctx context.Context, id engine.BridgeID, kind engine.BridgeKind) error {
	start := time.Now()
	return c.count("create_bridge", start, c.Engine.CreateBridge(ctx, id, kind))
}

func (c *countingEngine) AddToBridge(ctx context.Context, b engine.BridgeID, ch engine.ChannelID) error {
	start := time.Now()
	err := c.count("add_to_bridge", start, c.Engine.AddToBridge(ctx, b, ch))
	if err == nil {
		c.mu.Lock()
		c.adds[b]++
		c.mu.Unlock()
	}
	return err
}

func (c *countingEngine) RemoveFromBridge(ctx context.Context, b engine.BridgeID, ch engine.ChannelID) error {
	start := time.Now()
	return c.count("remove_from_bridge", start, c.Engine.RemoveFromBridge(ctx, b, ch))
}

func (c *countingEngine) DestroyBridge(ctx context.Context, b engine.BridgeID) error {
	start := time.Now()
	return c.count("destroy_bridge", start, c.Engine.DestroyBridge(ctx, b))
}

// restSummary renders command counts per call and mean latencies, e.g.
// "8.0 REST/call (originate 1.0×12.3ms, ...)", and returns the calls'
// total REST count per call and the mean latency over all commands.
func restSummary(stats map[string]cmdStat, calls int) (perCall float64, mean time.Duration, detail string) {
	if calls == 0 {
		return 0, 0, ""
	}
	names := make([]string, 0, len(stats))
	n, total := 0, time.Duration(0)
	for k, s := range stats {
		names = append(names, k)
		n += s.n
		total += s.total
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, k := range names {
		s := stats[k]
		p := fmt.Sprintf("%s %.2f×%s", k, float64(s.n)/float64(calls), (s.total / time.Duration(max(s.n, 1))).Round(10*time.Microsecond))
		if s.fails > 0 {
			p += fmt.Sprintf(" (%d failed)", s.fails)
		}
		parts = append(parts, p)
	}
	if n > 0 {
		mean = total / time.Duration(n)
	}
	return float64(n) / float64(calls), mean, strings.Join(parts, ", ")
}

// countingHandler counts warnings and errors the driver and the
// controller log, and keeps the first few.
type countingHandler struct {
	n     atomic.Int64
	mu    sync.Mutex
	first []string
}

func (h *countingHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	h.n.Add(1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.first) < 5 {
		var b strings.Builder
		b.WriteString(r.Message)
		r.Attrs(func(a slog.Attr) bool {
			fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
			return true
		})
		h.first = append(h.first, b.String())
	}
	return nil
}

func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

// take returns the count since the last take and the first messages.
func (h *countingHandler) take() (int64, []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	first := h.first
	h.first = nil
	return h.n.Swap(0), first
}
