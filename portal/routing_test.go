package portal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/routing"
	"github.com/vmsplatform/vms/store"
)

// officeTree is the tree of the routing tests: office hours Mon–Fri
// 08:00–18:00 ring reception, which overflows to a mobile when busy or
// unanswered, then to an apology; closed hours hear "closed".
const officeTree = `{
  "id": "main", "start": "hours", "fallback": "sorry",
  "nodes": [
    {"id": "hours", "type": "time", "label": "Office hours?",
     "branches": [{"label": "office hours", "next": "reception", "windows": [{"days": ["mon-fri"], "from": "08:00", "to": "18:00"}]}],
     "default": "closed"},
    {"id": "reception", "type": "number", "label": "Reception", "number": "+3222110100", "ring_timeout": 20, "site": "hq",
     "on": {"busy": "mobile", "no_answer": "mobile", "site_down": "mobile"}},
    {"id": "mobile", "type": "number", "label": "Mobile", "number": "+32475110200", "on": {"otherwise": "sorry"}},
    {"id": "closed", "type": "announcement", "prompt": "closed"},
    {"id": "sorry", "type": "announcement", "prompt": "sorry"}
  ]
}`

// routingSetup gives tenant A the prompts "closed" and "sorry" and the
// office tree, assigned to A's number.
func routingSetup(t *testing.T, h *harness) routingTreeView {
	t.Helper()
	a := h.A
	for _, name := range []string{"closed", "sorry"} {
		r := h.api(a.Admin, http.MethodPost, fmt.Sprintf("/api/v1/tenants/%d/prompts", a.T.ID), map[string]any{"name": name, "data": testWAV(8000, 200)})
		if r.Status != http.StatusCreated {
			t.Fatalf("upload prompt %s: %d %s", name, r.Status, r.Body)
		}
	}
	r := h.api(a.Admin, http.MethodPost, fmt.Sprintf("/api/v1/tenants/%d/trees", a.T.ID), map[string]any{"key": "main", "name": "Main", "document": json.RawMessage(officeTree)})
	if r.Status != http.StatusCreated {
		t.Fatalf("create tree: %d %s", r.Status, r.Body)
	}
	var tv routingTreeView
	r.json(t, &tv)
	r = h.api(a.Admin, http.MethodPut, fmt.Sprintf("/api/v1/tenants/%d/numbers/%d/routing", a.T.ID, a.Number.ID), map[string]any{"tree_id": tv.ID, "max_cps": 2, "fallback": "02 211 00 99"})
	if r.Status != http.StatusOK {
		t.Fatalf("assign tree: %d %s", r.Status, r.Body)
	}
	var nr numberRoutingView
	r.json(t, &nr)
	if nr.Fallback != "+3222110099" || nr.TreeID == nil || *nr.TreeID != tv.ID || nr.Overflow != store.OverflowBusy {
		t.Fatalf("number routing = %+v", nr)
	}
	return tv
}

