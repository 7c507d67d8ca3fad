package routing

import (
	"strconv"
	"strings"
	"sync"
	"time"
)

// Plan is a compiled tree: immutable and safe for concurrent use. A call
// keeps the Plan it started with (TRM-6).
type Plan struct {
	tree     Tree
	loc      *time.Location
	zone     string
	nodes    []cnode
	index    map[string]int
	start    int
	fallback int
	limit    int // most steps a single evaluation may take
}

// ID returns the id of the compiled tree.
func (p *Plan) ID() string { return p.tree.ID }

// Node returns the node with the given id. The node belongs to the plan
// and must not be modified.
func (p *Plan) Node(id string) (*Node, bool) {
	i, ok := p.index[id]
	if !ok {
		return nil, false
	}
	return p.nodes[i].node, true
}

type cnode struct {
	node     *Node
	typ      Type
	label    string
	branches []cbranch
	def      int
	defWhy   string

	// menu
	timeout, retries int
	noInput, invalid int

	// destinations
	destWhy   string
	subject   string // "+3222221111" or "group sales", for outcome texts
	site      string
	ring      int
	next      int // announcement continuation
	on        [numOutcomes]int
	otherwise int
}

type cwindow struct {
	days     uint8 // bit per time.Weekday
	from, to int   // seconds after midnight; to < from crosses midnight
}

type cbranch struct {
	next int
	rule string // trace text of the condition

	windows     []cwindow
	dates       []crange
	calendar    []crange
	hasCalendar bool
	prefixes    []string
	numbers     []string
	kinds       []string
	withheld    bool
	list        string
	upto        int // percent: the branch takes buckets below upto
	digits      string
}

// Facts are everything the evaluation depends on; routing never reads the
// clock or a random source itself.
type Facts struct {
	// Time is when the call arrived; it is seen in the tree's time zone.
	Time time.Time
	// Caller is the caller's number in E.164, "" when withheld.
	Caller string
	// CallerWithheld is set when the caller withheld the number (CLIR).
	CallerWithheld bool
	// CallerKind is KindFixed, KindMobile or KindInternational, as the
	// caller of Evaluate classified the number.
	CallerKind string
	// Dialed is the dialed number in E.164.
	Dialed string
	// InList reports whether number is in the customer list; nil means
	// every list is empty.
	InList func(list, number string) bool
	// Random picks percent branches: bucket Random%100. Pass a uniformly
	// random value per call.
	Random uint32
	// Digits are the DTMF digits pressed at a menu ("" on timeout), for
	// Resume.
	Digits string
	// Attempt is the number of failed tries at a menu so far, for Resume:
	// pass back Decision.Attempt.
	Attempt int
	// SitesDown holds the customer sites marked down (TRM-9).
	SitesDown map[string]bool
}

func (f *Facts) withheld() bool { return f.CallerWithheld || f.Caller == "" }

// Kind says what the controller must do with a Decision.
type Kind string

const (
	// KindDestination: carry out Node, a destination node. For a number or
	// group, report a failure with Next; after an announcement with a Next
	// node, call Resume.
	KindDestination Kind = "destination"
	// KindMenu: play Node.Prompt, wait Decision.Timeout seconds for digits,
	// then call Resume with Facts.Digits and Facts.Attempt = Decision.Attempt.
	KindMenu Kind = "menu"
)

// Decision is the result of an evaluation. Its Trace method tells the
// path taken and why; for that, a Decision refers to its Plan and to the
// facts its reasons quote.
type Decision struct {
	Kind Kind `json:"kind"`
	// Node is the destination or menu reached. It belongs to the plan and
	// must not be modified. Its ID is "" for the built-in hang-up used when
	// a tree defines no way on.
	Node *Node `json:"node"`
	// Attempt counts the failed tries at a menu (KindMenu only).
	Attempt int `json:"attempt,omitempty"`
	// Timeout is the wait in seconds with defaults applied: how long a
	// number rings before no_answer, or how long a menu waits for digits.
	Timeout int `json:"timeout,omitempty"`

	// path records the steps taken, for Trace.
	path path
}

