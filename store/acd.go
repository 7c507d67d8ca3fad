package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"gorm.io/gorm"

	vms "github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/access"
	"github.com/vmsplatform/vms/routing"
)

// The ACD configuration (ACM-1..ACM-4): groups, agents, their memberships
// and pause reasons. Every write bumps the routing generation, so that the
// route cache and the live contact centre reload it.

var (
	groupKeyPattern = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)
	mohClassPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{0,64}$`)
)

// Limits of group settings.
const (
	MinRingTimeoutSeconds = 5
	MaxRingTimeoutSeconds = 120
	MaxWrapUpSeconds      = 600
	MinAnnounceSeconds    = 10
	MaxAnnounceSeconds    = 600
	MaxRelaxSteps         = 9
	maxGroupPriority      = 1000
	maxGroupWaitSeconds   = 86400
	maxGroupQueue         = 100000
)

// NormalizeGroupEmail checks a group address and returns it lower-cased;
// "" stays "" (no address).
func NormalizeGroupEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s || len(s) > 254 {
		return "", vms.FieldError("email", "is not an e-mail address (name@example.com)")
	}
	return strings.ToLower(s), nil
}

// checkGroup normalises g and validates every setting, naming the field.
func checkGroup(g *AgentGroup) error {
	g.Key, g.Name, g.MOHClass = strings.TrimSpace(g.Key), strings.TrimSpace(g.Name), strings.TrimSpace(g.MOHClass)
	if g.Key == "" {
		return vms.FieldError("key", "is required")
	}
	if !groupKeyPattern.MatchString(g.Key) {
		return vms.FieldError("key", "may hold only lower-case letters, digits, - and _ (at most 64)")
	}
	if g.Name == "" {
		g.Name = g.Key
	}
	if len(g.Name) > 200 {
		return vms.FieldError("name", "is longer than 200 characters")
	}
	switch g.Strategy {
	case "":
		g.Strategy = StrategyLevelThenLongestIdle
	case StrategyLevelThenLongestIdle, StrategyLongestIdle:
	default:
		return vms.FieldError("strategy", "must be %s or %s", StrategyLevelThenLongestIdle, StrategyLongestIdle)
	}
	if g.Priority < -maxGroupPriority || g.Priority > maxGroupPriority {
		return vms.FieldError("priority", "must be between %d and %d", -maxGroupPriority, maxGroupPriority)
	}
	if g.MinLevel != 0 && (g.MinLevel < MinAgentLevel || g.MinLevel > MaxAgentLevel) {
		return vms.FieldError("min_level", "must be 0 (every member) or a level from %d to %d", MinAgentLevel, MaxAgentLevel)
	}
	if err := checkRelax(g); err != nil {
		return err
	}
	if g.MaxWaitSeconds < 0 || g.MaxWaitSeconds > maxGroupWaitSeconds {
		return vms.FieldError("max_wait_seconds", "must be between 0 (no limit) and %d", maxGroupWaitSeconds)
	}
	if g.MaxQueue < 0 || g.MaxQueue > maxGroupQueue {
		return vms.FieldError("max_queue", "must be between 0 (no limit) and %d", maxGroupQueue)
	}
	if g.RingTimeoutSeconds < MinRingTimeoutSeconds || g.RingTimeoutSeconds > MaxRingTimeoutSeconds {
		return vms.FieldError("ring_timeout_seconds", "must be between %d and %d seconds", MinRingTimeoutSeconds, MaxRingTimeoutSeconds)
	}
	if g.WrapUpSeconds < 0 || g.WrapUpSeconds > MaxWrapUpSeconds {
		return vms.FieldError("wrap_up_seconds", "must be between 0 and %d seconds", MaxWrapUpSeconds)
	}
	if g.AnnounceEverySeconds != 0 && (g.AnnounceEverySeconds < MinAnnounceSeconds || g.AnnounceEverySeconds > MaxAnnounceSeconds) {
		return vms.FieldError("announce_every_seconds", "must be 0 (no announcements) or between %d and %d seconds", MinAnnounceSeconds, MaxAnnounceSeconds)
	}
	if !mohClassPattern.MatchString(g.MOHClass) {
		return vms.FieldError("moh_class", "may hold only letters, digits, - and _ (at most 64)")
	}
	if g.TargetPercent < 0 || g.TargetPercent > 100 {
		return vms.FieldError("target_percent", "must be between 0 and 100")
	}
	if g.TargetWithinSeconds < 0 || g.TargetWithinSeconds > maxGroupWaitSeconds {
		return vms.FieldError("target_within_seconds", "must be between 0 and %d seconds", maxGroupWaitSeconds)
	}
	if g.Email != nil {
		e, err := NormalizeGroupEmail(*g.Email)
		if err != nil {
			return err
		}
		if e == "" {
			g.Email = nil
		} else {
			g.Email = &e
		}
	}
	return nil
}

// checkRelax validates the relaxation steps of g and stores them in
// canonical form.
func checkRelax(g *AgentGroup) error {
	if strings.TrimSpace(g.Relax) == "" {
		g.Relax = ""
		return nil
	}
	steps, err := ParseRelax(g.Relax)
	if err != nil {
		return err
	}
	if len(steps) == 0 {
		g.Relax = ""
		return nil
	}
	if len(steps) > MaxRelaxSteps {
		return vms.FieldError("relax", "has more than %d steps", MaxRelaxSteps)
	}
	floor := g.MinLevel
	if floor == 0 {
		floor = MinAgentLevel
	}
	prevAfter, prevLevel := 0, floor
	for i, s := range steps {
		if s.AfterSeconds <= prevAfter {
			if i == 0 {
				return vms.FieldError("relax", "step 1: the waiting time must be more than 0 seconds")
			}
			return vms.FieldError("relax", "step %d: the waiting time must be longer than the step before", i+1)
		}
		if s.AfterSeconds > maxGroupWaitSeconds {
			return vms.FieldError("relax", "step %d: the waiting time must be at most %d seconds", i+1, maxGroupWaitSeconds)
		}
		if s.MinLevel < MinAgentLevel || s.MinLevel >= prevLevel {
			switch {
			case i == 0 && prevLevel <= MinAgentLevel:
				return vms.FieldError("relax", "every member is offered calls from the start: set a minimum level of 2 or more to lower it later")
			case prevLevel <= MinAgentLevel:
				return vms.FieldError("relax", "step %d: the step before already reaches level %d", i+1, MinAgentLevel)
			case i == 0:
				return vms.FieldError("relax", "step 1: the level must be between %d and %d (below the minimum level %d)", MinAgentLevel, prevLevel-1, prevLevel)
			}
			return vms.FieldError("relax", "step %d: the level must be between %d and %d (below the step before)", i+1, MinAgentLevel, prevLevel-1)
		}
		prevAfter, prevLevel = s.AfterSeconds, s.MinLevel
	}
	g.SetRelaxSteps(steps)
	return nil
}

// ParseRelax reads relaxation steps from JSON
// ([{"after_seconds":30,"min_level":3}]) or from the short form
// "30s:3, 60s:1" (seconds, then level; the "s" is optional).
func ParseRelax(s string) ([]RelaxStep, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if strings.HasPrefix(s, "[") {
		var steps []RelaxStep
		if err := jsonStrict(s, &steps); err != nil {
			return nil, vms.FieldError("relax", "is not a list of steps: %v", err)
		}
		return steps, nil
	}
	var steps []RelaxStep
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		after, level, ok := strings.Cut(part, ":")
		var st RelaxStep
		if ok {
			var err1, err2 error
			st.AfterSeconds, err1 = strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(after), "s"))
			st.MinLevel, err2 = strconv.Atoi(strings.TrimSpace(level))
			ok = err1 == nil && err2 == nil
		}
		if !ok {
			return nil, vms.FieldError("relax", "step %d (%q): write seconds:level, for example 30:3", i+1, part)
		}
		steps = append(steps, st)
	}
	return steps, nil
}

// FormatRelax is the short form of steps ParseRelax reads ("30:3, 60:1").
func FormatRelax(steps []RelaxStep) string {
	parts := make([]string, len(steps))
	for i, s := range steps {
		parts[i] = fmt.Sprintf("%d:%d", s.AfterSeconds, s.MinLevel)
	}
	return strings.Join(parts, ", ")
}

// groupUsers returns the trees (with the node) whose current version
// queues in the group with this key.
func groupUsers(db *gorm.DB, tenantID uint, key string) ([]string, error) {
	return treesUsing(db, tenantID, 0, func(n *routing.Node) bool { return n.Type == routing.TypeGroup && n.Group == key })
}

// checkGroupEmailFree refuses an address another group (other than id)
// already receives mail at.
func checkGroupEmailFree(db *gorm.DB, email *string, id uint) error {
	if email == nil {
		return nil
	}
	var n int64
	if err := db.Model(&AgentGroup{}).Where("email = ? AND id <> ?", *email, id).Count(&n).Error; err != nil {
		return fmt.Errorf("store: check group e-mail: %w", err)
	}
	if n > 0 {
		return vms.FieldError("email", "is used by another group")
	}
	return nil
}

// CreateAgentGroup creates a group of g.TenantID. Unset strategy, ring
// timeout and name take their defaults (see DefaultAgentGroup for the
// others).
func (s *Store) CreateAgentGroup(ctx context.Context, a Actor, g *AgentGroup) error {
	if g.RingTimeoutSeconds == 0 {
		g.RingTimeoutSeconds = DefaultRingTimeoutSeconds
	}
	if err := checkGroup(g); err != nil {
		return err
	}
	g.ID = 0
	return s.tx(ctx, func(db *gorm.DB) error {
		if err := checkGroupEmailFree(db, g.Email, 0); err != nil {
			return err
		}
		if err := db.Create(g).Error; err != nil {
			return groupUnique(err, "create group")
		}
		if err := bumpGeneration(db); err != nil {
			return err
		}
		return s.audit(db, a, auditRecord{action: "group.create", objectType: "group", objectID: g.ID, tenantID: ptr(g.TenantID), after: g})
	})
}

// groupUnique names the field of a unique violation on agent_groups.
func groupUnique(err error, op string) error {
	if _, ok := uniqueViolation(err); ok {
		if strings.Contains(err.Error(), "email") {
			return &vms.Error{Code: vms.ECONFLICT, Field: "email", Message: "is used by another group"}
		}
		return &vms.Error{Code: vms.ECONFLICT, Field: "key", Message: "a group with this key already exists"}
	}
	return translate(err, op)
}

var groupColumns = []string{"group_key", "name", "strategy", "priority", "min_level", "relax", "max_wait_seconds",
	"max_queue", "ring_timeout_seconds", "wrap_up_seconds", "announce_every_seconds", "moh_class",
	"target_percent", "target_within_seconds", "closed", "email", "updated_at"}

// UpdateAgentGroup saves every setting of g (identified by g.ID within
// g.TenantID). Changing the key is refused while a routing tree queues in
// the group under its old key.
func (s *Store) UpdateAgentGroup(ctx context.Context, a Actor, g *AgentGroup) error {
	if err := checkGroup(g); err != nil {
		return err
	}
	return s.tx(ctx, func(db *gorm.DB) error {
		var before AgentGroup
		if err := first(db.Where("id = ? AND tenant_id = ?", g.ID, g.TenantID), &before, "group", g.ID); err != nil {
			return err
		}
		if before.Key != g.Key {
			users, err := groupUsers(db, g.TenantID, before.Key)
			if err != nil {
				return err
			}
			if len(users) > 0 {
				return vms.FieldError("key", "cannot change: the group is used by routing tree %s", strings.Join(users, ", "))
			}
		}
		if err := checkGroupEmailFree(db, g.Email, g.ID); err != nil {
			return err
		}
		g.CreatedAt = before.CreatedAt
		if err := db.Model(g).Select(groupColumns).Updates(g).Error; err != nil {
			return groupUnique(err, "update group")
		}
		if err := bumpGeneration(db); err != nil {
			return err
		}
		return s.audit(db, a, auditRecord{action: "group.update", objectType: "group", objectID: g.ID, tenantID: ptr(g.TenantID), before: &before, after: g})
	})
}

// DeleteAgentGroup deletes a group of the tenant with its memberships. It
// is refused (ECONFLICT on "key") while the current version of a routing
// tree queues in it.
func (s *Store) DeleteAgentGroup(ctx context.Context, a Actor, tenantID, id uint) error {
	return s.tx(ctx, func(db *gorm.DB) error {
		var g AgentGroup
		if err := first(db.Where("id = ? AND tenant_id = ?", id, tenantID), &g, "group", id); err != nil {
			return err
		}
		users, err := groupUsers(db, tenantID, g.Key)
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return &vms.Error{Code: vms.ECONFLICT, Field: "key", Message: "is used by routing tree " + strings.Join(users, ", ")}
		}
		if err := db.Where("group_id = ?", g.ID).Delete(&AgentMembership{}).Error; err != nil {
			return translate(err, "delete group memberships")
		}
		if err := db.Delete(&AgentGroup{}, g.ID).Error; err != nil {
			return translate(err, "delete group")
		}
		if err := bumpGeneration(db); err != nil {
			return err
		}
		return s.audit(db, a, auditRecord{action: "group.delete", objectType: "group", objectID: g.ID, tenantID: ptr(tenantID), before: &g})
	})
}

// ListAgentGroups returns the tenant's groups by name.
func (s *Store) ListAgentGroups(ctx context.Context, tenantID uint) ([]AgentGroup, error) {
	var out []AgentGroup
	if err := s.db.WithContext(ctx).Where("tenant_id = ?", tenantID).Order("name, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list groups: %w", err)
	}
	return out, nil
}

// GetAgentGroup returns a group of the tenant; another tenant's is
// ENOTFOUND.
func (s *Store) GetAgentGroup(ctx context.Context, tenantID, id uint) (*AgentGroup, error) {
	var g AgentGroup
	if err := first(s.db.WithContext(ctx).Where("id = ? AND tenant_id = ?", id, tenantID), &g, "group", id); err != nil {
		return nil, err
	}
	return &g, nil
}

// AgentGroupByKey returns the tenant's group with the given key.
func (s *Store) AgentGroupByKey(ctx context.Context, tenantID uint, key string) (*AgentGroup, error) {
	var g AgentGroup
	if err := first(s.db.WithContext(ctx).Where("tenant_id = ? AND group_key = ?", tenantID, key), &g, "group", key); err != nil {
		return nil, err
	}
	return &g, nil
}

// AgentGroupByEmail returns the group that receives mail at addr
// (case-insensitive), of any tenant.
func (s *Store) AgentGroupByEmail(ctx context.Context, addr string) (*AgentGroup, error) {
	addr = strings.ToLower(strings.TrimSpace(addr))
	var g AgentGroup
	if err := first(s.db.WithContext(ctx).Where("email = ?", addr), &g, "group", addr); err != nil {
		return nil, err
	}
	return &g, nil
}

// checkAgent normalises and validates the agent's own fields.
func checkAgent(ag *Agent) error {
	ag.Name = strings.TrimSpace(ag.Name)
	if len(ag.Name) > 200 {
		return vms.FieldError("name", "is longer than 200 characters")
	}
	if ag.MaxEmails < 0 || ag.MaxEmails > MaxMaxEmails {
		return vms.FieldError("max_emails", "must be between 0 and %d", MaxMaxEmails)
	}
	return nil
}

// CreateAgent makes the user ag.UserID an agent of ag.TenantID. The user
// must belong to that tenant with the role agent or supervisor, and may be
// one agent only. An empty name takes the user's. MaxEmails is taken as
// given (DefaultMaxEmails is the usual value).
func (s *Store) CreateAgent(ctx context.Context, a Actor, ag *Agent) error {
	if err := checkAgent(ag); err != nil {
		return err
	}
	if ag.UserID == 0 {
		return vms.FieldError("user_id", "is required")
	}
	ag.ID = 0
	return s.tx(ctx, func(db *gorm.DB) error {
		var u User
		err := db.Where("id = ? AND tenant_id = ?", ag.UserID, ag.TenantID).Take(&u).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return vms.FieldError("user_id", "is not a user of this customer")
		}
		if err != nil {
			return fmt.Errorf("store: create agent: user: %w", err)
		}
		if r := access.Role(u.Role); r != access.Agent && r != access.Supervisor {
			return vms.FieldError("user_id", "must have the role agent or supervisor (has %s)", u.Role)
		}
		var n int64
		if err := db.Model(&Agent{}).Where("user_id = ?", u.ID).Count(&n).Error; err != nil {
			return fmt.Errorf("store: create agent: %w", err)
		}
		if n > 0 {
			return &vms.Error{Code: vms.ECONFLICT, Field: "user_id", Message: "this user is an agent already"}
		}
		if ag.Name == "" {
			ag.Name = u.Name
		}
		if ag.Name == "" {
			ag.Name = u.Email
		}
		if err := db.Create(ag).Error; err != nil {
			return uniqueAs(err, "create agent", "user_id", "this user is an agent already")
		}
		if err := bumpGeneration(db); err != nil {
			return err
		}
		return s.audit(db, a, auditRecord{action: "agent.create", objectType: "agent", objectID: ag.ID, tenantID: ptr(ag.TenantID), after: ag})
	})
}

// UpdateAgent saves the name and MaxEmails of an agent (identified by
// ag.ID within ag.TenantID); its user stays.
func (s *Store) UpdateAgent(ctx context.Context, a Actor, ag *Agent) error {
	if err := checkAgent(ag); err != nil {
		return err
	}
	if ag.Name == "" {
		return vms.FieldError("name", "is required")
	}
	return s.tx(ctx, func(db *gorm.DB) error {
		var before Agent
		if err := first(db.Where("id = ? AND tenant_id = ?", ag.ID, ag.TenantID), &before, "agent", ag.ID); err != nil {
			return err
		}
		ag.UserID, ag.CreatedAt = before.UserID, before.CreatedAt
		if err := db.Model(ag).Select("name", "max_emails", "updated_at").Updates(ag).Error; err != nil {
			return translate(err, "update agent")
		}
		if err := bumpGeneration(db); err != nil {
			return err
		}
		return s.audit(db, a, auditRecord{action: "agent.update", objectType: "agent", objectID: ag.ID, tenantID: ptr(ag.TenantID), before: &before, after: ag})
	})
}

// DeleteAgent deletes an agent of the tenant with its memberships; its
// user account stays.
func (s *Store) DeleteAgent(ctx context.Context, a Actor, tenantID, id uint) error {
	return s.tx(ctx, func(db *gorm.DB) error {
		var ag Agent
		if err := first(db.Where("id = ? AND tenant_id = ?", id, tenantID), &ag, "agent", id); err != nil {
			return err
		}
		if err := db.Where("agent_id = ?", ag.ID).Delete(&AgentMembership{}).Error; err != nil {
			return translate(err, "delete agent memberships")
		}
		if err := db.Delete(&Agent{}, ag.ID).Error; err != nil {
			return translate(err, "delete agent")
		}
		if err := bumpGeneration(db); err != nil {
			return err
		}
		return s.audit(db, a, auditRecord{action: "agent.delete", objectType: "agent", objectID: ag.ID, tenantID: ptr(tenantID), before: &ag})
	})
}

// ListAgents returns the tenant's agents by name.
func (s *Store) ListAgents(ctx context.Context, tenantID uint) ([]Agent, error) {
	var out []Agent
	if err := s.db.WithContext(ctx).Where("tenant_id = ?", tenantID).Order("name, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list agents: %w", err)
	}
	return out, nil
}

// GetAgent returns an agent of the tenant.
func (s *Store) GetAgent(ctx context.Context, tenantID, id uint) (*Agent, error) {
	var ag Agent
	if err := first(s.db.WithContext(ctx).Where("id = ? AND tenant_id = ?", id, tenantID), &ag, "agent", id); err != nil {
		return nil, err
	}
	return &ag, nil
}

// AgentByUser returns the agent whose portal account is userID.
func (s *Store) AgentByUser(ctx context.Context, userID uint) (*Agent, error) {
	var ag Agent
	if err := first(s.db.WithContext(ctx).Where("user_id = ?", userID), &ag, "agent of user", userID); err != nil {
		return nil, err
	}
	return &ag, nil
}

// SetMembership puts an agent of the tenant in a group of the tenant with
// a competence level 1..10, or changes its level there.
func (s *Store) SetMembership(ctx context.Context, a Actor, tenantID, agentID, groupID uint, level int) (*AgentMembership, error) {
	if level < MinAgentLevel || level > MaxAgentLevel {
		return nil, vms.FieldError("level", "must be from %d to %d", MinAgentLevel, MaxAgentLevel)
	}
	var m AgentMembership
	err := s.tx(ctx, func(db *gorm.DB) error {
		var ag Agent
		if err := first(db.Where("id = ? AND tenant_id = ?", agentID, tenantID), &ag, "agent", agentID); err != nil {
			if vms.ErrorCode(err) == vms.ENOTFOUND {
				return vms.FieldError("agent_id", "is not an agent of this customer")
			}
			return err
		}
		var g AgentGroup
		if err := first(db.Where("id = ? AND tenant_id = ?", groupID, tenantID), &g, "group", groupID); err != nil {
			if vms.ErrorCode(err) == vms.ENOTFOUND {
				return vms.FieldError("group_id", "is not a group of this customer")
			}
			return err
		}
		err := db.Where("agent_id = ? AND group_id = ?", agentID, groupID).Take(&m).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			m = AgentMembership{TenantID: tenantID, AgentID: agentID, GroupID: groupID, Level: level}
			if err := db.Create(&m).Error; err != nil {
				return uniqueAs(err, "add member", "agent_id", "the agent was added to the group at the same time")
			}
			if err := bumpGeneration(db); err != nil {
				return err
			}
			return s.audit(db, a, auditRecord{action: "membership.create", objectType: "membership", objectID: m.ID, tenantID: ptr(tenantID), after: membershipAudit(&m, &ag, &g)})
		case err != nil:
			return fmt.Errorf("store: set membership: %w", err)
		}
		if m.Level == level {
			return nil
		}
		before := m
		m.Level = level
		if err := db.Model(&m).Update("level", level).Error; err != nil {
			return translate(err, "set membership level")
		}
		if err := bumpGeneration(db); err != nil {
			return err
		}
		return s.audit(db, a, auditRecord{action: "membership.update", objectType: "membership", objectID: m.ID, tenantID: ptr(tenantID),
			before: membershipAudit(&before, &ag, &g), after: membershipAudit(&m, &ag, &g)})
	})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// membershipAudit is what the audit log keeps of a membership.
func membershipAudit(m *AgentMembership, ag *Agent, g *AgentGroup) any {
	return map[string]any{"AgentID": m.AgentID, "Agent": ag.Name, "GroupID": m.GroupID, "Group": g.Key, "Level": m.Level}
}

// RemoveMembership takes an agent of the tenant out of a group.
func (s *Store) RemoveMembership(ctx context.Context, a Actor, tenantID, agentID, groupID uint) error {
	return s.tx(ctx, func(db *gorm.DB) error {
		var m AgentMembership
		if err := first(db.Where("agent_id = ? AND group_id = ? AND tenant_id = ?", agentID, groupID, tenantID), &m, "membership", fmt.Sprintf("%d/%d", agentID, groupID)); err != nil {
			return err
		}
		var ag Agent
		var g AgentGroup
		db.Where("id = ?", agentID).Take(&ag)
		db.Where("id = ?", groupID).Take(&g)
		if err := db.Delete(&AgentMembership{}, m.ID).Error; err != nil {
			return translate(err, "remove member")
		}
		if err := bumpGeneration(db); err != nil {
			return err
		}
		return s.audit(db, a, auditRecord{action: "membership.delete", objectType: "membership", objectID: m.ID, tenantID: ptr(tenantID), before: membershipAudit(&m, &ag, &g)})
	})
}

// ListMemberships returns every membership of the tenant's agents, by
// group then agent.
func (s *Store) ListMemberships(ctx context.Context, tenantID uint) ([]AgentMembership, error) {
	var out []AgentMembership
	if err := s.db.WithContext(ctx).Where("tenant_id = ?", tenantID).Order("group_id, agent_id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list memberships: %w", err)
	}
	return out, nil
}

// CreatePauseReason adds a reason the tenant's agents may pause with.
func (s *Store) CreatePauseReason(ctx context.Context, a Actor, r *PauseReason) error {
	r.Name = strings.TrimSpace(r.Name)
	if r.Name == "" {
		return vms.FieldError("name", "is required")
	}
	if len(r.Name) > 64 {
		return vms.FieldError("name", "is longer than 64 characters")
	}
	if strings.IndexFunc(r.Name, func(c rune) bool { return !unicode.IsPrint(c) }) >= 0 {
		return vms.FieldError("name", "may not hold control characters")
	}
	r.ID = 0
	return s.tx(ctx, func(db *gorm.DB) error {
		if err := db.Create(r).Error; err != nil {
			return uniqueAs(err, "create pause reason", "name", "this pause reason exists already")
		}
		if err := bumpGeneration(db); err != nil {
			return err
		}
		return s.audit(db, a, auditRecord{action: "pause_reason.create", objectType: "pause_reason", objectID: r.ID, tenantID: ptr(r.TenantID), after: r})
	})
}

// DeletePauseReason deletes a pause reason of the tenant. Agents paused
// with it stay paused.
func (s *Store) DeletePauseReason(ctx context.Context, a Actor, tenantID, id uint) error {
	return s.tx(ctx, func(db *gorm.DB) error {
		var r PauseReason
		if err := first(db.Where("id = ? AND tenant_id = ?", id, tenantID), &r, "pause reason", id); err != nil {
			return err
		}
		if err := db.Delete(&PauseReason{}, r.ID).Error; err != nil {
			return translate(err, "delete pause reason")
		}
		if err := bumpGeneration(db); err != nil {
			return err
		}
		return s.audit(db, a, auditRecord{action: "pause_reason.delete", objectType: "pause_reason", objectID: r.ID, tenantID: ptr(tenantID), before: &r})
	})
}

// ListPauseReasons returns the tenant's pause reasons by name.
func (s *Store) ListPauseReasons(ctx context.Context, tenantID uint) ([]PauseReason, error) {
	var out []PauseReason
	if err := s.db.WithContext(ctx).Where("tenant_id = ?", tenantID).Order("name").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: list pause reasons: %w", err)
	}
	return out, nil
}

// ACDDirectory is every tenant's ACD configuration, read at once.
type ACDDirectory struct {
	Groups       []AgentGroup      // by tenant, key
	Agents       []Agent           // by tenant, id
	Memberships  []AgentMembership // by agent, group
	PauseReasons []PauseReason     // by tenant, name
}

// ACDDirectory reads every tenant's groups, agents, memberships and pause
// reasons in one read transaction, so that its parts agree.
func (s *Store) ACDDirectory(ctx context.Context) (ACDDirectory, error) {
	var d ACDDirectory
	var opts []*sql.TxOptions
	if s.dialect == DialectPostgres {
		opts = append(opts, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	}
	err := s.db.WithContext(ctx).Transaction(func(db *gorm.DB) error {
		if err := db.Order("tenant_id, group_key").Find(&d.Groups).Error; err != nil {
			return fmt.Errorf("groups: %w", err)
		}
		// A disabled user's agent is left out: the contact centre logs it out.
		if err := db.Where("user_id NOT IN (?)", db.Model(&User{}).Select("id").Where("disabled = ?", true)).
			Order("tenant_id, id").Find(&d.Agents).Error; err != nil {
			return fmt.Errorf("agents: %w", err)
		}
		if err := db.Order("agent_id, group_id").Find(&d.Memberships).Error; err != nil {
			return fmt.Errorf("memberships: %w", err)
		}
		if err := db.Order("tenant_id, name").Find(&d.PauseReasons).Error; err != nil {
			return fmt.Errorf("pause reasons: %w", err)
		}
		return nil
	}, opts...)
	if err != nil {
		return ACDDirectory{}, fmt.Errorf("store: acd directory: %w", err)
	}
	return d, nil
}

// jsonStrict decodes s into v, refusing unknown fields and trailing data.
func jsonStrict(s string, v any) error {
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("unexpected data after the list")
	}
	return nil
}
