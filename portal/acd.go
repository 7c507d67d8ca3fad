package portal

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/access"
	"github.com/vmsplatform/vms/formula"
	"github.com/vmsplatform/vms/store"
)

// The contact centre configuration (ACM-1..ACM-4): groups with their
// settings and members, agents and pause reasons. Every route needs the
// ACM component (FRM-2); supervisors and read-only users may read, writes
// need the write permission. After each change Config.OnChange runs, so
// the live contact centre picks the new configuration up.

// acdFlashes are the messages the contact centre pages show after a
// redirect; only these keys are accepted.
var acdFlashes = map[string]string{
	"group-created":  "Group created.",
	"group-saved":    "Group settings saved.",
	"group-deleted":  "Group deleted.",
	"member-set":     "Member saved.",
	"member-gone":    "Agent removed from the group.",
	"agent-created":  "Agent created.",
	"agent-saved":    "Agent saved.",
	"agent-deleted":  "Agent deleted.",
	"reason-created": "Pause reason added.",
	"reason-deleted": "Pause reason deleted.",
}

func acdPageData(c echo.Context, title string) map[string]any {
	data := pageData(title)
	if f := acdFlashes[c.QueryParam("done")]; f != "" {
		data["Flash"] = f
	}
	return data
}

// registerACD registers the contact centre configuration.
func (s *Server) registerACD(api *apiRouter, web *echo.Group) {
	// Agents and groups come with ACM, and with Outbound campaigns (the
	// operators a called person is connected to); group e-mail addresses
	// with ACM only (groupEmailAllowed).
	acm := s.requireAnyComponent(contactCentre...)
	comp := string(formula.ACM)
	op := func(summary string, in, out any, status int) apiOp {
		return apiOp{Summary: summary, Tag: "contact centre", In: in, Out: out, Status: status, Component: comp}
	}
	api.handle(http.MethodGet, "/tenants/:tid/groups", s.apiListGroups, op("A customer's agent groups", nil, []acdGroupView{}, 0), acm)
	api.handle(http.MethodPost, "/tenants/:tid/groups", s.apiCreateGroup, op("Create an agent group; unset settings take their defaults", acdGroupInput{}, acdGroupView{}, http.StatusCreated), acm)
	api.handle(http.MethodGet, "/tenants/:tid/groups/:id", s.apiGetGroup, op("An agent group with its members", nil, acdGroupView{}, 0), acm)
	api.handle(http.MethodPatch, "/tenants/:tid/groups/:id", s.apiUpdateGroup, op("Change settings of an agent group; unset fields stay", acdGroupInput{}, acdGroupView{}, 0), acm)
	api.handle(http.MethodDelete, "/tenants/:tid/groups/:id", s.apiDeleteGroup, op("Delete an agent group no routing tree uses", nil, nil, http.StatusNoContent), acm)
	api.handle(http.MethodPut, "/tenants/:tid/groups/:id/members/:agent", s.apiSetGroupMember, op("Put an agent in the group with a competence level, or change its level", acdMemberInput{}, acdMemberView{}, 0), acm)
	api.handle(http.MethodDelete, "/tenants/:tid/groups/:id/members/:agent", s.apiRemoveGroupMember, op("Take an agent out of the group", nil, nil, http.StatusNoContent), acm)
	api.handle(http.MethodGet, "/tenants/:tid/agents", s.apiListAgents, op("A customer's agents with their groups", nil, []acdAgentView{}, 0), acm)
	api.handle(http.MethodPost, "/tenants/:tid/agents", s.apiCreateAgent, op("Make a user with the role agent or supervisor an agent", acdAgentInput{}, acdAgentView{}, http.StatusCreated), acm)
	api.handle(http.MethodGet, "/tenants/:tid/agents/:id", s.apiGetAgent, op("An agent with its groups", nil, acdAgentView{}, 0), acm)
	api.handle(http.MethodPatch, "/tenants/:tid/agents/:id", s.apiUpdateAgent, op("Change an agent's name or e-mail capacity", acdAgentInput{}, acdAgentView{}, 0), acm)
	api.handle(http.MethodDelete, "/tenants/:tid/agents/:id", s.apiDeleteAgent, op("Delete an agent (its user account stays)", nil, nil, http.StatusNoContent), acm)
	api.handle(http.MethodGet, "/tenants/:tid/pause-reasons", s.apiListPauseReasons, op("The reasons agents may pause with", nil, []acdPauseReasonView{}, 0), acm)
	api.handle(http.MethodPost, "/tenants/:tid/pause-reasons", s.apiCreatePauseReason, op("Add a pause reason", acdPauseReasonInput{}, acdPauseReasonView{}, http.StatusCreated), acm)
	api.handle(http.MethodDelete, "/tenants/:tid/pause-reasons/:id", s.apiDeletePauseReason, op("Delete a pause reason", nil, nil, http.StatusNoContent), acm)

	web.GET("/tenants/:tid/groups", s.groupsPage, acm)
	web.POST("/tenants/:tid/groups", s.groupCreate, acm)
	web.GET("/tenants/:tid/groups/:id", s.groupPage, acm)
	web.POST("/tenants/:tid/groups/:id", s.groupSave, acm)
	web.POST("/tenants/:tid/groups/:id/delete", s.groupDelete, acm)
	web.POST("/tenants/:tid/groups/:id/members", s.groupMemberSet, acm)
	web.POST("/tenants/:tid/groups/:id/members/:agent/delete", s.groupMemberRemove, acm)
	web.GET("/tenants/:tid/agents", s.agentsPage, acm)
	web.POST("/tenants/:tid/agents", s.agentCreate, acm)
	web.GET("/tenants/:tid/agents/:id", s.agentPage, acm)
	web.POST("/tenants/:tid/agents/:id", s.agentSave, acm)
	web.POST("/tenants/:tid/agents/:id/delete", s.agentDelete, acm)
	web.GET("/tenants/:tid/pause-reasons", s.pauseReasonsPage, acm)
	web.POST("/tenants/:tid/pause-reasons", s.pauseReasonCreate, acm)
	web.POST("/tenants/:tid/pause-reasons/:id/delete", s.pauseReasonDelete, acm)
}

