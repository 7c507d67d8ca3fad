package portal

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/formula"
	"github.com/vmsplatform/vms/phone"
	"github.com/vmsplatform/vms/store"
)

// numberInput adds a number (NUM-1). The line facts decide activation
// (NUM-2); only operator staff may record them: anyone else gets the
// defaults (on the operator's network, no CNIP, no Enterprise Office
// Switch, no One Company Number).
type numberInput struct {
	Number               string `json:"number" doc:"national (Belgian by default, NUM-4) or international format"`
	Label                string `json:"label,omitempty"`
	EntityID             *uint  `json:"entity_id,omitempty" doc:"an affiliated entity of the same customer"`
	OnNetwork            *bool  `json:"on_network,omitempty" doc:"operator only; default true"`
	CNIP                 *bool  `json:"cnip,omitempty" doc:"operator only"`
	EnterpriseSwitch     *bool  `json:"enterprise_switch,omitempty" doc:"operator only"`
	OneCompanyNumber     *bool  `json:"one_company_number,omitempty" doc:"operator only"`
	MarketingDestination *bool  `json:"marketing_destination,omitempty" doc:"operator only: a freephone/premium number already points here"`
}

// numberPatch changes a number; absent fields stay as they are.
type numberPatch struct {
	Label                *string `json:"label,omitempty"`
	EntityID             *uint   `json:"entity_id,omitempty" doc:"0 detaches the number from its entity"`
	Status               *string `json:"status,omitempty" doc:"active or inactive"`
	OnNetwork            *bool   `json:"on_network,omitempty" doc:"operator only"`
	CNIP                 *bool   `json:"cnip,omitempty" doc:"operator only"`
	EnterpriseSwitch     *bool   `json:"enterprise_switch,omitempty" doc:"operator only"`
	OneCompanyNumber     *bool   `json:"one_company_number,omitempty" doc:"operator only"`
	MarketingDestination *bool   `json:"marketing_destination,omitempty" doc:"operator only"`
}

type numberView struct {
	ID                   uint       `json:"id"`
	TenantID             uint       `json:"tenant_id"`
	EntityID             *uint      `json:"entity_id"`
	Number               string     `json:"number" doc:"E.164"`
	Label                string     `json:"label"`
	Kind                 string     `json:"kind"`
	Status               string     `json:"status" doc:"active, inactive or ported"`
	OnNetwork            bool       `json:"on_network"`
	CNIP                 bool       `json:"cnip"`
	EnterpriseSwitch     bool       `json:"enterprise_switch"`
	OneCompanyNumber     bool       `json:"one_company_number"`
	MarketingDestination bool       `json:"marketing_destination"`
	ActivatedAt          *time.Time `json:"activated_at"`
	PortedAt             *time.Time `json:"ported_at"`
	CreatedAt            time.Time  `json:"created_at"`
}

func viewNumber(n *store.Number) numberView {
	return numberView{ID: n.ID, TenantID: n.TenantID, EntityID: n.EntityID, Number: n.E164, Label: n.Label, Kind: n.Kind,
		Status: n.Status, OnNetwork: n.OnNetwork, CNIP: n.CNIP, EnterpriseSwitch: n.EnterpriseSwitch,
		OneCompanyNumber: n.OneCompanyNumber, MarketingDestination: n.MarketingDestination,
		ActivatedAt: n.ActivatedAt, PortedAt: n.PortedAt, CreatedAt: n.CreatedAt}
}

