package integration

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/dagctl/dagctl/internal/cli/backfill/action"
	"github.com/dagctl/dagctl/internal/cli/backfill/retry"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// backfill retry clears the failed runs of a backfill in place and it runs
// again: within max_active_runs on Airflow 2 (the rest follow through
// reconcile), linked to the native backfill on Airflow 3. Nothing failed
// or deleted: exit 5.
func TestBackfillRetry(t *testing.T) {
	forEach(t, sampleTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		b := createBackfill(t, r, "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-04", "--max-active-runs", "2")
		r.MustRun(t, 5, "backfill", "retry", b.BackfillDagID) // nothing failed yet
		for i := 0; i < 3; i++ {
			finishRuns(t, db, "fx_daily_cron", "failed")
			r.MustRun(t, 0, "backfill", "reconcile")
		}
		if v := getBackfill(t, r, b.BackfillDagID); v.State != "failed" || v.Progress.Failed != 4 {
			t.Fatalf("before retry: %s %+v", v.State, v.Progress)
		}
		before := db.Checksum(t)
		var dry retry.Result
		r.JSON(t, &dry, "backfill", "retry", b.BackfillDagID, "--dry-run")
		if len(dry.RetriedRuns) != 4 || !dry.DryRun || db.Checksum(t) != before {
			t.Fatalf("dry run: %+v (database changed: %t)", dry, db.Checksum(t) != before)
		}
		var res retry.Result
		r.JSON(t, &res, "backfill", "retry", b.BackfillDagID)
		if len(res.RetriedRuns) != 4 || res.State == "failed" || res.State == "success" {
			t.Fatalf("retry: %+v", res)
		}
		active := func() int64 {
			return db.ScalarInt(t, "SELECT count(*) FROM dag_run WHERE dag_id = 'fx_daily_cron' AND state IN ('queued', 'running')")
		}
		if tg.Major() == 2 {
			if len(res.ClearedRuns) != 2 || active() != 2 {
				t.Errorf("Airflow 2: %d cleared, %d active; want 2 (max_active_runs)", len(res.ClearedRuns), active())
			}
		} else {
			if len(res.ClearedRuns) != 4 || active() != 4 {
				t.Errorf("Airflow 3: %d cleared, %d queued; want 4 (the scheduler meters them)", len(res.ClearedRuns), active())
			}
			if n := db.ScalarInt(t, "SELECT count(*) FROM dag_run WHERE backfill_id IS NOT NULL AND run_type = 'backfill' AND state = 'queued'"); n != 4 {
				t.Errorf("%d queued runs still linked to the native backfill, want 4", n)
			}
			if db.Scalar(t, "SELECT completed_at FROM backfill") != nil {
				t.Error("native backfill still completed after retry")
			}
		}
		if n := db.ScalarInt(t, "SELECT count(*) FROM dag_run WHERE dag_id = 'fx_daily_cron' AND clear_number = 1"); n != int64(len(res.ClearedRuns)) {
			t.Errorf("%d runs with clear_number 1, want %d", n, len(res.ClearedRuns))
		}
		if n := audits(t, db, "dagctl.backfill.retry", "tester"); n != 1 {
			t.Errorf("%d audit rows, want 1", n)
		}
		// The runs succeed this time; on Airflow 2 reconcile clears the rest as slots free up.
		for i := 0; i < 3; i++ {
			finishRuns(t, db, "fx_daily_cron", "success")
			r.MustRun(t, 0, "backfill", "reconcile")
			if tg.Major() == 2 && active() > 2 {
				t.Fatalf("%d runs active, more than max_active_runs 2", active())
			}
		}
		if v := getBackfill(t, r, b.BackfillDagID); v.State != "success" || v.Progress.Success != 4 {
			t.Errorf("after the re-runs succeeded: %s %+v", v.State, v.Progress)
		}
		if n := db.ScalarInt(t, "SELECT count(*) FROM dag_run WHERE dag_id = 'fx_daily_cron'"); n != 4 {
			t.Errorf("%d runs, want the same 4 (retried in place)", n)
		}
		r.MustRun(t, 5, "backfill", "retry", b.BackfillDagID) // nothing failed any more
	})
}

