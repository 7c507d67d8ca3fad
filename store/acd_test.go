package store_test

import (
	"encoding/json"
	"testing"

	"gorm.io/gorm"

	vms "github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/routing"
	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
)

var acdModels = []any{&store.AgentGroup{}, &store.Agent{}, &store.AgentMembership{}, &store.PauseReason{},
	&store.EmailContact{}, &store.EmailAttachment{}}

func TestACDSchemaMatchesModels(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		for _, m := range acdModels {
			stmt := &gorm.Statement{DB: s.DB()}
			if err := stmt.Parse(m); err != nil {
				t.Fatal(err)
			}
			for _, f := range stmt.Schema.Fields {
				if f.DBName != "" && !s.DB().Migrator().HasColumn(m, f.DBName) {
					t.Errorf("%s.%s: column missing from the migrated schema", stmt.Schema.Table, f.DBName)
				}
			}
		}
	})
}

func mustGroup(t *testing.T, s *store.Store, tenantID uint, key string) *store.AgentGroup {
	t.Helper()
	g := store.DefaultAgentGroup(tenantID)
	g.Key = key
	if err := s.CreateAgentGroup(ctx, store.System, &g); err != nil {
		t.Fatalf("CreateAgentGroup(%s): %v", key, err)
	}
	return &g
}

func mustAgentUser(t *testing.T, s *store.Store, tenantID uint, email, role string) *store.User {
	t.Helper()
	u := &store.User{TenantID: &tenantID, Email: email, Name: "Agent " + email, Role: role}
	if err := s.CreateUser(ctx, store.System, u); err != nil {
		t.Fatalf("CreateUser(%s): %v", email, err)
	}
	return u
}

func mustAgent(t *testing.T, s *store.Store, tenantID uint, email string) *store.Agent {
	t.Helper()
	u := mustAgentUser(t, s, tenantID, email, "agent")
	ag := &store.Agent{TenantID: tenantID, UserID: u.ID, MaxEmails: store.DefaultMaxEmails}
	if err := s.CreateAgent(ctx, store.System, ag); err != nil {
		t.Fatalf("CreateAgent(%s): %v", email, err)
	}
	return ag
}

// unchanged fails unless fn left the audit log and the routing
// generation as they were (nothing written).
func unchanged(t *testing.T, s *store.Store, fn func()) {
	t.Helper()
	audits, gen := countAudit(t, s), generation(t, s)
	fn()
	if got := countAudit(t, s); got != audits {
		t.Errorf("audit entries %d -> %d: something was written", audits, got)
	}
	if got := generation(t, s); got != gen {
		t.Errorf("routing generation %d -> %d: something was written", gen, got)
	}
}

