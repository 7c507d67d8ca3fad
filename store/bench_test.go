package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
)

// eachBench runs fn as sub-benchmarks "sqlite" and "postgres".
func eachBench(b *testing.B, fn func(b *testing.B, s *store.Store)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, storetest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, storetest.Postgres(b)) })
}

// BenchmarkGetSession measures the lookup every portal request makes.
func BenchmarkGetSession(b *testing.B) {
	eachBench(b, func(b *testing.B, s *store.Store) {
		tn := &store.Tenant{Name: "Acme", Formula: "classic"}
		if err := s.CreateTenant(ctx, store.System, tn); err != nil {
			b.Fatal(err)
		}
		u := &store.User{TenantID: &tn.ID, Email: "a@example.com", Role: "user"}
		if err := s.CreateUser(ctx, store.System, u); err != nil {
			b.Fatal(err)
		}
		for i := range 200 {
			if err := s.CreateSession(ctx, &store.Session{ID: fmt.Sprintf("%064d", i), UserID: u.ID, CSRFToken: "c", CreatedAt: time.Now()}); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			if _, err := s.GetSession(ctx, fmt.Sprintf("%064d", i%200)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkNumberByE164 measures the lookup of every inbound call.
func BenchmarkNumberByE164(b *testing.B) {
	eachBench(b, func(b *testing.B, s *store.Store) {
		tn := &store.Tenant{Name: "Acme", Formula: "classic"}
		if err := s.CreateTenant(ctx, store.System, tn); err != nil {
			b.Fatal(err)
		}
		const n = 500
		err := s.Tx(ctx, func(tx *store.Store) error {
			for i := range n {
				num := &store.Number{TenantID: tn.ID, E164: fmt.Sprintf("+3220%07d", i), Kind: "geographic", Status: store.NumberActive}
				if err := tx.CreateNumber(ctx, store.System, num); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			if _, err := s.NumberByE164(ctx, fmt.Sprintf("+3220%07d", i%n)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
