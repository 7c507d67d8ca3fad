package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	vms "github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/routing"
)

// MaxTreeDocument is the largest routing document the store keeps.
const MaxTreeDocument = 2 << 20

// uniqueAs turns a unique violation of a routing table into a conflict on
// field, and anything else into translate's answer.
func uniqueAs(err error, op, field, msg string) error {
	if err == nil {
		return nil
	}
	if _, ok := uniqueViolation(err); ok {
		return &vms.Error{Code: vms.ECONFLICT, Field: field, Message: msg}
	}
	return translate(err, op)
}

// RoutingGeneration returns the routing generation: a counter bumped in
// the same transaction as every write that changes routing (trees,
// numbers, tenants, lists, sites, prompts). A cache reloads the
// RoutingSnapshot when it changes.
func (s *Store) RoutingGeneration(ctx context.Context) (int64, error) {
	var g routingGeneration
	if err := s.db.WithContext(ctx).Where("id = 1").Take(&g).Error; err != nil {
		return 0, fmt.Errorf("store: routing generation: %w", err)
	}
	return g.Generation, nil
}

func checkDocument(doc []byte) error {
	if len(doc) == 0 {
		return vms.FieldError("document", "is required")
	}
	if len(doc) > MaxTreeDocument {
		return vms.FieldError("document", "is larger than %d bytes", MaxTreeDocument)
	}
	if !json.Valid(doc) {
		return vms.FieldError("document", "is not valid JSON")
	}
	return nil
}