func TestAgentGroupValidation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		acme := mustTenant(t, s, "Acme")
		mustGroup(t, s, acme.ID, "taken")
		other := mustGroup(t, s, acme.ID, "mailer")
		other.Email = ptr("support@acme.example")
		if err := s.UpdateAgentGroup(ctx, store.System, other); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name  string
			edit  func(g *store.AgentGroup)
			code  string
			field string
		}{
			{"empty key", func(g *store.AgentGroup) { g.Key = "" }, vms.EINVALID, "key"},
			{"upper-case key", func(g *store.AgentGroup) { g.Key = "Sales" }, vms.EINVALID, "key"},
			{"key with space", func(g *store.AgentGroup) { g.Key = "a b" }, vms.EINVALID, "key"},
			{"strategy", func(g *store.AgentGroup) { g.Strategy = "random" }, vms.EINVALID, "strategy"},
			{"min level 11", func(g *store.AgentGroup) { g.MinLevel = 11 }, vms.EINVALID, "min_level"},
			{"min level -1", func(g *store.AgentGroup) { g.MinLevel = -1 }, vms.EINVALID, "min_level"},
			{"relax not JSON", func(g *store.AgentGroup) { g.MinLevel = 5; g.Relax = "[{" }, vms.EINVALID, "relax"},
			{"relax unknown field", func(g *store.AgentGroup) { g.MinLevel = 5; g.Relax = `[{"after":3,"min_level":2}]` }, vms.EINVALID, "relax"},
			{"relax without min level", func(g *store.AgentGroup) { g.Relax = "30:1" }, vms.EINVALID, "relax"},
			{"relax level not below", func(g *store.AgentGroup) { g.MinLevel = 5; g.Relax = "30:5" }, vms.EINVALID, "relax"},
			{"relax after not increasing", func(g *store.AgentGroup) { g.MinLevel = 5; g.Relax = "30:4, 30:3" }, vms.EINVALID, "relax"},
			{"relax level not decreasing", func(g *store.AgentGroup) { g.MinLevel = 5; g.Relax = "30:3, 60:3" }, vms.EINVALID, "relax"},
			{"relax zero seconds", func(g *store.AgentGroup) { g.MinLevel = 5; g.Relax = "0:3" }, vms.EINVALID, "relax"},
			{"relax garbage", func(g *store.AgentGroup) { g.MinLevel = 5; g.Relax = "soon" }, vms.EINVALID, "relax"},
			{"negative max wait", func(g *store.AgentGroup) { g.MaxWaitSeconds = -1 }, vms.EINVALID, "max_wait_seconds"},
			{"negative max queue", func(g *store.AgentGroup) { g.MaxQueue = -1 }, vms.EINVALID, "max_queue"},
			{"ring timeout 4", func(g *store.AgentGroup) { g.RingTimeoutSeconds = 4 }, vms.EINVALID, "ring_timeout_seconds"},
			{"ring timeout 121", func(g *store.AgentGroup) { g.RingTimeoutSeconds = 121 }, vms.EINVALID, "ring_timeout_seconds"},
			{"wrap-up 601", func(g *store.AgentGroup) { g.WrapUpSeconds = 601 }, vms.EINVALID, "wrap_up_seconds"},
			{"wrap-up negative", func(g *store.AgentGroup) { g.WrapUpSeconds = -1 }, vms.EINVALID, "wrap_up_seconds"},
			{"announce 5", func(g *store.AgentGroup) { g.AnnounceEverySeconds = 5 }, vms.EINVALID, "announce_every_seconds"},
			{"announce 601", func(g *store.AgentGroup) { g.AnnounceEverySeconds = 601 }, vms.EINVALID, "announce_every_seconds"},
			{"moh class", func(g *store.AgentGroup) { g.MOHClass = "a;b" }, vms.EINVALID, "moh_class"},
			{"target 101", func(g *store.AgentGroup) { g.TargetPercent = 101 }, vms.EINVALID, "target_percent"},
			{"target within negative", func(g *store.AgentGroup) { g.TargetWithinSeconds = -1 }, vms.EINVALID, "target_within_seconds"},
			{"email syntax", func(g *store.AgentGroup) { g.Email = ptr("not an address") }, vms.EINVALID, "email"},
			{"email with name", func(g *store.AgentGroup) { g.Email = ptr("Sales <sales@acme.example>") }, vms.EINVALID, "email"},
			{"email of another group", func(g *store.AgentGroup) { g.Email = ptr("Support@Acme.example") }, vms.EINVALID, "email"},
			{"duplicate key", func(g *store.AgentGroup) { g.Key = "taken" }, vms.ECONFLICT, "key"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				g := store.DefaultAgentGroup(acme.ID)
				g.Key = "fresh"
				c.edit(&g)
				unchanged(t, s, func() { wantCode(t, s.CreateAgentGroup(ctx, store.System, &g), c.code, c.field) })
			})
		}
		// The same key in another tenant is fine.
		beta := mustTenant(t, s, "Beta")
		mustGroup(t, s, beta.ID, "taken")
	})
}

