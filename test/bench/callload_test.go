//go:build bench

// Package bench measures how many new calls per second the real Asterisk
// holds through VMS's ARI path, against the plain-dialplan Dial() of the
// same calls on the same Asterisk (issue "Calls through a real Asterisk"):
// SIPp places the same load at rising rates through both paths, and the
// bench reports set-up time p50/p95, failures, the highest rate held with
// no failure, and the ARI/plain ratios against the aims.
//
// It owns the bench only: it runs the real ari driver and controller as
// VMS does, and never changes them. It is built only with the tag "bench" because a
// run takes minutes and both cores; `make bench-calls` and
// test/asterisk/bench.sh are the entry points. See docs/performance.md.
package bench

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vmsplatform/vms/controller"
	"github.com/vmsplatform/vms/test/astertest"
	"github.com/vmsplatform/vms/test/sipptest"
)

// contexts are the dialplan contexts each path's calls enter: the plain
// baseline dials trunk-out itself (extensions.conf vms-bench-plain); the
// VMS paths enter Stasis and VMS's controller has the call dialled: by
// the dialplan's vms-dial context ("ari", what VMS does), or by
// originating and bridging over REST ("ari-bridge",
// controller.Config.BridgeCalls).
var contexts = map[string]string{
	"plain":      "vms-bench-plain",
	"ari":        "vms-inbound",
	"ari-bridge": bridgeContext,
	// An experiment (continue_test.go), only when asked for.
	"ari-continue": continueContext,
}

// settings are read from the environment, with defaults meant for a try.
type settings struct {
	paths    []string
	rates    []float64
	hold     time.Duration // how long each rate is held
	callLen  time.Duration // how long each call lasts
	stopFail bool
	out      string // Markdown report file
	profile  string // directory for CPU profiles of the ARI runs
}

func readSettings(t *testing.T) settings {
	t.Helper()
	s := settings{paths: []string{"plain", "ari"}, hold: 10 * time.Second, callLen: time.Second, stopFail: true,
		rates: []float64{25, 50, 100, 150, 200, 250, 300}}
	if v := os.Getenv("VMS_BENCH_PATHS"); v != "" {
		s.paths = nil
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			if _, ok := contexts[p]; !ok {
				t.Fatalf("VMS_BENCH_PATHS: %q: want plain, ari (default: plain,ari), ari-bridge or the experiment ari-continue", p)
			}
			s.paths = append(s.paths, p)
		}
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
	s.out = os.Getenv("VMS_BENCH_OUT")
	s.profile = os.Getenv("VMS_BENCH_PROFILE")
	return s
}

// TestCallLoad drives the same SIPp load through each path at rising
// rates, the paths taking turns at each rate so that both see the same
// machine, and reports per run the calls placed, failures and set-up time
// (INVITE → 200 OK) p50/p95, then each path's highest rate held for the
// whole hold time with no failure and the ARI/plain ratios.
func TestCallLoad(t *testing.T) {
	s := readSettings(t)
	dest := sipptest.UAS(t, sipptest.UASOptions{Mode: sipptest.Answer, NoTrace: true})
	ports := map[string]int{}
	var callers []astertest.Caller
	dialplan := ""
	for _, p := range s.paths {
		ports[p] = sipptest.FreeUDPPort(t)
		callers = append(callers, astertest.Caller{Name: "trunk-" + p, Port: ports[p], Context: contexts[p]})
		switch p {
		case "ari-continue":
			dialplan += continueDialplan
		case "ari-bridge":
			dialplan += bridgeDialplan
		}
	}
	a := astertest.Start(t, astertest.Options{
		Callers:      callers,
		Destinations: []astertest.Destination{{Name: "trunk-out", Port: dest.Port}},
		Dialplan:     dialplan,
	})
	vs := map[string]*vms{}
	var cont *continuer
	for _, p := range s.paths {
		switch p {
		case "ari":
			vs[p] = startVMS(t, a, a.App, false)
		case "ari-bridge":
			vs[p] = startVMS(t, a, bridgeApp, true)
		case "ari-continue":
			cont = startContinuer(t, a)
		}
	}

	started := time.Now().UTC()
	loadBefore := loadAvg()
	t.Logf("call-load bench: paths %v, rates %v, each held %s, calls of %s; %d CPUs, load average %s",
		s.paths, s.rates, s.hold, s.callLen, runtime.NumCPU(), loadBefore)
	var runs []run
	var notes []string
	active := map[string]bool{}
	for _, p := range s.paths {
		active[p] = true
	}
	for _, rate := range s.rates {
		for _, p := range s.paths {
			if !active[p] {
				continue
			}
			drain(t, a, vs)
			r, note := loadRun(t, s, a, vs[p], cont, p, ports[p], rate)
			runs = append(runs, r)
			if note != "" {
				notes = append(notes, note)
			}
			t.Logf("%s %4.0f/s: %d calls, %d ok, %d failed, routed %d, setup p50 %s p95 %s, placed at %.0f/s, load %s",
				p, rate, r.Calls, r.OK, r.Failed, r.Routed, ms(r.P50), ms(r.P95), r.Effective, r.Load)
			if !r.held() && s.stopFail {
				active[p] = false
			}
		}
	}
	sum := summarize(runs)
	report := fmt.Sprintf("call-load bench %s, %d CPUs, load average before %s, after %s; each rate held %s, calls of %s\n\n",
		started.Format("2006-01-02 15:04 MST"), runtime.NumCPU(), loadBefore, loadAvg(), s.hold, s.callLen)
	report += table(runs, sum)
	if len(notes) > 0 {
		report += "\nARI paths, per rate:\n\n"
		for _, n := range notes {
			report += "- " + n + "\n"
		}
	}
	fmt.Print("\n" + report)
	if s.out != "" {
		if err := os.WriteFile(s.out, []byte("# Call-load bench\n\n"+report), 0o644); err != nil {
			t.Errorf("VMS_BENCH_OUT: %v", err)
		}
	}
}

