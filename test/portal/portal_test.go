// Package portal_test drives the real portal in a real browser (headless
// Chromium through test/browsertest): login, navigation, form errors,
// session timeouts (POR-1) on a fake clock, logout and the phone layout.
// Each test runs its own portal on httptest.NewServer over a fresh SQLite
// store.
package portal_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmsplatform/vms/access"
	"github.com/vmsplatform/vms/credential"
	"github.com/vmsplatform/vms/formula"
	"github.com/vmsplatform/vms/mail"
	"github.com/vmsplatform/vms/portal"
	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
	"github.com/vmsplatform/vms/test/browsertest"
)

func TestMain(m *testing.M) { browsertest.Main(m) }

// clock is the portal's injected clock: tests move it forward instead of
// sleeping.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// discardMailer accepts every message; no test here sends e-mail on
// purpose.
type discardMailer struct{}

func (discardMailer) Send(context.Context, mail.Message) error { return nil }

// account is a seeded user with a known password.
type account struct {
	Email    string
	Password string
	Start    string // path of the start page after login
}

// env is one running portal with its store, clock and seeded users.
type env struct {
	URL      string
	Clock    *clock
	Store    *store.Store
	TenantID uint
	Operator account // BGC-ADMIN, no tenant
	Admin    account // admin of the tenant
}

