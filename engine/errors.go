package engine

import "errors"

// Sentinel errors. Drivers wrap them with context; test with errors.Is.
var (
	// ErrNotFound: the channel, bridge, playback or recording does not exist
	// (any more), e.g. the caller hung up.
	ErrNotFound = errors.New("engine: not found")
	// ErrConflict: the object exists but is in a state that forbids the
	// command (e.g. a channel not in the application, a bridge id in use).
	ErrConflict = errors.New("engine: conflict")
	// ErrInvalid: the engine rejected the command's arguments.
	ErrInvalid = errors.New("engine: invalid request")
	// ErrDisconnected: the engine cannot be reached.
	ErrDisconnected = errors.New("engine: disconnected")
	// ErrClosed: the driver was closed.
	ErrClosed = errors.New("engine: closed")
	// ErrUnsupported: the engine cannot carry out this request this way
	// (e.g. a dial string its dialplan cannot take); nothing was done and
	// the caller may use another way.
	ErrUnsupported = errors.New("engine: not supported")
)

// Outcome is what became of an outbound leg that did not answer, derived
// from its Q.850 cause; the controller falls back to the next alternative
// on every outcome but OutcomeNormal.
type Outcome string

// Outcomes.
const (
	OutcomeNormal      Outcome = "normal"      // 16: normal clearing
	OutcomeBusy        Outcome = "busy"        // 17: user busy
	OutcomeNoAnswer    Outcome = "no_answer"   // 18, 19: no answer in time
	OutcomeRejected    Outcome = "rejected"    // 21: call rejected (declined)
	OutcomeUnreachable Outcome = "unreachable" // everything else: not reachable, congestion, failure
)

// Q.850 causes used by VMS.
const (
	CauseUnallocated        = 1
	CauseNoRoute            = 3
	CauseNormalClearing     = 16
	CauseUserBusy           = 17
	CauseNoUserResponse     = 18
	CauseNoAnswer           = 19
	CauseCallRejected       = 21
	CauseDestOutOfOrder     = 27
	CauseNoCircuit          = 34
	CauseNetworkOutOfOrder  = 38
	CauseTemporaryFailure   = 41
	CauseSwitchCongestion   = 42
	CauseBearerNotAvailable = 58
)

// CauseOutcome maps a Q.850 cause of a leg that never answered to an
// outcome. Unknown and zero causes count as unreachable: the safe choice
// is to try the next destination.
func CauseOutcome(cause int) Outcome {
	switch cause {
	case CauseNormalClearing:
		return OutcomeNormal
	case CauseUserBusy:
		return OutcomeBusy
	case CauseNoUserResponse, CauseNoAnswer:
		return OutcomeNoAnswer
	case CauseCallRejected:
		return OutcomeRejected
	default:
		return OutcomeUnreachable
	}
}
