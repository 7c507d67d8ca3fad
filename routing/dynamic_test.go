package routing_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/vmsplatform/vms/routing"
)

// TRM-4 and ACM-4: every outcome leads to its own alternative, else the
// otherwise alternative, else the tree fallback, else a hang-up.
func TestDynamicOutcomes(t *testing.T) {
	all := func(t routing.Type) map[routing.Outcome]string {
		on := map[routing.Outcome]string{}
		for i, o := range routing.Outcomes(t) {
			on[o] = []string{"a", "b", "c", "other"}[i]
		}
		return on
	}
	number := func(on map[routing.Outcome]string) routing.Node {
		return routing.Node{ID: "dest", Type: routing.TypeNumber, Number: "+3222221111", Site: "ghent", On: on}
	}
	group := func(on map[routing.Outcome]string) routing.Node {
		return routing.Node{ID: "dest", Type: routing.TypeGroup, Group: "sales", On: on}
	}
	fallback := routing.Node{ID: "fb", Type: routing.TypeVoicemail}

	type tc struct {
		name     string
		node     routing.Node
		fallback string
		outcome  routing.Outcome
		want     string // "" for the built-in hang-up
		why      string
	}
	var tests []tc
	for i, o := range routing.Outcomes(routing.TypeNumber) {
		tests = append(tests, tc{"number " + string(o) + " alternative", number(all(routing.TypeNumber)), "fb", o,
			[]string{"a", "b", "c", "other"}[i], "taking the " + string(o) + " alternative"})
	}
	for i, o := range routing.Outcomes(routing.TypeGroup) {
		tests = append(tests, tc{"group " + string(o) + " alternative", group(all(routing.TypeGroup)), "fb", o,
			[]string{"a", "b", "c", "other"}[i], "taking the " + string(o) + " alternative"})
	}
	tests = append(tests,
		tc{"no answer mentions the ring timeout", number(all(routing.TypeNumber)), "", routing.OutcomeNoAnswer, "b", "did not answer within 20 s"},
		tc{"missing alternative takes otherwise", number(map[routing.Outcome]string{"busy": "a", "otherwise": "c"}), "fb", routing.OutcomeNoAnswer, "c", "taking the otherwise alternative"},
		tc{"unknown outcome takes otherwise", group(map[routing.Outcome]string{"otherwise": "c"}), "fb", "exploded", "c", "failed (exploded)"},
		tc{"group outcome on a number takes otherwise", number(map[routing.Outcome]string{"otherwise": "c"}), "", routing.OutcomeGroupFull, "c", "otherwise"},
		tc{"no otherwise takes the fallback", number(map[routing.Outcome]string{"busy": "a"}), "fb", routing.OutcomeUnreachable, "fb", "taking the tree fallback"},
		tc{"group without alternatives takes the fallback", group(nil), "fb", routing.OutcomeGroupTimeout, "fb", "waited the maximum time"},
		tc{"no fallback hangs up", number(nil), "", routing.OutcomeBusy, "", "no alternative and no fallback, hanging up"},
		tc{"the fallback itself failing hangs up", number(nil), "dest", routing.OutcomeBusy, "", "hanging up"},
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := tree(tt.node, fallback)
			tr.Fallback = tt.fallback
			p := mustCompile(t, tr)
			d := p.Next("dest", tt.outcome, routing.Facts{})
			if d.Kind != routing.KindDestination || d.NodeID() != tt.want {
				t.Fatalf("Next = %s %q, want %q; trace:\n%s", d.Kind, d.NodeID(), tt.want, routing.TraceText(d.Trace()))
			}
			if tt.want == "" && d.Node.Type != routing.TypeHangup {
				t.Errorf("built-in end is %s, want hangup", d.Node.Type)
			}
			if d.Trace()[0].Node != "dest" || !strings.Contains(d.Trace()[0].Why, tt.why) {
				t.Errorf("first step = %+v, want node dest saying %q", d.Trace()[0], tt.why)
			}
		})
	}
}

