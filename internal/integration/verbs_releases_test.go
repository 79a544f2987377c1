package integration

import (
	"maps"
	"slices"
	"testing"

	"github.com/dagctl/dagctl/internal/cli/runs/setstate"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// On the releases without sample-DAG fixtures (2.11.x, 3.0.2, 3.1.0), dags
// pause and runs set-state work on hand-written rows: a DAG, one running run
// with a running and a not-yet-started task instance.
func TestPauseAndSetStateOnEveryRelease(t *testing.T) {
	var targets []target
	for _, d := range []string{dbtest.Postgres, dbtest.SQLite} {
		for _, rel := range dbtest.ReleasesWith(d) {
			// Releases with PostgreSQL sample DAGs are covered by the other tests.
			if !slices.Contains(dbtest.ReleasesWith(dbtest.Postgres, dbtest.WithSampleDAGs()), rel) {
				targets = append(targets, target{d, rel})
			}
		}
	}
	if len(targets) == 0 {
		t.Skip("every release has sample DAGs")
	}
	forEach(t, targets, func(t *testing.T, tg target) {
		db := open(t, tg)
		cols, vals := "dag_id, is_paused, max_active_tasks, max_consecutive_failed_dag_runs, has_task_concurrency_limits", "'fx_hand', ?, 16, 0, ?"
		if tg.Major() == 3 {
			db.SQL(t, "INSERT INTO dag_bundle (name) VALUES ('dags-folder')")
			cols, vals = cols+", bundle_name, is_stale", vals+", 'dags-folder', ?"
		}
		f := false
		args := []any{f, f}
		if tg.Major() == 3 {
			args = append(args, f)
		}
		db.SQL(t, "INSERT INTO dag ("+cols+") VALUES ("+vals+")", args...)
		const runID = "manual__2024-03-01T00:00:00+00:00"
		runCols, runVals := "id, dag_id, run_id, run_type, state, start_date, "+ld(tg), "1, 'fx_hand', ?, 'manual', 'running', '2026-11-23 11:00:00', '2024-03-01 00:00:00'"
		if tg.Major() == 3 {
			runCols, runVals = runCols+", run_after", runVals+", '2024-03-01 00:00:00'"
		}
		db.SQL(t, "INSERT INTO dag_run ("+runCols+") VALUES ("+runVals+")", runID)
		// "fan" is mapped: map index 0 runs, 1 succeeded, 2 has not started.
		tis := []struct {
			task     string
			mapIndex int
			state    any
			try      int
			start    any
		}{
			{"work", -1, "running", 1, "2026-11-23 11:00:01"},
			{"end", -1, nil, 0, nil},
			{"fan", 0, "running", 1, "2026-11-23 11:00:02"},
			{"fan", 1, "success", 1, "2026-11-23 11:00:02"},
			{"fan", 2, nil, 0, nil},
		}
		for i, ti := range tis {
			tc, tv := "task_id, dag_id, run_id, map_index, pool, pool_slots, state, try_number, max_tries, start_date", "?, 'fx_hand', ?, ?, 'default_pool', 1, ?, ?, 0, ?"
			args := []any{ti.task, runID, ti.mapIndex, ti.state, ti.try, ti.start}
			if tg.Major() == 3 {
				tc, tv = "id, "+tc, "?, "+tv
				args = append([]any{q("01939a1e-0000-7000-8000-00000000020%d", i)}, args...)
			}
			db.SQL(t, "INSERT INTO task_instance ("+tc+") VALUES ("+tv+")", args...)
		}
		r := runner(t, db)
		r.MustRun(t, 0, "dags", "pause", "fx_hand")
		if p := text(db.Scalar(t, "SELECT is_paused FROM dag WHERE dag_id = 'fx_hand'")); p != "true" && p != "1" {
			t.Errorf("is_paused = %s after pause", p)
		}
		var res setstate.Result
		r.JSON(t, &res, "runs", "set-state", runID, "--dag-id", "fx_hand", "--state", "failed")
		if res.PreviousState != "running" || res.State != "failed" || len(res.TaskInstances) != 5 {
			t.Errorf("set-state failed: %+v", res)
		}
		got := map[string]string{}
		for _, row := range db.QueryRows(t, "SELECT task_id, map_index, state FROM task_instance") {
			got[text(row[0])+"/"+text(row[1])] = text(row[2])
		}
		// set_dag_run_state_to_failed fails every instance of a task with a
		// running one (mark_tasks.py): fan's finished and pending map indexes too.
		want := map[string]string{"work/-1": "failed", "end/-1": "skipped", "fan/0": "failed", "fan/1": "failed", "fan/2": "failed"}
		if !maps.Equal(got, want) {
			t.Errorf("task instances after set-state failed: %v, want %v", got, want)
		}
		if n := db.ScalarInt(t, "SELECT count(*) FROM task_instance WHERE end_date IS NULL OR start_date IS NULL"); n != 0 {
			t.Errorf("%d task instances without start_date or end_date after set-state failed", n)
		}
		if db.Scalar(t, "SELECT end_date FROM dag_run WHERE id = 1") == nil {
			t.Error("run marked failed has no end_date")
		}
		if n := db.ScalarInt(t, "SELECT count(*) FROM log WHERE event IN ('dagctl.dags.pause', 'dagctl.runs.set_state')"); n != 2 {
			t.Errorf("%d audit rows, want 2", n)
		}
	})
}