func TestAgentGroupCRUD(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		acme, beta := mustTenant(t, s, "Acme"), mustTenant(t, s, "Beta")
		u := mustUser(t, s, &acme.ID, "admin@acme.example")
		a := store.Actor{UserID: &u.ID, Email: u.Email}

		g := store.AgentGroup{TenantID: acme.ID, Key: " sales ", Name: "Sales", MinLevel: 6, Relax: `[{"after_seconds":30,"min_level":4},{"after_seconds":90,"min_level":1}]`,
			Email: ptr(" Sales@Acme.Example ")}
		bumps(t, s, "create group", func() error { return s.CreateAgentGroup(ctx, a, &g) })
		if g.Key != "sales" || *g.Email != "sales@acme.example" || g.Strategy != store.StrategyLevelThenLongestIdle || g.RingTimeoutSeconds != store.DefaultRingTimeoutSeconds {
			t.Errorf("created group = %+v", g)
		}
		e := lastAudit(t, s)
		if e.Action != "group.create" || e.TenantID == nil || *e.TenantID != acme.ID || e.ActorEmail != u.Email || decode(t, e.After)["Key"] != "sales" {
			t.Errorf("audit = %+v", e)
		}
		got, err := s.GetAgentGroup(ctx, acme.ID, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if steps := got.RelaxSteps(); len(steps) != 2 || steps[1] != (store.RelaxStep{AfterSeconds: 90, MinLevel: 1}) {
			t.Errorf("relax steps = %+v", steps)
		}
		if store.FormatRelax(got.RelaxSteps()) != "30:4, 90:1" {
			t.Errorf("FormatRelax = %q", store.FormatRelax(got.RelaxSteps()))
		}
		if _, err := s.GetAgentGroup(ctx, beta.ID, g.ID); vms.ErrorCode(err) != vms.ENOTFOUND {
			t.Errorf("other tenant's group: %v, want not found", err)
		}
		if byMail, err := s.AgentGroupByEmail(ctx, "SALES@acme.example"); err != nil || byMail.ID != g.ID {
			t.Errorf("AgentGroupByEmail = %+v, %v", byMail, err)
		}

		// Update every setting; the short relax form is accepted.
		got.Name, got.Strategy, got.Priority, got.MinLevel, got.Relax = "Sales BE", store.StrategyLongestIdle, 3, 8, "20s:5, 40s:2"
		got.MaxWaitSeconds, got.MaxQueue, got.RingTimeoutSeconds, got.WrapUpSeconds = 300, 10, 20, 0
		got.AnnounceEverySeconds, got.MOHClass, got.TargetPercent, got.TargetWithinSeconds, got.Closed = 0, "jazz", 90, 15, true
		got.Email = nil
		bumps(t, s, "update group", func() error { return s.UpdateAgentGroup(ctx, a, got) })
		again, _ := s.GetAgentGroup(ctx, acme.ID, g.ID)
		if again.Name != "Sales BE" || again.Strategy != store.StrategyLongestIdle || again.Priority != 3 || again.MinLevel != 8 ||
			again.Relax != `[{"after_seconds":20,"min_level":5},{"after_seconds":40,"min_level":2}]` || again.MaxWaitSeconds != 300 ||
			again.MaxQueue != 10 || again.RingTimeoutSeconds != 20 || again.WrapUpSeconds != 0 || again.AnnounceEverySeconds != 0 ||
			again.MOHClass != "jazz" || again.TargetPercent != 90 || again.TargetWithinSeconds != 15 || !again.Closed || again.Email != nil {
			t.Errorf("updated group = %+v", again)
		}
		if e := lastAudit(t, s); e.Action != "group.update" || decode(t, e.Before)["Name"] != "Sales" || decode(t, e.After)["Name"] != "Sales BE" {
			t.Errorf("audit = %+v", e)
		}
		// Another tenant cannot update it.
		stolen := *again
		stolen.TenantID = beta.ID
		unchanged(t, s, func() { wantCode(t, s.UpdateAgentGroup(ctx, a, &stolen), vms.ENOTFOUND, "") })

		// The e-mail address, freed above, can go to another group.
		other := mustGroup(t, s, acme.ID, "support")
		other.Email = ptr("sales@acme.example")
		if err := s.UpdateAgentGroup(ctx, a, other); err != nil {
			t.Fatal(err)
		}
		gs, err := s.ListAgentGroups(ctx, acme.ID)
		if err != nil || len(gs) != 2 {
			t.Fatalf("ListAgentGroups = %d, %v", len(gs), err)
		}
		if gs, _ := s.ListAgentGroups(ctx, beta.ID); len(gs) != 0 {
			t.Errorf("beta sees %d groups", len(gs))
		}

		// The routing refs and snapshot know the groups.
		refs, err := s.RoutingRefs(ctx, acme.ID)
		if err != nil || !refs.GroupExists("sales") || !refs.GroupExists("support") || refs.GroupExists("x") {
			t.Errorf("RoutingRefs groups = %v, %v", refs.Groups, err)
		}
		snap, err := s.RoutingSnapshot(ctx)
		if err != nil || len(snap.Groups) != 2 || snap.Groups[0].Key != "sales" || snap.Groups[0].TenantID != acme.ID {
			t.Errorf("snapshot groups = %+v, %v", snap.Groups, err)
		}

		// Delete: refused while a tree queues in the group, also for a
		// key change; fine once the tree no longer does.
		doc := func(group string) []byte {
			tr := routing.Tree{ID: "main", Start: "q", Nodes: []routing.Node{{ID: "q", Type: routing.TypeGroup, Group: group}}}
			b, _ := json.Marshal(tr)
			return b
		}
		tr := &store.RoutingTree{TenantID: acme.ID, Key: "main"}
		if _, err := s.CreateTree(ctx, a, tr, doc("sales"), ""); err != nil {
			t.Fatal(err)
		}
		unchanged(t, s, func() { wantCode(t, s.DeleteAgentGroup(ctx, a, acme.ID, g.ID), vms.ECONFLICT, "key") })
		renamed := *again
		renamed.Key = "sales2"
		unchanged(t, s, func() { wantCode(t, s.UpdateAgentGroup(ctx, a, &renamed), vms.EINVALID, "key") })
		if _, err := s.SaveTreeVersion(ctx, a, acme.ID, tr.ID, 0, doc("support"), ""); err != nil {
			t.Fatal(err)
		}
		unchanged(t, s, func() { wantCode(t, s.DeleteAgentGroup(ctx, a, beta.ID, g.ID), vms.ENOTFOUND, "") })
		ag := mustAgent(t, s, acme.ID, "ann@acme.example")
		if _, err := s.SetMembership(ctx, a, acme.ID, ag.ID, g.ID, 4); err != nil {
			t.Fatal(err)
		}
		bumps(t, s, "delete group", func() error { return s.DeleteAgentGroup(ctx, a, acme.ID, g.ID) })
		if e := lastAudit(t, s); e.Action != "group.delete" || decode(t, e.Before)["Key"] != "sales" || e.After != "" {
			t.Errorf("audit = %+v", e)
		}
		if ms, _ := s.ListMemberships(ctx, acme.ID); len(ms) != 0 {
			t.Errorf("memberships of a deleted group remain: %+v", ms)
		}
	})
}

