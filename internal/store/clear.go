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
	// KeepBundleVersion leaves dag_run.bundle_version as it is (the DAG's
	// disable_bundle_versioning); otherwise a queued run takes the dag row's
	// bundle_version when it has one (3.x clear_task_instances).
	KeepBundleVersion bool
	// Only narrows the task instances cleared (zero value: all of the runs').
	// Runs are queued only when they have a task instance to clear, as
	// clear_task_instances queues the runs of the task instances it clears.
	Only TIFilter
}

// TIFilter narrows the task instances of a clear, as DAG.clear selects them
// (airflow/models/dag.py): task_ids of the (partial) DAG, only_failed.
type TIFilter struct {
	// TaskIDs, when not nil, keeps these task ids only.
	TaskIDs []string
	// OnlyFailed keeps failed and upstream_failed task instances.
	OnlyFailed bool
}

func (f TIFilter) empty() bool { return f.TaskIDs == nil && !f.OnlyFailed }

// sql returns the filter as " AND ..." on the columns of alias (e.g. "ti."),
// with its arguments.
func (f TIFilter) sql(alias string) (string, []any) {
	var b strings.Builder
	var args []any
	if f.TaskIDs != nil {
		if len(f.TaskIDs) == 0 {
			b.WriteString(" AND 1 = 0")
		} else {
			b.WriteString(" AND " + alias + "task_id IN ?")
			args = append(args, f.TaskIDs)
		}
	}
	if f.OnlyFailed {
		b.WriteString(" AND " + alias + "state IN ('failed', 'upstream_failed')")
	}
	return b.String(), args
}

// ClearRuns resets finished runs and their task instances so the scheduler
// runs them again, following clear_task_instances
// (airflow/models/taskinstance.py, 2.10 and 3.0):
//   - task instances: running ones become restarting (Airflow 2: only those
//     with a job_id, whose job becomes restarting too); the others get state
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
		// The filter is read before any state changes, so every statement
		// below acts on the same task instances.
		only, onlyArgs := req.Only.sql("")
		if !req.Only.empty() {
			var keep []string
			if err := t.db.Raw("SELECT DISTINCT run_id FROM task_instance WHERE dag_id = ? AND run_id IN ?"+only,
				append([]any{req.DagID, req.RunIDs}, onlyArgs...)...).Scan(&keep).Error; err != nil {
				return nil, fmt.Errorf("read task instances to clear: %w", err)
			}
			req.RunIDs = keep
			if len(keep) == 0 {
				return origins, nil
			}
		}
		if err := t.recordTaskInstanceHistory(req.DagID, req.RunIDs, req.Only); err != nil {
			return nil, err
		}
		if sc.Has("task_reschedule", "run_id") {
			tiOnly, tiArgs := req.Only.sql("ti.")
			if err := t.db.Exec(`DELETE FROM task_reschedule WHERE dag_id = ? AND run_id IN ? AND EXISTS (SELECT 1 FROM task_instance ti
				WHERE ti.dag_id = task_reschedule.dag_id AND ti.run_id = task_reschedule.run_id AND ti.task_id = task_reschedule.task_id
				AND ti.map_index = task_reschedule.map_index`+tiOnly+")", append([]any{req.DagID, req.RunIDs}, tiArgs...)...).Error; err != nil {
				return nil, fmt.Errorf("clear task reschedules: %w", err)
			}
		} else if sc.Has("task_reschedule", "ti_id") && sc.Has("task_instance", "id") {
			if err := t.db.Exec("DELETE FROM task_reschedule WHERE ti_id IN (SELECT id FROM task_instance WHERE dag_id = ? AND run_id IN ?"+only+")",
				append([]any{req.DagID, req.RunIDs}, onlyArgs...)...).Error; err != nil {
				return nil, fmt.Errorf("clear task reschedules: %w", err)
			}
		}
		if err := t.renewTaskInstanceIDs(req.DagID, req.RunIDs, req.Only); err != nil {
			return nil, err
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
			args = append(args, now)
		}
		args = append(args, req.DagID, req.RunIDs)
		args = append(args, onlyArgs...)
		if err := t.db.Exec("UPDATE task_instance SET "+set+" WHERE dag_id = ? AND run_id IN ? AND (state IS NULL OR state <> 'running')"+only, args...).Error; err != nil {
			return nil, fmt.Errorf("clear task instances: %w", err)
		}
		// Running task instances are not reset: they become restarting so
		// their task is stopped. Airflow 2 (task_instance.job_id) does that
		// only for those with a job, and sets the job restarting too; one
		// without a job stays running. Airflow 3 restarts every running one.
		// (clear_task_instances, airflow/models/taskinstance.py in 2.10,
		// airflow-core/src/airflow/models/taskinstance.py in 3.0.)
		restart := "state = 'running'"
		if sc.Has("task_instance", "job_id") && sc.Has("job", "state") {
			restart += " AND job_id IS NOT NULL"
			if err := t.db.Exec("UPDATE job SET state = 'restarting' WHERE id IN (SELECT job_id FROM task_instance WHERE dag_id = ? AND run_id IN ? AND "+restart+only+")",
				append([]any{req.DagID, req.RunIDs}, onlyArgs...)...).Error; err != nil {
				return nil, fmt.Errorf("restart jobs of running task instances: %w", err)
			}
		}
		if err := t.db.Exec("UPDATE task_instance SET state = 'restarting' WHERE dag_id = ? AND run_id IN ? AND "+restart+only,
			append([]any{req.DagID, req.RunIDs}, onlyArgs...)...).Error; err != nil {
			return nil, fmt.Errorf("clear running task instances: %w", err)
		}
	}
	bundle := ""
	if !req.KeepBundleVersion && sc.Has("dag_run", "bundle_version") && sc.Has("dag", "bundle_version") {
		// Airflow 3 re-runs a cleared run on the DAG's current bundle
		// version, when it has one and the DAG does not disable versioning.
		bundle = ", bundle_version = COALESCE((SELECT d.bundle_version FROM dag d WHERE d.dag_id = dag_run.dag_id), dag_run.bundle_version)"
	}
	if err := t.db.Exec(`UPDATE dag_run SET state = 'queued', queued_at = ?, start_date = NULL, end_date = NULL,
		last_scheduling_decision = NULL, clear_number = clear_number + 1, updated_at = ?`+bundle+`
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
