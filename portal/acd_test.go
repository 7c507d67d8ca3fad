package portal

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/test/browsertest"
)

// acdFixture is one tenant's contact centre objects: the group "sales"
// with the tenant's agent user as agent (level 5), and the pause reason
// "lunch".
type acdFixture struct {
	Group, Agent, Pause uint
}

var (
	acdFixturesMu sync.Mutex
	acdFixtures   = map[*harness]map[uint]acdFixture{}
)

// acdObj returns the id of a contact centre fixture of f's tenant, giving
// the tenant the ACM option and creating the fixtures on first use. Like
// the routing fixtures they are written straight to the database, without
// audit entries.
func (h *harness) acdObj(f tenantFixture, obj string) uint {
	h.t.Helper()
	acdFixturesMu.Lock()
	defer acdFixturesMu.Unlock()
	byTenant := acdFixtures[h]
	if byTenant == nil {
		byTenant = map[uint]acdFixture{}
		acdFixtures[h] = byTenant
		h.t.Cleanup(func() {
			acdFixturesMu.Lock()
			delete(acdFixtures, h)
			acdFixturesMu.Unlock()
		})
	}
	fx, ok := byTenant[f.T.ID]
	if !ok {
		fx = h.seedACD(f)
		byTenant[f.T.ID] = fx
	}
	switch obj {
	case "group":
		return fx.Group
	case "agent":
		return fx.Agent
	case "pause":
		return fx.Pause
	}
	return 0
}

func (h *harness) seedACD(f tenantFixture) acdFixture {
	h.t.Helper()
	db := h.st.DB()
	must := func(err error) {
		if err != nil {
			h.t.Fatalf("seed contact centre fixtures: %v", err)
		}
	}
	if f.T.Options != "acm" {
		f.T.Options = "acm"
		must(db.Model(&store.Tenant{}).Where("id = ?", f.T.ID).UpdateColumn("options", "acm").Error)
	}
	g := store.DefaultAgentGroup(f.T.ID)
	g.Key, g.Name = "sales", "Sales of "+f.T.Name
	must(db.Create(&g).Error)
	a := &store.Agent{TenantID: f.T.ID, UserID: f.Agent.ID, Name: "Agent of " + f.T.Name, MaxEmails: 3}
	must(db.Create(a).Error)
	must(db.Create(&store.AgentMembership{TenantID: f.T.ID, AgentID: a.ID, GroupID: g.ID, Level: 5}).Error)
	r := &store.PauseReason{TenantID: f.T.ID, Name: "lunch"}
	must(db.Create(r).Error)
	return acdFixture{Group: g.ID, Agent: a.ID, Pause: r.ID}
}

