// Package astertest starts real, unmodified Asterisk 22 instances for tests:
// Debian's package installed in a private root by test/asterisk/install.sh
// and run there in a chroot, configured with the files VMS ships to
// integrators (dialplans/asterisk) plus per-test SIP endpoints, dialplan and
// ports. Several instances run side by side; each has its own
// configuration, run, log, spool and AstDB directories and its own ports.
//
// It owns the instances' life cycle only: it never decides routing, never
// speaks SIP (see test/sipptest) and never implements ARI beyond the small
// request helper tests use to set things up.
//
// Running Asterisk needs root (chroot, mount). When the root or the
// privileges are missing, Start stops the test through testenv.Missing: a
// skip on a developer's machine, a failure under CI=true.
package astertest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dialplans "github.com/vmsplatform/vms/dialplans/asterisk"
	"github.com/vmsplatform/vms/internal/testenv"
)

// DefaultRoot is where test/asterisk/install.sh builds the Asterisk root;
// VMS_ASTERISK_ROOT overrides it.
const DefaultRoot = "/opt/vms/asterisk-root"

// rootMarker is written by install.sh once the root is complete.
const rootMarker = ".vms-asterisk-root"

// Timeouts of the instance life cycle. Generous: the machines that run the
// tests are small and shared.
const (
	readyTimeout = 60 * time.Second
	stopTimeout  = 15 * time.Second
	cliTimeout   = 20 * time.Second
)

// Caller is a SIP peer on 127.0.0.1 whose new calls Asterisk accepts,
// identified by source address and port, into Context (the SBC trunk of a
// real installation).
type Caller struct {
	// Name of the PJSIP endpoint, e.g. "trunk".
	Name string
	// Port is the caller's fixed local UDP port; 0 matches any port on
	// 127.0.0.1 (then only one Caller may be given).
	Port int
	// Context calls enter; "vms-inbound" when empty.
	Context string
}

// Destination is a SIP peer on 127.0.0.1:Port that Asterisk can call as
// PJSIP/<number>@<Name> (a "trunk-out"-style endpoint). It has no identify
// of its own: new calls from its port are refused unless a Caller without
// Port matches all of 127.0.0.1.
type Destination struct {
	Name string
	Port int
}

// Options adjust an instance. The zero value gives the shipped
// configuration with one caller endpoint "trunk" (any port on 127.0.0.1,
// context vms-inbound) and no destinations.
type Options struct {
	// Callers are the inbound SIP peers; nil means one "trunk" on any port.
	Callers []Caller
	// Destinations are the outbound SIP peers.
	Destinations []Destination
	// Dialplan is appended to the dialplan (written to
	// extensions_local.conf, which the shipped extensions.conf includes).
	Dialplan string
	// Globals override or add dialplan globals (e.g. VMS_FALLBACK_DEFAULT).
	Globals map[string]string
	// Files add or replace configuration files by base name; they win over
	// everything above.
	Files map[string]string
}