// loadRun places rate×hold calls on one path and returns the outcome and,
// on the ARI path, a note on VMS's REST commands, logged problems and
// Asterisk's application taskprocessor.
func loadRun(t *testing.T, s settings, a *astertest.Asterisk, v *vms, cont *continuer, path string, port int, rate float64) (run, string) {
	t.Helper()
	calls := int(rate * s.hold.Seconds())
	var recBefore map[string]int
	var contBefore int64
	if path == "ari-continue" {
		cont.eng.take()
		contBefore = cont.continued.Load()
	}
	if v != nil {
		recBefore = v.records.snapshot()
		v.eng.take()
		v.logs.take()
		if s.profile != "" {
			stop := cpuProfile(t, filepath.Join(s.profile, fmt.Sprintf("%s-%03.0f.pprof", path, rate)))
			defer stop()
		}
	}
	astPid := asteriskPid(a)
	astCPU, selfCPU := procCPU(astPid), selfCPUTime()
	// A subtest: when SIPp cannot finish within its time budget (the
	// machine is overloaded), sipptest stops the subtest, and the run
	// counts as failed while the bench goes on to its report.
	var res *sipptest.CallResult
	t.Run(fmt.Sprintf("%s-%.0f", path, rate), func(t *testing.T) {
		res = sipptest.Call(t, sipptest.CallOptions{
			Target:        a.SIPAddr(),
			Number:        "3221234567",
			LocalPort:     port,
			Calls:         calls,
			Rate:          rate,
			Hold:          s.callLen,
			MaxConcurrent: int(rate*(s.callLen.Seconds()+2)) + 50,
			CallTimeout:   10 * time.Second,
			NoTrace:       true,
		})
	})
	stopped := res == nil
	if stopped {
		res = &sipptest.CallResult{Failed: calls}
	}
	r := run{Path: path, Rate: rate, Calls: calls, OK: res.Successful, Failed: res.Failed, Routed: -1,
		P50: res.Percentile(50), P95: res.Percentile(95), Load: loadAvg(), Stopped: stopped}
	if calls > 0 {
		if astCPU >= 0 {
			r.AsteriskCPU = (procCPU(astPid) - astCPU) / time.Duration(calls)
		}
		r.VMSCPU = (selfCPUTime() - selfCPU) / time.Duration(calls)
	}
	if busy := res.Elapsed - s.callLen; busy > 0 {
		r.Effective = float64(calls) / busy.Seconds()
	}
	if path == "ari-continue" {
		r.Routed = int(cont.continued.Load() - contBefore)
		stats, _ := cont.eng.take()
		perCall, mean, detail := restSummary(stats, calls)
		r.RESTPerCall, r.RESTMean = perCall, mean
		note := fmt.Sprintf("ari-continue %.0f/s: %.1f REST calls a call (%s)", rate, perCall, detail)
		if n, tp := taskprocessor(t, a, continueApp); tp != "" {
			note += fmt.Sprintf("; %.0f application messages a call; %s", float64(n-cont.tpProcessed)/float64(calls), tp)
			cont.tpProcessed = n
		}
		return r, note
	}
	if v == nil {
		return r, ""
	}
	// The records of the last calls are written once the calls ended.
	waitRecords(v, total(recBefore)+res.Successful+res.Failed)
	after := v.records.snapshot()
	stats, bridged := v.eng.take()
	// Routed: answered and connected with the destination. Bridged by
	// VMS: both channels added to the call's bridge (a caller whose bridge
	// came after its hang-up was answered but never connected). Through
	// the dialplan: Asterisk answers the caller only when Dial() connected
	// it, which the answered record reports.
	r.Routed = after[controller.OutcomeAnswered] - recBefore[controller.OutcomeAnswered]
	if v.bridge {
		r.Routed = min(r.Routed, bridged)
	}
	var outcomes []string
	for k, n := range after {
		if d := n - recBefore[k]; d > 0 && k != controller.OutcomeAnswered {
			outcomes = append(outcomes, fmt.Sprintf("%d %s", d, k))
		}
	}
	perCall, mean, detail := restSummary(stats, calls)
	r.RESTPerCall, r.RESTMean = perCall, mean
	note := fmt.Sprintf("%s %.0f/s: %.1f REST calls a call (%s)", path, rate, perCall, detail)
	if len(outcomes) > 0 {
		note += "; other call outcomes: " + strings.Join(outcomes, ", ")
	}
	if n, first := v.logs.take(); n > 0 {
		note += fmt.Sprintf("; %d warnings logged, first: %q", n, first)
	}
	if n, tp := taskprocessor(t, a, v.app); tp != "" {
		note += fmt.Sprintf("; %.0f application messages a call; %s", float64(n-v.tpProcessed)/float64(calls), tp)
		v.tpProcessed = n
	}
	return r, note
}

