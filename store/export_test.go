package store

import (
	"context"

	"gorm.io/gorm"
)

// MigrationCount is the number of migrations this binary knows.
func MigrationCount() int { return len(migrations) }

// MigrateWith migrates with one extra migration appended to the known ones.
func MigrateWith(ctx context.Context, s *Store, id string, up func(tx *gorm.DB) error) error {
	list := append(append([]migration(nil), migrations...), migration{ID: id, Up: up})
	return s.migrate(ctx, list)
}