// ---- views and inputs ----

type acdRelaxStep struct {
	AfterSeconds int `json:"after_seconds" doc:"how long the first caller has waited"`
	MinLevel     int `json:"min_level" doc:"the lowest level offered from then on"`
}

type acdGroupInput struct {
	Key                  *string         `json:"key,omitempty" doc:"the id routing trees use: lower-case letters, digits, '-', '_'"`
	Name                 *string         `json:"name,omitempty"`
	Strategy             *string         `json:"strategy,omitempty" doc:"level_then_longest_idle (default) or longest_idle"`
	Priority             *int            `json:"priority,omitempty" doc:"for agents of several groups: higher is served first"`
	MinLevel             *int            `json:"min_level,omitempty" doc:"lowest level offered a new caller, 1..10; 0 = every member"`
	Relax                *[]acdRelaxStep `json:"relax,omitempty" doc:"steps lowering the level as the first caller waits"`
	MaxWaitSeconds       *int            `json:"max_wait_seconds,omitempty" doc:"0 = no limit"`
	MaxQueue             *int            `json:"max_queue,omitempty" doc:"0 = no limit"`
	RingTimeoutSeconds   *int            `json:"ring_timeout_seconds,omitempty" doc:"5..120, default 15"`
	WrapUpSeconds        *int            `json:"wrap_up_seconds,omitempty" doc:"0..600, default 10"`
	AnnounceEverySeconds *int            `json:"announce_every_seconds,omitempty" doc:"0 (none) or 10..600, default 30"`
	MOHClass             *string         `json:"moh_class,omitempty" doc:"music on hold class; empty = default"`
	TargetPercent        *int            `json:"target_percent,omitempty" doc:"service level target, default 80"`
	TargetWithinSeconds  *int            `json:"target_within_seconds,omitempty" doc:"default 20"`
	Closed               *bool           `json:"closed,omitempty" doc:"refuses new callers"`
	Email                *string         `json:"email,omitempty" doc:"address the group receives mail at; empty = none"`
}

type acdMemberView struct {
	AgentID uint   `json:"agent_id"`
	Agent   string `json:"agent"`
	GroupID uint   `json:"group_id"`
	Group   string `json:"group"`
	Level   int    `json:"level"`
}

type acdGroupView struct {
	ID                   uint            `json:"id"`
	Key                  string          `json:"key"`
	Name                 string          `json:"name"`
	Strategy             string          `json:"strategy"`
	Priority             int             `json:"priority"`
	MinLevel             int             `json:"min_level"`
	Relax                []acdRelaxStep  `json:"relax"`
	MaxWaitSeconds       int             `json:"max_wait_seconds"`
	MaxQueue             int             `json:"max_queue"`
	RingTimeoutSeconds   int             `json:"ring_timeout_seconds"`
	WrapUpSeconds        int             `json:"wrap_up_seconds"`
	AnnounceEverySeconds int             `json:"announce_every_seconds"`
	MOHClass             string          `json:"moh_class"`
	TargetPercent        int             `json:"target_percent"`
	TargetWithinSeconds  int             `json:"target_within_seconds"`
	Closed               bool            `json:"closed"`
	Email                string          `json:"email"`
	Members              []acdMemberView `json:"members"`
}

type acdMemberInput struct {
	Level int `json:"level" doc:"competence level 1..10"`
}