// TRM-4, TRM-9: a number at a site marked down is skipped at evaluation.
func TestSiteDown(t *testing.T) {
	tr := tree(
		routing.Node{ID: "office", Type: routing.TypeNumber, Number: "+3292223333", Site: "ghent",
			On: map[routing.Outcome]string{"site_down": "backup"}},
		routing.Node{ID: "backup", Type: routing.TypeNumber, Number: "+3222221111", Site: "brussels"},
	)
	tr.Fallback = "a"
	p := mustCompile(t, tr)
	if d := p.Evaluate(routing.Facts{}); d.NodeID() != "office" || d.Timeout != routing.DefaultRingTimeout {
		t.Errorf("got %q ringing %d s, want office for the default %d s", d.NodeID(), d.Timeout, routing.DefaultRingTimeout)
	}
	checkEnd(t, p.Evaluate(routing.Facts{SitesDown: map[string]bool{"antwerp": true}}), "office")

	d := p.Evaluate(routing.Facts{SitesDown: map[string]bool{"ghent": true}})
	checkEnd(t, d, "backup")
	if !strings.Contains(d.Trace()[0].Why, "site ghent of +3292223333 is marked down") {
		t.Errorf("why = %q", d.Trace()[0].Why)
	}
	// Both sites down: the backup has no site_down alternative, so the
	// tree fallback takes the call.
	checkEnd(t, p.Evaluate(routing.Facts{SitesDown: map[string]bool{"ghent": true, "brussels": true}}), "a")
}

// A chain of failures ends at a defined destination.
func TestNextChainEnds(t *testing.T) {
	tr := tree(
		routing.Node{ID: "desk", Type: routing.TypeNumber, Number: "+3222221111", On: map[routing.Outcome]string{"otherwise": "mobile"}},
		routing.Node{ID: "mobile", Type: routing.TypeNumber, Number: "+32475123456", On: map[routing.Outcome]string{"no_answer": "sorry"}},
		routing.Node{ID: "sorry", Type: routing.TypeAnnouncement, Prompt: "closed"},
	)
	p := mustCompile(t, tr)
	d := p.Evaluate(routing.Facts{})
	var path []string
	for i := 0; d.Node.Type == routing.TypeNumber; i++ {
		if i > 10 {
			t.Fatal("the chain of alternatives does not end")
		}
		path = append(path, d.NodeID())
		d = p.Next(d.NodeID(), routing.OutcomeNoAnswer, routing.Facts{})
	}
	path = append(path, d.NodeID())
	if got := strings.Join(path, " → "); got != "desk → mobile → sorry" {
		t.Errorf("path = %s", got)
	}
}

func TestMisuseIsDefined(t *testing.T) {
	tr := tree(routing.Node{ID: "n", Type: routing.TypeNumber, Number: "+3222221111"})
	p := mustCompile(t, tr)
	withFallback := *tr
	withFallback.Fallback = "c"
	pf := mustCompile(t, &withFallback)
	tests := []struct {
		name string
		d    routing.Decision
		want string
		why  string
	}{
		{"next on an unknown node hangs up", p.Next("nope", routing.OutcomeBusy, routing.Facts{}), "", "does not exist"},
		{"next on an unknown node takes the fallback", pf.Next("nope", routing.OutcomeBusy, routing.Facts{}), "c", "taking the tree fallback"},
		{"next on a hangup node", p.Next("a", routing.OutcomeBusy, routing.Facts{}), "", "has no alternatives"},
		{"resume on a number", pf.Resume("n", routing.Facts{}), "c", "cannot resume"},
		{"resume on an unknown node", p.Resume("zzz", routing.Facts{}), "", "does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkEnd(t, tt.d, tt.want)
			if !strings.Contains(tt.d.Trace()[0].Why, tt.why) {
				t.Errorf("why = %q, want %q", tt.d.Trace()[0].Why, tt.why)
			}
		})
	}
}

// TRM-6: a plan does not change when the tree it came from does.
func TestPlanIsACopy(t *testing.T) {
	tr := tree(routing.Node{ID: "n", Type: routing.TypeNumber, Number: "+3222221111", On: map[routing.Outcome]string{"busy": "a"}})
	p := mustCompile(t, tr)
	tr.Nodes[0].Number = "+3299999999"
	tr.Nodes[0].On["busy"] = "b"
	tr.Nodes[0].ID = "changed"
	if d := p.Evaluate(routing.Facts{}); d.Node.Number != "+3222221111" || d.NodeID() != "n" {
		t.Errorf("plan changed with its tree: %+v", d.Node)
	}
	if n, _ := p.Node("n"); n.On["busy"] != "a" {
		t.Errorf("alternatives changed with the tree: %v", n.On)
	}
}

func TestConcurrentEvaluate(t *testing.T) {
	p := mustCompile(t, loadExample(t))
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				f := routing.Facts{Time: local("2026-11-26 10:00"), Caller: "+3222000000", Random: uint32(i * g)}
				if d := p.Evaluate(f); d.NodeID() != "menu" {
					t.Errorf("got %q", d.NodeID())
					return
				}
				p.Next("reception", routing.OutcomeBusy, f)
			}
		}(g)
	}
	wg.Wait()
}
