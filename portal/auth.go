package portal

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/credential"
	"github.com/vmsplatform/vms/store"
)

// dummyHash is verified against when the e-mail is unknown, so that a
// login for an unknown account costs as much as one for a known account.
var dummyHash = sync.OnceValue(func() string {
	h, _ := credential.HashPassword("not-a-real-password-for-timing")
	return h
})

type loginForm struct {
	Email    string `form:"email" json:"email"`
	Password string `form:"password" json:"password"`
	Next     string `form:"next"`
}

func (s *Server) loginPage(c echo.Context) error {
	if _, ok := principal(c); ok {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	data := map[string]any{"Title": "Log in", "Next": c.QueryParam("next")}
	if c.QueryParam("expired") != "" {
		data["Notice"] = "Your session has ended. Please log in again."
	}
	return s.renderLogin(c, http.StatusOK, data)
}

// renderLogin renders the login page with a fresh double-submit CSRF token.
func (s *Server) renderLogin(c echo.Context, status int, data map[string]any) error {
	tok, err := credential.NewToken()
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: loginCSRF, Value: tok, Path: "/", HttpOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
	data["LoginCSRF"] = tok
	return s.render(c, status, "login.html", data)
}

func (s *Server) login(c echo.Context) error {
	var f loginForm
	if err := c.Bind(&f); err != nil {
		return vms.Errorf(vms.EINVALID, "the login form could not be read")
	}
	ck, err := c.Cookie(loginCSRF)
	if err != nil || ck.Value == "" || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(c.FormValue(csrfField))) != 1 {
		return s.renderLogin(c, http.StatusForbidden, map[string]any{
			"Title": "Log in", "Email": f.Email, "Next": f.Next,
			"Error": "The login form has expired. Please try again.",
		})
	}
	u, err := s.checkLogin(c, f.Email, f.Password)
	if err != nil {
		if vms.ErrorCode(err) == vms.EINTERNAL {
			return err
		}
		return s.renderLogin(c, statusOf(vms.ErrorCode(err)), map[string]any{
			"Title": "Log in", "Email": f.Email, "Next": f.Next, "Error": vms.ErrorMessage(err),
		})
	}
	if err := s.endSession(c); err != nil {
		return err
	}
	if err := s.startSession(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, safeNext(f.Next))
}

// checkLogin verifies e-mail and password with throttling per account and
// per client address that survives restarts (the counters are in the store).
func (s *Server) checkLogin(c echo.Context, email, password string) (*store.User, error) {
	ctx := c.Request().Context()
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return nil, vms.FieldError("email", "enter your e-mail address")
	}
	if password == "" {
		return nil, vms.FieldError("password", "enter your password")
	}
	now := s.now()
	keys := []string{"email:" + email, "ip:" + c.RealIP()}
	for _, k := range keys {
		lf, err := s.store.GetLoginFailure(ctx, k)
		if err != nil && vms.ErrorCode(err) != vms.ENOTFOUND {
			return nil, err
		}
		if lf != nil && lf.LockedUntil != nil && now.Before(*lf.LockedUntil) {
			s.metrics.logins.WithLabelValues("locked").Inc()
			return nil, vms.Errorf(vms.ERATELIMIT, "too many failed logins; try again after %s UTC", lf.LockedUntil.UTC().Format("15:04"))
		}
	}
	u, err := s.store.UserByEmail(ctx, email)
	if err != nil && vms.ErrorCode(err) != vms.ENOTFOUND {
		return nil, err
	}
	ok := false
	if u != nil && u.PasswordHash != "" {
		ok = credential.VerifyPassword(u.PasswordHash, password)
	} else {
		credential.VerifyPassword(dummyHash(), password)
	}
	if ok {
		_, err = s.activeUser(c, u.ID)
		ok = err == nil
	}
	if !ok {
		for _, k := range keys {
			if _, err := s.store.RecordLoginFailure(ctx, k, now, s.cfg.LoginWindow, s.cfg.LoginMaxFailures, s.cfg.LoginLock); err != nil {
				return nil, err
			}
		}
		s.metrics.logins.WithLabelValues("failed").Inc()
		return nil, vms.Errorf(vms.EUNAUTHORIZED, "the e-mail address or password is not correct")
	}
	if err := s.store.ClearLoginFailures(ctx, keys[0]); err != nil {
		return nil, err
	}
	if err := s.store.TouchLogin(ctx, u.ID, now); err != nil {
		return nil, err
	}
	s.metrics.logins.WithLabelValues("ok").Inc()
	return u, nil
}

func (s *Server) logout(c echo.Context) error {
	if err := s.endSession(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login")
}

// safeNext keeps redirects after login on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

// firstLoginPage shows the form behind the one-time link of the activation
// e-mail (PRV-1): the user chooses a password; no password is ever mailed.
func (s *Server) firstLoginPage(c echo.Context) error {
	return s.renderLogin(c, http.StatusOK, map[string]any{
		"Title": "Choose your password", "FirstLogin": true, "Token": c.Param("token"),
	})
}

func (s *Server) firstLogin(c echo.Context) error {
	tok := c.Param("token")
	pw, pw2 := c.FormValue("password"), c.FormValue("password2")
	fail := func(status int, msg string) error {
		return s.renderLogin(c, status, map[string]any{
			"Title": "Choose your password", "FirstLogin": true, "Token": tok, "Error": msg,
		})
	}
	ck, err := c.Cookie(loginCSRF)
	if err != nil || ck.Value == "" || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(c.FormValue(csrfField))) != 1 {
		return fail(http.StatusForbidden, "The form has expired. Please try again.")
	}
	if err := credential.CheckPasswordPolicy(pw); err != nil {
		return fail(http.StatusUnprocessableEntity, vms.ErrorMessage(err))
	}
	if pw != pw2 {
		return fail(http.StatusUnprocessableEntity, "The two passwords are not the same.")
	}
	hash, err := credential.HashPassword(pw)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	u, err := s.store.ConsumeLoginLink(ctx, credential.HashToken(tok), s.now())
	if vms.ErrorCode(err) == vms.ENOTFOUND {
		return fail(http.StatusNotFound, "This link is not valid any more: it was used already or it has expired. Ask your administrator for a new one.")
	} else if err != nil {
		return err
	}
	a := store.Actor{UserID: &u.ID, Email: u.Email, TenantID: u.TenantID, RequestID: requestID(c)}
	if err := s.store.SetPassword(ctx, a, u.ID, hash); err != nil {
		return err
	}
	if err := s.store.DeleteUserSessions(ctx, u.ID); err != nil {
		return err
	}
	if err := s.startSession(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

// newLoginLink creates a one-time first-login link for u and returns its URL.
func (s *Server) newLoginLink(u *store.User) (*store.LoginLink, string, error) {
	tok, err := credential.NewToken()
	if err != nil {
		return nil, "", err
	}
	now := s.now()
	l := &store.LoginLink{Hash: credential.HashToken(tok), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.cfg.LoginLinkTTL)}
	return l, fmt.Sprintf("%s/first-login/%s", s.cfg.BaseURL, tok), nil
}

// actor returns who is making a change, for the audit log.
func actor(c echo.Context) store.Actor {
	p, _ := principal(c)
	a := store.Actor{Email: p.Email, TenantID: p.TenantID, RequestID: requestID(c)}
	if p.UserID != 0 {
		id := p.UserID
		a.UserID = &id
	}
	return a
}
