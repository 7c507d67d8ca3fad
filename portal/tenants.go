package portal

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nyaruka/phonenumbers"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/access"
	"github.com/vmsplatform/vms/formula"
	"github.com/vmsplatform/vms/store"
)

// tenantInput creates a tenant (operator only). The formula and options
// are those of the first order (PRV-1); they take effect at activation.
type tenantInput struct {
	Name     string   `json:"name" doc:"the customer company's name"`
	Formula  string   `json:"formula" doc:"Classic, DRS, VoiceContinuity or Outbound"`
	Options  []string `json:"options,omitempty" doc:"optional components ordered on top of the formula, e.g. [\"acm\"]"`
	TimeZone string   `json:"time_zone,omitempty" doc:"IANA time zone; Europe/Brussels when empty"`
	Region   string   `json:"region,omitempty" doc:"ISO country code for numbers in national format; BE when empty"`
}

// tenantPatch changes a tenant's settings. Formula and options are only
// present to refuse them with a clear message: they change through an
// order change (FRM-3).
type tenantPatch struct {
	Name     *string          `json:"name,omitempty"`
	TimeZone *string          `json:"time_zone,omitempty"`
	Region   *string          `json:"region,omitempty"`
	Formula  *json.RawMessage `json:"formula,omitempty" doc:"refused: formula changes are order changes"`
	Options  *json.RawMessage `json:"options,omitempty" doc:"refused: option changes are order changes"`
}

type tenantView struct {
	ID           uint       `json:"id"`
	Name         string     `json:"name"`
	Formula      string     `json:"formula"`
	Options      []string   `json:"options"`
	TimeZone     string     `json:"time_zone"`
	Region       string     `json:"region"`
	Status       string     `json:"status" doc:"ordered, active or terminated"`
	ActivatedAt  *time.Time `json:"activated_at"`
	TerminatesAt *time.Time `json:"terminates_at"`
	CreatedAt    time.Time  `json:"created_at"`
}

// componentView is one enabled component of a tenant (FRM-1).
type componentView struct {
	Component    string `json:"component"`
	Title        string `json:"title"`
	Availability string `json:"availability" doc:"STD (included) or OPT (ordered option)"`
}

type tenantDetailView struct {
	tenantView
	Components []componentView `json:"components"`
}

func viewTenant(t *store.Tenant) tenantView {
	opts := []string{}
	for o := range strings.SplitSeq(t.Options, ",") {
		if o = strings.TrimSpace(o); o != "" {
			opts = append(opts, o)
		}
	}
	return tenantView{ID: t.ID, Name: t.Name, Formula: t.Formula, Options: opts, TimeZone: t.TimeZone,
		Region: t.Region, Status: t.Status, ActivatedAt: t.ActivatedAt, TerminatesAt: t.TerminatesAt, CreatedAt: t.CreatedAt}
}

// tenantComponents lists the components the tenant's formula and options
// enable, with STD/OPT.
func tenantComponents(t *store.Tenant) []componentView {
	f := formula.Formula(t.Formula)
	opts, _ := formula.ParseOptions(t.Options)
	out := []componentView{}
	for _, c := range formula.Enabled(f, opts) {
		out = append(out, componentView{Component: string(c), Title: c.Title(), Availability: formula.AvailabilityOf(f, c).String()})
	}
	return out
}

func (s *Server) registerTenants(api *apiRouter, web *echo.Group) {
	api.handle(http.MethodGet, "/tenants", s.apiListTenants, apiOp{Summary: "List customers (operators: all; others: their own)", Tag: "tenants", Out: []tenantView{}})
	api.handle(http.MethodPost, "/tenants", s.apiCreateTenant, apiOp{Summary: "Create a customer and enter its first order (operator)", Tag: "tenants", In: tenantInput{}, Out: tenantView{}, Status: http.StatusCreated})
	api.handle(http.MethodGet, "/tenants/:tid", s.apiGetTenant, apiOp{Summary: "A customer with its enabled components", Tag: "tenants", Out: tenantDetailView{}})
	api.handle(http.MethodPatch, "/tenants/:tid", s.apiUpdateTenant, apiOp{Summary: "Change a customer's name, time zone or region (formula and options change by order, FRM-3)", Tag: "tenants", In: tenantPatch{}, Out: tenantView{}})

	web.GET("/operator/tenants", s.tenantsPage)
	web.POST("/operator/tenants", s.tenantsCreate)
	web.GET("/tenants/:tid", s.tenantPage)
	web.POST("/tenants/:tid", s.tenantUpdate)
}

