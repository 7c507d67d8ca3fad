package browsertest_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vmsplatform/vms/test/browsertest"
)

func TestMain(m *testing.M) { browsertest.Main(m) }

// site is a tiny web site that exercises what the helpers do: a form that
// posts and redirects, a page that logs errors, a cookie, a 404.
func site(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("GET /form", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: "s3cret", Path: "/", HttpOnly: true})
		fmt.Fprint(w, `<!doctype html><title>form</title>
<h1 id="title">Form</h1>
<form method="post" action="/form"><input id="name" name="name" value="old"><button id="go">Send</button></form>
<button id="show" onclick="document.getElementById('later').hidden=false">Show</button>
<p id="later" hidden>now visible</p>`)
	})
	mux.HandleFunc("POST /form", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/done?name="+r.FormValue("name"), http.StatusSeeOther)
	})
	mux.HandleFunc("GET /done", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>done</title><h1 id="got">%s</h1>`, r.URL.Query().Get("name"))
	})
	mux.HandleFunc("GET /noisy", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>noisy</title><h1>Noisy</h1>
<script>console.log("fine"); console.error("bad thing", 42);</script>
<script>throw new Error("boom")</script>
<img src="/missing.png" alt="">`)
	})
	mux.HandleFunc("GET /wide", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><meta name="viewport" content="width=device-width, initial-scale=1">
<div style="width:100%;height:10px"></div>`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestFormRoundTrip(t *testing.T) {
	srv := site(t)
	b := browsertest.Start(t, browsertest.Options{})

	if got := b.Navigate(srv.URL + "/form"); got != http.StatusOK {
		t.Fatalf("Navigate status = %d, want 200", got)
	}
	if got := b.Text("#title"); got != "Form" {
		t.Errorf("Text(#title) = %q, want Form", got)
	}
	if b.Visible("#later") {
		t.Errorf("#later is visible before the click")
	}
	b.Click("#show")
	b.WaitVisible("#later")
	if !b.Visible("#later") {
		t.Errorf("#later is not visible after WaitVisible")
	}
	if v, ok := b.Cookie("sid"); !ok || v != "s3cret" {
		t.Errorf("Cookie(sid) = %q, %v; want the HttpOnly cookie s3cret", v, ok)
	}

	b.Type("#name", "Ada")
	if got := b.Value("#name"); got != "Ada" {
		t.Errorf("after Type the field holds %q, want Ada (the old value replaced)", got)
	}
	b.Fill("#name", "Ada Lovelace")
	if got := b.Value("#name"); got != "Ada Lovelace" {
		t.Errorf("after Fill the field holds %q, want Ada Lovelace", got)
	}
	if got := b.Submit("#go"); got != http.StatusOK {
		t.Errorf("Submit status = %d, want 200 after the redirect", got)
	}
	if got := b.URL(); !strings.HasSuffix(got, "/done?name=Ada+Lovelace") && !strings.HasSuffix(got, "/done?name=Ada%20Lovelace") {
		t.Errorf("URL after submit = %q, want /done with the typed name (Fill must replace the old value)", got)
	}
	if got := b.Text("#got"); got != "Ada Lovelace" {
		t.Errorf("posted name = %q, want Ada Lovelace", got)
	}
	b.NoConsoleErrors()

	if got := b.Navigate(srv.URL + "/nothing-here"); got != http.StatusNotFound {
		t.Errorf("Navigate status of a missing page = %d, want 404", got)
	}
	if got := b.Reload(); got != http.StatusNotFound {
		t.Errorf("Reload status = %d, want 404", got)
	}
	// Chromium logs an error document as a failed resource load.
	if errs := b.ConsoleErrors(); len(errs) != 2 || !strings.Contains(errs[0], "/nothing-here") {
		t.Errorf("console errors after two 404 pages = %q, want two failed loads of /nothing-here", errs)
	}
}

func TestEval(t *testing.T) {
	srv := site(t)
	b := browsertest.Start(t, browsertest.Options{})
	b.Navigate(srv.URL + "/form")

	tests := []struct {
		name string
		js   string
		out  any
		want any
	}{
		{"number", `1 + 2`, new(int), 3},
		{"string", `document.title`, new(string), "form"},
		{"object", `({a: [1, 2]})`, new(map[string][]int), map[string][]int{"a": {1, 2}}},
		{"promise", `new Promise(r => setTimeout(() => r(true), 10))`, new(bool), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := b.With(t)
			b.Eval(tt.js, tt.out)
			got := fmt.Sprint(derefAny(tt.out))
			if want := fmt.Sprint(tt.want); got != want {
				t.Errorf("Eval(%s) = %s, want %s", tt.js, got, want)
			}
		})
	}
	b.Eval(`document.body.dataset.x = "1"`, nil)
	if n := b.Count("body[data-x]"); n != 1 {
		t.Errorf("Count after Eval with nil out = %d, want 1", n)
	}
}

func derefAny(p any) any {
	switch v := p.(type) {
	case *int:
		return *v
	case *string:
		return *v
	case *bool:
		return *v
	case *map[string][]int:
		return *v
	}
	return p
}

func TestConsoleErrorsCollected(t *testing.T) {
	srv := site(t)
	b := browsertest.Start(t, browsertest.Options{})
	b.Navigate(srv.URL + "/noisy")

	errs := strings.Join(b.ConsoleErrors(), "\n")
	for _, want := range []string{"console.error: bad thing 42", "exception: Uncaught Error: boom", "/missing.png"} {
		if !strings.Contains(errs, want) {
			t.Errorf("console errors lack %q; got:\n%s", want, errs)
		}
	}
	if strings.Contains(errs, "fine") {
		t.Errorf("console.log was collected as an error:\n%s", errs)
	}
}

func TestViewportAndScreenshot(t *testing.T) {
	srv := site(t)
	b := browsertest.Start(t, browsertest.Options{Width: 1024, Height: 700})
	b.Viewport(390, 844, true)
	b.Navigate(srv.URL + "/wide")
	var w int
	b.Eval(`window.innerWidth`, &w)
	if w != 390 {
		t.Errorf("innerWidth = %d, want 390", w)
	}
	p := filepath.Join(t.TempDir(), "shot.png")
	b.Screenshot(p)
	png, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("screenshot is not a PNG (%d bytes)", len(png))
	}
}

// failingTB reports the test as failed, so that Start's cleanup saves the
// evidence, without failing the real test.
type failingTB struct {
	testing.TB
	failed atomic.Bool
}

func (f *failingTB) Failed() bool { return f.failed.Load() || f.TB.Failed() }

func TestArtifactsOnFailure(t *testing.T) {
	srv := site(t)
	root := t.TempDir()
	t.Setenv("VMS_TEST_ARTIFACTS", root)
	dir := filepath.Join(root, "TestArtifactsOnFailure_browser")

	t.Run("browser", func(t *testing.T) {
		ft := &failingTB{TB: t}
		b := browsertest.Start(ft, browsertest.Options{})
		b.Navigate(srv.URL + "/noisy")
		ft.failed.Store(true) // as if an assertion had failed
	})

	html, err := os.ReadFile(filepath.Join(dir, "failure.html"))
	if err != nil {
		t.Fatalf("no page dump after a failure: %v", err)
	}
	if !bytes.Contains(html, []byte("<h1>Noisy</h1>")) || !bytes.Contains(html, []byte(srv.URL+"/noisy")) {
		t.Errorf("page dump lacks the page or its address:\n%s", html)
	}
	png, err := os.ReadFile(filepath.Join(dir, "failure.png"))
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("no PNG screenshot after a failure (err %v)", err)
	}
	cons, err := os.ReadFile(filepath.Join(dir, "console.txt"))
	if err != nil || !bytes.Contains(cons, []byte("boom")) {
		t.Errorf("console log after a failure = %q, %v; want the exception", cons, err)
	}
}

func TestNoArtifactsOnSuccess(t *testing.T) {
	srv := site(t)
	root := t.TempDir()
	t.Setenv("VMS_TEST_ARTIFACTS", root)
	t.Run("browser", func(t *testing.T) {
		b := browsertest.Start(t, browsertest.Options{})
		b.Navigate(srv.URL + "/form")
	})
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("a passing test left artifacts: %v", entries)
	}
}

// Browsers that share a process are still isolated from each other.
func TestSharedBrowsersAreIsolated(t *testing.T) {
	srv := site(t)
	a := browsertest.Start(t, browsertest.Options{})
	b := browsertest.Start(t, browsertest.Options{Width: 800, Height: 600})
	a.Navigate(srv.URL + "/form")
	a.Eval(`localStorage.setItem("k", "a")`, nil)
	b.Navigate(srv.URL + "/done?name=x")
	if _, ok := b.Cookie("sid"); ok {
		t.Errorf("a cookie set in one browser is visible in another")
	}
	var stored *string
	b.Eval(`localStorage.getItem("k")`, &stored)
	if stored != nil {
		t.Errorf("localStorage leaked between browsers: %q", *stored)
	}
	var w int
	b.Eval(`window.innerWidth`, &w)
	if w != 800 {
		t.Errorf("innerWidth = %d, want the 800 asked for", w)
	}
}

// FakeMedia gives pages a camera and a microphone without a prompt, for
// WebRTC tests; such a browser runs in a process of its own.
func TestFakeMedia(t *testing.T) {
	srv := site(t)
	b := browsertest.Start(t, browsertest.Options{FakeMedia: true})
	b.Navigate(srv.URL + "/form") // http://127.0.0.1 is a secure context
	var kinds []string
	b.Eval(`navigator.mediaDevices.getUserMedia({audio: true, video: true})
		.then(s => { const k = s.getTracks().map(t => t.kind).sort(); s.getTracks().forEach(t => t.stop()); return k; })`, &kinds)
	if strings.Join(kinds, ",") != "audio,video" {
		t.Errorf("getUserMedia tracks = %v, want audio and video", kinds)
	}
}

// With binds the helpers to a subtest: a failing helper fails the subtest
// only, and the browser keeps its page and console for the parent.
func TestWithSubtest(t *testing.T) {
	srv := site(t)
	b := browsertest.Start(t, browsertest.Options{})
	b.Navigate(srv.URL + "/noisy")
	t.Run("sub", func(t *testing.T) {
		sb := b.With(t)
		if got := sb.Text("h1"); got != "Noisy" {
			t.Errorf("subtest sees h1 %q, want Noisy", got)
		}
		sb.Navigate(srv.URL + "/form")
	})
	if got := b.Text("#title"); got != "Form" {
		t.Errorf("after the subtest navigated, the parent sees %q, want the same tab on Form", got)
	}
	if len(b.ConsoleErrors()) == 0 {
		t.Errorf("the console log is not shared between the views of one browser")
	}
}
