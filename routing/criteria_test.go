package routing_test

import (
	"strings"
	"testing"
	"time"

	"github.com/vmsplatform/vms/routing"
)

var testRefs = routing.RefSet{
	Prompts: map[string]bool{"welcome-menu": true, "closed": true, "leave-message": true, "sorry-try-later": true, "menu": true, "hello": true},
	Groups:  map[string]bool{"sales": true},
	Trees:   map[string]bool{"other": true},
	Lists:   map[string]bool{"vip": true, "blocked": true},
}

// ends are terminal destinations every test tree can branch to.
var ends = []routing.Node{
	{ID: "a", Type: routing.TypeHangup},
	{ID: "b", Type: routing.TypeHangup},
	{ID: "c", Type: routing.TypeHangup},
	{ID: "other", Type: routing.TypeBusy},
}

// tree builds a tree starting at the first node, with the shared ends.
func tree(nodes ...routing.Node) *routing.Tree {
	all := append(append([]routing.Node(nil), nodes...), ends...)
	return &routing.Tree{ID: "t", Start: nodes[0].ID, Nodes: all}
}

func mustCompile(t testing.TB, tr *routing.Tree) *routing.Plan {
	t.Helper()
	p, err := routing.Compile(tr, testRefs)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return p
}

var brussels = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		panic(err)
	}
	return loc
}()

func local(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, brussels)
	if err != nil {
		panic(err)
	}
	return t
}

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func checkEnd(t *testing.T, d routing.Decision, want string) {
	t.Helper()
	if d.NodeID() != want {
		t.Fatalf("went to %q, want %q; trace:\n%s", d.NodeID(), want, routing.TraceText(d.Trace()))
	}
}

// TRM-3: time of day and day of week, in the tree's time zone.
func TestTimeCriterion(t *testing.T) {
	office := routing.Node{ID: "hours", Type: routing.TypeTime, Default: "other", Branches: []routing.Branch{
		{Label: "office hours", Next: "a", Windows: []routing.Window{{Days: []string{"mon-fri"}, From: "08:00", To: "18:00"}}},
		{Label: "night shift", Next: "b", Windows: []routing.Window{{Days: []string{"fri"}, From: "22:00", To: "06:00"}}},
		{Label: "dst", Next: "c", Windows: []routing.Window{
			{Days: []string{"sun"}, From: "02:00", To: "04:00"},
			{Days: []string{"sat"}, From: "20:00", To: "24:00"},
		}},
	}}
	p := mustCompile(t, tree(office))
	tests := []struct {
		name string
		at   time.Time
		want string
	}{
		{"weekday inside", local("2026-11-26 09:12"), "a"},
		{"from is inclusive", local("2026-11-26 08:00"), "a"},
		{"to is exclusive", local("2026-11-26 18:00"), "other"},
		{"one minute before from", local("2026-11-26 07:59"), "other"},
		{"saturday daytime", local("2026-11-28 09:00"), "other"},
		{"utc instant seen in brussels", utc("2026-11-26 07:30"), "a"}, // 08:30 CET
		{"crossing midnight, before midnight", local("2026-11-27 23:00"), "b"},
		{"crossing midnight, after midnight on the next day", local("2026-11-28 05:59"), "b"},
		{"crossing midnight ends at to", local("2026-11-28 06:00"), "other"},
		{"crossing midnight, not the day before", local("2026-11-27 05:00"), "other"},
		{"until 24:00", local("2026-11-28 23:59"), "c"},
		// 2026-03-29: Brussels jumps from 02:00 CET to 03:00 CEST.
		{"spring forward, 00:30 UTC is 01:30 CET", utc("2026-03-29 00:30"), "other"},
		{"spring forward, 01:30 UTC is 03:30 CEST", utc("2026-03-29 01:30"), "c"},
		// 2026-10-25: 02:00–03:00 local happens twice.
		{"fall back, first 02:30 (CEST)", utc("2026-10-25 00:30"), "c"},
		{"fall back, second 02:30 (CET)", utc("2026-10-25 01:30"), "c"},
		{"fall back, 04:00 CET", utc("2026-10-25 03:00"), "other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkEnd(t, p.Evaluate(routing.Facts{Time: tt.at}), tt.want)
		})
	}
}

