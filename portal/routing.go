package portal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/formula"
	"github.com/vmsplatform/vms/phone"
	"github.com/vmsplatform/vms/routing"
	"github.com/vmsplatform/vms/store"
)

// registerRouting registers Traffic Routing Management (TRM-1..TRM-9,
// NUM-5): trees and their versions, the simulator, prompts, caller lists,
// sites and call records. Every route needs the TRM component (FRM-2).
func (s *Server) registerRouting(api *apiRouter, web *echo.Group) {
	trm := s.requireComponent(formula.TRM)
	comp := string(formula.TRM)
	op := func(summary string, in, out any, status int) apiOp {
		return apiOp{Summary: summary, Tag: "routing", In: in, Out: out, Status: status, Component: comp}
	}
	api.handle(http.MethodGet, "/tenants/:tid/trees", s.apiListTrees, op("A customer's routing trees", nil, []routingTreeView{}, 0), trm)
	api.handle(http.MethodPost, "/tenants/:tid/trees", s.apiCreateTree, op("Create a routing tree, optionally from a JSON document (import); validated", treeInput{}, routingTreeView{}, http.StatusCreated), trm)
	api.handle(http.MethodGet, "/tenants/:tid/trees/:id", s.apiGetTree, op("A routing tree with its current document", nil, routingTreeView{}, 0), trm)
	api.handle(http.MethodPut, "/tenants/:tid/trees/:id", s.apiSaveTree, op("Save a new version of a tree; 422 lists the problems by node", treeSaveInput{}, routingTreeView{}, 0), trm)
	api.handle(http.MethodDelete, "/tenants/:tid/trees/:id", s.apiDeleteTree, op("Delete a tree no number or tree uses", nil, nil, http.StatusNoContent), trm)
	api.handle(http.MethodGet, "/tenants/:tid/trees/:id/versions", s.apiTreeVersions, op("Every saved version of a tree, newest first", nil, []treeVersionView{}, 0), trm)
	api.handle(http.MethodGet, "/tenants/:tid/trees/:id/versions/:version", s.apiTreeVersion, op("One version of a tree with its document", nil, treeVersionView{}, 0), trm)
	api.handle(http.MethodPost, "/tenants/:tid/trees/:id/versions/:version/restore", s.apiRestoreTree, op("Restore a version: it is saved again as the newest version", nil, routingTreeView{}, 0), trm)
	api.handle(http.MethodGet, "/tenants/:tid/numbers/:id/routing", s.apiGetNumberRouting, op("A number's tree, surge limits and fallback", nil, numberRoutingView{}, 0), trm)
	api.handle(http.MethodPut, "/tenants/:tid/numbers/:id/routing", s.apiSetNumberRouting, op("Assign a tree, surge limits and fallback to a number", numberRoutingInput{}, numberRoutingView{}, 0), trm)
	api.handle(http.MethodPost, "/tenants/:tid/simulate", s.apiSimulate, op("Where would a call from X to Y at time T go, and why; places no call", simulateInput{}, simulationView{}, 0), trm)

	web.GET("/tenants/:tid/routing", s.routingPage, trm)
	web.POST("/tenants/:tid/trees", s.treeCreate, trm)
	web.GET("/tenants/:tid/trees/:id", s.treePage, trm)
	web.POST("/tenants/:tid/trees/:id", s.treeSave, trm)
	web.GET("/tenants/:tid/trees/:id/export", s.treeExport, trm)
	web.POST("/tenants/:tid/trees/:id/delete", s.treeDelete, trm)
	web.POST("/tenants/:tid/trees/:id/versions/:version/restore", s.treeRestore, trm)
	web.POST("/tenants/:tid/numbers/:id/routing", s.numberRoutingSave, trm)
	web.GET("/tenants/:tid/simulate", s.simulatePage, trm)

	s.registerPrompts(api, web, trm, op)
	s.registerLists(api, web, trm, op)
	s.registerSites(api, web, trm, op)
	s.registerCallRecords(api, web, trm, op)
}

// routingName is the shape of the names trees, prompts, lists and sites
// go by inside routing documents.
var routingName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

