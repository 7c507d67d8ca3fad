package bench

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// Aims of the issue "Calls through a real Asterisk": the ARI path's p95
// set-up time within 1.5× the plain dialplan's, and at least 70 % of its
// held rate, both measured in the same run.
const (
	aimP95Ratio  = 1.5
	aimRateRatio = 0.70
)

// run is the outcome of one path at one rate.
type run struct {
	Path   string
	Rate   float64 // asked, new calls/s
	Calls  int     // placed
	OK     int     // SIPp successful
	Failed int     // SIPp failed
	// Routed is, on the ARI path, the calls whose VMS record says
	// answered (bridged with the destination); -1 on the plain path.
	Routed   int
	P50, P95 time.Duration
	// Effective is the rate SIPp really placed calls at: calls over the
	// run's wall time less one call length.
	Effective float64
	// RESTPerCall and RESTMean: ARI commands per call and their mean
	// latency (ARI path only).
	RESTPerCall float64
	RESTMean    time.Duration
	// AsteriskCPU and VMSCPU are the CPU time Asterisk and the bench
	// process (VMS's driver and controller) used per call placed.
	AsteriskCPU, VMSCPU time.Duration
	// Stopped: SIPp did not end within its time budget and was stopped;
	// every call counts as failed.
	Stopped bool
	// Load is the 1-minute load average at the end of the run.
	Load string
}

// held reports whether the run had no failed call: every call placed was
// answered and ended normally, and on the ARI path routed by VMS.
func (r run) held() bool {
	return r.Calls > 0 && r.Failed == 0 && r.OK == r.Calls && (r.Routed < 0 || r.Routed == r.Calls)
}

// heldRate is the rate a held run really sustained: the asked rate, or
// the effective rate when SIPp fell more than 5 % behind.
func (r run) heldRate() float64 {
	if !r.held() {
		return 0
	}
	if r.Effective > 0 && r.Effective < 0.95*r.Rate {
		return math.Floor(r.Effective)
	}
	return r.Rate
}

// pathSummary is one path's result over the rates.
type pathSummary struct {
	Path string
	// Max is the highest rate held with no failure (0: none).
	Max float64
	// At is the run the set-up times are compared at (nil: none).
	At *run
}

// summary compares the ARI path with the plain dialplan.
type summary struct {
	Plain, ARI pathSummary
	// CommonRate is the highest asked rate both paths held; set-up times
	// are compared there (0: none).
	CommonRate float64
	P95Ratio   float64 // ARI p95 / plain p95 at CommonRate (0: unknown)
	RateRatio  float64 // ARI max / plain max (0: unknown)
}

// summarize computes the summary of the runs of both paths.
func summarize(runs []run) summary {
	var s summary
	s.Plain.Path, s.ARI.Path = "plain", "ari"
	heldAt := map[string]map[float64]*run{"plain": {}, "ari": {}}
	for i := range runs {
		r := &runs[i]
		var ps *pathSummary
		switch r.Path {
		case "plain":
			ps = &s.Plain
		case "ari":
			ps = &s.ARI
		default: // experiments are in the table only
			continue
		}
		if r.held() {
			ps.Max = math.Max(ps.Max, r.heldRate())
			heldAt[r.Path][r.Rate] = r
		}
	}
	for rate, r := range heldAt["plain"] {
		if a := heldAt["ari"][rate]; a != nil && rate > s.CommonRate {
			s.CommonRate, s.Plain.At, s.ARI.At = rate, r, a
		}
	}
	if s.Plain.At != nil && s.Plain.At.P95 > 0 {
		s.P95Ratio = float64(s.ARI.At.P95) / float64(s.Plain.At.P95)
	}
	if s.Plain.Max > 0 {
		s.RateRatio = s.ARI.Max / s.Plain.Max
	}
	return s
}

// verdict says whether a measured ratio meets its aim ("—" when unknown).
func verdict(ratio, aim float64, atMost bool) string {
	switch {
	case ratio == 0:
		return "not measured"
	case atMost && ratio <= aim, !atMost && ratio >= aim:
		return "met"
	}
	return "missed"
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// table renders the runs and the summary as a Markdown table (readable
// as plain text too).
func table(runs []run, s summary) string {
	var b strings.Builder
	b.WriteString("| path | rate asked/s | placed at/s | calls | ok | failed | routed by VMS | setup p50 | setup p95 | REST/call | REST mean | Asterisk CPU/call | VMS CPU/call | held | load avg |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range runs {
		routed, rest, restMean := "—", "—", "—"
		if r.Routed >= 0 {
			routed = fmt.Sprint(r.Routed)
			rest = fmt.Sprintf("%.1f", r.RESTPerCall)
			restMean = ms(r.RESTMean)
		}
		held := "no"
		switch {
		case r.held():
			held = "yes"
		case r.Stopped:
			held = "no (SIPp stopped at its time budget)"
		}
		fmt.Fprintf(&b, "| %s | %.0f | %.0f | %d | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.Path, r.Rate, r.Effective, r.Calls, r.OK, r.Failed, routed, ms(r.P50), ms(r.P95), rest, restMean,
			ms(r.AsteriskCPU), ms(r.VMSCPU), held, r.Load)
	}
	b.WriteString("\n| result | plain dialplan | VMS ARI path | ratio | aim | |\n|---|---|---|---|---|---|\n")
	if s.CommonRate > 0 {
		fmt.Fprintf(&b, "| setup p50 at %.0f calls/s | %s | %s | %.2f× | | |\n", s.CommonRate,
			ms(s.Plain.At.P50), ms(s.ARI.At.P50), float64(s.ARI.At.P50)/math.Max(float64(s.Plain.At.P50), 1))
		fmt.Fprintf(&b, "| setup p95 at %.0f calls/s | %s | %s | %.2f× | ≤ %.1f× | %s |\n", s.CommonRate,
			ms(s.Plain.At.P95), ms(s.ARI.At.P95), s.P95Ratio, aimP95Ratio, verdict(s.P95Ratio, aimP95Ratio, true))
	} else {
		b.WriteString("| setup p95 | — | — | — | ≤ 1.5× | no rate held by both paths |\n")
	}
	fmt.Fprintf(&b, "| highest rate held, 0 failures | %.0f calls/s | %.0f calls/s | %.2f | ≥ %.2f | %s |\n",
		s.Plain.Max, s.ARI.Max, s.RateRatio, aimRateRatio, verdict(s.RateRatio, aimRateRatio, false))
	return b.String()
}

func TestSummarize(t *testing.T) {
	plain := func(rate float64, failed int, p95 time.Duration) run {
		return run{Path: "plain", Rate: rate, Calls: 100, OK: 100 - failed, Failed: failed, Routed: -1, P95: p95, Effective: rate}
	}
	ari := func(rate float64, routed int, p95 time.Duration) run {
		return run{Path: "ari", Rate: rate, Calls: 100, OK: 100, Routed: routed, P95: p95, Effective: rate}
	}
	tests := []struct {
		name                string
		runs                []run
		wantPlain, wantARI  float64
		wantCommon          float64
		wantP95, wantRatio  float64
		wantP95V, wantRateV string
	}{
		{
			name:      "ari within the aims",
			runs:      []run{plain(100, 0, 10*time.Millisecond), ari(100, 100, 12*time.Millisecond), plain(200, 0, 20*time.Millisecond), ari(200, 100, 25*time.Millisecond), plain(300, 3, 0), ari(300, 90, 0)},
			wantPlain: 200, wantARI: 200, wantCommon: 200, wantP95: 1.25, wantRatio: 1,
			wantP95V: "met", wantRateV: "met",
		},
		{
			name:      "calls not routed by VMS are failures",
			runs:      []run{plain(100, 0, 10*time.Millisecond), ari(100, 100, 20*time.Millisecond), plain(200, 0, 10*time.Millisecond), ari(200, 99, 10*time.Millisecond)},
			wantPlain: 200, wantARI: 100, wantCommon: 100, wantP95: 2, wantRatio: 0.5,
			wantP95V: "missed", wantRateV: "missed",
		},
		{
			name:      "nothing held by the ari path",
			runs:      []run{plain(100, 0, 10*time.Millisecond), ari(100, 0, 0)},
			wantPlain: 100, wantARI: 0, wantCommon: 0, wantP95: 0, wantRatio: 0,
			wantP95V: "not measured", wantRateV: "not measured",
		},
		{
			name:      "SIPp behind the asked rate",
			runs:      []run{{Path: "plain", Rate: 300, Calls: 100, OK: 100, Routed: -1, P95: time.Millisecond, Effective: 250.7}, ari(300, 100, time.Millisecond)},
			wantPlain: 250, wantARI: 300, wantCommon: 300, wantP95: 1, wantRatio: 1.2,
			wantP95V: "met", wantRateV: "met",
		},
		{
			name:      "experiments stay out of the summary",
			runs:      []run{plain(100, 0, 10*time.Millisecond), ari(100, 100, 10*time.Millisecond), {Path: "ari-continue", Rate: 200, Calls: 100, OK: 100, Routed: 100, Effective: 200}},
			wantPlain: 100, wantARI: 100, wantCommon: 100, wantP95: 1, wantRatio: 1,
			wantP95V: "met", wantRateV: "met",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := summarize(tt.runs)
			if s.Plain.Max != tt.wantPlain || s.ARI.Max != tt.wantARI || s.CommonRate != tt.wantCommon {
				t.Errorf("max plain %v ari %v common %v, want %v %v %v", s.Plain.Max, s.ARI.Max, s.CommonRate, tt.wantPlain, tt.wantARI, tt.wantCommon)
			}
			if math.Abs(s.P95Ratio-tt.wantP95) > 1e-9 || math.Abs(s.RateRatio-tt.wantRatio) > 1e-9 {
				t.Errorf("ratios p95 %v rate %v, want %v %v", s.P95Ratio, s.RateRatio, tt.wantP95, tt.wantRatio)
			}
			if v := verdict(s.P95Ratio, aimP95Ratio, true); v != tt.wantP95V {
				t.Errorf("p95 verdict %q, want %q", v, tt.wantP95V)
			}
			if v := verdict(s.RateRatio, aimRateRatio, false); v != tt.wantRateV {
				t.Errorf("rate verdict %q, want %q", v, tt.wantRateV)
			}
			if out := table(tt.runs, s); !strings.Contains(out, "highest rate held") {
				t.Errorf("table without the summary:\n%s", out)
			}
		})
	}
}
