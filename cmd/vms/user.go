package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/vmsplatform/vms/access"
	"github.com/vmsplatform/vms/credential"
	"github.com/vmsplatform/vms/store"
)

// cmdUserCreate creates a user. Without --password-stdin it prints a
// one-time first-login link instead of taking a password.
func cmdUserCreate(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("vms user create", flag.ContinueOnError)
	email := fs.String("email", "", "e-mail address (the login)")
	name := fs.String("name", "", "full name")
	role := fs.String("role", string(access.BGCAdmin), "role: "+roleList())
	tenant := fs.Uint("tenant", 0, "tenant id (required for tenant roles, absent for BGC-* roles)")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	cfg, err := loadConfig(fs, args, getenv)
	if err != nil {
		return err
	}
	r, err := access.ParseRole(*role)
	if err != nil {
		return err
	}
	if strings.TrimSpace(*email) == "" {
		return fmt.Errorf("--email is required")
	}
	if strings.TrimSpace(*name) == "" {
		*name = *email
	}
	u := &store.User{Email: strings.ToLower(strings.TrimSpace(*email)), Name: strings.TrimSpace(*name), Role: string(r)}
	if r.Operator() && *tenant != 0 {
		return fmt.Errorf("--tenant: operator roles (BGC-*) belong to no tenant")
	}
	if !r.Operator() {
		if *tenant == 0 {
			return fmt.Errorf("--tenant is required for the role %s", r)
		}
		id := *tenant
		u.TenantID = &id
	}
	if *pwStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && err != io.EOF {
			return fmt.Errorf("read password: %w", err)
		}
		pw := strings.TrimRight(line, "\r\n")
		if err := credential.CheckPasswordPolicy(pw); err != nil {
			return err
		}
		if u.PasswordHash, err = credential.HashPassword(pw); err != nil {
			return err
		}
	}
	st, err := openStore(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer st.Close()
	if u.TenantID != nil {
		if _, err := st.GetTenant(ctx, *u.TenantID); err != nil {
			return fmt.Errorf("--tenant: %w", err)
		}
	}
	if err := st.CreateUser(ctx, store.System, u); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created user %d %s (%s)\n", u.ID, u.Email, u.Role)
	if u.PasswordHash == "" {
		return printLoginLink(ctx, st, cfg, u, stdout)
	}
	return nil
}

func roleList() string {
	var rs []string
	for _, r := range append(access.TenantRoles(), access.OperatorRoles()...) {
		rs = append(rs, string(r))
	}
	return strings.Join(rs, ", ")
}
