// Package enginetest helps test code that drives an engine.Engine: Fake, an
// in-memory engine that records outcomes (what each caller heard, which
// destinations were called with which caller id, who was bridged with whom)
// and lets a test script destinations and callers; and Conformance, the
// suite every engine driver must pass against its real engine.
//
// It must not be imported by production code.
package enginetest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/vmsplatform/vms/engine"
)

// Behavior scripts what a destination endpoint does when originated.
type Behavior struct {
	// Outcome: engine.OutcomeNormal means the destination answers; any other
	// outcome makes the leg fail with a matching cause (OutcomeNoAnswer
	// fails when the originate Timeout expires, or never when it is zero).
	Outcome engine.Outcome
	// After delays the answer or failure (not used for OutcomeNoAnswer).
	After time.Duration
	// Err makes Originate itself fail with this error.
	Err error
}

// Answers is the Behavior of a destination that answers at once.
var Answers = Behavior{Outcome: engine.OutcomeNormal}

// Fake is an in-memory engine.Engine with every optional capability. Its
// zero value is not usable; call NewFake. Methods are safe for concurrent
// use.
type Fake struct {
	// Now is the engine's clock, used for event times; default time.Now.
	Now func() time.Time
	// AfterFunc schedules delayed behaviour (answer after, no-answer
	// timeout); default time.AfterFunc.
	AfterFunc func(d time.Duration, f func()) (stop func() bool)
	// HoldPlayback keeps playbacks running until FinishPlayback or
	// StopPlayback; by default a playback finishes at once.
	HoldPlayback bool
	// DialplanDialing makes DialInDialplan ring destinations (following
	// their Behavior) as an engine's dialplan would; by default it fails
	// with engine.ErrUnsupported, and the controller bridges calls itself.
	// Set it before the first call.
	DialplanDialing bool

	router *engine.Router

	mu           sync.Mutex
	seq          int
	channels     map[engine.ChannelID]*FakeChannel
	bridges      map[engine.BridgeID]*fakeBridge
	playbacks    map[engine.PlaybackID]engine.ChannelID
	destinations map[string]Behavior
	originated   []engine.OriginateRequest
	dialplanned  []engine.DialRequest
	pairs        [][2]engine.ChannelID
	fallbacks    map[string]string
	recordings   map[engine.RecordingID]engine.ChannelID
	endpoints    map[string]engine.EndpointState
}

// FakeChannel is what the Fake knows about one channel.
type FakeChannel struct {
	ID       engine.ChannelID
	Inbound  bool
	Endpoint string // originated legs: the endpoint dialed
	State    string // "ringing", "up", "down"
	Heard    []string
	Hangup   engine.HangupReason // set when VMS hung it up
	// ContinuedTo is "extension@context" once VMS handed the channel back
	// to the engine's dialplan.
	ContinuedTo string
	// InDialplan is set while the channel is with the engine's dialplan
	// (DialInDialplan); Connected names the endpoint it was connected
	// with there.
	InDialplan  bool
	Connected   string
	connectedAt time.Time
	dialed      string
	caller      string
	Bridge      engine.BridgeID
	timer       func() bool
}

type fakeBridge struct {
	kind    engine.BridgeKind
	members []engine.ChannelID
}

var (
	_ engine.Engine          = (*Fake)(nil)
	_ engine.MusicOnHold     = (*Fake)(nil)
	_ engine.Recorder        = (*Fake)(nil)
	_ engine.FallbackStore   = (*Fake)(nil)
	_ engine.EndpointWatcher = (*Fake)(nil)
	_ engine.Continuer       = (*Fake)(nil)
	_ engine.DialplanDialer  = (*Fake)(nil)
)

