package center

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vmsplatform/vms/acd"
)

// Endpoint returns the SIP endpoint name of agent agentID's softphone
// ("vmsagent12"); its dial string is "PJSIP/" + Endpoint(id).
func Endpoint(agentID uint) string { return "vmsagent" + strconv.FormatUint(uint64(agentID), 10) }

// NoReason is the reason recorded for a pause without one.
const NoReason acd.Reason = "paused"

// Sentinel errors, besides the acd ones the methods wrap.
var (
	// ErrUnknownReason is a pause reason that is not one of the tenant's.
	ErrUnknownReason = errors.New("center: unknown pause reason")
)

// Config configures a Service.
type Config struct {
	// Now is the clock; default time.Now.
	Now func() time.Time
	// After waits like time.After; default time.After. Tests give a fake
	// clock's.
	After func(time.Duration) <-chan time.Time
	// Logger; default slog.Default().
	Logger *slog.Logger
	// HistoryEvery is the sampling period of the supervisor chart; default
	// one minute. The last HistorySamples samples are kept.
	HistoryEvery time.Duration
}

// HistorySamples is how many samples History keeps per tenant.
const HistorySamples = 60

// Directory is every tenant's ACD configuration, loaded from the store by
// cmd/vms and applied again after each change.
type Directory struct {
	Groups       []Group
	Agents       []Agent
	PauseReasons map[uint][]string // by tenant
}

// Group is one agent group of a tenant.
type Group struct {
	ID       acd.GroupID
	TenantID uint
	Key      string // the id used in routing trees
	Name     string
	Config   acd.GroupConfig // Config.ID == ID
	// AnnounceEvery is the period of the position and expected-wait
	// announcements; 0 means none.
	AnnounceEvery time.Duration
	MOHClass      string // music on hold class; "" is the default
	Email         string // lower-case address the group receives mail at; "" is none
}

// Agent is one agent of a tenant.
type Agent struct {
	ID       acd.AgentID
	TenantID uint
	UserID   uint // the portal account
	Name     string
	Endpoint string          // Endpoint(id)
	Config   acd.AgentConfig // groups with levels, MaxEmails
}

// ContactInfo is what is shown about a contact (agent desktop, supervisor).
type ContactInfo struct {
	TenantID uint
	From     string   // caller number or mail From address
	To       string   // dialed number or group address
	Subject  string   // e-mails
	Path     []string // the routing path the call came through
	EmailID  uint     // the stored e-mail's id, e-mails only
}

// Ticket is a call waiting in a group. Decisions arrive on C, which is
// buffered and never blocks the Service: an offer (ring Offer.Agent for
// Offer.RingTimeout) or an overflow (leave the queue and take the routing
// alternative of Overflow.Outcome). After NoAnswer the next offer arrives
// on the same C. C is closed after an overflow and when the contact is
// gone (Abandon, Ended).
type Ticket struct {
	C <-chan Decision
}

// Decision is one decision about a waiting call; exactly one field is set.
type Decision struct {
	Offer    *acd.Assignment
	Overflow *acd.Overflow
}

// ticketBuffer is the capacity of a Ticket's channel. A call has at most
// one decision pending at a time (the next one needs NoAnswer), so this
// is plenty.
const ticketBuffer = 4

type contactState uint8

const (
	cWaiting contactState = iota
	cOffered
	cConnected
)

type contactRec struct {
	id      acd.ContactID
	ch      acd.Channel
	group   acd.GroupID
	info    ContactInfo
	arrived time.Time
	seq     uint64
	state   contactState
	agent   acd.AgentID
	c       chan Decision // calls only
}

type emailDelivery struct {
	a    acd.Assignment
	info ContactInfo
}

