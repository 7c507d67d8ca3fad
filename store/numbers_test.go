package store_test

import (
	"testing"

	vms "github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
)

func TestNumbersAndEntities(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := staff(1)
		acme := mustTenant(t, s, "Acme")
		beta := mustTenant(t, s, "Beta")

		// Entities (NUM-1).
		ent := &store.Entity{TenantID: acme.ID, Name: "Acme Labs", VAT: "BE0123456789"}
		if err := s.CreateEntity(ctx, a, ent); err != nil {
			t.Fatal(err)
		}
		if e := lastAudit(t, s); e.Action != "entity.create" || *e.TenantID != acme.ID {
			t.Fatalf("entity audit = %+v", e)
		}
		if got, err := s.GetEntity(ctx, acme.ID, ent.ID); err != nil || got.VAT != "BE0123456789" {
			t.Fatalf("GetEntity = %+v, %v", got, err)
		}
		_, err := s.GetEntity(ctx, beta.ID, ent.ID)
		wantCode(t, err, vms.ENOTFOUND, "")
		if l, err := s.ListEntities(ctx, acme.ID); err != nil || len(l) != 1 {
			t.Fatalf("ListEntities = %v, %v", l, err)
		}
		if l, _ := s.ListEntities(ctx, beta.ID); len(l) != 0 {
			t.Fatalf("ListEntities(beta) = %v", l)
		}

		// Numbers.
		n := &store.Number{TenantID: acme.ID, EntityID: &ent.ID, E164: "+3221234567", Kind: "geographic", Status: store.NumberActive, Label: "reception"}
		if err := s.CreateNumber(ctx, a, n); err != nil {
			t.Fatal(err)
		}
		e := lastAudit(t, s)
		if e.Action != "number.create" || e.ObjectType != "number" || *e.TenantID != acme.ID || decode(t, e.After)["E164"] != "+3221234567" {
			t.Fatalf("number audit = %+v", e)
		}
		mustNumber(t, s, acme.ID, "+3221234500")
		bn := mustNumber(t, s, beta.ID, "+3231234567")

		tests := []struct {
			name  string
			n     store.Number
			code  string
			field string
		}{
			{"duplicate in same tenant", store.Number{TenantID: acme.ID, E164: "+3221234567", Kind: "geographic", Status: store.NumberActive}, vms.ECONFLICT, "number"},
			{"duplicate across tenants", store.Number{TenantID: beta.ID, E164: "+3221234567", Kind: "geographic", Status: store.NumberActive}, vms.ECONFLICT, "number"},
			{"other tenant's entity", store.Number{TenantID: beta.ID, EntityID: &ent.ID, E164: "+3221239999", Kind: "geographic", Status: store.NumberActive}, vms.EINVALID, "entity"},
			{"empty number", store.Number{TenantID: acme.ID, Kind: "geographic", Status: store.NumberActive}, vms.EINVALID, "number"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := countAudit(t, s)
				wantCode(t, s.CreateNumber(ctx, a, &tt.n), tt.code, tt.field)
				if after := countAudit(t, s); after != before {
					t.Errorf("audit entries %d -> %d after a failed create", before, after)
				}
			})
		}

		// Tenant isolation of reads.
		if _, err := s.GetNumber(ctx, acme.ID, n.ID); err != nil {
			t.Fatal(err)
		}
		_, err = s.GetNumber(ctx, beta.ID, n.ID)
		wantCode(t, err, vms.ENOTFOUND, "")
		wantCode(t, s.DeleteNumber(ctx, a, beta.ID, n.ID), vms.ENOTFOUND, "")
		wantCode(t, s.UpdateNumber(ctx, a, &store.Number{ID: n.ID, TenantID: beta.ID, E164: "+3221234567", Status: store.NumberActive}), vms.ENOTFOUND, "")

		list, err := s.ListNumbers(ctx, acme.ID)
		if err != nil || len(list) != 2 || list[0].E164 != "+3221234500" {
			t.Fatalf("ListNumbers = %+v, %v", list, err)
		}
		if got, err := s.NumberByE164(ctx, "+3231234567"); err != nil || got.ID != bn.ID || got.TenantID != beta.ID {
			t.Fatalf("NumberByE164 = %+v, %v", got, err)
		}
		_, err = s.NumberByE164(ctx, "+3200000000")
		wantCode(t, err, vms.ENOTFOUND, "")

		// Update: ported (NUM-3) and a conflicting E.164.
		upd, _ := s.GetNumber(ctx, acme.ID, n.ID)
		upd.Status = store.NumberPorted
		upd.OnNetwork = false
		if err := s.UpdateNumber(ctx, a, upd); err != nil {
			t.Fatal(err)
		}
		got, _ := s.GetNumber(ctx, acme.ID, n.ID)
		if got.Status != store.NumberPorted || got.OnNetwork || got.Label != "reception" {
			t.Fatalf("after update = %+v", got)
		}
		e = lastAudit(t, s)
		if e.Action != "number.update" || decode(t, e.Before)["Status"] != "active" || decode(t, e.After)["Status"] != "ported" {
			t.Fatalf("update audit = %+v", e)
		}
		upd.E164 = "+3221234500"
		wantCode(t, s.UpdateNumber(ctx, a, upd), vms.ECONFLICT, "number")

		// An entity with numbers cannot go; without, it can.
		wantCode(t, s.DeleteEntity(ctx, a, acme.ID, ent.ID), vms.ECONFLICT, "")
		wantCode(t, s.DeleteEntity(ctx, a, beta.ID, ent.ID), vms.ENOTFOUND, "")
		if err := s.DeleteNumber(ctx, a, acme.ID, n.ID); err != nil {
			t.Fatal(err)
		}
		e = lastAudit(t, s)
		if e.Action != "number.delete" || e.After != "" || decode(t, e.Before)["E164"] != "+3221234567" {
			t.Fatalf("delete audit = %+v", e)
		}
		if err := s.DeleteEntity(ctx, a, acme.ID, ent.ID); err != nil {
			t.Fatal(err)
		}
		_, err = s.GetEntity(ctx, acme.ID, ent.ID)
		wantCode(t, err, vms.ENOTFOUND, "")
		// The freed E.164 can be registered again.
		mustNumber(t, s, beta.ID, "+3221234567")
	})
}