// cancel --terminate marks the running runs failed as set-state failed does;
// plain cancel leaves them running.
func TestBackfillCancelTerminate(t *testing.T) {
	forEach(t, []target{{dbtest.Postgres, "2.10.5"}, {dbtest.Postgres, "3.0.3"}, {dbtest.SQLite, "3.0.3"}}, func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		b := createBackfill(t, r, "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-03", "--max-active-runs", "3")
		first := db.ScalarString(t, q("SELECT run_id FROM dag_run WHERE dag_id = 'fx_daily_cron' ORDER BY %s LIMIT 1", ld(tg)))
		db.SQL(t, "UPDATE dag_run SET state = 'running', start_date = '2026-11-23 10:00:00' WHERE run_id = ?", first)
		tiCols, tiVals := "task_id, dag_id, run_id, map_index, pool, pool_slots, state, try_number, max_tries, hostname, unixname, queue, priority_weight, custom_operator_name, executor_config, start_date", "?, 'fx_daily_cron', ?, -1, 'default_pool', 1, ?, ?, 0, '', 'airflow', 'default', 1, '', ?, ?"
		args := func(i int, task, state string, try int, start any) []any {
			a := []any{task, first, state, try, pickledEmpty, start}
			if tg.Major() == 3 {
				a = append([]any{q("01939a1e-0000-7000-8000-00000000010%d", i)}, a...)
			}
			return a
		}
		if tg.Major() == 3 {
			tiCols, tiVals = "id, "+tiCols, "?, "+tiVals
		}
		db.SQL(t, "DELETE FROM task_instance WHERE run_id = ?", first)
		db.SQL(t, "INSERT INTO task_instance ("+tiCols+") VALUES ("+tiVals+")", args(1, "start", "success", 1, "2026-11-23 10:00:00")...)
		db.SQL(t, "INSERT INTO task_instance ("+tiCols+") VALUES ("+tiVals+")", args(2, "work", "running", 1, "2026-11-23 10:00:01")...)
		before := db.Checksum(t)
		var dry action.CancelResult
		r.JSON(t, &dry, "backfill", "cancel", b.BackfillDagID, "--terminate", "--dry-run")
		if !dry.DryRun || dry.State != "failed" || !slices.Equal(dry.TerminatedRuns, []string{first}) {
			t.Errorf("cancel --terminate --dry-run: dry_run %t, state %s, terminated %v; want true, failed, [%s]", dry.DryRun, dry.State, dry.TerminatedRuns, first)
		}
		if db.Checksum(t) != before {
			t.Fatal("cancel --terminate --dry-run changed the database")
		}
		table := r.MustRun(t, 0, "backfill", "cancel", b.BackfillDagID, "--terminate", "--dry-run").Stdout
		if !strings.Contains(table, first) || !strings.Contains(table, "would terminate") {
			t.Errorf("table output of the dry run does not list the run it would terminate:\n%s", table)
		}
		var res action.CancelResult
		r.JSON(t, &res, "backfill", "cancel", b.BackfillDagID, "--terminate")
		if res.DryRun || !slices.Equal(res.TerminatedRuns, []string{first}) {
			t.Errorf("cancel --terminate: dry_run %t, terminated_runs %v, want false, [%s]", res.DryRun, res.TerminatedRuns, first)
		}
		if s := db.ScalarString(t, "SELECT state FROM dag_run WHERE run_id = ?", first); s != "failed" {
			t.Errorf("running run after cancel --terminate = %s, want failed", s)
		}
		if s := db.ScalarString(t, "SELECT state FROM task_instance WHERE run_id = ? AND task_id = 'work'", first); s != "failed" {
			t.Errorf("running task after cancel --terminate = %s, want failed (so Airflow stops it)", s)
		}
		if db.Scalar(t, "SELECT end_date FROM dag_run WHERE run_id = ?", first) == nil {
			t.Error("terminated run has no end_date")
		}
		if n := db.ScalarInt(t, "SELECT count(*) FROM dag_run WHERE dag_id = 'fx_daily_cron' AND state IN ('queued', 'running')"); n != 0 {
			t.Errorf("%d runs still queued or running", n)
		}
		if n := audits(t, db, "dagctl.backfill.cancel", "tester"); n != 1 {
			t.Errorf("%d audit rows, want 1", n)
		}
		// cancel --terminate, then retry: the cancelled backfill is reopened
		// and its failed runs (the terminated one and those cancel failed) re-run.
		var again retry.Result
		r.JSON(t, &again, "backfill", "retry", b.BackfillDagID)
		if len(again.RetriedRuns) != 3 || !slices.Contains(again.RetriedRuns, first) || again.CancelledAt != nil || again.State == "failed" {
			t.Errorf("retry after cancel --terminate: state %s, cancelled_at %v, retried %v; want the 3 runs re-run, not cancelled",
				again.State, again.CancelledAt, again.RetriedRuns)
		}
		if db.Scalar(t, "SELECT cancelled_at FROM dagctl_backfill") != nil {
			t.Error("dagctl_backfill.cancelled_at still set after retry")
		}
		if s := db.ScalarString(t, "SELECT state FROM dag_run WHERE run_id = ?", first); s != "queued" {
			t.Errorf("terminated run after retry = %s, want queued", s)
		}
		if tg.Major() == 3 {
			if p := text(db.Scalar(t, "SELECT is_paused FROM backfill")); p != "false" && p != "0" {
				t.Errorf("native backfill is_paused = %s after retry, want false (cancel paused it)", p)
			}
			if db.Scalar(t, "SELECT completed_at FROM backfill") != nil {
				t.Error("native backfill still completed after retry")
			}
		}
		// A deleted backfill is not retried.
		r.MustRun(t, 0, "backfill", "cancel", b.BackfillDagID)
		r.MustRun(t, 0, "backfill", "delete", b.BackfillDagID)
		r.MustRun(t, 5, "backfill", "retry", b.BackfillDagID)
	})
}

