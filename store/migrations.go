package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migration is one step of the schema. Up runs inside a transaction together
// with the insertion of its ID into schema_migrations, so a failing step
// leaves nothing behind (both SQLite and PostgreSQL have transactional DDL).
type migration struct {
	ID string
	Up func(tx *gorm.DB) error
}

// migrations is the ordered history of the schema. Append only: never edit
// or reorder a migration that has shipped.
var migrations = []migration{
	{ID: "0001_initial", Up: m0001Initial},
	{ID: "0002_routing", Up: m0002Routing},
	{ID: "0003_acd", Up: m0003ACD},
	{ID: "0004_campaigns", Up: m0004Campaigns},
}

// schemaMigration is the bookkeeping row of an applied migration.
type schemaMigration struct {
	ID        string    `gorm:"primaryKey;size:64"`
	AppliedAt time.Time `gorm:"not null"`
}

func (schemaMigration) TableName() string { return "schema_migrations" }

// migrationLockKey serialises concurrent migrators on PostgreSQL
// (pg_advisory_xact_lock); SQLite's IMMEDIATE transactions already do.
const migrationLockKey = 7_436_001

// Migrate brings the schema up to date. Applied migrations are skipped; a
// database that holds a migration this binary does not know (written by a
// newer VMS) is refused.
func (s *Store) Migrate(ctx context.Context) error {
	return s.migrate(ctx, migrations)
}

func (s *Store) migrate(ctx context.Context, list []migration) error {
	db := s.db.WithContext(ctx)
	if !db.Migrator().HasTable(&schemaMigration{}) {
		if err := db.Migrator().CreateTable(&schemaMigration{}); err != nil {
			// A concurrent migrator may have created it meanwhile.
			if !db.Migrator().HasTable(&schemaMigration{}) {
				return fmt.Errorf("store: migrate: create schema_migrations: %w", err)
			}
		}
	}
	known := make(map[string]bool, len(list))
	for _, m := range list {
		known[m.ID] = true
	}
	var applied []schemaMigration
	if err := db.Order("id").Find(&applied).Error; err != nil {
		return fmt.Errorf("store: migrate: read schema_migrations: %w", err)
	}
	for _, a := range applied {
		if !known[a.ID] {
			return fmt.Errorf("store: migrate: the database has migration %q that this version does not know: it was written by a newer VMS; refusing to run on it", a.ID)
		}
	}
	for _, m := range list {
		err := db.Transaction(func(tx *gorm.DB) error {
			if s.dialect == DialectPostgres {
				if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", migrationLockKey).Error; err != nil {
					return fmt.Errorf("lock: %w", err)
				}
			}
			var n int64
			if err := tx.Model(&schemaMigration{}).Where("id = ?", m.ID).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if err := m.Up(tx); err != nil {
				return err
			}
			return tx.Create(&schemaMigration{ID: m.ID, AppliedAt: s.now()}).Error
		})
		if err != nil {
			return fmt.Errorf("store: migrate %s: %w", m.ID, err)
		}
	}
	return nil
}

// Frozen structs of migration 0001. They copy the models as they were when
// this migration shipped; never change them.

