package acd_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vmsplatform/vms/acd"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// sec returns t0 plus s seconds.
func sec(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

type fixture struct {
	t *testing.T
	c *acd.Center
}

func newFixture(t *testing.T, groups ...acd.GroupConfig) *fixture {
	t.Helper()
	f := &fixture{t: t, c: acd.New(t0)}
	for _, g := range groups {
		f.must(f.c.PutGroup(g, t0))
	}
	return f
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// agent creates an agent with levels given as "group:level" pairs.
func (f *fixture) agent(id acd.AgentID, maxEmails int, levels ...string) {
	f.t.Helper()
	groups := map[acd.GroupID]acd.Level{}
	for _, gl := range levels {
		g, l, _ := strings.Cut(gl, ":")
		lv, err := strconv.Atoi(l)
		if err != nil {
			f.t.Fatalf("level %q: %v", gl, err)
		}
		groups[acd.GroupID(g)] = acd.Level(lv)
	}
	f.must(f.c.PutAgent(acd.AgentConfig{ID: id, Groups: groups, MaxEmails: maxEmails}, f.c.Now()))
}

// ready logs agent id in with its softphone registered, at time s.
func (f *fixture) ready(id acd.AgentID, s float64) {
	f.t.Helper()
	f.must(f.c.SetRegistered(id, true, sec(s)))
	f.must(f.c.Login(id, sec(s)))
}

func (f *fixture) enqueue(id acd.ContactID, g acd.GroupID, ch acd.Channel, s float64) acd.Outcome {
	f.t.Helper()
	o, err := f.c.Enqueue(id, g, ch, sec(s))
	f.must(err)
	return o
}

func (f *fixture) tick(s float64) acd.Effects {
	return f.c.Tick(sec(s))
}

func (f *fixture) state(id acd.AgentID) acd.State {
	f.t.Helper()
	v, err := f.c.Agent(id)
	f.must(err)
	return v.State
}

// assigned lists assignments as "contact>agent".
func assigned(e acd.Effects) []string {
	var out []string
	for _, a := range e.Assignments {
		out = append(out, string(a.Contact)+">"+string(a.Agent))
	}
	return out
}

// overflowed lists overflows as "contact:outcome".
func overflowed(e acd.Effects) []string {
	var out []string
	for _, o := range e.Overflows {
		out = append(out, string(o.Contact)+":"+string(o.Outcome))
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
