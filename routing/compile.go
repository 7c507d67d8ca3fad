package routing

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones must load on hosts without tzdata
	"unicode"
	"unicode/utf8"
)

// Validate checks a tree before it is saved (TRM-5). It returns nil or a
// *ValidationError listing every problem found, each naming the node.
//
// Rules: node ids are unique; Start, Fallback and every branch, default
// and alternative name an existing node; every decision has a default
// (percent nodes excepted: their weights sum to 100); the graph has no
// cycle at all, counting the implicit step from a destination without an
// alternative to the tree fallback, so every call reaches a destination
// in a bounded number of steps (a menu replays its prompt through its
// Retries, not through a cycle); numbers are E.164; time windows, dates
// and prefixes parse; prompts, groups, trees and lists exist in refs.
func Validate(t *Tree, refs Refs) error {
	_, err := Compile(t, refs)
	return err
}

// Compile validates t and turns it into a Plan: an immutable, indexed form
// that is safe for concurrent use by many calls. The Plan keeps its own
// copy of the tree, so t may be changed afterwards (TRM-6: a call keeps the
// plan it started with).
func Compile(t *Tree, refs Refs) (*Plan, error) {
	c := &compiler{refs: refs}
	p := c.compile(t)
	if len(c.problems) > 0 {
		return nil, &ValidationError{Problems: c.problems}
	}
	return p, nil
}

// compileUnchecked builds a plan even when the tree has problems, leaving
// bad references unresolved. Tests use it to prove the evaluator's guards.
func compileUnchecked(t *Tree) (*Plan, []Problem) {
	c := &compiler{skipCycles: true}
	p := c.compile(t)
	return p, c.problems
}

type compiler struct {
	refs       Refs
	problems   []Problem
	skipCycles bool

	index     map[string]int
	calendars map[string][]crange
	cc        string // country code digits

	// current node, for problem reports
	nodeID   string
	nodePath string
}

func (c *compiler) treeProblem(field, format string, args ...any) {
	c.problems = append(c.problems, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (c *compiler) problem(field, format string, args ...any) {
	c.problems = append(c.problems, Problem{Node: c.nodeID, Field: c.nodePath + field, Message: fmt.Sprintf(format, args...)})
}

func (c *compiler) compile(t *Tree) *Plan {
	if t == nil {
		c.treeProblem("", "no tree given")
		return nil
	}
	p := &Plan{tree: cloneTree(t), start: -1, fallback: -1}

	zone := t.TimeZone
	if zone == "" {
		zone = DefaultTimeZone
	}
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "Local" {
		c.treeProblem("time_zone", "unknown time zone %q", zone)
		loc = time.UTC
	}
	p.loc, p.zone = loc, zone

	c.cc = t.CountryCode
	if c.cc == "" {
		c.cc = DefaultCountryCode
	} else if !allDigits(c.cc) || len(c.cc) > 3 || c.cc[0] == '0' {
		c.treeProblem("country_code", "must be 1 to 3 digits without a leading 0, such as 32")
		c.cc = DefaultCountryCode
	}

	if len(t.Nodes) == 0 {
		c.treeProblem("nodes", "a tree needs at least one node")
		return p
	}
	if len(t.Nodes) > MaxNodes {
		c.treeProblem("nodes", "a tree may have at most %d nodes, this one has %d", MaxNodes, len(t.Nodes))
		return p
	}

	// Ids first, so that references can be resolved in any order.
	c.index = make(map[string]int, len(t.Nodes))
	for i := range t.Nodes {
		id := t.Nodes[i].ID
		c.enterNode(i, id)
		if msg := checkName(id); msg != "" {
			c.problem("id", "%s", msg)
			continue
		}
		if _, dup := c.index[id]; dup {
			c.problem("id", "id %q is used by more than one node", id)
			continue
		}
		c.index[id] = i
	}
	c.nodeID, c.nodePath = "", ""

	c.compileCalendars(t.Calendars)

	p.nodes = make([]cnode, len(t.Nodes))
	for i := range t.Nodes {
		n := &t.Nodes[i]
		c.enterNode(i, n.ID)
		p.nodes[i] = c.compileNode(n, &p.tree.Nodes[i], t.ID)
	}
	c.nodeID, c.nodePath = "", ""

	if t.Start == "" {
		c.treeProblem("start", "is required: name the node every call starts at")
	} else if i, ok := c.index[t.Start]; ok {
		p.start = i
	} else {
		c.treeProblem("start", "node %q does not exist", t.Start)
	}
	if t.Fallback != "" {
		if i, ok := c.index[t.Fallback]; ok {
			p.fallback = i
		} else {
			c.treeProblem("fallback", "node %q does not exist", t.Fallback)
		}
	}

	p.index = make(map[string]int, len(c.index))
	for id, i := range c.index {
		p.index[id] = i
	}
	p.limit = len(p.nodes) + 2
	if !c.skipCycles {
		c.checkCyclesIn(p)
	}
	return p
}

func (c *compiler) enterNode(i int, id string) {
	if id == "" || checkName(id) != "" {
		c.nodeID, c.nodePath = "", "nodes["+strconv.Itoa(i)+"]."
		if id != "" && utf8.ValidString(id) && len(id) <= 2*maxIDLength {
			c.nodeID, c.nodePath = id, ""
		}
		return
	}
	c.nodeID, c.nodePath = id, ""
}

// checkName returns why id is not a usable node id or calendar name, or "".
func checkName(id string) string {
	switch {
	case id == "":
		return "is required"
	case len(id) > maxIDLength:
		return fmt.Sprintf("must be at most %d characters", maxIDLength)
	case !utf8.ValidString(id):
		return "must be valid UTF-8"
	}
	for _, r := range id {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return "must not contain spaces or control characters"
		}
	}
	return ""
}

func (c *compiler) compileCalendars(cals []Calendar) {
	c.calendars = make(map[string][]crange, len(cals))
	for i, cal := range cals {
		field := "calendars[" + strconv.Itoa(i) + "]"
		if msg := checkName(cal.Name); msg != "" {
			c.treeProblem(field+".name", "%s", msg)
			continue
		}
		if _, dup := c.calendars[cal.Name]; dup {
			c.treeProblem(field+".name", "calendar %q is defined more than once", cal.Name)
			continue
		}
		ranges := make([]crange, 0, len(cal.Dates))
		for j, d := range cal.Dates {
			r, msg := parseRange(d)
			if msg != "" {
				c.treeProblem(field+".dates["+strconv.Itoa(j)+"]", "%s", msg)
				continue
			}
			ranges = append(ranges, r)
		}
		c.calendars[cal.Name] = ranges
	}
}

// target resolves a required or optional node reference.
func (c *compiler) target(field, id string, required bool) int {
	if id == "" {
		if required {
			c.problem(field, "is required")
		}
		return -1
	}
	if i, ok := c.index[id]; ok {
		return i
	}
	c.problem(field, "node %q does not exist", id)
	return -1
}

func (c *compiler) prompt(field, id string, required bool) {
	if id == "" {
		if required {
			c.problem(field, "is required: name the prompt to play")
		}
		return
	}
	if c.refs != nil && !c.refs.PromptExists(id) {
		c.problem(field, "prompt %q does not exist", id)
	}
}

// branchFields lists, per decision type, the condition fields a branch may
// use; the rest must be empty.
var branchFields = map[Type][]string{
	TypeTime:    {"windows"},
	TypeDate:    {"dates", "calendar"},
	TypeCaller:  {"prefixes", "kinds", "withheld"},
	TypeDialed:  {"prefixes", "numbers"},
	TypeList:    {"list"},
	TypePercent: {"weight"},
	TypeMenu:    {"digits"},
}

func usedFields(b *Branch) []string {
	var f []string
	if len(b.Windows) > 0 {
		f = append(f, "windows")
	}
	if len(b.Dates) > 0 {
		f = append(f, "dates")
	}
	if b.Calendar != "" {
		f = append(f, "calendar")
	}
	if len(b.Prefixes) > 0 {
		f = append(f, "prefixes")
	}
	if len(b.Kinds) > 0 {
		f = append(f, "kinds")
	}
	if b.Withheld {
		f = append(f, "withheld")
	}
	if len(b.Numbers) > 0 {
		f = append(f, "numbers")
	}
	if b.List != "" {
		f = append(f, "list")
	}
	if b.Weight != 0 {
		f = append(f, "weight")
	}
	if b.Digits != "" {
		f = append(f, "digits")
	}
	return f
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (c *compiler) compileNode(n, copyNode *Node, treeID string) cnode {
	cn := cnode{
		node: copyNode, typ: n.Type, label: n.Label,
		def: -1, otherwise: -1, next: -1, noInput: -1, invalid: -1,
	}
	if cn.label == "" {
		cn.label = n.ID
	}
	for i := range cn.on {
		cn.on[i] = -1
	}
	switch {
	case n.Type.IsDecision():
		c.compileDecision(n, &cn)
	case n.Type.IsDestination():
		if len(n.Branches) > 0 || n.Default != "" {
			c.problem("branches", "a %s node is a destination and takes no branches or default", n.Type)
		}
		c.compileDestination(n, &cn, treeID)
	case n.Type == "":
		c.problem("type", "is required")
	default:
		c.problem("type", "unknown node type %q", n.Type)
	}
	if len(n.On) > 0 && n.Type != TypeNumber && n.Type != TypeGroup {
		c.problem("on", "only number and group nodes have alternatives")
	}
	return cn
}

func (c *compiler) compileDecision(n *Node, cn *cnode) {
	allowed := branchFields[n.Type]
	if n.Type == TypePercent {
		if n.Default != "" {
			c.problem("default", "a percent node takes no default: its weights cover every call")
		}
	} else {
		cn.def = c.target("default", n.Default, true)
	}
	if n.Type == TypeMenu {
		c.prompt("prompt", n.Prompt, true)
		cn.timeout = n.Timeout
		if cn.timeout == 0 {
			cn.timeout = DefaultMenuTimeout
		}
		if n.Timeout < 0 || n.Timeout > MaxMenuTimeout {
			c.problem("timeout", "must be between 1 and %d seconds", MaxMenuTimeout)
		}
		if n.Retries < 0 || n.Retries > MaxMenuRetries {
			c.problem("retries", "must be between 0 and %d", MaxMenuRetries)
		}
		cn.retries = n.Retries
		cn.destWhy = "play menu prompt " + n.Prompt + " and wait " + strconv.Itoa(cn.timeout) + " s for digits"
		cn.noInput = c.target("no_input", n.NoInput, false)
		cn.invalid = c.target("invalid", n.Invalid, false)
	}
	if len(n.Branches) == 0 && n.Type == TypePercent {
		c.problem("branches", "a percent node needs at least one branch")
	}
	total := 0
	digits := map[string]bool{}
	cn.branches = make([]cbranch, len(n.Branches))
	for i := range n.Branches {
		b := &n.Branches[i]
		field := "branches[" + strconv.Itoa(i) + "]"
		cb := &cn.branches[i]
		cb.next = c.target(field+".next", b.Next, true)
		for _, f := range usedFields(b) {
			if !contains(allowed, f) {
				c.problem(field+"."+f, "does not apply to a %s node", n.Type)
			}
		}
		switch n.Type {
		case TypeTime:
			c.compileTimeBranch(b, cb, field)
		case TypeDate:
			c.compileDateBranch(b, cb, field)
		case TypeCaller:
			c.compileCallerBranch(b, cb, field)
		case TypeDialed:
			c.compileDialedBranch(b, cb, field)
		case TypeList:
			cb.list = b.List
			if b.List == "" {
				c.problem(field+".list", "is required: name the caller list")
			} else if c.refs != nil && !c.refs.ListExists(b.List) {
				c.problem(field+".list", "list %q does not exist", b.List)
			}
			cb.rule = "in list " + b.List
		case TypePercent:
			if b.Weight < 0 || b.Weight > percentTotal {
				c.problem(field+".weight", "must be between 0 and 100")
			} else {
				total += b.Weight
			}
			cb.upto = total
			cb.rule = fmt.Sprintf("%s (%d%% of calls)", orText(b.Label, "branch "+strconv.Itoa(i+1)), b.Weight)
		case TypeMenu:
			cb.digits = b.Digits
			if !validDigits(b.Digits) {
				c.problem(field+".digits", "must be 1 to %d of the keys 0-9, * and #", maxDigitsLength)
			} else if digits[b.Digits] {
				c.problem(field+".digits", "digits %q choose more than one branch", b.Digits)
			}
			digits[b.Digits] = true
			cb.rule = b.Digits
			if b.Label != "" {
				cb.rule += " (" + b.Label + ")"
			}
		}
	}
	if n.Type == TypePercent && len(n.Branches) > 0 && total != percentTotal {
		c.problem("branches", "weights add up to %d%%, they must add up to 100%%", total)
	}
	cn.defWhy = defaultWhy(n.Type)
}

func defaultWhy(t Type) string {
	switch t {
	case TypeTime:
		return " is outside every time window; taking the default"
	case TypeDate:
		return " is in no date range or calendar; taking the default"
	case TypeList:
		return " is in none of the lists; taking the default"
	}
	return " matches no branch; taking the default"
}

func orText(s, alt string) string {
	if s != "" {
		return s
	}
	return alt
}

func withLabel(label, desc string) string {
	if label == "" {
		return desc
	}
	return label + " (" + desc + ")"
}

func (c *compiler) compileTimeBranch(b *Branch, cb *cbranch, field string) {
	if len(b.Windows) == 0 {
		c.problem(field+".windows", "is required: give at least one time window")
	}
	descs := make([]string, 0, len(b.Windows))
	for j, w := range b.Windows {
		wf := field + ".windows[" + strconv.Itoa(j) + "]"
		var cw cwindow
		ok := true
		if len(w.Days) == 0 {
			c.problem(wf+".days", "is required: give days such as mon-fri")
			ok = false
		}
		for k, d := range w.Days {
			mask, good := parseDays(d)
			if !good {
				c.problem(wf+".days["+strconv.Itoa(k)+"]", "%q is not a day or range of days such as mon or mon-fri", d)
				ok = false
			}
			cw.days |= mask
		}
		from, good := parseClock(w.From, false)
		if !good {
			c.problem(wf+".from", "%q is not a time of day HH:MM", w.From)
			ok = false
		}
		to, good := parseClock(w.To, true)
		if !good {
			c.problem(wf+".to", "%q is not a time of day HH:MM (24:00 allowed)", w.To)
			ok = false
		}
		if ok && from == to {
			c.problem(wf, "from and to are equal; use 00:00 to 24:00 for a whole day")
			ok = false
		}
		if !ok {
			continue
		}
		cw.from, cw.to = from, to
		cb.windows = append(cb.windows, cw)
		descs = append(descs, daysText(cw.days)+" "+w.From+"–"+w.To)
	}
	cb.rule = "inside " + withLabel(b.Label, strings.Join(descs, ", "))
}

func (c *compiler) compileDateBranch(b *Branch, cb *cbranch, field string) {
	if len(b.Dates) == 0 && b.Calendar == "" {
		c.problem(field, "give dates or a calendar")
	}
	var descs []string
	for j, d := range b.Dates {
		r, msg := parseRange(d)
		if msg != "" {
			c.problem(field+".dates["+strconv.Itoa(j)+"]", "%s", msg)
			continue
		}
		cb.dates = append(cb.dates, r)
		descs = append(descs, rangeText(d))
	}
	if b.Calendar != "" {
		ranges, ok := c.calendars[b.Calendar]
		if !ok {
			c.problem(field+".calendar", "calendar %q is not defined in this tree", b.Calendar)
		}
		cb.calendar = ranges
		cb.hasCalendar = true
		descs = append(descs, "calendar "+b.Calendar)
	}
	cb.rule = "in " + withLabel(b.Label, strings.Join(descs, ", "))
}

func (c *compiler) prefixes(field string, in []string) []string {
	out := make([]string, 0, len(in))
	for j, s := range in {
		p, ok := normalizePrefix(s, c.cc)
		if !ok {
			c.problem(field+"["+strconv.Itoa(j)+"]", "%q is not a number prefix such as +322 or 02", s)
			continue
		}
		out = append(out, p)
	}
	return out
}

func (c *compiler) compileCallerBranch(b *Branch, cb *cbranch, field string) {
	if b.Withheld {
		if len(b.Prefixes) > 0 || len(b.Kinds) > 0 {
			c.problem(field+".withheld", "a withheld number has no prefix or kind; use a separate branch")
		}
		cb.withheld = true
		cb.rule = withLabel(b.Label, "number withheld")
		return
	}
	if len(b.Prefixes) == 0 && len(b.Kinds) == 0 {
		c.problem(field, "give prefixes, kinds or withheld")
	}
	cb.prefixes = c.prefixes(field+".prefixes", b.Prefixes)
	for j, k := range b.Kinds {
		switch k {
		case KindFixed, KindMobile, KindInternational:
			cb.kinds = append(cb.kinds, k)
		default:
			c.problem(field+".kinds["+strconv.Itoa(j)+"]", "%q is not a caller kind (fixed, mobile, international)", k)
		}
	}
	var parts []string
	if len(cb.prefixes) > 0 {
		parts = append(parts, "prefix "+strings.Join(cb.prefixes, " or "))
	}
	if len(cb.kinds) > 0 {
		parts = append(parts, "kind "+strings.Join(cb.kinds, " or "))
	}
	cb.rule = withLabel(b.Label, strings.Join(parts, ", "))
}

func (c *compiler) compileDialedBranch(b *Branch, cb *cbranch, field string) {
	if len(b.Prefixes) == 0 && len(b.Numbers) == 0 {
		c.problem(field, "give numbers or prefixes")
	}
	cb.prefixes = c.prefixes(field+".prefixes", b.Prefixes)
	for j, s := range b.Numbers {
		num, ok := normalizePrefix(s, c.cc)
		if !ok || !IsE164(num) {
			c.problem(field+".numbers["+strconv.Itoa(j)+"]", "%q is not a valid E.164 number such as +3222221111", s)
			continue
		}
		cb.numbers = append(cb.numbers, num)
	}
	var parts []string
	if len(cb.numbers) > 0 {
		parts = append(parts, "number "+strings.Join(cb.numbers, " or "))
	}
	if len(cb.prefixes) > 0 {
		parts = append(parts, "prefix "+strings.Join(cb.prefixes, " or "))
	}
	cb.rule = withLabel(b.Label, strings.Join(parts, ", "))
}

func (c *compiler) compileDestination(n *Node, cn *cnode, treeID string) {
	switch n.Type {
	case TypeNumber:
		if n.Number == "" {
			c.problem("number", "is required")
		} else if !IsE164(n.Number) {
			c.problem("number", "%q is not a valid E.164 number such as +3222221111", n.Number)
		}
		ring := n.RingTimeout
		if ring == 0 {
			ring = DefaultRingTimeout
		}
		if n.RingTimeout < 0 || n.RingTimeout > MaxRingTimeout {
			c.problem("ring_timeout", "must be between 1 and %d seconds", MaxRingTimeout)
		}
		if n.Site != "" {
			if msg := checkName(n.Site); msg != "" {
				c.problem("site", "%s", msg)
			}
		}
		cn.site = n.Site
		cn.ring = ring
		cn.subject = n.Number
		cn.destWhy = "ring " + n.Number + " for up to " + strconv.Itoa(ring) + " s"
		c.compileAlternatives(n, cn, numberOutcomes)
	case TypeGroup:
		if n.Group == "" {
			c.problem("group", "is required")
		} else if c.refs != nil && !c.refs.GroupExists(n.Group) {
			c.problem("group", "group %q does not exist", n.Group)
		}
		cn.subject = "group " + n.Group
		cn.destWhy = "queue in group " + n.Group
		c.compileAlternatives(n, cn, groupOutcomes)
	case TypeAnnouncement:
		c.prompt("prompt", n.Prompt, true)
		cn.next = c.target("next", n.Next, false)
		if n.Next == "" {
			cn.destWhy = "play prompt " + n.Prompt + ", then hang up"
		} else {
			cn.destWhy = "play prompt " + n.Prompt + ", then continue at " + n.Next
		}
	case TypeTree:
		switch {
		case n.Tree == "":
			c.problem("tree", "is required")
		case n.Tree == treeID:
			c.problem("tree", "a tree cannot hand calls over to itself")
		case c.refs != nil && !c.refs.TreeExists(n.Tree):
			c.problem("tree", "tree %q does not exist", n.Tree)
		}
		cn.destWhy = "hand over to tree " + n.Tree
	case TypeVoicemail:
		c.prompt("prompt", n.Prompt, false)
		if n.MaxSeconds < 0 || n.MaxSeconds > maxVoicemailSeconds {
			c.problem("max_seconds", "must be between 0 and %d seconds", maxVoicemailSeconds)
		}
		cn.destWhy = "record a voicemail message"
	case TypeHangup:
		cn.destWhy = "hang up"
	case TypeBusy:
		cn.destWhy = "give a busy signal"
	}
	if n.Type != TypeAnnouncement && n.Next != "" {
		c.problem("next", "only announcements continue to a next node")
	}
}

func (c *compiler) compileAlternatives(n *Node, cn *cnode, valid []Outcome) {
	keys := make([]string, 0, len(n.On))
	for k := range n.On {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	for _, k := range keys {
		o := Outcome(k)
		field := "on." + k
		if o == OutcomeOtherwise {
			cn.otherwise = c.target(field, n.On[o], true)
			continue
		}
		idx := outcomeIndex(o)
		if idx < 0 || !containsOutcome(valid, o) {
			c.problem(field, "%q is not an outcome of a %s node", k, n.Type)
			continue
		}
		cn.on[idx] = c.target(field, n.On[o], true)
	}
}

func containsOutcome(list []Outcome, o Outcome) bool {
	for _, x := range list {
		if x == o {
			return true
		}
	}
	return false
}

func outcomeIndex(o Outcome) int {
	switch o {
	case OutcomeBusy:
		return 0
	case OutcomeNoAnswer:
		return 1
	case OutcomeUnreachable:
		return 2
	case OutcomeSiteDown:
		return 3
	case OutcomeGroupClosed:
		return 4
	case OutcomeGroupFull:
		return 5
	case OutcomeGroupTimeout:
		return 6
	}
	return -1
}

const numOutcomes = 7

// checkCyclesIn reports every cycle of the graph. Edges are branches,
// defaults, menu no-input/invalid targets, announcement continuations,
// alternatives, and the implicit step from a number or group destination
// that lacks an alternative for some outcome to the tree fallback.
func (c *compiler) checkCyclesIn(p *Plan) {
	n := len(p.nodes)
	edges := make([][]edge, n)
	for i := range p.nodes {
		edges[i] = p.nodes[i].edges(i, p.fallback)
	}
	const maxReported = 20
	reported := 0
	state := make([]uint8, n) // 0 new, 1 on stack, 2 done
	type frame struct {
		node, next int
		implicit   bool // entered through an implicit fallback edge
	}
	var stack []frame
	for root := 0; root < n; root++ {
		if state[root] != 0 {
			continue
		}
		stack = append(stack[:0], frame{root, 0, false})
		state[root] = 1
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			if top.next >= len(edges[top.node]) {
				state[top.node] = 2
				stack = stack[:len(stack)-1]
				continue
			}
			e := edges[top.node][top.next]
			top.next++
			switch state[e.to] {
			case 0:
				state[e.to] = 1
				stack = append(stack, frame{e.to, 0, e.implicit})
			case 1:
				reported++
				if reported > maxReported {
					continue
				}
				// The cycle is the stack from e.to to the top.
				start := len(stack) - 1
				for start > 0 && stack[start].node != e.to {
					start--
				}
				ids := make([]string, 0, len(stack)-start+1)
				implicit := e.implicit
				for k := start; k < len(stack); k++ {
					ids = append(ids, p.tree.Nodes[stack[k].node].ID)
					if k > start && stack[k].implicit {
						implicit = true
					}
				}
				ids = append(ids, p.tree.Nodes[e.to].ID)
				msg := "is part of a cycle " + strings.Join(ids, " → ") + "; a call could loop forever (menus replay through retries, not cycles)"
				if implicit {
					msg += "; the cycle goes through the tree fallback, taken when a destination has no alternative for an outcome"
				}
				c.problems = append(c.problems, Problem{Node: p.tree.Nodes[e.to].ID, Message: msg})
			}
		}
	}
	if reported > maxReported {
		c.treeProblem("nodes", "%d more cycles not listed", reported-maxReported)
	}
}

type edge struct {
	to       int
	implicit bool
}

func (cn *cnode) edges(self, fallback int) []edge {
	var out []edge
	add := func(to int, implicit bool) {
		if to >= 0 {
			out = append(out, edge{to, implicit})
		}
	}
	for _, b := range cn.branches {
		add(b.next, false)
	}
	add(cn.def, false)
	add(cn.noInput, false)
	add(cn.invalid, false)
	add(cn.next, false)
	if cn.typ == TypeNumber || cn.typ == TypeGroup {
		valid := numberOutcomes
		if cn.typ == TypeGroup {
			valid = groupOutcomes
		}
		missing := false
		for _, o := range valid {
			to := cn.on[outcomeIndex(o)]
			add(to, false)
			if to < 0 {
				missing = true
			}
		}
		add(cn.otherwise, false)
		if missing && cn.otherwise < 0 && fallback != self {
			add(fallback, true)
		}
	}
	return out
}
