package routing

import (
	"strconv"
	"strings"
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
	// KindMenu: play Node.Prompt, wait Node.Timeout seconds for digits, then
	// call Resume with Facts.Digits and Facts.Attempt = Decision.Attempt.
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
	e := evaluation{p: p, f: &f}
	e.trace = make([]Step, 0, 8)
	return e.run(p.start)
}

// Resume continues a call at a menu, with the digits the caller pressed in
// f.Digits ("" on timeout) and the failed tries so far in f.Attempt, or
// after an announcement that continues to a next node.
func (p *Plan) Resume(nodeID string, f Facts) Decision {
	e := evaluation{p: p, f: &f}
	e.trace = make([]Step, 0, 8)
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
		e.step(i, "announcement played; continuing at "+p.tree.Nodes[n.next].ID)
		return e.run(n.next)
	}
	return e.fail(nodeID, "cannot resume at a "+string(n.typ)+" node")
}

// Next routes a call whose number or group destination failed with the
// given outcome (TRM-4): to the alternative for that outcome, else the
// node's "otherwise" alternative, else the tree fallback, else hang-up.
func (p *Plan) Next(destNodeID string, outcome Outcome, f Facts) Decision {
	e := evaluation{p: p, f: &f}
	e.trace = make([]Step, 0, 8)
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

// evaluation is the state of one Evaluate, Resume or Next.
type evaluation struct {
	p     *Plan
	f     *Facts
	trace []Step
	steps int

	local     time.Time
	haveLocal bool
	timeText  string
	dateText  string
	callerTxt string
}

func (e *evaluation) step(i int, why string) {
	n := &e.p.nodes[i]
	e.trace = append(e.trace, Step{Node: n.node.ID, Label: n.label, Why: why})
}

func (e *evaluation) decide(kind Kind, i int) Decision {
	return Decision{Kind: kind, Node: e.p.nodes[i].node, Trace: e.trace}
}

// end hangs up: the built-in treatment when the tree defines no way on.
func (e *evaluation) end() Decision {
	return Decision{Kind: KindDestination, Node: &Node{Type: TypeHangup, Label: "end of call"}, Trace: e.trace}
}

// fail records a misuse (unknown node, wrong node type) and sends the call
// to the tree fallback, or hangs up.
func (e *evaluation) fail(node, why string) Decision {
	if e.p.fallback >= 0 {
		e.trace = append(e.trace, Step{Node: node, Why: why + "; taking the tree fallback"})
		return e.run(e.p.fallback)
	}
	e.trace = append(e.trace, Step{Node: node, Why: why + "; hanging up"})
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
		e.step(i, what+"; taking the "+string(o)+" alternative")
		return e.run(n.on[idx])
	}
	if n.otherwise >= 0 {
		e.step(i, what+"; taking the otherwise alternative")
		return e.run(n.otherwise)
	}
	if e.p.fallback >= 0 && e.p.fallback != i {
		e.step(i, what+"; no alternative for it, taking the tree fallback")
		return e.run(e.p.fallback)
	}
	e.step(i, what+"; no alternative and no fallback, hanging up")
	return e.end()
}

func (e *evaluation) run(i int) Decision {
	for {
		if i < 0 || i >= len(e.p.nodes) {
			e.trace = append(e.trace, Step{Why: "the tree leads nowhere here; hanging up"})
			return e.end()
		}
		e.steps++
		if e.steps > e.p.limit {
			e.trace = append(e.trace, Step{Why: "stopped after " + strconv.Itoa(e.p.limit) + " steps: the tree loops; hanging up"})
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
			e.step(i, "play menu prompt "+n.node.Prompt+" and wait "+strconv.Itoa(n.timeout)+" s for digits")
			return e.decide(KindMenu, i)
		}
		next, why := e.choose(n)
		e.step(i, why)
		i = next
	}
}