func TestAgentsAndMemberships(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		acme, beta := mustTenant(t, s, "Acme"), mustTenant(t, s, "Beta")
		admin := mustUser(t, s, &acme.ID, "admin@acme.example")
		a := store.Actor{UserID: &admin.ID, Email: admin.Email}
		ann := mustAgentUser(t, s, acme.ID, "ann@acme.example", "agent")
		sup := mustAgentUser(t, s, acme.ID, "sup@acme.example", "supervisor")
		betaUser := mustAgentUser(t, s, beta.ID, "bob@beta.example", "agent")

		cases := []struct {
			name  string
			ag    store.Agent
			code  string
			field string
		}{
			{"no user", store.Agent{TenantID: acme.ID}, vms.EINVALID, "user_id"},
			{"user of another tenant", store.Agent{TenantID: acme.ID, UserID: betaUser.ID}, vms.EINVALID, "user_id"},
			{"admin user", store.Agent{TenantID: acme.ID, UserID: admin.ID}, vms.EINVALID, "user_id"},
			{"missing user", store.Agent{TenantID: acme.ID, UserID: 9999}, vms.EINVALID, "user_id"},
			{"max e-mails 21", store.Agent{TenantID: acme.ID, UserID: ann.ID, MaxEmails: 21}, vms.EINVALID, "max_emails"},
			{"max e-mails negative", store.Agent{TenantID: acme.ID, UserID: ann.ID, MaxEmails: -1}, vms.EINVALID, "max_emails"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				unchanged(t, s, func() { wantCode(t, s.CreateAgent(ctx, a, &c.ag), c.code, c.field) })
			})
		}

		ag := &store.Agent{TenantID: acme.ID, UserID: ann.ID, MaxEmails: 3}
		bumps(t, s, "create agent", func() error { return s.CreateAgent(ctx, a, ag) })
		if ag.Name != ann.Name {
			t.Errorf("agent name = %q, want the user's %q", ag.Name, ann.Name)
		}
		if e := lastAudit(t, s); e.Action != "agent.create" || *e.TenantID != acme.ID {
			t.Errorf("audit = %+v", e)
		}
		unchanged(t, s, func() {
			wantCode(t, s.CreateAgent(ctx, a, &store.Agent{TenantID: acme.ID, UserID: ann.ID}), vms.ECONFLICT, "user_id")
		})
		supAgent := &store.Agent{TenantID: acme.ID, UserID: sup.ID, Name: "Sue", MaxEmails: 0}
		if err := s.CreateAgent(ctx, a, supAgent); err != nil {
			t.Fatalf("supervisor as agent: %v", err)
		}
		if got, err := s.AgentByUser(ctx, ann.ID); err != nil || got.ID != ag.ID {
			t.Errorf("AgentByUser = %+v, %v", got, err)
		}
		if _, err := s.AgentByUser(ctx, admin.ID); vms.ErrorCode(err) != vms.ENOTFOUND {
			t.Errorf("AgentByUser(admin) = %v, want not found", err)
		}
		if _, err := s.GetAgent(ctx, beta.ID, ag.ID); vms.ErrorCode(err) != vms.ENOTFOUND {
			t.Errorf("other tenant's agent: %v", err)
		}

		// Update name and e-mail capacity; the user stays.
		upd := &store.Agent{ID: ag.ID, TenantID: acme.ID, UserID: sup.ID, Name: "Ann A.", MaxEmails: 5}
		bumps(t, s, "update agent", func() error { return s.UpdateAgent(ctx, a, upd) })
		got, _ := s.GetAgent(ctx, acme.ID, ag.ID)
		if got.Name != "Ann A." || got.MaxEmails != 5 || got.UserID != ann.ID {
			t.Errorf("updated agent = %+v", got)
		}
		unchanged(t, s, func() {
			wantCode(t, s.UpdateAgent(ctx, a, &store.Agent{ID: ag.ID, TenantID: acme.ID, Name: "x", MaxEmails: 99}), vms.EINVALID, "max_emails")
		})
		unchanged(t, s, func() {
			wantCode(t, s.UpdateAgent(ctx, a, &store.Agent{ID: ag.ID, TenantID: beta.ID, Name: "x"}), vms.ENOTFOUND, "")
		})

		// Memberships.
		sales, support := mustGroup(t, s, acme.ID, "sales"), mustGroup(t, s, acme.ID, "support")
		betaGroup := mustGroup(t, s, beta.ID, "sales")
		mcases := []struct {
			name         string
			agent, group uint
			level        int
			code, field  string
			tenant       uint
		}{
			{"level 0", ag.ID, sales.ID, 0, vms.EINVALID, "level", acme.ID},
			{"level 11", ag.ID, sales.ID, 11, vms.EINVALID, "level", acme.ID},
			{"group of another tenant", ag.ID, betaGroup.ID, 5, vms.EINVALID, "group_id", acme.ID},
			{"agent of another tenant", ag.ID, betaGroup.ID, 5, vms.EINVALID, "agent_id", beta.ID},
		}
		for _, c := range mcases {
			t.Run(c.name, func(t *testing.T) {
				unchanged(t, s, func() {
					_, err := s.SetMembership(ctx, a, c.tenant, c.agent, c.group, c.level)
					wantCode(t, err, c.code, c.field)
				})
			})
		}
		bumps(t, s, "add member", func() error { _, err := s.SetMembership(ctx, a, acme.ID, ag.ID, sales.ID, 7); return err })
		if e := lastAudit(t, s); e.Action != "membership.create" || decode(t, e.After)["Level"] != float64(7) {
			t.Errorf("audit = %+v", e)
		}
		bumps(t, s, "change level", func() error { _, err := s.SetMembership(ctx, a, acme.ID, ag.ID, sales.ID, 9); return err })
		if e := lastAudit(t, s); e.Action != "membership.update" || decode(t, e.Before)["Level"] != float64(7) || decode(t, e.After)["Level"] != float64(9) {
			t.Errorf("audit = %+v", e)
		}
		if _, err := s.SetMembership(ctx, a, acme.ID, ag.ID, support.ID, 2); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetMembership(ctx, a, acme.ID, supAgent.ID, sales.ID, 10); err != nil {
			t.Fatal(err)
		}
		ms, err := s.ListMemberships(ctx, acme.ID)
		if err != nil || len(ms) != 3 {
			t.Fatalf("memberships = %+v, %v", ms, err)
		}
		for _, m := range ms {
			if m.AgentID == ag.ID && m.GroupID == sales.ID && m.Level != 9 {
				t.Errorf("level in sales = %d, want 9", m.Level)
			}
		}
		unchanged(t, s, func() { wantCode(t, s.RemoveMembership(ctx, a, beta.ID, ag.ID, support.ID), vms.ENOTFOUND, "") })
		bumps(t, s, "remove member", func() error { return s.RemoveMembership(ctx, a, acme.ID, ag.ID, support.ID) })
		if e := lastAudit(t, s); e.Action != "membership.delete" || decode(t, e.Before)["Group"] != "support" {
			t.Errorf("audit = %+v", e)
		}

		// Deleting an agent removes its memberships, keeps its user.
		unchanged(t, s, func() { wantCode(t, s.DeleteAgent(ctx, a, beta.ID, ag.ID), vms.ENOTFOUND, "") })
		bumps(t, s, "delete agent", func() error { return s.DeleteAgent(ctx, a, acme.ID, ag.ID) })
		if e := lastAudit(t, s); e.Action != "agent.delete" {
			t.Errorf("audit = %+v", e)
		}
		ms, _ = s.ListMemberships(ctx, acme.ID)
		if len(ms) != 1 || ms[0].AgentID != supAgent.ID {
			t.Errorf("memberships after deleting the agent = %+v", ms)
		}
		if _, err := s.GetUser(ctx, ann.ID); err != nil {
			t.Errorf("the agent's user went with it: %v", err)
		}
		// The user can become an agent again.
		if err := s.CreateAgent(ctx, a, &store.Agent{TenantID: acme.ID, UserID: ann.ID}); err != nil {
			t.Errorf("agent again: %v", err)
		}
		// Deleting the user deletes its agent.
		if err := s.DeleteUser(ctx, a, sup.ID); err != nil {
			t.Fatalf("DeleteUser of an agent: %v", err)
		}
		if _, err := s.GetAgent(ctx, acme.ID, supAgent.ID); vms.ErrorCode(err) != vms.ENOTFOUND {
			t.Errorf("agent of a deleted user: %v", err)
		}
		as, err := s.ListAgents(ctx, acme.ID)
		if err != nil || len(as) != 1 {
			t.Errorf("agents = %+v, %v", as, err)
		}
	})
}

