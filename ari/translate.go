package ari

import (
	"strings"
	"time"

	"github.com/vmsplatform/vms/engine"
)

// translate turns one ARI message into engine events (usually one, none for
// the types VMS ignores). It runs on the reader goroutine: it only touches
// in-memory state, never the network.
func (c *Client) translate(m Message) []engine.Event {
	at := m.Timestamp.Time
	if at.IsZero() {
		at = c.cfg.Now()
	}
	switch m.Type {
	case "StasisStart":
		if m.Channel == nil {
			return nil
		}
		id := engine.ChannelID(m.Channel.ID)
		c.mu.Lock()
		leg := c.originated[id]
		if leg != nil {
			leg.answered = true
		}
		c.mu.Unlock()
		if leg != nil {
			return []engine.Event{engine.ChannelAnswered{Channel: id, At: at}}
		}
		dialed := m.Channel.Dialplan.Exten
		if len(m.Args) > 1 && m.Args[0] == "inbound" {
			dialed = m.Args[1]
		}
		return []engine.Event{engine.CallArrived{
			Channel:    id,
			Caller:     m.Channel.Caller.Number,
			CallerName: m.Channel.Caller.Name,
			Dialed:     dialed,
			Args:       m.Args,
			At:         at,
		}}
	case "ChannelStateChange":
		if m.Channel == nil {
			return nil
		}
		id := engine.ChannelID(m.Channel.ID)
		c.mu.Lock()
		_, outbound := c.originated[id]
		c.mu.Unlock()
		switch {
		case m.Channel.State == "Ringing" && outbound:
			return []engine.Event{engine.ChannelRinging{Channel: id, At: at}}
		case m.Channel.State == "Up" && !outbound:
			// An originated leg is reported answered on its own StasisStart,
			// when it can be controlled.
			return []engine.Event{engine.ChannelAnswered{Channel: id, At: at}}
		}
		return nil
	case "ChannelDestroyed":
		if m.Channel == nil {
			return nil
		}
		id := engine.ChannelID(m.Channel.ID)
		c.mu.Lock()
		leg := c.originated[id]
		delete(c.originated, id)
		c.mu.Unlock()
		if leg != nil && !leg.answered {
			return []engine.Event{engine.OriginateFailed{
				Channel: id, Cause: m.Cause, CauseText: m.CauseText,
				Outcome: engine.CauseOutcome(m.Cause), At: at,
			}}
		}
		return []engine.Event{engine.ChannelHungup{Channel: id, Cause: m.Cause, CauseText: m.CauseText, At: at}}
	case "ChannelDtmfReceived":
		if m.Channel == nil {
			return nil
		}
		return []engine.Event{engine.DTMFReceived{
			Channel: engine.ChannelID(m.Channel.ID), Digit: m.Digit, DurationMs: m.DurationMs, At: at,
		}}
	case "PlaybackStarted", "PlaybackFinished":
		if m.Playback == nil {
			return nil
		}
		ch := targetChannel(m.Playback.TargetURI)
		pb := engine.PlaybackID(m.Playback.ID)
		if m.Type == "PlaybackStarted" {
			return []engine.Event{engine.PlaybackStarted{Channel: ch, Playback: pb, At: at}}
		}
		return []engine.Event{engine.PlaybackFinished{Channel: ch, Playback: pb, Failed: m.Playback.State == "failed", At: at}}
	case "ChannelEnteredBridge", "ChannelLeftBridge":
		if m.Channel == nil || m.Bridge == nil {
			return nil
		}
		ch, b := engine.ChannelID(m.Channel.ID), engine.BridgeID(m.Bridge.ID)
		if m.Type == "ChannelEnteredBridge" {
			return []engine.Event{engine.BridgeJoined{Bridge: b, Channel: ch, At: at}}
		}
		return []engine.Event{engine.BridgeLeft{Bridge: b, Channel: ch, At: at}}
	case "EndpointStateChange":
		if m.Endpoint == nil {
			return nil
		}
		return []engine.Event{engine.EndpointStateChanged{
			Endpoint: m.Endpoint.Technology + "/" + m.Endpoint.Resource,
			State:    endpointState(m.Endpoint.State),
			At:       at,
		}}
	case "RecordingFinished", "RecordingFailed":
		if m.Recording == nil {
			return nil
		}
		id := engine.RecordingID(m.Recording.Name)
		ch := targetChannel(m.Recording.TargetURI)
		c.mu.Lock()
		delete(c.recordings, id)
		c.mu.Unlock()
		if m.Type == "RecordingFinished" {
			return []engine.Event{engine.RecordingFinished{
				Recording: id, Channel: ch, Duration: time.Duration(m.Recording.Duration) * time.Second, At: at,
			}}
		}
		return []engine.Event{engine.RecordingFailed{Recording: id, Channel: ch, Cause: m.Recording.Cause, At: at}}
	}
	return nil
}

// targetChannel returns the channel of a target URI "channel:<id>", or "".
func targetChannel(uri string) engine.ChannelID {
	if id, ok := strings.CutPrefix(uri, "channel:"); ok {
		return engine.ChannelID(id)
	}
	return ""
}

// endpointState maps ARI's endpoint state to the engine's.
func endpointState(s string) engine.EndpointState {
	switch s {
	case "online":
		return engine.EndpointOnline
	case "offline":
		return engine.EndpointOffline
	}
	return engine.EndpointUnknown
}
