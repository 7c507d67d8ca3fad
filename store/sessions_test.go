package store_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	vms "github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
)

func sid(c byte) string { return strings.Repeat(string(c), 64) }

func TestSessions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		acme := mustTenant(t, s, "Acme")
		u := mustUser(t, s, &acme.ID, "alice@example.com")
		v := mustUser(t, s, &acme.ID, "victor@example.com")
		t0 := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)

		sess := &store.Session{ID: sid('a'), UserID: u.ID, CSRFToken: "csrf", CreatedAt: t0, LastSeenAt: t0, IP: "192.0.2.1", UserAgent: "test"}
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetSession(ctx, sid('a'))
		if err != nil || got.UserID != u.ID || got.CSRFToken != "csrf" || !got.CreatedAt.Equal(t0) || got.IP != "192.0.2.1" {
			t.Fatalf("GetSession = %+v, %v", got, err)
		}
		_, err = s.GetSession(ctx, sid('z'))
		wantCode(t, err, vms.ENOTFOUND, "")
		wantCode(t, s.CreateSession(ctx, &store.Session{ID: sid('a'), UserID: u.ID, CSRFToken: "x"}), vms.ECONFLICT, "session")

		if err := s.TouchSession(ctx, sid('a'), t0.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, _ = s.GetSession(ctx, sid('a'))
		if !got.LastSeenAt.Equal(t0.Add(10 * time.Minute)) {
			t.Fatalf("LastSeenAt = %v", got.LastSeenAt)
		}
		wantCode(t, s.TouchSession(ctx, sid('z'), t0), vms.ENOTFOUND, "")

		// Expiry cleanup (POR-1): idle since t0+10m, or created long ago.
		for _, ss := range []store.Session{
			{ID: sid('b'), UserID: u.ID, CSRFToken: "c", CreatedAt: t0.Add(-9 * time.Hour), LastSeenAt: t0.Add(20 * time.Minute)}, // too old
			{ID: sid('c'), UserID: v.ID, CSRFToken: "c", CreatedAt: t0, LastSeenAt: t0.Add(5 * time.Minute)},                      // idle
			{ID: sid('d'), UserID: v.ID, CSRFToken: "c", CreatedAt: t0, LastSeenAt: t0.Add(30 * time.Minute)},                     // live
		} {
			if err := s.CreateSession(ctx, &ss); err != nil {
				t.Fatal(err)
			}
		}
		n, err := s.DeleteExpiredSessions(ctx, t0.Add(10*time.Minute), t0.Add(-8*time.Hour))
		if err != nil || n != 2 {
			t.Fatalf("DeleteExpiredSessions = %d, %v; want 2", n, err)
		}
		for id, want := range map[byte]bool{'a': true, 'b': false, 'c': false, 'd': true} {
			_, err := s.GetSession(ctx, sid(id))
			if (err == nil) != want {
				t.Errorf("session %c present = %v, want %v", id, err == nil, want)
			}
		}

		if err := s.DeleteUserSessions(ctx, v.ID); err != nil {
			t.Fatal(err)
		}
		_, err = s.GetSession(ctx, sid('d'))
		wantCode(t, err, vms.ENOTFOUND, "")
		if err := s.DeleteSession(ctx, sid('a')); err != nil {
			t.Fatal(err)
		}
		_, err = s.GetSession(ctx, sid('a'))
		wantCode(t, err, vms.ENOTFOUND, "")
		if err := s.DeleteSession(ctx, sid('a')); err != nil {
			t.Fatalf("deleting a gone session: %v", err)
		}
	})
}

func TestLoginLinks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		acme := mustTenant(t, s, "Acme")
		u := mustUser(t, s, &acme.ID, "alice@example.com")
		now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
		for _, l := range []store.LoginLink{
			{Hash: sid('1'), UserID: u.ID, ExpiresAt: now.Add(time.Hour)},
			{Hash: sid('2'), UserID: u.ID, ExpiresAt: now.Add(-time.Second)},
			{Hash: sid('3'), UserID: u.ID, ExpiresAt: now.Add(time.Hour)},
		} {
			if err := s.CreateLoginLink(ctx, &l); err != nil {
				t.Fatal(err)
			}
		}
		if e := lastAudit(t, s); e.Action != "login_link.create" || strings.Contains(e.After, sid('3')) {
			t.Fatalf("link audit = %+v", e)
		}
		wantCode(t, s.CreateLoginLink(ctx, &store.LoginLink{Hash: sid('4'), UserID: 999, ExpiresAt: now}), vms.ENOTFOUND, "")

		tests := []struct {
			name string
			hash string
			want bool
		}{
			{"valid", sid('1'), true},
			{"used", sid('1'), false},
			{"expired", sid('2'), false},
			{"unknown", sid('9'), false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.ConsumeLoginLink(ctx, tt.hash, now)
				if tt.want {
					if err != nil || got.ID != u.ID {
						t.Fatalf("ConsumeLoginLink = %+v, %v", got, err)
					}
					return
				}
				wantCode(t, err, vms.ENOTFOUND, "")
			})
		}

		t.Run("concurrent consumers", func(t *testing.T) {
			const n = 8
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = s.ConsumeLoginLink(ctx, sid('3'), now)
				}()
			}
			wg.Wait()
			wins := 0
			for _, err := range errs {
				switch vms.ErrorCode(err) {
				case "":
					wins++
				case vms.ENOTFOUND:
				default:
					t.Errorf("consumer: %v", err)
				}
			}
			if wins != 1 {
				t.Fatalf("%d consumers won, want exactly 1", wins)
			}
		})
	})
}

