package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	vms "github.com/vmsplatform/vms"
)

// Call record list limits.
const (
	DefaultCallLimit = 100
	MaxCallLimit     = 5000
)

// SaveCallRecord stores a call record and its legs in one transaction
// (TRM-8). Saving a CallID that is already stored keeps the stored record
// and succeeds, so a writer may retry after a lost reply. r.ID is set
// either way.
func (s *Store) SaveCallRecord(ctx context.Context, r *CallRecord) error {
	r.CallID = strings.TrimSpace(r.CallID)
	if r.CallID == "" {
		return vms.FieldError("call_id", "is required")
	}
	if r.ArrivedAt.IsZero() {
		return vms.FieldError("arrived_at", "is required")
	}
	utc(&r.ArrivedAt)
	utcPtr(r.AnsweredAt)
	utcPtr(r.EndedAt)
	for i := range r.Legs {
		utc(&r.Legs[i].StartedAt)
		utcPtr(r.Legs[i].AnsweredAt)
		utcPtr(r.Legs[i].EndedAt)
	}
	err := s.tx(ctx, func(db *gorm.DB) error {
		var existing CallRecord
		err := db.Select("id").Where("call_id = ?", r.CallID).Take(&existing).Error
		if err == nil {
			r.ID = existing.ID
			return nil
		}
		if err != gorm.ErrRecordNotFound {
			return fmt.Errorf("store: save call record: %w", err)
		}
		if err := db.Omit(clause.Associations).Create(r).Error; err != nil {
			return err
		}
		for i := range r.Legs {
			r.Legs[i].ID = 0
			r.Legs[i].CallRecordID = r.ID
			r.Legs[i].Seq = i + 1
		}
		if len(r.Legs) > 0 {
			if err := db.Create(&r.Legs).Error; err != nil {
				return fmt.Errorf("store: save call legs: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		if _, dup := uniqueViolation(err); dup {
			// A concurrent save of the same call won.
			var existing CallRecord
			if e := s.db.WithContext(ctx).Select("id").Where("call_id = ?", r.CallID).Take(&existing).Error; e == nil {
				r.ID = existing.ID
				return nil
			}
		}
		return fmt.Errorf("store: save call record %s: %w", r.CallID, err)
	}
	return nil
}

// The store keeps times in UTC at microsecond precision on both dialects.
func utc(t *time.Time) { *t = t.UTC().Truncate(time.Microsecond) }

func utcPtr(t *time.Time) {
	if t != nil {
		utc(t)
	}
}

// CallFilter selects call records of a tenant.
type CallFilter struct {
	// From and To bound the arrival time: From inclusive, To exclusive;
	// zero means unbounded.
	From, To time.Time
	// Number matches the caller or the dialed number exactly (E.164).
	Number string
	Limit  int
	Offset int
}

// ListCallRecords returns the tenant's call records, newest first, without
// legs. The limit defaults to DefaultCallLimit, capped at MaxCallLimit.
func (s *Store) ListCallRecords(ctx context.Context, tenantID uint, f CallFilter) ([]CallRecord, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultCallLimit
	}
	limit = min(limit, MaxCallLimit)
	q := s.db.WithContext(ctx).Where("tenant_id = ?", tenantID)
	if !f.From.IsZero() {
		q = q.Where("arrived_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("arrived_at < ?", f.To.UTC())
	}
	if f.Number != "" {
		q = q.Where("caller = ? OR dialed = ?", f.Number, f.Number)
	}
	if f.Offset > 0 {
		q = q.Offset(f.Offset)
	}
	var out []CallRecord
	if err := q.Order("arrived_at DESC, id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list call records: %w", err)
	}
	return out, nil
}

// GetCallRecord returns a call record of the tenant with its legs.
func (s *Store) GetCallRecord(ctx context.Context, tenantID, id uint) (*CallRecord, error) {
	var r CallRecord
	db := s.db.WithContext(ctx)
	if err := first(db.Where("id = ? AND tenant_id = ?", id, tenantID), &r, "call", id); err != nil {
		return nil, err
	}
	if err := db.Where("call_record_id = ?", r.ID).Order("seq").Find(&r.Legs).Error; err != nil {
		return nil, fmt.Errorf("store: get call legs: %w", err)
	}
	return &r, nil
}
