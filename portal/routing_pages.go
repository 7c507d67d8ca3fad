package portal

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/routing"
	"github.com/vmsplatform/vms/store"
)

// routingFlashes are the messages the routing pages show after a redirect;
// only these keys are accepted.
var routingFlashes = map[string]string{
	"tree-created":   "Tree created.",
	"tree-saved":     "Tree saved as a new version; the next call uses it.",
	"tree-restored":  "Version restored as the newest version; the next call uses it.",
	"tree-deleted":   "Tree deleted.",
	"routing-saved":  "Number routing saved.",
	"prompt-created": "Prompt uploaded.",
	"prompt-deleted": "Prompt deleted.",
	"list-created":   "List created.",
	"list-deleted":   "List deleted.",
	"member-added":   "Number added to the list.",
	"member-removed": "Number removed from the list.",
	"site-created":   "Site added.",
	"site-down":      "Site marked down: calls now skip its numbers.",
	"site-up":        "Site marked up again.",
	"site-deleted":   "Site deleted.",
}

// routingPageData starts the data of a routing page.
func routingPageData(c echo.Context, title string) map[string]any {
	data := pageData(title)
	if f := routingFlashes[c.QueryParam("done")]; f != "" {
		data["Flash"] = f
	}
	return data
}

// maxTreeUpload bounds an uploaded tree document.
const maxTreeUpload = store.MaxTreeDocument

// documentFromForm reads a tree document from an uploaded file, else from
// the pasted text.
func documentFromForm(c echo.Context) ([]byte, error) {
	b, ok, err := readUpload(c, "file", maxTreeUpload)
	if err != nil {
		return nil, renameField(err, "file", "document")
	}
	if ok {
		return b, nil
	}
	return []byte(c.FormValue("document")), nil
}

// numberRoutingRow is one number on the routing page.
type numberRoutingRow struct {
	store.Number
	TreeName string
	// TreeSel and PromptSel are the selected ids, 0 for none.
	TreeSel, PromptSel uint
}

func (s *Server) routingPage(c echo.Context) error {
	return s.renderRouting(c, http.StatusOK, routingPageData(c, "Routing"))
}

func (s *Server) renderRouting(c echo.Context, status int, data map[string]any) error {
	t, p, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	trees, err := s.store.ListTrees(ctx, t.ID)
	if err != nil {
		return err
	}
	byTree, ns, err := s.treeNumbers(c, t)
	if err != nil {
		return err
	}
	prompts, err := s.store.ListPrompts(ctx, t.ID)
	if err != nil {
		return err
	}
	names := map[uint]string{}
	for _, rt := range trees {
		names[rt.ID] = rt.Name
	}
	rows := make([]numberRoutingRow, 0, len(ns))
	for _, n := range ns {
		r := numberRoutingRow{Number: n}
		if n.TreeID != nil {
			r.TreeName, r.TreeSel = names[*n.TreeID], *n.TreeID
		}
		if n.OverflowPromptID != nil {
			r.PromptSel = *n.OverflowPromptID
		}
		rows = append(rows, r)
	}
	type treeRow struct {
		store.RoutingTree
		Numbers string
	}
	tr := make([]treeRow, 0, len(trees))
	for _, rt := range trees {
		tr = append(tr, treeRow{rt, strings.Join(byTree[rt.ID], ", ")})
	}
	data["Tenant"] = t
	data["Trees"] = tr
	data["Numbers"] = rows
	data["Prompts"] = prompts
	data["CanWrite"] = p.CanWrite(t.ID) == nil
	setDefaultForm(data, "tree", map[string]string{})
	return s.render(c, status, "routing.html", data)
}

