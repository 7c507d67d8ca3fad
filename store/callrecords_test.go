package store_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/store/storetest"
)

// TestSaveCallRecordMovesForward checks the upsert rules of
// SaveCallRecord (TRM-8): saves at answer and at end, by the routing
// process or an adopter after a restart, in any order, leave the most
// complete record; stale and duplicate saves change nothing stored.
func TestSaveCallRecordMovesForward(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		acme := mustTenant(t, s, "Acme")
		t0 := time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)
		ans, end, later := t0.Add(5*time.Second), t0.Add(65*time.Second), t0.Add(90*time.Second)
		busyLeg := store.CallLeg{Destination: "+3221110001", NodeID: "reception", StartedAt: t0, EndedAt: &ans, Outcome: "busy", Cause: 17}
		// answered: saved by the routing process when the call is bridged.
		answered := func(id string) *store.CallRecord {
			return &store.CallRecord{CallID: id, TenantID: acme.ID, NumberID: 7, Caller: "+32475000001", Dialed: "+3221110000",
				TreeID: "main", TreeVersion: 3, ArrivedAt: t0, AnsweredAt: &ans, Outcome: "answered", Destination: "+32475550122",
				Path: `[{"node":"hours"}]`,
				Legs: []store.CallLeg{busyLeg, {Destination: "+32475550122", NodeID: "mobile", StartedAt: ans, AnsweredAt: &ans, Outcome: "answered"}}}
		}
		// ended: saved by the routing process when the call ends.
		ended := func(id string) *store.CallRecord {
			r := answered(id)
			r.EndedAt = &end
			r.Path = `[{"node":"hours"},{"node":"mobile"}]`
			r.Legs[1].EndedAt = &end
			return r
		}
		// adopted: saved by the process that adopted the bridged call
		// after a restart and saw its end; it knows little.
		adopted := func(id string, tenant uint) *store.CallRecord {
			return &store.CallRecord{CallID: id, TenantID: tenant, NumberID: 7, Caller: "+32475000001", Dialed: "+3221110000",
				ArrivedAt: t0.Add(time.Second), EndedAt: &later, Outcome: "answered", Path: "[]"}
		}
		type want struct {
			tenant      uint
			arrived     time.Time
			answered    *time.Time
			ended       *time.Time
			outcome     string
			destination string
			path        string
			legs        int
			lastLegEnd  *time.Time
		}
		full := want{acme.ID, t0, &ans, &end, "answered", "+32475550122", `[{"node":"hours"},{"node":"mobile"}]`, 2, &end}
		tests := []struct {
			name  string
			saves func(id string) []*store.CallRecord
			want  want
		}{
			{"answer then end completes the record", func(id string) []*store.CallRecord {
				return []*store.CallRecord{answered(id), ended(id)}
			}, full},
			{"a stale answer after the end changes nothing", func(id string) []*store.CallRecord {
				return []*store.CallRecord{ended(id), answered(id)}
			}, full},
			{"saving the end twice is idempotent", func(id string) []*store.CallRecord {
				return []*store.CallRecord{answered(id), ended(id), ended(id)}
			}, full},
			{"the answer saved twice stays not ended", func(id string) []*store.CallRecord {
				return []*store.CallRecord{answered(id), answered(id)}
			}, want{acme.ID, t0, &ans, nil, "answered", "+32475550122", `[{"node":"hours"}]`, 2, nil}},
			{"an adopter's end completes the answered record", func(id string) []*store.CallRecord {
				return []*store.CallRecord{answered(id), adopted(id, acme.ID)}
			}, want{acme.ID, t0, &ans, &later, "answered", "+32475550122", `[{"node":"hours"}]`, 2, &later}},
			{"a late answer fills in the adopter's record", func(id string) []*store.CallRecord {
				return []*store.CallRecord{adopted(id, 0), answered(id)}
			}, want{acme.ID, t0.Add(time.Second), &ans, &later, "answered", "+32475550122", `[{"node":"hours"}]`, 2, &later}},
			{"the first end stays", func(id string) []*store.CallRecord {
				other := ended(id)
				other.EndedAt, other.Outcome = &later, "failed"
				return []*store.CallRecord{ended(id), other}
			}, full},
			{"an end with fewer legs keeps the stored legs", func(id string) []*store.CallRecord {
				short := ended(id)
				short.Legs = short.Legs[:1]
				return []*store.CallRecord{answered(id), short}
			}, want{acme.ID, t0, &ans, &end, "answered", "+32475550122", `[{"node":"hours"},{"node":"mobile"}]`, 2, &end}},
			{"more legs before the answer replace the legs", func(id string) []*store.CallRecord {
				one, two := answered(id), answered(id)
				one.AnsweredAt, one.Outcome, one.Legs = nil, "", one.Legs[:1]
				two.AnsweredAt, two.Outcome = nil, ""
				return []*store.CallRecord{one, two}
			}, want{acme.ID, t0, nil, nil, "", "+32475550122", `[{"node":"hours"}]`, 2, nil}},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				id := fmt.Sprintf("chan-%d", i)
				var recID uint
				for j, r := range tt.saves(id) {
					if err := s.SaveCallRecord(ctx, r); err != nil {
						t.Fatalf("save %d: %v", j, err)
					}
					if recID != 0 && r.ID != recID {
						t.Fatalf("save %d: id %d, want the first save's %d", j, r.ID, recID)
					}
					recID = r.ID
				}
				got, err := s.GetCallRecord(ctx, tt.want.tenant, recID)
				if err != nil {
					t.Fatal(err)
				}
				w := tt.want
				if !got.ArrivedAt.Equal(w.arrived) || !sameTime(got.AnsweredAt, w.answered) || !sameTime(got.EndedAt, w.ended) ||
					got.Outcome != w.outcome || got.Destination != w.destination || got.Path != w.path || len(got.Legs) != w.legs {
					t.Fatalf("got arrived %v answered %v ended %v outcome %q destination %q path %s legs %d;\nwant %+v",
						got.ArrivedAt, got.AnsweredAt, got.EndedAt, got.Outcome, got.Destination, got.Path, len(got.Legs), w)
				}
				for j, l := range got.Legs {
					if l.Seq != j+1 {
						t.Fatalf("leg %d has seq %d", j, l.Seq)
					}
				}
				if last := got.Legs[len(got.Legs)-1]; !sameTime(last.EndedAt, w.lastLegEnd) {
					t.Fatalf("last leg ended %v, want %v", last.EndedAt, w.lastLegEnd)
				}
				if got.TreeID != "main" || got.TreeVersion != 3 || got.Caller != "+32475000001" {
					t.Fatalf("identity: tree %q v%d caller %q", got.TreeID, got.TreeVersion, got.Caller)
				}
			})
		}

		t.Run("concurrent saves end complete", func(t *testing.T) {
			const n = 8
			var wg sync.WaitGroup
			errs := make(chan error, 2*n)
			for i := range 2 * n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := answered("chan-race")
					if i%2 == 1 {
						r = ended("chan-race")
					}
					errs <- s.SaveCallRecord(ctx, r)
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			list, err := s.ListCallRecords(ctx, acme.ID, store.CallFilter{Number: "+32475000001", Limit: store.MaxCallLimit})
			if err != nil {
				t.Fatal(err)
			}
			var id uint
			for _, r := range list {
				if r.CallID == "chan-race" {
					if id != 0 {
						t.Fatalf("two records of chan-race")
					}
					id = r.ID
				}
			}
			got, err := s.GetCallRecord(ctx, acme.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			if !sameTime(got.EndedAt, &end) || len(got.Legs) != 2 || !sameTime(got.Legs[1].EndedAt, &end) {
				t.Fatalf("after concurrent saves: ended %v, %d legs, %+v", got.EndedAt, len(got.Legs), got.Legs)
			}
		})
	})
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
