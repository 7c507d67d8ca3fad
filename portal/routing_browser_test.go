package portal

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/vmsplatform/vms/test/browsertest"
)

// waitStatus waits (in the page, up to 10 s) for the editor's status line
// to report the end of a save, and returns it.
const waitStatus = `new Promise((resolve) => {
	const t0 = Date.now();
	(function poll() {
		const s = document.getElementById("editor-status").textContent;
		if (s.startsWith("Saved") || s.startsWith("Not saved") || Date.now() - t0 > 10000) { resolve(s); return; }
		setTimeout(poll, 25);
	})();
})`

// TestTreeEditorInBrowser drives routing.js in Chromium (TRM-1, TRM-5):
// add a node, wire an alternative to it, save through the API; then an
// invalid number is refused with the problem shown on its node card.
func TestTreeEditorInBrowser(t *testing.T) {
	b := browsertest.Start(t, browsertest.Options{})
	h := sqliteHarness(t)
	tv := routingSetup(t, h)
	srv := httptest.NewServer(h.srv.Handler())
	defer srv.Close()
	tok, _ := h.session(h.A.Admin)
	browsertest.Run(b, "set the session cookie", func(ctx context.Context, tg *chromedp.Target) (cdp.Empty, error) {
		return cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{Name: sessionCookie, Value: tok, URL: srv.URL})
	})
	if st := b.Navigate(fmt.Sprintf("%s/tenants/%d/trees/%d", srv.URL, h.A.T.ID, tv.ID)); st != http.StatusOK {
		t.Fatalf("editor page: status %d", st)
	}
	b.WaitVisible("#node-reception")
	if n := b.Count(".node-card"); n != 5 {
		t.Fatalf("%d node cards, want 5", n)
	}

	b.Fill("#new-node-type", "busy")
	b.Fill("#new-node-id", "engaged")
	b.Click("#new-node-add")
	b.WaitVisible("#node-engaged")
	b.Fill("#node-mobile select[data-field=otherwise]", "engaged")
	b.Fill("#editor-comment", "busy signal after the mobile")
	b.Click("#editor-save")
	var status string
	b.Eval(waitStatus, &status)
	if !strings.HasPrefix(status, "Saved as version 2") {
		t.Fatalf("save: status %q", status)
	}
	cur, err := h.st.GetTreeVersion(h.ctx(), h.A.T.ID, tv.ID, 0)
	if err != nil || cur.Version != 2 || !strings.Contains(cur.Document, `"otherwise": "engaged"`) || cur.Comment != "busy signal after the mobile" {
		t.Fatalf("saved version = %+v, %v", cur, err)
	}
	if got := b.Text("#tree-version"); got != "version 2" {
		t.Errorf("version badge %q", got)
	}

	// An invalid number: nothing saved, the problem on the node's card.
	b.Fill("#node-reception input[data-field=number]", "12")
	b.Click("#editor-save")
	b.Eval(waitStatus, &status)
	if !strings.HasPrefix(status, "Not saved") {
		t.Fatalf("invalid save: status %q", status)
	}
	if n := b.Count("#node-reception ul.problems li"); n == 0 {
		t.Errorf("no problem shown on the reception card")
	}
	if cur, _ := h.st.GetTreeVersion(h.ctx(), h.A.T.ID, tv.ID, 0); cur.Version != 2 {
		t.Errorf("an invalid tree was saved as version %d", cur.Version)
	}

	// Deleting a node others point to flags the references at once.
	b.Eval(`window.confirm = () => true`, nil)
	b.Click("#node-closed .tools button.danger")
	if n := b.Count("#node-closed"); n != 0 {
		t.Errorf("node closed still shown")
	}
	if txt := b.Text("#node-hours ul.problems"); !strings.Contains(txt, `"closed"`) {
		t.Errorf("hours card does not flag the deleted node: %q", txt)
	}
	// The refused save is the only thing the console may report.
	for _, e := range b.ConsoleErrors() {
		if !strings.Contains(e, "422") {
			t.Errorf("console error: %s", e)
		}
	}
}
