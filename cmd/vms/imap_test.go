package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/vmsplatform/vms/store"
)

type quietIMAPLog struct{}

func (quietIMAPLog) Printf(string, ...any) {}

// A running VMS polling a mailbox (VMS_IMAP_URL) takes a mail for a group's
// address into that group's queue and marks it seen in the mailbox.
func TestServeIMAP(t *testing.T) {
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("group", "secret")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps: imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}}, InsecureAuth: true, Logger: quietIMAPLog{},
	})
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	c, err := imapclient.DialInsecure(ln.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("group", "secret").Wait(); err != nil {
		t.Fatal(err)
	}
	msg := "From: Customer <customer@example.org>\r\nTo: " + store.DemoGroupEmail + "\r\nSubject: Order 43\r\n" +
		"Message-ID: <order43@example.org>\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\n\r\nWhere is my parcel?\r\n"
	ac := c.Append("INBOX", int64(len(msg)), nil)
	if _, err := ac.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	if err := ac.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ac.Wait(); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	addr := freeAddr(t)
	e := map[string]string{"VMS_DATA_DIR": dir, "VMS_LISTEN": addr, "VMS_DEMO": "true",
		"VMS_IMAP_URL": "imap://group@" + ln.Addr().String() + "/INBOX?tls=none", "VMS_IMAP_PASSWORD": "secret", "VMS_IMAP_EVERY": "1s"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, logs syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, env(e), strings.NewReader(""), &out, &logs) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
		}
		seen := false
		if err == nil && resp.StatusCode == http.StatusOK {
			if _, err := c.Select("INBOX", nil).Wait(); err != nil {
				t.Fatal(err)
			}
			found, err := c.Search(&imap.SearchCriteria{Flag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
			if err != nil {
				t.Fatal(err)
			}
			seen = len(found.AllSeqNums()) == 1
		}
		if seen {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mail not taken from the mailbox\nlogs:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve returned %v", err)
	}
	st, err := store.Open(context.Background(), store.Config{SQLitePath: filepath.Join(dir, "vms.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	queued, err := st.QueuedEmails(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(queued) != 1 || queued[0].Subject != "Order 43" || !strings.Contains(queued[0].TextBody, "Where is my parcel?") {
		t.Fatalf("queued e-mails = %s", fmt.Sprint(queued))
	}
}