func cleanRoutingName(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", vms.FieldError(field, "is required")
	}
	if !routingName.MatchString(v) {
		return "", vms.FieldError(field, "use 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit")
	}
	return v, nil
}

// Tree views and inputs.

type routingTreeView struct {
	ID        uint          `json:"id"`
	Key       string        `json:"key" doc:"the tree's id inside routing documents"`
	Name      string        `json:"name"`
	Version   int           `json:"version" doc:"current version"`
	Document  *routing.Tree `json:"document,omitempty" doc:"the current routing tree document"`
	Numbers   []string      `json:"numbers,omitempty" doc:"numbers routed by this tree"`
	UpdatedAt time.Time     `json:"updated_at"`
}

type treeInput struct {
	Key      string        `json:"key" doc:"letters, digits, '-', '_', '.'"`
	Name     string        `json:"name,omitempty"`
	Document *routing.Tree `json:"document,omitempty" doc:"a routing tree to import (its id becomes the key); a one-node tree when absent"`
	Comment  string        `json:"comment,omitempty"`
}

type treeSaveInput struct {
	Document    *routing.Tree `json:"document"`
	Comment     string        `json:"comment,omitempty"`
	BaseVersion int           `json:"base_version,omitempty" doc:"the version the edit started from; a newer saved version makes the save fail with 409"`
}

type treeVersionView struct {
	Version     int           `json:"version"`
	Comment     string        `json:"comment"`
	CreatedByID *uint         `json:"created_by_id"`
	CreatedAt   time.Time     `json:"created_at"`
	Document    *routing.Tree `json:"document,omitempty"`
}

// treeProblems is the 422 answer to an invalid tree: the usual error plus
// every problem, each naming its node (TRM-5).
type treeProblems struct {
	Error    apiErrorBody      `json:"error"`
	Problems []routing.Problem `json:"problems"`
}

// invalidTree carries the problems of a tree that failed validation.
type invalidTree struct {
	problems []routing.Problem
}

func (e *invalidTree) Error() string {
	return (&routing.ValidationError{Problems: e.problems}).Error()
}

// answerTreeError answers an API error, with the problems of an invalid
// tree when there are some.
func answerTreeError(c echo.Context, err error) error {
	var it *invalidTree
	if errors.As(err, &it) {
		return c.JSON(http.StatusUnprocessableEntity, treeProblems{
			Error:    apiErrorBody{Code: vms.EINVALID, Message: problemsSummary(it.problems), Field: "document"},
			Problems: it.problems,
		})
	}
	return err
}

func problemsSummary(ps []routing.Problem) string {
	if len(ps) == 1 {
		return "the tree has a problem: " + ps[0].String()
	}
	return fmt.Sprintf("the tree has %d problems; the first: %s", len(ps), ps[0].String())
}

// parseTree decodes a routing document strictly and validates it against
// the tenant's prompts, lists and trees (TRM-5). The document's id is set
// to key. It returns the canonical JSON to store.
func (s *Server) parseTree(c echo.Context, t *store.Tenant, key string, doc []byte) (*routing.Tree, []byte, error) {
	tree, err := decodeTree(doc)
	if err != nil {
		return nil, nil, err
	}
	tree.ID = key
	if tree.TimeZone == "" {
		tree.TimeZone = t.TimeZone
	}
	refs, err := s.store.RoutingRefs(c.Request().Context(), t.ID)
	if err != nil {
		return nil, nil, err
	}
	refs.Trees[key] = true
	if err := routing.Validate(tree, refs); err != nil {
		var ve *routing.ValidationError
		if errors.As(err, &ve) {
			return tree, nil, &invalidTree{problems: ve.Problems}
		}
		return nil, nil, err
	}
	out, err := json.MarshalIndent(tree, "", "  ")
	if err != nil {
		return nil, nil, fmt.Errorf("portal: encode tree: %w", err)
	}
	return tree, out, nil
}

