package main

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/vmsplatform/vms/acd"
	"github.com/vmsplatform/vms/center"
	"github.com/vmsplatform/vms/store"
)

// acdReload is how often the ACD configuration is compared with the store
// when no change was announced by this process (another VMS process, or
// the command line, may have changed it).
const acdReload = 2 * time.Second

// contactCenter is the live contact centre of a running VMS: the
// center.Service and the loop that keeps it equal to the ACD configuration
// in the store.
type contactCenter struct {
	svc   *center.Service
	store *store.Store
	log   *slog.Logger
	kick  chan struct{}

	mu        sync.Mutex
	gen       int64 // routing generation last applied; -1 before the first
	onApplied []func()
}

func newContactCenter(st *store.Store, log *slog.Logger) *contactCenter {
	return &contactCenter{
		svc:   center.New(center.Config{Logger: log}),
		store: st,
		log:   log,
		kick:  make(chan struct{}, 1),
		gen:   -1,
	}
}

// afterApply registers fn to run after each applied configuration (the
// controller watches the phones of new agents).
func (c *contactCenter) afterApply(fn func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onApplied = append(c.onApplied, fn)
}

// changed asks for a reload now; it never blocks.
func (c *contactCenter) changed() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// load applies the store's ACD configuration when the routing generation
// (bumped by every ACD change) moved since the last load, or when force.
func (c *contactCenter) load(ctx context.Context, force bool) error {
	gen, err := c.store.RoutingGeneration(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	same := gen == c.gen
	c.mu.Unlock()
	if same && !force {
		return nil
	}
	d, err := c.store.ACDDirectory(ctx)
	if err != nil {
		return err
	}
	if err := c.svc.Apply(directory(d)); err != nil {
		return err
	}
	c.mu.Lock()
	c.gen = gen
	fns := append([]func(){}, c.onApplied...)
	c.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
	c.log.Debug("contact centre configuration applied", slog.Int64("generation", gen),
		slog.Int("groups", len(d.Groups)), slog.Int("agents", len(d.Agents)))
	return nil
}

// run runs the service and keeps it loaded until ctx ends.
func (c *contactCenter) run(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- c.svc.Run(ctx) }()
	t := time.NewTicker(acdReload)
	defer t.Stop()
	failing := false
	for {
		force := false
		select {
		case <-ctx.Done():
			return ignoreCanceled(<-done)
		case <-c.kick:
			force = true
		case <-t.C:
		}
		if err := c.load(ctx, force); err != nil {
			if !failing {
				c.log.Warn("contact centre configuration not reloaded; the last one stays in force", slog.Any("err", err))
			}
			failing = true
			continue
		}
		failing = false
	}
}

// directory converts the store's ACD configuration to the service's.
func directory(d store.ACDDirectory) center.Directory {
	out := center.Directory{PauseReasons: map[uint][]string{}}
	keyOf := func(id uint) acd.GroupID { return acd.GroupID(strconv.FormatUint(uint64(id), 10)) }
	for _, g := range d.Groups {
		strategy := acd.LevelThenLongestIdle
		if g.Strategy == store.StrategyLongestIdle {
			strategy = acd.LongestIdle
		}
		var relax []acd.RelaxStep
		for _, r := range g.RelaxSteps() {
			relax = append(relax, acd.RelaxStep{After: seconds(r.AfterSeconds), MinLevel: acd.Level(r.MinLevel)})
		}
		id := keyOf(g.ID)
		out.Groups = append(out.Groups, center.Group{
			ID: id, TenantID: g.TenantID, Key: g.Key, Name: g.Name,
			Config: acd.GroupConfig{
				ID: id, Strategy: strategy, Priority: g.Priority, MinLevel: acd.Level(g.MinLevel), Relax: relax,
				MaxWait: seconds(g.MaxWaitSeconds), MaxQueue: g.MaxQueue,
				RingTimeout: seconds(g.RingTimeoutSeconds), WrapUp: seconds(g.WrapUpSeconds),
				Target: acd.ServiceLevel{Percent: g.TargetPercent, Within: seconds(g.TargetWithinSeconds)},
				Closed: g.Closed,
			},
			AnnounceEvery: seconds(g.AnnounceEverySeconds),
			MOHClass:      g.MOHClass,
			Email:         g.EmailAddress(),
		})
	}
	levels := map[uint]map[acd.GroupID]acd.Level{}
	for _, m := range d.Memberships {
		if levels[m.AgentID] == nil {
			levels[m.AgentID] = map[acd.GroupID]acd.Level{}
		}
		levels[m.AgentID][keyOf(m.GroupID)] = acd.Level(m.Level)
	}
	for _, a := range d.Agents {
		id := acd.AgentID(strconv.FormatUint(uint64(a.ID), 10))
		groups := levels[a.ID]
		if groups == nil {
			groups = map[acd.GroupID]acd.Level{}
		}
		out.Agents = append(out.Agents, center.Agent{
			ID: id, TenantID: a.TenantID, UserID: a.UserID, Name: a.Name,
			Endpoint: center.Endpoint(a.ID),
			Config:   acd.AgentConfig{ID: id, Groups: groups, MaxEmails: a.MaxEmails},
		})
	}
	for _, r := range d.PauseReasons {
		out.PauseReasons[r.TenantID] = append(out.PauseReasons[r.TenantID], r.Name)
	}
	return out
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }
