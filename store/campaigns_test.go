package store_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	vms "github.com/vmsplatform/vms"
	"github.com/vmsplatform/vms/calllist"
	"github.com/vmsplatform/vms/campaign"
	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
)

func TestCampaignSchemaMatchesModels(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		models := []any{&store.CampaignLimits{}, &store.CallList{}, &store.CallListEntry{}, &store.CampaignMessage{},
			&store.Campaign{}, &store.CampaignList{}, &store.CampaignContact{}, &store.CampaignAttempt{}, &store.CampaignLease{}}
		for _, m := range models {
			stmt := &gorm.Statement{DB: s.DB()}
			if err := stmt.Parse(m); err != nil {
				t.Fatal(err)
			}
			for _, f := range stmt.Schema.Fields {
				if f.DBName != "" && !s.DB().Migrator().HasColumn(m, f.DBName) {
					t.Errorf("%s.%s: column missing from the migrated schema (add a migration)", stmt.Schema.Table, f.DBName)
				}
			}
		}
	})
}

// entries returns n parsed entries +3221000001, +3221000002, ...
func entries(n int) []calllist.Entry {
	out := make([]calllist.Entry, n)
	for i := range out {
		out[i] = calllist.Entry{Line: i + 1, Number: fmt.Sprintf("+32210%05d", i+1), Name: fmt.Sprintf("Person %d", i+1)}
	}
	return out
}

func mustCallList(t *testing.T, s *store.Store, tenantID uint, name string, es []calllist.Entry) *store.CallList {
	t.Helper()
	l, err := s.CreateCallList(ctx, store.System, tenantID, name, es)
	if err != nil {
		t.Fatalf("CreateCallList(%s): %v", name, err)
	}
	return l
}

func mustMessage(t *testing.T, s *store.Store, tenantID uint, name string) *store.CampaignMessage {
	t.Helper()
	conv := []byte("RIFF converted " + name)
	sum := sha256.Sum256(conv)
	m, err := s.CreateCampaignMessage(ctx, store.System, tenantID, name, []byte("RIFF original"), conv, hex.EncodeToString(sum[:]), 1500)
	if err != nil {
		t.Fatalf("CreateCampaignMessage: %v", err)
	}
	return m
}

func settings(name string) campaign.Campaign {
	ws, _ := campaign.ParseWindows("daily 00:00-24:00")
	return campaign.Campaign{
		Name: name, CallerID: "+3225112233",
		Keys:        map[string]campaign.KeyAction{"1": {Action: campaign.Connect, Group: "sales"}, "9": {Action: campaign.DoNotCall}},
		Busy:        campaign.Retry{Attempts: 3, Delay: 5 * time.Minute},
		NoAnswer:    campaign.Retry{Attempts: 2, Delay: 10 * time.Minute},
		RingTimeout: 20 * time.Second, Windows: ws, Pace: 5 * time.Second,
	}
}

// campaignFixture is a tenant with a group "sales", a message, a list of
// n numbers and a draft campaign over it.
type campaignFixture struct {
	tenant *store.Tenant
	msg    *store.CampaignMessage
	list   *store.CallList
	c      *store.Campaign
}

func newCampaignFixture(t *testing.T, s *store.Store, name string, n int) campaignFixture {
	t.Helper()
	tn := mustTenant(t, s, name)
	g := store.DefaultAgentGroup(tn.ID)
	g.Key = "sales"
	if err := s.CreateAgentGroup(ctx, store.System, &g); err != nil {
		t.Fatal(err)
	}
	f := campaignFixture{tenant: tn, msg: mustMessage(t, s, tn.ID, "welcome"), list: mustCallList(t, s, tn.ID, "customers", entries(n))}
	c, err := s.CreateCampaign(ctx, store.System, tn.ID, store.CampaignInput{MessageID: f.msg.ID, ListIDs: []uint{f.list.ID}, Settings: settings("spring")})
	if err != nil {
		t.Fatalf("CreateCampaign: %v", err)
	}
	f.c = c
	return f
}

