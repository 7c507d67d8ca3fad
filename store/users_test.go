package store_test

import (
	"strings"
	"testing"
	"time"

	vms "github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
)

func TestUsers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := staff(1)
		acme := mustTenant(t, s, "Acme")
		beta := mustTenant(t, s, "Beta")

		u := &store.User{TenantID: &acme.ID, Email: "  Alice@Example.COM ", Name: "Alice", Role: "tenant-admin", PasswordHash: "$argon2id$secret"}
		if err := s.CreateUser(ctx, a, u); err != nil {
			t.Fatal(err)
		}
		if u.Email != "alice@example.com" {
			t.Fatalf("stored email = %q", u.Email)
		}
		e := lastAudit(t, s)
		if e.Action != "user.create" || e.TenantID == nil || *e.TenantID != acme.ID || strings.Contains(e.After, "argon2") || strings.Contains(e.After, "PasswordHash") {
			t.Fatalf("user audit = %+v", e)
		}
		mustUser(t, s, &beta.ID, "bob@example.com")
		op := mustUser(t, s, nil, "ops@operator.example")

		for _, tt := range []struct{ name, email string }{
			{"same case", "alice@example.com"},
			{"other case and spaces", " ALICE@example.com"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				wantCode(t, s.CreateUser(ctx, a, &store.User{TenantID: &beta.ID, Email: tt.email, Name: "x", Role: "user"}), vms.ECONFLICT, "email")
				got, err := s.UserByEmail(ctx, tt.email)
				if err != nil || got.ID != u.ID {
					t.Fatalf("UserByEmail(%q) = %+v, %v", tt.email, got, err)
				}
			})
		}
		wantCode(t, s.CreateUser(ctx, a, &store.User{Email: " ", Role: "user"}), vms.EINVALID, "email")

		if l, err := s.ListUsers(ctx, &acme.ID); err != nil || len(l) != 1 || l[0].ID != u.ID {
			t.Fatalf("ListUsers(acme) = %+v, %v", l, err)
		}
		if l, err := s.ListUsers(ctx, nil); err != nil || len(l) != 1 || l[0].ID != op.ID {
			t.Fatalf("ListUsers(staff) = %+v, %v", l, err)
		}

		// UpdateUser never touches the password hash.
		upd := &store.User{ID: u.ID, TenantID: &acme.ID, Email: "ALICE2@example.com", Name: "Alice B", Role: "tenant-user"}
		if err := s.UpdateUser(ctx, a, upd); err != nil {
			t.Fatal(err)
		}
		got, _ := s.GetUser(ctx, u.ID)
		if got.Email != "alice2@example.com" || got.Role != "tenant-user" || got.PasswordHash != "$argon2id$secret" {
			t.Fatalf("after update = %+v", got)
		}
		e = lastAudit(t, s)
		if e.Action != "user.update" || decode(t, e.Before)["Email"] != "alice@example.com" || decode(t, e.After)["Email"] != "alice2@example.com" || strings.Contains(e.Before+e.After, "argon2") {
			t.Fatalf("update audit = %+v", e)
		}
		wantCode(t, s.UpdateUser(ctx, a, &store.User{ID: u.ID, Email: "bob@example.com", Role: "x"}), vms.ECONFLICT, "email")
		wantCode(t, s.UpdateUser(ctx, a, &store.User{ID: 999, Email: "z@example.com", Role: "x"}), vms.ENOTFOUND, "")

		// SetPassword is audited without values.
		if err := s.SetPassword(ctx, a, u.ID, "$argon2id$new"); err != nil {
			t.Fatal(err)
		}
		got, _ = s.GetUser(ctx, u.ID)
		e = lastAudit(t, s)
		if got.PasswordHash != "$argon2id$new" || e.Action != "user.password" || e.Before != "" || e.After != "" || *e.TenantID != acme.ID {
			t.Fatalf("after SetPassword: hash %q, audit %+v", got.PasswordHash, e)
		}
		wantCode(t, s.SetPassword(ctx, a, 999, "x"), vms.ENOTFOUND, "")

		at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		if err := s.TouchLogin(ctx, u.ID, at); err != nil {
			t.Fatal(err)
		}
		got, _ = s.GetUser(ctx, u.ID)
		if got.LastLoginAt == nil || !got.LastLoginAt.Equal(at) {
			t.Fatalf("LastLoginAt = %v", got.LastLoginAt)
		}
		wantCode(t, s.TouchLogin(ctx, 999, at), vms.ENOTFOUND, "")

		// DeleteUser takes the user's sessions and tokens along.
		if err := s.CreateSession(ctx, &store.Session{ID: strings.Repeat("a", 64), UserID: u.ID, CSRFToken: "c"}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateAPIToken(ctx, a, &store.APIToken{UserID: u.ID, Name: "ci", Prefix: "vms_ab", Hash: strings.Repeat("b", 64)}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteUser(ctx, a, u.ID); err != nil {
			t.Fatal(err)
		}
		e = lastAudit(t, s)
		if e.Action != "user.delete" || e.After != "" || decode(t, e.Before)["Email"] != "alice2@example.com" {
			t.Fatalf("delete audit = %+v", e)
		}
		_, err := s.GetUser(ctx, u.ID)
		wantCode(t, err, vms.ENOTFOUND, "")
		_, err = s.GetSession(ctx, strings.Repeat("a", 64))
		wantCode(t, err, vms.ENOTFOUND, "")
		_, err = s.APITokenByHash(ctx, strings.Repeat("b", 64))
		wantCode(t, err, vms.ENOTFOUND, "")
		wantCode(t, s.DeleteUser(ctx, a, u.ID), vms.ENOTFOUND, "")
	})
}

