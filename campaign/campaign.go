package campaign

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // time zones must load on hosts without tzdata
	"unicode"
	"unicode/utf8"
)

// DefaultTimeZone is the time zone of a campaign that names none.
const DefaultTimeZone = "Europe/Brussels"

// Action is what happens when the called person presses a key (OUT-3).
type Action string

// The actions.
const (
	Connect   Action = "connect"     // put the person in an ACD group's queue
	Replay    Action = "replay"      // play the message again
	DoNotCall Action = "do_not_call" // never call this number again in the campaign; hang up
	HangUp    Action = "hang_up"     // end the call
)

// KeyAction is the action of one key.
type KeyAction struct {
	Action Action `json:"action"`
	Group  string `json:"group,omitempty"` // the ACD group, for Connect
}

// Retry is the retry policy for one outcome (OUT-4): a contact whose calls
// keep ending with that outcome is called at most Attempts times in all,
// Delay apart (from the end of one attempt to the start of the next).
type Retry struct {
	Attempts int           `json:"attempts"`
	Delay    time.Duration `json:"delay"`
}

// Bounds of the settings.
const (
	MaxAttempts    = 10
	MinRetryDelay  = time.Minute
	MaxRetryDelay  = 7 * 24 * time.Hour
	MinRingTimeout = 10 * time.Second
	MaxRingTimeout = 60 * time.Second
	MaxPace        = time.Hour
	maxName        = 100
	maxGroup       = 100
	maxWindows     = 20
)

// Campaign holds the settings of a campaign. The lists and the message are
// referred to by the store; only what the planning and the dialer need is
// here.
type Campaign struct {
	Name     string `json:"name"`
	CallerID string `json:"caller_id"` // E.164, the number the called person sees
	TimeZone string `json:"time_zone"` // IANA; DefaultTimeZone when empty
	// Keys maps a DTMF key ("0".."9", "*", "#") to its action.
	Keys        map[string]KeyAction `json:"keys,omitempty"`
	Busy        Retry                `json:"busy"`
	NoAnswer    Retry                `json:"no_answer"`
	RingTimeout time.Duration        `json:"ring_timeout"`
	Windows     []Window             `json:"windows"`
	StartDate   Date                 `json:"start_date,omitzero"` // first day of calls (optional)
	EndDate     Date                 `json:"end_date,omitzero"`   // last day of calls, inclusive (optional)
	Pace        time.Duration        `json:"pace"`                // one new call per Pace
}

// Date is a calendar day in the campaign's time zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// IsZero reports whether the date is unset.
func (d Date) IsZero() bool { return d == Date{} }

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// ParseDate reads a date written YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date: write it as 2026-12-31", s)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

// MarshalText writes the date as YYYY-MM-DD.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a date written YYYY-MM-DD (empty: no date).
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func (d Date) valid() bool {
	if d.Year < 2000 || d.Year > 9999 {
		return false
	}
	t := time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC)
	return t.Year() == d.Year && t.Month() == d.Month && t.Day() == d.Day
}

func (d Date) before(e Date) bool {
	return d.Year < e.Year || d.Year == e.Year && (d.Month < e.Month || d.Month == e.Month && d.Day < e.Day)
}