func (s *Server) treeCreate(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	form := map[string]string{"Key": c.FormValue("key"), "Name": c.FormValue("name"), "Document": c.FormValue("document")}
	doc, err := documentFromForm(c)
	var rt *store.RoutingTree
	if err == nil {
		rt, err = s.createTree(c, t, treeInput{Key: form["Key"], Name: form["Name"]}, doc)
	}
	if err != nil {
		data := routingPageData(c, "Routing")
		var it *invalidTree
		if asInvalid(err, &it) {
			data["Problems"] = it.problems
			err = vms.FieldError("document", "%s", problemsSummary(it.problems))
		}
		if !showOnForm(err) {
			return err
		}
		return s.renderRouting(c, formFailed(data, "tree", form, err), data)
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/trees/%d", t.ID, rt.ID), "tree-created")
}

func asInvalid(err error, it **invalidTree) bool {
	v, ok := err.(*invalidTree)
	if ok {
		*it = v
	}
	return ok
}

// editorConfig is what routing.js reads from the editor page.
type editorConfig struct {
	API      string            `json:"api"`
	Version  int               `json:"version"`
	Tree     json.RawMessage   `json:"tree"`
	Prompts  []string          `json:"prompts"`
	Lists    []string          `json:"lists"`
	Trees    []string          `json:"trees"`
	Sites    []string          `json:"sites"`
	Groups   []string          `json:"groups"`
	Problems []routing.Problem `json:"problems"`
	CanWrite bool              `json:"can_write"`
}

func (s *Server) treePage(c echo.Context) error {
	return s.renderTree(c, http.StatusOK, routingPageData(c, "Routing tree"), "", nil)
}

// renderTree renders the editor. doc, when set, is the user's document
// that failed to save; problems are its validation problems.
func (s *Server) renderTree(c echo.Context, status int, data map[string]any, doc string, problems []routing.Problem) error {
	t, p, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	rt, err := s.tree(c, t)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cur, err := s.store.GetTreeVersion(ctx, t.ID, rt.ID, rt.Version)
	if err != nil {
		return err
	}
	versions, err := s.store.ListTreeVersions(ctx, t.ID, rt.ID)
	if err != nil {
		return err
	}
	refs, err := s.store.RoutingRefs(ctx, t.ID)
	if err != nil {
		return err
	}
	sites, err := s.store.ListSites(ctx, t.ID)
	if err != nil {
		return err
	}
	byTree, _, err := s.treeNumbers(c, t)
	if err != nil {
		return err
	}
	if doc == "" {
		doc = cur.Document
	}
	cfg := editorConfig{API: fmt.Sprintf("/api/v1/tenants/%d/trees/%d", t.ID, rt.ID), Version: rt.Version,
		Tree: json.RawMessage(cur.Document), Prompts: keys(refs.Prompts), Lists: keys(refs.Lists), Groups: keys(refs.Groups), Problems: problems,
		CanWrite: p.CanWrite(t.ID) == nil}
	if json.Valid([]byte(doc)) {
		cfg.Tree = json.RawMessage(doc)
	}
	for k := range refs.Trees {
		if k != rt.Key {
			cfg.Trees = append(cfg.Trees, k)
		}
	}
	sort.Strings(cfg.Trees)
	for _, st := range sites {
		cfg.Sites = append(cfg.Sites, st.Name)
	}
	cj, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("portal: editor config: %w", err)
	}
	data["Tenant"] = t
	data["Tree"] = rt
	data["Numbers"] = strings.Join(byTree[rt.ID], ", ")
	data["Document"] = doc
	data["Problems"] = problems
	data["Versions"] = versions
	data["EditorConfig"] = string(cj)
	data["CanWrite"] = cfg.CanWrite
	data["Title"] = "Tree " + rt.Name
	return s.render(c, status, "routing_editor.html", data)
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (s *Server) treeSave(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	rt, err := s.tree(c, t)
	if err != nil {
		return err
	}
	doc, err := documentFromForm(c)
	if err == nil {
		base, _ := strconv.Atoi(c.FormValue("base_version"))
		_, err = s.saveTree(c, t, rt, doc, c.FormValue("comment"), base)
	}
	if err != nil {
		data := routingPageData(c, "Routing tree")
		var it *invalidTree
		var problems []routing.Problem
		if asInvalid(err, &it) {
			problems = it.problems
			err = vms.FieldError("document", "%s", problemsSummary(it.problems))
		}
		if !showOnForm(err) {
			return err
		}
		return s.renderTree(c, formFailed(data, "save", nil, err), data, string(doc), problems)
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/trees/%d", t.ID, rt.ID), "tree-saved")
}

func (s *Server) treeRestore(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	rt, err := s.tree(c, t)
	if err != nil {
		return err
	}
	version, err := versionParam(c)
	if err != nil {
		return err
	}
	if _, err := s.restoreTree(c, t, rt, version); err != nil {
		var it *invalidTree
		if asInvalid(err, &it) {
			data := routingPageData(c, "Routing tree")
			formFailed(data, "save", nil, vms.FieldError("document", "version %d cannot be restored: %s", version, problemsSummary(it.problems)))
			return s.renderTree(c, http.StatusUnprocessableEntity, data, "", it.problems)
		}
		return err
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/trees/%d", t.ID, rt.ID), "tree-restored")
}

// treeExport downloads the current document, or ?version=N (TRM-6).
func (s *Server) treeExport(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	rt, err := s.tree(c, t)
	if err != nil {
		return err
	}
	version := rt.Version
	if q := c.QueryParam("version"); q != "" {
		if version, err = strconv.Atoi(q); err != nil || version <= 0 {
			return vms.FieldError("version", "must be a version number")
		}
	}
	v, err := s.store.GetTreeVersion(c.Request().Context(), t.ID, rt.ID, version)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-v%d.json"`, rt.Key, v.Version))
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "application/json", []byte(v.Document))
}

func (s *Server) treeDelete(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	rt, err := s.tree(c, t)
	if err != nil {
		return err
	}
	if err := s.store.DeleteTree(c.Request().Context(), actor(c), t.ID, rt.ID); err != nil {
		return err
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/routing", t.ID), "tree-deleted")
}

func (s *Server) numberRoutingSave(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	n, err := s.number(c, t)
	if err != nil {
		return err
	}
	in := numberRoutingInput{Overflow: c.FormValue("overflow"), Fallback: c.FormValue("fallback")}
	err = func() error {
		var err error
		if in.TreeID, err = optionalID(c.FormValue("tree_id"), "tree_id"); err != nil {
			return err
		}
		if in.OverflowPromptID, err = optionalID(c.FormValue("overflow_prompt_id"), "overflow_prompt_id"); err != nil {
			return err
		}
		if v := strings.TrimSpace(c.FormValue("max_cps")); v != "" {
			if in.MaxCPS, err = strconv.ParseFloat(v, 64); err != nil {
				return vms.FieldError("max_cps", "must be a number of calls per second")
			}
		}
		if v := strings.TrimSpace(c.FormValue("max_concurrent")); v != "" {
			if in.MaxConcurrent, err = strconv.Atoi(v); err != nil {
				return vms.FieldError("max_concurrent", "must be a whole number")
			}
		}
		_, err = s.setNumberRouting(c, t, n, in)
		return err
	}()
	if err != nil {
		if !showOnForm(err) {
			return err
		}
		data := routingPageData(c, "Routing")
		return s.renderRouting(c, formFailed(data, fmt.Sprintf("routing-%d", n.ID), nil, err), data)
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/routing", t.ID), "routing-saved")
}

func optionalID(v, field string) (*uint, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	id, err := strconv.ParseUint(v, 10, 32)
	if err != nil || id == 0 {
		return nil, vms.FieldError(field, "choose one from the list")
	}
	u := uint(id)
	return &u, nil
}
