package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Frozen structs of migration 0002 (routing: TRM-1..TRM-9, NUM-5). They
// copy the models as they were when this migration shipped; never change
// them.

type m0002Number struct {
	ID               uint    `gorm:"primaryKey"`
	TreeID           *uint   `gorm:"index:idx_numbers_tree_id"`
	MaxCPS           float64 `gorm:"not null;default:0"`
	MaxConcurrent    int     `gorm:"not null;default:0"`
	Overflow         string  `gorm:"size:16;not null;default:'busy'"`
	OverflowPromptID *uint
	Fallback         string `gorm:"size:20;not null;default:''"`
}

func (m0002Number) TableName() string { return "numbers" }

type m0002Tenant struct {
	ID uint `gorm:"primaryKey"`
}

func (m0002Tenant) TableName() string { return "tenants" }

type m0002RoutingTree struct {
	ID        uint        `gorm:"primaryKey"`
	TenantID  uint        `gorm:"not null;uniqueIndex:idx_routing_trees_tenant_key,priority:1"`
	Tenant    m0002Tenant `gorm:"foreignKey:TenantID;constraint:OnDelete:CASCADE"`
	Key       string      `gorm:"column:tree_key;size:64;not null;uniqueIndex:idx_routing_trees_tenant_key,priority:2"`
	Name      string      `gorm:"size:200;not null"`
	Version   int         `gorm:"not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (m0002RoutingTree) TableName() string { return "routing_trees" }

// Versions keep CreatedByID without a foreign key: the history outlives
// the user accounts that wrote it.
type m0002RoutingTreeVersion struct {
	ID          uint             `gorm:"primaryKey"`
	TreeID      uint             `gorm:"not null;uniqueIndex:idx_routing_tree_versions_tree_version,priority:1"`
	Tree        m0002RoutingTree `gorm:"foreignKey:TreeID;constraint:OnDelete:CASCADE"`
	TenantID    uint             `gorm:"not null;index:idx_routing_tree_versions_tenant_id"`
	Version     int              `gorm:"not null;uniqueIndex:idx_routing_tree_versions_tree_version,priority:2"`
	Document    string           `gorm:"type:text;not null"`
	Comment     string           `gorm:"size:500;not null;default:''"`
	CreatedByID *uint
	CreatedAt   time.Time
}

func (m0002RoutingTreeVersion) TableName() string { return "routing_tree_versions" }

type m0002Prompt struct {
	ID          uint        `gorm:"primaryKey"`
	TenantID    uint        `gorm:"not null;uniqueIndex:idx_prompts_tenant_name,priority:1"`
	Tenant      m0002Tenant `gorm:"foreignKey:TenantID;constraint:OnDelete:CASCADE"`
	Name        string      `gorm:"size:64;not null;uniqueIndex:idx_prompts_tenant_name,priority:2"`
	SHA256      string      `gorm:"column:sha256;size:64;not null;index:idx_prompts_sha256"`
	Size        int64       `gorm:"not null"`
	ContentType string      `gorm:"size:64;not null"`
	Data        []byte      `gorm:"not null"`
	CreatedAt   time.Time
}

func (m0002Prompt) TableName() string { return "prompts" }

type m0002CallerList struct {
	ID        uint        `gorm:"primaryKey"`
	TenantID  uint        `gorm:"not null;uniqueIndex:idx_caller_lists_tenant_name,priority:1"`
	Tenant    m0002Tenant `gorm:"foreignKey:TenantID;constraint:OnDelete:CASCADE"`
	Name      string      `gorm:"size:64;not null;uniqueIndex:idx_caller_lists_tenant_name,priority:2"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (m0002CallerList) TableName() string { return "caller_lists" }

type m0002CallerListEntry struct {
	ID        uint            `gorm:"primaryKey"`
	ListID    uint            `gorm:"not null;uniqueIndex:idx_caller_list_entries_list_e164,priority:1"`
	List      m0002CallerList `gorm:"foreignKey:ListID;constraint:OnDelete:CASCADE"`
	E164      string          `gorm:"size:20;not null;uniqueIndex:idx_caller_list_entries_list_e164,priority:2"`
	CreatedAt time.Time
}

func (m0002CallerListEntry) TableName() string { return "caller_list_entries" }

type m0002Site struct {
	ID          uint        `gorm:"primaryKey"`
	TenantID    uint        `gorm:"not null;uniqueIndex:idx_sites_tenant_name,priority:1"`
	Tenant      m0002Tenant `gorm:"foreignKey:TenantID;constraint:OnDelete:CASCADE"`
	Name        string      `gorm:"size:64;not null;uniqueIndex:idx_sites_tenant_name,priority:2"`
	Down        bool        `gorm:"not null;default:false"`
	ChangedAt   *time.Time
	ChangedByID *uint
	CreatedAt   time.Time
}

func (m0002Site) TableName() string { return "sites" }

// Call records have no foreign keys to tenants, numbers or trees: they
// outlive them (NUM-3: history is kept).
type m0002CallRecord struct {
	ID          uint      `gorm:"primaryKey"`
	CallID      string    `gorm:"size:128;not null;uniqueIndex:idx_call_records_call_id"`
	TenantID    uint      `gorm:"not null;index:idx_call_records_tenant_arrived,priority:1"`
	NumberID    uint      `gorm:"not null;default:0"`
	Caller      string    `gorm:"size:32;not null;default:''"`
	Dialed      string    `gorm:"size:32;not null;default:''"`
	TreeID      string    `gorm:"size:64;not null;default:''"`
	TreeVersion int       `gorm:"not null;default:0"`
	ArrivedAt   time.Time `gorm:"not null;index:idx_call_records_tenant_arrived,priority:2"`
	AnsweredAt  *time.Time
	EndedAt     *time.Time
	Outcome     string `gorm:"size:32;not null;default:''"`
	Destination string `gorm:"size:64;not null;default:''"`
	Path        string `gorm:"type:text;not null;default:''"`
}

func (m0002CallRecord) TableName() string { return "call_records" }

type m0002CallLeg struct {
	ID           uint            `gorm:"primaryKey"`
	CallRecordID uint            `gorm:"not null;index:idx_call_legs_call_record_id"`
	CallRecord   m0002CallRecord `gorm:"foreignKey:CallRecordID;constraint:OnDelete:CASCADE"`
	Seq          int             `gorm:"not null"`
	Destination  string          `gorm:"size:64;not null;default:''"`
	NodeID       string          `gorm:"size:64;not null;default:''"`
	StartedAt    time.Time       `gorm:"not null"`
	AnsweredAt   *time.Time
	EndedAt      *time.Time
	Outcome      string `gorm:"size:32;not null;default:''"`
	Cause        int    `gorm:"not null;default:0"`
}

func (m0002CallLeg) TableName() string { return "call_legs" }

type m0002RoutingGeneration struct {
	ID         int   `gorm:"primaryKey;autoIncrement:false"`
	Generation int64 `gorm:"not null"`
}

func (m0002RoutingGeneration) TableName() string { return "routing_generation" }

func m0002Routing(tx *gorm.DB) error {
	for _, col := range []string{"TreeID", "MaxCPS", "MaxConcurrent", "Overflow", "OverflowPromptID", "Fallback"} {
		if err := tx.Migrator().AddColumn(&m0002Number{}, col); err != nil {
			return fmt.Errorf("add numbers.%s: %w", col, err)
		}
	}
	if err := tx.Migrator().CreateIndex(&m0002Number{}, "TreeID"); err != nil {
		return fmt.Errorf("index numbers.tree_id: %w", err)
	}
	tables := []any{
		&m0002RoutingTree{}, &m0002RoutingTreeVersion{}, &m0002Prompt{},
		&m0002CallerList{}, &m0002CallerListEntry{}, &m0002Site{},
		&m0002CallRecord{}, &m0002CallLeg{}, &m0002RoutingGeneration{},
	}
	for _, t := range tables {
		if err := tx.Migrator().CreateTable(t); err != nil {
			return fmt.Errorf("create table %T: %w", t, err)
		}
	}
	if err := tx.Create(&m0002RoutingGeneration{ID: 1, Generation: 1}).Error; err != nil {
		return fmt.Errorf("seed routing_generation: %w", err)
	}
	return nil
}
