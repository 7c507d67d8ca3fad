package store

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	vms "github.com/vmsplatform/vms"
)

// uniqueFields maps a unique constraint, by its PostgreSQL index name or its
// SQLite "table.column" spelling, to the input field a user sees.
var uniqueFields = map[string]string{
	"idx_users_email":     "email",
	"users.email":         "email",
	"idx_numbers_e164":    "number",
	"numbers.e164":        "number",
	"idx_api_tokens_hash": "token",
	"api_tokens.hash":     "token",
	"sessions_pkey":       "session",
	"sessions.id":         "session",
	"login_links_pkey":    "link",
	"login_links.hash":    "link",
}

// uniqueViolation reports whether err is a unique constraint violation and
// which field it concerns, on either dialect.
func uniqueViolation(err error) (field string, ok bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if pgErr.Code != "23505" {
			return "", false
		}
		return uniqueFields[pgErr.ConstraintName], true
	}
	// SQLite: "constraint failed: UNIQUE constraint failed: users.email (2067)"
	msg := err.Error()
	const marker = "UNIQUE constraint failed: "
	i := strings.Index(msg, marker)
	if i < 0 {
		return "", false
	}
	rest := msg[i+len(marker):]
	if j := strings.IndexAny(rest, " ,("); j >= 0 {
		rest = rest[:j]
	}
	return uniqueFields[rest], true
}

// foreignKeyViolation reports whether err is a foreign key violation.
func foreignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23503"
	}
	return strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
}

// conflictMessages says what a duplicate of each field means.
var conflictMessages = map[string]string{
	"email":  "a user with this e-mail address already exists",
	"number": "this number is already registered",
	"token":  "this token already exists",
}

// translate turns a database error into a *vms.Error where the user can act
// on it, and wraps anything else with context.
func translate(err error, op string) error {
	if err == nil {
		return nil
	}
	var ve *vms.Error
	if errors.As(err, &ve) {
		return err
	}
	if field, ok := uniqueViolation(err); ok {
		msg := conflictMessages[field]
		if msg == "" {
			msg = "already exists"
		}
		return &vms.Error{Code: vms.ECONFLICT, Field: field, Message: msg}
	}
	if foreignKeyViolation(err) {
		return vms.Errorf(vms.ECONFLICT, "%s: other records still refer to it, or it refers to a missing record", op)
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// notFound returns the ENOTFOUND error for an object kind and id.
func notFound(kind string, id any) error {
	return vms.Errorf(vms.ENOTFOUND, "%s %v not found", kind, id)
}

// first loads one row into dst, turning a missing row into notFound.
func first(db *gorm.DB, dst any, kind string, id any) error {
	err := db.Take(dst).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return notFound(kind, id)
	}
	if err != nil {
		return fmt.Errorf("store: get %s %v: %w", kind, id, err)
	}
	return nil
}
