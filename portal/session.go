package portal

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/access"
	"github.com/vmsplatform/vms/credential"
	"github.com/vmsplatform/vms/store"
)

const (
	sessionCookie = "vms_session"
	loginCSRF     = "vms_login_csrf" // double-submit token for the login form, before any session exists
	csrfField     = "_csrf"
	csrfHeader    = "X-CSRF-Token"

	ctxPrincipal = "vms.principal"
	ctxSession   = "vms.session"
	ctxUser      = "vms.user"

	// touchEvery limits session writes: the last-seen time is stored at
	// most this often, which bounds the idle timeout's error to it.
	touchEvery = 15 * time.Second
)

var errUnauthenticated = vms.Errorf(vms.EUNAUTHORIZED, "log in first")

// authenticate resolves the caller from an API token (Authorization:
// Bearer, API routes only) or the session cookie, and stores the principal
// in the context. It does not refuse anonymous callers: requireLogin does.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if isAPI(c) {
			if h := c.Request().Header.Get("Authorization"); h != "" {
				tok, ok := strings.CutPrefix(h, "Bearer ")
				if !ok {
					return vms.Errorf(vms.EUNAUTHORIZED, "the Authorization header must be \"Bearer <API token>\"")
				}
				if err := s.authToken(c, strings.TrimSpace(tok)); err != nil {
					return err
				}
				return next(c)
			}
		}
		if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
			if err := s.authSession(c, ck.Value); err != nil {
				return err
			}
		}
		return next(c)
	}
}

func (s *Server) authToken(c echo.Context, tok string) error {
	ctx := c.Request().Context()
	bad := vms.Errorf(vms.EUNAUTHORIZED, "the API token is not valid")
	if tok == "" {
		return bad
	}
	t, err := s.store.APITokenByHash(ctx, credential.HashToken(tok))
	if vms.ErrorCode(err) == vms.ENOTFOUND {
		return bad
	} else if err != nil {
		return err
	}
	now := s.now()
	if t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
		return vms.Errorf(vms.EUNAUTHORIZED, "the API token has expired")
	}
	u, err := s.activeUser(c, t.UserID)
	if err != nil {
		return bad
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		if err := s.store.TouchAPIToken(ctx, t.ID, now); err != nil {
			return err
		}
	}
	s.setPrincipal(c, u, nil)
	return nil
}

// authSession loads the session behind the cookie and ends it when it is
// idle for longer than SessionIdle or older than SessionAbsolute (POR-1).
func (s *Server) authSession(c echo.Context, tok string) error {
	ctx := c.Request().Context()
	id := credential.HashToken(tok)
	sess, err := s.store.GetSession(ctx, id)
	if vms.ErrorCode(err) == vms.ENOTFOUND {
		s.clearSessionCookie(c)
		return nil
	} else if err != nil {
		return err
	}
	now := s.now()
	if now.Sub(sess.LastSeenAt) >= s.cfg.SessionIdle || now.Sub(sess.CreatedAt) >= s.cfg.SessionAbsolute {
		if err := s.store.DeleteSession(ctx, id); err != nil {
			return err
		}
		s.clearSessionCookie(c)
		c.Set("vms.expired", true)
		return nil
	}
	u, err := s.activeUser(c, sess.UserID)
	if err != nil {
		_ = s.store.DeleteSession(ctx, id)
		s.clearSessionCookie(c)
		return nil
	}
	if now.Sub(sess.LastSeenAt) >= touchEvery {
		if err := s.store.TouchSession(ctx, id, now); err != nil {
			return err
		}
	}
	s.setPrincipal(c, u, sess)
	return nil
}

func (s *Server) activeUser(c echo.Context, id uint) (*store.User, error) {
	u, err := s.store.GetUser(c.Request().Context(), id)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, vms.Errorf(vms.EUNAUTHORIZED, "this account is disabled")
	}
	if u.TenantID != nil {
		t, err := s.store.GetTenant(c.Request().Context(), *u.TenantID)
		if err != nil {
			return nil, err
		}
		if t.Ended(s.now()) {
			return nil, vms.Errorf(vms.EUNAUTHORIZED, "this customer's service has ended")
		}
	}
	return u, nil
}

func (s *Server) setPrincipal(c echo.Context, u *store.User, sess *store.Session) {
	c.Set(ctxPrincipal, principalOf(u))
	c.Set(ctxUser, u)
	if sess != nil {
		c.Set(ctxSession, sess)
	}
}

func principalOf(u *store.User) access.Principal {
	return access.Principal{UserID: u.ID, Email: u.Email, TenantID: u.TenantID, Role: access.Role(u.Role)}
}

// principal returns the authenticated caller; ok is false for anonymous
// requests.
func principal(c echo.Context) (access.Principal, bool) {
	p, ok := c.Get(ctxPrincipal).(access.Principal)
	return p, ok
}

func currentUser(c echo.Context) *store.User {
	u, _ := c.Get(ctxUser).(*store.User)
	return u
}

func currentSession(c echo.Context) *store.Session {
	sess, _ := c.Get(ctxSession).(*store.Session)
	return sess
}

// requireLogin refuses anonymous callers: 401 on the API, a redirect to the
// login page (with the page to come back to) otherwise.
func requireLogin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, ok := principal(c); !ok {
			return errUnauthenticated
		}
		return next(c)
	}
}

func loginURL(c echo.Context) string {
	q := url.Values{}
	if c.Request().Method == http.MethodGet && c.Request().URL.Path != "/" {
		q.Set("next", c.Request().URL.RequestURI())
	}
	if exp, _ := c.Get("vms.expired").(bool); exp {
		q.Set("expired", "1")
	}
	if len(q) == 0 {
		return "/login"
	}
	return "/login?" + q.Encode()
}

// checkCSRF protects every state-changing request made with the session
// cookie: forms carry the session's token in a hidden field, API calls in
// the X-CSRF-Token header. Requests authenticated by an API token carry no
// ambient credential and need none.
func checkCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		sess := currentSession(c)
		if sess == nil {
			return next(c) // token-authenticated or anonymous (requireLogin decides)
		}
		got := c.Request().Header.Get(csrfHeader)
		if got == "" {
			got = c.FormValue(csrfField)
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRFToken)) != 1 {
			return vms.Errorf(vms.EFORBIDDEN, "the form has expired or did not come from this site; reload the page and try again")
		}
		return next(c)
	}
}

// startSession creates a fresh session for u (a new token at every login,
// so a token planted before login is worthless) and sets its cookie.
func (s *Server) startSession(c echo.Context, u *store.User) error {
	tok, err := credential.NewToken()
	if err != nil {
		return err
	}
	csrf, err := credential.NewToken()
	if err != nil {
		return err
	}
	now := s.now()
	sess := &store.Session{
		ID: credential.HashToken(tok), UserID: u.ID, CSRFToken: csrf,
		CreatedAt: now, LastSeenAt: now,
		IP: c.RealIP(), UserAgent: truncate(c.Request().UserAgent(), 300),
	}
	if err := s.store.CreateSession(c.Request().Context(), sess); err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{
		Name: sessionCookie, Value: tok, Path: "/", HttpOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// endSession deletes the caller's session on the server and its cookie.
func (s *Server) endSession(c echo.Context) error {
	if sess := currentSession(c); sess != nil {
		if err := s.store.DeleteSession(c.Request().Context(), sess.ID); err != nil && vms.ErrorCode(err) != vms.ENOTFOUND {
			return err
		}
	}
	s.clearSessionCookie(c)
	return nil
}

func (s *Server) clearSessionCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode,
	})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
