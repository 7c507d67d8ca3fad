package portal

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/phone"
	"github.com/vmsplatform/vms/routing"
	"github.com/vmsplatform/vms/store"
)

type callView struct {
	ID          uint           `json:"id"`
	CallID      string         `json:"call_id"`
	NumberID    uint           `json:"number_id"`
	Caller      string         `json:"caller" doc:"E.164; empty when withheld"`
	Dialed      string         `json:"dialed"`
	Tree        string         `json:"tree"`
	TreeVersion int            `json:"tree_version"`
	ArrivedAt   time.Time      `json:"arrived_at"`
	AnsweredAt  *time.Time     `json:"answered_at"`
	EndedAt     *time.Time     `json:"ended_at"`
	Outcome     string         `json:"outcome" doc:"answered, busy, no_answer, abandoned, failed, announcement, rejected, overflow, voicemail"`
	Destination string         `json:"destination"`
	Path        []routing.Step `json:"path,omitempty" doc:"the routing decisions and why (on single-call answers)"`
	Legs        []callLegView  `json:"legs,omitempty"`
}

type callLegView struct {
	Destination string     `json:"destination"`
	NodeID      string     `json:"node_id"`
	StartedAt   time.Time  `json:"started_at"`
	AnsweredAt  *time.Time `json:"answered_at"`
	EndedAt     *time.Time `json:"ended_at"`
	Outcome     string     `json:"outcome"`
	Cause       int        `json:"cause" doc:"Q.850 cause, 0 when unknown"`
}

func viewCall(r *store.CallRecord, detail bool) callView {
	v := callView{ID: r.ID, CallID: r.CallID, NumberID: r.NumberID, Caller: r.Caller, Dialed: r.Dialed, Tree: r.TreeID, TreeVersion: r.TreeVersion,
		ArrivedAt: r.ArrivedAt, AnsweredAt: r.AnsweredAt, EndedAt: r.EndedAt, Outcome: r.Outcome, Destination: r.Destination}
	if detail {
		v.Path = []routing.Step{}
		if r.Path != "" {
			_ = json.Unmarshal([]byte(r.Path), &v.Path) // a malformed path shows as empty
		}
		v.Legs = []callLegView{}
		for _, l := range r.Legs {
			v.Legs = append(v.Legs, callLegView{Destination: l.Destination, NodeID: l.NodeID, StartedAt: l.StartedAt, AnsweredAt: l.AnsweredAt,
				EndedAt: l.EndedAt, Outcome: l.Outcome, Cause: l.Cause})
		}
	}
	return v
}

func (s *Server) registerCallRecords(api *apiRouter, web *echo.Group, trm echo.MiddlewareFunc, op func(string, any, any, int) apiOp) {
	api.handle(http.MethodGet, "/tenants/:tid/calls", s.apiListCalls, op("Call records, newest first; filters from, to (dates or times in the customer's zone), number, limit, offset", nil, []callView{}, 0), trm)
	api.handle(http.MethodGet, "/tenants/:tid/calls/:id", s.apiGetCall, op("One call record with its path and legs", nil, callView{}, 0), trm)

	web.GET("/tenants/:tid/calls", s.callsPage, trm)
	web.GET("/tenants/:tid/calls.csv", s.callsCSV, trm)
	web.GET("/tenants/:tid/calls/:id", s.callPage, trm)
}

// callFilter reads the filters of the call list from the query.
func callFilter(c echo.Context, t *store.Tenant) (store.CallFilter, error) {
	var f store.CallFilter
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	day := func(field string, endOfDay bool) (time.Time, error) {
		v := strings.TrimSpace(c.QueryParam(field))
		if v == "" {
			return time.Time{}, nil
		}
		if d, err := time.ParseInLocation("2006-01-02", v, loc); err == nil {
			if endOfDay {
				d = d.AddDate(0, 0, 1)
			}
			return d, nil
		}
		at, err := parseAt(v, loc, time.Time{})
		if err != nil {
			return time.Time{}, vms.FieldError(field, "write a date (2026-11-26) or a time (2026-11-26 09:30)")
		}
		return at, nil
	}
	if f.From, err = day("from", false); err != nil {
		return f, err
	}
	if f.To, err = day("to", true); err != nil {
		return f, err
	}
	if n := strings.TrimSpace(c.QueryParam("number")); n != "" {
		if f.Number, err = phone.Normalize(n, t.Region); err != nil {
			return f, renameField(err, "number", "number")
		}
	}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"limit", &f.Limit}, {"offset", &f.Offset}} {
		if v := c.QueryParam(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return f, vms.FieldError(p.name, "must be a whole number")
			}
			*p.dst = n
		}
	}
	return f, nil
}

