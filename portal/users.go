package portal

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/access"
	"github.com/vmsplatform/vms/mail"
	"github.com/vmsplatform/vms/store"
)

// userInput creates a user. No password: the user gets a one-time
// first-login link by e-mail and chooses one (PRV-1).
type userInput struct {
	Email string `json:"email"`
	Name  string `json:"name"`
	Role  string `json:"role" doc:"tenant users: admin, read-write, read-only, supervisor or agent; operator staff: BGC-ADMIN, BGC-RW or BGC-RO"`
}

// userPatch changes a user; absent fields stay as they are.
type userPatch struct {
	Name     *string `json:"name,omitempty"`
	Role     *string `json:"role,omitempty"`
	Disabled *bool   `json:"disabled,omitempty" doc:"a disabled user cannot log in; their sessions end"`
}

type userView struct {
	ID          uint       `json:"id"`
	TenantID    *uint      `json:"tenant_id"`
	Email       string     `json:"email"`
	Name        string     `json:"name"`
	Role        string     `json:"role"`
	Disabled    bool       `json:"disabled"`
	HasPassword bool       `json:"has_password" doc:"false until the user followed their first-login link"`
	LastLoginAt *time.Time `json:"last_login_at"`
	CreatedAt   time.Time  `json:"created_at"`
}

// linkSentView answers a call that e-mails a first-login link. The change
// stands even when the e-mail fails; MailSent says so.
type linkSentView struct {
	User      userView `json:"user"`
	MailSent  bool     `json:"mail_sent"`
	MailError string   `json:"mail_error,omitempty"`
}

func viewUser(u *store.User) userView {
	return userView{ID: u.ID, TenantID: u.TenantID, Email: u.Email, Name: u.Name, Role: u.Role, Disabled: u.Disabled,
		HasPassword: u.PasswordHash != "", LastLoginAt: u.LastLoginAt, CreatedAt: u.CreatedAt}
}

func linkSent(u *store.User, mailErr error) linkSentView {
	v := linkSentView{User: viewUser(u), MailSent: mailErr == nil}
	if mailErr != nil {
		v.MailError = vms.ErrorMessage(mailErr)
	}
	return v
}

func (s *Server) registerUsers(api *apiRouter, web *echo.Group) {
	api.handle(http.MethodGet, "/tenants/:tid/users", s.apiListUsers, apiOp{Summary: "A customer's users", Tag: "users", Out: []userView{}})
	api.handle(http.MethodPost, "/tenants/:tid/users", s.apiCreateUser, apiOp{Summary: "Create a user; they get a first-login link by e-mail (admins; POR-2)", Tag: "users", In: userInput{}, Out: linkSentView{}, Status: http.StatusCreated})
	api.handle(http.MethodGet, "/tenants/:tid/users/:id", s.apiGetUser, apiOp{Summary: "One user", Tag: "users", Out: userView{}})
	api.handle(http.MethodPatch, "/tenants/:tid/users/:id", s.apiUpdateUser, apiOp{Summary: "Change a user's name or role, or disable them (admins)", Tag: "users", In: userPatch{}, Out: userView{}})
	api.handle(http.MethodDelete, "/tenants/:tid/users/:id", s.apiDeleteUser, apiOp{Summary: "Delete a user (admins; not yourself)", Tag: "users", Status: http.StatusNoContent})
	api.handle(http.MethodPost, "/tenants/:tid/users/:id/login-link", s.apiSendLoginLink, apiOp{Summary: "E-mail the user a new first-login link (admins)", Tag: "users", Out: linkSentView{}})

	api.handle(http.MethodGet, "/operator/users", s.apiListUsers, apiOp{Summary: "Operator staff (operator)", Tag: "operator", Out: []userView{}})
	api.handle(http.MethodPost, "/operator/users", s.apiCreateUser, apiOp{Summary: "Create an operator staff account (BGC-ADMIN)", Tag: "operator", In: userInput{}, Out: linkSentView{}, Status: http.StatusCreated})
	api.handle(http.MethodPatch, "/operator/users/:id", s.apiUpdateUser, apiOp{Summary: "Change an operator staff account (BGC-ADMIN)", Tag: "operator", In: userPatch{}, Out: userView{}})
	api.handle(http.MethodDelete, "/operator/users/:id", s.apiDeleteUser, apiOp{Summary: "Delete an operator staff account (BGC-ADMIN; not yourself)", Tag: "operator", Status: http.StatusNoContent})
	api.handle(http.MethodPost, "/operator/users/:id/login-link", s.apiSendLoginLink, apiOp{Summary: "E-mail an operator staff member a new first-login link (BGC-ADMIN)", Tag: "operator", Out: linkSentView{}})

	web.GET("/tenants/:tid/users", s.usersPage)
	web.POST("/tenants/:tid/users", s.usersCreate)
	web.POST("/tenants/:tid/users/:id", s.userUpdate)
	web.POST("/tenants/:tid/users/:id/delete", s.userDelete)
	web.POST("/tenants/:tid/users/:id/login-link", s.userSendLink)
	web.GET("/operator/users", s.usersPage)
	web.POST("/operator/users", s.usersCreate)
	web.POST("/operator/users/:id", s.userUpdate)
	web.POST("/operator/users/:id/delete", s.userDelete)
	web.POST("/operator/users/:id/login-link", s.userSendLink)
}