// start runs a portal on 127.0.0.1 with a fresh SQLite store, an operator
// administrator and a tenant (Classic formula, active) with its
// administrator.
func start(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st := storetest.SQLite(t)
	e := &env{
		Clock:    &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)},
		Store:    st,
		Operator: account{Email: "ops@operator.test", Password: "operator correct horse"},
		Admin:    account{Email: "admin@acme.test", Password: "tenant battery staple"},
	}
	activated := e.Clock.Now()
	tenant := &store.Tenant{Name: "Acme Logistics", Formula: string(formula.Classic), Status: store.TenantActive, ActivatedAt: &activated}
	if err := st.CreateTenant(ctx, store.System, tenant); err != nil {
		t.Fatalf("seed tenant: %v", err)
	}
	e.TenantID = tenant.ID
	e.Operator.Start = "/operator/tenants"
	e.Admin.Start = fmt.Sprintf("/tenants/%d", tenant.ID)
	seedUser(t, st, nil, access.BGCAdmin, "Olivia Operator", e.Operator)
	seedUser(t, st, &tenant.ID, access.Admin, "Adam Admin", e.Admin)

	cfg := portal.Defaults()
	cfg.Now = e.Clock.Now
	srv, err := portal.New(cfg, st, discardMailer{}, nil, nil)
	if err != nil {
		t.Fatalf("portal.New: %v", err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	e.URL = hs.URL
	return e
}

func seedUser(t *testing.T, st *store.Store, tenantID *uint, role access.Role, name string, a account) {
	t.Helper()
	// Cheap argon2id parameters keep logins fast under -race; the PHC
	// string carries them, so the portal verifies with the same ones.
	hash, err := credential.HashPasswordWith(credential.Params{Memory: 64, Time: 1, Threads: 1}, a.Password)
	if err != nil {
		t.Fatalf("hash password: %v", err)
	}
	u := &store.User{TenantID: tenantID, Email: a.Email, Name: name, Role: string(role), PasswordHash: hash}
	if err := st.CreateUser(context.Background(), store.System, u); err != nil {
		t.Fatalf("seed user %s: %v", a.Email, err)
	}
}

// login fills and sends the login form; it returns the status of the page
// the browser lands on.
func login(t *testing.T, b *browsertest.Browser, e *env, email, password string) int {
	t.Helper()
	b.Navigate(e.URL + "/login")
	b.Fill(`input[name="email"]`, email)
	b.Fill(`input[name="password"]`, password)
	return b.Submit(`form[action="/login"] button[type="submit"]`)
}

// path returns the path (and query) of the browser's current address.
func path(t *testing.T, b *browsertest.Browser) string {
	t.Helper()
	u, err := url.Parse(b.URL())
	if err != nil {
		t.Fatalf("parse the browser's URL: %v", err)
	}
	return u.RequestURI()
}

// pageFacts is what the tests check on every page, read in one round trip.
type pageFacts struct {
	Path   string   // path and query of the address
	H1     string   // text of the main heading
	Who    string   // the header's user line
	Errors []string // texts of error boxes and alerts
}

func facts(b *browsertest.Browser) pageFacts {
	var f pageFacts
	b.Eval(`(() => {
		const text = sel => { const el = document.querySelector(sel); return el ? el.innerText.trim() : ""; };
		return {
			Path: location.pathname + location.search,
			H1: text("main h1"),
			Who: text("header .who"),
			Errors: [...document.querySelectorAll(".error, [role=alert]")].map(el => el.innerText.trim()),
		};
	})()`, &f)
	return f
}

// navLinks returns the addresses of the navigation bar's links.
func navLinks(b *browsertest.Browser) []string {
	var hrefs []string
	b.Eval(`[...document.querySelectorAll("nav.nav a")].map(a => a.getAttribute("href"))`, &hrefs)
	return hrefs
}

// POR-1: a good password leads to the user's start page, whose header
// names the user; every page of the navigation bar opens cleanly.
func TestLoginAndNavigation(t *testing.T) {
	e := start(t)
	tests := []struct {
		name    string
		user    account
		wantNav []string // paths the navigation bar must offer
	}{
		{"operator admin", e.Operator, []string{"/operator/tenants", "/operator/users", "/operator/audit", "/api/docs", "/account"}},
		{"tenant admin", e.Admin, []string{
			e.Admin.Start, e.Admin.Start + "/numbers", e.Admin.Start + "/users", e.Admin.Start + "/audit", "/api/docs", "/account"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := browsertest.Start(t, browsertest.Options{})
			if got := login(t, b, e, tt.user.Email, tt.user.Password); got != http.StatusOK {
				t.Fatalf("status after login = %d, want 200", got)
			}
			if got := path(t, b); got != tt.user.Start {
				t.Fatalf("landed on %s, want %s", got, tt.user.Start)
			}
			if got := b.Text("header .who"); !strings.Contains(got, tt.user.Email) {
				t.Errorf("header shows %q, want the user's e-mail %s", got, tt.user.Email)
			}

			links := navLinks(b)
			for _, want := range tt.wantNav {
				if !contains(links, want) {
					t.Errorf("navigation bar %v lacks %s", links, want)
				}
			}
			for _, href := range links {
				if got := b.Navigate(e.URL + href); got != http.StatusOK {
					t.Errorf("%s: status %d, want 200", href, got)
					continue
				}
				f := facts(b)
				if f.Path != href {
					t.Errorf("%s: ended on %s", href, f.Path)
				}
				if f.H1 == "" {
					t.Errorf("%s: no h1 or an empty one", href)
				}
				if len(f.Errors) != 0 {
					t.Errorf("%s: error box(es) on a page that should have none: %q", href, f.Errors)
				}
				if !strings.Contains(f.Who, tt.user.Email) {
					t.Errorf("%s: header shows %q, want %s", href, f.Who, tt.user.Email)
				}
			}
			b.NoConsoleErrors()
		})
	}
}

// POR-1: a wrong password keeps the user on the login page with the reason,
// and no session starts.
func TestLoginRefused(t *testing.T) {
	e := start(t)
	tests := []struct {
		name, email, password string
	}{
		{"wrong password", e.Admin.Email, "not the password at all"},
		{"unknown user", "nobody@acme.test", e.Admin.Password},
	}
	browser := browsertest.Start(t, browsertest.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := browser.With(t)
			if got := login(t, b, e, tt.email, tt.password); got != http.StatusUnauthorized {
				t.Errorf("status = %d, want 401", got)
			}
			if got := path(t, b); got != "/login" {
				t.Errorf("after a refused login the browser is on %s, want /login", got)
			}
			if got := b.Text("#form-error"); !strings.Contains(got, "not correct") {
				t.Errorf("#form-error = %q, want the e-mail/password message", got)
			}
			if v := b.Value(`input[name="email"]`); v != tt.email {
				t.Errorf("the e-mail field holds %q after the error, want %q kept", v, tt.email)
			}
			if _, ok := b.Cookie("vms_session"); ok {
				t.Errorf("a refused login set a session cookie")
			}
			if got := b.Navigate(e.URL + "/account"); got != http.StatusOK || !strings.HasPrefix(path(t, b), "/login") {
				t.Errorf("/account after a refused login: status %d on %s, want the login page", got, path(t, b))
			}
		})
	}
}

