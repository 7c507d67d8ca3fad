// Package mailqueue turns mail sent to an agent group's address into an
// e-mail contact (ACM-5): it resolves recipients and stores accepted mail
// for the mailin listener, queues each mail in its group's ACD queue,
// records the agent the center assigns it to, and sends the agent's reply
// through the SMTP relay in the thread of the original mail.
//
// It owns the life of an e-mail contact between the listener, the store
// and the center. It must not receive or parse SMTP itself (mailin does),
// choose agents (center and acd do) or render anything (the portal does).
package mailqueue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/acd"
	"github.com/vmsplatform/vms/center"
	"github.com/vmsplatform/vms/mail"
	"github.com/vmsplatform/vms/mailin"
	"github.com/vmsplatform/vms/store"
)

// MaxReplyBytes bounds the text of one reply.
const MaxReplyBytes = 64 << 10

// Sender sends a mail through the relay; *mail.SMTP is the production one.
type Sender interface {
	Send(ctx context.Context, m mail.Message) error
}

// Config holds what a Service works with. Store, Center and Sender are
// required.
type Config struct {
	Store  *store.Store
	Center *center.Service
	Sender Sender
	Logger *slog.Logger
	Now    func() time.Time // default time.Now
}

// Service connects the mail listener, the store and the center. It is
// safe for concurrent use.
type Service struct {
	st     *store.Store
	center *center.Service
	sender Sender
	log    *slog.Logger
	now    func() time.Time

	mu      sync.Mutex
	replies map[uint]bool // e-mails whose reply is being sent
}