func TestTreeSaveValidationNamesNodes(t *testing.T) {
	t.Parallel()
	h := sqliteHarness(t)
	tv := routingSetup(t, h)
	path := fmt.Sprintf("/api/v1/tenants/%d/trees/%d", h.A.T.ID, tv.ID)
	bad := strings.Replace(officeTree, `"+32475110200"`, `"12"`, 1)
	bad = strings.Replace(bad, `"prompt": "closed"`, `"prompt": "nope"`, 1)
	before := h.auditCount()
	r := h.api(h.A.Admin, http.MethodPut, path, map[string]any{"document": json.RawMessage(bad), "comment": "broken"})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("save invalid tree: %d %s", r.Status, r.Body)
	}
	var tp treeProblems
	r.json(t, &tp)
	nodes := map[string]bool{}
	for _, p := range tp.Problems {
		nodes[p.Node] = true
	}
	if !nodes["mobile"] || !nodes["closed"] || tp.Error.Code != "invalid" || tp.Error.Field != "document" {
		t.Errorf("problems = %+v, want problems on nodes mobile and closed", tp)
	}
	if h.auditCount() != before {
		t.Error("an invalid tree changed data")
	}

	tests := []struct {
		name, body, field string
	}{
		{"unknown field", `{"document": {"id": "main", "start": "x", "nodes": [], "colour": "red"}}`, "colour"},
		{"wrong type", `{"document": {"id": "main", "start": "x", "nodes": [{"id": "x", "type": "number", "ring_timeout": "20"}]}}`, "document.nodes.ring_timeout"},
		{"no document", `{"comment": "empty"}`, "document"},
		{"not an object", `{"document": [1, 2]}`, "document"},
		{"stale base version", `{"document": ` + officeTree + `, "base_version": 7}`, "base_version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.api(h.A.Admin, http.MethodPut, path, tt.body)
			if r.Status < 400 || r.apiErr(t).Field != tt.field || strings.Contains(r.Body, "vms ") {
				t.Errorf("status %d body %s, want an error on %s", r.Status, r.Body, tt.field)
			}
		})
	}

	// The page shows the problems next to the form and keeps the input.
	form := url.Values{"document": {bad}, "base_version": {"1"}}
	pr := h.page(h.A.Admin, http.MethodPost, fmt.Sprintf("/tenants/%d/trees/%d", h.A.T.ID, tv.ID), form)
	if pr.Status != http.StatusUnprocessableEntity || !strings.Contains(pr.Body, `id="save-problems"`) || !strings.Contains(pr.Body, "node mobile") {
		t.Errorf("page save of an invalid tree: %d\n%.2000s", pr.Status, pr.Body)
	}
	var got routingTreeView
	h.api(h.A.Admin, http.MethodGet, path, nil).json(t, &got)
	if got.Version != 1 {
		t.Errorf("version after failed saves = %d, want 1", got.Version)
	}
}

func TestTreeVersionsAndRestore(t *testing.T) {
	t.Parallel()
	h := sqliteHarness(t)
	tv := routingSetup(t, h)
	base := fmt.Sprintf("/api/v1/tenants/%d/trees/%d", h.A.T.ID, tv.ID)
	v2 := strings.Replace(officeTree, `"18:00"`, `"17:00"`, 1)
	r := h.api(h.A.RW, http.MethodPut, base, map[string]any{"document": json.RawMessage(v2), "comment": "close earlier", "base_version": 1})
	if r.Status != http.StatusOK {
		t.Fatalf("save v2: %d %s", r.Status, r.Body)
	}
	r = h.api(h.A.RW, http.MethodPost, base+"/versions/1/restore", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("restore: %d %s", r.Status, r.Body)
	}
	var cur routingTreeView
	r.json(t, &cur)
	if cur.Version != 3 || cur.Document == nil || cur.Document.Nodes[0].Branches[0].Windows[0].To != "18:00" {
		t.Fatalf("after restore: version %d document %+v", cur.Version, cur.Document)
	}
	var vs []treeVersionView
	h.api(h.A.RO, http.MethodGet, base+"/versions", nil).json(t, &vs)
	if len(vs) != 3 || vs[0].Version != 3 || vs[1].Comment != "close earlier" || !strings.Contains(vs[0].Comment, "version 1") {
		t.Fatalf("versions = %+v", vs)
	}
	var old treeVersionView
	h.api(h.A.RO, http.MethodGet, base+"/versions/2", nil).json(t, &old)
	if old.Document == nil || old.Document.Nodes[0].Branches[0].Windows[0].To != "17:00" {
		t.Errorf("version 2 = %+v", old.Document)
	}
	if r := h.api(h.A.RO, http.MethodGet, base+"/versions/9", nil); r.Status != http.StatusNotFound {
		t.Errorf("missing version: %d", r.Status)
	}
	// Export downloads the document.
	pr := h.page(h.A.RO, http.MethodGet, fmt.Sprintf("/tenants/%d/trees/%d/export?version=2", h.A.T.ID, tv.ID), nil)
	if pr.Status != http.StatusOK || !strings.Contains(pr.Header.Get("Content-Disposition"), "main-v2.json") || !strings.Contains(pr.Body, `"17:00"`) {
		t.Errorf("export: %d %v %.200s", pr.Status, pr.Header, pr.Body)
	}
	// The editor page carries the document and CSRF token for routing.js.
	pr = h.page(h.A.Admin, http.MethodGet, fmt.Sprintf("/tenants/%d/trees/%d", h.A.T.ID, tv.ID), nil)
	_, csrf := h.session(h.A.Admin)
	if pr.Status != http.StatusOK || !strings.Contains(pr.Body, `data-csrf="`+csrf+`"`) || !strings.Contains(pr.Body, "routing.js") || strings.Contains(pr.Body, "<script>") {
		t.Errorf("editor page: %d\n%.1500s", pr.Status, pr.Body)
	}
}