// choose picks the branch of decision node n and says why.
func (e *evaluation) choose(n *cnode) (int, string) {
	switch n.typ {
	case TypeTime:
		subject := e.timeSubject()
		local := e.localTime()
		day := local.Weekday()
		sec := local.Hour()*3600 + local.Minute()*60 + local.Second()
		for k := range n.branches {
			b := &n.branches[k]
			for _, w := range b.windows {
				if w.contains(day, sec) {
					return b.next, subject + " is " + b.rule
				}
			}
		}
		return n.def, subject + n.defWhy
	case TypeDate:
		subject := e.dateSubject()
		local := e.localTime()
		ymd := local.Year()*10000 + int(local.Month())*100 + local.Day()
		for k := range n.branches {
			b := &n.branches[k]
			if inRanges(b.dates, ymd) || (b.hasCalendar && inRanges(b.calendar, ymd)) {
				return b.next, subject + " is " + b.rule
			}
		}
		return n.def, subject + n.defWhy
	case TypeCaller:
		subject := e.callerSubject()
		withheld := e.f.withheld()
		for k := range n.branches {
			b := &n.branches[k]
			if b.withheld {
				if withheld {
					return b.next, "the caller's number is withheld"
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
			return b.next, subject + " matches " + b.rule
		}
		return n.def, subject + n.defWhy
	case TypeDialed:
		for k := range n.branches {
			b := &n.branches[k]
			if contains(b.numbers, e.f.Dialed) || hasAnyPrefix(e.f.Dialed, b.prefixes) {
				return b.next, "dialed " + e.f.Dialed + " matches " + b.rule
			}
		}
		return n.def, "dialed " + e.f.Dialed + n.defWhy
	case TypeList:
		subject := e.callerSubject()
		if !e.f.withheld() && e.f.InList != nil {
			for k := range n.branches {
				b := &n.branches[k]
				if e.f.InList(b.list, e.f.Caller) {
					return b.next, subject + " is " + b.rule
				}
			}
		}
		return n.def, subject + n.defWhy
	case TypePercent:
		bucket := int(e.f.Random % percentTotal)
		for k := range n.branches {
			b := &n.branches[k]
			if bucket < b.upto {
				return b.next, "random bucket " + strconv.Itoa(bucket) + " of 0–99 falls in " + b.rule
			}
		}
		return n.def, "random bucket " + strconv.Itoa(bucket) + " falls in no branch"
	}
	return -1, "unknown node type " + string(n.typ)
}

// menuChoice handles the digits pressed at menu i.
func (e *evaluation) menuChoice(i int) Decision {
	n := &e.p.nodes[i]
	digits := e.f.Digits
	if digits != "" {
		for k := range n.branches {
			b := &n.branches[k]
			if b.digits == digits {
				e.step(i, "the caller pressed "+b.rule)
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
		e.step(i, what+"; playing the menu again (retry "+strconv.Itoa(attempt)+" of "+strconv.Itoa(n.retries)+")")
		d := e.decide(KindMenu, i)
		d.Attempt = attempt
		return d
	}
	if target >= 0 {
		e.step(i, what+"; no retries left, taking the "+outcome+" branch")
		return e.run(target)
	}
	e.step(i, what+"; no retries left, taking the default")
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

func (e *evaluation) localTime() time.Time {
	if !e.haveLocal {
		e.local = e.f.Time.In(e.p.loc)
		e.haveLocal = true
	}
	return e.local
}

// timeSubject is "Thu 09:12 Europe/Brussels", computed once per evaluation.
func (e *evaluation) timeSubject() string {
	if e.timeText == "" {
		t := e.localTime()
		var buf [64]byte
		b := append(buf[:0], dayTitles[t.Weekday()]...)
		b = append(b, ' ')
		b = append2(b, t.Hour())
		b = append(b, ':')
		b = append2(b, t.Minute())
		b = append(b, ' ')
		b = append(b, e.p.zone...)
		e.timeText = string(b)
	}
	return e.timeText
}

// dateSubject is "2026-12-25", computed once per evaluation.
func (e *evaluation) dateSubject() string {
	if e.dateText == "" {
		t := e.localTime()
		var buf [16]byte
		b := strconv.AppendInt(buf[:0], int64(t.Year()), 10)
		b = append(b, '-')
		b = append2(b, int(t.Month()))
		b = append(b, '-')
		b = append2(b, t.Day())
		e.dateText = string(b)
	}
	return e.dateText
}

func (e *evaluation) callerSubject() string {
	if e.callerTxt == "" {
		if e.f.withheld() {
			e.callerTxt = "the withheld caller"
		} else {
			e.callerTxt = "caller " + e.f.Caller
			if e.f.CallerKind != "" {
				e.callerTxt += " (" + e.f.CallerKind + ")"
			}
		}
	}
	return e.callerTxt
}

func append2(b []byte, v int) []byte {
	return append(b, byte('0'+v/10%10), byte('0'+v%10))
}
