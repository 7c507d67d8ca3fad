package portal

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/acd"
	"github.com/vmsplatform/vms/center"
	"github.com/vmsplatform/vms/formula"
)

// registerDesk registers the agent desktop (ACM-6): the page, its event
// stream, and the JSON API of its buttons and of the built-in softphone.
// Every route acts on the caller's own agent only.
func (s *Server) registerDesk(api *apiRouter, web *echo.Group) {
	op := func(summary string, in, out any, status int) apiOp {
		return apiOp{Summary: summary, Tag: "desk", In: in, Out: out, Status: status, Component: string(formula.ACM)}
	}
	api.handle(http.MethodGet, "/desk", s.apiDesk, op("My agent status, current contact and pause reasons", nil, deskView{}, 0))
	api.handle(http.MethodPost, "/desk/state", s.apiDeskState, op("Change my agent state: log in (available), pause with a reason, resume (available) or log out", deskStateInput{}, deskView{}, 0))
	api.handle(http.MethodPost, "/desk/softphone", s.apiDeskSoftphone, op("Credentials of my built-in softphone; a fresh password at every call", nil, softphoneView{}, 0))
	web.GET("/desk", s.deskPage)
	web.GET("/desk/events", s.deskEvents)
}

// errNoCenter answers when this process runs no contact centre.
var errNoCenter = vms.Errorf(vms.EUNAVAILABLE, "the contact centre is not running; try again later")

// errNotAgent answers a user who has no agent.
var errNotAgent = vms.Errorf(vms.EFORBIDDEN, "your account is not set up as an agent; ask your administrator")

// deskAgent returns the caller's agent, after checking that the caller's
// tenant has agents (ACM or Outbound campaigns).
func (s *Server) deskAgent(c echo.Context) (center.Agent, error) {
	if s.cfg.Center == nil {
		return center.Agent{}, errNoCenter
	}
	p, _ := principal(c)
	a, ok := s.cfg.Center.AgentByUser(p.UserID)
	if !ok || p.TenantID == nil || *p.TenantID != a.TenantID {
		return center.Agent{}, errNotAgent
	}
	t, err := s.store.GetTenant(c.Request().Context(), a.TenantID)
	if err != nil {
		return center.Agent{}, err
	}
	if err := tenantComponent(t, contactCentre...); err != nil {
		return center.Agent{}, err
	}
	return a, nil
}