func TestPauseReasons(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		acme, beta := mustTenant(t, s, "Acme"), mustTenant(t, s, "Beta")
		for _, c := range []struct{ name, value string }{{"empty", "  "}, {"too long", string(make([]byte, 65))}, {"control", "a\x01b"}} {
			t.Run(c.name, func(t *testing.T) {
				unchanged(t, s, func() {
					wantCode(t, s.CreatePauseReason(ctx, store.System, &store.PauseReason{TenantID: acme.ID, Name: c.value}), vms.EINVALID, "name")
				})
			})
		}
		r := &store.PauseReason{TenantID: acme.ID, Name: " lunch "}
		bumps(t, s, "create pause reason", func() error { return s.CreatePauseReason(ctx, store.System, r) })
		if r.Name != "lunch" || lastAudit(t, s).Action != "pause_reason.create" {
			t.Errorf("pause reason %+v, audit %+v", r, lastAudit(t, s))
		}
		unchanged(t, s, func() {
			wantCode(t, s.CreatePauseReason(ctx, store.System, &store.PauseReason{TenantID: acme.ID, Name: "lunch"}), vms.ECONFLICT, "name")
		})
		if err := s.CreatePauseReason(ctx, store.System, &store.PauseReason{TenantID: beta.ID, Name: "lunch"}); err != nil {
			t.Errorf("same reason in another tenant: %v", err)
		}
		if err := s.CreatePauseReason(ctx, store.System, &store.PauseReason{TenantID: acme.ID, Name: "training"}); err != nil {
			t.Fatal(err)
		}
		rs, err := s.ListPauseReasons(ctx, acme.ID)
		if err != nil || len(rs) != 2 || rs[0].Name != "lunch" || rs[1].Name != "training" {
			t.Errorf("pause reasons = %+v, %v", rs, err)
		}
		unchanged(t, s, func() { wantCode(t, s.DeletePauseReason(ctx, store.System, beta.ID, r.ID), vms.ENOTFOUND, "") })
		bumps(t, s, "delete pause reason", func() error { return s.DeletePauseReason(ctx, store.System, acme.ID, r.ID) })
		if rs, _ := s.ListPauseReasons(ctx, acme.ID); len(rs) != 1 {
			t.Errorf("after delete: %+v", rs)
		}
	})
}

