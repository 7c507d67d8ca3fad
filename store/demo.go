package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"gorm.io/gorm"

	vms "github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/routing"
)

// Demo data created by SeedDemo.
const (
	DemoTenantName = "Demo NV"
	DemoNumber     = "+3225550100"
	DemoUserEmail  = "demo@vms.local"
	DemoTreeKey    = "main"
	// The demo contact centre (ACM): a group, its agent and a pause reason.
	DemoGroupKey    = "sales"
	DemoGroupEmail  = "sales@demo.example"
	DemoAgentEmail  = "agent@demo.example"
	DemoPauseReason = "lunch"
)

// DemoTree returns the demo routing tree: VIP callers reach a direct line;
// in office hours (Mon–Fri 08:00–18:00) a menu leads to the sales agents
// (key 1; reception when none is logged in or after two minutes of waiting)
// or to reception, which
// overflows to a mobile when busy, unanswered or its site is down, then to
// an apology; outside office hours callers hear "closed".
func DemoTree() routing.Tree {
	return routing.Tree{
		ID: DemoTreeKey, Name: "Main number", TimeZone: "Europe/Brussels", Start: "vip", Fallback: "sorry",
		Nodes: []routing.Node{
			{ID: "vip", Label: "VIP caller?", Type: routing.TypeList,
				Branches: []routing.Branch{{Label: "VIP", List: "vip", Next: "direct"}}, Default: "hours"},
			{ID: "direct", Label: "Direct line", Type: routing.TypeNumber, Number: "+3225550133", RingTimeout: 20,
				On: map[routing.Outcome]string{routing.OutcomeOtherwise: "hours"}},
			{ID: "hours", Label: "Office hours?", Type: routing.TypeTime,
				Branches: []routing.Branch{{Label: "office hours", Next: "menu",
					Windows: []routing.Window{{Days: []string{"mon-fri"}, From: "08:00", To: "18:00"}}}},
				Default: "closed"},
			{ID: "menu", Label: "Welcome menu", Type: routing.TypeMenu, Prompt: "welcome", Timeout: 5, Retries: 2,
				Branches: []routing.Branch{
					{Label: "sales", Digits: "1", Next: "sales"},
					{Label: "support", Digits: "2", Next: "mobile"},
				}, Default: "reception"},
			{ID: "sales", Label: "Sales team", Type: routing.TypeGroup, Group: DemoGroupKey,
				On: map[routing.Outcome]string{routing.OutcomeGroupClosed: "reception", routing.OutcomeGroupFull: "reception", routing.OutcomeGroupTimeout: "reception"}},
			{ID: "reception", Label: "Reception", Type: routing.TypeNumber, Number: "+3225550111", RingTimeout: 20, Site: "brussels",
				On: map[routing.Outcome]string{routing.OutcomeBusy: "mobile", routing.OutcomeNoAnswer: "mobile", routing.OutcomeSiteDown: "mobile"}},
			{ID: "mobile", Label: "Manager's mobile", Type: routing.TypeNumber, Number: "+32475550122", RingTimeout: 25,
				On: map[routing.Outcome]string{routing.OutcomeOtherwise: "sorry"}},
			{ID: "closed", Label: "We are closed", Type: routing.TypeAnnouncement, Prompt: "closed"},
			{ID: "sorry", Label: "Sorry, try later", Type: routing.TypeAnnouncement, Prompt: "sorry"},
		},
	}
}

