package store

import (
	"fmt"
	"time"
)

// NewBackfill is a backfill to insert with its dates.
type NewBackfill struct {
	Backfill
	Runs []BackfillRun
}

// InsertBackfill writes dagctl's rows for a backfill (dagctl_backfill and one
// dagctl_backfill_run per date).
func (t *Tx) InsertBackfill(nb NewBackfill) error {
	if err := t.flushDDL(); err != nil {
		return err
	}
	b := nb.Backfill
	cols := []string{"id", "dag_id", "description", "from_date", "to_date", "dag_params", "max_active_runs",
		"reprocess_behavior", "run_backwards", "delete_after_days", "submitted_by", "submitted_at", "scheduled_at",
		"updated_at", "is_paused", "deleted", "native_backfill_id", "airflow_major"}
	row := []any{b.ID, b.DagID, nullIfEmpty(b.Description), t.s.timeArg(b.FromDate), t.s.timeArg(b.ToDate),
		string(b.DagParams), b.MaxActiveRuns, b.Reprocess, t.s.boolArg(b.RunBackwards), b.DeleteAfterDays,
		nullIfEmpty(b.SubmittedBy), t.s.timeArg(b.SubmittedAt), t.s.timeArg(b.ScheduledAt), t.s.timeArg(b.UpdatedAt),
		t.s.boolArg(b.Paused), NotDeleted, b.NativeID, b.AirflowMajor}
	if !b.ScheduledAt.After(b.SubmittedAt) {
		// Due at once: nothing to release later.
		cols = append(cols, "released_at")
		row = append(row, t.s.timeArg(b.SubmittedAt))
	}
	if _, err := t.insertRows("dagctl_backfill", cols, [][]any{row}, ""); err != nil {
		return err
	}
	rcols := []string{"backfill_id", "sort_ordinal", "logical_date", "data_interval_start", "data_interval_end",
		"run_after", "disposition", "run_id", "skip_reason", "created", "orig_run_type", "orig_triggered_by", "orig_backfill_id"}
	rows := make([][]any, len(nb.Runs))
	for i, r := range nb.Runs {
		rows[i] = []any{b.ID, r.SortOrdinal, t.s.timeArg(r.LogicalDate), t.s.timeArg(r.DataIntervalStart),
			t.s.timeArg(r.DataIntervalEnd), t.s.timeArg(r.RunAfter), r.Disposition, nullIfEmpty(r.RunID),
			nullIfEmpty(r.SkipReason), t.s.boolArg(r.Created), nullIfEmpty(r.OrigRunType), nullIfEmpty(r.OrigTriggeredBy), r.OrigBackfillID}
	}
	_, err := t.insertRows("dagctl_backfill_run", rcols, rows, "")
	return err
}

// MarkCreated records that the backfill's runs with these run ids now exist (Airflow 2 metering).
func (t *Tx) MarkCreated(backfillID string, runIDs []string) error {
	for start := 0; start < len(runIDs); start += 1000 {
		end := min(start+1000, len(runIDs))
		if err := t.db.Exec("UPDATE dagctl_backfill_run SET created = ? WHERE backfill_id = ? AND run_id IN ?",
			t.s.boolArg(true), backfillID, runIDs[start:end]).Error; err != nil {
			return fmt.Errorf("mark backfill runs created: %w", err)
		}
	}
	return nil
}

// UnmarkCreated records that runs were taken back (Airflow 2 pause deletes unstarted runs).
func (t *Tx) UnmarkCreated(backfillID string, runIDs []string) error {
	if len(runIDs) == 0 {
		return nil
	}
	if err := t.db.Exec("UPDATE dagctl_backfill_run SET created = ? WHERE backfill_id = ? AND run_id IN ?",
		t.s.boolArg(false), backfillID, runIDs).Error; err != nil {
		return fmt.Errorf("unmark backfill runs: %w", err)
	}
	return nil
}

// BackfillUpdate lists the columns of dagctl_backfill to change (nil = keep).
type BackfillUpdate struct {
	Paused      *bool
	CancelledAt *time.Time
	CompletedAt *time.Time
	Deleted     *string
	NativeID    *int64
}