// userScope is the set of users a route works on: one tenant's users, or
// operator staff (Tenant nil).
type userScope struct {
	Tenant *store.Tenant
}

func (sc userScope) tenantID() *uint {
	if sc.Tenant == nil {
		return nil
	}
	id := sc.Tenant.ID
	return &id
}

func (sc userScope) base() string {
	if sc.Tenant == nil {
		return "/operator/users"
	}
	return fmt.Sprintf("/tenants/%d/users", sc.Tenant.ID)
}

// scope resolves the route's user scope after checking that the caller may
// see it; manage additionally requires the right to manage its users.
func (s *Server) scope(c echo.Context, manage bool) (userScope, error) {
	p, _ := principal(c)
	if c.Param("tid") == "" {
		if err := p.CanViewOperator(); err != nil {
			return userScope{}, err
		}
		if manage && p.Role != access.BGCAdmin {
			return userScope{}, vms.Errorf(vms.EFORBIDDEN, "only BGC-ADMIN can manage operator staff")
		}
		return userScope{}, nil
	}
	t, _, err := s.tenantAccess(c, manage)
	if err != nil {
		return userScope{}, err
	}
	if manage {
		if err := p.CanManageUsers(t.ID); err != nil {
			return userScope{}, err
		}
	}
	return userScope{Tenant: t}, nil
}

// scopedUser loads the :id user within the scope: a user of another tenant
// (or a tenant user under the operator path) is not found.
func (s *Server) scopedUser(c echo.Context, sc userScope) (*store.User, error) {
	id, err := idParam(c, "id")
	if err != nil {
		return nil, err
	}
	u, err := s.store.GetUser(c.Request().Context(), id)
	if err != nil {
		return nil, err
	}
	want := sc.tenantID()
	if (want == nil) != (u.TenantID == nil) || (want != nil && *want != *u.TenantID) {
		return nil, vms.Errorf(vms.ENOTFOUND, "user %d not found", id)
	}
	return u, nil
}

// createUser creates a user without a password and e-mails them a
// first-login link. The returned mail error does not undo the creation.
func (s *Server) createUser(c echo.Context, sc userScope, in userInput) (*store.User, error, error) {
	p, _ := principal(c)
	role, err := access.ParseRole(in.Role)
	if err != nil {
		return nil, nil, err
	}
	if err := p.CanAssign(sc.tenantID(), role); err != nil {
		return nil, nil, err
	}
	email, err := cleanEmail("email", in.Email)
	if err != nil {
		return nil, nil, err
	}
	name, err := cleanText("name", in.Name, true, maxName)
	if err != nil {
		return nil, nil, err
	}
	u := &store.User{TenantID: sc.tenantID(), Email: email, Name: name, Role: string(role)}
	ctx := c.Request().Context()
	var url string
	err = s.store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.CreateUser(ctx, actor(c), u); err != nil {
			return err
		}
		var l *store.LoginLink
		l, url, err = s.newLoginLink(u)
		if err != nil {
			return err
		}
		return tx.CreateLoginLink(ctx, l)
	})
	if err != nil {
		return nil, nil, err
	}
	return u, s.sendLinkMail(ctx, sc, u, url), nil
}

