package integration

import (
	"maps"
	"testing"
	"time"

	"github.com/dagctl/dagctl/internal/cli/runs/clear"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

const opsDag = "fx_daily_cron"

// runs clear writes what Airflow's clear wrote in the ops-* reference files:
// `airflow tasks clear` with a date range, -t, --only-failed, -t -d, and the
// UI's / REST API's clear of one run, on Airflow 2.10.5 and 3.0.3.
func TestRunsClearMatchesAirflow(t *testing.T) {
	rng := []string{"runs", "clear", "--dag-id", opsDag, "--start-date", "2024-02-01", "--end-date", "2024-02-03"}
	with := func(extra ...string) []string { return append(append([]string{}, rng...), extra...) }
	run3 := "manual__2026-11-27T11:23:02.462778+00:00" // 3.0.3's run of 2024-02-02
	cases := map[string]opsCase{
		"2.10.5/tasks-clear":            {release: "2.10.5", before: "ops-base.before", after: "ops-tasks-clear.after", cmds: [][]string{rng}},
		"2.10.5/task-regex":             {release: "2.10.5", before: "ops-base.before", after: "ops-tasks-clear-task-regex.after", cmds: [][]string{with("-t", "^work$")}},
		"2.10.5/only-failed":            {release: "2.10.5", before: "ops-base.before", after: "ops-tasks-clear-only-failed.after", cmds: [][]string{with("--only-failed")}},
		"2.10.5/downstream":             {release: "2.10.5", before: "ops-base.before", after: "ops-tasks-clear-downstream.after", cmds: [][]string{with("-t", "^start$", "-d")}},
		"2.10.5/ui-clear-run":           {release: "2.10.5", before: "ops-base.before", after: "ops-ui-clear-run.after", cmds: [][]string{{"runs", "clear", "manual__2024-02-02T00:00:00+00:00", "--dag-id", opsDag}}},
		"3.0.3/tasks-clear":             {release: "3.0.3", before: "ops-base.before", after: "ops-tasks-clear.after", cmds: [][]string{rng}},
		"3.0.3/task-regex":              {release: "3.0.3", before: "ops-base.before", after: "ops-tasks-clear-task-regex.after", cmds: [][]string{with("--task-regex", "work")}},
		"3.0.3/only-failed":             {release: "3.0.3", before: "ops-base.before", after: "ops-tasks-clear-only-failed.after", cmds: [][]string{with("--only-failed")}},
		"3.0.3/downstream":              {release: "3.0.3", before: "ops-base.before", after: "ops-tasks-clear-downstream.after", cmds: [][]string{with("-t", "start", "--downstream")}},
		"3.0.3/rest-clear-run":          {release: "3.0.3", before: "ops-rest-clear-run.before", after: "ops-rest-clear-run.after", cmds: [][]string{{"runs", "clear", run3, "--dag-id", opsDag}}},
		"3.0.3/rest-clear-tis":          {release: "3.0.3", before: "ops-rest-clear-tis.before", after: "ops-rest-clear-tis.after", cmds: [][]string{{"runs", "clear", run3, "--dag-id", opsDag, "-t", "^work$"}}},
		"3.0.3/nothing-to-clear-anchor": {release: "3.0.3", before: "ops-base.before", after: "ops-tasks-clear-task-regex-anchored.after", cmds: [][]string{with("-t", "^nope$")}},
	}
	for name, c := range cases {
		c.audits = 1
		if name == "3.0.3/nothing-to-clear-anchor" {
			c.audits = 0
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c.run(t)
		})
	}
}

