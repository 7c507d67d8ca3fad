package portal

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmsplatform/vms/access"
	"github.com/vmsplatform/vms/credential"
	"github.com/vmsplatform/vms/mail"
	"github.com/vmsplatform/vms/mail/mailtest"
	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
)

// testClock is a settable clock for the portal.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// tenantFixture is one seeded tenant with a user of every role and one
// object of every kind.
type tenantFixture struct {
	T                         *store.Tenant
	Admin, RW, RO, Sup, Agent *store.User
	Number                    *store.Number
	Entity                    *store.Entity
	Rep                       *store.Representative
	Order                     *store.Order
	Token                     uint // an API token of Admin
}

// harness is a portal on a fresh store with two tenants A and B (Classic,
// active), an Outbound tenant C, and operator staff.
type harness struct {
	t      *testing.T
	srv    *Server
	st     *store.Store
	sink   *mailtest.Sink
	clock  *testClock
	mailer Mailer // the SMTP sender to sink

	Op, OpRW, OpRO *store.User
	A, B, C        tenantFixture

	mu       sync.Mutex
	tokens   map[uint]string // user id -> API token secret
	sessions map[uint][2]string
}

const testBaseURL = "https://vms.test.example"

func newHarness(t *testing.T, st *store.Store) *harness {
	t.Helper()
	sink := mailtest.NewSink(t)
	m, err := mail.NewSMTP(mail.SMTPConfig{Host: sink.Host(), Port: sink.Port(), TLS: mail.TLSNone, From: "vms@vms.test.example", Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} // a Monday
	cfg := Defaults()
	cfg.BaseURL = testBaseURL
	cfg.Now = clock.Now
	srv, err := New(cfg, st, m, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, srv: srv, st: st, sink: sink, clock: clock, mailer: m, tokens: map[uint]string{}, sessions: map[uint][2]string{}}
	h.Op = h.user(nil, "op-admin@operator.example", access.BGCAdmin)
	h.OpRW = h.user(nil, "op-rw@operator.example", access.BGCRW)
	h.OpRO = h.user(nil, "op-ro@operator.example", access.BGCRO)
	h.A = h.seedTenant("Alpha Widgets NV", "alpha", "Classic", "+3222110001")
	h.B = h.seedTenant("Bravo Logistics BV", "bravo", "Classic", "+3222110002")
	h.C = h.seedTenant("Charlie Outbound SA", "charlie", "Outbound", "+3222110003")
	// Credentials up front: creating a token is audited, and a test
	// compares the audit log before and after a call.
	for _, u := range []*store.User{h.Op, h.OpRW, h.OpRO} {
		h.token(u)
		h.session(u)
	}
	for _, f := range []tenantFixture{h.A, h.B, h.C} {
		for _, u := range []*store.User{f.Admin, f.RW, f.RO, f.Sup, f.Agent} {
			h.token(u)
			h.session(u)
		}
	}
	return h
}

func (h *harness) ctx() context.Context { return context.Background() }

func (h *harness) user(tenantID *uint, email string, role access.Role) *store.User {
	h.t.Helper()
	u := &store.User{TenantID: tenantID, Email: email, Name: "User " + email, Role: string(role), PasswordHash: "x"}
	if err := h.st.CreateUser(h.ctx(), store.System, u); err != nil {
		h.t.Fatalf("seed user %s: %v", email, err)
	}
	return u
}

func (h *harness) seedTenant(name, slug, f, number string) tenantFixture {
	h.t.Helper()
	ctx := h.ctx()
	now := h.clock.Now()
	t := &store.Tenant{Name: name, Formula: f, Status: store.TenantActive, ActivatedAt: &now}
	if err := h.st.CreateTenant(ctx, store.System, t); err != nil {
		h.t.Fatal(err)
	}
	id := t.ID
	fx := tenantFixture{T: t}
	fx.Admin = h.user(&id, "admin@"+slug+".example", access.Admin)
	fx.RW = h.user(&id, "rw@"+slug+".example", access.ReadWrite)
	fx.RO = h.user(&id, "ro@"+slug+".example", access.ReadOnly)
	fx.Sup = h.user(&id, "sup@"+slug+".example", access.Supervisor)
	fx.Agent = h.user(&id, "agent@"+slug+".example", access.Agent)
	fx.Entity = &store.Entity{TenantID: id, Name: name + " Services"}
	if err := h.st.CreateEntity(ctx, store.System, fx.Entity); err != nil {
		h.t.Fatal(err)
	}
	fx.Number = &store.Number{TenantID: id, E164: number, Kind: "fixed", OnNetwork: true, Status: store.NumberActive, ActivatedAt: &now, Label: name + " reception"}
	if err := h.st.CreateNumber(ctx, store.System, fx.Number); err != nil {
		h.t.Fatal(err)
	}
	fx.Rep = &store.Representative{TenantID: id, Name: "Rep of " + name, Email: "rep@" + slug + ".example", Contact: true}
	if err := h.st.CreateRepresentative(ctx, store.System, fx.Rep); err != nil {
		h.t.Fatal(err)
	}
	fx.Order = &store.Order{TenantID: id, Kind: store.OrderChange, Formula: f, Status: store.OrderEntered, DueAt: now.AddDate(0, 0, 21), EnteredByID: h.Op.ID}
	if err := h.st.CreateOrder(ctx, store.System, fx.Order); err != nil {
		h.t.Fatal(err)
	}
	h.token(fx.Admin)
	toks, err := h.st.ListAPITokens(ctx, fx.Admin.ID)
	if err != nil || len(toks) != 1 {
		h.t.Fatalf("seed token: %v %d", err, len(toks))
	}
	fx.Token = toks[0].ID
	return fx
}

// token returns an API token of u, creating it on first use.
func (h *harness) token(u *store.User) string {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if tok, ok := h.tokens[u.ID]; ok {
		return tok
	}
	raw, err := credential.NewToken()
	if err != nil {
		h.t.Fatal(err)
	}
	secret := "vms_" + raw
	t := &store.APIToken{UserID: u.ID, Name: "test", Prefix: secret[:10], Hash: credential.HashToken(secret), CreatedAt: h.clock.Now()}
	if err := h.st.CreateAPIToken(h.ctx(), store.System, t); err != nil {
		h.t.Fatal(err)
	}
	h.tokens[u.ID] = secret
	return secret
}

// session returns a session cookie value and CSRF token of u, creating
// the session on first use.
func (h *harness) session(u *store.User) (string, string) {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if s, ok := h.sessions[u.ID]; ok {
		return s[0], s[1]
	}
	tok, _ := credential.NewToken()
	csrf, _ := credential.NewToken()
	now := h.clock.Now()
	if err := h.st.CreateSession(h.ctx(), &store.Session{ID: credential.HashToken(tok), UserID: u.ID, CSRFToken: csrf, CreatedAt: now, LastSeenAt: now}); err != nil {
		h.t.Fatal(err)
	}
	h.sessions[u.ID] = [2]string{tok, csrf}
	return tok, csrf
}

// response is a finished request.
type response struct {
	Status int
	Body   string
	Header http.Header
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.Body), v); err != nil {
		t.Fatalf("response is not JSON (%d): %v\n%s", r.Status, err, r.Body)
	}
}

