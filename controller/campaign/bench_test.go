package campaign

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	rules "github.com/vmsplatform/vms/campaign"
)

// BenchmarkPlanRound measures what a runner does with the contacts at
// each round: the plan's view of 100 contacts with three attempts each,
// and the next dial.
func BenchmarkPlanRound(b *testing.B) {
	d := &Dialer{cfg: Config{RetryDelay: time.Second}.withDefaults(), log: slog.New(slog.DiscardHandler)}
	r := newRunner(d, 1)
	c := testCampaign(1, func(s *rules.Campaign) { s.Busy.Attempts, s.NoAnswer.Attempts = 5, 5 })
	plan, err := rules.Compile(c.Settings, c.Limits)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	contacts := make([]Contact, 100)
	for i := range contacts {
		contacts[i] = Contact{ID: uint(i + 1), E164: fmt.Sprintf("+3247%07d", i)}
		for n := 1; n <= 3; n++ {
			start := now.Add(-time.Duration(100*n+i) * time.Minute)
			contacts[i].Attempts = append(contacts[i].Attempts, PastAttempt{Number: n, Start: start, End: start.Add(20 * time.Second), Outcome: rules.Busy})
		}
	}
	for b.Loop() {
		plan.Next(r.history(c, contacts), r.lastDial, now)
	}
}
