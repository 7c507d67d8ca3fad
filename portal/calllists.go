package portal

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/calllist"
	"github.com/vmsplatform/vms/phone"
	"github.com/vmsplatform/vms/store"
)

// Call lists of outbound campaigns (OUT-1): a CSV upload read by package
// calllist in the tenant's region, all or nothing, with every bad row
// shown by line and reason; numbers typed one at a time; the tenant's
// limits refuse, never truncate.

// maxCallListBytes bounds an uploaded CSV file.
const maxCallListBytes = 1 << 20

type callListInput struct {
	Name string `json:"name"`
	CSV  string `json:"csv" doc:"the list as CSV text: UTF-8, ';' or ',' separated, optional header row; numbers in national or international form; empty for an empty list"`
}

type callListReplaceInput struct {
	CSV string `json:"csv" doc:"the new content of the list as CSV text; replaces every entry"`
}

type callListEntryInput struct {
	Number string `json:"number" doc:"national or international form; normalised to E.164"`
	Name   string `json:"name,omitempty"`
}

type callListEntryView struct {
	ID     uint              `json:"id"`
	Line   int               `json:"line"`
	Number string            `json:"number"`
	Name   string            `json:"name"`
	Fields map[string]string `json:"fields,omitempty"`
}

type callListView struct {
	ID        uint                `json:"id"`
	Name      string              `json:"name"`
	Size      int                 `json:"size"`
	CreatedAt time.Time           `json:"created_at"`
	UpdatedAt time.Time           `json:"updated_at"`
	Entries   []callListEntryView `json:"entries,omitempty"`
}

// listProblemsError is the API answer to a refused list: the error and
// every problem by line.
type listProblemsError struct {
	Error    apiErrorBody       `json:"error"`
	Problems []calllist.Problem `json:"problems"`
	Omitted  int                `json:"omitted,omitempty"`
}

func viewCallList(l *store.CallList, es []store.CallListEntry) callListView {
	v := callListView{ID: l.ID, Name: l.Name, Size: l.Size, CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt}
	for i := range es {
		e := &es[i]
		v.Entries = append(v.Entries, callListEntryView{ID: e.ID, Line: e.Line, Number: e.E164, Name: e.Name, Fields: e.Fields()})
	}
	return v
}

func (s *Server) registerCallLists(api *apiRouter, web *echo.Group, gate echo.MiddlewareFunc, op func(string, any, any, int) apiOp) {
	api.handle(http.MethodGet, "/tenants/:tid/call-lists", s.apiListCallLists, op("A customer's campaign call lists", nil, []callListView{}, 0), gate)
	api.handle(http.MethodPost, "/tenants/:tid/call-lists", s.apiCreateCallList, op("Create a call list from CSV text; every bad row is reported by line and nothing is saved", callListInput{}, callListView{}, http.StatusCreated), gate)
	api.handle(http.MethodGet, "/tenants/:tid/call-lists/:id", s.apiGetCallList, op("A call list with its entries", nil, callListView{}, 0), gate)
	api.handle(http.MethodPut, "/tenants/:tid/call-lists/:id", s.apiReplaceCallList, op("Replace every entry of a call list from CSV text, all or nothing", callListReplaceInput{}, callListView{}, 0), gate)
	api.handle(http.MethodDelete, "/tenants/:tid/call-lists/:id", s.apiDeleteCallList, op("Delete a call list no unfinished campaign uses", nil, nil, http.StatusNoContent), gate)
	api.handle(http.MethodPost, "/tenants/:tid/call-lists/:id/entries", s.apiAddCallListEntry, op("Add one number to a call list", callListEntryInput{}, callListEntryView{}, http.StatusCreated), gate)
	api.handle(http.MethodDelete, "/tenants/:tid/call-lists/:id/entries/:number", s.apiRemoveCallListEntry, op("Remove a number (E.164) from a call list", nil, nil, http.StatusNoContent), gate)

	web.GET("/tenants/:tid/call-lists", s.callListsPage, gate)
	web.POST("/tenants/:tid/call-lists", s.callListCreate, gate)
	web.GET("/tenants/:tid/call-lists/:id", s.callListPage, gate)
	web.POST("/tenants/:tid/call-lists/:id/entries", s.callListEntryAdd, gate)
	web.POST("/tenants/:tid/call-lists/:id/entries/delete", s.callListEntryRemove, gate)
	web.POST("/tenants/:tid/call-lists/:id/delete", s.callListDelete, gate)
}

// parseCallList reads a CSV list in the tenant's region within its limit
// of numbers per list. A refused list is a *calllist.ListError. No data
// at all is an empty list, whose numbers are typed in afterwards.
func (s *Server) parseCallList(c echo.Context, t *store.Tenant, data []byte) ([]calllist.Entry, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	lim, err := s.store.GetCampaignLimits(c.Request().Context(), t.ID)
	if err != nil {
		return nil, err
	}
	return calllist.Parse(data, calllist.Options{Region: t.Region, MaxEntries: lim.NumbersPerList})
}

