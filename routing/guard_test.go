package routing

import (
	"strings"
	"testing"
)

// An evaluation never runs away, even on a plan built from a cyclic tree
// that Validate would refuse.
func TestStepLimitGuard(t *testing.T) {
	tr := &Tree{ID: "t", Start: "x", Nodes: []Node{
		{ID: "x", Type: TypeDialed, Default: "y"},
		{ID: "y", Type: TypeDialed, Default: "x"},
		{ID: "n", Type: TypeNumber, Number: "+3222221111", On: map[Outcome]string{"busy": "x"}},
	}}
	if err := Validate(tr, nil); err == nil {
		t.Fatal("Validate accepted a cycle")
	}
	p, _ := compileUnchecked(tr)
	for name, d := range map[string]Decision{
		"evaluate": p.Evaluate(Facts{}),
		"next":     p.Next("n", OutcomeBusy, Facts{}),
	} {
		t.Run(name, func(t *testing.T) {
			last := d.Trace()[len(d.Trace())-1]
			if d.Kind != KindDestination || d.Node.Type != TypeHangup || !strings.Contains(last.Why, "the tree loops") {
				t.Errorf("got %s %+v, last step %+v", d.Kind, d.Node, last)
			}
			if len(d.Trace()) > p.limit+2 {
				t.Errorf("trace has %d steps, limit is %d", len(d.Trace()), p.limit)
			}
		})
	}
}

// A plan with dangling references still ends somewhere defined.
func TestDanglingTargetGuard(t *testing.T) {
	tr := &Tree{ID: "t", Start: "x", Nodes: []Node{{ID: "x", Type: TypeDialed, Default: "gone"}}}
	p, problems := compileUnchecked(tr)
	if len(problems) == 0 {
		t.Fatal("no problem reported for a dangling default")
	}
	d := p.Evaluate(Facts{})
	if d.Node.Type != TypeHangup || !strings.Contains(d.Trace()[len(d.Trace())-1].Why, "leads nowhere") {
		t.Errorf("got %+v", d)
	}
}
