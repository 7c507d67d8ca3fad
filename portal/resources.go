package portal

import (
	"errors"
	"net/http"
	netmail "net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/access"
	"github.com/vmsplatform/vms/formula"
)

// registerResources registers the pages and API routes of the domain
// resources (tenants, numbers, users, ...), one file per resource.
// Every handler checks authorisation itself (POR-2, POR-5); the
// authorisation walk in authz_test.go fails for a route without a case.
func (s *Server) registerResources(api *apiRouter, web *echo.Group) {
	s.registerTenants(api, web)
	s.registerOrders(api, web)
	s.registerEntities(api, web)
	s.registerRepresentatives(api, web)
	trm := s.requireComponent(formula.TRM)
	s.registerNumbers(api, web, trm)
	s.registerUsers(api, web)
	s.registerAudit(api, web)
	s.registerRouting(api, web)
	s.registerACD(api, web)
	s.registerDesk(api, web)
	s.registerSupervisor(api, web)
	s.registerOutbound(api, web)
}

// Limits of free-text input, matching the store's column sizes.
const (
	maxName  = 200
	maxEmail = 254
	maxLabel = 200
	maxVAT   = 32
)

// cleanText trims v and checks its length; required refuses an empty value.
func cleanText(field, v string, required bool, max int) (string, error) {
	v = strings.TrimSpace(v)
	if required && v == "" {
		return "", vms.FieldError(field, "is required")
	}
	if !utf8.ValidString(v) {
		return "", vms.FieldError(field, "is not valid text")
	}
	if utf8.RuneCountInString(v) > max {
		return "", vms.FieldError(field, "must be at most %d characters", max)
	}
	for _, r := range v {
		if r < ' ' || r == 0x7f {
			return "", vms.FieldError(field, "must not contain control characters")
		}
	}
	return v, nil
}

// cleanEmail checks and lower-cases an e-mail address: a bare address,
// no display name.
func cleanEmail(field, v string) (string, error) {
	v, err := cleanText(field, v, true, maxEmail)
	if err != nil {
		return "", err
	}
	a, err := netmail.ParseAddress(v)
	if err != nil || a.Address != v || a.Name != "" || !strings.Contains(v[strings.LastIndex(v, "@")+1:], ".") {
		return "", vms.FieldError(field, "%q is not an e-mail address", v)
	}
	return strings.ToLower(v), nil
}

// requireTenantAdmin allows the tenant's administrators and operator staff
// who may change things (BGC-ADMIN, BGC-RW).
func requireTenantAdmin(p access.Principal, tenantID uint) error {
	if err := p.CanWrite(tenantID); err != nil {
		return err
	}
	switch p.Role {
	case access.Admin, access.BGCAdmin, access.BGCRW:
		return nil
	}
	return vms.Errorf(vms.EFORBIDDEN, "only an administrator can change this")
}

// addWorkingDays returns t plus n working days (Monday to Friday); PRV-1
// tracks activation against 15 working days after the order is entered.
func addWorkingDays(t time.Time, n int) time.Time {
	for n > 0 {
		t = t.AddDate(0, 0, 1)
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return t
}

// showOnForm reports whether err belongs next to a form field (re-render
// the form) rather than on an error page.
func showOnForm(err error) bool {
	switch vms.ErrorCode(err) {
	case vms.EINVALID:
		return true
	case vms.ECONFLICT, vms.EFORBIDDEN:
		return vms.ErrorField(err) != ""
	}
	return false
}

// formState carries, per form of a page, the input to show again and the
// errors next to its fields.
type formState struct {
	Errs  map[string]map[string]string
	Forms map[string]any
}

// pageData starts the data of a page with empty form state, so that
// templates can index Errs and Forms without checks.
func pageData(title string) map[string]any {
	return map[string]any{
		"Title": title,
		"Errs":  map[string]map[string]string{},
		"Forms": map[string]any{},
	}
}

// formFailed records err against form name with the user's input kept.
func formFailed(data map[string]any, form string, in any, err error) int {
	data["Errs"].(map[string]map[string]string)[form] = fieldErrors(err)
	data["Forms"].(map[string]any)[form] = in
	return statusOf(vms.ErrorCode(err))
}

// setDefaultForm sets the empty input of a form unless a failed attempt
// already put the user's input there.
func setDefaultForm(data map[string]any, form string, in any) {
	f := data["Forms"].(map[string]any)
	if _, ok := f[form]; !ok {
		f[form] = in
	}
}

// flashes are the messages a redirect after a successful form post may
// show. Only these keys are accepted, so a crafted link cannot put
// arbitrary text on a page.
var flashes = map[string]string{
	"tenant-created":  "Customer created; its order is entered.",
	"tenant-saved":    "Settings saved.",
	"order-created":   "Order entered.",
	"order-activated": "Order activated; the contact person was e-mailed a first-login link.",
	"order-applied":   "Order activated.",
	"order-mailfail":  "Order activated, but the e-mail could not be sent. Re-send the login link from the Users page.",
	"entity-created":  "Affiliated entity added.",
	"entity-deleted":  "Affiliated entity removed.",
	"rep-created":     "Representative added.",
	"rep-deleted":     "Representative removed.",
	"number-created":  "Number added and activated.",
	"number-saved":    "Number saved.",
	"number-deleted":  "Number deleted.",
	"number-ported":   "Number marked as ported out; its routing stops.",
	"user-created":    "User created; a first-login link was e-mailed.",
	"user-mailfail":   "User created, but the e-mail could not be sent. Re-send the login link.",
	"user-saved":      "User saved.",
	"user-deleted":    "User deleted.",
	"link-sent":       "A new first-login link was e-mailed.",
	"link-mailfail":   "The e-mail with the new link could not be sent.",
}

// seeOther redirects after a successful form post; flash is a key of
// flashes shown on the next page.
func seeOther(c echo.Context, to, flash string) error {
	if flash != "" {
		sep := "?"
		if strings.Contains(to, "?") {
			sep = "&"
		}
		to += sep + "done=" + flash
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// flashFrom returns the message a redirect asked for.
func flashFrom(c echo.Context) string {
	return flashes[c.QueryParam("done")]
}

// checked reads an HTML checkbox.
func checked(c echo.Context, name string) bool {
	v := c.FormValue(name)
	return v == "on" || v == "true" || v == "1"
}

// renameField returns err with its field renamed, for a shared validator
// whose field name differs from the form's.
func renameField(err error, from, to string) error {
	var e *vms.Error
	if errors.As(err, &e) && e.Field == from {
		return &vms.Error{Code: e.Code, Field: to, Message: e.Message}
	}
	return err
}
