package acd

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Assignment is a contact given to an agent. For a call the agent is now
// Ringing: the controller rings the agent's softphone for RingTimeout and
// reports Answered, NoAnswer or Abandon. An e-mail is in the agent's hands
// at once, until Ended.
type Assignment struct {
	Contact     ContactID
	Group       GroupID
	Channel     Channel
	Agent       AgentID
	Level       Level         // the agent's level in the group
	Waited      time.Duration // since the contact arrived in the group
	RingTimeout time.Duration // the group's RingTimeout; calls only
}

// Overflow is a caller that left the queue without an agent (ACM-4): the
// controller sends it to the group's alternative for Outcome (TRM-4).
type Overflow struct {
	Contact ContactID
	Group   GroupID
	Outcome Outcome
	Waited  time.Duration
}

// Effects are the decisions the Center took since they were last taken
// with Tick, in the order it took them. When several events are fed in
// before a Tick, a later event may undo an earlier decision (a caller
// offered, then abandoned): owners call Tick after each event.
type Effects struct {
	Assignments []Assignment
	Overflows   []Overflow
}

// Empty reports whether there is nothing to do.
func (e Effects) Empty() bool { return len(e.Assignments) == 0 && len(e.Overflows) == 0 }

type contactState uint8

const (
	waiting   contactState = iota // in its group's queue
	offered                       // a call ringing an agent
	connected                     // a call answered, or an e-mail in an agent's hands
	gone                          // no longer known
)

type contact struct {
	id       ContactID
	group    *group
	ch       Channel
	arrived  time.Time
	seq      uint64
	state    contactState
	agent    *agent
	assigned time.Time // offered or given to the agent
	answered time.Time

	prev, next *contact // in the group's queue while waiting
}

func (c *contact) arrivedBefore(d *contact) bool {
	if !c.arrived.Equal(d.arrived) {
		return c.arrived.Before(d.arrived)
	}
	return c.seq < d.seq
}

type agent struct {
	id         AgentID
	maxEmails  int
	members    []*member // sorted by group id
	state      State
	reason     Reason
	since      time.Time // in state since
	idleSince  time.Time // last became free of work
	registered bool
	call       *contact
	emails     []*contact
	wrapSeq    uint64 // identifies the pending wrap-up timer
}

// unregistered is 1 for a logged-in agent whose softphone is not
// registered, else 0: its weight in group.unregistered.
func (a *agent) unregistered() int {
	if a.state != LoggedOut && !a.registered {
		return 1
	}
	return 0
}

func (a *agent) voiceEligible() bool {
	return a.state == Available && a.registered && a.call == nil && len(a.emails) == 0
}

func (a *agent) emailEligible() bool {
	return a.state == Available && a.call == nil && len(a.emails) < a.maxEmails
}

func (a *agent) eligible(ci int) bool {
	if ci == 1 {
		return a.emailEligible()
	}
	return a.voiceEligible()
}

type group struct {
	cfg    GroupConfig
	avail  [2][MaxLevel + 1]agentHeap // [channel][level]
	queue  [2]contactQueue
	states [StateCount]int // member agents per state
	// unregistered counts the logged-in members whose softphone is not
	// registered.
	unregistered int
	relaxAt      [2]time.Time // the pending relaxation timer, zero if none
	relaxSeq     [2]uint64
	counters     counters
}

type counters struct {
	answered, answeredInTarget   int
	abandoned, abandonedInTarget int
	overflowed                   int
	emailsHandled                int
	handle                       [2]time.Duration // moving average per channel
	handleN                      [2]int
}

// loggedIn returns the number of member agents logged in.
func (g *group) loggedIn() int {
	n := 0
	for s := Available; int(s) < StateCount; s++ {
		n += g.states[s]
	}
	return n
}

// pick returns the best available member for channel ci at level minLv or
// above, following the group's strategy; nil when there is none. It looks
// at the top of at most MaxLevel heaps, whatever the number of agents.
func (g *group) pick(ci int, minLv Level) *member {
	heaps := &g.avail[ci]
	if g.cfg.Strategy == LevelThenLongestIdle {
		for lv := MaxLevel; lv >= minLv; lv-- {
			if m := heaps[lv].top(); m != nil {
				return m
			}
		}
		return nil
	}
	var best *member
	for lv := minLv; lv <= MaxLevel; lv++ {
		if m := heaps[lv].top(); m != nil && (best == nil || memberBefore(ci, m, best)) {
			best = m
		}
	}
	return best
}