// Service is the live contact centre: an acd.Center behind a mutex, the
// timers, the delivery of decisions, the live views. It is safe for
// concurrent use.
type Service struct {
	now   func() time.Time
	after func(time.Duration) <-chan time.Time
	log   *slog.Logger
	every time.Duration
	wake  chan struct{}

	mu      sync.Mutex
	c       *acd.Center
	seq     uint64
	groups  map[acd.GroupID]Group
	agents  map[acd.AgentID]Agent
	byKey   map[tenantKey]acd.GroupID
	byEmail map[string]acd.GroupID
	byUser  map[uint]acd.AgentID
	byEP    map[string]acd.AgentID
	// tenantAgents and tenantGroups list each tenant's agents and groups
	// in the order of the live views (by name).
	tenantAgents map[uint][]acd.AgentID
	tenantGroups map[uint][]acd.GroupID
	// inGroup indexes the contacts by group for the live views.
	inGroup  map[acd.GroupID]map[acd.ContactID]*contactRec
	reasons  map[uint][]string
	removing map[acd.AgentID]bool // removed while busy: removed when free
	contacts map[acd.ContactID]*contactRec
	wrapEnds map[acd.AgentID]time.Time
	subs     map[uint]map[*subscriber]struct{}
	history  map[uint][]Sample

	onEmail  func(acd.Assignment, ContactInfo)
	emailQ   []emailDelivery
	draining bool
}

type tenantKey struct {
	tenant uint
	key    string
}

type subscriber struct{ c chan struct{} }

