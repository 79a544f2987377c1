package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Tx is one write transaction: every command writes through exactly one.
type Tx struct {
	s  *Store
	db *gorm.DB
	// conn is the PostgreSQL connection the transaction runs on, for COPY
	// (and MySQL's, whose session locks are released on it).
	conn *sql.Conn
	// heldLocks: the MySQL session holds GET_LOCK locks to release.
	heldLocks bool
	// pendingDDL: dagctl's tables are to be created before the first write
	// to them (MySQL, where DDL cannot be rolled back).
	pendingDDL bool
	ctx        context.Context
	// Now is the transaction's clock reading, used for every timestamp it writes.
	Now time.Time
}

// maxTxAttempts bounds InTx's retries after a unique-key violation.
const maxTxAttempts = 4

// InTx runs fn in one transaction; it commits when fn returns nil and rolls
// back otherwise, so a failed command leaves nothing behind.
//
// A unique-key violation means a row appeared after fn read the table: the
// scheduler or Airflow's UI created a run for a date dagctl was writing. The
// whole transaction is then run again, so fn reads the new row and reports
// the date as existing: each attempt stays all-or-nothing. fn must therefore
// do its reading inside the transaction and keep no state across attempts
// other than what it returns from the last one.
func (s *Store) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	if err := s.CheckWritable(); err != nil {
		return err
	}
	if !s.schema.uniqueKeysRead {
		var keys [][]string
		err := s.read(ctx, func(db *gorm.DB) error {
			var err error
			keys, err = s.readUniqueKeys(ctx, db, "dag_run")
			return err
		})
		if err != nil {
			return fmt.Errorf("read dag_run unique keys: %w", s.classify(err))
		}
		s.schema.DagRunUniqueKeys, s.schema.uniqueKeysRead = keys, true
	}
	var err error
	for attempt := 1; attempt <= maxTxAttempts; attempt++ {
		err = s.inTxOnce(ctx, fn)
		if !(isUniqueViolation(err) || isDeadlock(err)) || ctx.Err() != nil {
			break
		}
	}
	if err != nil && ctx.Err() != nil {
		return interrupted(ctx, err)
	}
	return s.classify(err)
}

func (s *Store) inTxOnce(ctx context.Context, fn func(tx *Tx) error) (err error) {
	// What the transaction learns of the catalog (dagctl's tables created
	// inside it) is forgotten when it rolls back, or a retry would skip the
	// DDL the rollback undid.
	columns := s.schema.columns
	defer func() {
		if err != nil {
			s.schema.columns = columns
		}
	}()
	opts := &sql.TxOptions{}
	base := s.db.WithContext(ctx)
	var conn *sql.Conn
	if s.dialect == DialectMySQL {
		opts = mysqlTxOptions
	}
	if s.dialect == DialectPostgres || s.dialect == DialectMySQL {
		// Pin one connection so that COPY (pgx) runs inside the transaction,
		// and MySQL's session locks are released on the session that took them.
		c, err := s.sqlDB.Conn(ctx)
		if err != nil {
			return fmt.Errorf("open connection: %w", err)
		}
		defer c.Close()
		conn = c
		base = base.Session(&gorm.Session{Context: ctx})
		base.Statement.ConnPool = c
	}
	var tx *Tx
	if s.dialect == DialectMySQL {
		// MySQL has no cancel request: a watcher kills the statement on the
		// server when ctx ends (Ctrl-C, SIGTERM), so no thread keeps waiting
		// for a lock, or holding one.
		stop, werr := s.watchMySQLCancel(ctx, conn)
		if werr != nil {
			return werr
		}
		defer stop()
		defer resetMySQLSession(conn)
	}
	defer func() {
		if tx != nil && tx.heldLocks {
			releaseMySQLLocks(conn)
		}
	}()
	return base.Transaction(func(db *gorm.DB) error {
		tx = &Tx{s: s, db: db, conn: conn, ctx: ctx, Now: s.now().UTC().Truncate(time.Microsecond)}
		if err := s.beginWrite(db); err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			return err
		}
		return tx.flushDDL()
	}, opts)
}