// listProblems answers a refused list on the API: 422 with every problem.
func listProblems(c echo.Context, le *calllist.ListError) error {
	return c.JSON(http.StatusUnprocessableEntity, listProblemsError{
		Error:    apiErrorBody{Code: vms.EINVALID, Field: "csv", Message: problemCount(le) + "; nothing was saved"},
		Problems: le.Problems, Omitted: le.Omitted,
	})
}

// problemCount says how many problems a refused list has.
func problemCount(le *calllist.ListError) string {
	if n := len(le.Problems) + le.Omitted; n != 1 {
		return fmt.Sprintf("the list has %d problems", n)
	}
	return "the list has a problem"
}

func (s *Server) callList(c echo.Context, t *store.Tenant) (*store.CallList, error) {
	id, err := idParam(c, "id")
	if err != nil {
		return nil, err
	}
	return s.store.GetCallList(c.Request().Context(), t.ID, id)
}

// typedEntry normalises a number typed in the portal.
func typedEntry(t *store.Tenant, in callListEntryInput) (calllist.Entry, error) {
	name, err := cleanText("name", in.Name, false, maxName)
	if err != nil {
		return calllist.Entry{}, err
	}
	if in.Number == "" {
		return calllist.Entry{}, vms.FieldError("number", "is required")
	}
	e164, err := phone.Normalize(in.Number, t.Region)
	if err != nil {
		return calllist.Entry{}, renameField(err, vms.ErrorField(err), "number")
	}
	return calllist.Entry{Number: e164, Name: name}, nil
}

