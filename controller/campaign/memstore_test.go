package campaign

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	rules "github.com/vmsplatform/vms/campaign"
)

// memStore is an in-memory Store with the store's guarantees: the attempt
// number of a contact is claimed once, the lease is taken only when free,
// expired or already the owner's.
type memStore struct {
	mu        sync.Mutex
	campaigns map[uint]*Campaign
	contacts  map[uint][]*Contact // by campaign, in list order
	attempts  []*memAttempt
	leases    map[uint]memLease
	// failWrites makes every write fail (a process that died).
	failWrites bool
}

type memAttempt struct {
	ID uint
	Attempt
	Result
	Ended bool
	Lost  bool
}

type memLease struct {
	owner   string
	expires time.Time
}

func newMemStore() *memStore {
	return &memStore{campaigns: map[uint]*Campaign{}, contacts: map[uint][]*Contact{}, leases: map[uint]memLease{}}
}

func (s *memStore) add(c Campaign, numbers ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.campaigns[c.ID] = &c
	for i, n := range numbers {
		s.contacts[c.ID] = append(s.contacts[c.ID], &Contact{ID: c.ID*100 + uint(i) + 1, E164: n})
	}
}

func (s *memStore) RunnableCampaigns(ctx context.Context, now time.Time) ([]Campaign, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Campaign
	for _, c := range s.campaigns {
		if c.State == StateScheduled || c.State == StateRunning {
			out = append(out, *c)
		}
	}
	return out, nil
}

func (s *memStore) Campaign(ctx context.Context, id uint) (Campaign, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.campaigns[id]
	if !ok {
		return Campaign{}, fmt.Errorf("no campaign %d", id)
	}
	return *c, nil
}

func (s *memStore) Contacts(ctx context.Context, campaignID uint) ([]Contact, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Contact
	for _, ct := range s.contacts[campaignID] {
		c := *ct
		c.Attempts = nil
		for _, a := range s.attempts {
			if a.ContactID == ct.ID {
				c.Attempts = append(c.Attempts, PastAttempt{Number: a.Number, Start: a.Attempt.At, End: a.Result.At, Outcome: a.Outcome})
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func (s *memStore) SetState(ctx context.Context, id uint, from []string, to string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failWrites {
		return fmt.Errorf("store gone")
	}
	c := s.campaigns[id]
	if c == nil || !slices.Contains(from, c.State) {
		return ErrStateChanged
	}
	c.State = to
	return nil
}

func (s *memStore) setState(id uint, st string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.campaigns[id].State = st
}

func (s *memStore) state(id uint) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.campaigns[id].State
}

func (s *memStore) BeginAttempt(ctx context.Context, a Attempt) (uint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failWrites {
		return 0, fmt.Errorf("store gone")
	}
	for _, x := range s.attempts {
		if x.ContactID == a.ContactID && x.Number == a.Number {
			return 0, fmt.Errorf("attempt %d of contact %d: %w", a.Number, a.ContactID, ErrAttemptTaken)
		}
	}
	m := &memAttempt{ID: uint(len(s.attempts) + 1), Attempt: a}
	s.attempts = append(s.attempts, m)
	return m.ID, nil
}

func (s *memStore) EndAttempt(ctx context.Context, id uint, r Result) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failWrites {
		return fmt.Errorf("store gone")
	}
	a := s.attempts[id-1]
	if a.Ended {
		return fmt.Errorf("attempt %d already ended", id)
	}
	a.Result, a.Ended = r, true
	if r.DoNotCall {
		for _, ct := range s.contacts[a.CampaignID] {
			if ct.ID == a.ContactID {
				ct.DoNotCall = true
			}
		}
	}
	return nil
}

func (s *memStore) LostAttempts(ctx context.Context, campaignID uint, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failWrites {
		return 0, fmt.Errorf("store gone")
	}
	n := 0
	for _, a := range s.attempts {
		if a.CampaignID == campaignID && !a.Ended && a.Attempt.At.Before(before) {
			a.Ended, a.Lost = true, true
			a.Result = Result{Outcome: Lost, At: before}
			n++
		}
	}
	return n, nil
}

func (s *memStore) TryLease(ctx context.Context, id uint, owner string, ttl time.Duration, now time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failWrites {
		return false, fmt.Errorf("store gone")
	}
	l, ok := s.leases[id]
	if ok && l.owner != owner && now.Before(l.expires) {
		return false, nil
	}
	s.leases[id] = memLease{owner: owner, expires: now.Add(ttl)}
	return true, nil
}

func (s *memStore) RenewLease(ctx context.Context, id uint, owner string, ttl time.Duration, now time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failWrites {
		return false, fmt.Errorf("store gone")
	}
	l, ok := s.leases[id]
	if !ok || l.owner != owner {
		return false, nil
	}
	s.leases[id] = memLease{owner: owner, expires: now.Add(ttl)}
	return true, nil
}

func (s *memStore) ReleaseLease(ctx context.Context, id uint, owner string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failWrites {
		return fmt.Errorf("store gone")
	}
	if l, ok := s.leases[id]; ok && l.owner == owner {
		delete(s.leases, id)
	}
	return nil
}

// attemptsOf returns the attempts of a contact number, in order.
func (s *memStore) attemptsOf(number string) []memAttempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	var id uint
	for _, cts := range s.contacts {
		for _, ct := range cts {
			if ct.E164 == number {
				id = ct.ID
			}
		}
	}
	var out []memAttempt
	for _, a := range s.attempts {
		if a.ContactID == id {
			out = append(out, *a)
		}
	}
	return out
}

func (s *memStore) allAttempts() []memAttempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]memAttempt, len(s.attempts))
	for i, a := range s.attempts {
		out[i] = *a
	}
	return out
}

var _ Store = (*memStore)(nil)

// outcomes lists attempts' outcomes.
func outcomes(as []memAttempt) []rules.Outcome {
	var out []rules.Outcome
	for _, a := range as {
		out = append(out, a.Outcome)
	}
	return out
}
