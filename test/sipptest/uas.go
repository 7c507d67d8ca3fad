package sipptest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lookPath finds commands (a variable so that the lookup has one place).
var lookPath = exec.LookPath

// Mode is how a UAS peer treats the INVITEs it receives.
type Mode int

// UAS modes.
const (
	// Answer rings, answers (200 OK with PCMA) and holds the call: until
	// the caller's BYE, or for UASOptions.Hold and then sends BYE itself.
	Answer Mode = iota
	// Busy answers 486 Busy Here.
	Busy
	// NoAnswer rings (180) and never answers; 487 once the caller cancels.
	NoAnswer
	// Unreachable starts nothing: the port is closed, so a caller gets an
	// ICMP port unreachable (and no INVITE is ever recorded).
	Unreachable
)

// String returns the mode's name.
func (m Mode) String() string {
	switch m {
	case Answer:
		return "answer"
	case Busy:
		return "busy"
	case NoAnswer:
		return "noanswer"
	case Unreachable:
		return "unreachable"
	}
	return "mode(" + strconv.Itoa(int(m)) + ")"
}

// UASOptions configure a UAS peer.
type UASOptions struct {
	Mode Mode
	// Hold is, in Answer mode, how long the peer holds an answered call
	// before it sends BYE; 0 waits for the caller's BYE.
	Hold time.Duration
	// Port is the UDP port on 127.0.0.1; 0 picks a free one.
	Port int
	// NoTrace turns the message trace off (for load runs); Invites then
	// returns nothing.
	NoTrace bool
	// Phone makes the peer behave like an agent's phone: it answers the
	// OPTIONS Asterisk qualifies contacts with (200 OK), and in Answer
	// mode it answers in PCMU, the codec VMS offers agents besides opus.
	Phone bool
	// DTMF is, in Answer mode, a digit ("0".."9") the peer sends as RFC
	// 4733 telephone-events DTMFDelay after the answer (the called person
	// presses a key). The peer must not be hung up during DTMFDelay.
	DTMF      string
	DTMFDelay time.Duration
}

// Invite is an INVITE a UAS peer received (retransmissions counted once).
type Invite struct {
	RequestURI string
	From       string
	To         string
	CallID     string
	At         time.Time
}