// Form errors come from the server (the browser's own checks are passed on
// purpose): the page answers 422, names the problem next to the field and
// keeps what the user typed.
func TestFormErrors(t *testing.T) {
	e := start(t)
	tests := []struct {
		name      string
		page      string // path relative to the tenant's start page when it starts with "+"
		field     string // CSS selector of the input
		value     string
		submit    string
		action    string // where the form posts and the page with the error is; "+" as in page
		wantError string // part of the field error's text
	}{
		{"API token without a name", "/account", `form[action="/account/tokens"] input[name="name"]`, "   ",
			`form[action="/account/tokens"] button[type="submit"]`, "/account/tokens", "give the token a name"},
		{"number that is not a phone number", "+/numbers", `#number-form input[name="number"]`, "12ab-not-a-number",
			`#number-form button[type="submit"]`, "+/numbers", "not a phone number"},
	}
	tenantPath := func(p string) string {
		if rest, ok := strings.CutPrefix(p, "+"); ok {
			return e.Admin.Start + rest
		}
		return p
	}
	browser := browsertest.Start(t, browsertest.Options{})
	if got := login(t, browser, e, e.Admin.Email, e.Admin.Password); got != http.StatusOK {
		t.Fatalf("login status %d", got)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := browser.With(t)
			page := tenantPath(tt.page)
			if got := b.Navigate(e.URL + page); got != http.StatusOK {
				t.Fatalf("%s: status %d", page, got)
			}
			// Let the server, not the browser, judge the value.
			b.Eval(`document.querySelectorAll("[required],[pattern],[minlength]").forEach(el => {
				el.removeAttribute("required"); el.removeAttribute("pattern"); el.removeAttribute("minlength") })`, nil)
			b.Fill(tt.field, tt.value)
			if got := b.Submit(tt.submit); got != http.StatusUnprocessableEntity {
				t.Errorf("status = %d, want 422", got)
			}
			b.WaitVisible(".field-error")
			if msg := b.Text(".field-error"); !strings.Contains(msg, tt.wantError) {
				t.Errorf("field error %q, want it to say %q", msg, tt.wantError)
			}
			if b.Count(tt.field+`[aria-invalid="true"]`) != 1 {
				t.Errorf("the field %s is not marked aria-invalid", tt.field)
			}
			if got := b.Text(".field-error[role=alert]"); got == "" {
				t.Errorf("the field error is not announced (role=alert)")
			}
			if strings.TrimSpace(tt.value) != "" {
				if got := b.Value(tt.field); got != tt.value {
					t.Errorf("the field holds %q after the error, want the typed %q", got, tt.value)
				}
			}
			if got, want := path(t, b), tenantPath(tt.action); got != want {
				t.Errorf("after the error the browser is on %s, want %s", got, want)
			}
			if got := b.Count(tt.field); got != 1 {
				t.Errorf("the page with the error has %d field(s) %s, want the form shown again", got, tt.field)
			}
		})
	}
}

// sessionEnded checks that the browser was sent to the login page with the
// notice that the session ended (POR-1).
func sessionEnded(t *testing.T, b *browsertest.Browser) {
	t.Helper()
	p := path(t, b)
	if !strings.HasPrefix(p, "/login?") || !strings.Contains(p, "expired=1") {
		t.Fatalf("browser is on %s, want /login?...expired=1", p)
	}
	if got := b.Text("#notice"); !strings.Contains(got, "session has ended") {
		t.Errorf("#notice = %q, want the session-ended notice", got)
	}
	if _, ok := b.Cookie("vms_session"); ok {
		t.Errorf("the ended session's cookie is still in the browser")
	}
}

// stillIn checks that a reload kept the user on page p, logged in.
func stillIn(t *testing.T, b *browsertest.Browser, e *env, p, when string) {
	t.Helper()
	if got := b.Reload(); got != http.StatusOK {
		t.Fatalf("%s: reload status %d", when, got)
	}
	f := facts(b)
	if f.Path != p {
		t.Fatalf("%s: reload landed on %s, want %s (session ended too early)", when, f.Path, p)
	}
	if !strings.Contains(f.Who, e.Admin.Email) {
		t.Fatalf("%s: header shows %q", when, f.Who)
	}
}

// POR-1: 30 minutes without a request end a session; any request before
// that renews it.
func TestIdleTimeout(t *testing.T) {
	e := start(t)
	b := browsertest.Start(t, browsertest.Options{})
	login(t, b, e, e.Admin.Email, e.Admin.Password)
	page := e.Admin.Start

	e.Clock.Advance(29 * time.Minute)
	stillIn(t, b, e, page, "29 min after login")
	e.Clock.Advance(29 * time.Minute) // 58 min after login, 29 after the last request
	stillIn(t, b, e, page, "29 min after the last request")
	e.Clock.Advance(31 * time.Minute)
	b.Reload()
	sessionEnded(t, b)

	// The way back in is a normal login, which lands on the page asked for.
	if got := b.Text("h1"); got == "" {
		t.Errorf("login page has no h1")
	}
	b.Fill(`input[name="email"]`, e.Admin.Email)
	b.Fill(`input[name="password"]`, e.Admin.Password)
	b.Submit(`form[action="/login"] button[type="submit"]`)
	if got := path(t, b); got != page {
		t.Errorf("after logging in again the browser is on %s, want back on %s", got, page)
	}
}

// POR-1: a session ends 480 minutes after login even when it was never
// idle.
func TestAbsoluteTimeout(t *testing.T) {
	e := start(t)
	b := browsertest.Start(t, browsertest.Options{})
	login(t, b, e, e.Admin.Email, e.Admin.Password)
	page := e.Admin.Start

	const step = 20 * time.Minute
	elapsed := time.Duration(0)
	for elapsed+step < 480*time.Minute {
		e.Clock.Advance(step)
		elapsed += step
		stillIn(t, b, e, page, fmt.Sprintf("%v after login", elapsed))
	}
	e.Clock.Advance(step) // exactly 480 min after login, 20 min after the last request
	b.Reload()
	sessionEnded(t, b)
}

