package store

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	vms "github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/calllist"
	"github.com/vmsplatform/vms/campaign"
)

// Call lists of outbound campaigns (OUT-1). The tenant's limits are
// checked inside the write transaction, after counting, so that two
// concurrent uploads cannot both slip under a limit.

// maxCallListName is the longest list, message or campaign name.
const maxCallListName = 100

// checkObjectName trims and checks the name of a list, message or
// campaign.
func checkObjectName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", vms.FieldError("name", "is required")
	case utf8.RuneCountInString(name) > maxCallListName:
		return "", vms.FieldError("name", "is longer than %d characters", maxCallListName)
	case strings.ContainsFunc(name, unicode.IsControl):
		return "", vms.FieldError("name", "holds control characters")
	}
	return name, nil
}

// limitError turns a *campaign.LimitError into the user's refusal.
func limitError(err error, field string) error {
	if le, ok := err.(*campaign.LimitError); ok {
		return &vms.Error{Code: vms.ECONFLICT, Field: field, Message: strings.Join(le.Refusals, "; ")}
	}
	return err
}

// lockTenant serialises the limit-checked writes of one tenant: on
// PostgreSQL it locks the tenant's row until the transaction ends, so that
// two concurrent writes cannot both count under a limit; SQLite's
// IMMEDIATE transactions already run one writer at a time. A missing
// tenant is ENOTFOUND.
func (s *Store) lockTenant(db *gorm.DB, tenantID uint) error {
	q := db.Model(&Tenant{}).Select("id").Where("id = ?", tenantID)
	if s.dialect == DialectPostgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var ids []uint
	if err := q.Pluck("id", &ids).Error; err != nil {
		return fmt.Errorf("store: lock tenant: %w", err)
	}
	if len(ids) == 0 {
		return notFound("tenant", tenantID)
	}
	return nil
}

// campaignLimits reads the tenant's limits on db (defaults when unset).
func campaignLimits(db *gorm.DB, tenantID uint) (*CampaignLimits, error) {
	var l CampaignLimits
	err := db.Where("tenant_id = ?", tenantID).Limit(1).Find(&l).Error
	if err != nil {
		return nil, fmt.Errorf("store: campaign limits: %w", err)
	}
	if l.TenantID == 0 {
		return defaultCampaignLimits(tenantID), nil
	}
	return &l, nil
}

// GetCampaignLimits returns the tenant's outbound limits: those the
// operator set, or campaign.DefaultLimits().
func (s *Store) GetCampaignLimits(ctx context.Context, tenantID uint) (*CampaignLimits, error) {
	return campaignLimits(s.db.WithContext(ctx), tenantID)
}

// SetCampaignLimits sets the tenant's outbound limits. Only the operator
// may (checked at the portal edge). Limits below what the tenant already
// uses are accepted: they refuse new lists and campaigns, never delete.
func (s *Store) SetCampaignLimits(ctx context.Context, a Actor, tenantID uint, l campaign.Limits) (*CampaignLimits, error) {
	if err := l.Validate(); err != nil {
		return nil, firstProblem(err)
	}
	row := &CampaignLimits{TenantID: tenantID, Lists: l.Lists, NumbersPerList: l.NumbersPerList, Scheduled: l.Scheduled,
		Running: l.Running, MinPaceSeconds: int(l.MinPace.Round(1e9) / 1e9)}
	err := s.tx(ctx, func(db *gorm.DB) error {
		var t Tenant
		if err := first(db.Where("id = ?", tenantID), &t, "tenant", tenantID); err != nil {
			return err
		}
		before, err := campaignLimits(db, tenantID)
		if err != nil {
			return err
		}
		row.UpdatedAt = s.now()
		if err := db.Clauses(clause.OnConflict{UpdateAll: true}).Create(row).Error; err != nil {
			return translate(err, "set campaign limits")
		}
		return s.audit(db, a, auditRecord{action: "campaign_limits.set", objectType: "tenant", objectID: tenantID,
			tenantID: ptr(tenantID), before: before, after: row})
	})
	if err != nil {
		return nil, err
	}
	return row, nil
}

// firstProblem turns a *campaign.ValidationError into a field error naming
// its first problem (callers that show every problem call campaign.Compile
// or Limits.Validate themselves at the edge).
func firstProblem(err error) error {
	ve, ok := err.(*campaign.ValidationError)
	if !ok || len(ve.Problems) == 0 {
		return err
	}
	p := ve.Problems[0]
	return vms.FieldError(p.Field, "%s", p.Message)
}

// entryRows converts parsed entries to rows of list listID.
func entryRows(listID uint, entries []calllist.Entry) ([]CallListEntry, error) {
	rows := make([]CallListEntry, len(entries))
	seen := make(map[string]int, len(entries))
	for i, e := range entries {
		if !campaign.IsE164(e.Number) {
			return nil, vms.FieldError("number", "line %d: %q is not a number in E.164 form", e.Line, e.Number)
		}
		if l, dup := seen[e.Number]; dup {
			return nil, vms.FieldError("number", "line %d: %s is already on line %d", e.Line, e.Number, l)
		}
		seen[e.Number] = e.Line
		if utf8.RuneCountInString(e.Name) > 200 {
			return nil, vms.FieldError("name", "line %d: the name is longer than 200 characters", e.Line)
		}
		rows[i] = CallListEntry{ListID: listID, Line: e.Line, Name: e.Name, E164: e.Number, Extra: encodeExtra(e.Fields)}
	}
	return rows, nil
}

// insertEntries writes rows in batches.
func insertEntries(db *gorm.DB, rows []CallListEntry) error {
	if len(rows) == 0 {
		return nil
	}
	if err := db.CreateInBatches(rows, 500).Error; err != nil {
		return uniqueAs(err, "save call list entries", "number", "a number is on the list twice")
	}
	return nil
}

