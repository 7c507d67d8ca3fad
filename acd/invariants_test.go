package acd

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// check verifies the Center's internal invariants; it returns the first
// violation.
func (c *Center) check() error {
	referenced := map[*contact]*agent{}
	for _, a := range c.agents {
		if (a.call != nil) != (a.state == Ringing || a.state == Talking) {
			return fmt.Errorf("agent %s in %s with call %v", a.id, a.state, a.call != nil)
		}
		if a.call != nil {
			if len(a.emails) > 0 {
				return fmt.Errorf("agent %s has a call and %d e-mails", a.id, len(a.emails))
			}
			want := offered
			if a.state == Talking {
				want = connected
			}
			if a.call.state != want || a.call.agent != a || a.call.ch != Voice {
				return fmt.Errorf("agent %s call %s in state %d to %v", a.id, a.call.id, a.call.state, a.call.agent)
			}
			referenced[a.call] = a
		}
		// PutAgent may lower the capacity below the e-mails in hand; the
		// index check below makes sure no more are given then.
		if a.state == LoggedOut && len(a.emails) > 0 {
			return fmt.Errorf("logged-out agent %s holds e-mails", a.id)
		}
		for _, k := range a.emails {
			if other, ok := referenced[k]; ok {
				return fmt.Errorf("contact %s held by %s and %s", k.id, a.id, other.id)
			}
			if k.state != connected || k.agent != a || k.ch != Email {
				return fmt.Errorf("agent %s e-mail %s in state %d", a.id, k.id, k.state)
			}
			referenced[k] = a
		}
		for _, m := range a.members {
			for ci := range 2 {
				if (m.pos[ci] >= 0) != a.eligible(ci) {
					return fmt.Errorf("agent %s in group %s channel %d: indexed %v, eligible %v", a.id, m.group.cfg.ID, ci, m.pos[ci] >= 0, a.eligible(ci))
				}
			}
		}
	}
	queued := 0
	for _, g := range c.groups {
		var states [StateCount]int
		unreg := 0
		for _, a := range c.agents {
			for _, m := range a.members {
				if m.group == g {
					states[a.state]++
					unreg += a.unregistered()
				}
			}
		}
		if states != g.states || unreg != g.unregistered {
			return fmt.Errorf("group %s counts %v/%d, recount %v/%d", g.cfg.ID, g.states, g.unregistered, states, unreg)
		}
		for ci := range 2 {
			n := 0
			for k := g.queue[ci].head; k != nil; k = k.next {
				n++
				if k.state != waiting || k.group != g || chIndex(k.ch) != ci || c.contacts[k.id] != k {
					return fmt.Errorf("group %s queue holds %s in state %d", g.cfg.ID, k.id, k.state)
				}
				if k.next != nil && !k.arrivedBefore(k.next) {
					return fmt.Errorf("group %s queue: %s before %s out of arrival order", g.cfg.ID, k.id, k.next.id)
				}
			}
			if n != g.queue[ci].n {
				return fmt.Errorf("group %s queue counts %d, holds %d", g.cfg.ID, g.queue[ci].n, n)
			}
			queued += n
			for lv := range g.avail[ci] {
				h := &g.avail[ci][lv]
				for i, m := range h.items {
					if m.group != g || int(m.level) != lv || m.pos[ci] != i || !m.agent.eligible(ci) ||
						m.idle != m.agent.idleSince.UnixNano() || m.load != len(m.agent.emails) || m.id != m.agent.id {
						return fmt.Errorf("group %s heap %d/%d item %d: agent %s misplaced", g.cfg.ID, ci, lv, i, m.agent.id)
					}
					if i > 0 && h.less(i, (i-1)/2) {
						return fmt.Errorf("group %s heap %d/%d out of order at %d", g.cfg.ID, ci, lv, i)
					}
				}
			}
			if k := g.queue[ci].head; k != nil {
				if m := g.pick(ci, g.cfg.minLevel(c.now.Sub(k.arrived))); m != nil {
					return fmt.Errorf("group %s: %s waits while %s could take it", g.cfg.ID, k.id, m.agent.id)
				}
			}
		}
	}
	if queued+len(referenced) != len(c.contacts) {
		return fmt.Errorf("%d contacts known, %d queued, %d with agents", len(c.contacts), queued, len(referenced))
	}
	return nil
}

// before is the selection order of doc.go, written again from the agents
// themselves: the reference for memberBefore.
func before(ci int, a, b *agent) bool {
	if ci == 1 && len(a.emails) != len(b.emails) {
		return len(a.emails) < len(b.emails)
	}
	if !a.idleSince.Equal(b.idleSince) {
		return a.idleSince.Before(b.idleSince)
	}
	return a.id < b.id
}