type acdAgentInput struct {
	UserID    *uint   `json:"user_id,omitempty" doc:"a user of the customer with the role agent or supervisor (creation only)"`
	Name      *string `json:"name,omitempty" doc:"default: the user's name"`
	MaxEmails *int    `json:"max_emails,omitempty" doc:"e-mails handled at once, 0..20, default 3"`
}

type acdAgentView struct {
	ID        uint            `json:"id"`
	UserID    uint            `json:"user_id"`
	UserEmail string          `json:"user_email"`
	Name      string          `json:"name"`
	MaxEmails int             `json:"max_emails"`
	Endpoint  string          `json:"endpoint" doc:"the agent's SIP endpoint"`
	Groups    []acdMemberView `json:"groups"`
}

type acdPauseReasonInput struct {
	Name string `json:"name"`
}

type acdPauseReasonView struct {
	ID   uint   `json:"id"`
	Name string `json:"name"`
}

// agentEndpoint is the SIP endpoint name of an agent (center.Endpoint).
func agentEndpoint(id uint) string { return fmt.Sprintf("vmsagent%d", id) }

// acdData is a tenant's groups, agents and memberships, for views.
type acdData struct {
	Groups  []store.AgentGroup
	Agents  []store.Agent
	Members []store.AgentMembership
	group   map[uint]*store.AgentGroup
	agent   map[uint]*store.Agent
}

func (s *Server) loadACD(c echo.Context, tenantID uint) (*acdData, error) {
	ctx := c.Request().Context()
	d := &acdData{group: map[uint]*store.AgentGroup{}, agent: map[uint]*store.Agent{}}
	var err error
	if d.Groups, err = s.store.ListAgentGroups(ctx, tenantID); err != nil {
		return nil, err
	}
	if d.Agents, err = s.store.ListAgents(ctx, tenantID); err != nil {
		return nil, err
	}
	if d.Members, err = s.store.ListMemberships(ctx, tenantID); err != nil {
		return nil, err
	}
	for i := range d.Groups {
		d.group[d.Groups[i].ID] = &d.Groups[i]
	}
	for i := range d.Agents {
		d.agent[d.Agents[i].ID] = &d.Agents[i]
	}
	return d, nil
}

func (d *acdData) member(m store.AgentMembership) acdMemberView {
	v := acdMemberView{AgentID: m.AgentID, GroupID: m.GroupID, Level: m.Level}
	if a := d.agent[m.AgentID]; a != nil {
		v.Agent = a.Name
	}
	if g := d.group[m.GroupID]; g != nil {
		v.Group = g.Key
	}
	return v
}

// membersOf returns the members of a group, best level first.
func (d *acdData) membersOf(groupID uint) []acdMemberView {
	out := []acdMemberView{}
	for _, m := range d.Members {
		if m.GroupID == groupID {
			out = append(out, d.member(m))
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Level != out[j].Level {
			return out[i].Level > out[j].Level
		}
		return out[i].Agent < out[j].Agent
	})
	return out
}

// groupsOf returns the groups of an agent by key.
func (d *acdData) groupsOf(agentID uint) []acdMemberView {
	out := []acdMemberView{}
	for _, m := range d.Members {
		if m.AgentID == agentID {
			out = append(out, d.member(m))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Group < out[j].Group })
	return out
}

func viewGroup(g *store.AgentGroup, d *acdData) acdGroupView {
	v := acdGroupView{ID: g.ID, Key: g.Key, Name: g.Name, Strategy: g.Strategy, Priority: g.Priority, MinLevel: g.MinLevel,
		Relax: []acdRelaxStep{}, MaxWaitSeconds: g.MaxWaitSeconds, MaxQueue: g.MaxQueue, RingTimeoutSeconds: g.RingTimeoutSeconds,
		WrapUpSeconds: g.WrapUpSeconds, AnnounceEverySeconds: g.AnnounceEverySeconds, MOHClass: g.MOHClass,
		TargetPercent: g.TargetPercent, TargetWithinSeconds: g.TargetWithinSeconds, Closed: g.Closed, Email: g.EmailAddress(),
		Members: []acdMemberView{}}
	for _, st := range g.RelaxSteps() {
		v.Relax = append(v.Relax, acdRelaxStep(st))
	}
	if d != nil {
		v.Members = d.membersOf(g.ID)
	}
	return v
}

func (s *Server) viewAgent(c echo.Context, a *store.Agent, d *acdData) acdAgentView {
	v := acdAgentView{ID: a.ID, UserID: a.UserID, Name: a.Name, MaxEmails: a.MaxEmails, Endpoint: agentEndpoint(a.ID), Groups: []acdMemberView{}}
	if u, err := s.store.GetUser(c.Request().Context(), a.UserID); err == nil {
		v.UserEmail = u.Email
	}
	if d != nil {
		v.Groups = d.groupsOf(a.ID)
	}
	return v
}