func total(m map[string]int) int {
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}

// waitRecords waits (bounded) until VMS wrote want call records in all.
func waitRecords(v *vms, want int) {
	deadline := time.Now().Add(30 * time.Second)
	for v.records.total() < want && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
}

// drain waits until the previous run's calls are gone from Asterisk and
// from VMS, so that runs do not overlap.
func drain(t *testing.T, a *astertest.Asterisk, vs map[string]*vms) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, body := a.ARI(t, "GET", "/ari/channels", nil)
		var chans []struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(body, &chans)
		busy := code != 200 || len(chans) > 0
		for _, v := range vs {
			busy = busy || v.ctl.ActiveCalls() > 0
		}
		if !busy {
			return
		}
		if time.Now().After(deadline) {
			// Calls of a SIPp run stopped at its time budget are never
			// hung up by their caller: end them so that they do not load
			// the next run.
			t.Logf("drain: %d channels still up (status %d) after 60 s; hanging them up", len(chans), code)
			for _, ch := range chans {
				a.ARI(t, "DELETE", "/ari/channels/"+url.PathEscape(ch.ID), nil)
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// taskprocessor returns Asterisk's counters of the ARI application's
// taskprocessor (stasis/m:ari:application/<app>): messages processed so
// far, and a note with the queue, max depth and high water.
func taskprocessor(t *testing.T, a *astertest.Asterisk, app string) (int, string) {
	t.Helper()
	out := a.CLI(t, "core show taskprocessors")
	for _, line := range strings.Split(out, "\n") {
		// The name ends in a sequence number: application/<app>-0000005d.
		if f := strings.Fields(line); len(f) >= 6 && strings.Contains(f[0], "application/"+app+"-") {
			n, _ := strconv.Atoi(f[1])
			return n, fmt.Sprintf("taskprocessor %s: processed %s, in queue %s, max depth %s (high water %s)", f[0], f[1], f[2], f[3], f[5])
		}
	}
	return 0, ""
}

// cpuProfile profiles the bench process (the ari driver and the
// controller) into file until the returned stop is called.
func cpuProfile(t *testing.T, file string) func() {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatalf("VMS_BENCH_PROFILE: %v", err)
	}
	f, err := os.Create(file)
	if err != nil {
		t.Fatalf("VMS_BENCH_PROFILE: %v", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		t.Fatalf("VMS_BENCH_PROFILE: %v", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// asteriskPid returns the pid of the instance's Asterisk (0 if unknown).
func asteriskPid(a *astertest.Asterisk) int {
	b, err := os.ReadFile(filepath.Join(a.Dir, "run", "asterisk.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// procCPU returns the user+system CPU time a process used so far (all
// its threads), -1 when unknown. /proc/<pid>/stat counts in clock ticks
// of 10 ms.
func procCPU(pid int) time.Duration {
	if pid <= 0 {
		return -1
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// Fields after the command name, which is in parentheses.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return -1
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// selfCPUTime returns the CPU time the bench process (VMS's driver and
// controller, and the bench itself) used so far.
func selfCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAvg returns the 1, 5 and 15-minute load averages ("?" if unknown).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
