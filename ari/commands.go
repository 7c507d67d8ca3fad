package ari

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vmsplatform/vms/engine"
)

// gone marks err as engine.ErrNotFound when the channel already ended for
// VMS: Asterisk answers commands on a channel that is still being torn
// down with 409 or 500 rather than 404.
func (c *Client) gone(ch engine.ChannelID, err error) error {
	if errors.Is(err, engine.ErrNotFound) || errors.Is(err, engine.ErrDisconnected) || errors.Is(err, engine.ErrClosed) {
		return err
	}
	c.mu.Lock()
	ended := c.ended.has(ch)
	c.mu.Unlock()
	if ended {
		return fmt.Errorf("%w: %w", engine.ErrNotFound, err)
	}
	return err
}

// Answer implements engine.Engine.
func (c *Client) Answer(ctx context.Context, ch engine.ChannelID) error {
	if err := c.do(ctx, http.MethodPost, "/channels/"+esc(string(ch))+"/answer", nil, nil, nil); err != nil {
		return fmt.Errorf("ari: answer %s: %w", ch, c.gone(ch, err))
	}
	return nil
}

// Ring implements engine.Engine.
func (c *Client) Ring(ctx context.Context, ch engine.ChannelID) error {
	if err := c.do(ctx, http.MethodPost, "/channels/"+esc(string(ch))+"/ring", nil, nil, nil); err != nil {
		return fmt.Errorf("ari: ring %s: %w", ch, c.gone(ch, err))
	}
	return nil
}

// Hangup implements engine.Engine.
func (c *Client) Hangup(ctx context.Context, ch engine.ChannelID, reason engine.HangupReason) error {
	if reason == "" {
		reason = engine.HangupNormal
	}
	q := url.Values{"reason": {string(reason)}}
	if err := c.do(ctx, http.MethodDelete, "/channels/"+esc(string(ch)), q, nil, nil); err != nil {
		return fmt.Errorf("ari: hangup %s: %w", ch, c.gone(ch, err))
	}
	return nil
}

// originateBody carries the channel variables of an originate.
type originateBody struct {
	Variables map[string]string `json:"variables,omitempty"`
}

// Originate implements engine.Engine. The new leg enters the application
// when it answers; its own StasisStart is reported as ChannelAnswered.
func (c *Client) Originate(ctx context.Context, req engine.OriginateRequest) error {
	if req.ID == "" || req.Endpoint == "" {
		return fmt.Errorf("ari: originate: %w: id and endpoint are required", engine.ErrInvalid)
	}
	q := url.Values{
		"endpoint": {req.Endpoint},
		"app":      {c.cfg.App},
	}
	if len(req.Args) > 0 {
		q.Set("appArgs", strings.Join(req.Args, ","))
	}
	if req.CallerID != "" {
		q.Set("callerId", req.CallerID)
	}
	if req.Timeout > 0 {
		q.Set("timeout", strconv.Itoa(int((req.Timeout+time.Second-1)/time.Second)))
	}
	if len(req.Formats) > 0 {
		q.Set("formats", strings.Join(req.Formats, ","))
	}
	// Asterisk refuses originator together with formats (400); the codec
	// choice matters more (WebRTC agents need opus).
	if req.Originator != "" && len(req.Formats) == 0 {
		q.Set("originator", string(req.Originator))
	}
	var body any
	if len(req.Variables) > 0 {
		body = originateBody{Variables: req.Variables}
	}
	c.mu.Lock()
	c.originated[req.ID] = &legState{}
	c.mu.Unlock()
	if err := c.do(ctx, http.MethodPost, "/channels/"+esc(string(req.ID)), q, body, nil); err != nil {
		c.mu.Lock()
		delete(c.originated, req.ID)
		c.mu.Unlock()
		return fmt.Errorf("ari: originate %s to %s: %w", req.ID, req.Endpoint, err)
	}
	return nil
}

// Play implements engine.Engine.
func (c *Client) Play(ctx context.Context, ch engine.ChannelID, id engine.PlaybackID, media ...string) error {
	if len(media) == 0 || id == "" {
		return fmt.Errorf("ari: play on %s: %w: playback id and media are required", ch, engine.ErrInvalid)
	}
	q := url.Values{"media": {strings.Join(media, ",")}}
	if err := c.do(ctx, http.MethodPost, "/channels/"+esc(string(ch))+"/play/"+esc(string(id)), q, nil, nil); err != nil {
		return fmt.Errorf("ari: play %s on %s: %w", id, ch, c.gone(ch, err))
	}
	return nil
}