// beginWrite is the first statement of every write transaction.
//
// PostgreSQL: one round trip sets the transaction's lock and statement
// timeouts and search_path (SET LOCAL: nothing outlives the transaction, so
// nothing leaks to the next client of a pooled server connection) and asks
// whether the server takes writes at all, so that a hot standby or a
// read-only default is refused before anything is attempted.
//
// SQLite: take the write lock up front so concurrent writers queue
// (busy_timeout) instead of failing at their first write.
func (s *Store) beginWrite(db *gorm.DB) error {
	switch s.dialect {
	case DialectSQLite:
		if err := db.Exec("UPDATE alembic_version SET version_num = version_num WHERE 0").Error; err != nil {
			return fmt.Errorf("lock database: %w", err)
		}
	case DialectMySQL:
		// MySQL has no SET LOCAL: the session's InnoDB lock wait is set for
		// each transaction (dagctl's own pool, no transaction pooler here).
		secs := int64(31536000) // "no bound": a year
		if s.opts.LockTimeout > 0 {
			secs = max(int64(math.Ceil(s.opts.LockTimeout.Seconds())), 1)
		}
		if err := db.Exec("SET SESSION innodb_lock_wait_timeout = ?", secs).Error; err != nil {
			return fmt.Errorf("begin transaction: %w", err)
		}
		var readOnly int
		if err := db.Raw("SELECT @@read_only").Scan(&readOnly).Error; err != nil {
			return fmt.Errorf("begin transaction: %w", err)
		}
		if readOnly == 1 {
			return &ReadOnlyError{HostPort: s.opts.HostPort, Reason: "read_only is on: a replica"}
		}
	case DialectPostgres:
		var st struct {
			ReadOnly   string
			InRecovery bool
		}
		q := `SELECT set_config('lock_timeout', ?, true) AS lt,
			current_setting('transaction_read_only') AS read_only, pg_is_in_recovery() AS in_recovery`
		args := []any{pgMillis(s.opts.LockTimeout)}
		if s.opts.WriteStatementTimeout > 0 {
			// 0 when the URL's options set one: then that setting stays.
			q += `, set_config('statement_timeout', ?, true) AS st`
			args = append(args, pgMillis(s.opts.WriteStatementTimeout))
		}
		if s.opts.SearchPath != "" {
			q += `, set_config('search_path', ?, true) AS sp`
			args = append(args, s.opts.SearchPath)
		}
		if err := db.Raw(q, args...).Scan(&st).Error; err != nil {
			return fmt.Errorf("begin transaction: %w", err)
		}
		switch {
		case st.InRecovery:
			return &ReadOnlyError{HostPort: s.opts.HostPort, Reason: "hot standby: the server is in recovery, a read replica"}
		case st.ReadOnly == "on":
			return &ReadOnlyError{HostPort: s.opts.HostPort, Reason: "default_transaction_read_only is on"}
		}
	}
	return nil
}

// scan runs one query and scans its rows into dest, through read.
func (s *Store) scan(ctx context.Context, dest any, query string, args ...any) error {
	return s.read(ctx, func(db *gorm.DB) error { return db.Raw(query, args...).Scan(dest).Error })
}

// pgMillis is a duration as a PostgreSQL time setting; "0" turns it off.
func pgMillis(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return fmt.Sprintf("%dms", max(d.Milliseconds(), 1))
}

// read runs fn with a handle for reading. With a schema set on PostgreSQL
// the reads run in a read-only transaction whose search_path puts the schema
// first (SET LOCAL, so a transaction pooler may hand the connection to
// anyone afterwards); otherwise fn reads straight from the pool. A statement
// timeout, when set, bounds the whole read; the driver cancels the
// statement on the server when it expires.
func (s *Store) read(ctx context.Context, fn func(db *gorm.DB) error) error {
	if s.opts.StatementTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.opts.StatementTimeout)
		defer cancel()
	}
	var err error
	if s.dialect != DialectPostgres || s.opts.SearchPath == "" {
		err = fn(s.db.WithContext(ctx))
	} else {
		err = s.db.WithContext(ctx).Transaction(func(db *gorm.DB) error {
			if err := db.Exec("SELECT set_config('search_path', ?, true)", s.opts.SearchPath).Error; err != nil {
				return fmt.Errorf("set search_path: %w", err)
			}
			return fn(db)
		}, &sql.TxOptions{ReadOnly: true})
	}
	if err != nil && s.opts.StatementTimeout > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: the read ran longer than --statement-timeout %s", err, s.opts.StatementTimeout)
	}
	return err
}

