package campaign

import (
	"errors"
	"strings"
)

// ErrInvalidCampaign is matched (errors.Is) by every *ValidationError.
var ErrInvalidCampaign = errors.New("campaign: invalid campaign")

// ErrLimit is matched (errors.Is) by every *LimitError.
var ErrLimit = errors.New("campaign: over the tenant's limits")

// Problem is one reason campaign settings are invalid. Field is the
// JSON name of the setting at fault, with an index or key when it is in a
// list or map ("windows[1]", "keys.1.group").
type Problem struct {
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	if p.Field == "" {
		return p.Message
	}
	return p.Field + ": " + p.Message
}

// ValidationError lists every problem found, in the order of the
// settings.
type ValidationError struct {
	Problems []Problem `json:"problems"`
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("campaign: invalid campaign: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalidCampaign) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidCampaign }

// LimitError lists every tenant limit an action would exceed, as
// sentences for the user.
type LimitError struct {
	Refusals []string `json:"refusals"`
}

func (e *LimitError) Error() string {
	return "campaign: over the tenant's limits: " + strings.Join(e.Refusals, "; ")
}

// Is makes errors.Is(err, ErrLimit) true.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }
