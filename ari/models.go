package ari

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The models below are the subset of Asterisk's ARI models (rest-api/*.json,
// Swagger 1.2) that VMS uses; unknown fields are ignored.

// CallerID is an ARI CallerID.
type CallerID struct {
	Name   string `json:"name"`
	Number string `json:"number"`
}

// DialplanCEP is an ARI DialplanCEP (context, extension, priority).
type DialplanCEP struct {
	Context  string `json:"context"`
	Exten    string `json:"exten"`
	Priority int64  `json:"priority"`
	AppName  string `json:"app_name"`
	AppData  string `json:"app_data"`
}

// Channel is an ARI Channel.
type Channel struct {
	ID           string      `json:"id"`
	Name         string      `json:"name"`
	State        string      `json:"state"`
	Caller       CallerID    `json:"caller"`
	Connected    CallerID    `json:"connected"`
	Dialplan     DialplanCEP `json:"dialplan"`
	CreationTime Time        `json:"creationtime"`
	Language     string      `json:"language"`
}

// Bridge is an ARI Bridge.
type Bridge struct {
	ID         string   `json:"id"`
	Technology string   `json:"technology"`
	BridgeType string   `json:"bridge_type"`
	Name       string   `json:"name"`
	Channels   []string `json:"channels"`
}

// Playback is an ARI Playback.
type Playback struct {
	ID        string `json:"id"`
	MediaURI  string `json:"media_uri"`
	TargetURI string `json:"target_uri"`
	State     string `json:"state"`
}

// Endpoint is an ARI Endpoint.
type Endpoint struct {
	Technology string   `json:"technology"`
	Resource   string   `json:"resource"`
	State      string   `json:"state"`
	ChannelIDs []string `json:"channel_ids"`
}

// Application is an ARI Application.
type Application struct {
	Name        string   `json:"name"`
	ChannelIDs  []string `json:"channel_ids"`
	BridgeIDs   []string `json:"bridge_ids"`
	EndpointIDs []string `json:"endpoint_ids"`
}

// LiveRecording is an ARI LiveRecording.
type LiveRecording struct {
	Name      string `json:"name"`
	Format    string `json:"format"`
	TargetURI string `json:"target_uri"`
	State     string `json:"state"`
	Duration  int    `json:"duration"`
	Cause     string `json:"cause"`
}

// Message is one ARI event as received on the WebSocket: the union of the
// fields of the event types VMS handles. Type says which fields are set.
type Message struct {
	Type        string         `json:"type"`
	Application string         `json:"application"`
	Timestamp   Time           `json:"timestamp"`
	AsteriskID  string         `json:"asterisk_id"`
	Channel     *Channel       `json:"channel"`
	Bridge      *Bridge        `json:"bridge"`
	Playback    *Playback      `json:"playback"`
	Endpoint    *Endpoint      `json:"endpoint"`
	Recording   *LiveRecording `json:"recording"`
	Args        []string       `json:"args"`
	Cause       int            `json:"cause"`
	CauseText   string         `json:"cause_txt"`
	Digit       string         `json:"digit"`
	DurationMs  int            `json:"duration_ms"`
	Peer        *Channel       `json:"peer"`
	DialStatus  string         `json:"dialstatus"`
	ContactInfo *ContactInfo   `json:"contact_info"`
}

// ContactInfo is the contact of a ContactStatusChange: a registration of
// an endpoint's phone and its reachability (Reachable, Unreachable,
// Removed, NonQualified, Unknown).
type ContactInfo struct {
	URI           string `json:"uri"`
	ContactStatus string `json:"contact_status"`
	AOR           string `json:"aor"`
}

// DecodeMessage decodes one WebSocket message. It fails on malformed JSON
// and on a message without a type; unknown types decode fine and are left
// to the caller to ignore.
func DecodeMessage(data []byte) (Message, error) {
	var m Message
	if err := json.Unmarshal(data, &m); err != nil {
		return Message{}, fmt.Errorf("ari: decode event: %w", err)
	}
	if m.Type == "" {
		return Message{}, errNoType
	}
	return m, nil
}

var errNoType = errors.New("ari: decode event: no type")

// Time is an ARI timestamp ("2026-11-26T14:07:30.123+0000"), held in UTC. A value that
// cannot be parsed decodes as the zero time rather than failing the event.
type Time struct{ time.Time }

// ariTimeLayouts are the formats Asterisk uses for Date fields.
var ariTimeLayouts = []string{
	"2006-01-02T15:04:05.000-0700",
	"2006-01-02T15:04:05-0700",
	time.RFC3339Nano,
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	t.Time = time.Time{}
	for _, l := range ariTimeLayouts {
		if v, err := time.Parse(l, s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	return nil
}
