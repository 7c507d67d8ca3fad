package routing_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/vmsplatform/vms/routing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func loadExample(t testing.TB) *routing.Tree {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "office.tree.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tr routing.Tree
	if err := json.Unmarshal(data, &tr); err != nil {
		t.Fatalf("decode example: %v", err)
	}
	return &tr
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./routing -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test ./routing -update and review the diff.\ngot:\n%s", name, got)
	}
}

// scenario is one simulator question (TRM-7) and its answer.
type scenario struct {
	Name    string         `json:"name"`
	Call    string         `json:"call"`
	Kind    routing.Kind   `json:"kind"`
	Node    string         `json:"node"`
	Attempt int            `json:"attempt,omitempty"`
	Trace   []routing.Step `json:"trace"`
}

// TestExampleGolden runs the realistic example tree through the calls a
// customer would try in the simulator and compares the answers, traces
// included, with testdata/office.golden.json.
func TestExampleGolden(t *testing.T) {
	p, err := routing.Compile(loadExample(t), testRefs)
	if err != nil {
		t.Fatal(err)
	}
	vip := func(list, number string) bool { return list == "vip" && number == "+32475999999" }
	base := routing.Facts{Caller: "+3226470000", CallerKind: "fixed", Dialed: "+3222220000", InList: vip}
	at := func(s string) routing.Facts { f := base; f.Time = local(s); return f }
	with := func(f routing.Facts, change func(*routing.Facts)) routing.Facts { change(&f); return f }

	type step struct {
		name string
		call string
		run  func() routing.Decision
	}
	steps := []step{
		{"office hours reach the menu", "Thu 2026-11-26 09:12",
			func() routing.Decision { return p.Evaluate(at("2026-11-26 09:12")) }},
		{"lunch break is closed", "Thu 2026-11-26 12:45",
			func() routing.Decision { return p.Evaluate(at("2026-11-26 12:45")) }},
		{"evening is closed", "Thu 2026-11-26 19:00",
			func() routing.Decision { return p.Evaluate(at("2026-11-26 19:00")) }},
		{"christmas is closed", "Fri 2026-12-25 10:00",
			func() routing.Decision { return p.Evaluate(at("2026-12-25 10:00")) }},
		{"vip goes to the director at any time", "Sun 2026-11-29 23:00 from a VIP",
			func() routing.Decision {
				return p.Evaluate(with(at("2026-11-29 23:00"), func(f *routing.Facts) { f.Caller = "+32475999999"; f.CallerKind = "mobile" }))
			}},
		{"menu 1 is sales", "pressed 1",
			func() routing.Decision {
				return p.Resume("menu", with(at("2026-11-26 09:12"), func(f *routing.Facts) { f.Digits = "1" }))
			}},
		{"menu 2 is reception", "pressed 2",
			func() routing.Decision {
				return p.Resume("menu", with(at("2026-11-26 09:12"), func(f *routing.Facts) { f.Digits = "2" }))
			}},
		{"menu timeout replays", "no digits, first try",
			func() routing.Decision { return p.Resume("menu", at("2026-11-26 09:12")) }},
		{"menu invalid twice more goes to reception", "pressed 7 on the last try",
			func() routing.Decision {
				return p.Resume("menu", with(at("2026-11-26 09:12"), func(f *routing.Facts) { f.Digits = "7"; f.Attempt = 2 }))
			}},
		{"reception busy rings the mobile", "reception busy",
			func() routing.Decision { return p.Next("reception", routing.OutcomeBusy, at("2026-11-26 09:12")) }},
		{"reception no answer rings the mobile", "reception no answer",
			func() routing.Decision { return p.Next("reception", routing.OutcomeNoAnswer, at("2026-11-26 09:12")) }},
		{"reception unreachable takes the fallback", "reception unreachable",
			func() routing.Decision {
				return p.Next("reception", routing.OutcomeUnreachable, at("2026-11-26 09:12"))
			}},
		{"mobile no answer plays sorry", "mobile no answer",
			func() routing.Decision { return p.Next("mobile", routing.OutcomeNoAnswer, at("2026-11-26 09:12")) }},
		{"sales closed goes to reception", "sales closed",
			func() routing.Decision { return p.Next("sales", routing.OutcomeGroupClosed, at("2026-11-26 09:12")) }},
		{"sales max wait goes to voicemail", "sales waited too long",
			func() routing.Decision { return p.Next("sales", routing.OutcomeGroupTimeout, at("2026-11-26 09:12")) }},
		{"brussels site down skips reception", "pressed 2 while brussels is down",
			func() routing.Decision {
				return p.Resume("menu", with(at("2026-11-26 09:12"), func(f *routing.Facts) {
					f.Digits = "2"
					f.SitesDown = map[string]bool{"brussels": true}
				}))
			}},
		{"closed message continues to voicemail", "after the closed message",
			func() routing.Decision { return p.Resume("closed", at("2026-11-26 19:00")) }},
		{"withheld caller is not a VIP", "withheld, Thu 2026-11-26 09:12",
			func() routing.Decision {
				return p.Evaluate(with(at("2026-11-26 09:12"), func(f *routing.Facts) { f.Caller = ""; f.CallerWithheld = true }))
			}},
	}
	var out []scenario
	for _, s := range steps {
		d := s.run()
		out = append(out, scenario{Name: s.name, Call: s.call, Kind: d.Kind, Node: d.NodeID(), Attempt: d.Attempt, Trace: d.Trace()})
	}
	got, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "office.golden.json", append(got, '\n'))
}

// The JSON model round-trips without loss, and encodes the same way twice.
func TestTreeJSONRoundTrip(t *testing.T) {
	tr := loadExample(t)
	first, err := json.MarshalIndent(tr, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var back routing.Tree
	if err := json.Unmarshal(first, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*tr, back) {
		t.Errorf("round trip changed the tree:\n%+v\n%+v", *tr, back)
	}
	second, _ := json.MarshalIndent(back, "", "  ")
	if !bytes.Equal(first, second) {
		t.Error("encoding is not stable")
	}
	golden(t, "office.canonical.json", append(first, '\n'))
}

// TestInvalidGolden keeps the wording of validation problems reviewable.
func TestInvalidGolden(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "invalid.tree.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tr routing.Tree
	if err := json.Unmarshal(data, &tr); err != nil {
		t.Fatal(err)
	}
	err = routing.Validate(&tr, testRefs)
	var verr *routing.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("Validate = %v, want a *ValidationError", err)
	}
	got, _ := json.MarshalIndent(verr, "", "  ")
	golden(t, "invalid.golden.json", append(got, '\n'))
}