// decodeTree reads a routing document strictly: one JSON object with only
// the fields of routing.Tree, at most store.MaxTreeDocument bytes.
func decodeTree(doc []byte) (*routing.Tree, error) {
	doc = bytes.TrimSpace(doc)
	if len(doc) == 0 {
		return nil, vms.FieldError("document", "is required")
	}
	if len(doc) > store.MaxTreeDocument {
		return nil, vms.FieldError("document", "is larger than %d bytes", store.MaxTreeDocument)
	}
	var tree routing.Tree
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&tree); err != nil {
		je := jsonError(err)
		msg := vms.ErrorMessage(je)
		if f := vms.ErrorField(je); f != "" {
			msg = f + " " + msg
		}
		return nil, vms.FieldError("document", "is not a routing tree: %s", msg)
	}
	if dec.More() {
		return nil, vms.FieldError("document", "must hold exactly one JSON object")
	}
	return &tree, nil
}

// starterTree is the document of a new tree created without one.
func starterTree(key, name string) []byte {
	b, _ := json.MarshalIndent(routing.Tree{ID: key, Name: name, Start: "end",
		Nodes: []routing.Node{{ID: "end", Label: "Hang up", Type: routing.TypeHangup}}}, "", "  ")
	return b
}

// marshalTree returns the JSON of an API document, nil for none.
func marshalTree(t *routing.Tree) ([]byte, error) {
	if t == nil {
		return nil, nil
	}
	b, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("portal: encode tree: %w", err)
	}
	return b, nil
}

// treeOf decodes a stored document for an API answer.
func treeOf(doc string) *routing.Tree {
	var t routing.Tree
	if err := json.Unmarshal([]byte(doc), &t); err != nil {
		return nil
	}
	return &t
}

// createTree creates a tree from in; doc, when not empty, is the JSON
// document to import (all or nothing: an invalid one creates nothing).
func (s *Server) createTree(c echo.Context, t *store.Tenant, in treeInput, doc []byte) (*store.RoutingTree, error) {
	key, err := cleanRoutingName("key", in.Key)
	if err != nil {
		return nil, err
	}
	name, err := cleanText("name", in.Name, false, maxName)
	if err != nil {
		return nil, err
	}
	comment, err := cleanText("comment", in.Comment, false, 500)
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = key
	}
	stored := starterTree(key, name)
	if len(bytes.TrimSpace(doc)) > 0 {
		if _, stored, err = s.parseTree(c, t, key, doc); err != nil {
			return nil, err
		}
		if comment == "" {
			comment = "imported"
		}
	}
	rt := &store.RoutingTree{TenantID: t.ID, Key: key, Name: name}
	if _, err := s.store.CreateTree(c.Request().Context(), actor(c), rt, stored, comment); err != nil {
		return nil, err
	}
	return rt, nil
}

func (s *Server) saveTree(c echo.Context, t *store.Tenant, rt *store.RoutingTree, doc []byte, comment string, base int) (*store.RoutingTreeVersion, error) {
	comment, err := cleanText("comment", comment, false, 500)
	if err != nil {
		return nil, err
	}
	_, stored, err := s.parseTree(c, t, rt.Key, doc)
	if err != nil {
		return nil, err
	}
	return s.store.SaveTreeVersion(c.Request().Context(), actor(c), t.ID, rt.ID, base, stored, comment)
}

// restoreTree restores a version after checking it is still valid: a
// prompt or list it names may have gone since.
func (s *Server) restoreTree(c echo.Context, t *store.Tenant, rt *store.RoutingTree, version int) (*store.RoutingTreeVersion, error) {
	ctx := c.Request().Context()
	old, err := s.store.GetTreeVersion(ctx, t.ID, rt.ID, version)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.parseTree(c, t, rt.Key, []byte(old.Document)); err != nil {
		return nil, err
	}
	return s.store.RestoreTreeVersion(ctx, actor(c), t.ID, rt.ID, version)
}

func (s *Server) tree(c echo.Context, t *store.Tenant) (*store.RoutingTree, error) {
	id, err := idParam(c, "id")
	if err != nil {
		return nil, err
	}
	return s.store.GetTree(c.Request().Context(), t.ID, id)
}