func TestTimeZoneOfTree(t *testing.T) {
	n := routing.Node{ID: "hours", Type: routing.TypeTime, Default: "other", Branches: []routing.Branch{
		{Next: "a", Windows: []routing.Window{{Days: []string{"mon-fri"}, From: "09:00", To: "17:00"}}},
	}}
	tr := tree(n)
	tr.TimeZone = "America/New_York"
	p := mustCompile(t, tr)
	// 15:00 UTC is 10:00 in New York (EST) but 16:00 in Brussels.
	d := p.Evaluate(routing.Facts{Time: utc("2026-11-26 15:00")})
	checkEnd(t, d, "a")
	if got := d.Trace()[0].Why; !strings.Contains(got, "Thu 10:00 America/New_York") {
		t.Errorf("why = %q, want the local time and zone", got)
	}
}

// TRM-3: date ranges and holiday calendars.
func TestDateCriterion(t *testing.T) {
	n := routing.Node{ID: "dates", Type: routing.TypeDate, Default: "other", Branches: []routing.Branch{
		{Label: "stocktaking", Next: "a", Dates: []routing.DateRange{{From: "2026-07-01", To: "2026-07-03"}}},
		{Label: "holidays", Next: "b", Calendar: "hol"},
		{Label: "year end", Next: "c", Dates: []routing.DateRange{{From: "12-30", To: "01-02", Yearly: true}}},
	}}
	tr := tree(n)
	tr.Calendars = []routing.Calendar{{Name: "hol", Dates: []routing.DateRange{
		{From: "12-25", Yearly: true},
		{From: "2028-02-29", Yearly: true},
		{From: "2026-04-06"},
	}}}
	p := mustCompile(t, tr)
	tests := []struct {
		name string
		at   time.Time
		want string
	}{
		{"first day of range", local("2026-07-01 00:00"), "a"},
		{"last day of range, late", local("2026-07-03 23:59"), "a"},
		{"day after range", local("2026-07-04 00:00"), "other"},
		{"same range, other year", local("2027-07-02 12:00"), "other"},
		{"yearly holiday", local("2031-12-25 10:00"), "b"},
		{"local midnight, not UTC", utc("2026-12-24 23:30"), "b"},
		{"day before holiday in UTC terms", utc("2026-12-24 22:30"), "other"},
		{"yearly 02-29 in a leap year", local("2032-02-29 10:00"), "b"},
		{"one-off date", local("2026-04-06 10:00"), "b"},
		{"one-off date does not recur", local("2027-04-06 10:00"), "other"},
		{"yearly range wrapping the new year, december", local("2026-12-31 10:00"), "c"},
		{"yearly range wrapping the new year, january", local("2027-01-02 10:00"), "c"},
		{"after the wrapped range", local("2027-01-03 10:00"), "other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkEnd(t, p.Evaluate(routing.Facts{Time: tt.at}), tt.want)
		})
	}
}

