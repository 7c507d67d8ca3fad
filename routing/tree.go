package routing

// DefaultTimeZone is the time zone of a tree that names none (TRM-3).
const DefaultTimeZone = "Europe/Brussels"

// DefaultCountryCode is the country calling code used to turn prefixes in
// national form ("02", "0475") into E.164 when a tree names none (NUM-4).
const DefaultCountryCode = "32"

// Default durations, used when a node leaves the field at zero.
const (
	DefaultRingTimeout  = 20 // seconds a number rings before no_answer
	DefaultMenuTimeout  = 5  // seconds to wait for a menu digit
	MaxRingTimeout      = 600
	MaxMenuTimeout      = 60
	MaxMenuRetries      = 9
	MaxNodes            = 5000 // a tree larger than this is refused
	maxIDLength         = 64
	maxDigitsLength     = 8
	percentTotal        = 100
	maxVoicemailSeconds = 600
)

// Type is the type of a node. Decision types choose a branch; destination
// types say where the call goes.
type Type string

// Decision node types (TRM-3).
const (
	TypeTime    Type = "time"    // weekly schedule: days of week and time-of-day windows
	TypeDate    Type = "date"    // date ranges and holiday calendars
	TypeCaller  Type = "caller"  // caller number prefix, caller kind, withheld number
	TypeDialed  Type = "dialed"  // dialed number or prefix
	TypeList    Type = "list"    // caller is in a customer list (VIP, blocked, ...)
	TypePercent Type = "percent" // share of calls by weight
	TypeMenu    Type = "menu"    // caller's DTMF choice
)

// Destination node types (TRM-2).
const (
	TypeNumber       Type = "number"       // ring a fixed or mobile number
	TypeAnnouncement Type = "announcement" // play a prompt, then hang up or continue
	TypeGroup        Type = "group"        // queue in an ACM group (ACM-2)
	TypeTree         Type = "tree"         // hand the call over to another tree
	TypeVoicemail    Type = "voicemail"    // record a message
	TypeHangup       Type = "hangup"       // end the call
	TypeBusy         Type = "busy"         // end the call with a busy signal
)

// IsDecision reports whether nodes of type t choose between branches.
func (t Type) IsDecision() bool {
	switch t {
	case TypeTime, TypeDate, TypeCaller, TypeDialed, TypeList, TypePercent, TypeMenu:
		return true
	}
	return false
}

// IsDestination reports whether nodes of type t say where the call goes.
func (t Type) IsDestination() bool {
	switch t {
	case TypeNumber, TypeAnnouncement, TypeGroup, TypeTree, TypeVoicemail, TypeHangup, TypeBusy:
		return true
	}
	return false
}

// Outcome is what happened when the call was offered to a number or group
// destination (TRM-4, ACM-4). Each outcome can lead to its own alternative.
type Outcome string

// Outcomes of a number destination.
const (
	OutcomeBusy        Outcome = "busy"        // the number was busy
	OutcomeNoAnswer    Outcome = "no_answer"   // no answer within the ring timeout
	OutcomeUnreachable Outcome = "unreachable" // congestion or network failure
	OutcomeSiteDown    Outcome = "site_down"   // the number's site is marked down
)

// Outcomes of a group destination (ACM-4).
const (
	OutcomeGroupClosed  Outcome = "group_closed"  // closed, or no agent logged in
	OutcomeGroupFull    Outcome = "group_full"    // queue at its maximum length
	OutcomeGroupTimeout Outcome = "group_timeout" // caller waited the maximum time
)

// OutcomeOtherwise is the key of the alternative taken for any outcome
// that has no alternative of its own.
const OutcomeOtherwise Outcome = "otherwise"

var (
	numberOutcomes = []Outcome{OutcomeBusy, OutcomeNoAnswer, OutcomeUnreachable, OutcomeSiteDown}
	groupOutcomes  = []Outcome{OutcomeGroupClosed, OutcomeGroupFull, OutcomeGroupTimeout, OutcomeUnreachable}
)

// Outcomes returns the outcomes a destination of type t can report, in a
// stable order; nil for types without dynamic alternatives.
func Outcomes(t Type) []Outcome {
	switch t {
	case TypeNumber:
		return append([]Outcome(nil), numberOutcomes...)
	case TypeGroup:
		return append([]Outcome(nil), groupOutcomes...)
	}
	return nil
}

// Caller kinds, as given by the caller of Evaluate in Facts.CallerKind.
const (
	KindFixed         = "fixed"
	KindMobile        = "mobile"
	KindInternational = "international"
)

// Tree is a routing tree (TRM-1): a graph of decision nodes leading to
// destinations. It is the JSON document the portal stores, imports and
// exports. A Tree is plain data; Compile turns it into a Plan.
type Tree struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// TimeZone is an IANA zone name; empty means DefaultTimeZone.
	TimeZone string `json:"time_zone,omitempty"`
	// CountryCode (digits, no '+') turns prefixes in national form into
	// E.164; empty means DefaultCountryCode.
	CountryCode string `json:"country_code,omitempty"`
	// Start is the id of the node every call starts at.
	Start string `json:"start"`
	// Fallback is the node a call goes to when a destination fails and has
	// neither an alternative for the outcome nor an "otherwise" one. Empty
	// means the call is hung up.
	Fallback  string     `json:"fallback,omitempty"`
	Nodes     []Node     `json:"nodes"`
	Calendars []Calendar `json:"calendars,omitempty"`
}

// Calendar is a named set of dates, for example public holidays.
type Calendar struct {
	Name  string      `json:"name"`
	Dates []DateRange `json:"dates"`
}

// DateRange is an inclusive range of days in the tree's time zone. From and
// To are "YYYY-MM-DD"; To may be empty for a single day. A Yearly range
// recurs every year: its dates may be written "MM-DD" (a year, if given, is
// ignored) and it may wrap over the new year ("12-24" to "01-02").
type DateRange struct {
	From   string `json:"from"`
	To     string `json:"to,omitempty"`
	Yearly bool   `json:"yearly,omitempty"`
}

// Window is a weekly time window: the given days, from From (inclusive) to
// To (exclusive), both "HH:MM" in the tree's time zone; To may be "24:00".
// A window whose To is before its From crosses midnight: "fri 22:00–06:00"
// covers Friday 22:00 to Saturday 06:00. Days are "mon".."sun" or ranges
// such as "mon-fri"; a range may wrap ("sat-mon"). Windows follow the wall
// clock: on the day clocks go forward, 02:00–03:00 does not occur; on the
// day they go back, it occurs twice and matches both times.
type Window struct {
	Days []string `json:"days"`
	From string   `json:"from"`
	To   string   `json:"to"`
}

// Branch is one choice of a decision node: when its condition holds, the
// call goes to Next. Which condition fields apply depends on the node type;
// the others must stay empty.
type Branch struct {
	// Label names the branch in traces ("office hours", "VIP").
	Label string `json:"label,omitempty"`
	Next  string `json:"next"`

	// time: the branch matches inside any of the windows.
	Windows []Window `json:"windows,omitempty"`

	// date: the branch matches on a day in any range or in the calendar.
	Dates    []DateRange `json:"dates,omitempty"`
	Calendar string      `json:"calendar,omitempty"`

	// caller and dialed: number prefixes, E.164 ("+322") or national
	// ("02"). For caller, Kinds (fixed, mobile, international) must also
	// match when set, and Withheld matches only calls without a caller
	// number. For dialed, Numbers are whole numbers.
	Prefixes []string `json:"prefixes,omitempty"`
	Kinds    []string `json:"kinds,omitempty"`
	Withheld bool     `json:"withheld,omitempty"`
	Numbers  []string `json:"numbers,omitempty"`

	// list: the caller is in the named customer list.
	List string `json:"list,omitempty"`

	// percent: the share of calls, in percent, that take this branch.
	Weight int `json:"weight,omitempty"`

	// menu: the DTMF digits that choose this branch ("1", "9#").
	Digits string `json:"digits,omitempty"`
}

// Node is one node of a tree. Type says which fields apply.
type Node struct {
	ID    string `json:"id"`
	Label string `json:"label,omitempty"`
	Type  Type   `json:"type"`

	// Decisions: ordered branches (first match wins) and the node taken
	// when none matches. Percent nodes take no default.
	Branches []Branch `json:"branches,omitempty"`
	Default  string   `json:"default,omitempty"`

	// menu: Prompt is played, the caller has Timeout seconds to press
	// digits. On no input or invalid digits the prompt is replayed up to
	// Retries times, then the call goes to NoInput or Invalid, or to
	// Default when those are empty.
	Prompt  string `json:"prompt,omitempty"`
	Timeout int    `json:"timeout,omitempty"`
	Retries int    `json:"retries,omitempty"`
	NoInput string `json:"no_input,omitempty"`
	Invalid string `json:"invalid,omitempty"`

	// number: the E.164 number to ring, for RingTimeout seconds; Site names
	// the customer site the number is at (see Facts.SitesDown).
	Number      string `json:"number,omitempty"`
	RingTimeout int    `json:"ring_timeout,omitempty"`
	Site        string `json:"site,omitempty"`

	// group: the ACM group id; queue limits belong to the group.
	Group string `json:"group,omitempty"`

	// tree: the id of the tree the call is handed over to.
	Tree string `json:"tree,omitempty"`

	// voicemail: the longest message in seconds (0: the engine's default).
	MaxSeconds int `json:"max_seconds,omitempty"`

	// announcement: after Prompt, continue at Next; empty Next hangs up.
	Next string `json:"next,omitempty"`

	// number and group: the node taken for each outcome (TRM-4), keyed by
	// outcome name, plus "otherwise" for outcomes without their own.
	On map[Outcome]string `json:"on,omitempty"`
}
