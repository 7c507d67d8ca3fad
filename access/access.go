// Package access owns the roles of the portal and decides who may do what
// (POR-2): tenant users see and change only their own tenant, according to
// their role; operator staff (BGC-ADMIN, BGC-RW, BGC-RO) work across
// tenants; a customer can never change or delete operator staff.
//
// The package is pure: it does no I/O and knows nothing of sessions or HTTP.
// Callers load the Principal (store, portal) and ask it before acting. Every
// refusal is a *vms.Error: ENOTFOUND when the caller must not even learn
// that another tenant's resource exists, EFORBIDDEN otherwise.
package access

import (
	"strings"

	"github.com/vmsplatform/vms"
)

// Role is what a user may do. Tenant roles belong to one tenant; operator
// roles (BGC-*) belong to the operator's staff and have no tenant.
type Role string

// The roles of POR-2.
const (
	Admin      Role = "admin"
	ReadWrite  Role = "read-write"
	ReadOnly   Role = "read-only"
	Supervisor Role = "supervisor"
	Agent      Role = "agent"
	BGCAdmin   Role = "BGC-ADMIN"
	BGCRW      Role = "BGC-RW"
	BGCRO      Role = "BGC-RO"
)

// TenantRoles returns the roles a tenant's users can have, most powerful first.
func TenantRoles() []Role {
	return []Role{Admin, ReadWrite, ReadOnly, Supervisor, Agent}
}

// OperatorRoles returns the roles of the operator's staff, most powerful first.
func OperatorRoles() []Role {
	return []Role{BGCAdmin, BGCRW, BGCRO}
}

// ParseRole parses a role name case-insensitively ("bgc-admin" is BGCAdmin).
func ParseRole(s string) (Role, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return "", vms.FieldError("role", "is required")
	}
	for _, r := range append(TenantRoles(), OperatorRoles()...) {
		if strings.EqualFold(t, string(r)) {
			return r, nil
		}
	}
	return "", vms.FieldError("role", "%q is not a role (tenant roles: admin, read-write, read-only, supervisor, agent; operator roles: BGC-ADMIN, BGC-RW, BGC-RO)", t)
}

// Valid reports whether r is one of the roles of POR-2.
func (r Role) Valid() bool {
	return r.Operator() || r.tenant()
}

// Operator reports whether r is an operator staff role (BGC-*).
func (r Role) Operator() bool {
	return r == BGCAdmin || r == BGCRW || r == BGCRO
}

func (r Role) tenant() bool {
	switch r {
	case Admin, ReadWrite, ReadOnly, Supervisor, Agent:
		return true
	}
	return false
}

// Title returns the role's name for people.
func (r Role) Title() string {
	switch r {
	case Admin:
		return "Administrator"
	case ReadWrite:
		return "Read-write user"
	case ReadOnly:
		return "Read-only user"
	case Supervisor:
		return "Supervisor"
	case Agent:
		return "Agent"
	case BGCAdmin:
		return "Operator administrator (BGC-ADMIN)"
	case BGCRW:
		return "Operator staff, read-write (BGC-RW)"
	case BGCRO:
		return "Operator staff, read-only (BGC-RO)"
	}
	return string(r)
}

// Principal is an authenticated user as the authorisation rules see it.
// Operator staff have no tenant (TenantID nil); every tenant user has one.
type Principal struct {
	UserID   uint
	Email    string
	TenantID *uint
	Role     Role
}

// Operator reports whether p is operator staff: an operator role and no tenant.
func (p Principal) Operator() bool {
	return p.Role.Operator() && p.TenantID == nil
}

// consistent refuses principals whose role and tenant do not fit together
// (an unknown role, an operator role inside a tenant, a tenant role without
// a tenant): such an account can do nothing until it is repaired.
func (p Principal) consistent() error {
	switch {
	case p.Role.Operator() && p.TenantID == nil:
		return nil
	case p.Role.tenant() && p.TenantID != nil:
		return nil
	}
	return vms.Errorf(vms.EFORBIDDEN, "your account has no valid role; ask your administrator")
}

// ofTenant reports whether p is a user of tenant id.
func (p Principal) ofTenant(id uint) bool {
	return p.TenantID != nil && *p.TenantID == id
}

// notFound is the answer to a tenant user asking about another tenant: the
// same as for something that does not exist, so that nothing leaks.
func notFound() error {
	return vms.Errorf(vms.ENOTFOUND, "not found")
}