// CreateCallList saves a call list of the tenant with its entries, all or
// nothing. It is refused when the tenant would have more lists than its
// limit, or the list more numbers (never truncated).
func (s *Store) CreateCallList(ctx context.Context, a Actor, tenantID uint, name string, entries []calllist.Entry) (*CallList, error) {
	name, err := checkObjectName(name)
	if err != nil {
		return nil, err
	}
	if _, err := entryRows(0, entries); err != nil {
		return nil, err
	}
	l := &CallList{TenantID: tenantID, Name: name, Size: len(entries)}
	err = s.tx(ctx, func(db *gorm.DB) error {
		if err := s.lockTenant(db, tenantID); err != nil {
			return err
		}
		lim, err := campaignLimits(db, tenantID)
		if err != nil {
			return err
		}
		var n int64
		if err := db.Model(&CallList{}).Where("tenant_id = ?", tenantID).Count(&n).Error; err != nil {
			return fmt.Errorf("store: count call lists: %w", err)
		}
		if err := lim.Limits().Check(campaign.Usage{Lists: int(n) + 1}); err != nil {
			return limitError(err, "name")
		}
		if err := lim.Limits().Check(campaign.Usage{ListSize: len(entries)}); err != nil {
			return limitError(err, "file")
		}
		if err := db.Create(l).Error; err != nil {
			return uniqueAs(err, "create call list", "name", "a call list with this name already exists")
		}
		rows, _ := entryRows(l.ID, entries)
		if err := insertEntries(db, rows); err != nil {
			return err
		}
		return s.audit(db, a, auditRecord{action: "call_list.create", objectType: "call_list", objectID: l.ID, tenantID: ptr(tenantID), after: l})
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// ReplaceCallListEntries replaces every entry of a list, all or nothing,
// within the tenant's limit of numbers per list. Campaigns already
// scheduled keep the contacts they froze.
func (s *Store) ReplaceCallListEntries(ctx context.Context, a Actor, tenantID, listID uint, entries []calllist.Entry) (*CallList, error) {
	rows, err := entryRows(listID, entries)
	if err != nil {
		return nil, err
	}
	var l CallList
	err = s.tx(ctx, func(db *gorm.DB) error {
		if err := first(db.Where("id = ? AND tenant_id = ?", listID, tenantID), &l, "call list", listID); err != nil {
			return err
		}
		before := l
		if err := s.lockTenant(db, tenantID); err != nil {
			return err
		}
		lim, err := campaignLimits(db, tenantID)
		if err != nil {
			return err
		}
		if err := lim.Limits().Check(campaign.Usage{ListSize: len(entries)}); err != nil {
			return limitError(err, "file")
		}
		if err := db.Where("list_id = ?", listID).Delete(&CallListEntry{}).Error; err != nil {
			return translate(err, "replace call list entries")
		}
		if err := insertEntries(db, rows); err != nil {
			return err
		}
		l.Size = len(entries)
		l.UpdatedAt = s.now()
		if err := db.Model(&l).Select("size", "updated_at").Updates(&l).Error; err != nil {
			return translate(err, "replace call list entries")
		}
		return s.audit(db, a, auditRecord{action: "call_list.replace", objectType: "call_list", objectID: l.ID, tenantID: ptr(tenantID), before: &before, after: &l})
	})
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// AddCallListEntry adds one number (already normalised to E.164 by the
// caller) to a list, within the tenant's limit of numbers per list.
func (s *Store) AddCallListEntry(ctx context.Context, a Actor, tenantID, listID uint, e calllist.Entry) (*CallListEntry, error) {
	e.Name = strings.TrimSpace(e.Name)
	if !campaign.IsE164(e.Number) {
		return nil, vms.FieldError("number", "%q is not a number in E.164 form", e.Number)
	}
	if utf8.RuneCountInString(e.Name) > 200 {
		return nil, vms.FieldError("name", "is longer than 200 characters")
	}
	row := &CallListEntry{ListID: listID, Name: e.Name, E164: e.Number, Extra: encodeExtra(e.Fields)}
	err := s.tx(ctx, func(db *gorm.DB) error {
		var l CallList
		if err := first(db.Where("id = ? AND tenant_id = ?", listID, tenantID), &l, "call list", listID); err != nil {
			return err
		}
		if err := s.lockTenant(db, tenantID); err != nil {
			return err
		}
		lim, err := campaignLimits(db, tenantID)
		if err != nil {
			return err
		}
		var n int64
		if err := db.Model(&CallListEntry{}).Where("list_id = ?", listID).Count(&n).Error; err != nil {
			return fmt.Errorf("store: count call list entries: %w", err)
		}
		if err := lim.Limits().Check(campaign.Usage{ListSize: int(n) + 1}); err != nil {
			return limitError(err, "number")
		}
		var last struct{ Line int }
		if err := db.Model(&CallListEntry{}).Select("COALESCE(MAX(line), 0) AS line").Where("list_id = ?", listID).Scan(&last).Error; err != nil {
			return fmt.Errorf("store: add call list entry: %w", err)
		}
		row.Line = last.Line + 1
		if err := db.Create(row).Error; err != nil {
			return uniqueAs(err, "add call list entry", "number", "this number is already on the list")
		}
		if err := db.Model(&CallList{}).Where("id = ?", listID).Updates(map[string]any{"size": n + 1, "updated_at": s.now()}).Error; err != nil {
			return translate(err, "add call list entry")
		}
		return s.audit(db, a, auditRecord{action: "call_list.add_entry", objectType: "call_list", objectID: listID, tenantID: ptr(tenantID), after: row})
	})
	if err != nil {
		return nil, err
	}
	return row, nil
}

// RemoveCallListEntry removes one entry of a list.
func (s *Store) RemoveCallListEntry(ctx context.Context, a Actor, tenantID, listID, entryID uint) error {
	return s.tx(ctx, func(db *gorm.DB) error {
		var l CallList
		if err := first(db.Where("id = ? AND tenant_id = ?", listID, tenantID), &l, "call list", listID); err != nil {
			return err
		}
		var e CallListEntry
		if err := first(db.Where("id = ? AND list_id = ?", entryID, listID), &e, "call list entry", entryID); err != nil {
			return err
		}
		if err := db.Delete(&CallListEntry{}, e.ID).Error; err != nil {
			return translate(err, "remove call list entry")
		}
		if err := db.Model(&CallList{}).Where("id = ?", listID).Updates(map[string]any{"size": gorm.Expr("size - 1"), "updated_at": s.now()}).Error; err != nil {
			return translate(err, "remove call list entry")
		}
		return s.audit(db, a, auditRecord{action: "call_list.remove_entry", objectType: "call_list", objectID: listID, tenantID: ptr(tenantID), before: &e})
	})
}

// DeleteCallList deletes a list with its entries. It is refused while a
// campaign that is not finished (draft, scheduled, running or paused)
// uses it; finished campaigns keep their frozen contacts and lose the
// link.
func (s *Store) DeleteCallList(ctx context.Context, a Actor, tenantID, id uint) error {
	return s.tx(ctx, func(db *gorm.DB) error {
		var l CallList
		if err := first(db.Where("id = ? AND tenant_id = ?", id, tenantID), &l, "call list", id); err != nil {
			return err
		}
		var users []string
		if err := db.Model(&Campaign{}).
			Where("state IN ? AND id IN (?)", []string{CampaignDraft, CampaignScheduled, CampaignRunning, CampaignPaused},
				db.Model(&CampaignList{}).Select("campaign_id").Where("list_id = ?", id)).
			Order("name").Pluck("name", &users).Error; err != nil {
			return fmt.Errorf("store: delete call list: %w", err)
		}
		if len(users) > 0 {
			return &vms.Error{Code: vms.ECONFLICT, Field: "list", Message: "is used by campaign " + strings.Join(users, ", ")}
		}
		if err := db.Where("list_id = ?", id).Delete(&CampaignList{}).Error; err != nil {
			return translate(err, "delete call list")
		}
		if err := db.Where("list_id = ?", id).Delete(&CallListEntry{}).Error; err != nil {
			return translate(err, "delete call list")
		}
		if err := db.Delete(&CallList{}, id).Error; err != nil {
			return translate(err, "delete call list")
		}
		return s.audit(db, a, auditRecord{action: "call_list.delete", objectType: "call_list", objectID: id, tenantID: ptr(tenantID), before: &l})
	})
}

// ListCallLists returns the tenant's call lists by name.
func (s *Store) ListCallLists(ctx context.Context, tenantID uint) ([]CallList, error) {
	var out []CallList
	if err := s.db.WithContext(ctx).Where("tenant_id = ?", tenantID).Order("name, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list call lists: %w", err)
	}
	return out, nil
}

// GetCallList returns a call list of the tenant; another tenant's is
// ENOTFOUND.
func (s *Store) GetCallList(ctx context.Context, tenantID, id uint) (*CallList, error) {
	var l CallList
	if err := first(s.db.WithContext(ctx).Where("id = ? AND tenant_id = ?", id, tenantID), &l, "call list", id); err != nil {
		return nil, err
	}
	return &l, nil
}

// CallListEntries returns the entries of a list of the tenant in line
// order.
func (s *Store) CallListEntries(ctx context.Context, tenantID, listID uint) ([]CallListEntry, error) {
	if _, err := s.GetCallList(ctx, tenantID, listID); err != nil {
		return nil, err
	}
	var out []CallListEntry
	if err := s.db.WithContext(ctx).Where("list_id = ?", listID).Order("line, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: call list entries: %w", err)
	}
	return out, nil
}
