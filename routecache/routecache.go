// Package routecache serves the controller the routes of every routed
// number from memory (controller.Routes, controller.FallbackSource): it
// loads one consistent routing snapshot from the store, compiles every
// tree once, and reloads when the store's routing generation changes
// (polled every second) or when Invalidate is called after a save in the
// same process (TRM-6: changes take effect for the next call without
// restart). It also adapts controller.Records to the store (TRM-8).
//
// Failures never stop calls: a tree that does not compile is logged and
// its numbers go to their fallback destination; when the database cannot
// be read, the routes loaded last keep being served ("PostgreSQL stopped:
// calls still routed"). Routes and plans handed out are never modified, so
// a call keeps the plan it started with.
//
// The package owns the in-memory view only; it must not write routing
// data, and decides nothing about a call itself.
package routecache

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmsplatform/vms/controller"
	"github.com/vmsplatform/vms/phone"
	"github.com/vmsplatform/vms/routing"
)

// PollInterval is how often the routing generation is checked.
const PollInterval = time.Second

// Snapshot is what the cache is built from: one consistent read of the
// routing data. The store adapter (FromStore) fills it; tests may build it
// directly.
type Snapshot struct {
	// Generation identifies the routing data read; it changes with every
	// routing-relevant write.
	Generation int64
	Numbers    []Number
	// Trees holds every tenant's trees by id.
	Trees map[uint]map[string]Tree
	// Lists holds every tenant's caller lists: list name → member E.164
	// numbers.
	Lists map[uint]map[string]map[string]bool
	// Sites holds every tenant's sites and whether each is down (TRM-9).
	Sites map[uint]map[string]bool
	// Prompts holds every tenant's prompt ids with their content hash.
	Prompts map[uint]map[string]string
	// Groups holds every tenant's ACM group ids; nil means groups are not
	// known and every reference to one is accepted.
	Groups map[uint]map[string]bool
}

// Number is a routed number in a Snapshot.
type Number struct {
	TenantID, NumberID uint
	E164               string
	// Active is false for ported-out (NUM-3) and deactivated numbers.
	Active bool
	// TimeZone is the tenant's time zone, used when the tree names none.
	TimeZone string
	// TreeID is the tree assigned to the number ("" for none).
	TreeID string
	Limit  controller.Limit
	// Fallback is the explicit ENG-3 fallback destination (E.164) set for
	// the number; empty means computed from the tree.
	Fallback string
	// EndsAt is when the tenant's service ends (PRV-2): from then on the
	// number is not routed, without waiting for a routing change.
	EndsAt *time.Time
}

// Tree is the current version of a tree.
type Tree struct {
	Version  int
	Document []byte // the routing.Tree JSON document
}

// Source reads routing snapshots.
type Source interface {
	// Generation returns the current routing generation, cheaply.
	Generation(ctx context.Context) (int64, error)
	// Snapshot reads all routing data consistently.
	Snapshot(ctx context.Context) (*Snapshot, error)
}

// Cache is the in-memory route table. Create it with New, Load it once,
// then Run it to follow changes. Its methods are safe for concurrent use.
type Cache struct {
	src    Source
	log    *slog.Logger
	region string

	state atomic.Pointer[state]
	kick  chan struct{}
	// now is the clock of end dates (PRV-2); tests replace it.
	now     func() time.Time
	loadMu  sync.Mutex
	errored atomic.Bool // the last poll or load failed (logged once)
}

// state is one immutable compiled snapshot.
type state struct {
	generation int64
	routes     map[string]*controller.Route     // by E.164
	ends       map[string]time.Time             // E.164 → end of service
	trees      map[uint]map[string]compiledTree // tenant → tree id
	fallbacks  map[string]string                // E.164 → E.164
	prompts    map[uint]map[string]string       // tenant → prompt id → hash
	problems   map[uint]map[string]error        // trees that did not compile
	loadedAt   time.Time
}

type compiledTree struct {
	plan    *routing.Plan
	version int
	loc     *time.Location
	start   string // the tree's start node
}

// New returns an empty Cache over src; region is the numbering region of
// dialed numbers in national form (phone.DefaultRegion when empty).
func New(src Source, region string, log *slog.Logger) *Cache {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if region == "" {
		region = phone.DefaultRegion
	}
	c := &Cache{src: src, log: log, region: region, kick: make(chan struct{}, 1), now: time.Now}
	c.state.Store(&state{generation: -1})
	return c
}

var (
	_ controller.Routes         = (*Cache)(nil)
	_ controller.FallbackSource = (*Cache)(nil)
)

// Load reads and compiles the snapshot now. On error the routes loaded
// before stay in service.
func (c *Cache) Load(ctx context.Context) error {
	c.loadMu.Lock()
	defer c.loadMu.Unlock()
	snap, err := c.src.Snapshot(ctx)
	if err != nil {
		return fmt.Errorf("routecache: load: %w", err)
	}
	c.state.Store(build(snap, c.log))
	return nil
}