func count(t *testing.T, s *store.Store, table string) int64 {
	t.Helper()
	var n int64
	if err := s.DB().Table(table).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCampaignLimitsDefaultAndSet(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		tn := mustTenant(t, s, "acme")
		l, err := s.GetCampaignLimits(ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := l.Limits(), campaign.DefaultLimits(); got != want {
			t.Fatalf("default limits = %+v, want %+v", got, want)
		}
		_, err = s.SetCampaignLimits(ctx, staff(1), tn.ID, campaign.Limits{Lists: 1, NumbersPerList: 2, Scheduled: 1, Running: 2, MinPace: time.Second})
		wantCode(t, err, vms.EINVALID, "running")
		set := campaign.Limits{Lists: 1, NumbersPerList: 3, Scheduled: 1, Running: 1, MinPace: 2 * time.Second}
		if _, err := s.SetCampaignLimits(ctx, staff(1), tn.ID, set); err != nil {
			t.Fatal(err)
		}
		l, _ = s.GetCampaignLimits(ctx, tn.ID)
		if l.Limits() != set {
			t.Fatalf("limits = %+v, want %+v", l.Limits(), set)
		}
		if a := lastAudit(t, s); a.Action != "campaign_limits.set" || decode(t, a.After)["Lists"] != float64(1) {
			t.Errorf("audit = %+v", a)
		}
		// Limits are enforced: a list over the size, a second list.
		_, err = s.CreateCallList(ctx, store.System, tn.ID, "big", entries(4))
		wantCode(t, err, vms.ECONFLICT, "file")
		if !strings.Contains(vms.ErrorMessage(err), "the list has 4 numbers; the limit is 3") {
			t.Errorf("refusal = %q", vms.ErrorMessage(err))
		}
		mustCallList(t, s, tn.ID, "one", entries(3))
		_, err = s.CreateCallList(ctx, store.System, tn.ID, "two", entries(1))
		wantCode(t, err, vms.ECONFLICT, "name")
		if n := count(t, s, "call_lists"); n != 1 {
			t.Errorf("%d lists after the refusals, want 1", n)
		}
		if n := count(t, s, "call_list_entries"); n != 3 {
			t.Errorf("%d entries after the refusals, want 3 (nothing written by a refusal)", n)
		}
	})
}

func TestCallListEntries(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		tn := mustTenant(t, s, "acme")
		other := mustTenant(t, s, "other")
		es := entries(2)
		es[0].Fields = map[string]string{"customer": "C-1"}
		l := mustCallList(t, s, tn.ID, "customers", es)
		_, err := s.CreateCallList(ctx, store.System, tn.ID, " customers ", entries(1))
		wantCode(t, err, vms.ECONFLICT, "name")
		_, err = s.CreateCallList(ctx, store.System, tn.ID, "", entries(1))
		wantCode(t, err, vms.EINVALID, "name")

		if _, err := s.GetCallList(ctx, other.ID, l.ID); vms.ErrorCode(err) != vms.ENOTFOUND {
			t.Errorf("another tenant's list: err = %v, want not found", err)
		}
		e, err := s.AddCallListEntry(ctx, store.System, tn.ID, l.ID, calllist.Entry{Number: "+3250123456", Name: " Typed "})
		if err != nil {
			t.Fatal(err)
		}
		if e.Line != 3 || e.Name != "Typed" {
			t.Errorf("typed entry = %+v, want line 3, name Typed", e)
		}
		_, err = s.AddCallListEntry(ctx, store.System, tn.ID, l.ID, calllist.Entry{Number: "+3250123456"})
		wantCode(t, err, vms.ECONFLICT, "number")
		_, err = s.AddCallListEntry(ctx, store.System, tn.ID, l.ID, calllist.Entry{Number: "02 511"})
		wantCode(t, err, vms.EINVALID, "number")
		got, err := s.CallListEntries(ctx, tn.ID, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[0].Fields()["customer"] != "C-1" || got[2].E164 != "+3250123456" {
			t.Fatalf("entries = %+v", got)
		}
		if err := s.RemoveCallListEntry(ctx, store.System, tn.ID, l.ID, got[1].ID); err != nil {
			t.Fatal(err)
		}
		if l, _ := s.GetCallList(ctx, tn.ID, l.ID); l.Size != 2 {
			t.Errorf("size after add and remove = %d, want 2", l.Size)
		}
		l2, err := s.ReplaceCallListEntries(ctx, store.System, tn.ID, l.ID, entries(5))
		if err != nil || l2.Size != 5 {
			t.Fatalf("replace: %v, %+v", err, l2)
		}
		if err := s.DeleteCallList(ctx, store.System, tn.ID, l.ID); err != nil {
			t.Fatal(err)
		}
		if n := count(t, s, "call_list_entries"); n != 0 {
			t.Errorf("%d entries left after deleting the list", n)
		}
	})
}

