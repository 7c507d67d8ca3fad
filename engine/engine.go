// Package engine is the contract between the call controller and a media
// engine (Asterisk over ARI, FreeSWITCH over ESL): typed identifiers, typed
// events, commands, sentinel errors and the mapping of Q.850 causes to call
// outcomes (ENG-1, ENG-2).
//
// The package owns the shape of that contract and the event Router that
// drivers use to deliver events to one goroutine per call. It must not import
// anything of this project nor know about a particular engine's protocol.
//
// # Event delivery
//
// Events are routed by channel: a call goroutine holds a *Subscription for
// the channels it owns (the inbound leg, the outbound legs it originates) and
// reads them with Subscription.Next. Events of channels nobody subscribed to,
// and events that belong to no channel (EndpointStateChanged, Disconnected,
// Reconnected), go to the engine's Inbox. A CallArrived event is delivered to
// the Inbox and carries a Subscription already holding every later event of
// the new channel, so no event can slip between arrival and subscription.
// Queues are unbounded: a slow call never blocks the driver's reader or
// other calls.
package engine

import (
	"context"
	"time"
)

// ChannelID identifies one call leg in the engine. Drivers let the
// controller choose it when originating.
type ChannelID string

// BridgeID identifies a bridge (a mixing or holding room of channels).
type BridgeID string

// PlaybackID identifies one playback started with Engine.Play.
type PlaybackID string

// RecordingID identifies one recording started with Recorder.StartRecording.
type RecordingID string

// BridgeKind says how a bridge treats its channels.
type BridgeKind string

// Bridge kinds.
const (
	// BridgeMixing mixes the audio of all its channels (a conversation).
	BridgeMixing BridgeKind = "mixing"
	// BridgeHolding keeps channels apart, e.g. callers waiting in a queue.
	BridgeHolding BridgeKind = "holding"
)

// HangupReason is the reason given to the far end when VMS hangs up.
type HangupReason string

// Hangup reasons.
const (
	HangupNormal     HangupReason = "normal"
	HangupBusy       HangupReason = "busy"
	HangupCongestion HangupReason = "congestion"
	HangupNoAnswer   HangupReason = "no_answer"
)

// OriginateRequest describes an outbound leg.
type OriginateRequest struct {
	// ID is chosen by the caller; every event of the new leg carries it.
	// Subscribe to it before calling Originate.
	ID ChannelID
	// Endpoint is the engine's dial string, e.g. "PJSIP/0612345678@trunk"
	// or "Local/100@test".
	Endpoint string
	// CallerID is presented to the destination ("Name <number>" or a number).
	CallerID string
	// Timeout is how long the destination may ring; zero means the engine's
	// default.
	Timeout time.Duration
	// Formats restricts the codecs offered, in order (e.g. "opus", "ulaw").
	Formats []string
	// Variables are set on the new channel before it dials.
	Variables map[string]string
	// Args are passed to the application when the leg answers.
	Args []string
	// Originator links the new leg to an existing channel (same call in
	// CDRs and logs); optional. Asterisk ignores it when Formats is set.
	Originator ChannelID
}

// Engine is what the controller needs from a media engine. Every command
// takes a context and returns an error wrapping one of the sentinel errors
// of this package when the cause is known (ErrNotFound when the channel is
// gone, ErrDisconnected when the engine cannot be reached).
//
// Optional capabilities are separate interfaces: MusicOnHold, Recorder,
// FallbackStore, EndpointWatcher.
type Engine interface {
	// Inbox returns the subscription receiving events that no per-call
	// subscription claims: CallArrived, EndpointStateChanged, Disconnected,
	// Reconnected, and events of channels nobody subscribed to.
	Inbox() *Subscription
	// Subscribe routes the events of the given channels to a new
	// subscription. Subscribe to an outbound leg before originating it.
	Subscribe(ids ...ChannelID) *Subscription

	// Answer answers an inbound channel.
	Answer(ctx context.Context, ch ChannelID) error
	// Ring sends ringing to an inbound channel that is not answered yet.
	Ring(ctx context.Context, ch ChannelID) error
	// Hangup ends a channel with a reason.
	Hangup(ctx context.Context, ch ChannelID, reason HangupReason) error
	// Originate starts an outbound leg. It returns once the engine accepted
	// the request; the outcome arrives as ChannelAnswered or OriginateFailed.
	Originate(ctx context.Context, req OriginateRequest) error

	// Play plays media to a channel, one after the other, under id. Media
	// are engine URIs such as "sound:http://vms/prompts/x.wav" or
	// "sound:beep". PlaybackFinished reports the end.
	Play(ctx context.Context, ch ChannelID, id PlaybackID, media ...string) error
	// StopPlayback stops a playback; PlaybackFinished still follows.
	StopPlayback(ctx context.Context, id PlaybackID) error

	// CreateBridge creates a bridge with a caller-chosen id.
	CreateBridge(ctx context.Context, id BridgeID, kind BridgeKind) error
	// AddToBridge moves a channel into a bridge.
	AddToBridge(ctx context.Context, b BridgeID, ch ChannelID) error
	// RemoveFromBridge takes a channel out of a bridge.
	RemoveFromBridge(ctx context.Context, b BridgeID, ch ChannelID) error
	// DestroyBridge destroys a bridge; its channels stay up.
	DestroyBridge(ctx context.Context, b BridgeID) error
}

