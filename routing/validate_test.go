package routing_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/vmsplatform/vms/routing"
)

func problems(t *testing.T, tr *routing.Tree, refs routing.Refs) []routing.Problem {
	t.Helper()
	err := routing.Validate(tr, refs)
	if err == nil {
		return nil
	}
	var verr *routing.ValidationError
	if !errors.As(err, &verr) || !errors.Is(err, routing.ErrInvalidTree) {
		t.Fatalf("Validate returned %T %v, want a *ValidationError", err, err)
	}
	return verr.Problems
}

func num(id, number string, on map[routing.Outcome]string) routing.Node {
	return routing.Node{ID: id, Type: routing.TypeNumber, Number: number, On: on}
}

// TRM-5: each problem names the node and field at fault.
func TestValidateProblems(t *testing.T) {
	timeNode := func(w routing.Window) routing.Node {
		return routing.Node{ID: "hours", Type: routing.TypeTime, Default: "a",
			Branches: []routing.Branch{{Next: "b", Windows: []routing.Window{w}}}}
	}
	tests := []struct {
		name    string
		tree    *routing.Tree
		node    string
		field   string
		message string
	}{
		{"missing default", tree(routing.Node{ID: "d", Type: routing.TypeDialed,
			Branches: []routing.Branch{{Next: "a", Numbers: []string{"+3222221111"}}}}),
			"d", "default", "is required"},
		{"missing branch target", tree(routing.Node{ID: "d", Type: routing.TypeDialed, Default: "a",
			Branches: []routing.Branch{{Next: "zz", Prefixes: []string{"+32"}}}}),
			"d", "branches[0].next", `node "zz" does not exist`},
		{"missing alternative target", tree(num("n", "+3222221111", map[routing.Outcome]string{"busy": "zz"})),
			"n", "on.busy", `node "zz" does not exist`},
		{"number not E.164", tree(num("n", "0222221111", nil)), "n", "number", "E.164"},
		{"number with leading zero after +", tree(num("n", "+0222221111", nil)), "n", "number", "E.164"},
		{"number too short", tree(num("n", "+3212345", nil)), "n", "number", "E.164"},
		{"number too long", tree(num("n", "+3212345678901234", nil)), "n", "number", "E.164"},
		{"outcome not valid for numbers", tree(num("n", "+3222221111", map[routing.Outcome]string{"group_full": "a"})),
			"n", "on.group_full", "not an outcome of a number node"},
		{"percent weights", tree(routing.Node{ID: "p", Type: routing.TypePercent,
			Branches: []routing.Branch{{Next: "a", Weight: 50}, {Next: "b", Weight: 49}}}),
			"p", "branches", "add up to 99%"},
		{"percent with default", tree(routing.Node{ID: "p", Type: routing.TypePercent, Default: "a",
			Branches: []routing.Branch{{Next: "a", Weight: 100}}}),
			"p", "default", "takes no default"},
		{"negative weight", tree(routing.Node{ID: "p", Type: routing.TypePercent,
			Branches: []routing.Branch{{Next: "a", Weight: -10}, {Next: "b", Weight: 110}}}),
			"p", "branches[0].weight", "between 0 and 100"},
		{"bad time", tree(timeNode(routing.Window{Days: []string{"mon"}, From: "25:00", To: "18:00"})),
			"hours", "branches[0].windows[0].from", "not a time of day"},
		{"24:00 only as end", tree(timeNode(routing.Window{Days: []string{"mon"}, From: "24:00", To: "18:00"})),
			"hours", "branches[0].windows[0].from", "not a time of day"},
		{"empty window", tree(timeNode(routing.Window{Days: []string{"mon"}, From: "08:00", To: "08:00"})),
			"hours", "branches[0].windows[0]", "from and to are equal"},
		{"bad day", tree(timeNode(routing.Window{Days: []string{"monday"}, From: "08:00", To: "18:00"})),
			"hours", "branches[0].windows[0].days[0]", "not a day"},
		{"no days", tree(timeNode(routing.Window{From: "08:00", To: "18:00"})),
			"hours", "branches[0].windows[0].days", "is required"},
		{"date range backwards", tree(routing.Node{ID: "d", Type: routing.TypeDate, Default: "a",
			Branches: []routing.Branch{{Next: "b", Dates: []routing.DateRange{{From: "2026-05-02", To: "2026-05-01"}}}}}),
			"d", "branches[0].dates[0]", "to is before from"},
		{"yearly 02-30", tree(routing.Node{ID: "d", Type: routing.TypeDate, Default: "a",
			Branches: []routing.Branch{{Next: "b", Dates: []routing.DateRange{{From: "02-30", Yearly: true}}}}}),
			"d", "branches[0].dates[0]", "not a date"},
		{"unknown calendar", tree(routing.Node{ID: "d", Type: routing.TypeDate, Default: "a",
			Branches: []routing.Branch{{Next: "b", Calendar: "nope"}}}),
			"d", "branches[0].calendar", "not defined"},
		{"unknown list", tree(routing.Node{ID: "l", Type: routing.TypeList, Default: "a",
			Branches: []routing.Branch{{Next: "b", List: "gold"}}}),
			"l", "branches[0].list", `list "gold" does not exist`},
		{"unknown prompt", tree(routing.Node{ID: "m", Type: routing.TypeAnnouncement, Prompt: "nope"}),
			"m", "prompt", `prompt "nope" does not exist`},
		{"unknown group", tree(routing.Node{ID: "g", Type: routing.TypeGroup, Group: "support"}),
			"g", "group", `group "support" does not exist`},
		{"unknown tree", tree(routing.Node{ID: "x", Type: routing.TypeTree, Tree: "elsewhere"}),
			"x", "tree", `tree "elsewhere" does not exist`},
		{"hand over to itself", tree(routing.Node{ID: "x", Type: routing.TypeTree, Tree: "t"}),
			"x", "tree", "cannot hand calls over to itself"},
		{"condition of another type", tree(routing.Node{ID: "d", Type: routing.TypeDialed, Default: "a",
			Branches: []routing.Branch{{Next: "b", Prefixes: []string{"+32"}, Digits: "1"}}}),
			"d", "branches[0].digits", "does not apply to a dialed node"},
		{"withheld with prefix", tree(routing.Node{ID: "c", Type: routing.TypeCaller, Default: "a",
			Branches: []routing.Branch{{Next: "b", Withheld: true, Prefixes: []string{"+32"}}}}),
			"c", "branches[0].withheld", "separate branch"},
		{"destination with branches", tree(routing.Node{ID: "h", Type: routing.TypeHangup, Default: "a"}),
			"h", "branches", "takes no branches"},
		{"menu digits", tree(routing.Node{ID: "m", Type: routing.TypeMenu, Prompt: "menu", Default: "a",
			Branches: []routing.Branch{{Next: "b", Digits: "12345678#"}}}),
			"m", "branches[0].digits", "1 to 8 of the keys"},
		{"menu retries", tree(routing.Node{ID: "m", Type: routing.TypeMenu, Prompt: "menu", Default: "a", Retries: 10,
			Branches: []routing.Branch{{Next: "b", Digits: "1"}}}),
			"m", "retries", "between 0 and 9"},
		{"self loop", tree(routing.Node{ID: "loop", Type: routing.TypeDialed, Default: "loop"}),
			"loop", "", "is part of a cycle loop → loop"},
		{"cycle through alternatives", tree(
			num("desk", "+3222221111", map[routing.Outcome]string{"otherwise": "mobile"}),
			num("mobile", "+32475123456", map[routing.Outcome]string{"otherwise": "desk"})),
			"desk", "", "cycle desk → mobile → desk"},
		{"cycle through the fallback", func() *routing.Tree {
			tr := tree(
				num("desk", "+3222221111", map[routing.Outcome]string{"busy": "a"}),
				routing.Node{ID: "retry", Type: routing.TypeDialed, Default: "desk"})
			tr.Fallback = "retry"
			return tr
		}(), "desk", "", "goes through the tree fallback"},
		{"duplicate id", tree(routing.Node{ID: "a", Type: routing.TypeHangup}), "a", "id", "more than one node"},
		{"id with spaces", tree(routing.Node{ID: "front desk", Type: routing.TypeHangup}), "front desk", "id", "spaces"},
		{"empty id", tree(routing.Node{Type: routing.TypeHangup}), "", "nodes[0].id", "is required"},
		{"unknown type", tree(routing.Node{ID: "x", Type: "teleport"}), "x", "type", "unknown node type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := problems(t, tt.tree, testRefs)
			for _, p := range ps {
				if p.Node == tt.node && p.Field == tt.field && strings.Contains(p.Message, tt.message) {
					return
				}
			}
			t.Errorf("no problem {node %q, field %q, %q} in:\n%v", tt.node, tt.field, tt.message, ps)
		})
	}
}

