package store

import (
	"context"
	"database/sql"
	"fmt"
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

// InTx runs fn in one transaction; it commits when fn returns nil and rolls
// back otherwise, so a failed command leaves nothing behind.
func (s *Store) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	if err := s.CheckWritable(); err != nil {
		return err
	}
	if !s.schema.uniqueKeysRead {
		keys, err := s.readUniqueKeys(ctx, "dag_run")
		if err != nil {
			return fmt.Errorf("read dag_run unique keys: %w", err)
		}
		s.schema.DagRunUniqueKeys, s.schema.uniqueKeysRead = keys, true
	}
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
	defer func() {
		if tx != nil && tx.heldLocks {
			releaseMySQLLocks(conn)
		}
	}()
	return base.Transaction(func(db *gorm.DB) error {
		tx = &Tx{s: s, db: db, conn: conn, ctx: ctx, Now: s.now().UTC().Truncate(time.Microsecond)}
		if s.dialect == DialectSQLite {
			// Take SQLite's write lock up front so concurrent writers queue
			// (busy_timeout) instead of failing at their first write.
			if err := db.Exec("UPDATE alembic_version SET version_num = version_num WHERE 0").Error; err != nil {
				return fmt.Errorf("lock database: %w", err)
			}
		}
		if err := fn(tx); err != nil {
			return err
		}
		return tx.flushDDL()
	}, opts)
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
