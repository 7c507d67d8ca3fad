package routing

import (
	"encoding/json"
	"strconv"
	"sync"
	"time"
)

// Trace returns the path the decision took and why (TRM-7, TRM-8): one
// Step per node passed, with a short English reason. The evaluation only
// records which node did what; the reasons are written here, on each
// call, so a caller that needs the trace more than once should keep the
// result. A zero Decision has no trace.
func (d Decision) Trace() []Step {
	p := d.path.plan
	if p == nil {
		return nil
	}
	r := renderers.Get().(*renderer)
	defer r.release()
	r.p, r.f = p, d.path.facts
	// Reasons are written into one reused buffer and turned into one
	// string, which the steps share.
	var small [64]int
	ends := small[:0]
	out := make([]Step, len(d.path.steps))
	for k, s := range d.path.steps {
		out[k].Node, out[k].Label = r.render(s)
		ends = append(ends, len(r.buf))
	}
	text := string(r.buf)
	start := 0
	for k, end := range ends {
		out[k].Why = text[start:end]
		start = end
	}
	return out
}

// MarshalJSON encodes the decision with its rendered trace:
// {"kind", "node", "attempt", "timeout", "trace"}.
func (d Decision) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Kind    Kind   `json:"kind"`
		Node    *Node  `json:"node"`
		Attempt int    `json:"attempt,omitempty"`
		Timeout int    `json:"timeout,omitempty"`
		Trace   []Step `json:"trace"`
	}{d.Kind, d.Node, d.Attempt, d.Timeout, d.Trace()})
}

// path is what a Decision keeps of its evaluation to render its trace:
// the plan (immutable), the steps, and the facts the reasons quote.
type path struct {
	plan  *Plan
	steps []pathStep
	facts pathFacts
}

// pathFacts are the facts of an evaluation that trace texts quote.
type pathFacts struct {
	caller, callerKind, dialed, digits string
	ref                                string  // node id given to Resume or Next
	outcome                            Outcome // outcome given to Next, when unknown
	random                             uint32
	withheld                           bool
	local                              localTime
}

// localTime is the call's arrival time in the tree's time zone.
type localTime struct {
	wday      time.Weekday
	sec       int // seconds after local midnight
	ymd       int // local date as yyyymmdd
	hour, min int
}

// pathStep is one recorded step: node index (-1 for steps outside the
// tree), what happened there, and a detail (branch index, outcome index,
// menu attempt or misuse).
type pathStep struct {
	node int32
	arg  int32
	what stepKind
	mode uint8 // how the call went on, for alternatives, menus and misuse
}

type stepKind uint8

const (
	stepDestination           stepKind = iota // destination or menu reached
	stepTimeMatch                             // arg: branch
	stepTimeDefault                           //
	stepDateMatch                             // arg: branch
	stepDateDefault                           //
	stepCallerWithheld                        // arg: branch
	stepCallerMatch                           // arg: branch
	stepCallerDefault                         //
	stepDialedMatch                           // arg: branch
	stepDialedDefault                         //
	stepListMatch                             // arg: branch
	stepListDefault                           //
	stepPercentMatch                          // arg: branch
	stepPercentNone                           //
	stepUnknownType                           //
	stepAlternative                           // arg: outcome index or -1; mode: alt*
	stepMenuPressed                           // arg: branch
	stepMenuRetry                             // arg: attempt
	stepMenuNoRetries                         // mode: menuBranch or menuDefault
	stepAnnouncementEnds                      //
	stepAnnouncementContinues                 //
	stepMisuse                                // arg: misuse; mode: altFallback or altHangup
	stepNowhere                               //
	stepLoop                                  //
)

// How a failed destination or a misuse goes on.
const (
	altOutcome   uint8 = iota // the alternative for the outcome
	altOtherwise              // the "otherwise" alternative
	altFallback               // the tree fallback
	altHangup                 // nowhere: hang up
)

// How a menu without retries left goes on.
const (
	menuBranch  uint8 = iota // the no_input or invalid branch
	menuDefault              // the default
)

// misuse is a call of Resume or Next that does not fit the plan.
type misuse int

const (
	misuseUnknownNode misuse = iota
	misuseCannotResume
	misuseNoAlternatives
)

