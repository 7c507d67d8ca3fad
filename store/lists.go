package store

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	vms "github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/routing"
)

// MaxListMembers bounds a caller list; the controller holds every list in
// memory.
const MaxListMembers = 10000

// CreateCallerList creates a caller list (TRM-3).
func (s *Store) CreateCallerList(ctx context.Context, a Actor, l *CallerList) error {
	l.Name = strings.TrimSpace(l.Name)
	if l.Name == "" {
		return vms.FieldError("name", "is required")
	}
	return s.tx(ctx, func(db *gorm.DB) error {
		if err := db.Create(l).Error; err != nil {
			return uniqueAs(err, "create caller list", "name", "a list with this name already exists")
		}
		if err := bumpGeneration(db); err != nil {
			return err
		}
		return s.audit(db, a, auditRecord{action: "list.create", objectType: "list", objectID: l.ID, tenantID: ptr(l.TenantID), after: l})
	})
}

// CallerListSummary is a caller list with its number of members.
type CallerListSummary struct {
	CallerList
	Members int
}

// ListCallerLists returns the tenant's caller lists by name with their
// member counts.
func (s *Store) ListCallerLists(ctx context.Context, tenantID uint) ([]CallerListSummary, error) {
	var out []CallerListSummary
	err := s.db.WithContext(ctx).Table("caller_lists l").
		Select("l.*, (SELECT COUNT(*) FROM caller_list_entries e WHERE e.list_id = l.id) AS members").
		Where("l.tenant_id = ?", tenantID).Order("l.name").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: list caller lists: %w", err)
	}
	return out, nil
}

// GetCallerList returns a caller list of the tenant.
func (s *Store) GetCallerList(ctx context.Context, tenantID, id uint) (*CallerList, error) {
	var l CallerList
	if err := first(s.db.WithContext(ctx).Where("id = ? AND tenant_id = ?", id, tenantID), &l, "list", id); err != nil {
		return nil, err
	}
	return &l, nil
}

// ListMembers returns the members of a caller list of the tenant.
func (s *Store) ListMembers(ctx context.Context, tenantID, listID uint) ([]CallerListEntry, error) {
	if _, err := s.GetCallerList(ctx, tenantID, listID); err != nil {
		return nil, err
	}
	var out []CallerListEntry
	if err := s.db.WithContext(ctx).Where("list_id = ?", listID).Order("e164").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list members: %w", err)
	}
	return out, nil
}

// AddListMember adds a number (E.164, normalised by the caller) to a list
// of the tenant. A number already in the list is ECONFLICT.
func (s *Store) AddListMember(ctx context.Context, a Actor, tenantID, listID uint, e164 string) (*CallerListEntry, error) {
	e := &CallerListEntry{ListID: listID, E164: strings.TrimSpace(e164)}
	if e.E164 == "" {
		return nil, vms.FieldError("number", "is required")
	}
	err := s.tx(ctx, func(db *gorm.DB) error {
		var l CallerList
		if err := first(db.Where("id = ? AND tenant_id = ?", listID, tenantID), &l, "list", listID); err != nil {
			return err
		}
		var n int64
		if err := db.Model(&CallerListEntry{}).Where("list_id = ?", listID).Count(&n).Error; err != nil {
			return fmt.Errorf("store: count list members: %w", err)
		}
		if n >= MaxListMembers {
			return vms.FieldError("number", "the list already has %d numbers, the most it can hold", MaxListMembers)
		}
		if err := db.Create(e).Error; err != nil {
			return uniqueAs(err, "add list member", "number", "this number is already in the list")
		}
		if err := bumpGeneration(db); err != nil {
			return err
		}
		return s.audit(db, a, auditRecord{action: "list.add", objectType: "list", objectID: l.ID, tenantID: ptr(tenantID), after: map[string]any{"List": l.Name, "E164": e.E164}})
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// RemoveListMember removes a number from a list of the tenant.
func (s *Store) RemoveListMember(ctx context.Context, a Actor, tenantID, listID uint, e164 string) error {
	return s.tx(ctx, func(db *gorm.DB) error {
		var l CallerList
		if err := first(db.Where("id = ? AND tenant_id = ?", listID, tenantID), &l, "list", listID); err != nil {
			return err
		}
		res := db.Where("list_id = ? AND e164 = ?", listID, e164).Delete(&CallerListEntry{})
		if res.Error != nil {
			return translate(res.Error, "remove list member")
		}
		if res.RowsAffected == 0 {
			return notFound("list member", e164)
		}
		if err := bumpGeneration(db); err != nil {
			return err
		}
		return s.audit(db, a, auditRecord{action: "list.remove", objectType: "list", objectID: l.ID, tenantID: ptr(tenantID), before: map[string]any{"List": l.Name, "E164": e164}})
	})
}

// DeleteCallerList deletes a list and its members; refused while a tree
// uses it.
func (s *Store) DeleteCallerList(ctx context.Context, a Actor, tenantID, id uint) error {
	return s.tx(ctx, func(db *gorm.DB) error {
		var l CallerList
		if err := first(db.Where("id = ? AND tenant_id = ?", id, tenantID), &l, "list", id); err != nil {
			return err
		}
		users, err := treesUsing(db, tenantID, 0, func(n *routing.Node) bool {
			for _, b := range n.Branches {
				if b.List == l.Name {
					return true
				}
			}
			return false
		})
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return vms.Errorf(vms.ECONFLICT, "list %q is used by tree %s; change the tree first", l.Name, strings.Join(users, ", "))
		}
		if err := db.Where("list_id = ?", l.ID).Delete(&CallerListEntry{}).Error; err != nil {
			return translate(err, "delete list members")
		}
		if err := db.Delete(&CallerList{}, l.ID).Error; err != nil {
			return translate(err, "delete caller list")
		}
		if err := bumpGeneration(db); err != nil {
			return err
		}
		return s.audit(db, a, auditRecord{action: "list.delete", objectType: "list", objectID: l.ID, tenantID: ptr(tenantID), before: &l})
	})
}
