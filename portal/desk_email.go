package portal

import (
	"context"

	"github.com/vmsplatform/vms/store"
)

// EmailDesk answers and closes the e-mail contacts an agent holds (ACM-5);
// *mailqueue.Service implements it. agentID is the store Agent the contact
// must be assigned to; anything else is not found.
type EmailDesk interface {
	// Reply sends body to the sender of e-mail emailID, in its thread, and
	// ends the contact.
	Reply(ctx context.Context, a store.Actor, tenantID, agentID, emailID uint, body string) error
	// Close ends the contact without a reply.
	Close(ctx context.Context, a store.Actor, tenantID, agentID, emailID uint) error
}
