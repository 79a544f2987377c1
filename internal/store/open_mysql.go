package store

import (
	"context"
	"crypto/sha1"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
)

// DialectMySQL is Airflow's MySQL dialect: MySQL 8 and (tested) MariaDB 10.11.
const DialectMySQL = "mysql"

// mysqlDialector opens MySQL through go-sql-driver/mysql (pure Go). The DSN
// (internal/config) sets Airflow's session time_zone '+00:00' and reads times
// as UTC.
func mysqlDialector(opts OpenOptions) gorm.Dialector {
	return mysql.New(mysql.Config{
		DSN: opts.DSN,
		// No SELECT VERSION() round trip at open: dagctl writes only SQL that
		// MySQL 8.0 and MariaDB 10.6+ both run.
		SkipInitializeWithVersion: true,
	})
}

// mysqlTxOptions: Airflow runs its MySQL sessions in READ COMMITTED
// (airflow/settings.py prepare_engine_args), which is also PostgreSQL's
// default; it sees rows committed by a writer that held a lock before us.
var mysqlTxOptions = &sql.TxOptions{Isolation: sql.LevelReadCommitted}

// mysqlLockName turns a lock name into one GET_LOCK accepts everywhere (at
// most 64 characters).
func mysqlLockName(name string) string {
	sum := sha1.Sum([]byte(name))
	return "dagctl:" + hex.EncodeToString(sum[:])
}

// mysqlLock takes a named lock on the transaction's own connection. MySQL has
// no transaction-scoped advisory lock: GET_LOCK belongs to the session, so
// InTx releases every lock it took once the transaction has ended, before the
// connection goes back to the pool (and drops the connection if it cannot).
// It waits in short steps so that a cancelled command stops waiting.
func (t *Tx) mysqlLock(name string) error {
	key := mysqlLockName(name)
	limit := t.s.opts.LockTimeout
	start := time.Now()
	for {
		var got sql.NullInt64
		if err := t.db.Raw("SELECT GET_LOCK(?, 1)", key).Row().Scan(&got); err != nil {
			return err
		}
		t.heldLocks = true
		if got.Valid && got.Int64 == 1 {
			return nil
		}
		if !got.Valid {
			return fmt.Errorf("GET_LOCK failed")
		}
		if err := t.ctx.Err(); err != nil {
			return err
		}
		if limit > 0 && time.Since(start) >= limit {
			return &LockTimeoutError{Timeout: limit.String(), Err: errors.New("lock not granted")}
		}
	}
}

// releaseMySQLLocks ends the session locks of a finished transaction.
func releaseMySQLLocks(c *sql.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.ExecContext(ctx, "DO RELEASE_ALL_LOCKS()"); err != nil {
		// The server frees a session's locks when the session ends.
		_ = c.Raw(func(any) error { return driver.ErrBadConn })
	}
}

// mysqlInsertIDs runs one multi-row INSERT and returns the new rows' ids
// keyed by the value of the returning column. MySQL 8 has no RETURNING: the
// ids are read back, in one SELECT, as the rows at or after the statement's
// first id (LAST_INSERT_ID of this connection) that carry the batch's keys.
// The key is unique with dag_id, which all rows of a batch share.
func (t *Tx) mysqlInsertIDs(table, stmt string, args []any, cols []string, rows [][]any, returning string) (map[string]int64, error) {
	res, err := t.db.Statement.ConnPool.ExecContext(t.ctx, stmt, args...)
	if err != nil {
		return nil, err
	}
	first, err := res.LastInsertId()
	if err != nil {
		return nil, err
	}
	keyAt, dagAt := -1, -1
	for i, c := range cols {
		switch c {
		case returning:
			keyAt = i
		case "dag_id":
			dagAt = i
		}
	}
	if keyAt < 0 {
		return nil, fmt.Errorf("no column %s", returning)
	}
	keys := make([]any, len(rows))
	for i, r := range rows {
		keys[i] = r[keyAt]
	}
	q := "SELECT id, " + returning + " AS k FROM " + table + " WHERE id >= ? AND " + returning + " IN ?"
	qargs := []any{first, keys}
	if dagAt >= 0 {
		q += " AND dag_id = ?"
		qargs = append(qargs, rows[0][dagAt])
	}
	var got []struct {
		ID int64
		K  string
	}
	if err := t.db.Raw(q, qargs...).Scan(&got).Error; err != nil {
		return nil, err
	}
	if len(got) != len(rows) {
		return nil, fmt.Errorf("%d ids read back for %d rows", len(got), len(rows))
	}
	ids := make(map[string]int64, len(got))
	for _, g := range got {
		ids[g.K] = g.ID
	}
	return ids, nil
}

