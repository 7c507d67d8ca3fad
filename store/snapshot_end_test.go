package store_test

import (
	"testing"
	"time"

	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
)

// TestSnapshotCarriesServiceEnd: the routing snapshot tells the route
// cache the tenant's status and end date, so that routing stops at the end
// of a terminated service (PRV-2).
func TestSnapshotCarriesServiceEnd(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		acme := mustTenant(t, s, "Acme")
		mustNumber(t, s, acme.ID, "+3221110000")
		end := time.Date(2027, 1, 31, 23, 0, 0, 0, time.UTC)
		acme.TerminatesAt = &end
		if err := s.UpdateTenant(ctx, store.System, acme); err != nil {
			t.Fatal(err)
		}
		snap, err := s.RoutingSnapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Numbers) != 1 {
			t.Fatalf("numbers = %+v", snap.Numbers)
		}
		n := snap.Numbers[0]
		if n.TenantStatus != acme.Status || n.TerminatesAt == nil || !n.TerminatesAt.Equal(end) {
			t.Errorf("snapshot number = status %q ends %v, want %q and %v", n.TenantStatus, n.TerminatesAt, acme.Status, end)
		}
	})
}
