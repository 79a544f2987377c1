// Package store is the only package that talks SQL. It detects which Airflow
// schema it is connected to and hides the 2.x/3.x differences: callers get
// domain types and never see GORM or column names.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/dagctl/dagctl/internal/apperr"
)

// Dialects.
const (
	DialectPostgres = "postgres"
	DialectSQLite   = "sqlite"
)

// OpenOptions say how to reach the database.
type OpenOptions struct {
	Dialect string
	DSN     string // driver DSN, may hold the password: never printed
	// Redacted is the URL with the password masked, for messages.
	Redacted string
	// HostPort names the server (or file) in connection errors.
	HostPort string
	// Schema is Airflow's [database] sql_alchemy_schema ("" = default search path).
	Schema         string
	ConnectTimeout time.Duration
	// DefaultTimezone is Airflow's [core] default_timezone, for naive dates.
	DefaultTimezone *time.Location
	Now             func() time.Time
}

// Store is a connection to one Airflow metadata database.
type Store struct {
	db      *gorm.DB
	sqlDB   *sql.DB
	dialect string
	schema  *Schema
	opts    OpenOptions
	now     func() time.Time
}

// Open connects, checks the connection within the connect timeout, and
// detects the schema.
func Open(ctx context.Context, opts OpenOptions) (*Store, error) {
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 10 * time.Second
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return time.Now().UTC() }
	}
	var dialector gorm.Dialector
	switch opts.Dialect {
	case DialectPostgres:
		dialector = postgres.New(postgres.Config{DSN: opts.DSN})
	case DialectSQLite:
		dialector = sqlite.Open(opts.DSN)
	case DialectMySQL:
		dialector = mysqlDialector(opts)
	default:
		return nil, apperr.Invalid("database: dialect %q is not supported", opts.Dialect)
	}
	db, err := gorm.Open(dialector, &gorm.Config{
		SkipDefaultTransaction: true,
		Logger:                 logger.Discard,
		NowFunc:                func() time.Time { return opts.Now().UTC() },
		DisableAutomaticPing:   true,
	})
	if err != nil {
		return nil, connectError(opts, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, connectError(opts, err)
	}
	if opts.Dialect == DialectSQLite {
		// One writer at a time; a single connection also keeps PRAGMAs in force.
		sqlDB.SetMaxOpenConns(1)
	} else {
		sqlDB.SetMaxOpenConns(4)
	}
	pingCtx, cancel := context.WithTimeout(ctx, opts.ConnectTimeout)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		_ = sqlDB.Close()
		return nil, connectError(opts, err)
	}
	s := &Store{db: db, sqlDB: sqlDB, dialect: opts.Dialect, opts: opts, now: opts.Now}
	if opts.Dialect == DialectSQLite {
		if !s.sqliteHasTables(ctx) {
			_ = sqlDB.Close()
			return nil, fmt.Errorf("open %s: no Airflow tables in this SQLite file (has 'airflow db migrate' run?)", opts.HostPort)
		}
	}
	sc, err := s.detectSchema(ctx)
	if err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	s.schema = sc
	return s, nil
}

func connectError(opts OpenOptions, err error) error {
	msg := err.Error()
	if errors.Is(err, context.DeadlineExceeded) || strings.Contains(msg, "timeout") {
		return fmt.Errorf("connect to %s at %s: timed out after %s", opts.Dialect, opts.HostPort, opts.ConnectTimeout)
	}
	return fmt.Errorf("connect to %s at %s: %w", opts.Dialect, opts.HostPort, err)
}

func (s *Store) sqliteHasTables(ctx context.Context) bool {
	var n int64
	if err := s.db.WithContext(ctx).Raw("SELECT count(*) FROM sqlite_master WHERE type = 'table'").Scan(&n).Error; err != nil {
		return false
	}
	return n > 0
}

// Close closes the connection pool.
func (s *Store) Close() error { return s.sqlDB.Close() }

// Schema returns what was detected at Open.
func (s *Store) Schema() *Schema { return s.schema }

// Dialect is "postgres", "sqlite" or "mysql".
func (s *Store) Dialect() string { return s.dialect }

// CheckWritable returns the refusal (exit 2) when writes are not allowed.
func (s *Store) CheckWritable() error {
	if s.schema.Writable() {
		return nil
	}
	return apperr.Invalid("%s", s.schema.WriteRefusal)
}

// ServerInfo is what doctor reports about the server.
type ServerInfo struct {
	ServerVersion string
	RoundTrip     time.Duration
	DAGs          int64
	Runs          int64
}

// ServerInfo measures a round trip and counts DAGs and runs.
func (s *Store) ServerInfo(ctx context.Context) (ServerInfo, error) {
	var info ServerInfo
	start := time.Now()
	if err := s.sqlDB.PingContext(ctx); err != nil {
		return info, fmt.Errorf("ping: %w", err)
	}
	var one int
	if err := s.db.WithContext(ctx).Raw("SELECT 1").Scan(&one).Error; err != nil {
		return info, fmt.Errorf("round trip: %w", err)
	}
	info.RoundTrip = time.Since(start)
	if err := s.db.WithContext(ctx).Raw(s.versionQuery()).Scan(&info.ServerVersion).Error; err != nil {
		return info, fmt.Errorf("server version: %w", err)
	}
	if s.schema.HasTable("dag") {
		if err := s.db.WithContext(ctx).Raw("SELECT count(*) FROM dag").Scan(&info.DAGs).Error; err != nil {
			return info, fmt.Errorf("count dags: %w", err)
		}
	}
	if s.schema.HasTable("dag_run") {
		if err := s.db.WithContext(ctx).Raw("SELECT count(*) FROM dag_run").Scan(&info.Runs).Error; err != nil {
			return info, fmt.Errorf("count runs: %w", err)
		}
	}
	return info, nil
}
