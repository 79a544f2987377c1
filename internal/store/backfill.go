package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/dagctl/dagctl/internal/apperr"
)

// Deletion states of a backfill.
const (
	NotDeleted  = ""
	ToBeDeleted = "ToBeDeleted"
	Deleted     = "Deleted"
)

// Dispositions of a backfill date.
const (
	DispositionCreate = "create"
	DispositionRerun  = "rerun"
	DispositionSkip   = "skip"
)

// Backfill is one row of dagctl_backfill.
type Backfill struct {
	ID              string
	DagID           string
	Description     string
	FromDate        time.Time
	ToDate          time.Time
	DagParams       json.RawMessage
	MaxActiveRuns   int
	Reprocess       string
	RunBackwards    bool
	DeleteAfterDays int
	SubmittedBy     string
	SubmittedAt     time.Time
	ScheduledAt     time.Time
	UpdatedAt       time.Time
	Paused          bool
	CancelledAt     *time.Time
	CompletedAt     *time.Time
	Deleted         string
	NativeID        *int64
	AirflowMajor    int
}

// BackfillRun is one date of a backfill, with its run's state when it has one.
type BackfillRun struct {
	SortOrdinal       int
	LogicalDate       time.Time
	DataIntervalStart time.Time
	DataIntervalEnd   time.Time
	RunAfter          time.Time
	Disposition       string
	RunID             string
	SkipReason        string
	// Created: the run exists in dag_run because this backfill created it.
	Created         bool
	OrigRunType     string
	OrigTriggeredBy string
	OrigBackfillID  *int64
	// From dag_run (zero when the run does not exist, e.g. not yet created on Airflow 2).
	DagRunID  *int64
	State     string
	StartDate *time.Time
	EndDate   *time.Time
}

type backfillRow struct {
	ID                string
	DagID             string
	Description       *string
	FromDate          dbTime
	ToDate            dbTime
	DagParams         string
	MaxActiveRuns     int
	ReprocessBehavior string
	RunBackwards      dbBool
	DeleteAfterDays   int
	SubmittedBy       *string
	SubmittedAt       dbTime
	ScheduledAt       dbTime
	UpdatedAt         dbTime
	IsPaused          dbBool
	CancelledAt       dbTime
	CompletedAt       dbTime
	Deleted           string
	NativeBackfillID  *int64
	AirflowMajor      int
	ReleasedAt        dbTime
	NativePaused      dbBool
}

func (r backfillRow) toBackfill() Backfill {
	// Once released, the native backfill's is_paused is Airflow's word too
	// (a pause or unpause from Airflow's UI); before that dagctl holds it.
	paused := r.IsPaused.Bool
	if r.NativePaused.Valid && r.ReleasedAt.Valid && r.CancelledAt.Ptr() == nil {
		paused = r.NativePaused.Bool
	}
	return Backfill{
		ID: r.ID, DagID: r.DagID, Description: deref(r.Description), FromDate: r.FromDate.Time, ToDate: r.ToDate.Time,
		DagParams: json.RawMessage(r.DagParams), MaxActiveRuns: r.MaxActiveRuns, Reprocess: r.ReprocessBehavior,
		RunBackwards: r.RunBackwards.Bool, DeleteAfterDays: r.DeleteAfterDays, SubmittedBy: deref(r.SubmittedBy),
		SubmittedAt: r.SubmittedAt.Time, ScheduledAt: r.ScheduledAt.Time, UpdatedAt: r.UpdatedAt.Time,
		Paused: paused, CancelledAt: r.CancelledAt.Ptr(), CompletedAt: r.CompletedAt.Ptr(),
		Deleted: r.Deleted, NativeID: r.NativeBackfillID, AirflowMajor: r.AirflowMajor,
	}
}

const backfillBaseCols = `id, dag_id, description, from_date, to_date, dag_params, max_active_runs, reprocess_behavior,
	run_backwards, delete_after_days, submitted_by, submitted_at, scheduled_at, updated_at, is_paused,
	cancelled_at, completed_at, deleted, native_backfill_id, airflow_major, released_at`

// backfillCols adds, on Airflow 3, whether the native backfill is paused:
// someone may pause or unpause it in Airflow's UI.
func (s *Store) backfillCols() string {
	if s.schema.HasTable("backfill") {
		return backfillBaseCols + `, (SELECT n.is_paused FROM backfill n WHERE n.id = native_backfill_id) AS native_paused`
	}
	return backfillBaseCols + ", NULL AS native_paused"
}

