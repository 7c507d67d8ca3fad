// Package formula owns the commercial formulas a tenant subscribes to, the
// components of the service, and the matrix saying which component is
// included (STD), orderable as an option (OPT) or not available in each
// formula (FRM-1). It also answers the one question every feature asks on
// the server side: may this tenant use that component (FRM-2)?
//
// The package is pure: it does no I/O, reads no clock and holds no state.
// Storing a tenant's formula and recording order changes (FRM-3) belong to
// the store and portal packages.
package formula

import (
	"fmt"
	"strings"

	"github.com/vmsplatform/vms"
)

// Formula is a commercial formula a tenant subscribes to (FRM-1).
type Formula string

// The formulas of the contract.
const (
	Classic         Formula = "Classic"
	DRS             Formula = "DRS"
	VoiceContinuity Formula = "VoiceContinuity"
	Outbound        Formula = "Outbound"
)

// Formulas returns every formula, in the order of the contract.
func Formulas() []Formula {
	return []Formula{Classic, DRS, VoiceContinuity, Outbound}
}

// Title returns the name of the formula as the contract spells it for
// people ("Voice Continuity").
func (f Formula) Title() string {
	if f == VoiceContinuity {
		return "Voice Continuity"
	}
	return string(f)
}

// ParseFormula parses a formula name, case-insensitively. "Voice Continuity"
// (with a space) is accepted for VoiceContinuity.
func ParseFormula(s string) (Formula, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return "", vms.FieldError("formula", "is required (one of %s)", formulaList())
	}
	for _, f := range Formulas() {
		if strings.EqualFold(t, string(f)) || strings.EqualFold(t, f.Title()) {
			return f, nil
		}
	}
	return "", vms.FieldError("formula", "%q is not a formula (one of %s)", t, formulaList())
}

