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

// Decision is the result of an evaluation.
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
	// Trace is the path taken and why (TRM-7, TRM-8).
	Trace []Step `json:"trace"`
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
		return e.fail(nodeID, "node "+strconv.Quote(nodeID)+" does not exist in tree "+p.tree.ID)
	}
	n := &p.nodes[i]
	switch n.typ {
	case TypeMenu:
		return e.menuChoice(i)
	case TypeAnnouncement:
		if n.next < 0 {
			e.step(i, "the announcement ends the call; hanging up")
			return e.end()
		}
		e.step(i, "announcement played; continuing at ", p.tree.Nodes[n.next].ID)
		return e.run(n.next)
	}
	return e.fail(nodeID, "cannot resume at a "+string(n.typ)+" node")
}

// Next routes a call whose number or group destination failed with the
// given outcome (TRM-4): to the alternative for that outcome, else the
// node's "otherwise" alternative, else the tree fallback, else hang-up.
func (p *Plan) Next(destNodeID string, outcome Outcome, f Facts) Decision {
	e := newEvaluation(p, f)
	defer e.release()
	i, ok := p.index[destNodeID]
	if !ok {
		return e.fail(destNodeID, "node "+strconv.Quote(destNodeID)+" does not exist in tree "+p.tree.ID)
	}
	n := &p.nodes[i]
	if n.typ != TypeNumber && n.typ != TypeGroup {
		return e.fail(destNodeID, "a "+string(n.typ)+" node has no alternatives")
	}
	return e.alternative(i, outcome)
}

// rawStep is a step whose text still sits in evaluation.buf.
type rawStep struct {
	node, label string
	start, end  int
}

// evaluation is the state of one Evaluate, Resume or Next. Trace texts
// are written into one buffer and turned into strings once, when the
// Decision is made, so that a decision costs two allocations however
// long its path; the buffers are reused through a pool.
type evaluation struct {
	p     *Plan
	f     Facts
	steps int
	raw   []rawStep
	buf   []byte

	haveLocal bool
	wday      time.Weekday
	sec       int // seconds after local midnight
	ymd       int // local date as yyyymmdd
	hour, min int
}

var evaluations = sync.Pool{New: func() any {
	return &evaluation{raw: make([]rawStep, 0, 32), buf: make([]byte, 0, 2048)}
}}

func newEvaluation(p *Plan, f Facts) *evaluation {
	e := evaluations.Get().(*evaluation)
	e.p, e.f = p, f
	return e
}

// release returns e to the pool, dropping what it refers to. Buffers that
// grew very large are not kept.
func (e *evaluation) release() {
	if cap(e.buf) > 1<<16 || cap(e.raw) > 1<<10 {
		return
	}
	clear(e.raw) // do not keep old plans' strings alive
	*e = evaluation{raw: e.raw[:0], buf: e.buf[:0]}
	evaluations.Put(e)
}

func (e *evaluation) pos() int { return len(e.buf) }

func (e *evaluation) write(s string) { e.buf = append(e.buf, s...) }

func (e *evaluation) writeByte(c byte) { e.buf = append(e.buf, c) }

func (e *evaluation) write2(v int) {
	e.buf = append(e.buf, byte('0'+v/10%10), byte('0'+v%10))
}

func (e *evaluation) record(r rawStep) { e.raw = append(e.raw, r) }

// step records that the call went on from node i, for the reason given
// by the concatenation of parts.
func (e *evaluation) step(i int, parts ...string) {
	n := &e.p.nodes[i]
	e.addStep(n.node.ID, n.label, parts...)
}

func (e *evaluation) addStep(node, label string, parts ...string) {
	start := e.pos()
	for _, s := range parts {
		e.write(s)
	}
	e.record(rawStep{node: node, label: label, start: start, end: e.pos()})
}

// open starts a step whose text the caller writes; closeStep records it.
func (e *evaluation) open() int { return e.pos() }

func (e *evaluation) closeStep(i, start int, parts ...string) {
	for _, s := range parts {
		e.write(s)
	}
	n := &e.p.nodes[i]
	e.record(rawStep{node: n.node.ID, label: n.label, start: start, end: e.pos()})
}