// parseFormula checks a formula and its options (FRM-1) and returns them in
// their stored form.
func parseFormula(f string, options []string) (formula.Formula, string, error) {
	fm, err := formula.ParseFormula(f)
	if err != nil {
		return "", "", err
	}
	var opts []formula.Component
	for _, o := range options {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if strings.Contains(o, ",") {
			return "", "", vms.FieldError("options", "%q is not a component", o)
		}
		c := formula.Component(strings.ToLower(o))
		if !c.Valid() {
			return "", "", vms.FieldError("options", "%q is not a component", o)
		}
		opts = append(opts, c)
	}
	if err := formula.ValidateOptions(fm, opts); err != nil {
		return "", "", err
	}
	return fm, formula.FormatOptions(opts), nil
}

func cleanTimeZone(tz string) (string, error) {
	tz = strings.TrimSpace(tz)
	if tz == "" {
		return "Europe/Brussels", nil
	}
	if len(tz) > 64 || strings.HasPrefix(tz, "/") || strings.Contains(tz, "..") {
		return "", vms.FieldError("time_zone", "%q is not a time zone", tz)
	}
	if _, err := time.LoadLocation(tz); err != nil || tz == "Local" {
		return "", vms.FieldError("time_zone", "%q is not a time zone (use a name like Europe/Brussels)", tz)
	}
	return tz, nil
}

func cleanRegion(r string) (string, error) {
	r = strings.ToUpper(strings.TrimSpace(r))
	if r == "" {
		return "BE", nil
	}
	if len(r) != 2 || phonenumbers.GetCountryCodeForRegion(r) == 0 {
		return "", vms.FieldError("region", "%q is not a country code (use two letters like BE)", r)
	}
	return r, nil
}

