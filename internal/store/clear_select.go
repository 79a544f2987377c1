package store

import (
	"fmt"
	"time"
)

// RunSelection picks runs of one DAG: by run id, or by logical date range
// (both ends inclusive) and optionally by run state.
type RunSelection struct {
	DagID  string
	RunIDs []string
	From   *time.Time
	To     *time.Time
	States []string
}

// RunRef is a selected run.
type RunRef struct {
	ID          int64
	RunID       string
	State       string
	LogicalDate *time.Time
	BackfillID  *int64
}

// SelectRuns returns the selected runs ordered by logical date, then id.
// Run ids that do not exist are simply absent from the result.
func (t *Tx) SelectRuns(sel RunSelection) ([]RunRef, error) {
	sc := t.s.schema
	ld := sc.LogicalDateColumn()
	q := fmt.Sprintf("SELECT id, run_id, state, %s AS logical_date, %s AS backfill_id FROM dag_run WHERE dag_id = ?",
		ld, optCol(sc, "dag_run", "backfill_id", ""))
	args := []any{sel.DagID}
	if sel.RunIDs != nil {
		q += " AND run_id IN ?"
		args = append(args, sel.RunIDs)
	}
	if sel.From != nil {
		q += " AND " + ld + " >= ?"
		args = append(args, t.s.timeArg(*sel.From))
	}
	if sel.To != nil {
		q += " AND " + ld + " <= ?"
		args = append(args, t.s.timeArg(*sel.To))
	}
	if len(sel.States) > 0 {
		q += " AND state IN ?"
		args = append(args, sel.States)
	}
	q += " ORDER BY " + ld + ", id"
	var rows []struct {
		ID          int64
		RunID       string
		State       *string
		LogicalDate dbTime
		BackfillID  *int64
	}
	if err := t.db.Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read runs of %q: %w", sel.DagID, err)
	}
	out := make([]RunRef, len(rows))
	for i, r := range rows {
		out[i] = RunRef{ID: r.ID, RunID: r.RunID, State: deref(r.State), BackfillID: r.BackfillID}
		if r.LogicalDate.Valid {
			d := r.LogicalDate.Time
			out[i].LogicalDate = &d
		}
	}
	return out, nil
}

// TaskInstanceRef is one task instance of a selected run.
type TaskInstanceRef struct {
	RunID     string
	TaskID    string
	MapIndex  int
	State     string // "" for none
	TryNumber int
}

// TaskInstancesOf returns the task instances of the runs that only keeps,
// ordered by run, task and map index: exactly those ClearRuns with the
// same filter clears.
func (t *Tx) TaskInstancesOf(dagID string, runIDs []string, only TIFilter) ([]TaskInstanceRef, error) {
	if len(runIDs) == 0 || !t.s.schema.HasTable("task_instance") {
		return []TaskInstanceRef{}, nil
	}
	cond, condArgs := only.sql("")
	var rows []struct {
		RunID     string
		TaskID    string
		MapIndex  int
		State     *string
		TryNumber int
	}
	if err := t.db.Raw("SELECT run_id, task_id, map_index, state, try_number FROM task_instance WHERE dag_id = ? AND run_id IN ?"+cond+
		" ORDER BY run_id, task_id, map_index", append([]any{dagID, runIDs}, condArgs...)...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read task instances of %q: %w", dagID, err)
	}
	out := make([]TaskInstanceRef, len(rows))
	for i, r := range rows {
		out[i] = TaskInstanceRef{RunID: r.RunID, TaskID: r.TaskID, MapIndex: r.MapIndex, State: deref(r.State), TryNumber: r.TryNumber}
	}
	return out, nil
}
