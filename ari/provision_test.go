package ari

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vmsplatform/vms/engine"
)

func TestProvisionRequests(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f := newFakeARI(t)
	c := newTestClient(t, f)
	if err := c.ProvisionEndpoint(ctx, "vmsagent12", "s3cret"); err != nil {
		t.Fatal(err)
	}
	reqs := configRequests(f, 0)
	want := []struct {
		path   string
		fields map[string]string
	}{
		{"/ari/asterisk/config/dynamic/res_pjsip/auth/vmsagent12", map[string]string{"auth_type": "userpass", "username": "vmsagent12", "password": "s3cret"}},
		{"/ari/asterisk/config/dynamic/res_pjsip/aor/vmsagent12", map[string]string{"max_contacts": "1", "remove_existing": "yes", "qualify_frequency": "5", "qualify_timeout": "2"}},
		{"/ari/asterisk/config/dynamic/res_pjsip/endpoint/vmsagent12", map[string]string{"aors": "vmsagent12", "auth": "vmsagent12", "webrtc": "yes",
			"dtls_auto_generate_cert": "yes", "disallow": "all", "allow": "opus,ulaw", "context": AgentContext}},
	}
	if len(reqs) != len(want) {
		t.Fatalf("%d requests, want %d: %+v", len(reqs), len(want), reqs)
	}
	for i, w := range want {
		r := reqs[i]
		if r.Method != http.MethodPut || r.Path != w.path || r.User != "vms" {
			t.Errorf("request %d: %s %s as %q, want PUT %s", i, r.Method, r.Path, r.User, w.path)
		}
		var body configBody
		if err := json.Unmarshal([]byte(r.Body), &body); err != nil {
			t.Fatalf("request %d body %q: %v", i, r.Body, err)
		}
		got := map[string]string{}
		for _, fl := range body.Fields {
			got[fl.Attribute] = fl.Value
		}
		for k, v := range w.fields {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q", w.path, k, got[k], v)
			}
		}
	}

	if !subscribed(f, http.MethodPost, "endpoint:PJSIP/vmsagent12") {
		t.Error("the provisioned endpoint is not watched")
	}

	// A failure stops before the endpoint refers to a missing aor.
	f.reply(http.MethodPut, "/ari/asterisk/config/dynamic/res_pjsip/aor/vmsagent13", 403, `{"message":"Not allowed"}`)
	if err := c.ProvisionEndpoint(ctx, "vmsagent13", "x"); err == nil {
		t.Error("provisioning succeeded despite a refused aor")
	}
	if r := f.last(); r.Path != "/ari/asterisk/config/dynamic/res_pjsip/aor/vmsagent13" {
		t.Errorf("went on after the failure: %s %s", r.Method, r.Path)
	}

	// Removal: endpoint, aor, auth; objects already gone are fine.
	f.reply(http.MethodDelete, "/ari/asterisk/config/dynamic/res_pjsip/aor/vmsagent12", 404, `{"message":"not found"}`)
	f.mu.Lock()
	n := len(f.requests)
	f.mu.Unlock()
	if err := c.RemoveEndpoint(ctx, "vmsagent12"); err != nil {
		t.Fatal(err)
	}
	if !subscribed(f, http.MethodDelete, "endpoint:PJSIP/vmsagent12") {
		t.Error("the removed endpoint is still watched")
	}
	reqs = configRequests(f, n)
	var paths []string
	for _, r := range reqs {
		paths = append(paths, r.Method+" "+r.Path)
	}
	wantPaths := []string{
		"DELETE /ari/asterisk/config/dynamic/res_pjsip/endpoint/vmsagent12",
		"DELETE /ari/asterisk/config/dynamic/res_pjsip/aor/vmsagent12",
		"DELETE /ari/asterisk/config/dynamic/res_pjsip/auth/vmsagent12",
	}
	if len(paths) != len(wantPaths) {
		t.Fatalf("removal requests %v, want %v", paths, wantPaths)
	}
	for i := range paths {
		if paths[i] != wantPaths[i] {
			t.Errorf("removal request %d: %s, want %s", i, paths[i], wantPaths[i])
		}
	}
	f.reply(http.MethodDelete, "/ari/asterisk/config/dynamic/res_pjsip/endpoint/vmsagent14", 500, `{"message":"boom"}`)
	if err := c.RemoveEndpoint(ctx, "vmsagent14"); err == nil {
		t.Error("a server error on removal was ignored")
	}
}

func TestProvisionValidation(t *testing.T) {
	f := newFakeARI(t)
	c := newTestClient(t, f)
	ctx := context.Background()
	for _, name := range []string{"", "a/b", "a b", "agent?x=1", "x\n", string(make([]byte, 65))} {
		if err := c.ProvisionEndpoint(ctx, name, "pw"); !errors.Is(err, engine.ErrInvalid) {
			t.Errorf("ProvisionEndpoint(%q): %v, want ErrInvalid", name, err)
		}
		if err := c.RemoveEndpoint(ctx, name); !errors.Is(err, engine.ErrInvalid) {
			t.Errorf("RemoveEndpoint(%q): %v, want ErrInvalid", name, err)
		}
	}
	if err := c.ProvisionEndpoint(ctx, "vmsagent1", ""); !errors.Is(err, engine.ErrInvalid) {
		t.Errorf("empty password: %v, want ErrInvalid", err)
	}
	f.mu.Lock()
	n := len(f.requests)
	f.mu.Unlock()
	if n != 0 {
		t.Errorf("%d requests sent for invalid input", n)
	}
}

// configRequests returns the dynamic configuration requests from the n-th.
func configRequests(f *fakeARI, n int) []recordedRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []recordedRequest
	for _, r := range f.requests[n:] {
		if strings.HasPrefix(r.Path, "/ari/asterisk/config/") {
			out = append(out, r)
		}
	}
	return out
}

// subscribed reports whether a subscription request (POST: subscribe,
// DELETE: unsubscribe) was sent for source.
func subscribed(f *fakeARI, method, source string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.requests {
		if r.Method == method && r.Path == "/ari/applications/vms/subscription" && r.Query.Get("eventSource") == source {
			return true
		}
	}
	return false
}
