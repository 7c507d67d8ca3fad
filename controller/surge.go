package controller

import (
	"strconv"
	"sync"
	"time"
)

// surge applies the per-number limits of NUM-5: a token bucket of calls
// per second and a count of concurrent calls, both per number.
type surge struct {
	mu      sync.Mutex
	numbers map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
	active int
}

func newSurge() *surge { return &surge{numbers: make(map[string]*bucket)} }

// admit takes a slot for a new call to r's number. It returns the key to
// release when the call ends, and false when the call is over a limit.
func (s *surge) admit(r *Route, now time.Time) (string, bool) {
	lim := r.Limit
	key := r.Number
	if key == "" {
		key = "#" + strconv.FormatUint(uint64(r.NumberID), 10)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.numbers[key]
	if b == nil {
		b = &bucket{last: now, tokens: burst(lim.CallsPerSecond)}
		s.numbers[key] = b
	}
	if lim.CallsPerSecond > 0 {
		if el := now.Sub(b.last).Seconds(); el > 0 {
			b.tokens = min(burst(lim.CallsPerSecond), b.tokens+el*lim.CallsPerSecond)
		}
		b.last = now
	}
	if lim.MaxConcurrent > 0 && b.active >= lim.MaxConcurrent {
		return "", false
	}
	if lim.CallsPerSecond > 0 {
		if b.tokens < 1 {
			return "", false
		}
		b.tokens--
	}
	b.active++
	return key, true
}

// burst is the bucket size: one second's worth of calls, at least one.
func burst(rate float64) float64 { return max(1, rate) }

// release gives a call's slot back.
func (s *surge) release(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.numbers[key]
	if b == nil {
		return
	}
	b.active--
	if b.active <= 0 {
		b.active = 0
	}
}