// StopPlayback implements engine.Engine.
func (c *Client) StopPlayback(ctx context.Context, id engine.PlaybackID) error {
	if err := c.do(ctx, http.MethodDelete, "/playbacks/"+esc(string(id)), nil, nil, nil); err != nil {
		return fmt.Errorf("ari: stop playback %s: %w", id, err)
	}
	return nil
}

// CreateBridge implements engine.Engine.
func (c *Client) CreateBridge(ctx context.Context, id engine.BridgeID, kind engine.BridgeKind) error {
	var typ string
	switch kind {
	case engine.BridgeMixing, "":
		typ = "mixing"
	case engine.BridgeHolding:
		typ = "holding"
	default:
		return fmt.Errorf("ari: create bridge %s: %w: unknown kind %q", id, engine.ErrInvalid, kind)
	}
	if err := c.do(ctx, http.MethodPost, "/bridges/"+esc(string(id)), url.Values{"type": {typ}}, nil, nil); err != nil {
		return fmt.Errorf("ari: create bridge %s: %w", id, err)
	}
	return nil
}

// AddToBridge implements engine.Engine.
func (c *Client) AddToBridge(ctx context.Context, b engine.BridgeID, ch engine.ChannelID) error {
	q := url.Values{"channel": {string(ch)}}
	if err := c.do(ctx, http.MethodPost, "/bridges/"+esc(string(b))+"/addChannel", q, nil, nil); err != nil {
		return fmt.Errorf("ari: add %s to bridge %s: %w", ch, b, c.gone(ch, err))
	}
	return nil
}

// RemoveFromBridge implements engine.Engine.
func (c *Client) RemoveFromBridge(ctx context.Context, b engine.BridgeID, ch engine.ChannelID) error {
	q := url.Values{"channel": {string(ch)}}
	if err := c.do(ctx, http.MethodPost, "/bridges/"+esc(string(b))+"/removeChannel", q, nil, nil); err != nil {
		return fmt.Errorf("ari: remove %s from bridge %s: %w", ch, b, err)
	}
	return nil
}

// DestroyBridge implements engine.Engine.
func (c *Client) DestroyBridge(ctx context.Context, b engine.BridgeID) error {
	if err := c.do(ctx, http.MethodDelete, "/bridges/"+esc(string(b)), nil, nil, nil); err != nil {
		return fmt.Errorf("ari: destroy bridge %s: %w", b, err)
	}
	return nil
}

// Continue implements engine.Continuer: POST /channels/{id}/continue. The
// channel's StasisEnd is then not reported as a hangup.
func (c *Client) Continue(ctx context.Context, ch engine.ChannelID, dialContext, extension string) error {
	q := url.Values{"context": {dialContext}, "extension": {extension}, "priority": {"1"}}
	c.mu.Lock()
	c.continued[ch] = struct{}{}
	c.mu.Unlock()
	if err := c.do(ctx, http.MethodPost, "/channels/"+esc(string(ch))+"/continue", q, nil, nil); err != nil {
		c.mu.Lock()
		delete(c.continued, ch)
		c.mu.Unlock()
		return fmt.Errorf("ari: continue %s to %s@%s: %w", ch, extension, dialContext, c.gone(ch, err))
	}
	return nil
}

// StartMOH implements engine.MusicOnHold.
func (c *Client) StartMOH(ctx context.Context, ch engine.ChannelID, class string) error {
	var q url.Values
	if class != "" {
		q = url.Values{"mohClass": {class}}
	}
	if err := c.do(ctx, http.MethodPost, "/channels/"+esc(string(ch))+"/moh", q, nil, nil); err != nil {
		return fmt.Errorf("ari: start moh on %s: %w", ch, c.gone(ch, err))
	}
	return nil
}

// StopMOH implements engine.MusicOnHold.
func (c *Client) StopMOH(ctx context.Context, ch engine.ChannelID) error {
	if err := c.do(ctx, http.MethodDelete, "/channels/"+esc(string(ch))+"/moh", nil, nil, nil); err != nil {
		return fmt.Errorf("ari: stop moh on %s: %w", ch, c.gone(ch, err))
	}
	return nil
}