func TestTreeImportAllOrNothing(t *testing.T) {
	t.Parallel()
	h := sqliteHarness(t)
	routingSetup(t, h)
	a := h.A
	list := func() []routingTreeView {
		var out []routingTreeView
		h.api(a.RO, http.MethodGet, fmt.Sprintf("/api/v1/tenants/%d/trees", a.T.ID), nil).json(t, &out)
		return out
	}
	bad := strings.Replace(officeTree, `"default": "closed"`, `"default": "nowhere"`, 1)
	r := h.api(a.Admin, http.MethodPost, fmt.Sprintf("/api/v1/tenants/%d/trees", a.T.ID), map[string]any{"key": "copy", "document": json.RawMessage(bad)})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `"node":"hours"`) {
		t.Fatalf("import invalid: %d %s", r.Status, r.Body)
	}
	if n := len(list()); n != 1 {
		t.Fatalf("%d trees after a failed import, want 1", n)
	}

	// Upload through the page: invalid then valid.
	upload := func(doc string) response {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		_, csrf := h.session(a.Admin)
		_ = w.WriteField(csrfField, csrf)
		_ = w.WriteField("key", "copy")
		fw, _ := w.CreateFormFile("file", "tree.json")
		_, _ = fw.Write([]byte(doc))
		_ = w.Close()
		req := httptest.NewRequest(http.MethodPost, fmt.Sprintf("/tenants/%d/trees", a.T.ID), &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		tok, _ := h.session(a.Admin)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: tok})
		return h.serve(req)
	}
	pr := upload(bad)
	if pr.Status != http.StatusUnprocessableEntity || !strings.Contains(pr.Body, "node hours") {
		t.Fatalf("page import invalid: %d\n%.1500s", pr.Status, pr.Body)
	}
	if n := len(list()); n != 1 {
		t.Fatalf("%d trees after a failed page import, want 1", n)
	}
	pr = upload(officeTree)
	if pr.Status != http.StatusSeeOther {
		t.Fatalf("page import: %d\n%.1500s", pr.Status, pr.Body)
	}
	ts := list()
	if len(ts) != 2 {
		t.Fatalf("trees = %+v", ts)
	}
}

