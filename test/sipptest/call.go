package sipptest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// CallOptions describe one call, or a load of calls, from a SIP trunk peer
// to Asterisk.
type CallOptions struct {
	// Target is Asterisk's SIP address, e.g. "127.0.0.1:5060".
	Target string
	// Number is the dialled number (Request-URI user part).
	Number string
	// Caller is the calling number (From user part); "0612345678" if empty.
	Caller string
	// LocalPort is the fixed local UDP port the calls come from, the port
	// Asterisk identifies the trunk by (astertest.Caller.Port); 0 picks one.
	LocalPort int
	// Calls is how many calls to place; 1 if 0.
	Calls int
	// Rate is new calls per second; 10 if 0.
	Rate float64
	// MaxConcurrent caps the calls in progress; SIPp's default if 0.
	MaxConcurrent int
	// Hold is how long an answered call lasts before the caller hangs up;
	// 500 ms if 0. The far end may hang up earlier.
	Hold time.Duration
	// DTMF is a digit ("0".."9") sent as RFC 4733 telephone-events right
	// after the answer; none if empty.
	DTMF string
	// CallTimeout fails a call that waits longer than this for any message;
	// 30 s if 0.
	CallTimeout time.Duration
	// NoTrace turns the SIP message trace off (for load runs, where writing
	// every message slows SIPp down); Statuses then stays empty.
	NoTrace bool
}

// CallResult is the outcome of a Call run.
type CallResult struct {
	// Successful and Failed count calls as SIPp does: a call is successful
	// when it was answered and ended normally.
	Successful, Failed int
	// Statuses holds the final SIP status of each call's INVITE, in the
	// order the calls were placed (empty with NoTrace).
	Statuses []int
	// FinalStatus is the final status of the last call's INVITE (0 when
	// unknown).
	FinalStatus int
	// SetupTimes are INVITE → 200 OK times of the answered calls.
	SetupTimes []time.Duration
	// Elapsed is the wall time of the whole run.
	Elapsed time.Duration
	// Dir holds SIPp's logs.
	Dir string
}

// Percentile returns the p-th percentile (0..100) of the set-up times, or 0
// when there are none.
func (r *CallResult) Percentile(p float64) time.Duration {
	if len(r.SetupTimes) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), r.SetupTimes...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s)-1)*p/100 + 0.5)
	return s[min(max(i, 0), len(s)-1)]
}

// failureStatuses are the final responses the UAC scenario accepts as a
// failed call (anything else unexpected aborts the call, failed too).
var failureStatuses = []int{400, 403, 404, 408, 410, 480, 481, 484, 486, 487, 488, 500, 501, 502, 503, 504, 600, 603, 604}

// dtmfPcap is where Debian's sip-tester ships RFC 2833 DTMF payloads.
const dtmfPcap = "/usr/share/sip-tester/dtmf_2833_%s.pcap"

