package store_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	vms "github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
)

func TestEmailLifeCycle(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		acme, beta := mustTenant(t, s, "Acme"), mustTenant(t, s, "Beta")
		g := mustGroup(t, s, acme.ID, "sales")
		betaGroup := mustGroup(t, s, beta.ID, "help")
		ag := mustAgent(t, s, acme.ID, "ann@acme.example")
		betaAgent := mustAgent(t, s, beta.ID, "bob@beta.example")
		received := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

		// A mail for another tenant's group is refused, nothing written.
		bad := &store.EmailContact{TenantID: acme.ID, GroupID: betaGroup.ID, FromAddr: "x@example.com"}
		unchanged(t, s, func() { wantCode(t, s.CreateEmailContact(ctx, bad, nil), vms.EINVALID, "group_id") })
		long := &store.EmailContact{TenantID: acme.ID, GroupID: g.ID, Subject: strings.Repeat("s", 999)}
		unchanged(t, s, func() { wantCode(t, s.CreateEmailContact(ctx, long, nil), vms.EINVALID, "subject") })

		e := &store.EmailContact{TenantID: acme.ID, GroupID: g.ID, MessageID: "<m1@example.com>", References: "<m0@example.com>",
			FromAddr: "Carol@Example.com", FromName: "Carol", ToAddr: "sales@acme.example", Subject: "Offer",
			TextBody: "Hello", HTMLBody: "<p>Hello</p>", Raw: []byte("raw message"), ReceivedAt: received}
		atts := []store.EmailAttachment{{Filename: "a.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1")}, {Filename: "b.txt", ContentType: "text/plain", Data: []byte("hi")}}
		if err := s.CreateEmailContact(ctx, e, atts); err != nil {
			t.Fatal(err)
		}
		if e.State != store.EmailQueued || e.MessageID != "m1@example.com" || e.FromAddr != "carol@example.com" || len(e.Attachments) != 2 {
			t.Errorf("created e-mail = %+v", e)
		}
		if a := lastAudit(t, s); a.Action != "email.receive" || a.ActorID != nil || strings.Contains(a.After, "Hello") {
			t.Errorf("audit = %+v", a)
		}
		other := &store.EmailContact{TenantID: beta.ID, GroupID: betaGroup.ID, FromAddr: "d@example.com", ReceivedAt: received.Add(time.Minute)}
		if err := s.CreateEmailContact(ctx, other, nil); err != nil {
			t.Fatal(err)
		}

		q, err := s.QueuedEmails(ctx)
		if err != nil || len(q) != 2 || q[0].ID != e.ID || q[1].ID != other.ID || q[0].Raw != nil {
			t.Fatalf("QueuedEmails = %+v, %v", q, err)
		}

		// Assign: only to an agent of the same tenant.
		unchanged(t, s, func() { wantCode(t, s.AssignEmail(ctx, e.ID, betaAgent.ID, received), vms.EINVALID, "agent_id") })
		// Answering a queued e-mail is refused.
		unchanged(t, s, func() {
			wantCode(t, s.AnswerEmail(ctx, store.System, acme.ID, e.ID, "r1@acme.example", "Thanks", received), vms.ECONFLICT, "")
		})
		if err := s.AssignEmail(ctx, e.ID, ag.ID, received.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		// Re-queued after a restart it can be assigned again.
		if err := s.AssignEmail(ctx, e.ID, ag.ID, received.Add(2*time.Minute)); err != nil {
			t.Fatalf("assign again: %v", err)
		}
		mine, err := s.ListEmailContacts(ctx, acme.ID, store.EmailFilter{AgentID: &ag.ID})
		if err != nil || len(mine) != 1 || mine[0].State != store.EmailAssigned || !mine[0].AssignedAt.Equal(received.Add(2*time.Minute)) {
			t.Fatalf("agent's e-mails = %+v, %v", mine, err)
		}
		if q, _ := s.QueuedEmails(ctx); len(q) != 2 {
			t.Errorf("assigned e-mails must stay in QueuedEmails: %d", len(q))
		}

		// Answer.
		unchanged(t, s, func() {
			wantCode(t, s.AnswerEmail(ctx, store.System, acme.ID, e.ID, "r1@acme.example", " ", received), vms.EINVALID, "body")
		})
		unchanged(t, s, func() {
			wantCode(t, s.AnswerEmail(ctx, store.System, beta.ID, e.ID, "r1@acme.example", "Thanks", received), vms.ENOTFOUND, "")
		})
		actor := store.Actor{Email: "ann@acme.example"}
		if err := s.AnswerEmail(ctx, actor, acme.ID, e.ID, "<r1@acme.example>", "Thanks", received.Add(3*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if a := lastAudit(t, s); a.Action != "email.answer" || a.ActorEmail != "ann@acme.example" || decode(t, a.After)["State"] != store.EmailAnswered {
			t.Errorf("audit = %+v", a)
		}
		unchanged(t, s, func() {
			wantCode(t, s.AnswerEmail(ctx, actor, acme.ID, e.ID, "r2@acme.example", "Again", received), vms.ECONFLICT, "")
		})
		if q, _ := s.QueuedEmails(ctx); len(q) != 1 || q[0].ID != other.ID {
			t.Errorf("QueuedEmails after the answer = %+v", q)
		}

		got, err := s.GetEmailContact(ctx, acme.ID, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != store.EmailAnswered || got.ReplyMessageID != "r1@acme.example" || got.ReplyBody != "Thanks" ||
			!bytes.Equal(got.Raw, []byte("raw message")) || got.HTMLBody != "<p>Hello</p>" || got.References != "<m0@example.com>" ||
			got.AnsweredAt == nil || !got.AnsweredAt.Equal(received.Add(3*time.Minute)) {
			t.Errorf("answered e-mail = %+v", got)
		}
		if len(got.Attachments) != 2 || got.Attachments[0].Filename != "a.pdf" || got.Attachments[0].Size != 6 || got.Attachments[0].Data != nil {
			t.Fatalf("attachments = %+v", got.Attachments)
		}
		att, err := s.GetEmailAttachment(ctx, acme.ID, e.ID, got.Attachments[0].ID)
		if err != nil || string(att.Data) != "%PDF-1" || att.ContentType != "application/pdf" {
			t.Errorf("attachment = %+v, %v", att, err)
		}
		if _, err := s.GetEmailAttachment(ctx, beta.ID, e.ID, got.Attachments[0].ID); vms.ErrorCode(err) != vms.ENOTFOUND {
			t.Errorf("another tenant's attachment: %v", err)
		}
		if _, err := s.GetEmailAttachment(ctx, acme.ID, other.ID, got.Attachments[0].ID); vms.ErrorCode(err) != vms.ENOTFOUND {
			t.Errorf("attachment under another e-mail: %v", err)
		}
		if _, err := s.GetEmailContact(ctx, beta.ID, e.ID); vms.ErrorCode(err) != vms.ENOTFOUND {
			t.Errorf("another tenant's e-mail: %v", err)
		}

		// Close.
		if err := s.CloseEmail(ctx, actor, acme.ID, e.ID); err != nil {
			t.Fatal(err)
		}
		unchanged(t, s, func() { wantCode(t, s.CloseEmail(ctx, actor, acme.ID, e.ID), vms.ECONFLICT, "") })
		unchanged(t, s, func() { wantCode(t, s.AssignEmail(ctx, e.ID, ag.ID, received), vms.ECONFLICT, "") })
		closed, err := s.ListEmailContacts(ctx, acme.ID, store.EmailFilter{State: store.EmailClosed})
		if err != nil || len(closed) != 1 || closed[0].ID != e.ID {
			t.Errorf("closed e-mails = %+v, %v", closed, err)
		}
		if l, _ := s.ListEmailContacts(ctx, acme.ID, store.EmailFilter{State: store.EmailQueued}); len(l) != 0 {
			t.Errorf("queued acme e-mails = %+v", l)
		}
		// A queued e-mail can be closed without an answer.
		if err := s.CloseEmail(ctx, store.System, beta.ID, other.ID); err != nil {
			t.Errorf("close queued: %v", err)
		}
		if q, _ := s.QueuedEmails(ctx); len(q) != 0 {
			t.Errorf("QueuedEmails at the end = %+v", q)
		}
		// Deleting the group keeps its e-mails (history).
		if err := s.DeleteAgentGroup(ctx, store.System, acme.ID, g.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetEmailContact(ctx, acme.ID, e.ID); err != nil {
			t.Errorf("e-mail of a deleted group: %v", err)
		}
	})
}