// applyGroupInput sets the fields in of g.
func applyGroupInput(g *store.AgentGroup, in acdGroupInput) {
	set := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	if in.Key != nil {
		g.Key = *in.Key
	}
	if in.Name != nil {
		g.Name = *in.Name
	}
	if in.Strategy != nil {
		g.Strategy = *in.Strategy
	}
	set(&g.Priority, in.Priority)
	set(&g.MinLevel, in.MinLevel)
	if in.Relax != nil {
		steps := make([]store.RelaxStep, len(*in.Relax))
		for i, st := range *in.Relax {
			steps[i] = store.RelaxStep(st)
		}
		g.SetRelaxSteps(steps)
	}
	set(&g.MaxWaitSeconds, in.MaxWaitSeconds)
	set(&g.MaxQueue, in.MaxQueue)
	set(&g.RingTimeoutSeconds, in.RingTimeoutSeconds)
	set(&g.WrapUpSeconds, in.WrapUpSeconds)
	set(&g.AnnounceEverySeconds, in.AnnounceEverySeconds)
	if in.MOHClass != nil {
		g.MOHClass = *in.MOHClass
	}
	set(&g.TargetPercent, in.TargetPercent)
	set(&g.TargetWithinSeconds, in.TargetWithinSeconds)
	if in.Closed != nil {
		g.Closed = *in.Closed
	}
	if in.Email != nil {
		e := strings.TrimSpace(*in.Email)
		if e == "" {
			g.Email = nil
		} else {
			g.Email = &e
		}
	}
}

func (s *Server) acdGroup(c echo.Context, t *store.Tenant) (*store.AgentGroup, error) {
	id, err := idParam(c, "id")
	if err != nil {
		return nil, err
	}
	return s.store.GetAgentGroup(c.Request().Context(), t.ID, id)
}

func (s *Server) acdAgent(c echo.Context, t *store.Tenant, param string) (*store.Agent, error) {
	id, err := idParam(c, param)
	if err != nil {
		return nil, err
	}
	return s.store.GetAgent(c.Request().Context(), t.ID, id)
}

// ---- API: groups ----

