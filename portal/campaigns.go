package portal

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/access"
	"github.com/vmsplatform/vms/campaign"
	"github.com/vmsplatform/vms/formula"
	"github.com/vmsplatform/vms/phone"
	"github.com/vmsplatform/vms/store"
)

// Outbound campaigns (OUT-1..OUT-6): campaigns with their settings and
// state buttons, live progress, per-contact results and their CSV export,
// and the operator's per-tenant limits. Every route needs the tenant's
// outbound component (FRM-2); read-only users and supervisors may look,
// writes need the write permission, limits need operator staff.

// outboundFlashes are the messages the campaign pages show after a
// redirect; only these keys are accepted.
var outboundFlashes = map[string]string{
	"calllist-created":   "Call list saved.",
	"calllist-deleted":   "Call list deleted.",
	"entry-added":        "Number added.",
	"entry-removed":      "Number removed.",
	"message-created":    "Message uploaded and converted.",
	"message-deleted":    "Message deleted.",
	"campaign-created":   "Campaign created as a draft. Schedule it when it is ready.",
	"campaign-saved":     "Campaign saved.",
	"campaign-deleted":   "Campaign deleted.",
	"campaign-schedule":  "Campaign scheduled: it calls within its windows.",
	"campaign-pause":     "Campaign paused.",
	"campaign-resume":    "Campaign resumed.",
	"campaign-stop":      "Campaign stopped.",
	"campaign-limits-ok": "Campaign limits saved.",
}

func outboundPageData(c echo.Context, title string) map[string]any {
	data := pageData(title)
	if f := outboundFlashes[c.QueryParam("done")]; f != "" {
		data["Flash"] = f
	}
	return data
}

// registerOutbound registers call lists, messages, campaigns and limits.
func (s *Server) registerOutbound(api *apiRouter, web *echo.Group) {
	gate := s.requireComponent(formula.Campaigns)
	comp := string(formula.Campaigns)
	op := func(summary string, in, out any, status int) apiOp {
		return apiOp{Summary: summary, Tag: "campaigns", In: in, Out: out, Status: status, Component: comp}
	}
	s.registerCallLists(api, web, gate, op)
	s.registerMessages(api, web, gate, op)

	api.handle(http.MethodGet, "/tenants/:tid/campaign-limits", s.apiGetCampaignLimits, op("A customer's campaign limits", nil, limitsView{}, 0), gate)
	api.handle(http.MethodPut, "/tenants/:tid/campaign-limits", s.apiSetCampaignLimits, op("Set a customer's campaign limits (operator staff only)", limitsView{}, limitsView{}, 0), gate)
	api.handle(http.MethodGet, "/tenants/:tid/campaigns", s.apiListCampaigns, op("A customer's campaigns with their progress", nil, []campaignView{}, 0), gate)
	api.handle(http.MethodPost, "/tenants/:tid/campaigns", s.apiCreateCampaign, op("Create a campaign as a draft; every invalid setting is reported", campaignInput{}, campaignView{}, http.StatusCreated), gate)
	api.handle(http.MethodGet, "/tenants/:tid/campaigns/:id", s.apiGetCampaign, op("A campaign with its settings and progress", nil, campaignView{}, 0), gate)
	api.handle(http.MethodPut, "/tenants/:tid/campaigns/:id", s.apiUpdateCampaign, op("Change a draft, paused or stopped campaign; version must be the one read", campaignInput{}, campaignView{}, 0), gate)
	api.handle(http.MethodDelete, "/tenants/:tid/campaigns/:id", s.apiDeleteCampaign, op("Delete a campaign that is not running or paused", nil, nil, http.StatusNoContent), gate)
	api.handle(http.MethodPost, "/tenants/:tid/campaigns/:id/state", s.apiCampaignState, op("Schedule, pause, resume or stop a campaign", campaignStateInput{}, campaignView{}, 0), gate)
	api.handle(http.MethodGet, "/tenants/:tid/campaigns/:id/results", s.apiCampaignResults, op("A campaign's results per contact with every attempt", nil, []contactResultView{}, 0), gate)

	web.POST("/tenants/:tid/campaign-limits", s.campaignLimitsSave, gate)
	web.GET("/tenants/:tid/campaigns", s.campaignsPage, gate)
	web.GET("/tenants/:tid/campaigns/new", s.campaignNewPage, gate)
	web.POST("/tenants/:tid/campaigns", s.campaignCreate, gate)
	web.GET("/tenants/:tid/campaigns/:id", s.campaignPage, gate)
	web.POST("/tenants/:tid/campaigns/:id", s.campaignSave, gate)
	web.POST("/tenants/:tid/campaigns/:id/state", s.campaignStateChange, gate)
	web.POST("/tenants/:tid/campaigns/:id/delete", s.campaignDelete, gate)
	web.GET("/tenants/:tid/campaigns/:id/results", s.campaignResultsPage, gate)
	web.GET("/tenants/:tid/campaigns/:id/results.csv", s.campaignResultsCSV, gate)
}

