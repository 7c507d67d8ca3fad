package portal

import (
	"slices"
	"testing"

	"github.com/vmsplatform/vms/access"
	"github.com/vmsplatform/vms/formula"
)

// The navigation shows only what the tenant's formula and options give
// it: no dead links to pages that would answer 403.
func TestNavFollowsComponents(t *testing.T) {
	tid := uint(7)
	titles := func(items []navItem) []string {
		var out []string
		for _, it := range items {
			out = append(out, it.Title)
		}
		return out
	}
	with := func(have ...formula.Component) func(...formula.Component) bool {
		return func(comps ...formula.Component) bool {
			for _, c := range comps {
				if slices.Contains(have, c) {
					return true
				}
			}
			return false
		}
	}
	cases := []struct {
		name      string
		p         access.Principal
		have      []formula.Component
		want, not []string
	}{
		{"classic without options", access.Principal{TenantID: &tid, Role: access.Admin}, []formula.Component{formula.TRM},
			[]string{"Numbers", "Routing", "Calls", "Users"}, []string{"Groups", "Supervisor", "Campaigns", "Desk"}},
		{"classic with ACM", access.Principal{TenantID: &tid, Role: access.Admin}, []formula.Component{formula.TRM, formula.ACM},
			[]string{"Routing", "Groups", "Supervisor"}, []string{"Campaigns", "Desk"}},
		{"outbound", access.Principal{TenantID: &tid, Role: access.ReadWrite}, []formula.Component{formula.Campaigns},
			[]string{"Campaigns", "Groups", "Supervisor"}, []string{"Numbers", "Routing", "Calls"}},
		{"agent", access.Principal{TenantID: &tid, Role: access.Agent}, []formula.Component{formula.TRM, formula.ACM},
			[]string{"Desk", "Account"}, []string{"Routing", "Groups", "Supervisor", "Users"}},
		{"supervisor", access.Principal{TenantID: &tid, Role: access.Supervisor}, []formula.Component{formula.Campaigns},
			[]string{"Desk", "Supervisor", "Campaigns"}, []string{"Routing"}},
		{"operator", access.Principal{Role: access.BGCAdmin}, nil,
			[]string{"Customers", "Staff"}, []string{"Routing", "Desk", "Groups"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := titles(navFor(c.p, with(c.have...)))
			for _, w := range c.want {
				if !slices.Contains(got, w) {
					t.Errorf("nav %v lacks %q", got, w)
				}
			}
			for _, n := range c.not {
				if slices.Contains(got, n) {
					t.Errorf("nav %v shows %q", got, n)
				}
			}
		})
	}
}