func TestSimulator(t *testing.T) {
	t.Parallel()
	h := sqliteHarness(t)
	routingSetup(t, h)
	a := h.A
	sim := func(in simulateInput) (simulationView, response) {
		r := h.api(a.RW, http.MethodPost, fmt.Sprintf("/api/v1/tenants/%d/simulate", a.T.ID), in)
		var v simulationView
		if r.Status == http.StatusOK {
			r.json(t, &v)
		}
		return v, r
	}
	tests := []struct {
		name     string
		in       simulateInput
		result   string
		dest     string
		contains []string
	}{
		{"office hours ring reception", simulateInput{From: "0475 99 88 77", To: "02 211 00 01", At: "2026-11-26 09:30"},
			"answered", "rings +3222110100 (Reception)", []string{"A call from +32475998877 to +3222110001 at Thu 26 Nov 2026 09:30 CET", "office hours"}},
		{"closed on Sunday", simulateInput{From: "+3250000000", To: "+3222110001", At: "2026-11-29 09:30"},
			"announcement", `hears the announcement "closed"`, nil},
		{"closed in the evening (RFC 3339)", simulateInput{From: "+3250000000", To: "+3222110001", At: "2026-11-26T19:30:00+01:00"},
			"announcement", `"closed"`, nil},
		{"busy reception goes to the mobile", simulateInput{From: "+3250000000", To: "+3222110001", At: "2026-11-26 09:30", Outcomes: []string{"busy"}},
			"answered", "rings +32475110200 (Mobile)", []string{"busy"}},
		{"busy then no answer ends with the apology", simulateInput{From: "+3250000000", To: "+3222110001", At: "2026-11-26 09:30", Outcomes: []string{"busy", "no_answer"}},
			"announcement", `"sorry"`, nil},
		{"withheld caller", simulateInput{To: "+3222110001", At: "2026-11-26 09:30"},
			"answered", "+3222110100", []string{"from a withheld number"}},
		{"injected clock: now is Monday 10:00 in Brussels", simulateInput{From: "+3250000000", To: "+3222110001"},
			"answered", "+3222110100", []string{"Mon 2 Mar 2026 10:00 CET"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, r := sim(tt.in)
			if r.Status != http.StatusOK {
				t.Fatalf("status %d %s", r.Status, r.Body)
			}
			if v.Result != tt.result || !strings.Contains(v.Destination, tt.dest) {
				t.Errorf("result %q destination %q, want %q %q\n%s", v.Result, v.Destination, tt.result, tt.dest, v.Summary)
			}
			for _, s := range tt.contains {
				if !strings.Contains(v.Summary, s) {
					t.Errorf("summary %q lacks %q", v.Summary, s)
				}
			}
			if len(v.Path) == 0 || v.Tree != "main" {
				t.Errorf("path %+v tree %q", v.Path, v.Tree)
			}
		})
	}

	// A site marked down sends reception's calls to the mobile (TRM-9).
	r := h.api(a.Admin, http.MethodPost, fmt.Sprintf("/api/v1/tenants/%d/sites", a.T.ID), map[string]any{"name": "hq"})
	var site siteView
	r.json(t, &site)
	if r := h.api(a.Admin, http.MethodPost, fmt.Sprintf("/api/v1/tenants/%d/sites/%d/down", a.T.ID, site.ID), nil); r.Status != http.StatusOK {
		t.Fatalf("site down: %d %s", r.Status, r.Body)
	}
	if v, _ := sim(simulateInput{From: "+3250000000", To: "+3222110001", At: "2026-11-26 09:30"}); v.Destination != "rings +32475110200 (Mobile)" {
		t.Errorf("site down: %s", v.Summary)
	}

	bad := []struct {
		name  string
		in    simulateInput
		field string
	}{
		{"another tenant's number", simulateInput{To: h.B.Number.E164}, "to"},
		{"bad time", simulateInput{To: "+3222110001", At: "tomorrow"}, "at"},
		{"unknown outcome", simulateInput{To: "+3222110001", Outcomes: []string{"exploded"}}, "outcomes"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, r := sim(tt.in)
			if r.Status != http.StatusUnprocessableEntity || r.apiErr(t).Field != tt.field {
				t.Errorf("status %d %s, want 422 on %s", r.Status, r.Body, tt.field)
			}
		})
	}

	// Read-only users simulate through the page.
	pr := h.page(a.RO, http.MethodGet, fmt.Sprintf("/tenants/%d/simulate?%s", a.T.ID, url.Values{"to": {"+3222110001"}, "at": {"2026-11-29 09:30"}}.Encode()), nil)
	if pr.Status != http.StatusOK || !strings.Contains(pr.Body, `id="sim-summary"`) || !strings.Contains(pr.Body, "closed") {
		t.Errorf("simulator page: %d\n%.1500s", pr.Status, pr.Body)
	}
}

