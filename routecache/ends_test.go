package routecache

import (
	"context"
	"testing"
	"time"
)

// TestServiceEnd: a tenant's numbers stop being routed at the end date of
// its termination (PRV-2), without a routing change, and a route handed out
// before stays as it was.
func TestServiceEnd(t *testing.T) {
	end := time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC)
	snap := snapshot(t, 1, "+3292223333")
	snap.Numbers[0].EndsAt = &end
	c, _ := loaded(t, snap)
	now := end.Add(-time.Minute)
	c.now = func() time.Time { return now }
	ctx := context.Background()

	before, err := c.Route(ctx, "+3221234567")
	if err != nil || !before.Active {
		t.Fatalf("before the end: %+v, %v; want active", before, err)
	}
	now = end
	after, err := c.Route(ctx, "+3221234567")
	if err != nil || after.Active || after.Plan == nil || after.Number != "+3221234567" {
		t.Fatalf("at the end: %+v, %v; want the same route, inactive", after, err)
	}
	if !before.Active {
		t.Error("the route handed out before the end was modified")
	}
	// Other numbers of the snapshot are not affected.
	if r, err := c.Route(ctx, "+3222223344"); err != nil || !r.Active {
		t.Errorf("a number without an end date: %+v, %v", r, err)
	}
}
