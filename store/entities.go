package store

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	vms "github.com/vmsplatform/vms"
)

// CreateEntity records an affiliated entity of a tenant (NUM-1).
func (s *Store) CreateEntity(ctx context.Context, a Actor, e *Entity) error {
	e.Name = strings.TrimSpace(e.Name)
	if e.Name == "" {
		return vms.FieldError("name", "is required")
	}
	return s.tx(ctx, func(db *gorm.DB) error {
		if err := db.Create(e).Error; err != nil {
			return translate(err, "create entity")
		}
		return s.audit(db, a, auditRecord{action: "entity.create", objectType: "entity", objectID: e.ID, tenantID: ptr(e.TenantID), after: e})
	})
}

// GetEntity returns an entity of the tenant; another tenant's is ENOTFOUND.
func (s *Store) GetEntity(ctx context.Context, tenantID, id uint) (*Entity, error) {
	var e Entity
	if err := first(s.db.WithContext(ctx).Where("id = ? AND tenant_id = ?", id, tenantID), &e, "entity", id); err != nil {
		return nil, err
	}
	return &e, nil
}

// ListEntities returns the tenant's entities by name.
func (s *Store) ListEntities(ctx context.Context, tenantID uint) ([]Entity, error) {
	var out []Entity
	if err := s.db.WithContext(ctx).Where("tenant_id = ?", tenantID).Order("name, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list entities: %w", err)
	}
	return out, nil
}

// DeleteEntity deletes an entity of the tenant. An entity that still has
// numbers is ECONFLICT.
func (s *Store) DeleteEntity(ctx context.Context, a Actor, tenantID, id uint) error {
	return s.tx(ctx, func(db *gorm.DB) error {
		var before Entity
		if err := first(db.Where("id = ? AND tenant_id = ?", id, tenantID), &before, "entity", id); err != nil {
			return err
		}
		var n int64
		if err := db.Model(&Number{}).Where("entity_id = ?", id).Count(&n).Error; err != nil {
			return fmt.Errorf("store: delete entity: %w", err)
		}
		if n > 0 {
			return vms.Errorf(vms.ECONFLICT, "entity %d still has %d number(s)", id, n)
		}
		if err := db.Delete(&Entity{}, id).Error; err != nil {
			return translate(err, "delete entity")
		}
		return s.audit(db, a, auditRecord{action: "entity.delete", objectType: "entity", objectID: id, tenantID: ptr(tenantID), before: &before})
	})
}
