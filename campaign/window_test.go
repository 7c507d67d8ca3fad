package campaign

import (
	"testing"
	"time"
)

func TestParseWindow(t *testing.T) {
	tests := []struct {
		in   string
		want Window
		text string // String() of the result
	}{
		{"mon-fri 09:00-17:00", Window{MondayFriday, 540, 1020}, "mon-fri 09:00-17:00"},
		{"Mon-Fri 9:00 - 17:30", Window{MondayFriday, 540, 1050}, "mon-fri 09:00-17:30"},
		{"daily 00:00-24:00", Window{EveryDay, 0, 1440}, "daily 00:00-24:00"},
		{"mon-sun 08:00-20:00", Window{EveryDay, 480, 1200}, "daily 08:00-20:00"},
		{"sat 10:00-12:00", Window{1 << time.Saturday, 600, 720}, "sat 10:00-12:00"},
		{"mon,wed,fri 10:00-12:00", Window{1<<time.Monday | 1<<time.Wednesday | 1<<time.Friday, 600, 720}, "mon,wed,fri 10:00-12:00"},
		{"fri-mon 10:00-12:00", Window{1<<time.Friday | 1<<time.Saturday | 1<<time.Sunday | 1<<time.Monday, 600, 720}, "mon,fri-sun 10:00-12:00"},
		{"sun 22:00-24:00", Window{1 << time.Sunday, 1320, 1440}, "sun 22:00-24:00"},
		{"tue-tue 01:05-01:06", Window{1 << time.Tuesday, 65, 66}, "tue 01:05-01:06"},
	}
	for _, tt := range tests {
		w, err := ParseWindow(tt.in)
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if w != tt.want || w.String() != tt.text {
			t.Errorf("%q = %+v (%s), want %+v (%s)", tt.in, w, w, tt.want, tt.text)
		}
		if again, err := ParseWindow(w.String()); err != nil || again != w {
			t.Errorf("%q does not read back: %+v %v", w.String(), again, err)
		}
	}
	bad := map[string]string{
		"":                          `"" is not a window: write days and hours, such as "mon-fri 09:00-17:00"`,
		"09:00-17:00":               `"09:00-17:00" is not a window: write days and hours, such as "mon-fri 09:00-17:00"`,
		"weekdays 09:00-17:00":      `"weekdays" are not days: write mon, tue, wed, thu, fri, sat, sun, ranges such as mon-fri, or daily`,
		"mon-fri 9-17":              `"9" is not a time of day: write it as 09:00 (24:00 for midnight at the end)`,
		"mon-fri 09:00":             `"09:00" are not hours: write them as 09:00-17:00`,
		"mon-fri 09:60-17:00":       `"09:60" is not a time of day: write it as 09:00 (24:00 for midnight at the end)`,
		"mon-fri 09:00-24:30":       `"24:30" is not a time of day: write it as 09:00 (24:00 for midnight at the end)`,
		"mon-fri 22:00-06:00":       "the window 22:00-06:00 ends before it starts; a window cannot cross midnight (split it at 24:00)",
		"mon-fri 09:00-09:00":       "the window 09:00-09:00 ends before it starts; a window cannot cross midnight (split it at 24:00)",
		"mon-fri 09:00-+17:00":      `"+17:00" is not a time of day: write it as 09:00 (24:00 for midnight at the end)`,
		"mon,,fri 09:00-17:00":      `"mon,,fri" are not days: write mon, tue, wed, thu, fri, sat, sun, ranges such as mon-fri, or daily`,
		"mon-fri 09:00-17:00-18:00": `"17:00-18:00" is not a time of day: write it as 09:00 (24:00 for midnight at the end)`,
	}
	for in, want := range bad {
		if w, err := ParseWindow(in); err == nil || err.Error() != want {
			t.Errorf("%q: %+v, %v\nwant error %q", in, w, err, want)
		}
	}
}

