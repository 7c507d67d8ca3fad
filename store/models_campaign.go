package store

import (
	"encoding/json"
	"time"

	"github.com/vmsplatform/vms/campaign"
)

// The models of outbound campaigns (OUT-1..OUT-7). Migration 0004
// (migrate_0004.go) creates their tables.

// CampaignLimits are a tenant's outbound limits (OUT-1), set by the
// operator. A tenant without a row has campaign.DefaultLimits().
type CampaignLimits struct {
	TenantID       uint `gorm:"primaryKey;autoIncrement:false"`
	Lists          int  `gorm:"not null"`
	NumbersPerList int  `gorm:"not null"`
	Scheduled      int  `gorm:"not null"`
	Running        int  `gorm:"not null"`
	MinPaceSeconds int  `gorm:"not null"`
	UpdatedAt      time.Time
}

// Limits returns the limits in the form package campaign checks.
func (l *CampaignLimits) Limits() campaign.Limits {
	return campaign.Limits{Lists: l.Lists, NumbersPerList: l.NumbersPerList, Scheduled: l.Scheduled,
		Running: l.Running, MinPace: time.Duration(l.MinPaceSeconds) * time.Second}
}

// defaultCampaignLimits returns the limits of a tenant without a row.
func defaultCampaignLimits(tenantID uint) *CampaignLimits {
	d := campaign.DefaultLimits()
	return &CampaignLimits{TenantID: tenantID, Lists: d.Lists, NumbersPerList: d.NumbersPerList,
		Scheduled: d.Scheduled, Running: d.Running, MinPaceSeconds: int(d.MinPace / time.Second)}
}

// CallList is a call list of outbound campaigns (not the routing
// CallerList). Its name is unique within the tenant; Size counts its
// entries.
type CallList struct {
	ID        uint   `gorm:"primaryKey"`
	TenantID  uint   `gorm:"not null;uniqueIndex:idx_call_lists_tenant_name,priority:1"`
	Name      string `gorm:"size:100;not null;uniqueIndex:idx_call_lists_tenant_name,priority:2"`
	Size      int    `gorm:"not null;default:0"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CallListEntry is one person of a call list. A number appears once per
// list.
type CallListEntry struct {
	ID     uint `gorm:"primaryKey"`
	ListID uint `gorm:"not null;uniqueIndex:idx_call_list_entries_list_e164,priority:1"`
	// Line is the line of the uploaded file; typed entries get the next
	// line after the last.
	Line int    `gorm:"not null;default:0"`
	Name string `gorm:"size:200;not null;default:''"`
	E164 string `gorm:"column:e164;size:20;not null;uniqueIndex:idx_call_list_entries_list_e164,priority:2"`
	// Extra is the JSON object of the extra columns ("" when none).
	Extra string `gorm:"type:text;not null;default:''"`
}

// Fields decodes Extra.
func (e *CallListEntry) Fields() map[string]string {
	return decodeExtra(e.Extra)
}

func decodeExtra(s string) map[string]string {
	if s == "" {
		return nil
	}
	var m map[string]string
	if json.Unmarshal([]byte(s), &m) != nil {
		return nil
	}
	return m
}

func encodeExtra(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	b, _ := json.Marshal(m) // strings only: cannot fail
	return string(b)
}

// CampaignMessage is an uploaded message (OUT-2): the original WAV kept as
// received, and the converted 8 kHz 16-bit WAV the engine plays, addressed
// by the SHA-256 of Converted (served at /media/messages/<sha>.wav).
type CampaignMessage struct {
	ID         uint   `gorm:"primaryKey"`
	TenantID   uint   `gorm:"not null;uniqueIndex:idx_campaign_messages_tenant_name,priority:1"`
	Name       string `gorm:"size:100;not null;uniqueIndex:idx_campaign_messages_tenant_name,priority:2"`
	Original   []byte
	Converted  []byte
	SHA256     string `gorm:"column:sha256;size:64;not null;index:idx_campaign_messages_sha256"`
	DurationMS int    `gorm:"column:duration_ms;not null"`
	CreatedAt  time.Time
}

// Campaign states.
const (
	CampaignDraft     = "draft"     // being prepared; contacts not frozen
	CampaignScheduled = "scheduled" // contacts frozen; the dialer starts it when its time comes
	CampaignRunning   = "running"   // the dialer calls
	CampaignPaused    = "paused"    // no new calls until resumed
	CampaignStopped   = "stopped"   // stopped for good by a user
	CampaignDone      = "done"      // every contact done, or the campaign ended
)

// Campaign is an outbound campaign (OUT-1..OUT-6): its settings as the
// JSON of campaign.Campaign, its message, its lists (CampaignList) and its
// state.
type Campaign struct {
	ID        uint   `gorm:"primaryKey"`
	TenantID  uint   `gorm:"not null;index:idx_campaigns_tenant_id;uniqueIndex:idx_campaigns_tenant_name,priority:1"`
	Name      string `gorm:"size:100;not null;uniqueIndex:idx_campaigns_tenant_name,priority:2"`
	MessageID uint   `gorm:"not null;index:idx_campaigns_message_id"`
	// Settings is the JSON of campaign.Campaign.
	Settings string `gorm:"type:text;not null"`
	// State is CampaignDraft, CampaignScheduled, ...
	State string `gorm:"size:16;not null;index:idx_campaigns_state"`
	// Version counts the changes, for optimistic concurrency.
	Version    int `gorm:"not null;default:1"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time

	// ListIDs are the campaign's call lists (filled by GetCampaign and
	// ListCampaigns).
	ListIDs []uint `gorm:"-"`
	// Progress counts the contacts (filled by GetCampaign and
	// ListCampaigns).
	Progress CampaignProgress `gorm:"-"`
}