func versionParam(c echo.Context) (int, error) {
	v, err := strconv.Atoi(c.Param("version"))
	if err != nil || v <= 0 {
		return 0, vms.Errorf(vms.ENOTFOUND, "not found")
	}
	return v, nil
}

// treeNumbers maps tree id to the numbers it routes.
func (s *Server) treeNumbers(c echo.Context, t *store.Tenant) (map[uint][]string, []store.Number, error) {
	ns, err := s.store.ListNumbers(c.Request().Context(), t.ID)
	if err != nil {
		return nil, nil, err
	}
	m := map[uint][]string{}
	for _, n := range ns {
		if n.TreeID != nil {
			m[*n.TreeID] = append(m[*n.TreeID], n.E164)
		}
	}
	return m, ns, nil
}

func (s *Server) viewTree(c echo.Context, t *store.Tenant, rt *store.RoutingTree, withDoc bool) (routingTreeView, error) {
	v := routingTreeView{ID: rt.ID, Key: rt.Key, Name: rt.Name, Version: rt.Version, UpdatedAt: rt.UpdatedAt}
	nums, _, err := s.treeNumbers(c, t)
	if err != nil {
		return v, err
	}
	v.Numbers = nums[rt.ID]
	if withDoc {
		cur, err := s.store.GetTreeVersion(c.Request().Context(), t.ID, rt.ID, rt.Version)
		if err != nil {
			return v, err
		}
		v.Document = treeOf(cur.Document)
	}
	return v, nil
}

