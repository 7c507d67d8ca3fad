package routecache

import (
	"context"
	"encoding/json"
	"fmt"

	vms "github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/controller"
	"github.com/vmsplatform/vms/routing"
	"github.com/vmsplatform/vms/store"
)

// SnapshotReader is what FromStore needs of *store.Store.
type SnapshotReader interface {
	RoutingGeneration(ctx context.Context) (int64, error)
	RoutingSnapshot(ctx context.Context) (*store.RoutingSnapshot, error)
}

// FromStore returns a Source reading the store's routing tables.
func FromStore(s SnapshotReader) Source { return storeSource{s} }

type storeSource struct{ s SnapshotReader }

func (src storeSource) Generation(ctx context.Context) (int64, error) {
	g, err := src.s.RoutingGeneration(ctx)
	if err != nil {
		return 0, fmt.Errorf("routecache: %w", err)
	}
	return g, nil
}

func (src storeSource) Snapshot(ctx context.Context) (*Snapshot, error) {
	rs, err := src.s.RoutingSnapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("routecache: %w", err)
	}
	return convert(rs), nil
}

// convert turns the store's snapshot into the cache's.
func convert(rs *store.RoutingSnapshot) *Snapshot {
	snap := &Snapshot{
		Generation: rs.Generation,
		Trees:      map[uint]map[string]Tree{},
		Lists:      map[uint]map[string]map[string]bool{},
		Sites:      map[uint]map[string]bool{},
		Prompts:    map[uint]map[string]string{},
		Groups:     map[uint]map[string]bool{},
	}
	for _, n := range rs.Numbers {
		snap.Numbers = append(snap.Numbers, Number{
			TenantID: n.TenantID, NumberID: n.ID, E164: n.E164,
			Active:   n.Status == store.NumberActive && n.TenantStatus != store.TenantTerminated,
			EndsAt:   n.TerminatesAt,
			TimeZone: n.TimeZone,
			TreeID:   n.TreeKey,
			Limit: controller.Limit{
				CallsPerSecond: n.MaxCPS, MaxConcurrent: n.MaxConcurrent,
				Overflow: n.Overflow, OverflowPrompt: n.OverflowPrompt,
			},
			Fallback: n.Fallback,
		})
	}
	for _, t := range rs.Trees {
		if snap.Trees[t.TenantID] == nil {
			snap.Trees[t.TenantID] = map[string]Tree{}
		}
		snap.Trees[t.TenantID][t.Key] = Tree{Version: t.Version, Document: []byte(t.Document)}
	}
	for _, l := range rs.Lists {
		if snap.Lists[l.TenantID] == nil {
			snap.Lists[l.TenantID] = map[string]map[string]bool{}
		}
		members := make(map[string]bool, len(l.Members))
		for _, m := range l.Members {
			members[m] = true
		}
		snap.Lists[l.TenantID][l.Name] = members
	}
	for _, s := range rs.Sites {
		if snap.Sites[s.TenantID] == nil {
			snap.Sites[s.TenantID] = map[string]bool{}
		}
		snap.Sites[s.TenantID][s.Name] = s.Down
	}
	for _, p := range rs.Prompts {
		if snap.Prompts[p.TenantID] == nil {
			snap.Prompts[p.TenantID] = map[string]string{}
		}
		snap.Prompts[p.TenantID][p.Name] = p.SHA256
	}
	for _, g := range rs.Groups {
		if snap.Groups[g.TenantID] == nil {
			snap.Groups[g.TenantID] = map[string]bool{}
		}
		snap.Groups[g.TenantID][g.Key] = true
	}
	return snap
}

// CallRecordSaver is what Records needs of *store.Store.
type CallRecordSaver interface {
	SaveCallRecord(ctx context.Context, r *store.CallRecord) error
}

// Records adapts the store to controller.Records (TRM-8).
type Records struct{ Store CallRecordSaver }

var _ controller.Records = Records{}

// SaveCall implements controller.Records.
func (r Records) SaveCall(ctx context.Context, c *controller.CallRecord) error {
	if err := r.Store.SaveCallRecord(ctx, StoreRecord(c)); err != nil {
		if vms.ErrorCode(err) == vms.EINVALID {
			return fmt.Errorf("routecache: save call record %s: %w: %w", c.ID, controller.ErrRecordRejected, err)
		}
		return fmt.Errorf("routecache: save call record %s: %w", c.ID, err)
	}
	return nil
}

// StoreRecord converts a controller record into the store's.
func StoreRecord(c *controller.CallRecord) *store.CallRecord {
	path := c.Path
	if path == nil {
		path = []routing.Step{}
	}
	pathJSON, _ := json.Marshal(path) // plain strings: cannot fail
	rec := &store.CallRecord{
		CallID: c.ID, TenantID: c.TenantID, NumberID: c.NumberID,
		Caller: clip(c.Caller, 32), Dialed: clip(c.Dialed, 32),
		TreeID: c.TreeID, TreeVersion: c.TreeVersion,
		ArrivedAt: c.ArrivedAt, AnsweredAt: c.AnsweredAt, EndedAt: c.EndedAt,
		Outcome: c.Outcome, Destination: clip(c.Destination, 64),
		Path: string(pathJSON),
	}
	for i, l := range c.Legs {
		leg := store.CallLeg{
			Seq: i + 1, Destination: clip(l.Destination, 64), NodeID: clip(l.NodeID, 64),
			StartedAt: l.StartedAt, AnsweredAt: l.AnsweredAt, Outcome: l.Outcome, Cause: l.Cause,
		}
		if !l.EndedAt.IsZero() {
			end := l.EndedAt
			leg.EndedAt = &end
		}
		rec.Legs = append(rec.Legs, leg)
	}
	return rec
}

// clip bounds untrusted strings (a caller number as presented) to their
// column size.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