// Store returns the store of the transaction (for schema questions).
func (t *Tx) Store() *Store { return t.s }

// Schema is the detected schema.
func (t *Tx) Schema() *Schema { return t.s.schema }

// LockDAG serialises writers for one DAG until the transaction ends. It uses
// an advisory lock on PostgreSQL (GET_LOCK on MySQL, released when the
// transaction ends) so Airflow's own rows are not locked; SQLite already
// holds the database write lock.
func (t *Tx) LockDAG(dagID string) error {
	if t.s.dialect == DialectMySQL {
		if err := t.mysqlLock("dagctl.dag:" + dagID); err != nil {
			return fmt.Errorf("lock dag %q: %w", dagID, err)
		}
		return nil
	}
	if t.s.dialect != DialectPostgres {
		return nil
	}
	if err := t.db.Exec("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", "dagctl.dag:"+dagID).Error; err != nil {
		return fmt.Errorf("lock dag %q: %w", dagID, err)
	}
	return nil
}

// LockName serialises writers on an arbitrary name (e.g. backfill creation).
func (t *Tx) LockName(name string) error {
	if t.s.dialect == DialectMySQL {
		if err := t.mysqlLock("dagctl:" + name); err != nil {
			return fmt.Errorf("lock %q: %w", name, err)
		}
		return nil
	}
	if t.s.dialect != DialectPostgres {
		return nil
	}
	if err := t.db.Exec("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", "dagctl:"+name).Error; err != nil {
		return fmt.Errorf("lock %q: %w", name, err)
	}
	return nil
}

// insertRows inserts rows in multi-row INSERT batches. With returning set it
// returns, for each new row, its id keyed by the value of the returning
// column (e.g. run_id), read from the INSERT itself.
func (t *Tx) insertRows(table string, cols []string, rows [][]any, returning string) (map[string]int64, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	if t.s.dialect == DialectPostgres && t.conn != nil && len(rows) >= copyThreshold {
		return t.copyRows(table, cols, rows, returning)
	}
	// Stay well under both dialects' bound-parameter limits.
	batch := 30000 / len(cols)
	batch = min(batch, 1000)
	ids := map[string]int64{}
	placeholderRow := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	for start := 0; start < len(rows); start += batch {
		end := min(start+batch, len(rows))
		var sb strings.Builder
		sb.WriteString("INSERT INTO ")
		sb.WriteString(table)
		sb.WriteString(" (")
		sb.WriteString(strings.Join(cols, ", "))
		sb.WriteString(") VALUES ")
		args := make([]any, 0, (end-start)*len(cols))
		for i := start; i < end; i++ {
			if i > start {
				sb.WriteString(", ")
			}
			sb.WriteString(placeholderRow)
			args = append(args, rows[i]...)
		}
		if returning != "" && t.s.dialect == DialectMySQL {
			got, err := t.mysqlInsertIDs(table, sb.String(), args, cols, rows[start:end], returning)
			if err != nil {
				return nil, fmt.Errorf("insert into %s: %w", table, err)
			}
			for k, id := range got {
				ids[k] = id
			}
		} else if returning != "" {
			sb.WriteString(" RETURNING id, " + returning + " AS k")
			var got []struct {
				ID int64
				K  string
			}
			if err := t.db.Raw(sb.String(), args...).Scan(&got).Error; err != nil {
				return nil, fmt.Errorf("insert into %s: %w", table, err)
			}
			if len(got) != end-start {
				return nil, fmt.Errorf("insert into %s: %d ids returned for %d rows", table, len(got), end-start)
			}
			for _, g := range got {
				ids[g.K] = g.ID
			}
		} else if err := t.db.Exec(sb.String(), args...).Error; err != nil {
			return nil, fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return ids, nil
}
