package mail_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/vmsplatform/vms/store/storetest"
	"github.com/vmsplatform/vms/test/browsertest"
)

func TestMain(m *testing.M) { browsertest.Main(m) }

// waitJS is an expression that waits up to ms for cond (a JavaScript
// expression) to hold and gives "ok", or "timeout".
func waitJS(cond string, ms int) string {
	return fmt.Sprintf(`new Promise(res => { const end = Date.now() + %d; (function poll() {
		let ok = false; try { ok = !!(%s); } catch (e) {}
		if (ok) return res("ok"); if (Date.now() > end) return res("timeout"); setTimeout(poll, 50); })(); })`, ms, cond)
}

// TestEmailDeskInBrowser: the agent reads and answers an e-mail on the
// desktop page in a real browser; mail HTML is shown as text and runs
// nothing.
func TestEmailDeskInBrowser(t *testing.T) {
	b := browsertest.Start(t, browsertest.Options{})
	r := newRig(t, storetest.SQLite(t))
	if err := r.send("sales@acme.example", message("m1@shop.example", "Order 42", "", "Where is my order 42?")); err != nil {
		t.Fatal(err)
	}
	browsertest.Run(b, "set the session cookie", func(ctx context.Context, tg *chromedp.Target) (cdp.Empty, error) {
		return cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{Name: "vms_session", Value: r.expert.session, URL: r.portal.URL})
	})
	if st := b.Navigate(r.portal.URL + "/desk"); st != http.StatusOK {
		t.Fatalf("desk page: status %d", st)
	}
	var got string
	b.Eval(waitJS(`document.querySelector("#email-list button")`, 10000), &got)
	if got != "ok" {
		t.Fatalf("no e-mail listed; section: %s", b.Text("#desk-emails"))
	}
	if s := b.Text("#email-list"); !strings.Contains(s, "Order 42") || !strings.Contains(s, "customer@shop.example") {
		t.Errorf("list shows %q", s)
	}
	b.Click("#email-list button")
	b.WaitVisible("#email-text")
	if s := b.Text("#email-text"); !strings.Contains(s, "Where is my order 42?") {
		t.Errorf("text shows %q", s)
	}
	if s := b.Text("#email-attachments"); !strings.Contains(s, "order.pdf") {
		t.Errorf("attachments show %q", s)
	}
	// Sending nothing is refused in the page.
	b.Click("#email-send")
	b.WaitVisible("#email-reply-error")
	b.Type("#email-reply", "It left our warehouse today.")
	b.Click("#email-send")
	b.Eval(waitJS(`document.querySelector("#email-notice") && !document.querySelector("#email-notice").hidden`, 10000), &got)
	if got != "ok" || b.Text("#email-notice") != "Reply sent." {
		t.Fatalf("after sending: notice %q, error %q", b.Text("#email-notice"), b.Text("#email-error"))
	}
	msgs := r.sink.Wait(t, 1, 10*time.Second)
	if m := msgs[0]; m.Header.Get("Subject") != "Re: Order 42" || !strings.HasPrefix(m.Text, "It left our warehouse today.") {
		t.Errorf("reply: %q\n%s", m.Header.Get("Subject"), m.Text)
	}

	// A mail with HTML only: its text is shown; its script never runs.
	html := `From: customer@shop.example
To: sales@acme.example
Subject: Rich
Message-ID: <m2@shop.example>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<p>Hello <b>there</b></p><script>document.title="pwned"</script><img src="x" onerror="document.title='pwned'">
`
	if err := r.send("sales@acme.example", html); err != nil {
		t.Fatal(err)
	}
	b.Eval(waitJS(`[...document.querySelectorAll("#email-list button")].some(b => b.textContent.includes("Rich"))`, 10000), &got)
	if got != "ok" {
		t.Fatalf("second e-mail not listed: %q", b.Text("#desk-emails"))
	}
	b.Click("#email-list button")
	b.WaitVisible("#email-text")
	b.Eval(waitJS(`document.querySelector("#email-subject").textContent === "Rich"`, 5000), &got)
	if s := b.Text("#email-text"); !strings.Contains(s, "Hello there") {
		t.Errorf("HTML mail shows %q", s)
	}
	var title string
	b.Eval(`document.title`, &title)
	if title == "pwned" || b.Count("#desk-emails img, #desk-emails script, #desk-emails b") != 0 {
		t.Errorf("mail HTML reached the page (title %q)", title)
	}
	b.Click("#email-close")
	b.Eval(waitJS(`document.querySelector("#email-notice").textContent.includes("closed")`, 10000), &got)
	if got != "ok" {
		t.Errorf("after closing: notice %q, error %q", b.Text("#email-notice"), b.Text("#email-error"))
	}
	b.Eval(waitJS(`document.querySelectorAll("#email-list button").length === 0 && !document.querySelector("#email-none").hidden`, 10000), &got)
	if got != "ok" {
		t.Errorf("list after closing: %q", b.Text("#desk-emails"))
	}
	for _, e := range b.ConsoleErrors() {
		if strings.Contains(e, "desk_email") {
			t.Errorf("console: %s", e)
		}
	}
}