func TestACDDirectory(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		acme, beta := mustTenant(t, s, "Acme"), mustTenant(t, s, "Beta")
		ga, gb := mustGroup(t, s, acme.ID, "sales"), mustGroup(t, s, beta.ID, "help")
		aa, ab := mustAgent(t, s, acme.ID, "ann@acme.example"), mustAgent(t, s, beta.ID, "bob@beta.example")
		if _, err := s.SetMembership(ctx, store.System, acme.ID, aa.ID, ga.ID, 3); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetMembership(ctx, store.System, beta.ID, ab.ID, gb.ID, 8); err != nil {
			t.Fatal(err)
		}
		if err := s.CreatePauseReason(ctx, store.System, &store.PauseReason{TenantID: beta.ID, Name: "coffee"}); err != nil {
			t.Fatal(err)
		}
		d, err := s.ACDDirectory(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Groups) != 2 || len(d.Agents) != 2 || len(d.Memberships) != 2 || len(d.PauseReasons) != 1 {
			t.Fatalf("directory = %+v", d)
		}
		if d.Groups[0].TenantID != acme.ID || d.Groups[0].Key != "sales" || d.Groups[1].Key != "help" {
			t.Errorf("groups = %+v", d.Groups)
		}
		if d.Memberships[0].AgentID != aa.ID || d.Memberships[0].Level != 3 || d.Memberships[1].Level != 8 || d.Memberships[1].TenantID != beta.ID {
			t.Errorf("memberships = %+v", d.Memberships)
		}
		if d.PauseReasons[0].TenantID != beta.ID || d.PauseReasons[0].Name != "coffee" {
			t.Errorf("pause reasons = %+v", d.PauseReasons)
		}
	})
}