func TestCampaignMessages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newCampaignFixture(t, s, "acme", 2)
		got, err := s.CampaignMessageBySHA(ctx, strings.ToUpper(f.msg.SHA256))
		if err != nil || string(got.Converted) != "RIFF converted welcome" || string(got.Original) != "RIFF original" {
			t.Fatalf("by sha: %v, %+v", err, got)
		}
		list, err := s.ListCampaignMessages(ctx, f.tenant.ID)
		if err != nil || len(list) != 1 || list[0].Converted != nil || list[0].DurationMS != 1500 {
			t.Fatalf("list: %v, %+v", err, list)
		}
		if a := lastAuditOf(t, s, "campaign_message.create"); strings.Contains(a.After, "RIFF") {
			t.Errorf("the audit entry holds the audio: %s", a.After)
		}
		_, err = s.CreateCampaignMessage(ctx, store.System, f.tenant.ID, "bad", []byte("x"), []byte("y"), "00", 1)
		if err == nil {
			t.Error("a wrong sha256 was accepted")
		}
		err = s.DeleteCampaignMessage(ctx, store.System, f.tenant.ID, f.msg.ID)
		wantCode(t, err, vms.ECONFLICT, "message")
		if err := s.DeleteCampaign(ctx, store.System, f.tenant.ID, f.c.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteCampaignMessage(ctx, store.System, f.tenant.ID, f.msg.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func lastAuditOf(t *testing.T, s *store.Store, action string) store.AuditEntry {
	t.Helper()
	es, err := s.ListAudit(ctx, store.AuditFilter{Limit: store.MaxAuditLimit})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Action == action {
			return e
		}
	}
	t.Fatalf("no audit entry %s", action)
	return store.AuditEntry{}
}

func TestCampaignValidation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newCampaignFixture(t, s, "acme", 2)
		other := newCampaignFixture(t, s, "other", 1)
		in := func(mod func(*store.CampaignInput)) store.CampaignInput {
			i := store.CampaignInput{MessageID: f.msg.ID, ListIDs: []uint{f.list.ID}, Settings: settings("autumn")}
			mod(&i)
			return i
		}
		cases := []struct {
			name  string
			in    store.CampaignInput
			code  string
			field string
		}{
			{"duplicate name", in(func(i *store.CampaignInput) { i.Settings.Name = "spring" }), vms.ECONFLICT, "name"},
			{"pace too fast", in(func(i *store.CampaignInput) { i.Settings.Pace = time.Second }), vms.EINVALID, "pace"},
			{"unknown group", in(func(i *store.CampaignInput) {
				i.Settings.Keys = map[string]campaign.KeyAction{"1": {Action: campaign.Connect, Group: "nope"}}
			}), vms.EINVALID, "keys.1.group"},
			{"no message", in(func(i *store.CampaignInput) { i.MessageID = 0 }), vms.EINVALID, "message_id"},
			{"another tenant's message", in(func(i *store.CampaignInput) { i.MessageID = other.msg.ID }), vms.EINVALID, "message_id"},
			{"no list", in(func(i *store.CampaignInput) { i.ListIDs = nil }), vms.EINVALID, "list_ids"},
			{"another tenant's list", in(func(i *store.CampaignInput) { i.ListIDs = []uint{other.list.ID} }), vms.EINVALID, "list_ids"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := s.CreateCampaign(ctx, store.System, f.tenant.ID, c.in)
				wantCode(t, err, c.code, c.field)
			})
		}
		got, err := s.GetCampaign(ctx, f.tenant.ID, f.c.ID)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := got.Config()
		if err != nil || cfg.TimeZone != "Europe/Brussels" || got.State != store.CampaignDraft || len(got.ListIDs) != 1 {
			t.Fatalf("campaign = %+v (%v), settings %+v", got, err, cfg)
		}
		// Optimistic concurrency.
		up := in(func(i *store.CampaignInput) { i.Settings.Name = "spring 2" })
		if _, err := s.UpdateCampaign(ctx, store.System, f.tenant.ID, f.c.ID, 1, up); err != nil {
			t.Fatal(err)
		}
		_, err = s.UpdateCampaign(ctx, store.System, f.tenant.ID, f.c.ID, 1, up)
		wantCode(t, err, vms.ECONFLICT, "version")
		if _, err := s.GetCampaign(ctx, other.tenant.ID, f.c.ID); vms.ErrorCode(err) != vms.ENOTFOUND {
			t.Errorf("another tenant's campaign: %v", err)
		}
	})
}

