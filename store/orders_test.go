package store_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	vms "github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
)

func TestOrderActivation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := staff(3)
		acme := mustTenant(t, s, "Acme")
		beta := mustTenant(t, s, "Beta")
		admin := mustUser(t, s, &acme.ID, "admin@acme.example")
		due := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

		o := &store.Order{TenantID: acme.ID, Kind: store.OrderNew, Formula: "premium", Options: "ivr,recording", DueAt: due, EnteredByID: 3}
		if err := s.CreateOrder(ctx, a, o); err != nil {
			t.Fatal(err)
		}
		if o.Status != store.OrderEntered || lastAudit(t, s).Action != "order.create" {
			t.Fatalf("created order = %+v", o)
		}
		wantCode(t, s.CreateOrder(ctx, a, &store.Order{TenantID: acme.ID, Kind: "bogus", Formula: "x"}), vms.EINVALID, "kind")
		wantCode(t, s.CreateOrder(ctx, a, &store.Order{TenantID: 999, Kind: store.OrderNew, Formula: "x"}), vms.ENOTFOUND, "")

		if got, err := s.GetOrder(ctx, acme.ID, o.ID); err != nil || !got.DueAt.Equal(due) {
			t.Fatalf("GetOrder = %+v, %v", got, err)
		}
		_, err := s.GetOrder(ctx, beta.ID, o.ID)
		wantCode(t, err, vms.ENOTFOUND, "")
		if l, err := s.ListOrders(ctx, acme.ID); err != nil || len(l) != 1 {
			t.Fatalf("ListOrders = %+v, %v", l, err)
		}
		_, err = s.ActivateOrder(ctx, a, beta.ID, o.ID, nil)
		wantCode(t, err, vms.ENOTFOUND, "")

		link := &store.LoginLink{Hash: strings.Repeat("1", 64), UserID: admin.ID, ExpiresAt: time.Now().Add(time.Hour)}
		before := countAudit(t, s)
		act, err := s.ActivateOrder(ctx, a, acme.ID, o.ID, link)
		if err != nil {
			t.Fatal(err)
		}
		if act.Status != store.OrderActivated || act.ActivatedByID == nil || *act.ActivatedByID != 3 || act.ActivatedAt == nil {
			t.Fatalf("activated order = %+v", act)
		}
		tn, _ := s.GetTenant(ctx, acme.ID)
		if tn.Status != store.TenantActive || tn.Formula != "premium" || tn.Options != "ivr,recording" || tn.ActivatedAt == nil {
			t.Fatalf("tenant after activation = %+v", tn)
		}
		es, _ := s.ListAudit(ctx, store.AuditFilter{TenantID: &acme.ID, Limit: countAudit(t, s) - before})
		var actions []string
		for _, e := range es {
			actions = append(actions, e.Action)
			if strings.Contains(e.After, strings.Repeat("1", 64)) {
				t.Errorf("audit %s carries the link hash", e.Action)
			}
		}
		if got, want := strings.Join(actions, ","), "login_link.create,tenant.update,order.activate"; got != want {
			t.Errorf("activation audit actions (newest first) = %s, want %s", got, want)
		}
		if tenantAudit := es[1]; decode(t, tenantAudit.Before)["Status"] != "ordered" || decode(t, tenantAudit.After)["Status"] != "active" || decode(t, tenantAudit.After)["Formula"] != "premium" {
			t.Errorf("tenant.update audit = %+v", tenantAudit)
		}
		// The stored link works once.
		if u, err := s.ConsumeLoginLink(ctx, link.Hash, time.Now()); err != nil || u.ID != admin.ID {
			t.Fatalf("ConsumeLoginLink = %+v, %v", u, err)
		}

		_, err = s.ActivateOrder(ctx, a, acme.ID, o.ID, nil)
		wantCode(t, err, vms.ECONFLICT, "")

		// A termination order ends the service at its end date (PRV-2):
		// the tenant stays active until then.
		end := s.Now().Add(30 * 24 * time.Hour)
		term := &store.Order{TenantID: acme.ID, Kind: store.OrderTermination, DueAt: end, EnteredByID: 3}
		if err := s.CreateOrder(ctx, a, term); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ActivateOrder(ctx, a, acme.ID, term.ID, nil); err != nil {
			t.Fatal(err)
		}
		tn, _ = s.GetTenant(ctx, acme.ID)
		if tn.Status != store.TenantActive || tn.Formula != "premium" || tn.TerminatesAt == nil || !tn.TerminatesAt.Equal(end.UTC().Truncate(time.Microsecond)) {
			t.Fatalf("tenant after termination = %+v", tn)
		}
		if tn.Ended(end.Add(-time.Second)) || !tn.Ended(end) {
			t.Fatalf("Ended around the end date %v is wrong", end)
		}
		// A termination whose date has passed ends the service at once.
		past := &store.Order{TenantID: acme.ID, Kind: store.OrderTermination, DueAt: s.Now().Add(-time.Hour), EnteredByID: 3}
		if err := s.CreateOrder(ctx, a, past); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ActivateOrder(ctx, a, acme.ID, past.ID, nil); err != nil {
			t.Fatal(err)
		}
		tn, _ = s.GetTenant(ctx, acme.ID)
		if tn.Status != store.TenantTerminated {
			t.Fatalf("tenant after a past termination = %+v", tn)
		}
	})
}