// ---- limits ----

type limitsView struct {
	Lists          int `json:"lists" doc:"call lists kept"`
	NumbersPerList int `json:"numbers_per_list"`
	Scheduled      int `json:"scheduled" doc:"campaigns scheduled, running or paused at a time"`
	Running        int `json:"running" doc:"campaigns running at a time"`
	MinPaceSeconds int `json:"min_pace_seconds" doc:"fastest pace: one new call per this many seconds"`
}

func viewLimits(l *store.CampaignLimits) limitsView {
	return limitsView{Lists: l.Lists, NumbersPerList: l.NumbersPerList, Scheduled: l.Scheduled, Running: l.Running, MinPaceSeconds: l.MinPaceSeconds}
}

func (v limitsView) limits() campaign.Limits {
	return campaign.Limits{Lists: v.Lists, NumbersPerList: v.NumbersPerList, Scheduled: v.Scheduled, Running: v.Running,
		MinPace: time.Duration(v.MinPaceSeconds) * time.Second}
}

// requireOperatorWrite allows operator staff who may change things.
func requireOperatorWrite(p access.Principal) error {
	switch p.Role {
	case access.BGCAdmin, access.BGCRW:
		return nil
	}
	return vms.Errorf(vms.EFORBIDDEN, "only the operator's staff can change campaign limits")
}

func (s *Server) setLimits(c echo.Context, t *store.Tenant, p access.Principal, v limitsView) error {
	if err := requireOperatorWrite(p); err != nil {
		return err
	}
	if err := v.limits().Validate(); err != nil {
		var ve *campaign.ValidationError
		if errors.As(err, &ve) && len(ve.Problems) > 0 {
			f := ve.Problems[0].Field
			if f == "min_pace" {
				f = "min_pace_seconds"
			}
			return vms.FieldError(f, "%s", ve.Problems[0].Message)
		}
		return err
	}
	_, err := s.store.SetCampaignLimits(c.Request().Context(), actor(c), t.ID, v.limits())
	return err
}

func (s *Server) apiGetCampaignLimits(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	l, err := s.store.GetCampaignLimits(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewLimits(l))
}

func (s *Server) apiSetCampaignLimits(c echo.Context) error {
	t, p, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	if err := requireOperatorWrite(p); err != nil {
		return err
	}
	var in limitsView
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if err := s.setLimits(c, t, p, in); err != nil {
		return err
	}
	return s.apiGetCampaignLimits(c)
}