type m0001Tenant struct {
	ID           uint   `gorm:"primaryKey"`
	Name         string `gorm:"size:200;not null"`
	Formula      string `gorm:"size:32;not null"`
	Options      string `gorm:"size:500;not null;default:''"`
	TimeZone     string `gorm:"size:64;not null;default:'Europe/Brussels'"`
	Region       string `gorm:"size:2;not null;default:'BE'"`
	Status       string `gorm:"size:16;not null;default:'ordered'"`
	ActivatedAt  *time.Time
	TerminatesAt *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (m0001Tenant) TableName() string { return "tenants" }

type m0001Entity struct {
	ID        uint        `gorm:"primaryKey"`
	TenantID  uint        `gorm:"not null;index:idx_entities_tenant_id"`
	Tenant    m0001Tenant `gorm:"foreignKey:TenantID;constraint:OnDelete:CASCADE"`
	Name      string      `gorm:"size:200;not null"`
	VAT       string      `gorm:"size:32;not null;default:''"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (m0001Entity) TableName() string { return "entities" }

type m0001Number struct {
	ID                   uint         `gorm:"primaryKey"`
	TenantID             uint         `gorm:"not null;index:idx_numbers_tenant_id"`
	Tenant               m0001Tenant  `gorm:"foreignKey:TenantID;constraint:OnDelete:CASCADE"`
	EntityID             *uint        `gorm:"index:idx_numbers_entity_id"`
	Entity               *m0001Entity `gorm:"foreignKey:EntityID;constraint:OnDelete:RESTRICT"`
	E164                 string       `gorm:"size:20;not null;uniqueIndex:idx_numbers_e164"`
	Label                string       `gorm:"size:200;not null;default:''"`
	Kind                 string       `gorm:"size:24;not null"`
	OnNetwork            bool         `gorm:"not null;default:true"`
	CNIP                 bool         `gorm:"not null;default:false"`
	EnterpriseSwitch     bool         `gorm:"not null;default:false"`
	OneCompanyNumber     bool         `gorm:"not null;default:false"`
	MarketingDestination bool         `gorm:"not null;default:false"`
	Status               string       `gorm:"size:16;not null"`
	RefusalReason        string       `gorm:"size:300;not null;default:''"`
	ActivatedAt          *time.Time
	PortedAt             *time.Time
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

func (m0001Number) TableName() string { return "numbers" }

type m0001User struct {
	ID           uint         `gorm:"primaryKey"`
	TenantID     *uint        `gorm:"index:idx_users_tenant_id"`
	Tenant       *m0001Tenant `gorm:"foreignKey:TenantID;constraint:OnDelete:RESTRICT"`
	Email        string       `gorm:"size:254;not null;uniqueIndex:idx_users_email"`
	Name         string       `gorm:"size:200;not null"`
	Role         string       `gorm:"size:24;not null"`
	PasswordHash string       `gorm:"size:200;not null;default:''"`
	Disabled     bool         `gorm:"not null;default:false"`
	LastLoginAt  *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (m0001User) TableName() string { return "users" }

type m0001Representative struct {
	ID        uint        `gorm:"primaryKey"`
	TenantID  uint        `gorm:"not null;index:idx_representatives_tenant_id"`
	Tenant    m0001Tenant `gorm:"foreignKey:TenantID;constraint:OnDelete:CASCADE"`
	Name      string      `gorm:"size:200;not null"`
	Email     string      `gorm:"size:254;not null"`
	Phone     string      `gorm:"size:20;not null;default:''"`
	Contact   bool        `gorm:"not null;default:false"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (m0001Representative) TableName() string { return "representatives" }

// Orders keep EnteredByID/ActivatedByID without foreign keys: the order
// history outlives the staff accounts that handled it.
type m0001Order struct {
	ID            uint        `gorm:"primaryKey"`
	TenantID      uint        `gorm:"not null;index:idx_orders_tenant_id"`
	Tenant        m0001Tenant `gorm:"foreignKey:TenantID;constraint:OnDelete:CASCADE"`
	Kind          string      `gorm:"size:16;not null"`
	Formula       string      `gorm:"size:32;not null"`
	Options       string      `gorm:"size:500;not null;default:''"`
	Status        string      `gorm:"size:16;not null"`
	DueAt         time.Time
	EnteredByID   uint `gorm:"not null"`
	ActivatedByID *uint
	ActivatedAt   *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (m0001Order) TableName() string { return "orders" }

type m0001Session struct {
	ID         string    `gorm:"primaryKey;size:64"`
	UserID     uint      `gorm:"not null;index:idx_sessions_user_id"`
	User       m0001User `gorm:"foreignKey:UserID;constraint:OnDelete:CASCADE"`
	CSRFToken  string    `gorm:"size:64;not null"`
	CreatedAt  time.Time `gorm:"not null;index:idx_sessions_created_at"`
	LastSeenAt time.Time `gorm:"not null;index:idx_sessions_last_seen_at"`
	IP         string    `gorm:"size:64;not null;default:''"`
	UserAgent  string    `gorm:"size:300;not null;default:''"`
}

func (m0001Session) TableName() string { return "sessions" }

type m0001LoginFailure struct {
	Key         string `gorm:"primaryKey;size:300"`
	Failures    int    `gorm:"not null"`
	FirstAt     time.Time
	LockedUntil *time.Time
}

func (m0001LoginFailure) TableName() string { return "login_failures" }

type m0001APIToken struct {
	ID         uint      `gorm:"primaryKey"`
	UserID     uint      `gorm:"not null;index:idx_api_tokens_user_id"`
	User       m0001User `gorm:"foreignKey:UserID;constraint:OnDelete:CASCADE"`
	Name       string    `gorm:"size:100;not null"`
	Prefix     string    `gorm:"size:16;not null"`
	Hash       string    `gorm:"size:64;not null;uniqueIndex:idx_api_tokens_hash"`
	CreatedAt  time.Time
	LastUsedAt *time.Time
	ExpiresAt  *time.Time
}

func (m0001APIToken) TableName() string { return "api_tokens" }

type m0001LoginLink struct {
	Hash      string    `gorm:"primaryKey;size:64"`
	UserID    uint      `gorm:"not null;index:idx_login_links_user_id"`
	User      m0001User `gorm:"foreignKey:UserID;constraint:OnDelete:CASCADE"`
	ExpiresAt time.Time
	UsedAt    *time.Time
	CreatedAt time.Time
}

func (m0001LoginLink) TableName() string { return "login_links" }

// Audit entries have no foreign keys: they outlive what they describe.
type m0001AuditEntry struct {
	ID         uint      `gorm:"primaryKey"`
	At         time.Time `gorm:"not null;index:idx_audit_entries_at"`
	ActorID    *uint
	ActorEmail string `gorm:"size:254;not null;default:''"`
	TenantID   *uint  `gorm:"index:idx_audit_entries_tenant_id"`
	Action     string `gorm:"size:64;not null"`
	ObjectType string `gorm:"size:32;not null"`
	ObjectID   string `gorm:"size:64;not null"`
	Before     string `gorm:"type:text;not null;default:''"`
	After      string `gorm:"type:text;not null;default:''"`
	RequestID  string `gorm:"size:64;not null;default:''"`
}

func (m0001AuditEntry) TableName() string { return "audit_entries" }

func m0001Initial(tx *gorm.DB) error {
	// Parents before children, for the foreign keys.
	tables := []any{
		&m0001Tenant{}, &m0001Entity{}, &m0001Number{}, &m0001User{},
		&m0001Representative{}, &m0001Order{}, &m0001Session{},
		&m0001LoginFailure{}, &m0001APIToken{}, &m0001LoginLink{},
		&m0001AuditEntry{},
	}
	for _, t := range tables {
		if err := tx.Migrator().CreateTable(t); err != nil {
			return fmt.Errorf("create table %T: %w", t, err)
		}
	}
	return nil
}