// mysqlInsertID runs a one-row INSERT and returns its AUTO_INCREMENT id.
func (t *Tx) mysqlInsertID(stmt string, args []any) (int64, error) {
	res, err := t.db.Statement.ConnPool.ExecContext(t.ctx, stmt, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// mysqlReadColumns reads the tables and columns of the connection's database.
func (s *Store) mysqlReadColumns(ctx context.Context, db *gorm.DB) ([]struct{ TableName, ColumnName string }, error) {
	var rows []struct{ TableName, ColumnName string }
	err := db.WithContext(ctx).Raw(`SELECT table_name AS table_name, column_name AS column_name
		FROM information_schema.columns WHERE table_schema = DATABASE()`).Scan(&rows).Error
	return rows, err
}

// mysqlUniqueKeys returns the unique keys of table other than the primary
// key (MySQL has no partial indexes).
func (s *Store) mysqlUniqueKeys(ctx context.Context, db *gorm.DB, table string) ([][]string, error) {
	var rows []struct {
		Name string
		Cols string
	}
	err := db.WithContext(ctx).Raw(`SELECT index_name AS name,
		  GROUP_CONCAT(column_name ORDER BY seq_in_index SEPARATOR ',') AS cols
		FROM information_schema.statistics
		WHERE table_schema = DATABASE() AND table_name = ? AND non_unique = 0 AND index_name <> 'PRIMARY'
		GROUP BY index_name ORDER BY index_name`, table).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	var keys [][]string
	for _, r := range rows {
		keys = append(keys, strings.Split(r.Cols, ","))
	}
	return keys, nil
}

// mysqlDagctlDDL creates dagctl's tables on MySQL. Ids use the collation of
// Airflow's own id columns (utf8mb3_bin, airflow/models/base.py
// get_id_collation_args), so they compare case-sensitively and joins with
// dag_run use its indexes. Dates are DATETIME(6) holding UTC, as written:
// no session time-zone conversion and no 2038 limit.
func mysqlDagctlDDL() []string {
	const id = "VARCHAR(250) CHARACTER SET utf8mb3 COLLATE utf8mb3_bin"
	const ts = "DATETIME(6)"
	r := strings.NewReplacer("ID250", id, " TS", " "+ts)
	stmts := []string{
		"CREATE TABLE IF NOT EXISTS dagctl_meta (\n" +
			"\t`key` VARCHAR(64) NOT NULL PRIMARY KEY,\n" +
			"\tvalue VARCHAR(250) NOT NULL) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
		`CREATE TABLE IF NOT EXISTS dagctl_backfill (
			id ID250 NOT NULL PRIMARY KEY,
			dag_id ID250 NOT NULL,
			description TEXT,
			from_date TS NOT NULL,
			to_date TS NOT NULL,
			dag_params MEDIUMTEXT NOT NULL,
			max_active_runs INTEGER NOT NULL,
			reprocess_behavior VARCHAR(20) NOT NULL,
			run_backwards BOOLEAN NOT NULL,
			delete_after_days INTEGER NOT NULL,
			submitted_by VARCHAR(512),
			submitted_at TS NOT NULL,
			scheduled_at TS NOT NULL,
			updated_at TS NOT NULL,
			is_paused BOOLEAN NOT NULL,
			cancelled_at TS NULL,
			completed_at TS NULL,
			released_at TS NULL,
			deleted VARCHAR(20) NOT NULL DEFAULT '',
			native_backfill_id INTEGER,
			airflow_major INTEGER NOT NULL,
			KEY dagctl_backfill_dag_id (dag_id)) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
		`CREATE TABLE IF NOT EXISTS dagctl_backfill_run (
			backfill_id ID250 NOT NULL,
			sort_ordinal INTEGER NOT NULL,
			logical_date TS NOT NULL,
			data_interval_start TS NULL,
			data_interval_end TS NULL,
			run_after TS NULL,
			disposition VARCHAR(10) NOT NULL,
			run_id ID250,
			skip_reason VARCHAR(250),
			created BOOLEAN NOT NULL,
			orig_run_type VARCHAR(50),
			orig_triggered_by VARCHAR(50),
			orig_backfill_id INTEGER,
			PRIMARY KEY (backfill_id, sort_ordinal)) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,
	}
	for i, s := range stmts {
		stmts[i] = r.Replace(s)
	}
	return stmts
}

// mysqlEnsureDagctlTables runs dagctl's DDL outside the transaction: MySQL
// commits the open transaction on any CREATE TABLE, which would leave the
// command's writes half done. CREATE TABLE IF NOT EXISTS is safe to race.
func (t *Tx) mysqlEnsureDagctlTables() error {
	for _, stmt := range mysqlDagctlDDL() {
		if _, err := t.s.sqlDB.ExecContext(t.ctx, stmt); err != nil {
			return fmt.Errorf("create dagctl tables: %w", err)
		}
	}
	if err := t.db.Exec("INSERT INTO dagctl_meta (`key`, value) VALUES ('schema_version', ?) ON DUPLICATE KEY UPDATE value = ?",
		dagctlSchemaVersion, dagctlSchemaVersion).Error; err != nil {
		return fmt.Errorf("record dagctl schema version: %w", err)
	}
	return nil
}

// mysqlRenewIDs updates task_instance ids from old to new in one statement
// (MySQL has no UPDATE ... FROM; it joins instead).
func (t *Tx) mysqlRenewIDs(pairs []any) error {
	var b strings.Builder
	for i := 0; i < len(pairs); i += 2 {
		if i > 0 {
			b.WriteString(" UNION ALL ")
		}
		b.WriteString("SELECT ? AS old_id, ? AS new_id")
	}
	q := "UPDATE task_instance ti JOIN (" + b.String() + ") v ON ti.id = v.old_id SET ti.id = v.new_id"
	return t.db.Exec(q, pairs...).Error
}

// watchMySQLCancel kills the statement running on conn when ctx ends: MySQL
// has no cancel request, and a thread waiting for a row lock does not notice
// that its client has gone. stop ends the watch.
func (s *Store) watchMySQLCancel(ctx context.Context, conn *sql.Conn) (stop func(), err error) {
	var id int64
	if err := conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		return nil, fmt.Errorf("begin transaction: %w", err)
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case <-done:
		case <-ctx.Done():
			kctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, _ = s.sqlDB.ExecContext(kctx, fmt.Sprintf("KILL QUERY %d", id))
		}
	}()
	return func() { close(done); <-finished }, nil
}

// resetMySQLSession puts back what a write transaction set on its session
// (innodb_lock_wait_timeout), so that nothing outlives the transaction on a
// pooled connection.
func resetMySQLSession(c *sql.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.ExecContext(ctx, "SET SESSION innodb_lock_wait_timeout = DEFAULT"); err != nil {
		_ = c.Raw(func(any) error { return driver.ErrBadConn })
	}
}

func init() {
	// go-sql-driver logs some connection errors to stderr itself; dagctl
	// reports every error once, in one line, through its own path.
	_ = gomysql.SetLogger(&gomysql.NopLogger{})
}