// acdHarness is a harness whose tenants A and B have the contact centre
// fixtures, and which counts the OnChange calls.
func acdHarness(t *testing.T) (*harness, *int) {
	t.Helper()
	h := sqliteHarness(t)
	h.acdObj(h.A, "group")
	h.acdObj(h.B, "group")
	changes := new(int)
	cfg := Defaults()
	cfg.BaseURL = testBaseURL
	cfg.Now = h.clock.Now
	cfg.OnChange = func() { *changes++ }
	srv, err := New(cfg, h.st, h.mailer, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = srv
	return h, changes
}

// TestACDGroupsAPI walks a group's life through the JSON API.
func TestACDGroupsAPI(t *testing.T) {
	h, changes := acdHarness(t)
	A := h.A
	base := fmt.Sprintf("/api/v1/tenants/%d", A.T.ID)

	r := h.api(A.Admin, "POST", base+"/groups", map[string]any{"key": "support", "name": "Support", "min_level": 6,
		"relax": []map[string]int{{"after_seconds": 30, "min_level": 3}}, "email": "Support@Alpha.example"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create group: %d %s", r.Status, r.Body)
	}
	var g acdGroupView
	r.json(t, &g)
	if g.Key != "support" || g.Email != "support@alpha.example" || g.RingTimeoutSeconds != store.DefaultRingTimeoutSeconds ||
		g.WrapUpSeconds != store.DefaultWrapUpSeconds || g.AnnounceEverySeconds != store.DefaultAnnounceEverySeconds ||
		len(g.Relax) != 1 || g.Relax[0].MinLevel != 3 || *changes != 1 {
		t.Fatalf("created group = %+v (changes %d)", g, *changes)
	}
	gpath := fmt.Sprintf("%s/groups/%d", base, g.ID)

	// Patch changes only what is given.
	r = h.api(A.RW, "PATCH", gpath, map[string]any{"closed": true, "wrap_up_seconds": 0, "announce_every_seconds": 0, "relax": []any{}})
	r.json(t, &g)
	if r.Status != 200 || !g.Closed || g.WrapUpSeconds != 0 || g.AnnounceEverySeconds != 0 || len(g.Relax) != 0 || g.Name != "Support" || g.MinLevel != 6 {
		t.Fatalf("patched group: %d %+v", r.Status, g)
	}

	// Members.
	agentID := h.acdObj(A, "agent")
	r = h.api(A.Admin, "PUT", fmt.Sprintf("%s/members/%d", gpath, agentID), map[string]any{"level": 8})
	if r.Status != 200 {
		t.Fatalf("add member: %d %s", r.Status, r.Body)
	}
	r = h.api(A.Sup, "GET", gpath, nil)
	r.json(t, &g)
	if r.Status != 200 || len(g.Members) != 1 || g.Members[0].AgentID != agentID || g.Members[0].Level != 8 {
		t.Fatalf("supervisor reads the group: %d %+v", r.Status, g)
	}
	var agents []acdAgentView
	r = h.api(A.RO, "GET", base+"/agents", nil)
	r.json(t, &agents)
	if len(agents) != 1 || len(agents[0].Groups) != 2 || agents[0].UserEmail != A.Agent.Email || agents[0].Endpoint != fmt.Sprintf("vmsagent%d", agentID) {
		t.Fatalf("agents = %+v", agents)
	}
	// Another tenant's agent cannot join.
	r = h.api(A.Admin, "PUT", fmt.Sprintf("%s/members/%d", gpath, h.acdObj(h.B, "agent")), map[string]any{"level": 8})
	if r.Status != http.StatusNotFound {
		t.Errorf("B's agent in A's group: %d", r.Status)
	}
	if r := h.api(A.Admin, "DELETE", fmt.Sprintf("%s/members/%d", gpath, agentID), nil); r.Status != http.StatusNoContent {
		t.Fatalf("remove member: %d %s", r.Status, r.Body)
	}

	// A tree queueing in the group keeps it from being deleted.
	doc := `{"id":"q","start":"g","nodes":[{"id":"g","type":"group","group":"support"}]}`
	tr := &store.RoutingTree{TenantID: A.T.ID, Key: "q"}
	if _, err := h.st.CreateTree(h.ctx(), store.System, tr, []byte(doc), ""); err != nil {
		t.Fatal(err)
	}
	r = h.api(A.Admin, "DELETE", gpath, nil)
	if r.Status != http.StatusConflict || r.apiErr(t).Field != "key" || !strings.Contains(r.apiErr(t).Message, "q (node g)") {
		t.Fatalf("delete a used group: %d %s", r.Status, r.Body)
	}
	if err := h.st.DeleteTree(h.ctx(), store.System, A.T.ID, tr.ID); err != nil {
		t.Fatal(err)
	}
	before := *changes
	if r := h.api(A.Admin, "DELETE", gpath, nil); r.Status != http.StatusNoContent || *changes != before+1 {
		t.Fatalf("delete group: %d, changes %d -> %d", r.Status, before, *changes)
	}
	if r := h.api(A.Admin, "GET", gpath, nil); r.Status != http.StatusNotFound {
		t.Errorf("deleted group: %d", r.Status)
	}

	// Agents: create from a supervisor user, update, delete.
	r = h.api(A.Admin, "POST", base+"/agents", map[string]any{"user_id": A.Sup.ID, "max_emails": 0})
	var ag acdAgentView
	r.json(t, &ag)
	if r.Status != http.StatusCreated || ag.Name != A.Sup.Name || ag.MaxEmails != 0 {
		t.Fatalf("create agent: %d %+v", r.Status, ag)
	}
	apath := fmt.Sprintf("%s/agents/%d", base, ag.ID)
	r = h.api(A.Admin, "PATCH", apath, map[string]any{"name": "Sue", "max_emails": 4})
	r.json(t, &ag)
	if r.Status != 200 || ag.Name != "Sue" || ag.MaxEmails != 4 {
		t.Fatalf("patch agent: %d %+v", r.Status, ag)
	}
	if r := h.api(A.Admin, "PATCH", apath, map[string]any{"user_id": A.RO.ID}); r.Status != 422 || r.apiErr(t).Field != "user_id" {
		t.Errorf("changing the user: %d %s", r.Status, r.Body)
	}
	if r := h.api(A.Admin, "DELETE", apath, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete agent: %d", r.Status)
	}

	// Pause reasons.
	r = h.api(A.Admin, "POST", base+"/pause-reasons", map[string]any{"name": "training"})
	var pr acdPauseReasonView
	r.json(t, &pr)
	if r.Status != http.StatusCreated || pr.Name != "training" {
		t.Fatalf("create pause reason: %d %s", r.Status, r.Body)
	}
	var prs []acdPauseReasonView
	h.api(A.Sup, "GET", base+"/pause-reasons", nil).json(t, &prs)
	if len(prs) != 2 || prs[0].Name != "lunch" || prs[1].Name != "training" {
		t.Errorf("pause reasons = %+v", prs)
	}
	if r := h.api(A.Admin, "DELETE", fmt.Sprintf("%s/pause-reasons/%d", base, pr.ID), nil); r.Status != http.StatusNoContent {
		t.Errorf("delete pause reason: %d", r.Status)
	}
}

// TestACDNeedsComponent: without the ACM option the pages and the API
// answer 403, even for the tenant's administrator.
func TestACDNeedsComponent(t *testing.T) {
	h := sqliteHarness(t)
	A := h.A // Classic without the option
	for _, p := range []string{"/api/v1/tenants/%d/groups", "/api/v1/tenants/%d/agents", "/api/v1/tenants/%d/pause-reasons"} {
		if r := h.api(A.Admin, "GET", fmt.Sprintf(p, A.T.ID), nil); r.Status != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", p, r.Status)
		}
	}
	if r := h.page(A.Admin, "GET", fmt.Sprintf("/tenants/%d/groups", A.T.ID), nil); r.Status != http.StatusForbidden {
		t.Errorf("groups page without the option: %d", r.Status)
	}
	if r := h.page(A.Admin, "POST", fmt.Sprintf("/tenants/%d/groups", A.T.ID), url.Values{"key": {"x"}}); r.Status != http.StatusForbidden {
		t.Errorf("group form without the option: %d", r.Status)
	}
	if gs, _ := h.st.ListAgentGroups(h.ctx(), A.T.ID); len(gs) != 0 {
		t.Errorf("a group was created: %+v", gs)
	}

	// Outbound: groups of operators for the campaigns' "connect" key, but
	// e-mail contacts stay with Agent Contact Management.
	C := h.C
	base := fmt.Sprintf("/api/v1/tenants/%d/groups", C.T.ID)
	r := h.api(C.Admin, "POST", base, map[string]any{"key": "callback", "name": "Call back", "email": "callback@gamma.example"})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `"field":"email"`) {
		t.Errorf("outbound group with an e-mail address: %d %s, want 422 on email", r.Status, r.Body)
	}
	if gs, _ := h.st.ListAgentGroups(h.ctx(), C.T.ID); len(gs) != 0 {
		t.Errorf("a group was created: %+v", gs)
	}
	if r := h.api(C.Admin, "POST", base, map[string]any{"key": "callback", "name": "Call back"}); r.Status != http.StatusCreated {
		t.Errorf("outbound group: %d %s", r.Status, r.Body)
	}
	if r := h.page(C.Admin, "GET", fmt.Sprintf("/tenants/%d/groups", C.T.ID), nil); r.Status != http.StatusOK {
		t.Errorf("outbound groups page: %d", r.Status)
	}
}