func TestParseWindows(t *testing.T) {
	ws, err := ParseWindows("mon-fri 09:00-12:00; mon-fri 13:00-17:00\nsat 10:00-12:00;")
	if err != nil || len(ws) != 3 || ws[2] != (Window{1 << time.Saturday, 600, 720}) {
		t.Fatalf("%+v %v", ws, err)
	}
	if _, err := ParseWindows(" ; \n"); err == nil {
		t.Error("no windows accepted")
	}
	if _, err := ParseWindows("mon 09:00-10:00; nope"); err == nil {
		t.Error("a bad window accepted")
	}
}

func brussels(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// Europe/Brussels in 2026: clocks go forward on Sunday 29 March at 02:00
// (CET, UTC+1 → CEST, UTC+2) and back on Sunday 25 October at 03:00.
func TestInstantAcrossDST(t *testing.T) {
	loc := brussels(t)
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name   string
		y      int
		mo     time.Month
		d, min int
		want   time.Time
	}{
		{"winter 09:00", 2026, 3, 28, 540, utc("2026-03-28T08:00:00Z")},
		{"summer 09:00 on the change day", 2026, 3, 29, 540, utc("2026-03-29T07:00:00Z")},
		{"02:30 does not exist: the change at 03:00 CEST", 2026, 3, 29, 150, utc("2026-03-29T01:00:00Z")},
		{"02:00 does not exist either", 2026, 3, 29, 120, utc("2026-03-29T01:00:00Z")},
		{"03:00 is the change", 2026, 3, 29, 180, utc("2026-03-29T01:00:00Z")},
		{"01:59 is still winter", 2026, 3, 29, 119, utc("2026-03-29T00:59:00Z")},
		{"midnight at the end of the change day", 2026, 3, 29, 1440, utc("2026-03-29T22:00:00Z")},
		{"02:30 happens twice: the first", 2026, 10, 25, 150, utc("2026-10-25T00:30:00Z")},
		{"02:00 happens twice: the first", 2026, 10, 25, 120, utc("2026-10-25T00:00:00Z")},
		{"03:00 after the change", 2026, 10, 25, 180, utc("2026-10-25T02:00:00Z")},
		{"09:00 winter again", 2026, 10, 25, 540, utc("2026-10-25T08:00:00Z")},
		{"midnight at the start", 2026, 10, 25, 0, utc("2026-10-24T22:00:00Z")},
	}
	for _, tt := range tests {
		if got := instant(tt.y, tt.mo, tt.d, tt.min, loc); !got.Equal(tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got.UTC(), tt.want)
		}
	}
}

// Some zones change clocks at midnight: in America/Santiago, Saturday 5
// September 2026 24:00 becomes Sunday 01:00, so Sunday has no 00:00.
func TestInstantMidnightChange(t *testing.T) {
	loc, err := time.LoadLocation("America/Santiago")
	if err != nil {
		t.Fatal(err)
	}
	change := time.Date(2026, 9, 6, 4, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name   string
		d, min int
		want   time.Time
	}{
		{"Sunday 00:00 is the change", 6, 0, change},
		{"Sunday 00:30 is the change", 6, 30, change},
		{"Saturday 24:00 is the change", 5, 1440, change},
		{"Sunday 01:00 is the change", 6, 60, change},
		{"Sunday 09:00", 6, 540, time.Date(2026, 9, 6, 12, 0, 0, 0, time.UTC)},
	} {
		if got := instant(2026, 9, tt.d, tt.min, loc); !got.Equal(tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got.UTC(), tt.want)
		}
	}
	// A window 00:00-01:00 does not happen that Sunday; the next is Monday's.
	c := base()
	c.TimeZone = "America/Santiago"
	c.Windows = []Window{{EveryDay, 0, 60}}
	p, err := Compile(c, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	d := p.Next([]Contact{{}}, time.Time{}, time.Date(2026, 9, 6, 1, 0, 0, 0, time.UTC))
	if want := time.Date(2026, 9, 7, 3, 0, 0, 0, time.UTC); !d.At.Equal(want) {
		t.Errorf("next window at %v, want %v", d.At.UTC(), want)
	}
}
