package routecache_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmsplatform/vms/controller"
	"github.com/vmsplatform/vms/engine"
	"github.com/vmsplatform/vms/engine/enginetest"
	"github.com/vmsplatform/vms/routecache"
	"github.com/vmsplatform/vms/routing"
	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
)

const (
	recDialed = "+3221234567"
	recCallee = "+3222221111"
	recCaller = "+3247712345"
	recTenant = 7
)

// oneRoute routes recDialed to recCallee.
type oneRoute struct{ plan *routing.Plan }

func (r oneRoute) Route(ctx context.Context, d string) (*controller.Route, error) {
	if "+"+strings.TrimPrefix(d, "+") != recDialed {
		return nil, controller.ErrNoRoute
	}
	return &controller.Route{TenantID: recTenant, NumberID: 9, Number: recDialed, TreeID: "main", TreeVersion: 2,
		Plan: r.plan, Active: true, Fallback: recCallee}, nil
}

func (r oneRoute) Tree(ctx context.Context, tenant uint, id string) (*routing.Plan, int, error) {
	return nil, 0, fmt.Errorf("no tree %s", id)
}

// inspector is a Fake that describes the inbound channel, as the ARI
// driver does. Its Inbox is ctl's, so that the test can report a
// reconnection with the bridges the engine holds.
type inspector struct {
	*enginetest.Fake
	in  engine.CallArrived
	ctl *engine.Router
}

func (e inspector) Inbox() *engine.Subscription { return e.ctl.Inbox() }

func (e inspector) InspectChannel(ctx context.Context, id engine.ChannelID) (engine.CallArrived, bool, error) {
	if id != e.in.Channel {
		return engine.CallArrived{}, false, engine.ErrNotFound
	}
	return e.in, true, nil
}

// firstSaves passes the first n saves to the store and refuses the rest
// for good: a VMS that died after n saves reached the database.
type firstSaves struct {
	next controller.Records
	mu   sync.Mutex
	n    int
}

func (f *firstSaves) SaveCall(ctx context.Context, r *controller.CallRecord) error {
	f.mu.Lock()
	pass := f.n > 0
	f.n--
	f.mu.Unlock()
	if !pass {
		return fmt.Errorf("process gone: %w", controller.ErrRecordRejected)
	}
	return f.next.SaveCall(ctx, r)
}

