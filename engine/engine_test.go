package engine

import (
	"context"
	"testing"
	"time"
)

func TestCauseOutcome(t *testing.T) {
	tests := []struct {
		name  string
		cause int
		want  Outcome
	}{
		{"normal clearing", 16, OutcomeNormal},
		{"user busy", 17, OutcomeBusy},
		{"no user responding", 18, OutcomeNoAnswer},
		{"no answer", 19, OutcomeNoAnswer},
		{"rejected", 21, OutcomeRejected},
		{"unallocated number", 1, OutcomeUnreachable},
		{"no route", 3, OutcomeUnreachable},
		{"destination out of order", 27, OutcomeUnreachable},
		{"no circuit (congestion)", 34, OutcomeUnreachable},
		{"network out of order", 38, OutcomeUnreachable},
		{"temporary failure", 41, OutcomeUnreachable},
		{"switch congestion", 42, OutcomeUnreachable},
		{"unknown zero", 0, OutcomeUnreachable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := CauseOutcome(tc.cause); got != tc.want {
				t.Errorf("CauseOutcome(%d) = %s, want %s", tc.cause, got, tc.want)
			}
		})
	}
}

func next(t *testing.T, s *Subscription) Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	ev, err := s.Next(ctx)
	if err != nil {
		t.Fatalf("next: %v", err)
	}
	return ev
}

func TestRouter(t *testing.T) {
	t.Run("call arrival carries a subscription that gets later events", func(t *testing.T) {
		r := NewRouter()
		r.Dispatch(CallArrived{Channel: "in"})
		r.Dispatch(DTMFReceived{Channel: "in", Digit: "5"})
		ca, ok := next(t, r.Inbox()).(CallArrived)
		if !ok || ca.Events == nil {
			t.Fatalf("inbox got %#v, want CallArrived with Events", ca)
		}
		if d, ok := next(t, ca.Events).(DTMFReceived); !ok || d.Digit != "5" {
			t.Errorf("call subscription got %#v, want DTMF 5", d)
		}
		if r.Inbox().Len() != 0 {
			t.Errorf("inbox has %d extra events", r.Inbox().Len())
		}
	})
	t.Run("unsubscribed and channel-less events go to the inbox", func(t *testing.T) {
		r := NewRouter()
		r.Dispatch(ChannelAnswered{Channel: "stray"})
		r.Dispatch(EndpointStateChanged{Endpoint: "PJSIP/a", State: EndpointOnline})
		if _, ok := next(t, r.Inbox()).(ChannelAnswered); !ok {
			t.Error("stray channel event not in inbox")
		}
		if _, ok := next(t, r.Inbox()).(EndpointStateChanged); !ok {
			t.Error("endpoint event not in inbox")
		}
	})
	t.Run("final event releases the channel", func(t *testing.T) {
		r := NewRouter()
		s := r.Subscribe("leg")
		r.Dispatch(OriginateFailed{Channel: "leg", Cause: 17})
		if _, ok := next(t, s).(OriginateFailed); !ok {
			t.Error("final event not delivered to its subscription")
		}
		if r.Subscribed("leg") {
			t.Error("channel still routed after its final event")
		}
	})
	t.Run("add moves a channel between subscriptions; close releases", func(t *testing.T) {
		r := NewRouter()
		a := r.Subscribe("x")
		b := r.Subscribe()
		b.Add("x")
		r.Dispatch(ChannelAnswered{Channel: "x"})
		if a.Len() != 0 || b.Len() != 1 {
			t.Errorf("a has %d, b has %d events, want 0 and 1", a.Len(), b.Len())
		}
		b.Close()
		r.Dispatch(ChannelAnswered{Channel: "x"})
		if b.Len() != 0 || r.Inbox().Len() != 1 {
			t.Errorf("after close: b %d, inbox %d, want 0 and 1", b.Len(), r.Inbox().Len())
		}
	})
	t.Run("a consumer that never reads does not block dispatch", func(t *testing.T) {
		r := NewRouter()
		s := r.Subscribe("busy")
		for i := range 10000 {
			r.Dispatch(DTMFReceived{Channel: "busy", DurationMs: i})
		}
		if s.Len() != 10000 {
			t.Fatalf("queued %d, want 10000", s.Len())
		}
		for i := range 10000 {
			if d := next(t, s).(DTMFReceived); d.DurationMs != i {
				t.Fatalf("event %d out of order: %d", i, d.DurationMs)
			}
		}
	})
	t.Run("next honours the context", func(t *testing.T) {
		s := NewRouter().Subscribe("quiet")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := s.Next(ctx); err == nil {
			t.Error("Next on a cancelled context returned no error")
		}
	})
}

func BenchmarkRouterDispatch(b *testing.B) {
	r := NewRouter()
	s := r.Subscribe("c")
	ev := DTMFReceived{Channel: "c", Digit: "1"}
	b.ReportAllocs()
	for b.Loop() {
		r.Dispatch(ev)
		s.TryNext()
	}
}

func TestRouterConcurrentUse(t *testing.T) {
	r := NewRouter()
	const calls, events = 8, 200
	done := make(chan int, calls)
	for i := range calls {
		id := ChannelID(rune('a' + i))
		s := r.Subscribe(id)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			n := 0
			for n < events {
				if _, err := s.Next(ctx); err != nil {
					break
				}
				n++
			}
			s.Close()
			done <- n
		}()
	}
	for j := range events {
		for i := range calls {
			r.Dispatch(DTMFReceived{Channel: ChannelID(rune('a' + i)), DurationMs: j})
		}
	}
	for range calls {
		if n := <-done; n != events {
			t.Errorf("a call received %d events, want %d", n, events)
		}
	}
}