// outcomeByIndex inverts outcomeIndex.
var outcomeByIndex = [numOutcomes]Outcome{
	OutcomeBusy, OutcomeNoAnswer, OutcomeUnreachable, OutcomeSiteDown,
	OutcomeGroupClosed, OutcomeGroupFull, OutcomeGroupTimeout,
}

var outcomeText = [numOutcomes]string{
	" was busy",
	" did not answer",
	" was unreachable",
	": its site is marked down",
	" was closed",
	" was full",
	": the caller waited the maximum time",
}

// localTime computes the call's local weekday, time and date once.
func (e *evaluation) localTime() {
	if e.haveLocal {
		return
	}
	t := e.f.Time.In(e.p.loc)
	y, m, d := t.Date()
	hour, min, sec := t.Clock()
	e.local = localTime{
		wday: t.Weekday(),
		sec:  hour*3600 + min*60 + sec,
		ymd:  y*10000 + int(m)*100 + d,
		hour: hour, min: min,
	}
	e.haveLocal = true
}

// renderer writes the reasons of recorded steps into one buffer.
type renderer struct {
	p   *Plan
	f   pathFacts
	buf []byte
}

var renderers = sync.Pool{New: func() any { return &renderer{buf: make([]byte, 0, 2048)} }}

// release returns r to the pool, dropping what it refers to. A buffer
// that grew very large is not kept.
func (r *renderer) release() {
	if cap(r.buf) > 1<<16 {
		return
	}
	*r = renderer{buf: r.buf[:0]}
	renderers.Put(r)
}

func (r *renderer) write(s string) { r.buf = append(r.buf, s...) }

func (r *renderer) writeByte(c byte) { r.buf = append(r.buf, c) }

func (r *renderer) write2(v int) {
	r.buf = append(r.buf, byte('0'+v/10%10), byte('0'+v%10))
}

func (r *renderer) writeInt(v int) { r.buf = strconv.AppendInt(r.buf, int64(v), 10) }

// render writes the reason of step s and returns its node and label.
func (r *renderer) render(s pathStep) (node, label string) {
	p := r.p
	switch s.what {
	case stepMisuse:
		r.misuse(misuse(s.arg))
		if s.mode == altFallback {
			r.write("; taking the tree fallback")
		} else {
			r.write("; hanging up")
		}
		return r.f.ref, ""
	case stepNowhere:
		r.write("the tree leads nowhere here; hanging up")
		return "", ""
	case stepLoop:
		r.write("stopped after ")
		r.writeInt(p.limit)
		r.write(" steps: the tree loops; hanging up")
		return "", ""
	}
	n := &p.nodes[s.node]
	var b *cbranch
	switch s.what {
	case stepTimeMatch, stepDateMatch, stepCallerWithheld, stepCallerMatch, stepDialedMatch,
		stepListMatch, stepPercentMatch, stepMenuPressed:
		b = &n.branches[s.arg]
	}
	switch s.what {
	case stepDestination:
		r.write(n.destWhy)
	case stepTimeMatch:
		r.time()
		r.write(" is ")
		r.write(b.rule)
	case stepTimeDefault:
		r.time()
		r.write(n.defWhy)
	case stepDateMatch:
		r.date()
		r.write(" is ")
		r.write(b.rule)
	case stepDateDefault:
		r.date()
		r.write(n.defWhy)
	case stepCallerWithheld:
		r.write("the caller's number is withheld")
	case stepCallerMatch:
		r.caller()
		r.write(" matches ")
		r.write(b.rule)
	case stepCallerDefault, stepListDefault:
		r.caller()
		r.write(n.defWhy)
	case stepDialedMatch:
		r.write("dialed ")
		r.write(r.f.dialed)
		r.write(" matches ")
		r.write(b.rule)
	case stepDialedDefault:
		r.write("dialed ")
		r.write(r.f.dialed)
		r.write(n.defWhy)
	case stepListMatch:
		r.caller()
		r.write(" is ")
		r.write(b.rule)
	case stepPercentMatch:
		r.write("random bucket ")
		r.writeInt(int(r.f.random % percentTotal))
		r.write(" of 0–99 falls in ")
		r.write(b.rule)
	case stepPercentNone:
		r.write("random bucket ")
		r.writeInt(int(r.f.random % percentTotal))
		r.write(" falls in no branch")
	case stepUnknownType:
		r.write("unknown node type ")
		r.write(string(n.typ))
	case stepAlternative:
		r.alternative(n, int(s.arg), s.mode)
	case stepMenuPressed:
		r.write("the caller pressed ")
		r.write(b.rule)
	case stepMenuRetry:
		r.menuFailure()
		r.write("; playing the menu again (retry ")
		r.writeInt(int(s.arg))
		r.write(" of ")
		r.writeInt(n.retries)
		r.writeByte(')')
	case stepMenuNoRetries:
		r.menuFailure()
		if s.mode == menuBranch {
			r.write("; no retries left, taking the ")
			if r.f.digits == "" {
				r.write("no-input")
			} else {
				r.write("invalid")
			}
			r.write(" branch")
		} else {
			r.write("; no retries left, taking the default")
		}
	case stepAnnouncementEnds:
		r.write("the announcement ends the call; hanging up")
	case stepAnnouncementContinues:
		r.write("announcement played; continuing at ")
		r.write(p.tree.Nodes[n.next].ID)
	}
	return n.node.ID, n.label
}

