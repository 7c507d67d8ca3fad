package ari

import (
	"reflect"
	"testing"
	"time"

	"github.com/vmsplatform/vms/engine"
)

var t0 = time.Date(2026, 11, 26, 14, 7, 30, 123e6, time.UTC)

const ts = `"timestamp":"2026-11-26T14:07:30.123+0000"`

func TestTranslate(t *testing.T) {
	tests := []struct {
		name       string
		originated []engine.ChannelID // legs VMS originated before the events
		handed     []engine.ChannelID // channels handed to the dial context before the events
		events     []string
		want       []engine.Event
	}{
		{
			name: "inbound call from the shipped dialplan",
			events: []string{`{"type":"StasisStart",` + ts + `,"args":["inbound","3221234567"],"channel":{"id":"in-1","state":"Ring",
				"caller":{"name":"Alice","number":"0601020304"},"dialplan":{"context":"vms-inbound","exten":"+3221234567"}}}`},
			want: []engine.Event{engine.CallArrived{Channel: "in-1", Caller: "0601020304", CallerName: "Alice",
				Dialed: "3221234567", Args: []string{"inbound", "3221234567"}, At: t0}},
		},
		{
			name:   "Stasis without args takes the extension",
			events: []string{`{"type":"StasisStart",` + ts + `,"channel":{"id":"in-2","dialplan":{"exten":"100"}}}`},
			want:   []engine.Event{engine.CallArrived{Channel: "in-2", Dialed: "100", At: t0}},
		},
		{
			name: "inbound answered, DTMF, hangup at StasisEnd with the requested cause, no double report",
			events: []string{
				`{"type":"ChannelStateChange",` + ts + `,"channel":{"id":"in-1","state":"Up"}}`,
				`{"type":"ChannelDtmfReceived",` + ts + `,"digit":"#","duration_ms":120,"channel":{"id":"in-1"}}`,
				`{"type":"ChannelHangupRequest",` + ts + `,"cause":16,"channel":{"id":"in-1"}}`,
				`{"type":"StasisEnd",` + ts + `,"channel":{"id":"in-1"}}`,
				`{"type":"ChannelDestroyed",` + ts + `,"cause":16,"cause_txt":"Normal Clearing","channel":{"id":"in-1"}}`,
			},
			want: []engine.Event{
				engine.ChannelAnswered{Channel: "in-1", At: t0},
				engine.DTMFReceived{Channel: "in-1", Digit: "#", DurationMs: 120, At: t0},
				engine.ChannelHungup{Channel: "in-1", Cause: 16, CauseText: "Normal Clearing", At: t0},
			},
		},
		{
			name:       "originated leg rings then answers on its own StasisStart",
			originated: []engine.ChannelID{"leg-1"},
			events: []string{
				`{"type":"ChannelStateChange",` + ts + `,"channel":{"id":"leg-1","state":"Ringing"}}`,
				`{"type":"ChannelStateChange",` + ts + `,"channel":{"id":"leg-1","state":"Up"}}`,
				`{"type":"StasisStart",` + ts + `,"args":[],"channel":{"id":"leg-1","state":"Up"}}`,
				`{"type":"ChannelDestroyed",` + ts + `,"cause":16,"cause_txt":"Normal Clearing","channel":{"id":"leg-1"}}`,
			},
			want: []engine.Event{
				engine.ChannelRinging{Channel: "leg-1", At: t0},
				engine.ChannelAnswered{Channel: "leg-1", At: t0},
				engine.ChannelHungup{Channel: "leg-1", Cause: 16, CauseText: "Normal Clearing", At: t0},
			},
		},
		{
			name:       "originated leg busy over SIP (cause 17)",
			originated: []engine.ChannelID{"leg-2"},
			events:     []string{`{"type":"ChannelDestroyed",` + ts + `,"cause":17,"cause_txt":"User busy","channel":{"id":"leg-2"}}`},
			want:       []engine.Event{engine.OriginateFailed{Channel: "leg-2", Cause: 17, CauseText: "User busy", Outcome: engine.OutcomeBusy, At: t0}},
		},
		{
			name:       "originated Local leg: cause 0, the Dial status decides",
			originated: []engine.ChannelID{"leg-3"},
			events: []string{
				`{"type":"Dial",` + ts + `,"dialstatus":"CONGESTION","peer":{"id":"leg-3"}}`,
				`{"type":"ChannelDestroyed",` + ts + `,"cause":0,"cause_txt":"Unknown","channel":{"id":"leg-3"}}`,
			},
			want: []engine.Event{engine.OriginateFailed{Channel: "leg-3", Cause: 42, CauseText: "Switching equipment congestion", Outcome: engine.OutcomeUnreachable, At: t0}},
		},
		{
			name: "playback, bridge, endpoint and recording events",
			events: []string{
				`{"type":"PlaybackStarted",` + ts + `,"playback":{"id":"pb-1","target_uri":"channel:in-1","state":"playing"}}`,
				`{"type":"PlaybackFinished",` + ts + `,"playback":{"id":"pb-1","target_uri":"channel:in-1","state":"failed"}}`,
				`{"type":"ChannelEnteredBridge",` + ts + `,"bridge":{"id":"b-1"},"channel":{"id":"in-1"}}`,
				`{"type":"ChannelLeftBridge",` + ts + `,"bridge":{"id":"b-1"},"channel":{"id":"in-1"}}`,
				`{"type":"EndpointStateChange",` + ts + `,"endpoint":{"technology":"PJSIP","resource":"agent42","state":"offline"}}`,
				`{"type":"RecordingStarted",` + ts + `,"recording":{"name":"rec-1","target_uri":"channel:in-1","state":"recording"}}`,
				`{"type":"RecordingFinished",` + ts + `,"recording":{"name":"rec-1","target_uri":"channel:in-1","duration":61}}`,
				`{"type":"RecordingFailed",` + ts + `,"recording":{"name":"rec-2","target_uri":"bridge:b-1","cause":"disk full"}}`,
			},
			want: []engine.Event{
				engine.PlaybackStarted{Channel: "in-1", Playback: "pb-1", At: t0},
				engine.PlaybackFinished{Channel: "in-1", Playback: "pb-1", Failed: true, At: t0},
				engine.BridgeJoined{Bridge: "b-1", Channel: "in-1", At: t0},
				engine.BridgeLeft{Bridge: "b-1", Channel: "in-1", At: t0},
				engine.EndpointStateChanged{Endpoint: "PJSIP/agent42", State: engine.EndpointOffline, At: t0},
				engine.RecordingStarted{Recording: "rec-1", Channel: "in-1", At: t0},
				engine.RecordingFinished{Recording: "rec-1", Channel: "in-1", Duration: 61 * time.Second, At: t0},
				engine.RecordingFailed{Recording: "rec-2", Cause: "disk full", At: t0},
			},
		},
		{
			name:   "handed to the dial context, back busy for the alternative",
			handed: []engine.ChannelID{"in-5"},
			events: []string{
				`{"type":"StasisEnd",` + ts + `,"channel":{"id":"in-5"}}`,
				`{"type":"StasisStart",` + ts + `,"args":["dialed","3250123456","BUSY","17"],"channel":{"id":"in-5","state":"Ring"}}`,
			},
			want: []engine.Event{engine.ChannelReturned{Channel: "in-5", Outcome: engine.OutcomeBusy, Cause: 17, CauseText: "User busy", At: t0}},
		},
		{
			name:   "back from the dial context: no answer, congestion, declined",
			handed: []engine.ChannelID{"in-6", "in-7", "in-8"},
			events: []string{
				`{"type":"StasisStart",` + ts + `,"args":["dialed","3250123456","NOANSWER",""],"channel":{"id":"in-6"}}`,
				`{"type":"StasisStart",` + ts + `,"args":["dialed","3250123456","CONGESTION","34"],"channel":{"id":"in-7"}}`,
				`{"type":"StasisStart",` + ts + `,"args":["dialed","3250123456","BUSY","21"],"channel":{"id":"in-8"}}`,
			},
			want: []engine.Event{
				engine.ChannelReturned{Channel: "in-6", Outcome: engine.OutcomeNoAnswer, Cause: 19, CauseText: "User alerting, no answer", At: t0},
				engine.ChannelReturned{Channel: "in-7", Outcome: engine.OutcomeUnreachable, Cause: 34, At: t0},
				engine.ChannelReturned{Channel: "in-8", Outcome: engine.OutcomeRejected, Cause: 21, At: t0},
			},
		},
		{
			name:   "the dial context reports the end of a connected call once",
			handed: []engine.ChannelID{"in-9"},
			events: []string{
				`{"type":"StasisStart",` + ts + `,"args":["ended","3250123456","ANSWER","61008","16","64020","0477123456"],"channel":{"id":"in-9","state":"Up"}}`,
				`{"type":"StasisEnd",` + ts + `,"channel":{"id":"in-9"}}`,
			},
			want: []engine.Event{engine.DialplanEnded{Channel: "in-9", Dialed: "+3250123456", Caller: "0477123456", Answered: true,
				Talk: 61008 * time.Millisecond, Dialing: 64020 * time.Millisecond, Cause: 16, At: t0}},
		},
		{
			name:   "hung up before the continue took effect: the end is here",
			handed: []engine.ChannelID{"in-12"},
			events: []string{
				`{"type":"ChannelHangupRequest",` + ts + `,"channel":{"id":"in-12"}}`,
				`{"type":"StasisEnd",` + ts + `,"channel":{"id":"in-12"}}`,
			},
			want: []engine.Event{engine.ChannelHungup{Channel: "in-12", Cause: 16, CauseText: "Normal Clearing", At: t0}},
		},
		{
			name: "ends and returns of calls another process handed over",
			events: []string{
				`{"type":"StasisStart",` + ts + `,"args":["ended","3250123456","CANCEL","",""],"channel":{"id":"in-10"}}`,
				`{"type":"StasisEnd",` + ts + `,"channel":{"id":"in-10"}}`,
				`{"type":"StasisStart",` + ts + `,"args":["dialed","3250123456","BUSY","17"],"channel":{"id":"in-11","caller":{"number":"+3247712345"}}}`,
			},
			want: []engine.Event{
				engine.DialplanEnded{Channel: "in-10", Dialed: "+3250123456", Cause: 16, At: t0},
				engine.CallArrived{Channel: "in-11", Caller: "+3247712345", Dialed: "3250123456", Args: []string{"dialed", "3250123456", "BUSY", "17"}, At: t0},
			},
		},
		{
			name: "unknown and incomplete events are ignored",
			events: []string{
				`{"type":"ChannelVarset",` + ts + `,"variable":"X","value":"1","channel":{"id":"in-1"}}`,
				`{"type":"StasisStart"}`,
				`{"type":"ChannelDestroyed"}`,
				`{"type":"PlaybackFinished"}`,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(Config{URL: "http://127.0.0.1:1"})
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range tc.originated {
				c.originated[id] = &legState{}
			}
			for _, id := range tc.handed {
				c.handed[id] = struct{}{}
				c.continued[id] = struct{}{}
			}
			var got []engine.Event
			for _, raw := range tc.events {
				m, err := DecodeMessage([]byte(raw))
				if err != nil {
					t.Fatalf("decode %s: %v", raw, err)
				}
				got = append(got, c.translate(m)...)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("events:\n got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestDecodeMessageErrors(t *testing.T) {
	for name, raw := range map[string]string{
		"not json":  `{"type":`,
		"no type":   `{"channel":{"id":"x"}}`,
		"wrong arg": `{"type":"StasisStart","args":"inbound"}`,
	} {
		if _, err := DecodeMessage([]byte(raw)); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
	m, err := DecodeMessage([]byte(`{"type":"StasisStart","timestamp":"yesterday"}`))
	if err != nil || !m.Timestamp.IsZero() {
		t.Errorf("bad timestamp: %v, %v; want zero time, no error", m.Timestamp, err)
	}
}

// sampleStasisStart is a StasisStart as Asterisk 22 sends it.
const sampleStasisStart = `{"type":"StasisStart","timestamp":"2026-11-26T14:16:31.166+0000","args":["inbound","3227654321"],"channel":{"id":"1795702591.1","name":"PJSIP/trunk-00000001","state":"Ring","protocol_id":"a84f2c1e@127.0.0.1","caller":{"name":"","number":"0601020304"},"connected":{"name":"","number":""},"accountcode":"","dialplan":{"context":"vms-inbound","exten":"3227654321","priority":2,"app_name":"Stasis","app_data":"vms,inbound,3227654321"},"creationtime":"2026-11-26T14:16:31.160+0000","language":"en","tenantid":""},"asterisk_id":"02:fc:00:00:00:01","application":"vms"}`

func FuzzDecodeEvent(f *testing.F) {
	for _, seed := range []string{
		sampleStasisStart,
		`{"type":"ChannelDestroyed","cause":17,"cause_txt":"User busy","channel":{"id":"leg"}}`,
		`{"type":"Dial","dialstatus":"BUSY","peer":{"id":"leg"}}`,
		`{"type":"StasisEnd","channel":{"id":"in"}}`,
		`{"type":"StasisStart","args":["dialed","3250123456","BUSY","17"],"channel":{"id":"handed"}}`,
		`{"type":"StasisStart","args":["ended","3250123456","ANSWER","-5","x"],"channel":{"id":"handed"}}`,
		`{"type":"StasisStart","args":["ended"],"channel":{"id":"in"}}`,
		`{"type":"PlaybackFinished","playback":{"id":"p","target_uri":"channel:"}}`,
		`{"type":"EndpointStateChange","endpoint":{}}`,
		`{"type":"ContactStatusChange","endpoint":{"technology":"PJSIP","resource":"a","state":"online"},"contact_info":{"contact_status":"Reachable"}}`,
		`{"type":"RecordingFinished","recording":{"duration":-5}}`,
		`{"type":"ChannelStateChange","channel":{"id":"","state":"Up"}}`,
		`{"type":1}`, `null`, `[]`, ``,
	} {
		f.Add([]byte(seed))
	}
	c, err := New(Config{URL: "http://127.0.0.1:1"})
	if err != nil {
		f.Fatal(err)
	}
	c.originated["leg"] = &legState{}
	f.Fuzz(func(t *testing.T, data []byte) {
		c.mu.Lock()
		c.handed["handed"] = struct{}{}
		c.mu.Unlock()
		m, err := DecodeMessage(data)
		if err != nil {
			return
		}
		for _, ev := range c.translate(m) {
			if ev == nil {
				t.Fatalf("nil event from %q", data)
			}
			c.router.Dispatch(ev)
		}
		// Keep the fuzzer's memory flat.
		for {
			if _, ok := c.router.Inbox().TryNext(); !ok {
				break
			}
		}
	})
}

// BenchmarkDecodeEvent measures the typed decode + translation of a
// StasisStart; BenchmarkDecodeEventMapBaseline is plain encoding/json into
// map[string]any, for comparison in the same run.
func BenchmarkDecodeEvent(b *testing.B) {
	c, err := New(Config{URL: "http://127.0.0.1:1"})
	if err != nil {
		b.Fatal(err)
	}
	data := []byte(sampleStasisStart)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		m, err := DecodeMessage(data)
		if err != nil {
			b.Fatal(err)
		}
		if len(c.translate(m)) != 1 {
			b.Fatal("no event")
		}
	}
}

func BenchmarkDecodeEventMapBaseline(b *testing.B) {
	data := []byte(sampleStasisStart)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var m map[string]any
		if err := jsonUnmarshal(data, &m); err != nil {
			b.Fatal(err)
		}
	}
}
