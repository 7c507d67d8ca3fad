package campaign

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Weekdays is a set of days of the week (bit i is time.Weekday(i)).
type Weekdays uint8

// Common sets of days.
const (
	EveryDay     Weekdays = 0x7f
	MondayFriday Weekdays = 1<<time.Monday | 1<<time.Tuesday | 1<<time.Wednesday | 1<<time.Thursday | 1<<time.Friday
)

// Has reports whether d is in the set.
func (w Weekdays) Has(d time.Weekday) bool { return w&(1<<d) != 0 }

var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// String writes the set as ranges in week order from Monday ("mon-fri",
// "mon,wed,sat-sun"); "daily" for every day.
func (w Weekdays) String() string {
	if w&EveryDay == EveryDay {
		return "daily"
	}
	var parts []string
	order := [7]time.Weekday{1, 2, 3, 4, 5, 6, 0}
	for i := 0; i < 7; {
		if !w.Has(order[i]) {
			i++
			continue
		}
		j := i
		for j+1 < 7 && w.Has(order[j+1]) {
			j++
		}
		if j == i {
			parts = append(parts, dayNames[order[i]])
		} else {
			parts = append(parts, dayNames[order[i]]+"-"+dayNames[order[j]])
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// Window is a calling window: hours [From, To) on the given days, in the
// campaign's time zone. From and To are minutes after midnight; To may be
// 1440 (midnight at the end of the day). A window does not cross midnight:
// write "22:00-24:00" and "00:00-06:00" on the following days instead.
type Window struct {
	Days Weekdays
	From int
	To   int
}

// String writes the window in the syntax ParseWindow reads.
func (w Window) String() string {
	return w.Days.String() + " " + clock(w.From) + "-" + clock(w.To)
}

func clock(m int) string {
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}

// MarshalText writes the window as text ("mon-fri 09:00-17:00").
func (w Window) MarshalText() ([]byte, error) { return []byte(w.String()), nil }

// UnmarshalText reads a window written as ParseWindow reads it.
func (w *Window) UnmarshalText(b []byte) error {
	v, err := ParseWindow(string(b))
	if err != nil {
		return err
	}
	*w = v
	return nil
}

// maxWindowText bounds the text of one window spec.
const maxWindowText = 200

// ParseWindow reads a window: days, a space, hours. Days are "daily", or
// a comma-separated list of days ("mon", "tue", ... "sun") and ranges
// ("mon-fri"; "fri-mon" wraps over the weekend). Hours are "HH:MM-HH:MM",
// 24-hour clock, the end after the start, "24:00" for midnight at the end.
// Case and extra spaces do not matter: "Mon-Fri 9:00 - 17:30".
func ParseWindow(s string) (Window, error) {
	if len(s) > maxWindowText {
		return Window{}, errors.New("the window is too long")
	}
	fields := strings.Fields(strings.ToLower(s))
	if len(fields) < 2 {
		return Window{}, fmt.Errorf("%q is not a window: write days and hours, such as \"mon-fri 09:00-17:00\"", s)
	}
	days, err := parseDays(fields[0])
	if err != nil {
		return Window{}, err
	}
	hours := strings.Join(fields[1:], "")
	from, to, ok := strings.Cut(hours, "-")
	if !ok {
		return Window{}, fmt.Errorf("%q are not hours: write them as 09:00-17:00", hours)
	}
	f, err := parseClock(from)
	if err != nil {
		return Window{}, err
	}
	t, err := parseClock(to)
	if err != nil {
		return Window{}, err
	}
	w := Window{Days: days, From: f, To: t}
	if err := w.check(); err != nil {
		return Window{}, err
	}
	return w, nil
}

// ParseWindows reads windows separated by ";" or new lines, such as
// "mon-fri 09:00-12:00; mon-fri 13:00-17:00; sat 10:00-12:00".
func ParseWindows(s string) ([]Window, error) {
	var out []Window
	for part := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ';' || r == '\n' }) {
		if strings.TrimSpace(part) == "" {
			continue
		}
		if len(out) >= maxWindows {
			return nil, fmt.Errorf("there are more than %d windows", maxWindows)
		}
		w, err := ParseWindow(part)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	if len(out) == 0 {
		return nil, errors.New("no calling window is given")
	}
	return out, nil
}

func dayOf(s string) (time.Weekday, bool) {
	for i, n := range dayNames {
		if s == n {
			return time.Weekday(i), true
		}
	}
	return 0, false
}

func parseDays(s string) (Weekdays, error) {
	if s == "daily" {
		return EveryDay, nil
	}
	var w Weekdays
	for item := range strings.SplitSeq(s, ",") {
		a, b, isRange := strings.Cut(item, "-")
		d1, ok1 := dayOf(a)
		d2, ok2 := d1, true
		if isRange {
			d2, ok2 = dayOf(b)
		}
		if !ok1 || !ok2 {
			return 0, fmt.Errorf("%q are not days: write mon, tue, wed, thu, fri, sat, sun, ranges such as mon-fri, or daily", s)
		}
		for d := d1; ; d = (d + 1) % 7 {
			w |= 1 << d
			if d == d2 {
				break
			}
		}
	}
	return w, nil
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(h) > 2 || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("%q is not a time of day: write it as 09:00 (24:00 for midnight at the end)", s)
	}
	return hh*60 + mm, nil
}

// check validates a window built in code (the parser calls it too).
func (w Window) check() error {
	switch {
	case w.Days&EveryDay == 0 || w.Days&^EveryDay != 0:
		return errors.New("a window needs at least one day")
	case w.From < 0 || w.From >= 1440 || w.To <= 0 || w.To > 1440:
		return errors.New("window hours must be between 00:00 and 24:00")
	case w.From >= w.To:
		return fmt.Errorf("the window %s-%s ends before it starts; a window cannot cross midnight (split it at 24:00)", clock(w.From), clock(w.To))
	}
	return nil
}

// instant returns the first instant of the local day y-mo-d whose wall
// clock reads minute (0..1440; 1440 is midnight at the end of the day).
// A wall time skipped by a clock change gives the moment of the change; a
// repeated one gives its first occurrence.
func instant(y int, mo time.Month, d, minute int, loc *time.Location) time.Time {
	if minute >= 1440 {
		n := time.Date(y, mo, d+1, 12, 0, 0, 0, loc)
		y, mo, d = n.Date()
		minute = 0
	}
	c := time.Date(y, mo, d, minute/60, minute%60, 0, 0, loc)
	cmp := compareWall(c, y, mo, d, minute)
	if cmp == 0 {
		// Repeated wall time: an earlier instant with a larger offset
		// (before clocks went back) may read the same.
		if start, _ := c.ZoneBounds(); !start.IsZero() {
			_, offC := c.Zone()
			_, offBefore := start.Add(-time.Second).Zone()
			if offBefore > offC {
				alt := c.Add(-time.Duration(offBefore-offC) * time.Second)
				if alt.Before(start) && compareWall(alt, y, mo, d, minute) == 0 {
					return alt
				}
			}
		}
		return c
	}
	// Skipped wall time: time.Date placed c on one side of the change.
	start, end := c.ZoneBounds()
	if cmp > 0 && !start.IsZero() {
		return start
	}
	if cmp < 0 && !end.IsZero() {
		return end
	}
	return c
}

// compareWall compares the wall clock of t (in its location) with the
// local day y-mo-d at minute: -1 before, 0 equal, 1 after.
func compareWall(t time.Time, y int, mo time.Month, d, minute int) int {
	ty, tm, td := t.Date()
	a := [4]int{ty, int(tm), td, t.Hour()*60 + t.Minute()}
	b := [4]int{y, int(mo), d, minute}
	for i := range a {
		switch {
		case a[i] < b[i]:
			return -1
		case a[i] > b[i]:
			return 1
		}
	}
	return 0
}
