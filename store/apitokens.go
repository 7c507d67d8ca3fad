package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	vms "github.com/vmsplatform/vms"
)

// CreateAPIToken stores an API token of a user. Only the token's SHA-256
// is stored, and the audit entry leaves it out.
func (s *Store) CreateAPIToken(ctx context.Context, a Actor, t *APIToken) error {
	t.Name = strings.TrimSpace(t.Name)
	if t.Name == "" {
		return vms.FieldError("name", "is required")
	}
	if t.Hash == "" {
		return vms.FieldError("token", "is required")
	}
	return s.tx(ctx, func(db *gorm.DB) error {
		var u User
		if err := first(db.Where("id = ?", t.UserID), &u, "user", t.UserID); err != nil {
			return err
		}
		if err := db.Create(t).Error; err != nil {
			return translate(err, "create api token")
		}
		return s.audit(db, a, auditRecord{action: "api_token.create", objectType: "api_token", objectID: t.ID, tenantID: u.TenantID, after: t})
	})
}

// APITokenByHash finds a token by the SHA-256 of its value.
func (s *Store) APITokenByHash(ctx context.Context, hash string) (*APIToken, error) {
	var t APIToken
	if err := first(s.db.WithContext(ctx).Where("hash = ?", hash), &t, "api token", "(by hash)"); err != nil {
		return nil, err
	}
	return &t, nil
}

// ListAPITokens returns a user's tokens, newest first.
func (s *Store) ListAPITokens(ctx context.Context, userID uint) ([]APIToken, error) {
	var out []APIToken
	if err := s.db.WithContext(ctx).Where("user_id = ?", userID).Order("created_at DESC, id DESC").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list api tokens: %w", err)
	}
	return out, nil
}

// DeleteAPIToken revokes a token of the user; another user's is ENOTFOUND.
func (s *Store) DeleteAPIToken(ctx context.Context, a Actor, userID, id uint) error {
	return s.tx(ctx, func(db *gorm.DB) error {
		var before APIToken
		if err := first(db.Where("id = ? AND user_id = ?", id, userID), &before, "api token", id); err != nil {
			return err
		}
		var u User
		if err := first(db.Where("id = ?", userID), &u, "user", userID); err != nil {
			return err
		}
		if err := db.Delete(&APIToken{}, id).Error; err != nil {
			return translate(err, "delete api token")
		}
		return s.audit(db, a, auditRecord{action: "api_token.delete", objectType: "api_token", objectID: id, tenantID: u.TenantID, before: &before})
	})
}

// TouchAPIToken records the use of a token (not audited).
func (s *Store) TouchAPIToken(ctx context.Context, id uint, at time.Time) error {
	res := s.db.WithContext(ctx).Model(&APIToken{}).Where("id = ?", id).UpdateColumn("last_used_at", at.UTC())
	if res.Error != nil {
		return fmt.Errorf("store: touch api token: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("api token", id)
	}
	return nil
}
