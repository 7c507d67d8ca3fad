package store

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	vms "github.com/vmsplatform/vms"
)

// CreateRepresentative records a person the tenant authorised (SD-5) or
// the contact person of an order (PRV-1).
func (s *Store) CreateRepresentative(ctx context.Context, a Actor, r *Representative) error {
	r.Name = strings.TrimSpace(r.Name)
	r.Email = NormalizeEmail(r.Email)
	if r.Name == "" {
		return vms.FieldError("name", "is required")
	}
	if r.Email == "" {
		return vms.FieldError("email", "is required")
	}
	return s.tx(ctx, func(db *gorm.DB) error {
		if err := db.Create(r).Error; err != nil {
			return translate(err, "create representative")
		}
		return s.audit(db, a, auditRecord{action: "representative.create", objectType: "representative", objectID: r.ID, tenantID: ptr(r.TenantID), after: r})
	})
}

// ListRepresentatives returns the tenant's representatives by name.
func (s *Store) ListRepresentatives(ctx context.Context, tenantID uint) ([]Representative, error) {
	var out []Representative
	if err := s.db.WithContext(ctx).Where("tenant_id = ?", tenantID).Order("name, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list representatives: %w", err)
	}
	return out, nil
}

// DeleteRepresentative deletes a representative of the tenant.
func (s *Store) DeleteRepresentative(ctx context.Context, a Actor, tenantID, id uint) error {
	return s.tx(ctx, func(db *gorm.DB) error {
		var before Representative
		if err := first(db.Where("id = ? AND tenant_id = ?", id, tenantID), &before, "representative", id); err != nil {
			return err
		}
		if err := db.Delete(&Representative{}, id).Error; err != nil {
			return translate(err, "delete representative")
		}
		return s.audit(db, a, auditRecord{action: "representative.delete", objectType: "representative", objectID: id, tenantID: ptr(tenantID), before: &before})
	})
}
