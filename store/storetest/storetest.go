// Package storetest gives tests fresh, migrated stores on both dialects:
// an SQLite file in the test's temporary directory, and on PostgreSQL a
// schema of its own (in the shared database vms_test) dropped at the test's
// end. PostgresURL gives a whole fresh database instead, for tests that
// start the binary.
//
// PostgreSQL is found, once per test binary, in this order: the admin URL in
// VMS_TEST_POSTGRES_URL; a server on 127.0.0.1:5432 (users postgres, then
// root); a throwaway cluster started from Debian's binaries as the postgres
// system user; and, when running as root, after apt-get install postgresql.
// A missing PostgreSQL skips the test, or fails it under CI=true
// (internal/testenv).
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vmsplatform/vms/internal/testenv"
	"github.com/vmsplatform/vms/store"
)

// Each runs fn as subtests "sqlite" and "postgres", each on its own fresh,
// migrated database (see Postgres).
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite returns a fresh migrated store on a file in t.TempDir().
func SQLite(t testing.TB) *store.Store {
	t.Helper()
	return open(t, store.Config{SQLitePath: filepath.Join(t.TempDir(), "vms.db")})
}

// Postgres returns a fresh migrated store on PostgreSQL, dropped at
// cleanup. For speed (CREATE DATABASE takes seconds on a busy machine) each
// store lives in a schema of its own, selected by search_path, inside one
// shared database "vms_test"; it sees only its own tables, exactly as on a
// fresh database.
func Postgres(t testing.TB) *store.Store {
	t.Helper()
	return open(t, store.Config{DSN: postgresSchemaURL(t)})
}

// sharedDatabase holds the per-test schemas; it is created once and kept.
const sharedDatabase = "vms_test"

var (
	sharedOnce sync.Once
	sharedURL  string
	sharedPool *pgxpool.Pool // kept for the life of the test binary
	sharedErr  error
)

func postgresSchemaURL(t testing.TB) string {
	t.Helper()
	admin := adminURL(t)
	sharedOnce.Do(func() {
		sharedURL, sharedErr = ensureSharedDatabase(admin)
		if sharedErr == nil {
			sharedPool, sharedErr = pgxpool.New(context.Background(), sharedURL)
		}
	})
	if sharedErr != nil {
		t.Fatalf("storetest: shared database: %v", sharedErr)
	}
	schema := "vms_t_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := sharedPool.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("storetest: create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := sharedPool.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			t.Errorf("storetest: drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(sharedURL)
	if err != nil {
		t.Fatalf("storetest: shared URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	// Tests need no durability; not waiting for WAL flushes halves their time.
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	return u.String()
}

// ensureSharedDatabase creates the shared test database unless it exists;
// test binaries running at the same time may race to create it.
func ensureSharedDatabase(admin string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", sharedDatabase).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		_, err := conn.Exec(ctx, "CREATE DATABASE "+sharedDatabase)
		var pgErr *pgconn.PgError
		// 42P04 duplicate_database; 23505 when two CREATEs race.
		if err != nil && !(errors.As(err, &pgErr) && (pgErr.Code == "42P04" || pgErr.Code == "23505")) {
			return "", err
		}
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", err
	}
	u.Path = "/" + sharedDatabase
	return u.String(), nil
}

func open(t testing.TB, cfg store.Config) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("storetest: open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("storetest: migrate: %v", err)
	}
	return s
}

// PostgresURL returns the URL of a fresh, empty PostgreSQL database that is
// dropped at cleanup, for tests that start the whole binary.
func PostgresURL(t testing.TB) string {
	t.Helper()
	admin := adminURL(t)
	name := "vms_t_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := adminExec(ctx, admin, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("storetest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// WITH (FORCE) (PostgreSQL 13+) ends connections a test left open.
		err := adminExec(ctx, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		if err != nil && strings.Contains(err.Error(), "syntax") {
			err = adminExec(ctx, admin, "DROP DATABASE IF EXISTS "+name)
		}
		if err != nil {
			t.Errorf("storetest: drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("storetest: admin URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

var (
	discoverOnce sync.Once
	discovered   string
	discoverErr  error
)

// adminURL finds a PostgreSQL server once per test binary.
func adminURL(t testing.TB) string {
	t.Helper()
	discoverOnce.Do(func() { discovered, discoverErr = discover() })
	if discoverErr != nil {
		testenv.Missing(t, "PostgreSQL: %v", discoverErr)
	}
	return discovered
}

func discover() (string, error) {
	var errs []string
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if u := envURL(); u != "" {
		if err := ping(ctx, u); err != nil {
			return "", fmt.Errorf("VMS_TEST_POSTGRES_URL does not answer: %w", err)
		}
		return u, nil
	}
	for _, user := range []string{"postgres", "root"} {
		u := "postgres://" + user + "@127.0.0.1:5432/postgres?sslmode=disable"
		err := ping(ctx, u)
		if err == nil {
			return u, nil
		}
		errs = append(errs, fmt.Sprintf("%s: %v", u, err))
	}
	u, err := startCluster(ctx)
	if err == nil {
		return u, nil
	}
	errs = append(errs, "throwaway cluster: "+err.Error())
	return "", fmt.Errorf("no server found (set VMS_TEST_POSTGRES_URL): %s", strings.Join(errs, "; "))
}

func ping(ctx context.Context, u string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return conn.Ping(ctx)
}

func adminExec(ctx context.Context, admin, sql string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