// StartRecording implements engine.Recorder: an ARI live recording of the
// channel, stored by Asterisk under its recordings directory as
// <id>.<format>.
func (c *Client) StartRecording(ctx context.Context, req engine.RecordRequest) error {
	if req.ID == "" || req.Channel == "" {
		return fmt.Errorf("ari: record: %w: id and channel are required", engine.ErrInvalid)
	}
	format := req.Format
	if format == "" {
		format = "wav"
	}
	q := url.Values{
		"name":     {string(req.ID)},
		"format":   {format},
		"ifExists": {"fail"},
		"beep":     {strconv.FormatBool(req.Beep)},
	}
	if req.MaxDuration > 0 {
		q.Set("maxDurationSeconds", strconv.Itoa(int((req.MaxDuration+time.Second-1)/time.Second)))
	}
	if err := c.do(ctx, http.MethodPost, "/channels/"+esc(string(req.Channel))+"/record", q, nil, nil); err != nil {
		return fmt.Errorf("ari: record %s on %s: %w", req.ID, req.Channel, c.gone(req.Channel, err))
	}
	return nil
}

// StopRecording implements engine.Recorder.
func (c *Client) StopRecording(ctx context.Context, id engine.RecordingID) error {
	if err := c.do(ctx, http.MethodPost, "/recordings/live/"+esc(string(id))+"/stop", nil, nil, nil); err != nil {
		return fmt.Errorf("ari: stop recording %s: %w", id, err)
	}
	return nil
}

// FallbackFamily is the AstDB family holding the ENG-3 fallback map: key
// the dialed number's digits, value the Dial() string the shipped dialplan
// (dialplans/asterisk, context vms-fallback) uses while no VMS is connected.
const FallbackFamily = "vms-fallback"

// fallbackGlobal is the prefix of the global variable holding a number's
// fallback; the dialplan prefers it over AstDB.
const fallbackGlobal = "VMS_FALLBACK_"

// SetFallback implements engine.FallbackStore (ENG-3) the way
// dialplans/asterisk/README.md documents it: ARI may not write DB()
// ("dangerous" function), so the number's global VMS_FALLBACK_<digits> is
// set (effective at once, lost on restart) and a Local channel into the
// vms-fallback-store context writes AstDB (persistent). An empty
// destination clears both. number may carry a leading "+"; the key is its
// digits.
func (c *Client) SetFallback(ctx context.Context, number, destination string) error {
	digits, ok := fallbackKey(number)
	if !ok {
		return fmt.Errorf("ari: set fallback: %w: number %q is not digits", engine.ErrInvalid, number)
	}
	q := url.Values{"variable": {fallbackGlobal + digits}, "value": {destination}}
	if err := c.do(ctx, http.MethodPost, "/asterisk/variable", q, nil, nil); err != nil {
		return fmt.Errorf("ari: set fallback %s: %w", digits, err)
	}
	store := url.Values{
		"endpoint":  {"Local/" + digits + "@vms-fallback-store"},
		"context":   {"vms-fallback-store"},
		"extension": {"done"},
		"priority":  {"1"},
	}
	body := originateBody{Variables: map[string]string{"VMS_FALLBACK_DEST": destination}}
	if err := c.do(ctx, http.MethodPost, "/channels", store, body, nil); err != nil {
		return fmt.Errorf("ari: store fallback %s: %w", digits, err)
	}
	return nil
}

// Fallback returns the fallback destination in effect for a number
// (its global; "" when none).
func (c *Client) Fallback(ctx context.Context, number string) (string, error) {
	digits, ok := fallbackKey(number)
	if !ok {
		return "", fmt.Errorf("ari: get fallback: %w: number %q is not digits", engine.ErrInvalid, number)
	}
	var v struct {
		Value string `json:"value"`
	}
	q := url.Values{"variable": {fallbackGlobal + digits}}
	if err := c.do(ctx, http.MethodGet, "/asterisk/variable", q, nil, &v); err != nil {
		return "", fmt.Errorf("ari: get fallback %s: %w", digits, err)
	}
	return v.Value, nil
}

// fallbackKey returns the digits of a number with an optional leading "+".
func fallbackKey(number string) (string, bool) {
	digits := strings.TrimPrefix(number, "+")
	if digits == "" || len(digits) > 32 {
		return "", false
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return "", false
		}
	}
	return digits, true
}
