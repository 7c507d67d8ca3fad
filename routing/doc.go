// Package routing owns inbound call routing trees (TRM-1..TRM-7): the tree
// model that the portal stores, imports and exports as JSON; Validate,
// which checks a tree before it is saved and names the node at fault; and
// Compile, which turns a valid tree into a Plan that the controller asks,
// once per call, where the call goes and why.
//
// The package is pure: standard library only, no I/O, no clock, no random
// source, no logging. Everything a decision depends on comes in through
// Facts (arrival time, caller, dialed number, list membership, a random
// value, the digits pressed, the sites marked down), so the same Facts give
// the same Decision — which is what lets the portal simulator (TRM-7)
// answer "where would this call go, and why" without placing a call. It
// must not import other VMS packages: callers map its errors (a
// *ValidationError listing Problems) onto their own.
//
// # Evaluation
//
// Plan.Evaluate starts at the tree's start node and follows decision nodes
// until it reaches a destination (KindDestination) or a menu (KindMenu).
// The controller then carries the destination out, and reports back:
// Plan.Resume after a menu (with the digits) or after an announcement that
// continues, and Plan.Next when a number or group destination failed with
// an Outcome (busy, no_answer, unreachable, site_down, group_closed,
// group_full, group_timeout; TRM-4). Next takes the node's alternative for
// that outcome, else its "otherwise" alternative, else the tree fallback,
// else hangs up, so every call ends somewhere defined. A number whose site
// is in Facts.SitesDown is skipped at evaluation time as if it had failed
// with site_down (TRM-9).
//
// Every Decision has a Trace: one Step per node passed, with a short
// English reason ("Thu 09:12 Europe/Brussels is inside office hours
// (Mon–Fri 08:00–18:00)"), for the simulator and for call records (TRM-8).
// The evaluation records the path compactly (node, branch, facts quoted)
// and Decision.Trace writes the reasons only when asked, so routing a call
// costs no text.
//
// # Validation
//
// Validate reports every problem at once (TRM-5). Cycles are forbidden
// outright, including those through alternatives and through the implicit
// step from a failed destination to the tree fallback; a menu repeats its
// prompt through its own Retries, not through a cycle. Hence every
// evaluation and every chain of Next calls ends within the number of nodes
// of the tree; the evaluator still stops after that many steps, with a
// trace entry and a hang-up, should a plan ever loop. Numbers must be
// E.164 ('+', 8–15 digits); prefixes may be written in E.164 ("+322"),
// international ("00322") or national form ("02", with the tree's country
// code, 32 by default). Prompts, groups, other trees and caller lists are
// checked against Refs.
//
// # JSON model
//
// A tree is a list of nodes, each with a unique id, a type and the fields
// of its type. Decision nodes (time, date, caller, dialed, list, percent,
// menu) have ordered branches, the first match winning, and a default;
// destination nodes (number, announcement, group, tree, voicemail, hangup,
// busy) end the walk. Numbers and groups list their alternatives under
// "on", keyed by outcome:
//
//	{
//	  "id": "acme-main",
//	  "time_zone": "Europe/Brussels",
//	  "start": "hours",
//	  "fallback": "sorry",
//	  "calendars": [{"name": "holidays", "dates": [{"from": "12-25", "to": "12-26", "yearly": true}]}],
//	  "nodes": [
//	    {"id": "hours", "label": "Office hours?", "type": "time",
//	     "branches": [{"label": "office hours", "next": "reception",
//	                   "windows": [{"days": ["mon-fri"], "from": "08:00", "to": "18:00"}]}],
//	     "default": "closed"},
//	    {"id": "reception", "type": "number", "number": "+3222220000", "ring_timeout": 20,
//	     "on": {"busy": "mobile", "no_answer": "mobile"}},
//	    {"id": "mobile", "type": "number", "number": "+32475123456", "on": {"otherwise": "sorry"}},
//	    {"id": "closed", "type": "announcement", "prompt": "closed"},
//	    {"id": "sorry", "type": "announcement", "prompt": "sorry-try-later"}
//	  ]
//	}
//
// testdata/office.tree.json is a fuller example with a VIP list, a holiday
// calendar, a menu and an ACM group.
package routing