// UpdateBackfill changes a dagctl backfill row and stamps updated_at.
func (t *Tx) UpdateBackfill(id string, u BackfillUpdate) error {
	set := map[string]any{"updated_at": t.s.timeArg(t.Now)}
	if u.Paused != nil {
		set["is_paused"] = t.s.boolArg(*u.Paused)
	}
	if u.CancelledAt != nil {
		set["cancelled_at"] = t.s.timeArg(*u.CancelledAt)
	}
	if u.CompletedAt != nil {
		set["completed_at"] = t.s.timeArg(*u.CompletedAt)
	}
	if u.Deleted != nil {
		set["deleted"] = *u.Deleted
	}
	if u.NativeID != nil {
		set["native_backfill_id"] = *u.NativeID
	}
	if err := t.db.Table("dagctl_backfill").Where("id = ?", id).Updates(set).Error; err != nil {
		return fmt.Errorf("update backfill %q: %w", id, err)
	}
	return nil
}

// NativeBackfill is Airflow 3's backfill row.
type NativeBackfill struct {
	DagID         string
	From, To      time.Time
	Conf          []byte
	Paused        bool
	Reprocess     string // Airflow's ReprocessBehavior value: none | failed | completed
	MaxActiveRuns int
	User          string
}

// InsertNativeBackfill writes Airflow 3's backfill row, as _create_backfill
// does (airflow/models/backfill.py), and returns its id.
func (t *Tx) InsertNativeBackfill(nb NativeBackfill) (int64, error) {
	sc := t.s.schema
	now := t.s.timeArg(t.Now)
	conf := string(nb.Conf)
	if conf == "" {
		conf = "{}"
	}
	cols := []string{"dag_id", "from_date", "to_date", "dag_run_conf", "is_paused", "reprocess_behavior",
		"max_active_runs", "created_at", "updated_at"}
	vals := []any{nb.DagID, t.s.timeArg(nb.From), t.s.timeArg(nb.To), conf, t.s.boolArg(nb.Paused), nb.Reprocess,
		nb.MaxActiveRuns, now, now}
	if sc.Has("backfill", "triggering_user_name") {
		cols = append(cols, "triggering_user_name")
		vals = append(vals, nullIfEmpty(nb.User))
	}
	var ids []int64
	q := "INSERT INTO backfill (" + joinCols(cols) + ") VALUES (" + placeholders(len(cols)) + ")"
	if t.s.dialect == DialectMySQL {
		id, err := t.mysqlInsertID(q, vals)
		if err != nil {
			return 0, fmt.Errorf("insert backfill: %w", err)
		}
		return id, nil
	}
	q += " RETURNING id"
	if err := t.db.Raw(q, vals...).Scan(&ids).Error; err != nil {
		return 0, fmt.Errorf("insert backfill: %w", err)
	}
	if len(ids) != 1 {
		return 0, fmt.Errorf("insert backfill: no id returned")
	}
	return ids[0], nil
}

// NativeBackfillDagRun is one backfill_dag_run row.
type NativeBackfillDagRun struct {
	DagRunID        *int64
	ExceptionReason string
	LogicalDate     time.Time
	SortOrdinal     int
}

// InsertNativeBackfillDagRuns writes Airflow 3's backfill_dag_run rows.
func (t *Tx) InsertNativeBackfillDagRuns(backfillID int64, rows []NativeBackfillDagRun) error {
	cols := []string{"backfill_id", "dag_run_id", "exception_reason", "logical_date", "sort_ordinal"}
	data := make([][]any, len(rows))
	for i, r := range rows {
		data[i] = []any{backfillID, r.DagRunID, nullIfEmpty(r.ExceptionReason), t.s.timeArg(r.LogicalDate), r.SortOrdinal}
	}
	_, err := t.insertRows("backfill_dag_run", cols, data, "")
	return err
}

// UpdateNativeBackfill sets Airflow 3 backfill columns (nil = keep).
func (t *Tx) UpdateNativeBackfill(id int64, paused *bool, completedAt *time.Time) error {
	set := map[string]any{"updated_at": t.s.timeArg(t.Now)}
	if paused != nil {
		set["is_paused"] = t.s.boolArg(*paused)
	}
	if completedAt != nil {
		set["completed_at"] = t.s.timeArg(*completedAt)
	}
	if err := t.db.Table("backfill").Where("id = ?", id).Updates(set).Error; err != nil {
		return fmt.Errorf("update backfill #%d: %w", id, err)
	}
	return nil
}

