package store

import "time"

// The GORM models below are the current shape of each table. Migrations
// (migrations.go) never use these types: each migration freezes its own copy
// of the structs it creates, so that changing a model never rewrites history.

// Tenant is a customer company of the operator.
type Tenant struct {
	ID           uint   `gorm:"primaryKey"`
	Name         string `gorm:"size:200;not null"`
	Formula      string `gorm:"size:32;not null"`             // formula.Classic, ...
	Options      string `gorm:"size:500;not null;default:''"` // comma-separated formula.Component values ordered as options
	TimeZone     string `gorm:"size:64;not null;default:'Europe/Brussels'"`
	Region       string `gorm:"size:2;not null;default:'BE'"`       // default region for national-format numbers (NUM-4)
	Status       string `gorm:"size:16;not null;default:'ordered'"` // TenantOrdered, TenantActive, TenantTerminated
	ActivatedAt  *time.Time
	TerminatesAt *time.Time // PRV-2: service stops at this date
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Ended reports whether the tenant's service has ended at now: terminated,
// or past the end date of an activated termination (PRV-2).
func (t *Tenant) Ended(now time.Time) bool {
	return t.Status == TenantTerminated || (t.TerminatesAt != nil && !now.Before(*t.TerminatesAt))
}

// Tenant statuses.
const (
	TenantOrdered    = "ordered"
	TenantActive     = "active"
	TenantTerminated = "terminated"
)

// Entity is an affiliated entity a tenant declared (NUM-1): its numbers may
// be activated too.
type Entity struct {
	ID        uint   `gorm:"primaryKey"`
	TenantID  uint   `gorm:"not null;index"`
	Name      string `gorm:"size:200;not null"`
	VAT       string `gorm:"size:32;not null;default:''"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Number is a telephone number of a tenant (or of one of its entities).
type Number struct {
	ID       uint   `gorm:"primaryKey"`
	TenantID uint   `gorm:"not null;index"`
	EntityID *uint  `gorm:"index"`
	E164     string `gorm:"size:20;not null;uniqueIndex"` // +3221234567 (NUM-4)
	Label    string `gorm:"size:200;not null;default:''"`
	Kind     string `gorm:"size:24;not null"` // phone.Kind
	// Facts the operator records about the line; they decide activation (NUM-2).
	OnNetwork            bool   `gorm:"not null;default:true"`
	CNIP                 bool   `gorm:"not null;default:false"`
	EnterpriseSwitch     bool   `gorm:"not null;default:false"`
	OneCompanyNumber     bool   `gorm:"not null;default:false"`
	MarketingDestination bool   `gorm:"not null;default:false"` // already the target of a freephone/premium number: allowed
	Status               string `gorm:"size:16;not null"`       // NumberActive, NumberRefused, NumberPorted, NumberInactive
	RefusalReason        string `gorm:"size:300;not null;default:''"`
	ActivatedAt          *time.Time
	PortedAt             *time.Time
	// Routing (TRM-1): the tree calls to the number follow; nil routes
	// them to Fallback.
	TreeID *uint `gorm:"index"`
	// Surge protection (NUM-5): calls per second and concurrent calls
	// (zero: no limit), and the treatment above them: OverflowBusy or
	// OverflowAnnouncement playing OverflowPromptID.
	MaxCPS           float64 `gorm:"not null;default:0"`
	MaxConcurrent    int     `gorm:"not null;default:0"`
	Overflow         string  `gorm:"size:16;not null;default:'busy'"`
	OverflowPromptID *uint
	// Fallback is the static destination (E.164) when routing fails.
	Fallback  string `gorm:"size:20;not null;default:''"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Number statuses.
const (
	NumberActive   = "active"
	NumberRefused  = "refused"
	NumberPorted   = "ported"   // NUM-3: ported to another operator; routing stops, history kept
	NumberInactive = "inactive" // deactivated by the operator or the tenant
)

// User is a person who logs in: operator staff (TenantID nil, role BGC-*)
// or a tenant's user.
type User struct {
	ID           uint   `gorm:"primaryKey"`
	TenantID     *uint  `gorm:"index"`
	Email        string `gorm:"size:254;not null;uniqueIndex"` // stored lower-case
	Name         string `gorm:"size:200;not null"`
	Role         string `gorm:"size:24;not null"`             // access.Role
	PasswordHash string `gorm:"size:200;not null;default:''"` // argon2id PHC string; empty until first login
	Disabled     bool   `gorm:"not null;default:false"`
	LastLoginAt  *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Representative is a person the tenant authorised to deal with the operator
// (open tickets, SD-5); Contact marks the contact person of the order (PRV-1).
type Representative struct {
	ID        uint   `gorm:"primaryKey"`
	TenantID  uint   `gorm:"not null;index"`
	Name      string `gorm:"size:200;not null"`
	Email     string `gorm:"size:254;not null"`
	Phone     string `gorm:"size:20;not null;default:''"` // E.164
	Contact   bool   `gorm:"not null;default:false"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Order is an order or order change entered by the operator (PRV-1, FRM-3).
// It takes effect at activation.
type Order struct {
	ID            uint      `gorm:"primaryKey"`
	TenantID      uint      `gorm:"not null;index"`
	Kind          string    `gorm:"size:16;not null"` // OrderNew, OrderChange, OrderTermination
	Formula       string    `gorm:"size:32;not null"`
	Options       string    `gorm:"size:500;not null;default:''"`
	Status        string    `gorm:"size:16;not null"` // OrderEntered, OrderActivated, OrderCancelled
	DueAt         time.Time // activation target: 15 working days after entry
	EnteredByID   uint      `gorm:"not null"`
	ActivatedByID *uint
	ActivatedAt   *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Order kinds and statuses.
const (
	OrderNew         = "new"
	OrderChange      = "change"
	OrderTermination = "termination"

	OrderEntered   = "entered"
	OrderActivated = "activated"
	OrderCancelled = "cancelled"
)

// Session is a server-side portal session. ID is the SHA-256 of the random
// token the browser holds, so a leaked database does not leak live sessions.
type Session struct {
	ID         string    `gorm:"primaryKey;size:64"`
	UserID     uint      `gorm:"not null;index"`
	CSRFToken  string    `gorm:"size:64;not null"`
	CreatedAt  time.Time `gorm:"not null"`
	LastSeenAt time.Time `gorm:"not null"`
	IP         string    `gorm:"size:64;not null;default:''"`
	UserAgent  string    `gorm:"size:300;not null;default:''"`
}

// LoginFailure counts failed logins per key (an e-mail address or a client
// IP) so that throttling survives restarts.
type LoginFailure struct {
	Key         string `gorm:"primaryKey;size:300"`
	Failures    int    `gorm:"not null"`
	FirstAt     time.Time
	LockedUntil *time.Time
}

// APIToken authenticates an API client as a user. Only the SHA-256 of the
// token is stored; Prefix helps a person recognise it.
type APIToken struct {
	ID         uint   `gorm:"primaryKey"`
	UserID     uint   `gorm:"not null;index"`
	Name       string `gorm:"size:100;not null"`
	Prefix     string `gorm:"size:16;not null"`
	Hash       string `gorm:"size:64;not null;uniqueIndex"`
	CreatedAt  time.Time
	LastUsedAt *time.Time
	ExpiresAt  *time.Time
}

// LoginLink is a one-time link that lets a user set a first password
// (PRV-1: no clear-text password in mail). Only the hash is stored.
type LoginLink struct {
	Hash      string `gorm:"primaryKey;size:64"`
	UserID    uint   `gorm:"not null;index"`
	ExpiresAt time.Time
	UsedAt    *time.Time
	CreatedAt time.Time
}

// AuditEntry records one change (POR-4): who, when, what, before and after.
type AuditEntry struct {
	ID         uint      `gorm:"primaryKey"`
	At         time.Time `gorm:"not null;index"`
	ActorID    *uint     // nil for the system itself
	ActorEmail string    `gorm:"size:254;not null;default:''"`
	TenantID   *uint     `gorm:"index"`
	Action     string    `gorm:"size:64;not null"` // "number.create", "user.delete", ...
	ObjectType string    `gorm:"size:32;not null"`
	ObjectID   string    `gorm:"size:64;not null"`
	Before     string    `gorm:"type:text;not null;default:''"` // JSON, empty on create
	After      string    `gorm:"type:text;not null;default:''"` // JSON, empty on delete
	RequestID  string    `gorm:"size:64;not null;default:''"`
}