func TestCampaignStateTransitions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newCampaignFixture(t, s, "acme", 3)
		tid := f.tenant.ID
		// A second list sharing a number: contacts are frozen once each.
		l2 := mustCallList(t, s, tid, "more", []calllist.Entry{{Line: 1, Number: "+3221000001"}, {Line: 2, Number: "+3250999999"}})
		c, err := s.UpdateCampaign(ctx, store.System, tid, f.c.ID, 1, store.CampaignInput{MessageID: f.msg.ID, ListIDs: []uint{f.list.ID, l2.ID}, Settings: settings("spring")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.SetCampaignState(ctx, store.System, tid, c.ID, nil, store.CampaignRunning)
		wantCode(t, err, vms.ECONFLICT, "state")
		if _, err := s.SetCampaignState(ctx, store.System, tid, c.ID, []string{store.CampaignDraft}, store.CampaignScheduled); err != nil {
			t.Fatal(err)
		}
		got, _ := s.GetCampaign(ctx, tid, c.ID)
		if got.State != store.CampaignScheduled || got.Progress.Total != 4 || got.Progress.Waiting != 4 {
			t.Fatalf("scheduled campaign = %s, progress %+v; want 4 waiting contacts", got.State, got.Progress)
		}
		// Lists in use by a scheduled campaign stay; its lists cannot change.
		wantCode(t, s.DeleteCallList(ctx, store.System, tid, l2.ID), vms.ECONFLICT, "list")
		_, err = s.SetCampaignState(ctx, store.System, tid, c.ID, []string{store.CampaignDraft}, store.CampaignScheduled)
		wantCode(t, err, vms.ECONFLICT, "state")

		// The limit of scheduled campaigns (2) and running ones (1).
		c2, err := s.CreateCampaign(ctx, store.System, tid, store.CampaignInput{MessageID: f.msg.ID, ListIDs: []uint{f.list.ID}, Settings: settings("summer")})
		if err != nil {
			t.Fatal(err)
		}
		c3, err := s.CreateCampaign(ctx, store.System, tid, store.CampaignInput{MessageID: f.msg.ID, ListIDs: []uint{f.list.ID}, Settings: settings("winter")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetCampaignState(ctx, store.System, tid, c2.ID, nil, store.CampaignScheduled); err != nil {
			t.Fatal(err)
		}
		before := count(t, s, "campaign_contacts")
		_, err = s.SetCampaignState(ctx, store.System, tid, c3.ID, nil, store.CampaignScheduled)
		wantCode(t, err, vms.ECONFLICT, "state")
		if !strings.Contains(vms.ErrorMessage(err), "at most 2 campaigns can be scheduled") {
			t.Errorf("refusal = %q", vms.ErrorMessage(err))
		}
		if after := count(t, s, "campaign_contacts"); after != before {
			t.Errorf("a refused schedule wrote %d contacts", after-before)
		}
		if _, err := s.SetCampaignState(ctx, store.System, tid, c.ID, nil, store.CampaignRunning); err != nil {
			t.Fatal(err)
		}
		_, err = s.SetCampaignState(ctx, store.System, tid, c2.ID, nil, store.CampaignRunning)
		wantCode(t, err, vms.ECONFLICT, "state")
		wantCode(t, s.DeleteCampaign(ctx, store.System, tid, c.ID), vms.ECONFLICT, "state")
		for _, step := range []string{store.CampaignPaused, store.CampaignRunning, store.CampaignStopped} {
			if _, err := s.SetCampaignState(ctx, store.System, tid, c.ID, nil, step); err != nil {
				t.Fatalf("-> %s: %v", step, err)
			}
		}
		got, _ = s.GetCampaign(ctx, tid, c.ID)
		if got.StartedAt == nil || got.FinishedAt == nil {
			t.Errorf("stopped campaign started %v finished %v", got.StartedAt, got.FinishedAt)
		}
		_, err = s.SetCampaignState(ctx, store.System, tid, c.ID, nil, store.CampaignScheduled)
		wantCode(t, err, vms.ECONFLICT, "state")
		if !strings.Contains(vms.ErrorMessage(err), "a stopped campaign cannot be scheduled") {
			t.Errorf("refusal = %q", vms.ErrorMessage(err))
		}
		// A stopped campaign's list can go; the campaign keeps its contacts.
		if err := s.DeleteCallList(ctx, store.System, tid, l2.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteCampaign(ctx, store.System, tid, c.ID); err != nil {
			t.Fatal(err)
		}
	})
}

// running returns the fixture's campaign scheduled and running, leased by
// owner.
func running(t *testing.T, s *store.Store, f campaignFixture, owner string, now time.Time) []store.CampaignContact {
	t.Helper()
	for _, st := range []string{store.CampaignScheduled, store.CampaignRunning} {
		if _, err := s.SetCampaignState(ctx, store.System, f.tenant.ID, f.c.ID, nil, st); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := s.TryCampaignLease(ctx, f.c.ID, owner, time.Minute, now); !ok || err != nil {
		t.Fatalf("TryCampaignLease: %v, %v", ok, err)
	}
	cs, err := s.CampaignContacts(ctx, f.c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestCampaignAttemptGuardConcurrent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newCampaignFixture(t, s, "acme", 2)
		now := time.Now().UTC()
		cs := running(t, s, f, "vms-a", now)
		const n = 4
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			won  int
			errs []error
		)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.BeginAttempt(ctx, f.c.ID, cs[0].ID, 1, fmt.Sprintf("chan-%d", i), "vms-a", now)
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					won++
				} else {
					errs = append(errs, err)
				}
			}()
		}
		wg.Wait()
		if won != 1 {
			t.Fatalf("%d concurrent BeginAttempt calls won, want exactly 1 (errors %v)", won, errs)
		}
		for _, err := range errs {
			wantCode(t, err, vms.ECONFLICT, "attempt")
		}
		if n := count(t, s, "campaign_attempts"); n != 1 {
			t.Errorf("%d attempts written, want 1", n)
		}
		// Another process without the lease cannot dial.
		_, err := s.BeginAttempt(ctx, f.c.ID, cs[1].ID, 1, "x", "vms-b", now)
		wantCode(t, err, vms.ECONFLICT, "attempt")
	})
}

