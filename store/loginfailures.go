package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	vms "github.com/vmsplatform/vms"
)

// RecordLoginFailure counts one failure for key inside window and locks the
// key until now+lock once max failures are reached; it returns the row.
// A failure after the window started anew counts as the first. It is one
// atomic upsert, so concurrent failures are all counted, and the count
// survives restarts.
func (s *Store) RecordLoginFailure(ctx context.Context, key string, now time.Time, window time.Duration, max int, lock time.Duration) (*LoginFailure, error) {
	if key == "" {
		return nil, vms.FieldError("key", "is required")
	}
	now = now.UTC().Truncate(time.Microsecond)
	windowStart := now.Add(-window)
	lockedUntil := now.Add(lock)
	// The CASE expressions restart the count when the current window began
	// before windowStart, and set the lock when the new count reaches max.
	const q = `INSERT INTO login_failures ("key", failures, first_at, locked_until)
VALUES (@key, 1, @now, @firstlock)
ON CONFLICT ("key") DO UPDATE SET
  failures = CASE WHEN login_failures.first_at < @start THEN 1 ELSE login_failures.failures + 1 END,
  first_at = CASE WHEN login_failures.first_at < @start THEN @now ELSE login_failures.first_at END,
  locked_until = CASE
    WHEN (CASE WHEN login_failures.first_at < @start THEN 1 ELSE login_failures.failures + 1 END) >= @max THEN @locked
    WHEN login_failures.first_at < @start THEN NULL
    ELSE login_failures.locked_until END
RETURNING "key", failures, first_at, locked_until`
	var firstLock *time.Time // the lock of a first failure, when max is 1
	if max <= 1 {
		firstLock = &lockedUntil
	}
	var out LoginFailure
	args := map[string]any{"key": key, "now": now, "max": max, "locked": lockedUntil, "start": windowStart, "firstlock": firstLock}
	if err := s.db.WithContext(ctx).Raw(q, args).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("store: record login failure: %w", err)
	}
	return &out, nil
}

// GetLoginFailure returns the failure count of key; none is ENOTFOUND.
func (s *Store) GetLoginFailure(ctx context.Context, key string) (*LoginFailure, error) {
	var lf LoginFailure
	err := s.db.WithContext(ctx).Where(`"key" = ?`, key).Take(&lf).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, vms.Errorf(vms.ENOTFOUND, "no login failures recorded")
	}
	if err != nil {
		return nil, fmt.Errorf("store: get login failure: %w", err)
	}
	return &lf, nil
}

// ClearLoginFailures forgets the failures of key (after a successful login).
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	if err := s.db.WithContext(ctx).Where(`"key" = ?`, key).Delete(&LoginFailure{}).Error; err != nil {
		return fmt.Errorf("store: clear login failures: %w", err)
	}
	return nil
}
