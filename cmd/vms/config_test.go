package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfig(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		check   func(t *testing.T, c *Config)
		wantErr string
	}{
		{name: "defaults", check: func(t *testing.T, c *Config) {
			if c.Listen != "127.0.0.1:8080" || c.BaseURL != "http://127.0.0.1:8080" || c.SessionIdle != 30*time.Minute || c.SessionAbsolute != 480*time.Minute {
				t.Errorf("defaults: %+v", c)
			}
			if c.DatabaseURL != "" || c.DataDir != "var" || c.MediaURL != c.BaseURL || c.Trunk != "PJSIP/{number}@trunk-out" {
				t.Errorf("defaults: %+v", c)
			}
		}},
		{name: "env then flag wins", env: map[string]string{"VMS_LISTEN": "127.0.0.1:9000", "VMS_SESSION_IDLE": "10m"}, args: []string{"--listen", "127.0.0.1:9001"},
			check: func(t *testing.T, c *Config) {
				if c.Listen != "127.0.0.1:9001" || c.SessionIdle != 10*time.Minute || c.BaseURL != "http://127.0.0.1:9001" {
					t.Errorf("got %+v", c)
				}
			}},
		{name: "secret from file", env: map[string]string{"VMS_ARI_URL": "http://127.0.0.1:8088", "VMS_ARI_PASSWORD_FILE": secret},
			check: func(t *testing.T, c *Config) {
				if c.ARIPassword != "s3cret" {
					t.Errorf("password from file = %q", c.ARIPassword)
				}
			}},
		{name: "bad duration", env: map[string]string{"VMS_SESSION_IDLE": "soon"}, wantErr: "VMS_SESSION_IDLE"},
		{name: "idle longer than absolute", args: []string{"--session-idle", "9h"}, wantErr: "VMS_SESSION_IDLE/VMS_SESSION_ABSOLUTE"},
		{name: "mysql url refused", env: map[string]string{"VMS_DATABASE_URL": "mysql://x"}, wantErr: "VMS_DATABASE_URL"},
		{name: "ari without password", env: map[string]string{"VMS_ARI_URL": "http://127.0.0.1:8088"}, wantErr: "VMS_ARI_PASSWORD"},
		{name: "trunk without placeholder", env: map[string]string{"VMS_ARI_URL": "http://a:1", "VMS_ARI_PASSWORD": "x", "VMS_TRUNK": "PJSIP/trunk"}, wantErr: "VMS_TRUNK"},
		{name: "bad log level", env: map[string]string{"VMS_LOG_LEVEL": "loud"}, wantErr: "VMS_LOG_LEVEL"},
		{name: "bad base url", env: map[string]string{"VMS_BASE_URL": "vms.example"}, wantErr: "VMS_BASE_URL"},
		{name: "bad demo flag", env: map[string]string{"VMS_DEMO": "maybe"}, wantErr: "VMS_DEMO"},
		{name: "imap password from file", env: map[string]string{"VMS_IMAP_URL": "imaps://group%40acme.example@mail.acme.example/INBOX", "VMS_IMAP_PASSWORD_FILE": secret, "VMS_IMAP_EVERY": "1m"},
			check: func(t *testing.T, c *Config) {
				if c.IMAPPassword != "s3cret" || c.IMAPEvery != time.Minute {
					t.Errorf("imap settings: %q, %s", c.IMAPPassword, c.IMAPEvery)
				}
			}},
		{name: "imap without password", env: map[string]string{"VMS_IMAP_URL": "imaps://u@mail.example/INBOX"}, wantErr: "VMS_IMAP_PASSWORD"},
		{name: "imap password in url", env: map[string]string{"VMS_IMAP_URL": "imaps://u:pw@mail.example/INBOX", "VMS_IMAP_PASSWORD": "x"}, wantErr: "VMS_IMAP_URL"},
		{name: "imap every too short", env: map[string]string{"VMS_IMAP_EVERY": "10ms"}, wantErr: "VMS_IMAP_EVERY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			c, err := loadConfig(fs, tt.args, env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want mention of %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestRedactedURL(t *testing.T) {
	got := redactedURL("postgres://vms:topsecret@db:5432/vms")
	if strings.Contains(got, "topsecret") {
		t.Errorf("password leaked: %s", got)
	}
}

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeBootstrap runs "vms serve" on the embedded database as `make
// run` does: it must print a first-login link for the admin, answer its
// health checks, keep no password in its output, and stop cleanly.
func TestServeBootstrap(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	e := map[string]string{"VMS_DATA_DIR": dir, "VMS_LISTEN": addr, "VMS_BOOTSTRAP_ADMIN": "Admin@Example.net"}
	ctx, cancel := context.WithCancel(context.Background())
	var out, logs syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, env(e), strings.NewReader(""), &out, &logs) }()
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("portal not ready: %v\nlogs:\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	link := regexp.MustCompile(`http://\S+/first-login/\S+`).FindString(out.String())
	if link == "" || !strings.Contains(out.String(), "admin@example.net") {
		t.Fatalf("no first-login link for the admin in output:\n%s", out.String())
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("first-login page: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	if _, err := os.Stat(filepath.Join(dir, "vms.db")); err != nil {
		t.Errorf("embedded database not created: %v", err)
	}
	// A second start finds the admin and does not create another one.
	var out2 syncBuffer
	e["VMS_LISTEN"] = freeAddr(t)
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() { done <- run(ctx2, []string{"serve"}, env(e), strings.NewReader(""), &out2, io.Discard) }()
	deadline = time.Now().Add(30 * time.Second)
	for !strings.Contains(out2.String(), "first-login") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	cancel2()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out2.String(), "admin@example.net") {
		t.Errorf("second start output: %s", out2.String())
	}
}

func TestUserCreate(t *testing.T) {
	dir := t.TempDir()
	e := env(map[string]string{"VMS_DATA_DIR": dir})
	var out bytes.Buffer
	err := run(context.Background(), []string{"user", "create", "--email", "ops@example.net", "--name", "Ops", "--role", "BGC-RW", "--password-stdin"},
		e, strings.NewReader("a long enough password\n"), &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "ops@example.net (BGC-RW)") || strings.Contains(out.String(), "first-login") {
		t.Errorf("output: %s", out.String())
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"duplicate", []string{"--email", "ops@example.net", "--role", "BGC-RO"}, "email"},
		{"tenant role without tenant", []string{"--email", "x@example.net", "--role", "admin"}, "--tenant"},
		{"operator role with tenant", []string{"--email", "y@example.net", "--role", "BGC-RO", "--tenant", "1"}, "--tenant"},
		{"unknown tenant", []string{"--email", "z@example.net", "--role", "admin", "--tenant", "99"}, "--tenant"},
		{"bad role", []string{"--email", "w@example.net", "--role", "king"}, "role"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), append([]string{"user", "create"}, tc.args...), e, strings.NewReader(""), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want mention of %q", err, tc.want)
			}
		})
	}
}

// TestREADMEConfigTable keeps the README's configuration table true to the
// code: it must hold exactly what "vms config" prints.
func TestREADMEConfigTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := cmdConfig(&want); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), strings.TrimSpace(want.String())) {
		t.Errorf("README.md's configuration table differs from `vms config`; paste this:\n%s", want.String())
	}
}
