// Package browsertest drives a real, headless Chromium from Go tests: a
// fresh browser per test with an empty profile of its own, small helpers
// with sane timeouts that fail the test on error, the page's console errors
// collected for assertions, and a screenshot plus the page's HTML saved
// when a test fails. A test binary whose TestMain calls Main shares one
// browser process between its tests (one browser context each), because a
// process start costs seconds on a small machine.
//
// It owns the browser's life cycle and nothing else: it knows no VMS page,
// starts no server and holds no assertions about what a page should show.
//
// The browser is /usr/bin/chromium (Debian's package), or the executable in
// VMS_CHROMIUM. A missing browser stops the test through testenv.Missing: a
// skip on a developer's machine, a failure under CI=true.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/vmsplatform/vms/internal/testenv"
)

// DefaultPath is where Debian's chromium package installs the browser;
// VMS_CHROMIUM overrides it.
const DefaultPath = "/usr/bin/chromium"

// Defaults of Options.
const (
	DefaultTimeout = 30 * time.Second // generous: shared CI machines can be very busy
	DefaultWidth   = 1280
	DefaultHeight  = 900
)

// startTimeout bounds the browser's start: a busy 2-core machine can need a
// few seconds.
const startTimeout = 45 * time.Second

// Options configure one browser.
type Options struct {
	// Timeout bounds each helper call (navigation, wait, click, ...);
	// DefaultTimeout when zero.
	Timeout time.Duration
	// Width and Height of the window in CSS pixels; DefaultWidth and
	// DefaultHeight when zero. Use Viewport to emulate a phone.
	Width, Height int
	// FakeMedia makes getUserMedia succeed without a camera, a microphone or
	// a permission prompt (--use-fake-device-for-media-stream
	// --use-fake-ui-for-media-stream), for WebRTC pages.
	FakeMedia bool
	// Flags are extra command-line flags ("name" → value; true for a bare
	// switch).
	Flags map[string]any
}

// Browser is one headless Chromium tab with a profile of its own, owned by
// one test. Its methods must be called from the goroutine of the test it
// belongs to: they stop that test with t.Fatal on error. A subtest uses
// the browser through With.
type Browser struct {
	t         testing.TB
	ctx       context.Context // the tab's context; no deadline
	timeout   time.Duration
	artifacts *string // directory of this browser's artifacts, once made
	console   *consoleLog
}

// consoleLog holds the console errors, exceptions and browser-log errors
// of the tab, in order.
type consoleLog struct {
	mu   sync.Mutex
	msgs []string
}

// With returns the same browser for use in t, typically a subtest of the
// test that started it: its helpers then fail t, not the parent.
func (b *Browser) With(t testing.TB) *Browser {
	c := *b
	c.t = t
	return &c
}

// Start gives t a fresh headless browser and closes it when the test ends.
// When the test has failed by then, it first saves a screenshot and the
// page's HTML (see ArtifactDir) and logs where.
//
// Normally Start launches a browser process of its own with a new profile
// in t.TempDir(). In a test binary whose TestMain calls Main, tests with
// default flags (no FakeMedia, no Flags) share one browser process instead,
// and each gets its own browser context: an empty profile of its own
// (cookies, storage, cache) in a tab of its own, at a fraction of the cost
// of a process start.
func Start(t testing.TB, opts Options) *Browser {
	t.Helper()
	exe := Path(t)
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Width <= 0 {
		opts.Width = DefaultWidth
	}
	if opts.Height <= 0 {
		opts.Height = DefaultHeight
	}
	b := &Browser{t: t, timeout: opts.Timeout, artifacts: new(string), console: &consoleLog{}}

	var first context.Context // the context whose first Run opens the tab
	parent, isShared, err := sharedBrowser(exe, opts)
	if isShared {
		if err != nil {
			t.Fatalf("browsertest: %v", err)
		}
		ctx, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext(), chromedp.WithListener(b.listen))
		t.Cleanup(cancel) // closes the tab and disposes of its browser context
		b.ctx, first = ctx, ctx
	} else {
		profile := t.TempDir() // removed after the browser stops: cleanups run last-in first-out
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), allocatorOptions(exe, profile, opts)...)
		ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithListener(b.listen))
		t.Cleanup(func() {
			cancelTab()
			cancelAlloc()
		})
		b.ctx, first = ctx, ctx
	}

	// The first Run starts the browser (or opens the tab) and binds it to
	// the context, which must carry no deadline; a timer bounds it instead.
	if err := startWithin(first, startTimeout); err != nil {
		t.Fatalf("browsertest: start %s: %v", exe, err)
	}
	if isShared && (opts.Width != DefaultWidth || opts.Height != DefaultHeight) {
		// A shared process has one window size; emulate the one asked for.
		b.Viewport(opts.Width, opts.Height, false)
	}
	t.Cleanup(b.saveOnFailure) // runs before the browser stops
	return b
}

