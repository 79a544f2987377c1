package integration

import (
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// Re-running a finished run clears it as Airflow's clear does: each try goes
// to task_instance_history, the task instances are reset (and, on Airflow 3,
// get new ids), the run is queued again with clear_number + 1.
func TestReprocessClearsLikeAirflow(t *testing.T) {
	for _, rel := range []string{"2.10.5", "3.0.3"} {
		t.Run(rel, func(t *testing.T) {
			db := dbtest.NewPostgres(t, rel, dbtest.WithReferenceRuns())
			r := runner(t, db)
			var runID string
			if rel == "2.10.5" {
				runID = db.ScalarString(t, "SELECT run_id FROM dag_run WHERE id = 1")
				db.SQL(t, "UPDATE dag_run SET execution_date = '2024-06-15 00:00:00+00' WHERE id = 1")
			} else {
				runID = db.ScalarString(t, "SELECT run_id FROM dag_run WHERE logical_date = '2024-02-01 00:00:00+00'")
				db.SQL(t, "UPDATE backfill SET completed_at = now()") // Airflow's own backfill is over
			}
			tis := db.ScalarInt(t, "SELECT count(*) FROM task_instance WHERE run_id = ?", runID)
			if tis == 0 {
				t.Fatal("the reference run has no task instances")
			}
			db.SQL(t, "UPDATE dag_run SET state = 'success', start_date = '2024-07-01 00:00:00+00', end_date = '2024-07-01 00:10:00+00' WHERE run_id = ?", runID)
			db.SQL(t, "UPDATE task_instance SET state = 'success', try_number = 1, max_tries = 0, start_date = '2024-07-01 00:00:00+00', end_date = '2024-07-01 00:05:00+00', duration = 300 WHERE run_id = ?", runID)
			oldIDs := map[string]bool{}
			if rel != "2.10.5" {
				for _, row := range db.QueryRows(t, "SELECT id::text FROM task_instance WHERE run_id = ?", runID) {
					oldIDs[text(row[0])] = true
				}
			}
			day := map[string]string{"2.10.5": "2024-06-15", "3.0.3": "2024-02-01"}[rel]
			r.MustRun(t, 0, "backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", day, "--end-date", day, "--reprocess", "completed")

			run := db.QueryRows(t, "SELECT state, clear_number, start_date, end_date FROM dag_run WHERE run_id = ?", runID)[0]
			if text(run[0]) != "queued" || text(run[1]) != "1" || run[2] != nil || run[3] != nil {
				t.Errorf("run after clear = %v, want queued, clear_number 1, no dates", run)
			}
			if n := db.ScalarInt(t, "SELECT count(*) FROM task_instance WHERE run_id = ? AND state IS NULL AND max_tries >= 1", runID); n != tis {
				t.Errorf("%d of %d task instances reset", n, tis)
			}
			hist := db.QueryRows(t, "SELECT state, try_number, duration FROM task_instance_history WHERE run_id = ?", runID)
			if int64(len(hist)) != tis {
				t.Fatalf("%d history rows, want %d", len(hist), tis)
			}
			for _, h := range hist {
				if text(h[0]) != "success" || text(h[1]) != "1" || text(h[2]) != "300" {
					t.Errorf("history row = %v, want the successful first try", h)
				}
			}
			if rel != "2.10.5" {
				for _, row := range db.QueryRows(t, "SELECT id::text FROM task_instance WHERE run_id = ?", runID) {
					if oldIDs[text(row[0])] {
						t.Errorf("task instance kept its id %s", text(row[0]))
					}
				}
				for _, row := range db.QueryRows(t, "SELECT task_instance_id::text FROM task_instance_history WHERE run_id = ?", runID) {
					if !oldIDs[text(row[0])] {
						t.Errorf("history row's task_instance_id %s is not the try's id", text(row[0]))
					}
				}
			}
		})
	}
}

// The same on SQLite, with a task instance written the way Airflow writes one.
func TestReprocessClearsOnSQLite(t *testing.T) {
	for _, rel := range []string{"2.10.5", "3.0.3"} {
		t.Run(rel, func(t *testing.T) {
			db := dbtest.NewSQLite(t, rel, dbtest.WithSampleDAGs())
			r := runner(t, db)
			r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_tags_params", "--prefix", "old", "--start-date", "2024-02-01T01:30", "--end-date", "2024-02-01T01:30")
			runID := "old_0000001_2024-02-01T01:30:00+00:00"
			db.SQL(t, "UPDATE dag_run SET state = 'success' WHERE run_id = ?", runID)
			oldID := "01939a1e-0000-7000-8000-000000000001"
			if rel == "2.10.5" {
				db.SQL(t, `INSERT INTO task_instance (task_id, dag_id, run_id, map_index, pool, pool_slots, state, try_number, max_tries, start_date, end_date, duration)
					VALUES ('load', 'fx_tags_params', ?, -1, 'default_pool', 1, 'success', 1, 0, '2024-07-01 00:00:00.000000', '2024-07-01 00:05:00.000000', 300)`, runID)
			} else {
				db.SQL(t, `INSERT INTO task_instance (id, task_id, dag_id, run_id, map_index, pool, pool_slots, state, try_number, max_tries, start_date, end_date, duration)
					VALUES (?, 'load', 'fx_tags_params', ?, -1, 'default_pool', 1, 'success', 1, 0, '2024-07-01 00:00:00.000000', '2024-07-01 00:05:00.000000', 300)`, oldID, runID)
			}
			r.MustRun(t, 0, "backfill", "create", "--dag-id", "fx_tags_params", "--start-date", "2024-02-01T01:30", "--end-date", "2024-02-01T01:30", "--reprocess", "completed")
			if s := db.Scalar(t, "SELECT state FROM task_instance WHERE run_id = ?", runID); s != nil {
				t.Errorf("task instance state = %v, want NULL", s)
			}
			// The task has retries=2 (default_args): max_tries = try_number + retries.
			if n := db.ScalarInt(t, "SELECT max_tries FROM task_instance WHERE run_id = ?", runID); n != 3 {
				t.Errorf("max_tries = %d, want 1 + 2 retries", n)
			}
			if n := db.ScalarInt(t, "SELECT count(*) FROM task_instance_history WHERE run_id = ? AND state = 'success' AND try_number = 1", runID); n != 1 {
				t.Errorf("history rows = %d, want 1", n)
			}
			if rel == "3.0.3" {
				newID := db.ScalarString(t, "SELECT id FROM task_instance WHERE run_id = ?", runID)
				if newID == oldID || len(newID) != 36 || newID[14] != '7' {
					t.Errorf("task instance id = %q, want a new dashed uuid7", newID)
				}
				if got := db.ScalarString(t, "SELECT task_instance_id FROM task_instance_history WHERE run_id = ?", runID); got != oldID {
					t.Errorf("history task_instance_id = %q, want %q", got, oldID)
				}
			}
		})
	}
}

// The same on MySQL (MariaDB, server zone +05:30), on Airflow 2.10.5's own
// reference run: a finished try is copied to task_instance_history as it was,
// an unfinished one is recorded failed with end_date now and its duration.
func TestReprocessClearsOnMySQL(t *testing.T) {
	db := dbtest.NewMySQL(t, "2.10.5", dbtest.WithReferenceRuns())
	r := runner(t, db)
	runID := db.ScalarString(t, "SELECT run_id FROM dag_run WHERE id = 1")
	db.SQL(t, "UPDATE dag_run SET execution_date = '2024-06-15 00:00:00', state = 'success', start_date = '2024-07-01 00:00:00', end_date = '2024-07-01 00:10:00' WHERE id = 1")
	tasks := db.QueryRows(t, "SELECT task_id FROM task_instance WHERE run_id = ? ORDER BY task_id", runID)
	if len(tasks) != 2 {
		t.Fatalf("reference run has %d task instances, want 2", len(tasks))
	}
	done, running := text(tasks[0][0]), text(tasks[1][0])
	db.SQL(t, "UPDATE task_instance SET state = 'success', try_number = 1, max_tries = 0, start_date = '2024-07-01 00:00:00', end_date = '2024-07-01 00:05:00', duration = 300 WHERE run_id = ? AND task_id = ?", runID, done)
	// Airflow 2 restarts a running task instance that has a job, and its job.
	db.SQL(t, "INSERT INTO job (id, dag_id, state, job_type) VALUES (900, 'fx_daily_cron', 'running', 'LocalTaskJob')")
	db.SQL(t, "UPDATE task_instance SET state = 'running', try_number = 1, max_tries = 0, start_date = '2024-07-01 00:00:00', job_id = 900 WHERE run_id = ? AND task_id = ?", runID, running)
	r.MustRun(t, 0, "backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-06-15", "--end-date", "2024-06-15", "--reprocess", "completed")

	run := db.QueryRows(t, "SELECT state, clear_number, start_date, end_date, queued_at FROM dag_run WHERE run_id = ?", runID)[0]
	if text(run[0]) != "queued" || text(run[1]) != "1" || run[2] != nil || run[3] != nil || text(run[4]) != "2026-11-23 12:00:00 +0000 UTC" {
		t.Errorf("run after clear = %v, want queued, clear_number 1, no dates, queued now (UTC)", run)
	}
	if s := db.ScalarString(t, "SELECT state FROM task_instance WHERE run_id = ? AND task_id = ?", runID, done); s != "" {
		t.Errorf("finished task instance state %q, want NULL", s)
	}
	if s := db.ScalarString(t, "SELECT state FROM task_instance WHERE run_id = ? AND task_id = ?", runID, running); s != "restarting" {
		t.Errorf("running task instance state %q, want restarting", s)
	}
	if s := db.ScalarString(t, "SELECT state FROM job WHERE id = 900"); s != "restarting" {
		t.Errorf("job of the running task instance %q, want restarting", s)
	}
	hist := db.QueryRows(t, "SELECT task_id, state, try_number, duration, end_date FROM task_instance_history WHERE run_id = ? ORDER BY task_id", runID)
	if len(hist) != 2 {
		t.Fatalf("%d history rows, want 2", len(hist))
	}
	if text(hist[0][1]) != "success" || text(hist[0][2]) != "1" || text(hist[0][3]) != "300" {
		t.Errorf("history of the finished try = %v", hist[0])
	}
	// 2024-07-01 00:00 UTC to the clock, 2026-11-23 12:00 UTC.
	want := float64(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC).Sub(time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)) / time.Second)
	got, _ := strconv.ParseFloat(text(hist[1][3]), 64)
	if text(hist[1][1]) != "failed" || math.Abs(got-want) > 10 || text(hist[1][4]) != "2026-11-23 12:00:00 +0000 UTC" {
		t.Errorf("history of the unfinished try = %v, want failed, %.0f s, ended now (UTC)", hist[1], want)
	}
}
