// Package acd is the automatic contact distribution of Agent Contact
// Management (ACM-1..ACM-5): agents, groups, each agent's competence level
// per group, the agent state machine, the queues of waiting contacts (calls
// and e-mails), the choice of the agent a contact is offered to, and the
// overflow of callers to the routing tree's alternatives (ACM-4, TRM-4).
//
// The package is pure: standard library only, no I/O, no goroutines, no
// clock. A Center is an in-memory state machine fed by events, each
// carrying the time it happened (Login, SetRegistered, Enqueue, Answered,
// NoAnswer, Ended, Abandon, ...); the decisions it takes (Assignment,
// Overflow) are collected with Tick, which also fires the timers that are
// due (wrap-up ends, relaxation steps, maximum waits); NextDue says when
// the next timer is due, so the owner need not poll. A time earlier than
// the latest one given counts as the latest: the clock never goes back.
// The owner — the
// controller, which drives the media engine, and the e-mail router —
// carries the decisions out and reports back. The server is the only
// source of truth for agent state: agents change state only through these
// events. The package must not import other VMS packages; Outcome values
// are the routing tree's outcome names (group_closed, group_full,
// group_timeout).
//
// # Agent states (ACM-3)
//
// An agent is LoggedOut, Available, Ringing (a call is offered to it and
// it is reserved for that call), Talking, WrapUp (after-call work, until
// the group's WrapUp time elapses), Paused (with a reason) or NotReady
// (it did not answer an offered call; reason "no answer"). The
// transitions, by event; every other pair is refused with a
// *TransitionError naming the state and the event:
//
//	LoggedOut  --login-->        Available
//	Available  --offer-->        Ringing      (the Center assigns a call)
//	Available  --pause-->        Paused
//	Available  --logout-->       LoggedOut    (e-mails in hand go back to their queues)
//	Ringing    --answer-->       Talking
//	Ringing    --no_answer-->    NotReady     (the call goes back to its queue)
//	Ringing    --withdraw-->     Available    (the caller hung up; idle time kept)
//	Talking    --end-->          WrapUp       (Available at once if WrapUp is 0)
//	WrapUp     --wrap_up_end-->  Available    (timer)
//	WrapUp     --resume-->       Available    (ready before the timer)
//	WrapUp     --pause-->        Paused
//	WrapUp     --logout-->       LoggedOut
//	Paused     --pause-->        Paused       (a new reason)
//	Paused     --resume-->       Available
//	Paused     --logout-->       LoggedOut
//	NotReady   --resume-->       Available
//	NotReady   --pause-->        Paused
//	NotReady   --logout-->       LoggedOut
//
// Beside its state, an agent is registered or not: whether its softphone
// is registered with the media engine (Center.SetRegistered, from the
// engine's presence events). An agent whose softphone is not registered
// is never offered a call, whatever its state, and is offered calls again
// as soon as it registers. E-mails do not need the softphone.
//
// # Capacity
//
// An agent handles one call, or up to AgentConfig.MaxEmails e-mails at
// once, never both: it is offered a call only when Available, registered
// and holding no e-mail, and given an e-mail only when Available, not on
// a call and below its e-mail capacity. E-mails need no answer: an
// e-mail Assignment puts it in the agent's hands until Ended.
//
// # Selection (ACM-2)
//
// Each group's queue of each channel is served in arrival order (a call
// that an agent did not answer goes back to its arrival place, at or near
// the head). Only the head is offered: it has waited the longest, so no
// contact behind it has an easier claim.
//
// The head may be given to the group's members whose level is at least
// the group's current minimum level: GroupConfig.MinLevel, lowered by
// each GroupConfig.Relax step the head has waited past. Among those, the
// group's Strategy chooses:
//
//   - LevelThenLongestIdle (default): the highest level, then the agent
//     idle the longest, then the smallest AgentID;
//   - LongestIdle: the agent idle the longest, then the smallest AgentID.
//
// For e-mails, "idle the longest" is preceded by "fewest e-mails in hand".
// An agent's idle time starts when it last became Available by login,
// resume or the end of wrap-up, or last received or finished an e-mail;
// an offer the caller abandoned does not reset it.
//
// # Agents in several groups
//
// When an agent becomes free (login, resume, end of wrap-up, softphone
// registered, a call withdrawn, an e-mail finished), it takes, among its
// groups whose head contact it may take (its level there is at least the
// head's current minimum level), the head that arrived first; on equal
// arrival times, the group with the higher GroupConfig.Priority; then the
// smaller GroupID. Calls are considered before e-mails. When a contact
// becomes the head of its queue (arrival in an empty queue, the head
// leaving, a relaxation step, a call coming back unanswered), the group
// chooses among its free members as above. Timers due at the same time
// fire in the order they were armed. The result depends only on the
// events and their times, never on map order.
//
// Selection costs the same whatever the number of agents: each group
// keeps, per channel and per level, a heap of its available members
// ordered as above, updated on every state change of a member (O(groups
// of the agent × log agents)); choosing looks at the tops of at most ten
// heaps. See BENCHMARKS.md.
//
// # Overflow (ACM-4)
//
// A call is refused at Enqueue with OutcomeClosed when the group is
// closed or none of its members is logged in, and with OutcomeFull when
// MaxQueue callers already wait. A waiting caller overflows with
// OutcomeTimeout after MaxWait (a call that comes back unanswered after
// MaxWait overflows at once), and with OutcomeClosed when the last member
// of its group logs out. E-mails never overflow: they wait for an agent.
//
// # Statistics
//
// Center.Group gives the supervisor screen (ACM-7) the waiting contacts,
// the longest wait, the members per state and the counters behind the
// service level; Center.Position gives a waiting contact's position and
// expected wait for the periodic announcements.
package acd
