package routing_test

import (
	"encoding/json"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/vmsplatform/vms/routing"
)

// TRM-8: a Decision encodes as before the trace became a method, with the
// rendered trace under "trace".
func TestDecisionJSON(t *testing.T) {
	p, err := routing.Compile(loadExample(t), testRefs)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 26, 8, 12, 0, 0, time.UTC)
	tests := []struct {
		name string
		d    routing.Decision
	}{
		{"evaluate", p.Evaluate(routing.Facts{Time: at, Caller: "+3226470000", CallerKind: routing.KindFixed, Dialed: "+3222220000"})},
		{"next", p.Next("reception", routing.OutcomeBusy, routing.Facts{Time: at})},
		{"misuse", p.Resume("no-such-node", routing.Facts{Time: at})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := json.Marshal(tt.d)
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				Kind    routing.Kind   `json:"kind"`
				Node    *routing.Node  `json:"node"`
				Attempt int            `json:"attempt"`
				Timeout int            `json:"timeout"`
				Trace   []routing.Step `json:"trace"`
			}
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatal(err)
			}
			if got.Kind != tt.d.Kind || got.Node == nil || got.Node.ID != tt.d.NodeID() || got.Timeout != tt.d.Timeout {
				t.Errorf("decoded %+v from %s", got, data)
			}
			if len(got.Trace) == 0 || !reflect.DeepEqual(got.Trace, tt.d.Trace()) {
				t.Errorf("trace = %+v, want %+v", got.Trace, tt.d.Trace())
			}
		})
	}
	if tr := (routing.Decision{}).Trace(); tr != nil {
		t.Errorf("zero Decision has trace %+v", tr)
	}
	if data, err := json.Marshal(routing.Decision{}); err != nil || string(data) != `{"kind":"","node":null,"trace":null}` {
		t.Errorf("zero Decision encodes as %s, %v", data, err)
	}
}

// Traces rendered at the same time from decisions of the same plan, as
// concurrent calls do, do not disturb each other (run with -race).
func TestTraceConcurrent(t *testing.T) {
	p, err := routing.Compile(loadExample(t), testRefs)
	if err != nil {
		t.Fatal(err)
	}
	callers := []string{"+3226470000", "+32475123456", ""}
	want := make([]string, len(callers))
	for k, c := range callers {
		want[k] = routing.TraceText(p.Evaluate(routing.Facts{Time: time.Date(2026, 11, 26, 9, 12, 0, 0, time.UTC), Caller: c}).Trace())
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 200; n++ {
				k := (g + n) % len(callers)
				d := p.Evaluate(routing.Facts{Time: time.Date(2026, 11, 26, 9, 12, 0, 0, time.UTC), Caller: callers[k]})
				if got := routing.TraceText(d.Trace()); got != want[k] {
					t.Errorf("caller %q: trace\n%s\nwant\n%s", callers[k], got, want[k])
					return
				}
			}
		}()
	}
	wg.Wait()
}
