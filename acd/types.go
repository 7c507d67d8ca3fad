package acd

import (
	"fmt"
	"time"
)

// AgentID names an agent (an operator); unique within a Center.
type AgentID string

// GroupID names a group of agents (an ACM group of the routing tree).
type GroupID string

// ContactID names one contact: a call or an e-mail. The caller chooses it
// (the controller uses its call id) and must not reuse it while the
// contact is still known to the Center.
type ContactID string

// Channel is the kind of a contact.
type Channel uint8

// Channels. An agent handles one call, or up to AgentConfig.MaxEmails
// e-mails at once, never both.
const (
	Voice Channel = iota + 1 // an inbound call
	Email                    // an e-mail to the group's address (ACM-5)
)

func (c Channel) String() string {
	switch c {
	case Voice:
		return "voice"
	case Email:
		return "email"
	}
	return fmt.Sprintf("channel(%d)", uint8(c))
}

// Level is the competence level of an agent in one group, set by the
// agent's manager (ACM-1): MinLevel (1) to MaxLevel (10), higher is better.
type Level int8

// The range of competence levels.
const (
	MinLevel Level = 1
	MaxLevel Level = 10
)

// Strategy is how a group chooses among its available agents (ACM-2).
type Strategy uint8

// Strategies. The zero value is the default.
const (
	// LevelThenLongestIdle offers a contact to the agent with the highest
	// competence level in the group; among equal levels, to the agent idle
	// the longest; among equal idle times, to the smallest AgentID.
	LevelThenLongestIdle Strategy = iota
	// LongestIdle ignores levels (beyond the group's minimum level) and
	// offers a contact to the agent idle the longest, then the smallest
	// AgentID. It spreads the work evenly.
	LongestIdle
)

func (s Strategy) String() string {
	switch s {
	case LevelThenLongestIdle:
		return "level_then_longest_idle"
	case LongestIdle:
		return "longest_idle"
	}
	return fmt.Sprintf("strategy(%d)", uint8(s))
}

// Outcome is why a voice contact leaves a group's queue without an agent
// (ACM-4, TRM-4). The values are the routing tree's outcome names, so the
// controller passes them to the routing plan unchanged.
type Outcome string

// Overflow outcomes.
const (
	// OutcomeClosed: the group is closed, or no member agent is logged in.
	OutcomeClosed Outcome = "group_closed"
	// OutcomeFull: the voice queue is at GroupConfig.MaxQueue.
	OutcomeFull Outcome = "group_full"
	// OutcomeTimeout: the caller waited GroupConfig.MaxWait.
	OutcomeTimeout Outcome = "group_timeout"
)

// RelaxStep lowers a group's minimum competence level once the contact at
// the head of the queue has waited After (ACM-2): better a less skilled
// agent now than the best one much later.
type RelaxStep struct {
	After    time.Duration
	MinLevel Level
}

// ServiceLevel is a group's service-level target: Percent of the contacts
// answered within Within (say 80 % within 20 s).
type ServiceLevel struct {
	Percent int
	Within  time.Duration
}

// GroupConfig is the configuration of one group. Zero values mean "no
// limit" or "none" as documented per field.
type GroupConfig struct {
	ID       GroupID
	Strategy Strategy
	// Priority breaks ties for an agent that belongs to several groups
	// whose head contacts have waited equally long: higher goes first.
	Priority int
	// MinLevel is the lowest competence level offered a contact that has
	// just arrived; 0 means MinLevel (every member).
	MinLevel Level
	// Relax lowers MinLevel as the head contact waits: After strictly
	// increasing, MinLevel strictly decreasing and below the group's.
	Relax []RelaxStep
	// MaxWait is how long a caller may wait before it overflows with
	// OutcomeTimeout; 0 means no limit.
	MaxWait time.Duration
	// MaxQueue is the most callers waiting at once; one more overflows
	// with OutcomeFull. 0 means no limit.
	MaxQueue int
	// RingTimeout is how long the controller rings an agent before it
	// reports NoAnswer; copied into each voice Assignment.
	RingTimeout time.Duration
	// WrapUp is the after-call work time following each call; 0 means
	// the agent is available again as soon as the call ends.
	WrapUp time.Duration
	// Target is the service-level target shown to supervisors.
	Target ServiceLevel
	// Closed refuses new callers with OutcomeClosed; callers already
	// waiting are still served.
	Closed bool
}