// BackfillFilter narrows ListBackfills.
type BackfillFilter struct {
	DagID          string
	IncludeDeleted bool
	// From/To keep backfills having a logical date in [From, To].
	From, To *time.Time
	DagIDs   []string // nil = all
	// Sort is "submitted_at" or "start_date" (from_date); "" is submitted_at
	// newest first. Ties are in id order, reversed with Desc.
	Sort string
	Desc bool
}

// ListBackfills returns dagctl's backfills, newest first.
func (s *Store) ListBackfills(ctx context.Context, f BackfillFilter) ([]Backfill, error) {
	has := false
	if err := s.read(ctx, func(db *gorm.DB) error { has = s.hasDagctlTables(db); return nil }); err != nil {
		return nil, err
	}
	if !has {
		return []Backfill{}, nil
	}
	q := "SELECT " + s.backfillCols() + " FROM dagctl_backfill b"
	var where []string
	var args []any
	if f.DagID != "" {
		where = append(where, "b.dag_id = ?")
		args = append(args, f.DagID)
	}
	if f.DagIDs != nil {
		if len(f.DagIDs) == 0 {
			return []Backfill{}, nil
		}
		where = append(where, "b.dag_id IN ?")
		args = append(args, f.DagIDs)
	}
	if !f.IncludeDeleted {
		where = append(where, "b.deleted = ''")
	}
	if f.From != nil && f.To != nil {
		where = append(where, `EXISTS (SELECT 1 FROM dagctl_backfill_run br WHERE br.backfill_id = b.id
			AND br.logical_date >= ? AND br.logical_date <= ?)`)
		args = append(args, s.timeArg(*f.From), s.timeArg(*f.To))
	}
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += backfillOrderBy(f)
	var rows []backfillRow
	if err := s.scan(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("list backfills: %w", err)
	}
	out := make([]Backfill, len(rows))
	for i, r := range rows {
		out[i] = r.toBackfill()
	}
	return out, nil
}

// GetBackfill returns one backfill or exit 3.
func (s *Store) GetBackfill(ctx context.Context, id string) (*Backfill, error) {
	var b *Backfill
	err := s.read(ctx, func(db *gorm.DB) error {
		var err error
		b, err = getBackfill(db, s, id, false)
		return err
	})
	return b, err
}

func getBackfill(db *gorm.DB, s *Store, id string, lock bool) (*Backfill, error) {
	if !s.hasDagctlTables(db) {
		return nil, apperr.NotFound("backfill %q not found", id)
	}
	q := "SELECT " + s.backfillCols() + " FROM dagctl_backfill WHERE id = ?"
	if lock {
		q += s.forUpdate(false)
	}
	var rows []backfillRow
	if err := db.Raw(q, id).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("get backfill %q: %w", id, err)
	}
	if len(rows) == 0 {
		return nil, apperr.NotFound("backfill %q not found", id)
	}
	b := rows[0].toBackfill()
	return &b, nil
}

type backfillRunRow struct {
	SortOrdinal       int
	LogicalDate       dbTime
	DataIntervalStart dbTime
	DataIntervalEnd   dbTime
	RunAfter          dbTime
	Disposition       string
	RunID             *string
	SkipReason        *string
	Created           dbBool
	OrigRunType       *string
	OrigTriggeredBy   *string
	OrigBackfillID    *int64
	DagRunID          *int64
	State             *string
	StartDate         dbTime
	EndDate           dbTime
}

// BackfillRuns returns the dates of a backfill in sort order, each with the
// state of its run, in one statement.
func (s *Store) BackfillRuns(ctx context.Context, b *Backfill) ([]BackfillRun, error) {
	var runs []BackfillRun
	err := s.read(ctx, func(db *gorm.DB) error {
		var err error
		runs, err = backfillRuns(db, b)
		return err
	})
	return runs, err
}

func backfillRuns(db *gorm.DB, b *Backfill) ([]BackfillRun, error) {
	q := `SELECT br.sort_ordinal, br.logical_date, br.data_interval_start, br.data_interval_end, br.run_after,
		br.disposition, br.run_id, br.skip_reason, br.created, br.orig_run_type, br.orig_triggered_by,
		br.orig_backfill_id, dr.id AS dag_run_id, dr.state, dr.start_date, dr.end_date
		FROM dagctl_backfill_run br
		LEFT JOIN dag_run dr ON dr.dag_id = ? AND dr.run_id = br.run_id
		WHERE br.backfill_id = ? ORDER BY br.sort_ordinal`
	var rows []backfillRunRow
	if err := db.Raw(q, b.DagID, b.ID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read runs of backfill %q: %w", b.ID, err)
	}
	out := make([]BackfillRun, len(rows))
	for i, r := range rows {
		out[i] = r.toRun()
	}
	return out, nil
}