func (s *Server) apiListCallLists(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	ls, err := s.store.ListCallLists(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	out := make([]callListView, 0, len(ls))
	for i := range ls {
		out = append(out, viewCallList(&ls[i], nil))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiCreateCallList(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	var in callListInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	name, err := cleanText("name", in.Name, true, 100)
	if err != nil {
		return err
	}
	es, err := s.parseCallList(c, t, []byte(in.CSV))
	var le *calllist.ListError
	if errors.As(err, &le) {
		return listProblems(c, le)
	}
	if err != nil {
		return err
	}
	l, err := s.store.CreateCallList(c.Request().Context(), actor(c), t.ID, name, es)
	if err != nil {
		return renameField(err, "file", "csv")
	}
	return c.JSON(http.StatusCreated, viewCallList(l, nil))
}

func (s *Server) apiGetCallList(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	l, err := s.callList(c, t)
	if err != nil {
		return err
	}
	es, err := s.store.CallListEntries(c.Request().Context(), t.ID, l.ID)
	if err != nil {
		return err
	}
	v := viewCallList(l, es)
	if v.Entries == nil {
		v.Entries = []callListEntryView{}
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) apiReplaceCallList(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	l, err := s.callList(c, t)
	if err != nil {
		return err
	}
	var in callListReplaceInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	es, err := s.parseCallList(c, t, []byte(in.CSV))
	var le *calllist.ListError
	if errors.As(err, &le) {
		return listProblems(c, le)
	}
	if err != nil {
		return err
	}
	l, err = s.store.ReplaceCallListEntries(c.Request().Context(), actor(c), t.ID, l.ID, es)
	if err != nil {
		return renameField(err, "file", "csv")
	}
	return c.JSON(http.StatusOK, viewCallList(l, nil))
}

func (s *Server) apiDeleteCallList(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	l, err := s.callList(c, t)
	if err != nil {
		return err
	}
	if err := s.store.DeleteCallList(c.Request().Context(), actor(c), t.ID, l.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) apiAddCallListEntry(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	l, err := s.callList(c, t)
	if err != nil {
		return err
	}
	var in callListEntryInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	e, err := typedEntry(t, in)
	if err != nil {
		return err
	}
	row, err := s.store.AddCallListEntry(c.Request().Context(), actor(c), t.ID, l.ID, e)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, callListEntryView{ID: row.ID, Line: row.Line, Number: row.E164, Name: row.Name})
}

// removeEntryByNumber removes the entry with this number (any form) from
// the list.
func (s *Server) removeEntryByNumber(c echo.Context, t *store.Tenant, l *store.CallList, number string) error {
	e164, err := phone.Normalize(number, t.Region)
	if err != nil {
		return vms.Errorf(vms.ENOTFOUND, "this number is not on the list")
	}
	es, err := s.store.CallListEntries(c.Request().Context(), t.ID, l.ID)
	if err != nil {
		return err
	}
	for _, e := range es {
		if e.E164 == e164 {
			return s.store.RemoveCallListEntry(c.Request().Context(), actor(c), t.ID, l.ID, e.ID)
		}
	}
	return vms.Errorf(vms.ENOTFOUND, "this number is not on the list")
}

func (s *Server) apiRemoveCallListEntry(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	l, err := s.callList(c, t)
	if err != nil {
		return err
	}
	if err := s.removeEntryByNumber(c, t, l, c.Param("number")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// ---- pages ----

func (s *Server) callListsPage(c echo.Context) error {
	return s.renderCallLists(c, http.StatusOK, outboundPageData(c, "Call lists"))
}

func (s *Server) renderCallLists(c echo.Context, status int, data map[string]any) error {
	t, p, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	ls, err := s.store.ListCallLists(ctx, t.ID)
	if err != nil {
		return err
	}
	lim, err := s.store.GetCampaignLimits(ctx, t.ID)
	if err != nil {
		return err
	}
	views := make([]callListView, 0, len(ls))
	for i := range ls {
		views = append(views, viewCallList(&ls[i], nil))
	}
	data["Tenant"] = t
	data["Lists"] = views
	data["Limits"] = lim
	data["CanWrite"] = p.CanWrite(t.ID) == nil
	data["MaxKB"] = maxCallListBytes >> 10
	setDefaultForm(data, "list", map[string]string{})
	return s.render(c, status, "calllists.html", data)
}

func (s *Server) callListCreate(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	form := map[string]string{"Name": c.FormValue("name")}
	name, err := cleanText("name", form["Name"], true, 100)
	var b []byte
	if err == nil {
		b, _, err = readUpload(c, "file", maxCallListBytes)
	}
	var es []calllist.Entry
	if err == nil {
		es, err = s.parseCallList(c, t, b)
	}
	var le *calllist.ListError
	if errors.As(err, &le) {
		data := outboundPageData(c, "Call lists")
		data["Problems"] = le.Problems
		data["Omitted"] = le.Omitted
		err = vms.FieldError("file", "%s; nothing was saved", problemCount(le))
		return s.renderCallLists(c, formFailed(data, "list", form, err), data)
	}
	var l *store.CallList
	if err == nil {
		l, err = s.store.CreateCallList(c.Request().Context(), actor(c), t.ID, name, es)
	}
	if err != nil {
		if !showOnForm(err) {
			return err
		}
		data := outboundPageData(c, "Call lists")
		return s.renderCallLists(c, formFailed(data, "list", form, err), data)
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/call-lists/%d", t.ID, l.ID), "calllist-created")
}

func (s *Server) callListPage(c echo.Context) error {
	return s.renderCallList(c, http.StatusOK, outboundPageData(c, "Call list"))
}

func (s *Server) renderCallList(c echo.Context, status int, data map[string]any) error {
	t, p, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	l, err := s.callList(c, t)
	if err != nil {
		return err
	}
	es, err := s.store.CallListEntries(c.Request().Context(), t.ID, l.ID)
	if err != nil {
		return err
	}
	data["Tenant"] = t
	data["List"] = viewCallList(l, es)
	data["CanWrite"] = p.CanWrite(t.ID) == nil
	setDefaultForm(data, "entry", map[string]string{})
	return s.render(c, status, "calllists_detail.html", data)
}

func (s *Server) callListEntryAdd(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	l, err := s.callList(c, t)
	if err != nil {
		return err
	}
	form := map[string]string{"Number": c.FormValue("number"), "Name": c.FormValue("name")}
	e, err := typedEntry(t, callListEntryInput{Number: form["Number"], Name: form["Name"]})
	if err == nil {
		_, err = s.store.AddCallListEntry(c.Request().Context(), actor(c), t.ID, l.ID, e)
	}
	if err != nil {
		if !showOnForm(err) {
			return err
		}
		data := outboundPageData(c, "Call list")
		return s.renderCallList(c, formFailed(data, "entry", form, err), data)
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/call-lists/%d", t.ID, l.ID), "entry-added")
}

func (s *Server) callListEntryRemove(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	l, err := s.callList(c, t)
	if err != nil {
		return err
	}
	if err := s.removeEntryByNumber(c, t, l, c.FormValue("number")); err != nil {
		return err
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/call-lists/%d", t.ID, l.ID), "entry-removed")
}

func (s *Server) callListDelete(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	l, err := s.callList(c, t)
	if err != nil {
		return err
	}
	if err := s.store.DeleteCallList(c.Request().Context(), actor(c), t.ID, l.ID); err != nil {
		if vms.ErrorCode(err) == vms.ECONFLICT {
			data := outboundPageData(c, "Call list")
			data["Error"] = "This list cannot be deleted: it " + vms.ErrorMessage(err) + "."
			return s.renderCallList(c, http.StatusConflict, data)
		}
		return err
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/call-lists", t.ID), "calllist-deleted")
}