// New returns a Service with no configuration; see Apply and Run.
func New(cfg Config) *Service {
	s := &Service{
		now: cfg.Now, after: cfg.After, log: cfg.Logger, every: cfg.HistoryEvery,
		wake:     make(chan struct{}, 1),
		groups:   map[acd.GroupID]Group{},
		agents:   map[acd.AgentID]Agent{},
		byKey:    map[tenantKey]acd.GroupID{},
		byEmail:  map[string]acd.GroupID{},
		byUser:   map[uint]acd.AgentID{},
		byEP:     map[string]acd.AgentID{},
		reasons:  map[uint][]string{},
		removing: map[acd.AgentID]bool{},
		contacts: map[acd.ContactID]*contactRec{},
		inGroup:  map[acd.GroupID]map[acd.ContactID]*contactRec{},
		wrapEnds: map[acd.AgentID]time.Time{},
		subs:     map[uint]map[*subscriber]struct{}{},
		history:  map[uint][]Sample{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.after == nil {
		s.after = time.After
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.every <= 0 {
		s.every = time.Minute
	}
	s.c = acd.New(s.now())
	return s
}

// Run fires the ACD timers (maximum waits, relaxation steps, wrap-up ends)
// and samples the history until ctx is done.
func (s *Service) Run(ctx context.Context) error {
	nextSample := s.now().Truncate(s.every).Add(s.every)
	for {
		now := s.now()
		if !now.Before(nextSample) {
			s.sample(now)
			nextSample = now.Truncate(s.every).Add(s.every)
		}
		s.mu.Lock()
		s.tickLocked(nil)
		due, ok := s.c.NextDue()
		s.mu.Unlock()
		s.deliverEmails()
		wait := nextSample.Sub(now)
		if ok {
			if d := due.Sub(now); d < wait {
				wait = d
			}
		}
		if wait < 0 {
			wait = 0
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-s.after(wait):
		}
	}
}

// poke wakes Run up: the next timer may have changed.
func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Apply replaces the configuration. Agents and groups that stay keep their
// live state; removed agents are logged out; removed groups refuse new
// callers and overflow their waiting callers with group_closed. Nothing
// is changed when the directory is invalid.
func (s *Service) Apply(d Directory) error {
	groups := make(map[acd.GroupID]Group, len(d.Groups))
	byKey := make(map[tenantKey]acd.GroupID, len(d.Groups))
	byEmail := map[string]acd.GroupID{}
	for _, g := range d.Groups {
		g.Config.ID = g.ID
		g.Config.Relax = slices.Clone(g.Config.Relax)
		if err := g.Config.Validate(); err != nil {
			return fmt.Errorf("group %s: %w", g.ID, err)
		}
		if _, dup := groups[g.ID]; dup {
			return fmt.Errorf("group %s: %w", g.ID, &acd.ConfigError{Field: "id", Message: "is used twice"})
		}
		if g.Key != "" {
			k := tenantKey{g.TenantID, g.Key}
			if _, dup := byKey[k]; dup {
				return fmt.Errorf("group %s: %w", g.ID, &acd.ConfigError{Field: "key", Message: "is used twice"})
			}
			byKey[k] = g.ID
		}
		g.Email = strings.ToLower(strings.TrimSpace(g.Email))
		if g.Email != "" {
			if _, dup := byEmail[g.Email]; dup {
				return fmt.Errorf("group %s: %w", g.ID, &acd.ConfigError{Field: "email", Message: "is used twice"})
			}
			byEmail[g.Email] = g.ID
		}
		groups[g.ID] = g
	}
	agents := make(map[acd.AgentID]Agent, len(d.Agents))
	byUser := map[uint]acd.AgentID{}
	byEP := map[string]acd.AgentID{}
	for _, a := range d.Agents {
		a.Config.ID = a.ID
		a.Config.Groups = maps.Clone(a.Config.Groups)
		if a.Endpoint == "" {
			if n, err := strconv.ParseUint(string(a.ID), 10, 0); err == nil {
				a.Endpoint = Endpoint(uint(n))
			}
		}
		if err := a.Config.Validate(); err != nil {
			return fmt.Errorf("agent %s: %w", a.ID, err)
		}
		if _, dup := agents[a.ID]; dup {
			return fmt.Errorf("agent %s: %w", a.ID, &acd.ConfigError{Field: "id", Message: "is used twice"})
		}
		for gid := range a.Config.Groups {
			g, ok := groups[gid]
			if !ok {
				return fmt.Errorf("agent %s: group %s: %w", a.ID, gid, acd.ErrUnknownGroup)
			}
			if g.TenantID != a.TenantID {
				return fmt.Errorf("agent %s: %w", a.ID, &acd.ConfigError{Field: "groups." + string(gid), Message: "belongs to another tenant"})
			}
		}
		if a.UserID != 0 {
			if _, dup := byUser[a.UserID]; dup {
				return fmt.Errorf("agent %s: %w", a.ID, &acd.ConfigError{Field: "user_id", Message: "is used twice"})
			}
			byUser[a.UserID] = a.ID
		}
		if a.Endpoint != "" {
			if _, dup := byEP[a.Endpoint]; dup {
				return fmt.Errorf("agent %s: %w", a.ID, &acd.ConfigError{Field: "endpoint", Message: "is used twice"})
			}
			byEP[a.Endpoint] = a.ID
		}
		agents[a.ID] = a
	}
	reasons := make(map[uint][]string, len(d.PauseReasons))
	for t, rs := range d.PauseReasons {
		reasons[t] = slices.Clone(rs)
	}
	tenantAgents := map[uint][]acd.AgentID{}
	for _, id := range sortedKeys(agents) {
		tenantAgents[agents[id].TenantID] = append(tenantAgents[agents[id].TenantID], id)
	}
	for _, ids := range tenantAgents {
		slices.SortStableFunc(ids, func(a, b acd.AgentID) int { return cmp.Compare(agents[a].Name, agents[b].Name) })
	}
	tenantGroups := map[uint][]acd.GroupID{}
	for _, id := range sortedKeys(groups) {
		tenantGroups[groups[id].TenantID] = append(tenantGroups[groups[id].TenantID], id)
	}
	for _, ids := range tenantGroups {
		slices.SortStableFunc(ids, func(a, b acd.GroupID) int { return cmp.Compare(groups[a].Name, groups[b].Name) })
	}

	s.mu.Lock()
	now := s.now()
	touched := map[uint]bool{}
	// Groups first (agents refer to them), sorted for a stable order.
	for _, id := range sortedKeys(groups) {
		g := groups[id]
		if err := s.c.PutGroup(g.Config, now); err != nil {
			s.log.Error("center: put group", "group", id, "err", err) // validated above
		}
		touched[g.TenantID] = true
	}
	for _, id := range sortedKeys(s.groups) {
		if _, ok := groups[id]; ok {
			continue
		}
		old := s.groups[id]
		cfg := old.Config
		cfg.Closed = true
		if err := s.c.PutGroup(cfg, now); err != nil {
			s.log.Error("center: close removed group", "group", id, "err", err)
		}
		touched[old.TenantID] = true
	}
	for _, id := range sortedKeys(agents) {
		a := agents[id]
		if err := s.c.PutAgent(a.Config, now); err != nil {
			s.log.Error("center: put agent", "agent", id, "err", err)
		}
		delete(s.removing, id)
		touched[a.TenantID] = true
	}
	for _, id := range sortedKeys(s.agents) {
		if _, ok := agents[id]; ok {
			continue
		}
		// Out of every group at once; gone as soon as it is free.
		if err := s.c.PutAgent(acd.AgentConfig{ID: id}, now); err != nil {
			s.log.Error("center: detach removed agent", "agent", id, "err", err)
		}
		s.removing[id] = true
		touched[s.agents[id].TenantID] = true
	}
	s.groups, s.agents, s.byKey, s.byEmail, s.byUser, s.byEP, s.reasons = groups, agents, byKey, byEmail, byUser, byEP, reasons
	s.tenantAgents, s.tenantGroups = tenantAgents, tenantGroups
	s.finishLocked(touched)
	return nil
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	ks := make([]K, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// finishLocked collects the effects of the events just fed in, removes the
// agents waiting for removal that are free, notifies subscribers, and
// unlocks; then it delivers the e-mail assignments.
func (s *Service) finishLocked(touched map[uint]bool) {
	s.tickLocked(touched)
	s.mu.Unlock()
	s.poke()
	s.deliverEmails()
}

// tickLocked collects the effects and carries them out: offers and
// overflows on the tickets, e-mails queued for the callback.
func (s *Service) tickLocked(touched map[uint]bool) {
	if touched == nil {
		touched = map[uint]bool{}
	}
	for {
		now := s.now()
		eff := s.c.Tick(now)
		// The end of a wrap-up changes an agent's state without any
		// effect: tell its tenant.
		for id, end := range s.wrapEnds {
			if !end.After(now) {
				delete(s.wrapEnds, id)
				if a, ok := s.agents[id]; ok {
					touched[a.TenantID] = true
				}
			}
		}
		for _, a := range eff.Assignments {
			k := s.contacts[a.Contact]
			if k == nil {
				s.log.Error("center: assignment of an unknown contact", "contact", a.Contact)
				continue
			}
			touched[k.info.TenantID] = true
			k.agent = a.Agent
			if a.Channel == acd.Email {
				k.state = cConnected
				s.emailQ = append(s.emailQ, emailDelivery{a: a, info: k.info})
				continue
			}
			k.state = cOffered
			a := a
			s.send(k, Decision{Offer: &a})
		}
		for _, o := range eff.Overflows {
			k := s.contacts[o.Contact]
			if k == nil {
				s.log.Error("center: overflow of an unknown contact", "contact", o.Contact)
				continue
			}
			touched[k.info.TenantID] = true
			o := o
			s.send(k, Decision{Overflow: &o})
			s.forgetLocked(k)
		}
		removed := false
		for _, id := range sortedKeys(s.removing) {
			v, err := s.c.Agent(id)
			if err != nil {
				delete(s.removing, id)
				continue
			}
			switch v.State {
			case acd.Ringing, acd.Talking:
				continue
			case acd.LoggedOut:
			default:
				if err := s.c.Logout(id, now); err != nil {
					continue
				}
			}
			if err := s.c.RemoveAgent(id, now); err != nil {
				s.log.Error("center: remove agent", "agent", id, "err", err)
				continue
			}
			delete(s.removing, id)
			delete(s.wrapEnds, id)
			removed = true
		}
		if !removed {
			break
		}
		// A logout may have overflowed callers or requeued e-mails.
	}
	for t := range touched {
		for sub := range s.subs[t] {
			select {
			case sub.c <- struct{}{}:
			default:
			}
		}
	}
}

// send puts a decision on a call's ticket without blocking.
func (s *Service) send(k *contactRec, d Decision) {
	if k.c == nil {
		return
	}
	select {
	case k.c <- d:
	default:
		s.log.Error("center: ticket full, decision dropped", "contact", k.id)
	}
}

// forgetLocked drops a contact that is gone and closes its ticket.
func (s *Service) forgetLocked(k *contactRec) {
	if k.c != nil {
		close(k.c)
		k.c = nil
	}
	delete(s.contacts, k.id)
	if m := s.inGroup[k.group]; m != nil {
		delete(m, k.id)
		if len(m) == 0 {
			delete(s.inGroup, k.group)
		}
	}
}

// deliverEmails hands queued e-mail assignments to the callback, outside
// the lock and in order. Only one goroutine delivers at a time; one that
// finds another delivering leaves the work to it (so the callback may
// call back into the Service).
func (s *Service) deliverEmails() {
	s.mu.Lock()
	if s.draining {
		s.mu.Unlock()
		return
	}
	s.draining = true
	// Without a handler the assignments wait for OnEmail.
	for len(s.emailQ) > 0 && s.onEmail != nil {
		e := s.emailQ[0]
		s.emailQ = s.emailQ[1:]
		fn := s.onEmail
		s.mu.Unlock()
		fn(e.a, e.info)
		s.mu.Lock()
	}
	s.draining = false
	s.mu.Unlock()
}

// Group returns tenant tenantID's group with routing key key.
func (s *Service) Group(tenantID uint, key string) (Group, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.byKey[tenantKey{tenantID, key}]
	if !ok {
		return Group{}, false
	}
	return s.groups[id], true
}

// GroupByEmail returns the group that receives mail at addr (case
// insensitive).
func (s *Service) GroupByEmail(addr string) (Group, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.byEmail[strings.ToLower(strings.TrimSpace(addr))]
	if !ok {
		return Group{}, false
	}
	return s.groups[id], true
}

// EmailContact is the contact id of stored e-mail id ("mail-7").
func EmailContact(id uint) acd.ContactID {
	return acd.ContactID("mail-" + strconv.FormatUint(uint64(id), 10))
}

// Holds reports whether agent a has contact id in its hands now: the call
// it is offered or talking on, or one of its e-mails. An e-mail goes back
// to its group's queue when the agent logs out; the store may still name
// the agent until another one takes it.
func (s *Service) Holds(a acd.AgentID, id acd.ContactID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.c.Agent(a)
	if err != nil {
		return false
	}
	return v.Call == id || slices.Contains(v.Emails, id)
}

// AgentByUser returns the agent of portal account userID.
func (s *Service) AgentByUser(userID uint) (Agent, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.byUser[userID]
	if !ok {
		return Agent{}, false
	}
	return s.agents[id], true
}

// AgentByEndpoint returns the agent whose softphone endpoint is endpoint.
func (s *Service) AgentByEndpoint(endpoint string) (Agent, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.byEP[endpoint]
	if !ok {
		return Agent{}, false
	}
	return s.agents[id], true
}

// Agents returns every agent, sorted by id.
func (s *Service) Agents() []Agent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Agent, 0, len(s.agents))
	for _, id := range sortedKeys(s.agents) {
		out = append(out, s.agents[id])
	}
	return out
}

// PauseReasons returns tenant tenantID's pause reasons.
func (s *Service) PauseReasons(tenantID uint) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reasons[tenantID])
}

// EnqueueCall puts call id in group g's queue. A non-empty Outcome means
// the call is refused at once (group_closed, group_full): the ticket is
// nil and the caller takes the routing alternative.
func (s *Service) EnqueueCall(id acd.ContactID, g acd.GroupID, info ContactInfo) (*Ticket, acd.Outcome, error) {
	s.mu.Lock()
	k, out, err := s.enqueueLocked(id, g, acd.Voice, info)
	if err != nil || out != "" {
		s.mu.Unlock()
		return nil, out, err
	}
	t := &Ticket{C: k.c}
	s.finishLocked(map[uint]bool{k.info.TenantID: true})
	return t, "", nil
}

// EnqueueEmail queues e-mail id in group g; its assignment is delivered to
// the OnEmail callback.
func (s *Service) EnqueueEmail(id acd.ContactID, g acd.GroupID, info ContactInfo) error {
	s.mu.Lock()
	k, _, err := s.enqueueLocked(id, g, acd.Email, info)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	s.finishLocked(map[uint]bool{k.info.TenantID: true})
	return nil
}

func (s *Service) enqueueLocked(id acd.ContactID, g acd.GroupID, ch acd.Channel, info ContactInfo) (*contactRec, acd.Outcome, error) {
	grp, ok := s.groups[g]
	if !ok {
		return nil, "", fmt.Errorf("enqueue %s: group %s: %w", id, g, acd.ErrUnknownGroup)
	}
	if info.TenantID == 0 {
		info.TenantID = grp.TenantID
	}
	now := s.now()
	out, err := s.c.Enqueue(id, g, ch, now)
	if err != nil || out != "" {
		return nil, out, err
	}
	s.seq++
	k := &contactRec{id: id, ch: ch, group: g, info: info, arrived: s.c.Now(), seq: s.seq}
	if ch == acd.Voice {
		k.c = make(chan Decision, ticketBuffer)
	}
	s.contacts[id] = k
	if s.inGroup[g] == nil {
		s.inGroup[g] = map[acd.ContactID]*contactRec{}
	}
	s.inGroup[g][id] = k
	return k, "", nil
}

// OnEmail sets the function e-mail assignments are delivered to, outside
// the Service's lock and in the order they were taken; assignments taken
// before it is set wait for it. The function may call the Service; while
// it runs, later assignments wait.
func (s *Service) OnEmail(fn func(acd.Assignment, ContactInfo)) {
	s.mu.Lock()
	s.onEmail = fn
	s.mu.Unlock()
	s.deliverEmails()
}

// contactEvent feeds an event about contact id to the Center.
func (s *Service) contactEvent(id acd.ContactID, do func(now time.Time) error, after func(k *contactRec)) error {
	s.mu.Lock()
	k := s.contacts[id]
	if k == nil {
		s.mu.Unlock()
		return fmt.Errorf("contact %s: %w", id, acd.ErrUnknownContact)
	}
	agent := k.agent
	if err := do(s.now()); err != nil {
		s.mu.Unlock()
		return err
	}
	after(k)
	touched := map[uint]bool{k.info.TenantID: true}
	if a, ok := s.agents[agent]; ok {
		touched[a.TenantID] = true
	}
	s.finishLocked(touched)
	return nil
}

// Answered records that the agent answered the call it was offered.
func (s *Service) Answered(id acd.ContactID) error {
	return s.contactEvent(id, func(now time.Time) error { return s.c.Answered(id, now) },
		func(k *contactRec) { k.state = cConnected })
}

// NoAnswer records that the agent did not answer the call it was offered:
// the next offer (or an overflow) arrives on the ticket.
func (s *Service) NoAnswer(id acd.ContactID) error {
	return s.contactEvent(id, func(now time.Time) error { return s.c.NoAnswer(id, now) },
		func(k *contactRec) {
			if s.contacts[id] == k { // may have overflowed at once: see tickLocked
				k.state, k.agent = cWaiting, ""
			}
		})
}

// Abandon records that the caller hung up before an agent took the call;
// the ticket is closed.
func (s *Service) Abandon(id acd.ContactID) error {
	return s.contactEvent(id, func(now time.Time) error { return s.c.Abandon(id, now) },
		s.forgetLocked)
}

// Ended records the end of a call that was answered or of an e-mail that
// was assigned; a call's ticket is closed.
func (s *Service) Ended(id acd.ContactID) error {
	return s.contactEvent(id, func(now time.Time) error { return s.c.Ended(id, now) },
		func(k *contactRec) {
			if k.ch == acd.Voice && k.agent != "" {
				if g, ok := s.groups[k.group]; ok && g.Config.WrapUp > 0 {
					s.wrapEnds[k.agent] = s.c.Now().Add(g.Config.WrapUp)
				}
			}
			s.forgetLocked(k)
		})
}

// Position returns where waiting call or e-mail id stands.
func (s *Service) Position(id acd.ContactID) (acd.Wait, error) {
	s.mu.Lock()
	w, err := s.c.Position(id, s.now())
	// The clock may have fired timers (an overflow): carry them out.
	s.finishLocked(nil)
	return w, err
}

// agentEvent feeds an event about agent a to the Center.
func (s *Service) agentEvent(a acd.AgentID, do func(now time.Time) error) error {
	s.mu.Lock()
	ag, ok := s.agents[a]
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("agent %s: %w", a, acd.ErrUnknownAgent)
	}
	if err := do(s.now()); err != nil {
		s.mu.Unlock()
		return err
	}
	s.finishLocked(map[uint]bool{ag.TenantID: true})
	return nil
}

