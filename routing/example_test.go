package routing_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/vmsplatform/vms/routing"
)

// The JSON of the package documentation, routed for a call at 09:12 on a
// Thursday, then after the reception line was busy.
func ExampleCompile() {
	const doc = `{
	  "id": "acme-main",
	  "time_zone": "Europe/Brussels",
	  "start": "hours",
	  "fallback": "sorry",
	  "calendars": [{"name": "holidays", "dates": [{"from": "12-25", "to": "12-26", "yearly": true}]}],
	  "nodes": [
	    {"id": "hours", "label": "Office hours?", "type": "time",
	     "branches": [{"label": "office hours", "next": "reception",
	                   "windows": [{"days": ["mon-fri"], "from": "08:00", "to": "18:00"}]}],
	     "default": "closed"},
	    {"id": "reception", "type": "number", "number": "+3222220000", "ring_timeout": 20,
	     "on": {"busy": "mobile", "no_answer": "mobile"}},
	    {"id": "mobile", "type": "number", "number": "+32475123456", "on": {"otherwise": "sorry"}},
	    {"id": "closed", "type": "announcement", "prompt": "closed"},
	    {"id": "sorry", "type": "announcement", "prompt": "sorry-try-later"}
	  ]
	}`
	var tree routing.Tree
	if err := json.Unmarshal([]byte(doc), &tree); err != nil {
		panic(err)
	}
	refs := routing.RefSet{Prompts: map[string]bool{"closed": true, "sorry-try-later": true}}
	plan, err := routing.Compile(&tree, refs)
	if err != nil {
		panic(err)
	}
	facts := routing.Facts{Time: time.Date(2026, 11, 26, 8, 12, 0, 0, time.UTC), Caller: "+3226470000"}
	d := plan.Evaluate(facts)
	fmt.Print(routing.TraceText(d.Trace()))
	d = plan.Next(d.NodeID(), routing.OutcomeBusy, facts)
	fmt.Print(routing.TraceText(d.Trace()))
	// Output:
	// Office hours?: Thu 09:12 Europe/Brussels is inside office hours (Mon–Fri 08:00–18:00)
	// reception: ring +3222220000 for up to 20 s
	// reception: +3222220000 was busy; taking the busy alternative
	// mobile: ring +32475123456 for up to 20 s
}
