package portal_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/vmsplatform/vms/access"
	"github.com/vmsplatform/vms/credential"
	"github.com/vmsplatform/vms/store"
	"github.com/vmsplatform/vms/test/browsertest"
)

// TestFirstLoginLink follows a first-login link as a new user does (PRV-1):
// choose a password in the browser, land logged in on the start page; the
// link works once only.
func TestFirstLoginLink(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	u := &store.User{TenantID: &e.TenantID, Email: "new@acme.test", Name: "Nina New", Role: string(access.Admin)}
	if err := e.Store.CreateUser(ctx, store.System, u); err != nil {
		t.Fatal(err)
	}
	tok, err := credential.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	now := e.Clock.Now()
	if err := e.Store.CreateLoginLink(ctx, &store.LoginLink{Hash: credential.HashToken(tok), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(72 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	link := e.URL + "/first-login/" + tok
	b := browsertest.Start(t, browsertest.Options{})
	if got := b.Navigate(link); got != http.StatusOK {
		t.Fatalf("first-login page: %d", got)
	}
	pw := "a sentence I can remember"
	b.Fill(`input[name="password"]`, pw)
	b.Fill(`input[name="password2"]`, pw)
	if got := b.Submit(`form button[type="submit"]`); got != http.StatusOK {
		t.Fatalf("after choosing the password: status %d on %s (%s)", got, path(t, b), b.Text("body"))
	}
	if got := path(t, b); got != e.Admin.Start {
		t.Fatalf("after choosing the password the browser is on %s, want %s", got, e.Admin.Start)
	}
	if _, ok := b.Cookie("vms_session"); !ok {
		t.Fatal("no session after choosing the password")
	}
	// The link is used up.
	b2 := browsertest.Start(t, browsertest.Options{})
	b2.Navigate(link)
	b2.Fill(`input[name="password"]`, pw)
	b2.Fill(`input[name="password2"]`, pw)
	if got := b2.Submit(`form button[type="submit"]`); got != http.StatusNotFound {
		t.Errorf("second use of the link: status %d, want 404", got)
	}
}
