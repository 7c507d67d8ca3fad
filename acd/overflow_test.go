package acd_test

import (
	"testing"
	"time"

	"github.com/vmsplatform/vms/acd"
)

// ACM-4, TRM-4: callers refused at the door.
func TestEnqueueRefused(t *testing.T) {
	tests := []struct {
		name  string
		group acd.GroupConfig
		setup func(f *fixture)
		ch    acd.Channel
		want  acd.Outcome
	}{
		{"no member logged in", acd.GroupConfig{ID: "g"}, func(f *fixture) {}, acd.Voice, acd.OutcomeClosed},
		{"group closed", acd.GroupConfig{ID: "g", Closed: true}, func(f *fixture) { f.ready("x", 0) }, acd.Voice, acd.OutcomeClosed},
		{"paused members keep it open", acd.GroupConfig{ID: "g"}, func(f *fixture) {
			f.ready("x", 0)
			f.must(f.c.Pause("x", "lunch", sec(0)))
		}, acd.Voice, ""},
		{"queue full", acd.GroupConfig{ID: "g", MaxQueue: 2}, func(f *fixture) {
			f.ready("x", 0)
			f.must(f.c.Pause("x", "lunch", sec(0)))
			f.enqueue("w1", "g", acd.Voice, 1)
			f.enqueue("w2", "g", acd.Voice, 2)
		}, acd.Voice, acd.OutcomeFull},
		{"queue below the maximum", acd.GroupConfig{ID: "g", MaxQueue: 2}, func(f *fixture) {
			f.ready("x", 0)
			f.must(f.c.Pause("x", "lunch", sec(0)))
			f.enqueue("w1", "g", acd.Voice, 1)
		}, acd.Voice, ""},
		{"ringing calls do not count as waiting", acd.GroupConfig{ID: "g", MaxQueue: 1}, func(f *fixture) {
			f.ready("x", 0)
			f.enqueue("w1", "g", acd.Voice, 1) // rings x
		}, acd.Voice, ""},
		{"e-mails queue without agents", acd.GroupConfig{ID: "g", Closed: true}, func(f *fixture) {}, acd.Email, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.group)
			f.agent("x", 1, "g:5")
			tt.setup(f)
			if got := f.enqueue("k", "g", tt.ch, 5); got != tt.want {
				t.Fatalf("outcome %q, want %q", got, tt.want)
			}
			_, err := f.c.Position("k", sec(5))
			if queued := err == nil; queued != (tt.want == "") {
				t.Errorf("contact queued = %v (%v), want %v", queued, err, tt.want == "")
			}
		})
	}
}

// ACM-4: callers leave the queue after the maximum wait.
func TestMaxWait(t *testing.T) {
	f := newFixture(t, acd.GroupConfig{ID: "g", MaxWait: 30 * time.Second})
	f.agent("x", 0, "g:5")
	f.ready("x", 0)
	f.must(f.c.Pause("x", "lunch", sec(0)))
	f.enqueue("k1", "g", acd.Voice, 10)
	f.enqueue("k2", "g", acd.Voice, 20)
	if e := f.tick(39.9); !e.Empty() {
		t.Fatalf("effects %+v before the maximum wait", e)
	}
	e := f.tick(45)
	if got := overflowed(e); !equal(got, []string{"k1:group_timeout"}) {
		t.Fatalf("overflows %v, want [k1:group_timeout]", got)
	}
	if e.Overflows[0].Waited != 30*time.Second || e.Overflows[0].Group != "g" {
		t.Errorf("overflow %+v, want waited 30s in g", e.Overflows[0])
	}
	// The timer of a caller that was answered does nothing.
	f.must(f.c.Resume("x", sec(46)))
	f.must(f.c.Answered("k2", sec(47)))
	if e := f.tick(60); len(e.Overflows) != 0 {
		t.Fatalf("overflows %v for an answered call", overflowed(e))
	}
}

// ACM-3, ACM-4: a call that comes back unanswered after the maximum wait
// overflows at once instead of waiting again.
func TestNoAnswerAfterMaxWait(t *testing.T) {
	f := newFixture(t, acd.GroupConfig{ID: "g", MaxWait: 30 * time.Second})
	f.agent("x", 0, "g:5")
	f.agent("y", 0, "g:4")
	f.ready("x", 0)
	f.ready("y", 0)
	f.must(f.c.Pause("y", "lunch", sec(0)))
	f.enqueue("k", "g", acd.Voice, 10)
	f.must(f.c.NoAnswer("k", sec(45)))
	f.must(f.c.Resume("y", sec(45)))
	e := f.tick(45)
	if got := overflowed(e); !equal(got, []string{"k:group_timeout"}) {
		t.Fatalf("overflows %v, want [k:group_timeout]", got)
	}
	if got := assigned(e); !equal(got, []string{"k>x"}) {
		t.Fatalf("assignments %v, want only the first offer [k>x]", got)
	}
}

// ACM-4: when the last member logs out, waiting callers go to the
// alternative; e-mails keep waiting.
func TestLastLogoutClosesGroup(t *testing.T) {
	f := newFixture(t, acd.GroupConfig{ID: "g"}, acd.GroupConfig{ID: "h"})
	f.agent("x", 0, "g:5", "h:5")
	f.agent("y", 0, "g:5")
	f.ready("x", 0)
	f.ready("y", 0)
	f.must(f.c.Pause("x", "lunch", sec(0)))
	f.must(f.c.Pause("y", "lunch", sec(0)))
	f.enqueue("k1", "g", acd.Voice, 1)
	f.enqueue("k2", "g", acd.Voice, 2)
	f.enqueue("kh", "h", acd.Voice, 2)
	f.enqueue("mail", "g", acd.Email, 2)
	f.must(f.c.Logout("x", sec(3)))
	if got := overflowed(f.tick(3)); !equal(got, []string{"kh:group_closed"}) {
		t.Fatalf("overflows %v after the first logout, want [kh:group_closed]", got)
	}
	f.must(f.c.Logout("y", sec(4)))
	if got := overflowed(f.tick(4)); !equal(got, []string{"k1:group_closed", "k2:group_closed"}) {
		t.Fatalf("overflows %v, want [k1:group_closed k2:group_closed]", got)
	}
	s, err := f.c.Group("g", sec(4))
	f.must(err)
	if s.Waiting != 0 || s.WaitingEmails != 1 || s.Overflowed != 2 {
		t.Errorf("stats %+v: want no caller, one e-mail waiting, 2 overflowed", s)
	}
}

// A time earlier than the clock counts as the clock's time.
func TestClockNeverGoesBack(t *testing.T) {
	f := newFixture(t, acd.GroupConfig{ID: "g", MaxWait: 10 * time.Second})
	f.agent("x", 0, "g:5")
	f.ready("x", 20)
	f.must(f.c.Pause("x", "lunch", sec(20)))
	f.enqueue("k", "g", acd.Voice, 5) // late event: counts as 20
	if got := overflowed(f.tick(29.9)); got != nil {
		t.Fatalf("overflows %v before 10 s of waiting from 20", got)
	}
	if got := overflowed(f.tick(30)); !equal(got, []string{"k:group_timeout"}) {
		t.Fatalf("overflows %v, want [k:group_timeout]", got)
	}
	if !f.c.Now().Equal(sec(30)) {
		t.Errorf("clock %v, want %v", f.c.Now(), sec(30))
	}
}