// Login logs agent a in.
func (s *Service) Login(a acd.AgentID) error {
	return s.agentEvent(a, func(now time.Time) error { return s.c.Login(a, now) })
}

// Logout logs agent a out; refused while a call rings or is in progress.
func (s *Service) Logout(a acd.AgentID) error {
	return s.agentEvent(a, func(now time.Time) error { return s.c.Logout(a, now) })
}

// Pause pauses agent a with reason, one of its tenant's pause reasons, or
// "" for none (recorded as NoReason).
func (s *Service) Pause(a acd.AgentID, reason string) error {
	return s.agentEvent(a, func(now time.Time) error {
		r := NoReason
		if reason != "" {
			if !slices.Contains(s.reasons[s.agents[a].TenantID], reason) {
				return fmt.Errorf("pause %s: %q: %w", a, reason, ErrUnknownReason)
			}
			r = acd.Reason(reason)
		}
		return s.c.Pause(a, r, now)
	})
}

// Resume makes agent a available after a pause, after not answering, or
// before the end of its wrap-up time.
func (s *Service) Resume(a acd.AgentID) error {
	return s.agentEvent(a, func(now time.Time) error { return s.c.Resume(a, now) })
}

// SetRegistered records whether agent a's softphone is registered.
func (s *Service) SetRegistered(a acd.AgentID, registered bool) error {
	return s.agentEvent(a, func(now time.Time) error { return s.c.SetRegistered(a, registered, now) })
}

