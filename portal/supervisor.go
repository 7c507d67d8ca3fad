package portal

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/access"
	"github.com/vmsplatform/vms/acd"
	"github.com/vmsplatform/vms/formula"
)

// registerSupervisor registers the supervisor screen (ACM-7): the live
// state of a tenant's agents and queues, for its administrators,
// read-write and read-only users and supervisors (and operator staff).
func (s *Server) registerSupervisor(api *apiRouter, web *echo.Group) {
	acm := s.requireAnyComponent(contactCentre...)
	api.handle(http.MethodGet, "/tenants/:tid/supervisor", s.apiSupervisor,
		apiOp{Summary: "Live state of the agents and queues, and the last hour", Tag: "desk", Out: supervisorView{}, Component: string(formula.ACM)}, acm)
	web.GET("/tenants/:tid/supervisor", s.supervisorPage, acm)
	web.GET("/tenants/:tid/supervisor/events", s.supervisorEvents, acm)
	web.GET("/supervisor", s.supervisorHome)
}

// agentRow is one agent on the supervisor screen.
type agentRow struct {
	ID         string       `json:"id"`
	Name       string       `json:"name"`
	State      string       `json:"state"`
	Reason     string       `json:"reason,omitempty"`
	Since      time.Time    `json:"since"`
	Registered bool         `json:"registered"`
	WrapUpEnds *time.Time   `json:"wrap_up_ends,omitempty"`
	Call       *contactView `json:"call,omitempty"`
	Emails     int          `json:"emails"`
}

// groupRow is one group's queue on the supervisor screen.
type groupRow struct {
	Key     string `json:"key"`
	Name    string `json:"name"`
	Closed  bool   `json:"closed"`
	Waiting int    `json:"waiting"`
	// LongestWait is the longest current wait of a caller, in seconds.
	LongestWait   float64 `json:"longest_wait_seconds"`
	WaitingEmails int     `json:"waiting_emails"`
	// ServiceLevel is the percentage of calls answered within the
	// target; absent before the first call.
	ServiceLevel  *float64       `json:"service_level,omitempty"`
	TargetPercent int            `json:"target_percent"`
	TargetWithin  float64        `json:"target_within_seconds"`
	Answered      int            `json:"answered"`
	Abandoned     int            `json:"abandoned"`
	Overflowed    int            `json:"overflowed"`
	Agents        map[string]int `json:"agents"`
	Unregistered  int            `json:"unregistered"`
	Contacts      []contactView  `json:"contacts"`
}

// sampleView is one minute of the last hour.
type sampleView struct {
	At          time.Time `json:"at"`
	Waiting     int       `json:"waiting"`
	Talking     int       `json:"talking"`
	Available   int       `json:"available"`
	LongestWait float64   `json:"longest_wait_seconds"`
}

// supervisorView is the whole supervisor screen.
type supervisorView struct {
	At      time.Time    `json:"at"`
	Agents  []agentRow   `json:"agents"`
	Groups  []groupRow   `json:"groups"`
	History []sampleView `json:"history"`
}

// supervisorState builds the screen of tenant tenantID.
func (s *Server) supervisorState(tenantID uint) supervisorView {
	snap := s.cfg.Center.Snapshot(tenantID)
	v := supervisorView{At: snap.At, Agents: []agentRow{}, Groups: []groupRow{}, History: []sampleView{}}
	for _, a := range snap.Agents {
		r := agentRow{ID: string(a.ID), Name: a.Name, State: a.View.State.String(), Reason: string(a.View.Reason),
			Since: a.View.Since, Registered: a.View.Registered, Call: viewContact(a.Call), Emails: len(a.Emails)}
		if !a.WrapUpEnds.IsZero() {
			t := a.WrapUpEnds
			r.WrapUpEnds = &t
		}
		v.Agents = append(v.Agents, r)
	}
	for _, g := range snap.Groups {
		st := g.Stats
		r := groupRow{Key: g.Key, Name: g.Name, Closed: g.Config.Closed, Waiting: st.Waiting, LongestWait: st.LongestWait.Seconds(),
			WaitingEmails: st.WaitingEmails, TargetPercent: st.Target.Percent, TargetWithin: st.Target.Within.Seconds(),
			Answered: st.Answered, Abandoned: st.Abandoned, Overflowed: st.Overflowed,
			Agents: map[string]int{}, Unregistered: st.Unregistered, Contacts: []contactView{}}
		if sl, ok := st.ServiceLevel(); ok {
			r.ServiceLevel = &sl
		}
		for i := range acd.StateCount {
			r.Agents[acd.State(i).String()] = st.Agents[i]
		}
		for i := range g.Waiting {
			r.Contacts = append(r.Contacts, *viewContact(&g.Waiting[i]))
		}
		v.Groups = append(v.Groups, r)
	}
	for _, h := range s.cfg.Center.History(tenantID) {
		v.History = append(v.History, sampleView{At: h.At, Waiting: h.Waiting, Talking: h.Talking, Available: h.Available, LongestWait: h.LongestWait.Seconds()})
	}
	return v
}

// supervisorTenant returns the tenant of :tid, whose access the route's
// middleware checked.
func (s *Server) supervisorTenant(c echo.Context) (uint, error) {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return 0, err
	}
	if s.cfg.Center == nil {
		return 0, errNoCenter
	}
	return t.ID, nil
}

func (s *Server) apiSupervisor(c echo.Context) error {
	tid, err := s.supervisorTenant(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.supervisorState(tid))
}

func (s *Server) supervisorPage(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	data := pageData("Supervisor")
	data["Tenant"] = t
	if s.cfg.Center == nil {
		data["Unavailable"] = vms.ErrorMessage(errNoCenter)
		return s.render(c, http.StatusOK, "supervisor.html", data)
	}
	b, err := json.Marshal(s.supervisorState(t.ID))
	if err != nil {
		return err
	}
	data["StateJSON"] = string(b)
	data["Events"] = fmt.Sprintf("/tenants/%d/supervisor/events", t.ID)
	return s.render(c, http.StatusOK, "supervisor.html", data)
}

func (s *Server) supervisorEvents(c echo.Context) error {
	tid, err := s.supervisorTenant(c)
	if err != nil {
		return err
	}
	return s.stream(c, tid, true, func() (any, any) { return s.supervisorState(tid), nil })
}

// supervisorHome sends a tenant user to the supervisor screen of their
// own tenant.
func (s *Server) supervisorHome(c echo.Context) error {
	p, _ := principal(c)
	if p.TenantID == nil || p.Role == access.Agent {
		return vms.Errorf(vms.EFORBIDDEN, "the supervisor screen is for a customer's administrators, users and supervisors")
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/tenants/%d/supervisor", *p.TenantID))
}
