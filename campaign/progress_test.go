package campaign

import "testing"

func TestProgress(t *testing.T) {
	p := compile(t, nil) // busy: 3 attempts; no answer: 2
	t0 := at(t, "2026-12-02 10:00:00")
	a := func(o Outcome) Attempt { return attempt(t0, t0, o) }
	contacts := []Contact{
		{},
		{Attempts: []Attempt{a(Busy)}},
		{Attempts: []Attempt{{Start: t0}}},
		{Attempts: []Attempt{a(Busy), a(Answered)}},
		{Attempts: []Attempt{a(Busy), a(Busy), a(Busy)}},
		{Attempts: []Attempt{a(NoAnswer), a(NoAnswer)}},
		{Attempts: []Attempt{a(Failed)}},
		{DoNotCall: true, Attempts: []Attempt{a(Answered)}},
	}
	got := p.Progress(contacts)
	want := Progress{Total: 8, Waiting: 2, Calling: 1, Answered: 1, Busy: 1, NoAnswer: 1, Failed: 1, DoNotCall: 1, Attempts: 11}
	if got != want {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if got.Done() != 5 {
		t.Errorf("Done() = %d", got.Done())
	}
}

func TestKey(t *testing.T) {
	p := compile(t, nil) // 1 connect sales, 2 replay, 9 do not call
	tests := []struct {
		key     string
		replays int
		want    KeyAction
		ok      bool
	}{
		{"1", 0, KeyAction{Action: Connect, Group: "sales"}, true},
		{"2", 0, KeyAction{Action: Replay}, true},
		{"2", MaxReplays - 1, KeyAction{Action: Replay}, true},
		{"2", MaxReplays, KeyAction{Action: HangUp}, true},
		{"9", 5, KeyAction{Action: DoNotCall}, true},
		{"5", 0, KeyAction{}, false},
		{"#", 0, KeyAction{}, false},
	}
	for _, tt := range tests {
		got, ok := p.Key(tt.key, tt.replays)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Key(%q, %d) = %+v, %v; want %+v, %v", tt.key, tt.replays, got, ok, tt.want, tt.ok)
		}
	}
}
