package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Frozen structs of migration 0004 (outbound campaigns: OUT-1..OUT-7).
// They copy the models as they were when this migration shipped; never
// change them.

type m0004Tenant struct {
	ID uint `gorm:"primaryKey"`
}

func (m0004Tenant) TableName() string { return "tenants" }

type m0004CampaignLimits struct {
	TenantID       uint        `gorm:"primaryKey;autoIncrement:false"`
	Tenant         m0004Tenant `gorm:"foreignKey:TenantID;constraint:OnDelete:CASCADE"`
	Lists          int         `gorm:"not null"`
	NumbersPerList int         `gorm:"not null"`
	Scheduled      int         `gorm:"not null"`
	Running        int         `gorm:"not null"`
	MinPaceSeconds int         `gorm:"not null"`
	UpdatedAt      time.Time
}

func (m0004CampaignLimits) TableName() string { return "campaign_limits" }

type m0004CallList struct {
	ID        uint        `gorm:"primaryKey"`
	TenantID  uint        `gorm:"not null;uniqueIndex:idx_call_lists_tenant_name,priority:1"`
	Tenant    m0004Tenant `gorm:"foreignKey:TenantID;constraint:OnDelete:CASCADE"`
	Name      string      `gorm:"size:100;not null;uniqueIndex:idx_call_lists_tenant_name,priority:2"`
	Size      int         `gorm:"not null;default:0"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (m0004CallList) TableName() string { return "call_lists" }

type m0004CallListEntry struct {
	ID     uint          `gorm:"primaryKey"`
	ListID uint          `gorm:"not null;uniqueIndex:idx_call_list_entries_list_e164,priority:1"`
	List   m0004CallList `gorm:"foreignKey:ListID;constraint:OnDelete:CASCADE"`
	Line   int           `gorm:"not null;default:0"`
	Name   string        `gorm:"size:200;not null;default:''"`
	E164   string        `gorm:"column:e164;size:20;not null;uniqueIndex:idx_call_list_entries_list_e164,priority:2"`
	Extra  string        `gorm:"type:text;not null;default:''"`
}

func (m0004CallListEntry) TableName() string { return "call_list_entries" }

type m0004CampaignMessage struct {
	ID         uint        `gorm:"primaryKey"`
	TenantID   uint        `gorm:"not null;uniqueIndex:idx_campaign_messages_tenant_name,priority:1"`
	Tenant     m0004Tenant `gorm:"foreignKey:TenantID;constraint:OnDelete:CASCADE"`
	Name       string      `gorm:"size:100;not null;uniqueIndex:idx_campaign_messages_tenant_name,priority:2"`
	Original   []byte
	Converted  []byte
	SHA256     string `gorm:"column:sha256;size:64;not null;index:idx_campaign_messages_sha256"`
	DurationMS int    `gorm:"column:duration_ms;not null"`
	CreatedAt  time.Time
}

func (m0004CampaignMessage) TableName() string { return "campaign_messages" }

// A campaign's message cannot be deleted while the campaign exists
// (RESTRICT); deleting the tenant deletes both.
type m0004Campaign struct {
	ID         uint                 `gorm:"primaryKey"`
	TenantID   uint                 `gorm:"not null;index:idx_campaigns_tenant_id;uniqueIndex:idx_campaigns_tenant_name,priority:1"`
	Tenant     m0004Tenant          `gorm:"foreignKey:TenantID;constraint:OnDelete:CASCADE"`
	Name       string               `gorm:"size:100;not null;uniqueIndex:idx_campaigns_tenant_name,priority:2"`
	MessageID  uint                 `gorm:"not null;index:idx_campaigns_message_id"`
	Message    m0004CampaignMessage `gorm:"foreignKey:MessageID;constraint:OnDelete:RESTRICT"`
	Settings   string               `gorm:"type:text;not null"`
	State      string               `gorm:"size:16;not null;index:idx_campaigns_state"`
	Version    int                  `gorm:"not null;default:1"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
}

func (m0004Campaign) TableName() string { return "campaigns" }

