package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	vms "github.com/vmsplatform/vms"
)

// E-mail contacts (ACM-5): mails received at a group's address, queued for
// its agents, answered from the agent desktop. Their life cycle is
// queued → assigned → answered → closed (closing is possible from every
// state; a closed mail stays closed).

// emailAudit is what the audit log keeps of an e-mail contact: never its
// content.
func emailAudit(e *EmailContact) any {
	m := map[string]any{"GroupID": e.GroupID, "MessageID": e.MessageID, "From": e.FromAddr, "State": e.State}
	if e.AgentID != nil {
		m["AgentID"] = *e.AgentID
	}
	if e.ReplyMessageID != "" {
		m["ReplyMessageID"] = e.ReplyMessageID
	}
	return m
}

// CreateEmailContact stores a received mail with its attachments, queued
// for e.GroupID (a group of e.TenantID). A zero ReceivedAt is now. The
// system makes this change (there is no actor).
func (s *Store) CreateEmailContact(ctx context.Context, e *EmailContact, atts []EmailAttachment) error {
	e.ID = 0
	e.State, e.AgentID, e.AssignedAt, e.AnsweredAt = EmailQueued, nil, nil, nil
	e.MessageID = strings.Trim(strings.TrimSpace(e.MessageID), "<>")
	e.FromAddr, e.ToAddr = strings.ToLower(strings.TrimSpace(e.FromAddr)), strings.ToLower(strings.TrimSpace(e.ToAddr))
	if e.ReceivedAt.IsZero() {
		e.ReceivedAt = s.now()
	}
	e.ReceivedAt = e.ReceivedAt.UTC()
	e.Attachments = nil
	for _, f := range []struct {
		name, v string
		max     int
	}{{"message_id", e.MessageID, 998}, {"from", e.FromAddr, 254}, {"from_name", e.FromName, 200}, {"to", e.ToAddr, 254}, {"subject", e.Subject, 998}} {
		if len(f.v) > f.max {
			return vms.FieldError(f.name, "is longer than %d characters", f.max)
		}
	}
	for i := range atts {
		if len(atts[i].Filename) > 255 {
			return vms.FieldError("attachments", "attachment %d: the file name is longer than 255 characters", i+1)
		}
		if len(atts[i].ContentType) > 255 {
			return vms.FieldError("attachments", "attachment %d: the content type is longer than 255 characters", i+1)
		}
	}
	return s.tx(ctx, func(db *gorm.DB) error {
		var n int64
		if err := db.Model(&AgentGroup{}).Where("id = ? AND tenant_id = ?", e.GroupID, e.TenantID).Count(&n).Error; err != nil {
			return fmt.Errorf("store: create e-mail: group: %w", err)
		}
		if n == 0 {
			return vms.FieldError("group_id", "is not a group of this customer")
		}
		if err := db.Omit("Attachments").Create(e).Error; err != nil {
			return translate(err, "create e-mail")
		}
		for i := range atts {
			att := atts[i]
			att.ID, att.EmailID, att.Size = 0, e.ID, int64(len(att.Data))
			if err := db.Create(&att).Error; err != nil {
				return translate(err, "create e-mail attachment")
			}
			att.Data = nil
			e.Attachments = append(e.Attachments, att)
		}
		return s.audit(db, System, auditRecord{action: "email.receive", objectType: "email", objectID: e.ID, tenantID: ptr(e.TenantID), after: emailAudit(e)})
	})
}

