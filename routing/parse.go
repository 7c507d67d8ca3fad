package routing

import (
	"strconv"
	"strings"
	"time"
)

// IsE164 reports whether s looks like an E.164 number: '+', then 8 to 15
// digits, the first not 0. It is a syntactic check only; callers normalise
// numbers (NUM-4) before they reach a tree.
func IsE164(s string) bool {
	if len(s) < 9 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	return allDigits(s[1:])
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// normalizePrefix turns a prefix in E.164 ("+322"), international ("00322")
// or national ("02") form into E.164 form, using country code cc.
func normalizePrefix(s, cc string) (string, bool) {
	var digits string
	switch {
	case strings.HasPrefix(s, "+"):
		digits = s[1:]
	case strings.HasPrefix(s, "00"):
		digits = s[2:]
	case strings.HasPrefix(s, "0"):
		digits = cc + s[1:]
	default:
		return "", false
	}
	if !allDigits(digits) || digits[0] == '0' || len(digits) > 15 {
		return "", false
	}
	return "+" + digits, true
}

func validDigits(s string) bool {
	if s == "" || len(s) > maxDigitsLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] == '*' || s[i] == '#') {
			return false
		}
	}
	return true
}

var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
var dayTitles = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

func parseDay(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, n := range dayNames {
		if s == n {
			return time.Weekday(i), true
		}
	}
	return 0, false
}

// parseDays parses "mon" or a range "mon-fri" (which may wrap: "sat-mon")
// into a bit mask indexed by time.Weekday.
func parseDays(s string) (uint8, bool) {
	from, to, isRange := strings.Cut(s, "-")
	a, ok := parseDay(from)
	if !ok {
		return 0, false
	}
	if !isRange {
		return 1 << a, true
	}
	b, ok := parseDay(to)
	if !ok {
		return 0, false
	}
	var mask uint8
	for d := a; ; d = (d + 1) % 7 {
		mask |= 1 << d
		if d == b {
			break
		}
	}
	return mask, true
}

// daysText renders a day mask as "Mon–Fri" or "Mon, Wed, Sat–Sun", Monday
// first.
func daysText(mask uint8) string {
	if mask == 0x7f {
		return "every day"
	}
	order := [7]int{1, 2, 3, 4, 5, 6, 0}
	var parts []string
	for i := 0; i < 7; {
		if mask&(1<<order[i]) == 0 {
			i++
			continue
		}
		j := i
		for j+1 < 7 && mask&(1<<order[j+1]) != 0 {
			j++
		}
		switch {
		case j == i:
			parts = append(parts, dayTitles[order[i]])
		case j == i+1:
			parts = append(parts, dayTitles[order[i]], dayTitles[order[j]])
		default:
			parts = append(parts, dayTitles[order[i]]+"–"+dayTitles[order[j]])
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// parseClock parses "HH:MM" into seconds after midnight; "24:00" only when
// allow24 is set.
func parseClock(s string, allow24 bool) (int, bool) {
	if len(s) != 5 || s[2] != ':' || !allDigits(s[:2]) || !allDigits(s[3:]) {
		return 0, false
	}
	h, _ := strconv.Atoi(s[:2])
	m, _ := strconv.Atoi(s[3:])
	if allow24 && h == 24 && m == 0 {
		return 24 * 3600, true
	}
	if h > 23 || m > 59 {
		return 0, false
	}
	return (h*60 + m) * 60, true
}

// crange is a compiled DateRange: dates as yyyymmdd, or mmdd when yearly.
type crange struct {
	from, to int
	yearly   bool
}

func (r crange) contains(ymd int) bool {
	if !r.yearly {
		return r.from <= ymd && ymd <= r.to
	}
	md := ymd % 10000
	if r.from <= r.to {
		return r.from <= md && md <= r.to
	}
	return md >= r.from || md <= r.to // wraps over the new year
}

func parseDate(s string, yearly bool) (int, bool) {
	if yearly {
		// The year of a yearly date is ignored; 2000 is a leap year, so
		// that 02-29 is a valid yearly date.
		switch len(s) {
		case 5:
			s = "2000-" + s
		case 10:
			s = "2000" + s[4:]
		}
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return 0, false
	}
	if yearly {
		return int(t.Month())*100 + t.Day(), true
	}
	return t.Year()*10000 + int(t.Month())*100 + t.Day(), true
}

func parseRange(d DateRange) (crange, string) {
	form := "YYYY-MM-DD"
	if d.Yearly {
		form = "MM-DD or YYYY-MM-DD"
	}
	from, ok := parseDate(d.From, d.Yearly)
	if !ok {
		return crange{}, "from: " + strconv.Quote(d.From) + " is not a date " + form
	}
	to := from
	if d.To != "" {
		if to, ok = parseDate(d.To, d.Yearly); !ok {
			return crange{}, "to: " + strconv.Quote(d.To) + " is not a date " + form
		}
	}
	if !d.Yearly && to < from {
		return crange{}, "to is before from"
	}
	return crange{from: from, to: to, yearly: d.Yearly}, ""
}

func rangeText(d DateRange) string {
	s := d.From
	if d.To != "" && d.To != d.From {
		s += " to " + d.To
	}
	if d.Yearly {
		s += " every year"
	}
	return s
}

// cloneTree returns a deep copy of t, so a Plan never shares memory with
// the caller's tree.
func cloneTree(t *Tree) Tree {
	c := *t
	c.Nodes = make([]Node, len(t.Nodes))
	for i, n := range t.Nodes {
		if n.Branches != nil {
			bs := make([]Branch, len(n.Branches))
			for j, b := range n.Branches {
				b.Windows = cloneWindows(b.Windows)
				b.Dates = append([]DateRange(nil), b.Dates...)
				b.Prefixes = append([]string(nil), b.Prefixes...)
				b.Kinds = append([]string(nil), b.Kinds...)
				b.Numbers = append([]string(nil), b.Numbers...)
				bs[j] = b
			}
			n.Branches = bs
		}
		if n.On != nil {
			on := make(map[Outcome]string, len(n.On))
			for k, v := range n.On {
				on[k] = v
			}
			n.On = on
		}
		c.Nodes[i] = n
	}
	c.Calendars = make([]Calendar, len(t.Calendars))
	for i, cal := range t.Calendars {
		cal.Dates = append([]DateRange(nil), cal.Dates...)
		c.Calendars[i] = cal
	}
	return c
}

func cloneWindows(ws []Window) []Window {
	if ws == nil {
		return nil
	}
	out := make([]Window, len(ws))
	for i, w := range ws {
		w.Days = append([]string(nil), w.Days...)
		out[i] = w
	}
	return out
}
