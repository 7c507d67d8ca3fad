package store

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	vms "github.com/vmsplatform/vms"
)

// checkNumber enforces the integrity the store owns: an E.164 value is
// present (normalisation is package phone's, NUM-4) and the entity, if any,
// belongs to the same tenant.
func checkNumber(db *gorm.DB, n *Number) error {
	n.E164 = strings.TrimSpace(n.E164)
	if n.E164 == "" {
		return vms.FieldError("number", "is required")
	}
	if n.Status == "" {
		return vms.FieldError("status", "is required")
	}
	if n.EntityID != nil {
		var c int64
		if err := db.Model(&Entity{}).Where("id = ? AND tenant_id = ?", *n.EntityID, n.TenantID).Count(&c).Error; err != nil {
			return fmt.Errorf("store: check entity: %w", err)
		}
		if c == 0 {
			return vms.FieldError("entity", "entity %d is not an entity of this tenant", *n.EntityID)
		}
	}
	return nil
}

// CreateNumber records a number of a tenant. E.164 values are unique
// across the platform: a duplicate is ECONFLICT on field "number".
func (s *Store) CreateNumber(ctx context.Context, a Actor, n *Number) error {
	return s.tx(ctx, func(db *gorm.DB) error {
		if err := checkNumber(db, n); err != nil {
			return err
		}
		if err := db.Create(n).Error; err != nil {
			return translate(err, "create number")
		}
		return s.audit(db, a, auditRecord{action: "number.create", objectType: "number", objectID: n.ID, tenantID: ptr(n.TenantID), after: n})
	})
}

// UpdateNumber saves every field of n except CreatedAt. n.TenantID must be
// the number's tenant: a number cannot move between tenants.
func (s *Store) UpdateNumber(ctx context.Context, a Actor, n *Number) error {
	return s.tx(ctx, func(db *gorm.DB) error {
		var before Number
		if err := first(db.Where("id = ? AND tenant_id = ?", n.ID, n.TenantID), &before, "number", n.ID); err != nil {
			return err
		}
		if err := checkNumber(db, n); err != nil {
			return err
		}
		n.CreatedAt = before.CreatedAt
		if err := db.Select("*").Omit("created_at").Updates(n).Error; err != nil {
			return translate(err, "update number")
		}
		return s.audit(db, a, auditRecord{action: "number.update", objectType: "number", objectID: n.ID, tenantID: ptr(n.TenantID), before: &before, after: n})
	})
}

// GetNumber returns a number of the tenant; another tenant's is ENOTFOUND.
func (s *Store) GetNumber(ctx context.Context, tenantID, id uint) (*Number, error) {
	var n Number
	if err := first(s.db.WithContext(ctx).Where("id = ? AND tenant_id = ?", id, tenantID), &n, "number", id); err != nil {
		return nil, err
	}
	return &n, nil
}

// ListNumbers returns the tenant's numbers in E.164 order.
func (s *Store) ListNumbers(ctx context.Context, tenantID uint) ([]Number, error) {
	var out []Number
	if err := s.db.WithContext(ctx).Where("tenant_id = ?", tenantID).Order("e164").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list numbers: %w", err)
	}
	return out, nil
}

// NumberByE164 finds a number by its E.164 value across all tenants (for
// call routing, NUM-4); the caller passes a normalised value.
func (s *Store) NumberByE164(ctx context.Context, e164 string) (*Number, error) {
	var n Number
	if err := first(s.db.WithContext(ctx).Where("e164 = ?", e164), &n, "number", e164); err != nil {
		return nil, err
	}
	return &n, nil
}

// DeleteNumber deletes a number of the tenant. A ported number (NUM-3) is
// normally kept with status ported instead, for its history.
func (s *Store) DeleteNumber(ctx context.Context, a Actor, tenantID, id uint) error {
	return s.tx(ctx, func(db *gorm.DB) error {
		var before Number
		if err := first(db.Where("id = ? AND tenant_id = ?", id, tenantID), &before, "number", id); err != nil {
			return err
		}
		if err := db.Delete(&Number{}, id).Error; err != nil {
			return translate(err, "delete number")
		}
		return s.audit(db, a, auditRecord{action: "number.delete", objectType: "number", objectID: id, tenantID: ptr(tenantID), before: &before})
	})
}