func (r backfillRunRow) toRun() BackfillRun {
	return BackfillRun{
		SortOrdinal: r.SortOrdinal, LogicalDate: r.LogicalDate.Time, DataIntervalStart: r.DataIntervalStart.Time,
		DataIntervalEnd: r.DataIntervalEnd.Time, RunAfter: r.RunAfter.Time, Disposition: r.Disposition,
		RunID: deref(r.RunID), SkipReason: deref(r.SkipReason), Created: r.Created.Bool,
		OrigRunType: deref(r.OrigRunType), OrigTriggeredBy: deref(r.OrigTriggeredBy), OrigBackfillID: r.OrigBackfillID,
		DagRunID: r.DagRunID, State: deref(r.State), StartDate: r.StartDate.Ptr(), EndDate: r.EndDate.Ptr(),
	}
}

// BackfillRunsOf returns the dates of several backfills, keyed by backfill
// id, in one statement (for lists).
func (s *Store) BackfillRunsOf(ctx context.Context, bs []Backfill) (map[string][]BackfillRun, error) {
	var runs map[string][]BackfillRun
	err := s.read(ctx, func(db *gorm.DB) error {
		var err error
		runs, err = backfillRunsOf(db, bs)
		return err
	})
	return runs, err
}

// BackfillRunsOf reads several backfills' dates inside the transaction.
func (t *Tx) BackfillRunsOf(bs []Backfill) (map[string][]BackfillRun, error) {
	return backfillRunsOf(t.db, bs)
}

func backfillRunsOf(db *gorm.DB, bs []Backfill) (map[string][]BackfillRun, error) {
	out := make(map[string][]BackfillRun, len(bs))
	if len(bs) == 0 {
		return out, nil
	}
	ids := make([]string, len(bs))
	for i, b := range bs {
		ids[i] = b.ID
	}
	q := `SELECT br.backfill_id, br.sort_ordinal, br.logical_date, br.data_interval_start, br.data_interval_end, br.run_after,
		br.disposition, br.run_id, br.skip_reason, br.created, br.orig_run_type, br.orig_triggered_by,
		br.orig_backfill_id, dr.id AS dag_run_id, dr.state, dr.start_date, dr.end_date
		FROM dagctl_backfill_run br
		JOIN dagctl_backfill b ON b.id = br.backfill_id
		LEFT JOIN dag_run dr ON dr.dag_id = b.dag_id AND dr.run_id = br.run_id
		WHERE br.backfill_id IN ? ORDER BY br.backfill_id, br.sort_ordinal`
	var rows []struct {
		BackfillID string
		backfillRunRow
	}
	if err := db.Raw(q, ids).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read runs of backfills: %w", err)
	}
	for _, r := range rows {
		out[r.BackfillID] = append(out[r.BackfillID], r.backfillRunRow.toRun())
	}
	return out, nil
}

// GetBackfillForUpdate reads a backfill inside the transaction, locking its row.
func (t *Tx) GetBackfillForUpdate(id string) (*Backfill, error) {
	return getBackfill(t.db, t.s, id, true)
}

// BackfillRuns reads a backfill's dates inside the transaction.
func (t *Tx) BackfillRuns(b *Backfill) ([]BackfillRun, error) { return backfillRuns(t.db, b) }

// LockableBackfills returns the ids of backfills not yet Deleted, locking
// each row and skipping rows another reconciler holds (PostgreSQL); SQLite
// holds the whole database already.
func (t *Tx) LockableBackfills() ([]string, error) {
	if !t.s.hasDagctlTables(t.db) {
		return nil, nil
	}
	q := "SELECT id FROM dagctl_backfill WHERE deleted <> ? ORDER BY submitted_at, id" + t.s.forUpdate(true)
	var ids []string
	if err := t.db.Raw(q, Deleted).Scan(&ids).Error; err != nil {
		return nil, fmt.Errorf("list backfills to reconcile: %w", err)
	}
	return ids, nil
}