// allocatorOptions are the command line of a browser process: headless,
// no sandbox (tests run as root in containers) and nothing that phones
// home, which on this closed network would only stall.
func allocatorOptions(exe, profile string, opts Options) []chromedp.ExecAllocatorOption {
	flags := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(opts.Width, opts.Height),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("safebrowsing-disable-auto-update", true),
	}
	if opts.FakeMedia {
		flags = append(flags,
			chromedp.Flag("use-fake-device-for-media-stream", true),
			chromedp.Flag("use-fake-ui-for-media-stream", true),
			chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
	}
	for name, v := range opts.Flags {
		flags = append(flags, chromedp.Flag(name, v))
	}
	return flags
}

// startWithin runs the first (empty) action on ctx, which starts the
// browser or opens the tab, and gives up after d.
func startWithin(ctx context.Context, d time.Duration) error {
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case err := <-started:
		return err
	case <-timer.C:
		return fmt.Errorf("not started within %s", d)
	}
}

// The shared browser process of a test binary whose TestMain calls Main.
var shared struct {
	mu      sync.Mutex
	enabled bool // Main is running the tests
	ctx     context.Context
	cancel  func()
	profile string
	err     error
}

// Main runs the tests of a package with one browser process shared by its
// browser tests (see Start) and stops it at the end. Call it from
// TestMain:
//
//	func TestMain(m *testing.M) { browsertest.Main(m) }
func Main(m *testing.M) {
	shared.mu.Lock()
	shared.enabled = true
	shared.mu.Unlock()
	code := m.Run()
	closeShared()
	os.Exit(code)
}

// sharedBrowser returns the shared browser's context, starting the process
// on first use; ok is false when the binary does not share a browser or
// opts need a process of their own.
func sharedBrowser(exe string, opts Options) (ctx context.Context, ok bool, err error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.enabled || opts.FakeMedia || len(opts.Flags) > 0 {
		return nil, false, nil
	}
	if shared.ctx != nil || shared.err != nil {
		return shared.ctx, true, shared.err
	}
	profile, err := os.MkdirTemp("", "vms-browsertest-profile-")
	if err != nil {
		shared.err = fmt.Errorf("shared browser profile: %w", err)
		return nil, true, shared.err
	}
	procOpts := Options{Width: DefaultWidth, Height: DefaultHeight}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), allocatorOptions(exe, profile, procOpts)...)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)
	if err := startWithin(ctx, startTimeout); err != nil {
		cancelBrowser()
		cancelAlloc()
		os.RemoveAll(profile)
		shared.err = fmt.Errorf("start the shared browser %s: %w", exe, err)
		return nil, true, shared.err
	}
	shared.ctx, shared.profile = ctx, profile
	shared.cancel = func() {
		cancelBrowser()
		cancelAlloc()
	}
	return ctx, true, nil
}

func closeShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.cancel != nil {
		shared.cancel()
		os.RemoveAll(shared.profile)
	}
	shared.ctx, shared.cancel, shared.err = nil, nil, nil
}

// Path returns the browser executable: $VMS_CHROMIUM or DefaultPath. A
// missing browser stops the test through testenv.Missing.
func Path(t testing.TB) string {
	t.Helper()
	p := os.Getenv("VMS_CHROMIUM")
	if p == "" {
		p = DefaultPath
	}
	abs, err := exec.LookPath(p)
	if err != nil {
		testenv.Missing(t, "Chromium (%s; install Debian's chromium package or set VMS_CHROMIUM): %v", p, err)
	}
	return abs
}

// Context returns the tab's chromedp context, for actions the helpers do
// not cover. Bound each call with context.WithTimeout derived from it;
// never cancel it.
func (b *Browser) Context() context.Context { return b.ctx }

// Run runs a chromedp action on the tab within the browser's timeout and
// returns its value; an error stops the test.
func Run[T any](b *Browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browsertest: %s: %v", what, err)
	}
	return v
}

// loads runs steps that start a navigation and waits for the new page; it
// returns the document's HTTP status.
func (b *Browser) loads(what string, steps ...chromedp.Action[chromedp.Void]) int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		b.t.Fatalf("browsertest: %s: %v", what, err)
	}
	return status(resp)
}

func (b *Browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	Run(b, what, chromedp.Steps(steps...))
}

// Navigate loads url and waits for its load event. It returns the HTTP
// status of the document (after redirects).
func (b *Browser) Navigate(url string) int {
	b.t.Helper()
	resp := Run(b, "navigate to "+url, chromedp.NavigateResponse(url))
	return status(resp)
}

// Reload reloads the page and waits for its load event. It returns the HTTP
// status of the document (after redirects).
func (b *Browser) Reload() int {
	b.t.Helper()
	return b.loads("reload", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.Reload, page.ReloadParams{})
		return err
	}))
}

// Fill sets the value of the input, select or textarea that matches the
// CSS selector, as a paste would: one input and one change event. It is
// fast; use Type where key events matter.
func (b *Browser) Fill(selector, value string) {
	b.t.Helper()
	var ok bool
	b.Eval(fmt.Sprintf(`(() => {
		const el = document.querySelector(%s);
		if (!el || !("value" in el)) return false;
		el.focus();
		el.value = %s;
		el.dispatchEvent(new Event("input", {bubbles: true}));
		el.dispatchEvent(new Event("change", {bubbles: true}));
		return true;
	})()`, jsString(selector), jsString(value)), &ok)
	if !ok {
		b.t.Fatalf("browsertest: fill %s: no field matches", selector)
	}
}

