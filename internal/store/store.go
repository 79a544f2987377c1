// Package store is the only package that talks SQL. It detects which Airflow
// schema it is connected to and hides the 2.x/3.x differences: callers get
// domain types and never see GORM or column names.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
	"gorm.io/gorm/schema"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/pgtls"
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
	// SearchPath is the search_path that puts Airflow's [database]
	// sql_alchemy_schema first ("" = the server's default). PostgreSQL only.
	SearchPath     string
	ConnectTimeout time.Duration
	// ConnectTimeoutSource says where ConnectTimeout came from (for the
	// timeout message; "" = --connect-timeout).
	ConnectTimeoutSource string
	// LockTimeout bounds every lock wait of a write transaction (0 = wait
	// without bound). StatementTimeout bounds each statement (0 = off).
	LockTimeout      time.Duration
	StatementTimeout time.Duration
	// WriteStatementTimeout bounds each statement of a write transaction
	// (0 = the server's setting stays).
	WriteStatementTimeout time.Duration
	// QueryExecModeSet: the URL chose pgx's default_query_exec_mode itself.
	QueryExecModeSet bool
	// PgConfig parses a PostgreSQL DSN into the driver's configuration
	// (TLS as libpq does it); nil = pgx.ParseConfig.
	PgConfig func(dsn string) (*pgx.ConnConfig, error)
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
	var pool *sql.DB
	switch opts.Dialect {
	case DialectPostgres:
		var err error
		if pool, dialector, err = openPostgres(opts); err != nil {
			return nil, err
		}
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
		// dagctl names every table in its SQL (Raw, Table): the name gorm
		// infers from a struct is never used, and pluralising it compiled
		// about a hundred regular expressions in every command.
		NamingStrategy: schema.NamingStrategy{SingularTable: true},
	})
	if err != nil {
		if pool != nil {
			_ = pool.Close()
		}
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
		if ctx.Err() != nil {
			return nil, interrupted(ctx, err)
		}
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
		return nil, s.classify(err)
	}
	s.schema = sc
	return s, nil
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

// TLS describes the security of a connection of the pool: whether TLS is on
// and what of the server certificate was verified. nil on SQLite.
func (s *Store) TLS(ctx context.Context) (*pgtls.TLSState, error) {
	if s.dialect != DialectPostgres {
		return nil, nil
	}
	st, err := pgtls.DescribeDB(ctx, s.sqlDB)
	if err != nil {
		return nil, fmt.Errorf("describe TLS: %w", err)
	}
	return &st, nil
}

// ServerInfo is what doctor reports about the server.
type ServerInfo struct {
	ServerVersion string
	RoundTrip     time.Duration
	DAGs          int64
	Runs          int64
	// ReadOnly says why the server takes no writes ("" when it does): a hot
	// standby (read replica), or read-only transactions by default.
	ReadOnly string
}

// ServerInfo measures a round trip, counts DAGs and runs, and asks whether
// the server takes writes.
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
	err := s.read(ctx, func(db *gorm.DB) error {
		if err := db.Raw(s.versionQuery()).Scan(&info.ServerVersion).Error; err != nil {
			return fmt.Errorf("server version: %w", err)
		}
		if s.dialect == DialectPostgres {
			var ro struct {
				InRecovery bool
				ReadOnly   string
			}
			if err := db.Raw(`SELECT pg_is_in_recovery() AS in_recovery,
				current_setting('default_transaction_read_only') AS read_only`).Scan(&ro).Error; err != nil {
				return fmt.Errorf("read-only check: %w", err)
			}
			switch {
			case ro.InRecovery:
				info.ReadOnly = "hot standby: the server is in recovery, a read replica; writes need the primary"
			case ro.ReadOnly == "on":
				info.ReadOnly = "default_transaction_read_only is on; writes need a read-write server"
			}
		}
		if s.dialect == DialectMySQL {
			var readOnly int
			if err := db.Raw("SELECT @@read_only").Scan(&readOnly).Error; err != nil {
				return fmt.Errorf("read-only check: %w", err)
			}
			if readOnly == 1 {
				info.ReadOnly = "read_only is on (a replica); writes need the primary"
			}
		}
		if s.schema.HasTable("dag") {
			if err := db.Raw("SELECT count(*) FROM dag").Scan(&info.DAGs).Error; err != nil {
				return fmt.Errorf("count dags: %w", err)
			}
		}
		if s.schema.HasTable("dag_run") {
			if err := db.Raw("SELECT count(*) FROM dag_run").Scan(&info.Runs).Error; err != nil {
				return fmt.Errorf("count runs: %w", err)
			}
		}
		return nil
	})
	return info, err
}