func TestLoginFailures(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		const (
			window = 15 * time.Minute
			lock   = 10 * time.Minute
			max    = 3
		)
		t0 := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
		key := "alice@example.com"

		_, err := s.GetLoginFailure(ctx, key)
		wantCode(t, err, vms.ENOTFOUND, "")

		steps := []struct {
			name      string
			at        time.Time
			failures  int
			first     time.Time
			lockUntil *time.Time
		}{
			{"first", t0, 1, t0, nil},
			{"second", t0.Add(time.Minute), 2, t0, nil},
			{"third locks", t0.Add(2 * time.Minute), 3, t0, ptr(t0.Add(2*time.Minute + lock))},
			{"after the window the count restarts", t0.Add(20 * time.Minute), 1, t0.Add(20 * time.Minute), nil},
			{"again", t0.Add(21 * time.Minute), 2, t0.Add(20 * time.Minute), nil},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				lf, err := s.RecordLoginFailure(ctx, key, st.at, window, max, lock)
				if err != nil {
					t.Fatal(err)
				}
				if lf.Key != key || lf.Failures != st.failures || !lf.FirstAt.Equal(st.first) {
					t.Fatalf("got %+v, want failures %d first %v", lf, st.failures, st.first)
				}
				if (lf.LockedUntil == nil) != (st.lockUntil == nil) || lf.LockedUntil != nil && !lf.LockedUntil.Equal(*st.lockUntil) {
					t.Fatalf("LockedUntil = %v, want %v", lf.LockedUntil, st.lockUntil)
				}
				stored, err := s.GetLoginFailure(ctx, key)
				if err != nil || stored.Failures != st.failures {
					t.Fatalf("GetLoginFailure = %+v, %v", stored, err)
				}
			})
		}

		t.Run("max 1 locks at once", func(t *testing.T) {
			lf, err := s.RecordLoginFailure(ctx, "strict", t0, window, 1, lock)
			if err != nil || lf.LockedUntil == nil || !lf.LockedUntil.Equal(t0.Add(lock)) {
				t.Fatalf("got %+v, %v", lf, err)
			}
		})

		t.Run("concurrent failures are all counted", func(t *testing.T) {
			const n = 10
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = s.RecordLoginFailure(ctx, "192.0.2.7", t0, window, 100, lock)
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			lf, err := s.GetLoginFailure(ctx, "192.0.2.7")
			if err != nil || lf.Failures != n {
				t.Fatalf("after %d concurrent failures: %+v, %v", n, lf, err)
			}
		})

		if err := s.ClearLoginFailures(ctx, key); err != nil {
			t.Fatal(err)
		}
		_, err = s.GetLoginFailure(ctx, key)
		wantCode(t, err, vms.ENOTFOUND, "")
	})
}

func TestListAudit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		acme := mustTenant(t, s, "Acme")
		beta := mustTenant(t, s, "Beta")
		for i := range 5 {
			mustNumber(t, s, acme.ID, fmt.Sprintf("+322000000%d", i))
		}
		mustNumber(t, s, beta.ID, "+3230000000")

		all, err := s.ListAudit(ctx, store.AuditFilter{})
		if err != nil || len(all) != 8 {
			t.Fatalf("ListAudit(all) = %d entries, %v; want 8", len(all), err)
		}
		for i := 1; i < len(all); i++ {
			if all[i].At.After(all[i-1].At) || all[i].At.Equal(all[i-1].At) && all[i].ID > all[i-1].ID {
				t.Fatalf("entries not newest first at %d: %+v then %+v", i, all[i-1], all[i])
			}
		}
		if all[0].Action != "number.create" || *all[0].TenantID != beta.ID {
			t.Fatalf("newest entry = %+v", all[0])
		}

		tests := []struct {
			name string
			f    store.AuditFilter
			want int
		}{
			{"tenant", store.AuditFilter{TenantID: &acme.ID}, 6},
			{"other tenant", store.AuditFilter{TenantID: &beta.ID}, 2},
			{"limit", store.AuditFilter{TenantID: &acme.ID, Limit: 2}, 2},
			{"offset", store.AuditFilter{TenantID: &acme.ID, Offset: 4}, 2},
			{"huge limit is capped but returns all", store.AuditFilter{Limit: 1 << 20}, 8},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.ListAudit(ctx, tt.f)
				if err != nil || len(got) != tt.want {
					t.Fatalf("got %d entries, %v; want %d", len(got), err, tt.want)
				}
				for _, e := range got {
					if tt.f.TenantID != nil && (e.TenantID == nil || *e.TenantID != *tt.f.TenantID) {
						t.Fatalf("entry of another tenant: %+v", e)
					}
				}
			})
		}
	})
}

func TestSQLitePragmas(t *testing.T) {
	t.Parallel()
	s := storetest.SQLite(t)
	for pragma, want := range map[string]string{"foreign_keys": "1", "journal_mode": "wal", "synchronous": "1", "busy_timeout": "5000"} {
		var got string
		if err := s.DB().Raw("PRAGMA " + pragma).Scan(&got).Error; err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