// emailChange loads an e-mail (of the tenant when tenantID is not 0), lets
// change modify it and saves the state columns with an audit entry.
func (s *Store) emailChange(ctx context.Context, a Actor, tenantID, id uint, action string, change func(db *gorm.DB, e *EmailContact) error) (*EmailContact, error) {
	var e EmailContact
	err := s.tx(ctx, func(db *gorm.DB) error {
		q := db.Omit("raw").Where("id = ?", id)
		if tenantID != 0 {
			q = q.Where("tenant_id = ?", tenantID)
		}
		if err := first(q, &e, "e-mail", id); err != nil {
			return err
		}
		before := emailAudit(&e)
		if err := change(db, &e); err != nil {
			return err
		}
		err := db.Model(&EmailContact{}).Where("id = ?", e.ID).Updates(map[string]any{
			"state": e.State, "agent_id": e.AgentID, "assigned_at": e.AssignedAt, "answered_at": e.AnsweredAt,
			"reply_message_id": e.ReplyMessageID, "reply_body": e.ReplyBody,
		}).Error
		if err != nil {
			return translate(err, action)
		}
		return s.audit(db, a, auditRecord{action: action, objectType: "email", objectID: e.ID, tenantID: ptr(e.TenantID), before: before, after: emailAudit(&e)})
	})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// AssignEmail records that the ACD gave a queued (or already assigned, on
// re-queuing) e-mail to an agent at at.
func (s *Store) AssignEmail(ctx context.Context, id, agentID uint, at time.Time) error {
	_, err := s.emailChange(ctx, System, 0, id, "email.assign", func(db *gorm.DB, e *EmailContact) error {
		if e.State != EmailQueued && e.State != EmailAssigned {
			return vms.Errorf(vms.ECONFLICT, "e-mail %d is %s and cannot be assigned", e.ID, e.State)
		}
		var n int64
		if err := db.Model(&Agent{}).Where("id = ? AND tenant_id = ?", agentID, e.TenantID).Count(&n).Error; err != nil {
			return fmt.Errorf("store: assign e-mail: agent: %w", err)
		}
		if n == 0 {
			return vms.FieldError("agent_id", "is not an agent of this customer")
		}
		at := at.UTC()
		e.State, e.AgentID, e.AssignedAt = EmailAssigned, &agentID, &at
		return nil
	})
	return err
}

// AnswerEmail records the reply sent to an assigned e-mail of the tenant
// (its Message-ID and text) at at.
func (s *Store) AnswerEmail(ctx context.Context, a Actor, tenantID, id uint, replyMessageID, body string, at time.Time) error {
	replyMessageID = strings.Trim(strings.TrimSpace(replyMessageID), "<>")
	if len(replyMessageID) > 998 {
		return vms.FieldError("reply_message_id", "is longer than 998 characters")
	}
	if strings.TrimSpace(body) == "" {
		return vms.FieldError("body", "is required")
	}
	_, err := s.emailChange(ctx, a, tenantID, id, "email.answer", func(db *gorm.DB, e *EmailContact) error {
		if e.State != EmailAssigned {
			return vms.Errorf(vms.ECONFLICT, "e-mail %d is %s; only an assigned e-mail can be answered", e.ID, e.State)
		}
		at := at.UTC()
		e.State, e.AnsweredAt, e.ReplyMessageID, e.ReplyBody = EmailAnswered, &at, replyMessageID, body
		return nil
	})
	return err
}

// CloseEmail closes an e-mail of the tenant, answered or not.
func (s *Store) CloseEmail(ctx context.Context, a Actor, tenantID, id uint) error {
	_, err := s.emailChange(ctx, a, tenantID, id, "email.close", func(db *gorm.DB, e *EmailContact) error {
		if e.State == EmailClosed {
			return vms.Errorf(vms.ECONFLICT, "e-mail %d is closed already", e.ID)
		}
		e.State = EmailClosed
		return nil
	})
	return err
}

// GetEmailContact returns an e-mail of the tenant with its attachments
// (without their data: see GetEmailAttachment).
func (s *Store) GetEmailContact(ctx context.Context, tenantID, id uint) (*EmailContact, error) {
	var e EmailContact
	db := s.db.WithContext(ctx)
	if err := first(db.Where("id = ? AND tenant_id = ?", id, tenantID), &e, "e-mail", id); err != nil {
		return nil, err
	}
	if err := db.Omit("data").Where("email_id = ?", e.ID).Order("id").Find(&e.Attachments).Error; err != nil {
		return nil, fmt.Errorf("store: get e-mail attachments: %w", err)
	}
	return &e, nil
}

// EmailFilter selects e-mails of a tenant; zero fields select all.
type EmailFilter struct {
	State   string
	AgentID *uint
	Limit   int // default and cap MaxEmailList
}

// MaxEmailList caps ListEmailContacts.
const MaxEmailList = 500

// ListEmailContacts returns e-mails of the tenant, newest first, without
// their raw message.
func (s *Store) ListEmailContacts(ctx context.Context, tenantID uint, f EmailFilter) ([]EmailContact, error) {
	limit := f.Limit
	if limit <= 0 || limit > MaxEmailList {
		limit = MaxEmailList
	}
	q := s.db.WithContext(ctx).Omit("raw").Where("tenant_id = ?", tenantID)
	if f.State != "" {
		q = q.Where("state = ?", f.State)
	}
	if f.AgentID != nil {
		q = q.Where("agent_id = ?", *f.AgentID)
	}
	var out []EmailContact
	if err := q.Order("received_at DESC, id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list e-mails: %w", err)
	}
	return out, nil
}

// QueuedEmails returns every tenant's e-mails still waiting for an answer
// (queued or assigned), oldest first, without their raw message: what to
// queue again after a restart.
func (s *Store) QueuedEmails(ctx context.Context) ([]EmailContact, error) {
	var out []EmailContact
	err := s.db.WithContext(ctx).Omit("raw").Where("state IN ?", []string{EmailQueued, EmailAssigned}).
		Order("received_at, id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: queued e-mails: %w", err)
	}
	return out, nil
}

// GetEmailAttachment returns one attachment, with its data, of an e-mail
// of the tenant.
func (s *Store) GetEmailAttachment(ctx context.Context, tenantID, emailID, attID uint) (*EmailAttachment, error) {
	var att EmailAttachment
	err := first(s.db.WithContext(ctx).Table("email_attachments a").Select("a.*").
		Joins("JOIN email_contacts e ON e.id = a.email_id").
		Where("a.id = ? AND a.email_id = ? AND e.tenant_id = ?", attID, emailID, tenantID), &att, "attachment", attID)
	if err != nil {
		return nil, err
	}
	return &att, nil
}

// EmailByMessageID returns the id of the group's e-mail with Message-ID
// messageID, or 0 when it has none: a sender that retries is not queued
// twice.
func (s *Store) EmailByMessageID(ctx context.Context, tenantID, groupID uint, messageID string) (uint, error) {
	var ids []uint
	err := s.db.WithContext(ctx).Model(&EmailContact{}).
		Where("tenant_id = ? AND group_id = ? AND message_id = ?", tenantID, groupID, messageID).
		Limit(1).Pluck("id", &ids).Error
	if err != nil {
		return 0, fmt.Errorf("store: e-mail by message id: %w", err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return ids[0], nil
}