// NodeID returns the id of the node reached ("" for the built-in hang-up).
func (d Decision) NodeID() string {
	if d.Node == nil {
		return ""
	}
	return d.Node.ID
}

// Step is one node on the path, with the reason the call went on from it.
type Step struct {
	Node  string `json:"node"`
	Label string `json:"label,omitempty"`
	Why   string `json:"why"`
}

// TraceText renders steps one per line, for logs and the simulator.
func TraceText(steps []Step) string {
	var b strings.Builder
	for _, s := range steps {
		b.WriteString(orText(s.Label, s.Node))
		b.WriteString(": ")
		b.WriteString(s.Why)
		b.WriteByte('\n')
	}
	return b.String()
}

// Evaluate routes a new call from the tree's start node.
func (p *Plan) Evaluate(f Facts) Decision {
	e := newEvaluation(p, f)
	defer e.release()
	return e.run(p.start)
}

// Resume continues a call at a menu, with the digits the caller pressed in
// f.Digits ("" on timeout) and the failed tries so far in f.Attempt, or
// after an announcement that continues to a next node.
func (p *Plan) Resume(nodeID string, f Facts) Decision {
	e := newEvaluation(p, f)
	defer e.release()
	i, ok := p.index[nodeID]
	if !ok {
		return e.fail(nodeID, misuseUnknownNode)
	}
	n := &p.nodes[i]
	switch n.typ {
	case TypeMenu:
		return e.menuChoice(i)
	case TypeAnnouncement:
		if n.next < 0 {
			e.step(i, stepAnnouncementEnds, 0, 0)
			return e.end()
		}
		e.step(i, stepAnnouncementContinues, 0, 0)
		return e.run(n.next)
	}
	return e.fail(nodeID, misuseCannotResume)
}

// Next routes a call whose number or group destination failed with the
// given outcome (TRM-4): to the alternative for that outcome, else the
// node's "otherwise" alternative, else the tree fallback, else hang-up.
func (p *Plan) Next(destNodeID string, outcome Outcome, f Facts) Decision {
	e := newEvaluation(p, f)
	defer e.release()
	i, ok := p.index[destNodeID]
	if !ok {
		return e.fail(destNodeID, misuseUnknownNode)
	}
	n := &p.nodes[i]
	if n.typ != TypeNumber && n.typ != TypeGroup {
		return e.fail(destNodeID, misuseNoAlternatives)
	}
	return e.alternative(i, outcome)
}

// evaluation is the state of one Evaluate, Resume or Next. It records the
// path as compact steps (node, what happened, which branch) and leaves
// the English reasons to Decision.Trace, so that deciding costs one small
// allocation however long the path, and no text at all; evaluations are
// reused through a pool.
type evaluation struct {
	p     *Plan
	f     Facts
	steps int // nodes entered, for the loop guard
	raw   []pathStep

	ref     string  // node id given to Resume or Next, for a misuse step
	outcome Outcome // outcome given to Next, when it is not a known one

	haveLocal bool
	local     localTime
}

var evaluations = sync.Pool{New: func() any {
	return &evaluation{raw: make([]pathStep, 0, 32)}
}}

func newEvaluation(p *Plan, f Facts) *evaluation {
	e := evaluations.Get().(*evaluation)
	e.p, e.f = p, f
	return e
}

// release returns e to the pool, dropping what it refers to. A buffer
// that grew very large is not kept.
func (e *evaluation) release() {
	if cap(e.raw) > 1<<10 {
		return
	}
	*e = evaluation{raw: e.raw[:0]}
	evaluations.Put(e)
}

// step records that the call went on from node i.
func (e *evaluation) step(i int, what stepKind, mode uint8, arg int) {
	e.raw = append(e.raw, pathStep{node: int32(i), arg: int32(arg), what: what, mode: mode})
}

