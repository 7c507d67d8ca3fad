// Package campaignstore adapts the store (*store.Store) to what the
// outbound dialer needs of it (campaign.Store of package
// controller/campaign). It owns no rule: it translates types and errors,
// and caches what never changes (a message's hash and length).
package campaignstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/vmsplatform/vms"
	rules "github.com/vmsplatform/vms/campaign"
	dialer "github.com/vmsplatform/vms/controller/campaign"
	"github.com/vmsplatform/vms/store"
)

// Store is a dialer.Store over a *store.Store. Changes are made as the
// store's System actor.
type Store struct {
	s *store.Store

	mu       sync.Mutex
	messages map[uint]message // by message id; a message never changes
}

type message struct {
	sha string
	dur time.Duration
}

// New returns the adapter.
func New(s *store.Store) *Store { return &Store{s: s, messages: map[uint]message{}} }

var _ dialer.Store = (*Store)(nil)

// RunnableCampaigns implements dialer.Store. The campaigns carry their
// state and settings only; Campaign gives the rest.
func (a *Store) RunnableCampaigns(ctx context.Context, now time.Time) ([]dialer.Campaign, error) {
	cs, err := a.s.RunnableCampaigns(ctx, now)
	if err != nil {
		return nil, err
	}
	out := make([]dialer.Campaign, 0, len(cs))
	for i := range cs {
		set, err := cs[i].Config()
		if err != nil {
			return nil, fmt.Errorf("campaignstore: campaign %d settings: %w", cs[i].ID, err)
		}
		out = append(out, dialer.Campaign{ID: cs[i].ID, TenantID: cs[i].TenantID, State: cs[i].State, Settings: set})
	}
	return out, nil
}

// Campaign implements dialer.Store.
func (a *Store) Campaign(ctx context.Context, id uint) (dialer.Campaign, error) {
	c, err := a.s.CampaignByID(ctx, id)
	if err != nil {
		return dialer.Campaign{}, err
	}
	set, err := c.Config()
	if err != nil {
		return dialer.Campaign{}, fmt.Errorf("campaignstore: campaign %d settings: %w", id, err)
	}
	lim, err := a.s.GetCampaignLimits(ctx, c.TenantID)
	if err != nil {
		return dialer.Campaign{}, err
	}
	m, err := a.message(ctx, c.TenantID, c.MessageID)
	if err != nil {
		return dialer.Campaign{}, err
	}
	return dialer.Campaign{ID: c.ID, TenantID: c.TenantID, State: c.State, Settings: set, Limits: lim.Limits(),
		MessageSHA: m.sha, MessageDuration: m.dur}, nil
}

func (a *Store) message(ctx context.Context, tenantID, id uint) (message, error) {
	a.mu.Lock()
	m, ok := a.messages[id]
	a.mu.Unlock()
	if ok {
		return m, nil
	}
	cm, err := a.s.GetCampaignMessage(ctx, tenantID, id)
	if err != nil {
		return message{}, err
	}
	m = message{sha: cm.SHA256, dur: time.Duration(cm.DurationMS) * time.Millisecond}
	a.mu.Lock()
	a.messages[id] = m
	a.mu.Unlock()
	return m, nil
}

// Contacts implements dialer.Store.
func (a *Store) Contacts(ctx context.Context, campaignID uint) ([]dialer.Contact, error) {
	cts, err := a.s.CampaignContacts(ctx, campaignID)
	if err != nil {
		return nil, err
	}
	out := make([]dialer.Contact, len(cts))
	for i, ct := range cts {
		c := dialer.Contact{ID: ct.ID, E164: ct.E164, Name: ct.Name, DoNotCall: ct.DoNotCall,
			Attempts: make([]dialer.PastAttempt, len(ct.History))}
		for j, h := range ct.History {
			p := dialer.PastAttempt{Number: h.Number, Start: h.StartedAt, Outcome: rules.Outcome(h.Outcome)}
			if h.EndedAt != nil {
				p.End = *h.EndedAt
			}
			c.Attempts[j] = p
		}
		out[i] = c
	}
	return out, nil
}

// SetState implements dialer.Store.
func (a *Store) SetState(ctx context.Context, campaignID uint, from []string, to string) error {
	c, err := a.s.CampaignByID(ctx, campaignID)
	if err != nil {
		return err
	}
	if !slices.Contains(from, c.State) {
		return fmt.Errorf("campaignstore: campaign %d is %s: %w", campaignID, c.State, dialer.ErrStateChanged)
	}
	_, err = a.s.SetCampaignState(ctx, store.System, c.TenantID, campaignID, from, to)
	var ve *vms.Error
	if errors.As(err, &ve) && ve.Code == vms.ECONFLICT && ve.Field == "state" {
		return fmt.Errorf("campaignstore: %w: %w", dialer.ErrStateChanged, err)
	}
	return err
}

// BeginAttempt implements dialer.Store. Every refusal of the store (the
// attempt exists, the contact is done, the lease or the running state
// lost) means the attempt must not be dialled: ErrAttemptTaken.
func (a *Store) BeginAttempt(ctx context.Context, at dialer.Attempt) (uint, error) {
	att, err := a.s.BeginAttempt(ctx, at.CampaignID, at.ContactID, at.Number, at.ChannelID, at.Owner, at.At)
	if vms.ErrorCode(err) == vms.ECONFLICT {
		return 0, fmt.Errorf("campaignstore: %w: %w", dialer.ErrAttemptTaken, err)
	}
	if err != nil {
		return 0, err
	}
	return att.ID, nil
}

// EndAttempt implements dialer.Store. The store derives do-not-call from
// the keys and the campaign's settings.
func (a *Store) EndAttempt(ctx context.Context, attemptID uint, r dialer.Result) error {
	_, err := a.s.EndAttempt(ctx, attemptID, string(r.Outcome), r.DTMF, r.Connected, r.Agent, r.At)
	return err
}

// LostAttempts implements dialer.Store.
func (a *Store) LostAttempts(ctx context.Context, campaignID uint, before time.Time) (int, error) {
	lost, err := a.s.LostAttempts(ctx, campaignID, before)
	return len(lost), err
}

// TryLease implements dialer.Store.
func (a *Store) TryLease(ctx context.Context, campaignID uint, owner string, ttl time.Duration, now time.Time) (bool, error) {
	return a.s.TryCampaignLease(ctx, campaignID, owner, ttl, now)
}

// RenewLease implements dialer.Store.
func (a *Store) RenewLease(ctx context.Context, campaignID uint, owner string, ttl time.Duration, now time.Time) (bool, error) {
	return a.s.RenewCampaignLease(ctx, campaignID, owner, ttl, now)
}

// ReleaseLease implements dialer.Store.
func (a *Store) ReleaseLease(ctx context.Context, campaignID uint, owner string) error {
	return a.s.ReleaseCampaignLease(ctx, campaignID, owner)
}
