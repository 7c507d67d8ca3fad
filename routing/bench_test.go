package routing_test

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/vmsplatform/vms/routing"
)

// genTree builds a valid tree of about n nodes shaped like a large
// customer tree: a spine of up to 20 decisions (time, date, caller, dialed,
// list), each with three branches into side subtrees of further decisions
// and destinations, and a default to the next spine decision.
func genTree(n int) *routing.Tree {
	spine := n / 10
	if spine > 20 {
		spine = 20
	}
	if spine < 1 {
		spine = 1
	}
	// Grow the side subtrees until the tree has about n nodes.
	for budget := 1; ; budget++ {
		if tr := buildTree(spine, budget); len(tr.Nodes) >= n*9/10 || budget > n {
			return tr
		}
	}
}

func buildTree(spine, budget int) *routing.Tree {
	tr := &routing.Tree{ID: "bench", Start: "s0", Fallback: "end"}
	add := func(node routing.Node) string {
		node.ID = "n" + strconv.Itoa(len(tr.Nodes))
		tr.Nodes = append(tr.Nodes, node)
		return node.ID
	}
	// Conditions that the benchmark's call never matches, so the call walks
	// the whole spine and every branch condition is tested.
	branch := func(t routing.Type, i int, next string) routing.Branch {
		b := routing.Branch{Next: next, Label: "branch " + strconv.Itoa(i)}
		switch t {
		case routing.TypeTime:
			b.Windows = []routing.Window{{Days: []string{"mon-fri"}, From: "08:00", To: "12:00"}, {Days: []string{"sat"}, From: "09:00", To: "12:00"}}
		case routing.TypeDate:
			b.Dates = []routing.DateRange{{From: "12-24", To: "12-26", Yearly: true}, {From: "2026-07-" + fmt.Sprintf("%02d", i%28+1)}}
		case routing.TypeCaller:
			b.Prefixes = []string{"+3" + strconv.Itoa(i%10) + "9", "04" + strconv.Itoa(i%10)}
			b.Kinds = []string{routing.KindMobile}
		case routing.TypeDialed:
			b.Numbers = []string{"+32222" + fmt.Sprintf("%05d", i)}
		case routing.TypeList:
			b.List = "vip"
		}
		return b
	}
	types := []routing.Type{routing.TypeTime, routing.TypeDate, routing.TypeCaller, routing.TypeDialed, routing.TypeList}
	dest := func(i int) string {
		return add(routing.Node{Type: routing.TypeNumber, Number: "+3222" + fmt.Sprintf("%07d", i),
			On: map[routing.Outcome]string{routing.OutcomeBusy: "end"}})
	}
	// side builds a subtree of about m nodes and returns its root id.
	var side func(m, depth int) string
	side = func(m, depth int) string {
		if m <= 2 {
			return dest(len(tr.Nodes))
		}
		t := types[depth%len(types)]
		idx := len(tr.Nodes)
		tr.Nodes = append(tr.Nodes, routing.Node{}) // reserve the slot
		rest := m - 1
		var bs []routing.Branch
		for k := 0; k < 2; k++ {
			bs = append(bs, branch(t, idx+k, side(rest/3, depth+1)))
		}
		def := side(rest-2*(rest/3), depth+1)
		tr.Nodes[idx] = routing.Node{ID: "n" + strconv.Itoa(idx), Type: t, Branches: bs, Default: def}
		return tr.Nodes[idx].ID
	}
	for s := 0; s < spine; s++ {
		t := types[s%len(types)]
		var bs []routing.Branch
		for k := 0; k < 3; k++ {
			bs = append(bs, branch(t, s*3+k, side(budget, s+k)))
		}
		next := "s" + strconv.Itoa(s+1)
		if s == spine-1 {
			next = "last"
		}
		tr.Nodes = append(tr.Nodes, routing.Node{ID: "s" + strconv.Itoa(s), Label: "spine " + strconv.Itoa(s), Type: t, Branches: bs, Default: next})
	}
	tr.Nodes = append(tr.Nodes,
		routing.Node{ID: "last", Type: routing.TypeNumber, Number: "+3222221111", On: map[routing.Outcome]string{routing.OutcomeOtherwise: "end"}},
		routing.Node{ID: "end", Type: routing.TypeHangup})
	return tr
}