// path hands the recorded steps, and the facts their reasons quote, over
// to a Decision.
func (e *evaluation) path() path {
	steps := make([]pathStep, len(e.raw))
	copy(steps, e.raw)
	return path{plan: e.p, steps: steps, facts: pathFacts{
		caller:     e.f.Caller,
		callerKind: e.f.CallerKind,
		dialed:     e.f.Dialed,
		digits:     e.f.Digits,
		ref:        e.ref,
		outcome:    e.outcome,
		random:     e.f.Random,
		withheld:   e.f.withheld(),
		local:      e.local,
	}}
}

func (e *evaluation) decide(kind Kind, i int) Decision {
	n := &e.p.nodes[i]
	d := Decision{Kind: kind, Node: n.node, path: e.path()}
	switch n.typ {
	case TypeNumber:
		d.Timeout = n.ring
	case TypeMenu:
		d.Timeout = n.timeout
	}
	return d
}

// end hangs up: the built-in treatment when the tree defines no way on.
func (e *evaluation) end() Decision {
	return Decision{Kind: KindDestination, Node: &Node{Type: TypeHangup, Label: "end of call"}, path: e.path()}
}

// fail records a misuse (unknown node, wrong node type) and sends the call
// to the tree fallback, or hangs up.
func (e *evaluation) fail(node string, why misuse) Decision {
	e.ref = node
	if e.p.fallback >= 0 {
		e.step(-1, stepMisuse, altFallback, int(why))
		return e.run(e.p.fallback)
	}
	e.step(-1, stepMisuse, altHangup, int(why))
	return e.end()
}

// alternative follows the dynamic alternative of destination i (TRM-4).
func (e *evaluation) alternative(i int, o Outcome) Decision {
	n := &e.p.nodes[i]
	idx := outcomeIndex(o)
	if idx < 0 {
		e.outcome = o
	}
	switch {
	case idx >= 0 && n.on[idx] >= 0:
		e.step(i, stepAlternative, altOutcome, idx)
		return e.run(n.on[idx])
	case n.otherwise >= 0:
		e.step(i, stepAlternative, altOtherwise, idx)
		return e.run(n.otherwise)
	case e.p.fallback >= 0 && e.p.fallback != i:
		e.step(i, stepAlternative, altFallback, idx)
		return e.run(e.p.fallback)
	}
	e.step(i, stepAlternative, altHangup, idx)
	return e.end()
}

func (e *evaluation) run(i int) Decision {
	for {
		if i < 0 || i >= len(e.p.nodes) {
			e.step(-1, stepNowhere, 0, 0)
			return e.end()
		}
		e.steps++
		if e.steps > e.p.limit {
			e.step(-1, stepLoop, 0, 0)
			return e.end()
		}
		n := &e.p.nodes[i]
		switch n.typ {
		case TypeNumber:
			if n.site != "" && e.f.SitesDown[n.site] {
				return e.alternative(i, OutcomeSiteDown)
			}
			e.step(i, stepDestination, 0, 0)
			return e.decide(KindDestination, i)
		case TypeAnnouncement, TypeGroup, TypeTree, TypeVoicemail, TypeHangup, TypeBusy:
			e.step(i, stepDestination, 0, 0)
			return e.decide(KindDestination, i)
		case TypeMenu:
			e.step(i, stepDestination, 0, 0)
			return e.decide(KindMenu, i)
		}
		i = e.choose(i)
	}
}

