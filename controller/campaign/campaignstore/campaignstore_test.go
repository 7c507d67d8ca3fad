package campaignstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vmsplatform/vms/calllist"
	rules "github.com/vmsplatform/vms/campaign"
	"github.com/vmsplatform/vms/controller"
	dialer "github.com/vmsplatform/vms/controller/campaign"
	"github.com/vmsplatform/vms/controller/campaign/campaignstore"
	"github.com/vmsplatform/vms/engine"
	"github.com/vmsplatform/vms/engine/enginetest"
	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
)

var ctx = context.Background()

const (
	numConnect  = "+32470000001"
	numBusy     = "+32470000002"
	numNoAnswer = "+32470000003"
	numDNC      = "+32470000004"
)

func dialString(e164 string) string { return "PJSIP/" + strings.TrimPrefix(e164, "+") + "@trunk" }

type queue struct{}

func (queue) QueueChannel(ctx context.Context, h controller.Handover) (<-chan controller.HandoverResult, error) {
	c := make(chan controller.HandoverResult, 1)
	c <- controller.HandoverResult{Connected: true, Agent: "12"}
	close(c)
	return c, nil
}

// fixture: a tenant with group "sales", limits allowing a 1 s pace, a
// message, a list of the four numbers and a scheduled campaign.
func fixture(t *testing.T, s *store.Store) (*store.Tenant, *store.Campaign) {
	t.Helper()
	tn := &store.Tenant{Name: "acme", Formula: "classic"}
	if err := s.CreateTenant(ctx, store.System, tn); err != nil {
		t.Fatal(err)
	}
	g := store.DefaultAgentGroup(tn.ID)
	g.Key = "sales"
	if err := s.CreateAgentGroup(ctx, store.System, &g); err != nil {
		t.Fatal(err)
	}
	lim := rules.DefaultLimits()
	lim.MinPace = time.Second
	if _, err := s.SetCampaignLimits(ctx, store.System, tn.ID, lim); err != nil {
		t.Fatal(err)
	}
	conv := []byte("RIFF converted")
	sum := sha256.Sum256(conv)
	m, err := s.CreateCampaignMessage(ctx, store.System, tn.ID, "offer", []byte("RIFF original"), conv, hex.EncodeToString(sum[:]), 1500)
	if err != nil {
		t.Fatal(err)
	}
	var es []calllist.Entry
	for i, n := range []string{numConnect, numBusy, numNoAnswer, numDNC} {
		es = append(es, calllist.Entry{Line: i + 1, Number: n})
	}
	l, err := s.CreateCallList(ctx, store.System, tn.ID, "customers", es)
	if err != nil {
		t.Fatal(err)
	}
	ws, _ := rules.ParseWindows("daily 00:00-24:00")
	c, err := s.CreateCampaign(ctx, store.System, tn.ID, store.CampaignInput{MessageID: m.ID, ListIDs: []uint{l.ID}, Settings: rules.Campaign{
		Name: "winter", CallerID: "+3225550000",
		Keys:     map[string]rules.KeyAction{"1": {Action: rules.Connect, Group: "sales"}, "9": {Action: rules.DoNotCall}},
		Busy:     rules.Retry{Attempts: 2, Delay: time.Minute},
		NoAnswer: rules.Retry{Attempts: 2, Delay: time.Minute},
		// The fake engine's ring-out runs 100 times faster.
		RingTimeout: 10 * time.Second, Windows: ws, Pace: time.Second,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetCampaignState(ctx, store.System, tn.ID, c.ID, []string{store.CampaignDraft}, store.CampaignScheduled); err != nil {
		t.Fatal(err)
	}
	return tn, c
}

// The dialer over the real store (SQLite): every number called at the
// pace, retried per policy, keys recorded, contacts summed up, the
// campaign done and its lease given back.
func TestDialerOverStore(t *testing.T) {
	t.Parallel()
	s := storetest.SQLite(t)
	tn, c := fixture(t, s)
	f := enginetest.NewFake()
	f.AfterFunc = func(d time.Duration, fn func()) func() bool { return time.AfterFunc(d/100, fn).Stop }
	for _, n := range []string{numConnect, numDNC} {
		f.SetDestination(dialString(n), enginetest.Answers)
	}
	f.SetDestination(dialString(numBusy), enginetest.Behavior{Outcome: engine.OutcomeBusy})
	f.SetDestination(dialString(numNoAnswer), enginetest.Behavior{Outcome: engine.OutcomeNoAnswer})
	f.HoldPlayback = true
	stopPeople := make(chan struct{})
	defer close(stopPeople)
	go func() { // people press their key once the message plays
		pressed := map[engine.ChannelID]bool{}
		for {
			select {
			case <-stopPeople:
				return
			case <-time.After(10 * time.Millisecond):
			}
			for _, r := range f.Originated() {
				ch, _ := f.Channel(r.ID)
				if pressed[r.ID] || ch.State != "up" || len(ch.Heard) == 0 {
					continue
				}
				pressed[r.ID] = true
				key := "1"
				if r.Endpoint == dialString(numDNC) {
					key = "9"
				}
				f.PressKeys(r.ID, key)
			}
		}
	}()
	d, err := dialer.New(dialer.Config{Owner: "vms-1", DialString: dialString, RetryDelay: 200 * time.Millisecond,
		Rescan: 200 * time.Millisecond, AgentName: func(id string) string { return "Agent " + id }},
		f, campaignstore.New(s), queue{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { d.Run(rctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := s.GetCampaign(ctx, tn.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State == store.CampaignDone {
			p := got.Progress
			if p.Total != 4 || p.Done != 4 || p.Answered != 2 || p.Connected != 1 {
				t.Errorf("progress %+v, want 4 done, 2 answered, 1 connected", p)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("campaign %s after 30 s, want done", got.State)
		}
		time.Sleep(50 * time.Millisecond)
	}
	res, err := s.CampaignResults(ctx, tn.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		attempts int
		result   string
	}{
		numConnect: {1, "answered"}, numBusy: {2, "busy after 2 attempts"},
		numNoAnswer: {2, "no answer after 2 attempts"}, numDNC: {1, "do not call"},
	}
	var starts []time.Time
	for _, ct := range res {
		w := want[ct.E164]
		if ct.State != store.ContactDone || ct.Attempts != w.attempts || ct.Result != w.result || len(ct.History) != w.attempts {
			t.Errorf("%s: %s %q after %d attempts (%d rows), want done %q after %d", ct.E164, ct.State, ct.Result, ct.Attempts, len(ct.History), w.result, w.attempts)
		}
		for _, a := range ct.History {
			starts = append(starts, a.StartedAt)
			if a.Owner != "vms-1" || a.Outcome == "" || a.ChannelID == "" {
				t.Errorf("%s attempt %d: %+v", ct.E164, a.Number, a)
			}
		}
		switch ct.E164 {
		case numConnect:
			if !ct.History[0].Connected || ct.ConnectedAgent != "Agent 12" || ct.LastDTMF != "1" {
				t.Errorf("connect: %+v", ct)
			}
		case numDNC:
			if !ct.DoNotCall || ct.LastDTMF != "9" {
				t.Errorf("do not call: %+v", ct)
			}
		}
	}
	for i := range starts {
		for j := range starts {
			if i != j && starts[i].Sub(starts[j]) >= 0 && starts[i].Sub(starts[j]) < time.Second {
				t.Errorf("calls %v apart, want at least the 1 s pace", starts[i].Sub(starts[j]))
			}
		}
	}
	// The lease is given back once done: another process may take it.
	if ok, err := s.TryCampaignLease(ctx, c.ID, "vms-2", time.Minute, time.Now()); err != nil || !ok {
		t.Errorf("lease after done: %v %v, want free", ok, err)
	}
}

// The store's refusals reach the dialer as ErrAttemptTaken: an attempt
// number claimed twice, or dialled without the lease.
func TestBeginAttemptRefusals(t *testing.T) {
	t.Parallel()
	s := storetest.SQLite(t)
	tn, c := fixture(t, s)
	a := campaignstore.New(s)
	if err := a.SetState(ctx, c.ID, []string{dialer.StateScheduled}, dialer.StateRunning); err != nil {
		t.Fatal(err)
	}
	if err := a.SetState(ctx, c.ID, []string{dialer.StateScheduled}, dialer.StateRunning); !errors.Is(err, dialer.ErrStateChanged) {
		t.Errorf("second start: %v, want ErrStateChanged", err)
	}
	cts, err := a.Contacts(ctx, c.ID)
	if err != nil || len(cts) != 4 {
		t.Fatalf("contacts %v %v", cts, err)
	}
	now := time.Now()
	at := dialer.Attempt{CampaignID: c.ID, ContactID: cts[0].ID, Number: 1, ChannelID: "vmsout-x", Owner: "vms-1", At: now}
	if _, err := a.BeginAttempt(ctx, at); !errors.Is(err, dialer.ErrAttemptTaken) {
		t.Errorf("without the lease: %v, want ErrAttemptTaken", err)
	}
	if ok, err := a.TryLease(ctx, c.ID, "vms-1", time.Minute, now); !ok || err != nil {
		t.Fatalf("lease: %v %v", ok, err)
	}
	if _, err := a.BeginAttempt(ctx, at); err != nil {
		t.Fatal(err)
	}
	if _, err := a.BeginAttempt(ctx, at); !errors.Is(err, dialer.ErrAttemptTaken) {
		t.Errorf("twice: %v, want ErrAttemptTaken", err)
	}
	if n, err := a.LostAttempts(ctx, c.ID, now.Add(time.Second)); n != 1 || err != nil {
		t.Errorf("lost %d %v, want 1", n, err)
	}
	got, err := a.Campaign(ctx, c.ID)
	if err != nil || got.TenantID != tn.ID || got.MessageSHA == "" || got.MessageDuration != 1500*time.Millisecond || got.Limits.MinPace != time.Second {
		t.Errorf("campaign %+v %v", got, err)
	}
}