func (s *Server) registerNumbers(api *apiRouter, web *echo.Group, trm echo.MiddlewareFunc) {
	comp := string(formula.TRM)
	api.handle(http.MethodGet, "/tenants/:tid/numbers", s.apiListNumbers, apiOp{Summary: "A customer's numbers", Tag: "numbers", Out: []numberView{}, Component: comp}, trm)
	api.handle(http.MethodPost, "/tenants/:tid/numbers", s.apiCreateNumber, apiOp{Summary: "Add and activate a number; refused with the reason when it cannot be activated", Tag: "numbers", In: numberInput{}, Out: numberView{}, Status: http.StatusCreated, Component: comp}, trm)
	api.handle(http.MethodGet, "/tenants/:tid/numbers/:id", s.apiGetNumber, apiOp{Summary: "One number", Tag: "numbers", Out: numberView{}, Component: comp}, trm)
	api.handle(http.MethodPatch, "/tenants/:tid/numbers/:id", s.apiUpdateNumber, apiOp{Summary: "Change a number's label, entity, status or line facts", Tag: "numbers", In: numberPatch{}, Out: numberView{}, Component: comp}, trm)
	api.handle(http.MethodDelete, "/tenants/:tid/numbers/:id", s.apiDeleteNumber, apiOp{Summary: "Delete a number", Tag: "numbers", Status: http.StatusNoContent, Component: comp}, trm)
	api.handle(http.MethodPost, "/tenants/:tid/numbers/:id/port-out", s.apiPortOutNumber, apiOp{Summary: "Record that a number was ported to another operator: routing stops, history is kept (operator; NUM-3)", Tag: "numbers", Out: numberView{}, Component: comp}, trm)

	web.GET("/tenants/:tid/numbers", s.numbersPage, trm)
	web.POST("/tenants/:tid/numbers", s.numbersCreate, trm)
	web.GET("/tenants/:tid/numbers/:id", s.numberPage, trm)
	web.POST("/tenants/:tid/numbers/:id", s.numberUpdate, trm)
	web.POST("/tenants/:tid/numbers/:id/delete", s.numberDelete, trm)
	web.POST("/tenants/:tid/numbers/:id/port-out", s.numberPortOut, trm)
}

// lineFacts holds the optional line facts of an input.
type lineFacts struct {
	OnNetwork, CNIP, EnterpriseSwitch, OneCompanyNumber, MarketingDestination *bool
}

// apply checks that only operator staff set facts and copies them onto n.
func (f lineFacts) apply(c echo.Context, n *store.Number) error {
	p, _ := principal(c)
	set := []struct {
		field string
		v     *bool
		dst   *bool
	}{
		{"on_network", f.OnNetwork, &n.OnNetwork},
		{"cnip", f.CNIP, &n.CNIP},
		{"enterprise_switch", f.EnterpriseSwitch, &n.EnterpriseSwitch},
		{"one_company_number", f.OneCompanyNumber, &n.OneCompanyNumber},
		{"marketing_destination", f.MarketingDestination, &n.MarketingDestination},
	}
	for _, x := range set {
		if x.v == nil {
			continue
		}
		if !p.Operator() {
			return &vms.Error{Code: vms.EFORBIDDEN, Field: x.field, Message: "only the operator records the facts of a line"}
		}
		*x.dst = *x.v
	}
	return nil
}

func (f lineFacts) any() bool {
	return f.OnNetwork != nil || f.CNIP != nil || f.EnterpriseSwitch != nil || f.OneCompanyNumber != nil || f.MarketingDestination != nil
}

func lineOf(n *store.Number) phone.Line {
	return phone.Line{E164: n.E164, OnNetwork: n.OnNetwork, CNIP: n.CNIP, EnterpriseSwitch: n.EnterpriseSwitch,
		OneCompanyNumber: n.OneCompanyNumber, MarketingDestination: n.MarketingDestination}
}

// checkEntity checks that an entity id belongs to the tenant (NUM-1).
func (s *Server) checkEntity(c echo.Context, t *store.Tenant, id uint) error {
	if _, err := s.store.GetEntity(c.Request().Context(), t.ID, id); vms.ErrorCode(err) == vms.ENOTFOUND {
		return vms.FieldError("entity_id", "is not an affiliated entity of this customer")
	} else if err != nil {
		return err
	}
	return nil
}