// Clearing a running run, as clear_task_instances does: the running task
// instance becomes restarting (Airflow then stops and re-runs it), the others
// are reset, and the run, not finished, stays running.
func TestRunsClearRunningRun(t *testing.T) {
	db := dbtest.NewPostgres(t, "3.0.3", dbtest.WithSampleDAGs(), dbtest.WithFixture("ops-mark-running.before"))
	r := runner(t, db)
	r.Now = func() time.Time { return opsNow }
	const run = "manual__2026-11-27T11:25:44.946848+00:00"
	var res clear.Result
	r.JSON(t, &res, "runs", "clear", run, "--dag-id", "fx_sleep_work")
	if len(res.Runs) != 1 || len(res.Runs[0].TaskInstances) != 3 || res.Runs[0].State != "running" {
		t.Fatalf("cleared %+v", res.Runs)
	}
	got := map[string]string{}
	for _, row := range db.QueryRows(t, "SELECT task_id, state FROM task_instance WHERE run_id = ?", run) {
		got[text(row[0])] = text(row[1])
	}
	if got["work"] != "restarting" || got["start"] != "" || got["end"] != "" {
		t.Errorf("task instances after clearing a running run: %v, want work restarting, the others reset", got)
	}
	if s := db.ScalarString(t, "SELECT state FROM dag_run WHERE run_id = ?", run); s != "running" {
		t.Errorf("run state = %s, want running (only finished runs are queued)", s)
	}
	if n := db.ScalarInt(t, "SELECT clear_number FROM dag_run WHERE run_id = ?", run); n != 0 {
		t.Errorf("clear_number = %d, want 0 for a run that was not re-queued", n)
	}
}

// Airflow 2's clear_task_instances restarts only the running task instances
// that have a job, and sets that job restarting; one without a job stays
// running. Airflow 3 restarts every running one (it has no task_instance.job_id).
// A task instance already restarting is reset like any other not running.
func TestRunsClearRestartsJobs(t *testing.T) {
	for _, rel := range []string{"2.10.5", "3.0.3"} {
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			db := dbtest.NewPostgres(t, rel, dbtest.WithSampleDAGs(), dbtest.WithFixture("ops-base.before"))
			r := runner(t, db)
			r.Now = func() time.Time { return opsNow }
			runs := db.QueryRows(t, "SELECT run_id FROM dag_run WHERE dag_id = ? ORDER BY "+ld(target{dbtest.Postgres, rel}), opsDag)
			first, second := text(runs[0][0]), text(runs[1][0])
			db.SQL(t, "UPDATE task_instance SET state = 'restarting' WHERE run_id = ? AND task_id = 'work'", first)
			db.SQL(t, "UPDATE task_instance SET state = 'running' WHERE run_id = ?", second)
			if rel == "2.10.5" {
				db.SQL(t, "UPDATE task_instance SET job_id = NULL WHERE run_id = ? AND task_id = 'start'", second)
				db.SQL(t, "UPDATE task_instance SET job_id = 4 WHERE run_id = ? AND task_id = 'work'", second)
				db.SQL(t, "INSERT INTO job (id, dag_id, state, job_type) VALUES (4, ?, 'running', 'LocalTaskJob'), (3, ?, 'running', 'LocalTaskJob')", opsDag, opsDag)
			}
			r.MustRun(t, 0, "runs", "clear", first, second, "--dag-id", opsDag)
			got := map[string]string{}
			for _, row := range db.QueryRows(t, "SELECT run_id, task_id, state FROM task_instance WHERE run_id IN (?, ?)", first, second) {
				key := "first/"
				if text(row[0]) == second {
					key = "second/"
				}
				got[key+text(row[1])] = text(row[2])
			}
			want := map[string]string{"first/start": "", "first/work": "", "second/start": "restarting", "second/work": "restarting"}
			if rel == "2.10.5" {
				want["second/start"] = "running" // no job_id
				jobs := map[string]string{}
				for _, row := range db.QueryRows(t, "SELECT id, state FROM job") {
					jobs[text(row[0])] = text(row[1])
				}
				if jobs["4"] != "restarting" || jobs["3"] != "running" {
					t.Errorf("jobs after clear: %v, want 4 restarting (its task instance was running), 3 running", jobs)
				}
			}
			if !maps.Equal(got, want) {
				t.Errorf("task instances after clear: %v, want %v", got, want)
			}
		})
	}
}
