package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"gorm.io/gorm"
)

// AuditFilter selects audit entries; TenantID nil means all (operator view).
type AuditFilter struct {
	TenantID *uint
	Limit    int
	Offset   int
}

// Audit list limits.
const (
	DefaultAuditLimit = 100
	MaxAuditLimit     = 1000
)

// secretFields are never copied into an audit entry (POR-4 records the
// change, not the secrets).
var secretFields = []string{"PasswordHash", "Hash"}

// snapshot returns the JSON of v for an audit entry, without secrets and
// without the association fields GORM might have loaded.
func snapshot(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("audit snapshot: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return "", fmt.Errorf("audit snapshot: %w", err)
	}
	for _, f := range secretFields {
		delete(m, f)
	}
	b, err = json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("audit snapshot: %w", err)
	}
	return string(b), nil
}

// auditRecord describes one change to audit.
type auditRecord struct {
	action     string // "number.create"
	objectType string // "number"
	objectID   any
	tenantID   *uint
	before     any // nil on create
	after      any // nil on delete
}

// audit writes one audit entry on db, which must be the transaction of the
// change it records.
func (s *Store) audit(db *gorm.DB, a Actor, r auditRecord) error {
	before, err := snapshot(r.before)
	if err != nil {
		return err
	}
	after, err := snapshot(r.after)
	if err != nil {
		return err
	}
	e := AuditEntry{
		At:         s.now(),
		ActorID:    a.UserID,
		ActorEmail: a.Email,
		TenantID:   r.tenantID,
		Action:     r.action,
		ObjectType: r.objectType,
		ObjectID:   objectID(r.objectID),
		Before:     before,
		After:      after,
		RequestID:  a.RequestID,
	}
	if err := db.Create(&e).Error; err != nil {
		return fmt.Errorf("store: write audit entry %s: %w", r.action, err)
	}
	return nil
}

func objectID(v any) string {
	switch id := v.(type) {
	case uint:
		return strconv.FormatUint(uint64(id), 10)
	case string:
		return id
	default:
		return fmt.Sprint(id)
	}
}

// ListAudit returns audit entries newest first (POR-4). The limit defaults
// to DefaultAuditLimit and is capped at MaxAuditLimit.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultAuditLimit
	}
	if limit > MaxAuditLimit {
		limit = MaxAuditLimit
	}
	q := s.db.WithContext(ctx).Order("at DESC, id DESC").Limit(limit)
	if f.Offset > 0 {
		q = q.Offset(f.Offset)
	}
	if f.TenantID != nil {
		q = q.Where("tenant_id = ?", *f.TenantID)
	}
	var out []AuditEntry
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list audit: %w", err)
	}
	return out, nil
}

func ptr[T any](v T) *T { return &v }
