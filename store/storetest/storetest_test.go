package storetest_test

import (
	"context"
	"testing"

	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
)

// TestPostgresURLIsFreshAndEmpty checks that PostgresURL gives an empty
// database a whole binary can migrate and use.
func TestPostgresURLIsFreshAndEmpty(t *testing.T) {
	ctx := context.Background()
	u := storetest.PostgresURL(t)
	s, err := store.Open(ctx, store.Config{DSN: u})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.DB().Migrator().HasTable("tenants") {
		t.Fatal("fresh database already has tables")
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTenant(ctx, store.System, &store.Tenant{Name: "Acme", Formula: "classic"}); err != nil {
		t.Fatal(err)
	}
}

// TestStoresAreIsolated checks that two stores of the same dialect never
// see each other's rows.
func TestStoresAreIsolated(t *testing.T) {
	ctx := context.Background()
	for name, open := range map[string]func(testing.TB) *store.Store{"sqlite": storetest.SQLite, "postgres": storetest.Postgres} {
		t.Run(name, func(t *testing.T) {
			a, b := open(t), open(t)
			if err := a.CreateTenant(ctx, store.System, &store.Tenant{Name: "Acme", Formula: "classic"}); err != nil {
				t.Fatal(err)
			}
			if l, err := b.ListTenants(ctx); err != nil || len(l) != 0 {
				t.Fatalf("second store sees %d tenants (%v)", len(l), err)
			}
		})
	}
}
