package integration

import (
	"reflect"
	"strings"
	"testing"

	"github.com/dagctl/dagctl/internal/cli/runs/clear"
	"github.com/dagctl/dagctl/internal/cli/runs/setstate"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// runs clear and set-state on every database with the sample DAGs
// (PostgreSQL and SQLite, 2.x and 3.x): the dry run selects exactly what the
// real command clears, and the rows end as Airflow's functions leave them.
func TestRunsClearAndSetStateEverywhere(t *testing.T) {
	forEach(t, sampleTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		ids := seedVerbRuns(t, tg, db)
		r := runner(t, db)
		if tg.Major() == 3 {
			// A versioned bundle: the cleared run re-runs on the DAG's current version.
			db.SQL(t, "UPDATE dag SET bundle_version = 'v42' WHERE dag_id = 'fx_daily_cron'")
		}
		sel := []string{"runs", "clear", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-01-03", "--state", "failed,success", "--only-failed"}
		var dry, real clear.Result
		r.JSON(t, &dry, append(sel, "--dry-run")...)
		r.JSON(t, &real, sel...)
		if !dry.DryRun || real.DryRun {
			t.Errorf("dry_run flags: %t, %t", dry.DryRun, real.DryRun)
		}
		dry.DryRun = false
		if !reflect.DeepEqual(dry, real) {
			t.Errorf("dry run selected %+v, the real clear %+v", dry, real)
		}
		if len(real.Runs) != 1 || real.Runs[0].RunID != ids[1] || len(real.Runs[0].TaskInstances) != 1 ||
			real.Runs[0].TaskInstances[0].TaskID != "work" || real.Runs[0].TaskInstances[0].State != "failed" {
			t.Fatalf("cleared %+v, want only work of %s", real.Runs, ids[1])
		}
		run := db.QueryRows(t, "SELECT state, clear_number, start_date, end_date FROM dag_run WHERE run_id = ?", ids[1])[0]
		if text(run[0]) != "queued" || text(run[1]) != "1" || run[2] != nil || run[3] != nil {
			t.Errorf("cleared run = %v, want queued, clear_number 1, no dates", run)
		}
		ti := db.QueryRows(t, "SELECT state, try_number, max_tries FROM task_instance WHERE run_id = ? AND task_id = 'work'", ids[1])[0]
		if ti[0] != nil || text(ti[1]) != "1" || text(ti[2]) != "1" {
			t.Errorf("cleared work = %v, want no state, try 1, max_tries 1", ti)
		}
		if tg.Major() == 3 {
			if got := text(db.Scalar(t, "SELECT bundle_version FROM dag_run WHERE run_id = ?", ids[1])); got != "v42" {
				t.Errorf("cleared run bundle_version = %q, want the dag's v42", got)
			}
			if n := db.ScalarInt(t, "SELECT count(*) FROM dag_run WHERE bundle_version IS NOT NULL"); n != 1 {
				t.Errorf("%d runs with a bundle_version, want only the cleared one", n)
			}
		}
		if s := text(db.Scalar(t, "SELECT state FROM task_instance WHERE run_id = ? AND task_id = 'start'", ids[1])); s != "success" {
			t.Errorf("start of the cleared run = %s, want untouched success", s)
		}
		if n := db.ScalarInt(t, "SELECT count(*) FROM task_instance_history"); n != 1 {
			t.Errorf("%d history rows, want 1", n)
		}
		if n := db.ScalarInt(t, "SELECT count(*) FROM dag_run WHERE run_id IN (?, ?) AND state = 'success' AND clear_number = 0", ids[0], ids[2]); n != 2 {
			t.Errorf("the success runs were touched")
		}
		// Nothing left to clear: exit 0 and a note.
		res := r.MustRun(t, 0, sel...)
		if !strings.Contains(res.Stderr, "nothing to clear") {
			t.Errorf("second clear: stderr %q, want a note", res.Stderr)
		}

		// The cleared (queued) run marked success: work gets success with its old dates, the run an end_date.
		var ss setstate.Result
		r.JSON(t, &ss, "runs", "set-state", ids[1], "--dag-id", "fx_daily_cron", "--state", "success")
		if ss.PreviousState != "queued" || ss.State != "success" || len(ss.TaskInstances) != 1 || ss.TaskInstances[0].TaskID != "work" {
			t.Errorf("set-state success: %+v", ss)
		}
		row := db.QueryRows(t, "SELECT state, duration, try_number FROM task_instance WHERE run_id = ? AND task_id = 'work'", ids[1])[0]
		if text(row[0]) != "success" || text(row[1]) != "300" || text(row[2]) != "1" {
			t.Errorf("work after mark success = %v, want success, duration 300, try 1", row)
		}
		if db.Scalar(t, "SELECT end_date FROM dag_run WHERE run_id = ?", ids[1]) == nil {
			t.Errorf("run marked success from queued has no end_date")
		}
		// success → failed: nothing running or pending, end_date stays.
		end := text(db.Scalar(t, "SELECT end_date FROM dag_run WHERE run_id = ?", ids[0]))
		r.JSON(t, &ss, "runs", "set-state", ids[0], "--dag-id", "fx_daily_cron", "--state", "failed")
		if ss.State != "failed" || len(ss.TaskInstances) != 0 {
			t.Errorf("set-state failed of a finished run: %+v", ss)
		}
		if got := text(db.Scalar(t, "SELECT end_date FROM dag_run WHERE run_id = ?", ids[0])); got != end {
			t.Errorf("end_date %s → %s; a finished run keeps it", end, got)
		}
		// queued: queued_at now, dates cleared, task instances untouched.
		r.JSON(t, &ss, "runs", "set-state", ids[2], "--dag-id", "fx_daily_cron", "--state", "queued")
		run = db.QueryRows(t, "SELECT state, start_date, end_date, clear_number FROM dag_run WHERE run_id = ?", ids[2])[0]
		if text(run[0]) != "queued" || run[1] != nil || run[2] != nil || text(run[3]) != "0" {
			t.Errorf("queued run = %v", run)
		}
		if n := db.ScalarInt(t, "SELECT count(*) FROM task_instance WHERE run_id = ? AND state = 'success'", ids[2]); n != 2 {
			t.Errorf("queue touched the task instances")
		}
		if n := db.ScalarInt(t, "SELECT count(*) FROM log WHERE event IN ('dagctl.runs.clear', 'dagctl.runs.set_state')"); n != 4 {
			t.Errorf("%d audit rows, want 4 (1 clear, 3 set-state)", n)
		}
	})
}
