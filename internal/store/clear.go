package store

import (
	"fmt"
	"sort"
	"strings"
)

// RunOrigin is what a re-run run was before a backfill took it over.
type RunOrigin struct {
	RunType     string
	TriggeredBy string
	BackfillID  *int64
}

// ClearRunsRequest re-runs existing runs the way Airflow's clear does.
type ClearRunsRequest struct {
	DagID  string
	RunIDs []string
	// Retries are each task's retries: max_tries becomes try_number + retries,
	// as clear_task_instances sets it; tasks not listed keep
	// max(max_tries, try_number), Airflow's rule when the task is gone.
	Retries map[string]int
	// Airflow 3: link the runs to the native backfill, as _handle_clear_run
	// does (run_type backfill, triggered_by BACKFILL, backfill_id).
	LinkBackfillID *int64
}

// ClearRuns resets finished runs and their task instances so the scheduler
// runs them again, following clear_task_instances
// (airflow/models/taskinstance.py, 2.10 and 3.0):
//   - task instances: running ones become restarting; the others get state
//     NULL, max_tries = try_number + the task's retries,
//     external_executor_id, next_method and next_kwargs NULL; their
//     task_reschedule rows are deleted;
//   - a success or failed run becomes queued: queued_at now, start_date and
//     end_date NULL, last_scheduling_decision NULL, clear_number + 1.
//
// Each try is first recorded in task_instance_history (record_ti) and, on
// Airflow 3, the task instance then gets a new id (prepare_db_for_next_try).
// It returns each run's origin, for restoring it when the backfill is purged.
func (t *Tx) ClearRuns(req ClearRunsRequest) (map[string]RunOrigin, error) {
	sc := t.s.schema
	origins := map[string]RunOrigin{}
	if len(req.RunIDs) == 0 {
		return origins, nil
	}
	now := t.s.timeArg(t.Now)
	type row struct {
		RunID       string
		RunType     string
		TriggeredBy *string
		BackfillID  *int64
	}
	var rows []row
	q := fmt.Sprintf("SELECT run_id, run_type, %s AS triggered_by, %s AS backfill_id FROM dag_run WHERE dag_id = ? AND run_id IN ?",
		optCol(sc, "dag_run", "triggered_by", ""), optCol(sc, "dag_run", "backfill_id", ""))
	if err := t.db.Raw(q, req.DagID, req.RunIDs).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read runs to clear: %w", err)
	}
	for _, r := range rows {
		origins[r.RunID] = RunOrigin{RunType: r.RunType, TriggeredBy: deref(r.TriggeredBy), BackfillID: r.BackfillID}
	}
	if sc.HasTable("task_instance") {
		if err := t.recordTaskInstanceHistory(req.DagID, req.RunIDs); err != nil {
			return nil, err
		}
		if err := t.db.Exec("UPDATE task_instance SET state = 'restarting' WHERE dag_id = ? AND run_id IN ? AND state = 'running'",
			req.DagID, req.RunIDs).Error; err != nil {
			return nil, fmt.Errorf("clear running task instances: %w", err)
		}
		args := []any{}
		maxTries := "CASE WHEN try_number > max_tries THEN try_number ELSE max_tries END"
		if len(req.Retries) > 0 {
			var b strings.Builder
			b.WriteString("CASE task_id")
			for _, id := range sortedKeys(req.Retries) {
				b.WriteString(" WHEN ? THEN try_number + ?")
				args = append(args, id, req.Retries[id])
			}
			b.WriteString(" ELSE " + maxTries + " END")
			maxTries = b.String()
		}
		set := "state = NULL, max_tries = " + maxTries
		for _, c := range []string{"external_executor_id", "next_method", "next_kwargs"} {
			if sc.Has("task_instance", c) {
				set += ", " + c + " = NULL"
			}
		}
		if sc.Has("task_instance", "updated_at") {
			set += ", updated_at = ?"
		}
		if sc.Has("task_instance", "updated_at") {
			args = append(args, now)
		}
		args = append(args, req.DagID, req.RunIDs)
		if err := t.db.Exec("UPDATE task_instance SET "+set+" WHERE dag_id = ? AND run_id IN ? AND (state IS NULL OR state <> 'restarting')", args...).Error; err != nil {
			return nil, fmt.Errorf("clear task instances: %w", err)
		}
		if sc.Has("task_reschedule", "run_id") {
			if err := t.db.Exec("DELETE FROM task_reschedule WHERE dag_id = ? AND run_id IN ?", req.DagID, req.RunIDs).Error; err != nil {
				return nil, fmt.Errorf("clear task reschedules: %w", err)
			}
		} else if sc.Has("task_reschedule", "ti_id") && sc.Has("task_instance", "id") {
			if err := t.db.Exec("DELETE FROM task_reschedule WHERE ti_id IN (SELECT id FROM task_instance WHERE dag_id = ? AND run_id IN ?)", req.DagID, req.RunIDs).Error; err != nil {
				return nil, fmt.Errorf("clear task reschedules: %w", err)
			}
		}
		if err := t.renewTaskInstanceIDs(req.DagID, req.RunIDs); err != nil {
			return nil, err
		}
	}
	if err := t.db.Exec(`UPDATE dag_run SET state = 'queued', queued_at = ?, start_date = NULL, end_date = NULL,
		last_scheduling_decision = NULL, clear_number = clear_number + 1, updated_at = ?
		WHERE dag_id = ? AND run_id IN ? AND state IN ('success', 'failed')`, now, now, req.DagID, req.RunIDs).Error; err != nil {
		return nil, fmt.Errorf("clear runs: %w", err)
	}
	if req.LinkBackfillID != nil && sc.Has("dag_run", "backfill_id") {
		if err := t.db.Exec("UPDATE dag_run SET backfill_id = ?, run_type = 'backfill', triggered_by = 'BACKFILL' WHERE dag_id = ? AND run_id IN ?",
			*req.LinkBackfillID, req.DagID, req.RunIDs).Error; err != nil {
			return nil, fmt.Errorf("link re-runs to backfill: %w", err)
		}
	}
	return origins, nil
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