// naiveBest is the reference selection: a full scan of every agent.
func naiveBest(c *Center, g *group, ci int, minLv Level) *agent {
	var best *agent
	var bestLv Level
	for _, a := range c.agents {
		if !a.eligible(ci) {
			continue
		}
		for _, m := range a.members {
			if m.group != g || m.level < minLv {
				continue
			}
			switch {
			case best == nil,
				g.cfg.Strategy == LevelThenLongestIdle && m.level > bestLv,
				(g.cfg.Strategy == LongestIdle || m.level == bestLv) && before(ci, a, best):
				best, bestLv = a, m.level
			}
		}
	}
	return best
}

// Random event sequences never break the invariants: no agent holds two
// calls, no contact is given to two agents, counts and indexes stay in
// step with the agents, and no contact waits while an agent could take
// it. Fresh assignments agree with a full scan.
func TestRandomEventsKeepInvariants(t *testing.T) {
	seeds := 40
	steps := 400
	if testing.Short() {
		seeds = 8
	}
	var stats randomStats
	for seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			runRandom(t, uint64(seed), steps, &stats)
		})
	}
	t.Logf("%+v", stats)
	// The sequences must exercise what they claim to check.
	if stats.compared < seeds || stats.freed < seeds || stats.assigned < 10*seeds || stats.overflowed == 0 || stats.refused == 0 {
		t.Errorf("sequences too tame: %+v", stats)
	}
}

type randomStats struct{ compared, freed, assigned, overflowed, refused int }

// expectedCall is the waiting call agent a would take now if it became
// free, by the multi-group rule of doc.go, found by looking at every
// group of the agent: the head that arrived first among those its level
// allows, then the higher priority, then the smaller group id.
func expectedCall(c *Center, a *agent) ContactID {
	var best *contact
	for _, m := range a.members {
		k := m.group.queue[0].head
		if k == nil || m.level < m.group.cfg.minLevel(c.now.Sub(k.arrived)) {
			continue
		}
		if best == nil || k.arrived.Before(best.arrived) ||
			k.arrived.Equal(best.arrived) && (k.group.cfg.Priority > best.group.cfg.Priority ||
				k.group.cfg.Priority == best.group.cfg.Priority && k.group.cfg.ID < best.group.cfg.ID) {
			best = k
		}
	}
	if best == nil {
		return ""
	}
	return best.id
}