// trace turns the recorded steps into the Decision's trace.
func (e *evaluation) trace() []Step {
	text := string(e.buf)
	out := make([]Step, len(e.raw))
	for k, r := range e.raw {
		out[k] = Step{Node: r.node, Label: r.label, Why: text[r.start:r.end]}
	}
	return out
}

func (e *evaluation) decide(kind Kind, i int) Decision {
	n := &e.p.nodes[i]
	d := Decision{Kind: kind, Node: n.node, Trace: e.trace()}
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
	return Decision{Kind: KindDestination, Node: &Node{Type: TypeHangup, Label: "end of call"}, Trace: e.trace()}
}

// fail records a misuse (unknown node, wrong node type) and sends the call
// to the tree fallback, or hangs up.
func (e *evaluation) fail(node, why string) Decision {
	if e.p.fallback >= 0 {
		e.addStep(node, "", why, "; taking the tree fallback")
		return e.run(e.p.fallback)
	}
	e.addStep(node, "", why, "; hanging up")
	return e.end()
}

var outcomeText = map[Outcome]string{
	OutcomeBusy:         " was busy",
	OutcomeNoAnswer:     " did not answer",
	OutcomeUnreachable:  " was unreachable",
	OutcomeSiteDown:     ": its site is marked down",
	OutcomeGroupClosed:  " was closed",
	OutcomeGroupFull:    " was full",
	OutcomeGroupTimeout: ": the caller waited the maximum time",
}

// alternative follows the dynamic alternative of destination i (TRM-4).
func (e *evaluation) alternative(i int, o Outcome) Decision {
	n := &e.p.nodes[i]
	what, known := outcomeText[o]
	if !known {
		what = " failed (" + string(o) + ")"
	}
	if o == OutcomeNoAnswer && n.typ == TypeNumber {
		what += " within " + strconv.Itoa(n.ring) + " s"
	}
	what = n.subject + what
	if o == OutcomeSiteDown && n.site != "" {
		what = "site " + n.site + " of " + n.subject + " is marked down"
	}
	if idx := outcomeIndex(o); idx >= 0 && n.on[idx] >= 0 {
		e.step(i, what, "; taking the ", string(o), " alternative")
		return e.run(n.on[idx])
	}
	if n.otherwise >= 0 {
		e.step(i, what, "; taking the otherwise alternative")
		return e.run(n.otherwise)
	}
	if e.p.fallback >= 0 && e.p.fallback != i {
		e.step(i, what, "; no alternative for it, taking the tree fallback")
		return e.run(e.p.fallback)
	}
	e.step(i, what, "; no alternative and no fallback, hanging up")
	return e.end()
}

func (e *evaluation) run(i int) Decision {
	for {
		if i < 0 || i >= len(e.p.nodes) {
			e.addStep("", "", "the tree leads nowhere here; hanging up")
			return e.end()
		}
		e.steps++
		if e.steps > e.p.limit {
			e.addStep("", "", "stopped after ", strconv.Itoa(e.p.limit), " steps: the tree loops; hanging up")
			return e.end()
		}
		n := &e.p.nodes[i]
		switch n.typ {
		case TypeNumber:
			if n.site != "" && e.f.SitesDown[n.site] {
				return e.alternative(i, OutcomeSiteDown)
			}
			e.step(i, n.destWhy)
			return e.decide(KindDestination, i)
		case TypeAnnouncement, TypeGroup, TypeTree, TypeVoicemail, TypeHangup, TypeBusy:
			e.step(i, n.destWhy)
			return e.decide(KindDestination, i)
		case TypeMenu:
			e.step(i, n.destWhy)
			return e.decide(KindMenu, i)
		}
		i = e.choose(i)
	}
}