// Asterisk is one running (or stopped) instance.
type Asterisk struct {
	// ARIURL is the HTTP base, e.g. http://127.0.0.1:38127 (ARI lives under
	// /ari, the WebSocket SIP transport under /ws).
	ARIURL      string
	ARIUser     string
	ARIPassword string
	// App is the ARI application the dialplan enters ("vms").
	App string
	// HTTPPort is the HTTP/ARI TCP port on 127.0.0.1.
	HTTPPort int
	// SIPPort is the UDP port Asterisk's PJSIP transport listens on at
	// 127.0.0.1.
	SIPPort int
	// Callers and Destinations are the SIP peers this instance knows.
	Callers      []Caller
	Destinations []Destination
	// Root is the host path of the Asterisk root; Dir the host path of this
	// instance's directory inside it.
	Root string
	Dir  string

	conf string // asterisk.conf path inside the chroot

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Start starts a fresh instance and registers its stop and removal with
// t.Cleanup. It returns once ARI answers and Asterisk is fully booted.
func Start(t testing.TB, opts Options) *Asterisk {
	t.Helper()
	root := rootDir(t)
	if err := mountProc(root); err != nil {
		t.Fatalf("astertest: %v", err)
	}
	reapOrphans(root)
	a, err := prepare(root, opts)
	if err != nil {
		t.Fatalf("astertest: %v", err)
	}
	t.Cleanup(func() {
		a.stop()
		if t.Failed() {
			t.Logf("astertest: log of the Asterisk at %s:\n%s", a.Dir, a.LogTail(80))
		}
		if os.Getenv("VMS_ASTERISK_KEEP") == "" {
			_ = os.RemoveAll(a.Dir)
		}
	})
	if err := a.start(); err != nil {
		t.Fatalf("astertest: %v\n%s", err, a.LogTail(80))
	}
	return a
}

// rootDir returns the Asterisk root or stops the test when it is unusable.
func rootDir(t testing.TB) string {
	t.Helper()
	root := os.Getenv("VMS_ASTERISK_ROOT")
	if root == "" {
		root = DefaultRoot
	}
	hint := "run `sudo test/asterisk/install.sh` (builds it in about a minute)"
	if root != DefaultRoot {
		hint = "run `sudo VMS_ASTERISK_ROOT=" + root + " test/asterisk/install.sh` (builds it in about a minute)"
	}
	if _, err := os.Stat(filepath.Join(root, rootMarker)); err != nil {
		testenv.Missing(t, "no complete Asterisk root at %s (%v): %s", root, err, hint)
	}
	if _, err := os.Stat(filepath.Join(root, "usr/sbin/asterisk")); err != nil {
		testenv.Missing(t, "no asterisk binary in %s: %s", root, hint)
	}
	if os.Geteuid() != 0 {
		testenv.Missing(t, "running Asterisk in its root needs root privileges (chroot, mount)")
	}
	if _, err := exec.LookPath("chroot"); err != nil {
		testenv.Missing(t, "command chroot not found: %v", err)
	}
	return root
}

var procMu sync.Mutex

// mountProc mounts proc in the root once. It is never unmounted: other
// instances, possibly in other test processes, use it. A file lock orders
// concurrent test processes.
func mountProc(root string) error {
	procMu.Lock()
	defer procMu.Unlock()
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		return fmt.Errorf("resolve root: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(real, "var/tmp/.vms-proc.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("proc lock: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("proc lock: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck // released on close anyway
	target := filepath.Join(real, "proc")
	mounts, err := os.ReadFile("/proc/mounts")
	if err != nil {
		return fmt.Errorf("read mounts: %w", err)
	}
	for _, line := range strings.Split(string(mounts), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == target {
			return nil
		}
	}
	if err := syscall.Mount("proc", target, "proc", 0, ""); err != nil {
		return fmt.Errorf("mount proc on %s: %w", target, err)
	}
	return nil
}

// reapOrphans stops and removes instances whose test process is gone: it
// kills, by the pid Asterisk wrote, only an Asterisk this package started
// for a process that no longer exists.
func reapOrphans(root string) {
	dirs, _ := filepath.Glob(filepath.Join(root, "var/tmp/vms-*"))
	for _, dir := range dirs {
		owner, err := readPid(filepath.Join(dir, "owner.pid"))
		if err != nil || alive(owner) {
			continue
		}
		if pid, err := readPid(filepath.Join(dir, "run/asterisk.pid")); err == nil && alive(pid) {
			if cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); bytes.Contains(cmdline, []byte(path.Join("/var/tmp", filepath.Base(dir)))) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		_ = os.RemoveAll(dir)
	}
}

func readPid(file string) (int, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// alive reports whether a process with this pid exists.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// prepare creates the instance directory and writes its configuration.
func prepare(root string, opts Options) (*Asterisk, error) {
	callers := opts.Callers
	if len(callers) == 0 {
		callers = []Caller{{Name: "trunk"}}
	}
	for i := range callers {
		if callers[i].Context == "" {
			callers[i].Context = "vms-inbound"
		}
		if callers[i].Port == 0 && len(callers) > 1 {
			return nil, errors.New("a Caller without Port must be the only one")
		}
	}
	httpPort, err := freePort("tcp")
	if err != nil {
		return nil, err
	}
	sipPort, err := freePort("udp")
	if err != nil {
		return nil, err
	}
	name := "vms-" + randomHex(5)
	inner := path.Join("/var/tmp", name) // as Asterisk sees it
	a := &Asterisk{
		ARIURL:       "http://127.0.0.1:" + strconv.Itoa(httpPort),
		ARIUser:      "vms",
		ARIPassword:  randomHex(12),
		App:          "vms",
		HTTPPort:     httpPort,
		SIPPort:      sipPort,
		Callers:      callers,
		Destinations: append([]Destination(nil), opts.Destinations...),
		Root:         root,
		Dir:          filepath.Join(root, inner),
		conf:         path.Join(inner, "etc/asterisk.conf"),
	}
	files, err := a.configFiles(inner, opts)
	if err != nil {
		return nil, err
	}
	for _, d := range []string{"etc/manager.d", "run", "log", "spool", "lib/keys", "cache"} {
		if err := os.MkdirAll(filepath.Join(a.Dir, d), 0o750); err != nil {
			return nil, fmt.Errorf("instance dir: %w", err)
		}
	}
	// Debian's manager.conf includes manager.d/*.conf and logs an error
	// when nothing matches.
	files["manager.d/vms-test.conf"] = "; AMI is not used by VMS.\n"
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(a.Dir, "etc", name), []byte(body), 0o640); err != nil {
			return nil, fmt.Errorf("write %s: %w", name, err)
		}
	}
	// The owner's pid lets a later Start reap this instance if the test
	// process dies without cleaning up (killed, timed out).
	if err := os.WriteFile(filepath.Join(a.Dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, fmt.Errorf("owner pid: %w", err)
	}
	uid, gid, err := lookupUser(filepath.Join(root, "etc/passwd"), "asterisk")
	if err != nil {
		return nil, err
	}
	err = filepath.WalkDir(a.Dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
	if err != nil {
		return nil, fmt.Errorf("chown instance dir: %w", err)
	}
	return a, nil
}

// configFiles returns the instance's configuration: the shipped files with
// the instance's ports and password, generated pjsip.conf and asterisk.conf,
// then opts.Files.
func (a *Asterisk) configFiles(inner string, opts Options) (map[string]string, error) {
	// Debian's stock files first, as on an integrator's machine where the
	// shipped files are copied over them.
	files, err := stockFiles(a.Root)
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(dialplans.Files, ".")
	if err != nil {
		return nil, fmt.Errorf("shipped config: %w", err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(dialplans.Files, e.Name())
		if err != nil {
			return nil, fmt.Errorf("shipped config: %w", err)
		}
		files[e.Name()] = string(b)
	}
	// The shipped http.conf and ari.conf, with this instance's port and
	// password: the tests exercise the very files integrators install.
	var ok bool
	if files["http.conf"], ok = replaceLine(files["http.conf"], "bindport = ", strconv.Itoa(a.HTTPPort)); !ok {
		return nil, errors.New("shipped http.conf has no bindport line")
	}
	if files["ari.conf"], ok = replaceLine(files["ari.conf"], "password = ", a.ARIPassword); !ok {
		return nil, errors.New("shipped ari.conf has no password line")
	}
	modDir, err := moduleDir(a.Root)
	if err != nil {
		return nil, err
	}
	files["asterisk.conf"] = fmt.Sprintf(`[directories]
astcachedir => %[1]s/cache
astetcdir => %[1]s/etc
astmoddir => %[2]s
astvarlibdir => /var/lib/asterisk
astdbdir => %[1]s/lib
astkeydir => %[1]s/lib
astdatadir => /usr/share/asterisk
astagidir => /usr/share/asterisk/agi-bin
astspooldir => %[1]s/spool
astrundir => %[1]s/run
astlogdir => %[1]s/log
astsbindir => /usr/sbin

[options]
runuser = asterisk
rungroup = asterisk
verbose = 0
debug = 0
transmit_silence = yes
`, inner, modDir)
	files["pjsip.conf"] = a.pjsipConf()
	files["extensions_local.conf"] = extensionsLocal(opts)
	for name, body := range opts.Files {
		if name != filepath.Base(name) {
			return nil, fmt.Errorf("config file name %q: want a base name", name)
		}
		files[name] = body
	}
	return files, nil
}

// pjsipConf generates the SIP side: a UDP transport on SIPPort, the
// WebSocket transport, callers identified by address and port, and
// destinations.
func (a *Asterisk) pjsipConf() string {
	var b strings.Builder
	fmt.Fprintf(&b, `; Generated by test/astertest.
[global]
type = global
; Everything comes from 127.0.0.1 here: match agents (WebRTC softphones
; registering over /ws) by user name before callers by address. The shipped
; pjsip.conf matches by address first, as the SBC and agents differ there.
endpoint_identifier_order = username,ip,anonymous
user_agent = VMS Asterisk test

[transport-udp]
type = transport
protocol = udp
bind = 127.0.0.1:%d

[transport-ws]
type = transport
protocol = ws
bind = 0.0.0.0

[peer-common](!)
type = endpoint
transport = transport-udp
disallow = all
allow = alaw,ulaw
dtmf_mode = rfc4733
direct_media = no
rtp_symmetric = yes
force_rport = yes
trust_id_inbound = yes
timers = no
`, a.SIPPort)
	for _, c := range a.Callers {
		match := "127.0.0.1"
		if c.Port != 0 {
			match += ":" + strconv.Itoa(c.Port)
		}
		fmt.Fprintf(&b, "\n[%[1]s](peer-common)\ncontext = %[2]s\n\n[%[1]s]\ntype = identify\nendpoint = %[1]s\nmatch = %[3]s\n",
			c.Name, c.Context, match)
	}
	for _, d := range a.Destinations {
		fmt.Fprintf(&b, "\n[%[1]s](peer-common)\ncontext = vms-from-trunk-out\naors = %[1]s\n\n[%[1]s]\ntype = aor\ncontact = sip:127.0.0.1:%[2]d\n",
			d.Name, d.Port)
	}
	return b.String()
}

// extensionsLocal renders the dialplan additions.
func extensionsLocal(opts Options) string {
	var b strings.Builder
	b.WriteString("; Generated by test/astertest.\n")
	if len(opts.Globals) > 0 {
		keys := make([]string, 0, len(opts.Globals))
		for k := range opts.Globals {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("[globals](+)\n")
		for _, k := range keys {
			fmt.Fprintf(&b, "%s = %s\n", k, opts.Globals[k])
		}
	}
	b.WriteString(opts.Dialplan)
	b.WriteString("\n")
	return b.String()
}

// skipStock are stock files left out: the AEL and Lua dialplans would load
// next to extensions.conf, and users.conf is deprecated and unused.
var skipStock = map[string]bool{"extensions.ael": true, "extensions.lua": true, "users.conf": true}

// stockFiles reads the root's stock /etc/asterisk (regular files only).
func stockFiles(root string) (map[string]string, error) {
	dir := filepath.Join(root, "etc/asterisk")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("stock config: %w", err)
	}
	files := map[string]string{}
	for _, e := range entries {
		if !e.Type().IsRegular() || skipStock[e.Name()] {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("stock config: %w", err)
		}
		files[e.Name()] = string(b)
	}
	return files, nil
}

// replaceLine sets the value of the first line starting with prefix.
func replaceLine(s, prefix, value string) (string, bool) {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, prefix) {
			lines[i] = prefix + value
			return strings.Join(lines, "\n"), true
		}
	}
	return s, false
}

// moduleDir finds Asterisk's module directory inside the root (its path
// names the architecture).
func moduleDir(root string) (string, error) {
	m, _ := filepath.Glob(filepath.Join(root, "usr/lib/*/asterisk/modules"))
	if len(m) == 0 {
		return "", fmt.Errorf("no asterisk module directory in %s", root)
	}
	rel, err := filepath.Rel(root, m[0])
	if err != nil {
		return "", fmt.Errorf("module dir: %w", err)
	}
	return "/" + filepath.ToSlash(rel), nil
}

// lookupUser reads a user's uid and primary gid from a passwd file.
func lookupUser(passwd, name string) (int, int, error) {
	b, err := os.ReadFile(passwd)
	if err != nil {
		return 0, 0, fmt.Errorf("read passwd: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 4 || f[0] != name {
			continue
		}
		uid, err1 := strconv.Atoi(f[2])
		gid, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil {
			return 0, 0, fmt.Errorf("passwd entry %q: bad ids", name)
		}
		return uid, gid, nil
	}
	return 0, 0, fmt.Errorf("no user %q in %s", name, passwd)
}

// start runs Asterisk in the foreground of a child process and waits until
// ARI answers and the core is fully booted.
func (a *Asterisk) start() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cmd != nil {
		return errors.New("already running")
	}
	out, err := os.OpenFile(filepath.Join(a.Dir, "log", "console.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("console log: %w", err)
	}
	// Remove a stale control socket of a previous run.
	_ = os.Remove(filepath.Join(a.Dir, "run", "asterisk.ctl"))
	cmd := exec.Command("chroot", a.Root, "/usr/sbin/asterisk",
		"-C", a.conf, "-U", "asterisk", "-G", "asterisk", "-f", "-n")
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("start asterisk: %w", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		out.Close()
		close(done)
	}()
	a.cmd, a.done = cmd, done
	if err := a.waitReady(done); err != nil {
		a.kill()
		return err
	}
	return nil
}

// waitReady polls ARI until it answers, then waits for the full boot.
func (a *Asterisk) waitReady(done <-chan struct{}) error {
	deadline := time.Now().Add(readyTimeout)
	client := &http.Client{Timeout: 2 * time.Second}
	var last error
	for {
		select {
		case <-done:
			return fmt.Errorf("asterisk exited during start-up")
		default:
		}
		status, _, err := a.do(client, http.MethodGet, "/ari/asterisk/info", nil, nil)
		if err == nil && status == http.StatusOK {
			break
		}
		last = err
		if err == nil {
			last = fmt.Errorf("HTTP %d", status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ARI at %s not ready after %s: %v", a.ARIURL, readyTimeout, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if out, err := a.cli("core waitfullybooted"); err != nil {
		return fmt.Errorf("wait fully booted: %w: %s", err, out)
	}
	return nil
}

// Stop stops the instance (core stop now, then SIGKILL after a grace
// period). Its directory, configuration and AstDB stay for Restart.
func (a *Asterisk) Stop(t testing.TB) {
	t.Helper()
	a.stop()
}

// Restart stops the instance if it runs and starts it again with the same
// configuration, ports and AstDB.
func (a *Asterisk) Restart(t testing.TB) {
	t.Helper()
	a.stop()
	if err := a.start(); err != nil {
		t.Fatalf("astertest: restart: %v\n%s", err, a.LogTail(80))
	}
}

func (a *Asterisk) stop() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cmd == nil {
		return
	}
	_, _ = a.cli("core stop now")
	select {
	case <-a.done:
	case <-time.After(stopTimeout):
	}
	a.kill()
}

// kill ends the process group and waits for it; a.mu is held.
func (a *Asterisk) kill() {
	if a.cmd == nil {
		return
	}
	select {
	case <-a.done:
	default:
		_ = syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
		<-a.done
	}
	a.cmd, a.done = nil, nil
}

// SIPAddr returns Asterisk's SIP UDP address, "127.0.0.1:<SIPPort>".
func (a *Asterisk) SIPAddr() string {
	return "127.0.0.1:" + strconv.Itoa(a.SIPPort)
}

// EventsURL returns the ARI events WebSocket URL for the application app
// ("" means a.App), with the instance's credentials as api_key.
func (a *Asterisk) EventsURL(app string) string {
	if app == "" {
		app = a.App
	}
	q := url.Values{"app": {app}, "api_key": {a.ARIUser + ":" + a.ARIPassword}}
	return "ws" + strings.TrimPrefix(a.ARIURL, "http") + "/ari/events?" + q.Encode()
}

// CLI runs one Asterisk CLI command (asterisk -rx) through the instance's
// control socket and returns its output.
func (a *Asterisk) CLI(t testing.TB, command string) string {
	t.Helper()
	out, err := a.cli(command)
	if err != nil {
		t.Fatalf("astertest: CLI %q: %v\n%s", command, err, out)
	}
	return out
}

func (a *Asterisk) cli(command string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "chroot", a.Root, "/usr/sbin/asterisk",
		"-C", a.conf, "-rx", command).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("asterisk -rx: %w", err)
	}
	return string(out), nil
}

// ARI sends one ARI request (path below the base URL, e.g.
// "/ari/asterisk/variable") with the instance's credentials and returns the
// status and body. For test set-up; VMS's own client lives in ari/.
func (a *Asterisk) ARI(t testing.TB, method, path string, query url.Values) (int, []byte) {
	t.Helper()
	status, body, err := a.do(&http.Client{Timeout: 10 * time.Second}, method, path, query, nil)
	if err != nil {
		t.Fatalf("astertest: ARI %s %s: %v", method, path, err)
	}
	return status, body
}

// ARIJSON is ARI with a JSON request body.
func (a *Asterisk) ARIJSON(t testing.TB, method, path string, query url.Values, body any) (int, []byte) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatalf("astertest: ARI %s %s: %v", method, path, err)
	}
	status, resp, err := a.do(&http.Client{Timeout: 10 * time.Second}, method, path, query, b)
	if err != nil {
		t.Fatalf("astertest: ARI %s %s: %v", method, path, err)
	}
	return status, resp
}