func TestPromptsValidationAndServing(t *testing.T) {
	t.Parallel()
	h := sqliteHarness(t)
	a := h.A
	path := fmt.Sprintf("/api/v1/tenants/%d/prompts", a.T.ID)
	stereo := testWAV(8000, 50)
	stereo[22] = 2
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"not a WAV", []byte("ID3\x03 an mp3"), "RIFF/WAVE"},
		{"truncated", testWAV(8000, 50)[:60], "truncated"},
		{"stereo", stereo, "mono"},
		{"44.1 kHz", testWAV(44100, 50), "8000 or 16000"},
	}
	// Larger than the limit: refused by the body limit already.
	if r := h.api(a.Admin, http.MethodPost, path, map[string]any{"name": "x", "data": append(testWAV(8000, 10), make([]byte, maxPromptBytes)...)}); r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("too large: %d %.200s", r.Status, r.Body)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.api(a.Admin, http.MethodPost, path, map[string]any{"name": "x", "data": tt.data})
			if r.Status != http.StatusUnprocessableEntity || r.apiErr(t).Field != "data" || !strings.Contains(r.Body, tt.want) {
				t.Errorf("status %d %s, want 422 on data mentioning %q", r.Status, r.Body, tt.want)
			}
		})
	}
	wav := testWAV(16000, 300)
	r := h.api(a.Admin, http.MethodPost, path, map[string]any{"name": "welcome", "data": wav})
	if r.Status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	var p promptView
	r.json(t, &p)
	if p.SHA256 != sha256Hex(wav) || p.URL != testBaseURL+"/media/prompts/"+p.SHA256+".wav" {
		t.Errorf("prompt = %+v", p)
	}
	// Served publicly by content address, cached for long.
	m := h.serve(httptest.NewRequest(http.MethodGet, "/media/prompts/"+p.SHA256+".wav", nil))
	if m.Status != http.StatusOK || m.Body != string(wav) || m.Header.Get("Content-Type") != "audio/x-wav" || !strings.Contains(m.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("media: %d %v", m.Status, m.Header)
	}
	for _, bad := range []string{strings.Repeat("0", 64) + ".wav", p.SHA256 + ".mp3", "..%2F..%2Fetc.wav"} {
		if m := h.serve(httptest.NewRequest(http.MethodGet, "/media/prompts/"+bad, nil)); m.Status != http.StatusNotFound {
			t.Errorf("media %s: %d", bad, m.Status)
		}
	}
	// A prompt a tree plays cannot be deleted; the error names the tree.
	doc := `{"id":"t","start":"a","nodes":[{"id":"a","type":"announcement","prompt":"welcome"}]}`
	if r := h.api(a.Admin, http.MethodPost, fmt.Sprintf("/api/v1/tenants/%d/trees", a.T.ID), map[string]any{"key": "t", "document": json.RawMessage(doc)}); r.Status != http.StatusCreated {
		t.Fatalf("create tree: %d %s", r.Status, r.Body)
	}
	r = h.api(a.Admin, http.MethodDelete, fmt.Sprintf("%s/%d", path, p.ID), nil)
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, "t (node a)") {
		t.Errorf("delete used prompt: %d %s", r.Status, r.Body)
	}
}

func TestRoutingNeedsTRM(t *testing.T) {
	t.Parallel()
	h := sqliteHarness(t)
	c := h.C // Outbound: no TRM (FRM-2)
	for _, path := range []string{"trees", "prompts", "lists", "sites", "calls"} {
		r := h.api(c.Admin, http.MethodGet, fmt.Sprintf("/api/v1/tenants/%d/%s", c.T.ID, path), nil)
		if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "TRM") {
			t.Errorf("%s for an Outbound tenant: %d %s, want 403 naming TRM", path, r.Status, r.Body)
		}
	}
	r := h.api(c.Admin, http.MethodPost, fmt.Sprintf("/api/v1/tenants/%d/simulate", c.T.ID), simulateInput{To: c.Number.E164})
	if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "TRM") {
		t.Errorf("simulate for an Outbound tenant: %d %s", r.Status, r.Body)
	}
	pr := h.page(c.Admin, http.MethodGet, fmt.Sprintf("/tenants/%d/routing", c.T.ID), nil)
	if pr.Status != http.StatusForbidden || !strings.Contains(pr.Body, "TRM") {
		t.Errorf("routing page for an Outbound tenant: %d", pr.Status)
	}
}

