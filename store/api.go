package store

// This file fixes the store's API so that the portal can be written against
// it. Bodies are filled in by store/*.go; every write takes an Actor and
// writes its audit entry (POR-4) in the same transaction as the change.

import (
	"context"
	"errors"
	"time"
)

var errTODO = errors.New("store: not implemented yet")

// AuditFilter selects audit entries; TenantID nil means all (operator view).
type AuditFilter struct {
	TenantID *uint
	Limit    int
	Offset   int
}

// Tenants
func (s *Store) CreateTenant(ctx context.Context, a Actor, t *Tenant) error { return errTODO }
func (s *Store) UpdateTenant(ctx context.Context, a Actor, t *Tenant) error { return errTODO }
func (s *Store) GetTenant(ctx context.Context, id uint) (*Tenant, error)    { return nil, errTODO }
func (s *Store) ListTenants(ctx context.Context) ([]Tenant, error)          { return nil, errTODO }

// Entities (NUM-1)
func (s *Store) CreateEntity(ctx context.Context, a Actor, e *Entity) error { return errTODO }
func (s *Store) GetEntity(ctx context.Context, tenantID, id uint) (*Entity, error) {
	return nil, errTODO
}
func (s *Store) ListEntities(ctx context.Context, tenantID uint) ([]Entity, error) {
	return nil, errTODO
}
func (s *Store) DeleteEntity(ctx context.Context, a Actor, tenantID, id uint) error { return errTODO }

// Numbers
func (s *Store) CreateNumber(ctx context.Context, a Actor, n *Number) error { return errTODO }
func (s *Store) UpdateNumber(ctx context.Context, a Actor, n *Number) error { return errTODO }
func (s *Store) GetNumber(ctx context.Context, tenantID, id uint) (*Number, error) {
	return nil, errTODO
}
func (s *Store) ListNumbers(ctx context.Context, tenantID uint) ([]Number, error) {
	return nil, errTODO
}
func (s *Store) NumberByE164(ctx context.Context, e164 string) (*Number, error) {
	return nil, errTODO
}
func (s *Store) DeleteNumber(ctx context.Context, a Actor, tenantID, id uint) error { return errTODO }

// Users
func (s *Store) CreateUser(ctx context.Context, a Actor, u *User) error { return errTODO }
func (s *Store) UpdateUser(ctx context.Context, a Actor, u *User) error { return errTODO }
func (s *Store) GetUser(ctx context.Context, id uint) (*User, error)    { return nil, errTODO }
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	return nil, errTODO
}

// ListUsers lists a tenant's users, or operator staff when tenantID is nil.
func (s *Store) ListUsers(ctx context.Context, tenantID *uint) ([]User, error) {
	return nil, errTODO
}
func (s *Store) DeleteUser(ctx context.Context, a Actor, id uint) error { return errTODO }

// SetPassword stores a new password hash (audited without the hash).
func (s *Store) SetPassword(ctx context.Context, a Actor, userID uint, hash string) error {
	return errTODO
}
func (s *Store) TouchLogin(ctx context.Context, userID uint, at time.Time) error { return errTODO }

// Representatives (SD-5, PRV-1 contact person)
func (s *Store) CreateRepresentative(ctx context.Context, a Actor, r *Representative) error {
	return errTODO
}
func (s *Store) ListRepresentatives(ctx context.Context, tenantID uint) ([]Representative, error) {
	return nil, errTODO
}
func (s *Store) DeleteRepresentative(ctx context.Context, a Actor, tenantID, id uint) error {
	return errTODO
}

// Orders (PRV-1, FRM-3)
func (s *Store) CreateOrder(ctx context.Context, a Actor, o *Order) error { return errTODO }
func (s *Store) GetOrder(ctx context.Context, tenantID, id uint) (*Order, error) {
	return nil, errTODO
}
func (s *Store) ListOrders(ctx context.Context, tenantID uint) ([]Order, error) {
	return nil, errTODO
}

// ActivateOrder applies an entered order to its tenant (formula, options,
// status) and stores the given login link, in one transaction. The caller
// sends the activation e-mail after it returns.
func (s *Store) ActivateOrder(ctx context.Context, a Actor, tenantID, orderID uint, link *LoginLink) (*Order, error) {
	return nil, errTODO
}

// Sessions (POR-1)
func (s *Store) CreateSession(ctx context.Context, sess *Session) error { return errTODO }
func (s *Store) GetSession(ctx context.Context, id string) (*Session, error) {
	return nil, errTODO
}
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error { return errTODO }
func (s *Store) DeleteSession(ctx context.Context, id string) error              { return errTODO }
func (s *Store) DeleteUserSessions(ctx context.Context, userID uint) error       { return errTODO }

// Login throttling
// RecordLoginFailure counts one failure for key inside window and locks the
// key until now+lock once max failures are reached; it returns the row.
func (s *Store) RecordLoginFailure(ctx context.Context, key string, now time.Time, window time.Duration, max int, lock time.Duration) (*LoginFailure, error) {
	return nil, errTODO
}
func (s *Store) GetLoginFailure(ctx context.Context, key string) (*LoginFailure, error) {
	return nil, errTODO
}
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error { return errTODO }

// API tokens
func (s *Store) CreateAPIToken(ctx context.Context, a Actor, t *APIToken) error { return errTODO }
func (s *Store) APITokenByHash(ctx context.Context, hash string) (*APIToken, error) {
	return nil, errTODO
}
func (s *Store) ListAPITokens(ctx context.Context, userID uint) ([]APIToken, error) {
	return nil, errTODO
}
func (s *Store) DeleteAPIToken(ctx context.Context, a Actor, userID, id uint) error { return errTODO }
func (s *Store) TouchAPIToken(ctx context.Context, id uint, at time.Time) error     { return errTODO }

// Login links
func (s *Store) CreateLoginLink(ctx context.Context, l *LoginLink) error { return errTODO }

// ConsumeLoginLink marks the link used and returns its user; a used,
// expired or unknown link is ENOTFOUND.
func (s *Store) ConsumeLoginLink(ctx context.Context, hash string, now time.Time) (*User, error) {
	return nil, errTODO
}

// Audit (POR-4)
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	return nil, errTODO
}
