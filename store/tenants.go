package store

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	vms "github.com/vmsplatform/vms"
)

// CreateTenant creates a tenant; its status defaults to ordered.
func (s *Store) CreateTenant(ctx context.Context, a Actor, t *Tenant) error {
	t.Name = strings.TrimSpace(t.Name)
	if t.Name == "" {
		return vms.FieldError("name", "is required")
	}
	if t.Status == "" {
		t.Status = TenantOrdered
	}
	setTenantDefaults(t)
	return s.tx(ctx, func(db *gorm.DB) error {
		if err := db.Create(t).Error; err != nil {
			return translate(err, "create tenant")
		}
		return s.audit(db, a, auditRecord{action: "tenant.create", objectType: "tenant", objectID: t.ID, tenantID: ptr(t.ID), after: t})
	})
}

func setTenantDefaults(t *Tenant) {
	if t.TimeZone == "" {
		t.TimeZone = "Europe/Brussels"
	}
	if t.Region == "" {
		t.Region = "BE"
	}
}

// UpdateTenant saves every field of t except CreatedAt.
func (s *Store) UpdateTenant(ctx context.Context, a Actor, t *Tenant) error {
	t.Name = strings.TrimSpace(t.Name)
	if t.Name == "" {
		return vms.FieldError("name", "is required")
	}
	setTenantDefaults(t)
	return s.tx(ctx, func(db *gorm.DB) error {
		var before Tenant
		if err := first(db.Where("id = ?", t.ID), &before, "tenant", t.ID); err != nil {
			return err
		}
		t.CreatedAt = before.CreatedAt
		if err := db.Select("*").Omit("created_at").Updates(t).Error; err != nil {
			return translate(err, "update tenant")
		}
		return s.audit(db, a, auditRecord{action: "tenant.update", objectType: "tenant", objectID: t.ID, tenantID: ptr(t.ID), before: &before, after: t})
	})
}

// GetTenant returns one tenant.
func (s *Store) GetTenant(ctx context.Context, id uint) (*Tenant, error) {
	var t Tenant
	if err := first(s.db.WithContext(ctx).Where("id = ?", id), &t, "tenant", id); err != nil {
		return nil, err
	}
	return &t, nil
}

// ListTenants returns all tenants by name.
func (s *Store) ListTenants(ctx context.Context) ([]Tenant, error) {
	var out []Tenant
	if err := s.db.WithContext(ctx).Order("name, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list tenants: %w", err)
	}
	return out, nil
}
