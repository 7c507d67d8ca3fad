package store

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	vms "github.com/vmsplatform/vms"
)

// CreateSite creates a customer site (TRM-9), up.
func (s *Store) CreateSite(ctx context.Context, a Actor, site *Site) error {
	site.Name = strings.TrimSpace(site.Name)
	if site.Name == "" {
		return vms.FieldError("name", "is required")
	}
	return s.tx(ctx, func(db *gorm.DB) error {
		if err := db.Create(site).Error; err != nil {
			return uniqueAs(err, "create site", "name", "a site with this name already exists")
		}
		if err := bumpGeneration(db); err != nil {
			return err
		}
		return s.audit(db, a, auditRecord{action: "site.create", objectType: "site", objectID: site.ID, tenantID: ptr(site.TenantID), after: site})
	})
}

// ListSites returns the tenant's sites by name.
func (s *Store) ListSites(ctx context.Context, tenantID uint) ([]Site, error) {
	var out []Site
	if err := s.db.WithContext(ctx).Where("tenant_id = ?", tenantID).Order("name").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list sites: %w", err)
	}
	return out, nil
}

// GetSite returns a site of the tenant.
func (s *Store) GetSite(ctx context.Context, tenantID, id uint) (*Site, error) {
	var site Site
	if err := first(s.db.WithContext(ctx).Where("id = ? AND tenant_id = ?", id, tenantID), &site, "site", id); err != nil {
		return nil, err
	}
	return &site, nil
}

// SetSiteDown marks a site of the tenant down or up again (TRM-9): the
// next call skips (or uses again) every number at the site.
func (s *Store) SetSiteDown(ctx context.Context, a Actor, tenantID, id uint, down bool) (*Site, error) {
	var site Site
	err := s.tx(ctx, func(db *gorm.DB) error {
		if err := first(db.Where("id = ? AND tenant_id = ?", id, tenantID), &site, "site", id); err != nil {
			return err
		}
		before := site
		now := s.now()
		site.Down, site.ChangedAt, site.ChangedByID = down, &now, a.UserID
		if err := db.Model(&site).Select("down", "changed_at", "changed_by_id").Updates(&site).Error; err != nil {
			return translate(err, "set site down")
		}
		if err := bumpGeneration(db); err != nil {
			return err
		}
		action := "site.up"
		if down {
			action = "site.down"
		}
		return s.audit(db, a, auditRecord{action: action, objectType: "site", objectID: site.ID, tenantID: ptr(tenantID), before: &before, after: &site})
	})
	if err != nil {
		return nil, err
	}
	return &site, nil
}

// DeleteSite deletes a site of the tenant. Trees that still name it treat
// its numbers as up.
func (s *Store) DeleteSite(ctx context.Context, a Actor, tenantID, id uint) error {
	return s.tx(ctx, func(db *gorm.DB) error {
		var site Site
		if err := first(db.Where("id = ? AND tenant_id = ?", id, tenantID), &site, "site", id); err != nil {
			return err
		}
		if err := db.Delete(&Site{}, site.ID).Error; err != nil {
			return translate(err, "delete site")
		}
		if err := bumpGeneration(db); err != nil {
			return err
		}
		return s.audit(db, a, auditRecord{action: "site.delete", objectType: "site", objectID: site.ID, tenantID: ptr(tenantID), before: &site})
	})
}
