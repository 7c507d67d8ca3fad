package store_test

import (
	"fmt"
	"testing"

	"gorm.io/gorm"

	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
)

// seedRouting gives n tenants a tree, a number, a list of members numbers,
// a site and a prompt each.
func seedRouting(tb testing.TB, s *store.Store, tenants, members int) {
	tb.Helper()
	a := store.System
	for i := range tenants {
		tn := &store.Tenant{Name: fmt.Sprintf("T%d", i), Formula: "Classic"}
		if err := s.CreateTenant(ctx, a, tn); err != nil {
			tb.Fatal(err)
		}
		doc := fmt.Sprintf(`{"id":"main","start":"end","nodes":[{"id":"end","type":"hangup","label":"tenant %d"}]}`, i)
		tr := &store.RoutingTree{TenantID: tn.ID, Key: "main"}
		if _, err := s.CreateTree(ctx, a, tr, []byte(doc), ""); err != nil {
			tb.Fatal(err)
		}
		n := &store.Number{TenantID: tn.ID, E164: fmt.Sprintf("+322%07d", i), Kind: "fixed", Status: store.NumberActive}
		if err := s.CreateNumber(ctx, a, n); err != nil {
			tb.Fatal(err)
		}
		if _, err := s.SetNumberRouting(ctx, a, tn.ID, n.ID, store.NumberRouting{TreeID: &tr.ID}); err != nil {
			tb.Fatal(err)
		}
		l := &store.CallerList{TenantID: tn.ID, Name: "vip"}
		if err := s.CreateCallerList(ctx, a, l); err != nil {
			tb.Fatal(err)
		}
		for m := range members {
			if _, err := s.AddListMember(ctx, a, tn.ID, l.ID, fmt.Sprintf("+32475%06d", m)); err != nil {
				tb.Fatal(err)
			}
		}
		if err := s.CreateSite(ctx, a, &store.Site{TenantID: tn.ID, Name: "hq"}); err != nil {
			tb.Fatal(err)
		}
		if err := s.CreatePrompt(ctx, a, &store.Prompt{TenantID: tn.ID, Name: "hello", Data: []byte(fmt.Sprint(i))}); err != nil {
			tb.Fatal(err)
		}
	}
}

// countQueries counts the statements fn sends through GORM.
func countQueries(s *store.Store, fn func()) int {
	n := 0
	count := func(*gorm.DB) { n++ }
	cb := s.DB().Callback()
	_ = cb.Query().After("gorm:query").Register("test:count_query", count)
	_ = cb.Row().After("gorm:row").Register("test:count_row", count)
	defer func() {
		_ = cb.Query().Remove("test:count_query")
		_ = cb.Row().Remove("test:count_row")
	}()
	fn()
	return n
}

// TestRoutingSnapshotQueries proves the snapshot reads a fixed number of
// queries however much routing data there is (no N+1).
func TestRoutingSnapshotQueries(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		seedRouting(t, s, 2, 2)
		small := countQueries(s, func() {
			if _, err := s.RoutingSnapshot(ctx); err != nil {
				t.Fatal(err)
			}
		})
		for i := range 5 {
			tn := &store.Tenant{Name: fmt.Sprintf("More%d", i), Formula: "Classic"}
			if err := s.CreateTenant(ctx, store.System, tn); err != nil {
				t.Fatal(err)
			}
			l := &store.CallerList{TenantID: tn.ID, Name: "blocked"}
			if err := s.CreateCallerList(ctx, store.System, l); err != nil {
				t.Fatal(err)
			}
			if _, err := s.AddListMember(ctx, store.System, tn.ID, l.ID, "+3250000000"); err != nil {
				t.Fatal(err)
			}
		}
		var snap *store.RoutingSnapshot
		large := countQueries(s, func() {
			var err error
			if snap, err = s.RoutingSnapshot(ctx); err != nil {
				t.Fatal(err)
			}
		})
		if len(snap.Lists) != 7 {
			t.Fatalf("snapshot lists = %d, want 7", len(snap.Lists))
		}
		if small < 5 || small != large || large > 8 {
			t.Errorf("snapshot queries: %d with little data, %d with more; want the same small number", small, large)
		}
	})
}

// BenchmarkRoutingSnapshot measures the full reload the route cache does
// when the routing generation changes: 100 tenants, 10 list members each.
func BenchmarkRoutingSnapshot(b *testing.B) {
	s := storetest.SQLite(b)
	seedRouting(b, s, 100, 10)
	b.ResetTimer()
	for b.Loop() {
		snap, err := s.RoutingSnapshot(ctx)
		if err != nil || len(snap.Numbers) != 100 {
			b.Fatalf("%v, %d numbers", err, len(snap.Numbers))
		}
	}
}

// BenchmarkRoutingGeneration measures the poll the route cache makes.
func BenchmarkRoutingGeneration(b *testing.B) {
	s := storetest.SQLite(b)
	for b.Loop() {
		if _, err := s.RoutingGeneration(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
