package store_test

import (
	"context"
	"encoding/json"
	"testing"

	vms "github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/store"
)

var ctx = context.Background()

func staff(id uint) store.Actor {
	return store.Actor{UserID: &id, Email: "staff@operator.example", RequestID: "req-1"}
}

func mustTenant(t *testing.T, s *store.Store, name string) *store.Tenant {
	t.Helper()
	tn := &store.Tenant{Name: name, Formula: "classic"}
	if err := s.CreateTenant(ctx, store.System, tn); err != nil {
		t.Fatalf("CreateTenant(%s): %v", name, err)
	}
	return tn
}

func mustUser(t *testing.T, s *store.Store, tenantID *uint, email string) *store.User {
	t.Helper()
	u := &store.User{TenantID: tenantID, Email: email, Name: "User " + email, Role: "tenant-admin"}
	if err := s.CreateUser(ctx, store.System, u); err != nil {
		t.Fatalf("CreateUser(%s): %v", email, err)
	}
	return u
}

func mustNumber(t *testing.T, s *store.Store, tenantID uint, e164 string) *store.Number {
	t.Helper()
	n := &store.Number{TenantID: tenantID, E164: e164, Kind: "geographic", Status: store.NumberActive, OnNetwork: true}
	if err := s.CreateNumber(ctx, store.System, n); err != nil {
		t.Fatalf("CreateNumber(%s): %v", e164, err)
	}
	return n
}

// wantCode fails unless err carries the vms code (and field, when given).
func wantCode(t *testing.T, err error, code, field string) {
	t.Helper()
	if got := vms.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
	if field != "" && vms.ErrorField(err) != field {
		t.Fatalf("error field = %q (%v), want %q", vms.ErrorField(err), err, field)
	}
}

// lastAudit returns the newest audit entry.
func lastAudit(t *testing.T, s *store.Store) store.AuditEntry {
	t.Helper()
	es, err := s.ListAudit(ctx, store.AuditFilter{Limit: 1})
	if err != nil || len(es) == 0 {
		t.Fatalf("ListAudit: %v, %d entries", err, len(es))
	}
	return es[0]
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	if s == "" {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("audit JSON %q: %v", s, err)
	}
	return m
}

func countAudit(t *testing.T, s *store.Store) int {
	t.Helper()
	es, err := s.ListAudit(ctx, store.AuditFilter{Limit: store.MaxAuditLimit})
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}