// SeedDemo creates the demo customer "Demo NV" (Classic, active) with the
// number +3225550100 routed by DemoTree, its prompts, a VIP list, a site
// a tenant administrator demo@vms.local without a password and, for the
// contact centre option, a group "sales" (mail at sales@demo.example), the
// pause reason "lunch" and an agent agent@demo.example (level 5 in sales,
// without a password). It does nothing when the demo customer exists
// already.
func SeedDemo(ctx context.Context, s *Store) error {
	var n int64
	if err := s.db.WithContext(ctx).Model(&Tenant{}).Where("name = ?", DemoTenantName).Count(&n).Error; err != nil {
		return fmt.Errorf("store: seed demo: %w", err)
	}
	if n > 0 {
		return nil
	}
	tree := DemoTree()
	refs := routing.RefSet{Prompts: map[string]bool{"welcome": true, "closed": true, "sorry": true}, Lists: map[string]bool{"vip": true},
		Trees: map[string]bool{DemoTreeKey: true}, Groups: map[string]bool{DemoGroupKey: true}}
	if err := routing.Validate(&tree, refs); err != nil {
		return fmt.Errorf("store: seed demo: %w", err)
	}
	doc, err := json.MarshalIndent(tree, "", "  ")
	if err != nil {
		return fmt.Errorf("store: seed demo: %w", err)
	}
	err = s.Tx(ctx, func(tx *Store) error {
		now := tx.now()
		t := &Tenant{Name: DemoTenantName, Formula: "Classic", Options: "acm", Status: TenantActive, ActivatedAt: &now}
		if err := tx.CreateTenant(ctx, System, t); err != nil {
			return err
		}
		if _, err := tx.UserByEmail(ctx, DemoUserEmail); err == nil {
			return vms.Errorf(vms.ECONFLICT, "user %s exists without the demo customer", DemoUserEmail)
		} else if !errors.Is(err, gorm.ErrRecordNotFound) && vms.ErrorCode(err) != vms.ENOTFOUND {
			return err
		}
		u := &User{TenantID: &t.ID, Email: DemoUserEmail, Name: "Demo Admin", Role: "admin"}
		if err := tx.CreateUser(ctx, System, u); err != nil {
			return err
		}
		for _, p := range []struct {
			name string
			hz   float64
		}{{"welcome", 523.25}, {"closed", 392}, {"sorry", 329.63}} {
			if err := tx.CreatePrompt(ctx, System, &Prompt{TenantID: t.ID, Name: p.name, ContentType: "audio/wav", Data: toneWAV(p.hz, 0.6)}); err != nil {
				return err
			}
		}
		vip := &CallerList{TenantID: t.ID, Name: "vip"}
		if err := tx.CreateCallerList(ctx, System, vip); err != nil {
			return err
		}
		if _, err := tx.AddListMember(ctx, System, t.ID, vip.ID, "+32475550199"); err != nil {
			return err
		}
		if err := tx.CreateSite(ctx, System, &Site{TenantID: t.ID, Name: "brussels"}); err != nil {
			return err
		}
		// The group first: the tree queues in it.
		if err := seedDemoACD(ctx, tx, t.ID); err != nil {
			return err
		}
		rt := &RoutingTree{TenantID: t.ID, Key: DemoTreeKey, Name: tree.Name}
		if _, err := tx.CreateTree(ctx, System, rt, doc, "demo tree"); err != nil {
			return err
		}
		num := &Number{TenantID: t.ID, E164: DemoNumber, Label: "Main number", Kind: "fixed", OnNetwork: true, Status: NumberActive, ActivatedAt: &now}
		if err := tx.CreateNumber(ctx, System, num); err != nil {
			return err
		}
		_, err := tx.SetNumberRouting(ctx, System, t.ID, num.ID, NumberRouting{TreeID: &rt.ID, MaxCPS: 5, MaxConcurrent: 30, Overflow: OverflowBusy, Fallback: "+3225550111"})
		return err
	})
	if err != nil {
		return fmt.Errorf("store: seed demo: %w", err)
	}
	return nil
}

// seedDemoACD creates the demo contact centre of the tenant.
func seedDemoACD(ctx context.Context, tx *Store, tenantID uint) error {
	g := DefaultAgentGroup(tenantID)
	g.Key, g.Name, g.Email = DemoGroupKey, "Sales", ptr(DemoGroupEmail)
	g.MaxWaitSeconds = 120
	if err := tx.CreateAgentGroup(ctx, System, &g); err != nil {
		return err
	}
	if err := tx.CreatePauseReason(ctx, System, &PauseReason{TenantID: tenantID, Name: DemoPauseReason}); err != nil {
		return err
	}
	u := &User{TenantID: &tenantID, Email: DemoAgentEmail, Name: "Demo Agent", Role: "agent"}
	if err := tx.CreateUser(ctx, System, u); err != nil {
		return err
	}
	ag := &Agent{TenantID: tenantID, UserID: u.ID, Name: u.Name, MaxEmails: DefaultMaxEmails}
	if err := tx.CreateAgent(ctx, System, ag); err != nil {
		return err
	}
	_, err := tx.SetMembership(ctx, System, tenantID, ag.ID, g.ID, 5)
	return err
}

// toneWAV returns a RIFF/WAVE file (PCM, 8 kHz, 16-bit, mono) holding a
// sine tone of hz for the given seconds, faded in and out.
func toneWAV(hz, seconds float64) []byte {
	const rate = 8000
	samples := int(rate * seconds)
	data := make([]byte, 2*samples)
	for i := range samples {
		env := math.Min(1, math.Min(float64(i), float64(samples-i))/400)
		v := int16(8000 * env * math.Sin(2*math.Pi*hz*float64(i)/rate))
		binary.LittleEndian.PutUint16(data[2*i:], uint16(v))
	}
	b := make([]byte, 0, 44+len(data))
	b = append(b, "RIFF"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(36+len(data)))
	b = append(b, "WAVEfmt "...)
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, 1) // PCM
	b = binary.LittleEndian.AppendUint16(b, 1) // mono
	b = binary.LittleEndian.AppendUint32(b, rate)
	b = binary.LittleEndian.AppendUint32(b, rate*2)
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint16(b, 16)
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}
