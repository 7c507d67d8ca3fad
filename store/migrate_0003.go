package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Frozen structs of migration 0003 (Agent Contact Management: ACM-1..ACM-5).
// They copy the models as they were when this migration shipped; never
// change them.

type m0003Tenant struct {
	ID uint `gorm:"primaryKey"`
}

func (m0003Tenant) TableName() string { return "tenants" }

type m0003User struct {
	ID uint `gorm:"primaryKey"`
}

func (m0003User) TableName() string { return "users" }

type m0003AgentGroup struct {
	ID                   uint        `gorm:"primaryKey"`
	TenantID             uint        `gorm:"not null;uniqueIndex:idx_agent_groups_tenant_key,priority:1"`
	Tenant               m0003Tenant `gorm:"foreignKey:TenantID;constraint:OnDelete:CASCADE"`
	Key                  string      `gorm:"column:group_key;size:64;not null;uniqueIndex:idx_agent_groups_tenant_key,priority:2"`
	Name                 string      `gorm:"size:200;not null"`
	Strategy             string      `gorm:"size:32;not null"`
	Priority             int         `gorm:"not null;default:0"`
	MinLevel             int         `gorm:"not null;default:0"`
	Relax                string      `gorm:"size:2000;not null;default:''"`
	MaxWaitSeconds       int         `gorm:"not null;default:0"`
	MaxQueue             int         `gorm:"not null;default:0"`
	RingTimeoutSeconds   int         `gorm:"not null"`
	WrapUpSeconds        int         `gorm:"not null;default:0"`
	AnnounceEverySeconds int         `gorm:"not null;default:0"`
	MOHClass             string      `gorm:"column:moh_class;size:64;not null;default:''"`
	TargetPercent        int         `gorm:"not null;default:0"`
	TargetWithinSeconds  int         `gorm:"not null;default:0"`
	Closed               bool        `gorm:"not null;default:false"`
	Email                *string     `gorm:"size:254;uniqueIndex:idx_agent_groups_email"`
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

func (m0003AgentGroup) TableName() string { return "agent_groups" }

type m0003Agent struct {
	ID        uint        `gorm:"primaryKey"`
	TenantID  uint        `gorm:"not null;index:idx_agents_tenant_id"`
	Tenant    m0003Tenant `gorm:"foreignKey:TenantID;constraint:OnDelete:CASCADE"`
	UserID    uint        `gorm:"not null;uniqueIndex:idx_agents_user_id"`
	User      m0003User   `gorm:"foreignKey:UserID;constraint:OnDelete:CASCADE"`
	Name      string      `gorm:"size:200;not null"`
	MaxEmails int         `gorm:"not null;default:0"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (m0003Agent) TableName() string { return "agents" }

type m0003AgentMembership struct {
	ID        uint            `gorm:"primaryKey"`
	TenantID  uint            `gorm:"not null;index:idx_agent_memberships_tenant_id"`
	AgentID   uint            `gorm:"not null;uniqueIndex:idx_agent_memberships_agent_group,priority:1"`
	Agent     m0003Agent      `gorm:"foreignKey:AgentID;constraint:OnDelete:CASCADE"`
	GroupID   uint            `gorm:"not null;uniqueIndex:idx_agent_memberships_agent_group,priority:2;index:idx_agent_memberships_group_id"`
	Group     m0003AgentGroup `gorm:"foreignKey:GroupID;constraint:OnDelete:CASCADE"`
	Level     int             `gorm:"not null"`
	CreatedAt time.Time
}

func (m0003AgentMembership) TableName() string { return "agent_memberships" }

type m0003PauseReason struct {
	ID        uint        `gorm:"primaryKey"`
	TenantID  uint        `gorm:"not null;uniqueIndex:idx_pause_reasons_tenant_name,priority:1"`
	Tenant    m0003Tenant `gorm:"foreignKey:TenantID;constraint:OnDelete:CASCADE"`
	Name      string      `gorm:"size:64;not null;uniqueIndex:idx_pause_reasons_tenant_name,priority:2"`
	CreatedAt time.Time
}

func (m0003PauseReason) TableName() string { return "pause_reasons" }

// E-mail contacts keep GroupID and AgentID without foreign keys: the
// history outlives the groups and agents.
type m0003EmailContact struct {
	ID             uint        `gorm:"primaryKey"`
	TenantID       uint        `gorm:"not null;index:idx_email_contacts_tenant_id"`
	Tenant         m0003Tenant `gorm:"foreignKey:TenantID;constraint:OnDelete:CASCADE"`
	GroupID        uint        `gorm:"not null;index:idx_email_contacts_group_id"`
	MessageID      string      `gorm:"size:998;not null;default:''"`
	References     string      `gorm:"type:text;not null;default:''"`
	FromAddr       string      `gorm:"size:254;not null;default:''"`
	FromName       string      `gorm:"size:200;not null;default:''"`
	ToAddr         string      `gorm:"size:254;not null;default:''"`
	Subject        string      `gorm:"size:998;not null;default:''"`
	TextBody       string      `gorm:"type:text;not null;default:''"`
	HTMLBody       string      `gorm:"column:html_body;type:text;not null;default:''"`
	Raw            []byte
	State          string `gorm:"size:16;not null;index:idx_email_contacts_state"`
	AgentID        *uint
	ReceivedAt     time.Time `gorm:"not null"`
	AssignedAt     *time.Time
	AnsweredAt     *time.Time
	ReplyMessageID string `gorm:"size:998;not null;default:''"`
	ReplyBody      string `gorm:"type:text;not null;default:''"`
}

func (m0003EmailContact) TableName() string { return "email_contacts" }

type m0003EmailAttachment struct {
	ID          uint              `gorm:"primaryKey"`
	EmailID     uint              `gorm:"not null;index:idx_email_attachments_email_id"`
	Email       m0003EmailContact `gorm:"foreignKey:EmailID;constraint:OnDelete:CASCADE"`
	Filename    string            `gorm:"size:255;not null;default:''"`
	ContentType string            `gorm:"size:255;not null;default:''"`
	Size        int64             `gorm:"not null"`
	Data        []byte
}

func (m0003EmailAttachment) TableName() string { return "email_attachments" }

func m0003ACD(tx *gorm.DB) error {
	tables := []any{
		&m0003AgentGroup{}, &m0003Agent{}, &m0003AgentMembership{}, &m0003PauseReason{},
		&m0003EmailContact{}, &m0003EmailAttachment{},
	}
	for _, t := range tables {
		if err := tx.Migrator().CreateTable(t); err != nil {
			return fmt.Errorf("create table %T: %w", t, err)
		}
	}
	return nil
}
