package store

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	vms "github.com/vmsplatform/vms"
)

// CreateOrder records an order entered by the operator (PRV-1, FRM-3). Its
// status defaults to entered; the caller computes DueAt.
func (s *Store) CreateOrder(ctx context.Context, a Actor, o *Order) error {
	switch o.Kind {
	case OrderNew, OrderChange, OrderTermination:
	default:
		return vms.FieldError("kind", "must be %q, %q or %q", OrderNew, OrderChange, OrderTermination)
	}
	if o.Kind != OrderTermination && o.Formula == "" {
		return vms.FieldError("formula", "is required")
	}
	if o.Status == "" {
		o.Status = OrderEntered
	}
	return s.tx(ctx, func(db *gorm.DB) error {
		var c int64
		if err := db.Model(&Tenant{}).Where("id = ?", o.TenantID).Count(&c).Error; err != nil {
			return fmt.Errorf("store: create order: %w", err)
		}
		if c == 0 {
			return notFound("tenant", o.TenantID)
		}
		if err := db.Create(o).Error; err != nil {
			return translate(err, "create order")
		}
		return s.audit(db, a, auditRecord{action: "order.create", objectType: "order", objectID: o.ID, tenantID: ptr(o.TenantID), after: o})
	})
}

// GetOrder returns an order of the tenant; another tenant's is ENOTFOUND.
func (s *Store) GetOrder(ctx context.Context, tenantID, id uint) (*Order, error) {
	var o Order
	if err := first(s.db.WithContext(ctx).Where("id = ? AND tenant_id = ?", id, tenantID), &o, "order", id); err != nil {
		return nil, err
	}
	return &o, nil
}

// ListOrders returns the tenant's orders, newest first.
func (s *Store) ListOrders(ctx context.Context, tenantID uint) ([]Order, error) {
	var out []Order
	if err := s.db.WithContext(ctx).Where("tenant_id = ?", tenantID).Order("created_at DESC, id DESC").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list orders: %w", err)
	}
	return out, nil
}

// ActivateOrder applies an entered order to its tenant (formula, options,
// status) and stores the given login link, in one transaction. The caller
// sends the activation e-mail after it returns.
//
// A new or change order makes the tenant active (ActivatedAt is set on the
// first activation only); a termination order makes it terminated. An
// order that is not entered (already activated, cancelled, or activated
// concurrently) is ECONFLICT.
func (s *Store) ActivateOrder(ctx context.Context, a Actor, tenantID, orderID uint, link *LoginLink) (*Order, error) {
	var out Order
	err := s.tx(ctx, func(db *gorm.DB) error {
		var before Order
		if err := first(db.Where("id = ? AND tenant_id = ?", orderID, tenantID), &before, "order", orderID); err != nil {
			return err
		}
		if before.Status != OrderEntered {
			return vms.Errorf(vms.ECONFLICT, "order %d is %s, not entered", orderID, before.Status)
		}
		now := s.now()
		// Conditional on the status, so that two concurrent activations
		// cannot both succeed.
		res := db.Model(&Order{}).Where("id = ? AND status = ?", orderID, OrderEntered).Updates(map[string]any{
			"status":          OrderActivated,
			"activated_by_id": a.UserID,
			"activated_at":    now,
			"updated_at":      now,
		})
		if res.Error != nil {
			return fmt.Errorf("store: activate order %d: %w", orderID, res.Error)
		}
		if res.RowsAffected != 1 {
			return vms.Errorf(vms.ECONFLICT, "order %d was activated concurrently", orderID)
		}
		if err := first(db.Where("id = ?", orderID), &out, "order", orderID); err != nil {
			return err
		}
		if err := s.audit(db, a, auditRecord{action: "order.activate", objectType: "order", objectID: orderID, tenantID: ptr(tenantID), before: &before, after: &out}); err != nil {
			return err
		}

		var tBefore Tenant
		if err := first(db.Where("id = ?", tenantID), &tBefore, "tenant", tenantID); err != nil {
			return err
		}
		t := tBefore
		switch before.Kind {
		case OrderTermination:
			// PRV-2: the service stops at the end date the order carries,
			// not at activation; until then the tenant stays as it is.
			end := before.DueAt
			t.TerminatesAt = &end
			if !now.Before(end) {
				t.Status = TenantTerminated
			}
		default:
			t.Formula = before.Formula
			t.Options = before.Options
			t.Status = TenantActive
			if t.ActivatedAt == nil {
				t.ActivatedAt = &now
			}
		}
		t.UpdatedAt = now
		if err := db.Model(&Tenant{}).Where("id = ?", tenantID).Updates(map[string]any{
			"formula":       t.Formula,
			"options":       t.Options,
			"status":        t.Status,
			"activated_at":  t.ActivatedAt,
			"terminates_at": t.TerminatesAt,
			"updated_at":    t.UpdatedAt,
		}).Error; err != nil {
			return fmt.Errorf("store: activate order %d: update tenant: %w", orderID, err)
		}
		if err := s.audit(db, a, auditRecord{action: "tenant.update", objectType: "tenant", objectID: tenantID, tenantID: ptr(tenantID), before: &tBefore, after: &t}); err != nil {
			return err
		}

		if link != nil {
			if err := s.createLoginLink(db, a, tenantID, link); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
