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
		_, handed := c.handed[id]
		ended := len(m.Args) > 0 && m.Args[0] == argsEnded
		if ended {
			// The channel is gone: its StasisEnd follows at once and is
			// not reported again.
			delete(c.handed, id)
			c.endReported[id] = struct{}{}
		}
		c.mu.Unlock()
		if leg != nil {
			return []engine.Event{engine.ChannelAnswered{Channel: id, At: at}}
		}
		if ended {
			return []engine.Event{dialplanEnded(id, m.Args, at)}
		}
		if handed && len(m.Args) > 0 && m.Args[0] == argsDialed {
			return []engine.Event{returned(id, m.Args, at)}
		}
		dialed := m.Channel.Dialplan.Exten
		if len(m.Args) > 1 && (m.Args[0] == "inbound" || m.Args[0] == argsDialed) {
			// argsDialed: a channel back from vms-dial that this process
			// did not hand there (VMS restarted meanwhile).
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
	case "ChannelHangupRequest":
		if m.Channel != nil {
			id := engine.ChannelID(m.Channel.ID)
			c.mu.Lock()
			if _, ok := c.hangupCause[id]; !ok || m.Cause != 0 {
				// Noted even without a cause: a channel handed to the
				// dialplan that is hung up before it left Stasis ends
				// there (see StasisEnd).
				c.hangupCause[id] = m.Cause
			}
			c.mu.Unlock()
		}
		return nil
	case "Dial":
		// An originated leg's dial result: Local channels report busy or
		// congestion here only, their ChannelDestroyed has cause 0.
		if m.Peer == nil || m.DialStatus == "" {
			return nil
		}
		c.mu.Lock()
		if leg := c.originated[engine.ChannelID(m.Peer.ID)]; leg != nil {
			leg.dialStatus = m.DialStatus
		}
		c.mu.Unlock()
		return nil
	case "StasisEnd":
		// The application loses the channel. Unless it was handed back to
		// the dialplan on purpose, that is the end of the call for VMS:
		// Asterisk sends no ChannelDestroyed for a channel that left Stasis
		// and still runs dialplan.
		if m.Channel == nil {
			return nil
		}
		id := engine.ChannelID(m.Channel.ID)
		c.mu.Lock()
		defer c.mu.Unlock()
		if _, ok := c.endReported[id]; ok {
			delete(c.endReported, id)
			delete(c.hangupCause, id)
			return nil
		}
		_, hangingUp := c.hangupCause[id]
		if _, ok := c.continued[id]; ok {
			delete(c.continued, id)
			if !hangingUp {
				return nil
			}
			// Hung up before the continue took effect: the channel
			// ends here, not in the dialplan.
		}
		delete(c.handed, id)
		cause := c.hangupCause[id]
		delete(c.hangupCause, id)
		delete(c.originated, id)
		c.ended.add(id)
		if cause == 0 {
			cause = engine.CauseNormalClearing
		}
		return []engine.Event{engine.ChannelHungup{Channel: id, Cause: cause, CauseText: causeText(cause), At: at}}
	case "ChannelDestroyed":
		if m.Channel == nil {
			return nil
		}
		id := engine.ChannelID(m.Channel.ID)
		c.mu.Lock()
		leg := c.originated[id]
		delete(c.originated, id)
		delete(c.hangupCause, id)
		delete(c.continued, id)
		delete(c.handed, id)
		seen := c.ended.remove(id)
		c.mu.Unlock()
		if seen {
			return nil // already reported at StasisEnd
		}
		if leg != nil && !leg.answered {
			cause, text := m.Cause, m.CauseText
			if cause == 0 {
				if dc := dialStatusCause(leg.dialStatus); dc != 0 {
					cause, text = dc, causeText(dc)
				}
			}
			return []engine.Event{engine.OriginateFailed{
				Channel: id, Cause: cause, CauseText: text,
				Outcome: engine.CauseOutcome(cause), At: at,
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
	case "ContactStatusChange":
		// A phone registered, unregistered, answers qualify again or no
		// more. Asterisk usually sends an EndpointStateChange too; this
		// one repeats it when both agree (see contactState).
		if m.Endpoint == nil || m.ContactInfo == nil {
			return nil
		}
		st, ok := contactState(m.ContactInfo.ContactStatus, m.Endpoint.State)
		if !ok {
			return nil
		}
		return []engine.Event{engine.EndpointStateChanged{
			Endpoint: m.Endpoint.Technology + "/" + m.Endpoint.Resource,
			State:    st,
			At:       at,
		}}
	case "RecordingStarted", "RecordingFinished", "RecordingFailed":
		if m.Recording == nil {
			return nil
		}
		id := engine.RecordingID(m.Recording.Name)
		ch := targetChannel(m.Recording.TargetURI)
		if m.Type == "RecordingStarted" {
			return []engine.Event{engine.RecordingStarted{Recording: id, Channel: ch, At: at}}
		}
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

// dialStatusCause maps an ARI Dial event's dialstatus to a Q.850 cause.
func dialStatusCause(status string) int {
	switch status {
	case "BUSY":
		return engine.CauseUserBusy
	case "NOANSWER":
		return engine.CauseNoAnswer
	case "CONGESTION":
		return engine.CauseSwitchCongestion
	case "CHANUNAVAIL":
		return engine.CauseNoRoute
	case "CANCEL":
		return engine.CauseNormalClearing
	}
	return 0
}

// causeText names the causes the driver fills in itself.
func causeText(cause int) string {
	switch cause {
	case engine.CauseNormalClearing:
		return "Normal Clearing"
	case engine.CauseUserBusy:
		return "User busy"
	case engine.CauseNoAnswer:
		return "User alerting, no answer"
	case engine.CauseSwitchCongestion:
		return "Switching equipment congestion"
	case engine.CauseNoRoute:
		return "No route to destination"
	}
	return ""
}

// idRing is a bounded set of recently ended channels, so that a late
// ChannelDestroyed is not reported twice. Old entries fall out first.
type idRing struct {
	set  map[engine.ChannelID]struct{}
	fifo []engine.ChannelID
	next int
}

const endedMemory = 8192

func (r *idRing) add(id engine.ChannelID) {
	if r.set == nil {
		r.set = make(map[engine.ChannelID]struct{}, endedMemory)
		r.fifo = make([]engine.ChannelID, endedMemory)
	}
	if old := r.fifo[r.next]; old != "" {
		delete(r.set, old)
	}
	r.fifo[r.next] = id
	r.next = (r.next + 1) % endedMemory
	r.set[id] = struct{}{}
}

// has reports whether id is in the set.
func (r *idRing) has(id engine.ChannelID) bool {
	_, ok := r.set[id]
	return ok
}

// remove reports whether id was in the set and takes it out.
func (r *idRing) remove(id engine.ChannelID) bool {
	if _, ok := r.set[id]; !ok {
		return false
	}
	delete(r.set, id)
	return true
}
