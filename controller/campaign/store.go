package campaign

import (
	"context"
	"errors"
	"time"

	rules "github.com/vmsplatform/vms/campaign"
)

// Campaign states the dialer reads and writes (the store's names).
const (
	StateScheduled = "scheduled"
	StateRunning   = "running"
	StateDone      = "done"
)

// Lost is the outcome the store gives an attempt left in progress by a
// process that went away (see Store.LostAttempts).
const Lost rules.Outcome = "lost"

// ErrAttemptTaken is wrapped by Store.BeginAttempt when the attempt is
// already recorded: another process (or an earlier life of this one) took
// it, and it must not be dialled again (OUT-7).
var ErrAttemptTaken = errors.New("campaign: attempt already taken")

// ErrStateChanged is wrapped by Store.SetState when the campaign is not in
// one of the expected states any more (paused, stopped, or changed by
// another process).
var ErrStateChanged = errors.New("campaign: state changed")

// Store is what the dialer needs of the store. Its methods are called by
// the dialer only for campaigns it holds the lease of, except
// RunnableCampaigns and the lease methods.
type Store interface {
	// RunnableCampaigns returns the campaigns in state scheduled or
	// running, of every tenant.
	RunnableCampaigns(ctx context.Context, now time.Time) ([]Campaign, error)
	// Campaign returns one campaign as it is now.
	Campaign(ctx context.Context, id uint) (Campaign, error)
	// Contacts returns the campaign's contacts in list order, each with
	// its attempts.
	Contacts(ctx context.Context, campaignID uint) ([]Contact, error)
	// SetState moves the campaign from one of the states from to to; an
	// error wrapping ErrStateChanged when it is in none of them.
	SetState(ctx context.Context, campaignID uint, from []string, to string) error

	// BeginAttempt records an attempt before it is dialled, claiming its
	// number for the contact; an error wrapping ErrAttemptTaken when the
	// number is already claimed. It returns the attempt's id.
	BeginAttempt(ctx context.Context, a Attempt) (uint, error)
	// EndAttempt records an attempt's result and updates its contact.
	EndAttempt(ctx context.Context, attemptID uint, r Result) error
	// LostAttempts marks Lost the attempts of the campaign still in
	// progress that started before before, and returns how many.
	LostAttempts(ctx context.Context, campaignID uint, before time.Time) (int, error)

	// TryLease takes the campaign's lease for owner for ttl when it is
	// free, expired or already owner's; RenewLease extends it (false when
	// owner lost it); ReleaseLease gives it up.
	TryLease(ctx context.Context, campaignID uint, owner string, ttl time.Duration, now time.Time) (bool, error)
	RenewLease(ctx context.Context, campaignID uint, owner string, ttl time.Duration, now time.Time) (bool, error)
	ReleaseLease(ctx context.Context, campaignID uint, owner string) error
}

// Campaign is a campaign as the dialer runs it.
type Campaign struct {
	ID, TenantID uint
	State        string
	Settings     rules.Campaign
	// Limits are the tenant's limits (the pace is checked against them).
	Limits rules.Limits
	// MessageSHA addresses the converted message (Config.MessageURL);
	// MessageDuration is its length.
	MessageSHA      string
	MessageDuration time.Duration
}

// Contact is one number of a campaign with its attempts.
type Contact struct {
	ID        uint
	E164      string
	Name      string
	DoNotCall bool
	Attempts  []PastAttempt
}

// PastAttempt is one recorded attempt of a contact.
type PastAttempt struct {
	Number  int
	Start   time.Time
	End     time.Time     // zero while in progress
	Outcome rules.Outcome // "" while in progress; Lost after a crash
}

// Attempt is an attempt about to be dialled.
type Attempt struct {
	CampaignID, ContactID uint
	// Number counts the contact's attempts from 1.
	Number    int
	ChannelID string
	Owner     string
	At        time.Time
}

// Result is how an attempt ended.
type Result struct {
	Outcome rules.Outcome
	// DTMF are the keys the person pressed; DoNotCall is set when one of
	// them asked not to be called again.
	DTMF      string
	DoNotCall bool
	// Connected reports that the person was bridged with an agent; Agent
	// is the agent's name.
	Connected bool
	Agent     string
	At        time.Time
}
