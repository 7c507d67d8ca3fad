package routing

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// byteSource hands out fuzz bytes; zeros once they run out.
type byteSource struct {
	b    []byte
	i    int
	sane bool
}

func (s *byteSource) next() int {
	if s.i >= len(s.b) {
		return 0
	}
	v := s.b[s.i]
	s.i++
	return int(v)
}

// pick chooses among options; in sane mode only among the first valid
// ones, so that a good share of generated trees compile.
func (s *byteSource) pick(options []string) string {
	if s.sane && len(options) > 1 {
		return options[s.next()%(len(options)-1)]
	}
	return options[s.next()%len(options)]
}

var fuzzTypes = []Type{
	TypeTime, TypeDate, TypeCaller, TypeDialed, TypeList, TypePercent, TypeMenu,
	TypeNumber, TypeAnnouncement, TypeGroup, TypeTree, TypeVoicemail, TypeHangup, TypeBusy, "", "bogus",
}

// fuzzTree builds a tree from bytes: node types, branch targets (forward,
// backward, self, missing), conditions and alternatives are all chosen by
// the input, so cycles, dangling references and garbage all occur.
func fuzzTree(data []byte) *Tree {
	s := &byteSource{b: data}
	n := s.next()%12 + 1
	// In sane mode targets only point forward, so most trees compile;
	// otherwise anything goes.
	s.sane = s.next()%2 == 0
	cur := 0
	ref := func() string {
		v := s.next()
		if s.sane {
			if cur >= n-1 {
				return "n" + strconv.Itoa(n-1)
			}
			return "n" + strconv.Itoa(cur+1+v%(n-1-cur))
		}
		if v%17 == 16 {
			return "missing"
		}
		if v%23 == 22 {
			return ""
		}
		return "n" + strconv.Itoa(v%n)
	}
	tr := &Tree{ID: "fuzz", Start: "n0", Calendars: []Calendar{{Name: "hol", Dates: []DateRange{{From: "12-25", Yearly: true}}}}}
	if s.next()%2 == 0 {
		tr.Fallback = ref()
	}
	if s.next()%9 == 0 {
		tr.TimeZone = s.pick([]string{"UTC", "America/New_York", "Nowhere/City", "Asia/Kathmandu"})
	}
	for i := 0; i < n; i++ {
		cur = i
		node := Node{ID: "n" + strconv.Itoa(i), Type: fuzzTypes[s.next()%len(fuzzTypes)]}
		if s.sane && (i == n-1 || !node.Type.IsDecision()) {
			node.Type = []Type{TypeHangup, TypeNumber, TypeGroup, TypeAnnouncement}[s.next()%4]
			if i == n-1 {
				node.Type = TypeHangup
			}
		}
		if s.next()%31 == 0 && !s.sane {
			node.ID = "n0" // duplicate
		}
		if node.Type.IsDecision() || (!s.sane && s.next()%13 == 0) {
			nb := s.next() % 4
			if s.sane && node.Type == TypePercent {
				nb++
			}
			for j := 0; j < nb; j++ {
				b := Branch{Next: ref()}
				cond := s.next() % 10
				if s.sane {
					cond = map[Type]int{TypeTime: 0, TypeDate: 1, TypeCaller: 2 + s.next()%3, TypeDialed: 5,
						TypeList: 6, TypePercent: 7, TypeMenu: 8}[node.Type]
				}
				switch cond {
				case 0:
					b.Windows = []Window{{Days: []string{s.pick([]string{"mon-fri", "sat", "sun-tue", "xyz"})},
						From: s.pick([]string{"08:00", "22:00", "00:00", "9:00"}), To: s.pick([]string{"18:00", "06:00", "24:00", "08:00"})}}
				case 1:
					b.Dates = []DateRange{{From: s.pick([]string{"2026-01-01", "12-24", "02-29", "bad"}), To: s.pick([]string{"", "2026-12-31", "01-02"}), Yearly: s.next()%2 == 0}}
					if s.next()%2 == 0 {
						b.Calendar = s.pick([]string{"hol", "nope"})
					}
				case 2:
					b.Prefixes = []string{s.pick([]string{"+32", "02", "0032", "x", "+", "0"})}
				case 3:
					b.Kinds = []string{s.pick([]string{KindFixed, KindMobile, KindInternational, "alien"})}
				case 4:
					b.Withheld = true
				case 5:
					b.Numbers = []string{s.pick([]string{"+3222221111", "+32", "02 22"})}
				case 6:
					b.List = s.pick([]string{"vip", "blocked"})
				case 7:
					b.Weight = s.next()%120 - 10
					if s.sane {
						b.Weight = 0
						if j == 0 {
							b.Weight = 100
						}
					}
				case 8:
					b.Digits = s.pick([]string{"1", "2", "#", "*", "1", "abc"})
				}
				node.Branches = append(node.Branches, b)
			}
			if s.sane {
				if node.Type != TypePercent {
					node.Default = ref()
				}
			} else if s.next()%5 != 0 {
				node.Default = ref()
			}
		}
		node.Prompt = s.pick([]string{"p", ""})
		node.Retries = s.next()%12 - 1
		node.Timeout = s.next()%70 - 1
		node.RingTimeout = s.next()%30 - 1
		if s.sane {
			node.Retries, node.Timeout, node.RingTimeout = node.Retries%9+1, node.Timeout%50+1, node.RingTimeout+2
		}
		if s.next()%3 == 0 {
			node.NoInput = ref()
		}
		if s.next()%3 == 0 {
			node.Invalid = ref()
		}
		node.Number = s.pick([]string{"+3222221111", "+32475123456", "0222"})
		node.Site = s.pick([]string{"ghent", "brussels", ""})
		node.Group = s.pick([]string{"sales", ""})
		node.Tree = s.pick([]string{"other", "fuzz"})
		if s.next()%3 == 0 && (!s.sane || node.Type == TypeAnnouncement) {
			node.Next = ref()
		}
		outcomes := []Outcome{OutcomeBusy, OutcomeNoAnswer, OutcomeUnreachable, OutcomeSiteDown,
			OutcomeGroupClosed, OutcomeGroupFull, OutcomeGroupTimeout, OutcomeOtherwise, "weird"}
		if s.sane {
			outcomes = append(Outcomes(node.Type), OutcomeOtherwise)
		}
		for k := s.next() % 4; k > 0 && (!s.sane || node.Type == TypeNumber || node.Type == TypeGroup); k-- {
			if node.On == nil {
				node.On = map[Outcome]string{}
			}
			node.On[outcomes[s.next()%len(outcomes)]] = ref()
		}
		tr.Nodes = append(tr.Nodes, node)
	}
	return tr
}