func TestParseRelax(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"", "", true},
		{"30:3", "30:3", true},
		{"30s:3, 60s:1", "30:3, 60:1", true},
		{`[{"after_seconds":10,"min_level":2}]`, "10:2", true},
		{"30", "", false},
		{"a:b", "", false},
		{"30:3,", "", false},
		{"30:3 soon", "", false},
		{" 30s : 3 ", "30:3", true},
		{`[{"after_seconds":"x"}]`, "", false},
		{`[] []`, "", false},
	} {
		steps, err := store.ParseRelax(c.in)
		if (err == nil) != c.ok {
			t.Errorf("ParseRelax(%q) err = %v, want ok=%v", c.in, err, c.ok)
			continue
		}
		if err != nil {
			if vms.ErrorField(err) != "relax" {
				t.Errorf("ParseRelax(%q) field = %q", c.in, vms.ErrorField(err))
			}
			continue
		}
		if got := store.FormatRelax(steps); got != c.want {
			t.Errorf("ParseRelax(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzParseRelax(f *testing.F) {
	for _, s := range []string{"30:3, 60:1", `[{"after_seconds":10,"min_level":2}]`, "x", ":", ","} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		steps, err := store.ParseRelax(in)
		if err != nil {
			return
		}
		// What parses prints in a form that parses to the same steps.
		again, err := store.ParseRelax(store.FormatRelax(steps))
		if err != nil || len(again) != len(steps) {
			t.Fatalf("round trip of %q: %v, %v", in, again, err)
		}
		for i := range steps {
			if again[i] != steps[i] {
				t.Fatalf("round trip of %q: %v != %v", in, again, steps)
			}
		}
	})
}

