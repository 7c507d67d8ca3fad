package acd_test

import (
	"testing"
	"time"

	"github.com/vmsplatform/vms/acd"
)

// ACM-2: which agent a call is offered to.
func TestSelection(t *testing.T) {
	type login struct {
		id acd.AgentID
		at float64
	}
	tests := []struct {
		name     string
		group    acd.GroupConfig
		agents   map[acd.AgentID]string // agent: "g:level"
		logins   []login                // in time order: the clock never goes back
		want     acd.AgentID
		wantSkip bool // nobody may take it
	}{
		{"highest level first", acd.GroupConfig{ID: "g"},
			map[acd.AgentID]string{"low": "g:3", "high": "g:7"},
			[]login{{"low", 1}, {"high", 2}}, "high", false},
		{"longest idle among equal levels", acd.GroupConfig{ID: "g"},
			map[acd.AgentID]string{"b": "g:7", "a": "g:7", "c": "g:2"},
			[]login{{"c", 0}, {"b", 1}, {"a", 2}}, "b", false},
		{"smallest id among equal idle times", acd.GroupConfig{ID: "g"},
			map[acd.AgentID]string{"b": "g:7", "a": "g:7"},
			[]login{{"b", 1}, {"a", 1}}, "a", false},
		{"longest idle strategy ignores levels", acd.GroupConfig{ID: "g", Strategy: acd.LongestIdle},
			map[acd.AgentID]string{"low": "g:1", "high": "g:9"},
			[]login{{"low", 1}, {"high", 2}}, "low", false},
		{"minimum level excludes the less skilled", acd.GroupConfig{ID: "g", MinLevel: 5},
			map[acd.AgentID]string{"low": "g:4", "ok": "g:5"},
			[]login{{"low", 1}, {"ok", 2}}, "ok", false},
		{"longest idle strategy keeps the minimum level", acd.GroupConfig{ID: "g", Strategy: acd.LongestIdle, MinLevel: 5},
			map[acd.AgentID]string{"low": "g:4", "ok": "g:9"},
			[]login{{"low", 1}, {"ok", 2}}, "ok", false},
		{"nobody skilled enough", acd.GroupConfig{ID: "g", MinLevel: 9},
			map[acd.AgentID]string{"low": "g:4"},
			[]login{{"low", 1}}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.group)
			for id, lv := range tt.agents {
				f.agent(id, 0, lv)
			}
			for _, l := range tt.logins {
				f.ready(l.id, l.at)
			}
			f.tick(5)
			if o := f.enqueue("k", "g", acd.Voice, 10); o != "" {
				t.Fatalf("refused with %s", o)
			}
			got := assigned(f.tick(10))
			want := []string{"k>" + string(tt.want)}
			if tt.wantSkip {
				want = nil
			}
			if !equal(got, want) {
				t.Fatalf("assignments %v, want %v", got, want)
			}
			if !tt.wantSkip && f.state(tt.want) != acd.Ringing {
				t.Errorf("%s is %s, want ringing", tt.want, f.state(tt.want))
			}
		})
	}
}

// ACM-2: after waiting, a call accepts less skilled agents, step by step.
func TestRelaxationOverTime(t *testing.T) {
	f := newFixture(t, acd.GroupConfig{ID: "g", MinLevel: 8, RingTimeout: 15 * time.Second,
		Relax: []acd.RelaxStep{{After: 10 * time.Second, MinLevel: 5}, {After: 20 * time.Second, MinLevel: 2}}})
	f.agent("junior", 0, "g:3")
	f.agent("novice", 0, "g:1")
	f.ready("junior", 0)
	f.ready("novice", 0)
	f.enqueue("k", "g", acd.Voice, 1)
	steps := []struct {
		at   float64
		want []string
	}{
		{1, nil},
		{10.9, nil},
		{11, nil}, // level 5 now: still nobody
		{20.9, nil},
		{21, []string{"k>junior"}}, // level 2: junior, never novice
	}
	for _, s := range steps {
		e := f.tick(s.at)
		if got := assigned(e); !equal(got, s.want) {
			t.Fatalf("at %gs: assignments %v, want %v", s.at, got, s.want)
		}
		if len(e.Assignments) == 1 {
			a := e.Assignments[0]
			if a.Waited != 20*time.Second || a.Level != 3 || a.RingTimeout != 15*time.Second {
				t.Errorf("assignment %+v: want waited 20s at level 3, ring timeout 15s", a)
			}
		}
	}
}

