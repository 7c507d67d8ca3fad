package acd_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/vmsplatform/vms/acd"
)

// ACM-7: the supervisor's view of a group.
func TestGroupStats(t *testing.T) {
	f := newFixture(t, acd.GroupConfig{ID: "g", WrapUp: 30 * time.Second,
		Target: acd.ServiceLevel{Percent: 80, Within: 20 * time.Second}})
	for _, id := range []acd.AgentID{"a", "b", "c", "d", "e"} {
		f.agent(id, 1, "g:5")
	}
	f.agent("out", 0, "g:5")
	f.ready("a", 0)
	f.ready("b", 0)
	f.ready("c", 0)
	f.must(f.c.Login("d", sec(0))) // softphone not registered
	f.ready("e", 0)
	f.must(f.c.Pause("e", "lunch", sec(0)))

	f.enqueue("fast", "g", acd.Voice, 1) // a: answered in 4 s, ends at 35 -> wrap-up
	f.enqueue("ring", "g", acd.Voice, 2) // b: ringing
	f.enqueue("talk", "g", acd.Voice, 3) // c: answered after 27 s, talking
	f.must(f.c.Answered("fast", sec(5)))
	f.must(f.c.Answered("talk", sec(30)))
	f.must(f.c.Ended("fast", sec(35)))
	f.enqueue("early", "g", acd.Voice, 36) // abandons within the target
	f.enqueue("late", "g", acd.Voice, 37)  // abandons after the target
	f.enqueue("wait", "g", acd.Voice, 38)
	f.must(f.c.Abandon("early", sec(40)))
	f.must(f.c.Abandon("late", sec(58)))
	f.enqueue("mail", "g", acd.Email, 40) // d takes it: e-mails need no softphone

	s, err := f.c.Group("g", sec(60))
	f.must(err)
	want := acd.GroupStats{ID: "g", Waiting: 1, LongestWait: 22 * time.Second,
		Unregistered: 1, Answered: 2, AnsweredInTarget: 1, Abandoned: 2, AbandonedInTarget: 1,
		AverageHandle: 60 * time.Second, Target: acd.ServiceLevel{Percent: 80, Within: 20 * time.Second}}
	want.Agents[acd.LoggedOut] = 1
	want.Agents[acd.Available] = 1 // d, with an e-mail
	want.Agents[acd.Ringing] = 1
	want.Agents[acd.Talking] = 1
	want.Agents[acd.WrapUp] = 1
	want.Agents[acd.Paused] = 1
	if s != want {
		t.Fatalf("stats\n got %+v\nwant %+v", s, want)
	}
	// Answered 2 (1 in target) + 1 abandoned after the target.
	if sl, ok := s.ServiceLevel(); !ok || math.Abs(sl-100.0/3) > 1e-9 {
		t.Errorf("service level %v, %v; want 33.3 %%", sl, ok)
	}
	// The wrap-up ends at 65.
	s, err = f.c.Group("g", sec(65))
	f.must(err)
	if s.Agents[acd.WrapUp] != 0 || s.Agents[acd.Ringing] != 2 {
		t.Errorf("after the wrap-up: agents per state %v; want a ringing for the waiting call", s.Agents)
	}
}

func TestServiceLevelWithoutCalls(t *testing.T) {
	if _, ok := (acd.GroupStats{AbandonedInTarget: 3, Abandoned: 3}).ServiceLevel(); ok {
		t.Error("service level known with only short abandons")
	}
	if sl, ok := (acd.GroupStats{Answered: 4, AnsweredInTarget: 3, Overflowed: 1}).ServiceLevel(); !ok || sl != 60 {
		t.Errorf("service level %v, %v; want 60 %%", sl, ok)
	}
}

// ACM-2: position and expected wait for the announcements.
func TestPosition(t *testing.T) {
	f := newFixture(t, acd.GroupConfig{ID: "g"})
	f.agent("a", 0, "g:5")
	f.agent("b", 0, "g:5")
	f.ready("a", 0)
	f.ready("b", 0)
	f.enqueue("k1", "g", acd.Voice, 1)
	f.enqueue("k2", "g", acd.Voice, 1)
	f.enqueue("k3", "g", acd.Voice, 2)
	f.enqueue("k4", "g", acd.Voice, 3)
	w, err := f.c.Position("k4", sec(4))
	f.must(err)
	if w != (acd.Wait{Position: 2, Waited: time.Second}) {
		t.Errorf("before any call ended: %+v, want position 2, no estimate", w)
	}
	f.must(f.c.Answered("k1", sec(4)))
	f.must(f.c.Ended("k1", sec(64))) // 60 s handle time; a takes k3
	w, err = f.c.Position("k4", sec(64))
	f.must(err)
	// Position 1, 60 s average over 2 working agents.
	if w != (acd.Wait{Position: 1, Waited: 61 * time.Second, Expected: 30 * time.Second, Known: true}) {
		t.Errorf("%+v, want position 1, expected 30 s", w)
	}
	if _, err := f.c.Position("k3", sec(64)); err == nil {
		t.Error("position of a ringing call: want an error")
	}
}

func TestListingAndRemoval(t *testing.T) {
	f := newFixture(t, acd.GroupConfig{ID: "b"}, acd.GroupConfig{ID: "a"})
	f.agent("y", 0, "a:3")
	f.agent("x", 0, "a:5", "b:5")
	if got := f.c.Groups(); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("Groups() = %v, want [a b]", got)
	}
	if got := f.c.Agents(); len(got) != 2 || got[0] != "x" || got[1] != "y" {
		t.Errorf("Agents() = %v, want [x y]", got)
	}
	f.must(f.c.RemoveAgent("x", sec(1)))
	if _, err := f.c.Agent("x"); !errors.Is(err, acd.ErrUnknownAgent) {
		t.Errorf("removed agent: err = %v, want ErrUnknownAgent", err)
	}
	s, err := f.c.Group("b", sec(1))
	f.must(err)
	if s.Agents[acd.LoggedOut] != 0 {
		t.Errorf("group b still counts the removed agent: %v", s.Agents)
	}
	if _, err := f.c.Group("nope", sec(1)); !errors.Is(err, acd.ErrUnknownGroup) {
		t.Errorf("unknown group: err = %v", err)
	}
}