// createNumber normalises the number to E.164 (NUM-4) and activates it
// when the rules allow (NUM-2). A refused number is not stored: the error
// names the field "number" and gives the reason.
func (s *Server) createNumber(c echo.Context, t *store.Tenant, in numberInput) (*store.Number, error) {
	e164, err := phone.Normalize(in.Number, t.Region)
	if err != nil {
		return nil, err
	}
	label, err := cleanText("label", in.Label, false, maxLabel)
	if err != nil {
		return nil, err
	}
	n := &store.Number{TenantID: t.ID, E164: e164, Label: label, Kind: string(phone.KindOf(e164)), OnNetwork: true, Status: store.NumberActive}
	facts := lineFacts{in.OnNetwork, in.CNIP, in.EnterpriseSwitch, in.OneCompanyNumber, in.MarketingDestination}
	if err := facts.apply(c, n); err != nil {
		return nil, err
	}
	if in.EntityID != nil {
		if err := s.checkEntity(c, t, *in.EntityID); err != nil {
			return nil, err
		}
		id := *in.EntityID
		n.EntityID = &id
	}
	if err := phone.CheckActivation(lineOf(n), s.cfg.NetworkRegion); err != nil {
		return nil, err
	}
	now := s.now()
	n.ActivatedAt = &now
	if err := s.store.CreateNumber(c.Request().Context(), actor(c), n); err != nil {
		return nil, err
	}
	return n, nil
}

// number loads the :id number within the tenant of the path.
func (s *Server) number(c echo.Context, t *store.Tenant) (*store.Number, error) {
	id, err := idParam(c, "id")
	if err != nil {
		return nil, err
	}
	return s.store.GetNumber(c.Request().Context(), t.ID, id)
}

// updateNumber applies a patch. A number that is (or becomes) active must
// pass the activation rules with its new facts; otherwise nothing is
// written. A ported number only takes a new label.
func (s *Server) updateNumber(c echo.Context, t *store.Tenant, n *store.Number, in numberPatch) (*store.Number, error) {
	before := *n
	if in.Label != nil {
		l, err := cleanText("label", *in.Label, false, maxLabel)
		if err != nil {
			return nil, err
		}
		n.Label = l
	}
	facts := lineFacts{in.OnNetwork, in.CNIP, in.EnterpriseSwitch, in.OneCompanyNumber, in.MarketingDestination}
	if n.Status == store.NumberPorted && (facts.any() || in.Status != nil || in.EntityID != nil) {
		return nil, vms.Errorf(vms.ECONFLICT, "%s was ported to another operator; only its label can change", n.E164)
	}
	if err := facts.apply(c, n); err != nil {
		return nil, err
	}
	if in.EntityID != nil {
		if *in.EntityID == 0 {
			n.EntityID = nil
		} else {
			if err := s.checkEntity(c, t, *in.EntityID); err != nil {
				return nil, err
			}
			id := *in.EntityID
			n.EntityID = &id
		}
	}
	if in.Status != nil {
		switch st := strings.TrimSpace(*in.Status); st {
		case store.NumberActive, store.NumberInactive:
			n.Status = st
		default:
			return nil, vms.FieldError("status", "must be active or inactive")
		}
	}
	if n.Status == store.NumberActive {
		if err := phone.CheckActivation(lineOf(n), s.cfg.NetworkRegion); err != nil {
			return nil, err
		}
		if before.Status != store.NumberActive {
			now := s.now()
			n.ActivatedAt = &now
			n.RefusalReason = ""
		}
	}
	if err := s.store.UpdateNumber(c.Request().Context(), actor(c), n); err != nil {
		return nil, err
	}
	return n, nil
}

// portOutNumber records that a number left for another operator (NUM-3):
// it stops routing and stays in the history (operator staff only).
func (s *Server) portOutNumber(c echo.Context, n *store.Number) (*store.Number, error) {
	p, _ := principal(c)
	if err := p.CanOperate(); err != nil {
		return nil, err
	}
	if n.Status == store.NumberPorted {
		return nil, vms.Errorf(vms.ECONFLICT, "%s is already ported out", n.E164)
	}
	now := s.now()
	n.Status, n.PortedAt, n.OnNetwork = store.NumberPorted, &now, false
	if err := s.store.UpdateNumber(c.Request().Context(), actor(c), n); err != nil {
		return nil, err
	}
	return n, nil
}