// On Airflow 3, backfill retry clears as runs clear does: a DAG with
// disable_bundle_versioning keeps its runs' bundle_version (clear_task_instances).
func TestBackfillRetryKeepsBundleVersion(t *testing.T) {
	forEach(t, []target{{dbtest.Postgres, "3.0.3"}, {dbtest.SQLite, "3.0.3"}}, func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		raw := db.ScalarString(t, "SELECT data FROM serialized_dag WHERE dag_id = 'fx_daily_cron'")
		var doc map[string]any
		if err := jsonUnmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		doc["dag"].(map[string]any)["disable_bundle_versioning"] = true
		data, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		db.SQL(t, "UPDATE serialized_dag SET data = ? WHERE dag_id = 'fx_daily_cron'", string(data))
		r := runner(t, db)
		b := createBackfill(t, r, "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-02")
		db.SQL(t, "UPDATE dag_run SET bundle_version = 'v1' WHERE dag_id = 'fx_daily_cron'")
		db.SQL(t, "UPDATE dag SET bundle_version = 'v42' WHERE dag_id = 'fx_daily_cron'")
		finishRuns(t, db, "fx_daily_cron", "failed")
		r.MustRun(t, 0, "backfill", "reconcile")
		var res retry.Result
		r.JSON(t, &res, "backfill", "retry", b.BackfillDagID)
		if len(res.ClearedRuns) != 2 {
			t.Fatalf("retry: %+v", res)
		}
		if n := db.ScalarInt(t, "SELECT count(*) FROM dag_run WHERE dag_id = 'fx_daily_cron' AND state = 'queued' AND bundle_version = 'v1'"); n != 2 {
			t.Errorf("%d re-queued runs kept bundle_version v1, want 2 (disable_bundle_versioning)", n)
		}
	})
}