func (s *Server) apiListGroups(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	d, err := s.loadACD(c, t.ID)
	if err != nil {
		return err
	}
	out := make([]acdGroupView, 0, len(d.Groups))
	for i := range d.Groups {
		out = append(out, viewGroup(&d.Groups[i], d))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) groupJSON(c echo.Context, status int, t *store.Tenant, id uint) error {
	d, err := s.loadACD(c, t.ID)
	if err != nil {
		return err
	}
	g := d.group[id]
	if g == nil {
		return vms.Errorf(vms.ENOTFOUND, "group %d not found", id)
	}
	return c.JSON(status, viewGroup(g, d))
}

func (s *Server) apiCreateGroup(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	var in acdGroupInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	g := store.DefaultAgentGroup(t.ID)
	applyGroupInput(&g, in)
	if err := groupEmailAllowed(t, &g); err != nil {
		return err
	}
	if err := s.store.CreateAgentGroup(c.Request().Context(), actor(c), &g); err != nil {
		return err
	}
	return s.groupJSON(c, http.StatusCreated, t, g.ID)
}

func (s *Server) apiGetGroup(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	g, err := s.acdGroup(c, t)
	if err != nil {
		return err
	}
	return s.groupJSON(c, http.StatusOK, t, g.ID)
}

func (s *Server) apiUpdateGroup(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	g, err := s.acdGroup(c, t)
	if err != nil {
		return err
	}
	var in acdGroupInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	applyGroupInput(g, in)
	if err := groupEmailAllowed(t, g); err != nil {
		return err
	}
	if err := s.store.UpdateAgentGroup(c.Request().Context(), actor(c), g); err != nil {
		return err
	}
	return s.groupJSON(c, http.StatusOK, t, g.ID)
}

func (s *Server) apiDeleteGroup(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	g, err := s.acdGroup(c, t)
	if err != nil {
		return err
	}
	if err := s.store.DeleteAgentGroup(c.Request().Context(), actor(c), t.ID, g.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) apiSetGroupMember(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	g, err := s.acdGroup(c, t)
	if err != nil {
		return err
	}
	a, err := s.acdAgent(c, t, "agent")
	if err != nil {
		return err
	}
	var in acdMemberInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	m, err := s.store.SetMembership(c.Request().Context(), actor(c), t.ID, a.ID, g.ID, in.Level)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, acdMemberView{AgentID: a.ID, Agent: a.Name, GroupID: g.ID, Group: g.Key, Level: m.Level})
}

func (s *Server) apiRemoveGroupMember(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	g, err := s.acdGroup(c, t)
	if err != nil {
		return err
	}
	a, err := s.acdAgent(c, t, "agent")
	if err != nil {
		return err
	}
	if err := s.store.RemoveMembership(c.Request().Context(), actor(c), t.ID, a.ID, g.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// ---- API: agents ----

func (s *Server) apiListAgents(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	d, err := s.loadACD(c, t.ID)
	if err != nil {
		return err
	}
	out := make([]acdAgentView, 0, len(d.Agents))
	for i := range d.Agents {
		out = append(out, s.viewAgent(c, &d.Agents[i], d))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) agentJSON(c echo.Context, status int, t *store.Tenant, id uint) error {
	d, err := s.loadACD(c, t.ID)
	if err != nil {
		return err
	}
	a := d.agent[id]
	if a == nil {
		return vms.Errorf(vms.ENOTFOUND, "agent %d not found", id)
	}
	return c.JSON(status, s.viewAgent(c, a, d))
}

func (s *Server) createAgent(c echo.Context, t *store.Tenant, in acdAgentInput) (*store.Agent, error) {
	if in.UserID == nil || *in.UserID == 0 {
		return nil, vms.FieldError("user_id", "is required: choose a user with the role agent or supervisor")
	}
	a := &store.Agent{TenantID: t.ID, UserID: *in.UserID, MaxEmails: store.DefaultMaxEmails}
	if in.Name != nil {
		a.Name = *in.Name
	}
	if in.MaxEmails != nil {
		a.MaxEmails = *in.MaxEmails
	}
	if err := s.store.CreateAgent(c.Request().Context(), actor(c), a); err != nil {
		return nil, err
	}
	return a, nil
}

func (s *Server) apiCreateAgent(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	var in acdAgentInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	a, err := s.createAgent(c, t, in)
	if err != nil {
		return err
	}
	return s.agentJSON(c, http.StatusCreated, t, a.ID)
}

func (s *Server) apiGetAgent(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	a, err := s.acdAgent(c, t, "id")
	if err != nil {
		return err
	}
	return s.agentJSON(c, http.StatusOK, t, a.ID)
}

func (s *Server) apiUpdateAgent(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	a, err := s.acdAgent(c, t, "id")
	if err != nil {
		return err
	}
	var in acdAgentInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.UserID != nil && *in.UserID != a.UserID {
		return vms.FieldError("user_id", "cannot change: delete the agent and create one for the other user")
	}
	if in.Name != nil {
		a.Name = *in.Name
	}
	if in.MaxEmails != nil {
		a.MaxEmails = *in.MaxEmails
	}
	if err := s.store.UpdateAgent(c.Request().Context(), actor(c), a); err != nil {
		return err
	}
	return s.agentJSON(c, http.StatusOK, t, a.ID)
}

func (s *Server) apiDeleteAgent(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	a, err := s.acdAgent(c, t, "id")
	if err != nil {
		return err
	}
	if err := s.store.DeleteAgent(c.Request().Context(), actor(c), t.ID, a.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// ---- API: pause reasons ----

func (s *Server) apiListPauseReasons(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	rs, err := s.store.ListPauseReasons(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	out := make([]acdPauseReasonView, 0, len(rs))
	for _, r := range rs {
		out = append(out, acdPauseReasonView{ID: r.ID, Name: r.Name})
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) createPauseReason(c echo.Context, t *store.Tenant, in acdPauseReasonInput) (*store.PauseReason, error) {
	name, err := cleanText("name", in.Name, true, 64)
	if err != nil {
		return nil, err
	}
	r := &store.PauseReason{TenantID: t.ID, Name: name}
	if err := s.store.CreatePauseReason(c.Request().Context(), actor(c), r); err != nil {
		return nil, err
	}
	return r, nil
}

func (s *Server) apiCreatePauseReason(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	var in acdPauseReasonInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	r, err := s.createPauseReason(c, t, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, acdPauseReasonView{ID: r.ID, Name: r.Name})
}

func (s *Server) apiDeletePauseReason(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := s.store.DeletePauseReason(c.Request().Context(), actor(c), t.ID, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// ---- pages ----

// groupFormFields are the inputs of the group form, in order.
var groupFormFields = []string{"key", "name", "strategy", "priority", "min_level", "relax", "max_wait_seconds", "max_queue",
	"ring_timeout_seconds", "wrap_up_seconds", "announce_every_seconds", "moh_class", "target_percent", "target_within_seconds", "email"}

// groupForm is the form input showing g.
func groupForm(g *store.AgentGroup) map[string]string {
	f := map[string]string{
		"key": g.Key, "name": g.Name, "strategy": g.Strategy, "priority": strconv.Itoa(g.Priority),
		"min_level": strconv.Itoa(g.MinLevel), "relax": store.FormatRelax(g.RelaxSteps()),
		"max_wait_seconds": strconv.Itoa(g.MaxWaitSeconds), "max_queue": strconv.Itoa(g.MaxQueue),
		"ring_timeout_seconds": strconv.Itoa(g.RingTimeoutSeconds), "wrap_up_seconds": strconv.Itoa(g.WrapUpSeconds),
		"announce_every_seconds": strconv.Itoa(g.AnnounceEverySeconds), "moh_class": g.MOHClass,
		"target_percent": strconv.Itoa(g.TargetPercent), "target_within_seconds": strconv.Itoa(g.TargetWithinSeconds),
		"email": g.EmailAddress(), "closed": "",
	}
	if g.Closed {
		f["closed"] = "on"
	}
	return f
}

// readGroupForm reads the posted group form into g; form keeps the input
// to show again. A blank number is 0, or keeps g's value when keepBlank
// (a new group keeps its defaults).
func readGroupForm(c echo.Context, g *store.AgentGroup, keepBlank bool) (map[string]string, error) {
	form := map[string]string{}
	for _, k := range groupFormFields {
		form[k] = c.FormValue(k)
	}
	form["closed"] = ""
	if checked(c, "closed") {
		form["closed"] = "on"
	}
	ints := map[string]*int{
		"priority": &g.Priority, "min_level": &g.MinLevel, "max_wait_seconds": &g.MaxWaitSeconds, "max_queue": &g.MaxQueue,
		"ring_timeout_seconds": &g.RingTimeoutSeconds, "wrap_up_seconds": &g.WrapUpSeconds,
		"announce_every_seconds": &g.AnnounceEverySeconds, "target_percent": &g.TargetPercent,
		"target_within_seconds": &g.TargetWithinSeconds,
	}
	for _, k := range groupFormFields {
		dst, ok := ints[k]
		if !ok {
			continue
		}
		v := strings.TrimSpace(form[k])
		if v == "" {
			if !keepBlank {
				*dst = 0
			}
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return form, vms.FieldError(k, "must be a whole number")
		}
		*dst = n
	}
	for _, k := range []string{"key", "name", "moh_class"} {
		if _, err := cleanText(k, form[k], false, maxName); err != nil {
			return form, err
		}
	}
	g.Key, g.Name, g.Strategy, g.MOHClass = form["key"], form["name"], form["strategy"], form["moh_class"]
	g.Closed = form["closed"] == "on"
	steps, err := store.ParseRelax(form["relax"])
	if err != nil {
		return form, err
	}
	g.SetRelaxSteps(steps)
	if e := strings.TrimSpace(form["email"]); e != "" {
		g.Email = &e
	} else {
		g.Email = nil
	}
	return form, nil
}

func (s *Server) groupsPage(c echo.Context) error {
	return s.renderGroups(c, http.StatusOK, acdPageData(c, "Groups"))
}

func (s *Server) renderGroups(c echo.Context, status int, data map[string]any) error {
	t, p, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	d, err := s.loadACD(c, t.ID)
	if err != nil {
		return err
	}
	views := make([]acdGroupView, 0, len(d.Groups))
	for i := range d.Groups {
		views = append(views, viewGroup(&d.Groups[i], d))
	}
	data["Tenant"] = t
	data["Groups"] = views
	data["CanWrite"] = p.CanWrite(t.ID) == nil
	def := store.DefaultAgentGroup(t.ID)
	setDefaultForm(data, "group", groupForm(&def))
	return s.render(c, status, "groups.html", data)
}

func (s *Server) groupCreate(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	g := store.DefaultAgentGroup(t.ID)
	form, err := readGroupForm(c, &g, true)
	if err == nil {
		err = groupEmailAllowed(t, &g)
	}
	if err == nil {
		err = s.store.CreateAgentGroup(c.Request().Context(), actor(c), &g)
	}
	if err != nil {
		if !showOnForm(err) {
			return err
		}
		data := acdPageData(c, "Groups")
		return s.renderGroups(c, formFailed(data, "group", form, err), data)
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/groups/%d", t.ID, g.ID), "group-created")
}

func (s *Server) groupPage(c echo.Context) error {
	return s.renderGroup(c, http.StatusOK, acdPageData(c, "Group"))
}

func (s *Server) renderGroup(c echo.Context, status int, data map[string]any) error {
	t, p, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	g, err := s.acdGroup(c, t)
	if err != nil {
		return err
	}
	d, err := s.loadACD(c, t.ID)
	if err != nil {
		return err
	}
	view := viewGroup(g, d)
	in := map[uint]bool{}
	for _, m := range view.Members {
		in[m.AgentID] = true
	}
	var others []store.Agent
	for _, a := range d.Agents {
		if !in[a.ID] {
			others = append(others, a)
		}
	}
	data["Title"] = "Group " + g.Name
	data["Tenant"] = t
	data["Group"] = view
	data["Others"] = others
	data["Levels"] = []int{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}
	data["CanWrite"] = p.CanWrite(t.ID) == nil
	setDefaultForm(data, "group", groupForm(g))
	setDefaultForm(data, "member", map[string]string{"level": "5"})
	return s.render(c, status, "groups_detail.html", data)
}

func (s *Server) groupSave(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	g, err := s.acdGroup(c, t)
	if err != nil {
		return err
	}
	form, err := readGroupForm(c, g, false)
	if err == nil {
		err = groupEmailAllowed(t, g)
	}
	if err == nil {
		err = s.store.UpdateAgentGroup(c.Request().Context(), actor(c), g)
	}
	if err != nil {
		if !showOnForm(err) {
			return err
		}
		data := acdPageData(c, "Group")
		return s.renderGroup(c, formFailed(data, "group", form, err), data)
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/groups/%d", t.ID, g.ID), "group-saved")
}

func (s *Server) groupDelete(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	g, err := s.acdGroup(c, t)
	if err != nil {
		return err
	}
	if err := s.store.DeleteAgentGroup(c.Request().Context(), actor(c), t.ID, g.ID); err != nil {
		if !showOnForm(err) {
			return err
		}
		data := acdPageData(c, "Group")
		return s.renderGroup(c, formFailed(data, "delete", map[string]string{}, err), data)
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/groups", t.ID), "group-deleted")
}

func (s *Server) groupMemberSet(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	g, err := s.acdGroup(c, t)
	if err != nil {
		return err
	}
	form := map[string]string{"agent_id": c.FormValue("agent_id"), "level": c.FormValue("level")}
	err = func() error {
		agentID, err := optionalID(form["agent_id"], "agent_id")
		if err != nil {
			return err
		}
		if agentID == nil {
			return vms.FieldError("agent_id", "choose an agent")
		}
		level, err := strconv.Atoi(strings.TrimSpace(form["level"]))
		if err != nil {
			return vms.FieldError("level", "choose a level from 1 to 10")
		}
		_, err = s.store.SetMembership(c.Request().Context(), actor(c), t.ID, *agentID, g.ID, level)
		return err
	}()
	if err != nil {
		if !showOnForm(err) {
			return err
		}
		data := acdPageData(c, "Group")
		return s.renderGroup(c, formFailed(data, "member", form, err), data)
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/groups/%d", t.ID, g.ID), "member-set")
}

func (s *Server) groupMemberRemove(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	g, err := s.acdGroup(c, t)
	if err != nil {
		return err
	}
	a, err := s.acdAgent(c, t, "agent")
	if err != nil {
		return err
	}
	if err := s.store.RemoveMembership(c.Request().Context(), actor(c), t.ID, a.ID, g.ID); err != nil {
		return err
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/groups/%d", t.ID, g.ID), "member-gone")
}

// agentCandidates are the tenant's users who may become agents and are
// not agents yet.
func (s *Server) agentCandidates(c echo.Context, t *store.Tenant, d *acdData) ([]store.User, error) {
	users, err := s.store.ListUsers(c.Request().Context(), &t.ID)
	if err != nil {
		return nil, err
	}
	taken := map[uint]bool{}
	for _, a := range d.Agents {
		taken[a.UserID] = true
	}
	var out []store.User
	for _, u := range users {
		r := access.Role(u.Role)
		if (r == access.Agent || r == access.Supervisor) && !taken[u.ID] {
			out = append(out, u)
		}
	}
	return out, nil
}

func (s *Server) agentsPage(c echo.Context) error {
	return s.renderAgents(c, http.StatusOK, acdPageData(c, "Agents"))
}

func (s *Server) renderAgents(c echo.Context, status int, data map[string]any) error {
	t, p, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	d, err := s.loadACD(c, t.ID)
	if err != nil {
		return err
	}
	views := make([]acdAgentView, 0, len(d.Agents))
	for i := range d.Agents {
		views = append(views, s.viewAgent(c, &d.Agents[i], d))
	}
	cands, err := s.agentCandidates(c, t, d)
	if err != nil {
		return err
	}
	data["Tenant"] = t
	data["Agents"] = views
	data["Candidates"] = cands
	data["CanWrite"] = p.CanWrite(t.ID) == nil
	setDefaultForm(data, "agent", map[string]string{"max_emails": strconv.Itoa(store.DefaultMaxEmails)})
	return s.render(c, status, "agents.html", data)
}

// readAgentForm reads name and max_emails of the agent form.
func readAgentForm(c echo.Context, form map[string]string) (acdAgentInput, error) {
	var in acdAgentInput
	name, err := cleanText("name", form["name"], false, maxName)
	if err != nil {
		return in, err
	}
	in.Name = &name
	v := strings.TrimSpace(form["max_emails"])
	n := store.DefaultMaxEmails
	if v != "" {
		if n, err = strconv.Atoi(v); err != nil {
			return in, vms.FieldError("max_emails", "must be a whole number")
		}
	}
	in.MaxEmails = &n
	return in, nil
}

func (s *Server) agentCreate(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	form := map[string]string{"user_id": c.FormValue("user_id"), "name": c.FormValue("name"), "max_emails": c.FormValue("max_emails")}
	var a *store.Agent
	err = func() error {
		in, err := readAgentForm(c, form)
		if err != nil {
			return err
		}
		if in.UserID, err = optionalID(form["user_id"], "user_id"); err != nil {
			return err
		}
		a, err = s.createAgent(c, t, in)
		return err
	}()
	if err != nil {
		if !showOnForm(err) {
			return err
		}
		data := acdPageData(c, "Agents")
		return s.renderAgents(c, formFailed(data, "agent", form, err), data)
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/agents/%d", t.ID, a.ID), "agent-created")
}

func (s *Server) agentPage(c echo.Context) error {
	return s.renderAgent(c, http.StatusOK, acdPageData(c, "Agent"))
}

func (s *Server) renderAgent(c echo.Context, status int, data map[string]any) error {
	t, p, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	a, err := s.acdAgent(c, t, "id")
	if err != nil {
		return err
	}
	d, err := s.loadACD(c, t.ID)
	if err != nil {
		return err
	}
	data["Title"] = "Agent " + a.Name
	data["Tenant"] = t
	data["Agent"] = s.viewAgent(c, a, d)
	data["CanWrite"] = p.CanWrite(t.ID) == nil
	setDefaultForm(data, "agent", map[string]string{"name": a.Name, "max_emails": strconv.Itoa(a.MaxEmails)})
	return s.render(c, status, "agents_detail.html", data)
}

func (s *Server) agentSave(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	a, err := s.acdAgent(c, t, "id")
	if err != nil {
		return err
	}
	form := map[string]string{"name": c.FormValue("name"), "max_emails": c.FormValue("max_emails")}
	err = func() error {
		in, err := readAgentForm(c, form)
		if err != nil {
			return err
		}
		a.Name, a.MaxEmails = *in.Name, *in.MaxEmails
		return s.store.UpdateAgent(c.Request().Context(), actor(c), a)
	}()
	if err != nil {
		if !showOnForm(err) {
			return err
		}
		data := acdPageData(c, "Agent")
		return s.renderAgent(c, formFailed(data, "agent", form, err), data)
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/agents/%d", t.ID, a.ID), "agent-saved")
}

func (s *Server) agentDelete(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	a, err := s.acdAgent(c, t, "id")
	if err != nil {
		return err
	}
	if err := s.store.DeleteAgent(c.Request().Context(), actor(c), t.ID, a.ID); err != nil {
		return err
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/agents", t.ID), "agent-deleted")
}

func (s *Server) pauseReasonsPage(c echo.Context) error {
	return s.renderPauseReasons(c, http.StatusOK, acdPageData(c, "Pause reasons"))
}

func (s *Server) renderPauseReasons(c echo.Context, status int, data map[string]any) error {
	t, p, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	rs, err := s.store.ListPauseReasons(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	data["Tenant"] = t
	data["Reasons"] = rs
	data["CanWrite"] = p.CanWrite(t.ID) == nil
	setDefaultForm(data, "reason", map[string]string{})
	return s.render(c, status, "pause_reasons.html", data)
}

func (s *Server) pauseReasonCreate(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	form := map[string]string{"name": c.FormValue("name")}
	if _, err := s.createPauseReason(c, t, acdPauseReasonInput{Name: form["name"]}); err != nil {
		if !showOnForm(err) {
			return err
		}
		data := acdPageData(c, "Pause reasons")
		return s.renderPauseReasons(c, formFailed(data, "reason", form, err), data)
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/pause-reasons", t.ID), "reason-created")
}

func (s *Server) pauseReasonDelete(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := s.store.DeletePauseReason(c.Request().Context(), actor(c), t.ID, id); err != nil {
		return err
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/pause-reasons", t.ID), "reason-deleted")
}

// groupEmailAllowed refuses an e-mail address on a group of a tenant
// without Agent Contact Management: e-mail contacts are part of it, while
// an Outbound customer has groups only for its campaigns' operators.
func groupEmailAllowed(t *store.Tenant, g *store.AgentGroup) error {
	if g.EmailAddress() == "" || tenantComponent(t, formula.ACM) == nil {
		return nil
	}
	return vms.FieldError("email", "e-mail contacts need the Agent Contact Management option")
}
