package ari

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/vmsplatform/vms/engine"
	"github.com/vmsplatform/vms/engine/enginetest"
	"github.com/vmsplatform/vms/test/astertest"
)

// conformanceDialplan gives the conformance suite its destinations as
// Local channels (no SIP peer needed) and the caller's side of inbound
// calls.
const conformanceDialplan = `
[conf-answer]
exten => s,1,Answer()
 same => n,Wait(60)
 same => n,Hangup()

[conf-busy]
exten => s,1,Busy(5)

[conf-congestion]
exten => s,1,Congestion(5)

[conf-ring]
exten => s,1,Ringing()
 same => n,Wait(120)

; The caller's half of an inbound Local call: once VMS answered, send the
; digits in CONF_DTMF, then stay on the line.
[conf-caller]
exten => s,1,Wait(0.3)
 same => n,ExecIf($["${CONF_DTMF}" != ""]?SendDTMF(${CONF_DTMF},250))
 same => n,Wait(60)
 same => n,Hangup()
`

// TestConformance runs enginetest.Conformance against a real Asterisk
// (ENG-1). It needs the Asterisk root of test/asterisk/install.sh and root
// privileges; astertest skips (or fails under CI=true) without them.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("real Asterisk: not in -short")
	}
	a := astertest.Start(t, astertest.Options{Dialplan: conformanceDialplan})
	// Prompts come over HTTP through res_http_media_cache, as in
	// production where Asterisk runs on another host.
	media := serveBeep(t)

	placeCall := func(c *Client) func(ctx context.Context, caller, dialed, dtmf string) error {
		return func(ctx context.Context, caller, dialed, dtmf string) error {
			// The half running vms-inbound enters Stasis; the other half
			// plays the caller in conf-caller.
			q := url.Values{
				"endpoint":  {"Local/" + dialed + "@vms-inbound/n"},
				"context":   {"conf-caller"},
				"extension": {"s"},
				"priority":  {"1"},
				"callerId":  {caller},
				"timeout":   {"10"},
			}
			body := map[string]any{"variables": map[string]string{"CONF_DTMF": dtmf}}
			return c.do(ctx, http.MethodPost, "/channels", q, body, nil)
		}
	}
	enginetest.Conformance(t, func(t *testing.T) enginetest.Target {
		c := connect(t, a)
		return enginetest.Target{
			Engine:      c,
			Call:        placeCall(c),
			Answers:     "Local/s@conf-answer",
			Busy:        "Local/s@conf-busy",
			Unreachable: "Local/s@conf-congestion",
			NoAnswer:    "Local/s@conf-ring",
			Media:       media,
		}
	})

	t.Run("FallbackStore", func(t *testing.T) {
		c := connect(t, a)
		ctx := context.Background()
		const dest = "PJSIP/0612345678@trunk-out"
		if err := c.SetFallback(ctx, "+3221234567", dest); err != nil {
			t.Fatal(err)
		}
		if v, err := c.Fallback(ctx, "3221234567"); err != nil || v != dest {
			t.Errorf("global holds %q, %v; want %q", v, err, dest)
		}
		// AstDB is written by the dialplan a few milliseconds later.
		waitFor(t, "AstDB entry", func() bool { v, ok := a.DBGet(t, FallbackFamily, "3221234567"); return ok && v == dest })
		if err := c.SetFallback(ctx, "3221234567", ""); err != nil {
			t.Fatal(err)
		}
		if v, err := c.Fallback(ctx, "3221234567"); err != nil || v != "" {
			t.Errorf("after clearing: global %q, %v; want empty", v, err)
		}
		waitFor(t, "AstDB entry removed", func() bool { _, ok := a.DBGet(t, FallbackFamily, "3221234567"); return !ok })
	})

	t.Run("RecorderAndMusicOnHold", func(t *testing.T) {
		// astertest does not create the spool's recording directory, and
		// Asterisk does not create it either.
		spool := a.Dir + "/spool"
		fi, err := os.Stat(spool)
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if err := os.MkdirAll(spool+"/recording", 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(spool+"/recording", int(st.Uid), int(st.Gid)); err != nil {
			t.Fatal(err)
		}
		c := connect(t, a)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := placeCall(c)(ctx, "0601020304", "3220000001", ""); err != nil {
			t.Fatal(err)
		}
		ca := nextOf[engine.CallArrived](t, ctx, c.Inbox())
		defer ca.Events.Close()
		if err := c.Answer(ctx, ca.Channel); err != nil {
			t.Fatal(err)
		}
		if err := c.StartMOH(ctx, ca.Channel, ""); err != nil {
			t.Errorf("start moh: %v", err)
		}
		if err := c.StopMOH(ctx, ca.Channel); err != nil {
			t.Errorf("stop moh: %v", err)
		}
		rec := engine.RecordingID("rec-" + string(ca.Channel))
		if err := c.StartRecording(ctx, engine.RecordRequest{ID: rec, Channel: ca.Channel, Format: "wav"}); err != nil {
			t.Fatal(err)
		}
		nextOf[engine.RecordingStarted](t, ctx, ca.Events)
		if err := c.StopRecording(ctx, rec); err != nil {
			t.Fatal(err)
		}
		fin := nextOf[engine.RecordingFinished](t, ctx, ca.Events)
		if fin.Recording != rec || fin.Channel != ca.Channel {
			t.Errorf("RecordingFinished = %+v, want %s on %s", fin, rec, ca.Channel)
		}
		if err := c.Hangup(ctx, ca.Channel, engine.HangupNormal); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("AdoptionAfterRestartOfVMS", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		first, err := New(Config{URL: a.ARIURL, User: a.ARIUser, Password: a.ARIPassword, App: a.App})
		if err != nil {
			t.Fatal(err)
		}
		rctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { first.Run(rctx); close(done) }()
		nextOf[engine.Reconnected](t, ctx, first.Inbox())
		if err := placeCall(first)(ctx, "0601020304", "3220000002", ""); err != nil {
			t.Fatal(err)
		}
		ca := nextOf[engine.CallArrived](t, ctx, first.Inbox())
		if err := first.Answer(ctx, ca.Channel); err != nil {
			t.Fatal(err)
		}
		// VMS goes away; the call stays in Stasis.
		stop()
		first.Close()
		<-done

		second := connectAdopting(t, a, ca.Channel)
		sub := second.Subscribe(ca.Channel)
		defer sub.Close()
		if err := second.Hangup(ctx, ca.Channel, engine.HangupNormal); err != nil {
			t.Fatalf("hang up the adopted call: %v", err)
		}
		nextOf[engine.ChannelHungup](t, ctx, sub)
	})

	t.Run("EndpointWatcher", func(t *testing.T) {
		c := connect(t, a)
		ctx := context.Background()
		st, err := c.WatchEndpoint(ctx, "PJSIP/trunk")
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("PJSIP/trunk is %s", st)
		if st != engine.EndpointOffline {
			// trunk has no registered contact: Asterisk reports it offline.
			t.Errorf("PJSIP/trunk is %s, want offline", st)
		}
		if _, err := c.WatchEndpoint(ctx, "PJSIP/nobody-here"); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("watching an unknown endpoint: %v, want ErrNotFound", err)
		}
	})
}

