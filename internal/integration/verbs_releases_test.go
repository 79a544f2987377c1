package integration

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/dagctl/dagctl/internal/cli/backfill/action"
	"github.com/dagctl/dagctl/internal/cli/backfill/retry"
	"github.com/dagctl/dagctl/internal/cli/runs/clear"
	"github.com/dagctl/dagctl/internal/cli/runs/setstate"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// On the releases without sample-DAG fixtures (2.11.x, 3.0.2, 3.1.0), dags
// pause and runs set-state work on hand-written rows: a DAG, one running run
// with running, finished and not-yet-started task instances (one task
// mapped). Then, with a hand-written serialized DAG, runs clear, backfill
// cancel --terminate and backfill retry write the try history, max_tries
// and the run back to queued.
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
		} else {
			cols, vals = cols+", is_active", vals+", ?"
			args = append(args, true)
		}
		db.SQL(t, "INSERT INTO dag ("+cols+") VALUES ("+vals+")", args...)
		const runID = "manual__2024-03-01T00:00:00+00:00"
		runCols, runVals := "id, dag_id, run_id, run_type, state, start_date, "+ld(tg), "1, 'fx_hand', ?, 'manual', 'running', '2026-11-23 11:00:00', '2024-03-01 00:00:00'"
		if tg.Major() == 3 {
			runCols, runVals = runCols+", run_after", runVals+", '2024-03-01 00:00:00'"
		}
		// id 1 is given, so the sequence still yields 1: the first run
		// `backfill create` writes below collides and its transaction is
		// retried, which must not take the rolled-back dagctl tables for existing.
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

		// runs clear, backfill cancel --terminate and backfill retry read the
		// serialized DAG: work (retries 1) >> end, fan mapped.
		insertHandDAG(t, db, tg)
		// tasks list reads these releases' task instances in the DAG's order.
		listed := r.MustRun(t, 0, "tasks", "list", runID, "--dag-id", "fx_hand", "-o", "json", "--jq", `.[] | "\(.task_id)/\(.map_index)/\(.state)/\(.try_number)"`).Stdout
		if want := "work/-1/failed/1\nend/-1/skipped/0\nfan/0/failed/1\nfan/1/failed/1\nfan/2/failed/0\n"; listed != want {
			t.Errorf("tasks list: %q, want %q", listed, want)
		}
		r.MustRun(t, 0, "dags", "unpause", "fx_hand")
		var cl clear.Result
		r.JSON(t, &cl, "runs", "clear", runID, "--dag-id", "fx_hand")
		if len(cl.Runs) != 1 || len(cl.Runs[0].TaskInstances) != 5 {
			t.Errorf("runs clear: %+v", cl.Runs)
		}
		checkCleared(t, db, "runs clear", runID)

		b := createBackfill(t, r, "--dag-id", "fx_hand", "--start-date", "2024-04-01", "--end-date", "2024-04-02", "--max-active-runs", "2")
		bfRun := db.ScalarString(t, "SELECT run_id FROM dag_run WHERE dag_id = 'fx_hand' AND run_id <> ? ORDER BY "+ld(tg)+" LIMIT 1", runID)
		db.SQL(t, "UPDATE dag_run SET state = 'running', start_date = '2026-11-23 11:00:00' WHERE run_id = ?", bfRun)
		tc, tv := "task_id, dag_id, run_id, map_index, pool, pool_slots, state, try_number, max_tries, start_date", "'work', 'fx_hand', ?, -1, 'default_pool', 1, 'running', 1, 1, '2026-11-23 11:00:01'"
		tiArgs := []any{bfRun}
		if tg.Major() == 3 {
			tc, tv = "id, "+tc, "'01939a1e-0000-7000-8000-000000000301', "+tv
		}
		db.SQL(t, "INSERT INTO task_instance ("+tc+") VALUES ("+tv+")", tiArgs...)
		var c action.CancelResult
		r.JSON(t, &c, "backfill", "cancel", b.BackfillDagID, "--terminate")
		if !slices.Equal(c.TerminatedRuns, []string{bfRun}) {
			t.Errorf("cancel --terminate: terminated_runs %v, want [%s]", c.TerminatedRuns, bfRun)
		}
		if s := db.ScalarString(t, "SELECT state FROM task_instance WHERE run_id = ? AND task_id = 'work'", bfRun); s != "failed" {
			t.Errorf("running task after cancel --terminate = %s, want failed", s)
		}
		var rt retry.Result
		r.JSON(t, &rt, "backfill", "retry", b.BackfillDagID)
		if len(rt.RetriedRuns) != 2 || !slices.Contains(rt.ClearedRuns, bfRun) {
			t.Errorf("backfill retry: retried %v, cleared %v; want 2 runs, %s cleared", rt.RetriedRuns, rt.ClearedRuns, bfRun)
		}
		checkCleared(t, db, "backfill retry", bfRun)
	})
}