// choose picks the branch of decision node i, records why, and returns
// the next node.
func (e *evaluation) choose(i int) int {
	n := &e.p.nodes[i]
	switch n.typ {
	case TypeTime:
		e.localTime()
		for k := range n.branches {
			b := &n.branches[k]
			for _, w := range b.windows {
				if w.contains(e.local.wday, e.local.sec) {
					e.step(i, stepTimeMatch, 0, k)
					return b.next
				}
			}
		}
		e.step(i, stepTimeDefault, 0, 0)
	case TypeDate:
		e.localTime()
		for k := range n.branches {
			b := &n.branches[k]
			if inRanges(b.dates, e.local.ymd) || (b.hasCalendar && inRanges(b.calendar, e.local.ymd)) {
				e.step(i, stepDateMatch, 0, k)
				return b.next
			}
		}
		e.step(i, stepDateDefault, 0, 0)
	case TypeCaller:
		withheld := e.f.withheld()
		for k := range n.branches {
			b := &n.branches[k]
			if b.withheld {
				if withheld {
					e.step(i, stepCallerWithheld, 0, k)
					return b.next
				}
				continue
			}
			if withheld {
				continue
			}
			if len(b.prefixes) > 0 && !hasAnyPrefix(e.f.Caller, b.prefixes) {
				continue
			}
			if len(b.kinds) > 0 && !contains(b.kinds, e.f.CallerKind) {
				continue
			}
			e.step(i, stepCallerMatch, 0, k)
			return b.next
		}
		e.step(i, stepCallerDefault, 0, 0)
	case TypeDialed:
		for k := range n.branches {
			b := &n.branches[k]
			if contains(b.numbers, e.f.Dialed) || hasAnyPrefix(e.f.Dialed, b.prefixes) {
				e.step(i, stepDialedMatch, 0, k)
				return b.next
			}
		}
		e.step(i, stepDialedDefault, 0, 0)
	case TypeList:
		if !e.f.withheld() && e.f.InList != nil {
			for k := range n.branches {
				b := &n.branches[k]
				if e.f.InList(b.list, e.f.Caller) {
					e.step(i, stepListMatch, 0, k)
					return b.next
				}
			}
		}
		e.step(i, stepListDefault, 0, 0)
	case TypePercent:
		bucket := int(e.f.Random % percentTotal)
		for k := range n.branches {
			b := &n.branches[k]
			if bucket < b.upto {
				e.step(i, stepPercentMatch, 0, k)
				return b.next
			}
		}
		e.step(i, stepPercentNone, 0, 0)
		return n.def
	default:
		e.step(i, stepUnknownType, 0, 0)
		return -1
	}
	return n.def
}

// menuChoice handles the digits pressed at menu i.
func (e *evaluation) menuChoice(i int) Decision {
	n := &e.p.nodes[i]
	digits := e.f.Digits
	if digits != "" {
		for k := range n.branches {
			b := &n.branches[k]
			if b.digits == digits {
				e.step(i, stepMenuPressed, 0, k)
				return e.run(b.next)
			}
		}
	}
	target := n.noInput
	if digits != "" {
		target = n.invalid
	}
	attempt := e.f.Attempt + 1
	if attempt < 1 {
		attempt = 1
	}
	if attempt <= n.retries {
		e.step(i, stepMenuRetry, 0, attempt)
		d := e.decide(KindMenu, i)
		d.Attempt = attempt
		return d
	}
	if target >= 0 {
		e.step(i, stepMenuNoRetries, menuBranch, 0)
		return e.run(target)
	}
	e.step(i, stepMenuNoRetries, menuDefault, 0)
	return e.run(n.def)
}

// sanitizeDigits keeps untrusted DTMF input short and printable in traces.
func sanitizeDigits(s string) string {
	if len(s) > 2*maxDigitsLength {
		s = s[:2*maxDigitsLength] + "…"
	}
	return strconv.QuoteToASCII(s)[1 : len(strconv.QuoteToASCII(s))-1]
}

func (w cwindow) contains(day time.Weekday, sec int) bool {
	if w.from < w.to {
		return w.days&(1<<day) != 0 && w.from <= sec && sec < w.to
	}
	// Crosses midnight: the part from From until midnight belongs to the
	// listed day, the part after midnight to the day after.
	if w.days&(1<<day) != 0 && sec >= w.from {
		return true
	}
	prev := (day + 6) % 7
	return w.days&(1<<prev) != 0 && sec < w.to
}

func inRanges(rs []crange, ymd int) bool {
	for _, r := range rs {
		if r.contains(ymd) {
			return true
		}
	}
	return false
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