// Type replaces the value of the input or textarea that matches the CSS
// selector by typing text into it key by key, as a user would.
func (b *Browser) Type(selector, text string) {
	b.t.Helper()
	b.do("type into "+selector,
		chromedp.WaitVisible(chromedp.CSS(selector)),
		// chromedp.SetValue cannot set "" (it passes undefined), so clear
		// the field in the page.
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
			const el = document.querySelector(%s);
			el.value = "";
			el.dispatchEvent(new Event("input", {bubbles: true}));
		})()`, jsString(selector))),
		chromedp.SendKeys(chromedp.CSS(selector), text))
}

// Click clicks the first visible element that matches the CSS selector. It
// does not wait for a navigation: use Submit for a click that loads a page.
func (b *Browser) Click(selector string) {
	b.t.Helper()
	b.do("click "+selector, chromedp.Click(chromedp.CSS(selector)))
}

// Submit clicks the element that matches the CSS selector (a submit button
// or a link) and waits for the page it loads. It returns the HTTP status of
// the new document (after redirects).
func (b *Browser) Submit(selector string) int {
	b.t.Helper()
	return b.loads("click "+selector+" and wait for the page", chromedp.Click(chromedp.CSS(selector)))
}

// Text returns the visible text of the first element that matches the CSS
// selector, waiting for it to exist.
func (b *Browser) Text(selector string) string {
	b.t.Helper()
	return Run(b, "text of "+selector, chromedp.Text(chromedp.CSS(selector)))
}

// Value returns the current value of the input, select or textarea that
// matches the CSS selector.
func (b *Browser) Value(selector string) string {
	b.t.Helper()
	return Run(b, "value of "+selector, chromedp.Value(chromedp.CSS(selector)))
}

// WaitVisible waits until an element that matches the CSS selector is
// visible.
func (b *Browser) WaitVisible(selector string) {
	b.t.Helper()
	b.do("wait for "+selector+" to be visible", chromedp.WaitVisible(chromedp.CSS(selector)))
}

// Visible reports whether an element that matches the CSS selector exists
// and is visible now, without waiting.
func (b *Browser) Visible(selector string) bool {
	b.t.Helper()
	var visible bool
	b.Eval(fmt.Sprintf(`(() => {
		const el = document.querySelector(%s);
		if (!el) return false;
		const r = el.getBoundingClientRect(), s = getComputedStyle(el);
		return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none";
	})()`, jsString(selector)), &visible)
	return visible
}

// Count returns how many elements match the CSS selector now.
func (b *Browser) Count(selector string) int {
	b.t.Helper()
	var n int
	b.Eval(fmt.Sprintf(`document.querySelectorAll(%s).length`, jsString(selector)), &n)
	return n
}

// URL returns the address of the current page.
func (b *Browser) URL() string {
	b.t.Helper()
	return Run(b, "read the location", chromedp.Location())
}

// HTML returns the current document's markup.
func (b *Browser) HTML() string {
	b.t.Helper()
	return Run(b, "read the page's HTML", chromedp.OuterHTML(chromedp.CSS("html")))
}

// Eval evaluates the JavaScript expression in the page (awaiting it when
// it is a promise) and decodes its JSON value into out; out may be nil.
func (b *Browser) Eval(js string, out any) {
	b.t.Helper()
	raw := Run(b, "evaluate "+abbrev(js), chromedp.Evaluate[[]byte](js, chromedp.EvalAwaitPromise))
	if out == nil {
		return
	}
	if err := json.Unmarshal(raw, out); err != nil {
		b.t.Fatalf("browsertest: evaluate %s: decode %s into %T: %v", abbrev(js), abbrev(string(raw)), out, err)
	}
}

// Viewport emulates a screen of width×height CSS pixels; mobile also turns
// on the mobile meta-viewport handling and touch.
func (b *Browser) Viewport(width, height int, mobile bool) {
	b.t.Helper()
	var opts []chromedp.EmulateViewportOption
	if mobile {
		// A phone's pixel ratio is 2–3; 2 keeps screenshots legible and
		// cheaper to encode.
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait, chromedp.EmulateScale(2))
	}
	b.do(fmt.Sprintf("emulate a %dx%d viewport", width, height), chromedp.EmulateViewport(int64(width), int64(height), opts...))
}

// Cookies returns the browser's cookies for the current page, HttpOnly ones
// included.
func (b *Browser) Cookies() []*network.Cookie {
	b.t.Helper()
	res := Run(b, "read cookies", func(ctx context.Context, t *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{})
	})
	return res.Cookies
}

// Cookie returns the value of the named cookie for the current page; ok is
// false when there is none.
func (b *Browser) Cookie(name string) (value string, ok bool) {
	b.t.Helper()
	for _, c := range b.Cookies() {
		if c.Name == name {
			return c.Value, true
		}
	}
	return "", false
}

// Screenshot saves a PNG of the whole page to path.
func (b *Browser) Screenshot(path string) {
	b.t.Helper()
	png := Run(b, "screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatalf("browsertest: screenshot: %v", err)
	}
}

// ConsoleErrors returns what the pages wrote as errors so far: console.error
// calls, uncaught exceptions and the browser's own error log (failed
// resource loads, CSP violations, ...).
func (b *Browser) ConsoleErrors() []string {
	b.console.mu.Lock()
	defer b.console.mu.Unlock()
	return append([]string(nil), b.console.msgs...)
}

// NoConsoleErrors fails the test when any page wrote an error so far.
func (b *Browser) NoConsoleErrors() {
	b.t.Helper()
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		b.t.Errorf("browsertest: the page reported %d console error(s):\n  %s", len(errs), strings.Join(errs, "\n  "))
	}
}

// ArtifactDir returns the directory for this test's screenshots and page
// dumps, creating it: $VMS_TEST_ARTIFACTS/<test name> when set, else a new
// directory under the system's temporary directory that is kept after the
// test (t.TempDir would delete the evidence with the test).
func (b *Browser) ArtifactDir() string {
	b.t.Helper()
	if *b.artifacts != "" {
		return *b.artifacts
	}
	name := safeName.ReplaceAllString(b.t.Name(), "_")
	var dir string
	var err error
	if root := os.Getenv("VMS_TEST_ARTIFACTS"); root != "" {
		dir = filepath.Join(root, name)
		err = os.MkdirAll(dir, 0o755)
	} else {
		dir, err = os.MkdirTemp("", "vms-browser-"+name+"-")
	}
	if err != nil {
		b.t.Fatalf("browsertest: artifact directory: %v", err)
	}
	*b.artifacts = dir
	return dir
}

var safeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// saveOnFailure keeps the evidence of a failed test: a screenshot and the
// HTML of the page the browser was on.
func (b *Browser) saveOnFailure() {
	if !b.t.Failed() {
		return
	}
	dir := b.ArtifactDir()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	var saved []string
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		p := filepath.Join(dir, "failure.png")
		if os.WriteFile(p, png, 0o644) == nil {
			saved = append(saved, p)
		}
	} else {
		b.t.Logf("browsertest: no failure screenshot: %v", err)
	}
	if html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html"))); err == nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		p := filepath.Join(dir, "failure.html")
		if os.WriteFile(p, []byte("<!-- "+loc+" -->\n"+html), 0o644) == nil {
			saved = append(saved, p)
		}
	} else {
		b.t.Logf("browsertest: no failure HTML: %v", err)
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		p := filepath.Join(dir, "console.txt")
		if os.WriteFile(p, []byte(strings.Join(errs, "\n")+"\n"), 0o644) == nil {
			saved = append(saved, p)
		}
	}
	if len(saved) > 0 {
		b.t.Logf("browsertest: the test failed; saved %s", strings.Join(saved, ", "))
	}
}

// listen runs on chromedp's reader goroutine for every event of the tab: it
// must return fast and must not run commands.
func (b *Browser) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			switch {
			case len(a.Value) > 0:
				var s string
				if json.Unmarshal(a.Value, &s) == nil {
					parts = append(parts, s)
				} else {
					parts = append(parts, string(a.Value))
				}
			case a.Description != "":
				parts = append(parts, a.Description)
			default:
				parts = append(parts, string(a.Type))
			}
		}
		msg = "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg = "exception: " + d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + firstLine(d.Exception.Description)
		}
		if d.URL != "" {
			msg += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
		}
	case *cdplog.EventEntryAdded:
		if ev.Entry.Level != cdplog.EntryLevelError {
			return
		}
		msg = string(ev.Entry.Source) + ": " + ev.Entry.Text
		if ev.Entry.URL != "" {
			msg += " (" + ev.Entry.URL + ")"
		}
	default:
		return
	}
	b.console.mu.Lock()
	b.console.msgs = append(b.console.msgs, msg)
	b.console.mu.Unlock()
}

func status(resp *network.Response) int {
	if resp == nil {
		return 0
	}
	return int(resp.Status)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func abbrev(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