// TestACDGroupPages drives the group pages: create, a refused save shown
// again with the error on the field, a save of every setting, members.
func TestACDGroupPages(t *testing.T) {
	h, changes := acdHarness(t)
	A := h.A
	base := fmt.Sprintf("/tenants/%d", A.T.ID)

	r := h.page(A.Admin, "GET", base+"/groups", nil)
	if r.Status != 200 || !strings.Contains(r.Body, "Sales of "+A.T.Name) || !strings.Contains(r.Body, `id="group-form"`) {
		t.Fatalf("groups page: %d", r.Status)
	}
	r = h.page(A.Admin, "POST", base+"/groups", url.Values{"key": {"Bad Key"}, "name": {"Helpdesk team"}})
	if r.Status != 422 || !strings.Contains(r.Body, `id="err-key"`) || !strings.Contains(r.Body, "Helpdesk team") {
		t.Fatalf("bad key: %d", r.Status)
	}
	r = h.page(A.Admin, "POST", base+"/groups", url.Values{"key": {"help"}, "name": {"Helpdesk"}, "email": {"help@alpha.example"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %.300s", r.Status, r.Body)
	}
	loc := r.Header.Get("Location")
	g, err := h.st.AgentGroupByKey(h.ctx(), A.T.ID, "help")
	if err != nil || !strings.HasPrefix(loc, fmt.Sprintf("%s/groups/%d", base, g.ID)) || g.RingTimeoutSeconds != store.DefaultRingTimeoutSeconds {
		t.Fatalf("created %+v, %v, location %s", g, err, loc)
	}
	gpage := fmt.Sprintf("%s/groups/%d", base, g.ID)
	r = h.page(A.Admin, "GET", gpage, nil)
	if r.Status != 200 || !strings.Contains(r.Body, `value="help@alpha.example"`) || !strings.Contains(r.Body, `name="ring_timeout_seconds" value="15"`) {
		t.Fatalf("group page: %d", r.Status)
	}

	all := url.Values{"key": {"help"}, "name": {"Helpdesk"}, "email": {""}, "strategy": {"longest_idle"}, "min_level": {"7"},
		"relax": {"30:5, 90:2"}, "priority": {"2"}, "ring_timeout_seconds": {"20"}, "wrap_up_seconds": {"5"},
		"max_wait_seconds": {"300"}, "max_queue": {"12"}, "announce_every_seconds": {"45"}, "moh_class": {"jazz"},
		"target_percent": {"90"}, "target_within_seconds": {"15"}, "closed": {"on"}}
	bad := url.Values{}
	for k, v := range all {
		bad[k] = v
	}
	bad.Set("relax", "30:5, 20:2")
	before, beforeChanges := h.auditCount(), *changes
	r = h.page(A.Admin, "POST", gpage, bad)
	if r.Status != 422 || !strings.Contains(r.Body, `id="err-relax"`) || !strings.Contains(r.Body, `value="30:5, 20:2"`) {
		t.Fatalf("bad relax: %d", r.Status)
	}
	if h.auditCount() != before || *changes != beforeChanges {
		t.Error("a refused save changed data or ran OnChange")
	}
	bad.Set("relax", "")
	bad.Set("wrap_up_seconds", "soon")
	if r := h.page(A.Admin, "POST", gpage, bad); r.Status != 422 || !strings.Contains(r.Body, `aria-invalid="true" aria-describedby="err-wrap_up_seconds"`) {
		t.Fatalf("bad wrap-up: %d", r.Status)
	}
	if r := h.page(A.Admin, "POST", gpage, all); r.Status != http.StatusSeeOther {
		t.Fatalf("save: %d %.500s", r.Status, r.Body)
	}
	g, _ = h.st.GetAgentGroup(h.ctx(), A.T.ID, g.ID)
	if g.Strategy != store.StrategyLongestIdle || g.MinLevel != 7 || store.FormatRelax(g.RelaxSteps()) != "30:5, 90:2" || g.Priority != 2 ||
		g.RingTimeoutSeconds != 20 || g.WrapUpSeconds != 5 || g.MaxWaitSeconds != 300 || g.MaxQueue != 12 || g.AnnounceEverySeconds != 45 ||
		g.MOHClass != "jazz" || g.TargetPercent != 90 || g.TargetWithinSeconds != 15 || !g.Closed || g.Email != nil {
		t.Errorf("saved group = %+v", g)
	}

	// Members: add, change level, remove.
	agentID := h.acdObj(A, "agent")
	if r := h.page(A.Admin, "POST", gpage+"/members", url.Values{"agent_id": {fmt.Sprint(agentID)}, "level": {"11"}}); r.Status != 422 || !strings.Contains(r.Body, `id="err-level"`) {
		t.Fatalf("level 11: %d", r.Status)
	}
	if r := h.page(A.Admin, "POST", gpage+"/members", url.Values{"level": {"3"}}); r.Status != 422 || !strings.Contains(r.Body, `id="err-agent_id"`) {
		t.Fatalf("no agent: %d", r.Status)
	}
	for _, lv := range []string{"3", "9"} {
		if r := h.page(A.Admin, "POST", gpage+"/members", url.Values{"agent_id": {fmt.Sprint(agentID)}, "level": {lv}}); r.Status != http.StatusSeeOther {
			t.Fatalf("member level %s: %d", lv, r.Status)
		}
	}
	ms, _ := h.st.ListMemberships(h.ctx(), A.T.ID)
	found := false
	for _, m := range ms {
		found = found || (m.GroupID == g.ID && m.AgentID == agentID && m.Level == 9)
	}
	if !found {
		t.Errorf("memberships = %+v", ms)
	}
	r = h.page(A.Sup, "GET", gpage, nil)
	if r.Status != 200 || !strings.Contains(r.Body, "Agent of "+A.T.Name) || strings.Contains(r.Body, `id="member-form"`) || !strings.Contains(r.Body, "disabled") {
		t.Errorf("supervisor's view of the group: %d", r.Status)
	}
	if r := h.page(A.Sup, "POST", gpage, all); r.Status != http.StatusForbidden {
		t.Errorf("supervisor saves: %d", r.Status)
	}
	if r := h.page(A.Admin, "POST", fmt.Sprintf("%s/members/%d/delete", gpage, agentID), nil); r.Status != http.StatusSeeOther {
		t.Fatalf("remove member: %d", r.Status)
	}

	// Delete, refused while a tree uses the group.
	doc := `{"id":"q","start":"g","nodes":[{"id":"g","type":"group","group":"help"}]}`
	tr := &store.RoutingTree{TenantID: A.T.ID, Key: "q"}
	if _, err := h.st.CreateTree(h.ctx(), store.System, tr, []byte(doc), ""); err != nil {
		t.Fatal(err)
	}
	if r := h.page(A.Admin, "POST", gpage+"/delete", nil); r.Status != http.StatusConflict || !strings.Contains(r.Body, "is used by routing tree q") {
		t.Fatalf("delete a used group: %d", r.Status)
	}
	// The tree editor offers the tenant's group keys.
	if r := h.page(A.Admin, "GET", fmt.Sprintf("%s/trees/%d", base, tr.ID), nil); r.Status != 200 || !strings.Contains(r.Body, `&#34;groups&#34;:[&#34;help&#34;,&#34;sales&#34;]`) {
		t.Errorf("editor config without the groups: %d", r.Status)
	}
	if err := h.st.DeleteTree(h.ctx(), store.System, A.T.ID, tr.ID); err != nil {
		t.Fatal(err)
	}
	if r := h.page(A.Admin, "POST", gpage+"/delete", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("delete: %d", r.Status)
	}
}

// TestACDAgentAndPausePages drives the agent and pause reason pages.
func TestACDAgentAndPausePages(t *testing.T) {
	h, _ := acdHarness(t)
	A := h.A
	base := fmt.Sprintf("/tenants/%d", A.T.ID)

	r := h.page(A.Admin, "GET", base+"/agents", nil)
	if r.Status != 200 || !strings.Contains(r.Body, "Agent of "+A.T.Name) || !strings.Contains(r.Body, A.Sup.Email) || strings.Contains(r.Body, `value="`+fmt.Sprint(A.RO.ID)+`">`) {
		t.Fatalf("agents page: %d", r.Status)
	}
	if r := h.page(A.Admin, "POST", base+"/agents", url.Values{"user_id": {fmt.Sprint(A.RO.ID)}, "name": {"Read Only"}}); r.Status != 422 || !strings.Contains(r.Body, `id="err-user_id"`) || !strings.Contains(r.Body, "Read Only") {
		t.Fatalf("read-only user as agent: %d", r.Status)
	}
	if r := h.page(A.Admin, "POST", base+"/agents", url.Values{"user_id": {fmt.Sprint(A.Sup.ID)}, "max_emails": {"30"}}); r.Status != 422 || !strings.Contains(r.Body, `id="err-max_emails"`) {
		t.Fatalf("max e-mails 30: %d", r.Status)
	}
	r = h.page(A.Admin, "POST", base+"/agents", url.Values{"user_id": {fmt.Sprint(A.Sup.ID)}, "max_emails": {"2"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create agent: %d %.300s", r.Status, r.Body)
	}
	ag, err := h.st.AgentByUser(h.ctx(), A.Sup.ID)
	if err != nil || ag.MaxEmails != 2 || ag.Name != A.Sup.Name {
		t.Fatalf("agent = %+v, %v", ag, err)
	}
	apage := fmt.Sprintf("%s/agents/%d", base, ag.ID)
	if r := h.page(A.Admin, "POST", apage, url.Values{"name": {""}, "max_emails": {"2"}}); r.Status != 422 || !strings.Contains(r.Body, `id="err-name"`) {
		t.Fatalf("empty name: %d", r.Status)
	}
	if r := h.page(A.Admin, "POST", apage, url.Values{"name": {"Sue"}, "max_emails": {"5"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("save agent: %d", r.Status)
	}
	if r := h.page(A.RO, "GET", apage, nil); r.Status != 200 || !strings.Contains(r.Body, "Sue") || strings.Contains(r.Body, `id="agent-form"`) {
		t.Errorf("read-only view of the agent: %d", r.Status)
	}
	if r := h.page(A.Admin, "POST", apage+"/delete", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("delete agent: %d", r.Status)
	}
	if _, err := h.st.GetUser(h.ctx(), A.Sup.ID); err != nil {
		t.Errorf("the agent's user went with it: %v", err)
	}

	if r := h.page(A.Admin, "POST", base+"/pause-reasons", url.Values{"name": {"lunch"}}); r.Status != http.StatusConflict || !strings.Contains(r.Body, `id="err-name"`) {
		t.Fatalf("duplicate reason: %d", r.Status)
	}
	if r := h.page(A.Admin, "POST", base+"/pause-reasons", url.Values{"name": {"coffee"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("add reason: %d", r.Status)
	}
	r = h.page(A.Sup, "GET", base+"/pause-reasons", nil)
	if r.Status != 200 || !strings.Contains(r.Body, "coffee") || strings.Contains(r.Body, `id="reason-form"`) {
		t.Errorf("supervisor's view of the reasons: %d", r.Status)
	}
	if r := h.page(A.Admin, "POST", fmt.Sprintf("%s/pause-reasons/%d/delete", base, h.acdObj(A, "pause")), nil); r.Status != http.StatusSeeOther {
		t.Errorf("delete reason: %d", r.Status)
	}
}

// TestACDGroupsInBrowser fills the group forms in Chromium: create a
// group, a refused save shown with the error on its field and the input
// kept, a save of the settings, an agent added with its level.
func TestACDGroupsInBrowser(t *testing.T) {
	b := browsertest.Start(t, browsertest.Options{})
	h, _ := acdHarness(t)
	A := h.A
	srv := httptest.NewServer(h.srv.Handler())
	defer srv.Close()
	tok, _ := h.session(A.Admin)
	browsertest.Run(b, "set the session cookie", func(ctx context.Context, tg *chromedp.Target) (cdp.Empty, error) {
		return cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{Name: sessionCookie, Value: tok, URL: srv.URL})
	})
	if st := b.Navigate(fmt.Sprintf("%s/tenants/%d/groups", srv.URL, A.T.ID)); st != http.StatusOK {
		t.Fatalf("groups page: %d", st)
	}
	b.Fill("#group-form input[name=key]", "support")
	b.Fill("#group-form input[name=name]", "Support desk")
	b.Fill("#group-form input[name=email]", "support@alpha.example")
	if st := b.Submit("#group-form button[type=submit]"); st != http.StatusOK {
		t.Fatalf("create: %d", st)
	}
	if got := b.Value("#group-form input[name=ring_timeout_seconds]"); got != "15" {
		t.Errorf("ring time on the new group's page = %q", got)
	}
	b.Fill("#group-form input[name=min_level]", "6")
	b.Fill("#group-form input[name=relax]", "30:7")
	if st := b.Submit("#group-form button[type=submit]"); st != http.StatusUnprocessableEntity {
		t.Fatalf("bad relax: %d", st)
	}
	if !b.Visible("#err-relax") || b.Value("#group-form input[name=relax]") != "30:7" {
		t.Fatalf("no error on the relax field, or the input is lost")
	}
	if dir := os.Getenv("VMS_SCREENSHOTS"); dir != "" {
		b.Screenshot(dir + "/group-error.png")
	}
	b.Fill("#group-form input[name=relax]", "30:4, 60:1")
	b.Fill("#group-form select[name=strategy]", "longest_idle")
	if st := b.Submit("#group-form button[type=submit]"); st != http.StatusOK {
		t.Fatalf("save: %d", st)
	}
	b.Fill("#member-form select[name=agent_id]", fmt.Sprint(h.acdObj(A, "agent")))
	b.Fill("#member-form select[name=level]", "8")
	if st := b.Submit("#member-form button[type=submit]"); st != http.StatusOK {
		t.Fatalf("add member: %d", st)
	}
	if got := b.Text("#members tbody tr td[data-label=Level]"); got != "8" {
		t.Errorf("member level shown = %q", got)
	}
	if dir := os.Getenv("VMS_SCREENSHOTS"); dir != "" {
		b.Screenshot(dir + "/group.png")
	}
	g, err := h.st.AgentGroupByKey(h.ctx(), A.T.ID, "support")
	if err != nil || g.Strategy != store.StrategyLongestIdle || store.FormatRelax(g.RelaxSteps()) != "30:4, 60:1" || g.EmailAddress() != "support@alpha.example" {
		t.Fatalf("saved group = %+v, %v", g, err)
	}
	// The refused save answers 422, which the browser logs; nothing else.
	for _, e := range b.ConsoleErrors() {
		if !strings.Contains(e, "422") {
			t.Errorf("console error: %s", e)
		}
	}
}
