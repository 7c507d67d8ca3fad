// Package campaign owns the rules of outbound campaigns (OUT-1, OUT-3..6):
// the campaign settings and their validation (caller id, the actions of
// the keys the called person may press, the retry policy for busy and
// unanswered calls, the ring timeout, the calling windows in the tenant's
// time zone, the start and end dates, the pace), the tenant's limits
// (lists, numbers per list, scheduled and running campaigns, fastest
// pace), and the planning of a running campaign: given every contact with
// the history of its attempts and the current time, which contact to dial
// next, and when; what a key pressed during a call does (Plan.Key, with a
// bound on replays); and the progress counts of a campaign
// (Plan.Progress, OUT-6).
//
// The package is pure: standard library only (with the embedded time zone
// database, so that zones load on hosts without one), no I/O, no
// goroutines, no clock — "now" is always handed in. The dialer owns the
// clock, the engine and the store; it records an attempt (with no outcome
// yet) before it dials, so that after a crash the attempt is seen as in
// progress and is never dialled twice (OUT-7), and it resolves such
// leftover attempts itself.
//
// # Planning
//
// Compile checks a Campaign against the tenant's Limits and returns a
// Plan. Plan.Next looks at the contacts and says which one to dial and at
// what time: the earliest instant, not before now and not before the last
// dial plus the pace, at which a calling window is open and a contact is
// due. A contact never called is due at once; one whose last attempt was
// busy or unanswered is due the policy's delay after that attempt ended,
// until it has been called the policy's number of times; one answered,
// failed, marked do-not-call, or with an attempt in progress is not due.
// Among the contacts due at that instant, retries go first (the one due
// longest), then new contacts in list order.
//
// Windows are wall-clock hours on days of the week in the campaign's time
// zone, so they follow daylight saving time: a window "mon-fri
// 09:00-17:00" opens at 09:00 local time in winter and in summer. A window
// edge that falls in the hour skipped when clocks go forward moves to the
// end of that hour; a window edge in the hour repeated when clocks go
// back is taken at its first occurrence.
package campaign