func (s *Server) apiListNumbers(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	ns, err := s.store.ListNumbers(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	out := make([]numberView, 0, len(ns))
	for i := range ns {
		out = append(out, viewNumber(&ns[i]))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiCreateNumber(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	var in numberInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	n, err := s.createNumber(c, t, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, viewNumber(n))
}

func (s *Server) apiGetNumber(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	n, err := s.number(c, t)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewNumber(n))
}

func (s *Server) apiUpdateNumber(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	n, err := s.number(c, t)
	if err != nil {
		return err
	}
	var in numberPatch
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	n, err = s.updateNumber(c, t, n, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewNumber(n))
}

func (s *Server) apiDeleteNumber(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	n, err := s.number(c, t)
	if err != nil {
		return err
	}
	if err := s.store.DeleteNumber(c.Request().Context(), actor(c), t.ID, n.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) apiPortOutNumber(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	p, _ := principal(c)
	if err := p.CanOperate(); err != nil {
		return err
	}
	n, err := s.number(c, t)
	if err != nil {
		return err
	}
	n, err = s.portOutNumber(c, n)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewNumber(n))
}

// Pages

// numberForm is the add/edit form as typed.
type numberForm struct {
	Number, Label, EntityID, Status                                           string
	OnNetwork, CNIP, EnterpriseSwitch, OneCompanyNumber, MarketingDestination bool
}

func numberFormOf(c echo.Context) numberForm {
	return numberForm{Number: c.FormValue("number"), Label: c.FormValue("label"), EntityID: c.FormValue("entity_id"), Status: c.FormValue("status"),
		OnNetwork: checked(c, "on_network"), CNIP: checked(c, "cnip"), EnterpriseSwitch: checked(c, "enterprise_switch"),
		OneCompanyNumber: checked(c, "one_company_number"), MarketingDestination: checked(c, "marketing_destination")}
}

// facts returns the form's line facts for operator staff, none otherwise
// (the form shows them to operators only).
func (f numberForm) facts(c echo.Context) lineFacts {
	if p, _ := principal(c); !p.Operator() {
		return lineFacts{}
	}
	return lineFacts{&f.OnNetwork, &f.CNIP, &f.EnterpriseSwitch, &f.OneCompanyNumber, &f.MarketingDestination}
}

func (f numberForm) entity() (*uint, error) {
	if f.EntityID == "" {
		return nil, nil
	}
	v, err := strconv.ParseUint(f.EntityID, 10, 32)
	if err != nil {
		return nil, vms.FieldError("entity_id", "choose an entity from the list")
	}
	id := uint(v)
	return &id, nil
}

func (s *Server) numbersPage(c echo.Context) error {
	return s.renderNumbers(c, http.StatusOK, pageData("Numbers"))
}

func (s *Server) renderNumbers(c echo.Context, status int, data map[string]any) error {
	t, p, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	ns, err := s.store.ListNumbers(ctx, t.ID)
	if err != nil {
		return err
	}
	es, err := s.store.ListEntities(ctx, t.ID)
	if err != nil {
		return err
	}
	names := map[uint]string{}
	for _, e := range es {
		names[e.ID] = e.Name
	}
	type row struct {
		store.Number
		EntityName string
	}
	rows := make([]row, 0, len(ns))
	for _, n := range ns {
		r := row{Number: n}
		if n.EntityID != nil {
			r.EntityName = names[*n.EntityID]
		}
		rows = append(rows, r)
	}
	data["Title"] = "Numbers · " + t.Name
	data["Tenant"] = t
	data["Numbers"] = rows
	data["Entities"] = es
	data["CanWrite"] = p.CanWrite(t.ID) == nil
	data["IsOperator"] = p.Operator()
	data["CanOperate"] = p.CanOperate() == nil
	if _, ok := data["Flash"]; !ok {
		data["Flash"] = flashFrom(c)
	}
	setDefaultForm(data, "number", numberForm{OnNetwork: true})
	return s.render(c, status, "numbers.html", data)
}

func (s *Server) numbersCreate(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	f := numberFormOf(c)
	err = func() error {
		eid, err := f.entity()
		if err != nil {
			return err
		}
		facts := f.facts(c)
		_, err = s.createNumber(c, t, numberInput{Number: f.Number, Label: f.Label, EntityID: eid, OnNetwork: facts.OnNetwork, CNIP: facts.CNIP,
			EnterpriseSwitch: facts.EnterpriseSwitch, OneCompanyNumber: facts.OneCompanyNumber, MarketingDestination: facts.MarketingDestination})
		return err
	}()
	if showOnForm(err) {
		data := pageData("Numbers")
		return s.renderNumbers(c, formFailed(data, "number", f, err), data)
	} else if err != nil {
		return err
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/numbers", t.ID), "number-created")
}

func (s *Server) numberPage(c echo.Context) error {
	return s.renderNumber(c, http.StatusOK, pageData("Number"))
}

func (s *Server) renderNumber(c echo.Context, status int, data map[string]any) error {
	t, p, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	n, err := s.number(c, t)
	if err != nil {
		return err
	}
	es, err := s.store.ListEntities(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	data["Title"] = n.E164 + " · " + t.Name
	data["Tenant"] = t
	data["Number"] = n
	data["Entities"] = es
	data["CanWrite"] = p.CanWrite(t.ID) == nil
	data["IsOperator"] = p.Operator()
	data["CanOperate"] = p.CanOperate() == nil
	if _, ok := data["Flash"]; !ok {
		data["Flash"] = flashFrom(c)
	}
	f := numberForm{Number: n.E164, Label: n.Label, Status: n.Status, OnNetwork: n.OnNetwork, CNIP: n.CNIP, EnterpriseSwitch: n.EnterpriseSwitch,
		OneCompanyNumber: n.OneCompanyNumber, MarketingDestination: n.MarketingDestination}
	if n.EntityID != nil {
		f.EntityID = strconv.FormatUint(uint64(*n.EntityID), 10)
	}
	setDefaultForm(data, "number", f)
	return s.render(c, status, "number.html", data)
}

func (s *Server) numberUpdate(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	n, err := s.number(c, t)
	if err != nil {
		return err
	}
	f := numberFormOf(c)
	f.Number = n.E164
	err = func() error {
		eid, err := f.entity()
		if err != nil {
			return err
		}
		if eid == nil {
			zero := uint(0)
			eid = &zero
		}
		facts := f.facts(c)
		in := numberPatch{Label: &f.Label, EntityID: eid, OnNetwork: facts.OnNetwork, CNIP: facts.CNIP,
			EnterpriseSwitch: facts.EnterpriseSwitch, OneCompanyNumber: facts.OneCompanyNumber, MarketingDestination: facts.MarketingDestination}
		if n.Status != store.NumberPorted {
			in.Status = &f.Status
		} else {
			in = numberPatch{Label: &f.Label}
		}
		_, err = s.updateNumber(c, t, n, in)
		return err
	}()
	if showOnForm(err) {
		data := pageData("Number")
		return s.renderNumber(c, formFailed(data, "number", f, err), data)
	} else if err != nil {
		return err
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/numbers/%d", t.ID, n.ID), "number-saved")
}

func (s *Server) numberDelete(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	n, err := s.number(c, t)
	if err != nil {
		return err
	}
	if err := s.store.DeleteNumber(c.Request().Context(), actor(c), t.ID, n.ID); err != nil {
		return err
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/numbers", t.ID), "number-deleted")
}

func (s *Server) numberPortOut(c echo.Context) error {
	t, _, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	p, _ := principal(c)
	if err := p.CanOperate(); err != nil {
		return err
	}
	n, err := s.number(c, t)
	if err != nil {
		return err
	}
	if _, err := s.portOutNumber(c, n); err != nil {
		return err
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d/numbers/%d", t.ID, n.ID), "number-ported")
}