func TestListsSitesAndCallRecords(t *testing.T) {
	t.Parallel()
	h := sqliteHarness(t)
	a := h.A
	r := h.api(a.Admin, http.MethodPost, fmt.Sprintf("/api/v1/tenants/%d/lists", a.T.ID), map[string]any{"name": "vip"})
	var l listView
	r.json(t, &l)
	r = h.api(a.Admin, http.MethodPost, fmt.Sprintf("/api/v1/tenants/%d/lists/%d/members", a.T.ID, l.ID), map[string]any{"number": "0475 12 34 56"})
	if r.Status != http.StatusCreated || !strings.Contains(r.Body, "+32475123456") {
		t.Fatalf("add member: %d %s", r.Status, r.Body)
	}
	if r := h.api(a.Admin, http.MethodPost, fmt.Sprintf("/api/v1/tenants/%d/lists", a.T.ID), map[string]any{"name": "has space"}); r.Status != http.StatusUnprocessableEntity || r.apiErr(t).Field != "name" {
		t.Errorf("bad list name: %d %s", r.Status, r.Body)
	}
	if r := h.api(a.Admin, http.MethodDelete, fmt.Sprintf("/api/v1/tenants/%d/lists/%d/members/+32475123456", a.T.ID, l.ID), nil); r.Status != http.StatusNoContent {
		t.Errorf("remove member: %d %s", r.Status, r.Body)
	}

	// Sites toggle in one click (TRM-9).
	r = h.api(a.Admin, http.MethodPost, fmt.Sprintf("/api/v1/tenants/%d/sites", a.T.ID), map[string]any{"name": "hq"})
	var st siteView
	r.json(t, &st)
	pr := h.page(a.RW, http.MethodPost, fmt.Sprintf("/tenants/%d/sites/%d/toggle", a.T.ID, st.ID), url.Values{})
	if pr.Status != http.StatusSeeOther {
		t.Fatalf("toggle: %d %s", pr.Status, pr.Body)
	}
	got, _ := h.st.GetSite(h.ctx(), a.T.ID, st.ID)
	if !got.Down {
		t.Error("site not down after one click")
	}

	// Call records: list, detail with path and legs, CSV.
	t0 := h.clock.Now()
	rec := &store.CallRecord{CallID: "c-1", TenantID: a.T.ID, Caller: "+32475000001", Dialed: a.Number.E164, TreeID: "main", TreeVersion: 2,
		ArrivedAt: t0, Outcome: "answered", Destination: "+3222110100", Path: `[{"node":"hours","why":"inside office hours"}]`,
		Legs: []store.CallLeg{{Destination: "+3222110100", NodeID: "reception", StartedAt: t0, Outcome: "answered"}}}
	if err := h.st.SaveCallRecord(h.ctx(), rec); err != nil {
		t.Fatal(err)
	}
	if err := h.st.SaveCallRecord(h.ctx(), &store.CallRecord{CallID: "c-2", TenantID: a.T.ID, Caller: "=cmd()", Dialed: a.Number.E164, ArrivedAt: t0.Add(-48 * 3600e9), Outcome: "busy"}); err != nil {
		t.Fatal(err)
	}
	var calls []callView
	h.api(a.RO, http.MethodGet, fmt.Sprintf("/api/v1/tenants/%d/calls?number=0475000001", a.T.ID), nil).json(t, &calls)
	if len(calls) != 1 || calls[0].CallID != "c-1" {
		t.Errorf("filtered calls = %+v", calls)
	}
	var one callView
	h.api(a.RO, http.MethodGet, fmt.Sprintf("/api/v1/tenants/%d/calls/%d", a.T.ID, rec.ID), nil).json(t, &one)
	if len(one.Path) != 1 || one.Path[0].Why != "inside office hours" || len(one.Legs) != 1 {
		t.Errorf("call detail = %+v", one)
	}
	if r := h.api(h.B.Admin, http.MethodGet, fmt.Sprintf("/api/v1/tenants/%d/calls/%d", h.B.T.ID, rec.ID), nil); r.Status != http.StatusNotFound {
		t.Errorf("B reads A's call: %d", r.Status)
	}
	pr = h.page(a.RO, http.MethodGet, fmt.Sprintf("/tenants/%d/calls/%d", a.T.ID, rec.ID), nil)
	if pr.Status != http.StatusOK || !strings.Contains(pr.Body, "inside office hours") {
		t.Errorf("call page: %d", pr.Status)
	}
	pr = h.page(a.RO, http.MethodGet, fmt.Sprintf("/tenants/%d/calls.csv", a.T.ID), nil)
	if pr.Status != http.StatusOK || !strings.Contains(pr.Body, "c-1,") || !strings.Contains(pr.Body, "'=cmd()") || strings.Contains(pr.Body, ",=cmd()") {
		t.Errorf("csv: %d\n%s", pr.Status, pr.Body)
	}
	pr = h.page(a.RO, http.MethodGet, fmt.Sprintf("/tenants/%d/calls?number=0475000001&limit=1", a.T.ID), nil)
	if wantCSV := fmt.Sprintf(`href="/tenants/%d/calls.csv?number=0475000001"`, a.T.ID); pr.Status != http.StatusOK || !strings.Contains(pr.Body, wantCSV) || !strings.Contains(pr.Body, `limit=1&amp;number=0475000001&amp;offset=1`) {
		t.Errorf("calls page links: %d\n%.3000s", pr.Status, pr.Body)
	}
	pr = h.page(a.RO, http.MethodGet, fmt.Sprintf("/tenants/%d/calls?from=bad", a.T.ID), nil)
	if pr.Status != http.StatusUnprocessableEntity {
		t.Errorf("bad filter: %d", pr.Status)
	}
}