// contactView is a contact (call or e-mail) as the desktop and the
// supervisor screen show it.
type contactView struct {
	ID      string    `json:"id"`
	Channel string    `json:"channel"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	Subject string    `json:"subject,omitempty"`
	Path    []string  `json:"path"`
	EmailID uint      `json:"email_id,omitempty"`
	Arrived time.Time `json:"arrived"`
	// Waited is how long the contact waited in the queue, in seconds
	// (until now while it still waits).
	Waited float64 `json:"waited_seconds"`
}

func viewContact(cs *center.ContactStatus) *contactView {
	if cs == nil {
		return nil
	}
	path := cs.Info.Path
	if path == nil {
		path = []string{}
	}
	return &contactView{
		ID: string(cs.ID), Channel: cs.Channel.String(), From: cs.Info.From, To: cs.Info.To,
		Subject: cs.Info.Subject, Path: path, EmailID: cs.Info.EmailID,
		Arrived: cs.Arrived, Waited: cs.Waited.Seconds(),
	}
}

// deskView is the agent's own status (ACM-6).
type deskView struct {
	At         time.Time `json:"at"`
	AgentID    string    `json:"agent_id"`
	Name       string    `json:"name"`
	State      string    `json:"state"`
	Reason     string    `json:"reason,omitempty"`
	Since      time.Time `json:"since"`
	Registered bool      `json:"registered"`
	// WrapUpEnds is when the after-call work ends; only in state wrap_up.
	WrapUpEnds   *time.Time    `json:"wrap_up_ends,omitempty"`
	Call         *contactView  `json:"call,omitempty"`
	Emails       []contactView `json:"emails"`
	PauseReasons []string      `json:"pause_reasons"`
}

// deskStatus builds the view of agent a from a fresh snapshot.
func (s *Server) deskStatus(a center.Agent) deskView {
	snap := s.cfg.Center.Snapshot(a.TenantID)
	v := deskView{At: snap.At, AgentID: string(a.ID), Name: a.Name, State: acd.LoggedOut.String(),
		Emails: []contactView{}, PauseReasons: s.cfg.Center.PauseReasons(a.TenantID)}
	if v.PauseReasons == nil {
		v.PauseReasons = []string{}
	}
	for _, st := range snap.Agents {
		if st.ID != a.ID {
			continue
		}
		v.Name = st.Name
		v.State, v.Reason, v.Since, v.Registered = st.View.State.String(), string(st.View.Reason), st.View.Since, st.View.Registered
		if !st.WrapUpEnds.IsZero() {
			t := st.WrapUpEnds
			v.WrapUpEnds = &t
		}
		v.Call = viewContact(st.Call)
		for i := range st.Emails {
			v.Emails = append(v.Emails, *viewContact(&st.Emails[i]))
		}
	}
	return v
}

func (s *Server) apiDesk(c echo.Context) error {
	a, err := s.deskAgent(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.deskStatus(a))
}

// deskStateInput asks for a state: "available" (log in, or resume from a
// pause, wrap-up or not-ready), "paused" (with one of the tenant's
// reasons) or "logged_out".
type deskStateInput struct {
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

func (s *Server) apiDeskState(c echo.Context) error {
	a, err := s.deskAgent(c)
	if err != nil {
		return err
	}
	var in deskStateInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if err := s.setDeskState(a, in); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.deskStatus(a))
}

// setDeskState moves agent a to the state in asks for.
func (s *Server) setDeskState(a center.Agent, in deskStateInput) error {
	cur := s.deskStatus(a).State
	var err error
	switch in.State {
	case acd.Available.String():
		switch cur {
		case acd.Available.String():
			return nil
		case acd.LoggedOut.String():
			err = s.cfg.Center.Login(a.ID)
		default:
			err = s.cfg.Center.Resume(a.ID)
		}
	case acd.Paused.String():
		if in.Reason != "" && !slices.Contains(s.cfg.Center.PauseReasons(a.TenantID), in.Reason) {
			return vms.FieldError("reason", "is not one of your organisation's pause reasons")
		}
		err = s.cfg.Center.Pause(a.ID, in.Reason)
	case acd.LoggedOut.String():
		if cur == acd.LoggedOut.String() {
			return nil
		}
		err = s.cfg.Center.Logout(a.ID)
	case "":
		return vms.FieldError("state", "is required")
	default:
		return vms.FieldError("state", "must be available, paused or logged_out")
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, acd.ErrInvalidTransition), errors.Is(err, acd.ErrAgentBusy):
		return vms.Errorf(vms.ECONFLICT, "you cannot change to %s while %s", stateTitle(in.State), stateTitle(cur))
	case errors.Is(err, center.ErrUnknownReason):
		return vms.FieldError("reason", "is not one of your organisation's pause reasons")
	case errors.Is(err, acd.ErrUnknownAgent):
		return errNotAgent
	}
	return fmt.Errorf("portal: agent %s state %s: %w", a.ID, in.State, err)
}

// stateTitle is how users read an agent state.
func stateTitle(state string) string {
	switch state {
	case "logged_out":
		return "logged out"
	case "available":
		return "available"
	case "ringing":
		return "ringing"
	case "talking":
		return "on a call"
	case "wrap_up":
		return "in wrap-up"
	case "paused":
		return "paused"
	case "not_ready":
		return "not ready"
	}
	return state
}

// softphoneView is what the desktop's softphone needs to register over
// SIP on WebSocket to the media engine.
type softphoneView struct {
	WSURL    string `json:"ws_url"`
	URI      string `json:"uri"`
	Password string `json:"password"`
	// DisplayName is the agent's name, shown to the people it calls.
	DisplayName string `json:"display_name"`
}

func (s *Server) apiDeskSoftphone(c echo.Context) error {
	a, err := s.deskAgent(c)
	if err != nil {
		return err
	}
	if s.cfg.Provisioner == nil || s.cfg.SIPWebSocketURL == "" {
		return vms.Errorf(vms.EUNAVAILABLE, "the softphone is not available: no media engine is configured")
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return fmt.Errorf("portal: softphone password: %w", err)
	}
	pw := hex.EncodeToString(raw[:])
	if err := s.cfg.Provisioner.ProvisionEndpoint(c.Request().Context(), a.Endpoint, pw); err != nil {
		s.log.ErrorContext(c.Request().Context(), "provision softphone", errAttr(err), reqAttr(c), "agent", string(a.ID))
		return vms.Errorf(vms.EUNAVAILABLE, "the softphone could not be set up; try again later")
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, softphoneView{
		WSURL: s.cfg.SIPWebSocketURL, URI: "sip:" + a.Endpoint + "@" + s.sipDomain(),
		Password: pw, DisplayName: a.Name,
	})
}

// sipDomain is the domain of the agents' SIP URIs: SIPDomain, else the
// host of the WebSocket URL.
func (s *Server) sipDomain() string {
	if s.cfg.SIPDomain != "" {
		return s.cfg.SIPDomain
	}
	if u, err := url.Parse(s.cfg.SIPWebSocketURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "localhost"
}

func (s *Server) deskPage(c echo.Context) error {
	data := pageData("Agent desktop")
	a, err := s.deskAgent(c)
	switch {
	case err == nil:
	case errors.Is(err, errNotAgent), errors.Is(err, errNoCenter), vms.ErrorCode(err) == vms.EFORBIDDEN:
		data["Unavailable"] = vms.ErrorMessage(err)
		return s.render(c, statusOf(vms.ErrorCode(err)), "desk.html", data)
	default:
		return err
	}
	data["Agent"] = a
	data["Desk"] = s.deskStatus(a)
	// The e-mail section comes with ACM only (group e-mail addresses).
	if t, err := s.store.GetTenant(c.Request().Context(), a.TenantID); err == nil && tenantComponent(t, formula.ACM) == nil {
		_, data["EmailJS"] = s.pages.hashes["desk_email.js"]
	}
	data["Softphone"] = s.cfg.Provisioner != nil && s.cfg.SIPWebSocketURL != ""
	return s.render(c, http.StatusOK, "desk.html", data)
}

// deskEvents streams the agent's own status as server-sent events: one
// at once, then one after each change that alters it.
func (s *Server) deskEvents(c echo.Context) error {
	a, err := s.deskAgent(c)
	if err != nil {
		return err
	}
	return s.stream(c, a.TenantID, false, func() (any, any) {
		v := s.deskStatus(a)
		// The key leaves out the time, so a change elsewhere in the
		// tenant sends nothing.
		k := v
		k.At = time.Time{}
		return v, k
	})
}