// CanRead returns nil when p may see the data of tenant tenantID. Operator
// staff may see every tenant. A user of another tenant gets ENOTFOUND. An
// agent gets EFORBIDDEN: agents work only in the agent desktop.
func (p Principal) CanRead(tenantID uint) error {
	if err := p.consistent(); err != nil {
		return err
	}
	if p.Operator() {
		return nil
	}
	if !p.ofTenant(tenantID) {
		return notFound()
	}
	if p.Role == Agent {
		return vms.Errorf(vms.EFORBIDDEN, "agents can only use the agent desktop")
	}
	return nil
}

// CanWrite returns nil when p may change the data of tenant tenantID: as
// CanRead, and read-only users, supervisors, agents and BGC-RO are refused.
func (p Principal) CanWrite(tenantID uint) error {
	if err := p.CanRead(tenantID); err != nil {
		return err
	}
	switch p.Role {
	case ReadOnly:
		return vms.Errorf(vms.EFORBIDDEN, "read-only users cannot make changes")
	case Supervisor:
		return vms.Errorf(vms.EFORBIDDEN, "supervisors can watch queues and agents but cannot make changes")
	case BGCRO:
		return vms.Errorf(vms.EFORBIDDEN, "read-only operator staff (BGC-RO) cannot make changes")
	}
	return nil
}

// CanManageUsers returns nil when p may list, create, change and delete the
// users of tenant tenantID: that tenant's admin, BGC-ADMIN and BGC-RW.
func (p Principal) CanManageUsers(tenantID uint) error {
	if err := p.CanRead(tenantID); err != nil {
		return err
	}
	switch p.Role {
	case Admin, BGCAdmin, BGCRW:
		return nil
	}
	return vms.Errorf(vms.EFORBIDDEN, "only an administrator can manage users")
}

// CanAssign returns nil when p may give role r to a user of tenant tenantID
// (nil for operator staff). Tenant roles exist only inside a tenant, operator
// roles only outside any tenant; only BGC-ADMIN grants operator roles, and a
// tenant admin can never grant one.
func (p Principal) CanAssign(tenantID *uint, r Role) error {
	if err := p.consistent(); err != nil {
		return err
	}
	if !r.Valid() {
		return vms.FieldError("role", "%q is not a role", string(r))
	}
	if r.Operator() {
		if !p.Operator() {
			return vms.Errorf(vms.EFORBIDDEN, "operator roles (%s) can only be granted by the operator", string(r))
		}
		if tenantID != nil {
			return vms.FieldError("role", "%s is an operator role and cannot be given to a tenant's user", string(r))
		}
		if p.Role != BGCAdmin {
			return vms.Errorf(vms.EFORBIDDEN, "only BGC-ADMIN can grant operator roles")
		}
		return nil
	}
	if tenantID == nil {
		if !p.Operator() {
			return vms.Errorf(vms.EFORBIDDEN, "only the operator can manage operator staff")
		}
		return vms.FieldError("role", "%s is a tenant role and needs a tenant", string(r))
	}
	return p.CanManageUsers(*tenantID)
}

// CanChangeUser returns nil when p may change or delete a user whose tenant
// is targetTenant (nil for operator staff) and whose role is targetRole.
// Only BGC-ADMIN manages operator staff; a customer can never change or
// delete them. Tenant users are managed by their tenant's admin, BGC-ADMIN
// and BGC-RW; another tenant's user is ENOTFOUND.
func (p Principal) CanChangeUser(targetTenant *uint, targetRole Role) error {
	if err := p.consistent(); err != nil {
		return err
	}
	if targetRole.Operator() || targetTenant == nil {
		if !p.Operator() {
			return vms.Errorf(vms.EFORBIDDEN, "operator staff accounts cannot be changed or deleted by customers")
		}
		if p.Role != BGCAdmin {
			return vms.Errorf(vms.EFORBIDDEN, "only BGC-ADMIN can change or delete operator staff")
		}
		return nil
	}
	return p.CanManageUsers(*targetTenant)
}

// CanOperate returns nil when p may use the operator functions that change
// things: create tenants, enter and activate orders, record number facts.
// Only BGC-ADMIN and BGC-RW may.
func (p Principal) CanOperate() error {
	if err := p.consistent(); err != nil {
		return err
	}
	switch {
	case !p.Operator():
		return vms.Errorf(vms.EFORBIDDEN, "only operator staff can do this")
	case p.Role == BGCRO:
		return vms.Errorf(vms.EFORBIDDEN, "read-only operator staff (BGC-RO) cannot make changes")
	}
	return nil
}

// CanViewOperator returns nil when p may see the operator's views across
// tenants (the list of all tenants, the global audit log): any BGC-* role.
func (p Principal) CanViewOperator() error {
	if err := p.consistent(); err != nil {
		return err
	}
	if !p.Operator() {
		return vms.Errorf(vms.EFORBIDDEN, "only operator staff can see this")
	}
	return nil
}
