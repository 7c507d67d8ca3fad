package campaign

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func FuzzParseWindows(f *testing.F) {
	for _, s := range []string{
		"mon-fri 09:00-17:00", "daily 00:00-24:00", "fri-mon 9:00 - 12:30; sat 10:00-12:00",
		"mon,,fri 09:00-17:00", "sun 24:00-24:00", "mon-fri 09:00-17:00-18:00", "\n;\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ws, err := ParseWindows(s)
		if err != nil {
			if err.Error() == "" || ws != nil {
				t.Fatalf("bad error %q / %v", err, ws)
			}
			return
		}
		for _, w := range ws {
			if err := w.check(); err != nil {
				t.Fatalf("%q gave an invalid window %+v: %v", s, w, err)
			}
			again, err := ParseWindow(w.String())
			if err != nil || again != w {
				t.Fatalf("%+v written %q reads back as %+v, %v", w, w.String(), again, err)
			}
		}
	})
}

// FuzzCompileNext decodes campaign settings as the API would, compiles
// them, and plans a few contacts: never a panic, and a decision is always
// inside an open window, not before now.
func FuzzCompileNext(f *testing.F) {
	good, _ := json.Marshal(base())
	f.Add(good, int64(0), uint8(3))
	f.Add([]byte(`{"name":"x","caller_id":"+3225112233","time_zone":"Europe/Brussels","windows":["daily 02:30-03:00"],"busy":{"attempts":1,"delay":60000000000},"no_answer":{"attempts":10,"delay":60000000000},"ring_timeout":10000000000,"pace":5000000000}`), int64(1774746000), uint8(1))
	f.Add([]byte(`{"windows":["mon 00:00-00:01"],"end_date":"2026-03-29"}`), int64(-1), uint8(0))
	f.Fuzz(func(t *testing.T, settings []byte, unix int64, n uint8) {
		var c Campaign
		if json.Unmarshal(settings, &c) != nil {
			return
		}
		p, err := Compile(c, DefaultLimits())
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("error %v", err)
			}
			return
		}
		now := time.Unix(unix%(1<<40), 0)
		contacts := make([]Contact, int(n)%8)
		for i := range contacts {
			if i%2 == 1 {
				contacts[i].Attempts = []Attempt{{Start: now.Add(-time.Duration(i) * time.Minute), Outcome: Busy}}
			}
		}
		d := p.Next(contacts, time.Time{}, now)
		if d.Contact < 0 {
			return
		}
		if d.At.Before(now) {
			t.Fatalf("decision %v before now %v", d.At, now)
		}
		if open, ok := p.Open(d.At); !ok || !open.Equal(d.At) {
			t.Fatalf("decision %v is not in an open window (%v %v)", d.At, open, ok)
		}
	})
}
