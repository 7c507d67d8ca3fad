package portal

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms/store"
)

type siteInput struct {
	Name string `json:"name" doc:"the site name number nodes use: letters, digits, '-', '_', '.'"`
}

type siteView struct {
	ID          uint       `json:"id"`
	Name        string     `json:"name"`
	Down        bool       `json:"down" doc:"calls skip the site's numbers"`
	ChangedAt   *time.Time `json:"changed_at"`
	ChangedByID *uint      `json:"changed_by_id"`
}

func viewSite(st *store.Site) siteView {
	return siteView{ID: st.ID, Name: st.Name, Down: st.Down, ChangedAt: st.ChangedAt, ChangedByID: st.ChangedByID}
}

func (s *Server) registerSites(api *apiRouter, web *echo.Group, trm echo.MiddlewareFunc, op func(string, any, any, int) apiOp) {
	api.handle(http.MethodGet, "/tenants/:tid/sites", s.apiListSites, op("A customer's sites", nil, []siteView{}, 0), trm)
	api.handle(http.MethodPost, "/tenants/:tid/sites", s.apiCreateSite, op("Add a site", siteInput{}, siteView{}, http.StatusCreated), trm)
	api.handle(http.MethodPost, "/tenants/:tid/sites/:id/down", s.apiSiteDown, op("Mark a site down: calls skip its numbers to their alternatives", nil, siteView{}, 0), trm)
	api.handle(http.MethodPost, "/tenants/:tid/sites/:id/up", s.apiSiteUp, op("Mark a site up again", nil, siteView{}, 0), trm)
	api.handle(http.MethodDelete, "/tenants/:tid/sites/:id", s.apiDeleteSite, op("Delete a site", nil, nil, http.StatusNoContent), trm)

	web.GET("/tenants/:tid/sites", s.sitesPage, trm)
	web.POST("/tenants/:tid/sites", s.siteCreate, trm)
	web.POST("/tenants/:tid/sites/:id/toggle", s.siteToggle, trm)
	web.POST("/tenants/:tid/sites/:id/delete", s.siteDelete, trm)
}

func (s *Server) site(c echo.Context, t *store.Tenant) (*store.Site, error) {
	id, err := idParam(c, "id")
	if err != nil {
		return nil, err
	}
	return s.store.GetSite(c.Request().Context(), t.ID, id)
}

func (s *Server) createSite(c echo.Context, t *store.Tenant, in siteInput) (*store.Site, error) {
	name, err := cleanRoutingName("name", in.Name)
	if err != nil {
		return nil, err
	}
	st := &store.Site{TenantID: t.ID, Name: name}
	if err := s.store.CreateSite(c.Request().Context(), actor(c), st); err != nil {
		return nil, err
	}
	return st, nil
}

func (s *Server) apiListSites(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	ss, err := s.store.ListSites(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	out := make([]siteView, 0, len(ss))
	for i := range ss {
		out = append(out, viewSite(&ss[i]))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiCreateSite(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	var in siteInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	st, err := s.createSite(c, t, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, viewSite(st))
}

func (s *Server) apiSetSite(c echo.Context, down bool) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	st, err := s.site(c, t)
	if err != nil {
		return err
	}
	st, err = s.store.SetSiteDown(c.Request().Context(), actor(c), t.ID, st.ID, down)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewSite(st))
}

func (s *Server) apiSiteDown(c echo.Context) error { return s.apiSetSite(c, true) }
func (s *Server) apiSiteUp(c echo.Context) error   { return s.apiSetSite(c, false) }

func (s *Server) apiDeleteSite(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	st, err := s.site(c, t)
	if err != nil {
		return err
	}
	if err := s.store.DeleteSite(c.Request().Context(), actor(c), t.ID, st.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) sitesPage(c echo.Context) error {
	return s.renderSites(c, http.StatusOK, routingPageData(c, "Sites"))
}

func (s *Server) renderSites(c echo.Context, status int, data map[string]any) error {
	t, p, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	ss, err := s.store.ListSites(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	data["Tenant"] = t
	data["Sites"] = ss
	data["CanWrite"] = p.CanWrite(t.ID) == nil
	setDefaultForm(data, "site", map[string]string{})
	return s.render(c, status, "sites.html", data)
}

func (s *Server) siteCreate(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	form := map[string]string{"Name": c.FormValue("name")}
	if _, err := s.createSite(c, t, siteInput{Name: form["Name"]}); err != nil {
		if !showOnForm(err) {
			return err
		}
		data := routingPageData(c, "Sites")
		return s.renderSites(c, formFailed(data, "site", form, err), data)
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/sites", t.ID), "site-created")
}

// siteToggle switches a site down or up in one click (TRM-9).
func (s *Server) siteToggle(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	st, err := s.site(c, t)
	if err != nil {
		return err
	}
	st, err = s.store.SetSiteDown(c.Request().Context(), actor(c), t.ID, st.ID, !st.Down)
	if err != nil {
		return err
	}
	flash := "site-up"
	if st.Down {
		flash = "site-down"
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/sites", t.ID), flash)
}

func (s *Server) siteDelete(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	st, err := s.site(c, t)
	if err != nil {
		return err
	}
	if err := s.store.DeleteSite(c.Request().Context(), actor(c), t.ID, st.ID); err != nil {
		return err
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/sites", t.ID), "site-deleted")
}