var benchFacts = routing.Facts{
	Time:       time.Date(2026, 11, 26, 19, 30, 0, 0, time.UTC), // Thu 20:30 in Brussels
	Caller:     "+3226470000",
	CallerKind: routing.KindFixed,
	Dialed:     "+3222220000",
	InList:     func(list, number string) bool { return false },
	Random:     42,
}

func TestGenTreeIsValid(t *testing.T) {
	for _, n := range []int{10, 100, 1000} {
		tr := genTree(n)
		p, err := routing.Compile(tr, testRefs)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		d := p.Evaluate(benchFacts)
		if d.NodeID() != "last" {
			t.Fatalf("n=%d: went to %q, want the end of the spine; trace:\n%s", n, d.NodeID(), routing.TraceText(d.Trace()))
		}
		if got := len(tr.Nodes); got < n/2 || got > 2*n {
			t.Errorf("n=%d: generated %d nodes", n, got)
		}
	}
}

// loopCPU runs the benchmark loop of b on one locked OS thread and, where
// the platform allows, reports that thread's CPU time per operation as
// cpu-ns/op. On a shared, loaded machine ns/op mostly measures the share
// of a core the benchmark got; cpu-ns/op is far less disturbed (time spent
// waiting for a core is not counted, nor are the garbage collector's
// background workers on other threads).
func loopCPU(b *testing.B, op func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start, ok := threadCPU()
	n := 0
	for b.Loop() {
		op()
		n++
	}
	if end, ok2 := threadCPU(); ok && ok2 && n > 0 {
		b.ReportMetric(float64(end-start)/float64(n), "cpu-ns/op")
	}
}

// BenchmarkEvaluate measures one routing decision on generated trees,
// against a plain map lookup in the same run as the baseline.
func BenchmarkEvaluate(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		tr := genTree(n)
		p, err := routing.Compile(tr, testRefs)
		if err != nil {
			b.Fatal(err)
		}
		steps := len(p.Evaluate(benchFacts).Trace())
		b.Run(fmt.Sprintf("nodes=%d/steps=%d", len(tr.Nodes), steps), func(b *testing.B) {
			b.ReportAllocs()
			loopCPU(b, func() { p.Evaluate(benchFacts) })
		})
		m := make(map[string]string, len(tr.Nodes))
		for i, node := range tr.Nodes {
			m["+32222"+fmt.Sprintf("%05d", i)] = node.ID
		}
		key := "+32222" + fmt.Sprintf("%05d", len(tr.Nodes)/2)
		b.Run(fmt.Sprintf("baseline-map/entries=%d", len(m)), func(b *testing.B) {
			b.ReportAllocs()
			var sink string
			loopCPU(b, func() { sink = m[key] })
			_ = sink
		})
	}
}

// BenchmarkEvaluateTrace measures a decision on the 1,000-node tree
// together with rendering its trace, as the controller does for the call
// record (TRM-8).
func BenchmarkEvaluateTrace(b *testing.B) {
	p, err := routing.Compile(genTree(1000), testRefs)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	loopCPU(b, func() { _ = p.Evaluate(benchFacts).Trace() })
}

func BenchmarkEvaluateExample(b *testing.B) {
	p, err := routing.Compile(loadExample(b), testRefs)
	if err != nil {
		b.Fatal(err)
	}
	f := benchFacts
	f.Time = time.Date(2026, 11, 26, 8, 12, 0, 0, time.UTC)
	b.ReportAllocs()
	loopCPU(b, func() { p.Evaluate(f) })
}

func BenchmarkNext(b *testing.B) {
	p, err := routing.Compile(loadExample(b), testRefs)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	loopCPU(b, func() { p.Next("reception", routing.OutcomeBusy, benchFacts) })
}

func BenchmarkCompile(b *testing.B) {
	tr := genTree(1000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := routing.Compile(tr, testRefs); err != nil {
			b.Fatal(err)
		}
	}
}