var fuzzRefs = RefSet{
	Prompts: map[string]bool{"p": true},
	Groups:  map[string]bool{"sales": true},
	Trees:   map[string]bool{"other": true},
	Lists:   map[string]bool{"vip": true},
}

func fuzzFacts(data []byte) Facts {
	s := &byteSource{b: data, i: len(data) / 2}
	return Facts{
		Time:           time.Date(2026, time.Month(s.next()%12+1), s.next()%28+1, s.next()%24, s.next()%60, 0, 0, time.UTC),
		Caller:         s.pick([]string{"", "+3222221111", "+31612345678"}),
		CallerWithheld: s.next()%4 == 0,
		CallerKind:     s.pick([]string{KindFixed, KindMobile, KindInternational, ""}),
		Dialed:         "+3222221111",
		InList:         func(list, number string) bool { return list == "vip" && number != "" },
		Random:         uint32(s.next() * 7919),
		SitesDown:      map[string]bool{"ghent": s.next()%2 == 0},
	}
}

// exercise drives a plan like a controller would: it answers menus,
// fails every number and group with some outcome, and follows
// announcements, checking that the call always ends within bounds.
func exercise(t *testing.T, p *Plan, f Facts, validated bool) {
	d := p.Evaluate(f)
	outcomes := []Outcome{OutcomeBusy, OutcomeNoAnswer, OutcomeUnreachable, OutcomeSiteDown, OutcomeGroupClosed, OutcomeGroupFull, OutcomeGroupTimeout, "weird"}
	// On a validated tree each step moves forward in an acyclic graph, and a
	// menu can repeat at most MaxMenuRetries times.
	bound := (len(p.nodes) + 1) * (MaxMenuRetries + 2)
	for round := 0; ; round++ {
		if d.Node == nil || len(d.Trace()) == 0 {
			t.Fatalf("decision without node or trace: %+v", d)
		}
		if round > bound {
			if validated {
				t.Fatalf("a validated plan did not end after %d rounds; last trace:\n%s", bound, TraceText(d.Trace()))
			}
			return
		}
		switch {
		case d.Kind == KindMenu:
			f.Digits = []string{"", "1", "2", "9"}[round%4]
			f.Attempt = d.Attempt
			d = p.Resume(d.Node.ID, f)
		case d.Node.Type == TypeNumber || d.Node.Type == TypeGroup:
			d = p.Next(d.Node.ID, outcomes[round%len(outcomes)], f)
		case d.Node.Type == TypeAnnouncement && d.Node.Next != "":
			d = p.Resume(d.Node.ID, f)
		default:
			return
		}
	}
}

