package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"gorm.io/gorm"

	vms "github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
)

func TestMigrateIdempotent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
		var n int64
		if err := s.DB().Table("schema_migrations").Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		if want := int64(store.MigrationCount()); n != want {
			t.Errorf("schema_migrations has %d rows, want %d", n, want)
		}
		for _, table := range []string{"tenants", "entities", "numbers", "users", "representatives", "orders",
			"sessions", "login_failures", "api_tokens", "login_links", "audit_entries"} {
			if !s.DB().Migrator().HasTable(table) {
				t.Errorf("table %s missing after migration", table)
			}
		}
	})
}

func TestMigrateRefusesNewerDatabase(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if err := s.DB().Exec("INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)", "9999_future", s.Now()).Error; err != nil {
			t.Fatal(err)
		}
		err := s.Migrate(ctx)
		if err == nil || !strings.Contains(err.Error(), "9999_future") {
			t.Fatalf("Migrate on a newer database: err = %v, want a refusal naming 9999_future", err)
		}
	})
}

func TestMigrateFailureRollsBack(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := store.MigrateWith(ctx, s, "9000_failing", func(tx *gorm.DB) error {
			if err := tx.Exec("CREATE TABLE half_done (id INTEGER PRIMARY KEY)").Error; err != nil {
				return err
			}
			if err := tx.Exec("ALTER TABLE tenants ADD COLUMN half_col INTEGER").Error; err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("failing migration: err = %v, want %v", err, boom)
		}
		if s.DB().Migrator().HasTable("half_done") {
			t.Error("table created by the failing migration survived")
		}
		if s.DB().Migrator().HasColumn("tenants", "half_col") {
			t.Error("column added by the failing migration survived")
		}
		var n int64
		s.DB().Table("schema_migrations").Where("id = ?", "9000_failing").Count(&n)
		if n != 0 {
			t.Error("failing migration was recorded as applied")
		}
		// The database is still usable and migrating again is a no-op.
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate after a failed migration: %v", err)
		}
	})
}

// TestSchemaMatchesModels guards against a model change without its
// migration: every column of every model must exist after migrating.
func TestSchemaMatchesModels(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		models := []any{&store.Tenant{}, &store.Entity{}, &store.Number{}, &store.User{}, &store.Representative{},
			&store.Order{}, &store.Session{}, &store.LoginFailure{}, &store.APIToken{}, &store.LoginLink{}, &store.AuditEntry{}}
		for _, m := range models {
			stmt := &gorm.Statement{DB: s.DB()}
			if err := stmt.Parse(m); err != nil {
				t.Fatal(err)
			}
			for _, f := range stmt.Schema.Fields {
				if f.DBName == "" {
					continue
				}
				if !s.DB().Migrator().HasColumn(m, f.DBName) {
					t.Errorf("%s.%s: column missing from the migrated schema (add a migration)", stmt.Schema.Table, f.DBName)
				}
			}
		}
	})
}

// TestForeignKeysEnforced checks that migration 0001 created the foreign
// keys on both dialects.
func TestForeignKeysEnforced(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		cases := []struct {
			name string
			err  error
		}{
			{"number of a missing tenant", s.CreateNumber(ctx, store.System, &store.Number{TenantID: 999, E164: "+3221000000", Kind: "geographic", Status: store.NumberActive})},
			{"session of a missing user", s.CreateSession(ctx, &store.Session{ID: "x", UserID: 999, CSRFToken: "c"})},
			{"user of a missing tenant", s.CreateUser(ctx, store.System, &store.User{TenantID: ptr(uint(999)), Email: "a@example.com", Role: "user"})},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				wantCode(t, c.err, vms.ECONFLICT, "")
			})
		}
	})
}