// Subscribe returns a channel that receives a value after changes
// concerning tenant tenantID (coalesced: it holds at most one; sending
// never blocks the Service), and the function that ends the subscription
// and closes the channel.
func (s *Service) Subscribe(tenantID uint) (<-chan struct{}, func()) {
	sub := &subscriber{c: make(chan struct{}, 1)}
	s.mu.Lock()
	if s.subs[tenantID] == nil {
		s.subs[tenantID] = map[*subscriber]struct{}{}
	}
	s.subs[tenantID][sub] = struct{}{}
	s.mu.Unlock()
	var once sync.Once
	return sub.c, func() {
		once.Do(func() {
			s.mu.Lock()
			delete(s.subs[tenantID], sub)
			if len(s.subs[tenantID]) == 0 {
				delete(s.subs, tenantID)
			}
			close(sub.c) // sends happen under the lock
			s.mu.Unlock()
		})
	}
}

// Snapshot is the live state of a tenant's contact centre.
type Snapshot struct {
	At     time.Time
	Agents []AgentStatus // by name
	Groups []GroupStatus // by name
}

// AgentStatus is an agent's configuration and live state.
type AgentStatus struct {
	Agent
	View       acd.AgentView
	Call       *ContactStatus // the call ringing or in progress, if any
	Emails     []ContactStatus
	WrapUpEnds time.Time // zero unless in WrapUp
}