// CreateTree creates a tree with its first version. The caller validates
// the document (routing.Validate); the store only checks it is JSON.
func (s *Store) CreateTree(ctx context.Context, a Actor, t *RoutingTree, doc []byte, comment string) (*RoutingTreeVersion, error) {
	t.Key, t.Name = strings.TrimSpace(t.Key), strings.TrimSpace(t.Name)
	if t.Key == "" {
		return nil, vms.FieldError("key", "is required")
	}
	if t.Name == "" {
		t.Name = t.Key
	}
	if err := checkDocument(doc); err != nil {
		return nil, err
	}
	var v *RoutingTreeVersion
	err := s.tx(ctx, func(db *gorm.DB) error {
		t.Version = 1
		if err := db.Create(t).Error; err != nil {
			return uniqueAs(err, "create tree", "key", "a tree with this key already exists")
		}
		v = &RoutingTreeVersion{TreeID: t.ID, TenantID: t.TenantID, Version: 1, Document: string(doc), Comment: comment, CreatedByID: a.UserID}
		if err := db.Create(v).Error; err != nil {
			return translate(err, "create tree version")
		}
		if err := bumpGeneration(db); err != nil {
			return err
		}
		return s.audit(db, a, auditRecord{action: "tree.create", objectType: "tree", objectID: t.ID, tenantID: ptr(t.TenantID), after: treeAudit(t, v)})
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// treeAudit is what the audit log keeps of a tree change.
func treeAudit(t *RoutingTree, v *RoutingTreeVersion) any {
	m := map[string]any{"Key": t.Key, "Name": t.Name, "Version": t.Version}
	if v != nil {
		m["Comment"] = v.Comment
		m["Document"] = json.RawMessage(v.Document)
	}
	return m
}

// SaveTreeVersion saves doc as the next version of the tree (TRM-6).
// base is the version the editor started from: when another version was
// saved meanwhile the save is refused (ECONFLICT); 0 skips the check.
func (s *Store) SaveTreeVersion(ctx context.Context, a Actor, tenantID, treeID uint, base int, doc []byte, comment string) (*RoutingTreeVersion, error) {
	if err := checkDocument(doc); err != nil {
		return nil, err
	}
	return s.addVersion(ctx, a, tenantID, treeID, base, "tree.save", func(*gorm.DB) (string, string, error) {
		return string(doc), comment, nil
	})
}

// RestoreTreeVersion saves a copy of an old version as the next version:
// history is never rewritten (TRM-6).
func (s *Store) RestoreTreeVersion(ctx context.Context, a Actor, tenantID, treeID uint, version int) (*RoutingTreeVersion, error) {
	return s.addVersion(ctx, a, tenantID, treeID, 0, "tree.restore", func(db *gorm.DB) (string, string, error) {
		var old RoutingTreeVersion
		if err := first(db.Where("tree_id = ? AND tenant_id = ? AND version = ?", treeID, tenantID, version), &old, "version", version); err != nil {
			return "", "", err
		}
		return old.Document, fmt.Sprintf("restored version %d", version), nil
	})
}

func (s *Store) addVersion(ctx context.Context, a Actor, tenantID, treeID uint, base int, action string, content func(*gorm.DB) (string, string, error)) (*RoutingTreeVersion, error) {
	var v *RoutingTreeVersion
	err := s.tx(ctx, func(db *gorm.DB) error {
		var t RoutingTree
		if err := first(db.Where("id = ? AND tenant_id = ?", treeID, tenantID), &t, "tree", treeID); err != nil {
			return err
		}
		if base != 0 && base != t.Version {
			return &vms.Error{Code: vms.ECONFLICT, Field: "base_version", Message: fmt.Sprintf("version %d was saved meanwhile; reload the tree and apply your changes again", t.Version)}
		}
		doc, comment, err := content(db)
		if err != nil {
			return err
		}
		before := t
		v = &RoutingTreeVersion{TreeID: t.ID, TenantID: tenantID, Version: t.Version + 1, Document: doc, Comment: comment, CreatedByID: a.UserID}
		if err := db.Create(v).Error; err != nil {
			return uniqueAs(err, "save tree version", "base_version", "another version was saved at the same time; reload the tree")
		}
		// The version check in the WHERE clause makes concurrent saves
		// on PostgreSQL fail rather than both succeed.
		res := db.Model(&RoutingTree{}).Where("id = ? AND version = ?", t.ID, t.Version).
			Updates(map[string]any{"version": v.Version, "updated_at": s.now()})
		if res.Error != nil {
			return translate(res.Error, "save tree version")
		}
		if res.RowsAffected != 1 {
			return &vms.Error{Code: vms.ECONFLICT, Field: "base_version", Message: "another version was saved at the same time; reload the tree"}
		}
		t.Version = v.Version
		if err := bumpGeneration(db); err != nil {
			return err
		}
		return s.audit(db, a, auditRecord{action: action, objectType: "tree", objectID: t.ID, tenantID: ptr(tenantID),
			before: treeAudit(&before, nil), after: treeAudit(&t, v)})
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// RenameTree changes a tree's display name (its key stays).
func (s *Store) RenameTree(ctx context.Context, a Actor, tenantID, treeID uint, name string) error {
	name = strings.TrimSpace(name)
	if name == "" {
		return vms.FieldError("name", "is required")
	}
	return s.tx(ctx, func(db *gorm.DB) error {
		var t RoutingTree
		if err := first(db.Where("id = ? AND tenant_id = ?", treeID, tenantID), &t, "tree", treeID); err != nil {
			return err
		}
		before := t
		t.Name = name
		if err := db.Model(&t).Update("name", name).Error; err != nil {
			return translate(err, "rename tree")
		}
		return s.audit(db, a, auditRecord{action: "tree.rename", objectType: "tree", objectID: t.ID, tenantID: ptr(tenantID), before: treeAudit(&before, nil), after: treeAudit(&t, nil)})
	})
}

// DeleteTree deletes a tree and its versions. It is refused (ECONFLICT)
// while a number or another tree routes to it.
func (s *Store) DeleteTree(ctx context.Context, a Actor, tenantID, treeID uint) error {
	return s.tx(ctx, func(db *gorm.DB) error {
		var t RoutingTree
		if err := first(db.Where("id = ? AND tenant_id = ?", treeID, tenantID), &t, "tree", treeID); err != nil {
			return err
		}
		var nums []string
		if err := db.Model(&Number{}).Where("tree_id = ?", t.ID).Order("e164").Pluck("e164", &nums).Error; err != nil {
			return fmt.Errorf("store: delete tree: %w", err)
		}
		if len(nums) > 0 {
			return vms.Errorf(vms.ECONFLICT, "tree %q routes %s; assign those numbers another tree first", t.Key, strings.Join(nums, ", "))
		}
		users, err := treesUsing(db, tenantID, t.ID, func(n *routing.Node) bool { return n.Type == routing.TypeTree && n.Tree == t.Key })
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return vms.Errorf(vms.ECONFLICT, "tree %q is a destination in %s", t.Key, strings.Join(users, ", "))
		}
		if err := db.Where("tree_id = ?", t.ID).Delete(&RoutingTreeVersion{}).Error; err != nil {
			return translate(err, "delete tree versions")
		}
		if err := db.Delete(&RoutingTree{}, t.ID).Error; err != nil {
			return translate(err, "delete tree")
		}
		if err := bumpGeneration(db); err != nil {
			return err
		}
		return s.audit(db, a, auditRecord{action: "tree.delete", objectType: "tree", objectID: t.ID, tenantID: ptr(tenantID), before: treeAudit(&t, nil)})
	})
}

// treesUsing returns the keys of the tenant's trees (except the one with
// id skip) whose current version has a node for which use is true.
func treesUsing(db *gorm.DB, tenantID, skip uint, use func(n *routing.Node) bool) ([]string, error) {
	type row struct {
		Key      string
		Document string
	}
	var rows []row
	err := db.Table("routing_trees t").
		Select("t.tree_key AS key, v.document").
		Joins("JOIN routing_tree_versions v ON v.tree_id = t.id AND v.version = t.version").
		Where("t.tenant_id = ? AND t.id <> ?", tenantID, skip).Order("t.tree_key").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: find tree references: %w", err)
	}
	var out []string
	for _, r := range rows {
		var doc routing.Tree
		if json.Unmarshal([]byte(r.Document), &doc) != nil {
			continue
		}
		for i := range doc.Nodes {
			if use(&doc.Nodes[i]) {
				out = append(out, fmt.Sprintf("%s (node %s)", r.Key, doc.Nodes[i].ID))
				break
			}
		}
	}
	return out, nil
}

// GetTree returns a tree of the tenant; another tenant's is ENOTFOUND.
func (s *Store) GetTree(ctx context.Context, tenantID, id uint) (*RoutingTree, error) {
	var t RoutingTree
	if err := first(s.db.WithContext(ctx).Where("id = ? AND tenant_id = ?", id, tenantID), &t, "tree", id); err != nil {
		return nil, err
	}
	return &t, nil
}

// TreeByKey returns the tenant's tree with the given key.
func (s *Store) TreeByKey(ctx context.Context, tenantID uint, key string) (*RoutingTree, error) {
	var t RoutingTree
	if err := first(s.db.WithContext(ctx).Where("tenant_id = ? AND tree_key = ?", tenantID, key), &t, "tree", key); err != nil {
		return nil, err
	}
	return &t, nil
}

// ListTrees returns the tenant's trees by name.
func (s *Store) ListTrees(ctx context.Context, tenantID uint) ([]RoutingTree, error) {
	var out []RoutingTree
	if err := s.db.WithContext(ctx).Where("tenant_id = ?", tenantID).Order("name, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list trees: %w", err)
	}
	return out, nil
}

// GetTreeVersion returns one version of a tree of the tenant; version 0
// means the current one.
func (s *Store) GetTreeVersion(ctx context.Context, tenantID, treeID uint, version int) (*RoutingTreeVersion, error) {
	db := s.db.WithContext(ctx)
	if version == 0 {
		t, err := s.GetTree(ctx, tenantID, treeID)
		if err != nil {
			return nil, err
		}
		version = t.Version
	}
	var v RoutingTreeVersion
	if err := first(db.Where("tree_id = ? AND tenant_id = ? AND version = ?", treeID, tenantID, version), &v, "version", version); err != nil {
		return nil, err
	}
	return &v, nil
}

// ListTreeVersions returns every version of a tree, newest first, without
// their documents.
func (s *Store) ListTreeVersions(ctx context.Context, tenantID, treeID uint) ([]RoutingTreeVersion, error) {
	if _, err := s.GetTree(ctx, tenantID, treeID); err != nil {
		return nil, err
	}
	var out []RoutingTreeVersion
	err := s.db.WithContext(ctx).Omit("document").Where("tree_id = ? AND tenant_id = ?", treeID, tenantID).
		Order("version DESC").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: list tree versions: %w", err)
	}
	return out, nil
}

// NumberRouting is the routing part of a number: its tree, surge limits
// (NUM-5) and static fallback.
type NumberRouting struct {
	TreeID           *uint
	MaxCPS           float64
	MaxConcurrent    int
	Overflow         string // OverflowBusy or OverflowAnnouncement
	OverflowPromptID *uint
	Fallback         string // E.164 or ""
}

// SetNumberRouting assigns a tree, limits and fallback to a number of the
// tenant. The tree and the prompt must be the tenant's.
func (s *Store) SetNumberRouting(ctx context.Context, a Actor, tenantID, numberID uint, r NumberRouting) (*Number, error) {
	if r.MaxCPS < 0 {
		return nil, vms.FieldError("max_cps", "must not be negative")
	}
	if r.MaxConcurrent < 0 {
		return nil, vms.FieldError("max_concurrent", "must not be negative")
	}
	switch r.Overflow {
	case "":
		r.Overflow = OverflowBusy
	case OverflowBusy, OverflowAnnouncement:
	default:
		return nil, vms.FieldError("overflow", "must be busy or announcement")
	}
	if r.Overflow == OverflowAnnouncement && r.OverflowPromptID == nil {
		return nil, vms.FieldError("overflow_prompt_id", "choose the announcement to play")
	}
	var n Number
	err := s.tx(ctx, func(db *gorm.DB) error {
		if err := first(db.Where("id = ? AND tenant_id = ?", numberID, tenantID), &n, "number", numberID); err != nil {
			return err
		}
		if r.TreeID != nil {
			var c int64
			if err := db.Model(&RoutingTree{}).Where("id = ? AND tenant_id = ?", *r.TreeID, tenantID).Count(&c).Error; err != nil {
				return fmt.Errorf("store: check tree: %w", err)
			}
			if c == 0 {
				return vms.FieldError("tree_id", "tree %d is not a tree of this customer", *r.TreeID)
			}
		}
		if r.OverflowPromptID != nil {
			var c int64
			if err := db.Model(&Prompt{}).Where("id = ? AND tenant_id = ?", *r.OverflowPromptID, tenantID).Count(&c).Error; err != nil {
				return fmt.Errorf("store: check prompt: %w", err)
			}
			if c == 0 {
				return vms.FieldError("overflow_prompt_id", "prompt %d is not a prompt of this customer", *r.OverflowPromptID)
			}
		}
		before := n
		n.TreeID, n.MaxCPS, n.MaxConcurrent, n.Overflow, n.OverflowPromptID, n.Fallback =
			r.TreeID, r.MaxCPS, r.MaxConcurrent, r.Overflow, r.OverflowPromptID, r.Fallback
		err := db.Model(&n).Select("tree_id", "max_cps", "max_concurrent", "overflow", "overflow_prompt_id", "fallback", "updated_at").
			Updates(&n).Error
		if err != nil {
			return translate(err, "set number routing")
		}
		return s.audit(db, a, auditRecord{action: "number.routing", objectType: "number", objectID: n.ID, tenantID: ptr(tenantID), before: &before, after: &n})
	})
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// RoutingSnapshot is everything the controller needs to route calls, read
// in one transaction so that its parts agree with each other.
type RoutingSnapshot struct {
	// Generation is the routing generation the snapshot was read at.
	Generation int64
	Numbers    []RoutedNumber
	Trees      []SnapshotTree
	Lists      []SnapshotList
	Sites      []Site
	Prompts    []SnapshotPrompt
	// Groups are the ACM groups trees may queue in (ACM-2).
	Groups []SnapshotGroup
}

// SnapshotGroup names an ACM group of a tenant.
type SnapshotGroup struct {
	ID, TenantID uint
	Key          string
}

// RoutedNumber is a number as routing sees it. Refused numbers are left
// out; ported and inactive ones are kept so their calls are refused
// (NUM-3).
type RoutedNumber struct {
	ID, TenantID uint
	E164         string
	TimeZone     string // the tenant's
	Status       string // NumberActive, NumberPorted, NumberInactive
	// TreeID is the number's tree (0: none) and TreeKey its key.
	TreeID  uint
	TreeKey string
	// Surge limits (NUM-5); OverflowPrompt is the prompt's SHA-256.
	MaxCPS         float64
	MaxConcurrent  int
	Overflow       string
	OverflowPrompt string
	Fallback       string
	// TenantStatus and TerminatesAt are the tenant's: a terminated tenant,
	// or one past the end date of its termination, is not routed (PRV-2).
	TenantStatus string
	TerminatesAt *time.Time
}

// SnapshotTree is the current version of a tree.
type SnapshotTree struct {
	ID, TenantID uint
	Key          string
	Version      int
	Document     string
}

// SnapshotList is a caller list with its members (E.164, sorted).
type SnapshotList struct {
	ID, TenantID uint
	Name         string
	Members      []string
}

// SnapshotPrompt maps a prompt to its content address.
type SnapshotPrompt struct {
	ID, TenantID uint
	Name         string
	SHA256       string
}

// RoutingSnapshot reads the whole routing state in one read transaction
// (repeatable read on PostgreSQL; SQLite transactions are serialisable).
func (s *Store) RoutingSnapshot(ctx context.Context) (*RoutingSnapshot, error) {
	var opts []*sql.TxOptions
	if s.dialect == DialectPostgres {
		opts = append(opts, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	}
	snap := &RoutingSnapshot{}
	err := s.db.WithContext(ctx).Transaction(func(db *gorm.DB) error {
		var g routingGeneration
		if err := db.Where("id = 1").Take(&g).Error; err != nil {
			return fmt.Errorf("generation: %w", err)
		}
		snap.Generation = g.Generation
		err := db.Table("numbers n").
			Select(`n.id, n.tenant_id, n.e164, t.time_zone, n.status, COALESCE(n.tree_id, 0) AS tree_id,
				COALESCE(rt.tree_key, '') AS tree_key, n.max_cps, n.max_concurrent, n.overflow,
				COALESCE(p.sha256, '') AS overflow_prompt, n.fallback,
				t.status AS tenant_status, t.terminates_at`).
			Joins("JOIN tenants t ON t.id = n.tenant_id").
			Joins("LEFT JOIN routing_trees rt ON rt.id = n.tree_id").
			Joins("LEFT JOIN prompts p ON p.id = n.overflow_prompt_id").
			Where("n.status IN ?", []string{NumberActive, NumberPorted, NumberInactive}).
			Order("n.e164").Scan(&snap.Numbers).Error
		if err != nil {
			return fmt.Errorf("numbers: %w", err)
		}
		err = db.Table("routing_trees rt").
			Select("rt.id, rt.tenant_id, rt.tree_key AS key, rt.version, v.document").
			Joins("JOIN routing_tree_versions v ON v.tree_id = rt.id AND v.version = rt.version").
			Order("rt.tenant_id, rt.tree_key").Scan(&snap.Trees).Error
		if err != nil {
			return fmt.Errorf("trees: %w", err)
		}
		var lists []CallerList
		if err := db.Order("tenant_id, name").Find(&lists).Error; err != nil {
			return fmt.Errorf("lists: %w", err)
		}
		var entries []CallerListEntry
		if err := db.Order("list_id, e164").Find(&entries).Error; err != nil {
			return fmt.Errorf("list entries: %w", err)
		}
		members := map[uint][]string{}
		for _, e := range entries {
			members[e.ListID] = append(members[e.ListID], e.E164)
		}
		for _, l := range lists {
			snap.Lists = append(snap.Lists, SnapshotList{ID: l.ID, TenantID: l.TenantID, Name: l.Name, Members: members[l.ID]})
		}
		if err := db.Order("tenant_id, name").Find(&snap.Sites).Error; err != nil {
			return fmt.Errorf("sites: %w", err)
		}
		err = db.Model(&Prompt{}).Select("id, tenant_id, name, sha256").Order("tenant_id, name").Scan(&snap.Prompts).Error
		if err != nil {
			return fmt.Errorf("prompts: %w", err)
		}
		err = db.Model(&AgentGroup{}).Select("id, tenant_id, group_key AS key").Order("tenant_id, group_key").Scan(&snap.Groups).Error
		if err != nil {
			return fmt.Errorf("groups: %w", err)
		}
		return nil
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("store: routing snapshot: %w", err)
	}
	return snap, nil
}

// RoutingRefs returns the names of the tenant's prompts, trees (keys),
// caller lists and ACM groups (keys), for validating a tree (TRM-5) with routing.RefSet.
func (s *Store) RoutingRefs(ctx context.Context, tenantID uint) (routing.RefSet, error) {
	refs := routing.RefSet{Prompts: map[string]bool{}, Trees: map[string]bool{}, Lists: map[string]bool{}, Groups: map[string]bool{}}
	db := s.db.WithContext(ctx)
	var names []string
	if err := db.Model(&Prompt{}).Where("tenant_id = ?", tenantID).Pluck("name", &names).Error; err != nil {
		return refs, fmt.Errorf("store: routing refs: %w", err)
	}
	for _, n := range names {
		refs.Prompts[n] = true
	}
	names = nil
	if err := db.Model(&RoutingTree{}).Where("tenant_id = ?", tenantID).Pluck("tree_key", &names).Error; err != nil {
		return refs, fmt.Errorf("store: routing refs: %w", err)
	}
	for _, n := range names {
		refs.Trees[n] = true
	}
	names = nil
	if err := db.Model(&CallerList{}).Where("tenant_id = ?", tenantID).Pluck("name", &names).Error; err != nil {
		return refs, fmt.Errorf("store: routing refs: %w", err)
	}
	for _, n := range names {
		refs.Lists[n] = true
	}
	names = nil
	if err := db.Model(&AgentGroup{}).Where("tenant_id = ?", tenantID).Pluck("group_key", &names).Error; err != nil {
		return refs, fmt.Errorf("store: routing refs: %w", err)
	}
	for _, n := range names {
		refs.Groups[n] = true
	}
	return refs, nil
}
