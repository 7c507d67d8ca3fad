package campaign

import (
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkNext plans the next dial over 10,000 contacts with random
// histories (a third never called, the others with up to three attempts),
// once while the window is open and once in the evening when it is
// closed, against the naive scan that searches the windows for every
// contact. Run: go test ./campaign -run XXX -bench Next
func BenchmarkNext(b *testing.B) {
	p := compile(b, func(c *Campaign) {
		c.Windows = []Window{{MondayFriday, 540, 720}, {MondayFriday, 780, 1020}}
	})
	for _, sc := range []struct {
		name string
		now  time.Time
	}{
		{"open", at(b, "2026-12-02 10:00:00")},
		{"closed", at(b, "2026-12-04 19:00:00")},
	} {
		contacts := randomContacts(rand.New(rand.NewPCG(3, 5)), 10000, sc.now)
		last := sc.now.Add(-2 * time.Second)
		if want, got := nextNaive(p, contacts, last, sc.now), p.Next(contacts, last, sc.now); got.Contact != want.Contact || !got.At.Equal(want.At) {
			b.Fatalf("Next %+v, naive %+v", got, want)
		}
		b.Run(sc.name+"/Next", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Next(contacts, last, sc.now)
			}
		})
		b.Run(sc.name+"/naive", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				nextNaive(p, contacts, last, sc.now)
			}
		})
	}
}
