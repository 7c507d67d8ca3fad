package access

import (
	"strings"
	"testing"

	"github.com/vmsplatform/vms"
)

// Outcome letters in the tables below.
//
//	o  allowed (nil)
//	N  ENOTFOUND (another tenant: existence is not revealed)
//	F  EFORBIDDEN
//	I  EINVALID on field "role"
func code(letter byte) string {
	switch letter {
	case 'o':
		return ""
	case 'N':
		return vms.ENOTFOUND
	case 'F':
		return vms.EFORBIDDEN
	case 'I':
		return vms.EINVALID
	}
	panic("bad letter " + string(letter))
}

const (
	own   uint = 1 // the tenant of the tenant principals
	other uint = 2
)

func ptr(u uint) *uint { return &u }

func principal(r Role) Principal {
	p := Principal{UserID: 7, Email: "u@example.com", Role: r}
	if !r.Operator() {
		p.TenantID = ptr(own)
	}
	return p
}

func allRoles() []Role { return append(TenantRoles(), OperatorRoles()...) }

func check(t *testing.T, what string, err error, want byte) {
	t.Helper()
	if got := vms.ErrorCode(err); got != code(want) {
		t.Errorf("%s = %v, want %c (%q)", what, err, want, code(want))
	}
	if want == 'I' && vms.ErrorField(err) != "role" {
		t.Errorf("%s names field %q, want role", what, vms.ErrorField(err))
	}
	if err != nil && vms.ErrorMessage(err) == "" {
		t.Errorf("%s has an empty message", what)
	}
}

// TestTenantAccess covers POR-2 for every role on its own and another tenant.
func TestTenantAccess(t *testing.T) {
	// read own, read other, write own, write other, users own, users other,
	// operate, view operator.
	table := map[Role]string{
		Admin:      "oNoNoNFF",
		ReadWrite:  "oNoNFNFF",
		ReadOnly:   "oNFNFNFF",
		Supervisor: "oNFNFNFF",
		Agent:      "FNFNFNFF",
		BGCAdmin:   "oooooooo",
		BGCRW:      "oooooooo",
		BGCRO:      "ooFFFFFo",
	}
	for _, r := range allRoles() {
		want, ok := table[r]
		if !ok {
			t.Fatalf("no expectation for role %s", r)
		}
		t.Run(string(r), func(t *testing.T) {
			p := principal(r)
			check(t, "CanRead(own)", p.CanRead(own), want[0])
			check(t, "CanRead(other)", p.CanRead(other), want[1])
			check(t, "CanWrite(own)", p.CanWrite(own), want[2])
			check(t, "CanWrite(other)", p.CanWrite(other), want[3])
			check(t, "CanManageUsers(own)", p.CanManageUsers(own), want[4])
			check(t, "CanManageUsers(other)", p.CanManageUsers(other), want[5])
			check(t, "CanOperate", p.CanOperate(), want[6])
			check(t, "CanViewOperator", p.CanViewOperator(), want[7])
		})
	}
}

// TestCanAssign covers who may grant which role where. Each string holds the
// outcome for the roles admin, read-write, read-only, supervisor, agent,
// BGC-ADMIN, BGC-RW, BGC-RO, granted in the own tenant, another tenant and
// outside any tenant.
func TestCanAssign(t *testing.T) {
	table := map[Role][3]string{
		Admin:      {"oooooFFF", "NNNNNFFF", "FFFFFFFF"},
		ReadWrite:  {"FFFFFFFF", "NNNNNFFF", "FFFFFFFF"},
		ReadOnly:   {"FFFFFFFF", "NNNNNFFF", "FFFFFFFF"},
		Supervisor: {"FFFFFFFF", "NNNNNFFF", "FFFFFFFF"},
		Agent:      {"FFFFFFFF", "NNNNNFFF", "FFFFFFFF"},
		BGCAdmin:   {"oooooIII", "oooooIII", "IIIIIooo"},
		BGCRW:      {"oooooIII", "oooooIII", "IIIIIFFF"},
		BGCRO:      {"FFFFFIII", "FFFFFIII", "IIIIIFFF"},
	}
	scopes := []struct {
		name   string
		tenant *uint
	}{{"own", ptr(own)}, {"other", ptr(other)}, {"none", nil}}
	for _, r := range allRoles() {
		t.Run(string(r), func(t *testing.T) {
			p := principal(r)
			for i, sc := range scopes {
				for j, target := range allRoles() {
					check(t, "CanAssign("+sc.name+", "+string(target)+")", p.CanAssign(sc.tenant, target), table[r][i][j])
				}
				check(t, "CanAssign("+sc.name+", bogus)", p.CanAssign(sc.tenant, "bogus"), 'I')
			}
		})
	}
}