// minLevel returns the minimum level for a contact that has waited w.
func (g *GroupConfig) minLevel(w time.Duration) Level {
	lv := g.MinLevel
	if lv == 0 {
		lv = MinLevel
	}
	for _, s := range g.Relax {
		if w < s.After {
			break
		}
		lv = s.MinLevel
	}
	return lv
}

// nextRelax returns how long a contact must have waited for the next
// relaxation step after w, or false when there is none.
func (g *GroupConfig) nextRelax(w time.Duration) (time.Duration, bool) {
	for _, s := range g.Relax {
		if w < s.After {
			return s.After, true
		}
	}
	return 0, false
}

// Validate reports the first problem of the configuration as a
// *ConfigError naming the field.
func (g *GroupConfig) Validate() error {
	switch {
	case g.ID == "":
		return &ConfigError{Field: "id", Message: "is required"}
	case g.Strategy > LongestIdle:
		return &ConfigError{Field: "strategy", Message: fmt.Sprintf("unknown strategy %d", g.Strategy)}
	case g.MinLevel != 0 && (g.MinLevel < MinLevel || g.MinLevel > MaxLevel):
		return &ConfigError{Field: "min_level", Message: fmt.Sprintf("must be between %d and %d", MinLevel, MaxLevel)}
	case g.MaxWait < 0:
		return &ConfigError{Field: "max_wait", Message: "must not be negative"}
	case g.MaxQueue < 0:
		return &ConfigError{Field: "max_queue", Message: "must not be negative"}
	case g.RingTimeout < 0:
		return &ConfigError{Field: "ring_timeout", Message: "must not be negative"}
	case g.WrapUp < 0:
		return &ConfigError{Field: "wrap_up", Message: "must not be negative"}
	case g.Target.Percent < 0 || g.Target.Percent > 100:
		return &ConfigError{Field: "target.percent", Message: "must be between 0 and 100"}
	case g.Target.Within < 0:
		return &ConfigError{Field: "target.within", Message: "must not be negative"}
	}
	prevAfter, prevLevel := time.Duration(0), g.minLevel(0)
	for i, s := range g.Relax {
		field := fmt.Sprintf("relax[%d]", i)
		switch {
		case s.After <= prevAfter:
			return &ConfigError{Field: field + ".after", Message: "must be positive and later than the step before"}
		case s.MinLevel < MinLevel || s.MinLevel > MaxLevel:
			return &ConfigError{Field: field + ".min_level", Message: fmt.Sprintf("must be between %d and %d", MinLevel, MaxLevel)}
		case s.MinLevel >= prevLevel:
			return &ConfigError{Field: field + ".min_level", Message: "must be lower than the level before"}
		}
		prevAfter, prevLevel = s.After, s.MinLevel
	}
	return nil
}

// AgentConfig is the configuration of one agent: its groups with the
// competence level in each (ACM-1), and its e-mail capacity.
type AgentConfig struct {
	ID     AgentID
	Groups map[GroupID]Level
	// MaxEmails is how many e-mails the agent handles at once; 0 means
	// the agent is given no e-mails.
	MaxEmails int
}

// Validate reports the first problem of the configuration as a
// *ConfigError naming the field. Whether the groups exist is checked by
// Center.PutAgent.
func (a *AgentConfig) Validate() error {
	if a.ID == "" {
		return &ConfigError{Field: "id", Message: "is required"}
	}
	if a.MaxEmails < 0 {
		return &ConfigError{Field: "max_emails", Message: "must not be negative"}
	}
	for g, lv := range a.Groups {
		if g == "" {
			return &ConfigError{Field: "groups", Message: "group id is required"}
		}
		if lv < MinLevel || lv > MaxLevel {
			return &ConfigError{Field: "groups." + string(g), Message: fmt.Sprintf("level must be between %d and %d", MinLevel, MaxLevel)}
		}
	}
	return nil
}
