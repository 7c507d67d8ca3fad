package campaign

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func base() Campaign {
	return Campaign{
		Name:        "Winter reminder",
		CallerID:    "+3225112233",
		Keys:        map[string]KeyAction{"1": {Action: Connect, Group: "sales"}, "2": {Action: Replay}, "9": {Action: DoNotCall}},
		Busy:        Retry{Attempts: 3, Delay: 10 * time.Minute},
		NoAnswer:    Retry{Attempts: 2, Delay: time.Hour},
		RingTimeout: 30 * time.Second,
		Windows:     []Window{{Days: MondayFriday, From: 9 * 60, To: 17 * 60}},
		Pace:        5 * time.Second,
	}
}

func TestCompileAccepts(t *testing.T) {
	p, err := Compile(base(), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if p.Location().String() != "Europe/Brussels" || p.Campaign().TimeZone != "Europe/Brussels" {
		t.Errorf("time zone %v", p.Location())
	}
	c := base()
	c.Name = "  padded  "
	c.TimeZone = "America/New_York"
	c.Keys = nil
	c.StartDate, c.EndDate = Date{2026, 12, 1}, Date{2026, 12, 1}
	c.Pace = 2 * time.Second
	if p, err = Compile(c, Limits{MinPace: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if p.Campaign().Name != "padded" {
		t.Errorf("name %q", p.Campaign().Name)
	}
}

func TestCompileRefuses(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Campaign)
		want   []string
	}{
		{"no name", func(c *Campaign) { c.Name = " " }, []string{"name: is required"}},
		{"long name", func(c *Campaign) { c.Name = strings.Repeat("é", 101) }, []string{"name: is longer than 100 characters"}},
		{"control character in name", func(c *Campaign) { c.Name = "a\x07b" }, []string{"name: holds control characters"}},
		{"caller id national", func(c *Campaign) { c.CallerID = "025112233" }, []string{`caller_id: "025112233" is not a number in E.164 form (+32...)`}},
		{"caller id letters", func(c *Campaign) { c.CallerID = "+32abc45678" }, []string{`caller_id: "+32abc45678" is not a number in E.164 form (+32...)`}},
		{"caller id too long", func(c *Campaign) { c.CallerID = "+3212345678901234" }, []string{`caller_id: "+3212345678901234" is not a number in E.164 form (+32...)`}},
		{"unknown zone", func(c *Campaign) { c.TimeZone = "Europe/Gent" }, []string{`time_zone: "Europe/Gent" is not a known time zone (such as Europe/Brussels)`}},
		{"Local zone", func(c *Campaign) { c.TimeZone = "Local" }, []string{`time_zone: "Local" is not a known time zone (such as Europe/Brussels)`}},
		{"bad keys", func(c *Campaign) {
			c.Keys = map[string]KeyAction{"1": {Action: Connect}, "#": {Action: "transfer"}, "A": {Action: HangUp}, "2": {Action: Replay, Group: "x"}, "12": {Action: Replay}}
		}, []string{
			"keys.1.group: is required to connect to an operator",
			"keys.2.group: is only for the action connect",
			`keys.#.action: "transfer" is not an action: use connect, replay, do_not_call or hang_up`,
			`keys: "12" is not a telephone key (0-9, * or #)`,
			`keys: "A" is not a telephone key (0-9, * or #)`,
		}},
		{"retries", func(c *Campaign) {
			c.Busy = Retry{Attempts: 0, Delay: 30 * time.Second}
			c.NoAnswer = Retry{Attempts: 11, Delay: 8 * 24 * time.Hour}
		}, []string{
			"busy.attempts: must be between 1 and 10, not 0",
			"busy.delay: must be between 1 minute and 7 days, not 30s",
			"no_answer.attempts: must be between 1 and 10, not 11",
			"no_answer.delay: must be between 1 minute and 7 days, not 192h0m0s",
		}},
		{"ring timeout short", func(c *Campaign) { c.RingTimeout = 5 * time.Second }, []string{"ring_timeout: must be between 10 and 60 seconds, not 5s"}},
		{"ring timeout long", func(c *Campaign) { c.RingTimeout = 61 * time.Second }, []string{"ring_timeout: must be between 10 and 60 seconds, not 1m1s"}},
		{"no windows", func(c *Campaign) { c.Windows = nil }, []string{"windows: at least one calling window is required"}},
		{"bad windows", func(c *Campaign) {
			c.Windows = []Window{{Days: 0, From: 0, To: 60}, {Days: EveryDay, From: 600, To: 540}, {Days: EveryDay, From: 0, To: 1441}}
		}, []string{
			"windows[0]: a window needs at least one day",
			"windows[1]: the window 10:00-09:00 ends before it starts; a window cannot cross midnight (split it at 24:00)",
			"windows[2]: window hours must be between 00:00 and 24:00",
		}},
		{"dates", func(c *Campaign) { c.StartDate, c.EndDate = Date{2026, 12, 2}, Date{2026, 12, 1} }, []string{"end_date: 2026-12-01 is before the start date 2026-12-02"}},
		{"impossible date", func(c *Campaign) { c.StartDate = Date{2026, 2, 30} }, []string{"start_date: 2026-02-30 is not a valid date"}},
		{"pace too fast", func(c *Campaign) { c.Pace = 4 * time.Second }, []string{"pace: one new call every 5s at most; 4s is faster"}},
		{"pace too slow", func(c *Campaign) { c.Pace = 2 * time.Hour }, []string{"pace: must be at most one hour, not 2h0m0s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.change(&c)
			p, err := Compile(c, DefaultLimits())
			if err == nil {
				t.Fatalf("Compile accepted %+v", p.Campaign())
			}
			if !errors.Is(err, ErrInvalidCampaign) {
				t.Errorf("%v does not match ErrInvalidCampaign", err)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("%T", err)
			}
			var got []string
			for _, p := range ve.Problems {
				got = append(got, p.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestCampaignJSON(t *testing.T) {
	in := `{"name":"x","caller_id":"+3225112233","windows":["mon-fri 09:00-12:00","sat 10:00-24:00"],
		"start_date":"2026-12-01","end_date":"2026-12-24","busy":{"attempts":2,"delay":600000000000}}`
	var c Campaign
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	want := []Window{{MondayFriday, 540, 720}, {1 << time.Saturday, 600, 1440}}
	if !reflect.DeepEqual(c.Windows, want) || c.StartDate != (Date{2026, 12, 1}) || c.EndDate != (Date{2026, 12, 24}) {
		t.Fatalf("decoded %+v", c)
	}
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var again Campaign
	if err := json.Unmarshal(out, &again); err != nil || !reflect.DeepEqual(again, c) {
		t.Fatalf("round trip: %v\n%s", err, out)
	}
	if err := json.Unmarshal([]byte(`{"windows":["mon-fri 9-17"]}`), &c); err == nil {
		t.Error("a bad window decoded")
	}
	if err := json.Unmarshal([]byte(`{"end_date":"24/12/2026"}`), &c); err == nil {
		t.Error("a bad date decoded")
	}
}

func TestLimits(t *testing.T) {
	l := DefaultLimits()
	if l != (Limits{5, 100, 2, 1, 5 * time.Second}) {
		t.Fatalf("defaults %+v", l)
	}
	if err := l.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		u    Usage
		want []string
	}{
		{"at every limit", Usage{Lists: 5, ListSize: 100, Scheduled: 2, Running: 1}, nil},
		{"sixth list", Usage{Lists: 6}, []string{"at most 5 call lists can be kept; this would make 6"}},
		{"list too long", Usage{Lists: 1, ListSize: 101}, []string{"the list has 101 numbers; the limit is 100"}},
		{"third scheduled", Usage{Scheduled: 3}, []string{"at most 2 campaigns can be scheduled at a time; this would make 3"}},
		{"second running", Usage{Scheduled: 2, Running: 2}, []string{"at most 1 campaign can run at a time; this would make 2"}},
		{"everything", Usage{Lists: 7, ListSize: 500, Scheduled: 4, Running: 3}, []string{
			"at most 5 call lists can be kept; this would make 7",
			"the list has 500 numbers; the limit is 100",
			"at most 2 campaigns can be scheduled at a time; this would make 4",
			"at most 1 campaign can run at a time; this would make 3",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := l.Check(tt.u)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var le *LimitError
			if !errors.As(err, &le) || !errors.Is(err, ErrLimit) {
				t.Fatalf("err = %v", err)
			}
			if !reflect.DeepEqual(le.Refusals, tt.want) {
				t.Errorf("refusals\n got %q\nwant %q", le.Refusals, tt.want)
			}
		})
	}
	bad := Limits{Lists: -1, NumbersPerList: 100, Scheduled: 1, Running: 2, MinPace: 0}
	var ve *ValidationError
	if err := bad.Validate(); !errors.As(err, &ve) || len(ve.Problems) != 3 {
		t.Errorf("Validate(%+v) = %v", bad, err)
	}
}