// createTenant creates a tenant in the ordered state and enters its first
// order (PRV-1), due 15 working days later, in one transaction.
func (s *Server) createTenant(c echo.Context, in tenantInput) (*store.Tenant, error) {
	p, _ := principal(c)
	if err := p.CanOperate(); err != nil {
		return nil, err
	}
	name, err := cleanText("name", in.Name, true, maxName)
	if err != nil {
		return nil, err
	}
	fm, opts, err := parseFormula(in.Formula, in.Options)
	if err != nil {
		return nil, err
	}
	tz, err := cleanTimeZone(in.TimeZone)
	if err != nil {
		return nil, err
	}
	region, err := cleanRegion(in.Region)
	if err != nil {
		return nil, err
	}
	t := &store.Tenant{Name: name, Formula: string(fm), Options: opts, TimeZone: tz, Region: region, Status: store.TenantOrdered}
	now := s.now()
	err = s.store.Tx(c.Request().Context(), func(tx *store.Store) error {
		if err := tx.CreateTenant(c.Request().Context(), actor(c), t); err != nil {
			return err
		}
		o := &store.Order{TenantID: t.ID, Kind: store.OrderNew, Formula: t.Formula, Options: t.Options,
			Status: store.OrderEntered, DueAt: addWorkingDays(now, 15), EnteredByID: p.UserID}
		return tx.CreateOrder(c.Request().Context(), actor(c), o)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// updateTenant changes a tenant's settings (tenant administrators and
// operator staff). Formula and options are refused: FRM-3.
func (s *Server) updateTenant(c echo.Context, in tenantPatch) (*store.Tenant, error) {
	t, p, err := s.tenantAccess(c, true)
	if err != nil {
		return nil, err
	}
	if err := requireTenantAdmin(p, t.ID); err != nil {
		return nil, err
	}
	if in.Formula != nil {
		return nil, vms.FieldError("formula", "cannot be changed directly: the operator enters an order change, which takes effect at activation")
	}
	if in.Options != nil {
		return nil, vms.FieldError("options", "cannot be changed directly: the operator enters an order change, which takes effect at activation")
	}
	if in.Name != nil {
		if t.Name, err = cleanText("name", *in.Name, true, maxName); err != nil {
			return nil, err
		}
	}
	if in.TimeZone != nil {
		if t.TimeZone, err = cleanTimeZone(*in.TimeZone); err != nil {
			return nil, err
		}
	}
	if in.Region != nil {
		if t.Region, err = cleanRegion(*in.Region); err != nil {
			return nil, err
		}
	}
	if err := s.store.UpdateTenant(c.Request().Context(), actor(c), t); err != nil {
		return nil, err
	}
	return t, nil
}

// visibleTenants lists the tenants the caller may read.
func (s *Server) visibleTenants(c echo.Context) ([]store.Tenant, error) {
	p, _ := principal(c)
	if p.Operator() {
		return s.store.ListTenants(c.Request().Context())
	}
	if p.TenantID == nil || p.CanRead(*p.TenantID) != nil {
		return nil, nil
	}
	t, err := s.store.GetTenant(c.Request().Context(), *p.TenantID)
	if err != nil {
		return nil, err
	}
	return []store.Tenant{*t}, nil
}

func (s *Server) apiListTenants(c echo.Context) error {
	ts, err := s.visibleTenants(c)
	if err != nil {
		return err
	}
	out := make([]tenantView, 0, len(ts))
	for i := range ts {
		out = append(out, viewTenant(&ts[i]))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiCreateTenant(c echo.Context) error {
	p, _ := principal(c)
	if err := p.CanOperate(); err != nil {
		return err
	}
	var in tenantInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	t, err := s.createTenant(c, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, viewTenant(t))
}

func (s *Server) apiGetTenant(c echo.Context) error {
	t, _, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, tenantDetailView{tenantView: viewTenant(t), Components: tenantComponents(t)})
}

func (s *Server) apiUpdateTenant(c echo.Context) error {
	t, p, err := s.tenantAccess(c, true)
	if err != nil {
		return err
	}
	if err := requireTenantAdmin(p, t.ID); err != nil {
		return err
	}
	var in tenantPatch
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	t, err = s.updateTenant(c, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewTenant(t))
}

// Pages

func (s *Server) tenantsPage(c echo.Context) error {
	return s.renderTenants(c, http.StatusOK, pageData("Customers"))
}

func (s *Server) renderTenants(c echo.Context, status int, data map[string]any) error {
	p, _ := principal(c)
	if err := p.CanViewOperator(); err != nil {
		return err
	}
	ts, err := s.store.ListTenants(c.Request().Context())
	if err != nil {
		return err
	}
	data["Tenants"] = ts
	data["CanOperate"] = p.CanOperate() == nil
	data["Formulas"] = formula.Formulas()
	data["Options"] = optionalComponents()
	if _, ok := data["Flash"]; !ok {
		data["Flash"] = flashFrom(c)
	}
	setDefaultForm(data, "tenant", tenantInput{TimeZone: "Europe/Brussels", Region: "BE"})
	return s.render(c, status, "tenants.html", data)
}

// optionalComponents lists the components that are an option in at least
// one formula, for the order forms.
func optionalComponents() []formula.Component {
	var out []formula.Component
	for _, c := range formula.AllComponents() {
		for _, f := range formula.Formulas() {
			if formula.AvailabilityOf(f, c) == formula.Optional {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

func (s *Server) tenantsCreate(c echo.Context) error {
	p, _ := principal(c)
	if err := p.CanOperate(); err != nil {
		return err
	}
	form, _ := c.FormParams()
	in := tenantInput{Name: c.FormValue("name"), Formula: c.FormValue("formula"), Options: form["options"],
		TimeZone: c.FormValue("time_zone"), Region: c.FormValue("region")}
	t, err := s.createTenant(c, in)
	if showOnForm(err) {
		data := pageData("Customers")
		return s.renderTenants(c, formFailed(data, "tenant", in, err), data)
	} else if err != nil {
		return err
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d", t.ID), "tenant-created")
}

func (s *Server) tenantPage(c echo.Context) error {
	return s.renderTenant(c, http.StatusOK, pageData(""))
}

// renderTenant renders the tenant dashboard: formula and components,
// counts, orders, representatives and affiliated entities.
func (s *Server) renderTenant(c echo.Context, status int, data map[string]any) error {
	t, p, err := s.tenantAccess(c, false)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	tid := t.ID
	orders, err := s.store.ListOrders(ctx, tid)
	if err != nil {
		return err
	}
	reps, err := s.store.ListRepresentatives(ctx, tid)
	if err != nil {
		return err
	}
	ents, err := s.store.ListEntities(ctx, tid)
	if err != nil {
		return err
	}
	nums, err := s.store.ListNumbers(ctx, tid)
	if err != nil {
		return err
	}
	users, err := s.store.ListUsers(ctx, &tid)
	if err != nil {
		return err
	}
	data["Title"] = t.Name
	data["Tenant"] = t
	data["Components"] = tenantComponents(t)
	data["NumberCount"] = len(nums)
	data["UserCount"] = len(users)
	data["Orders"] = orders
	data["Reps"] = reps
	data["Entities"] = ents
	data["CanOperate"] = p.CanOperate() == nil
	data["CanWrite"] = p.CanWrite(tid) == nil
	data["CanAdmin"] = requireTenantAdmin(p, tid) == nil
	data["HasTRM"] = formula.Check(formula.Formula(t.Formula), mustOptions(t), formula.TRM) == nil
	if formula.Check(formula.Formula(t.Formula), mustOptions(t), formula.Campaigns) == nil {
		lim, err := s.store.GetCampaignLimits(ctx, tid)
		if err != nil {
			return err
		}
		data["HasCampaigns"] = true
		data["CanSetLimits"] = requireOperatorWrite(p) == nil
		setDefaultForm(data, "limits", viewLimits(lim))
	}
	data["Formulas"] = formula.Formulas()
	data["Options"] = optionalComponents()
	data["Roles"] = access.TenantRoles()
	if _, ok := data["Flash"]; !ok {
		data["Flash"] = flashFrom(c)
	}
	setDefaultForm(data, "settings", tenantPatchForm{Name: t.Name, TimeZone: t.TimeZone, Region: t.Region})
	setDefaultForm(data, "order", orderInput{Kind: store.OrderChange, Formula: t.Formula})
	setDefaultForm(data, "entity", entityInput{})
	setDefaultForm(data, "rep", representativeInput{})
	return s.render(c, status, "tenant.html", data)
}

func mustOptions(t *store.Tenant) []formula.Component {
	opts, _ := formula.ParseOptions(t.Options)
	return opts
}

// tenantPatchForm is the settings form's input as typed.
type tenantPatchForm struct{ Name, TimeZone, Region string }

func (s *Server) tenantUpdate(c echo.Context) error {
	f := tenantPatchForm{Name: c.FormValue("name"), TimeZone: c.FormValue("time_zone"), Region: c.FormValue("region")}
	t, err := s.updateTenant(c, tenantPatch{Name: &f.Name, TimeZone: &f.TimeZone, Region: &f.Region})
	if showOnForm(err) {
		data := pageData("")
		return s.renderTenant(c, formFailed(data, "settings", f, err), data)
	} else if err != nil {
		return err
	}
	return seeOther(c, fmt.Sprintf("/tenants/%d", t.ID), "tenant-saved")
}
