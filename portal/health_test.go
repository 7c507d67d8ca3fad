package portal

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