// TestDemoTreeValidates keeps the demo seed's tree valid against the
// routing package as it evolves.
func TestDemoTreeValidates(t *testing.T) {
	tree := store.DemoTree()
	refs := routing.RefSet{Prompts: map[string]bool{"welcome": true, "closed": true, "sorry": true}, Lists: map[string]bool{"vip": true},
		Groups: map[string]bool{store.DemoGroupKey: true}}
	if err := routing.Validate(&tree, refs); err != nil {
		t.Fatal(err)
	}
}

func FuzzCheckWAV(f *testing.F) {
	f.Add(testWAV(8000, 10))
	f.Add(testWAV(16000, 1))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVE"))
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVEfmt \xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = checkWAV(b) // must not panic
	})
}

// TestRoutingPagesRender renders every routing page with data, as a user
// who may change things (forms shown) and as one who may not.
func TestRoutingPagesRender(t *testing.T) {
	t.Parallel()
	h := sqliteHarness(t)
	tv := routingSetup(t, h)
	a := h.A
	if err := h.st.SaveCallRecord(h.ctx(), &store.CallRecord{CallID: "c-1", TenantID: a.T.ID, Dialed: a.Number.E164, ArrivedAt: h.clock.Now(), Outcome: "busy"}); err != nil {
		t.Fatal(err)
	}
	lr := h.api(a.Admin, http.MethodPost, fmt.Sprintf("/api/v1/tenants/%d/lists", a.T.ID), map[string]any{"name": "vip"})
	var l listView
	lr.json(t, &l)
	h.api(a.Admin, http.MethodPost, fmt.Sprintf("/api/v1/tenants/%d/sites", a.T.ID), map[string]any{"name": "hq"})
	pages := map[string]string{
		"routing":   fmt.Sprintf("/tenants/%d/routing", a.T.ID),
		"editor":    fmt.Sprintf("/tenants/%d/trees/%d", a.T.ID, tv.ID),
		"simulator": fmt.Sprintf("/tenants/%d/simulate", a.T.ID),
		"prompts":   fmt.Sprintf("/tenants/%d/prompts", a.T.ID),
		"lists":     fmt.Sprintf("/tenants/%d/lists", a.T.ID),
		"list":      fmt.Sprintf("/tenants/%d/lists/%d", a.T.ID, l.ID),
		"sites":     fmt.Sprintf("/tenants/%d/sites", a.T.ID),
		"calls":     fmt.Sprintf("/tenants/%d/calls", a.T.ID),
	}
	wants := map[string]string{"routing": "3222110001", "editor": "tree-editor", "prompts": "closed", "list": "member-form", "sites": "hq", "calls": "busy", "lists": "vip", "simulator": "sim-form"}
	for name, path := range pages {
		for _, u := range []*store.User{a.Admin, a.RO} {
			t.Run(name+" as "+u.Role, func(t *testing.T) {
				r := h.page(u, http.MethodGet, path, nil)
				if r.Status != http.StatusOK {
					t.Fatalf("status %d\n%.1500s", r.Status, r.Body)
				}
				if name == "list" && u == a.RO {
					return // the member form is for writers only
				}
				if !strings.Contains(r.Body, wants[name]) {
					t.Errorf("page lacks %q", wants[name])
				}
			})
		}
	}
	// Assigning limits through the routing page.
	pr := h.page(a.Admin, http.MethodPost, fmt.Sprintf("/tenants/%d/numbers/%d/routing", a.T.ID, a.Number.ID),
		url.Values{"tree_id": {fmt.Sprint(tv.ID)}, "max_cps": {"abc"}})
	if pr.Status != http.StatusUnprocessableEntity || !strings.Contains(pr.Body, "calls per second") {
		t.Errorf("bad max_cps: %d", pr.Status)
	}
	pr = h.page(a.Admin, http.MethodPost, fmt.Sprintf("/tenants/%d/numbers/%d/routing", a.T.ID, a.Number.ID),
		url.Values{"tree_id": {fmt.Sprint(tv.ID)}, "max_cps": {"3.5"}, "max_concurrent": {"12"}, "overflow": {"busy"}})
	if pr.Status != http.StatusSeeOther {
		t.Fatalf("save routing: %d %.500s", pr.Status, pr.Body)
	}
	n, _ := h.st.GetNumber(h.ctx(), a.T.ID, a.Number.ID)
	if n.MaxCPS != 3.5 || n.MaxConcurrent != 12 || n.Fallback != "" {
		t.Errorf("number after save = %+v", n)
	}
}

