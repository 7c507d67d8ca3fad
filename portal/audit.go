package portal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/store"
)

const (
	auditPage    = 100
	auditMaxPage = 500
)

type auditView struct {
	ID         uint            `json:"id"`
	At         time.Time       `json:"at"`
	ActorID    *uint           `json:"actor_id"`
	ActorEmail string          `json:"actor_email"`
	TenantID   *uint           `json:"tenant_id"`
	Action     string          `json:"action"`
	ObjectType string          `json:"object_type"`
	ObjectID   string          `json:"object_id"`
	Before     json.RawMessage `json:"before" doc:"the object before the change; null on create"`
	After      json.RawMessage `json:"after" doc:"the object after the change; null on delete"`
	Changed    []string        `json:"changed" doc:"the keys whose value differs between before and after"`
	RequestID  string          `json:"request_id"`
}

// auditChange is one changed key, for the page.
type auditChange struct {
	Key, Before, After string
}

// secretKey reports whether an audited key may hold a secret; such keys
// are never shown, whatever the store wrote.
func secretKey(k string) bool {
	k = strings.ToLower(k)
	return strings.Contains(k, "password") || strings.Contains(k, "hash") || strings.Contains(k, "secret") || strings.Contains(k, "token")
}

// auditObject parses an audit JSON snapshot without secret keys; ok is
// false when the snapshot is empty or not an object.
func auditObject(s string) (map[string]json.RawMessage, bool) {
	if strings.TrimSpace(s) == "" {
		return nil, false
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, false
	}
	for k := range m {
		if secretKey(k) {
			delete(m, k)
		}
	}
	return m, true
}

// auditDiff lists the keys that differ between two snapshots, sorted.
func auditDiff(before, after map[string]json.RawMessage) []auditChange {
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	var out []auditChange
	for k := range keys {
		b, a := before[k], after[k]
		if bytes.Equal(compactJSON(b), compactJSON(a)) {
			continue
		}
		out = append(out, auditChange{Key: k, Before: shownJSON(b), After: shownJSON(a)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func compactJSON(b json.RawMessage) []byte {
	if b == nil {
		return nil
	}
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return b
	}
	return buf.Bytes()
}

func shownJSON(b json.RawMessage) string {
	if b == nil {
		return "—"
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		return s
	}
	return string(compactJSON(b))
}

func rawOrNull(m map[string]json.RawMessage, ok bool) json.RawMessage {
	if !ok {
		return json.RawMessage("null")
	}
	b, err := json.Marshal(m)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}

func viewAudit(e *store.AuditEntry) (auditView, []auditChange) {
	b, bok := auditObject(e.Before)
	a, aok := auditObject(e.After)
	diff := auditDiff(b, a)
	keys := make([]string, 0, len(diff))
	for _, d := range diff {
		keys = append(keys, d.Key)
	}
	return auditView{ID: e.ID, At: e.At, ActorID: e.ActorID, ActorEmail: e.ActorEmail, TenantID: e.TenantID, Action: e.Action,
		ObjectType: e.ObjectType, ObjectID: e.ObjectID, Before: rawOrNull(b, bok), After: rawOrNull(a, aok), Changed: keys, RequestID: e.RequestID}, diff
}

func (s *Server) registerAudit(api *apiRouter, web *echo.Group) {
	api.handle(http.MethodGet, "/tenants/:tid/audit", s.apiAudit, apiOp{Summary: "A customer's audit log, newest first; ?limit=&offset=", Tag: "audit", Out: []auditView{}})
	api.handle(http.MethodGet, "/audit", s.apiAudit, apiOp{Summary: "The whole audit log, newest first (operator); ?limit=&offset=", Tag: "operator", Out: []auditView{}})

	web.GET("/tenants/:tid/audit", s.auditPage)
	web.GET("/operator/audit", s.auditPage)
}

// auditFilter checks access and reads paging: the tenant's entries under
// /tenants/:tid, everything for operator staff otherwise.
func (s *Server) auditFilter(c echo.Context) (store.AuditFilter, *store.Tenant, error) {
	f := store.AuditFilter{Limit: auditPage}
	var t *store.Tenant
	if c.Param("tid") != "" {
		var err error
		if t, _, err = s.tenantAccess(c, false); err != nil {
			return f, nil, err
		}
		id := t.ID
		f.TenantID = &id
	} else {
		p, _ := principal(c)
		if err := p.CanViewOperator(); err != nil {
			return f, nil, err
		}
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > auditMaxPage {
			return f, nil, vms.FieldError("limit", "must be a whole number from 1 to %d", auditMaxPage)
		}
		f.Limit = n
	}
	if v := c.QueryParam("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return f, nil, vms.FieldError("offset", "must be a whole number, 0 or more")
		}
		f.Offset = n
	}
	return f, t, nil
}

func (s *Server) apiAudit(c echo.Context) error {
	f, _, err := s.auditFilter(c)
	if err != nil {
		return err
	}
	es, err := s.store.ListAudit(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := make([]auditView, 0, len(es))
	for i := range es {
		v, _ := viewAudit(&es[i])
		out = append(out, v)
	}
	return c.JSON(http.StatusOK, out)
}

// auditRow is one entry on the page.
type auditRow struct {
	auditView
	Changes []auditChange
}

func (s *Server) auditPage(c echo.Context) error {
	f, t, err := s.auditFilter(c)
	if err != nil {
		return err
	}
	es, err := s.store.ListAudit(c.Request().Context(), f)
	if err != nil {
		return err
	}
	rows := make([]auditRow, 0, len(es))
	for i := range es {
		v, d := viewAudit(&es[i])
		rows = append(rows, auditRow{auditView: v, Changes: d})
	}
	data := pageData("Audit log")
	data["Tenant"] = t
	data["Rows"] = rows
	base := "/operator/audit"
	if t != nil {
		base = fmt.Sprintf("/tenants/%d/audit", t.ID)
		data["Title"] = "Audit log · " + t.Name
	}
	if f.Offset > 0 {
		prev := max(f.Offset-f.Limit, 0)
		data["Prev"] = fmt.Sprintf("%s?offset=%d&limit=%d", base, prev, f.Limit)
	}
	if len(es) == f.Limit {
		data["Next"] = fmt.Sprintf("%s?offset=%d&limit=%d", base, f.Offset+f.Limit, f.Limit)
	}
	return s.render(c, http.StatusOK, "audit.html", data)
}
