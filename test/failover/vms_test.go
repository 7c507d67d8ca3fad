package failover

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// vmsProc is one run of the vms binary, its output captured in files.
type vmsProc struct {
	Name    string // "vms-1", "vms-2", ...: names the log files
	BaseURL string // http://127.0.0.1:<port> of the portal (healthz, readyz)
	stdout  string
	stderr  string
	cmd     *exec.Cmd
	done    chan struct{} // closed once the process has exited
}

// vmsEnv is the configuration every run shares: the environment of the
// binary, without VMS_LISTEN (each run picks a free port).
type vmsEnv map[string]string

// startVMS starts `vms serve` with env and returns once its portal answers
// /healthz. At the cleanup of owner (t, or a parent test when the process
// must outlive t) a still running process is stopped gracefully (SIGTERM,
// then SIGKILL), and its logs are printed when owner failed (or always
// with VMS_FAILOVER_LOGS=1).
func startVMS(t, owner *testing.T, name string, env vmsEnv) *vmsProc {
	t.Helper()
	bin := binary(t)
	port := freeTCPPort(t)
	dir := owner.TempDir()
	p := &vmsProc{
		Name:    name,
		BaseURL: fmt.Sprintf("http://127.0.0.1:%d", port),
		stdout:  filepath.Join(dir, name+".stdout"),
		stderr:  filepath.Join(dir, name+".stderr"),
		done:    make(chan struct{}),
	}
	out, err := os.Create(p.stdout)
	if err != nil {
		t.Fatal(err)
	}
	errf, err := os.Create(p.stderr)
	if err != nil {
		out.Close()
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "VMS_LISTEN=" + fmt.Sprintf("127.0.0.1:%d", port)}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = out, errf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		errf.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	p.cmd = cmd
	go func() {
		_ = cmd.Wait()
		out.Close()
		errf.Close()
		close(p.done)
	}()
	owner.Cleanup(func() {
		p.stop()
		if owner.Failed() || os.Getenv("VMS_FAILOVER_LOGS") != "" {
			owner.Logf("%s stdout:\n%s", name, p.read(p.stdout))
			owner.Logf("%s stderr:\n%s", name, p.read(p.stderr))
		}
	})
	p.waitHealthy(t, 90*time.Second)
	return p
}

// waitHealthy polls /healthz until it answers 200.
func (p *vmsProc) waitHealthy(t *testing.T, timeout time.Duration) {
	t.Helper()
	eventually(t, timeout, p.Name+" answers /healthz", func() (bool, string) {
		if !p.Running() {
			return false, "the process exited: " + lastLines(p.read(p.stderr), 20)
		}
		code, body := p.get("/healthz")
		return code == http.StatusOK, fmt.Sprintf("HTTP %d %s", code, body)
	})
}

// get fetches a portal path and returns the status (0 when unreachable)
// and body.
func (p *vmsProc) get(path string) (int, string) {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(p.BaseURL + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, strings.TrimSpace(b.String())
}

// Running reports whether the process is still alive.
func (p *vmsProc) Running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Kill ends the process with SIGKILL, without any chance to clean up, and
// waits until it is gone.
func (p *vmsProc) Kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && p.Running() {
		t.Fatalf("kill %s: %v", p.Name, err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s still running 30 s after SIGKILL", p.Name)
	}
}

// stop ends a running process gracefully, then by force.
func (p *vmsProc) stop() {
	if !p.Running() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	}
}

// Stderr returns the log written so far (slog goes to stderr).
func (p *vmsProc) Stderr() string { return p.read(p.stderr) }

func (p *vmsProc) read(file string) string {
	b, err := os.ReadFile(file)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return string(b)
}

// logCount counts the log lines of p whose message is msg.
func (p *vmsProc) logCount(msg string) int {
	return strings.Count(p.Stderr(), `msg="`+msg+`"`)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// freeTCPPort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// eventually polls cond every 100 ms until it holds, and fails the test
// with cond's last explanation after timeout. Timeouts are generous: the
// machines that run these tests are small and shared; nothing here asserts
// speed.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s; last: %s", what, timeout, why)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