// checkCleared checks what clear_task_instances wrote for the run's work
// task instance (try 1, failed, retries 1): a history row of the try,
// max_tries = try_number + retries, state reset; and the run back to queued
// with clear_number 1.
func checkCleared(t *testing.T, db *dbtest.DB, what, runID string) {
	t.Helper()
	if n := db.ScalarInt(t, "SELECT count(*) FROM task_instance_history WHERE run_id = ? AND task_id = 'work' AND try_number = 1 AND state = 'failed'", runID); n != 1 {
		t.Errorf("%s: %d history rows of work's failed try 1, want 1", what, n)
	}
	ti := db.QueryRows(t, "SELECT state, max_tries FROM task_instance WHERE run_id = ? AND task_id = 'work'", runID)
	if len(ti) != 1 || ti[0][0] != nil || text(ti[0][1]) != "2" {
		t.Errorf("%s: work task instance (state, max_tries) = %v, want (NULL, 2)", what, ti)
	}
	run := db.QueryRows(t, "SELECT state, clear_number FROM dag_run WHERE run_id = ?", runID)
	if len(run) != 1 || text(run[0][0]) != "queued" || text(run[0][1]) != "1" {
		t.Errorf("%s: run (state, clear_number) = %v, want (queued, 1)", what, run)
	}
}

// insertHandDAG writes fx_hand's serialized DAG as the release's Airflow
// would (format 1 on 2.x; 3.x with its dag_version row): daily at midnight
// UTC from 2024-01-01, work (retries 1) >> end, and fan mapped.
func insertHandDAG(t *testing.T, db *dbtest.DB, tg target) {
	t.Helper()
	op := func(id string, extra map[string]any, down ...string) map[string]any {
		v := map[string]any{"task_id": id, "downstream_task_ids": down, "pool": "default_pool", "is_setup": false, "is_teardown": false}
		maps.Copy(v, extra)
		return map[string]any{"__type": "operator", "__var": v}
	}
	dag := map[string]any{
		"timezone": "UTC", "start_date": 1704067200.0, "params": []any{},
		"timetable": map[string]any{"__type": "airflow.timetables.interval.CronDataIntervalTimetable",
			"__var": map[string]any{"expression": "0 0 * * *", "timezone": "UTC"}},
		"tasks": []any{op("work", map[string]any{"retries": 1}, "end"), op("end", nil),
			op("fan", map[string]any{"_is_mapped": true, "partial_kwargs": map[string]any{}})},
	}
	version := 1
	if tg.Major() == 2 {
		dag["_dag_id"] = "fx_hand"
	} else {
		dag["dag_id"], dag["catchup"] = "fx_hand", true
		version = 2
	}
	data, err := json.Marshal(map[string]any{"__version": version, "dag": dag})
	if err != nil {
		t.Fatal(err)
	}
	const when = "2026-11-23 10:00:00"
	if tg.Major() == 2 {
		db.SQL(t, "INSERT INTO serialized_dag (dag_id, fileloc, fileloc_hash, data, last_updated, dag_hash) VALUES ('fx_hand', '/dags/fx_hand.py', 1, ?, ?, 'a0000000000000000000000000000000')",
			string(data), when)
		return
	}
	// Airflow's UUIDType: uuid on PostgreSQL, 32 hex digits on SQLite.
	versionID, serialID := "01939a1e-0000-7000-8000-000000000401", "01939a1e-0000-7000-8000-000000000402"
	if tg.SQL() == dbtest.SQLite {
		versionID, serialID = strings.ReplaceAll(versionID, "-", ""), strings.ReplaceAll(serialID, "-", "")
	}
	db.SQL(t, "INSERT INTO dag_version (id, version_number, dag_id, bundle_name, created_at, last_updated) VALUES (?, 1, 'fx_hand', 'dags-folder', ?, ?)",
		versionID, when, when)
	db.SQL(t, "INSERT INTO serialized_dag (id, dag_id, data, created_at, last_updated, dag_hash, dag_version_id) VALUES (?, 'fx_hand', ?, ?, ?, 'a0000000000000000000000000000000', ?)",
		serialID, string(data), when, when, versionID)
}