type m0004CampaignList struct {
	CampaignID uint          `gorm:"primaryKey;autoIncrement:false"`
	Campaign   m0004Campaign `gorm:"foreignKey:CampaignID;constraint:OnDelete:CASCADE"`
	ListID     uint          `gorm:"primaryKey;autoIncrement:false;index:idx_campaign_lists_list_id"`
	List       m0004CallList `gorm:"foreignKey:ListID;constraint:OnDelete:RESTRICT"`
}

func (m0004CampaignList) TableName() string { return "campaign_lists" }

type m0004CampaignContact struct {
	ID             uint          `gorm:"primaryKey"`
	CampaignID     uint          `gorm:"not null;uniqueIndex:idx_campaign_contacts_campaign_e164,priority:1"`
	Campaign       m0004Campaign `gorm:"foreignKey:CampaignID;constraint:OnDelete:CASCADE"`
	E164           string        `gorm:"column:e164;size:20;not null;uniqueIndex:idx_campaign_contacts_campaign_e164,priority:2"`
	Name           string        `gorm:"size:200;not null;default:''"`
	Extra          string        `gorm:"type:text;not null;default:''"`
	State          string        `gorm:"size:16;not null"`
	Result         string        `gorm:"size:100;not null;default:''"`
	Attempts       int           `gorm:"not null;default:0"`
	DoNotCall      bool          `gorm:"not null;default:false"`
	LastDTMF       string        `gorm:"column:last_dtmf;size:20;not null;default:''"`
	ConnectedAgent string        `gorm:"size:200;not null;default:''"`
	NextAt         *time.Time
	UpdatedAt      time.Time
}

func (m0004CampaignContact) TableName() string { return "campaign_contacts" }

type m0004CampaignAttempt struct {
	ID         uint                 `gorm:"primaryKey"`
	CampaignID uint                 `gorm:"not null;index:idx_campaign_attempts_campaign_id"`
	Campaign   m0004Campaign        `gorm:"foreignKey:CampaignID;constraint:OnDelete:CASCADE"`
	ContactID  uint                 `gorm:"not null;uniqueIndex:idx_campaign_attempts_contact_number,priority:1"`
	Contact    m0004CampaignContact `gorm:"foreignKey:ContactID;constraint:OnDelete:CASCADE"`
	Number     int                  `gorm:"not null;uniqueIndex:idx_campaign_attempts_contact_number,priority:2"`
	ChannelID  string               `gorm:"size:64;not null;default:''"`
	StartedAt  time.Time
	EndedAt    *time.Time
	Outcome    string `gorm:"size:16;not null;default:''"`
	DTMF       string `gorm:"column:dtmf;size:20;not null;default:''"`
	Connected  bool   `gorm:"not null;default:false"`
	Agent      string `gorm:"size:200;not null;default:''"`
	Owner      string `gorm:"size:64;not null;default:''"`
}

func (m0004CampaignAttempt) TableName() string { return "campaign_attempts" }

type m0004CampaignLease struct {
	CampaignID uint          `gorm:"primaryKey;autoIncrement:false"`
	Campaign   m0004Campaign `gorm:"foreignKey:CampaignID;constraint:OnDelete:CASCADE"`
	Owner      string        `gorm:"size:64;not null"`
	ExpiresAt  time.Time     `gorm:"not null"`
}

func (m0004CampaignLease) TableName() string { return "campaign_leases" }

func m0004Campaigns(tx *gorm.DB) error {
	// Parents before children, for the foreign keys.
	tables := []any{
		&m0004CampaignLimits{}, &m0004CallList{}, &m0004CallListEntry{}, &m0004CampaignMessage{},
		&m0004Campaign{}, &m0004CampaignList{}, &m0004CampaignContact{}, &m0004CampaignAttempt{},
		&m0004CampaignLease{},
	}
	for _, t := range tables {
		if err := tx.Migrator().CreateTable(t); err != nil {
			return fmt.Errorf("create table %T: %w", t, err)
		}
	}
	return nil
}
