package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// The models of Traffic Routing Management (TRM-1..TRM-9, NUM-3, NUM-5).
// Migration 0002 (migrate_0002.go) creates their tables.

// RoutingTree is a customer's routing tree (TRM-1). Its content lives in
// RoutingTreeVersion rows: every save adds a version and all are kept
// (TRM-6); Version is the current one.
type RoutingTree struct {
	ID       uint `gorm:"primaryKey"`
	TenantID uint `gorm:"not null;uniqueIndex:idx_routing_trees_tenant_key,priority:1"`
	// Key is the tree's id inside routing documents (routing.Tree.ID): the
	// name a "tree" destination of another tree uses. Unique per tenant.
	Key       string `gorm:"column:tree_key;size:64;not null;uniqueIndex:idx_routing_trees_tenant_key,priority:2"`
	Name      string `gorm:"size:200;not null"`
	Version   int    `gorm:"not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// RoutingTreeVersion is one saved version of a tree. Document is the
// routing.Tree as JSON text.
type RoutingTreeVersion struct {
	ID          uint   `gorm:"primaryKey"`
	TreeID      uint   `gorm:"not null;uniqueIndex:idx_routing_tree_versions_tree_version,priority:1"`
	TenantID    uint   `gorm:"not null;index"`
	Version     int    `gorm:"not null;uniqueIndex:idx_routing_tree_versions_tree_version,priority:2"`
	Document    string `gorm:"type:text;not null"`
	Comment     string `gorm:"size:500;not null;default:''"`
	CreatedByID *uint
	CreatedAt   time.Time
}

// Prompt is an audio file a tree plays (TRM-2): the original bytes of a
// RIFF/WAVE file, addressed by their SHA-256 when the media engine fetches
// them. Name is the id routing documents use ("closed").
type Prompt struct {
	ID          uint   `gorm:"primaryKey"`
	TenantID    uint   `gorm:"not null;uniqueIndex:idx_prompts_tenant_name,priority:1"`
	Name        string `gorm:"size:64;not null;uniqueIndex:idx_prompts_tenant_name,priority:2"`
	SHA256      string `gorm:"column:sha256;size:64;not null;index"`
	Size        int64  `gorm:"not null"`
	ContentType string `gorm:"size:64;not null"`
	Data        []byte `gorm:"not null"`
	CreatedAt   time.Time
}

// CallerList is a customer list of caller numbers (VIP, blocked; TRM-3).
// Name is the id routing documents use.
type CallerList struct {
	ID        uint   `gorm:"primaryKey"`
	TenantID  uint   `gorm:"not null;uniqueIndex:idx_caller_lists_tenant_name,priority:1"`
	Name      string `gorm:"size:64;not null;uniqueIndex:idx_caller_lists_tenant_name,priority:2"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CallerListEntry is one number of a caller list, in E.164.
type CallerListEntry struct {
	ID        uint   `gorm:"primaryKey"`
	ListID    uint   `gorm:"not null;uniqueIndex:idx_caller_list_entries_list_e164,priority:1"`
	E164      string `gorm:"size:20;not null;uniqueIndex:idx_caller_list_entries_list_e164,priority:2"`
	CreatedAt time.Time
}

// Site is a customer location that number destinations name (TRM-9):
// while Down, calls skip its numbers as if they failed with site_down.
type Site struct {
	ID          uint   `gorm:"primaryKey"`
	TenantID    uint   `gorm:"not null;uniqueIndex:idx_sites_tenant_name,priority:1"`
	Name        string `gorm:"size:64;not null;uniqueIndex:idx_sites_tenant_name,priority:2"`
	Down        bool   `gorm:"not null;default:false"`
	ChangedAt   *time.Time
	ChangedByID *uint
	CreatedAt   time.Time
}

// CallRecord is the record every call leaves (TRM-8). It has no foreign
// keys: records outlive the numbers and trees they name.
type CallRecord struct {
	ID uint `gorm:"primaryKey"`
	// CallID is the engine's id of the inbound channel; saving the same
	// CallID again completes the stored record, never overwrites it with
	// less (see SaveCallRecord).
	CallID   string `gorm:"size:128;not null;uniqueIndex:idx_call_records_call_id"`
	TenantID uint   `gorm:"not null;index:idx_call_records_tenant_arrived,priority:1"`
	NumberID uint   `gorm:"not null;default:0"`
	Caller   string `gorm:"size:32;not null;default:''"`
	Dialed   string `gorm:"size:32;not null;default:''"`
	// TreeID is the key of the tree (routing.Tree.ID) and TreeVersion the
	// version the call was routed with.
	TreeID      string    `gorm:"size:64;not null;default:''"`
	TreeVersion int       `gorm:"not null;default:0"`
	ArrivedAt   time.Time `gorm:"not null;index:idx_call_records_tenant_arrived,priority:2"`
	AnsweredAt  *time.Time
	EndedAt     *time.Time
	Outcome     string `gorm:"size:32;not null;default:''"`
	Destination string `gorm:"size:64;not null;default:''"`
	// Path is the trace of routing decisions: JSON of []routing.Step.
	Path string    `gorm:"type:text;not null;default:''"`
	Legs []CallLeg `gorm:"foreignKey:CallRecordID"`
}

// CallLeg is one outbound leg of a call (TRM-8: re-routing legs).
type CallLeg struct {
	ID           uint      `gorm:"primaryKey"`
	CallRecordID uint      `gorm:"not null;index"`
	Seq          int       `gorm:"not null"`
	Destination  string    `gorm:"size:64;not null;default:''"`
	NodeID       string    `gorm:"size:64;not null;default:''"`
	StartedAt    time.Time `gorm:"not null"`
	AnsweredAt   *time.Time
	EndedAt      *time.Time
	Outcome      string `gorm:"size:32;not null;default:''"`
	Cause        int    `gorm:"not null;default:0"`
}

// routingGeneration is the single-row counter bumped by every write that
// changes routing, so that the controller's cache knows when to reload.
type routingGeneration struct {
	ID         int   `gorm:"primaryKey"`
	Generation int64 `gorm:"not null"`
}

func (routingGeneration) TableName() string { return "routing_generation" }

// Number overflow treatments (NUM-5).
const (
	OverflowBusy         = "busy"
	OverflowAnnouncement = "announcement"
)

// bumpGeneration increments the routing generation on db, which must be
// the transaction of the routing change.
func bumpGeneration(db *gorm.DB) error {
	err := db.Session(&gorm.Session{NewDB: true}).
		Exec("UPDATE routing_generation SET generation = generation + 1 WHERE id = 1").Error
	if err != nil {
		return fmt.Errorf("store: bump routing generation: %w", err)
	}
	return nil
}

// Every write to a number or tenant may change routing (tree, limits,
// status, time zone): the hooks bump the generation in the same
// transaction as the write.

// AfterSave bumps the routing generation.
func (n *Number) AfterSave(tx *gorm.DB) error { return bumpGeneration(tx) }

// AfterDelete bumps the routing generation.
func (n *Number) AfterDelete(tx *gorm.DB) error { return bumpGeneration(tx) }

// AfterSave bumps the routing generation (a tenant's time zone is routing
// data).
func (t *Tenant) AfterSave(tx *gorm.DB) error { return bumpGeneration(tx) }