// apiError decodes an error response.
func (r response) apiErr(t *testing.T) apiErrorBody {
	t.Helper()
	var e apiError
	r.json(t, &e)
	return e.Error
}

// serve runs one request through the portal's handler.
func (h *harness) serve(req *http.Request) response {
	rec := httptest.NewRecorder()
	h.srv.Handler().ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return response{Status: rec.Code, Body: string(b), Header: rec.Result().Header}
}

// api calls the JSON API as u (nil: anonymous) with a Bearer token; body
// is sent as is when it is a string, JSON-encoded otherwise.
func (h *harness) api(u *store.User, method, path string, body any) response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = strings.NewReader(string(j))
	}
	req := httptest.NewRequest(method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if u != nil {
		req.Header.Set("Authorization", "Bearer "+h.token(u))
	}
	return h.serve(req)
}

// page calls a page as u (nil: anonymous) with the session cookie; form
// values of a POST get the CSRF token added.
func (h *harness) page(u *store.User, method, path string, form url.Values) response {
	h.t.Helper()
	var rd io.Reader
	if method != http.MethodGet {
		if form == nil {
			form = url.Values{}
		}
		if u != nil {
			_, csrf := h.session(u)
			form.Set(csrfField, csrf)
		}
		rd = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if u != nil {
		tok, _ := h.session(u)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: tok})
	}
	return h.serve(req)
}

// dump captures the state a refused write must leave alone: the audit
// log's size (every change writes one entry in its transaction), the
// login links, and every row of the domain tables. One query per table
// keeps it cheap enough to run around every request of the walk.
func (h *harness) dump() string {
	h.t.Helper()
	db := h.st.DB().WithContext(h.ctx())
	var b strings.Builder
	for _, tbl := range []any{&store.AuditEntry{}, &store.LoginLink{}} {
		var n int64
		if err := db.Model(tbl).Count(&n).Error; err != nil {
			h.t.Fatal(err)
		}
		fmt.Fprintf(&b, "%T=%d\n", tbl, n)
	}
	var (
		tenants []store.Tenant
		users   []store.User
		numbers []store.Number
		ents    []store.Entity
		reps    []store.Representative
		orders  []store.Order
	)
	for _, dst := range []any{&tenants, &users, &numbers, &ents, &reps, &orders} {
		if err := db.Order("id").Find(dst).Error; err != nil {
			h.t.Fatal(err)
		}
	}
	for i := range users {
		users[i].LastLoginAt = nil // a login is an event, not a change
	}
	for _, v := range []any{tenants, users, numbers, ents, reps, orders} {
		j, _ := json.Marshal(v)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// auditCount is the number of audit entries.
func (h *harness) auditCount() int64 {
	h.t.Helper()
	var n int64
	if err := h.st.DB().Model(&store.AuditEntry{}).Count(&n).Error; err != nil {
		h.t.Fatal(err)
	}
	return n
}

func sqliteHarness(t *testing.T) *harness {
	t.Helper()
	return newHarness(t, storetest.SQLite(t))
}

// httptestRequest builds a request with an optional form body and cookies.
func httptestRequest(method, path string, form url.Values, cookies map[string]string) *http.Request {
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, rd)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	return req
}

// cookieValue returns the value of the cookie a response set.
func cookieValue(hdr http.Header, name string) string {
	for _, c := range (&http.Response{Header: hdr}).Cookies() {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}