// TRM-3: caller origin.
func TestCallerCriterion(t *testing.T) {
	n := routing.Node{ID: "who", Type: routing.TypeCaller, Default: "other", Branches: []routing.Branch{
		{Label: "anonymous", Next: "c", Withheld: true},
		{Label: "Brussels", Next: "a", Prefixes: []string{"02"}},
		{Label: "Dutch mobile", Next: "b", Prefixes: []string{"00316"}, Kinds: []string{"mobile"}},
		{Label: "abroad", Next: "b", Kinds: []string{"international"}},
	}}
	p := mustCompile(t, tree(n))
	tests := []struct {
		name  string
		facts routing.Facts
		want  string
	}{
		{"national prefix matches E.164 caller", routing.Facts{Caller: "+3222221111", CallerKind: "fixed"}, "a"},
		{"other area", routing.Facts{Caller: "+3293334444", CallerKind: "fixed"}, "other"},
		{"prefix and kind both match", routing.Facts{Caller: "+31612345678", CallerKind: "mobile"}, "b"},
		{"prefix matches, kind does not", routing.Facts{Caller: "+31612345678", CallerKind: "fixed"}, "other"},
		{"international caller", routing.Facts{Caller: "+33142000000", CallerKind: "international"}, "b"},
		{"withheld flag", routing.Facts{Caller: "+3222221111", CallerWithheld: true}, "c"},
		{"empty caller is withheld", routing.Facts{}, "c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkEnd(t, p.Evaluate(tt.facts), tt.want)
		})
	}

	t.Run("withheld caller matches no prefix or kind", func(t *testing.T) {
		m := n
		m.Branches = n.Branches[1:]
		p := mustCompile(t, tree(m))
		checkEnd(t, p.Evaluate(routing.Facts{CallerWithheld: true, CallerKind: "international"}), "other")
	})
}

func TestDialedCriterion(t *testing.T) {
	n := routing.Node{ID: "dialed", Type: routing.TypeDialed, Default: "other", Branches: []routing.Branch{
		{Next: "a", Numbers: []string{"+3222221111"}},
		{Next: "b", Prefixes: []string{"+32222"}},
	}}
	p := mustCompile(t, tree(n))
	for _, tt := range []struct{ dialed, want string }{
		{"+3222221111", "a"},
		{"+3222229999", "b"},
		{"+3233333333", "other"},
		{"", "other"},
	} {
		t.Run(tt.dialed, func(t *testing.T) {
			checkEnd(t, p.Evaluate(routing.Facts{Dialed: tt.dialed}), tt.want)
		})
	}
}

// TRM-3: caller type, from customer lists.
func TestListCriterion(t *testing.T) {
	n := routing.Node{ID: "lists", Type: routing.TypeList, Default: "other", Branches: []routing.Branch{
		{Next: "a", List: "blocked"},
		{Next: "b", List: "vip"},
	}}
	p := mustCompile(t, tree(n))
	members := map[string]map[string]bool{
		"blocked": {"+3211111111": true},
		"vip":     {"+3222222222": true, "+3211111111": true},
	}
	inList := func(list, number string) bool { return members[list][number] }
	tests := []struct {
		name  string
		facts routing.Facts
		want  string
	}{
		{"first matching list wins", routing.Facts{Caller: "+3211111111", InList: inList}, "a"},
		{"vip", routing.Facts{Caller: "+3222222222", InList: inList}, "b"},
		{"in no list", routing.Facts{Caller: "+3233333333", InList: inList}, "other"},
		{"no list resolver", routing.Facts{Caller: "+3222222222"}, "other"},
		{"withheld caller is never looked up", routing.Facts{Caller: "+3222222222", CallerWithheld: true, InList: inList}, "other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkEnd(t, p.Evaluate(tt.facts), tt.want)
		})
	}
}

// TRM-3: percentage distribution, deterministic from Facts.Random.
func TestPercentDistribution(t *testing.T) {
	n := routing.Node{ID: "split", Type: routing.TypePercent, Branches: []routing.Branch{
		{Next: "a", Weight: 20},
		{Next: "b", Weight: 0},
		{Next: "c", Weight: 30},
		{Next: "other", Weight: 50},
	}}
	p := mustCompile(t, tree(n))
	for _, base := range []uint32{0, 100, 4_294_967_100} {
		counts := map[string]int{}
		for r := uint32(0); r < 100; r++ {
			counts[p.Evaluate(routing.Facts{Random: base + r}).NodeID()]++
		}
		want := map[string]int{"a": 20, "c": 30, "other": 50}
		for id, w := range want {
			if counts[id] != w {
				t.Errorf("base %d: %s got %d of 100 buckets, want %d (all: %v)", base, id, counts[id], w, counts)
			}
		}
		if counts["b"] != 0 {
			t.Errorf("a 0%% branch got %d calls", counts["b"])
		}
	}
	if a, b := p.Evaluate(routing.Facts{Random: 1234}), p.Evaluate(routing.Facts{Random: 1234}); a.NodeID() != b.NodeID() {
		t.Errorf("same Random gave %s then %s", a.NodeID(), b.NodeID())
	}
}