// NewFake returns an empty Fake. Unknown destinations are unreachable.
func NewFake() *Fake {
	return &Fake{
		Now: time.Now,
		AfterFunc: func(d time.Duration, f func()) func() bool {
			return time.AfterFunc(d, f).Stop
		},
		router:       engine.NewRouter(),
		channels:     make(map[engine.ChannelID]*FakeChannel),
		bridges:      make(map[engine.BridgeID]*fakeBridge),
		playbacks:    make(map[engine.PlaybackID]engine.ChannelID),
		destinations: make(map[string]Behavior),
		fallbacks:    make(map[string]string),
		recordings:   make(map[engine.RecordingID]engine.ChannelID),
		endpoints:    make(map[string]engine.EndpointState),
	}
}

// ---- scripting ----

// SetDestination scripts what originating to endpoint does.
func (f *Fake) SetDestination(endpoint string, b Behavior) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.destinations[endpoint] = b
}

// Call makes a new inbound call from caller to dialed and returns its
// channel; a CallArrived reaches the Inbox.
func (f *Fake) Call(caller, dialed string) engine.ChannelID {
	f.mu.Lock()
	f.seq++
	id := engine.ChannelID("fake-in-" + strconv.Itoa(f.seq))
	f.channels[id] = &FakeChannel{ID: id, Inbound: true, State: "ringing"}
	at := f.Now()
	f.mu.Unlock()
	f.router.Dispatch(engine.CallArrived{
		Channel: id, Caller: caller, Dialed: dialed, Args: []string{"inbound", dialed}, At: at,
	})
	return id
}

// PressKeys sends DTMF digits from a channel's far end.
func (f *Fake) PressKeys(ch engine.ChannelID, digits string) {
	for _, d := range digits {
		f.router.Dispatch(engine.DTMFReceived{Channel: ch, Digit: string(d), DurationMs: 100, At: f.Now()})
	}
}

// FarEndHangup hangs a channel up from its far end (caller or
// destination) with a Q.850 cause.
func (f *Fake) FarEndHangup(ch engine.ChannelID, cause int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.channels[ch]; c != nil && c.State != "down" {
		f.endLocked(c, cause)
	}
}

// FinishPlayback ends a held playback (see HoldPlayback).
func (f *Fake) FinishPlayback(id engine.PlaybackID) {
	f.mu.Lock()
	ch, ok := f.playbacks[id]
	delete(f.playbacks, id)
	f.mu.Unlock()
	if ok {
		f.router.Dispatch(engine.PlaybackFinished{Channel: ch, Playback: id, At: f.Now()})
	}
}

// SetEndpointState changes an endpoint's state and reports it.
func (f *Fake) SetEndpointState(endpoint string, s engine.EndpointState) {
	f.mu.Lock()
	f.endpoints[endpoint] = s
	f.mu.Unlock()
	f.router.Dispatch(engine.EndpointStateChanged{Endpoint: endpoint, State: s, At: f.Now()})
}

// Disconnect reports a lost engine connection.
func (f *Fake) Disconnect(err error) {
	f.router.Dispatch(engine.Disconnected{Err: err, At: f.Now()})
}

// Reconnect reports a re-established connection that still holds the
// given channels (calls that stayed up while VMS was away).
func (f *Fake) Reconnect(adopted ...engine.ChannelID) {
	f.router.Dispatch(engine.Reconnected{Adopted: adopted, At: f.Now()})
}

// ---- outcomes ----

// Channel returns a copy of what the Fake knows about a channel.
func (f *Fake) Channel(ch engine.ChannelID) (FakeChannel, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.channels[ch]
	if c == nil {
		return FakeChannel{}, false
	}
	cp := *c
	cp.Heard = slices.Clone(c.Heard)
	cp.timer = nil
	return cp, true
}

// Heard returns the media played to a channel, in order; music on hold
// appears as "moh:<class>".
func (f *Fake) Heard(ch engine.ChannelID) []string {
	c, _ := f.Channel(ch)
	return c.Heard
}

// Originated returns every originate request, in order.
func (f *Fake) Originated() []engine.OriginateRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.originated)
}

// DialplanDials returns every DialInDialplan request carried out, in
// order.
func (f *Fake) DialplanDials() []engine.DialRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.dialplanned)
}