// POR-1: the logout button ends the session on the server, not only in the
// browser: the old cookie, replayed, no longer opens anything.
func TestLogoutEndsSession(t *testing.T) {
	e := start(t)
	b := browsertest.Start(t, browsertest.Options{})
	login(t, b, e, e.Operator.Email, e.Operator.Password)
	cookie, ok := b.Cookie("vms_session")
	if !ok || cookie == "" {
		t.Fatal("no session cookie after login")
	}

	replay := func() *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, e.URL+"/account", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.AddCookie(&http.Cookie{Name: "vms_session", Value: cookie})
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("replay the session cookie: %v", err)
		}
		resp.Body.Close()
		return resp
	}
	// The replay works while the session lives, so a refusal later means
	// the logout ended it.
	if resp := replay(); resp.StatusCode != http.StatusOK {
		t.Fatalf("replaying a live session cookie: status %d, want 200", resp.StatusCode)
	}

	b.Submit("#logout")
	if got := path(t, b); got != "/login" {
		t.Errorf("after logout the browser is on %s, want /login", got)
	}
	if _, ok := b.Cookie("vms_session"); ok {
		t.Errorf("logout left the session cookie in the browser")
	}
	resp := replay()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("replaying the logged-out cookie: status %d to %q, want 303 to /login", resp.StatusCode, resp.Header.Get("Location"))
	}
	b.Navigate(e.URL + "/account")
	if got := path(t, b); !strings.HasPrefix(got, "/login") {
		t.Errorf("/account after logout shows %s, want the login page", got)
	}
}

// The portal works on a phone: the menu button opens the navigation, and
// no page scrolls sideways.
func TestPhoneLayout(t *testing.T) {
	e := start(t)
	b := browsertest.Start(t, browsertest.Options{})
	const width, height = 390, 844
	b.Viewport(width, height, true)

	noSideScroll := func(what string) {
		t.Helper()
		var m struct{ Inner, Scroll int }
		b.Eval(`({inner: window.innerWidth, scroll: document.documentElement.scrollWidth})`, &m)
		if m.Inner != width || m.Scroll > m.Inner {
			// Name the elements that stick out, innermost first, to make
			// the fix obvious.
			var wide []string
			b.Eval(fmt.Sprintf(`[...document.querySelectorAll("body *")]
				.filter(el => el.getBoundingClientRect().right > %d + 1)
				.filter(el => ![...el.children].some(c => c.getBoundingClientRect().right > %d + 1))
				.slice(0, 5)
				.map(el => el.tagName.toLowerCase() + (el.className ? "." + el.className : "") +
					" (" + Math.round(el.getBoundingClientRect().right) + " px): " + el.textContent.trim().slice(0, 60))`, width, width), &wide)
			t.Errorf("%s: page is %d px wide in a %d px viewport (innerWidth %d): it scrolls sideways; widest: %q",
				what, m.Scroll, width, m.Inner, wide)
		}
	}
	b.Navigate(e.URL + "/login")
	noSideScroll("login page")
	shots := screenshotDir(t, b)
	b.Screenshot(filepath.Join(shots, "phone-login.png"))

	login(t, b, e, e.Admin.Email, e.Admin.Password)
	if b.Visible("nav.nav a") {
		t.Errorf("navigation links are shown before the menu is opened")
	}
	b.Click("label.navbutton")
	b.WaitVisible("nav.nav a")
	for _, href := range navLinks(b) {
		if !b.Visible(fmt.Sprintf(`nav.nav a[href=%q]`, href)) {
			t.Errorf("menu open but the link to %s is hidden", href)
		}
	}
	noSideScroll("start page, menu open")
	b.Screenshot(filepath.Join(shots, "phone-menu.png"))

	keep := os.Getenv("VMS_TEST_ARTIFACTS") != ""
	for _, href := range navLinks(b) {
		b.Navigate(e.URL + href)
		noSideScroll(href)
		if keep { // to look at every page
			b.Screenshot(filepath.Join(shots, "phone"+strings.ReplaceAll(href, "/", "-")+".png"))
		}
	}
	b.NoConsoleErrors()
}

// screenshotDir is where the phone screenshots go: $VMS_TEST_ARTIFACTS
// when set (to look at them), the test's temporary directory otherwise.
func screenshotDir(t *testing.T, b *browsertest.Browser) string {
	if os.Getenv("VMS_TEST_ARTIFACTS") != "" {
		return b.ArtifactDir()
	}
	return t.TempDir()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
