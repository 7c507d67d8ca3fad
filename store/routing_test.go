package store_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	vms "github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/routing"
	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
)

func treeDoc(t *testing.T, key, prompt, list, sub string) []byte {
	t.Helper()
	tr := routing.Tree{ID: key, Start: "who", Nodes: []routing.Node{
		{ID: "who", Type: routing.TypeList, Branches: []routing.Branch{{List: list, Next: "hello"}}, Default: "bye"},
		{ID: "hello", Type: routing.TypeAnnouncement, Prompt: prompt},
		{ID: "bye", Type: routing.TypeHangup},
	}}
	if sub != "" {
		tr.Nodes[2] = routing.Node{ID: "bye", Type: routing.TypeTree, Tree: sub}
	}
	b, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func generation(t *testing.T, s *store.Store) int64 {
	t.Helper()
	g, err := s.RoutingGeneration(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// bumps fails unless fn moved the routing generation forward.
func bumps(t *testing.T, s *store.Store, what string, fn func() error) {
	t.Helper()
	before := generation(t, s)
	if err := fn(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if after := generation(t, s); after <= before {
		t.Errorf("%s: routing generation %d -> %d, want it bumped", what, before, after)
	}
}

func TestRoutingSchemaMatchesModels(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		for _, m := range []any{&store.RoutingTree{}, &store.RoutingTreeVersion{}, &store.Prompt{}, &store.CallerList{},
			&store.CallerListEntry{}, &store.Site{}, &store.CallRecord{}, &store.CallLeg{}, &store.Number{}} {
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

func TestTreesAndVersions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		acme, beta := mustTenant(t, s, "Acme"), mustTenant(t, s, "Beta")
		u := mustUser(t, s, &acme.ID, "admin@acme.example")
		a := store.Actor{UserID: &u.ID, Email: u.Email}

		tr := &store.RoutingTree{TenantID: acme.ID, Key: "main", Name: "Main"}
		var v1 *store.RoutingTreeVersion
		bumps(t, s, "create tree", func() (err error) {
			v1, err = s.CreateTree(ctx, a, tr, treeDoc(t, "main", "p1", "vip", ""), "first")
			return err
		})
		if v1.Version != 1 || tr.Version != 1 || *v1.CreatedByID != u.ID {
			t.Fatalf("first version = %+v, tree %+v", v1, tr)
		}
		if e := lastAudit(t, s); e.Action != "tree.create" || *e.TenantID != acme.ID {
			t.Fatalf("audit = %+v", e)
		}
		_, err := s.CreateTree(ctx, a, &store.RoutingTree{TenantID: acme.ID, Key: "main"}, treeDoc(t, "main", "p", "l", ""), "")
		wantCode(t, err, vms.ECONFLICT, "key")
		_, err = s.CreateTree(ctx, a, &store.RoutingTree{TenantID: acme.ID, Key: "bad"}, []byte("{nope"), "")
		wantCode(t, err, vms.EINVALID, "document")
		// Another tenant may use the same key.
		if _, err := s.CreateTree(ctx, a, &store.RoutingTree{TenantID: beta.ID, Key: "main"}, treeDoc(t, "main", "p", "l", ""), ""); err != nil {
			t.Fatal(err)
		}

		// Saves add versions; a stale base is refused; restore copies.
		v2, err := s.SaveTreeVersion(ctx, a, acme.ID, tr.ID, 1, treeDoc(t, "main", "p2", "vip", ""), "second")
		if err != nil || v2.Version != 2 {
			t.Fatalf("save = %+v, %v", v2, err)
		}
		_, err = s.SaveTreeVersion(ctx, a, acme.ID, tr.ID, 1, treeDoc(t, "main", "p3", "vip", ""), "stale")
		wantCode(t, err, vms.ECONFLICT, "base_version")
		_, err = s.SaveTreeVersion(ctx, a, beta.ID, tr.ID, 0, treeDoc(t, "main", "p3", "vip", ""), "other tenant")
		wantCode(t, err, vms.ENOTFOUND, "")
		var v3 *store.RoutingTreeVersion
		bumps(t, s, "restore", func() (err error) {
			v3, err = s.RestoreTreeVersion(ctx, a, acme.ID, tr.ID, 1)
			return err
		})
		if v3.Version != 3 || v3.Document != v1.Document || !strings.Contains(v3.Comment, "version 1") {
			t.Fatalf("restored = %+v", v3)
		}
		_, err = s.RestoreTreeVersion(ctx, a, acme.ID, tr.ID, 9)
		wantCode(t, err, vms.ENOTFOUND, "")
		cur, err := s.GetTreeVersion(ctx, acme.ID, tr.ID, 0)
		if err != nil || cur.Version != 3 {
			t.Fatalf("current = %+v, %v", cur, err)
		}
		vs, err := s.ListTreeVersions(ctx, acme.ID, tr.ID)
		if err != nil || len(vs) != 3 || vs[0].Version != 3 || vs[2].Comment != "first" || vs[0].Document != "" {
			t.Fatalf("versions = %+v, %v", vs, err)
		}
		_, err = s.GetTree(ctx, beta.ID, tr.ID)
		wantCode(t, err, vms.ENOTFOUND, "")
		_, err = s.ListTreeVersions(ctx, beta.ID, tr.ID)
		wantCode(t, err, vms.ENOTFOUND, "")
		if got, err := s.TreeByKey(ctx, acme.ID, "main"); err != nil || got.ID != tr.ID {
			t.Fatalf("TreeByKey = %+v, %v", got, err)
		}

		// References block deletion: a number and another tree.
		n := mustNumber(t, s, acme.ID, "+3221110000")
		if _, err := s.SetNumberRouting(ctx, a, acme.ID, n.ID, store.NumberRouting{TreeID: &tr.ID}); err != nil {
			t.Fatal(err)
		}
		err = s.DeleteTree(ctx, a, acme.ID, tr.ID)
		wantCode(t, err, vms.ECONFLICT, "")
		if !strings.Contains(err.Error(), "+3221110000") {
			t.Errorf("delete error %q does not name the number", err)
		}
		if _, err := s.SetNumberRouting(ctx, a, acme.ID, n.ID, store.NumberRouting{}); err != nil {
			t.Fatal(err)
		}
		caller := &store.RoutingTree{TenantID: acme.ID, Key: "front"}
		if _, err := s.CreateTree(ctx, a, caller, treeDoc(t, "front", "p", "vip", "main"), ""); err != nil {
			t.Fatal(err)
		}
		err = s.DeleteTree(ctx, a, acme.ID, tr.ID)
		wantCode(t, err, vms.ECONFLICT, "")
		if !strings.Contains(err.Error(), "front (node bye)") {
			t.Errorf("delete error %q does not name the using tree and node", err)
		}
		if err := s.DeleteTree(ctx, a, acme.ID, caller.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteTree(ctx, a, acme.ID, tr.ID); err != nil {
			t.Fatal(err)
		}
		if l, _ := s.ListTrees(ctx, acme.ID); len(l) != 0 {
			t.Fatalf("trees after delete = %+v", l)
		}
	})
}

func TestRoutingGenerationAndSnapshot(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := store.System
		acme := mustTenant(t, s, "Acme")
		var n *store.Number
		bumps(t, s, "create number", func() error { n = mustNumber(t, s, acme.ID, "+3221110000"); return nil })
		bumps(t, s, "update number", func() error { n.Label = "x"; return s.UpdateNumber(ctx, a, n) })
		bumps(t, s, "update tenant", func() error { acme.TimeZone = "Europe/Paris"; return s.UpdateTenant(ctx, a, acme) })
		ported := mustNumber(t, s, acme.ID, "+3221110001")
		ported.Status = store.NumberPorted
		if err := s.UpdateNumber(ctx, a, ported); err != nil {
			t.Fatal(err)
		}
		refused := &store.Number{TenantID: acme.ID, E164: "+3221110002", Kind: "fixed", Status: store.NumberRefused}
		if err := s.CreateNumber(ctx, a, refused); err != nil {
			t.Fatal(err)
		}

		tr := &store.RoutingTree{TenantID: acme.ID, Key: "main"}
		if _, err := s.CreateTree(ctx, a, tr, treeDoc(t, "main", "hello", "vip", ""), ""); err != nil {
			t.Fatal(err)
		}
		p := &store.Prompt{TenantID: acme.ID, Name: "hello", Data: []byte("RIFF....WAVE")}
		bumps(t, s, "create prompt", func() error { return s.CreatePrompt(ctx, a, p) })
		l := &store.CallerList{TenantID: acme.ID, Name: "vip"}
		bumps(t, s, "create list", func() error { return s.CreateCallerList(ctx, a, l) })
		bumps(t, s, "add member", func() error { _, err := s.AddListMember(ctx, a, acme.ID, l.ID, "+32475000002"); return err })
		if _, err := s.AddListMember(ctx, a, acme.ID, l.ID, "+32475000001"); err != nil {
			t.Fatal(err)
		}
		site := &store.Site{TenantID: acme.ID, Name: "hq"}
		bumps(t, s, "create site", func() error { return s.CreateSite(ctx, a, site) })
		bumps(t, s, "site down", func() error { _, err := s.SetSiteDown(ctx, a, acme.ID, site.ID, true); return err })
		bumps(t, s, "number routing", func() error {
			_, err := s.SetNumberRouting(ctx, a, acme.ID, n.ID, store.NumberRouting{TreeID: &tr.ID, MaxCPS: 2.5, MaxConcurrent: 10,
				Overflow: store.OverflowAnnouncement, OverflowPromptID: &p.ID, Fallback: "+3229999999"})
			return err
		})

		// A failed write leaves the generation alone.
		before := generation(t, s)
		_, err := s.SaveTreeVersion(ctx, a, acme.ID, tr.ID, 7, treeDoc(t, "main", "hello", "vip", ""), "")
		wantCode(t, err, vms.ECONFLICT, "base_version")
		wantCode(t, s.CreateNumber(ctx, a, &store.Number{TenantID: 999, E164: "+3221119999", Kind: "fixed", Status: store.NumberActive}), vms.ECONFLICT, "")
		if g := generation(t, s); g != before {
			t.Errorf("generation moved %d -> %d on failed writes", before, g)
		}

		snap, err := s.RoutingSnapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if snap.Generation != before {
			t.Errorf("snapshot generation %d, want %d", snap.Generation, before)
		}
		if len(snap.Numbers) != 2 {
			t.Fatalf("snapshot numbers = %+v (refused numbers must be left out)", snap.Numbers)
		}
		got := snap.Numbers[0]
		want := store.RoutedNumber{ID: n.ID, TenantID: acme.ID, E164: "+3221110000", TimeZone: "Europe/Paris", Status: store.NumberActive,
			TreeID: tr.ID, TreeKey: "main", MaxCPS: 2.5, MaxConcurrent: 10, Overflow: store.OverflowAnnouncement, OverflowPrompt: p.SHA256, Fallback: "+3229999999",
			TenantStatus: acme.Status}
		if got != want {
			t.Errorf("routed number =\n%+v\nwant\n%+v", got, want)
		}
		if snap.Numbers[1].Status != store.NumberPorted || snap.Numbers[1].Overflow != store.OverflowBusy {
			t.Errorf("ported number = %+v", snap.Numbers[1])
		}
		if len(snap.Trees) != 1 || snap.Trees[0].Key != "main" || snap.Trees[0].Version != 1 || !strings.Contains(snap.Trees[0].Document, `"hello"`) {
			t.Errorf("trees = %+v", snap.Trees)
		}
		if len(snap.Lists) != 1 || strings.Join(snap.Lists[0].Members, ",") != "+32475000001,+32475000002" {
			t.Errorf("lists = %+v", snap.Lists)
		}
		if len(snap.Sites) != 1 || !snap.Sites[0].Down {
			t.Errorf("sites = %+v", snap.Sites)
		}
		if len(snap.Prompts) != 1 || snap.Prompts[0].Name != "hello" || len(snap.Prompts[0].SHA256) != 64 {
			t.Errorf("prompts = %+v", snap.Prompts)
		}
	})
}

func TestPromptsListsSites(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a := store.System
		acme, beta := mustTenant(t, s, "Acme"), mustTenant(t, s, "Beta")
		p := &store.Prompt{TenantID: acme.ID, Name: "hello", Data: []byte("RIFF data")}
		if err := s.CreatePrompt(ctx, a, p); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.CreatePrompt(ctx, a, &store.Prompt{TenantID: acme.ID, Name: "hello", Data: []byte("x")}), vms.ECONFLICT, "name")
		wantCode(t, s.CreatePrompt(ctx, a, &store.Prompt{TenantID: acme.ID, Name: "big", Data: make([]byte, store.MaxPromptSize+1)}), vms.EINVALID, "file")
		got, err := s.PromptBySHA256(ctx, strings.ToUpper(p.SHA256))
		if err != nil || string(got.Data) != "RIFF data" || got.Size != 9 {
			t.Fatalf("PromptBySHA256 = %+v, %v", got, err)
		}
		if l, _ := s.ListPrompts(ctx, acme.ID); len(l) != 1 || l[0].Data != nil {
			t.Fatalf("ListPrompts = %+v (must not load bytes)", l)
		}
		_, err = s.GetPrompt(ctx, beta.ID, p.ID)
		wantCode(t, err, vms.ENOTFOUND, "")

		l := &store.CallerList{TenantID: acme.ID, Name: "vip"}
		if err := s.CreateCallerList(ctx, a, l); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddListMember(ctx, a, acme.ID, l.ID, "+32475000001"); err != nil {
			t.Fatal(err)
		}
		_, err = s.AddListMember(ctx, a, acme.ID, l.ID, "+32475000001")
		wantCode(t, err, vms.ECONFLICT, "number")
		_, err = s.AddListMember(ctx, a, beta.ID, l.ID, "+32475000003")
		wantCode(t, err, vms.ENOTFOUND, "")
		if ls, err := s.ListCallerLists(ctx, acme.ID); err != nil || len(ls) != 1 || ls[0].Members != 1 || ls[0].Name != "vip" {
			t.Fatalf("ListCallerLists = %+v, %v", ls, err)
		}

		// A tree that plays the prompt and uses the list blocks deleting them.
		tr := &store.RoutingTree{TenantID: acme.ID, Key: "main"}
		if _, err := s.CreateTree(ctx, a, tr, treeDoc(t, "main", "hello", "vip", ""), ""); err != nil {
			t.Fatal(err)
		}
		err = s.DeletePrompt(ctx, a, acme.ID, p.ID)
		wantCode(t, err, vms.ECONFLICT, "")
		if !strings.Contains(err.Error(), "main (node hello)") {
			t.Errorf("prompt delete error %q does not name the tree", err)
		}
		err = s.DeleteCallerList(ctx, a, acme.ID, l.ID)
		wantCode(t, err, vms.ECONFLICT, "")
		if _, err := s.SaveTreeVersion(ctx, a, acme.ID, tr.ID, 0, treeDoc(t, "main", "other", "other", ""), ""); err != nil {
			t.Fatal(err)
		}
		if err := s.DeletePrompt(ctx, a, acme.ID, p.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveListMember(ctx, a, acme.ID, l.ID, "+32475000001"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.RemoveListMember(ctx, a, acme.ID, l.ID, "+32475000001"), vms.ENOTFOUND, "")
		if err := s.DeleteCallerList(ctx, a, acme.ID, l.ID); err != nil {
			t.Fatal(err)
		}

		site := &store.Site{TenantID: acme.ID, Name: "hq"}
		if err := s.CreateSite(ctx, a, site); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.CreateSite(ctx, a, &store.Site{TenantID: acme.ID, Name: "hq"}), vms.ECONFLICT, "name")
		_, err = s.SetSiteDown(ctx, a, beta.ID, site.ID, true)
		wantCode(t, err, vms.ENOTFOUND, "")
		down, err := s.SetSiteDown(ctx, a, acme.ID, site.ID, true)
		if err != nil || !down.Down || down.ChangedAt == nil {
			t.Fatalf("SetSiteDown = %+v, %v", down, err)
		}
		if e := lastAudit(t, s); e.Action != "site.down" {
			t.Errorf("audit = %+v", e)
		}
		if err := s.DeleteSite(ctx, a, acme.ID, site.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCallRecords(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		acme, beta := mustTenant(t, s, "Acme"), mustTenant(t, s, "Beta")
		t0 := time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)
		ans, end := t0.Add(5*time.Second), t0.Add(65*time.Second)
		r := &store.CallRecord{CallID: "chan-1", TenantID: acme.ID, NumberID: 7, Caller: "+32475000001", Dialed: "+3221110000",
			TreeID: "main", TreeVersion: 3, ArrivedAt: t0, AnsweredAt: &ans, EndedAt: &end, Outcome: "answered", Destination: "+32475550122",
			Path: `[{"node":"hours","why":"inside"}]`,
			Legs: []store.CallLeg{
				{Destination: "+3221110001", NodeID: "reception", StartedAt: t0, EndedAt: &ans, Outcome: "busy", Cause: 17},
				{Destination: "+32475550122", NodeID: "mobile", StartedAt: ans, AnsweredAt: &ans, EndedAt: &end, Outcome: "answered"},
			}}
		if err := s.SaveCallRecord(ctx, r); err != nil {
			t.Fatal(err)
		}
		again := &store.CallRecord{CallID: "chan-1", TenantID: acme.ID, ArrivedAt: t0, Outcome: "failed"}
		if err := s.SaveCallRecord(ctx, again); err != nil || again.ID != r.ID {
			t.Fatalf("second save = id %d, %v; want the first record's id %d", again.ID, err, r.ID)
		}
		wantCode(t, s.SaveCallRecord(ctx, &store.CallRecord{TenantID: acme.ID, ArrivedAt: t0}), vms.EINVALID, "call_id")
		for i, at := range []time.Time{t0.Add(-24 * time.Hour), t0.Add(time.Hour)} {
			if err := s.SaveCallRecord(ctx, &store.CallRecord{CallID: "chan-x" + string(rune('a'+i)), TenantID: acme.ID, Caller: "+3250000000", Dialed: "+3221110000", ArrivedAt: at, Outcome: "busy"}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.GetCallRecord(ctx, acme.ID, r.ID)
		if err != nil || got.Outcome != "answered" || len(got.Legs) != 2 || got.Legs[0].Cause != 17 || got.Legs[1].Seq != 2 || !got.AnsweredAt.Equal(ans) {
			t.Fatalf("GetCallRecord = %+v, %v", got, err)
		}
		_, err = s.GetCallRecord(ctx, beta.ID, r.ID)
		wantCode(t, err, vms.ENOTFOUND, "")

		tests := []struct {
			name string
			f    store.CallFilter
			want []string
		}{
			{"all, newest first", store.CallFilter{}, []string{"chan-xb", "chan-1", "chan-xa"}},
			{"from", store.CallFilter{From: t0}, []string{"chan-xb", "chan-1"}},
			{"to is exclusive", store.CallFilter{To: t0}, []string{"chan-xa"}},
			{"caller number", store.CallFilter{Number: "+32475000001"}, []string{"chan-1"}},
			{"dialed number", store.CallFilter{Number: "+3221110000"}, []string{"chan-xb", "chan-1", "chan-xa"}},
			{"limit and offset", store.CallFilter{Limit: 1, Offset: 1}, []string{"chan-1"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rs, err := s.ListCallRecords(ctx, acme.ID, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, r := range rs {
					ids = append(ids, r.CallID)
				}
				if strings.Join(ids, ",") != strings.Join(tt.want, ",") {
					t.Errorf("got %v, want %v", ids, tt.want)
				}
			})
		}
		if rs, _ := s.ListCallRecords(ctx, beta.ID, store.CallFilter{}); len(rs) != 0 {
			t.Errorf("beta sees %d records", len(rs))
		}
	})
}

func TestSeedDemo(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		if err := store.SeedDemo(ctx, s); err != nil {
			t.Fatal(err)
		}
		g := generation(t, s)
		if err := store.SeedDemo(ctx, s); err != nil {
			t.Fatalf("second SeedDemo: %v", err)
		}
		if generation(t, s) != g {
			t.Error("second SeedDemo wrote something")
		}
		snap, err := s.RoutingSnapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Numbers) != 1 || snap.Numbers[0].E164 != store.DemoNumber || snap.Numbers[0].TreeKey != store.DemoTreeKey {
			t.Fatalf("demo numbers = %+v", snap.Numbers)
		}
		var tree routing.Tree
		if err := json.Unmarshal([]byte(snap.Trees[0].Document), &tree); err != nil {
			t.Fatal(err)
		}
		refs, err := s.RoutingRefs(ctx, snap.Numbers[0].TenantID)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := routing.Compile(&tree, refs)
		if err != nil {
			t.Fatalf("demo tree does not compile against its refs: %v", err)
		}
		brussels, _ := time.LoadLocation("Europe/Brussels")
		d := plan.Evaluate(routing.Facts{Time: time.Date(2026, 11, 26, 9, 30, 0, 0, brussels), Caller: "+3250000000", Dialed: store.DemoNumber})
		if d.Kind != routing.KindMenu || d.NodeID() != "menu" {
			t.Errorf("Thursday 09:30 goes to %s %s, want the menu", d.Kind, d.NodeID())
		}
		u, err := s.UserByEmail(ctx, store.DemoUserEmail)
		if err != nil || u.PasswordHash != "" || u.TenantID == nil || *u.TenantID != snap.Numbers[0].TenantID {
			t.Fatalf("demo user = %+v, %v", u, err)
		}
	})
}