// Config decodes Settings.
func (c *Campaign) Config() (campaign.Campaign, error) {
	var out campaign.Campaign
	err := json.Unmarshal([]byte(c.Settings), &out)
	return out, err
}

// Active reports whether the campaign is scheduled, running or paused.
func (c *Campaign) Active() bool {
	return c.State == CampaignScheduled || c.State == CampaignRunning || c.State == CampaignPaused
}

// CampaignProgress counts a campaign's contacts: all of them, by state,
// those who answered at least once and those connected to an agent.
type CampaignProgress struct {
	Total     int `json:"total"`
	Waiting   int `json:"waiting"`
	Calling   int `json:"calling"`
	Done      int `json:"done"`
	Answered  int `json:"answered"`
	Connected int `json:"connected"`
}

// CampaignList links a campaign to one of its call lists.
type CampaignList struct {
	CampaignID uint `gorm:"primaryKey;autoIncrement:false"`
	ListID     uint `gorm:"primaryKey;autoIncrement:false;index:idx_campaign_lists_list_id"`
}

// Contact states (the states of campaign.Status).
const (
	ContactWaiting = string(campaign.Waiting)
	ContactCalling = string(campaign.Calling)
	ContactDone    = string(campaign.Done)
)

// CampaignContact is one number of a campaign, frozen when the campaign is
// scheduled (copied from its lists; a number on several lists once). Its
// calls are CampaignAttempt rows; State, Result, Attempts and NextAt sum
// them up and are updated in the same transaction as each attempt.
type CampaignContact struct {
	ID         uint   `gorm:"primaryKey"`
	CampaignID uint   `gorm:"not null;uniqueIndex:idx_campaign_contacts_campaign_e164,priority:1"`
	E164       string `gorm:"column:e164;size:20;not null;uniqueIndex:idx_campaign_contacts_campaign_e164,priority:2"`
	Name       string `gorm:"size:200;not null;default:''"`
	Extra      string `gorm:"type:text;not null;default:''"`
	// State is ContactWaiting, ContactCalling or ContactDone.
	State string `gorm:"size:16;not null"`
	// Result says why a done contact is done ("answered", "busy after 3
	// attempts", "do not call", ...).
	Result         string `gorm:"size:100;not null;default:''"`
	Attempts       int    `gorm:"not null;default:0"`
	DoNotCall      bool   `gorm:"not null;default:false"`
	LastDTMF       string `gorm:"column:last_dtmf;size:20;not null;default:''"`
	ConnectedAgent string `gorm:"size:200;not null;default:''"`
	// NextAt is when a waiting contact is due again after a busy or
	// unanswered call; nil when due at once.
	NextAt    *time.Time
	UpdatedAt time.Time

	// History is the contact's attempts by number (loaded by
	// CampaignContacts and CampaignResults only).
	History []CampaignAttempt `gorm:"foreignKey:ContactID"`
}

// Fields decodes Extra.
func (c *CampaignContact) Fields() map[string]string { return decodeExtra(c.Extra) }

// PlanContact returns the contact as the campaign planner sees it, from
// History. A lost attempt (its outcome never known after a crash) counts as
// an unanswered call: it used up its attempt number and the no-answer
// policy decides on a retry.
func (c *CampaignContact) PlanContact() campaign.Contact {
	out := campaign.Contact{DoNotCall: c.DoNotCall, Attempts: make([]campaign.Attempt, len(c.History))}
	for i, a := range c.History {
		out.Attempts[i] = a.planAttempt()
	}
	return out
}

// Attempt outcomes beyond those of package campaign.
const (
	// OutcomeLost marks an attempt whose result was never recorded (the
	// process that dialled it stopped).
	OutcomeLost = "lost"
)

// CampaignAttempt is one call of a campaign (OUT-6, OUT-7). It is written,
// with Outcome "", before the dialer originates, in the same transaction
// that claims the attempt number (unique per contact): after a crash the
// attempt is known and never dialled twice.
type CampaignAttempt struct {
	ID         uint   `gorm:"primaryKey"`
	CampaignID uint   `gorm:"not null;index:idx_campaign_attempts_campaign_id"`
	ContactID  uint   `gorm:"not null;uniqueIndex:idx_campaign_attempts_contact_number,priority:1"`
	Number     int    `gorm:"not null;uniqueIndex:idx_campaign_attempts_contact_number,priority:2"`
	ChannelID  string `gorm:"size:64;not null;default:''"`
	StartedAt  time.Time
	EndedAt    *time.Time
	// Outcome is "" while in progress, then answered, busy, no_answer,
	// failed or lost.
	Outcome   string `gorm:"size:16;not null;default:''"`
	DTMF      string `gorm:"column:dtmf;size:20;not null;default:''"`
	Connected bool   `gorm:"not null;default:false"`
	Agent     string `gorm:"size:200;not null;default:''"`
	// Owner is the id of the process that dialled.
	Owner string `gorm:"size:64;not null;default:''"`
}

func (a *CampaignAttempt) planAttempt() campaign.Attempt {
	out := campaign.Attempt{Start: a.StartedAt, Outcome: campaign.Outcome(a.Outcome)}
	if a.EndedAt != nil {
		out.End = *a.EndedAt
	}
	if a.Outcome == OutcomeLost {
		out.Outcome = campaign.NoAnswer
	}
	return out
}

// CampaignLease says which process dials a campaign, until ExpiresAt.
type CampaignLease struct {
	CampaignID uint      `gorm:"primaryKey;autoIncrement:false"`
	Owner      string    `gorm:"size:64;not null"`
	ExpiresAt  time.Time `gorm:"not null"`
}

// TableName keeps the plural name of the limits table explicit.
func (CampaignLimits) TableName() string { return "campaign_limits" }