// Center is the in-memory state of the agents, groups and waiting
// contacts of one tenant (or of a whole platform): a state machine fed by
// events, each carrying the time it happened. It is not safe for
// concurrent use: one goroutine owns it, or callers serialise access.
type Center struct {
	now      time.Time
	seq      uint64
	groups   map[GroupID]*group
	agents   map[AgentID]*agent
	contacts map[ContactID]*contact
	timers   timerHeap
	out      Effects
}

// New returns an empty Center whose clock starts at start.
func New(start time.Time) *Center {
	return &Center{
		now:      start,
		groups:   make(map[GroupID]*group),
		agents:   make(map[AgentID]*agent),
		contacts: make(map[ContactID]*contact),
	}
}

// Now returns the Center's time: the latest time it was given.
func (c *Center) Now() time.Time { return c.now }

// advance moves the clock to at, firing the timers due on the way, each at
// its own time. A time earlier than the clock (events that crossed on the
// way) counts as the clock's time, so that time never goes backwards.
func (c *Center) advance(at time.Time) {
	for {
		t, ok := c.timers.peek()
		if !ok || t.due.After(at) {
			break
		}
		c.timers.pop()
		if t.due.After(c.now) {
			c.now = t.due
		}
		c.fire(t)
	}
	if at.After(c.now) {
		c.now = at
	}
}

// Tick advances the clock to at, firing due timers (wrap-up ends,
// relaxation steps, maximum waits), and returns the effects of everything
// since the previous Tick. The owner calls it after every event it feeds
// in, and when NextDue is reached.
func (c *Center) Tick(at time.Time) Effects {
	c.advance(at)
	out := c.out
	c.out = Effects{}
	return out
}

// NextDue returns when the earliest pending timer is due, so that the
// owner can sleep until then (or until the next event) before calling
// Tick. A timer may turn out to have nothing left to do when it fires.
func (c *Center) NextDue() (time.Time, bool) {
	t, ok := c.timers.peek()
	return t.due, ok
}

// PutGroup creates a group or updates its configuration. A new MaxWait
// applies to callers arriving after the change; relaxation and levels
// apply at once.
func (c *Center) PutGroup(cfg GroupConfig, at time.Time) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	c.advance(at)
	cfg.Relax = slices.Clone(cfg.Relax)
	g, ok := c.groups[cfg.ID]
	if !ok {
		g = &group{cfg: cfg}
		for ci := range g.avail {
			for lv := range g.avail[ci] {
				g.avail[ci][lv].ci = ci
			}
		}
		c.groups[cfg.ID] = g
		return nil
	}
	g.cfg = cfg
	c.tryGroup(g, 0)
	c.tryGroup(g, 1)
	return nil
}

