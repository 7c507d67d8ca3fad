package portal

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms/access"
	"github.com/vmsplatform/vms/formula"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages holds one parsed template set per page (layout + page), and the
// content hash of each static file for cache-busting URLs.
type pages struct {
	byName map[string]*template.Template
	hashes map[string]string // "style.css" -> "3f2a…"
}

func loadPages() (*pages, error) {
	p := &pages{byName: map[string]*template.Template{}, hashes: map[string]string{}}
	err := fs.WalkDir(staticFS, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		p.hashes[strings.TrimPrefix(name, "static/")] = hex.EncodeToString(sum[:6])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("portal: static files: %w", err)
	}
	funcs := template.FuncMap{
		"static": func(name string) string {
			return "/static/" + p.hashes[name] + "/" + name
		},
		"when": func(t any) string {
			switch v := t.(type) {
			case time.Time:
				if v.IsZero() {
					return "—"
				}
				return v.UTC().Format("2006-01-02 15:04 UTC")
			case *time.Time:
				if v == nil || v.IsZero() {
					return "—"
				}
				return v.UTC().Format("2006-01-02 15:04 UTC")
			}
			return "—"
		},
		"roleTitle": func(r string) string { return access.Role(r).Title() },
		"join":      strings.Join,
		"contains": func(list []string, s string) bool {
			for _, v := range list {
				if v == s {
					return true
				}
			}
			return false
		},
		// ferr shows the error of one form field (or of the whole form
		// for field ""), announced to screen readers.
		"ferr": func(errs map[string]string, field string) template.HTML {
			m, ok := errs[field]
			if !ok {
				return ""
			}
			id := "err-" + field
			if field == "" {
				id = "err-form"
			}
			return template.HTML(`<p class="field-error" role="alert" id="` + template.HTMLEscapeString(id) + `">` + template.HTMLEscapeString(m) + `</p>`)
		},
		// invalid marks a field that has an error.
		"invalid": func(errs map[string]string, field string) template.HTMLAttr {
			if _, ok := errs[field]; !ok {
				return ""
			}
			return template.HTMLAttr(`aria-invalid="true" aria-describedby="err-` + template.HTMLEscapeString(field) + `"`)
		},
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		name := path.Base(f)
		if name == "layout.html" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", f)
		if err != nil {
			return nil, fmt.Errorf("portal: template %s: %w", name, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// render executes page name inside the layout. data may be nil; the layout
// gets the caller, the CSRF token and the navigation added to it.
func (s *Server) render(c echo.Context, status int, name string, data map[string]any) error {
	t, ok := s.pages.byName[name]
	if !ok {
		return fmt.Errorf("portal: no template %q", name)
	}
	if data == nil {
		data = map[string]any{}
	}
	if p, ok := principal(c); ok {
		data["Me"] = p
		data["MeUser"] = currentUser(c)
		data["Nav"] = navFor(p, s.componentsOf(c, p))
	}
	if sess := currentSession(c); sess != nil {
		data["CSRF"] = sess.CSRFToken
	}
	data["Path"] = c.Request().URL.Path
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return fmt.Errorf("portal: render %s: %w", name, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

// navItem is one entry of the navigation bar.
type navItem struct {
	Title string
	Href  string
}

// componentsOf returns a check of whether the caller's tenant has one of
// some components, for the navigation: links to what the tenant does not
// have are left out. Operator staff and unreadable tenants have none.
func (s *Server) componentsOf(c echo.Context, p access.Principal) func(...formula.Component) bool {
	none := func(...formula.Component) bool { return false }
	if p.TenantID == nil {
		return none
	}
	t, err := s.store.GetTenant(c.Request().Context(), *p.TenantID)
	if err != nil {
		return none
	}
	return func(comps ...formula.Component) bool { return tenantComponent(t, comps...) == nil }
}

func navFor(p access.Principal, has func(...formula.Component) bool) []navItem {
	var items []navItem
	if p.Operator() {
		items = append(items, navItem{"Customers", "/operator/tenants"}, navItem{"Staff", "/operator/users"}, navItem{"Audit log", "/operator/audit"})
	} else if p.TenantID != nil && p.Role != access.Agent {
		t := fmt.Sprintf("/tenants/%d", *p.TenantID)
		items = append(items, navItem{"Dashboard", t})
		if has(formula.TRM) {
			items = append(items, navItem{"Numbers", t + "/numbers"}, navItem{"Routing", t + "/routing"})
		}
		if has(contactCentre...) {
			items = append(items, navItem{"Groups", t + "/groups"})
		}
		if has(formula.Campaigns) {
			items = append(items, navItem{"Campaigns", t + "/campaigns"})
		}
		if has(formula.TRM) {
			items = append(items, navItem{"Calls", t + "/calls"})
		}
		items = append(items, navItem{"Users", t + "/users"}, navItem{"Audit log", t + "/audit"})
	}
	if p.TenantID != nil && has(contactCentre...) {
		switch p.Role {
		case access.Agent:
			items = append(items, navItem{"Desk", "/desk"})
		case access.Supervisor:
			items = append(items, navItem{"Desk", "/desk"}, navItem{"Supervisor", fmt.Sprintf("/tenants/%d/supervisor", *p.TenantID)})
		default:
			items = append(items, navItem{"Supervisor", fmt.Sprintf("/tenants/%d/supervisor", *p.TenantID)})
		}
	}
	items = append(items, navItem{"API", "/api/docs"}, navItem{"Account", "/account"})
	return items
}

// staticHandler serves embedded static files under /static/<hash>/<name>
// with a long cache lifetime: the hash changes whenever the file does.
func (s *Server) staticHandler(c echo.Context) error {
	name := c.Param("name")
	b, err := staticFS.ReadFile("static/" + name)
	if err != nil || strings.Contains(name, "..") {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if c.Param("hash") == s.pages.hashes[name] {
		c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Response().Header().Set("Cache-Control", "no-cache")
	}
	ct := "application/octet-stream"
	switch path.Ext(name) {
	case ".css":
		ct = "text/css; charset=utf-8"
	case ".js":
		ct = "text/javascript; charset=utf-8"
	case ".svg":
		ct = "image/svg+xml"
	case ".json", ".webmanifest":
		ct = "application/json"
	case ".png":
		ct = "image/png"
	}
	return c.Blob(http.StatusOK, ct, b)
}
