package portal

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/credential"
	"github.com/vmsplatform/vms/store"
)

type meView struct {
	ID       uint   `json:"id"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	TenantID *uint  `json:"tenant_id"`
	Operator bool   `json:"operator"`
}

type tokenInput struct {
	Name      string `json:"name" form:"name" doc:"a label to recognise the token by"`
	ExpiresIn int    `json:"expires_in_days,omitempty" form:"expires_in_days" doc:"days until the token expires; 0 = never"`
}

type tokenView struct {
	ID         uint       `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
}

type newTokenView struct {
	tokenView
	Token string `json:"token" doc:"the secret; shown only once"`
}

func viewToken(t store.APIToken) tokenView {
	return tokenView{ID: t.ID, Name: t.Name, Prefix: t.Prefix, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt, ExpiresAt: t.ExpiresAt}
}

func (s *Server) apiMe(c echo.Context) error {
	u := currentUser(c)
	p, _ := principal(c)
	return c.JSON(http.StatusOK, meView{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, TenantID: u.TenantID, Operator: p.Operator()})
}

// createToken validates in and stores a new token for the caller; the
// secret is returned once and only its hash is kept.
func (s *Server) createToken(c echo.Context, in tokenInput) (*newTokenView, error) {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		return nil, vms.FieldError("name", "give the token a name")
	}
	if len(in.Name) > 100 {
		return nil, vms.FieldError("name", "must be at most 100 characters")
	}
	if in.ExpiresIn < 0 || in.ExpiresIn > 3650 {
		return nil, vms.FieldError("expires_in_days", "must be between 0 (never) and 3650 days")
	}
	tok, err := credential.NewToken()
	if err != nil {
		return nil, err
	}
	secret := "vms_" + tok
	now := s.now()
	t := &store.APIToken{UserID: currentUser(c).ID, Name: in.Name, Prefix: secret[:10], Hash: credential.HashToken(secret), CreatedAt: now}
	if in.ExpiresIn > 0 {
		exp := now.Add(time.Duration(in.ExpiresIn) * 24 * time.Hour)
		t.ExpiresAt = &exp
	}
	if err := s.store.CreateAPIToken(c.Request().Context(), actor(c), t); err != nil {
		return nil, err
	}
	return &newTokenView{tokenView: viewToken(*t), Token: secret}, nil
}

func (s *Server) apiListTokens(c echo.Context) error {
	ts, err := s.store.ListAPITokens(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	out := make([]tokenView, 0, len(ts))
	for _, t := range ts {
		out = append(out, viewToken(t))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiCreateToken(c echo.Context) error {
	var in tokenInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	v, err := s.createToken(c, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, v)
}

func (s *Server) apiDeleteToken(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := s.store.DeleteAPIToken(c.Request().Context(), actor(c), currentUser(c).ID, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) accountPage(c echo.Context) error {
	return s.renderAccount(c, http.StatusOK, nil)
}

func (s *Server) renderAccount(c echo.Context, status int, data map[string]any) error {
	ts, err := s.store.ListAPITokens(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	if data == nil {
		data = map[string]any{}
	}
	data["Title"] = "Account"
	data["Tokens"] = ts
	return s.render(c, status, "account.html", data)
}

func (s *Server) accountCreateToken(c echo.Context) error {
	var in tokenInput
	in.Name = c.FormValue("name")
	v, err := s.createToken(c, in)
	if vms.ErrorCode(err) == vms.EINVALID {
		return s.renderAccount(c, http.StatusUnprocessableEntity, map[string]any{"Errors": fieldErrors(err), "Form": in})
	} else if err != nil {
		return err
	}
	return s.renderAccount(c, http.StatusCreated, map[string]any{"NewToken": v.Token, "Flash": "Token created. Copy it now: it is not shown again."})
}

func (s *Server) accountDeleteToken(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := s.store.DeleteAPIToken(c.Request().Context(), actor(c), currentUser(c).ID, id); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/account")
}

// fieldErrors turns a validation error into a field → message map for a
// form, with "" holding an error that names no field.
func fieldErrors(err error) map[string]string {
	return map[string]string{vms.ErrorField(err): vms.ErrorMessage(err)}
}