// waitFor polls cond until it holds or 5 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// connectAdopting connects a new Client and checks that its first
// Reconnected adopts ch.
func connectAdopting(t *testing.T, a *astertest.Asterisk, ch engine.ChannelID) *Client {
	t.Helper()
	c, err := New(Config{URL: a.ARIURL, User: a.ARIUser, Password: a.ARIPassword, App: a.App})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); c.Close(); <-done })
	wctx, wcancel := context.WithTimeout(ctx, 15*time.Second)
	defer wcancel()
	rc := nextOf[engine.Reconnected](t, wctx, c.Inbox())
	if !rc.Initial || !slices.Contains(rc.Adopted, ch) {
		t.Fatalf("Reconnected = %+v, want initial with %s adopted", rc, ch)
	}
	return c
}

// connect returns a Client running against a, once its events WebSocket is
// up.
func connect(t *testing.T, a *astertest.Asterisk) *Client {
	t.Helper()
	var logger *slog.Logger
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	c, err := New(Config{URL: a.ARIURL, User: a.ARIUser, Password: a.ARIPassword, App: a.App, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		c.Close()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
	})
	wctx, wcancel := context.WithTimeout(ctx, 15*time.Second)
	defer wcancel()
	for {
		ev, err := c.Inbox().Next(wctx)
		if err != nil {
			t.Fatalf("events WebSocket not up: %v", err)
		}
		if _, ok := ev.(engine.Reconnected); ok {
			return c
		}
	}
}

// serveBeep serves a short WAV over HTTP and returns its media URI.
// Asterisk 22 needs Content-Type audio/x-wav: with "audio/wav" or Go's
// sniffed "audio/wave" the download succeeds but playback fails.
func serveBeep(t *testing.T) string {
	t.Helper()
	wav := beepWAV(200 * time.Millisecond)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "audio/x-wav")
		w.Write(wav)
	}))
	t.Cleanup(srv.Close)
	return "sound:" + srv.URL + "/prompts/beep.wav"
}

// beepWAV returns a 440 Hz tone as an 8 kHz 16-bit mono WAV.
func beepWAV(d time.Duration) []byte {
	const rate = 8000
	n := int(d.Seconds() * rate)
	var pcm bytes.Buffer
	for i := range n {
		v := int16(8000 * math.Sin(2*math.Pi*440*float64(i)/rate))
		binary.Write(&pcm, binary.LittleEndian, v)
	}
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	w(uint32(36 + pcm.Len()))
	b.WriteString("WAVEfmt ")
	w(uint32(16))
	w(uint16(1)) // PCM
	w(uint16(1)) // mono
	w(uint32(rate))
	w(uint32(rate * 2))
	w(uint16(2))
	w(uint16(16))
	b.WriteString("data")
	w(uint32(pcm.Len()))
	b.Write(pcm.Bytes())
	return b.Bytes()
}