// IsE164 reports whether s is written as an E.164 number: "+", a country
// code not starting with 0, at most 15 digits in all. Whether the number
// exists is the business of package phone, at the edge.
func IsE164(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Plan is a compiled campaign, ready for Next.
type Plan struct {
	c     Campaign
	loc   *time.Location
	start time.Time // first instant of StartDate; zero when none
	end   time.Time // first instant after EndDate; zero when none
}

// Campaign returns the settings the plan was compiled from.
func (p *Plan) Campaign() Campaign { return p.c }

// Location returns the campaign's time zone.
func (p *Plan) Location() *time.Location { return p.loc }

// Compile validates c against the tenant's limits and returns its Plan, or
// a *ValidationError listing every problem.
func Compile(c Campaign, l Limits) (*Plan, error) {
	var ps []Problem
	bad := func(field, format string, args ...any) {
		ps = append(ps, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	name := strings.TrimSpace(c.Name)
	switch {
	case name == "":
		bad("name", "is required")
	case utf8.RuneCountInString(name) > maxName:
		bad("name", "is longer than %d characters", maxName)
	case strings.ContainsFunc(name, unicode.IsControl):
		bad("name", "holds control characters")
	}
	if !IsE164(c.CallerID) {
		bad("caller_id", "%q is not a number in E.164 form (+32...)", truncate(c.CallerID, 30))
	}
	zone := c.TimeZone
	if zone == "" {
		zone = DefaultTimeZone
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "Local" || len(zone) > 64 {
		bad("time_zone", "%q is not a known time zone (such as Europe/Brussels)", truncate(zone, 64))
		loc = nil
	}
	for _, k := range sortedKeys(c.Keys) {
		a := c.Keys[k]
		field := "keys." + k
		if len(k) != 1 || !strings.Contains("0123456789*#", k) {
			bad("keys", "%q is not a telephone key (0-9, * or #)", truncate(k, 10))
			continue
		}
		switch a.Action {
		case Connect:
			g := strings.TrimSpace(a.Group)
			switch {
			case g == "":
				bad(field+".group", "is required to connect to an operator")
			case utf8.RuneCountInString(g) > maxGroup:
				bad(field+".group", "is longer than %d characters", maxGroup)
			}
		case Replay, DoNotCall, HangUp:
			if a.Group != "" {
				bad(field+".group", "is only for the action %s", Connect)
			}
		default:
			bad(field+".action", "%q is not an action: use connect, replay, do_not_call or hang_up", truncate(string(a.Action), 30))
		}
	}
	checkRetry := func(field string, r Retry) {
		if r.Attempts < 1 || r.Attempts > MaxAttempts {
			bad(field+".attempts", "must be between 1 and %d, not %d", MaxAttempts, r.Attempts)
		}
		if r.Delay < MinRetryDelay || r.Delay > MaxRetryDelay {
			bad(field+".delay", "must be between 1 minute and 7 days, not %v", r.Delay)
		}
	}
	checkRetry("busy", c.Busy)
	checkRetry("no_answer", c.NoAnswer)
	if c.RingTimeout < MinRingTimeout || c.RingTimeout > MaxRingTimeout {
		bad("ring_timeout", "must be between 10 and 60 seconds, not %v", c.RingTimeout)
	}
	switch {
	case len(c.Windows) == 0:
		bad("windows", "at least one calling window is required")
	case len(c.Windows) > maxWindows:
		bad("windows", "there are %d windows; the limit is %d", len(c.Windows), maxWindows)
	default:
		for i, w := range c.Windows {
			if err := w.check(); err != nil {
				bad(fmt.Sprintf("windows[%d]", i), "%s", err.Error())
			}
		}
	}
	if !c.StartDate.IsZero() && !c.StartDate.valid() {
		bad("start_date", "%s is not a valid date", c.StartDate)
	}
	if !c.EndDate.IsZero() && !c.EndDate.valid() {
		bad("end_date", "%s is not a valid date", c.EndDate)
	}
	if !c.StartDate.IsZero() && !c.EndDate.IsZero() && c.EndDate.before(c.StartDate) {
		bad("end_date", "%s is before the start date %s", c.EndDate, c.StartDate)
	}
	minPace := l.MinPace
	if minPace <= 0 {
		minPace = DefaultLimits().MinPace
	}
	switch {
	case c.Pace < minPace:
		bad("pace", "one new call every %v at most; %v is faster", minPace, c.Pace)
	case c.Pace > MaxPace:
		bad("pace", "must be at most one hour, not %v", c.Pace)
	}
	if len(ps) > 0 {
		return nil, &ValidationError{Problems: ps}
	}
	c.Name = name
	c.TimeZone = zone
	p := &Plan{c: c, loc: loc}
	if d := c.StartDate; !d.IsZero() {
		p.start = instant(d.Year, d.Month, d.Day, 0, loc)
	}
	if d := c.EndDate; !d.IsZero() {
		p.end = instant(d.Year, d.Month, d.Day, 1440, loc)
	}
	return p, nil
}

func sortedKeys(m map[string]KeyAction) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// Key order on a telephone pad: 1..9, *, 0, #; anything else after.
	rank := func(k string) string {
		if i := strings.Index("123456789*0#", k); i >= 0 && len(k) == 1 {
			return string(rune('a' + i))
		}
		return "z" + k
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && rank(keys[j]) < rank(keys[j-1]); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
