package acd

import "fmt"

// State is an agent's state (ACM-3). See the package documentation for
// the transition table.
type State uint8

// Agent states.
const (
	LoggedOut State = iota // not working; offered nothing
	Available              // waiting for contacts
	Ringing                // reserved: a call is being offered to the agent
	Talking                // on a call
	WrapUp                 // after-call work, until the group's WrapUp elapses
	Paused                 // paused by the agent, with a reason
	NotReady               // did not answer an offered call (reason "no answer")

	// StateCount is the number of states, for arrays indexed by State.
	StateCount = int(NotReady) + 1
)

var stateNames = [StateCount]string{"logged_out", "available", "ringing", "talking", "wrap_up", "paused", "not_ready"}

func (s State) String() string {
	if int(s) < StateCount {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// Reason says why an agent is paused or not ready. Pause reasons are the
// tenant's own ("lunch", "training", ...); ReasonNoAnswer is set by the
// Center itself.
type Reason string

// ReasonNoAnswer is the reason of an agent put in NotReady because it did
// not answer an offered call (ACM-3).
const ReasonNoAnswer Reason = "no answer"

// Event is something that moves an agent from one state to another.
type Event uint8

// Agent events. Offer, WrapUpEnd and Withdraw are raised by the Center
// itself; the others are methods of Center.
const (
	EventLogin     Event = iota // Center.Login
	EventLogout                 // Center.Logout
	EventPause                  // Center.Pause
	EventResume                 // Center.Resume
	EventOffer                  // the Center offers the agent a call
	EventAnswer                 // Center.Answered
	EventNoAnswer               // Center.NoAnswer
	EventWithdraw               // Center.Abandon while ringing
	EventEnd                    // Center.Ended of a call
	EventWrapUpEnd              // the group's WrapUp elapsed

	eventCount = int(EventWrapUpEnd) + 1
)

var eventNames = [eventCount]string{"login", "logout", "pause", "resume", "offer", "answer", "no_answer", "withdraw", "end", "wrap_up_end"}

func (e Event) String() string {
	if int(e) < eventCount {
		return eventNames[e]
	}
	return fmt.Sprintf("event(%d)", uint8(e))
}

// none marks a forbidden transition in the table.
const none State = 255

// transitions is the agent state machine: transitions[from][event] is the
// state after the event, or none when the event is not allowed in that
// state. Ending a call goes to WrapUp, or straight to Available when the
// group has no wrap-up time (Center.Ended decides).
var transitions = func() [StateCount][eventCount]State {
	var t [StateCount][eventCount]State
	for i := range t {
		for j := range t[i] {
			t[i][j] = none
		}
	}
	t[LoggedOut][EventLogin] = Available

	t[Available][EventLogout] = LoggedOut
	t[Available][EventPause] = Paused
	t[Available][EventOffer] = Ringing

	t[Ringing][EventAnswer] = Talking
	t[Ringing][EventNoAnswer] = NotReady
	t[Ringing][EventWithdraw] = Available

	t[Talking][EventEnd] = WrapUp

	t[WrapUp][EventLogout] = LoggedOut
	t[WrapUp][EventPause] = Paused
	t[WrapUp][EventResume] = Available // the agent is ready before the timer
	t[WrapUp][EventWrapUpEnd] = Available

	t[Paused][EventLogout] = LoggedOut
	t[Paused][EventPause] = Paused // a new reason
	t[Paused][EventResume] = Available

	t[NotReady][EventLogout] = LoggedOut
	t[NotReady][EventPause] = Paused
	t[NotReady][EventResume] = Available
	return t
}()

// Next returns the state an agent in state s reaches on event e, or an
// error matching ErrInvalidTransition.
func Next(s State, e Event) (State, error) {
	if int(s) >= StateCount || int(e) >= eventCount || transitions[s][e] == none {
		return s, &TransitionError{From: s, Event: e}
	}
	return transitions[s][e], nil
}