// Bridged reports whether a and b were ever in the same mixing bridge.
func (f *Fake) Bridged(a, b engine.ChannelID) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.pairs {
		if (p[0] == a && p[1] == b) || (p[0] == b && p[1] == a) {
			return true
		}
	}
	return false
}

// Members returns the channels now in a bridge.
func (f *Fake) Members(b engine.BridgeID) []engine.ChannelID {
	f.mu.Lock()
	defer f.mu.Unlock()
	if br := f.bridges[b]; br != nil {
		return slices.Clone(br.members)
	}
	return nil
}

// Fallback returns the stored fallback destination of a number.
func (f *Fake) Fallback(number string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fallbacks[number]
}

// ---- engine.Engine ----

// Inbox implements engine.Engine.
func (f *Fake) Inbox() *engine.Subscription { return f.router.Inbox() }

// Subscribe implements engine.Engine.
func (f *Fake) Subscribe(ids ...engine.ChannelID) *engine.Subscription {
	return f.router.Subscribe(ids...)
}

// live returns a channel that is not down, or ErrNotFound.
func (f *Fake) live(op string, ch engine.ChannelID) (*FakeChannel, error) {
	c := f.channels[ch]
	if c == nil || c.State == "down" {
		return nil, fmt.Errorf("fake: %s %s: %w", op, ch, engine.ErrNotFound)
	}
	return c, nil
}

// Answer implements engine.Engine.
func (f *Fake) Answer(ctx context.Context, ch engine.ChannelID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.live("answer", ch)
	if err != nil {
		return err
	}
	if c.State != "up" {
		c.State = "up"
		f.router.Dispatch(engine.ChannelAnswered{Channel: ch, At: f.Now()})
	}
	return nil
}

// Ring implements engine.Engine.
func (f *Fake) Ring(ctx context.Context, ch engine.ChannelID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, err := f.live("ring", ch)
	return err
}

var reasonCause = map[engine.HangupReason]int{
	engine.HangupNormal:     engine.CauseNormalClearing,
	engine.HangupBusy:       engine.CauseUserBusy,
	engine.HangupCongestion: engine.CauseSwitchCongestion,
	engine.HangupNoAnswer:   engine.CauseNoAnswer,
}

// Hangup implements engine.Engine.
func (f *Fake) Hangup(ctx context.Context, ch engine.ChannelID, reason engine.HangupReason) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.live("hangup", ch)
	if err != nil {
		return err
	}
	if reason == "" {
		reason = engine.HangupNormal
	}
	c.Hangup = reason
	cause, ok := reasonCause[reason]
	if !ok {
		cause = engine.CauseNormalClearing
	}
	f.endLocked(c, cause)
	return nil
}

// endLocked takes a channel down: it leaves its bridge, and the final
// event is reported.
func (f *Fake) endLocked(c *FakeChannel, cause int) {
	if c.timer != nil {
		c.timer()
		c.timer = nil
	}
	if c.Bridge != "" {
		f.leaveLocked(c)
	}
	wasUp := c.State == "up"
	c.State = "down"
	at := f.Now()
	if c.InDialplan {
		c.InDialplan = false
		ev := engine.DialplanEnded{Channel: c.ID, Dialed: c.dialed, Caller: c.caller, Answered: c.Connected != "", Cause: cause, At: at}
		if ev.Answered {
			ev.Talk = at.Sub(c.connectedAt)
		}
		f.router.Dispatch(ev)
		return
	}
	if !c.Inbound && !wasUp {
		f.router.Dispatch(engine.OriginateFailed{
			Channel: c.ID, Cause: cause, CauseText: causeText(cause), Outcome: engine.CauseOutcome(cause), At: at,
		})
		return
	}
	f.router.Dispatch(engine.ChannelHungup{Channel: c.ID, Cause: cause, CauseText: causeText(cause), At: at})
}

