package ari

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/vmsplatform/vms/engine"
)

var _ engine.EndpointProvisioner = (*Client)(nil)

// AgentContext is the dialplan context of the agent endpoints VMS
// creates. Agents receive calls only; the shipped dialplan has no such
// context, so a call an agent's softphone places is refused.
const AgentContext = "vms-agents"

// configField is one attribute of a dynamic configuration object.
type configField struct {
	Attribute string `json:"attribute"`
	Value     string `json:"value"`
}

type configBody struct {
	Fields []configField `json:"fields"`
}

// agentObjects returns the PJSIP objects of an agent's WebRTC softphone,
// in the order they must be created (the endpoint refers to the others).
// The auth, aor and endpoint share the name: the registrar finds the aor
// by the user name of the REGISTER.
func agentObjects(name, password string) []struct {
	typ    string
	fields []configField
} {
	return []struct {
		typ    string
		fields []configField
	}{
		{"auth", []configField{
			{"auth_type", "userpass"},
			{"username", name},
			{"password", password},
		}},
		{"aor", []configField{
			// One browser per agent: a new registration replaces the old.
			{"max_contacts", "1"},
			{"remove_existing", "yes"},
			// A frozen or vanished browser goes offline within seconds.
			{"qualify_frequency", "5"},
			{"qualify_timeout", "2"},
		}},
		{"endpoint", []configField{
			{"aors", name},
			{"auth", name},
			{"context", AgentContext},
			// DTLS-SRTP, ICE, AVPF, rtcp-mux: what browsers need.
			{"webrtc", "yes"},
			{"dtls_auto_generate_cert", "yes"},
			{"disallow", "all"},
			{"allow", "opus,ulaw"},
		}},
	}
}

// validEndpointName reports whether name can be a PJSIP object id in a URL
// path and an AstDB key: letters, digits, '-', '_', '.', at most 64.
func validEndpointName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
		default:
			return false
		}
	}
	return true
}

// ProvisionEndpoint implements engine.EndpointProvisioner with ARI's
// dynamic configuration (PUT /asterisk/config/dynamic/res_pjsip/...): the
// auth, the aor and the endpoint name, in that order. With the shipped
// sorcery.conf they are kept in AstDB and survive a restart. A PUT merges
// fields, so provisioning again changes the password and keeps the rest.
// Objects defined in pjsip.conf cannot be changed this way (403).
//
// The new endpoint is watched at once (see WatchEndpoint): its phone's
// registration is reported as EndpointStateChanged even when VMS asked
// for its state before it existed.
func (c *Client) ProvisionEndpoint(ctx context.Context, name, password string) error {
	if !validEndpointName(name) {
		return fmt.Errorf("ari: provision endpoint: %w: name %q: want letters, digits, '-', '_' or '.'", engine.ErrInvalid, name)
	}
	if password == "" {
		return fmt.Errorf("ari: provision endpoint %s: %w: password is required", name, engine.ErrInvalid)
	}
	for _, o := range agentObjects(name, password) {
		path := "/asterisk/config/dynamic/res_pjsip/" + o.typ + "/" + esc(name)
		if err := c.do(ctx, http.MethodPut, path, nil, configBody{Fields: o.fields}, nil); err != nil {
			return fmt.Errorf("ari: provision endpoint %s: %s: %w", name, o.typ, err)
		}
	}
	// Watched even when the subscription fails now (the application is not
	// connected): it is made again at the next connection.
	c.presence.add("PJSIP/" + name)
	if _, err := c.WatchEndpoint(ctx, "PJSIP/"+name); err != nil {
		c.log.Warn("ari: watch provisioned endpoint", slog.String("endpoint", "PJSIP/"+name), slog.Any("err", err))
	}
	return nil
}

// RemoveEndpoint implements engine.EndpointProvisioner: it deletes the
// endpoint, its aor and its auth (the reverse order of creation) after
// it stops watching it. Objects already gone are not an error.
func (c *Client) RemoveEndpoint(ctx context.Context, name string) error {
	if !validEndpointName(name) {
		return fmt.Errorf("ari: remove endpoint: %w: name %q: want letters, digits, '-', '_' or '.'", engine.ErrInvalid, name)
	}
	if err := c.UnwatchEndpoint(ctx, "PJSIP/"+name); err != nil {
		c.log.Warn("ari: unwatch removed endpoint", slog.String("endpoint", "PJSIP/"+name), slog.Any("err", err))
	}
	for _, typ := range []string{"endpoint", "aor", "auth"} {
		path := "/asterisk/config/dynamic/res_pjsip/" + typ + "/" + esc(name)
		if err := c.do(ctx, http.MethodDelete, path, nil, nil, nil); err != nil && !errors.Is(err, engine.ErrNotFound) {
			return fmt.Errorf("ari: remove endpoint %s: %s: %w", name, typ, err)
		}
	}
	return nil
}
