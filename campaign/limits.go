package campaign

import (
	"fmt"
	"time"
)

// Limits are a tenant's campaign limits (OUT-1); the operator may change
// them per tenant.
type Limits struct {
	Lists          int           `json:"lists"`            // call lists kept
	NumbersPerList int           `json:"numbers_per_list"` // entries of one list
	Scheduled      int           `json:"scheduled"`        // campaigns scheduled or running
	Running        int           `json:"running"`          // campaigns running at the same time
	MinPace        time.Duration `json:"min_pace"`         // fastest pace: one new call per MinPace
}

// DefaultLimits returns the contract's defaults: 5 lists of 100 numbers,
// 2 scheduled campaigns, 1 running at a time, one new call per 5 s.
func DefaultLimits() Limits {
	return Limits{Lists: 5, NumbersPerList: 100, Scheduled: 2, Running: 1, MinPace: 5 * time.Second}
}

// Validate checks limits set by the operator.
func (l Limits) Validate() error {
	var ps []Problem
	for _, f := range []struct {
		field string
		v     int
	}{{"lists", l.Lists}, {"numbers_per_list", l.NumbersPerList}, {"scheduled", l.Scheduled}, {"running", l.Running}} {
		if f.v < 0 || f.v > 100000 {
			ps = append(ps, Problem{Field: f.field, Message: fmt.Sprintf("must be between 0 and 100000, not %d", f.v)})
		}
	}
	if l.Running > l.Scheduled && l.Scheduled >= 0 {
		ps = append(ps, Problem{Field: "running", Message: "cannot be more than the campaigns that may be scheduled"})
	}
	if l.MinPace < time.Second || l.MinPace > MaxPace {
		ps = append(ps, Problem{Field: "min_pace", Message: fmt.Sprintf("must be between 1 second and 1 hour, not %v", l.MinPace)})
	}
	if len(ps) > 0 {
		return &ValidationError{Problems: ps}
	}
	return nil
}

// Usage is what a tenant would have after the action being checked: the
// number of call lists, the entries of the list being saved, the
// campaigns scheduled or running, and those running.
type Usage struct {
	Lists     int
	ListSize  int
	Scheduled int
	Running   int
}

// Check returns nil when u is within the limits, or a *LimitError with
// one clear refusal per limit exceeded. Going over a limit is refused,
// never truncated.
func (l Limits) Check(u Usage) error {
	var r []string
	if u.Lists > l.Lists {
		r = append(r, fmt.Sprintf("at most %d call %s can be kept; this would make %d", l.Lists, plural(l.Lists, "list", "lists"), u.Lists))
	}
	if u.ListSize > l.NumbersPerList {
		r = append(r, fmt.Sprintf("the list has %d numbers; the limit is %d", u.ListSize, l.NumbersPerList))
	}
	if u.Scheduled > l.Scheduled {
		r = append(r, fmt.Sprintf("at most %d %s can be scheduled at a time; this would make %d", l.Scheduled, plural(l.Scheduled, "campaign", "campaigns"), u.Scheduled))
	}
	if u.Running > l.Running {
		r = append(r, fmt.Sprintf("at most %d %s can run at a time; this would make %d", l.Running, plural(l.Running, "campaign", "campaigns"), u.Running))
	}
	if len(r) > 0 {
		return &LimitError{Refusals: r}
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