func TestCampaignAttemptsAndResults(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newCampaignFixture(t, s, "acme", 3)
		now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		cs := running(t, s, f, "vms-a", now)

		// Contact 0: answered, pressed 1, connected to Alice.
		a, err := s.BeginAttempt(ctx, f.c.ID, cs[0].ID, 1, "c1", "vms-a", now)
		if err != nil {
			t.Fatal(err)
		}
		ct, err := s.EndAttempt(ctx, a.ID, "answered", "1", true, "Alice", now.Add(30*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if ct.State != store.ContactDone || ct.Result != "answered" || ct.ConnectedAgent != "Alice" || ct.LastDTMF != "1" {
			t.Errorf("answered contact = %+v", ct)
		}
		_, err = s.EndAttempt(ctx, a.ID, "busy", "", false, "", now)
		wantCode(t, err, vms.ECONFLICT, "attempt")
		_, err = s.BeginAttempt(ctx, f.c.ID, cs[0].ID, 2, "c1b", "vms-a", now)
		wantCode(t, err, vms.ECONFLICT, "attempt")

		// Contact 1: busy, then due 5 minutes later; attempt 3 is not next.
		a, _ = s.BeginAttempt(ctx, f.c.ID, cs[1].ID, 1, "c2", "vms-a", now)
		ct, err = s.EndAttempt(ctx, a.ID, "busy", "", false, "", now.Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if ct.State != store.ContactWaiting || ct.NextAt == nil || !ct.NextAt.Equal(now.Add(time.Second+5*time.Minute)) {
			t.Errorf("busy contact = %+v, want waiting until 5 minutes after", ct)
		}
		_, err = s.BeginAttempt(ctx, f.c.ID, cs[1].ID, 3, "c2c", "vms-a", now)
		wantCode(t, err, vms.ECONFLICT, "attempt")

		// Contact 2: answered and pressed 9 (do not call).
		a, _ = s.BeginAttempt(ctx, f.c.ID, cs[2].ID, 1, "c3", "vms-a", now)
		ct, _ = s.EndAttempt(ctx, a.ID, "answered", "9", false, "", now.Add(time.Second))
		if !ct.DoNotCall || ct.Result != "do not call" {
			t.Errorf("do-not-call contact = %+v", ct)
		}

		got, _ := s.GetCampaign(ctx, f.tenant.ID, f.c.ID)
		want := store.CampaignProgress{Total: 3, Waiting: 1, Done: 2, Answered: 2, Connected: 1}
		if got.Progress != want {
			t.Errorf("progress = %+v, want %+v", got.Progress, want)
		}
		res, err := s.CampaignResults(ctx, f.tenant.ID, f.c.ID)
		if err != nil || len(res) != 3 || len(res[0].History) != 1 || res[0].History[0].Agent != "Alice" {
			t.Fatalf("results: %v, %+v", err, res)
		}
		other := mustTenant(t, s, "other")
		if _, err := s.CampaignResults(ctx, other.ID, f.c.ID); vms.ErrorCode(err) != vms.ENOTFOUND {
			t.Errorf("another tenant's results: %v", err)
		}
	})
}

func TestCampaignLostAttempts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newCampaignFixture(t, s, "acme", 1)
		now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		cs := running(t, s, f, "vms-a", now)
		if _, err := s.BeginAttempt(ctx, f.c.ID, cs[0].ID, 1, "c1", "vms-a", now); err != nil {
			t.Fatal(err)
		}
		// The process dies; another one takes over after the lease expires.
		if ok, _ := s.TryCampaignLease(ctx, f.c.ID, "vms-b", time.Minute, now.Add(30*time.Second)); ok {
			t.Fatal("the lease was taken before it expired")
		}
		later := now.Add(2 * time.Minute)
		if ok, err := s.TryCampaignLease(ctx, f.c.ID, "vms-b", time.Minute, later); !ok || err != nil {
			t.Fatalf("takeover after expiry: %v, %v", ok, err)
		}
		if ok, _ := s.RenewCampaignLease(ctx, f.c.ID, "vms-a", time.Minute, later); ok {
			t.Error("the old owner renewed a lease it lost")
		}
		lost, err := s.LostAttempts(ctx, f.c.ID, later.Add(-time.Minute))
		if err != nil || len(lost) != 1 || lost[0].Outcome != store.OutcomeLost {
			t.Fatalf("LostAttempts: %v, %+v", err, lost)
		}
		cs, _ = s.CampaignContacts(ctx, f.c.ID)
		if cs[0].State != store.ContactWaiting || cs[0].Attempts != 1 {
			t.Errorf("contact after a lost attempt = %+v, want waiting for attempt 2", cs[0])
		}
		// Attempt 1 is never dialled again; attempt 2 is the next.
		_, err = s.BeginAttempt(ctx, f.c.ID, cs[0].ID, 1, "again", "vms-b", later)
		wantCode(t, err, vms.ECONFLICT, "attempt")
		if _, err := s.BeginAttempt(ctx, f.c.ID, cs[0].ID, 2, "c2", "vms-b", later); err != nil {
			t.Fatal(err)
		}
		if lost, _ := s.LostAttempts(ctx, f.c.ID, later.Add(-time.Minute)); len(lost) != 0 {
			t.Errorf("a recent attempt was marked lost: %+v", lost)
		}
		// The lost attempt's real result, arriving late, is kept.
		ct, err := s.EndAttempt(ctx, lost[0].ID, "busy", "", false, "", later)
		if err != nil {
			t.Fatalf("late result of a lost attempt: %v", err)
		}
		if ct.Attempts != 2 || ct.State != store.ContactCalling {
			t.Errorf("contact after the late result = %+v, want attempt 2 still calling", ct)
		}
		if err := s.ReleaseCampaignLease(ctx, f.c.ID, "vms-b"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.TryCampaignLease(ctx, f.c.ID, "vms-a", time.Minute, later); !ok {
			t.Error("a released lease could not be taken")
		}
		rc, err := s.RunnableCampaigns(ctx, later)
		if err != nil || len(rc) != 1 || rc[0].ID != f.c.ID {
			t.Errorf("RunnableCampaigns = %v, %+v", err, rc)
		}
	})
}

