package store

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// dagctlSchemaVersion is the version of dagctl's own tables (dagctl_*). They
// live beside Airflow's, have no foreign keys into Airflow's tables, and are
// the only tables dagctl creates.
const dagctlSchemaVersion = "1"

// dagctlDDL returns the statements creating dagctl's tables for a dialect.
func dagctlDDL(dialect string) []string {
	ts := "TIMESTAMP WITH TIME ZONE"
	boolean := "BOOLEAN"
	if dialect == DialectSQLite {
		ts = "TIMESTAMP"
	}
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS dagctl_meta (
			key VARCHAR(64) NOT NULL PRIMARY KEY,
			value VARCHAR(250) NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS dagctl_backfill (
			id VARCHAR(250) NOT NULL PRIMARY KEY,
			dag_id VARCHAR(250) NOT NULL,
			description TEXT,
			from_date TS NOT NULL,
			to_date TS NOT NULL,
			dag_params TEXT NOT NULL,
			max_active_runs INTEGER NOT NULL,
			reprocess_behavior VARCHAR(20) NOT NULL,
			run_backwards BOOL NOT NULL,
			delete_after_days INTEGER NOT NULL,
			submitted_by VARCHAR(512),
			submitted_at TS NOT NULL,
			scheduled_at TS NOT NULL,
			updated_at TS NOT NULL,
			is_paused BOOL NOT NULL,
			cancelled_at TS,
			completed_at TS,
			released_at TS,
			deleted VARCHAR(20) NOT NULL DEFAULT '',
			native_backfill_id INTEGER,
			airflow_major INTEGER NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS dagctl_backfill_dag_id ON dagctl_backfill (dag_id)`,
		`CREATE TABLE IF NOT EXISTS dagctl_backfill_run (
			backfill_id VARCHAR(250) NOT NULL,
			sort_ordinal INTEGER NOT NULL,
			logical_date TS NOT NULL,
			data_interval_start TS,
			data_interval_end TS,
			run_after TS,
			disposition VARCHAR(10) NOT NULL,
			run_id VARCHAR(250),
			skip_reason VARCHAR(250),
			created BOOL NOT NULL,
			orig_run_type VARCHAR(50),
			orig_triggered_by VARCHAR(50),
			orig_backfill_id INTEGER,
			PRIMARY KEY (backfill_id, sort_ordinal))`,
	}
	for i, s := range stmts {
		s = strings.ReplaceAll(s, " TS", " "+ts)
		stmts[i] = strings.ReplaceAll(s, " BOOL ", " "+boolean+" ")
	}
	return stmts
}

// EnsureDagctlTables creates dagctl's tables when missing and records their
// version; idempotent, and safe in the same transaction as a write.
func (t *Tx) EnsureDagctlTables() error {
	if t.s.schema.HasTable("dagctl_backfill") && t.s.schema.HasTable("dagctl_backfill_run") {
		return nil
	}
	if err := t.LockName("dagctl-ddl"); err != nil {
		return err
	}
	if t.s.dialect == DialectMySQL {
		// Created at the first write to them (flushDDL), so that a command
		// refused before it leaves the database as it was.
		t.pendingDDL = true
		return nil
	}
	for _, stmt := range dagctlDDL(t.s.dialect) {
		if err := t.db.Exec(stmt).Error; err != nil {
			return fmt.Errorf("create dagctl tables: %w", err)
		}
	}
	upsert := "INSERT INTO dagctl_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
	if err := t.db.Exec(upsert, dagctlSchemaVersion).Error; err != nil {
		return fmt.Errorf("record dagctl schema version: %w", err)
	}
	return nil
}

// flushDDL creates dagctl's tables on MySQL when EnsureDagctlTables asked for
// them and they are about to be written (or the transaction commits).
func (t *Tx) flushDDL() error {
	if !t.pendingDDL {
		return nil
	}
	if err := t.mysqlEnsureDagctlTables(); err != nil {
		return err
	}
	t.pendingDDL = false
	return t.s.refreshColumnsWith(t.ctx, t.db)
}

// MigrateDagctl creates dagctl's own tables (`dagctl db migrate`).
func (s *Store) MigrateDagctl(ctx context.Context) error {
	err := s.InTx(ctx, func(tx *Tx) error { return tx.EnsureDagctlTables() })
	if err != nil {
		return err
	}
	return s.refreshColumns(ctx)
}

func (s *Store) refreshColumns(ctx context.Context) error {
	return s.read(ctx, func(db *gorm.DB) error { return s.refreshColumnsWith(ctx, db) })
}

// refreshColumnsWith re-reads the catalog through db. Inside a transaction
// that must be the transaction's handle: SQLite has one connection, which the
// transaction holds, so a read through the store's pool would wait forever.
func (s *Store) refreshColumnsWith(ctx context.Context, db *gorm.DB) error {
	cols, err := s.readColumns(db.WithContext(ctx))
	if err != nil {
		return err
	}
	s.schema.columns = cols
	return nil
}

// hasDagctlTables reports whether dagctl's backfill tables exist (reads
// return nothing before the first backfill is created). db is the handle to
// look through: the store's, or the transaction's when called inside one.
func (s *Store) hasDagctlTables(db *gorm.DB) bool {
	has := func() bool { return s.schema.HasTable("dagctl_backfill") && s.schema.HasTable("dagctl_backfill_run") }
	if !has() {
		// They may have been created since Open (by this process or another).
		_ = s.refreshColumnsWith(context.Background(), db)
	}
	return has()
}
