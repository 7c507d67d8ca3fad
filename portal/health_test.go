package portal

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vmsplatform/vms/access"
	"github.com/vmsplatform/vms/credential"
	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
)

func TestHealthAndMetrics(t *testing.T) {
	st := storetest.SQLite(t)
	for _, tc := range []struct {
		name, token, auth string
		wantMetrics       int
	}{
		{"open metrics", "", "", http.StatusOK},
		{"metrics token missing", "s3cret", "", http.StatusUnauthorized},
		{"metrics token wrong", "s3cret", "Bearer nope", http.StatusUnauthorized},
		{"metrics token right", "s3cret", "Bearer s3cret", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Defaults()
			cfg.MetricsToken = tc.token
			s, err := New(cfg, st, nil, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
				rec := httptest.NewRecorder()
				s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
				if rec.Code != want {
					t.Errorf("%s = %d", path, rec.Code)
				}
			}
			req := httptest.NewRequest("GET", "/metrics", nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if rec.Code != tc.wantMetrics {
				t.Fatalf("/metrics = %d, want %d", rec.Code, tc.wantMetrics)
			}
			if rec.Code == 200 && !strings.Contains(rec.Body.String(), "vms_http_requests_total") {
				t.Errorf("metrics body lacks vms_http_requests_total")
			}
		})
	}
	// readyz reports a database that does not answer.
	s, err := New(Defaults(), st, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"unavailable"`) {
		t.Errorf("readyz with a closed database = %d %s", rec.Code, rec.Body.String())
	}
}

// TestOnChange: the hook runs after successful changes only.
func TestOnChange(t *testing.T) {
	st := storetest.SQLite(t)
	calls := 0
	cfg := Defaults()
	cfg.OnChange = func() { calls++ }
	s, err := New(cfg, st, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*http.Request{
		httptest.NewRequest("GET", "/healthz", nil),
		httptest.NewRequest("POST", "/api/v1/tokens", strings.NewReader(`{}`)), // 401: no change
	} {
		s.Handler().ServeHTTP(httptest.NewRecorder(), r)
	}
	if calls != 0 {
		t.Fatalf("OnChange ran %d times for reads and refused writes", calls)
	}
	u := seedTokenUser(t, st)
	req := httptest.NewRequest("POST", "/api/v1/tokens", strings.NewReader(`{"name":"ci"}`))
	req.Header.Set("Authorization", "Bearer "+u)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated || calls != 1 {
		t.Fatalf("POST /api/v1/tokens = %d, OnChange ran %d times", rec.Code, calls)
	}
}

// seedTokenUser creates an operator user with an API token and returns the
// token.
func seedTokenUser(t *testing.T, st *store.Store) string {
	t.Helper()
	ctx := context.Background()
	u := &store.User{Email: "hook@example.net", Name: "Hook", Role: string(access.BGCAdmin)}
	if err := st.CreateUser(ctx, store.System, u); err != nil {
		t.Fatal(err)
	}
	raw, err := credential.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	secret := "vms_" + raw
	if err := st.CreateAPIToken(ctx, store.System, &store.APIToken{UserID: u.ID, Name: "hook", Prefix: secret[:10], Hash: credential.HashToken(secret), CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return secret
}

// TestStaticFiles: embedded files are served under their content hash with
// a long cache life and the right type; a stale hash is still served but
// revalidated; anything else is 404.
func TestStaticFiles(t *testing.T) {
	s, err := New(Defaults(), storetest.SQLite(t), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, ctype string }{
		{"style.css", "text/css; charset=utf-8"},
		{"jssip.min.js", "text/javascript; charset=utf-8"},
		{"routing.js", "text/javascript; charset=utf-8"},
	} {
		path := "/static/" + s.pages.hashes[tc.name] + "/" + tc.name
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 200 || rec.Header().Get("Content-Type") != tc.ctype || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") || rec.Body.Len() == 0 {
			t.Errorf("%s: %d %q %q (%d bytes)", path, rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"), rec.Body.Len())
		}
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/static/0000/style.css", nil))
	if rec.Code != 200 || rec.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("stale hash: %d %q", rec.Code, rec.Header().Get("Cache-Control"))
	}
	for _, p := range []string{"/static/x/missing.css", "/static/x/..%2fserver.go"} {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if rec.Code != 404 {
			t.Errorf("%s = %d, want 404", p, rec.Code)
		}
	}
}