// FailQueuedRuns turns the queued runs among runIDs of dagID to failed, as
// Airflow 3's cancel does; returns how many changed.
func (t *Tx) FailQueuedRuns(dagID string, runIDs []string) (int64, error) {
	var n int64
	for start := 0; start < len(runIDs); start += 1000 {
		end := min(start+1000, len(runIDs))
		// A bulk UPDATE like Airflow's cancel: end_date stays unset.
		res := t.db.Exec("UPDATE dag_run SET state = 'failed', updated_at = ? WHERE dag_id = ? AND state = 'queued' AND run_id IN ?",
			t.s.timeArg(t.Now), dagID, runIDs[start:end])
		if res.Error != nil {
			return n, fmt.Errorf("fail queued runs: %w", res.Error)
		}
		n += res.RowsAffected
	}
	return n, nil
}

// DeleteRuns deletes runs of dagID (their task instances go with them through
// Airflow's ON DELETE CASCADE; dagctl deletes them explicitly too, for SQLite
// files opened without foreign keys).
func (t *Tx) DeleteRuns(dagID string, runIDs []string, onlyQueuedUnstarted bool) ([]string, error) {
	var deleted []string
	for start := 0; start < len(runIDs); start += 1000 {
		chunk := runIDs[start:min(start+1000, len(runIDs))]
		q := "SELECT run_id FROM dag_run WHERE dag_id = ? AND run_id IN ?"
		if onlyQueuedUnstarted {
			q += " AND state = 'queued' AND start_date IS NULL"
		}
		var ids []string
		if err := t.db.Raw(q, dagID, chunk).Scan(&ids).Error; err != nil {
			return nil, fmt.Errorf("select runs to delete: %w", err)
		}
		if len(ids) == 0 {
			continue
		}
		for _, table := range []string{"task_instance_note", "task_instance_history", "task_instance", "task_reschedule", "xcom", "rendered_task_instance_fields", "task_fail"} {
			if !t.s.schema.Has(table, "run_id") || !t.s.schema.Has(table, "dag_id") {
				continue
			}
			if err := t.db.Exec("DELETE FROM "+table+" WHERE dag_id = ? AND run_id IN ?", dagID, ids).Error; err != nil {
				return nil, fmt.Errorf("delete %s of runs: %w", table, err)
			}
		}
		if err := t.db.Exec("DELETE FROM dag_run WHERE dag_id = ? AND run_id IN ?", dagID, ids).Error; err != nil {
			return nil, fmt.Errorf("delete runs: %w", err)
		}
		deleted = append(deleted, ids...)
	}
	return deleted, nil
}

// DeleteNativeBackfill removes Airflow 3's backfill rows (backfill_dag_run, then backfill).
func (t *Tx) DeleteNativeBackfill(id int64) error {
	if err := t.db.Exec("DELETE FROM backfill_dag_run WHERE backfill_id = ?", id).Error; err != nil {
		return fmt.Errorf("delete backfill_dag_run of #%d: %w", id, err)
	}
	if err := t.db.Exec("UPDATE dag_run SET backfill_id = NULL WHERE backfill_id = ?", id).Error; err != nil {
		return fmt.Errorf("unlink runs of backfill #%d: %w", id, err)
	}
	if err := t.db.Exec("DELETE FROM backfill WHERE id = ?", id).Error; err != nil {
		return fmt.Errorf("delete backfill #%d: %w", id, err)
	}
	return nil
}

// RestoreRerunRuns gives re-run runs back their own run_type and
// triggered_by when the backfill that re-ran them is purged.
func (t *Tx) RestoreRerunRuns(dagID string, runs []BackfillRun) error {
	sc := t.s.schema
	var reruns []BackfillRun
	for _, r := range runs {
		if r.Disposition == DispositionRerun && r.OrigRunType != "" {
			reruns = append(reruns, r)
		}
	}
	// One UPDATE per distinct origin (usually one or two), not one per run.
	for o, ids := range groupByOrigin(reruns) {
		set := map[string]any{"run_type": o.RunType, "updated_at": t.s.timeArg(t.Now)}
		if sc.Has("dag_run", "triggered_by") {
			set["triggered_by"] = nullIfEmpty(o.TriggeredBy)
		}
		if sc.Has("dag_run", "backfill_id") {
			set["backfill_id"] = o.backfillID()
		}
		for start := 0; start < len(ids); start += 1000 {
			chunk := ids[start:min(start+1000, len(ids))]
			if err := t.db.Table("dag_run").Where("dag_id = ? AND run_id IN ?", dagID, chunk).Updates(set).Error; err != nil {
				return fmt.Errorf("unlink re-runs: %w", err)
			}
		}
	}
	return nil
}