// TestAtomicity checks that a failure late in a write leaves nothing of the
// earlier statements behind (POR-4: no change without its audit entry).
func TestAtomicity(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := staff(1)
		acme := mustTenant(t, s, "Acme")
		admin := mustUser(t, s, &acme.ID, "admin@acme.example")

		t.Run("activation whose link insert fails", func(t *testing.T) {
			taken := &store.LoginLink{Hash: strings.Repeat("2", 64), UserID: admin.ID, ExpiresAt: time.Now().Add(time.Hour)}
			if err := s.CreateLoginLink(ctx, taken); err != nil {
				t.Fatal(err)
			}
			o := &store.Order{TenantID: acme.ID, Kind: store.OrderNew, Formula: "premium", EnteredByID: 1}
			if err := s.CreateOrder(ctx, a, o); err != nil {
				t.Fatal(err)
			}
			before := countAudit(t, s)
			dup := &store.LoginLink{Hash: taken.Hash, UserID: admin.ID, ExpiresAt: time.Now().Add(time.Hour)}
			if _, err := s.ActivateOrder(ctx, a, acme.ID, o.ID, dup); err == nil {
				t.Fatal("activation with a duplicate link succeeded")
			}
			got, _ := s.GetOrder(ctx, acme.ID, o.ID)
			tn, _ := s.GetTenant(ctx, acme.ID)
			if got.Status != store.OrderEntered || tn.Status != store.TenantOrdered || tn.Formula != "classic" {
				t.Fatalf("half-applied activation: order %s, tenant %s/%s", got.Status, tn.Status, tn.Formula)
			}
			if after := countAudit(t, s); after != before {
				t.Fatalf("audit entries %d -> %d", before, after)
			}
		})

		t.Run("write whose audit insert fails", func(t *testing.T) {
			if err := s.DB().Exec("ALTER TABLE audit_entries RENAME TO audit_entries_off").Error; err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := s.DB().Exec("ALTER TABLE audit_entries_off RENAME TO audit_entries").Error; err != nil {
					t.Fatal(err)
				}
			}()
			if err := s.CreateNumber(ctx, a, &store.Number{TenantID: acme.ID, E164: "+3221111111", Kind: "geographic", Status: store.NumberActive}); err == nil {
				t.Fatal("CreateNumber succeeded without its audit entry")
			}
			if err := s.SetPassword(ctx, a, admin.ID, "$argon2id$x"); err == nil {
				t.Fatal("SetPassword succeeded without its audit entry")
			}
			_, err := s.NumberByE164(ctx, "+3221111111")
			wantCode(t, err, vms.ENOTFOUND, "")
			u, _ := s.GetUser(ctx, admin.ID)
			if u.PasswordHash != "" {
				t.Fatalf("password hash written without audit: %q", u.PasswordHash)
			}
		})

		t.Run("Tx rolls back every write", func(t *testing.T) {
			before := countAudit(t, s)
			err := s.Tx(ctx, func(tx *store.Store) error {
				if err := tx.CreateNumber(ctx, a, &store.Number{TenantID: acme.ID, E164: "+3222222222", Kind: "geographic", Status: store.NumberActive}); err != nil {
					return err
				}
				return tx.CreateNumber(ctx, a, &store.Number{TenantID: acme.ID, E164: "+3222222222", Kind: "geographic", Status: store.NumberActive})
			})
			wantCode(t, err, vms.ECONFLICT, "number")
			_, err = s.NumberByE164(ctx, "+3222222222")
			wantCode(t, err, vms.ENOTFOUND, "")
			if after := countAudit(t, s); after != before {
				t.Fatalf("audit entries %d -> %d", before, after)
			}
		})
	})
}

func TestConcurrentActivation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		acme := mustTenant(t, s, "Acme")
		o := &store.Order{TenantID: acme.ID, Kind: store.OrderNew, Formula: "premium", EnteredByID: 1}
		if err := s.CreateOrder(ctx, staff(1), o); err != nil {
			t.Fatal(err)
		}
		const n = 6
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.ActivateOrder(ctx, staff(uint(i+1)), acme.ID, o.ID, nil)
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch vms.ErrorCode(err) {
			case "":
				wins++
			case vms.ECONFLICT:
			default:
				t.Errorf("concurrent activation: %v", err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d activations succeeded, want exactly 1", wins)
		}
	})
}