// New checks cfg and returns a Service; it takes the center's e-mail
// assignments from now on. Call Start before the listener accepts mail.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("mailqueue: store is required")
	case cfg.Center == nil:
		return nil, errors.New("mailqueue: center is required")
	case cfg.Sender == nil:
		return nil, errors.New("mailqueue: sender is required")
	}
	s := &Service{st: cfg.Store, center: cfg.Center, sender: cfg.Sender, log: cfg.Logger, now: cfg.Now, replies: map[uint]bool{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	// At once: an assignment delivered while no handler is set is lost.
	s.center.OnEmail(s.assigned)
	return s, nil
}

// ContactID is the center's id of stored e-mail id ("mail-7").
func ContactID(id uint) acd.ContactID { return center.EmailContact(id) }

// Start queues again the e-mails stored as queued or assigned (after a
// restart the center knows none of them). The center should hold the
// directory already: an e-mail whose group it does not know stays stored,
// is logged, and is queued by a later Requeue.
func (s *Service) Start(ctx context.Context) error {
	return s.Requeue(ctx)
}

// Requeue queues the stored e-mails waiting for an answer that the center
// does not hold: after a restart, or once the group of an e-mail that
// could not be queued exists again. E-mails the center holds are left as
// they are, so it may be called after every change of the directory.
func (s *Service) Requeue(ctx context.Context) error {
	pending, err := s.st.QueuedEmails(ctx)
	if err != nil {
		return fmt.Errorf("mailqueue: queued e-mails: %w", err)
	}
	queued, orphans := 0, 0
	for i := range pending {
		switch err := s.center.EnqueueEmail(ContactID(pending[i].ID), groupID(pending[i].GroupID), contactInfo(&pending[i])); {
		case err == nil:
			queued++
		case errors.Is(err, acd.ErrDuplicateContact):
		case errors.Is(err, acd.ErrUnknownGroup):
			orphans++
		default:
			return fmt.Errorf("mailqueue: queue e-mail %d: %w", pending[i].ID, err)
		}
	}
	if queued > 0 {
		s.log.Info("mailqueue: e-mails queued again", slog.Int("count", queued))
	}
	if orphans > 0 {
		// Their group was deleted, or the center has not loaded it yet.
		s.log.Warn("mailqueue: e-mails waiting for a group the contact centre does not know", slog.Int("count", orphans))
	}
	return nil
}

func contactInfo(e *store.EmailContact) center.ContactInfo {
	return center.ContactInfo{TenantID: e.TenantID, From: e.FromAddr, To: e.ToAddr, Subject: e.Subject, EmailID: e.ID}
}

// enqueue puts stored e-mail e in its group's queue and reports whether it
// did. An e-mail the center already holds is left as it is.
func (s *Service) enqueue(e *store.EmailContact) bool {
	err := s.center.EnqueueEmail(ContactID(e.ID), groupID(e.GroupID), contactInfo(e))
	switch {
	case err == nil:
		return true
	case errors.Is(err, acd.ErrDuplicateContact):
	default:
		s.log.Warn("mailqueue: e-mail not queued", slog.Uint64("email_id", uint64(e.ID)),
			slog.Uint64("group_id", uint64(e.GroupID)), slog.Any("err", err))
	}
	return false
}

func groupID(id uint) acd.GroupID { return acd.GroupID(strconv.FormatUint(uint64(id), 10)) }

// assigned records an assignment the center took; it runs outside the
// center's lock, in order.
func (s *Service) assigned(a acd.Assignment, info center.ContactInfo) {
	agentID, err := strconv.ParseUint(string(a.Agent), 10, 64)
	if err != nil || info.EmailID == 0 {
		s.log.Error("mailqueue: assignment not understood", slog.String("contact", string(a.Contact)), slog.String("agent", string(a.Agent)))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.st.AssignEmail(ctx, info.EmailID, uint(agentID), s.now()); err != nil {
		if vms.ErrorCode(err) == vms.ECONFLICT || vms.ErrorCode(err) == vms.ENOTFOUND {
			// Answered or closed meanwhile (a re-queue raced the reply):
			// give the agent its capacity back.
			s.log.Info("mailqueue: assignment of a finished e-mail released", slog.Uint64("email_id", uint64(info.EmailID)), slog.Any("err", err))
			s.end(info.EmailID)
			return
		}
		// The center holds the assignment; the agent will not see the
		// e-mail on the desktop until it is assigned again.
		s.log.Error("mailqueue: record assignment", slog.Uint64("email_id", uint64(info.EmailID)),
			slog.Uint64("agent_id", agentID), slog.Any("err", err))
		return
	}
	s.log.Info("mailqueue: e-mail assigned", slog.Uint64("email_id", uint64(info.EmailID)),
		slog.Uint64("agent_id", agentID), slog.Duration("waited", a.Waited))
}

// Resolve is the mailin resolver: a recipient is a group's address or
// unknown. The center answers at once; an address it does not know is
// looked up in the store, which may hold a group the center has not
// loaded yet (just created, or the database was down at start): such a
// mail is stored and queued once the center knows the group (Requeue).
// A failed look-up is an error, so that the sender retries.
func (s *Service) Resolve(ctx context.Context, rcpt string) (mailin.Target, bool, error) {
	if g, ok := s.center.GroupByEmail(rcpt); ok {
		return mailin.Target{TenantID: g.TenantID, GroupID: string(g.ID), Address: g.Email}, true, nil
	}
	g, err := s.st.AgentGroupByEmail(ctx, rcpt)
	if vms.ErrorCode(err) == vms.ENOTFOUND {
		return mailin.Target{}, false, nil
	}
	if err != nil {
		return mailin.Target{}, false, fmt.Errorf("mailqueue: group of %s: %w", rcpt, err)
	}
	return mailin.Target{TenantID: g.TenantID, GroupID: strconv.FormatUint(uint64(g.ID), 10), Address: g.EmailAddress()}, true, nil
}

// Deliver is the mailin delivery: it stores m as an e-mail contact of
// group t and queues it. A mail whose Message-ID the group already holds
// (the sender retrying after a temporary failure) is accepted and dropped.
func (s *Service) Deliver(ctx context.Context, t mailin.Target, m *mailin.Message) error {
	gid, err := strconv.ParseUint(t.GroupID, 10, 64)
	if err != nil {
		return fmt.Errorf("mailqueue: group id %q: %w", t.GroupID, err)
	}
	e, atts := contactOf(t, uint(gid), m, s.now())
	if e.MessageID != "" {
		dup, err := s.duplicate(ctx, e)
		if err != nil {
			return err
		}
		if dup != 0 {
			s.log.Info("mailqueue: duplicate mail dropped", slog.String("message_id", e.MessageID), slog.Uint64("email_id", uint64(dup)))
			return nil
		}
	}
	if err := s.st.CreateEmailContact(ctx, e, atts); err != nil {
		return fmt.Errorf("mailqueue: store e-mail: %w", err)
	}
	s.log.Info("mailqueue: e-mail received", slog.Uint64("email_id", uint64(e.ID)), slog.Uint64("tenant_id", uint64(e.TenantID)),
		slog.String("group_id", t.GroupID), slog.Int("attachments", len(atts)))
	s.enqueue(e)
	return nil
}

// duplicate returns the id of a stored e-mail of e's group with e's
// Message-ID, or 0.
func (s *Service) duplicate(ctx context.Context, e *store.EmailContact) (uint, error) {
	return s.st.EmailByMessageID(ctx, e.TenantID, e.GroupID, e.MessageID)
}

// contactOf builds the stored form of m, cut to the columns' sizes.
func contactOf(t mailin.Target, gid uint, m *mailin.Message, now time.Time) (*store.EmailContact, []store.EmailAttachment) {
	to := t.Address
	e := &store.EmailContact{
		TenantID:   t.TenantID,
		GroupID:    gid,
		MessageID:  clip(m.MessageID, 998),
		References: JoinIDs(m.References),
		FromAddr:   clip(strings.ToLower(m.From.Address), 254),
		FromName:   clip(m.From.Name, 200),
		ToAddr:     clip(strings.ToLower(to), 254),
		Subject:    clip(m.Subject, 998),
		TextBody:   clean(m.Text),
		HTMLBody:   clean(m.HTML),
		Raw:        m.Raw,
		State:      store.EmailQueued,
		ReceivedAt: now,
	}
	if !validID(e.MessageID) {
		e.MessageID = ""
	}
	atts := make([]store.EmailAttachment, 0, len(m.Attachments))
	for _, a := range m.Attachments {
		atts = append(atts, store.EmailAttachment{
			Filename: clip(a.Filename, 255), ContentType: clip(a.ContentType, 255),
			Size: int64(len(a.Data)), Data: a.Data,
		})
	}
	return e, atts
}

// clean makes s storable in a text column of either database: valid
// UTF-8 without NUL characters (PostgreSQL refuses both).
func clean(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// clip cleans s and cuts it to at most n bytes, on a character boundary.
func clip(s string, n int) string {
	s = clean(s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// held returns e-mail emailID of the tenant when agent agentID holds it,
// and a not-found error otherwise (the caller learns nothing of e-mails
// that are not theirs).
func (s *Service) held(ctx context.Context, tenantID, agentID, emailID uint) (*store.EmailContact, error) {
	e, err := s.st.GetEmailContact(ctx, tenantID, emailID)
	if err != nil {
		return nil, err
	}
	if e.AgentID == nil || *e.AgentID != agentID {
		return nil, vms.Errorf(vms.ENOTFOUND, "no such e-mail")
	}
	if e.State != store.EmailAssigned {
		return nil, vms.Errorf(vms.ECONFLICT, "this e-mail was already %s", e.State)
	}
	if !s.center.Holds(acd.AgentID(strconv.FormatUint(uint64(agentID), 10)), ContactID(emailID)) {
		return nil, vms.Errorf(vms.ECONFLICT, "this e-mail went back to its group's queue when you logged out; it will be offered again")
	}
	return e, nil
}

// take returns e-mail emailID when agent agentID holds it and no other
// reply or close of it is running; done ends the hold.
func (s *Service) take(ctx context.Context, tenantID, agentID, emailID uint) (e *store.EmailContact, done func(), err error) {
	if _, err := s.held(ctx, tenantID, agentID, emailID); err != nil {
		return nil, nil, err // checked first: others learn nothing of it
	}
	if done, err = s.begin(emailID); err != nil {
		return nil, nil, err
	}
	if e, err = s.held(ctx, tenantID, agentID, emailID); err != nil { // a reply may have ended it meanwhile
		done()
		return nil, nil, err
	}
	return e, done, nil
}

// begin marks a reply or close of emailID as running, so that a double
// click sends one reply.
func (s *Service) begin(emailID uint) (func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.replies[emailID] {
		return nil, vms.Errorf(vms.ECONFLICT, "a reply to this e-mail is being sent")
	}
	s.replies[emailID] = true
	return func() {
		s.mu.Lock()
		delete(s.replies, emailID)
		s.mu.Unlock()
	}, nil
}

// Reply sends body to the sender of e-mail emailID from the group's
// address, in the thread of the original mail, records it and ends the
// contact. Only the agent holding the e-mail may reply.
func (s *Service) Reply(ctx context.Context, a store.Actor, tenantID, agentID, emailID uint, body string) error {
	if strings.TrimSpace(body) == "" {
		return vms.FieldError("body", "write the reply")
	}
	if len(body) > MaxReplyBytes {
		return vms.FieldError("body", "is too long (at most %d KB)", MaxReplyBytes>>10)
	}
	if !utf8.ValidString(body) || strings.ContainsRune(body, 0) {
		return vms.FieldError("body", "contains characters that cannot be sent")
	}
	e, done, err := s.take(ctx, tenantID, agentID, emailID)
	if err != nil {
		return err
	}
	defer done()
	msg, replyID, err := s.replyTo(e, body)
	if err != nil {
		return err
	}
	if err := s.sender.Send(ctx, msg); err != nil {
		s.log.Warn("mailqueue: reply not sent", slog.Uint64("email_id", uint64(e.ID)), slog.Any("err", err))
		if vms.ErrorCode(err) != vms.EINTERNAL {
			return err
		}
		return vms.Errorf(vms.EUNAVAILABLE, "the reply could not be sent; try again in a moment")
	}
	if err := s.st.AnswerEmail(ctx, a, tenantID, e.ID, replyID, body, s.now()); err != nil {
		// The reply went out: say so in the log, which is all that can
		// be done; the e-mail stays with the agent.
		s.log.Error("mailqueue: reply sent but not recorded", slog.Uint64("email_id", uint64(e.ID)),
			slog.String("reply_message_id", replyID), slog.Any("err", err))
		return fmt.Errorf("mailqueue: record reply: %w", err)
	}
	s.end(e.ID)
	s.log.Info("mailqueue: e-mail answered", slog.Uint64("email_id", uint64(e.ID)), slog.Uint64("agent_id", uint64(agentID)))
	return nil
}

// Close ends e-mail emailID without a reply (spam, nothing to answer).
// Only the agent holding the e-mail may close it.
func (s *Service) Close(ctx context.Context, a store.Actor, tenantID, agentID, emailID uint) error {
	e, done, err := s.take(ctx, tenantID, agentID, emailID)
	if err != nil {
		return err
	}
	defer done()
	if err := s.st.CloseEmail(ctx, a, tenantID, e.ID); err != nil {
		return err
	}
	s.end(e.ID)
	return nil
}

// end tells the center the agent is done with e-mail id. One that went
// back to its queue meanwhile (its agent logged out) is taken out of it.
func (s *Service) end(id uint) {
	cid := ContactID(id)
	err := s.center.Ended(cid)
	if errors.Is(err, acd.ErrContactState) {
		err = s.center.Abandon(cid)
	}
	if err != nil && !errors.Is(err, acd.ErrUnknownContact) {
		s.log.Warn("mailqueue: end contact", slog.String("contact", string(cid)), slog.Any("err", err))
	}
}

// replyTo builds the reply to e: from the group's address (named after the
// group), to the original sender (its Reply-To when it had one), in the
// thread. It returns the reply's Message-ID without brackets.
func (s *Service) replyTo(e *store.EmailContact, body string) (mail.Message, string, error) {
	from := e.ToAddr
	name := ""
	if g, ok := s.center.GroupByEmail(e.ToAddr); ok {
		name = g.Name
	}
	to := replyAddress(e)
	if to == "" {
		return mail.Message{}, "", vms.Errorf(vms.ECONFLICT, "this e-mail has no sender address to reply to")
	}
	domain := from[strings.LastIndexByte(from, '@')+1:]
	id := NewMessageID(domain)
	th := ReplyThread(e.Subject, e.MessageID, e.References)
	return mail.Message{
		From:    (&netmail.Address{Name: name, Address: from}).String(),
		To:      []string{to},
		Subject: th.Subject,
		Text:    ReplyText(body, e),
		Headers: th.Headers(id),
	}, id, nil
}

// replyAddress is where a reply to e goes: the first Reply-To address of
// the original, or its From.
func replyAddress(e *store.EmailContact) string {
	if len(e.Raw) > 0 {
		if m, err := netmail.ReadMessage(bytes.NewReader(e.Raw)); err == nil {
			if l, err := m.Header.AddressList("Reply-To"); err == nil && len(l) > 0 {
				return l[0].Address
			}
		}
	}
	return e.FromAddr
}

// maxQuoted bounds the original text quoted below a reply.
const maxQuoted = 16 << 10

// ReplyText is the body of a reply: the agent's text, then the original
// text quoted with "> " under an attribution line.
func ReplyText(body string, e *store.EmailContact) string {
	body = strings.TrimRight(strings.ReplaceAll(body, "\r\n", "\n"), " \n")
	orig := strings.TrimSpace(strings.ReplaceAll(e.TextBody, "\r\n", "\n"))
	if orig == "" {
		return body + "\n"
	}
	if len(orig) > maxQuoted {
		orig = strings.ToValidUTF8(orig[:maxQuoted], "") + "\n[...]"
	}
	who := e.FromAddr
	if e.FromName != "" {
		who = e.FromName + " <" + e.FromAddr + ">"
	}
	var b strings.Builder
	b.WriteString(body)
	b.WriteString("\n\n")
	fmt.Fprintf(&b, "On %s, %s wrote:\n", e.ReceivedAt.UTC().Format("Mon, 2 Jan 2006 15:04 MST"), who)
	for _, line := range strings.Split(orig, "\n") {
		if line == "" || strings.HasPrefix(line, ">") {
			b.WriteString(">" + line + "\n")
		} else {
			b.WriteString("> " + line + "\n")
		}
	}
	return b.String()
}