// origin is RunOrigin as a map key.
type origin struct {
	RunType, TriggeredBy string
	BackfillID           int64
	HasBackfill          bool
}

func (o origin) backfillID() *int64 {
	if !o.HasBackfill {
		return nil
	}
	id := o.BackfillID
	return &id
}

// groupByOrigin groups re-run run ids by what the runs were before.
func groupByOrigin(runs []BackfillRun) map[origin][]string {
	out := map[origin][]string{}
	for _, r := range runs {
		o := origin{RunType: r.OrigRunType, TriggeredBy: r.OrigTriggeredBy}
		if r.OrigBackfillID != nil {
			o.BackfillID, o.HasBackfill = *r.OrigBackfillID, true
		}
		out[o] = append(out[o], r.RunID)
	}
	return out
}

func joinCols(cols []string) string {
	s := ""
	for i, c := range cols {
		if i > 0 {
			s += ", "
		}
		s += c
	}
	return s
}

func placeholders(n int) string {
	s := ""
	for i := 0; i < n; i++ {
		if i > 0 {
			s += ", "
		}
		s += "?"
	}
	return s
}

// MarkCreatedWithOrigins records, for runs[idx], that they were written and
// what re-run runs were before (for unlinking them on purge). It is a no-op
// for rows not yet inserted (Airflow 3 writes runs before its own rows).
func (t *Tx) MarkCreatedWithOrigins(backfillID string, runs []BackfillRun, idx []int) error {
	var plain []string
	var reruns []BackfillRun
	for _, i := range idx {
		if runs[i].Disposition == DispositionRerun {
			reruns = append(reruns, runs[i])
		} else {
			plain = append(plain, runs[i].RunID)
		}
	}
	// One UPDATE per distinct origin, not one per re-run.
	for o, ids := range groupByOrigin(reruns) {
		for start := 0; start < len(ids); start += 1000 {
			chunk := ids[start:min(start+1000, len(ids))]
			if err := t.db.Exec(`UPDATE dagctl_backfill_run SET created = ?, orig_run_type = ?, orig_triggered_by = ?, orig_backfill_id = ?
				WHERE backfill_id = ? AND run_id IN ?`, t.s.boolArg(true), nullIfEmpty(o.RunType), nullIfEmpty(o.TriggeredBy),
				o.backfillID(), backfillID, chunk).Error; err != nil {
				return fmt.Errorf("mark re-runs: %w", err)
			}
		}
	}
	return t.MarkCreated(backfillID, plain)
}

// RunDBIDs maps run ids of dagID to dag_run.id.
func (t *Tx) RunDBIDs(dagID string, runIDs []string) (map[string]int64, error) {
	runs := make([]NewRun, len(runIDs))
	for i, id := range runIDs {
		runs[i] = NewRun{RunID: id}
	}
	return t.runIDs(dagID, runs)
}

// MarkTaken records that a planned date of a backfill got a run from
// elsewhere (the scheduler, Airflow's UI or API) before the backfill created
// its own: the slot becomes a skip with reason, pointing at that run, as
// Airflow 3 records such a date in backfill_dag_run.exception_reason.
func (t *Tx) MarkTaken(backfillID string, sortOrdinal int, runID, reason string) error {
	if err := t.db.Exec(`UPDATE dagctl_backfill_run SET disposition = ?, skip_reason = ?, run_id = ?, created = ?
		WHERE backfill_id = ? AND sort_ordinal = ?`, DispositionSkip, reason, runID, t.s.boolArg(false),
		backfillID, sortOrdinal).Error; err != nil {
		return fmt.Errorf("record date %d of backfill %q as taken: %w", sortOrdinal, backfillID, err)
	}
	return nil
}