// TestCanChangeUser covers who may change or delete which user; same layout
// as TestCanAssign, for a target user of that tenant with that role. A
// customer can never change or delete operator staff.
func TestCanChangeUser(t *testing.T) {
	table := map[Role][3]string{
		Admin:      {"oooooFFF", "NNNNNFFF", "FFFFFFFF"},
		ReadWrite:  {"FFFFFFFF", "NNNNNFFF", "FFFFFFFF"},
		ReadOnly:   {"FFFFFFFF", "NNNNNFFF", "FFFFFFFF"},
		Supervisor: {"FFFFFFFF", "NNNNNFFF", "FFFFFFFF"},
		Agent:      {"FFFFFFFF", "NNNNNFFF", "FFFFFFFF"},
		BGCAdmin:   {"oooooooo", "oooooooo", "oooooooo"},
		BGCRW:      {"oooooFFF", "oooooFFF", "FFFFFFFF"},
		BGCRO:      {"FFFFFFFF", "FFFFFFFF", "FFFFFFFF"},
	}
	scopes := []struct {
		name   string
		tenant *uint
	}{{"own", ptr(own)}, {"other", ptr(other)}, {"none", nil}}
	for _, r := range allRoles() {
		t.Run(string(r), func(t *testing.T) {
			p := principal(r)
			for i, sc := range scopes {
				for j, target := range allRoles() {
					check(t, "CanChangeUser("+sc.name+", "+string(target)+")", p.CanChangeUser(sc.tenant, target), table[r][i][j])
				}
			}
		})
	}
}

// TestInconsistentPrincipal: an account whose role and tenant do not fit
// together can do nothing.
func TestInconsistentPrincipal(t *testing.T) {
	tests := []struct {
		name string
		p    Principal
	}{
		{"operator role inside a tenant", Principal{Role: BGCAdmin, TenantID: ptr(own)}},
		{"tenant role without tenant", Principal{Role: Admin}},
		{"unknown role", Principal{Role: "root", TenantID: ptr(own)}},
		{"zero principal", Principal{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.p.Operator() {
				t.Error("Operator() = true")
			}
			check(t, "CanRead", tt.p.CanRead(own), 'F')
			check(t, "CanWrite", tt.p.CanWrite(own), 'F')
			check(t, "CanManageUsers", tt.p.CanManageUsers(own), 'F')
			check(t, "CanAssign", tt.p.CanAssign(ptr(own), ReadOnly), 'F')
			check(t, "CanChangeUser", tt.p.CanChangeUser(ptr(own), ReadOnly), 'F')
			check(t, "CanOperate", tt.p.CanOperate(), 'F')
			check(t, "CanViewOperator", tt.p.CanViewOperator(), 'F')
		})
	}
}

func TestMessages(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"read-only", principal(ReadOnly).CanWrite(own), "read-only users cannot make changes"},
		{"agent", principal(Agent).CanRead(own), "agents can only use the agent desktop"},
		{"BGC-RO", principal(BGCRO).CanWrite(own), "BGC-RO"},
		{"customer vs operator staff", principal(Admin).CanChangeUser(nil, BGCRO), "cannot be changed or deleted by customers"},
		{"tenant admin granting operator role", principal(Admin).CanAssign(ptr(own), BGCAdmin), "can only be granted by the operator"},
		{"other tenant reveals nothing", principal(Admin).CanRead(other), "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if msg := vms.ErrorMessage(tt.err); !strings.Contains(msg, tt.want) {
				t.Errorf("message %q, want it to contain %q", msg, tt.want)
			}
		})
	}
}

func TestParseRole(t *testing.T) {
	tests := []struct {
		in   string
		want Role
	}{
		{"admin", Admin}, {"Read-Write", ReadWrite}, {" read-only ", ReadOnly},
		{"supervisor", Supervisor}, {"AGENT", Agent},
		{"BGC-ADMIN", BGCAdmin}, {"bgc-rw", BGCRW}, {"Bgc-Ro", BGCRO},
		{"", ""}, {"root", ""}, {"readonly", ""}, {"BGC", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRole(tt.in)
			if tt.want == "" {
				if vms.ErrorCode(err) != vms.EINVALID || vms.ErrorField(err) != "role" {
					t.Fatalf("ParseRole(%q) = %q, %v; want EINVALID on role", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseRole(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestRoleLists(t *testing.T) {
	for _, r := range TenantRoles() {
		if r.Operator() || !r.Valid() || r.Title() == string(r) {
			t.Errorf("tenant role %s: Operator=%v Valid=%v Title=%q", r, r.Operator(), r.Valid(), r.Title())
		}
	}
	for _, r := range OperatorRoles() {
		if !r.Operator() || !r.Valid() || !strings.Contains(r.Title(), string(r)) {
			t.Errorf("operator role %s: Operator=%v Valid=%v Title=%q", r, r.Operator(), r.Valid(), r.Title())
		}
	}
	if n := len(TenantRoles()) + len(OperatorRoles()); n != 8 {
		t.Errorf("%d roles, want 8", n)
	}
	if Role("root").Valid() {
		t.Error(`Role("root").Valid() = true`)
	}
}

func FuzzParseRole(f *testing.F) {
	for _, s := range []string{"admin", "BGC-RW", "", "bgc-ro", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRole(s)
		if err != nil {
			if vms.ErrorField(err) != "role" {
				t.Fatalf("error %v does not name the role field", err)
			}
			return
		}
		if !r.Valid() {
			t.Fatalf("ParseRole(%q) = invalid %q", s, r)
		}
	})
}