func (r *renderer) misuse(m misuse) {
	ref := r.f.ref
	var typ Type
	if i, ok := r.p.index[ref]; ok {
		typ = r.p.nodes[i].typ
	}
	switch m {
	case misuseUnknownNode:
		r.write("node ")
		r.buf = strconv.AppendQuote(r.buf, ref)
		r.write(" does not exist in tree ")
		r.write(r.p.tree.ID)
	case misuseCannotResume:
		r.write("cannot resume at a ")
		r.write(string(typ))
		r.write(" node")
	case misuseNoAlternatives:
		r.write("a ")
		r.write(string(typ))
		r.write(" node has no alternatives")
	}
}

// alternative writes why a failed destination went on as it did (TRM-4).
func (r *renderer) alternative(n *cnode, idx int, mode uint8) {
	o := r.f.outcome
	if idx >= 0 {
		o = outcomeByIndex[idx]
	}
	if o == OutcomeSiteDown && n.site != "" {
		r.write("site ")
		r.write(n.site)
		r.write(" of ")
		r.write(n.subject)
		r.write(" is marked down")
	} else {
		r.write(n.subject)
		if idx >= 0 {
			r.write(outcomeText[idx])
		} else {
			r.write(" failed (")
			r.write(string(o))
			r.writeByte(')')
		}
		if o == OutcomeNoAnswer && n.typ == TypeNumber {
			r.write(" within ")
			r.writeInt(n.ring)
			r.write(" s")
		}
	}
	switch mode {
	case altOutcome:
		r.write("; taking the ")
		r.write(string(o))
		r.write(" alternative")
	case altOtherwise:
		r.write("; taking the otherwise alternative")
	case altFallback:
		r.write("; no alternative for it, taking the tree fallback")
	default:
		r.write("; no alternative and no fallback, hanging up")
	}
}

// menuFailure writes what went wrong at a menu: no digits, or digits that
// are not an option.
func (r *renderer) menuFailure() {
	if r.f.digits == "" {
		r.write("no digits pressed")
		return
	}
	r.write("the caller pressed ")
	r.write(sanitizeDigits(r.f.digits))
	r.write(", which is not an option")
}

// time writes "Thu 09:12 Europe/Brussels".
func (r *renderer) time() {
	l := &r.f.local
	r.write(dayTitles[l.wday])
	r.writeByte(' ')
	r.write2(l.hour)
	r.writeByte(':')
	r.write2(l.min)
	r.writeByte(' ')
	r.write(r.p.zone)
}

// date writes "2026-12-25".
func (r *renderer) date() {
	ymd := r.f.local.ymd
	y := ymd / 10000
	r.write2(y / 100)
	r.write2(y % 100)
	r.writeByte('-')
	r.write2(ymd / 100 % 100)
	r.writeByte('-')
	r.write2(ymd % 100)
}

// caller writes "caller +3222221111 (fixed)" or "the withheld caller".
func (r *renderer) caller() {
	if r.f.withheld {
		r.write("the withheld caller")
		return
	}
	r.write("caller ")
	r.write(r.f.caller)
	if r.f.callerKind != "" {
		r.write(" (")
		r.write(r.f.callerKind)
		r.writeByte(')')
	}
}