// Invalidate makes Run reload at once (the portal calls it after saving
// routing data in the same process).
func (c *Cache) Invalidate() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// Run follows the routing generation until ctx ends: every PollInterval,
// and at once after Invalidate, it reloads when the generation changed.
// While the database cannot be read, the last routes stay in service.
func (c *Cache) Run(ctx context.Context) error {
	t := time.NewTicker(PollInterval)
	defer t.Stop()
	for {
		force := false
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-c.kick:
			force = true
		}
		c.refresh(ctx, force)
	}
}

// refresh reloads when the generation moved (or when forced).
func (c *Cache) refresh(ctx context.Context, force bool) {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if !force {
		gen, err := c.src.Generation(qctx)
		if err != nil {
			c.failed("routing generation unreadable; serving the last loaded routes", err)
			return
		}
		if gen == c.state.Load().generation {
			c.recovered()
			return
		}
	}
	if err := c.Load(qctx); err != nil {
		c.failed("routing snapshot unreadable; serving the last loaded routes", err)
		return
	}
	c.recovered()
}

func (c *Cache) failed(msg string, err error) {
	if !c.errored.Swap(true) {
		c.log.Error(msg, slog.Any("err", err))
	}
}

func (c *Cache) recovered() {
	if c.errored.Swap(false) {
		c.log.Info("routing data readable again")
	}
}

// Generation returns the generation of the routes in service (-1 before
// the first load).
func (c *Cache) Generation() int64 { return c.state.Load().generation }

// Route implements controller.Routes. dialed may be E.164 with or without
// '+', international ("00…") or national form.
func (c *Cache) Route(ctx context.Context, dialed string) (*controller.Route, error) {
	e164 := c.normalize(dialed)
	st := c.state.Load()
	r := st.routes[e164]
	if r == nil {
		return nil, fmt.Errorf("routecache: %s: %w", dialed, controller.ErrNoRoute)
	}
	if end, ok := st.ends[e164]; ok && r.Active && !c.now().Before(end) {
		ended := *r // handed-out routes are never modified: a copy
		ended.Active = false
		return &ended, nil
	}
	return r, nil
}

// normalize turns a dialed number as an engine reports it into E.164.
func (c *Cache) normalize(d string) string {
	d = strings.TrimSpace(d)
	switch {
	case strings.HasPrefix(d, "+"):
		return d
	case strings.HasPrefix(d, "00"):
		return "+" + d[2:]
	case strings.HasPrefix(d, "0"):
		if n, err := phone.Normalize(d, c.region); err == nil {
			return n
		}
		return d
	}
	return "+" + d
}

// Tree implements controller.Routes.
func (c *Cache) Tree(ctx context.Context, tenantID uint, treeID string) (*routing.Plan, int, error) {
	s := c.state.Load()
	t, ok := s.trees[tenantID][treeID]
	if !ok {
		if err := s.problems[tenantID][treeID]; err != nil {
			return nil, 0, fmt.Errorf("routecache: tree %s of tenant %d does not compile: %w", treeID, tenantID, err)
		}
		return nil, 0, fmt.Errorf("routecache: tree %s of tenant %d: %w", treeID, tenantID, controller.ErrNoRoute)
	}
	return t.plan, t.version, nil
}

// Fallbacks implements controller.FallbackSource (ENG-3): the static
// fallback of every active number that has one.
func (c *Cache) Fallbacks(ctx context.Context) (map[string]string, error) {
	s := c.state.Load()
	out := make(map[string]string, len(s.fallbacks))
	for k, v := range s.fallbacks {
		out[k] = v
	}
	return out, nil
}

// PromptHash returns the content hash of a tenant's prompt, for the media
// URL the engine fetches.
func (c *Cache) PromptHash(tenantID uint, promptID string) (string, bool) {
	h, ok := c.state.Load().prompts[tenantID][promptID]
	return h, ok
}