// choose picks the branch of decision node i, records why, and returns
// the next node.
func (e *evaluation) choose(i int) int {
	n := &e.p.nodes[i]
	start := e.open()
	switch n.typ {
	case TypeTime:
		e.localTime()
		e.appendTime()
		for k := range n.branches {
			b := &n.branches[k]
			for _, w := range b.windows {
				if w.contains(e.wday, e.sec) {
					e.closeStep(i, start, " is ", b.rule)
					return b.next
				}
			}
		}
	case TypeDate:
		e.localTime()
		e.appendDate()
		for k := range n.branches {
			b := &n.branches[k]
			if inRanges(b.dates, e.ymd) || (b.hasCalendar && inRanges(b.calendar, e.ymd)) {
				e.closeStep(i, start, " is ", b.rule)
				return b.next
			}
		}
	case TypeCaller:
		withheld := e.f.withheld()
		for k := range n.branches {
			b := &n.branches[k]
			if b.withheld {
				if withheld {
					e.closeStep(i, start, "the caller's number is withheld")
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
			e.appendCaller()
			e.closeStep(i, start, " matches ", b.rule)
			return b.next
		}
		e.appendCaller()
	case TypeDialed:
		for k := range n.branches {
			b := &n.branches[k]
			if contains(b.numbers, e.f.Dialed) || hasAnyPrefix(e.f.Dialed, b.prefixes) {
				e.closeStep(i, start, "dialed ", e.f.Dialed, " matches ", b.rule)
				return b.next
			}
		}
		e.write("dialed ")
		e.write(e.f.Dialed)
	case TypeList:
		if !e.f.withheld() && e.f.InList != nil {
			for k := range n.branches {
				b := &n.branches[k]
				if e.f.InList(b.list, e.f.Caller) {
					e.appendCaller()
					e.closeStep(i, start, " is ", b.rule)
					return b.next
				}
			}
		}
		e.appendCaller()
	case TypePercent:
		bucket := int(e.f.Random % percentTotal)
		for k := range n.branches {
			b := &n.branches[k]
			if bucket < b.upto {
				e.closeStep(i, start, "random bucket ", strconv.Itoa(bucket), " of 0–99 falls in ", b.rule)
				return b.next
			}
		}
		e.closeStep(i, start, "random bucket ", strconv.Itoa(bucket), " falls in no branch")
		return n.def
	default:
		e.closeStep(i, start, "unknown node type ", string(n.typ))
		return -1
	}
	e.closeStep(i, start, n.defWhy)
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
				e.step(i, "the caller pressed ", b.rule)
				return e.run(b.next)
			}
		}
	}
	what := "no digits pressed"
	target := n.noInput
	outcome := "no-input"
	if digits != "" {
		what = "the caller pressed " + sanitizeDigits(digits) + ", which is not an option"
		target = n.invalid
		outcome = "invalid"
	}
	attempt := e.f.Attempt + 1
	if attempt < 1 {
		attempt = 1
	}
	if attempt <= n.retries {
		e.step(i, what, "; playing the menu again (retry ", strconv.Itoa(attempt), " of ", strconv.Itoa(n.retries), ")")
		d := e.decide(KindMenu, i)
		d.Attempt = attempt
		return d
	}
	if target >= 0 {
		e.step(i, what, "; no retries left, taking the ", outcome, " branch")
		return e.run(target)
	}
	e.step(i, what, "; no retries left, taking the default")
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

// localTime computes the call's local weekday, time and date once.
func (e *evaluation) localTime() {
	if e.haveLocal {
		return
	}
	t := e.f.Time.In(e.p.loc)
	y, m, d := t.Date()
	e.hour, e.min, _ = t.Clock()
	e.wday = t.Weekday()
	e.sec = t.Hour()*3600 + t.Minute()*60 + t.Second()
	e.ymd = y*10000 + int(m)*100 + d
	e.haveLocal = true
}

// appendTime writes "Thu 09:12 Europe/Brussels".
func (e *evaluation) appendTime() {
	e.write(dayTitles[e.wday])
	e.writeByte(' ')
	e.write2(e.hour)
	e.writeByte(':')
	e.write2(e.min)
	e.writeByte(' ')
	e.write(e.p.zone)
}

// appendDate writes "2026-12-25".
func (e *evaluation) appendDate() {
	y := e.ymd / 10000
	e.write2(y / 100)
	e.write2(y % 100)
	e.writeByte('-')
	e.write2(e.ymd / 100 % 100)
	e.writeByte('-')
	e.write2(e.ymd % 100)
}

// appendCaller writes "caller +3222221111 (fixed)" or "the withheld caller".
func (e *evaluation) appendCaller() {
	if e.f.withheld() {
		e.write("the withheld caller")
		return
	}
	e.write("caller ")
	e.write(e.f.Caller)
	if e.f.CallerKind != "" {
		e.write(" (")
		e.write(e.f.CallerKind)
		e.writeByte(')')
	}
}