// PutAgent creates an agent (logged out, softphone not registered) or
// replaces its groups and e-mail capacity. Every group must exist. A
// logged-in agent changes groups at once; contacts in progress are not
// affected.
func (c *Center) PutAgent(cfg AgentConfig, at time.Time) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	ids := make([]GroupID, 0, len(cfg.Groups))
	for id := range cfg.Groups {
		if _, ok := c.groups[id]; !ok {
			return fmt.Errorf("agent %s: group %s: %w", cfg.ID, id, ErrUnknownGroup)
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	c.advance(at)
	a, ok := c.agents[cfg.ID]
	if !ok {
		a = &agent{id: cfg.ID, state: LoggedOut, since: c.now}
		c.agents[cfg.ID] = a
	}
	old := a.members
	for _, m := range old {
		c.detach(m)
	}
	a.maxEmails = cfg.MaxEmails
	a.members = make([]*member, len(ids))
	for i, id := range ids {
		m := &member{agent: a, group: c.groups[id], level: cfg.Groups[id], pos: [2]int{-1, -1}, id: a.id}
		a.members[i] = m
		m.group.states[a.state]++
		m.group.unregistered += a.unregistered()
	}
	c.reindex(a)
	for _, m := range old {
		c.closeIfEmpty(m.group)
	}
	c.tryAgent(a)
	return nil
}

// RemoveAgent forgets a logged-out agent.
func (c *Center) RemoveAgent(id AgentID, at time.Time) error {
	a, err := c.agent(id)
	if err != nil {
		return err
	}
	if a.state != LoggedOut {
		return fmt.Errorf("remove agent %s in state %s: %w", id, a.state, ErrAgentBusy)
	}
	c.advance(at)
	for _, m := range a.members {
		c.detach(m)
	}
	delete(c.agents, id)
	return nil
}

// detach takes a membership out of its group's indexes and counts.
func (c *Center) detach(m *member) {
	for ci := range m.pos {
		if m.pos[ci] >= 0 {
			m.group.avail[ci][m.level].remove(m)
		}
	}
	m.group.states[m.agent.state]--
	m.group.unregistered -= m.agent.unregistered()
}

func (c *Center) agent(id AgentID) (*agent, error) {
	a, ok := c.agents[id]
	if !ok {
		return nil, fmt.Errorf("agent %s: %w", id, ErrUnknownAgent)
	}
	return a, nil
}

func (c *Center) contact(id ContactID) (*contact, error) {
	k, ok := c.contacts[id]
	if !ok {
		return nil, fmt.Errorf("contact %s: %w", id, ErrUnknownContact)
	}
	return k, nil
}

// transition applies event e to agent a, keeping the groups' counts and
// indexes in step.
func (c *Center) transition(a *agent, e Event, t time.Time) error {
	to, err := Next(a.state, e)
	if err != nil {
		return &TransitionError{Agent: a.id, From: a.state, Event: e}
	}
	if to != a.state {
		before := a.unregistered()
		for _, m := range a.members {
			m.group.states[a.state]--
			m.group.states[to]++
		}
		a.state = to
		if d := a.unregistered() - before; d != 0 {
			for _, m := range a.members {
				m.group.unregistered += d
			}
		}
	}
	a.since = t
	if to != Paused && to != NotReady {
		a.reason = ""
	}
	if to == Available && e != EventWithdraw {
		// An offer that was withdrawn gave the agent no work: it keeps
		// its place among the longest idle.
		a.idleSince = t
	}
	c.reindex(a)
	return nil
}

// reindex puts agent a's memberships in, or out of, or back in order in
// the indexes of available agents, after its state or keys changed.
func (c *Center) reindex(a *agent) {
	ok := [2]bool{a.voiceEligible(), a.emailEligible()}
	idle, load := a.idleSince.UnixNano(), len(a.emails)
	for _, m := range a.members {
		m.idle, m.load = idle, load
		for ci := range ok {
			h := &m.group.avail[ci][m.level]
			switch in := m.pos[ci] >= 0; {
			case in && ok[ci]:
				h.fix(m.pos[ci])
			case in:
				h.remove(m)
			case ok[ci]:
				h.push(m)
			}
		}
	}
}

// Login logs agent id in: it becomes Available.
func (c *Center) Login(id AgentID, at time.Time) error {
	a, err := c.agent(id)
	if err != nil {
		return err
	}
	c.advance(at)
	if err := c.transition(a, EventLogin, c.now); err != nil {
		return err
	}
	c.tryAgent(a)
	return nil
}

// Logout logs agent id out. It is refused while a call rings or is in
// progress; e-mails in the agent's hands go back to their queues at their
// arrival place. When the last member of a group logs out, the group's
// waiting callers overflow with OutcomeClosed: nobody is left to answer.
func (c *Center) Logout(id AgentID, at time.Time) error {
	a, err := c.agent(id)
	if err != nil {
		return err
	}
	c.advance(at)
	if err := c.transition(a, EventLogout, c.now); err != nil {
		return err
	}
	emails := a.emails
	a.emails = nil
	for _, k := range emails {
		k.state, k.agent = waiting, nil
		k.group.queue[1].insert(k)
	}
	for _, k := range emails {
		c.tryGroup(k.group, 1)
	}
	for _, m := range a.members {
		c.closeIfEmpty(m.group)
	}
	return nil
}

// closeIfEmpty overflows the waiting callers of a group with no agent
// logged in (ACM-4): nobody could ever answer them.
func (c *Center) closeIfEmpty(g *group) {
	if g.loggedIn() > 0 {
		return
	}
	q := &g.queue[0]
	for q.head != nil {
		c.overflow(q.head, OutcomeClosed)
	}
	c.tryGroup(g, 0)
}

// SetRegistered records whether agent id's softphone is registered with
// the media engine. An agent whose softphone is not registered is offered
// no call, whatever its state, and is offered calls again as soon as it
// registers; e-mails do not need the softphone.
func (c *Center) SetRegistered(id AgentID, registered bool, at time.Time) error {
	a, err := c.agent(id)
	if err != nil {
		return err
	}
	c.advance(at)
	if a.registered == registered {
		return nil
	}
	before := a.unregistered()
	a.registered = registered
	if d := a.unregistered() - before; d != 0 {
		for _, m := range a.members {
			m.group.unregistered += d
		}
	}
	c.reindex(a)
	c.tryAgent(a)
	return nil
}

// Pause pauses agent id with a reason (from Available, WrapUp, NotReady;
// or a new reason while Paused). A paused agent keeps the e-mails in its
// hands but is given nothing new.
func (c *Center) Pause(id AgentID, reason Reason, at time.Time) error {
	if strings.TrimSpace(string(reason)) == "" {
		return &ConfigError{Field: "reason", Message: "is required"}
	}
	a, err := c.agent(id)
	if err != nil {
		return err
	}
	c.advance(at)
	if err := c.transition(a, EventPause, c.now); err != nil {
		return err
	}
	a.reason = reason
	return nil
}

// Resume makes agent id Available again after a pause, after NotReady, or
// before the end of its wrap-up time.
func (c *Center) Resume(id AgentID, at time.Time) error {
	a, err := c.agent(id)
	if err != nil {
		return err
	}
	c.advance(at)
	if err := c.transition(a, EventResume, c.now); err != nil {
		return err
	}
	c.tryAgent(a)
	return nil
}

// Enqueue puts contact id in group g's queue. A call is refused with an
// Outcome when the group is closed or has no agent logged in
// (OutcomeClosed) or its queue is full (OutcomeFull); the caller then goes
// to the group's alternative (TRM-4). E-mails are always queued. The
// contact may be assigned at once: see Tick.
func (c *Center) Enqueue(id ContactID, g GroupID, ch Channel, at time.Time) (Outcome, error) {
	if ch != Voice && ch != Email {
		return "", &ConfigError{Field: "channel", Message: fmt.Sprintf("unknown channel %d", ch)}
	}
	c.advance(at)
	grp, ok := c.groups[g]
	if !ok {
		return "", fmt.Errorf("enqueue %s: group %s: %w", id, g, ErrUnknownGroup)
	}
	if _, ok := c.contacts[id]; ok {
		return "", fmt.Errorf("enqueue %s: %w", id, ErrDuplicateContact)
	}
	if ch == Voice {
		switch {
		case grp.cfg.Closed || grp.loggedIn() == 0:
			return OutcomeClosed, nil
		case grp.cfg.MaxQueue > 0 && grp.queue[0].n >= grp.cfg.MaxQueue:
			return OutcomeFull, nil
		}
	}
	c.seq++
	k := &contact{id: id, group: grp, ch: ch, arrived: c.now, seq: c.seq}
	c.contacts[id] = k
	ci := chIndex(ch)
	grp.queue[ci].insert(k)
	if ch == Voice && grp.cfg.MaxWait > 0 {
		c.timers.push(timer{due: k.arrived.Add(grp.cfg.MaxWait), kind: timerMaxWait, contact: k})
	}
	if grp.queue[ci].head == k {
		c.tryGroup(grp, ci)
	}
	return "", nil
}

// Answered records that the agent answered the call it was offered.
func (c *Center) Answered(id ContactID, at time.Time) error {
	c.advance(at)
	k, err := c.contact(id)
	if err != nil {
		return err
	}
	if k.ch != Voice || k.state != offered {
		return fmt.Errorf("answer %s: %w", id, ErrContactState)
	}
	if err := c.transition(k.agent, EventAnswer, c.now); err != nil {
		return err
	}
	k.state, k.answered = connected, c.now
	g := k.group
	g.counters.answered++
	if c.now.Sub(k.arrived) <= g.cfg.Target.Within {
		g.counters.answeredInTarget++
	}
	return nil
}

// NoAnswer records that the agent did not answer (or declined) the call
// it was offered. The agent goes to NotReady with ReasonNoAnswer (ACM-3);
// the call goes back to its arrival place in the queue and is offered to
// the next agent, unless it has waited MaxWait already, in which case it
// overflows with OutcomeTimeout.
func (c *Center) NoAnswer(id ContactID, at time.Time) error {
	c.advance(at)
	k, err := c.contact(id)
	if err != nil {
		return err
	}
	if k.ch != Voice || k.state != offered {
		return fmt.Errorf("no answer %s: %w", id, ErrContactState)
	}
	a := k.agent
	if err := c.transition(a, EventNoAnswer, c.now); err != nil {
		return err
	}
	a.reason = ReasonNoAnswer
	a.call = nil
	k.state, k.agent = waiting, nil
	g := k.group
	g.queue[0].insert(k)
	if g.cfg.MaxWait > 0 && c.now.Sub(k.arrived) >= g.cfg.MaxWait {
		c.overflow(k, OutcomeTimeout)
	}
	c.tryGroup(g, 0)
	return nil
}

// Abandon records that a contact left before an agent took it: the
// caller hung up while waiting or while an agent's phone rang. An agent
// that was ringing is Available again and keeps its idle time.
func (c *Center) Abandon(id ContactID, at time.Time) error {
	c.advance(at)
	k, err := c.contact(id)
	if err != nil {
		return err
	}
	if k.state != waiting && k.state != offered {
		return fmt.Errorf("abandon %s: %w", id, ErrContactState)
	}
	g, ci := k.group, chIndex(k.ch)
	if k.ch == Voice {
		g.counters.abandoned++
		if c.now.Sub(k.arrived) <= g.cfg.Target.Within {
			g.counters.abandonedInTarget++
		}
	}
	if k.state == waiting {
		g.queue[ci].remove(k)
		c.forget(k)
		c.tryGroup(g, ci)
		return nil
	}
	a := k.agent
	a.call = nil
	c.forget(k)
	if err := c.transition(a, EventWithdraw, c.now); err != nil {
		return err
	}
	c.tryAgent(a)
	return nil
}

// Ended records the end of a contact in progress: a call that was
// answered, or an e-mail an agent was given. After a call the agent goes
// to WrapUp for the group's WrapUp time (Available at once when it is
// zero); after an e-mail it can take another at once.
func (c *Center) Ended(id ContactID, at time.Time) error {
	c.advance(at)
	k, err := c.contact(id)
	if err != nil {
		return err
	}
	if k.state != connected {
		return fmt.Errorf("end %s: %w", id, ErrContactState)
	}
	a, g, ci := k.agent, k.group, chIndex(k.ch)
	c.forget(k)
	if k.ch == Email {
		a.emails = slices.DeleteFunc(a.emails, func(e *contact) bool { return e == k })
		a.idleSince = c.now
		g.counters.emailsHandled++
		g.sampleHandle(ci, c.now.Sub(k.assigned))
		c.reindex(a)
		c.tryAgent(a)
		return nil
	}
	a.call = nil
	g.sampleHandle(ci, c.now.Sub(k.answered)+g.cfg.WrapUp)
	if err := c.transition(a, EventEnd, c.now); err != nil {
		return err
	}
	if g.cfg.WrapUp == 0 {
		return c.endWrapUp(a)
	}
	a.wrapSeq++
	c.timers.push(timer{due: c.now.Add(g.cfg.WrapUp), kind: timerWrapUp, agent: a, ver: a.wrapSeq})
	return nil
}

func (c *Center) endWrapUp(a *agent) error {
	if err := c.transition(a, EventWrapUpEnd, c.now); err != nil {
		return err
	}
	c.tryAgent(a)
	return nil
}

// sampleHandle feeds a handle time into the group's moving average (an
// exponential average weighing the latest contact 1/8).
func (g *group) sampleHandle(ci int, d time.Duration) {
	if g.counters.handleN[ci] == 0 {
		g.counters.handle[ci] = d
	} else {
		g.counters.handle[ci] += (d - g.counters.handle[ci]) / 8
	}
	g.counters.handleN[ci]++
}

func (c *Center) forget(k *contact) {
	k.state = gone
	delete(c.contacts, k.id)
}

// overflow takes a waiting caller out of its queue with outcome o.
func (c *Center) overflow(k *contact, o Outcome) {
	g := k.group
	g.queue[0].remove(k)
	c.forget(k)
	g.counters.overflowed++
	c.out.Overflows = append(c.out.Overflows, Overflow{Contact: k.id, Group: g.cfg.ID, Outcome: o, Waited: c.now.Sub(k.arrived)})
}

// tryGroup gives the head contacts of group g's queue for channel ci to
// the group's best available agents, as long as there are some, then
// arms the timer of the head's next relaxation step.
func (c *Center) tryGroup(g *group, ci int) {
	q := &g.queue[ci]
	for q.head != nil {
		k := q.head
		m := g.pick(ci, g.cfg.minLevel(c.now.Sub(k.arrived)))
		if m == nil {
			break
		}
		c.assign(k, m)
	}
	c.armRelax(g, ci)
}

// armRelax makes sure a timer fires when the head contact of g's queue
// reaches the next relaxation step.
func (c *Center) armRelax(g *group, ci int) {
	k := g.queue[ci].head
	if k == nil {
		return
	}
	after, ok := g.cfg.nextRelax(c.now.Sub(k.arrived))
	if !ok {
		return
	}
	due := k.arrived.Add(after)
	if due.Equal(g.relaxAt[ci]) {
		return
	}
	g.relaxAt[ci] = due
	g.relaxSeq[ci]++
	c.timers.push(timer{due: due, kind: timerRelax, group: g, ci: ci, ver: g.relaxSeq[ci]})
}

// tryAgent gives contacts to agent a, which may have just become free:
// among its groups whose head contact it may take (its level there is at
// least the head's current minimum level), the head that has waited the
// longest, then the group with the higher Priority, then the smaller
// GroupID. Calls come first; then e-mails up to the agent's capacity.
func (c *Center) tryAgent(a *agent) {
	for ci := range 2 {
		for a.eligible(ci) {
			var best *member
			for _, m := range a.members {
				k := m.group.queue[ci].head
				if k == nil || m.level < m.group.cfg.minLevel(c.now.Sub(k.arrived)) {
					continue
				}
				if best == nil || groupFirst(m.group, best.group, ci) {
					best = m
				}
			}
			if best == nil {
				break
			}
			c.assign(best.group.queue[ci].head, best)
			c.tryGroup(best.group, ci)
		}
	}
}

// groupFirst orders an agent's groups whose head contacts it may take.
func groupFirst(g, h *group, ci int) bool {
	a, b := g.queue[ci].head.arrived, h.queue[ci].head.arrived
	switch {
	case !a.Equal(b):
		return a.Before(b)
	case g.cfg.Priority != h.cfg.Priority:
		return g.cfg.Priority > h.cfg.Priority
	}
	return g.cfg.ID < h.cfg.ID
}

// assign gives waiting contact k (the head of its queue) to member m.
func (c *Center) assign(k *contact, m *member) {
	a, g, ci := m.agent, m.group, chIndex(k.ch)
	g.queue[ci].remove(k)
	k.agent, k.assigned = a, c.now
	as := Assignment{Contact: k.id, Group: g.cfg.ID, Channel: k.ch, Agent: a.id, Level: m.level, Waited: c.now.Sub(k.arrived)}
	if k.ch == Voice {
		k.state = offered
		a.call = k
		as.RingTimeout = g.cfg.RingTimeout
		if err := c.transition(a, EventOffer, c.now); err != nil {
			panic(fmt.Sprintf("acd: offer to an agent that was indexed as available: %v", err))
		}
	} else {
		k.state = connected
		a.emails = append(a.emails, k)
		a.idleSince = c.now
		c.reindex(a)
	}
	c.out.Assignments = append(c.out.Assignments, as)
}

// fire handles a timer that is due.
func (c *Center) fire(t timer) {
	switch t.kind {
	case timerWrapUp:
		if t.agent.state == WrapUp && t.agent.wrapSeq == t.ver && c.agents[t.agent.id] == t.agent {
			_ = c.endWrapUp(t.agent) // WrapUp -> Available is always allowed
		}
	case timerRelax:
		if t.group.relaxSeq[t.ci] == t.ver {
			t.group.relaxAt[t.ci] = time.Time{}
			c.tryGroup(t.group, t.ci)
		}
	case timerMaxWait:
		if t.contact.state == waiting {
			c.overflow(t.contact, OutcomeTimeout)
			c.tryGroup(t.contact.group, 0)
		}
	}
}