func (s *Server) callRecord(c echo.Context, t *store.Tenant) (*store.CallRecord, error) {
	id, err := idParam(c, "id")
	if err != nil {
		return nil, err
	}
	return s.store.GetCallRecord(c.Request().Context(), t.ID, id)
}

func (s *Server) listCalls(c echo.Context) (*store.Tenant, store.CallFilter, []store.CallRecord, error) {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return nil, store.CallFilter{}, nil, err
	}
	f, err := callFilter(c, t)
	if err != nil {
		return t, f, nil, err
	}
	rs, err := s.store.ListCallRecords(c.Request().Context(), t.ID, f)
	return t, f, rs, err
}

func (s *Server) apiListCalls(c echo.Context) error {
	_, _, rs, err := s.listCalls(c)
	if err != nil {
		return err
	}
	out := make([]callView, 0, len(rs))
	for i := range rs {
		out = append(out, viewCall(&rs[i], false))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiGetCall(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	r, err := s.callRecord(c, t)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewCall(r, true))
}

func (s *Server) callsPage(c echo.Context) error {
	data := routingPageData(c, "Calls")
	form := map[string]string{"From": c.QueryParam("from"), "To": c.QueryParam("to"), "Number": c.QueryParam("number")}
	t, f, rs, err := s.listCalls(c)
	status := http.StatusOK
	if err != nil {
		if t == nil || !showOnForm(err) {
			return err
		}
		status = formFailed(data, "filter", form, err)
	}
	setDefaultForm(data, "filter", form)
	data["Tenant"] = t
	data["Calls"] = rs
	csvURL := fmt.Sprintf("/tenants/%d/calls.csv", t.ID)
	if q := c.Request().URL.Query(); len(q) > 0 {
		q.Del("offset")
		q.Del("limit")
		csvURL += "?" + q.Encode()
	}
	data["CSVURL"] = csvURL
	limit := f.Limit
	if limit <= 0 {
		limit = store.DefaultCallLimit
	}
	if len(rs) == limit {
		q := c.Request().URL.Query()
		q.Set("offset", strconv.Itoa(f.Offset+limit))
		data["NextPage"] = fmt.Sprintf("/tenants/%d/calls?%s", t.ID, q.Encode())
	}
	return s.render(c, status, "calls.html", data)
}

func (s *Server) callPage(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	r, err := s.callRecord(c, t)
	if err != nil {
		return err
	}
	data := routingPageData(c, "Call "+r.CallID)
	data["Tenant"] = t
	data["Call"] = viewCall(r, true)
	return s.render(c, http.StatusOK, "calls_detail.html", data)
}

// callsCSV exports the filtered call records (up to store.MaxCallLimit).
func (s *Server) callsCSV(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	f, err := callFilter(c, t)
	if err != nil {
		return err
	}
	if f.Limit == 0 {
		f.Limit = store.MaxCallLimit
	}
	rs, err := s.store.ListCallRecords(c.Request().Context(), t.ID, f)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"id", "call_id", "arrived_at", "answered_at", "ended_at", "caller", "dialed", "tree", "tree_version", "outcome", "destination"})
	ts := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	for i := range rs {
		r := &rs[i]
		_ = w.Write([]string{strconv.FormatUint(uint64(r.ID), 10), csvSafe(r.CallID), r.ArrivedAt.UTC().Format(time.RFC3339), ts(r.AnsweredAt), ts(r.EndedAt),
			csvSafe(r.Caller), csvSafe(r.Dialed), csvSafe(r.TreeID), strconv.Itoa(r.TreeVersion), csvSafe(r.Outcome), csvSafe(r.Destination)})
	}
	w.Flush()
	c.Response().Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="calls-%d.csv"`, t.ID))
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// csvSafe defuses values a spreadsheet would run as a formula (a caller
// number as presented can be anything).
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) && !phoneLike(v) {
		return "'" + v
	}
	return v
}

func phoneLike(v string) bool {
	if len(v) < 2 || v[0] != '+' {
		return false
	}
	for _, r := range v[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
