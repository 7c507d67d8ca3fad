package store_test

import (
	"testing"
	"time"

	vms "github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
)

func TestTenants(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := staff(7)
		tn := &store.Tenant{Name: "  Acme  ", Formula: "classic"}
		if err := s.CreateTenant(ctx, a, tn); err != nil {
			t.Fatal(err)
		}
		if tn.ID == 0 || tn.Name != "Acme" || tn.Status != store.TenantOrdered || tn.Region != "BE" || tn.TimeZone != "Europe/Brussels" {
			t.Fatalf("created tenant = %+v", tn)
		}
		e := lastAudit(t, s)
		if e.Action != "tenant.create" || e.ObjectType != "tenant" || e.ObjectID != "1" && e.ObjectID == "" ||
			e.TenantID == nil || *e.TenantID != tn.ID || e.ActorID == nil || *e.ActorID != 7 ||
			e.ActorEmail != a.Email || e.RequestID != "req-1" || e.Before != "" {
			t.Fatalf("audit entry = %+v", e)
		}
		if got := decode(t, e.After)["Name"]; got != "Acme" {
			t.Errorf("audit after Name = %v", got)
		}

		got, err := s.GetTenant(ctx, tn.ID)
		if err != nil || got.Name != "Acme" {
			t.Fatalf("GetTenant = %+v, %v", got, err)
		}
		got.Name = "Acme Corp"
		got.Region = "NL"
		if err := s.UpdateTenant(ctx, a, got); err != nil {
			t.Fatal(err)
		}
		again, _ := s.GetTenant(ctx, tn.ID)
		if again.Name != "Acme Corp" || again.Region != "NL" || !again.CreatedAt.Equal(tn.CreatedAt) {
			t.Fatalf("after update = %+v (created %v)", again, tn.CreatedAt)
		}
		e = lastAudit(t, s)
		if e.Action != "tenant.update" || decode(t, e.Before)["Name"] != "Acme" || decode(t, e.After)["Name"] != "Acme Corp" {
			t.Fatalf("update audit = %+v", e)
		}

		mustTenant(t, s, "Beta")
		list, err := s.ListTenants(ctx)
		if err != nil || len(list) != 2 || list[0].Name != "Acme Corp" || list[1].Name != "Beta" {
			t.Fatalf("ListTenants = %+v, %v", list, err)
		}

		_, err = s.GetTenant(ctx, 9999)
		wantCode(t, err, vms.ENOTFOUND, "")
		wantCode(t, s.UpdateTenant(ctx, a, &store.Tenant{ID: 9999, Name: "x", Formula: "classic"}), vms.ENOTFOUND, "")
		wantCode(t, s.CreateTenant(ctx, a, &store.Tenant{Name: " "}), vms.EINVALID, "name")
	})
}

func TestClockInjected(t *testing.T) {
	t.Parallel()
	fixed := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	s, err := store.Open(ctx, store.Config{SQLitePath: t.TempDir() + "/clock.db", Now: func() time.Time { return fixed }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	tn := mustTenant(t, s, "Clock")
	got, _ := s.GetTenant(ctx, tn.ID)
	if !got.CreatedAt.Equal(fixed) || !lastAudit(t, s).At.Equal(fixed) {
		t.Fatalf("CreatedAt = %v, audit At = %v, want %v", got.CreatedAt, lastAudit(t, s).At, fixed)
	}
}

func TestOpenRejectsUnknownDSN(t *testing.T) {
	t.Parallel()
	for _, dsn := range []string{"mysql://x", "sqlite:///tmp/x.db", "host=localhost"} {
		if _, err := store.Open(ctx, store.Config{DSN: dsn}); err == nil {
			t.Errorf("Open(%q) succeeded", dsn)
		}
	}
}
