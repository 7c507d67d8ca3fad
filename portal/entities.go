package portal

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms/store"
)

// entityInput declares an affiliated entity whose numbers may be activated
// too (NUM-1).
type entityInput struct {
	Name string `json:"name"`
	VAT  string `json:"vat,omitempty" doc:"company or VAT number"`
}

type entityView struct {
	ID        uint      `json:"id"`
	TenantID  uint      `json:"tenant_id"`
	Name      string    `json:"name"`
	VAT       string    `json:"vat"`
	CreatedAt time.Time `json:"created_at"`
}

func viewEntity(e *store.Entity) entityView {
	return entityView{ID: e.ID, TenantID: e.TenantID, Name: e.Name, VAT: e.VAT, CreatedAt: e.CreatedAt}
}

func (s *Server) registerEntities(api *apiRouter, web *echo.Group) {
	api.handle(http.MethodGet, "/tenants/:tid/entities", s.apiListEntities, apiOp{Summary: "A customer's affiliated entities", Tag: "entities", Out: []entityView{}})
	api.handle(http.MethodPost, "/tenants/:tid/entities", s.apiCreateEntity, apiOp{Summary: "Declare an affiliated entity", Tag: "entities", In: entityInput{}, Out: entityView{}, Status: http.StatusCreated})
	api.handle(http.MethodDelete, "/tenants/:tid/entities/:id", s.apiDeleteEntity, apiOp{Summary: "Remove an affiliated entity that has no numbers", Tag: "entities", Status: http.StatusNoContent})

	web.POST("/tenants/:tid/entities", s.entitiesCreate)
	web.POST("/tenants/:tid/entities/:id/delete", s.entitiesDelete)
}

// createEntity declares an affiliated entity of t (tenant writers and
// operator staff).
func (s *Server) createEntity(c echo.Context, t *store.Tenant, in entityInput) (*store.Entity, error) {
	name, err := cleanText("name", in.Name, true, maxName)
	if err != nil {
		return nil, err
	}
	vat, err := cleanText("vat", in.VAT, false, maxVAT)
	if err != nil {
		return nil, err
	}
	e := &store.Entity{TenantID: t.ID, Name: name, VAT: vat}
	if err := s.store.CreateEntity(c.Request().Context(), actor(c), e); err != nil {
		return nil, err
	}
	return e, nil
}

// deleteEntity removes an entity of t; the store refuses (conflict) while
// numbers still belong to it.
func (s *Server) deleteEntity(c echo.Context, t *store.Tenant) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.store.GetEntity(c.Request().Context(), t.ID, id); err != nil {
		return err
	}
	return s.store.DeleteEntity(c.Request().Context(), actor(c), t.ID, id)
}

func (s *Server) apiListEntities(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	es, err := s.store.ListEntities(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	out := make([]entityView, 0, len(es))
	for i := range es {
		out = append(out, viewEntity(&es[i]))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiCreateEntity(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	var in entityInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	e, err := s.createEntity(c, t, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, viewEntity(e))
}

func (s *Server) apiDeleteEntity(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	if err := s.deleteEntity(c, t); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) entitiesCreate(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	in := entityInput{Name: c.FormValue("name"), VAT: c.FormValue("vat")}
	_, err = s.createEntity(c, t, in)
	if showOnForm(err) {
		data := pageData("")
		return s.renderTenant(c, formFailed(data, "entity", in, err), data)
	} else if err != nil {
		return err
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d", t.ID), "entity-created")
}

func (s *Server) entitiesDelete(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	if err := s.deleteEntity(c, t); err != nil {
		return err
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d", t.ID), "entity-deleted")
}
