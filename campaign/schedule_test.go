package campaign

import (
	"math/rand/v2"
	"testing"
	"time"
)

// at returns a Brussels wall-clock time.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func compile(t testing.TB, change func(*Campaign)) *Plan {
	t.Helper()
	c := base()
	if change != nil {
		change(&c)
	}
	p, err := Compile(c, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func attempt(start, end time.Time, o Outcome) Attempt {
	return Attempt{Start: start, End: end, Outcome: o}
}

func TestStatus(t *testing.T) {
	p := compile(t, nil) // busy: 3 attempts 10 min apart; no answer: 2 attempts 1 h apart
	t0 := at(t, "2026-12-02 10:00:00")
	t1 := t0.Add(30 * time.Second)
	tests := []struct {
		name string
		c    Contact
		want Status
	}{
		{"new", Contact{}, Status{State: Waiting}},
		{"do not call", Contact{DoNotCall: true}, Status{State: Done, Reason: "do not call"}},
		{"do not call wins over a pending retry", Contact{DoNotCall: true, Attempts: []Attempt{attempt(t0, t1, Busy)}}, Status{State: Done, Reason: "do not call"}},
		{"in progress", Contact{Attempts: []Attempt{{Start: t0}}}, Status{State: Calling}},
		{"answered", Contact{Attempts: []Attempt{attempt(t0, t1, Answered)}}, Status{State: Done, Reason: "answered"}},
		{"failed", Contact{Attempts: []Attempt{attempt(t0, t1, Failed)}}, Status{State: Done, Reason: "failed"}},
		{"busy once: retry 10 min after the end", Contact{Attempts: []Attempt{attempt(t0, t1, Busy)}}, Status{State: Waiting, Due: t1.Add(10 * time.Minute)}},
		{"busy without an end time: from the start", Contact{Attempts: []Attempt{attempt(t0, time.Time{}, Busy)}}, Status{State: Waiting, Due: t0.Add(10 * time.Minute)}},
		{"busy three times", Contact{Attempts: []Attempt{attempt(t0, t1, Busy), attempt(t0, t1, Busy), attempt(t0, t1, Busy)}}, Status{State: Done, Reason: "busy after 3 attempts"}},
		{"no answer once: retry 1 h later", Contact{Attempts: []Attempt{attempt(t0, t1, NoAnswer)}}, Status{State: Waiting, Due: t1.Add(time.Hour)}},
		{"no answer twice", Contact{Attempts: []Attempt{attempt(t0, t1, Busy), attempt(t0, t1, NoAnswer)}}, Status{State: Done, Reason: "no answer after 2 attempts"}},
		{"busy after a no answer: the busy policy", Contact{Attempts: []Attempt{attempt(t0, t1, NoAnswer), attempt(t0, t1, Busy)}}, Status{State: Waiting, Due: t1.Add(10 * time.Minute)}},
		{"answered after busy", Contact{Attempts: []Attempt{attempt(t0, t1, Busy), attempt(t0, t1, Answered)}}, Status{State: Done, Reason: "answered"}},
	}
	for _, tt := range tests {
		if got := p.Status(tt.c); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestNext(t *testing.T) {
	wed10 := at(t, "2026-12-02 10:00:00")
	done := Contact{Attempts: []Attempt{attempt(wed10.Add(-time.Hour), wed10.Add(-time.Hour), Answered)}}
	busyAt := func(end time.Time) Contact { return Contact{Attempts: []Attempt{attempt(end, end, Busy)}} }
	calling := Contact{Attempts: []Attempt{{Start: wed10.Add(-10 * time.Second)}}}
	tests := []struct {
		name     string
		change   func(*Campaign)
		contacts []Contact
		lastDial time.Time
		now      time.Time
		want     Decision
	}{
		{"first new contact, now", nil, []Contact{done, {}, {}}, time.Time{}, wed10, Decision{Contact: 1, At: wed10}},
		{"pace: 5 s after the last dial", nil, []Contact{{}, {}}, wed10.Add(-2 * time.Second), wed10, Decision{Contact: 0, At: wed10.Add(3 * time.Second)}},
		{"pace already elapsed", nil, []Contact{{}}, wed10.Add(-time.Minute), wed10, Decision{Contact: 0, At: wed10}},
		{"evening: tomorrow 09:00", nil, []Contact{{}}, time.Time{}, at(t, "2026-12-02 17:00:00"), Decision{Contact: 0, At: at(t, "2026-12-03 09:00:00")}},
		{"early morning: 09:00", nil, []Contact{{}}, time.Time{}, at(t, "2026-12-02 06:12:00"), Decision{Contact: 0, At: at(t, "2026-12-02 09:00:00")}},
		{"Friday evening: Monday 09:00", nil, []Contact{{}}, time.Time{}, at(t, "2026-12-04 18:00:00"), Decision{Contact: 0, At: at(t, "2026-12-07 09:00:00")}},
		{"pace pushes past the window: next day", nil, []Contact{{}}, at(t, "2026-12-02 16:59:58"), at(t, "2026-12-02 16:59:59"), Decision{Contact: 0, At: at(t, "2026-12-03 09:00:00")}},
		{"retry not due yet, nothing else: at its due time", nil, []Contact{done, busyAt(wed10.Add(-4 * time.Minute))}, time.Time{}, wed10, Decision{Contact: 1, At: wed10.Add(6 * time.Minute)}},
		{"retry due after closing: next morning", nil, []Contact{busyAt(at(t, "2026-12-02 16:55:00"))}, time.Time{}, at(t, "2026-12-02 16:56:00"), Decision{Contact: 0, At: at(t, "2026-12-03 09:00:00")}},
		{"a due retry goes before new contacts", nil, []Contact{{}, busyAt(wed10.Add(-20 * time.Minute)), busyAt(wed10.Add(-30 * time.Minute))}, time.Time{}, wed10, Decision{Contact: 2, At: wed10}},
		{"a retry not yet due waits behind new contacts", nil, []Contact{busyAt(wed10.Add(-5 * time.Minute)), {}}, time.Time{}, wed10, Decision{Contact: 1, At: wed10}},
		{"retries due overnight go first in the morning", nil, []Contact{{}, busyAt(at(t, "2026-12-02 16:59:00"))}, time.Time{}, at(t, "2026-12-02 20:00:00"), Decision{Contact: 1, At: at(t, "2026-12-03 09:00:00")}},
		{"only calls in progress: wait for results", nil, []Contact{done, calling}, time.Time{}, wed10, Decision{Contact: -1}},
		{"everything done", nil, []Contact{done, {DoNotCall: true}}, time.Time{}, wed10, Decision{Contact: -1, Finished: true}},
		{"no contacts", nil, nil, time.Time{}, wed10, Decision{Contact: -1, Finished: true}},
		{"before the start date", func(c *Campaign) { c.StartDate = Date{2026, 12, 10} }, []Contact{{}}, time.Time{}, wed10, Decision{Contact: 0, At: at(t, "2026-12-10 09:00:00")}},
		{"start date on a Saturday", func(c *Campaign) { c.StartDate = Date{2026, 12, 12} }, []Contact{{}}, time.Time{}, wed10, Decision{Contact: 0, At: at(t, "2026-12-14 09:00:00")}},
		{"after the end date", func(c *Campaign) { c.EndDate = Date{2026, 12, 1} }, []Contact{{}}, time.Time{}, wed10, Decision{Contact: -1, Ended: true}},
		{"on the end date", func(c *Campaign) { c.EndDate = Date{2026, 12, 2} }, []Contact{{}}, time.Time{}, wed10, Decision{Contact: 0, At: wed10}},
		{"end date evening: over", func(c *Campaign) { c.EndDate = Date{2026, 12, 2} }, []Contact{{}}, time.Time{}, at(t, "2026-12-02 17:00:00"), Decision{Contact: -1, Ended: true}},
		{"end date Saturday, asked Friday evening: over", func(c *Campaign) { c.EndDate = Date{2026, 12, 5} }, []Contact{{}}, time.Time{}, at(t, "2026-12-04 17:30:00"), Decision{Contact: -1, Ended: true}},
		{"lunch break", func(c *Campaign) {
			c.Windows = []Window{{MondayFriday, 540, 720}, {MondayFriday, 780, 1020}}
		}, []Contact{{}}, time.Time{}, at(t, "2026-12-02 12:00:00"), Decision{Contact: 0, At: at(t, "2026-12-02 13:00:00")}},
		{"overlapping windows", func(c *Campaign) {
			c.Windows = []Window{{EveryDay, 600, 720}, {MondayFriday, 540, 660}}
		}, []Contact{{}}, time.Time{}, at(t, "2026-12-02 08:00:00"), Decision{Contact: 0, At: at(t, "2026-12-02 09:00:00")}},
		{"other time zone", func(c *Campaign) { c.TimeZone = "America/New_York" }, []Contact{{}}, time.Time{}, wed10, Decision{Contact: 0, At: at(t, "2026-12-02 15:00:00")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := compile(t, tt.change)
			got := p.Next(tt.contacts, tt.lastDial, tt.now)
			if got.Contact != tt.want.Contact || !got.At.Equal(tt.want.At) || got.Finished != tt.want.Finished || got.Ended != tt.want.Ended {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if got.Waiting() != (tt.want.Contact < 0 && !tt.want.Finished && !tt.want.Ended) {
				t.Errorf("Waiting() = %v", got.Waiting())
			}
		})
	}
}

// Europe/Brussels in 2026: clocks go forward on Sunday 29 March at 02:00
// and back on Sunday 25 October at 03:00. Windows follow the wall clock;
// retry delays are real elapsed time.
func TestNextAcrossDST(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	daily := func(from, to int) func(*Campaign) {
		return func(c *Campaign) { c.Windows = []Window{{EveryDay, from, to}} }
	}
	tests := []struct {
		name     string
		change   func(*Campaign)
		contacts []Contact
		now      time.Time
		want     time.Time
	}{
		{"Saturday evening before spring: Sunday 09:00 summer time", daily(540, 1020), []Contact{{}}, utc("2026-03-28T17:00:00Z"), utc("2026-03-29T07:00:00Z")},
		{"Saturday 09:00 is still winter time", daily(540, 1020), []Contact{{}}, utc("2026-03-28T06:00:00Z"), utc("2026-03-28T08:00:00Z")},
		{"Sunday 17:00 closes at 15:00 UTC in summer", daily(540, 1020), []Contact{{}}, utc("2026-03-29T15:00:00Z"), utc("2026-03-30T07:00:00Z")},
		{"Sunday 16:59 CEST is open", daily(540, 1020), []Contact{{}}, utc("2026-03-29T14:59:00Z"), utc("2026-03-29T14:59:00Z")},
		{"window from 02:30 opens at the change (03:00 CEST)", daily(150, 240), []Contact{{}}, utc("2026-03-28T23:30:00Z"), utc("2026-03-29T01:00:00Z")},
		{"window 02:00-02:59 does not exist on the change day", daily(120, 179), []Contact{{}}, utc("2026-03-28T23:30:00Z"), utc("2026-03-30T00:00:00Z")},
		{"retry delay is elapsed time across the change", func(c *Campaign) {
			c.Windows = []Window{{EveryDay, 0, 1440}}
			c.Busy.Delay = time.Hour
		}, []Contact{{Attempts: []Attempt{attempt(utc("2026-03-29T00:30:00Z"), utc("2026-03-29T00:30:00Z"), Busy)}}}, utc("2026-03-29T00:31:00Z"), utc("2026-03-29T01:30:00Z")},
		{"autumn: Sunday 09:00 winter time", daily(540, 1020), []Contact{{}}, utc("2026-10-24T16:00:00Z"), utc("2026-10-25T08:00:00Z")},
		{"autumn: window from 02:30 opens at its first occurrence", daily(150, 240), []Contact{{}}, utc("2026-10-24T22:00:00Z"), utc("2026-10-25T00:30:00Z")},
		{"autumn: inside the repeated hour, window still open", daily(150, 240), []Contact{{}}, utc("2026-10-25T01:45:00Z"), utc("2026-10-25T01:45:00Z")},
		{"autumn: window ending 02:30 closes at its first occurrence", daily(60, 150), []Contact{{}}, utc("2026-10-25T00:45:00Z"), utc("2026-10-26T00:00:00Z")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := compile(t, tt.change)
			got := p.Next(tt.contacts, time.Time{}, tt.now)
			if got.Contact != 0 || !got.At.Equal(tt.want) {
				t.Errorf("got %d at %v, want 0 at %v", got.Contact, got.At.UTC(), tt.want)
			}
		})
	}
}

// nextNaive is the obvious way to decide: for every waiting contact, the
// first instant it could be dialled (a window search each), then the
// earliest, retries first on a tie. It is the reference for Next and the
// baseline of its benchmark.
func nextNaive(p *Plan, contacts []Contact, lastDial, now time.Time) Decision {
	t0 := now
	if !lastDial.IsZero() && lastDial.Add(p.c.Pace).After(t0) {
		t0 = lastDial.Add(p.c.Pace)
	}
	best, calling, waiting := -1, false, false
	var bestAt, bestDue time.Time
	for i, c := range contacts {
		s := p.Status(c)
		if s.State == Calling {
			calling = true
		}
		if s.State != Waiting {
			continue
		}
		waiting = true
		from := t0
		if s.Due.After(from) {
			from = s.Due
		}
		a, ok := p.Open(from)
		if !ok {
			continue
		}
		better := best < 0 || a.Before(bestAt)
		if !better && a.Equal(bestAt) {
			// Tie: a retry before a new contact, the one due longest first.
			switch {
			case !s.Due.IsZero() && bestDue.IsZero():
				better = true
			case !s.Due.IsZero() && s.Due.Before(bestDue):
				better = true
			}
		}
		if better {
			best, bestAt, bestDue = i, a, s.Due
		}
	}
	switch {
	case best >= 0:
		return Decision{Contact: best, At: bestAt}
	case waiting:
		return Decision{Contact: -1, Ended: true}
	}
	return Decision{Contact: -1, Finished: !calling}
}

// randomContacts builds n contacts with random histories around now.
func randomContacts(rnd *rand.Rand, n int, now time.Time) []Contact {
	outcomes := []Outcome{Busy, NoAnswer, Busy, NoAnswer, Answered, Failed, ""}
	cs := make([]Contact, n)
	for i := range cs {
		k := rnd.IntN(4)
		if rnd.IntN(3) == 0 {
			k = 0
		}
		for j := 0; j < k; j++ {
			start := now.Add(-time.Duration(rnd.IntN(48*60)) * time.Minute)
			o := outcomes[rnd.IntN(len(outcomes))]
			if j < k-1 && o == "" {
				o = Busy
			}
			end := start.Add(time.Duration(rnd.IntN(60)) * time.Second)
			if o == "" {
				end = time.Time{}
			}
			cs[i].Attempts = append(cs[i].Attempts, Attempt{Start: start, End: end, Outcome: o})
		}
		cs[i].DoNotCall = rnd.IntN(20) == 0
	}
	return cs
}

func TestNextMatchesNaive(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 11))
	windows := [][]Window{
		{{MondayFriday, 540, 1020}},
		{{EveryDay, 150, 240}, {1 << time.Saturday, 600, 720}},
		{{MondayFriday, 540, 720}, {MondayFriday, 780, 1020}, {1 << time.Sunday, 0, 1440}},
	}
	nows := []time.Time{
		at(t, "2026-12-02 10:00:00"), at(t, "2026-12-04 16:59:00"),
		at(t, "2026-03-28 23:00:00"), at(t, "2026-10-24 23:59:00"), at(t, "2026-03-29 02:10:00"),
	}
	for i := range 2000 {
		ws := windows[rnd.IntN(len(windows))]
		now := nows[rnd.IntN(len(nows))].Add(time.Duration(rnd.IntN(600)) * time.Minute)
		p := compile(t, func(c *Campaign) {
			c.Windows = ws
			if rnd.IntN(4) == 0 {
				c.EndDate = Date{now.Year(), now.Month(), now.Day() + rnd.IntN(3)}
			}
		})
		contacts := randomContacts(rnd, rnd.IntN(30), now)
		var last time.Time
		if rnd.IntN(2) == 0 {
			last = now.Add(-time.Duration(rnd.IntN(10)) * time.Second)
		}
		got, want := p.Next(contacts, last, now), nextNaive(p, contacts, last, now)
		if got.Contact != want.Contact || !got.At.Equal(want.At) || got.Finished != want.Finished || got.Ended != want.Ended {
			t.Fatalf("case %d (now %v, windows %v): Next %+v, naive %+v", i, now, ws, got, want)
		}
	}
}