func (s *Server) apiListTrees(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	ts, err := s.store.ListTrees(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	nums, _, err := s.treeNumbers(c, t)
	if err != nil {
		return err
	}
	out := make([]routingTreeView, 0, len(ts))
	for _, rt := range ts {
		out = append(out, routingTreeView{ID: rt.ID, Key: rt.Key, Name: rt.Name, Version: rt.Version, Numbers: nums[rt.ID], UpdatedAt: rt.UpdatedAt})
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiCreateTree(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	var in treeInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	doc, err := marshalTree(in.Document)
	if err != nil {
		return err
	}
	rt, err := s.createTree(c, t, in, doc)
	if err != nil {
		return answerTreeError(c, err)
	}
	v, err := s.viewTree(c, t, rt, true)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, v)
}

func (s *Server) apiGetTree(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	rt, err := s.tree(c, t)
	if err != nil {
		return err
	}
	v, err := s.viewTree(c, t, rt, true)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) apiSaveTree(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	rt, err := s.tree(c, t)
	if err != nil {
		return err
	}
	var in treeSaveInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	doc, err := marshalTree(in.Document)
	if err != nil {
		return err
	}
	if _, err := s.saveTree(c, t, rt, doc, in.Comment, in.BaseVersion); err != nil {
		return answerTreeError(c, err)
	}
	if rt, err = s.tree(c, t); err != nil {
		return err
	}
	v, err := s.viewTree(c, t, rt, true)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) apiDeleteTree(c echo.Context) error {
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
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) apiTreeVersions(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	rt, err := s.tree(c, t)
	if err != nil {
		return err
	}
	vs, err := s.store.ListTreeVersions(c.Request().Context(), t.ID, rt.ID)
	if err != nil {
		return err
	}
	out := make([]treeVersionView, 0, len(vs))
	for _, v := range vs {
		out = append(out, treeVersionView{Version: v.Version, Comment: v.Comment, CreatedByID: v.CreatedByID, CreatedAt: v.CreatedAt})
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiTreeVersion(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
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
	v, err := s.store.GetTreeVersion(c.Request().Context(), t.ID, rt.ID, version)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, treeVersionView{Version: v.Version, Comment: v.Comment, CreatedByID: v.CreatedByID, CreatedAt: v.CreatedAt, Document: treeOf(v.Document)})
}

func (s *Server) apiRestoreTree(c echo.Context) error {
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
		return answerTreeError(c, err)
	}
	if rt, err = s.tree(c, t); err != nil {
		return err
	}
	v, err := s.viewTree(c, t, rt, true)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// Number routing (TRM-1, NUM-5).

type numberRoutingInput struct {
	TreeID           *uint   `json:"tree_id" doc:"null routes every call to the fallback"`
	MaxCPS           float64 `json:"max_cps,omitempty" doc:"calls per second accepted; 0 means no limit"`
	MaxConcurrent    int     `json:"max_concurrent,omitempty" doc:"concurrent calls accepted; 0 means no limit"`
	Overflow         string  `json:"overflow,omitempty" doc:"busy (default) or announcement"`
	OverflowPromptID *uint   `json:"overflow_prompt_id,omitempty" doc:"the prompt played on overflow=announcement"`
	Fallback         string  `json:"fallback,omitempty" doc:"static destination when routing fails"`
}

type numberRoutingView struct {
	NumberID         uint    `json:"number_id"`
	Number           string  `json:"number"`
	TreeID           *uint   `json:"tree_id"`
	MaxCPS           float64 `json:"max_cps"`
	MaxConcurrent    int     `json:"max_concurrent"`
	Overflow         string  `json:"overflow"`
	OverflowPromptID *uint   `json:"overflow_prompt_id"`
	Fallback         string  `json:"fallback"`
}

func viewNumberRouting(n *store.Number) numberRoutingView {
	return numberRoutingView{NumberID: n.ID, Number: n.E164, TreeID: n.TreeID, MaxCPS: n.MaxCPS, MaxConcurrent: n.MaxConcurrent,
		Overflow: n.Overflow, OverflowPromptID: n.OverflowPromptID, Fallback: n.Fallback}
}

// Surge limits accepted (NUM-5).
const (
	maxCPSLimit        = 1000
	maxConcurrentLimit = 100000
)

func (s *Server) setNumberRouting(c echo.Context, t *store.Tenant, n *store.Number, in numberRoutingInput) (*store.Number, error) {
	if in.MaxCPS < 0 || in.MaxCPS > maxCPSLimit {
		return nil, vms.FieldError("max_cps", "must be between 0 and %d", maxCPSLimit)
	}
	if in.MaxConcurrent < 0 || in.MaxConcurrent > maxConcurrentLimit {
		return nil, vms.FieldError("max_concurrent", "must be between 0 and %d", maxConcurrentLimit)
	}
	fallback := ""
	if f := strings.TrimSpace(in.Fallback); f != "" {
		e, err := phone.Normalize(f, t.Region)
		if err != nil {
			return nil, renameField(err, "number", "fallback")
		}
		if e == n.E164 {
			return nil, vms.FieldError("fallback", "must not be the number itself")
		}
		fallback = e
	}
	if n.Status == store.NumberPorted {
		return nil, vms.Errorf(vms.ECONFLICT, "%s was ported to another operator; it is no longer routed", n.E164)
	}
	r := store.NumberRouting{TreeID: in.TreeID, MaxCPS: in.MaxCPS, MaxConcurrent: in.MaxConcurrent,
		Overflow: strings.TrimSpace(in.Overflow), OverflowPromptID: in.OverflowPromptID, Fallback: fallback}
	return s.store.SetNumberRouting(c.Request().Context(), actor(c), t.ID, n.ID, r)
}

func (s *Server) apiGetNumberRouting(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	n, err := s.number(c, t)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewNumberRouting(n))
}

func (s *Server) apiSetNumberRouting(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	n, err := s.number(c, t)
	if err != nil {
		return err
	}
	var in numberRoutingInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	n, err = s.setNumberRouting(c, t, n, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewNumberRouting(n))
}

// readUpload returns the bytes of an uploaded file field, at most max.
func readUpload(c echo.Context, field string, max int64) ([]byte, bool, error) {
	fh, err := c.FormFile(field)
	if err != nil {
		return nil, false, nil
	}
	if fh.Size > max {
		return nil, true, vms.FieldError(field, "is larger than %d kB", max>>10)
	}
	f, err := fh.Open()
	if err != nil {
		return nil, true, vms.FieldError(field, "could not be read")
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, true, vms.FieldError(field, "could not be read")
	}
	if int64(len(b)) > max {
		return nil, true, vms.FieldError(field, "is larger than %d kB", max>>10)
	}
	return b, len(b) > 0, nil
}
