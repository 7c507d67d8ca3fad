package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	vms "github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/access"
)

// NormalizeEmail is how e-mail addresses are stored and looked up:
// trimmed and lower-cased.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

func checkUser(u *User) error {
	u.Email = NormalizeEmail(u.Email)
	u.Name = strings.TrimSpace(u.Name)
	if u.Email == "" {
		return vms.FieldError("email", "is required")
	}
	if u.Role == "" {
		return vms.FieldError("role", "is required")
	}
	return nil
}

// CreateUser creates a user. E-mail addresses are unique across the
// platform: a duplicate is ECONFLICT on field "email".
func (s *Store) CreateUser(ctx context.Context, a Actor, u *User) error {
	if err := checkUser(u); err != nil {
		return err
	}
	return s.tx(ctx, func(db *gorm.DB) error {
		if err := db.Create(u).Error; err != nil {
			return translate(err, "create user")
		}
		return s.audit(db, a, auditRecord{action: "user.create", objectType: "user", objectID: u.ID, tenantID: u.TenantID, after: u})
	})
}

// userColumns are the columns UpdateUser writes; the password hash and the
// last login have their own methods.
var userColumns = []string{"tenant_id", "email", "name", "role", "disabled", "updated_at"}

// UpdateUser saves the tenant, e-mail, name, role and disabled flag of u.
// It never changes the password hash (see SetPassword).
func (s *Store) UpdateUser(ctx context.Context, a Actor, u *User) error {
	if err := checkUser(u); err != nil {
		return err
	}
	return s.tx(ctx, func(db *gorm.DB) error {
		var before User
		if err := first(db.Where("id = ?", u.ID), &before, "user", u.ID); err != nil {
			return err
		}
		// An agent's account keeps a role that may take contacts: the
		// agent is removed first, on purpose, with its group levels.
		if r := access.Role(u.Role); r != access.Agent && r != access.Supervisor {
			var n int64
			if err := db.Model(&Agent{}).Where("user_id = ?", u.ID).Count(&n).Error; err != nil {
				return translate(err, "update user")
			}
			if n > 0 {
				return vms.FieldError("role", "the user is an agent; remove the agent first (contact centre, agents)")
			}
		}
		if before.Disabled != u.Disabled {
			// The contact centre logs a disabled agent out at its next load.
			if err := bumpGeneration(db); err != nil {
				return err
			}
		}
		if err := db.Model(u).Select(userColumns).Updates(u).Error; err != nil {
			return translate(err, "update user")
		}
		var after User
		if err := first(db.Where("id = ?", u.ID), &after, "user", u.ID); err != nil {
			return err
		}
		*u = after
		tenant := after.TenantID
		if tenant == nil {
			tenant = before.TenantID
		}
		return s.audit(db, a, auditRecord{action: "user.update", objectType: "user", objectID: u.ID, tenantID: tenant, before: &before, after: &after})
	})
}

// GetUser returns one user.
func (s *Store) GetUser(ctx context.Context, id uint) (*User, error) {
	var u User
	if err := first(s.db.WithContext(ctx).Where("id = ?", id), &u, "user", id); err != nil {
		return nil, err
	}
	return &u, nil
}

// UserByEmail finds a user by e-mail address, in any case and spacing.
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	email = NormalizeEmail(email)
	var u User
	if err := first(s.db.WithContext(ctx).Where("email = ?", email), &u, "user", email); err != nil {
		return nil, err
	}
	return &u, nil
}

// ListUsers lists a tenant's users, or operator staff when tenantID is nil.
func (s *Store) ListUsers(ctx context.Context, tenantID *uint) ([]User, error) {
	q := s.db.WithContext(ctx).Order("email")
	if tenantID == nil {
		q = q.Where("tenant_id IS NULL")
	} else {
		q = q.Where("tenant_id = ?", *tenantID)
	}
	var out []User
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	return out, nil
}

// DeleteUser deletes a user with its sessions, API tokens and login links.
func (s *Store) DeleteUser(ctx context.Context, a Actor, id uint) error {
	return s.tx(ctx, func(db *gorm.DB) error {
		var before User
		if err := first(db.Where("id = ?", id), &before, "user", id); err != nil {
			return err
		}
		// Explicit, not only ON DELETE CASCADE: the dependants go even on a
		// database whose foreign keys were switched off.
		for _, dep := range []any{&Session{}, &APIToken{}, &LoginLink{}} {
			if err := db.Where("user_id = ?", id).Delete(dep).Error; err != nil {
				return fmt.Errorf("store: delete user %d: %T: %w", id, dep, err)
			}
		}
		// A user who is an agent takes the agent and its group levels along;
		// the contact centre drops the agent at its next load.
		var agents []Agent
		if err := db.Where("user_id = ?", id).Find(&agents).Error; err != nil {
			return fmt.Errorf("store: delete user %d: agents: %w", id, err)
		}
		for _, ag := range agents {
			if err := db.Where("agent_id = ?", ag.ID).Delete(&AgentMembership{}).Error; err != nil {
				return fmt.Errorf("store: delete user %d: memberships: %w", id, err)
			}
			if err := db.Delete(&Agent{}, ag.ID).Error; err != nil {
				return translate(err, "delete user's agent")
			}
		}
		if len(agents) > 0 {
			if err := bumpGeneration(db); err != nil {
				return err
			}
		}
		if err := db.Delete(&User{}, id).Error; err != nil {
			return translate(err, "delete user")
		}
		return s.audit(db, a, auditRecord{action: "user.delete", objectType: "user", objectID: id, tenantID: before.TenantID, before: &before})
	})
}

// SetPassword stores a new password hash (audited without the hash).
func (s *Store) SetPassword(ctx context.Context, a Actor, userID uint, hash string) error {
	return s.tx(ctx, func(db *gorm.DB) error {
		var u User
		if err := first(db.Where("id = ?", userID), &u, "user", userID); err != nil {
			return err
		}
		res := db.Model(&User{}).Where("id = ?", userID).Updates(map[string]any{"password_hash": hash, "updated_at": s.now()})
		if res.Error != nil {
			return fmt.Errorf("store: set password: %w", res.Error)
		}
		return s.audit(db, a, auditRecord{action: "user.password", objectType: "user", objectID: userID, tenantID: u.TenantID})
	})
}

// TouchLogin records a successful login. It is not audited: the login is
// an event, not a change of the user.
func (s *Store) TouchLogin(ctx context.Context, userID uint, at time.Time) error {
	res := s.db.WithContext(ctx).Model(&User{}).Where("id = ?", userID).UpdateColumn("last_login_at", at.UTC())
	if res.Error != nil {
		return fmt.Errorf("store: touch login: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("user", userID)
	}
	return nil
}
