package portal

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms/phone"
	"github.com/vmsplatform/vms/store"
)

type listInput struct {
	Name string `json:"name" doc:"the id trees use (list branches): letters, digits, '-', '_', '.'"`
}

type listMemberInput struct {
	Number string `json:"number" doc:"national or international format; stored in E.164"`
}

type listView struct {
	ID        uint      `json:"id"`
	Name      string    `json:"name"`
	Members   []string  `json:"members,omitempty" doc:"E.164 numbers (on single-list answers)"`
	Count     int       `json:"count"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *Server) registerLists(api *apiRouter, web *echo.Group, trm echo.MiddlewareFunc, op func(string, any, any, int) apiOp) {
	api.handle(http.MethodGet, "/tenants/:tid/lists", s.apiListLists, op("A customer's caller lists (VIP, blocked; TRM-3)", nil, []listView{}, 0), trm)
	api.handle(http.MethodPost, "/tenants/:tid/lists", s.apiCreateList, op("Create a caller list", listInput{}, listView{}, http.StatusCreated), trm)
	api.handle(http.MethodGet, "/tenants/:tid/lists/:id", s.apiGetList, op("A caller list with its numbers", nil, listView{}, 0), trm)
	api.handle(http.MethodDelete, "/tenants/:tid/lists/:id", s.apiDeleteList, op("Delete a caller list no tree uses", nil, nil, http.StatusNoContent), trm)
	api.handle(http.MethodPost, "/tenants/:tid/lists/:id/members", s.apiAddMember, op("Add a number to a caller list", listMemberInput{}, listView{}, http.StatusCreated), trm)
	api.handle(http.MethodDelete, "/tenants/:tid/lists/:id/members/:number", s.apiRemoveMember, op("Remove a number (E.164) from a caller list", nil, nil, http.StatusNoContent), trm)

	web.GET("/tenants/:tid/lists", s.listsPage, trm)
	web.POST("/tenants/:tid/lists", s.listCreate, trm)
	web.GET("/tenants/:tid/lists/:id", s.listPage, trm)
	web.POST("/tenants/:tid/lists/:id/delete", s.listDelete, trm)
	web.POST("/tenants/:tid/lists/:id/members", s.memberAdd, trm)
	web.POST("/tenants/:tid/lists/:id/members/delete", s.memberRemove, trm)
}

func (s *Server) callerList(c echo.Context, t *store.Tenant) (*store.CallerList, error) {
	id, err := idParam(c, "id")
	if err != nil {
		return nil, err
	}
	return s.store.GetCallerList(c.Request().Context(), t.ID, id)
}

func (s *Server) viewList(c echo.Context, t *store.Tenant, l *store.CallerList) (listView, error) {
	es, err := s.store.ListMembers(c.Request().Context(), t.ID, l.ID)
	if err != nil {
		return listView{}, err
	}
	v := listView{ID: l.ID, Name: l.Name, Members: []string{}, Count: len(es), CreatedAt: l.CreatedAt}
	for _, e := range es {
		v.Members = append(v.Members, e.E164)
	}
	return v, nil
}

func (s *Server) createList(c echo.Context, t *store.Tenant, in listInput) (*store.CallerList, error) {
	name, err := cleanRoutingName("name", in.Name)
	if err != nil {
		return nil, err
	}
	l := &store.CallerList{TenantID: t.ID, Name: name}
	if err := s.store.CreateCallerList(c.Request().Context(), actor(c), l); err != nil {
		return nil, err
	}
	return l, nil
}

func (s *Server) addMember(c echo.Context, t *store.Tenant, l *store.CallerList, in listMemberInput) error {
	e164, err := phone.Normalize(in.Number, t.Region)
	if err != nil {
		return err
	}
	_, err = s.store.AddListMember(c.Request().Context(), actor(c), t.ID, l.ID, e164)
	return err
}

func (s *Server) apiListLists(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	ls, err := s.store.ListCallerLists(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	out := make([]listView, 0, len(ls))
	for _, l := range ls {
		out = append(out, listView{ID: l.ID, Name: l.Name, Count: l.Members, CreatedAt: l.CreatedAt})
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiCreateList(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	var in listInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	l, err := s.createList(c, t, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, listView{ID: l.ID, Name: l.Name, Members: []string{}, CreatedAt: l.CreatedAt})
}

func (s *Server) apiGetList(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	l, err := s.callerList(c, t)
	if err != nil {
		return err
	}
	v, err := s.viewList(c, t, l)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) apiDeleteList(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	l, err := s.callerList(c, t)
	if err != nil {
		return err
	}
	if err := s.store.DeleteCallerList(c.Request().Context(), actor(c), t.ID, l.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) apiAddMember(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	l, err := s.callerList(c, t)
	if err != nil {
		return err
	}
	var in listMemberInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if err := s.addMember(c, t, l, in); err != nil {
		return err
	}
	v, err := s.viewList(c, t, l)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, v)
}

func (s *Server) apiRemoveMember(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	l, err := s.callerList(c, t)
	if err != nil {
		return err
	}
	e164, err := phone.Normalize(c.Param("number"), t.Region)
	if err != nil {
		return err
	}
	if err := s.store.RemoveListMember(c.Request().Context(), actor(c), t.ID, l.ID, e164); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) listsPage(c echo.Context) error {
	return s.renderLists(c, http.StatusOK, routingPageData(c, "Caller lists"))
}

func (s *Server) renderLists(c echo.Context, status int, data map[string]any) error {
	t, p, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	ls, err := s.store.ListCallerLists(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	data["Tenant"] = t
	data["Lists"] = ls
	data["CanWrite"] = p.CanWrite(t.ID) == nil
	setDefaultForm(data, "list", map[string]string{})
	return s.render(c, status, "lists.html", data)
}

func (s *Server) listCreate(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	form := map[string]string{"Name": c.FormValue("name")}
	l, err := s.createList(c, t, listInput{Name: form["Name"]})
	if err != nil {
		if !showOnForm(err) {
			return err
		}
		data := routingPageData(c, "Caller lists")
		return s.renderLists(c, formFailed(data, "list", form, err), data)
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/lists/%d", t.ID, l.ID), "list-created")
}

func (s *Server) listPage(c echo.Context) error {
	return s.renderList(c, http.StatusOK, routingPageData(c, "Caller list"))
}

func (s *Server) renderList(c echo.Context, status int, data map[string]any) error {
	t, p, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	l, err := s.callerList(c, t)
	if err != nil {
		return err
	}
	v, err := s.viewList(c, t, l)
	if err != nil {
		return err
	}
	data["Tenant"] = t
	data["List"] = v
	data["Title"] = "List " + l.Name
	data["CanWrite"] = p.CanWrite(t.ID) == nil
	setDefaultForm(data, "member", map[string]string{})
	return s.render(c, status, "lists_detail.html", data)
}

func (s *Server) listDelete(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	l, err := s.callerList(c, t)
	if err != nil {
		return err
	}
	if err := s.store.DeleteCallerList(c.Request().Context(), actor(c), t.ID, l.ID); err != nil {
		return err
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/lists", t.ID), "list-deleted")
}

func (s *Server) memberAdd(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	l, err := s.callerList(c, t)
	if err != nil {
		return err
	}
	form := map[string]string{"Number": c.FormValue("number")}
	if err := s.addMember(c, t, l, listMemberInput{Number: form["Number"]}); err != nil {
		if !showOnForm(err) {
			return err
		}
		data := routingPageData(c, "Caller list")
		return s.renderList(c, formFailed(data, "member", form, err), data)
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/lists/%d", t.ID, l.ID), "member-added")
}

func (s *Server) memberRemove(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	l, err := s.callerList(c, t)
	if err != nil {
		return err
	}
	if err := s.store.RemoveListMember(c.Request().Context(), actor(c), t.ID, l.ID, c.FormValue("number")); err != nil {
		return err
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/lists/%d", t.ID, l.ID), "member-removed")
}