// UASPeer is a running SIPp UAS on 127.0.0.1:Port.
type UASPeer struct {
	Port int
	Mode Mode

	dir   string
	trace string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// UAS starts a SIPp UAS peer and registers its stop with t.Cleanup. It
// returns once the peer listens (at once for Unreachable).
func UAS(t testing.TB, opts UASOptions) *UASPeer {
	t.Helper()
	sipp := sippPath(t)
	if opts.Mode == Unreachable {
		port := opts.Port
		if port == 0 {
			port = FreeUDPPort(t)
		}
		return &UASPeer{Port: port, Mode: opts.Mode}
	}
	var name string
	switch opts.Mode {
	case Answer:
		name = "uas_answer.xml"
	case Busy:
		name = "uas_busy.xml"
	case NoAnswer:
		name = "uas_noanswer.xml"
	default:
		t.Fatalf("sipptest: unknown UAS mode %v", opts.Mode)
	}
	// A port the kernel just released can be taken again before SIPp binds
	// it (other tests run in parallel): pick another and retry.
	for attempt := 1; ; attempt++ {
		port := opts.Port
		if port == 0 {
			port = FreeUDPPort(t)
		}
		p, err := startUAS(t, sipp, name, port, opts)
		if err == nil {
			return p
		}
		if opts.Port != 0 || attempt == 5 {
			t.Fatalf("sipptest: uas %s on port %d: %v", opts.Mode, port, err)
		}
	}
}

// startUAS starts one SIPp UAS and waits until it listens.
func startUAS(t testing.TB, sipp, name string, port int, opts UASOptions) (*UASPeer, error) {
	t.Helper()
	dir := t.TempDir()
	p := &UASPeer{Port: port, Mode: opts.Mode, dir: dir, trace: filepath.Join(dir, "messages.log")}
	var pcap string
	if opts.DTMF != "" {
		if len(opts.DTMF) != 1 || opts.DTMF[0] < '0' || opts.DTMF[0] > '9' {
			return nil, fmt.Errorf("DTMF %q: want one digit 0-9", opts.DTMF)
		}
		pcap = fmt.Sprintf(dtmfPcap, opts.DTMF)
		if _, err := os.Stat(pcap); err != nil {
			return nil, fmt.Errorf("DTMF payload: %w", err)
		}
	}
	scenario := renderScenario(t, dir, name, struct {
		HoldMs      int64
		Phone       bool
		DTMFPcap    string
		DTMFDelayMs int64
	}{opts.Hold.Milliseconds(), opts.Phone, pcap, opts.DTMFDelay.Milliseconds()})
	mp := freeMediaPort(t)
	args := []string{
		"-sf", scenario,
		"-i", "127.0.0.1", "-p", strconv.Itoa(port),
		"-mi", "127.0.0.1", "-mp", strconv.Itoa(mp),
		"-trace_err", "-error_file", filepath.Join(dir, "errors.log"),
		"-nostdin",
	}
	if !opts.NoTrace {
		args = append(args, "-trace_msg", "-message_file", p.trace)
	}
	out, err := os.Create(filepath.Join(dir, "sipp.out"))
	if err != nil {
		return nil, fmt.Errorf("sipp output: %w", err)
	}
	cmd := exec.Command(sipp, args...)
	cmd.Dir = dir
	cmd.Stderr = out // the screen (stdout) is of no use here
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("start sipp: %w", err)
	}
	p.cmd, p.done = cmd, make(chan struct{})
	go func() {
		_ = cmd.Wait()
		out.Close()
		close(p.done)
	}()
	if err := p.waitListening(10 * time.Second); err != nil {
		p.Stop()
		errs, _ := os.ReadFile(filepath.Join(dir, "errors.log"))
		return nil, fmt.Errorf("%w: %s", err, strings.TrimSpace(string(errs)))
	}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			dumpLogs(t, "UAS "+opts.Mode.String()+" :"+strconv.Itoa(port), dir)
		}
	})
	return p, nil
}

// waitListening polls until SIPp has bound its port.
func (p *UASPeer) waitListening(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-p.done:
			return errors.New("sipp exited")
		default:
		}
		// Look, do not touch: binding the port to probe it would steal it
		// from SIPp while it starts.
		if udpBound(p.Port) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening after %s", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// udpBound reports whether some socket is bound to the UDP port (IPv4),
// from /proc/net/udp.
func udpBound(port int) bool {
	data, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		return false
	}
	want := fmt.Sprintf(":%04X", port)
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 1 && strings.HasSuffix(f[1], want) {
			return true
		}
	}
	return false
}

// Stop kills the peer's SIPp (calls in progress end abruptly). Safe to call
// more than once.
func (p *UASPeer) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	select {
	case <-p.done:
	default:
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(3 * time.Second):
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	}
	p.cmd = nil
}

// Invites returns the INVITEs received so far, in order of arrival.
func (p *UASPeer) Invites() []Invite {
	data, err := os.ReadFile(p.trace)
	if err != nil {
		return nil
	}
	return invitesOf(ParseTrace(data))
}

// WaitInvites polls until at least n INVITEs arrived or timeout passed,
// and returns those received.
func (p *UASPeer) WaitInvites(n int, timeout time.Duration) []Invite {
	deadline := time.Now().Add(timeout)
	for {
		inv := p.Invites()
		if len(inv) >= n || time.Now().After(deadline) {
			return inv
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// invitesOf picks the received INVITEs, once per Call-ID and CSeq.
func invitesOf(msgs []Message) []Invite {
	var out []Invite
	seen := map[string]bool{}
	for _, m := range msgs {
		if !m.Received || m.Method() != "INVITE" {
			continue
		}
		key := m.Headers["Call-ID"] + "\x00" + m.Headers["CSeq"]
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, Invite{
			RequestURI: m.RequestURI(),
			From:       m.Headers["From"],
			To:         m.Headers["To"],
			CallID:     m.Headers["Call-ID"],
			At:         m.At,
		})
	}
	return out
}
