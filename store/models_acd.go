package store

import (
	"encoding/json"
	"time"
)

// The models of Agent Contact Management (ACM-1..ACM-5). Migration 0003
// (migrate_0003.go) creates their tables.

// Group strategies: how a group chooses among its available agents.
const (
	// StrategyLevelThenLongestIdle offers a contact to the most competent
	// available agent, the longest idle among equals (the default).
	StrategyLevelThenLongestIdle = "level_then_longest_idle"
	// StrategyLongestIdle offers a contact to the longest idle agent whose
	// level is high enough.
	StrategyLongestIdle = "longest_idle"
)

// Competence levels of a group member (ACM-1).
const (
	MinAgentLevel = 1
	MaxAgentLevel = 10
)

// Defaults of a new group (see DefaultAgentGroup) and an agent.
const (
	DefaultRingTimeoutSeconds   = 15
	DefaultWrapUpSeconds        = 10
	DefaultAnnounceEverySeconds = 30
	DefaultTargetPercent        = 80
	DefaultTargetWithinSeconds  = 20
	DefaultMaxEmails            = 3
	MaxMaxEmails                = 20
)

// AgentGroup is an ACM group of agents (ACM-1..4). Key is the id routing
// trees use ("sales").
type AgentGroup struct {
	ID       uint   `gorm:"primaryKey"`
	TenantID uint   `gorm:"not null;uniqueIndex:idx_agent_groups_tenant_key,priority:1"`
	Key      string `gorm:"column:group_key;size:64;not null;uniqueIndex:idx_agent_groups_tenant_key,priority:2"`
	Name     string `gorm:"size:200;not null"`
	// Strategy is StrategyLevelThenLongestIdle or StrategyLongestIdle.
	Strategy string `gorm:"size:32;not null"`
	// Priority breaks ties for an agent of several groups: higher first.
	Priority int `gorm:"not null;default:0"`
	// MinLevel is the lowest level offered a new contact; 0 = every member.
	MinLevel int `gorm:"not null;default:0"`
	// Relax is the JSON of []RelaxStep; "" = none.
	Relax string `gorm:"size:2000;not null;default:''"`
	// MaxWaitSeconds and MaxQueue are overflow limits; 0 = no limit.
	MaxWaitSeconds     int `gorm:"not null;default:0"`
	MaxQueue           int `gorm:"not null;default:0"`
	RingTimeoutSeconds int `gorm:"not null"`
	WrapUpSeconds      int `gorm:"not null;default:0"`
	// AnnounceEverySeconds is the period of the position and expected
	// wait announcement; 0 = no announcements.
	AnnounceEverySeconds int `gorm:"not null;default:0"`
	// MOHClass is the music on hold class; "" = the default.
	MOHClass string `gorm:"column:moh_class;size:64;not null;default:''"`
	// TargetPercent of calls answered within TargetWithinSeconds is the
	// service level shown to supervisors.
	TargetPercent       int  `gorm:"not null;default:0"`
	TargetWithinSeconds int  `gorm:"not null;default:0"`
	Closed              bool `gorm:"not null;default:false"`
	// Email is the lower-case address the group receives mail at (ACM-5),
	// unique across the platform; nil = none.
	Email     *string `gorm:"size:254;uniqueIndex:idx_agent_groups_email"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// RelaxStep lowers a group's minimum level once the contact at the head of
// its queue has waited AfterSeconds.
type RelaxStep struct {
	AfterSeconds int `json:"after_seconds"`
	MinLevel     int `json:"min_level"`
}

// RelaxSteps decodes Relax; a malformed value (never stored: the store
// validates it) reads as no steps.
func (g *AgentGroup) RelaxSteps() []RelaxStep {
	if g.Relax == "" {
		return nil
	}
	var out []RelaxStep
	if json.Unmarshal([]byte(g.Relax), &out) != nil {
		return nil
	}
	return out
}

// SetRelaxSteps encodes steps into Relax ("" for none).
func (g *AgentGroup) SetRelaxSteps(steps []RelaxStep) {
	if len(steps) == 0 {
		g.Relax = ""
		return
	}
	b, _ := json.Marshal(steps) // plain ints: cannot fail
	g.Relax = string(b)
}

// EmailAddress returns the group's address or "".
func (g *AgentGroup) EmailAddress() string {
	if g.Email == nil {
		return ""
	}
	return *g.Email
}

// DefaultAgentGroup returns a group of the tenant with the default
// settings, for forms and callers that set only some fields.
func DefaultAgentGroup(tenantID uint) AgentGroup {
	return AgentGroup{
		TenantID: tenantID, Strategy: StrategyLevelThenLongestIdle,
		RingTimeoutSeconds: DefaultRingTimeoutSeconds, WrapUpSeconds: DefaultWrapUpSeconds,
		AnnounceEverySeconds: DefaultAnnounceEverySeconds,
		TargetPercent:        DefaultTargetPercent, TargetWithinSeconds: DefaultTargetWithinSeconds,
	}
}

// Agent is a tenant user who takes contacts (ACM-1). Its portal account is
// UserID (a user of the same tenant; one agent per user). Its SIP endpoint
// is center.Endpoint(ID) ("vmsagent<ID>").
type Agent struct {
	ID       uint   `gorm:"primaryKey"`
	TenantID uint   `gorm:"not null;index:idx_agents_tenant_id"`
	UserID   uint   `gorm:"not null;uniqueIndex:idx_agents_user_id"`
	Name     string `gorm:"size:200;not null"`
	// MaxEmails is how many e-mails the agent handles at once (0..20).
	MaxEmails int `gorm:"not null;default:0"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// AgentMembership is an agent in a group with a competence level 1..10.
type AgentMembership struct {
	ID        uint `gorm:"primaryKey"`
	TenantID  uint `gorm:"not null;index:idx_agent_memberships_tenant_id"`
	AgentID   uint `gorm:"not null;uniqueIndex:idx_agent_memberships_agent_group,priority:1"`
	GroupID   uint `gorm:"not null;uniqueIndex:idx_agent_memberships_agent_group,priority:2;index:idx_agent_memberships_group_id"`
	Level     int  `gorm:"not null"`
	CreatedAt time.Time
}

// PauseReason is a reason an agent may pause with ("lunch", "training").
// Unique per tenant.
type PauseReason struct {
	ID        uint   `gorm:"primaryKey"`
	TenantID  uint   `gorm:"not null;uniqueIndex:idx_pause_reasons_tenant_name,priority:1"`
	Name      string `gorm:"size:64;not null;uniqueIndex:idx_pause_reasons_tenant_name,priority:2"`
	CreatedAt time.Time
}

// E-mail contact states (ACM-5).
const (
	EmailQueued   = "queued"
	EmailAssigned = "assigned"
	EmailAnswered = "answered"
	EmailClosed   = "closed"
)

// EmailContact is a mail received at a group's address (ACM-5). It has no
// foreign keys to its group or agent: the history outlives them.
type EmailContact struct {
	ID       uint `gorm:"primaryKey"`
	TenantID uint `gorm:"not null;index:idx_email_contacts_tenant_id"`
	GroupID  uint `gorm:"not null;index:idx_email_contacts_group_id"`
	// MessageID is the mail's Message-ID without <>.
	MessageID string `gorm:"size:998;not null;default:''"`
	// References is the mail's References header.
	References string `gorm:"type:text;not null;default:''"`
	FromAddr   string `gorm:"size:254;not null;default:''"`
	FromName   string `gorm:"size:200;not null;default:''"`
	ToAddr     string `gorm:"size:254;not null;default:''"`
	Subject    string `gorm:"size:998;not null;default:''"`
	TextBody   string `gorm:"type:text;not null;default:''"`
	HTMLBody   string `gorm:"column:html_body;type:text;not null;default:''"`
	// Raw is the original message as received.
	Raw []byte
	// State is EmailQueued, EmailAssigned, EmailAnswered or EmailClosed.
	State          string `gorm:"size:16;not null;index:idx_email_contacts_state"`
	AgentID        *uint
	ReceivedAt     time.Time `gorm:"not null"`
	AssignedAt     *time.Time
	AnsweredAt     *time.Time
	ReplyMessageID string `gorm:"size:998;not null;default:''"`
	ReplyBody      string `gorm:"type:text;not null;default:''"`
	// Attachments are loaded by GetEmailContact only.
	Attachments []EmailAttachment `gorm:"foreignKey:EmailID"`
}

// EmailAttachment is one attachment of a received mail, kept as received.
type EmailAttachment struct {
	ID          uint   `gorm:"primaryKey"`
	EmailID     uint   `gorm:"not null;index:idx_email_attachments_email_id"`
	Filename    string `gorm:"size:255;not null;default:''"`
	ContentType string `gorm:"size:255;not null;default:''"`
	Size        int64  `gorm:"not null"`
	Data        []byte
}
