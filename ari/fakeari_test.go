package ari

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/vmsplatform/vms/engine"
)

// fakeARI is an httptest ARI server: it records REST requests, answers
// them with scripted statuses, lists the application's channels and serves
// the events WebSocket, whose connections the test drives.
type fakeARI struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	requests []recordedRequest
	status   map[string]fakeReply // "METHOD /ari/path" -> reply
	adopted  []string             // channel ids the application holds

	conns chan *websocket.Conn
}

type recordedRequest struct {
	Method string
	Path   string
	Query  url.Values
	Body   string
	User   string
}

type fakeReply struct {
	Status int
	Body   string
}

func newFakeARI(t *testing.T) *fakeARI {
	f := &fakeARI{t: t, status: map[string]fakeReply{}, conns: make(chan *websocket.Conn, 8)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeARI) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/ari/events" {
		if r.URL.Query().Get("api_key") != "vms:secret" || r.URL.Query().Get("app") != "vms" {
			http.Error(w, "bad credentials or app", http.StatusUnauthorized)
			return
		}
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		f.conns <- c
		// Keep the handler alive until the connection is done; the test
		// writes to it and closes it.
		_, _, _ = c.Read(context.Background())
		return
	}
	body, _ := io.ReadAll(r.Body)
	user, _, _ := r.BasicAuth()
	f.mu.Lock()
	f.requests = append(f.requests, recordedRequest{r.Method, r.URL.Path, r.URL.Query(), string(body), user})
	reply, scripted := f.status[r.Method+" "+r.URL.Path]
	adopted := append([]string(nil), f.adopted...)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case scripted:
		w.WriteHeader(reply.Status)
		io.WriteString(w, reply.Body)
	case r.Method == http.MethodGet && r.URL.Path == "/ari/applications/vms":
		json.NewEncoder(w).Encode(Application{Name: "vms", ChannelIDs: adopted, BridgeIDs: []string{}})
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/ari/channels/"):
		io.WriteString(w, `{"id":"x"}`)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

func (f *fakeARI) reply(method, path string, status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status[method+" "+path] = fakeReply{status, body}
}

func (f *fakeARI) setAdopted(ids ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.adopted = ids
}

// last returns the last recorded request other than the adoption look-up.
func (f *fakeARI) last() recordedRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.requests) - 1; i >= 0; i-- {
		if f.requests[i].Path != "/ari/applications/vms" {
			return f.requests[i]
		}
	}
	f.t.Fatal("no request recorded")
	return recordedRequest{}
}

// accept waits for the client's next events WebSocket.
func (f *fakeARI) accept(ctx context.Context) *websocket.Conn {
	f.t.Helper()
	select {
	case c := <-f.conns:
		return c
	case <-ctx.Done():
		f.t.Fatal("client did not connect the events WebSocket")
		return nil
	}
}

func newTestClient(t *testing.T, f *fakeARI) *Client {
	t.Helper()
	c, err := New(Config{
		URL: f.srv.URL, User: "vms", Password: "secret",
		MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// runClient runs c until the test ends.
func runClient(t *testing.T, c *Client) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func nextOf[E engine.Event](t *testing.T, ctx context.Context, s *engine.Subscription) E {
	t.Helper()
	for {
		ev, err := s.Next(ctx)
		if err != nil {
			var zero E
			t.Fatalf("waiting for %T: %v", zero, err)
		}
		if e, ok := ev.(E); ok {
			return e
		}
	}
}

func writeEvent(t *testing.T, ctx context.Context, c *websocket.Conn, raw string) {
	t.Helper()
	if err := c.Write(ctx, websocket.MessageText, []byte(raw)); err != nil {
		t.Fatalf("write event: %v", err)
	}
}
