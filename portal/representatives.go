package portal

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms/phone"
	"github.com/vmsplatform/vms/store"
)

// representativeInput names a person the tenant authorised to deal with
// the operator (SD-5); Contact marks the order's contact person (PRV-1).
type representativeInput struct {
	Name    string `json:"name"`
	Email   string `json:"email"`
	Phone   string `json:"phone,omitempty" doc:"national or international format; stored in E.164"`
	Contact bool   `json:"contact,omitempty" doc:"the contact person who receives the activation e-mail"`
}

type representativeView struct {
	ID        uint      `json:"id"`
	TenantID  uint      `json:"tenant_id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Phone     string    `json:"phone"`
	Contact   bool      `json:"contact"`
	CreatedAt time.Time `json:"created_at"`
}

func viewRepresentative(r *store.Representative) representativeView {
	return representativeView{ID: r.ID, TenantID: r.TenantID, Name: r.Name, Email: r.Email, Phone: r.Phone, Contact: r.Contact, CreatedAt: r.CreatedAt}
}

func (s *Server) registerRepresentatives(api *apiRouter, web *echo.Group) {
	api.handle(http.MethodGet, "/tenants/:tid/representatives", s.apiListRepresentatives, apiOp{Summary: "A customer's authorised representatives", Tag: "representatives", Out: []representativeView{}})
	api.handle(http.MethodPost, "/tenants/:tid/representatives", s.apiCreateRepresentative, apiOp{Summary: "Add an authorised representative or the contact person", Tag: "representatives", In: representativeInput{}, Out: representativeView{}, Status: http.StatusCreated})
	api.handle(http.MethodDelete, "/tenants/:tid/representatives/:id", s.apiDeleteRepresentative, apiOp{Summary: "Remove a representative", Tag: "representatives", Status: http.StatusNoContent})

	web.POST("/tenants/:tid/representatives", s.representativesCreate)
	web.POST("/tenants/:tid/representatives/:id/delete", s.representativesDelete)
}

func (s *Server) createRepresentative(c echo.Context, t *store.Tenant, in representativeInput) (*store.Representative, error) {
	name, err := cleanText("name", in.Name, true, maxName)
	if err != nil {
		return nil, err
	}
	email, err := cleanEmail("email", in.Email)
	if err != nil {
		return nil, err
	}
	r := &store.Representative{TenantID: t.ID, Name: name, Email: email, Contact: in.Contact}
	if p, err := cleanText("phone", in.Phone, false, 64); err != nil {
		return nil, err
	} else if p != "" {
		e164, err := phone.Normalize(p, t.Region)
		if err != nil {
			return nil, renameField(err, "number", "phone")
		}
		r.Phone = e164
	}
	if err := s.store.CreateRepresentative(c.Request().Context(), actor(c), r); err != nil {
		return nil, err
	}
	return r, nil
}

func (s *Server) deleteRepresentative(c echo.Context, t *store.Tenant) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	return s.store.DeleteRepresentative(c.Request().Context(), actor(c), t.ID, id)
}

func (s *Server) apiListRepresentatives(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	rs, err := s.store.ListRepresentatives(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	out := make([]representativeView, 0, len(rs))
	for i := range rs {
		out = append(out, viewRepresentative(&rs[i]))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiCreateRepresentative(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	var in representativeInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	r, err := s.createRepresentative(c, t, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, viewRepresentative(r))
}

func (s *Server) apiDeleteRepresentative(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	if err := s.deleteRepresentative(c, t); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) representativesCreate(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	in := representativeInput{Name: c.FormValue("name"), Email: c.FormValue("email"), Phone: c.FormValue("phone"), Contact: checked(c, "contact")}
	_, err = s.createRepresentative(c, t, in)
	if showOnForm(err) {
		data := pageData("")
		return s.renderTenant(c, formFailed(data, "rep", in, err), data)
	} else if err != nil {
		return err
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d", t.ID), "rep-created")
}

func (s *Server) representativesDelete(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	if err := s.deleteRepresentative(c, t); err != nil {
		return err
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d", t.ID), "rep-deleted")
}