// GroupStatus is a group's configuration and live state.
type GroupStatus struct {
	Group
	Stats   acd.GroupStats
	Waiting []ContactStatus // calls then e-mails, in arrival order
	ByState map[string]int  // member agents per acd.State.String()
}

// ContactStatus is a contact as the live views show it.
type ContactStatus struct {
	ID      acd.ContactID
	Channel acd.Channel
	Info    ContactInfo
	Arrived time.Time
	Waited  time.Duration
}

func (k *contactRec) status(now time.Time) ContactStatus {
	info := k.info
	info.Path = slices.Clone(info.Path)
	return ContactStatus{ID: k.id, Channel: k.ch, Info: info, Arrived: k.arrived, Waited: now.Sub(k.arrived)}
}

// Snapshot returns the live state of tenant tenantID.
func (s *Service) Snapshot(tenantID uint) Snapshot {
	s.mu.Lock()
	s.tickLocked(nil) // bring the Center's clock to now
	snap := s.snapshotLocked(tenantID)
	s.mu.Unlock()
	s.poke()
	s.deliverEmails()
	return snap
}

func (s *Service) snapshotLocked(tenantID uint) Snapshot {
	now := s.now()
	if c := s.c.Now(); c.After(now) {
		now = c
	}
	snap := Snapshot{At: now}
	for _, id := range s.tenantAgents[tenantID] {
		a := s.agents[id]
		v, err := s.c.Agent(id)
		if err != nil {
			continue
		}
		st := AgentStatus{Agent: a, View: v}
		if v.Call != "" {
			if k := s.contacts[v.Call]; k != nil {
				cs := k.status(now)
				st.Call = &cs
			}
		}
		for _, e := range v.Emails {
			if k := s.contacts[e]; k != nil {
				st.Emails = append(st.Emails, k.status(now))
			}
		}
		if v.State == acd.WrapUp {
			st.WrapUpEnds = s.wrapEnds[id]
		}
		snap.Agents = append(snap.Agents, st)
	}
	for _, id := range s.tenantGroups[tenantID] {
		g := s.groups[id]
		st := GroupStatus{Group: g, ByState: map[string]int{}}
		// Group is read-only here: the Center's clock already is at now
		// or later for every event fed in; timers due are left to Run.
		if gs, err := s.c.Group(id, s.c.Now()); err == nil {
			st.Stats = gs
			for i, n := range gs.Agents {
				if n > 0 {
					st.ByState[acd.State(i).String()] = n
				}
			}
		}
		var ks []*contactRec
		for _, k := range s.inGroup[id] {
			if k.state == cWaiting {
				ks = append(ks, k)
			}
		}
		slices.SortFunc(ks, func(a, b *contactRec) int {
			if a.ch != b.ch {
				return cmp.Compare(a.ch, b.ch)
			}
			if c := a.arrived.Compare(b.arrived); c != 0 {
				return c
			}
			return cmp.Compare(a.seq, b.seq)
		})
		for _, k := range ks {
			st.Waiting = append(st.Waiting, k.status(now))
		}
		snap.Groups = append(snap.Groups, st)
	}
	return snap
}

