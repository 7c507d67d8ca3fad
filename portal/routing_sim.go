package portal

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/phone"
	"github.com/vmsplatform/vms/routing"
	"github.com/vmsplatform/vms/store"
)

// simulateInput asks the simulator (TRM-7) about one call.
type simulateInput struct {
	From     string   `json:"from" doc:"the caller's number; empty or 'anonymous' for a withheld number"`
	To       string   `json:"to" doc:"the customer's number that is dialed"`
	At       string   `json:"at,omitempty" doc:"RFC 3339, or local time '2026-11-26 09:30' in the customer's time zone; now when empty"`
	Digits   string   `json:"digits,omitempty" doc:"digits pressed at each menu reached, in order, comma-separated ('1,2'); nothing pressed when absent"`
	Outcomes []string `json:"outcomes,omitempty" doc:"what happens at each number or group tried, in order (busy, no_answer, unreachable, site_down, group_closed, group_full, group_timeout); once they run out the next number answers and a group's caller waits for an agent"`
	Random   int      `json:"random,omitempty" doc:"0-99: the bucket percent branches see"`
}

// simulationView is the simulator's answer.
type simulationView struct {
	From        string         `json:"from"`
	To          string         `json:"to"`
	At          time.Time      `json:"at"`
	TimeZone    string         `json:"time_zone"`
	Tree        string         `json:"tree,omitempty" doc:"key of the tree the call started in"`
	TreeVersion int            `json:"tree_version,omitempty"`
	Result      string         `json:"result" doc:"answered, queued (waits for an agent of a group), announcement, voicemail, busy, hangup, refused or fallback"`
	Destination string         `json:"destination" doc:"the final destination in plain words"`
	Summary     string         `json:"summary" doc:"a call from X to Y at T goes to ... because ..."`
	Decisions   []simDecision  `json:"decisions"`
	Path        []routing.Step `json:"path"`
}

// simDecision is one decision the plan returned.
type simDecision struct {
	Kind routing.Kind `json:"kind"`
	Node string       `json:"node"`
	Type routing.Type `json:"type,omitempty"`
}

// simulateMaxSteps bounds the decisions of one simulated call.
const simulateMaxSteps = 200

// parseAt reads the simulator's time: RFC 3339, or a local time in loc.
func parseAt(v string, loc *time.Location, now time.Time) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return now.In(loc), nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.In(loc), nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, vms.FieldError("at", "write the time as 2026-11-26 09:30 (in %s) or in RFC 3339", loc)
}

// callerFacts classifies the caller exactly as the controller does.
func callerFacts(raw, region string, f *routing.Facts) string {
	raw = strings.TrimSpace(raw)
	switch strings.ToLower(raw) {
	case "", "anonymous", "restricted", "unknown", "unavailable", "private":
		f.CallerWithheld = true
		return "a withheld number"
	}
	e164, err := phone.Normalize(raw, region)
	if err != nil {
		f.Caller = raw
		return raw
	}
	f.Caller = e164
	switch {
	case phone.IsInternational(e164, region):
		f.CallerKind = routing.KindInternational
	case phone.KindOf(e164) == phone.Mobile:
		f.CallerKind = routing.KindMobile
	default:
		f.CallerKind = routing.KindFixed
	}
	return e164
}

