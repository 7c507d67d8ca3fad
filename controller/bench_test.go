package controller

import (
	"testing"

	"github.com/vmsplatform/vms/engine"
	"github.com/vmsplatform/vms/engine/enginetest"
	"github.com/vmsplatform/vms/routing"
)

// BenchmarkCall measures the controller's cost of one call on the Fake
// engine: arrival, route look-up, caller facts, evaluation of an
// office-hours tree, two busy destinations one after the other, the tree's
// busy end and the record handed to the store. Compare with
// BenchmarkCallRefused (route look-up and record only) in the same run.
func BenchmarkCall(b *testing.B) {
	tr := tree("hours",
		routing.Node{ID: "hours", Type: routing.TypeTime, Default: "closed", Branches: []routing.Branch{{
			Label: "office hours", Next: "a",
			Windows: []routing.Window{{Days: []string{"mon-fri"}, From: "08:00", To: "18:00"}},
		}}},
		number("a", numA, map[routing.Outcome]string{"busy": "b"}),
		number("b", numB, map[routing.Outcome]string{"busy": "closed"}),
		routing.Node{ID: "closed", Type: routing.TypeBusy})
	benchCalls(b, tr, true)
}

// BenchmarkCallRefused is the baseline: a ported number, refused at once.
func BenchmarkCallRefused(b *testing.B) {
	benchCalls(b, tree("a", number("a", numA, nil)), false)
}

func benchCalls(b *testing.B, tr routing.Tree, active bool) {
	h := newHarness(b, tr)
	h.recs.saved = make(chan string, 1)
	h.routes.routes[dialed].Active = active
	h.fake.SetDestination(endpoint(numA), enginetest.Behavior{Outcome: engine.OutcomeBusy})
	h.fake.SetDestination(endpoint(numB), enginetest.Behavior{Outcome: engine.OutcomeBusy})
	b.ReportAllocs()
	var in engine.ChannelID
	for b.Loop() {
		in = h.fake.Call(caller, dialedTo)
		if id := <-h.recs.saved; id != string(in) {
			b.Fatalf("record of %s, want %s", id, in)
		}
	}
	b.StopTimer()
	r := h.recs.get(string(in))
	if active && (r == nil || r.Outcome != OutcomeBusy || len(r.Legs) != 2) {
		b.Fatalf("last record %+v, want busy after two legs", r)
	}
}