func FuzzValidateEvaluate(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{3, 7, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{11, 0, 0, 6, 2, 0, 1, 7, 7, 7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13})
	f.Add([]byte("a tree of garbage, cycles and missing targets"))
	f.Add([]byte{5, 1, 1, 13, 3, 0, 2, 9, 4, 1, 1, 2, 7, 7, 10, 0, 0, 3, 8, 8, 1, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		tr := fuzzTree(data)
		facts := fuzzFacts(data)
		p, err := Compile(tr, fuzzRefs)
		if err == nil {
			exercise(t, p, facts, true)
			for _, n := range tr.Nodes {
				for _, o := range []Outcome{OutcomeBusy, OutcomeGroupFull} {
					d := p.Next(n.ID, o, facts)
					if d.Node == nil {
						t.Fatal("Next returned no node")
					}
				}
				if d := p.Resume(n.ID, facts); d.Node == nil {
					t.Fatal("Resume returned no node")
				}
			}
		} else if _, ok := err.(*ValidationError); !ok {
			t.Fatalf("Compile error %T, want *ValidationError", err)
		}
		// The evaluator stays defined even on plans Validate refuses.
		if up, _ := compileUnchecked(tr); up != nil && len(up.nodes) > 0 {
			exercise(t, up, facts, false)
		}
	})
}

func FuzzTreeJSON(f *testing.F) {
	for _, name := range []string{"office.tree.json", "invalid.tree.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"id":"t","start":"a","nodes":[{"id":"a","type":"hangup"}]}`))
	f.Add([]byte(`{"start":"a","nodes":[{"id":"a","type":"dialed","default":"a"}]}`))
	f.Add([]byte(`{"nodes":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var tr Tree
		if json.Unmarshal(data, &tr) != nil {
			return
		}
		err := Validate(&tr, nil)
		// What the portal stores is the re-encoded tree: it must validate
		// the same way.
		again, merr := json.Marshal(&tr)
		if merr != nil {
			t.Fatalf("marshal: %v", merr)
		}
		var tr2 Tree
		if uerr := json.Unmarshal(again, &tr2); uerr != nil {
			t.Fatalf("re-decode: %v", uerr)
		}
		if err2 := Validate(&tr2, nil); (err == nil) != (err2 == nil) {
			t.Fatalf("validation changed after a JSON round trip: %v / %v", err, err2)
		}
		if err == nil {
			p, cerr := Compile(&tr, nil)
			if cerr != nil {
				t.Fatalf("Validate accepted, Compile refused: %v", cerr)
			}
			exercise(t, p, Facts{Time: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), Caller: "+3222221111"}, true)
		}
	})
}