// TRM-8 across a VMS restart, through the real store: VMS-1 answers and
// bridges a call, then goes away (cleanly, or dying after its
// answer-time save, or before any save reached the database); VMS-2
// adopts the bridged pair and sees its end. The call's record is then
// complete: what VMS-1 knew (path, legs, answer) and the end VMS-2 saw.
func TestRecordCompletedByAdopter(t *testing.T) {
	t.Parallel()
	tr := routing.Tree{ID: "main", Start: "a", Nodes: []routing.Node{{ID: "a", Type: routing.TypeNumber, Number: recCallee}}}
	plan, err := routing.Compile(&tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		vms1    func(controller.Records) controller.Records
		routed  bool // VMS-1's record (path, legs, answer) reached the store
		stopped bool // VMS-1 stopped cleanly
	}{
		{"VMS-1 stopped cleanly", func(r controller.Records) controller.Records { return r }, true, true},
		{"VMS-1 died after its answer-time save", func(r controller.Records) controller.Records { return &firstSaves{next: r, n: 1} }, true, false},
		{"VMS-1 died before any save", func(r controller.Records) controller.Records { return &firstSaves{next: r} }, false, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				ctx := context.Background()
				f := enginetest.NewFake()
				f.SetDestination("PJSIP/"+strings.TrimPrefix(recCallee, "+")+"@trunk", enginetest.Answers)
				cfg := controller.Config{Trunk: "PJSIP/{number}@trunk", DefaultRingTimeout: time.Second}
				vms1, err := controller.New(cfg, f, oneRoute{plan}, tt.vms1(routecache.Records{Store: st}), nil)
				if err != nil {
					t.Fatal(err)
				}
				ctx1, stop1 := context.WithCancel(ctx)
				done1 := make(chan error, 1)
				go func() { done1 <- vms1.Run(ctx1) }()
				in := f.Call(recCaller, strings.TrimPrefix(recDialed, "+"))
				var leg engine.ChannelID
				poll(t, "bridged", func() bool {
					o := f.Originated()
					if len(o) == 1 && f.Bridged(in, o[0].ID) {
						leg = o[0].ID
						return true
					}
					return false
				})
				if tt.routed {
					poll(t, "answer-time record stored", func() bool { return stored(t, st, in) != nil })
				}
				stop1()
				<-done1
				if tt.stopped {
					if r := stored(t, st, in); r == nil || r.EndedAt != nil || r.AnsweredAt == nil {
						t.Fatalf("after a clean stop: record %+v, want answered, not ended", r)
					}
				}

				arrived := time.Date(2026, 11, 26, 9, 0, i, 0, time.UTC)
				eng := inspector{Fake: f, ctl: engine.NewRouter(),
					in: engine.CallArrived{Channel: in, Caller: recCaller, Dialed: strings.TrimPrefix(recDialed, "+"), At: arrived}}
				vms2, err := controller.New(cfg, eng, oneRoute{plan}, routecache.Records{Store: st}, nil)
				if err != nil {
					t.Fatal(err)
				}
				ctx2, stop2 := context.WithCancel(ctx)
				done2 := make(chan error, 1)
				go func() { done2 <- vms2.Run(ctx2) }()
				eng.ctl.Dispatch(engine.Reconnected{Initial: true, Adopted: []engine.ChannelID{in, leg},
					Bridges: []engine.BridgeID{engine.BridgeID("vms-" + string(in))}})
				poll(t, "adopted", func() bool { return vms2.ActiveCalls() == 1 })
				f.FarEndHangup(leg, engine.CauseNormalClearing)
				poll(t, "ended record stored", func() bool {
					r := stored(t, st, in)
					return r != nil && r.EndedAt != nil
				})
				stop2()
				<-done2

				r := stored(t, st, in)
				if r.Outcome != controller.OutcomeAnswered || r.TenantID != recTenant || r.NumberID != 9 || r.Caller != recCaller || r.Dialed != recDialed {
					t.Errorf("record %+v, want the answered call of tenant %d from %s to %s", r, recTenant, recCaller, recDialed)
				}
				if tt.routed {
					if r.AnsweredAt == nil || r.Destination != recCallee || r.TreeID != "main" || len(r.Legs) != 1 || r.Legs[0].Outcome != controller.OutcomeAnswered || !strings.Contains(r.Path, `"a"`) {
						t.Errorf("record %+v legs %+v, want what VMS-1 saved: answered at %s, path, one leg", r, r.Legs, recCallee)
					}
					for _, l := range r.Legs {
						if l.EndedAt == nil || !l.EndedAt.Equal(*r.EndedAt) {
							t.Errorf("bridged leg ended %v, want at the call's end %v", l.EndedAt, r.EndedAt)
						}
					}
					if r.ArrivedAt.Equal(arrived) {
						t.Errorf("arrival %v taken from the adopter, want VMS-1's", r.ArrivedAt)
					}
				} else if !r.ArrivedAt.Equal(arrived) || len(r.Legs) != 0 {
					t.Errorf("record %+v, want the adopter's arrival %v and no legs", r, arrived)
				}
			})
		})
	}
}

// stored returns the store's record of a call with its legs, nil if none.
func stored(t *testing.T, st *store.Store, in engine.ChannelID) *store.CallRecord {
	t.Helper()
	ctx := context.Background()
	list, err := st.ListCallRecords(ctx, recTenant, store.CallFilter{Limit: store.MaxCallLimit})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range list {
		if r.CallID == string(in) {
			got, err := st.GetCallRecord(ctx, recTenant, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
	}
	return nil
}

func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