func formulaList() string {
	names := make([]string, 0, 4)
	for _, f := range Formulas() {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

// Component is a part of the service that a formula includes or offers as an
// option. Its value is the stable identifier used in the API and the store.
type Component string

// The components of the contract, in the order of its table (FRM-1).
const (
	TRM             Component = "trm"
	ACM             Component = "acm"
	Campaigns       Component = "outbound"
	Recording       Component = "recording"
	Statistics      Component = "statistics"
	MobileApp       Component = "mobile-app"
	Configuration   Component = "configuration"
	ServiceDesk     Component = "service-desk"
	StandardChanges Component = "standard-changes"
	Autoconfig      Component = "autoconfig"
	IncidentHours   Component = "incident-hours"
	ChangeHours     Component = "change-hours"
	CriticalChange  Component = "critical-change"
)

// AllComponents returns every component in the order of the contract's table.
func AllComponents() []Component {
	out := make([]Component, len(table))
	for i, r := range table {
		out[i] = r.c
	}
	return out
}

// Title returns the name of the component as the contract writes it, e.g.
// "Traffic Routing Management (TRM)". An unknown component returns its
// identifier.
func (c Component) Title() string {
	if r, ok := rowOf(c); ok {
		return r.title
	}
	return string(c)
}

// Valid reports whether c is a component of the contract.
func (c Component) Valid() bool {
	_, ok := rowOf(c)
	return ok
}

// Availability says how a formula offers a component.
type Availability int

// The three cells of the matrix.
const (
	NotAvailable Availability = iota // "—": cannot be had with this formula
	Standard                         // "STD": included
	Optional                         // "OPT": an option that must be ordered
)

// String returns the notation of the contract's table: "—", "STD" or "OPT".
func (a Availability) String() string {
	switch a {
	case Standard:
		return "STD"
	case Optional:
		return "OPT"
	default:
		return "—"
	}
}

const (
	na  = NotAvailable
	std = Standard
	opt = Optional
)

type row struct {
	c     Component
	title string
	// in the order of Formulas(): Classic, DRS, VoiceContinuity, Outbound.
	cells [4]Availability
}

// table is the matrix of FRM-1, row for row.
var table = []row{
	{TRM, "Traffic Routing Management (TRM)", [4]Availability{std, std, std, na}},
	{ACM, "Agent Contact Management (ACM)", [4]Availability{opt, opt, opt, na}},
	{Campaigns, "Outbound campaigns", [4]Availability{na, na, na, std}},
	{Recording, "Call recording", [4]Availability{opt, na, na, na}},
	{Statistics, "Statistics reports in the portal", [4]Availability{opt, na, na, opt}},
	{MobileApp, "Mobile app (routing on/off)", [4]Availability{na, na, std, na}},
	{Configuration, "Configuration & activation", [4]Availability{std, std, std, std}},
	{ServiceDesk, "Service desk, remote diagnosis & intervention", [4]Availability{std, std, std, std}},
	{StandardChanges, "Standard changes (paid catalogue)", [4]Availability{opt, opt, opt, opt}},
	{Autoconfig, "Self-service configuration (autoconfig)", [4]Availability{std, std, std, std}},
	{IncidentHours, "Incident hours Mon–Fri 08:00–18:00, P1 restoration 5 h", [4]Availability{std, std, std, std}},
	{ChangeHours, "Change-implementation hours Mon–Fri 08:00–18:00", [4]Availability{na, std, std, na}},
	{CriticalChange, "Critical standard change within 60 min", [4]Availability{na, std, std, na}},
}

func rowOf(c Component) (row, bool) {
	for _, r := range table {
		if r.c == c {
			return r, true
		}
	}
	return row{}, false
}

func column(f Formula) int {
	for i, g := range Formulas() {
		if g == f {
			return i
		}
	}
	return -1
}

// AvailabilityOf returns how formula f offers component c. An unknown
// formula or component is NotAvailable.
func AvailabilityOf(f Formula, c Component) Availability {
	col := column(f)
	r, ok := rowOf(c)
	if col < 0 || !ok {
		return NotAvailable
	}
	return r.cells[col]
}

// ParseOptions parses a comma-separated list of component identifiers
// (spaces around names are ignored, matching is case-insensitive). The
// empty string means no options and returns nil. The result keeps the input
// order; use FormatOptions for the canonical form.
func ParseOptions(s string) ([]Component, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []Component
	for part := range strings.SplitSeq(s, ",") {
		name := strings.TrimSpace(part)
		if name == "" {
			continue
		}
		c := Component(strings.ToLower(name))
		if !c.Valid() {
			return nil, vms.FieldError("options", "%q is not a component", name)
		}
		out = append(out, c)
	}
	return out, nil
}

// FormatOptions returns the canonical form of opts: deduplicated, in the
// order of the contract's table, comma-separated. Unknown components are
// dropped.
func FormatOptions(opts []Component) string {
	var names []string
	for _, c := range canonical(opts) {
		names = append(names, string(c))
	}
	return strings.Join(names, ",")
}

// canonical returns the known components of opts, deduplicated, in table order.
func canonical(opts []Component) []Component {
	var out []Component
	for _, r := range table {
		for _, o := range opts {
			if o == r.c {
				out = append(out, r.c)
				break
			}
		}
	}
	return out
}

// ValidateOptions checks that every option may be ordered with formula f:
// it must be OPT for f. A component that is already included (STD) or not
// available (—) is refused with a message naming it and the formula.
func ValidateOptions(f Formula, opts []Component) error {
	if column(f) < 0 {
		return vms.FieldError("formula", "%q is not a formula (one of %s)", string(f), formulaList())
	}
	for _, c := range opts {
		if !c.Valid() {
			return vms.FieldError("options", "%q is not a component", string(c))
		}
		switch AvailabilityOf(f, c) {
		case Standard:
			return vms.FieldError("options", "%s is already included in the %s formula and cannot be ordered as an option", c.Title(), f.Title())
		case NotAvailable:
			return vms.FieldError("options", "%s is not available with the %s formula", c.Title(), f.Title())
		}
	}
	return nil
}

// Enabled returns the components a tenant with formula f and options opts
// may use: every STD component of f plus each ordered option that is OPT for
// f, in table order. Options that are not OPT for f are ignored.
func Enabled(f Formula, opts []Component) []Component {
	var out []Component
	for _, r := range table {
		switch AvailabilityOf(f, r.c) {
		case Standard:
			out = append(out, r.c)
		case Optional:
			for _, o := range opts {
				if o == r.c {
					out = append(out, r.c)
					break
				}
			}
		}
	}
	return out
}

// Check returns nil when a tenant with formula f and options opts may use
// component c (FRM-2). Otherwise it returns an EFORBIDDEN *vms.Error whose
// message names the missing component and the formula and says whether the
// component can be ordered as an option. Its Field holds the component's
// identifier so that API clients can tell which component is missing.
func Check(f Formula, opts []Component, c Component) error {
	switch AvailabilityOf(f, c) {
	case Standard:
		return nil
	case Optional:
		for _, o := range opts {
			if o == c {
				return nil
			}
		}
		return &vms.Error{
			Code:    vms.EFORBIDDEN,
			Field:   string(c),
			Message: fmt.Sprintf("%s is not part of your subscription: it is an option of the %s formula that has not been ordered", c.Title(), f.Title()),
		}
	default:
		return &vms.Error{
			Code:    vms.EFORBIDDEN,
			Field:   string(c),
			Message: fmt.Sprintf("%s is not available with the %s formula and cannot be ordered as an option", c.Title(), f.Title()),
		}
	}
}