// The rule for an agent in several groups (see doc.go).
func TestMultiGroupOrder(t *testing.T) {
	tests := []struct {
		name     string
		groups   []acd.GroupConfig
		contacts []struct {
			id acd.ContactID
			g  acd.GroupID
			at float64
		}
		levels []string
		want   string
	}{
		{"the head that waited longest",
			[]acd.GroupConfig{{ID: "a", Priority: 9}, {ID: "b"}},
			[]struct {
				id acd.ContactID
				g  acd.GroupID
				at float64
			}{{"kb", "b", 3}, {"ka", "a", 5}}, []string{"a:5", "b:5"}, "kb>x"},
		{"equal waits: higher priority",
			[]acd.GroupConfig{{ID: "a"}, {ID: "b", Priority: 2}},
			[]struct {
				id acd.ContactID
				g  acd.GroupID
				at float64
			}{{"ka", "a", 3}, {"kb", "b", 3}}, []string{"a:5", "b:5"}, "kb>x"},
		{"equal waits and priorities: smaller group id",
			[]acd.GroupConfig{{ID: "b"}, {ID: "a"}},
			[]struct {
				id acd.ContactID
				g  acd.GroupID
				at float64
			}{{"kb", "b", 3}, {"ka", "a", 3}}, []string{"a:5", "b:5"}, "ka>x"},
		{"only heads the agent is skilled for",
			[]acd.GroupConfig{{ID: "a", MinLevel: 6}, {ID: "b"}},
			[]struct {
				id acd.ContactID
				g  acd.GroupID
				at float64
			}{{"ka", "a", 1}, {"kb", "b", 3}}, []string{"a:5", "b:5"}, "kb>x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.groups...)
			f.agent("x", 0, tt.levels...)
			f.agent("keeper", 0, "a:1", "b:1") // keeps the groups open
			f.must(f.c.Login("keeper", sec(0)))
			f.ready("x", 0)
			f.must(f.c.Pause("x", "meeting", sec(0)))
			for _, k := range tt.contacts {
				f.enqueue(k.id, k.g, acd.Voice, k.at)
			}
			f.tick(9)
			f.must(f.c.Resume("x", sec(10)))
			if got := assigned(f.tick(10)); !equal(got, []string{tt.want}) {
				t.Fatalf("assignments %v, want [%s]", got, tt.want)
			}
		})
	}
}

// ACM-3 and agent availability: who is never offered a call.
func TestNotOffered(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *fixture) // x logged in and registered at 0 unless changed here
		free  func(f *fixture) // makes x free again at 20
		state acd.State        // x's state while the call waits
	}{
		{"softphone not registered", func(f *fixture) { f.must(f.c.SetRegistered("x", false, sec(1))) },
			func(f *fixture) { f.must(f.c.SetRegistered("x", true, sec(20))) }, acd.Available},
		{"paused", func(f *fixture) { f.must(f.c.Pause("x", "lunch", sec(1))) },
			func(f *fixture) { f.must(f.c.Resume("x", sec(20))) }, acd.Paused},
		{"in wrap-up until the timer", func(f *fixture) {
			f.enqueue("first", "g", acd.Voice, 1)
			f.must(f.c.Answered("first", sec(2)))
			f.must(f.c.Ended("first", sec(5))) // wrap-up 15 s: until 20
		}, func(f *fixture) {}, acd.WrapUp},
		{"not ready after no answer", func(f *fixture) {
			f.enqueue("first", "g", acd.Voice, 1)
			f.must(f.c.NoAnswer("first", sec(2)))
			f.must(f.c.Abandon("first", sec(3)))
		}, func(f *fixture) { f.must(f.c.Resume("x", sec(20))) }, acd.NotReady},
		{"logged out", func(f *fixture) {
			f.agent("other", 0, "g:1") // keeps the group open, never registered
			f.must(f.c.Login("other", sec(1)))
			f.must(f.c.Logout("x", sec(1)))
		}, func(f *fixture) { f.must(f.c.Login("x", sec(20))) }, acd.LoggedOut},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, acd.GroupConfig{ID: "g", WrapUp: 15 * time.Second})
			f.agent("x", 0, "g:5")
			f.ready("x", 0)
			tt.setup(f)
			f.tick(9)
			f.enqueue("k", "g", acd.Voice, 10)
			if got := assigned(f.tick(19.9)); got != nil {
				t.Fatalf("assignments %v while x is %s", got, f.state("x"))
			}
			if got := f.state("x"); got != tt.state {
				t.Errorf("x is %s, want %s", got, tt.state)
			}
			tt.free(f)
			if got := assigned(f.tick(20)); !equal(got, []string{"k>x"}) {
				t.Fatalf("assignments %v once x is free, want [k>x]", got)
			}
		})
	}
}

