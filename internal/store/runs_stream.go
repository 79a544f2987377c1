package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
)

// StreamRuns calls fn for every run matching f (after f.AfterID, in f's
// order; f.Limit is ignored) through one query read row by row with
// database/sql's Scan into typed fields: no page queries, no reflection,
// constant memory. The *Run handed to fn and its time pointers are reused
// for the next row (copy what you keep). withConf false neither reads nor
// decodes conf (table, csv and name output do not show it); Conf is nil then.
func (s *Store) StreamRuns(ctx context.Context, f RunFilter, withConf bool, fn func(*Run) error) error {
	qs, err := s.listRunsQuery(ctx, f, withConf)
	if err != nil {
		return err
	}
	for _, q := range qs {
		if s.dialect == DialectPostgres {
			err = s.streamRunsPgx(ctx, q.sql, q.args, withConf, fn)
		} else {
			err = s.streamRuns(ctx, q.sql, q.args, withConf, fn)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// streamRuns reads the rows of one query through database/sql.
func (s *Store) streamRuns(ctx context.Context, q string, args []any, withConf bool, fn func(*Run) error) error {
	rows, err := s.db.WithContext(ctx).Raw(q, args...).Rows()
	if err != nil {
		return fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var (
		run                     Run
		state                   sql.NullString
		times                   [7]dbTime
		values                  [7]time.Time
		external                dbBool
		conf                    []byte
		clearNumber, backfillID sql.NullInt64
		backfill                int64
	)
	dest := []any{&run.ID, &run.DagID, &run.RunID, &state, &run.RunType,
		&times[0], &times[1], &times[2], &times[3], &times[4], &times[5], &times[6], &external}
	if withConf {
		dest = append(dest, &conf)
	}
	dest = append(dest, &clearNumber, &backfillID)
	slots := [7]**time.Time{&run.LogicalDate, &run.DataIntervalStart, &run.DataIntervalEnd, &run.RunAfter,
		&run.QueuedAt, &run.StartDate, &run.EndDate}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("list runs: %w", err)
		}
		run.State = state.String
		for i := range times {
			*slots[i] = nil
			if times[i].Valid {
				values[i] = times[i].Time
				*slots[i] = &values[i]
			}
		}
		run.ExternalTrigger = external.Bool
		run.ClearNumber = int(clearNumber.Int64)
		run.BackfillID = nil
		if backfillID.Valid {
			backfill = backfillID.Int64
			run.BackfillID = &backfill
		}
		if withConf {
			run.Conf, run.ConfError = s.decodeConf(conf)
		}
		if err := fn(&run); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list runs: %w", err)
	}
	return nil
}

// streamRunsPgx reads the rows with pgx's own interface on one pooled
// connection: binary results decoded straight into typed fields, without
// database/sql's driver.Value boxing (half the client's time otherwise).
func (s *Store) streamRunsPgx(ctx context.Context, q string, args []any, withConf bool, fn func(*Run) error) error {
	// GORM expands "IN ?" and numbers the placeholders as it does for Raw.
	stmt := s.db.WithContext(ctx).Raw(q, args...).Statement
	sqlText, vars := stmt.SQL.String(), stmt.Vars
	conn, err := s.sqlDB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("list runs: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		c, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("list runs: not a pgx connection: %T", driverConn)
		}
		var rows pgx.Rows
		if s.opts.SearchPath == "" {
			rows, err = c.Conn().Query(ctx, sqlText, vars...)
		} else {
			// sql_alchemy_schema: a read-only transaction whose search_path
			// puts the schema first (SET LOCAL: nothing outlives it behind a pooler).
			tx, terr := c.Conn().BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
			if terr != nil {
				return fmt.Errorf("list runs: %w", terr)
			}
			defer tx.Rollback(context.WithoutCancel(ctx))
			if _, terr := tx.Exec(ctx, "SELECT set_config('search_path', $1, true)", s.opts.SearchPath); terr != nil {
				return fmt.Errorf("list runs: set search_path: %w", terr)
			}
			rows, err = tx.Query(ctx, sqlText, vars...)
		}
		if err != nil {
			return fmt.Errorf("list runs: %w", err)
		}
		defer rows.Close()
		var (
			run                     Run
			id                      int64
			state                   pgtype.Text
			times                   [7]pgtype.Timestamptz
			values                  [7]time.Time
			external                pgtype.Bool
			conf                    []byte
			clearNumber, backfillID pgtype.Int8
			backfill                int64
		)
		dest := []any{&id, &run.DagID, &run.RunID, &state, &run.RunType,
			&times[0], &times[1], &times[2], &times[3], &times[4], &times[5], &times[6], &external}
		if withConf {
			dest = append(dest, &conf)
		}
		dest = append(dest, &clearNumber, &backfillID)
		slots := [7]**time.Time{&run.LogicalDate, &run.DataIntervalStart, &run.DataIntervalEnd, &run.RunAfter,
			&run.QueuedAt, &run.StartDate, &run.EndDate}
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				return fmt.Errorf("list runs: %w", err)
			}
			run.ID = id
			run.State = state.String
			for i := range times {
				*slots[i] = nil
				if times[i].Valid {
					values[i] = times[i].Time.UTC()
					*slots[i] = &values[i]
				}
			}
			run.ExternalTrigger = external.Bool
			run.ClearNumber = int(clearNumber.Int64)
			run.BackfillID = nil
			if backfillID.Valid {
				backfill = backfillID.Int64
				run.BackfillID = &backfill
			}
			if withConf {
				run.Conf, run.ConfError = s.decodeConf(conf)
			}
			if err := fn(&run); err != nil {
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("list runs: %w", err)
		}
		return nil
	})
}
