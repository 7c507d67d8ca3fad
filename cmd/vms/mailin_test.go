package main

import (
	"context"
	"fmt"
	"net/http"
	"net/smtp"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vmsplatform/vms/store"
)

// A running VMS with an inbound listener takes mail for a group's address
// into that group's queue (stored, waiting for an agent) and refuses mail
// for an address no group has.
func TestServeMailin(t *testing.T) {
	dir := t.TempDir()
	addr, smtpAddr := freeAddr(t), freeAddr(t)
	e := map[string]string{"VMS_DATA_DIR": dir, "VMS_LISTEN": addr, "VMS_DEMO": "true", "VMS_MAILIN_LISTEN": smtpAddr}
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
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready: %v\nlogs:\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	msg := "From: Customer <customer@example.org>\r\nTo: " + store.DemoGroupEmail + "\r\nSubject: Order 42\r\n" +
		"Message-ID: <order42@example.org>\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\n\r\nWhere is my order?\r\n"
	if err := smtp.SendMail(smtpAddr, nil, "customer@example.org", []string{store.DemoGroupEmail}, []byte(msg)); err != nil {
		t.Fatalf("mail to the group refused: %v\nlogs:\n%s", err, logs.String())
	}
	err := smtp.SendMail(smtpAddr, nil, "customer@example.org", []string{"nobody@demo.example"}, []byte(msg))
	if err == nil || !strings.Contains(err.Error(), "550") {
		t.Errorf("mail to an unknown address: err = %v, want a 550 refusal", err)
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
	if len(queued) != 1 || queued[0].Subject != "Order 42" || queued[0].FromAddr != "customer@example.org" ||
		!strings.Contains(queued[0].TextBody, "Where is my order?") {
		t.Fatalf("queued e-mails = %s", fmt.Sprint(queued))
	}
}