func causeText(cause int) string {
	switch cause {
	case engine.CauseNormalClearing:
		return "Normal Clearing"
	case engine.CauseUserBusy:
		return "User busy"
	case engine.CauseNoAnswer:
		return "User alerting, no answer"
	case engine.CauseNoRoute:
		return "No route to destination"
	case engine.CauseSwitchCongestion:
		return "Switching equipment congestion"
	}
	return "Cause " + strconv.Itoa(cause)
}

var outcomeCause = map[engine.Outcome]int{
	engine.OutcomeBusy:        engine.CauseUserBusy,
	engine.OutcomeNoAnswer:    engine.CauseNoAnswer,
	engine.OutcomeRejected:    engine.CauseCallRejected,
	engine.OutcomeUnreachable: engine.CauseNoRoute,
}

// Originate implements engine.Engine following the destination's Behavior.
func (f *Fake) Originate(ctx context.Context, req engine.OriginateRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if req.ID == "" || req.Endpoint == "" {
		return fmt.Errorf("fake: originate: %w: id and endpoint are required", engine.ErrInvalid)
	}
	if c := f.channels[req.ID]; c != nil {
		return fmt.Errorf("fake: originate %s: %w: channel id in use", req.ID, engine.ErrConflict)
	}
	b, ok := f.destinations[req.Endpoint]
	if !ok {
		b = Behavior{Outcome: engine.OutcomeUnreachable}
	}
	if b.Err != nil {
		return fmt.Errorf("fake: originate %s to %s: %w", req.ID, req.Endpoint, b.Err)
	}
	f.originated = append(f.originated, req)
	c := &FakeChannel{ID: req.ID, Endpoint: req.Endpoint, State: "ringing"}
	f.channels[req.ID] = c
	settle := func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if c.State != "ringing" {
			return
		}
		c.timer = nil
		if b.Outcome == engine.OutcomeNormal || b.Outcome == "" {
			c.State = "up"
			f.router.Dispatch(engine.ChannelAnswered{Channel: c.ID, At: f.Now()})
			return
		}
		f.endLocked(c, outcomeCause[b.Outcome])
	}
	switch {
	case b.Outcome == engine.OutcomeNoAnswer:
		f.router.Dispatch(engine.ChannelRinging{Channel: c.ID, At: f.Now()})
		if req.Timeout > 0 {
			c.timer = f.AfterFunc(req.Timeout, settle)
		}
	case b.After > 0:
		if b.Outcome == engine.OutcomeNormal || b.Outcome == "" {
			f.router.Dispatch(engine.ChannelRinging{Channel: c.ID, At: f.Now()})
		}
		c.timer = f.AfterFunc(b.After, settle)
	default:
		c.timer = f.AfterFunc(0, settle)
	}
	return nil
}

// Play implements engine.Engine; the media are recorded as heard.
func (f *Fake) Play(ctx context.Context, ch engine.ChannelID, id engine.PlaybackID, media ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.live("play", ch)
	if err != nil {
		return err
	}
	if len(media) == 0 || id == "" {
		return fmt.Errorf("fake: play on %s: %w: playback id and media are required", ch, engine.ErrInvalid)
	}
	if _, busy := f.playbacks[id]; busy {
		return fmt.Errorf("fake: play %s: %w: playback id in use", id, engine.ErrConflict)
	}
	c.Heard = append(c.Heard, media...)
	f.router.Dispatch(engine.PlaybackStarted{Channel: ch, Playback: id, At: f.Now()})
	if f.HoldPlayback {
		f.playbacks[id] = ch
		return nil
	}
	f.router.Dispatch(engine.PlaybackFinished{Channel: ch, Playback: id, At: f.Now()})
	return nil
}