// simulate answers where a call would go and why (TRM-7). It builds the
// Facts as the controller does (caller kind, lists and sites from the
// store) and walks the plan, taking the given outcomes at destinations.
func (s *Server) simulate(c echo.Context, t *store.Tenant, in simulateInput) (*simulationView, error) {
	ctx := c.Request().Context()
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		loc, _ = time.LoadLocation(routing.DefaultTimeZone)
	}
	at, err := parseAt(in.At, loc, s.now())
	if err != nil {
		return nil, err
	}
	if in.Random < 0 || in.Random > 99 {
		return nil, vms.FieldError("random", "must be between 0 and 99")
	}
	var outcomes []routing.Outcome
	for _, o := range in.Outcomes {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if !slices.Contains(routing.Outcomes(routing.TypeNumber), routing.Outcome(o)) && !slices.Contains(routing.Outcomes(routing.TypeGroup), routing.Outcome(o)) {
			return nil, vms.FieldError("outcomes", "%q is not an outcome; use busy, no_answer, unreachable, site_down, group_closed, group_full or group_timeout", o)
		}
		outcomes = append(outcomes, routing.Outcome(o))
	}
	if strings.TrimSpace(in.To) == "" {
		return nil, vms.FieldError("to", "is required")
	}
	to, err := phone.Normalize(in.To, t.Region)
	if err != nil {
		return nil, renameField(err, "number", "to")
	}
	n, err := s.numberByE164(c, t, to)
	if err != nil {
		return nil, err
	}
	facts := routing.Facts{Time: at, Dialed: n.E164, Random: uint32(in.Random)}
	from := callerFacts(in.From, t.Region, &facts)
	v := &simulationView{From: from, To: n.E164, At: at, TimeZone: loc.String(), Decisions: []simDecision{}, Path: []routing.Step{}}
	lead := fmt.Sprintf("A call from %s to %s at %s", from, n.E164, at.Format("Mon 2 Jan 2006 15:04 MST"))
	finish := func(result, dest, because string) *simulationView {
		v.Result, v.Destination = result, dest
		v.Summary = lead + " " + dest
		if because != "" {
			v.Summary += ", because " + because
		}
		v.Summary += "."
		return v
	}
	if n.Status != store.NumberActive {
		return finish("refused", "is refused", n.E164+" is "+n.Status+" and no longer routed"), nil
	}
	if n.TreeID == nil {
		if n.Fallback != "" {
			return finish("fallback", "goes to the fallback "+n.Fallback, n.E164+" has no routing tree"), nil
		}
		return finish("refused", "is refused", n.E164+" has neither a routing tree nor a fallback"), nil
	}
	refs, err := s.store.RoutingRefs(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	loadPlan := func(key string, id uint) (*routing.Plan, *store.RoutingTree, error) {
		var rt *store.RoutingTree
		var err error
		if id != 0 {
			rt, err = s.store.GetTree(ctx, t.ID, id)
		} else {
			rt, err = s.store.TreeByKey(ctx, t.ID, key)
		}
		if err != nil {
			return nil, nil, err
		}
		cur, err := s.store.GetTreeVersion(ctx, t.ID, rt.ID, rt.Version)
		if err != nil {
			return nil, nil, err
		}
		var tree routing.Tree
		if err := json.Unmarshal([]byte(cur.Document), &tree); err != nil {
			return nil, nil, fmt.Errorf("portal: tree %s version %d: %w", rt.Key, rt.Version, err)
		}
		if tree.TimeZone == "" {
			tree.TimeZone = t.TimeZone
		}
		plan, err := routing.Compile(&tree, refs)
		if err != nil {
			return nil, rt, vms.Errorf(vms.ECONFLICT, "tree %q version %d no longer validates (%v); calls go to the fallback", rt.Key, rt.Version, err)
		}
		return plan, rt, nil
	}
	plan, rt, err := loadPlan("", *n.TreeID)
	if err != nil {
		return nil, err
	}
	v.Tree, v.TreeVersion = rt.Key, rt.Version
	if facts.InList, err = s.listMembership(c, t); err != nil {
		return nil, err
	}
	sites, err := s.store.ListSites(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	facts.SitesDown = map[string]bool{}
	for _, st := range sites {
		if st.Down {
			facts.SitesDown[st.Name] = true
		}
	}
	digits := strings.Split(in.Digits, ",")
	if strings.TrimSpace(in.Digits) == "" {
		digits = nil
	}
	d := plan.Evaluate(facts)
	for range simulateMaxSteps {
		v.Path = append(v.Path, d.Trace()...)
		node := d.Node
		dec := simDecision{Kind: d.Kind, Node: d.NodeID()}
		if node != nil {
			dec.Type = node.Type
		}
		v.Decisions = append(v.Decisions, dec)
		if d.Kind == routing.KindMenu {
			facts.Digits = ""
			if len(digits) > 0 {
				facts.Digits, digits = strings.TrimSpace(digits[0]), digits[1:]
			}
			facts.Attempt = d.Attempt
			d = plan.Resume(node.ID, facts)
			continue
		}
		if node == nil || node.ID == "" {
			return finish("hangup", "is hung up", because(v.Path)), nil
		}
		switch node.Type {
		case routing.TypeNumber, routing.TypeGroup:
			var o routing.Outcome
			switch {
			case len(outcomes) > 0:
				o, outcomes = outcomes[0], outcomes[1:]
			case node.Type == routing.TypeGroup:
				// The call waits for an agent; give group_closed,
				// group_full or group_timeout in outcomes to follow the
				// group's ways out.
				return finish("queued", "waits in the queue of group "+node.Group+labelled(node)+" until an agent answers", because(v.Path)), nil
			default:
				return finish("answered", "rings "+node.Number+labelled(node), because(v.Path)), nil
			}
			if !slices.Contains(routing.Outcomes(node.Type), o) {
				return nil, vms.FieldError("outcomes", "%q cannot happen at %s node %s", o, node.Type, node.ID)
			}
			d = plan.Next(node.ID, o, facts)
		case routing.TypeAnnouncement:
			if node.Next != "" {
				d = plan.Resume(node.ID, facts)
				continue
			}
			return finish("announcement", fmt.Sprintf("hears the announcement %q%s and is hung up", node.Prompt, labelled(node)), because(v.Path)), nil
		case routing.TypeTree:
			next, sub, err := loadPlan(node.Tree, 0)
			if err != nil {
				return nil, err
			}
			plan = next
			v.Path = append(v.Path, routing.Step{Node: node.ID, Label: node.Label, Why: fmt.Sprintf("now in tree %s version %d", sub.Key, sub.Version)})
			d = plan.Evaluate(facts)
		case routing.TypeVoicemail:
			return finish("voicemail", "is asked to leave a message"+labelled(node), because(v.Path)), nil
		case routing.TypeBusy:
			return finish("busy", "hears a busy signal"+labelled(node), because(v.Path)), nil
		default:
			return finish("hangup", "is hung up"+labelled(node), because(v.Path)), nil
		}
	}
	return finish("hangup", "is hung up", fmt.Sprintf("the simulation stopped after %d decisions", simulateMaxSteps)), nil
}

func labelled(n *routing.Node) string {
	if n.Label != "" {
		return " (" + n.Label + ")"
	}
	return ""
}

// because joins the reasons of the path into one sentence.
func because(steps []routing.Step) string {
	var parts []string
	for _, st := range steps {
		if st.Why != "" {
			parts = append(parts, st.Why)
		}
	}
	return strings.Join(parts, "; then ")
}

// numberByE164 finds a number of the tenant.
func (s *Server) numberByE164(c echo.Context, t *store.Tenant, e164 string) (*store.Number, error) {
	n, err := s.store.NumberByE164(c.Request().Context(), e164)
	if vms.ErrorCode(err) == vms.ENOTFOUND || (err == nil && n.TenantID != t.ID) {
		return nil, vms.FieldError("to", "%s is not a number of this customer", e164)
	}
	return n, err
}

// listMembership loads the tenant's caller lists for Facts.InList.
func (s *Server) listMembership(c echo.Context, t *store.Tenant) (func(list, number string) bool, error) {
	ctx := c.Request().Context()
	lists, err := s.store.ListCallerLists(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	members := map[string]map[string]bool{}
	for _, l := range lists {
		es, err := s.store.ListMembers(ctx, t.ID, l.ID)
		if err != nil {
			return nil, err
		}
		set := make(map[string]bool, len(es))
		for _, e := range es {
			set[e.E164] = true
		}
		members[l.Name] = set
	}
	return func(list, number string) bool { return members[list][number] }, nil
}

func (s *Server) apiSimulate(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	var in simulateInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	v, err := s.simulate(c, t, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// simulatePage runs the simulator from a GET form, so that read-only users
// can ask too.
func (s *Server) simulatePage(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	data := pageData("Simulator")
	data["Tenant"] = t
	in := simulateInput{From: c.QueryParam("from"), To: c.QueryParam("to"), At: c.QueryParam("at"), Digits: c.QueryParam("digits")}
	if o := c.QueryParam("outcomes"); o != "" {
		in.Outcomes = strings.Split(o, ",")
	}
	form := map[string]string{"From": in.From, "To": in.To, "At": in.At, "Digits": in.Digits, "Outcomes": c.QueryParam("outcomes")}
	ns, err := s.store.ListNumbers(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	data["Numbers"] = ns
	status := http.StatusOK
	if in.To != "" {
		v, err := s.simulate(c, t, in)
		switch {
		case err == nil:
			data["Result"] = v
		case showOnForm(err):
			status = formFailed(data, "sim", form, err)
		default:
			return err
		}
	}
	setDefaultForm(data, "sim", form)
	return s.render(c, status, "routing_simulate.html", data)
}