func TestAPITokens(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := staff(1)
		acme := mustTenant(t, s, "Acme")
		u := mustUser(t, s, &acme.ID, "alice@example.com")
		v := mustUser(t, s, &acme.ID, "victor@example.com")
		tok := &store.APIToken{UserID: u.ID, Name: "ci", Prefix: "vms_abcd", Hash: strings.Repeat("f", 64)}
		if err := s.CreateAPIToken(ctx, a, tok); err != nil {
			t.Fatal(err)
		}
		e := lastAudit(t, s)
		if e.Action != "api_token.create" || *e.TenantID != acme.ID || strings.Contains(e.After, strings.Repeat("f", 64)) || decode(t, e.After)["Prefix"] != "vms_abcd" {
			t.Fatalf("token audit = %+v", e)
		}
		wantCode(t, s.CreateAPIToken(ctx, a, &store.APIToken{UserID: v.ID, Name: "x", Prefix: "p", Hash: strings.Repeat("f", 64)}), vms.ECONFLICT, "token")
		wantCode(t, s.CreateAPIToken(ctx, a, &store.APIToken{UserID: 999, Name: "x", Prefix: "p", Hash: "h"}), vms.ENOTFOUND, "")

		got, err := s.APITokenByHash(ctx, strings.Repeat("f", 64))
		if err != nil || got.ID != tok.ID {
			t.Fatalf("APITokenByHash = %+v, %v", got, err)
		}
		at := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
		if err := s.TouchAPIToken(ctx, tok.ID, at); err != nil {
			t.Fatal(err)
		}
		l, err := s.ListAPITokens(ctx, u.ID)
		if err != nil || len(l) != 1 || l[0].LastUsedAt == nil || !l[0].LastUsedAt.Equal(at) {
			t.Fatalf("ListAPITokens = %+v, %v", l, err)
		}
		if l, _ := s.ListAPITokens(ctx, v.ID); len(l) != 0 {
			t.Fatalf("ListAPITokens(other) = %+v", l)
		}
		wantCode(t, s.DeleteAPIToken(ctx, a, v.ID, tok.ID), vms.ENOTFOUND, "")
		if err := s.DeleteAPIToken(ctx, a, u.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		if e := lastAudit(t, s); e.Action != "api_token.delete" || strings.Contains(e.Before, strings.Repeat("f", 64)) {
			t.Fatalf("delete audit = %+v", e)
		}
		wantCode(t, s.TouchAPIToken(ctx, tok.ID, at), vms.ENOTFOUND, "")
	})
}

func TestRepresentatives(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := staff(1)
		acme := mustTenant(t, s, "Acme")
		beta := mustTenant(t, s, "Beta")
		r := &store.Representative{TenantID: acme.ID, Name: "Carol", Email: "Carol@Acme.example", Contact: true}
		if err := s.CreateRepresentative(ctx, a, r); err != nil {
			t.Fatal(err)
		}
		if e := lastAudit(t, s); e.Action != "representative.create" || *e.TenantID != acme.ID {
			t.Fatalf("audit = %+v", e)
		}
		wantCode(t, s.CreateRepresentative(ctx, a, &store.Representative{TenantID: acme.ID, Name: "x"}), vms.EINVALID, "email")
		l, err := s.ListRepresentatives(ctx, acme.ID)
		if err != nil || len(l) != 1 || l[0].Email != "carol@acme.example" || !l[0].Contact {
			t.Fatalf("ListRepresentatives = %+v, %v", l, err)
		}
		wantCode(t, s.DeleteRepresentative(ctx, a, beta.ID, r.ID), vms.ENOTFOUND, "")
		if err := s.DeleteRepresentative(ctx, a, acme.ID, r.ID); err != nil {
			t.Fatal(err)
		}
		if l, _ := s.ListRepresentatives(ctx, acme.ID); len(l) != 0 {
			t.Fatalf("after delete: %+v", l)
		}
	})
}
