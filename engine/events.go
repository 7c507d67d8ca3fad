package engine

import "time"

// Event is something the engine reported. At is the engine's own time of the
// event when it reports one, otherwise the driver's time of receipt.
type Event interface {
	// EventTime returns when the engine says the event happened.
	EventTime() time.Time
	// EventChannel returns the channel the event belongs to, or "" for
	// events that belong to no channel.
	EventChannel() ChannelID
}

// CallArrived reports a new inbound channel in the VMS application.
type CallArrived struct {
	Channel    ChannelID
	Caller     string   // caller number as presented
	CallerName string   // caller name, if any
	Dialed     string   // the number the caller dialed
	Args       []string // application arguments from the dialplan
	At         time.Time
	// Events already holds every later event of Channel; the receiver owns
	// it and must Close it when the call ends.
	Events *Subscription
}

// ChannelRinging reports that an outbound leg's destination is ringing.
type ChannelRinging struct {
	Channel ChannelID
	At      time.Time
}

// ChannelAnswered reports that a channel was answered. For an originated
// leg it means the leg is answered and ready to be bridged.
type ChannelAnswered struct {
	Channel ChannelID
	At      time.Time
}

// ChannelHungup reports that a channel ended. Cause is the Q.850 cause.
// An originated leg that ends before it answered reports OriginateFailed
// instead.
type ChannelHungup struct {
	Channel   ChannelID
	Cause     int
	CauseText string
	At        time.Time
}

// OriginateFailed reports that an originated leg ended before it answered.
type OriginateFailed struct {
	Channel   ChannelID
	Cause     int
	CauseText string
	Outcome   Outcome
	At        time.Time
}

// ChannelReturned reports that a channel handed to the engine's dialplan
// with DialplanDialer is back under VMS's control because its destination
// did not answer: Outcome says why, Cause is the destination's Q.850
// cause when the engine knows it.
type ChannelReturned struct {
	Channel   ChannelID
	Outcome   Outcome
	Cause     int
	CauseText string
	At        time.Time
}

// DialplanEnded reports the end of a call that the engine's dialplan
// rang or connected (DialplanDialer): the channel is gone, no other event
// of it follows. Answered says whether the destination answered and Talk
// how long the call was connected then; Cause is the Q.850 cause of the
// hang-up when known. Dialed, Caller and Dialing (how long since the
// destination was rung) serve a report that reaches a VMS that did not
// hand the call over (restarted meanwhile).
type DialplanEnded struct {
	Channel  ChannelID
	Dialed   string
	Caller   string
	Answered bool
	Talk     time.Duration
	Dialing  time.Duration
	Cause    int
	At       time.Time
}

// DTMFReceived reports a key pressed on a channel.
type DTMFReceived struct {
	Channel    ChannelID
	Digit      string
	DurationMs int
	At         time.Time
}

// PlaybackStarted reports that a playback began.
type PlaybackStarted struct {
	Channel  ChannelID
	Playback PlaybackID
	At       time.Time
}

// PlaybackFinished reports that a playback ended (played out, stopped, or
// failed: Failed says which).
type PlaybackFinished struct {
	Channel  ChannelID
	Playback PlaybackID
	Failed   bool
	At       time.Time
}

// BridgeJoined reports that a channel entered a bridge.
type BridgeJoined struct {
	Bridge  BridgeID
	Channel ChannelID
	At      time.Time
}

// BridgeLeft reports that a channel left a bridge.
type BridgeLeft struct {
	Bridge  BridgeID
	Channel ChannelID
	At      time.Time
}

// RecordingStarted reports that a recording is being written.
type RecordingStarted struct {
	Recording RecordingID
	Channel   ChannelID
	At        time.Time
}

// RecordingFinished reports that a recording ended and its file is kept.
type RecordingFinished struct {
	Recording RecordingID
	Channel   ChannelID
	Duration  time.Duration
	At        time.Time
}

// RecordingFailed reports that a recording could not be made.
type RecordingFailed struct {
	Recording RecordingID
	Channel   ChannelID
	Cause     string
	At        time.Time
}

// EndpointStateChanged reports that an endpoint came online or went
// offline.
type EndpointStateChanged struct {
	Endpoint string // e.g. "PJSIP/agent42"
	State    EndpointState
	At       time.Time
}

// Disconnected reports that the engine's event connection was lost: no
// events arrive until Reconnected, and commands may fail with
// ErrDisconnected.
type Disconnected struct {
	Err error
	At  time.Time
}

// Reconnected reports that the connection to the engine is (re-)established.
// Adopted lists the channels and bridges the engine still holds for VMS:
// calls that stayed up while VMS was away (they hear silence) and that the
// controller must take back or end. Initial is true for the first
// connection of the process.
type Reconnected struct {
	Initial bool
	Adopted []ChannelID
	Bridges []BridgeID
	At      time.Time
}

func (e CallArrived) EventTime() time.Time          { return e.At }
func (e ChannelRinging) EventTime() time.Time       { return e.At }
func (e ChannelAnswered) EventTime() time.Time      { return e.At }
func (e ChannelHungup) EventTime() time.Time        { return e.At }
func (e OriginateFailed) EventTime() time.Time      { return e.At }
func (e ChannelReturned) EventTime() time.Time      { return e.At }
func (e DialplanEnded) EventTime() time.Time        { return e.At }
func (e DTMFReceived) EventTime() time.Time         { return e.At }
func (e PlaybackStarted) EventTime() time.Time      { return e.At }
func (e PlaybackFinished) EventTime() time.Time     { return e.At }
func (e BridgeJoined) EventTime() time.Time         { return e.At }
func (e BridgeLeft) EventTime() time.Time           { return e.At }
func (e RecordingStarted) EventTime() time.Time     { return e.At }
func (e RecordingFinished) EventTime() time.Time    { return e.At }
func (e RecordingFailed) EventTime() time.Time      { return e.At }
func (e EndpointStateChanged) EventTime() time.Time { return e.At }
func (e Disconnected) EventTime() time.Time         { return e.At }
func (e Reconnected) EventTime() time.Time          { return e.At }

func (e CallArrived) EventChannel() ChannelID          { return e.Channel }
func (e ChannelRinging) EventChannel() ChannelID       { return e.Channel }
func (e ChannelAnswered) EventChannel() ChannelID      { return e.Channel }
func (e ChannelHungup) EventChannel() ChannelID        { return e.Channel }
func (e OriginateFailed) EventChannel() ChannelID      { return e.Channel }
func (e ChannelReturned) EventChannel() ChannelID      { return e.Channel }
func (e DialplanEnded) EventChannel() ChannelID        { return e.Channel }
func (e DTMFReceived) EventChannel() ChannelID         { return e.Channel }
func (e PlaybackStarted) EventChannel() ChannelID      { return e.Channel }
func (e PlaybackFinished) EventChannel() ChannelID     { return e.Channel }
func (e BridgeJoined) EventChannel() ChannelID         { return e.Channel }
func (e BridgeLeft) EventChannel() ChannelID           { return e.Channel }
func (e RecordingStarted) EventChannel() ChannelID     { return e.Channel }
func (e RecordingFinished) EventChannel() ChannelID    { return e.Channel }
func (e RecordingFailed) EventChannel() ChannelID      { return e.Channel }
func (e EndpointStateChanged) EventChannel() ChannelID { return "" }
func (e Disconnected) EventChannel() ChannelID         { return "" }
func (e Reconnected) EventChannel() ChannelID          { return "" }