// Call places the calls and waits until they ended. It fails the test only
// when SIPp cannot run at all; call failures are reported in CallResult.
func Call(t testing.TB, opts CallOptions) *CallResult {
	t.Helper()
	sipp := sippPath(t)
	if opts.Target == "" || opts.Number == "" {
		t.Fatalf("sipptest: Call needs Target and Number")
	}
	if opts.Caller == "" {
		opts.Caller = "0612345678"
	}
	if opts.Calls <= 0 {
		opts.Calls = 1
	}
	if opts.Rate <= 0 {
		opts.Rate = 10
	}
	if opts.Hold <= 0 {
		opts.Hold = 500 * time.Millisecond
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 30 * time.Second
	}
	if opts.LocalPort == 0 {
		opts.LocalPort = FreeUDPPort(t)
	}
	var pcap string
	if opts.DTMF != "" {
		if len(opts.DTMF) != 1 || opts.DTMF[0] < '0' || opts.DTMF[0] > '9' {
			t.Fatalf("sipptest: DTMF %q: want one digit 0-9", opts.DTMF)
		}
		pcap = fmt.Sprintf(dtmfPcap, opts.DTMF)
		if _, err := os.Stat(pcap); err != nil {
			t.Fatalf("sipptest: DTMF payload: %v", err)
		}
	}
	dir := t.TempDir()
	scenario := renderScenario(t, dir, "uac.xml", struct {
		Caller   string
		HoldMs   int64
		DTMFPcap string
		Failures []int
	}{opts.Caller, opts.Hold.Milliseconds(), pcap, failureStatuses})

	// SIPp's rate is calls per period: express fractional rates per 10 s.
	rate, period := opts.Rate, 1000
	if rate != float64(int(rate)) {
		rate, period = rate*10, 10000
	}
	args := []string{
		"-sf", scenario, "-s", opts.Number,
		"-i", "127.0.0.1", "-p", strconv.Itoa(opts.LocalPort),
		"-mi", "127.0.0.1", "-mp", strconv.Itoa(freeMediaPort(t)),
		"-m", strconv.Itoa(opts.Calls),
		"-r", strconv.FormatFloat(rate, 'f', 0, 64), "-rp", strconv.Itoa(period),
		"-recv_timeout", strconv.FormatInt(opts.CallTimeout.Milliseconds(), 10),
		"-nd", "-nostdin",
		"-trace_stat", "-stf", filepath.Join(dir, "stat.csv"), "-fd", "1",
		"-trace_rtt", "-rtt_freq", "1",
		"-trace_err", "-error_file", filepath.Join(dir, "errors.log"),
		"-trace_screen", "-screen_file", filepath.Join(dir, "screen.log"),
	}
	if opts.MaxConcurrent > 0 {
		args = append(args, "-l", strconv.Itoa(opts.MaxConcurrent))
	}
	if !opts.NoTrace {
		args = append(args, "-trace_msg", "-message_file", filepath.Join(dir, "messages.log"))
	}
	args = append(args, opts.Target)

	// Bound the whole run: placing all calls, plus their hold and the call
	// timeout, plus slack.
	budget := time.Duration(float64(opts.Calls)/opts.Rate*float64(time.Second)) +
		opts.Hold + opts.CallTimeout + 30*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	out, err := os.Create(filepath.Join(dir, "sipp.out"))
	if err != nil {
		t.Fatalf("sipptest: %v", err)
	}
	defer out.Close()
	cmd := exec.CommandContext(ctx, sipp, args...)
	cmd.Dir = dir
	cmd.Stderr = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	start := time.Now()
	runErr := cmd.Run()
	res := &CallResult{Elapsed: time.Since(start), Dir: dir}
	t.Cleanup(func() {
		if t.Failed() {
			dumpLogs(t, "UAC", dir)
		}
	})
	var exit *exec.ExitError
	switch {
	case runErr == nil:
	case errors.As(runErr, &exit) && (exit.ExitCode() == 1 || exit.ExitCode() == 99):
		// 1: some calls failed; 99: no call was processed.
	default:
		dumpLogs(t, "UAC", dir)
		t.Fatalf("sipptest: sipp uac: %v", runErr)
	}
	if err := res.readStats(filepath.Join(dir, "stat.csv")); err != nil {
		dumpLogs(t, "UAC", dir)
		t.Fatalf("sipptest: %v", err)
	}
	rtt, _ := filepath.Glob(filepath.Join(dir, "*_rtt.csv"))
	for _, f := range rtt {
		if err := res.readRTT(f); err != nil {
			t.Fatalf("sipptest: %v", err)
		}
	}
	if !opts.NoTrace {
		data, _ := os.ReadFile(filepath.Join(dir, "messages.log"))
		res.Statuses = finalStatuses(ParseTrace(data))
		if n := len(res.Statuses); n > 0 {
			res.FinalStatus = res.Statuses[n-1]
		}
	}
	return res
}

// readStats reads the cumulative counters from the last line of SIPp's
// statistics file (-trace_stat).
func (r *CallResult) readStats(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("sipp statistics: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) < 2 {
		return errors.New("sipp statistics: no data")
	}
	head := strings.Split(lines[0], ";")
	last := strings.Split(lines[len(lines)-1], ";")
	col := func(name string) (int, error) {
		for i, h := range head {
			if h == name && i < len(last) {
				return strconv.Atoi(strings.TrimSpace(last[i]))
			}
		}
		return 0, fmt.Errorf("sipp statistics: no column %s", name)
	}
	if r.Successful, err = col("SuccessfulCall(C)"); err != nil {
		return err
	}
	if r.Failed, err = col("FailedCall(C)"); err != nil {
		return err
	}
	return nil
}

// readRTT reads SIPp's response-time file (-trace_rtt): lines
// "date_ms;response_time_ms;rtd_no".
func (r *CallResult) readRTT(file string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("sipp rtt: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ";")
		if len(fields) < 2 {
			continue
		}
		ms, err := strconv.ParseFloat(strings.TrimSpace(fields[1]), 64)
		if err != nil {
			continue // header
		}
		r.SetupTimes = append(r.SetupTimes, time.Duration(ms*float64(time.Millisecond)))
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("sipp rtt: %w", err)
	}
	return nil
}

// finalStatuses returns, per call this side placed (an INVITE it sent), in
// order, the last final status received for that INVITE (0 when none
// came). Stray messages of other calls (e.g. late retransmissions to a
// reused port) are ignored.
func finalStatuses(msgs []Message) []int {
	var order []string
	status := map[string]int{}
	for _, m := range msgs {
		id := m.Headers["Call-ID"]
		if id == "" {
			continue
		}
		if _, ok := status[id]; !ok {
			if m.Received || m.Method() != "INVITE" {
				continue
			}
			order = append(order, id)
			status[id] = 0
		}
		if m.Received && m.Status() >= 200 && m.CSeqMethod() == "INVITE" {
			status[id] = m.Status()
		}
	}
	out := make([]int, len(order))
	for i, id := range order {
		out[i] = status[id]
	}
	return out
}