// ACM-3: an unanswered call goes to the next agent, ahead of later callers.
func TestNoAnswerOffersToNextAgent(t *testing.T) {
	f := newFixture(t, acd.GroupConfig{ID: "g"})
	f.agent("best", 0, "g:9")
	f.agent("next", 0, "g:5")
	f.ready("best", 0)
	f.enqueue("k1", "g", acd.Voice, 1)
	f.enqueue("k2", "g", acd.Voice, 2)
	if got := assigned(f.tick(2)); !equal(got, []string{"k1>best"}) {
		t.Fatalf("assignments %v, want [k1>best]", got)
	}
	f.must(f.c.NoAnswer("k1", sec(17)))
	v, err := f.c.Agent("best")
	f.must(err)
	if v.State != acd.NotReady || v.Reason != acd.ReasonNoAnswer || v.Call != "" {
		t.Errorf("best: %+v, want not ready for no answer, no call", v)
	}
	w, err := f.c.Position("k1", sec(17))
	f.must(err)
	if w.Position != 1 || w.Waited != 16*time.Second {
		t.Errorf("k1 back in queue at %+v, want position 1 waited 16s", w)
	}
	f.ready("next", 18)
	if got := assigned(f.tick(18)); !equal(got, []string{"k1>next"}) {
		t.Fatalf("assignments %v, want [k1>next]", got)
	}
}

// A caller hanging up while an agent rings gives the agent back its place.
func TestAbandonWhileRinging(t *testing.T) {
	f := newFixture(t, acd.GroupConfig{ID: "g"})
	f.agent("a", 0, "g:5")
	f.agent("b", 0, "g:5")
	f.ready("a", 0)
	f.ready("b", 1)
	f.enqueue("k1", "g", acd.Voice, 2)
	f.must(f.c.Abandon("k1", sec(3)))
	if got := f.state("a"); got != acd.Available {
		t.Fatalf("a is %s, want available", got)
	}
	f.enqueue("k2", "g", acd.Voice, 4)
	if got := assigned(f.tick(4)); !equal(got, []string{"k1>a", "k2>a"}) {
		t.Fatalf("assignments %v, want [k1>a k2>a]: a kept its idle time", got)
	}
}

