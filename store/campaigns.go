package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	vms "github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/campaign"
)

// Outbound campaigns (OUT-1..OUT-7): messages, campaigns and their state,
// the contacts frozen when a campaign is scheduled, and the dialer's side:
// attempts recorded before they are dialled, and a lease so that one
// process dials a campaign.
//
// The lease is a row (campaign_leases) taken and renewed by a conditional
// UPDATE ("… WHERE owner = me OR expires_at < now"), not a PostgreSQL
// advisory lock: advisory locks belong to a database session, and GORM's
// pool hands each statement any connection, so a lock could be taken on
// one connection and silently lost with it. The row works the same on
// both dialects and survives a crash of its owner only until it expires.

// messageAudit is what the audit log keeps of a message (not its audio).
type messageAudit struct {
	ID, TenantID   uint
	Name, SHA256   string
	DurationMS     int
	OriginalBytes  int
	ConvertedBytes int
}

func auditOfMessage(m *CampaignMessage) messageAudit {
	return messageAudit{ID: m.ID, TenantID: m.TenantID, Name: m.Name, SHA256: m.SHA256, DurationMS: m.DurationMS,
		OriginalBytes: len(m.Original), ConvertedBytes: len(m.Converted)}
}

// CreateCampaignMessage saves an uploaded message of the tenant: the
// original as received and the converted WAV, whose SHA-256 (lower-case
// hex) sha must be. The caller validates and converts the audio (package
// pcm).
func (s *Store) CreateCampaignMessage(ctx context.Context, a Actor, tenantID uint, name string, original, converted []byte, sha string, durationMS int) (*CampaignMessage, error) {
	name, err := checkObjectName(name)
	if err != nil {
		return nil, err
	}
	if len(converted) == 0 || len(original) == 0 {
		return nil, vms.FieldError("file", "is empty")
	}
	sum := sha256.Sum256(converted)
	if hex.EncodeToString(sum[:]) != sha {
		return nil, fmt.Errorf("store: create campaign message: sha256 %q does not match the converted audio", sha)
	}
	m := &CampaignMessage{TenantID: tenantID, Name: name, Original: original, Converted: converted, SHA256: sha, DurationMS: durationMS}
	err = s.tx(ctx, func(db *gorm.DB) error {
		if err := db.Create(m).Error; err != nil {
			return uniqueAs(err, "create campaign message", "name", "a message with this name already exists")
		}
		return s.audit(db, a, auditRecord{action: "campaign_message.create", objectType: "campaign_message", objectID: m.ID,
			tenantID: ptr(tenantID), after: auditOfMessage(m)})
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// ListCampaignMessages returns the tenant's messages by name, without
// their audio.
func (s *Store) ListCampaignMessages(ctx context.Context, tenantID uint) ([]CampaignMessage, error) {
	var out []CampaignMessage
	if err := s.db.WithContext(ctx).Omit("original", "converted").Where("tenant_id = ?", tenantID).
		Order("name, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list campaign messages: %w", err)
	}
	return out, nil
}

// GetCampaignMessage returns a message of the tenant with its audio.
func (s *Store) GetCampaignMessage(ctx context.Context, tenantID, id uint) (*CampaignMessage, error) {
	var m CampaignMessage
	if err := first(s.db.WithContext(ctx).Where("id = ? AND tenant_id = ?", id, tenantID), &m, "message", id); err != nil {
		return nil, err
	}
	return &m, nil
}

// CampaignMessageBySHA returns the message whose converted audio has this
// SHA-256, of any tenant (for the media route the engine fetches).
func (s *Store) CampaignMessageBySHA(ctx context.Context, sha string) (*CampaignMessage, error) {
	var m CampaignMessage
	if err := first(s.db.WithContext(ctx).Where("sha256 = ?", strings.ToLower(sha)).Order("id"), &m, "message", sha); err != nil {
		return nil, err
	}
	return &m, nil
}

// DeleteCampaignMessage deletes a message of the tenant; it is refused
// while a campaign uses it.
func (s *Store) DeleteCampaignMessage(ctx context.Context, a Actor, tenantID, id uint) error {
	return s.tx(ctx, func(db *gorm.DB) error {
		var m CampaignMessage
		if err := first(db.Omit("original", "converted").Where("id = ? AND tenant_id = ?", id, tenantID), &m, "message", id); err != nil {
			return err
		}
		var users []string
		if err := db.Model(&Campaign{}).Where("message_id = ?", id).Order("name").Pluck("name", &users).Error; err != nil {
			return fmt.Errorf("store: delete campaign message: %w", err)
		}
		if len(users) > 0 {
			return &vms.Error{Code: vms.ECONFLICT, Field: "message", Message: "is used by campaign " + strings.Join(users, ", ")}
		}
		if err := db.Delete(&CampaignMessage{}, id).Error; err != nil {
			return translate(err, "delete campaign message")
		}
		return s.audit(db, a, auditRecord{action: "campaign_message.delete", objectType: "campaign_message", objectID: id,
			tenantID: ptr(tenantID), before: auditOfMessage(&m)})
	})
}

// CampaignInput is what a user sets on a campaign: its settings (the name
// is Settings.Name), its message and its lists.
type CampaignInput struct {
	MessageID uint
	ListIDs   []uint
	Settings  campaign.Campaign
}

// checkCampaign validates in for the tenant on db and returns the
// normalised settings as JSON and the list ids without duplicates.
func checkCampaign(db *gorm.DB, tenantID uint, in CampaignInput) (string, []uint, error) {
	var t Tenant
	if err := first(db.Where("id = ?", tenantID), &t, "tenant", tenantID); err != nil {
		return "", nil, err
	}
	set := in.Settings
	if set.TimeZone == "" {
		set.TimeZone = t.TimeZone
	}
	lim, err := campaignLimits(db, tenantID)
	if err != nil {
		return "", nil, err
	}
	plan, err := campaign.Compile(set, lim.Limits())
	if err != nil {
		return "", nil, firstProblem(err)
	}
	set = plan.Campaign()
	for k, ka := range set.Keys {
		if ka.Action != campaign.Connect {
			continue
		}
		var n int64
		if err := db.Model(&AgentGroup{}).Where("tenant_id = ? AND group_key = ?", tenantID, strings.TrimSpace(ka.Group)).Count(&n).Error; err != nil {
			return "", nil, fmt.Errorf("store: check campaign group: %w", err)
		}
		if n == 0 {
			return "", nil, vms.FieldError("keys."+k+".group", "no group of this customer has the key %q", ka.Group)
		}
	}
	if in.MessageID == 0 {
		return "", nil, vms.FieldError("message_id", "is required")
	}
	var n int64
	if err := db.Model(&CampaignMessage{}).Where("id = ? AND tenant_id = ?", in.MessageID, tenantID).Count(&n).Error; err != nil {
		return "", nil, fmt.Errorf("store: check campaign message: %w", err)
	}
	if n == 0 {
		return "", nil, vms.FieldError("message_id", "is not a message of this customer")
	}
	var ids []uint
	for _, id := range in.ListIDs {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return "", nil, vms.FieldError("list_ids", "at least one call list is required")
	}
	if err := db.Model(&CallList{}).Where("id IN ? AND tenant_id = ?", ids, tenantID).Count(&n).Error; err != nil {
		return "", nil, fmt.Errorf("store: check campaign lists: %w", err)
	}
	if int(n) != len(ids) {
		return "", nil, vms.FieldError("list_ids", "holds a list that is not a call list of this customer")
	}
	slices.Sort(ids)
	b, err := json.Marshal(set)
	if err != nil {
		return "", nil, fmt.Errorf("store: campaign settings: %w", err)
	}
	return string(b), ids, nil
}

// campaignListIDs returns the lists of a campaign.
func campaignListIDs(db *gorm.DB, id uint) ([]uint, error) {
	var ids []uint
	if err := db.Model(&CampaignList{}).Where("campaign_id = ?", id).Order("list_id").Pluck("list_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("store: campaign lists: %w", err)
	}
	return ids, nil
}

func setCampaignLists(db *gorm.DB, id uint, ids []uint) error {
	if err := db.Where("campaign_id = ?", id).Delete(&CampaignList{}).Error; err != nil {
		return translate(err, "save campaign lists")
	}
	rows := make([]CampaignList, len(ids))
	for i, l := range ids {
		rows[i] = CampaignList{CampaignID: id, ListID: l}
	}
	if err := db.Create(&rows).Error; err != nil {
		return translate(err, "save campaign lists")
	}
	return nil
}

// CreateCampaign creates a draft campaign of the tenant. The settings are
// checked with campaign.Compile against the tenant's limits (an empty time
// zone takes the tenant's), every connect key must name a group of the
// tenant, and the message and lists must be the tenant's.
func (s *Store) CreateCampaign(ctx context.Context, a Actor, tenantID uint, in CampaignInput) (*Campaign, error) {
	c := &Campaign{TenantID: tenantID, MessageID: in.MessageID, State: CampaignDraft, Version: 1}
	err := s.tx(ctx, func(db *gorm.DB) error {
		settings, ids, err := checkCampaign(db, tenantID, in)
		if err != nil {
			return err
		}
		c.Settings, c.ListIDs = settings, ids
		cfg, _ := c.Config()
		c.Name = cfg.Name
		if err := db.Create(c).Error; err != nil {
			return uniqueAs(err, "create campaign", "name", "a campaign with this name already exists")
		}
		if err := setCampaignLists(db, c.ID, ids); err != nil {
			return err
		}
		return s.audit(db, a, auditRecord{action: "campaign.create", objectType: "campaign", objectID: c.ID, tenantID: ptr(tenantID), after: c})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// UpdateCampaign saves new settings of a campaign of the tenant that is a
// draft, paused or stopped, if its Version is still version (ECONFLICT
// otherwise: someone changed it meanwhile). Its lists can change only
// while it is a draft: a scheduled campaign's contacts are frozen.
func (s *Store) UpdateCampaign(ctx context.Context, a Actor, tenantID, id uint, version int, in CampaignInput) (*Campaign, error) {
	var c Campaign
	err := s.tx(ctx, func(db *gorm.DB) error {
		if err := first(db.Where("id = ? AND tenant_id = ?", id, tenantID), &c, "campaign", id); err != nil {
			return err
		}
		before := c
		if c.Version != version {
			return &vms.Error{Code: vms.ECONFLICT, Field: "version", Message: "the campaign was changed meanwhile; reload it and try again"}
		}
		switch c.State {
		case CampaignDraft, CampaignPaused, CampaignStopped:
		default:
			return &vms.Error{Code: vms.ECONFLICT, Field: "state", Message: fmt.Sprintf("a %s campaign cannot be changed; pause it first", c.State)}
		}
		settings, ids, err := checkCampaign(db, tenantID, in)
		if err != nil {
			return err
		}
		old, err := campaignListIDs(db, id)
		if err != nil {
			return err
		}
		if c.State != CampaignDraft && !slices.Equal(old, ids) {
			return vms.FieldError("list_ids", "can change only before the campaign is scheduled")
		}
		cfg, _ := (&Campaign{Settings: settings}).Config()
		c.Name, c.Settings, c.MessageID = cfg.Name, settings, in.MessageID
		c.Version++
		c.UpdatedAt = s.now()
		res := db.Model(&Campaign{}).Where("id = ? AND version = ?", id, version).
			Updates(map[string]any{"name": c.Name, "settings": c.Settings, "message_id": c.MessageID, "version": c.Version, "updated_at": c.UpdatedAt})
		if res.Error != nil {
			return uniqueAs(res.Error, "update campaign", "name", "a campaign with this name already exists")
		}
		if res.RowsAffected != 1 {
			return &vms.Error{Code: vms.ECONFLICT, Field: "version", Message: "the campaign was changed meanwhile; reload it and try again"}
		}
		if c.State == CampaignDraft {
			if err := setCampaignLists(db, id, ids); err != nil {
				return err
			}
		}
		c.ListIDs = ids
		before.ListIDs = old
		return s.audit(db, a, auditRecord{action: "campaign.update", objectType: "campaign", objectID: id, tenantID: ptr(tenantID), before: &before, after: &c})
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// DeleteCampaign deletes a campaign of the tenant with its contacts and
// attempts. It is refused while the campaign runs or is paused (calls may
// be in progress): stop it first.
func (s *Store) DeleteCampaign(ctx context.Context, a Actor, tenantID, id uint) error {
	return s.tx(ctx, func(db *gorm.DB) error {
		var c Campaign
		if err := first(db.Where("id = ? AND tenant_id = ?", id, tenantID), &c, "campaign", id); err != nil {
			return err
		}
		if c.State == CampaignRunning || c.State == CampaignPaused {
			return &vms.Error{Code: vms.ECONFLICT, Field: "state", Message: fmt.Sprintf("a %s campaign cannot be deleted; stop it first", c.State)}
		}
		for _, m := range []any{&CampaignAttempt{}, &CampaignContact{}, &CampaignList{}, &CampaignLease{}} {
			if err := db.Where("campaign_id = ?", id).Delete(m).Error; err != nil {
				return translate(err, "delete campaign")
			}
		}
		if err := db.Delete(&Campaign{}, id).Error; err != nil {
			return translate(err, "delete campaign")
		}
		return s.audit(db, a, auditRecord{action: "campaign.delete", objectType: "campaign", objectID: id, tenantID: ptr(tenantID), before: &c})
	})
}

// fillCampaigns loads the lists and progress of cs.
func fillCampaigns(db *gorm.DB, cs []Campaign) error {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]uint, len(cs))
	at := make(map[uint]*Campaign, len(cs))
	for i := range cs {
		ids[i] = cs[i].ID
		at[cs[i].ID] = &cs[i]
		cs[i].ListIDs = nil
		cs[i].Progress = CampaignProgress{}
	}
	var links []CampaignList
	if err := db.Where("campaign_id IN ?", ids).Order("campaign_id, list_id").Find(&links).Error; err != nil {
		return fmt.Errorf("store: campaign lists: %w", err)
	}
	for _, l := range links {
		at[l.CampaignID].ListIDs = append(at[l.CampaignID].ListIDs, l.ListID)
	}
	var states []struct {
		CampaignID uint
		State      string
		N          int
	}
	if err := db.Model(&CampaignContact{}).Select("campaign_id, state, COUNT(*) AS n").Where("campaign_id IN ?", ids).
		Group("campaign_id, state").Scan(&states).Error; err != nil {
		return fmt.Errorf("store: campaign progress: %w", err)
	}
	for _, r := range states {
		p := &at[r.CampaignID].Progress
		p.Total += r.N
		switch r.State {
		case ContactWaiting:
			p.Waiting += r.N
		case ContactCalling:
			p.Calling += r.N
		case ContactDone:
			p.Done += r.N
		}
	}
	var reached []struct {
		CampaignID uint
		Answered   int
		Connected  int
	}
	if err := db.Model(&CampaignAttempt{}).
		Select("campaign_id, COUNT(DISTINCT CASE WHEN outcome = ? THEN contact_id END) AS answered, COUNT(DISTINCT CASE WHEN connected THEN contact_id END) AS connected", string(campaign.Answered)).
		Where("campaign_id IN ?", ids).Group("campaign_id").Scan(&reached).Error; err != nil {
		return fmt.Errorf("store: campaign progress: %w", err)
	}
	for _, r := range reached {
		at[r.CampaignID].Progress.Answered = r.Answered
		at[r.CampaignID].Progress.Connected = r.Connected
	}
	return nil
}

// ListCampaigns returns the tenant's campaigns, newest first, with their
// lists and progress.
func (s *Store) ListCampaigns(ctx context.Context, tenantID uint) ([]Campaign, error) {
	db := s.db.WithContext(ctx)
	var out []Campaign
	if err := db.Where("tenant_id = ?", tenantID).Order("created_at DESC, id DESC").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list campaigns: %w", err)
	}
	if err := fillCampaigns(db, out); err != nil {
		return nil, err
	}
	return out, nil
}

// GetCampaign returns a campaign of the tenant with its lists and
// progress; another tenant's is ENOTFOUND.
func (s *Store) GetCampaign(ctx context.Context, tenantID, id uint) (*Campaign, error) {
	db := s.db.WithContext(ctx)
	var c Campaign
	if err := first(db.Where("id = ? AND tenant_id = ?", id, tenantID), &c, "campaign", id); err != nil {
		return nil, err
	}
	cs := []Campaign{c}
	if err := fillCampaigns(db, cs); err != nil {
		return nil, err
	}
	return &cs[0], nil
}

// CampaignByID returns a campaign of any tenant with its lists and
// progress (for the dialer).
func (s *Store) CampaignByID(ctx context.Context, id uint) (*Campaign, error) {
	db := s.db.WithContext(ctx)
	var c Campaign
	if err := first(db.Where("id = ?", id), &c, "campaign", id); err != nil {
		return nil, err
	}
	cs := []Campaign{c}
	if err := fillCampaigns(db, cs); err != nil {
		return nil, err
	}
	return &cs[0], nil
}

// campaignTransitions are the state changes SetCampaignState allows.
// Stopped and done are final.
var campaignTransitions = map[string][]string{
	CampaignDraft:     {CampaignScheduled},
	CampaignScheduled: {CampaignRunning, CampaignStopped},
	CampaignRunning:   {CampaignPaused, CampaignStopped, CampaignDone},
	CampaignPaused:    {CampaignRunning, CampaignStopped},
}

// stateVerbs say what a transition to a state does, for refusals.
var stateVerbs = map[string]string{
	CampaignScheduled: "scheduled",
	CampaignRunning:   "started or resumed",
	CampaignPaused:    "paused",
	CampaignStopped:   "stopped",
	CampaignDone:      "finished",
}

// SetCampaignState moves a campaign of the tenant to state to, if its
// state is one of from (any when from is empty; ECONFLICT otherwise:
// someone changed it meanwhile). Allowed: draft → scheduled (freezes its
// contacts from its lists, a number on several lists once, within the
// tenant's limit of scheduled campaigns), scheduled or paused → running
// (within the limit of running campaigns), running → paused, scheduled,
// running or paused → stopped, running → done. Stopped and done are
// final.
func (s *Store) SetCampaignState(ctx context.Context, a Actor, tenantID, id uint, from []string, to string) (*Campaign, error) {
	var c Campaign
	err := s.tx(ctx, func(db *gorm.DB) error {
		if err := s.lockTenant(db, tenantID); err != nil {
			return err
		}
		if err := first(db.Where("id = ? AND tenant_id = ?", id, tenantID), &c, "campaign", id); err != nil {
			return err
		}
		before := c
		if len(from) > 0 && !slices.Contains(from, c.State) {
			return &vms.Error{Code: vms.ECONFLICT, Field: "state", Message: fmt.Sprintf("the campaign is %s now", c.State)}
		}
		if !slices.Contains(campaignTransitions[c.State], to) {
			verb := stateVerbs[to]
			if verb == "" {
				return vms.FieldError("state", "%q is not a campaign state", to)
			}
			return &vms.Error{Code: vms.ECONFLICT, Field: "state", Message: fmt.Sprintf("a %s campaign cannot be %s", c.State, verb)}
		}
		lim, err := campaignLimits(db, tenantID)
		if err != nil {
			return err
		}
		now := s.now()
		switch to {
		case CampaignScheduled:
			if err := s.freezeContacts(db, &c, lim); err != nil {
				return err
			}
		case CampaignRunning:
			var n int64
			if err := db.Model(&Campaign{}).Where("tenant_id = ? AND state = ? AND id <> ?", tenantID, CampaignRunning, id).Count(&n).Error; err != nil {
				return fmt.Errorf("store: count running campaigns: %w", err)
			}
			if err := lim.Limits().Check(campaign.Usage{Running: int(n) + 1}); err != nil {
				return limitError(err, "state")
			}
			if c.StartedAt == nil {
				c.StartedAt = &now
			}
		case CampaignStopped, CampaignDone:
			c.FinishedAt = &now
		}
		c.State = to
		c.Version++
		c.UpdatedAt = now
		res := db.Model(&Campaign{}).Where("id = ? AND version = ?", id, before.Version).
			Updates(map[string]any{"state": c.State, "version": c.Version, "updated_at": now, "started_at": c.StartedAt, "finished_at": c.FinishedAt})
		if res.Error != nil {
			return translate(res.Error, "set campaign state")
		}
		if res.RowsAffected != 1 {
			return &vms.Error{Code: vms.ECONFLICT, Field: "state", Message: "the campaign was changed meanwhile; reload it and try again"}
		}
		return s.audit(db, a, auditRecord{action: "campaign." + to, objectType: "campaign", objectID: id, tenantID: ptr(tenantID),
			before: map[string]any{"State": before.State, "Version": before.Version}, after: map[string]any{"State": c.State, "Version": c.Version}})
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// freezeContacts checks that draft c may be scheduled (settings still
// valid under the current limits, within the limit of scheduled
// campaigns, at least one number) and copies its lists' entries into its
// contacts.
func (s *Store) freezeContacts(db *gorm.DB, c *Campaign, lim *CampaignLimits) error {
	cfg, err := c.Config()
	if err != nil {
		return fmt.Errorf("store: campaign %d settings: %w", c.ID, err)
	}
	if _, err := campaign.Compile(cfg, lim.Limits()); err != nil {
		return firstProblem(err)
	}
	var n int64
	if err := db.Model(&Campaign{}).Where("tenant_id = ? AND state IN ?", c.TenantID,
		[]string{CampaignScheduled, CampaignRunning, CampaignPaused}).Count(&n).Error; err != nil {
		return fmt.Errorf("store: count scheduled campaigns: %w", err)
	}
	if err := lim.Limits().Check(campaign.Usage{Scheduled: int(n) + 1}); err != nil {
		return limitError(err, "state")
	}
	ids, err := campaignListIDs(db, c.ID)
	if err != nil {
		return err
	}
	var entries []CallListEntry
	if err := db.Where("list_id IN ?", ids).Order("list_id, line, id").Find(&entries).Error; err != nil {
		return fmt.Errorf("store: freeze campaign contacts: %w", err)
	}
	seen := make(map[string]bool, len(entries))
	var rows []CampaignContact
	now := s.now()
	for _, e := range entries {
		if seen[e.E164] {
			continue
		}
		seen[e.E164] = true
		rows = append(rows, CampaignContact{CampaignID: c.ID, E164: e.E164, Name: e.Name, Extra: e.Extra, State: ContactWaiting, UpdatedAt: now})
	}
	if len(rows) == 0 {
		return vms.FieldError("list_ids", "the campaign's call lists hold no number")
	}
	if err := db.Where("campaign_id = ?", c.ID).Delete(&CampaignContact{}).Error; err != nil {
		return translate(err, "freeze campaign contacts")
	}
	if err := db.Omit("History").CreateInBatches(rows, 500).Error; err != nil {
		return translate(err, "freeze campaign contacts")
	}
	return nil
}

// RunnableCampaigns returns the campaigns of every tenant the dialer has
// to look at: those scheduled or running, by id. now is the dialer's
// clock; the campaigns' windows and dates are the dialer's business (with
// campaign.Plan), so it is not used to filter here.
func (s *Store) RunnableCampaigns(ctx context.Context, now time.Time) ([]Campaign, error) {
	_ = now
	var out []Campaign
	if err := s.db.WithContext(ctx).Where("state IN ?", []string{CampaignScheduled, CampaignRunning}).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: runnable campaigns: %w", err)
	}
	return out, nil
}

// CampaignContacts returns the contacts of a campaign in list order with
// their attempts (History, by number), for campaign.Plan.Next (see
// CampaignContact.PlanContact).
func (s *Store) CampaignContacts(ctx context.Context, campaignID uint) ([]CampaignContact, error) {
	var out []CampaignContact
	err := s.db.WithContext(ctx).Preload("History", func(db *gorm.DB) *gorm.DB { return db.Order("number") }).
		Where("campaign_id = ?", campaignID).Order("id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: campaign contacts: %w", err)
	}
	return out, nil
}

// CampaignResults returns the contacts of a campaign of the tenant with
// their attempts, for the results page and its CSV export (OUT-6).
func (s *Store) CampaignResults(ctx context.Context, tenantID, id uint) ([]CampaignContact, error) {
	var c Campaign
	if err := first(s.db.WithContext(ctx).Where("id = ? AND tenant_id = ?", id, tenantID), &c, "campaign", id); err != nil {
		return nil, err
	}
	return s.CampaignContacts(ctx, id)
}

// attemptConflict is the refusal of an attempt that must not be dialled.
func attemptConflict(format string, args ...any) error {
	return &vms.Error{Code: vms.ECONFLICT, Field: "attempt", Message: fmt.Sprintf(format, args...)}
}

// BeginAttempt records attempt number of a contact before the dialer
// originates it (OUT-7), and marks the contact as being called. It is the
// guard against dialling twice: it is refused (ECONFLICT) unless the
// campaign is running, owner holds the campaign's lease at the time at,
// the contact is not done, and number is the contact's next attempt — the
// unique (contact, number) index settles two concurrent calls: one wins.
func (s *Store) BeginAttempt(ctx context.Context, campaignID, contactID uint, number int, channelID, owner string, at time.Time) (*CampaignAttempt, error) {
	at = at.UTC().Truncate(time.Microsecond)
	att := &CampaignAttempt{CampaignID: campaignID, ContactID: contactID, Number: number, ChannelID: channelID, StartedAt: at, Owner: owner}
	err := s.tx(ctx, func(db *gorm.DB) error {
		var c Campaign
		if err := first(db.Select("id", "state").Where("id = ?", campaignID), &c, "campaign", campaignID); err != nil {
			return err
		}
		if c.State != CampaignRunning {
			return attemptConflict("the campaign is %s, not running", c.State)
		}
		var leases int64
		if err := db.Model(&CampaignLease{}).Where("campaign_id = ? AND owner = ? AND expires_at > ?", campaignID, owner, at).Count(&leases).Error; err != nil {
			return fmt.Errorf("store: begin attempt: lease: %w", err)
		}
		if leases == 0 {
			return attemptConflict("%s does not hold the lease of campaign %d", owner, campaignID)
		}
		var ct CampaignContact
		if err := first(db.Where("id = ? AND campaign_id = ?", contactID, campaignID), &ct, "contact", contactID); err != nil {
			return err
		}
		switch {
		case ct.State == ContactDone || ct.DoNotCall:
			return attemptConflict("contact %d is done", contactID)
		case number <= ct.Attempts:
			return attemptConflict("attempt %d of contact %d exists already", number, contactID)
		case number != ct.Attempts+1:
			return attemptConflict("attempt %d of contact %d is not the next one (%d)", number, contactID, ct.Attempts+1)
		}
		if err := db.Create(att).Error; err != nil {
			if _, ok := uniqueViolation(err); ok {
				return attemptConflict("attempt %d of contact %d exists already", number, contactID)
			}
			return translate(err, "begin attempt")
		}
		return db.Model(&CampaignContact{}).Where("id = ?", contactID).
			Updates(map[string]any{"state": ContactCalling, "attempts": number, "next_at": nil, "updated_at": s.now()}).Error
	})
	if err != nil {
		return nil, err
	}
	return att, nil
}

// EndAttempt records how an attempt ended (outcome answered, busy,
// no_answer or failed; the keys pressed; whether the person was connected
// to an agent, and which) and, in the same transaction, what it means for
// the contact: its state, result, next due time, and do-not-call when a
// key pressed has that action. An attempt ends once; only an attempt
// marked lost may still receive its real result (its dialler was slow,
// not gone), so that no result is lost.
func (s *Store) EndAttempt(ctx context.Context, attemptID uint, outcome string, dtmf string, connected bool, agent string, at time.Time) (*CampaignContact, error) {
	switch campaign.Outcome(outcome) {
	case campaign.Answered, campaign.Busy, campaign.NoAnswer, campaign.Failed:
	default:
		return nil, vms.FieldError("outcome", "%q is not an outcome (answered, busy, no_answer or failed)", outcome)
	}
	if len(dtmf) > 20 {
		dtmf = dtmf[:20]
	}
	at = at.UTC().Truncate(time.Microsecond)
	var ct *CampaignContact
	err := s.tx(ctx, func(db *gorm.DB) error {
		var att CampaignAttempt
		if err := first(db.Where("id = ?", attemptID), &att, "attempt", attemptID); err != nil {
			return err
		}
		if att.Outcome != "" && att.Outcome != OutcomeLost {
			return attemptConflict("attempt %d has ended already (%s)", attemptID, att.Outcome)
		}
		att.Outcome, att.EndedAt, att.DTMF, att.Connected, att.Agent = outcome, &at, dtmf, connected, agent
		if err := db.Model(&att).Select("outcome", "ended_at", "dtmf", "connected", "agent").Updates(&att).Error; err != nil {
			return translate(err, "end attempt")
		}
		var err error
		ct, err = s.refreshContact(db, att.CampaignID, att.ContactID, dtmf, connected, agent)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ct, nil
}

// refreshContact sums up a contact's attempts into its row.
func (s *Store) refreshContact(db *gorm.DB, campaignID, contactID uint, dtmf string, connected bool, agent string) (*CampaignContact, error) {
	var c Campaign
	if err := first(db.Where("id = ?", campaignID), &c, "campaign", campaignID); err != nil {
		return nil, err
	}
	cfg, err := c.Config()
	if err != nil {
		return nil, fmt.Errorf("store: campaign %d settings: %w", campaignID, err)
	}
	// The pace does not matter for a contact's status; the tenant's
	// minimum may have changed since the campaign was scheduled.
	plan, err := campaign.Compile(cfg, campaign.Limits{MinPace: time.Nanosecond})
	if err != nil {
		return nil, fmt.Errorf("store: campaign %d settings: %w", campaignID, err)
	}
	var ct CampaignContact
	if err := first(db.Preload("History", func(db *gorm.DB) *gorm.DB { return db.Order("number") }).
		Where("id = ? AND campaign_id = ?", contactID, campaignID), &ct, "contact", contactID); err != nil {
		return nil, err
	}
	for _, k := range dtmf {
		if ka, ok := cfg.Keys[string(k)]; ok && ka.Action == campaign.DoNotCall {
			ct.DoNotCall = true
		}
	}
	st := plan.Status(ct.PlanContact())
	ct.State, ct.Result, ct.Attempts = string(st.State), st.Reason, len(ct.History)
	ct.NextAt = nil
	if !st.Due.IsZero() {
		due := st.Due.UTC()
		ct.NextAt = &due
	}
	if dtmf != "" {
		ct.LastDTMF = dtmf
	}
	if connected {
		ct.ConnectedAgent = agent
	}
	ct.UpdatedAt = s.now()
	if err := db.Model(&CampaignContact{}).Where("id = ?", ct.ID).Updates(map[string]any{
		"state": ct.State, "result": ct.Result, "attempts": ct.Attempts, "do_not_call": ct.DoNotCall,
		"last_dtmf": ct.LastDTMF, "connected_agent": ct.ConnectedAgent, "next_at": ct.NextAt, "updated_at": ct.UpdatedAt,
	}).Error; err != nil {
		return nil, translate(err, "update contact")
	}
	return &ct, nil
}

// LostAttempts marks the attempts of a campaign still without an outcome
// that started before startedBefore as lost (their dialler stopped before
// recording a result) and updates their contacts: a lost attempt counts as
// an unanswered call, so it is never dialled again as the same attempt; the
// no-answer policy decides on a next one. It returns the attempts marked.
func (s *Store) LostAttempts(ctx context.Context, campaignID uint, startedBefore time.Time) ([]CampaignAttempt, error) {
	var lost []CampaignAttempt
	err := s.tx(ctx, func(db *gorm.DB) error {
		if err := db.Where("campaign_id = ? AND outcome = '' AND started_at < ?", campaignID, startedBefore.UTC()).
			Order("id").Find(&lost).Error; err != nil {
			return fmt.Errorf("store: lost attempts: %w", err)
		}
		now := s.now()
		for i := range lost {
			lost[i].Outcome, lost[i].EndedAt = OutcomeLost, &now
			if err := db.Model(&lost[i]).Select("outcome", "ended_at").Updates(&lost[i]).Error; err != nil {
				return translate(err, "mark attempt lost")
			}
			if _, err := s.refreshContact(db, campaignID, lost[i].ContactID, "", false, ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return lost, nil
}

// TryCampaignLease gives owner the campaign's lease until now+ttl if
// nobody holds it, owner already does, or the holder's lease has expired.
// It reports whether owner holds the lease.
func (s *Store) TryCampaignLease(ctx context.Context, campaignID uint, owner string, ttl time.Duration, now time.Time) (bool, error) {
	now = now.UTC().Truncate(time.Microsecond)
	var ok bool
	err := s.tx(ctx, func(db *gorm.DB) error {
		// An expired row stands in for a missing one, so that the
		// conditional update below decides alone.
		if err := db.Clauses(clause.OnConflict{DoNothing: true}).
			Create(&CampaignLease{CampaignID: campaignID, Owner: owner, ExpiresAt: now.Add(-time.Microsecond)}).Error; err != nil {
			return translate(err, "take campaign lease")
		}
		res := db.Model(&CampaignLease{}).Where("campaign_id = ? AND (owner = ? OR expires_at < ?)", campaignID, owner, now).
			Updates(map[string]any{"owner": owner, "expires_at": now.Add(ttl)})
		if res.Error != nil {
			return fmt.Errorf("store: take campaign lease: %w", res.Error)
		}
		ok = res.RowsAffected == 1
		return nil
	})
	return ok, err
}

// RenewCampaignLease extends owner's lease to now+ttl; false when another
// process has taken it meanwhile (owner must stop dialling).
func (s *Store) RenewCampaignLease(ctx context.Context, campaignID uint, owner string, ttl time.Duration, now time.Time) (bool, error) {
	now = now.UTC().Truncate(time.Microsecond)
	res := s.db.WithContext(ctx).Model(&CampaignLease{}).Where("campaign_id = ? AND owner = ?", campaignID, owner).
		Update("expires_at", now.Add(ttl))
	if res.Error != nil {
		return false, fmt.Errorf("store: renew campaign lease: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// ReleaseCampaignLease gives up owner's lease, if it still holds it.
func (s *Store) ReleaseCampaignLease(ctx context.Context, campaignID uint, owner string) error {
	if err := s.db.WithContext(ctx).Where("campaign_id = ? AND owner = ?", campaignID, owner).Delete(&CampaignLease{}).Error; err != nil {
		return fmt.Errorf("store: release campaign lease: %w", err)
	}
	return nil
}