func TestValidateTreeFields(t *testing.T) {
	tests := []struct {
		name  string
		tree  *routing.Tree
		field string
	}{
		{"nil tree", nil, ""},
		{"no nodes", &routing.Tree{ID: "t", Start: "a"}, "nodes"},
		{"no start", &routing.Tree{ID: "t", Nodes: ends}, "start"},
		{"unknown start", &routing.Tree{ID: "t", Start: "zz", Nodes: ends}, "start"},
		{"unknown fallback", &routing.Tree{ID: "t", Start: "a", Fallback: "zz", Nodes: ends}, "fallback"},
		{"unknown time zone", &routing.Tree{ID: "t", Start: "a", TimeZone: "Mars/Olympus", Nodes: ends}, "time_zone"},
		{"Local is not a tree zone", &routing.Tree{ID: "t", Start: "a", TimeZone: "Local", Nodes: ends}, "time_zone"},
		{"bad country code", &routing.Tree{ID: "t", Start: "a", CountryCode: "+32", Nodes: ends}, "country_code"},
		{"duplicate calendar", &routing.Tree{ID: "t", Start: "a", Nodes: ends,
			Calendars: []routing.Calendar{{Name: "h"}, {Name: "h"}}}, "calendars[1].name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := problems(t, tt.tree, testRefs)
			if len(ps) != 1 || ps[0].Field != tt.field || ps[0].Node != "" {
				t.Errorf("problems = %v, want one tree-level problem on %q", ps, tt.field)
			}
		})
	}
}