// An agent handles one call or up to MaxEmails e-mails, never both.
func TestEmailCapacity(t *testing.T) {
	f := newFixture(t, acd.GroupConfig{ID: "g"})
	f.agent("x", 2, "g:5")
	f.ready("x", 0)
	for i, id := range []acd.ContactID{"e1", "e2", "e3"} {
		f.enqueue(id, "g", acd.Email, float64(1+i))
	}
	f.enqueue("call", "g", acd.Voice, 5)
	if got := assigned(f.tick(5)); !equal(got, []string{"e1>x", "e2>x"}) {
		t.Fatalf("assignments %v, want [e1>x e2>x]", got)
	}
	f.must(f.c.Ended("e1", sec(6)))
	if got := assigned(f.tick(6)); !equal(got, []string{"e3>x"}) {
		t.Fatalf("assignments %v, want [e3>x]: no call while e-mails are in hand", got)
	}
	f.must(f.c.Ended("e2", sec(7)))
	f.must(f.c.Ended("e3", sec(8)))
	if got := assigned(f.tick(8)); !equal(got, []string{"call>x"}) {
		t.Fatalf("assignments %v, want [call>x]", got)
	}
	f.enqueue("e4", "g", acd.Email, 9)
	f.must(f.c.Answered("call", sec(9)))
	if got := assigned(f.tick(10)); got != nil {
		t.Fatalf("assignments %v: no e-mail while on a call", got)
	}
	f.must(f.c.Ended("call", sec(11)))
	if got := assigned(f.tick(11)); !equal(got, []string{"e4>x"}) {
		t.Fatalf("assignments %v, want [e4>x]", got)
	}
	// An unregistered softphone does not stop e-mails.
	f.must(f.c.SetRegistered("x", false, sec(12)))
	f.enqueue("e5", "g", acd.Email, 12)
	if got := assigned(f.tick(12)); !equal(got, []string{"e5>x"}) {
		t.Fatalf("assignments %v, want [e5>x]", got)
	}
	// Logging out puts e-mails in hand back at their arrival place.
	f.agent("y", 1, "g:5")
	f.must(f.c.Login("y", sec(13)))
	f.must(f.c.Logout("x", sec(14)))
	if got := assigned(f.tick(14)); !equal(got, []string{"e4>y"}) {
		t.Fatalf("assignments %v, want [e4>y]", got)
	}
	w, err := f.c.Position("e5", sec(14))
	f.must(err)
	if w.Position != 1 {
		t.Errorf("e5 at position %d, want 1", w.Position)
	}
}

// E-mails go to the member with the fewest e-mails in hand.
func TestEmailSpread(t *testing.T) {
	f := newFixture(t, acd.GroupConfig{ID: "g"})
	f.agent("a", 3, "g:5")
	f.agent("b", 3, "g:5")
	f.ready("a", 0)
	f.ready("b", 1)
	for i, id := range []acd.ContactID{"e1", "e2", "e3", "e4"} {
		f.enqueue(id, "g", acd.Email, float64(2+i))
	}
	if got := assigned(f.tick(6)); !equal(got, []string{"e1>a", "e2>b", "e3>a", "e4>b"}) {
		t.Fatalf("assignments %v, want alternating a, b", got)
	}
}

// Changing an agent's groups while logged in takes effect at once.
func TestPutAgentWhileLoggedIn(t *testing.T) {
	f := newFixture(t, acd.GroupConfig{ID: "a"}, acd.GroupConfig{ID: "b"})
	f.agent("x", 0, "a:5")
	f.agent("y", 0, "b:5")
	f.ready("x", 0)
	f.ready("y", 0)
	f.must(f.c.Pause("y", "break", sec(0)))
	f.enqueue("k", "b", acd.Voice, 1)
	if got := assigned(f.tick(1)); got != nil {
		t.Fatalf("assignments %v before x joins b", got)
	}
	f.agent("x", 0, "b:5")
	if got := assigned(f.tick(2)); !equal(got, []string{"k>x"}) {
		t.Fatalf("assignments %v, want [k>x]", got)
	}
	if o := f.enqueue("k2", "a", acd.Voice, 3); o != acd.OutcomeClosed {
		t.Errorf("group a without members: outcome %q, want group_closed", o)
	}
}

// A group's new levels apply to the callers already waiting.
func TestPutGroupAppliesAtOnce(t *testing.T) {
	f := newFixture(t, acd.GroupConfig{ID: "g", MinLevel: 8})
	f.agent("x", 0, "g:5")
	f.ready("x", 0)
	f.enqueue("k", "g", acd.Voice, 1)
	if got := assigned(f.tick(2)); got != nil {
		t.Fatalf("assignments %v below the minimum level", got)
	}
	f.must(f.c.PutGroup(acd.GroupConfig{ID: "g", MinLevel: 5}, sec(3)))
	if got := assigned(f.tick(3)); !equal(got, []string{"k>x"}) {
		t.Fatalf("assignments %v, want [k>x]", got)
	}
}