// Sample is one point of the supervisor chart.
type Sample struct {
	At          time.Time
	Waiting     int // callers waiting
	Talking     int // agents talking
	Available   int // agents available
	LongestWait time.Duration
}

// History returns the samples of tenant tenantID over the last
// HistorySamples periods, oldest first.
func (s *Service) History(tenantID uint) []Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.history[tenantID])
}

// sample records one history sample per tenant at time at.
func (s *Service) sample(at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickLocked(nil) // bring the Center's clock to now; Run delivers
	tenants := map[uint]*Sample{}
	get := func(t uint) *Sample {
		if tenants[t] == nil {
			tenants[t] = &Sample{At: at}
		}
		return tenants[t]
	}
	for id, a := range s.agents {
		v, err := s.c.Agent(id)
		if err != nil {
			continue
		}
		p := get(a.TenantID)
		switch v.State {
		case acd.Talking:
			p.Talking++
		case acd.Available:
			p.Available++
		}
	}
	for id, g := range s.groups {
		gs, err := s.c.Group(id, s.c.Now())
		if err != nil {
			continue
		}
		p := get(g.TenantID)
		p.Waiting += gs.Waiting
		p.LongestWait = max(p.LongestWait, gs.LongestWait)
	}
	for t, p := range tenants {
		h := append(s.history[t], *p)
		if len(h) > HistorySamples {
			h = slices.Delete(h, 0, len(h)-HistorySamples)
		}
		s.history[t] = h
	}
	for t := range tenants {
		for sub := range s.subs[t] {
			select {
			case sub.c <- struct{}{}:
			default:
			}
		}
	}
}