// MusicOnHold is implemented by engines that play music on hold.
type MusicOnHold interface {
	// StartMOH plays the music-on-hold class (empty: default) to a channel.
	StartMOH(ctx context.Context, ch ChannelID, class string) error
	// StopMOH stops music on hold on a channel.
	StopMOH(ctx context.Context, ch ChannelID) error
}

// RecordRequest describes a recording of one channel.
type RecordRequest struct {
	// ID names the recording; it is unique within the engine.
	ID RecordingID
	// Channel is the channel recorded.
	Channel ChannelID
	// Format is the file format, e.g. "wav" or "ulaw".
	Format string
	// MaxDuration bounds the recording; zero means no bound.
	MaxDuration time.Duration
	// Beep plays a beep before recording starts.
	Beep bool
}

// Recorder is implemented by engines that record channels (REC-1).
type Recorder interface {
	// StartRecording starts recording; RecordingStarted reports that it
	// runs, RecordingFinished or RecordingFailed its end. Stop it only
	// after RecordingStarted: Asterisk may lose a stop that comes earlier.
	StartRecording(ctx context.Context, req RecordRequest) error
	// StopRecording stops a recording and keeps the file.
	StopRecording(ctx context.Context, id RecordingID) error
}

// FallbackStore is implemented by engines that keep the static fallback
// destination used by their dialplan when VMS is unreachable (ENG-3).
type FallbackStore interface {
	// SetFallback sets the destination for a dialed number; an empty
	// destination removes it.
	SetFallback(ctx context.Context, number, destination string) error
}

// Continuer is implemented by engines that can hand a channel back to
// their own dialplan: the cheapest way to execute a plain decision (one
// command instead of originate + bridge). The channel leaves VMS's control;
// no ChannelHungup follows for it.
type Continuer interface {
	// Continue sends the channel to context/extension (priority 1).
	Continue(ctx context.Context, ch ChannelID, context, extension string) error
}

// DialRequest describes a destination rung by the engine's own dialplan
// (DialplanDialer).
type DialRequest struct {
	// Dialed is the number the caller dialed (E.164), for the engine's
	// logs and listings.
	Dialed string
	// Endpoint is the engine's dial string, as in OriginateRequest.
	Endpoint string
	// CallerID is the caller number presented to the destination; empty
	// keeps the caller's own.
	CallerID string
	// Timeout is how long the destination may ring; zero means the
	// engine's default.
	Timeout time.Duration
}

// DialplanDialer is implemented by engines whose own dialplan can ring a
// destination for a channel and, when it answers, connect both natively:
// one command per call instead of the eight of originate, answer and
// bridge, and none of the application's event traffic of a bridge.
//
// After DialInDialplan the channel is outside the application. When the
// destination does not answer (busy, no answer, unreachable) the channel
// comes back under VMS's control with ChannelReturned. Otherwise the
// engine reports the end of the call with DialplanEnded (answered or
// not, how long it was connected). Nothing is reported in between: the
// answer is known at the end. A request the engine's dialplan cannot
// carry (an unusual dial string) fails with ErrUnsupported and leaves the
// channel where it was.
type DialplanDialer interface {
	DialInDialplan(ctx context.Context, ch ChannelID, req DialRequest) error
}

// EndpointState is the reachability of an endpoint (an agent's phone).
type EndpointState string

// Endpoint states.
const (
	EndpointOnline  EndpointState = "online"
	EndpointOffline EndpointState = "offline"
	EndpointUnknown EndpointState = "unknown"
)

// EndpointWatcher is implemented by engines that report endpoint state.
type EndpointWatcher interface {
	// WatchEndpoint asks for EndpointStateChanged events about an endpoint
	// (e.g. "PJSIP/agent42") and returns its current state.
	WatchEndpoint(ctx context.Context, endpoint string) (EndpointState, error)
}
