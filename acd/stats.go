package acd

import (
	"fmt"
	"slices"
	"time"
)

// AgentView is an agent as the supervisor screen and the agent desktop
// show it (ACM-6, ACM-7).
type AgentView struct {
	ID         AgentID
	State      State
	Reason     Reason    // Paused or NotReady only
	Since      time.Time // in State since
	IdleSince  time.Time // last became free of work
	Registered bool      // the softphone is registered
	Call       ContactID // the call ringing or in progress, if any
	Emails     []ContactID
	Groups     map[GroupID]Level
}

// Agent returns the view of agent id.
func (c *Center) Agent(id AgentID) (AgentView, error) {
	a, err := c.agent(id)
	if err != nil {
		return AgentView{}, err
	}
	v := AgentView{ID: a.id, State: a.state, Reason: a.reason, Since: a.since, IdleSince: a.idleSince,
		Registered: a.registered, Groups: make(map[GroupID]Level, len(a.members))}
	if a.call != nil {
		v.Call = a.call.id
	}
	for _, k := range a.emails {
		v.Emails = append(v.Emails, k.id)
	}
	for _, m := range a.members {
		v.Groups[m.group.cfg.ID] = m.level
	}
	return v, nil
}

// Agents returns the ids of all agents, sorted.
func (c *Center) Agents() []AgentID {
	ids := make([]AgentID, 0, len(c.agents))
	for id := range c.agents {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// GroupStats is the live state of a group for the supervisor screen
// (ACM-7), and its counters since the group was created.
type GroupStats struct {
	ID GroupID
	// Waiting callers and the longest current wait among them.
	Waiting     int
	LongestWait time.Duration
	// Waiting e-mails and the longest current wait among them.
	WaitingEmails    int
	LongestEmailWait time.Duration
	// Agents counts the member agents per state, indexed by State.
	Agents [StateCount]int
	// Unregistered counts the logged-in members whose softphone is not
	// registered (they are given no call).
	Unregistered int

	// Calls answered, answered within Target.Within, abandoned (hung up
	// while waiting or ringing), abandoned within Target.Within, and
	// overflowed after entering the queue (timeout, or the group emptied).
	Answered, AnsweredInTarget   int
	Abandoned, AbandonedInTarget int
	Overflowed                   int
	EmailsHandled                int
	// AverageHandle is the moving average of a call's talk plus wrap-up
	// time (zero before the first call ended); AverageEmailHandle the
	// same for e-mails, from assignment to end.
	AverageHandle, AverageEmailHandle time.Duration
	Target                            ServiceLevel
}

// ServiceLevel returns the percentage of calls answered within the
// target time, among the calls answered, abandoned after the target time
// and overflowed: callers who hung up before the target are not counted
// against the group. ok is false before the first such call.
func (s GroupStats) ServiceLevel() (percent float64, ok bool) {
	n := s.Answered + (s.Abandoned - s.AbandonedInTarget) + s.Overflowed
	if n == 0 {
		return 0, false
	}
	return 100 * float64(s.AnsweredInTarget) / float64(n), true
}

// Group returns the live state of group id at time at.
func (c *Center) Group(id GroupID, at time.Time) (GroupStats, error) {
	g, ok := c.groups[id]
	if !ok {
		return GroupStats{}, fmt.Errorf("group %s: %w", id, ErrUnknownGroup)
	}
	c.advance(at)
	k := &g.counters
	s := GroupStats{
		ID: id, Agents: g.states, Unregistered: g.unregistered, Target: g.cfg.Target,
		Waiting: g.queue[0].n, WaitingEmails: g.queue[1].n,
		Answered: k.answered, AnsweredInTarget: k.answeredInTarget,
		Abandoned: k.abandoned, AbandonedInTarget: k.abandonedInTarget,
		Overflowed: k.overflowed, EmailsHandled: k.emailsHandled,
		AverageHandle: k.handle[0], AverageEmailHandle: k.handle[1],
	}
	if h := g.queue[0].head; h != nil {
		s.LongestWait = c.now.Sub(h.arrived)
	}
	if h := g.queue[1].head; h != nil {
		s.LongestEmailWait = c.now.Sub(h.arrived)
	}
	return s, nil
}

// Groups returns the ids of all groups, sorted.
func (c *Center) Groups() []GroupID {
	ids := make([]GroupID, 0, len(c.groups))
	for id := range c.groups {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Wait is where a waiting contact stands, for the periodic announcements
// of position and expected wait (ACM-2).
type Wait struct {
	Position int           // 1 for the head of the queue
	Waited   time.Duration // since it arrived in the group
	// Expected is the estimated time until an agent takes it:
	// Position × the group's average handle time ÷ the members that are
	// working (Available, Ringing, Talking or WrapUp). Known is false
	// when there is no estimate: no contact handled yet, or nobody
	// working.
	Expected time.Duration
	Known    bool
}

// Position returns where waiting contact id stands at time at. A contact
// ringing an agent or in progress is not waiting: ErrContactState.
func (c *Center) Position(id ContactID, at time.Time) (Wait, error) {
	c.advance(at)
	k, err := c.contact(id)
	if err != nil {
		return Wait{}, err
	}
	if k.state != waiting { // the clock may have moved it on
		return Wait{}, fmt.Errorf("position %s: %w", id, ErrContactState)
	}
	g, ci := k.group, chIndex(k.ch)
	w := Wait{Waited: c.now.Sub(k.arrived)}
	for e := g.queue[ci].head; e != nil; e = e.next {
		w.Position++
		if e == k {
			break
		}
	}
	working := g.states[Available] + g.states[Ringing] + g.states[Talking] + g.states[WrapUp]
	if aht := g.counters.handle[ci]; g.counters.handleN[ci] > 0 && working > 0 {
		w.Expected = time.Duration(int64(aht) * int64(w.Position) / int64(working))
		w.Known = true
	}
	return w, nil
}