// BackfillIDTaken reports whether a backfill id is in use.
func (t *Tx) BackfillIDTaken(id string) (bool, error) {
	if !t.s.hasDagctlTables(t.db) {
		return false, nil
	}
	var n int64
	if err := t.db.Raw("SELECT count(*) FROM dagctl_backfill WHERE id = ?", id).Scan(&n).Error; err != nil {
		return false, fmt.Errorf("check backfill id: %w", err)
	}
	return n > 0, nil
}

// OpenBackfillsOverlapping returns dagctl backfills of dagID that are not
// deleted, not cancelled and not completed, and whose range meets [from, to]
// (the caller derives whether each is really unfinished). Airflow 3 native
// backfills not created by dagctl and not completed are returned as "backfill #id".
func (t *Tx) OpenBackfillsOverlapping(dagID string, from, to time.Time) (dagctl []Backfill, native []string, err error) {
	var rows []backfillRow
	q := "SELECT " + t.s.backfillCols() + ` FROM dagctl_backfill WHERE dag_id = ? AND deleted = '' AND cancelled_at IS NULL
		AND completed_at IS NULL AND from_date <= ? AND to_date >= ? ORDER BY submitted_at`
	if !t.s.hasDagctlTables(t.db) {
		// Not created yet (MySQL creates them at the first write): no backfill.
	} else if err := t.db.Raw(q, dagID, t.s.timeArg(to), t.s.timeArg(from)).Scan(&rows).Error; err != nil {
		return nil, nil, fmt.Errorf("check overlapping backfills: %w", err)
	}
	for _, r := range rows {
		dagctl = append(dagctl, r.toBackfill())
	}
	if t.s.schema.HasTable("backfill") {
		var ids []int64
		nq := `SELECT b.id FROM backfill b WHERE b.dag_id = ? AND b.completed_at IS NULL AND b.from_date <= ? AND b.to_date >= ?`
		if t.s.schema.HasTable("dagctl_backfill") {
			nq += " AND NOT EXISTS (SELECT 1 FROM dagctl_backfill d WHERE d.native_backfill_id = b.id)"
		}
		if err := t.db.Raw(nq, dagID, t.s.timeArg(to), t.s.timeArg(from)).Scan(&ids).Error; err != nil {
			return nil, nil, fmt.Errorf("check overlapping native backfills: %w", err)
		}
		for _, id := range ids {
			native = append(native, fmt.Sprintf("backfill #%d", id))
		}
	}
	return dagctl, native, nil
}

// LockBackfill takes the row lock of one backfill for this transaction,
// skipping it (false) when another reconciler holds it (PostgreSQL, MySQL).
func (t *Tx) LockBackfill(id string) (bool, error) {
	if t.s.dialect == DialectSQLite {
		return true, nil
	}
	var ids []string
	if err := t.db.Raw("SELECT id FROM dagctl_backfill WHERE id = ? FOR UPDATE SKIP LOCKED", id).Scan(&ids).Error; err != nil {
		return false, fmt.Errorf("lock backfill %q: %w", id, err)
	}
	return len(ids) == 1, nil
}

// ReleaseNativeBackfill un-pauses an Airflow 3 backfill held until its
// scheduled time; it reports whether it was held.
func (t *Tx) ReleaseNativeBackfill(backfillID string, id int64) (bool, error) {
	// Released once: a pause set later in Airflow's UI is left alone.
	res := t.db.Exec("UPDATE dagctl_backfill SET released_at = ? WHERE id = ? AND released_at IS NULL", t.s.timeArg(t.Now), backfillID)
	if res.Error != nil {
		return false, fmt.Errorf("release backfill %q: %w", backfillID, res.Error)
	}
	if res.RowsAffected == 0 {
		return false, nil
	}
	res = t.db.Exec("UPDATE backfill SET is_paused = ?, updated_at = ? WHERE id = ? AND is_paused = ? AND completed_at IS NULL",
		t.s.boolArg(false), t.s.timeArg(t.Now), id, t.s.boolArg(true))
	if res.Error != nil {
		return false, fmt.Errorf("release backfill #%d: %w", id, res.Error)
	}
	return res.RowsAffected > 0, nil
}

// CompleteNativeBackfill sets completed_at where Airflow's scheduler has not yet.
func (t *Tx) CompleteNativeBackfill(id int64, at time.Time) error {
	if err := t.db.Exec("UPDATE backfill SET completed_at = ?, updated_at = ? WHERE id = ? AND completed_at IS NULL",
		t.s.timeArg(at), t.s.timeArg(t.Now), id).Error; err != nil {
		return fmt.Errorf("complete backfill #%d: %w", id, err)
	}
	return nil
}