// BenchmarkListCampaigns measures what the campaigns page polls every
// 2 seconds: the campaigns of a tenant with their progress, here 2
// campaigns of 100 contacts with an attempt each.
func BenchmarkListCampaigns(b *testing.B) {
	eachBench(b, func(b *testing.B, s *store.Store) {
		tn := &store.Tenant{Name: "Acme", Formula: "Outbound"}
		if err := s.CreateTenant(ctx, store.System, tn); err != nil {
			b.Fatal(err)
		}
		l, err := s.CreateCallList(ctx, store.System, tn.ID, "all", entries(100))
		if err != nil {
			b.Fatal(err)
		}
		conv := []byte("converted")
		sum := sha256.Sum256(conv)
		m, err := s.CreateCampaignMessage(ctx, store.System, tn.ID, "m", conv, conv, hex.EncodeToString(sum[:]), 1)
		if err != nil {
			b.Fatal(err)
		}
		set := settings("x")
		set.Keys = nil
		now := time.Now().UTC()
		for i := range 2 {
			set.Name = fmt.Sprintf("c%d", i)
			c, err := s.CreateCampaign(ctx, store.System, tn.ID, store.CampaignInput{MessageID: m.ID, ListIDs: []uint{l.ID}, Settings: set})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.SetCampaignState(ctx, store.System, tn.ID, c.ID, nil, store.CampaignScheduled); err != nil {
				b.Fatal(err)
			}
			if i == 0 {
				if _, err := s.SetCampaignState(ctx, store.System, tn.ID, c.ID, nil, store.CampaignRunning); err != nil {
					b.Fatal(err)
				}
				if _, err := s.TryCampaignLease(ctx, c.ID, "bench", time.Hour, now); err != nil {
					b.Fatal(err)
				}
				cs, _ := s.CampaignContacts(ctx, c.ID)
				for _, ct := range cs {
					a, err := s.BeginAttempt(ctx, c.ID, ct.ID, 1, "x", "bench", now)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := s.EndAttempt(ctx, a.ID, "answered", "1", false, "", now); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
		b.ResetTimer()
		for b.Loop() {
			cs, err := s.ListCampaigns(ctx, tn.ID)
			if err != nil || len(cs) != 2 {
				b.Fatal(err, len(cs))
			}
		}
	})
}

// TestCampaignLimitConcurrent: lists created at the same moment cannot
// both slip under the limit (the count and the write share a transaction
// that holds the tenant).
func TestCampaignLimitConcurrent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		tn := mustTenant(t, s, "acme")
		if _, err := s.SetCampaignLimits(ctx, staff(1), tn.ID, campaign.Limits{Lists: 2, NumbersPerList: 10, Scheduled: 1, Running: 1, MinPace: 5 * time.Second}); err != nil {
			t.Fatal(err)
		}
		const n = 6
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.CreateCallList(ctx, store.System, tn.ID, fmt.Sprintf("list %d", i), entries(3))
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if vms.ErrorCode(err) != vms.ECONFLICT {
				t.Errorf("refusal = %v, want a conflict", err)
			}
		}
		if ok != 2 {
			t.Errorf("%d lists created at once under a limit of 2", ok)
		}
		if got := count(t, s, "call_lists"); got != 2 {
			t.Errorf("%d lists stored, want 2", got)
		}
		if got := count(t, s, "call_list_entries"); got != 6 {
			t.Errorf("%d entries stored, want 6", got)
		}
	})
}
