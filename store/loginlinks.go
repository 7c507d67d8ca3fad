package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	vms "github.com/vmsplatform/vms"
)

// CreateLoginLink stores a one-time login link (PRV-1). Only its hash is
// stored, and the audit entry carries neither.
func (s *Store) CreateLoginLink(ctx context.Context, l *LoginLink) error {
	return s.tx(ctx, func(db *gorm.DB) error {
		var u User
		if err := first(db.Where("id = ?", l.UserID), &u, "user", l.UserID); err != nil {
			return err
		}
		var tenant uint
		if u.TenantID != nil {
			tenant = *u.TenantID
		}
		return s.createLoginLink(db, System, tenant, l)
	})
}

// createLoginLink inserts l and audits it on db; tenantID 0 means none.
func (s *Store) createLoginLink(db *gorm.DB, a Actor, tenantID uint, l *LoginLink) error {
	l.ExpiresAt = l.ExpiresAt.UTC()
	if err := db.Create(l).Error; err != nil {
		return translate(err, "create login link")
	}
	var t *uint
	if tenantID != 0 {
		t = ptr(tenantID)
	}
	return s.audit(db, a, auditRecord{action: "login_link.create", objectType: "user", objectID: l.UserID, tenantID: t,
		after: map[string]any{"UserID": l.UserID, "ExpiresAt": l.ExpiresAt}})
}

// ConsumeLoginLink marks the link used and returns its user; a used,
// expired or unknown link is ENOTFOUND. A link works exactly once, even
// under concurrent calls.
func (s *Store) ConsumeLoginLink(ctx context.Context, hash string, now time.Time) (*User, error) {
	var u User
	err := s.tx(ctx, func(db *gorm.DB) error {
		now := now.UTC()
		res := db.Model(&LoginLink{}).
			Where("hash = ? AND used_at IS NULL AND expires_at > ?", hash, now).
			UpdateColumn("used_at", now)
		if res.Error != nil {
			return fmt.Errorf("store: consume login link: %w", res.Error)
		}
		if res.RowsAffected != 1 {
			return vms.Errorf(vms.ENOTFOUND, "login link is unknown, used or expired")
		}
		var l LoginLink
		if err := first(db.Where("hash = ?", hash), &l, "login link", "(by hash)"); err != nil {
			return err
		}
		return first(db.Where("id = ?", l.UserID), &u, "user", l.UserID)
	})
	if err != nil {
		return nil, err
	}
	return &u, nil
}
