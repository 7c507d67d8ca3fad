package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/vmsplatform/vms/acd"
	"github.com/vmsplatform/vms/center"
	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
)

// The contact centre follows the store: the demo group and agent are
// there after the first load, and a group added later appears after a
// change is announced.
func TestContactCenterFollowsStore(t *testing.T) {
	ctx := context.Background()
	st := storetest.SQLite(t)
	if err := store.SeedDemo(ctx, st); err != nil {
		t.Fatal(err)
	}
	cc := newContactCenter(st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	applied := make(chan struct{}, 8)
	cc.afterApply(func() { applied <- struct{}{} })
	if err := cc.load(ctx, true); err != nil {
		t.Fatal(err)
	}
	<-applied
	tenants, err := st.ListTenants(ctx)
	if err != nil || len(tenants) != 1 {
		t.Fatalf("tenants = %v, %v", tenants, err)
	}
	tenant := tenants[0]
	g, ok := cc.svc.Group(tenant.ID, store.DemoGroupKey)
	if !ok {
		t.Fatalf("group %q not loaded", store.DemoGroupKey)
	}
	if g.Email != store.DemoGroupEmail || g.Config.RingTimeout <= 0 {
		t.Errorf("group = %+v", g)
	}
	if got := cc.svc.PauseReasons(tenant.ID); len(got) != 1 || got[0] != store.DemoPauseReason {
		t.Errorf("pause reasons = %v", got)
	}
	var agent center.Agent
	for _, a := range cc.svc.Agents() {
		if a.TenantID == tenant.ID {
			agent = a
		}
	}
	if agent.ID == "" || agent.Config.Groups[g.ID] < acd.MinLevel || agent.Endpoint == "" {
		t.Fatalf("demo agent not loaded with its level in %s: %+v", g.ID, agent)
	}

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- cc.run(runCtx) }()
	ng := store.DefaultAgentGroup(tenant.ID)
	ng.Key, ng.Name, ng.MaxWaitSeconds = "support", "Support", 90
	if err := st.CreateAgentGroup(ctx, store.System, &ng); err != nil {
		t.Fatal(err)
	}
	cc.changed()
	deadline := time.After(10 * time.Second)
	for {
		if g, ok := cc.svc.Group(tenant.ID, "support"); ok {
			if g.Config.MaxWait != 90*time.Second {
				t.Errorf("support max wait = %v", g.Config.MaxWait)
			}
			break
		}
		select {
		case <-applied:
		case <-deadline:
			t.Fatal("the new group was not applied")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestDirectoryConversion(t *testing.T) {
	email := "help@acme.example"
	d := directory(store.ACDDirectory{
		Groups: []store.AgentGroup{{ID: 3, TenantID: 1, Key: "help", Name: "Help", Strategy: store.StrategyLongestIdle,
			MinLevel: 5, Relax: `[{"after_seconds":30,"min_level":2}]`, MaxWaitSeconds: 60, MaxQueue: 4,
			RingTimeoutSeconds: 12, WrapUpSeconds: 7, AnnounceEverySeconds: 20, TargetPercent: 80, TargetWithinSeconds: 20,
			Email: &email}},
		Agents:       []store.Agent{{ID: 9, TenantID: 1, UserID: 4, Name: "Ann", MaxEmails: 2}},
		Memberships:  []store.AgentMembership{{AgentID: 9, GroupID: 3, Level: 7, TenantID: 1}},
		PauseReasons: []store.PauseReason{{TenantID: 1, Name: "lunch"}},
	})
	g := d.Groups[0]
	want := acd.GroupConfig{ID: "3", Strategy: acd.LongestIdle, MinLevel: 5,
		Relax:   []acd.RelaxStep{{After: 30 * time.Second, MinLevel: 2}},
		MaxWait: time.Minute, MaxQueue: 4, RingTimeout: 12 * time.Second, WrapUp: 7 * time.Second,
		Target: acd.ServiceLevel{Percent: 80, Within: 20 * time.Second}}
	if g.ID != "3" || g.Key != "help" || g.Email != email || g.AnnounceEvery != 20*time.Second ||
		g.Config.Strategy != want.Strategy || g.Config.MinLevel != want.MinLevel || len(g.Config.Relax) != 1 ||
		g.Config.Relax[0] != want.Relax[0] || g.Config.MaxWait != want.MaxWait || g.Config.MaxQueue != want.MaxQueue ||
		g.Config.RingTimeout != want.RingTimeout || g.Config.WrapUp != want.WrapUp || g.Config.Target != want.Target {
		t.Errorf("group = %+v", g)
	}
	if err := g.Config.Validate(); err != nil {
		t.Errorf("converted group invalid: %v", err)
	}
	a := d.Agents[0]
	if a.ID != "9" || a.Endpoint != center.Endpoint(9) || a.Config.Groups["3"] != 7 || a.Config.MaxEmails != 2 || a.UserID != 4 {
		t.Errorf("agent = %+v", a)
	}
	if d.PauseReasons[1][0] != "lunch" {
		t.Errorf("pause reasons = %v", d.PauseReasons)
	}
}