// FuzzDecodeTree feeds imported documents through the strict decoder and
// the validator: either may refuse, neither may panic, and a refusal is
// always a user error on the document.
func FuzzDecodeTree(f *testing.F) {
	f.Add([]byte(officeTree))
	f.Add([]byte(fixtureTreeDoc))
	f.Add([]byte(`{"id":"x","start":"a","nodes":[{"id":"a","type":"menu","branches":[{"digits":"1","next":"a"}]}]}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(`{"nodes":[{"on":{"busy":1}}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		tree, err := decodeTree(doc)
		if err != nil {
			if vms.ErrorCode(err) != vms.EINVALID || vms.ErrorField(err) != "document" {
				t.Fatalf("decode error %v is not an input error on document", err)
			}
			return
		}
		_ = routing.Validate(tree, routing.RefSet{})
	})
}

// TestSimulatorGroup: a call that reaches a group waits for an agent; the
// group's ways out are followed when the outcomes say so.
func TestSimulatorGroup(t *testing.T) {
	t.Parallel()
	h := sqliteHarness(t)
	tv := routingSetup(t, h)
	a := h.A
	h.acdObj(a, "group") // the group "sales", and the contact centre option
	doc := strings.Replace(officeTree, `{"id": "reception", "type": "number", "label": "Reception", "number": "+3222110100", "ring_timeout": 20, "site": "hq",
     "on": {"busy": "mobile", "no_answer": "mobile", "site_down": "mobile"}}`,
		`{"id": "reception", "type": "group", "label": "Sales team", "group": "sales", "on": {"group_closed": "mobile", "group_timeout": "sorry"}}`, 1)
	if doc == officeTree {
		t.Fatal("the test tree was not changed")
	}
	if r := h.api(a.Admin, http.MethodPut, fmt.Sprintf("/api/v1/tenants/%d/trees/%d", a.T.ID, tv.ID), map[string]any{"document": json.RawMessage(doc)}); r.Status != http.StatusOK {
		t.Fatalf("save tree with a group: %d %s", r.Status, r.Body)
	}
	for _, c := range []struct {
		outcomes     []string
		result, dest string
	}{
		{nil, "queued", "waits in the queue of group sales (Sales team) until an agent answers"},
		{[]string{"group_closed"}, "answered", "rings +32475110200 (Mobile)"},
		{[]string{"group_timeout"}, "announcement", `hears the announcement "sorry"`},
	} {
		r := h.api(a.RW, http.MethodPost, fmt.Sprintf("/api/v1/tenants/%d/simulate", a.T.ID),
			simulateInput{From: "+3250000000", To: "+3222110001", At: "2026-11-26 09:30", Outcomes: c.outcomes})
		var v simulationView
		r.json(t, &v)
		if r.Status != http.StatusOK || v.Result != c.result || !strings.Contains(v.Destination, c.dest) {
			t.Errorf("outcomes %v: %d %s %q, want %s %q", c.outcomes, r.Status, v.Result, v.Destination, c.result, c.dest)
		}
	}
}
