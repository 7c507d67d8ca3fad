package campaign

import (
	"fmt"
	"time"
)

// Outcome is how an attempt ended.
type Outcome string

// The outcomes. Busy and NoAnswer are retried by the campaign's policy;
// the others are final.
const (
	Answered Outcome = "answered"  // the person answered (whatever they pressed)
	Busy     Outcome = "busy"      // the line was busy
	NoAnswer Outcome = "no_answer" // nobody answered within the ring timeout
	Failed   Outcome = "failed"    // the call could not be placed (invalid or rejected number)
)

// Attempt is one call to a contact. The dialer records it, without an
// outcome, before it dials; an attempt without an outcome is in progress.
type Attempt struct {
	Start   time.Time `json:"start"`
	End     time.Time `json:"end,omitzero"`     // when the outcome was known
	Outcome Outcome   `json:"outcome,omitzero"` // empty while in progress
}

// Contact is one entry of the campaign's lists with its history.
type Contact struct {
	Attempts  []Attempt `json:"attempts,omitempty"`
	DoNotCall bool      `json:"do_not_call,omitempty"` // asked not to be called (by key, or by the operator)
}

// State is where a contact stands.
type State string

// The states of a contact.
const (
	Waiting State = "waiting" // to be called (now or at Status.Due)
	Calling State = "calling" // an attempt is in progress
	Done    State = "done"    // nothing more to do; Status.Reason says why
)

// Status is where a contact stands and, when waiting, from when it is due.
type Status struct {
	State  State
	Due    time.Time // for Waiting: zero for a contact never called
	Reason string    // for Done: "answered", "busy 3 times", ...
}

// Status returns where contact c stands in the plan.
func (p *Plan) Status(c Contact) Status {
	st, due := p.state(c)
	if st != Done {
		return Status{State: st, Due: due}
	}
	if c.DoNotCall {
		return Status{State: Done, Reason: "do not call"}
	}
	n := len(c.Attempts)
	switch o := c.Attempts[n-1].Outcome; o {
	case Answered:
		return Status{State: Done, Reason: "answered"}
	case Busy, NoAnswer:
		return Status{State: Done, Reason: fmt.Sprintf("%s after %d %s", describe(o), n, plural(n, "attempt", "attempts"))}
	}
	return Status{State: Done, Reason: "failed"}
}

// state is Status without the reason (no allocation: Next calls it for
// every contact).
func (p *Plan) state(c Contact) (State, time.Time) {
	if c.DoNotCall {
		return Done, time.Time{}
	}
	n := len(c.Attempts)
	if n == 0 {
		return Waiting, time.Time{}
	}
	last := &c.Attempts[n-1]
	var r *Retry
	switch last.Outcome {
	case "":
		return Calling, time.Time{}
	case Busy:
		r = &p.c.Busy
	case NoAnswer:
		r = &p.c.NoAnswer
	default:
		return Done, time.Time{}
	}
	if n >= r.Attempts {
		return Done, time.Time{}
	}
	end := last.End
	if end.IsZero() {
		end = last.Start
	}
	return Waiting, end.Add(r.Delay)
}

func describe(o Outcome) string {
	if o == Busy {
		return "busy"
	}
	return "no answer"
}

// Decision is what Next advises.
type Decision struct {
	// Contact is the index of the contact to dial; -1 when none.
	Contact int
	// At is when to dial it: now or later (the dialer sleeps until then).
	// Zero when Contact is -1.
	At time.Time
	// Finished: every contact is done; the campaign is complete.
	Finished bool
	// Ended: contacts are left, but no calling window will open again
	// before the campaign's end date.
	Ended bool
}

// Waiting reports that no contact can be dialled until an attempt in
// progress ends: the dialer waits for that result, not for a time.
func (d Decision) Waiting() bool { return d.Contact < 0 && !d.Finished && !d.Ended }

// Next returns which contact to dial next and when: the earliest instant,
// not before now and not before lastDial+Pace (lastDial is the start of
// the last call placed; zero when none), at which a window is open and a
// contact is due. Among the contacts due at that instant, retries go
// first (the one due the longest), then new contacts in list order.
func (p *Plan) Next(contacts []Contact, lastDial, now time.Time) Decision {
	t0 := now
	if !lastDial.IsZero() && lastDial.Add(p.c.Pace).After(t0) {
		t0 = lastDial.Add(p.c.Pace)
	}
	// One pass: the first new contact and the retry due the longest.
	var (
		minRetry  time.Time
		bestRetry = -1
		firstNew  = -1
		calling   bool
	)
	for i := range contacts {
		st, due := p.state(contacts[i])
		switch {
		case st == Calling:
			calling = true
		case st != Waiting:
		case due.IsZero():
			if firstNew < 0 {
				firstNew = i
			}
		case bestRetry < 0 || due.Before(minRetry):
			minRetry, bestRetry = due, i
		}
	}
	if firstNew < 0 && bestRetry < 0 {
		return Decision{Contact: -1, Finished: !calling}
	}
	from := t0
	if firstNew < 0 && minRetry.After(from) {
		from = minRetry
	}
	at, ok := p.open(from)
	if !ok {
		return Decision{Contact: -1, Ended: true}
	}
	// A retry due by then goes before new contacts.
	if bestRetry >= 0 && !minRetry.After(at) {
		return Decision{Contact: bestRetry, At: at}
	}
	return Decision{Contact: firstNew, At: at}
}

// Open returns the earliest instant at or after t when a calling window
// is open within the campaign's dates; false when there is none.
func (p *Plan) Open(t time.Time) (time.Time, bool) { return p.open(t) }

func (p *Plan) open(t time.Time) (time.Time, bool) {
	if !p.start.IsZero() && t.Before(p.start) {
		t = p.start
	}
	if !p.end.IsZero() && !t.Before(p.end) {
		return time.Time{}, false
	}
	lt := t.In(p.loc)
	y, mo, d := lt.Date()
	// Windows repeat every week; 8 days cover a full week from any
	// instant, plus the day t is in.
	for off := 0; off <= 8; off++ {
		day := time.Date(y, mo, d+off, 12, 0, 0, 0, p.loc)
		dy, dm, dd := day.Date()
		wd := day.Weekday()
		var best time.Time
		for _, w := range p.c.Windows {
			if !w.Days.Has(wd) {
				continue
			}
			s := instant(dy, dm, dd, w.From, p.loc)
			e := instant(dy, dm, dd, w.To, p.loc)
			if !e.After(t) || !e.After(s) {
				continue
			}
			if s.Before(t) {
				s = t
			}
			if best.IsZero() || s.Before(best) {
				best = s
			}
		}
		if !best.IsZero() {
			if !p.end.IsZero() && !best.Before(p.end) {
				return time.Time{}, false
			}
			return best, true
		}
	}
	return time.Time{}, false
}