// sendLinkMail e-mails a user the portal address and their first-login
// link; never a password.
func (s *Server) sendLinkMail(ctx context.Context, sc userScope, u *store.User, url string) error {
	org := "the operator"
	if sc.Tenant != nil {
		org = sc.Tenant.Name
	}
	return s.sendMail(ctx, mail.Message{
		To:      []string{u.Email},
		Subject: "Your VMS account",
		Text: fmt.Sprintf("Hello %s,\n\nYou have an account on the VMS portal of %s, as %s.\n\nThe portal is at %s\n\n"+
			"Choose your password with this one-time link (valid for %s):\n%s\n",
			u.Name, org, access.Role(u.Role).Title(), s.cfg.BaseURL, linkValidity(s.cfg.LoginLinkTTL), url),
	})
}

// updateUser applies a patch to u after the POR-2 checks: customers never
// change operator staff; only BGC-ADMIN grants operator roles; nobody
// changes their own role or disables themselves.
func (s *Server) updateUser(c echo.Context, sc userScope, u *store.User, in userPatch) (*store.User, error) {
	p, _ := principal(c)
	if err := p.CanChangeUser(u.TenantID, access.Role(u.Role)); err != nil {
		return nil, err
	}
	if in.Name != nil {
		n, err := cleanText("name", *in.Name, true, maxName)
		if err != nil {
			return nil, err
		}
		u.Name = n
	}
	if in.Role != nil {
		r, err := access.ParseRole(*in.Role)
		if err != nil {
			return nil, err
		}
		if string(r) != u.Role {
			if u.ID == p.UserID {
				return nil, &vms.Error{Code: vms.EFORBIDDEN, Field: "role", Message: "you cannot change your own role"}
			}
			if err := p.CanAssign(sc.tenantID(), r); err != nil {
				return nil, err
			}
			u.Role = string(r)
		}
	}
	if in.Disabled != nil {
		if *in.Disabled && u.ID == p.UserID {
			return nil, &vms.Error{Code: vms.EFORBIDDEN, Field: "disabled", Message: "you cannot disable your own account"}
		}
		u.Disabled = *in.Disabled
	}
	ctx := c.Request().Context()
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.UpdateUser(ctx, actor(c), u); err != nil {
			return err
		}
		if u.Disabled {
			return tx.DeleteUserSessions(ctx, u.ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

func (s *Server) deleteUser(c echo.Context, u *store.User) error {
	p, _ := principal(c)
	if err := p.CanChangeUser(u.TenantID, access.Role(u.Role)); err != nil {
		return err
	}
	if u.ID == p.UserID {
		return vms.Errorf(vms.EFORBIDDEN, "you cannot delete your own account")
	}
	return s.store.DeleteUser(c.Request().Context(), actor(c), u.ID)
}

// sendLoginLink issues a new first-login link for u and e-mails it; the
// returned mail error does not undo the link.
func (s *Server) sendLoginLink(c echo.Context, sc userScope, u *store.User) (error, error) {
	p, _ := principal(c)
	if err := p.CanChangeUser(u.TenantID, access.Role(u.Role)); err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, vms.Errorf(vms.ECONFLICT, "%s is disabled; enable the account first", u.Email)
	}
	l, url, err := s.newLoginLink(u)
	if err != nil {
		return nil, err
	}
	if err := s.store.CreateLoginLink(c.Request().Context(), l); err != nil {
		return nil, err
	}
	return s.sendLinkMail(c.Request().Context(), sc, u, url), nil
}

func (s *Server) apiListUsers(c echo.Context) error {
	sc, err := s.scope(c, false)
	if err != nil {
		return err
	}
	us, err := s.store.ListUsers(c.Request().Context(), sc.tenantID())
	if err != nil {
		return err
	}
	out := make([]userView, 0, len(us))
	for i := range us {
		out = append(out, viewUser(&us[i]))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiCreateUser(c echo.Context) error {
	sc, err := s.scope(c, true)
	if err != nil {
		return err
	}
	var in userInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	u, mailErr, err := s.createUser(c, sc, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, linkSent(u, mailErr))
}

func (s *Server) apiGetUser(c echo.Context) error {
	sc, err := s.scope(c, false)
	if err != nil {
		return err
	}
	u, err := s.scopedUser(c, sc)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewUser(u))
}

func (s *Server) apiUpdateUser(c echo.Context) error {
	sc, err := s.scope(c, true)
	if err != nil {
		return err
	}
	u, err := s.scopedUser(c, sc)
	if err != nil {
		return err
	}
	var in userPatch
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	u, err = s.updateUser(c, sc, u, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewUser(u))
}

func (s *Server) apiDeleteUser(c echo.Context) error {
	sc, err := s.scope(c, true)
	if err != nil {
		return err
	}
	u, err := s.scopedUser(c, sc)
	if err != nil {
		return err
	}
	if err := s.deleteUser(c, u); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) apiSendLoginLink(c echo.Context) error {
	sc, err := s.scope(c, true)
	if err != nil {
		return err
	}
	u, err := s.scopedUser(c, sc)
	if err != nil {
		return err
	}
	mailErr, err := s.sendLoginLink(c, sc, u)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, linkSent(u, mailErr))
}

// Pages

func (s *Server) usersPage(c echo.Context) error {
	return s.renderUsers(c, http.StatusOK, pageData("Users"))
}

func (s *Server) renderUsers(c echo.Context, status int, data map[string]any) error {
	sc, err := s.scope(c, false)
	if err != nil {
		return err
	}
	p, _ := principal(c)
	us, err := s.store.ListUsers(c.Request().Context(), sc.tenantID())
	if err != nil {
		return err
	}
	roles := access.OperatorRoles()
	canManage := p.Role == access.BGCAdmin
	data["Title"] = "Operator staff"
	if sc.Tenant != nil {
		roles = access.TenantRoles()
		canManage = p.CanManageUsers(sc.Tenant.ID) == nil && p.CanWrite(sc.Tenant.ID) == nil
		data["Title"] = "Users · " + sc.Tenant.Name
	}
	data["Tenant"] = sc.Tenant
	data["Base"] = sc.base()
	data["Users"] = us
	data["Roles"] = roles
	data["CanManage"] = canManage
	data["MeID"] = p.UserID
	if _, ok := data["Flash"]; !ok {
		data["Flash"] = flashFrom(c)
	}
	setDefaultForm(data, "user", userInput{Role: string(roles[len(roles)-1])})
	return s.render(c, status, "users.html", data)
}

func (s *Server) usersCreate(c echo.Context) error {
	sc, err := s.scope(c, true)
	if err != nil {
		return err
	}
	in := userInput{Email: c.FormValue("email"), Name: c.FormValue("name"), Role: c.FormValue("role")}
	_, mailErr, err := s.createUser(c, sc, in)
	if showOnForm(err) {
		data := pageData("Users")
		return s.renderUsers(c, formFailed(data, "user", in, err), data)
	} else if err != nil {
		return err
	}
	flash := "user-created"
	if mailErr != nil {
		flash = "user-mailfail"
	}
	return seeOther(c, sc.base(), flash)
}

func (s *Server) userUpdate(c echo.Context) error {
	sc, err := s.scope(c, true)
	if err != nil {
		return err
	}
	u, err := s.scopedUser(c, sc)
	if err != nil {
		return err
	}
	in := userPatch{}
	if v := c.FormValue("role"); v != "" {
		in.Role = &v
	}
	if v := strings.TrimSpace(c.FormValue("disabled")); v != "" {
		d := v == "true" || v == "on" || v == "1"
		in.Disabled = &d
	}
	_, err = s.updateUser(c, sc, u, in)
	if showOnForm(err) {
		data := pageData("Users")
		return s.renderUsers(c, formFailed(data, fmt.Sprintf("user-%d", u.ID), in, err), data)
	} else if err != nil {
		return err
	}
	return seeOther(c, sc.base(), "user-saved")
}

func (s *Server) userDelete(c echo.Context) error {
	sc, err := s.scope(c, true)
	if err != nil {
		return err
	}
	u, err := s.scopedUser(c, sc)
	if err != nil {
		return err
	}
	if err := s.deleteUser(c, u); err != nil {
		return err
	}
	return seeOther(c, sc.base(), "user-deleted")
}

func (s *Server) userSendLink(c echo.Context) error {
	sc, err := s.scope(c, true)
	if err != nil {
		return err
	}
	u, err := s.scopedUser(c, sc)
	if err != nil {
		return err
	}
	mailErr, err := s.sendLoginLink(c, sc, u)
	if err != nil {
		return err
	}
	flash := "link-sent"
	if mailErr != nil {
		flash = "link-mailfail"
	}
	return seeOther(c, sc.base(), flash)
}