// StopPlayback implements engine.Engine.
func (f *Fake) StopPlayback(ctx context.Context, id engine.PlaybackID) error {
	f.mu.Lock()
	ch, ok := f.playbacks[id]
	delete(f.playbacks, id)
	f.mu.Unlock()
	if !ok {
		return fmt.Errorf("fake: stop playback %s: %w", id, engine.ErrNotFound)
	}
	f.router.Dispatch(engine.PlaybackFinished{Channel: ch, Playback: id, At: f.Now()})
	return nil
}

// CreateBridge implements engine.Engine.
func (f *Fake) CreateBridge(ctx context.Context, id engine.BridgeID, kind engine.BridgeKind) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.bridges[id]; ok {
		return fmt.Errorf("fake: create bridge %s: %w: id in use", id, engine.ErrConflict)
	}
	if kind == "" {
		kind = engine.BridgeMixing
	}
	f.bridges[id] = &fakeBridge{kind: kind}
	return nil
}

// AddToBridge implements engine.Engine.
func (f *Fake) AddToBridge(ctx context.Context, b engine.BridgeID, ch engine.ChannelID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	br := f.bridges[b]
	if br == nil {
		return fmt.Errorf("fake: add %s to bridge %s: %w", ch, b, engine.ErrNotFound)
	}
	c, err := f.live("add to bridge", ch)
	if err != nil {
		return err
	}
	if c.Bridge == b {
		return nil
	}
	if c.Bridge != "" {
		f.leaveLocked(c)
	}
	if br.kind == engine.BridgeMixing {
		for _, m := range br.members {
			f.pairs = append(f.pairs, [2]engine.ChannelID{m, ch})
		}
	}
	br.members = append(br.members, ch)
	c.Bridge = b
	f.router.Dispatch(engine.BridgeJoined{Bridge: b, Channel: ch, At: f.Now()})
	return nil
}

func (f *Fake) leaveLocked(c *FakeChannel) {
	if br := f.bridges[c.Bridge]; br != nil {
		br.members = slices.DeleteFunc(br.members, func(m engine.ChannelID) bool { return m == c.ID })
	}
	b := c.Bridge
	c.Bridge = ""
	f.router.Dispatch(engine.BridgeLeft{Bridge: b, Channel: c.ID, At: f.Now()})
}

// RemoveFromBridge implements engine.Engine.
func (f *Fake) RemoveFromBridge(ctx context.Context, b engine.BridgeID, ch engine.ChannelID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.bridges[b] == nil {
		return fmt.Errorf("fake: remove %s from bridge %s: %w", ch, b, engine.ErrNotFound)
	}
	c, err := f.live("remove from bridge", ch)
	if err != nil {
		return err
	}
	if c.Bridge != b {
		return fmt.Errorf("fake: remove %s from bridge %s: %w: not in bridge", ch, b, engine.ErrConflict)
	}
	f.leaveLocked(c)
	return nil
}

// DestroyBridge implements engine.Engine.
func (f *Fake) DestroyBridge(ctx context.Context, b engine.BridgeID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	br := f.bridges[b]
	if br == nil {
		return fmt.Errorf("fake: destroy bridge %s: %w", b, engine.ErrNotFound)
	}
	for _, m := range slices.Clone(br.members) {
		if c := f.channels[m]; c != nil {
			f.leaveLocked(c)
		}
	}
	delete(f.bridges, b)
	return nil
}

// Continue implements engine.Continuer; ContinuedTo records where the
// channel went.
func (f *Fake) Continue(ctx context.Context, ch engine.ChannelID, dialContext, extension string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.live("continue", ch)
	if err != nil {
		return err
	}
	c.ContinuedTo = extension + "@" + dialContext
	return nil
}

