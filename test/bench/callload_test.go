// Package bench measures how many new calls per second the real Asterisk
// holds through a given call path, driven by SIPp: the plain dialplan
// Dial() baseline today, the VMS ARI path once a controller hook is set.
// It is opt-in (VMS_BENCH=1) because a run takes minutes and both cores;
// test/asterisk/bench.sh is the entry point.
package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vmsplatform/vms/test/astertest"
	"github.com/vmsplatform/vms/test/sipptest"
)

// Path is one way a call crosses Asterisk.
type Path struct {
	// Context the caller's calls enter.
	Context string
	// Setup, when set, runs after Asterisk started and before the load,
	// e.g. to connect a VMS controller to a.ARIURL as application a.App
	// that routes every call to PJSIP/<number>@trunk-out. It may register
	// its own cleanup.
	Setup func(t *testing.T, a *astertest.Asterisk)
}

// Paths are the call paths a bench run can take (VMS_BENCH_PATH).
var Paths = map[string]Path{
	// The baseline: extensions.conf vms-bench-plain dials trunk-out.
	"plain": {Context: "vms-bench-plain"},
	// The VMS path: vms-inbound enters Stasis(vms). Needs Setup to start a
	// controller; until then the run fails fast with a clear message.
	"ari": {Context: "vms-inbound"},
}

// settings are read from the environment, with defaults meant for a try.
type settings struct {
	path     string
	rates    []float64
	hold     time.Duration // how long each rate is held
	callLen  time.Duration // how long each call lasts
	stopFail bool
}

func readSettings(t *testing.T) settings {
	t.Helper()
	s := settings{path: "plain", hold: 10 * time.Second, callLen: time.Second, stopFail: true,
		rates: []float64{25, 50, 100, 150, 200, 250, 300}}
	if v := os.Getenv("VMS_BENCH_PATH"); v != "" {
		s.path = v
	}
	if v := os.Getenv("VMS_BENCH_RATES"); v != "" {
		s.rates = nil
		for _, f := range strings.Split(v, ",") {
			r, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || r <= 0 {
				t.Fatalf("VMS_BENCH_RATES: %q is not a positive rate", f)
			}
			s.rates = append(s.rates, r)
		}
	}
	dur := func(name string, d *time.Duration) {
		if v := os.Getenv(name); v != "" {
			var err error
			if *d, err = time.ParseDuration(v); err != nil || *d <= 0 {
				t.Fatalf("%s: %q is not a positive duration (e.g. 60s)", name, v)
			}
		}
	}
	dur("VMS_BENCH_HOLD", &s.hold)
	dur("VMS_BENCH_CALL", &s.callLen)
	if os.Getenv("VMS_BENCH_ALL_RATES") != "" {
		s.stopFail = false
	}
	return s
}

// TestCallLoad drives SIPp load at rising rates and reports, per rate, the
// calls placed, failures and set-up time (INVITE → 200 OK) p50/p95, then the
// highest rate held for the whole hold time with no failure.
func TestCallLoad(t *testing.T) {
	if os.Getenv("VMS_BENCH") == "" {
		t.Skip("call-load bench: opt-in with VMS_BENCH=1 (see test/asterisk/bench.sh)")
	}
	s := readSettings(t)
	path, ok := Paths[s.path]
	if !ok {
		t.Fatalf("VMS_BENCH_PATH %q: want plain or ari", s.path)
	}
	if s.path == "ari" && path.Setup == nil {
		t.Fatalf("VMS_BENCH_PATH=ari: no controller hook yet; set bench.Paths[\"ari\"].Setup to start VMS's controller against the instance")
	}
	dest := sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.Answer, NoTrace: true})
	callerPort := sipptest.FreeUDPPort(t)
	a := astertest.Start(t, astertest.Options{
		Callers:      []astertest.Caller{{Name: "trunk", Port: callerPort, Context: path.Context}},
		Destinations: []astertest.Destination{{Name: "trunk-out", Port: dest.Port}},
	})
	if path.Setup != nil {
		path.Setup(t, a)
	}
	report := fmt.Sprintf("call-load bench, path %s (context %s), each rate held %s, calls of %s\n",
		s.path, path.Context, s.hold, s.callLen)
	report += fmt.Sprintf("%8s %8s %8s %8s %10s %10s\n", "rate/s", "calls", "ok", "failed", "setup p50", "setup p95")
	best := 0.0
	for _, rate := range s.rates {
		calls := int(rate * s.hold.Seconds())
		res := sipptest.Call(t, sipptest.CallOptions{
			Target:        a.SIPAddr(),
			Number:        "3221234567",
			LocalPort:     callerPort,
			Calls:         calls,
			Rate:          rate,
			Hold:          s.callLen,
			MaxConcurrent: int(rate*(s.callLen.Seconds()+2)) + 50,
			CallTimeout:   10 * time.Second,
			NoTrace:       true,
		})
		report += fmt.Sprintf("%8.0f %8d %8d %8d %10s %10s\n", rate, calls, res.Successful, res.Failed,
			res.Percentile(50).Round(100*time.Microsecond), res.Percentile(95).Round(100*time.Microsecond))
		held := res.Failed == 0 && res.Successful == calls
		if held {
			best = rate
		} else if s.stopFail {
			break
		}
	}
	report += fmt.Sprintf("highest rate held for %s with no failure: %.0f calls/s\n", s.hold, best)
	fmt.Print(report)
	t.Log("\n" + report)
}
