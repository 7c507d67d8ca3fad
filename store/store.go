// Package store owns the persistence of VMS: the GORM models, the ordered
// embedded migrations, the repositories and the audit rows (POR-4) written
// in the same transaction as each change. It runs on an embedded SQLite file
// by default and on PostgreSQL when given a postgres:// URL.
//
// The store guards integrity (uniqueness, tenant isolation of reads,
// atomicity) but holds no business rules: who may do what, which numbers
// may be activated and how formulas combine live in their own packages.
package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Actor says who makes a change, for the audit log.
type Actor struct {
	UserID    *uint
	Email     string
	TenantID  *uint // the actor's own tenant, nil for operator staff and the system
	RequestID string
}

// System is the Actor for changes VMS makes by itself.
var System = Actor{Email: "system"}

// Config says which database to open.
type Config struct {
	// DSN is empty for the embedded SQLite file, or a postgres:// URL.
	DSN string
	// SQLitePath is the embedded database file, used when DSN is empty.
	SQLitePath string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Store is the persistence of VMS over GORM.
type Store struct {
	db      *gorm.DB
	dialect string // "sqlite" or "postgres"
	now     func() time.Time
}

// Dialects returned by Store.Dialect.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// Open opens the database cfg names. It does not migrate: call Migrate.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	// Times are stored in UTC with microsecond precision so that both
	// dialects hold the same values and SQLite's text timestamps compare
	// in time order.
	clock := func() time.Time { return now().UTC().Truncate(time.Microsecond) }
	gcfg := &gorm.Config{
		Logger:                 logger.Discard,
		NowFunc:                clock,
		SkipDefaultTransaction: true, // every write here runs in an explicit transaction
	}

	var (
		dialector gorm.Dialector
		dialect   string
	)
	switch {
	case cfg.DSN == "":
		if cfg.SQLitePath == "" {
			return nil, errors.New("store: open: no postgres DSN and no SQLite path")
		}
		if err := os.MkdirAll(filepath.Dir(cfg.SQLitePath), 0o750); err != nil {
			return nil, fmt.Errorf("store: open: create database directory: %w", err)
		}
		dialector = sqlite.Open(sqliteDSN(cfg.SQLitePath))
		dialect = DialectSQLite
	case strings.HasPrefix(cfg.DSN, "postgres://"), strings.HasPrefix(cfg.DSN, "postgresql://"):
		dialector = postgres.Open(cfg.DSN)
		dialect = DialectPostgres
	default:
		return nil, errors.New("store: open: DSN must be empty (embedded SQLite) or a postgres:// or postgresql:// URL")
	}

	db, err := gorm.Open(dialector, gcfg)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dialect, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dialect, err)
	}
	if dialect == DialectSQLite {
		// One writer at a time anyway; a few connections let readers run
		// beside it under WAL.
		sqlDB.SetMaxOpenConns(4)
		sqlDB.SetMaxIdleConns(4)
		sqlDB.SetConnMaxLifetime(0)
	} else {
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(5)
		sqlDB.SetConnMaxLifetime(30 * time.Minute)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	s := &Store{db: db, dialect: dialect, now: clock}
	if err := s.Ping(ctx); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return s, nil
}

// sqliteDSN builds the connection string of the embedded database: foreign
// keys enforced, WAL, a busy timeout, and IMMEDIATE transactions so that a
// transaction that reads then writes never fails on a lock upgrade.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// No _time_format: the driver's default already writes
	// "2006-01-02 15:04:05.999999999-07:00", and in glebarez/go-sqlite
	// v1.21.2 setting _time_format makes it ignore _txlock.
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// Close closes the database.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	if err := sqlDB.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping %s: %w", s.dialect, err)
	}
	return nil
}

// Dialect returns "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect }

// DB returns the underlying GORM handle, for the few callers (tests, tools)
// that need raw access. Writes through it are not audited.
func (s *Store) DB() *gorm.DB { return s.db }

// Now returns the store's clock reading, in UTC at microsecond precision.
func (s *Store) Now() time.Time { return s.now() }

// Tx runs fn in one transaction: every write fn makes through tx commits
// together with its audit entries, or nothing does. Nested calls use
// savepoints. Inside fn use only tx, never the outer Store: on SQLite a
// write through the outer Store waits for this transaction to end.
func (s *Store) Tx(ctx context.Context, fn func(tx *Store) error) error {
	return s.db.WithContext(ctx).Transaction(func(db *gorm.DB) error {
		return fn(&Store{db: db, dialect: s.dialect, now: s.now})
	})
}

// tx runs fn in a transaction on the raw handle.
func (s *Store) tx(ctx context.Context, fn func(db *gorm.DB) error) error {
	return s.db.WithContext(ctx).Transaction(fn)
}
