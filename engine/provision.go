package engine

import "context"

// EndpointProvisioner is implemented by engines that create agent softphone
// endpoints at run time (ACM-6: the agent desktop's built-in softphone).
type EndpointProvisioner interface {
	// ProvisionEndpoint creates or updates a WebRTC SIP endpoint with user
	// name = name and the password; the endpoint's dial string is the
	// engine's (for Asterisk "PJSIP/" + name). Calling it again with a new
	// password replaces the password.
	ProvisionEndpoint(ctx context.Context, name, password string) error
	// RemoveEndpoint removes an endpoint created by ProvisionEndpoint; a
	// missing endpoint is not an error.
	RemoveEndpoint(ctx context.Context, name string) error
}
