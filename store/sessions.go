package store

import (
	"context"
	"fmt"
	"time"
)

// CreateSession stores a portal session (POR-1). Sessions are not audited:
// logins are events, not changes.
func (s *Store) CreateSession(ctx context.Context, sess *Session) error {
	now := s.now()
	if sess.CreatedAt.IsZero() {
		sess.CreatedAt = now
	}
	if sess.LastSeenAt.IsZero() {
		sess.LastSeenAt = sess.CreatedAt
	}
	sess.CreatedAt = sess.CreatedAt.UTC()
	sess.LastSeenAt = sess.LastSeenAt.UTC()
	if err := s.db.WithContext(ctx).Create(sess).Error; err != nil {
		return translate(err, "create session")
	}
	return nil
}

// GetSession returns a session by id (the hash of the browser's token);
// unknown is ENOTFOUND. Expiry is the portal's decision, from CreatedAt and
// LastSeenAt.
func (s *Store) GetSession(ctx context.Context, id string) (*Session, error) {
	var sess Session
	if err := first(s.db.WithContext(ctx).Where("id = ?", id), &sess, "session", "(by id)"); err != nil {
		return nil, err
	}
	return &sess, nil
}

// TouchSession records activity on a session.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	res := s.db.WithContext(ctx).Model(&Session{}).Where("id = ?", id).UpdateColumn("last_seen_at", at.UTC())
	if res.Error != nil {
		return fmt.Errorf("store: touch session: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("session", "(by id)")
	}
	return nil
}

// DeleteSession ends a session; deleting an unknown session is not an error
// (logout is idempotent).
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if err := s.db.WithContext(ctx).Where("id = ?", id).Delete(&Session{}).Error; err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions ends every session of a user (password change,
// disabling).
func (s *Store) DeleteUserSessions(ctx context.Context, userID uint) error {
	if err := s.db.WithContext(ctx).Where("user_id = ?", userID).Delete(&Session{}).Error; err != nil {
		return fmt.Errorf("store: delete user sessions: %w", err)
	}
	return nil
}

// DeleteExpiredSessions deletes the sessions last seen before idleBefore or
// created before createdBefore (POR-1 idle and absolute limits) and returns
// how many went.
func (s *Store) DeleteExpiredSessions(ctx context.Context, idleBefore, createdBefore time.Time) (int64, error) {
	res := s.db.WithContext(ctx).
		Where("last_seen_at < ? OR created_at < ?", idleBefore.UTC(), createdBefore.UTC()).
		Delete(&Session{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: delete expired sessions: %w", res.Error)
	}
	return res.RowsAffected, nil
}