// build compiles a snapshot. It never fails: problems are logged and make
// the numbers concerned fall back.
func build(snap *Snapshot, log *slog.Logger) *state {
	s := &state{
		generation: snap.Generation,
		routes:     make(map[string]*controller.Route, len(snap.Numbers)),
		ends:       make(map[string]time.Time),
		trees:      make(map[uint]map[string]compiledTree),
		fallbacks:  make(map[string]string),
		prompts:    snap.Prompts,
		problems:   make(map[uint]map[string]error),
		loadedAt:   time.Now(),
	}
	zones := map[uint]string{}
	for _, n := range snap.Numbers {
		if n.TimeZone != "" {
			zones[n.TenantID] = n.TimeZone
		}
	}
	for tenant, trees := range snap.Trees {
		refs := tenantRefs{snap: snap, tenant: tenant}
		for id, doc := range trees {
			plan, loc, start, err := compile(doc.Document, zones[tenant], refs)
			if err != nil {
				log.Error("routing tree does not compile; its numbers go to their fallback",
					slog.Uint64("tenant_id", uint64(tenant)), slog.String("tree_id", id),
					slog.Int("version", doc.Version), slog.Any("err", err))
				if s.problems[tenant] == nil {
					s.problems[tenant] = map[string]error{}
				}
				s.problems[tenant][id] = err
				continue
			}
			if s.trees[tenant] == nil {
				s.trees[tenant] = map[string]compiledTree{}
			}
			s.trees[tenant][id] = compiledTree{plan: plan, version: doc.Version, loc: loc, start: start}
		}
	}
	for _, n := range snap.Numbers {
		r := &controller.Route{
			TenantID: n.TenantID, NumberID: n.NumberID, Number: n.E164,
			TreeID: n.TreeID, Active: n.Active, Limit: n.Limit,
			InList:    inList(snap.Lists[n.TenantID]),
			SitesDown: downSites(snap.Sites[n.TenantID]),
			PromptKey: promptKey(snap.Prompts[n.TenantID]),
		}
		t, ok := s.trees[n.TenantID][n.TreeID]
		if ok {
			r.Plan, r.TreeVersion = t.plan, t.version
		} else if n.Active {
			log.Warn("number has no usable routing tree; its calls go to its fallback",
				slog.String("number", n.E164), slog.String("tree_id", n.TreeID))
		}
		r.Fallback = n.Fallback
		if r.Fallback == "" && r.Plan != nil {
			r.Fallback = firstNumber(r.Plan, t.loc, t.start, n.E164)
		}
		s.routes[n.E164] = r
		if n.EndsAt != nil {
			s.ends[n.E164] = *n.EndsAt
		}
		if n.Active && r.Fallback != "" {
			s.fallbacks[n.E164] = r.Fallback
		}
	}
	return s
}

// compile parses and compiles one tree document; a tree without a time
// zone gets the tenant's.
func compile(doc []byte, zone string, refs routing.Refs) (*routing.Plan, *time.Location, string, error) {
	var t routing.Tree
	if err := json.Unmarshal(doc, &t); err != nil {
		return nil, nil, "", fmt.Errorf("parse tree: %w", err)
	}
	if t.TimeZone == "" {
		t.TimeZone = zone
	}
	p, err := routing.Compile(&t, refs)
	if err != nil {
		return nil, nil, "", err
	}
	if t.TimeZone == "" {
		t.TimeZone = routing.DefaultTimeZone
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	return p, loc, t.Start, nil
}

// tenantRefs checks a tree's references against its tenant's objects.
type tenantRefs struct {
	snap   *Snapshot
	tenant uint
}

func (r tenantRefs) PromptExists(id string) bool {
	_, ok := r.snap.Prompts[r.tenant][id]
	return ok
}

func (r tenantRefs) GroupExists(id string) bool {
	if r.snap.Groups == nil {
		return true
	}
	return r.snap.Groups[r.tenant][id]
}

func (r tenantRefs) TreeExists(id string) bool {
	_, ok := r.snap.Trees[r.tenant][id]
	return ok
}

func (r tenantRefs) ListExists(name string) bool {
	_, ok := r.snap.Lists[r.tenant][name]
	return ok
}

func inList(lists map[string]map[string]bool) func(list, number string) bool {
	if len(lists) == 0 {
		return nil
	}
	return func(list, number string) bool { return lists[list][number] }
}

func promptKey(prompts map[string]string) func(string) string {
	return func(name string) string { return prompts[name] }
}

func downSites(sites map[string]bool) map[string]bool {
	var down map[string]bool
	for name, isDown := range sites {
		if isDown {
			if down == nil {
				down = map[string]bool{}
			}
			down[name] = true
		}
	}
	return down
}

// firstNumber picks the static fallback of a tree (ENG-3): where a call
// from an ordinary caller goes on a weekday at 10:00 in the tree's time
// zone when that is a number, else the first number node reachable from
// the start.
func firstNumber(p *routing.Plan, loc *time.Location, start, dialed string) string {
	// A Tuesday, 10:00 local time.
	office := time.Date(2026, 1, 6, 10, 0, 0, 0, loc)
	d := p.Evaluate(routing.Facts{Time: office, Caller: "+3220000000", CallerKind: routing.KindFixed, Dialed: dialed})
	if d.Kind == routing.KindDestination && d.Node != nil && d.Node.Type == routing.TypeNumber {
		return d.Node.Number
	}
	seen := map[string]bool{}
	var walk func(id string) string
	walk = func(id string) string {
		if id == "" || seen[id] {
			return ""
		}
		seen[id] = true
		n, ok := p.Node(id)
		if !ok {
			return ""
		}
		if n.Type == routing.TypeNumber {
			return n.Number
		}
		next := []string{}
		for _, b := range n.Branches {
			next = append(next, b.Next)
		}
		next = append(next, n.Default, n.Next, n.NoInput, n.Invalid)
		for _, o := range routing.Outcomes(n.Type) {
			next = append(next, n.On[o])
		}
		next = append(next, n.On[routing.OutcomeOtherwise])
		for _, id := range next {
			if got := walk(id); got != "" {
				return got
			}
		}
		return ""
	}
	return walk(start)
}
