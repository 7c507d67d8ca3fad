// Package center is the live contact centre (Agent Contact Management):
// the runtime around the pure ACD core of package acd, shared by the
// controller (calls), the e-mail router (e-mails) and the portal (agent
// desktop, supervisor screen).
//
// A Service holds one acd.Center behind a mutex. Every event (a call or
// an e-mail queued, answered, not answered, abandoned, ended; an agent
// logging in, pausing, resuming, its softphone registering) is fed to the
// Center with the Service's clock, and the decisions the Center takes are
// collected at once (acd.Center.Tick) and carried out:
//
//   - a call's offers and its overflow go to the call's Ticket channel,
//     which is buffered and never blocks the Service; the channel is
//     closed after an overflow and when the call is gone;
//   - an e-mail's assignment goes to the OnEmail callback, outside the
//     lock, in the order the assignments were taken (they wait until the
//     callback is set);
//   - subscribers of the tenant concerned are notified (Subscribe): each
//     subscription holds at most one pending notification, so a slow
//     reader sees one notification for many changes, then reads the
//     Snapshot.
//
// A call's ticket carries at most one pending decision at a time (the
// next offer needs the controller's NoAnswer first), so its small buffer
// never fills; were it ever full, the decision would be logged and
// dropped rather than block every other call.
//
// Run fires the Center's timers (maximum waits, relaxation steps, end of
// wrap-up) when they are due (acd.Center.NextDue) and samples each
// tenant's figures once per Config.HistoryEvery for the supervisor
// chart (History: the last hour).
//
// Apply loads every tenant's groups, agents and pause reasons (from the
// store, after each change in the portal). Groups and agents that stay
// keep their live state: waiting contacts, agent states. A removed agent
// leaves its groups at once and is logged out and forgotten as soon as
// no call rings it or is in progress; a removed group refuses new callers
// and, having no members left, overflows its waiting callers with
// group_closed.
//
// IDs are the store's row ids as strings: acd.GroupID("7") is agent
// group 7, acd.AgentID("12") is agent 12, whose softphone is the SIP
// endpoint Endpoint(12), "vmsagent12".
//
// The package imports only the standard library and acd.
package center