// DialInDialplan implements engine.DialplanDialer when DialplanDialing is
// set: the destination endpoint's Behavior decides, as for Originate. On
// answer the channel is up and Connected with the endpoint, silently; on
// failure it comes back with ChannelReturned; OutcomeNoAnswer comes back
// after req.Timeout (never when zero). The end of the channel while in
// the dialplan (FarEndHangup: either side hung up) is reported with
// DialplanEnded.
func (f *Fake) DialInDialplan(ctx context.Context, ch engine.ChannelID, req engine.DialRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.DialplanDialing {
		return fmt.Errorf("fake: dial %s in the dialplan: %w", ch, engine.ErrUnsupported)
	}
	c, err := f.live("dial in the dialplan", ch)
	if err != nil {
		return err
	}
	if c.InDialplan {
		return fmt.Errorf("fake: dial %s in the dialplan: %w: already there", ch, engine.ErrConflict)
	}
	b, ok := f.destinations[req.Endpoint]
	if !ok {
		b = Behavior{Outcome: engine.OutcomeUnreachable}
	}
	f.dialplanned = append(f.dialplanned, req)
	c.InDialplan = true
	c.dialed, c.caller = req.Dialed, req.CallerID
	settle := func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if !c.InDialplan || c.State == "down" {
			return
		}
		c.timer = nil
		if b.Outcome == engine.OutcomeNormal || b.Outcome == "" {
			// Connected; reported only at the end (DialplanEnded).
			c.State = "up"
			c.Connected = req.Endpoint
			c.connectedAt = f.Now()
			return
		}
		c.InDialplan = false
		cause := outcomeCause[b.Outcome]
		f.router.Dispatch(engine.ChannelReturned{Channel: c.ID, Outcome: b.Outcome, Cause: cause, CauseText: causeText(cause), At: f.Now()})
	}
	switch {
	case b.Outcome == engine.OutcomeNoAnswer:
		if req.Timeout > 0 {
			c.timer = f.AfterFunc(req.Timeout, settle)
		}
	case b.After > 0:
		c.timer = f.AfterFunc(b.After, settle)
	default:
		c.timer = f.AfterFunc(0, settle)
	}
	return nil
}

// StartMOH implements engine.MusicOnHold.
func (f *Fake) StartMOH(ctx context.Context, ch engine.ChannelID, class string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.live("start moh", ch)
	if err != nil {
		return err
	}
	if class == "" {
		class = "default"
	}
	c.Heard = append(c.Heard, "moh:"+class)
	return nil
}

// StopMOH implements engine.MusicOnHold.
func (f *Fake) StopMOH(ctx context.Context, ch engine.ChannelID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, err := f.live("stop moh", ch)
	return err
}

// StartRecording implements engine.Recorder.
func (f *Fake) StartRecording(ctx context.Context, req engine.RecordRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.live("record", req.Channel); err != nil {
		return err
	}
	if _, ok := f.recordings[req.ID]; ok {
		return fmt.Errorf("fake: record %s: %w: id in use", req.ID, engine.ErrConflict)
	}
	f.recordings[req.ID] = req.Channel
	f.router.Dispatch(engine.RecordingStarted{Recording: req.ID, Channel: req.Channel, At: f.Now()})
	return nil
}

// StopRecording implements engine.Recorder.
func (f *Fake) StopRecording(ctx context.Context, id engine.RecordingID) error {
	f.mu.Lock()
	ch, ok := f.recordings[id]
	delete(f.recordings, id)
	f.mu.Unlock()
	if !ok {
		return fmt.Errorf("fake: stop recording %s: %w", id, engine.ErrNotFound)
	}
	f.router.Dispatch(engine.RecordingFinished{Recording: id, Channel: ch, At: f.Now()})
	return nil
}

// SetFallback implements engine.FallbackStore.
func (f *Fake) SetFallback(ctx context.Context, number, destination string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if destination == "" {
		delete(f.fallbacks, number)
		return nil
	}
	f.fallbacks[number] = destination
	return nil
}

// WatchEndpoint implements engine.EndpointWatcher.
func (f *Fake) WatchEndpoint(ctx context.Context, endpoint string) (engine.EndpointState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.endpoints[endpoint]
	if !ok {
		return engine.EndpointUnknown, fmt.Errorf("fake: watch endpoint %s: %w", endpoint, engine.ErrNotFound)
	}
	return s, nil
}