// campaignLimitsSave is the operator's form on the customer page.
func (s *Server) campaignLimitsSave(c echo.Context) error {
	t, p, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	if err := requireOperatorWrite(p); err != nil {
		return err
	}
	var v limitsView
	var bad error
	for _, f := range []struct {
		name string
		dst  *int
	}{{"lists", &v.Lists}, {"numbers_per_list", &v.NumbersPerList}, {"scheduled", &v.Scheduled}, {"running", &v.Running}, {"min_pace_seconds", &v.MinPaceSeconds}} {
		n, err := strconv.Atoi(strings.TrimSpace(c.FormValue(f.name)))
		if err != nil && bad == nil {
			bad = vms.FieldError(f.name, "must be a whole number")
		}
		*f.dst = n
	}
	if bad == nil {
		bad = s.setLimits(c, t, p, v)
	}
	if bad != nil {
		if !showOnForm(bad) {
			return bad
		}
		data := pageData("")
		return s.renderTenant(c, formFailed(data, "limits", v, bad), data)
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d", t.ID), "tenant-saved")
}

// ---- campaigns: input and views ----

type retryInput struct {
	Attempts     int `json:"attempts" doc:"calls in all, 1..10"`
	DelayMinutes int `json:"delay_minutes" doc:"from the end of one call to the next, 1 minute to 7 days"`
}

type campaignInput struct {
	Name      string `json:"name"`
	MessageID uint   `json:"message_id"`
	ListIDs   []uint `json:"list_ids"`
	CallerID  string `json:"caller_id" doc:"the number the called person sees; national or E.164"`
	TimeZone  string `json:"time_zone,omitempty" doc:"IANA; default: the customer's"`
	// Keys maps a key ("0".."9", "*", "#") to its action.
	Keys               map[string]campaign.KeyAction `json:"keys,omitempty" doc:"key -> {action: connect|replay|do_not_call|hang_up, group: ACD group key for connect}"`
	Busy               retryInput                    `json:"busy"`
	NoAnswer           retryInput                    `json:"no_answer"`
	RingTimeoutSeconds int                           `json:"ring_timeout_seconds" doc:"10..60"`
	Windows            []string                      `json:"windows" doc:"calling windows such as \"mon-fri 09:00-17:00\""`
	StartDate          string                        `json:"start_date,omitempty" doc:"YYYY-MM-DD, first day of calls"`
	EndDate            string                        `json:"end_date,omitempty" doc:"YYYY-MM-DD, last day of calls"`
	PaceSeconds        int                           `json:"pace_seconds" doc:"one new call per this many seconds, at least the customer's minimum"`
	Version            int                           `json:"version,omitempty" doc:"for a change: the version read"`
}

type campaignView struct {
	ID         uint                   `json:"id"`
	Name       string                 `json:"name"`
	State      string                 `json:"state" doc:"draft, scheduled, running, paused, stopped or done"`
	Version    int                    `json:"version"`
	Settings   campaignInput          `json:"settings"`
	Progress   store.CampaignProgress `json:"progress"`
	Percent    int                    `json:"percent" doc:"contacts done, in percent"`
	CreatedAt  time.Time              `json:"created_at"`
	UpdatedAt  time.Time              `json:"updated_at"`
	StartedAt  *time.Time             `json:"started_at,omitempty"`
	FinishedAt *time.Time             `json:"finished_at,omitempty"`
}

type campaignStateInput struct {
	Action string `json:"action" doc:"schedule, pause, resume or stop"`
}

type attemptView struct {
	Number    int        `json:"number"`
	StartedAt time.Time  `json:"started_at"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	Outcome   string     `json:"outcome" doc:"empty while in progress; answered, busy, no_answer, failed or lost"`
	DTMF      string     `json:"dtmf"`
	Connected bool       `json:"connected"`
	Agent     string     `json:"agent"`
}

type contactResultView struct {
	Number         string            `json:"number"`
	Name           string            `json:"name"`
	Fields         map[string]string `json:"fields,omitempty"`
	State          string            `json:"state" doc:"waiting, calling or done"`
	Result         string            `json:"result"`
	Attempts       int               `json:"attempts"`
	DoNotCall      bool              `json:"do_not_call"`
	LastDTMF       string            `json:"last_dtmf"`
	ConnectedAgent string            `json:"connected_agent"`
	NextAt         *time.Time        `json:"next_at,omitempty"`
	History        []attemptView     `json:"history"`
}

// inputOf returns the settings of a stored campaign in input form.
func inputOf(c *store.Campaign) campaignInput {
	in := campaignInput{Name: c.Name, MessageID: c.MessageID, ListIDs: c.ListIDs, Version: c.Version}
	cfg, err := c.Config()
	if err != nil {
		return in
	}
	in.CallerID, in.TimeZone, in.Keys = cfg.CallerID, cfg.TimeZone, cfg.Keys
	in.Busy = retryInput{Attempts: cfg.Busy.Attempts, DelayMinutes: int(cfg.Busy.Delay / time.Minute)}
	in.NoAnswer = retryInput{Attempts: cfg.NoAnswer.Attempts, DelayMinutes: int(cfg.NoAnswer.Delay / time.Minute)}
	in.RingTimeoutSeconds = int(cfg.RingTimeout / time.Second)
	for _, w := range cfg.Windows {
		in.Windows = append(in.Windows, w.String())
	}
	in.StartDate, in.EndDate = cfg.StartDate.String(), cfg.EndDate.String()
	in.PaceSeconds = int(cfg.Pace / time.Second)
	return in
}

func viewCampaign(c *store.Campaign) campaignView {
	v := campaignView{ID: c.ID, Name: c.Name, State: c.State, Version: c.Version, Settings: inputOf(c), Progress: c.Progress,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, StartedAt: c.StartedAt, FinishedAt: c.FinishedAt}
	if v.Settings.ListIDs == nil {
		v.Settings.ListIDs = []uint{}
	}
	if c.Progress.Total > 0 {
		v.Percent = c.Progress.Done * 100 / c.Progress.Total
	}
	return v
}

// problems collects the invalid settings of a campaign, by field.
type problems []campaign.Problem

func (ps *problems) add(field, format string, args ...any) {
	*ps = append(*ps, campaign.Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (ps problems) has(field string) bool {
	for _, p := range ps {
		if p.Field == field || strings.HasPrefix(p.Field, field+"[") || strings.HasPrefix(p.Field, field+".") {
			return true
		}
	}
	return false
}

// settings checks the input at the edge and returns the campaign settings
// with every problem found: the parsing here, campaign.Compile against
// the tenant's limits, and the connect keys against the tenant's groups.
func (s *Server) settings(c echo.Context, t *store.Tenant, in campaignInput) (campaign.Campaign, problems, error) {
	var ps problems
	out := campaign.Campaign{Name: in.Name, TimeZone: in.TimeZone, Keys: in.Keys,
		Busy:        campaign.Retry{Attempts: in.Busy.Attempts, Delay: time.Duration(in.Busy.DelayMinutes) * time.Minute},
		NoAnswer:    campaign.Retry{Attempts: in.NoAnswer.Attempts, Delay: time.Duration(in.NoAnswer.DelayMinutes) * time.Minute},
		RingTimeout: time.Duration(in.RingTimeoutSeconds) * time.Second,
		Pace:        time.Duration(in.PaceSeconds) * time.Second,
	}
	if out.TimeZone == "" {
		out.TimeZone = t.TimeZone
	}
	if strings.TrimSpace(in.CallerID) == "" {
		ps.add("caller_id", "is required")
	} else if e164, err := phone.Normalize(in.CallerID, t.Region); err != nil {
		ps.add("caller_id", "%s", vms.ErrorMessage(err))
	} else {
		out.CallerID = e164
	}
	for i, w := range in.Windows {
		if strings.TrimSpace(w) == "" {
			continue
		}
		win, err := campaign.ParseWindow(w)
		if err != nil {
			ps.add(fmt.Sprintf("windows[%d]", i), "%s", err.Error())
			continue
		}
		out.Windows = append(out.Windows, win)
	}
	for _, d := range []struct {
		field, v string
		dst      *campaign.Date
	}{{"start_date", in.StartDate, &out.StartDate}, {"end_date", in.EndDate, &out.EndDate}} {
		if strings.TrimSpace(d.v) == "" {
			continue
		}
		v, err := campaign.ParseDate(strings.TrimSpace(d.v))
		if err != nil {
			ps.add(d.field, "%s", err.Error())
			continue
		}
		*d.dst = v
	}
	lim, err := s.store.GetCampaignLimits(c.Request().Context(), t.ID)
	if err != nil {
		return out, nil, err
	}
	if _, err := campaign.Compile(out, lim.Limits()); err != nil {
		var ve *campaign.ValidationError
		if !errors.As(err, &ve) {
			return out, nil, err
		}
		for _, p := range ve.Problems {
			if !ps.has(p.Field) {
				ps = append(ps, p)
			}
		}
	}
	groups, err := s.store.ListAgentGroups(c.Request().Context(), t.ID)
	if err != nil {
		return out, nil, err
	}
	for _, k := range sortedKeyNames(in.Keys) {
		ka := in.Keys[k]
		if ka.Action != campaign.Connect || strings.TrimSpace(ka.Group) == "" || ps.has("keys."+k) {
			continue
		}
		found := false
		for _, g := range groups {
			found = found || g.Key == strings.TrimSpace(ka.Group)
		}
		if !found {
			ps.add("keys."+k+".group", "no group has the key %q", ka.Group)
		}
	}
	if in.MessageID == 0 {
		ps.add("message_id", "choose a message")
	}
	if len(in.ListIDs) == 0 {
		ps.add("list_ids", "choose at least one call list")
	}
	return out, ps, nil
}

func sortedKeyNames(m map[string]campaign.KeyAction) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// campaignProblemsError is the API answer to invalid settings.
type campaignProblemsError struct {
	Error    apiErrorBody       `json:"error"`
	Problems []campaign.Problem `json:"problems"`
}

func settingsProblems(c echo.Context, ps problems) error {
	return c.JSON(http.StatusUnprocessableEntity, campaignProblemsError{
		Error:    apiErrorBody{Code: vms.EINVALID, Field: ps[0].Field, Message: ps[0].Message},
		Problems: ps,
	})
}

func (s *Server) campaignOf(c echo.Context, t *store.Tenant) (*store.Campaign, error) {
	id, err := idParam(c, "id")
	if err != nil {
		return nil, err
	}
	return s.store.GetCampaign(c.Request().Context(), t.ID, id)
}

// saveCampaign checks in and creates the campaign (existing nil) or saves
// it; invalid settings come back as problems.
func (s *Server) saveCampaign(c echo.Context, t *store.Tenant, existing *store.Campaign, in campaignInput) (*store.Campaign, problems, error) {
	set, ps, err := s.settings(c, t, in)
	if err != nil || len(ps) > 0 {
		return nil, ps, err
	}
	sin := store.CampaignInput{MessageID: in.MessageID, ListIDs: in.ListIDs, Settings: set}
	var out *store.Campaign
	if existing == nil {
		out, err = s.store.CreateCampaign(c.Request().Context(), actor(c), t.ID, sin)
	} else {
		out, err = s.store.UpdateCampaign(c.Request().Context(), actor(c), t.ID, existing.ID, in.Version, sin)
	}
	return out, nil, err
}

// stateActions are the buttons of a campaign: the states it may be in and
// the state it goes to.
var stateActions = map[string]struct {
	from []string
	to   string
}{
	"schedule": {[]string{store.CampaignDraft}, store.CampaignScheduled},
	"pause":    {[]string{store.CampaignRunning}, store.CampaignPaused},
	"resume":   {[]string{store.CampaignPaused}, store.CampaignRunning},
	"stop":     {[]string{store.CampaignScheduled, store.CampaignRunning, store.CampaignPaused}, store.CampaignStopped},
}

func (s *Server) changeState(c echo.Context, t *store.Tenant, id uint, action string) (*store.Campaign, error) {
	a, ok := stateActions[action]
	if !ok {
		return nil, vms.FieldError("action", "must be schedule, pause, resume or stop")
	}
	if _, err := s.store.SetCampaignState(c.Request().Context(), actor(c), t.ID, id, a.from, a.to); err != nil {
		return nil, err
	}
	return s.store.GetCampaign(c.Request().Context(), t.ID, id)
}

func viewResults(cs []store.CampaignContact) []contactResultView {
	out := make([]contactResultView, 0, len(cs))
	for i := range cs {
		ct := &cs[i]
		v := contactResultView{Number: ct.E164, Name: ct.Name, Fields: ct.Fields(), State: ct.State, Result: ct.Result, Attempts: ct.Attempts,
			DoNotCall: ct.DoNotCall, LastDTMF: ct.LastDTMF, ConnectedAgent: ct.ConnectedAgent, NextAt: ct.NextAt, History: []attemptView{}}
		for _, a := range ct.History {
			v.History = append(v.History, attemptView{Number: a.Number, StartedAt: a.StartedAt, EndedAt: a.EndedAt, Outcome: a.Outcome,
				DTMF: a.DTMF, Connected: a.Connected, Agent: a.Agent})
		}
		out = append(out, v)
	}
	return out
}

// ---- API ----

func (s *Server) apiListCampaigns(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	cs, err := s.store.ListCampaigns(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	out := make([]campaignView, 0, len(cs))
	for i := range cs {
		out = append(out, viewCampaign(&cs[i]))
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiCreateCampaign(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	var in campaignInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	out, ps, err := s.saveCampaign(c, t, nil, in)
	if len(ps) > 0 {
		return settingsProblems(c, ps)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, viewCampaign(out))
}

func (s *Server) apiGetCampaign(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	cp, err := s.campaignOf(c, t)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewCampaign(cp))
}

func (s *Server) apiUpdateCampaign(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	cp, err := s.campaignOf(c, t)
	if err != nil {
		return err
	}
	var in campaignInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.Version == 0 {
		return vms.FieldError("version", "is required: send the version of the campaign you read")
	}
	out, ps, err := s.saveCampaign(c, t, cp, in)
	if len(ps) > 0 {
		return settingsProblems(c, ps)
	}
	if err != nil {
		return err
	}
	full, err := s.store.GetCampaign(c.Request().Context(), t.ID, out.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewCampaign(full))
}

func (s *Server) apiDeleteCampaign(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	cp, err := s.campaignOf(c, t)
	if err != nil {
		return err
	}
	if err := s.store.DeleteCampaign(c.Request().Context(), actor(c), t.ID, cp.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) apiCampaignState(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	cp, err := s.campaignOf(c, t)
	if err != nil {
		return err
	}
	var in campaignStateInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	out, err := s.changeState(c, t, cp.ID, in.Action)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewCampaign(out))
}

func (s *Server) apiCampaignResults(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	cp, err := s.campaignOf(c, t)
	if err != nil {
		return err
	}
	cs, err := s.store.CampaignResults(c.Request().Context(), t.ID, cp.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewResults(cs))
}

// ---- pages ----

// keyRow is one telephone key of the campaign form.
type keyRow struct {
	Key    string // "1", "*"
	Name   string // form name part: "1", "star", "hash"
	Action string
	Group  string
}

// padKeys are the keys in telephone pad order.
var padKeys = []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"}

func keyFormName(k string) string {
	switch k {
	case "*":
		return "star"
	case "#":
		return "hash"
	}
	return k
}

func keyRows(keys map[string]campaign.KeyAction) []keyRow {
	out := make([]keyRow, 0, len(padKeys))
	for _, k := range padKeys {
		ka := keys[k]
		out = append(out, keyRow{Key: k, Name: keyFormName(k), Action: string(ka.Action), Group: ka.Group})
	}
	return out
}

// campaignForm is the campaign form's content.
type campaignForm struct {
	In       campaignInput
	Lists    map[uint]bool
	Windows  string
	Keys     []keyRow
	KeysText string // "1 = connect (sales) · 9 = do_not_call"
}

func formOf(in campaignInput) campaignForm {
	f := campaignForm{In: in, Lists: map[uint]bool{}, Windows: strings.Join(in.Windows, "\n"), Keys: keyRows(in.Keys)}
	for _, id := range in.ListIDs {
		f.Lists[id] = true
	}
	var keys []string
	for _, k := range f.Keys {
		switch {
		case k.Action == "":
		case k.Group != "":
			keys = append(keys, fmt.Sprintf("%s = %s (%s)", k.Key, k.Action, k.Group))
		default:
			keys = append(keys, k.Key+" = "+k.Action)
		}
	}
	f.KeysText = strings.Join(keys, " · ")
	if f.KeysText == "" {
		f.KeysText = "none"
	}
	return f
}

// readCampaignForm reads the posted form; a number that does not parse
// is reported by field.
func readCampaignForm(c echo.Context) (campaignInput, problems) {
	var ps problems
	num := func(field string) int {
		v := strings.TrimSpace(c.FormValue(field))
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			ps.add(field, "must be a whole number")
		}
		return n
	}
	in := campaignInput{
		Name:               strings.TrimSpace(c.FormValue("name")),
		CallerID:           strings.TrimSpace(c.FormValue("caller_id")),
		TimeZone:           strings.TrimSpace(c.FormValue("time_zone")),
		Busy:               retryInput{Attempts: num("busy_attempts"), DelayMinutes: num("busy_delay_minutes")},
		NoAnswer:           retryInput{Attempts: num("no_answer_attempts"), DelayMinutes: num("no_answer_delay_minutes")},
		RingTimeoutSeconds: num("ring_timeout_seconds"), PaceSeconds: num("pace_seconds"),
		StartDate: strings.TrimSpace(c.FormValue("start_date")), EndDate: strings.TrimSpace(c.FormValue("end_date")),
		Version: num("version"),
	}
	if id := num("message_id"); id > 0 {
		in.MessageID = uint(id)
	}
	if form, err := c.FormParams(); err == nil {
		for _, v := range form["list_ids"] {
			if n, err := strconv.ParseUint(v, 10, 32); err == nil && n > 0 {
				in.ListIDs = append(in.ListIDs, uint(n))
			}
		}
	}
	for _, w := range strings.FieldsFunc(c.FormValue("windows"), func(r rune) bool { return r == '\n' || r == ';' }) {
		if w = strings.TrimSpace(w); w != "" {
			in.Windows = append(in.Windows, w)
		}
	}
	for _, k := range padKeys {
		a := strings.TrimSpace(c.FormValue("key_" + keyFormName(k) + "_action"))
		if a == "" {
			continue
		}
		if in.Keys == nil {
			in.Keys = map[string]campaign.KeyAction{}
		}
		ka := campaign.KeyAction{Action: campaign.Action(a)}
		if ka.Action == campaign.Connect {
			ka.Group = strings.TrimSpace(c.FormValue("key_" + keyFormName(k) + "_group"))
		}
		in.Keys[k] = ka
	}
	return in, ps
}

var windowIndex = regexp.MustCompile(`\[\d+\]$`)

// formField is the form field a problem of the settings is shown at.
func formField(field string) string {
	switch {
	case strings.HasPrefix(field, "keys."):
		k, _, _ := strings.Cut(strings.TrimPrefix(field, "keys."), ".")
		return "key_" + keyFormName(k)
	case field == "ring_timeout":
		return "ring_timeout_seconds"
	case field == "pace":
		return "pace_seconds"
	case field == "busy.delay", field == "no_answer.delay":
		return strings.ReplaceAll(field, ".", "_") + "_minutes"
	}
	return strings.ReplaceAll(windowIndex.ReplaceAllString(field, ""), ".", "_")
}

// formErrors shows problems at their form fields (several problems of one
// field joined).
func formErrors(ps problems) map[string]string {
	out := map[string]string{}
	for _, p := range ps {
		f := formField(p.Field)
		if out[f] != "" {
			out[f] += "; " + p.Message
		} else {
			out[f] = p.Message
		}
	}
	return out
}

func (s *Server) campaignsPage(c echo.Context) error {
	t, p, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	cs, err := s.store.ListCampaigns(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	views := make([]campaignView, 0, len(cs))
	for i := range cs {
		views = append(views, viewCampaign(&cs[i]))
	}
	lim, err := s.store.GetCampaignLimits(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	data := outboundPageData(c, "Campaigns")
	data["Tenant"] = t
	data["Campaigns"] = views
	data["Limits"] = viewLimits(lim)
	data["CanWrite"] = p.CanWrite(t.ID) == nil
	return s.render(c, http.StatusOK, "campaigns.html", data)
}

// renderCampaignForm shows the campaign form (new when cp is nil).
func (s *Server) renderCampaignForm(c echo.Context, status int, data map[string]any, t *store.Tenant, cp *store.Campaign, in campaignInput, errs map[string]string) error {
	_, p, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	lists, err := s.store.ListCallLists(ctx, t.ID)
	if err != nil {
		return err
	}
	msgs, err := s.store.ListCampaignMessages(ctx, t.ID)
	if err != nil {
		return err
	}
	groups, err := s.store.ListAgentGroups(ctx, t.ID)
	if err != nil {
		return err
	}
	lim, err := s.store.GetCampaignLimits(ctx, t.ID)
	if err != nil {
		return err
	}
	data["Tenant"] = t
	data["Lists"] = lists
	data["Messages"] = msgs
	data["Groups"] = groups
	data["Limits"] = viewLimits(lim)
	data["Form"] = formOf(in)
	data["E"] = errs
	data["CanWrite"] = p.CanWrite(t.ID) == nil
	data["Actions"] = []string{string(campaign.Connect), string(campaign.Replay), string(campaign.DoNotCall), string(campaign.HangUp)}
	if cp != nil {
		v := viewCampaign(cp)
		data["Campaign"] = v
		data["Editable"] = cp.State == store.CampaignDraft || cp.State == store.CampaignPaused || cp.State == store.CampaignStopped
		return s.render(c, status, "campaigns_form.html", data)
	}
	data["Editable"] = true
	return s.render(c, status, "campaigns_form.html", data)
}

// newCampaignInput is the form of a new campaign: sensible defaults.
func newCampaignInput(lim *store.CampaignLimits) campaignInput {
	pace := lim.MinPaceSeconds
	if pace < 5 {
		pace = 5
	}
	return campaignInput{
		Keys:               map[string]campaign.KeyAction{"2": {Action: campaign.Replay}, "9": {Action: campaign.DoNotCall}},
		Busy:               retryInput{Attempts: 3, DelayMinutes: 10},
		NoAnswer:           retryInput{Attempts: 3, DelayMinutes: 60},
		RingTimeoutSeconds: 25, Windows: []string{"mon-fri 09:00-17:00"}, PaceSeconds: pace,
	}
}

func (s *Server) campaignNewPage(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	lim, err := s.store.GetCampaignLimits(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	return s.renderCampaignForm(c, http.StatusOK, outboundPageData(c, "New campaign"), t, nil, newCampaignInput(lim), map[string]string{})
}

// storeFormErrors places a store refusal on the form.
func storeFormErrors(err error) map[string]string {
	f := vms.ErrorField(err)
	if f == "" {
		f = "form"
	}
	return map[string]string{formField(f): vms.ErrorMessage(err)}
}

func (s *Server) campaignCreate(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	in, ps := readCampaignForm(c)
	var out *store.Campaign
	if len(ps) == 0 {
		out, ps, err = s.saveCampaign(c, t, nil, in)
	}
	data := outboundPageData(c, "New campaign")
	if len(ps) > 0 {
		return s.renderCampaignForm(c, http.StatusUnprocessableEntity, data, t, nil, in, formErrors(ps))
	}
	if err != nil {
		if !showOnForm(err) {
			return err
		}
		return s.renderCampaignForm(c, statusOf(vms.ErrorCode(err)), data, t, nil, in, storeFormErrors(err))
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/campaigns/%d", t.ID, out.ID), "campaign-created")
}

func (s *Server) campaignPage(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	cp, err := s.campaignOf(c, t)
	if err != nil {
		return err
	}
	return s.renderCampaignForm(c, http.StatusOK, outboundPageData(c, "Campaign"), t, cp, inputOf(cp), map[string]string{})
}

func (s *Server) campaignSave(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	cp, err := s.campaignOf(c, t)
	if err != nil {
		return err
	}
	in, ps := readCampaignForm(c)
	if len(ps) == 0 {
		_, ps, err = s.saveCampaign(c, t, cp, in)
	}
	data := outboundPageData(c, "Campaign")
	if len(ps) > 0 {
		return s.renderCampaignForm(c, http.StatusUnprocessableEntity, data, t, cp, in, formErrors(ps))
	}
	if err != nil {
		if !showOnForm(err) {
			return err
		}
		return s.renderCampaignForm(c, statusOf(vms.ErrorCode(err)), data, t, cp, in, storeFormErrors(err))
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/campaigns/%d", t.ID, cp.ID), "campaign-saved")
}

func (s *Server) campaignStateChange(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	cp, err := s.campaignOf(c, t)
	if err != nil {
		return err
	}
	action := c.FormValue("action")
	if _, err := s.changeState(c, t, cp.ID, action); err != nil {
		if !showOnForm(err) {
			return err
		}
		data := outboundPageData(c, "Campaign")
		data["Error"] = vms.ErrorMessage(err)
		return s.renderCampaignForm(c, statusOf(vms.ErrorCode(err)), data, t, cp, inputOf(cp), map[string]string{})
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/campaigns/%d", t.ID, cp.ID), "campaign-"+action)
}

func (s *Server) campaignDelete(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	cp, err := s.campaignOf(c, t)
	if err != nil {
		return err
	}
	if err := s.store.DeleteCampaign(c.Request().Context(), actor(c), t.ID, cp.ID); err != nil {
		if !showOnForm(err) {
			return err
		}
		data := outboundPageData(c, "Campaign")
		data["Error"] = vms.ErrorMessage(err)
		return s.renderCampaignForm(c, statusOf(vms.ErrorCode(err)), data, t, cp, inputOf(cp), map[string]string{})
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/campaigns", t.ID), "campaign-deleted")
}

func (s *Server) campaignResultsPage(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	cp, err := s.campaignOf(c, t)
	if err != nil {
		return err
	}
	cs, err := s.store.CampaignResults(c.Request().Context(), t.ID, cp.ID)
	if err != nil {
		return err
	}
	data := outboundPageData(c, "Campaign results")
	data["Tenant"] = t
	data["Campaign"] = viewCampaign(cp)
	data["Results"] = viewResults(cs)
	return s.render(c, http.StatusOK, "campaigns_results.html", data)
}

// campaignResultsCSV exports one row per attempt (a contact never called
// has one row without attempt columns).
func (s *Server) campaignResultsCSV(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	cp, err := s.campaignOf(c, t)
	if err != nil {
		return err
	}
	cs, err := s.store.CampaignResults(c.Request().Context(), t.ID, cp.ID)
	if err != nil {
		return err
	}
	ts := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"number", "name", "state", "result", "attempts", "do_not_call", "last_dtmf", "connected_agent",
		"attempt", "started_at", "ended_at", "outcome", "dtmf", "connected", "agent"})
	for _, r := range viewResults(cs) {
		head := []string{csvSafe(r.Number), csvSafe(r.Name), r.State, csvSafe(r.Result), strconv.Itoa(r.Attempts), strconv.FormatBool(r.DoNotCall),
			csvSafe(r.LastDTMF), csvSafe(r.ConnectedAgent)}
		if len(r.History) == 0 {
			_ = w.Write(append(head, "", "", "", "", "", "", ""))
			continue
		}
		for _, a := range r.History {
			st := a.StartedAt
			_ = w.Write(append(append([]string(nil), head...), strconv.Itoa(a.Number), ts(&st), ts(a.EndedAt), a.Outcome, csvSafe(a.DTMF),
				strconv.FormatBool(a.Connected), csvSafe(a.Agent)))
		}
	}
	w.Flush()
	c.Response().Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="campaign-%d-results.csv"`, cp.ID))
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}