// TestMigrateACDFromRouting brings a database that stopped at migration
// 0002, with data, up to date.
func TestMigrateACDFromRouting(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		acme := mustTenant(t, s, "Acme")
		u := mustAgentUser(t, s, acme.ID, "ann@acme.example", "agent")
		tr := &store.RoutingTree{TenantID: acme.ID, Key: "main"}
		if _, err := s.CreateTree(ctx, store.System, tr, []byte(`{"id":"main","start":"h","nodes":[{"id":"h","type":"hangup"}]}`), ""); err != nil {
			t.Fatal(err)
		}
		// Back to the schema of 0002.
		for _, table := range []string{"email_attachments", "email_contacts", "pause_reasons", "agent_memberships", "agents", "agent_groups"} {
			if err := s.DB().Migrator().DropTable(table); err != nil {
				t.Fatalf("drop %s: %v", table, err)
			}
		}
		if err := s.DB().Exec("DELETE FROM schema_migrations WHERE id = ?", "0003_acd").Error; err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate from 0002: %v", err)
		}
		for _, table := range []string{"agent_groups", "agents", "agent_memberships", "pause_reasons", "email_contacts", "email_attachments"} {
			if !s.DB().Migrator().HasTable(table) {
				t.Errorf("table %s missing", table)
			}
		}
		if got, err := s.TreeByKey(ctx, acme.ID, "main"); err != nil || got.ID != tr.ID {
			t.Errorf("tree after migration = %+v, %v", got, err)
		}
		g := mustGroup(t, s, acme.ID, "sales")
		ag := &store.Agent{TenantID: acme.ID, UserID: u.ID}
		if err := s.CreateAgent(ctx, store.System, ag); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetMembership(ctx, store.System, acme.ID, ag.ID, g.ID, 5); err != nil {
			t.Fatal(err)
		}
		// Foreign keys: a membership of a missing agent is refused.
		err := s.DB().Create(&store.AgentMembership{TenantID: acme.ID, AgentID: 9999, GroupID: g.ID, Level: 1}).Error
		if err == nil {
			t.Error("membership of a missing agent was stored")
		}
	})
}

func TestSeedDemoACD(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		if err := store.SeedDemo(ctx, s); err != nil {
			t.Fatal(err)
		}
		d, err := s.ACDDirectory(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Groups) != 1 || d.Groups[0].Key != store.DemoGroupKey || d.Groups[0].EmailAddress() != store.DemoGroupEmail {
			t.Errorf("demo groups = %+v", d.Groups)
		}
		if len(d.Agents) != 1 || len(d.Memberships) != 1 || len(d.PauseReasons) != 1 || d.PauseReasons[0].Name != store.DemoPauseReason {
			t.Errorf("demo directory = %+v", d)
		}
		u, err := s.UserByEmail(ctx, store.DemoAgentEmail)
		if err != nil || u.Role != "agent" || len(d.Agents) == 0 || d.Agents[0].UserID != u.ID {
			t.Errorf("demo agent user = %+v, %v", u, err)
		}
	})
}

// A user who is an agent: deleting the user removes the agent and its
// levels (and the contact centre reloads), changing the role to one that
// takes no contacts is refused, and a disabled user's agent is left out
// of the directory.
func TestAgentUserLifecycle(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		acme := mustTenant(t, s, "Acme")
		admin := mustUser(t, s, &acme.ID, "admin@acme.example")
		a := store.Actor{UserID: &admin.ID, Email: admin.Email}
		ann := mustAgentUser(t, s, acme.ID, "ann@acme.example", "agent")
		bob := mustAgentUser(t, s, acme.ID, "bob@acme.example", "agent")
		g := store.DefaultAgentGroup(acme.ID)
		g.Key, g.Name = "sales", "Sales"
		if err := s.CreateAgentGroup(ctx, a, &g); err != nil {
			t.Fatal(err)
		}
		var agents []*store.Agent
		for _, u := range []*store.User{ann, bob} {
			ag := &store.Agent{TenantID: acme.ID, UserID: u.ID}
			if err := s.CreateAgent(ctx, a, ag); err != nil {
				t.Fatal(err)
			}
			if _, err := s.SetMembership(ctx, a, acme.ID, ag.ID, g.ID, 5); err != nil {
				t.Fatal(err)
			}
			agents = append(agents, ag)
		}

		changed := *ann
		changed.Role = "read-only"
		unchanged(t, s, func() { wantCode(t, s.UpdateUser(ctx, a, &changed), vms.EINVALID, "role") })

		disabled := *bob
		disabled.Disabled = true
		bumps(t, s, "disable an agent's user", func() error { return s.UpdateUser(ctx, a, &disabled) })
		d, err := s.ACDDirectory(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Agents) != 1 || d.Agents[0].ID != agents[0].ID {
			t.Errorf("directory agents = %+v, want only Ann's", d.Agents)
		}

		bumps(t, s, "delete an agent's user", func() error { return s.DeleteUser(ctx, a, ann.ID) })
		if _, err := s.GetAgent(ctx, acme.ID, agents[0].ID); vms.ErrorCode(err) != vms.ENOTFOUND {
			t.Errorf("agent of the deleted user: %v, want not found", err)
		}
		ms, err := s.ListMemberships(ctx, acme.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.AgentID == agents[0].ID {
				t.Errorf("membership of the deleted user's agent left: %+v", m)
			}
		}
	})
}
