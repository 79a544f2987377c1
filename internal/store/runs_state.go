package store

import (
	"fmt"
	"slices"
	"strings"
)

// Task instance states Airflow groups (airflow/utils/state.py).
var (
	// FinishedTIStates is State.finished.
	FinishedTIStates = []string{"success", "failed", "skipped", "upstream_failed", "removed"}
	// RunningTIStates are the states set_dag_run_state_to_failed marks failed.
	RunningTIStates = []string{"running", "deferred", "up_for_reschedule"}
)

// TIMatch selects task instances of one run by task and state.
type TIMatch struct {
	// TaskIDs, when not nil, keeps these tasks only; ExceptTaskIDs drops these.
	TaskIDs       []string
	ExceptTaskIDs []string
	// States keeps task instances in these states; NotStates keeps those
	// with no state or a state not in the list. Set one of them.
	States    []string
	NotStates []string
}

func (m TIMatch) sql() (string, []any) {
	var b strings.Builder
	var args []any
	if m.TaskIDs != nil {
		if len(m.TaskIDs) == 0 {
			b.WriteString(" AND 1 = 0")
		} else {
			b.WriteString(" AND task_id IN ?")
			args = append(args, m.TaskIDs)
		}
	}
	if len(m.ExceptTaskIDs) > 0 {
		b.WriteString(" AND task_id NOT IN ?")
		args = append(args, m.ExceptTaskIDs)
	}
	if len(m.States) > 0 {
		b.WriteString(" AND state IN ?")
		args = append(args, m.States)
	}
	if len(m.NotStates) > 0 {
		b.WriteString(" AND (state IS NULL OR state NOT IN ?)")
		args = append(args, m.NotStates)
	}
	return b.String(), args
}

// MatchTaskInstances returns the task instances of the run that m selects.
func (t *Tx) MatchTaskInstances(dagID, runID string, m TIMatch) ([]TaskInstanceRef, error) {
	if !t.s.schema.HasTable("task_instance") {
		return []TaskInstanceRef{}, nil
	}
	cond, args := m.sql()
	var rows []struct {
		RunID     string
		TaskID    string
		MapIndex  int
		State     *string
		TryNumber int
	}
	if err := t.db.Raw("SELECT run_id, task_id, map_index, state, try_number FROM task_instance WHERE dag_id = ? AND run_id = ?"+cond+
		" ORDER BY task_id, map_index", append([]any{dagID, runID}, args...)...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read task instances of run %q: %w", runID, err)
	}
	out := make([]TaskInstanceRef, len(rows))
	for i, r := range rows {
		out[i] = TaskInstanceRef{RunID: r.RunID, TaskID: r.TaskID, MapIndex: r.MapIndex, State: deref(r.State), TryNumber: r.TryNumber}
	}
	return out, nil
}

// SetTaskInstancesState sets the selected task instances to a finished
// state as TaskInstance.set_state does (airflow/models/taskinstance.py):
// start_date = start_date or now, end_date = end_date or now, duration =
// end_date - start_date; try_number, max_tries and the rest stay.
func (t *Tx) SetTaskInstancesState(dagID, runID string, m TIMatch, state string) error {
	if !slices.Contains(FinishedTIStates, state) {
		return fmt.Errorf("set task instances: %q is not a finished state", state)
	}
	sc := t.s.schema
	now := t.s.timeArg(t.Now)
	set := "state = ?, start_date = COALESCE(start_date, ?), end_date = COALESCE(end_date, ?)"
	args := []any{state, now, now}
	if sc.Has("task_instance", "duration") {
		lit := t.nowLiteral()
		set += ", duration = " + t.s.secondsBetween("COALESCE(start_date, "+lit+")", "COALESCE(end_date, "+lit+")")
	}
	if sc.Has("task_instance", "updated_at") {
		set += ", updated_at = ?"
		args = append(args, now)
	}
	cond, condArgs := m.sql()
	args = append(args, dagID, runID)
	args = append(args, condArgs...)
	if err := t.db.Exec("UPDATE task_instance SET "+set+" WHERE dag_id = ? AND run_id = ?"+cond, args...).Error; err != nil {
		return fmt.Errorf("set task instances of run %q to %s: %w", runID, state, err)
	}
	return nil
}

// nowLiteral is the transaction's clock as an SQL literal of the dialect's
// timestamp type, for expressions that use it more than once (it is made
// from a time.Time, never from input).
func (t *Tx) nowLiteral() string {
	switch t.s.dialect {
	case DialectSQLite:
		return "'" + t.Now.UTC().Format(sqliteTimeLayout) + "'"
	case DialectMySQL:
		// The session's time_zone is UTC (as Airflow sets it), so a
		// DATETIME(6) literal compares with TIMESTAMP(6) columns in UTC.
		return "CAST('" + t.Now.UTC().Format("2006-01-02 15:04:05.000000") + "' AS DATETIME(6))"
	}
	return "CAST('" + t.Now.UTC().Format("2006-01-02 15:04:05.000000") + "+00' AS TIMESTAMP WITH TIME ZONE)"
}

// secondsBetween is the SQL for (to - from) in seconds, as a float; from and
// to are expressions without placeholders (they may appear twice).
func (s *Store) secondsBetween(from, to string) string {
	if s.dialect == DialectMySQL {
		return "(TIMESTAMPDIFF(MICROSECOND, " + from + ", " + to + ") / 1000000.0)"
	}
	if s.dialect == DialectSQLite {
		// Whole seconds from strftime, the microseconds from the text
		// (SQLAlchemy's "YYYY-MM-DD HH:MM:SS.ffffff"): julianday's float
		// days would lose them.
		return "ROUND((strftime('%s', substr(" + to + ", 1, 19)) - strftime('%s', substr(" + from + ", 1, 19)))" +
			" + (CAST(substr(" + to + ", 20) AS REAL) - CAST(substr(" + from + ", 20) AS REAL)), 6)"
	}
	return "EXTRACT(EPOCH FROM (" + to + " - " + from + "))"
}

var finishedRunStates = []string{"success", "failed"}

// SetRunState changes a run's state as DagRun.set_state does
// (airflow/models/dagrun.py): to queued, queued_at is now and a run that had
// started loses start_date and end_date; to success or failed, end_date is
// now unless the run had already finished. Nothing else changes
// (last_scheduling_decision and clear_number stay). from is the run's
// current state; the same state writes nothing.
func (t *Tx) SetRunState(dagID, runID, from, to string) error {
	if from == to {
		return nil
	}
	now := t.s.timeArg(t.Now)
	set := "state = ?"
	args := []any{to}
	switch {
	case to == "queued":
		set += ", queued_at = ?"
		args = append(args, now)
		if from == "running" || slices.Contains(finishedRunStates, from) {
			set += ", start_date = NULL, end_date = NULL"
		}
	case slices.Contains(finishedRunStates, to) && !slices.Contains(finishedRunStates, from):
		set += ", end_date = ?"
		args = append(args, now)
	}
	if t.s.schema.Has("dag_run", "updated_at") {
		set += ", updated_at = ?"
		args = append(args, now)
	}
	args = append(args, dagID, runID)
	if err := t.db.Exec("UPDATE dag_run SET "+set+" WHERE dag_id = ? AND run_id = ?", args...).Error; err != nil {
		return fmt.Errorf("set run %q to %s: %w", runID, to, err)
	}
	return nil
}