func runRandom(t *testing.T, seed uint64, steps int, stats *randomStats) {
	rng := rand.New(rand.NewPCG(seed, 7))
	start := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	now := start
	c := New(now)
	groups := []GroupConfig{
		{ID: "a", WrapUp: 3 * time.Second, MaxWait: 40 * time.Second, MaxQueue: 4},
		{ID: "b", Strategy: LongestIdle, MinLevel: 6, Relax: []RelaxStep{{After: 5 * time.Second, MinLevel: 3}}, Priority: 1},
		{ID: "c", MinLevel: 9, Relax: []RelaxStep{{After: 4 * time.Second, MinLevel: 7}, {After: 9 * time.Second, MinLevel: 1}}, MaxWait: 20 * time.Second},
	}
	for _, g := range groups {
		if err := c.PutGroup(g, now); err != nil {
			t.Fatal(err)
		}
	}
	agentIDs := []AgentID{"p", "q", "r", "s", "u", "v"}
	randomAgent := func(id AgentID) AgentConfig {
		cfg := AgentConfig{ID: id, Groups: map[GroupID]Level{}, MaxEmails: rng.IntN(3)}
		for _, g := range groups {
			if rng.IntN(3) > 0 {
				cfg.Groups[g.ID] = Level(1 + rng.IntN(10))
			}
		}
		return cfg
	}
	for _, id := range agentIDs {
		if err := c.PutAgent(randomAgent(id), now); err != nil {
			t.Fatal(err)
		}
	}
	holder := map[ContactID]AgentID{} // contacts given to agents, from the effects
	var known []ContactID
	next := 0
	pick := func() ContactID {
		if rng.IntN(10) > 0 { // mostly live contacts; sometimes a stale one
			known = slices.DeleteFunc(known, func(k ContactID) bool { return c.contacts[k] == nil })
		}
		if len(known) == 0 {
			return "none"
		}
		return known[rng.IntN(len(known))]
	}
	apply := func(e Effects, what string) {
		stats.assigned += len(e.Assignments)
		stats.overflowed += len(e.Overflows)
		for _, as := range e.Assignments {
			if h, ok := holder[as.Contact]; ok {
				t.Fatalf("%s: %s assigned to %s while held by %s", what, as.Contact, as.Agent, h)
			}
			if as.Channel == Voice {
				for k, h := range holder {
					if h == as.Agent && c.contacts[k] != nil && c.contacts[k].ch == Voice {
						t.Fatalf("%s: %s offered %s while holding call %s", what, as.Agent, as.Contact, k)
					}
				}
			}
			holder[as.Contact] = as.Agent
		}
		for _, o := range e.Overflows {
			if _, ok := holder[o.Contact]; ok {
				t.Fatalf("%s: %s overflowed while held by an agent", what, o.Contact)
			}
		}
	}
	for step := range steps {
		now = now.Add(time.Duration(rng.IntN(4000)) * time.Millisecond)
		// Timers due by now fire first: take their effects before the
		// event's own.
		apply(c.Tick(now), "timers")
		id := agentIDs[rng.IntN(len(agentIDs))]
		var what string
		var err error
		// The call agent id should take if this event frees it, by the
		// multi-group rule of doc.go, worked out before the event.
		freeing := false
		expect := expectedCall(c, c.agents[id])
		switch op := rng.IntN(14); op {
		case 0:
			what, err = "login "+string(id), c.Login(id, now)
			freeing = true
		case 1:
			what = "logout " + string(id)
			err = c.Logout(id, now)
			if err == nil {
				for k, h := range holder {
					if h == id {
						delete(holder, k)
					}
				}
			}
		case 2:
			what, err = "pause "+string(id), c.Pause(id, "break", now)
		case 3:
			what, err = "resume "+string(id), c.Resume(id, now)
			freeing = true
		case 4:
			reg := rng.IntN(3) > 0
			what, err = fmt.Sprintf("registered %s %v", id, reg), c.SetRegistered(id, reg, now)
			freeing = reg
		case 5, 6:
			next++
			k := ContactID(fmt.Sprint("k", next))
			g := groups[rng.IntN(len(groups))].ID
			ch := Voice
			if rng.IntN(3) == 0 {
				ch = Email
			}
			what = fmt.Sprintf("enqueue %s %s %s", k, g, ch)
			grp, ci := c.groups[g], chIndex(ch)
			c.advance(now)
			var want *agent
			if grp.queue[ci].head == nil {
				want = naiveBest(c, grp, ci, grp.cfg.minLevel(0))
			}
			var o Outcome
			o, err = c.Enqueue(k, g, ch, now)
			if err == nil && o == "" {
				known = append(known, k)
				if want != nil {
					stats.compared++
				}
				if want != nil && (c.contacts[k] == nil || c.contacts[k].agent != want) {
					t.Fatalf("step %d %s: given to %v, full scan says %s", step, what, c.contacts[k], want.id)
				}
			}
		case 7:
			k := pick()
			what, err = "answered "+string(k), c.Answered(k, now)
		case 8:
			k := pick()
			what, err = "no answer "+string(k), c.NoAnswer(k, now)
			if err == nil {
				delete(holder, k)
			}
		case 9:
			k := pick()
			what, err = "abandon "+string(k), c.Abandon(k, now)
			if err == nil {
				delete(holder, k)
			}
		case 10, 11:
			k := pick()
			what, err = "ended "+string(k), c.Ended(k, now)
			if err == nil {
				delete(holder, k)
			}
		case 12:
			what, err = "put agent "+string(id), c.PutAgent(randomAgent(id), now)
		case 13:
			g := groups[rng.IntN(len(groups))]
			g.Strategy = Strategy(rng.IntN(2))
			g.MinLevel = Level(rng.IntN(11))
			g.Relax = nil
			if g.MinLevel > 3 && rng.IntN(2) == 0 {
				g.Relax = []RelaxStep{{After: time.Duration(1+rng.IntN(10)) * time.Second, MinLevel: g.MinLevel - 3}}
			}
			g.Closed = rng.IntN(4) == 0
			g.WrapUp = time.Duration(rng.IntN(5)) * time.Second
			what, err = fmt.Sprintf("put group %+v", g), c.PutGroup(g, now)
		}
		if err != nil {
			stats.refused++
		}
		if err != nil && !errors.Is(err, ErrInvalidTransition) && !errors.Is(err, ErrContactState) && !errors.Is(err, ErrUnknownContact) {
			t.Fatalf("step %d %s: unexpected error %v", step, what, err)
		}
		e := c.Tick(now)
		if freeing && err == nil {
			var got ContactID
			for _, as := range e.Assignments {
				if as.Agent == id && as.Channel == Voice {
					got = as.Contact
					break
				}
			}
			switch a := c.agents[id]; {
			case got != "" && got != expect:
				t.Fatalf("step %d %s: took %s, the rule says %q", step, what, got, expect)
			case got == "" && expect != "" && a.voiceEligible():
				t.Fatalf("step %d %s: free, but did not take %s", step, what, expect)
			case got != "":
				stats.freed++
			}
		}
		apply(e, what)
		for k := range holder {
			if c.contacts[k] == nil || c.contacts[k].agent == nil {
				t.Fatalf("step %d %s: %s held by %s per the effects, not per the center", step, what, k, holder[k])
			}
		}
		if err := c.check(); err != nil {
			t.Fatalf("step %d after %s: %v", step, what, err)
		}
	}
}