// TRM-3: the caller's DTMF choice, with retries.
func TestMenu(t *testing.T) {
	menu := routing.Node{ID: "menu", Type: routing.TypeMenu, Prompt: "menu", Retries: 2, Default: "other",
		NoInput: "c",
		Branches: []routing.Branch{
			{Label: "sales", Digits: "1", Next: "a"},
			{Label: "support", Digits: "2#", Next: "b"},
		}}
	p := mustCompile(t, tree(menu))
	d := p.Evaluate(routing.Facts{})
	if d.Kind != routing.KindMenu || d.NodeID() != "menu" || d.Node.Prompt != "menu" || d.Attempt != 0 || d.Timeout != routing.DefaultMenuTimeout {
		t.Fatalf("Evaluate = %+v, want the menu, attempt 0", d)
	}

	tests := []struct {
		name        string
		digits      string
		attempt     int
		wantKind    routing.Kind
		wantNode    string
		wantAttempt int
	}{
		{"digit 1", "1", 0, routing.KindDestination, "a", 0},
		{"two keys", "2#", 0, routing.KindDestination, "b", 0},
		{"valid on last retry", "1", 2, routing.KindDestination, "a", 0},
		{"timeout replays", "", 0, routing.KindMenu, "menu", 1},
		{"second timeout replays", "", 1, routing.KindMenu, "menu", 2},
		{"timeout after retries takes no_input", "", 2, routing.KindDestination, "c", 0},
		{"invalid replays", "9", 0, routing.KindMenu, "menu", 1},
		{"invalid after retries, no invalid branch: default", "9", 2, routing.KindDestination, "other", 0},
		{"prefix of a choice is invalid", "2", 2, routing.KindDestination, "other", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := p.Resume("menu", routing.Facts{Digits: tt.digits, Attempt: tt.attempt})
			if d.Kind != tt.wantKind || d.NodeID() != tt.wantNode || d.Attempt != tt.wantAttempt {
				t.Fatalf("got %s %q attempt %d, want %s %q attempt %d; trace:\n%s",
					d.Kind, d.NodeID(), d.Attempt, tt.wantKind, tt.wantNode, tt.wantAttempt, routing.TraceText(d.Trace()))
			}
		})
	}

	t.Run("no retries, invalid branch", func(t *testing.T) {
		m := menu
		m.Retries, m.Invalid = 0, "b"
		p := mustCompile(t, tree(m))
		checkEnd(t, p.Resume("menu", routing.Facts{Digits: "7"}), "b")
		checkEnd(t, p.Resume("menu", routing.Facts{}), "c")
	})
}

func TestAnnouncementContinues(t *testing.T) {
	tr := tree(
		routing.Node{ID: "hello", Type: routing.TypeAnnouncement, Prompt: "hello", Next: "a"},
		routing.Node{ID: "bye", Type: routing.TypeAnnouncement, Prompt: "hello"},
	)
	p := mustCompile(t, tr)
	d := p.Evaluate(routing.Facts{})
	checkEnd(t, d, "hello")
	checkEnd(t, p.Resume("hello", routing.Facts{}), "a")
	if d := p.Resume("bye", routing.Facts{}); d.Node.Type != routing.TypeHangup || d.NodeID() != "" {
		t.Errorf("resume after a final announcement = %+v, want the built-in hang-up", d)
	}
}
