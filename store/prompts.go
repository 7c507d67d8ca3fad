package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"gorm.io/gorm"

	vms "github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/routing"
)

// MaxPromptSize is the largest prompt the store keeps, in bytes (about
// three minutes of 8 kHz 16-bit mono audio).
const MaxPromptSize = 4 << 20

// promptColumns are the columns of a prompt without its bytes.
var promptColumns = []string{"id", "tenant_id", "name", "sha256", "size", "content_type", "created_at"}

// CreatePrompt stores a prompt; SHA256 and Size are computed from Data.
// Checking that Data is audio the engine can play is the caller's job.
func (s *Store) CreatePrompt(ctx context.Context, a Actor, p *Prompt) error {
	p.Name = strings.TrimSpace(p.Name)
	if p.Name == "" {
		return vms.FieldError("name", "is required")
	}
	if len(p.Data) == 0 {
		return vms.FieldError("file", "is empty")
	}
	if len(p.Data) > MaxPromptSize {
		return vms.FieldError("file", "is larger than %d MB", MaxPromptSize>>20)
	}
	sum := sha256.Sum256(p.Data)
	p.SHA256, p.Size = hex.EncodeToString(sum[:]), int64(len(p.Data))
	if p.ContentType == "" {
		p.ContentType = "audio/wav"
	}
	return s.tx(ctx, func(db *gorm.DB) error {
		if err := db.Create(p).Error; err != nil {
			return uniqueAs(err, "create prompt", "name", "a prompt with this name already exists")
		}
		if err := bumpGeneration(db); err != nil {
			return err
		}
		return s.audit(db, a, auditRecord{action: "prompt.create", objectType: "prompt", objectID: p.ID, tenantID: ptr(p.TenantID), after: promptAudit(p)})
	})
}

func promptAudit(p *Prompt) any {
	return map[string]any{"Name": p.Name, "SHA256": p.SHA256, "Size": p.Size, "ContentType": p.ContentType}
}

// ListPrompts returns the tenant's prompts by name, without their bytes.
func (s *Store) ListPrompts(ctx context.Context, tenantID uint) ([]Prompt, error) {
	var out []Prompt
	if err := s.db.WithContext(ctx).Select(promptColumns).Where("tenant_id = ?", tenantID).Order("name").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list prompts: %w", err)
	}
	return out, nil
}

// GetPrompt returns a prompt of the tenant without its bytes.
func (s *Store) GetPrompt(ctx context.Context, tenantID, id uint) (*Prompt, error) {
	var p Prompt
	if err := first(s.db.WithContext(ctx).Select(promptColumns).Where("id = ? AND tenant_id = ?", id, tenantID), &p, "prompt", id); err != nil {
		return nil, err
	}
	return &p, nil
}

// PromptBySHA256 returns a prompt with its bytes by content address, for
// the media engine; any tenant's prompt with these bytes will do.
func (s *Store) PromptBySHA256(ctx context.Context, sum string) (*Prompt, error) {
	var p Prompt
	if err := first(s.db.WithContext(ctx).Where("sha256 = ?", strings.ToLower(sum)).Order("id"), &p, "prompt", sum); err != nil {
		return nil, err
	}
	return &p, nil
}

// DeletePrompt deletes a prompt of the tenant. It is refused (ECONFLICT,
// naming the user) while a tree plays it or a number overflows to it.
func (s *Store) DeletePrompt(ctx context.Context, a Actor, tenantID, id uint) error {
	return s.tx(ctx, func(db *gorm.DB) error {
		var p Prompt
		if err := first(db.Select(promptColumns).Where("id = ? AND tenant_id = ?", id, tenantID), &p, "prompt", id); err != nil {
			return err
		}
		users, err := treesUsing(db, tenantID, 0, func(n *routing.Node) bool { return n.Prompt == p.Name })
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return vms.Errorf(vms.ECONFLICT, "prompt %q is played by tree %s; change the tree first", p.Name, strings.Join(users, ", "))
		}
		var nums []string
		if err := db.Model(&Number{}).Where("overflow_prompt_id = ?", p.ID).Order("e164").Pluck("e164", &nums).Error; err != nil {
			return fmt.Errorf("store: delete prompt: %w", err)
		}
		if len(nums) > 0 {
			return vms.Errorf(vms.ECONFLICT, "prompt %q is the overflow announcement of %s", p.Name, strings.Join(nums, ", "))
		}
		if err := db.Delete(&Prompt{}, p.ID).Error; err != nil {
			return translate(err, "delete prompt")
		}
		if err := bumpGeneration(db); err != nil {
			return err
		}
		return s.audit(db, a, auditRecord{action: "prompt.delete", objectType: "prompt", objectID: p.ID, tenantID: ptr(tenantID), before: promptAudit(&p)})
	})
}