// TRM-5: all problems are reported together, not just the first.
func TestValidateReportsEverything(t *testing.T) {
	tr := tree(
		num("n1", "12345", nil),
		routing.Node{ID: "d", Type: routing.TypeDialed, Branches: []routing.Branch{{Next: "zz", Numbers: []string{"+3222221111"}}}},
		routing.Node{ID: "g", Type: routing.TypeGroup, Group: "nope"},
	)
	ps := problems(t, tr, testRefs)
	got := map[string]bool{}
	for _, p := range ps {
		got[p.Node+"."+p.Field] = true
	}
	for _, want := range []string{"n1.number", "d.default", "d.branches[0].next", "g.group"} {
		if !got[want] {
			t.Errorf("missing problem %s in %v", want, ps)
		}
	}
	if len(ps) != 4 {
		t.Errorf("got %d problems, want 4: %v", len(ps), ps)
	}
	err := routing.Validate(tr, testRefs)
	for _, part := range []string{"node n1: number:", "node d: default: is required", "node g: group:"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error text %q lacks %q", err, part)
		}
	}
}

func TestValidateAcceptsGoodTrees(t *testing.T) {
	tests := []struct {
		name string
		tree *routing.Tree
		refs routing.Refs
	}{
		{"example", loadExample(t), testRefs},
		{"nil refs skip reference checks", tree(routing.Node{ID: "g", Type: routing.TypeGroup, Group: "anything"}), nil},
		{"fallback without alternatives of its own", func() *routing.Tree {
			tr := tree(num("desk", "+3222221111", nil))
			tr.Fallback = "desk"
			return tr
		}(), testRefs},
		{"shared targets are not cycles", tree(
			routing.Node{ID: "p", Type: routing.TypePercent, Branches: []routing.Branch{{Next: "a", Weight: 50}, {Next: "a", Weight: 50}}},
		), testRefs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := routing.Validate(tt.tree, tt.refs); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}