func (a *Asterisk) do(client *http.Client, method, path string, query url.Values, body []byte) (int, []byte, error) {
	u := a.ARIURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		return 0, nil, fmt.Errorf("request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth(a.ARIUser, a.ARIPassword)
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("read body: %w", err)
	}
	return resp.StatusCode, data, nil
}

// DBGet returns an AstDB value read through the CLI, and whether it exists.
func (a *Asterisk) DBGet(t testing.TB, family, key string) (string, bool) {
	t.Helper()
	out, _ := a.cli("database get " + family + " " + key)
	const p = "Value: "
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, p) {
			return strings.TrimSpace(strings.TrimPrefix(line, p)), true
		}
	}
	return "", false
}

// LogTail returns the last n lines of the instance's messages.log and of
// its console output.
func (a *Asterisk) LogTail(n int) string {
	var b bytes.Buffer
	for _, name := range []string{"messages.log", "console.out"} {
		fmt.Fprintf(&b, "--- %s\n", name)
		b.WriteString(tail(filepath.Join(a.Dir, "log", name), n))
	}
	return b.String()
}

func tail(file string, n int) string {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Sprintf("(%v)\n", err)
	}
	defer f.Close()
	var lines []string
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 64*1024), 1024*1024)
	for s.Scan() {
		lines = append(lines, s.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// freePort returns a port the kernel just gave out on 127.0.0.1 for
// network "tcp" or "udp".
func freePort(network string) (int, error) {
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("free udp port: %w", err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free tcp port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
