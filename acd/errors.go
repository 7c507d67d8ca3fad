package acd

import (
	"errors"
	"fmt"
)

// Sentinel errors; the errors returned by Center match them with errors.Is.
var (
	ErrUnknownAgent      = errors.New("acd: unknown agent")
	ErrUnknownGroup      = errors.New("acd: unknown group")
	ErrUnknownContact    = errors.New("acd: unknown contact")
	ErrDuplicateContact  = errors.New("acd: contact already known")
	ErrContactState      = errors.New("acd: contact is not in a state that allows this")
	ErrInvalidTransition = errors.New("acd: invalid agent state transition")
	ErrInvalidConfig     = errors.New("acd: invalid configuration")
	ErrAgentBusy         = errors.New("acd: agent has contacts in progress")
)

// TransitionError is an event that the agent state machine does not allow
// in the agent's current state. It matches ErrInvalidTransition.
type TransitionError struct {
	Agent AgentID // empty when returned by Next
	From  State
	Event Event
}

func (e *TransitionError) Error() string {
	if e.Agent == "" {
		return fmt.Sprintf("acd: %s not allowed in state %s", e.Event, e.From)
	}
	return fmt.Sprintf("acd: agent %s: %s not allowed in state %s", e.Agent, e.Event, e.From)
}

// Is reports whether target is ErrInvalidTransition.
func (e *TransitionError) Is(target error) bool { return target == ErrInvalidTransition }

// ConfigError is a group or agent configuration that cannot be used; Field
// names the culprit (as the portal's form and JSON name it). It matches
// ErrInvalidConfig; callers map it onto their user-facing error.
type ConfigError struct {
	Field   string
	Message string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("acd: invalid configuration: %s: %s", e.Field, e.Message)
}

// Is reports whether target is ErrInvalidConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }
