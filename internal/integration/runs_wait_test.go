package integration

import (
	"encoding/json"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dagctl/dagctl/internal/cli/runs/shared"
	"github.com/dagctl/dagctl/internal/clitest"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// waitTarget is a database to follow runs on, with a DAG of two tasks,
// up >> down: the sample DAG fx_daily_cron (start >> work), or on the
// releases without sample DAGs (2.11.x, 3.0.2, 3.1.0) the hand-written
// fx_hand (work >> end).
type waitTarget struct {
	target
	hand bool
}

func (w waitTarget) dag() string {
	if w.hand {
		return "fx_hand"
	}
	return "fx_daily_cron"
}

func (w waitTarget) tasks() (up, down string) {
	if w.hand {
		return "work", "end"
	}
	return "start", "work"
}

// waitTargets: PostgreSQL on every release (2.10.5, 2.11.x, 3.0.x, 3.1.x,
// 3.2.0, 3.3.0), MariaDB and SQLite.
func waitTargets() []waitTarget {
	var out []waitTarget
	sample := dbtest.ReleasesWith(dbtest.Postgres, dbtest.WithSampleDAGs())
	for _, rel := range dbtest.PostgresReleases() {
		out = append(out, waitTarget{target{dbtest.Postgres, rel}, !slices.Contains(sample, rel)})
	}
	for _, rel := range dbtest.ReleasesWith(dbtest.MySQL, dbtest.WithSampleDAGs()) {
		out = append(out, waitTarget{target: target{dbtest.MySQL, rel}})
	}
	for _, rel := range dbtest.ReleasesWith(dbtest.SQLite, dbtest.WithSampleDAGs()) {
		out = append(out, waitTarget{target: target{dbtest.SQLite, rel}})
	}
	// Through PgBouncer in transaction mode: the one-statement look, and
	// --unpause composed with the create in one transaction.
	for _, rel := range pooledReleases {
		out = append(out, waitTarget{target: target{pgbouncer, rel}})
	}
	return out
}

func forEachWait(t *testing.T, fn func(t *testing.T, wt waitTarget, db *dbtest.DB, r *clitest.Runner)) {
	for _, wt := range waitTargets() {
		t.Run(wt.String(), func(t *testing.T) {
			t.Parallel()
			var db *dbtest.DB
			if wt.hand {
				db = open(t, wt.target)
				insertHandDAGRow(t, db, wt.target)
				insertHandDAG(t, db, wt.target)
			} else {
				db = open(t, wt.target, dbtest.WithSampleDAGs())
			}
			fn(t, wt, db, runner(t, db))
		})
	}
}

// insertHandDAGRow writes fx_hand's dag row (unpaused, active), as in
// TestPauseAndSetStateOnEveryRelease.
func insertHandDAGRow(t *testing.T, db *dbtest.DB, tg target) {
	t.Helper()
	cols, vals := "dag_id, is_paused, max_active_tasks, max_consecutive_failed_dag_runs, has_task_concurrency_limits", "'fx_hand', ?, 16, 0, ?"
	args := []any{false, false}
	if tg.Major() == 3 {
		db.SQL(t, "INSERT INTO dag_bundle (name) VALUES ('dags-folder')")
		cols, vals = cols+", bundle_name, is_stale", vals+", 'dags-folder', ?"
	} else {
		cols, vals = cols+", is_active", vals+", ?"
	}
	args = append(args, tg.Major() == 2)
	db.SQL(t, "INSERT INTO dag ("+cols+") VALUES ("+vals+")", args...)
}

// scheduler plays the writes of Airflow's scheduler and task runner.
type scheduler struct {
	t     *testing.T
	db    *dbtest.DB
	tg    target
	dagID string
	n     int
}

var tiSeq atomic.Int64

func (s *scheduler) startRun(runID string) {
	s.db.SQL(s.t, "UPDATE dag_run SET state = 'running', start_date = ? WHERE dag_id = ? AND run_id = ?", "2026-11-23 11:00:00", s.dagID, runID)
}

func (s *scheduler) endRun(runID, state string) {
	s.db.SQL(s.t, "UPDATE dag_run SET state = ?, end_date = ? WHERE dag_id = ? AND run_id = ?", state, "2026-11-23 11:30:00", s.dagID, runID)
}

// ti writes a task instance as the scheduler does when it schedules it
// (try_number is the latest try on 2.10+ and 3.x).
func (s *scheduler) ti(runID, task string, mapIndex int, state any, try, maxTries int) {
	// The NOT NULL columns of 3.2+ too (executor_config: pickle of {}).
	tc, tv := "task_id, dag_id, run_id, map_index, pool, pool_slots, state, try_number, max_tries, start_date, "+
		"hostname, unixname, queue, priority_weight, custom_operator_name, executor_config",
		"?, ?, ?, ?, 'default_pool', 1, ?, ?, ?, ?, '', 'airflow', 'default', 1, '', ?"
	args := []any{task, s.dagID, runID, mapIndex, state, try, maxTries, "2026-11-23 11:00:01", []byte("\x80\x04}\x94.")}
	if s.tg.Major() == 3 {
		tc, tv = "id, "+tc, "?, "+tv
		args = append([]any{q("01939a1e-0000-7000-8000-%012d", tiSeq.Add(1))}, args...)
	}
	s.db.SQL(s.t, "INSERT INTO task_instance ("+tc+") VALUES ("+tv+")", args...)
}

func (s *scheduler) setTI(runID, task, state string) {
	s.db.SQL(s.t, "UPDATE task_instance SET state = ?, end_date = ? WHERE dag_id = ? AND run_id = ? AND task_id = ?", state, "2026-11-23 11:20:00", s.dagID, runID, task)
}

// queued waits until n runs of the DAG are queued (written by the command
// running beside) and returns their ids in logical date order.
func (s *scheduler) queued(n int) []string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var ids []string
		for _, row := range s.db.QueryRows(s.t, "SELECT run_id FROM dag_run WHERE dag_id = ? AND state = 'queued' ORDER BY "+ld(s.tg), s.dagID) {
			ids = append(ids, text(row[0]))
		}
		if len(ids) >= n {
			return ids
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.t.Fatalf("no %d queued runs of %s appeared", n, s.dagID)
	return nil
}

// background runs dagctl in a goroutine; the returned func waits for it.
func background(t *testing.T, r *clitest.Runner, args ...string) func() clitest.Result {
	ch := make(chan clitest.Result, 1)
	go func() { ch <- r.Run(t, args...) }()
	return func() clitest.Result {
		select {
		case res := <-ch:
			return res
		case <-time.After(60 * time.Second):
			t.Fatalf("dagctl %s did not end", strings.Join(args, " "))
			return clitest.Result{}
		}
	}
}

var fast = []string{"--interval", "30ms", "--timeout", "30s"}

func TestRunsCreateWait(t *testing.T) {
	forEachWait(t, func(t *testing.T, wt waitTarget, db *dbtest.DB, r *clitest.Runner) {
		dag := wt.dag()
		up, down := wt.tasks()
		s := &scheduler{t: t, db: db, tg: wt.target, dagID: dag}

		// Success: one run now, the scheduler runs both tasks.
		done := background(t, r, append([]string{"runs", "create", "--dag-id", dag, "--wait", "-o", "json"}, fast...)...)
		runID := s.queued(1)[0]
		s.startRun(runID)
		s.ti(runID, up, -1, "running", 1, 0)
		s.ti(runID, down, -1, nil, 0, 0)
		time.Sleep(60 * time.Millisecond)
		s.setTI(runID, up, "success")
		s.setTI(runID, down, "success")
		s.endRun(runID, "success")
		res := done()
		if res.Code != 0 {
			t.Fatalf("create --wait, run succeeded: exit %d\n%s", res.Code, res.Stderr)
		}
		// The runs get view: the run and its task instances by state.
		var views []shared.RunDetailView
		if err := json.Unmarshal([]byte(res.Stdout), &views); err != nil || len(views) != 1 || views[0].RunID != runID || views[0].State != "success" || views[0].EndDate == nil ||
			views[0].TaskInstanceStates["success"] != 2 || len(views[0].TaskInstanceStates) != 1 {
			t.Errorf("create --wait -o json: %v %s", err, res.Stdout)
		}
		// A pipe: nothing but the result.
		if res.Stderr != "" {
			t.Errorf("create --wait in a pipe wrote on stderr: %q", res.Stderr)
		}

		// Two dates: one run succeeds, the other fails with a retried task, an
		// upstream_failed one and a failed mapped instance.
		done = background(t, r, append([]string{"runs", "create", "--dag-id", dag, "--start-date", "2024-03-01", "--end-date", "2024-03-02", "--wait"}, fast...)...)
		ids := s.queued(2)
		for _, id := range ids {
			s.startRun(id)
		}
		s.ti(ids[0], up, -1, "success", 1, 0)
		s.ti(ids[0], down, -1, "success", 1, 0)
		s.endRun(ids[0], "success")
		s.ti(ids[1], up, -1, "failed", 2, 1)
		s.ti(ids[1], down, -1, "upstream_failed", 0, 0)
		s.ti(ids[1], "fan", 2, "failed", 1, 0)
		s.endRun(ids[1], "failed")
		res = done()
		if res.Code != 1 {
			t.Fatalf("create --wait, a run failed: exit %d\n%s", res.Code, res.Stderr)
		}
		want := []string{
			"run " + ids[1] + " of dag " + dag + " failed: task fan[2] failed (try 1 of 1), task " + up + " failed (try 2 of 2), task " + down + " upstream_failed",
			"  dagctl tasks logs " + ids[1] + " fan --dag-id " + dag + " --map-index 2 --try 1",
			"  dagctl tasks logs " + ids[1] + " " + up + " --dag-id " + dag + " --try 2",
			`dagctl: 1 of 2 runs of dag "` + dag + `" failed`,
		}
		if got := strings.Split(strings.TrimSpace(res.Stderr), "\n"); !slices.Equal(got, want) {
			t.Errorf("stderr of a failed run:\n%s\nwant:\n%s", res.Stderr, strings.Join(want, "\n"))
		}
		// stdout: the two runs as runs list shows them.
		if !strings.Contains(res.Stdout, ids[0]) || !strings.Contains(res.Stdout, ids[1]) || strings.Count(res.Stdout, "\n") != 2 {
			t.Errorf("stdout of create --wait:\n%s", res.Stdout)
		}

		// Again for the same dates: nothing created, the existing runs followed.
		res = r.Run(t, append([]string{"runs", "create", "--dag-id", dag, "--start-date", "2024-03-01", "--end-date", "2024-03-02", "--wait", "-o", "json", "--jq", ".[].state"}, fast...)...)
		if res.Code != 1 || res.Stdout != "success\nfailed\n" {
			t.Errorf("create --wait of existing dates: exit %d, stdout %q, want 1 and the two states", res.Code, res.Stdout)
		}

		// Both runs failed: each run's block names its own failed tasks (read
		// for all the failed runs at once), in the order the runs were asked.
		db.SQL(t, "UPDATE task_instance SET state = 'failed' WHERE dag_id = ? AND run_id = ? AND task_id = ?", dag, ids[0], down)
		s.endRun(ids[0], "failed")
		res = r.Run(t, "runs", "wait", ids[1], ids[0], "--dag-id", dag, "--interval", "20ms", "--timeout", "5s")
		want = []string{
			want[0], want[1], want[2],
			"run " + ids[0] + " of dag " + dag + " failed: task " + down + " failed (try 1 of 1)",
			"  dagctl tasks logs " + ids[0] + " " + down + " --dag-id " + dag + " --try 1",
			`dagctl: 2 of 2 runs of dag "` + dag + `" failed`,
		}
		if got := strings.Split(strings.TrimSpace(res.Stderr), "\n"); res.Code != 1 || !slices.Equal(got, want) {
			t.Errorf("runs wait, two failed runs: exit %d\n%s\nwant:\n%s", res.Code, res.Stderr, strings.Join(want, "\n"))
		}

		// Timeout: nobody runs it; it stays queued.
		res = r.Run(t, "runs", "create", "--dag-id", dag, "--start-date", "2024-03-03", "--end-date", "2024-03-03", "--wait", "--interval", "20ms", "--timeout", "250ms")
		if res.Code != 124 || !strings.Contains(res.Stderr, `timed out after 250ms: 1 of 1 runs of dag "`+dag+`" not finished; they stay and go on (dagctl runs wait `) {
			t.Errorf("create --wait timeout: exit %d %q", res.Code, res.Stderr)
		}
		if n := db.ScalarInt(t, "SELECT count(*) FROM dag_run WHERE dag_id = ? AND state = 'queued'", dag); n != 1 {
			t.Errorf("%d runs queued after the timeout, want 1 (the runs stay)", n)
		}
	})
}

func TestRunsCreateWaitRefusals(t *testing.T) {
	forEachWait(t, func(t *testing.T, wt waitTarget, db *dbtest.DB, r *clitest.Runner) {
		dag := wt.dag()
		r.MustRun(t, 0, "dags", "pause", dag)
		before := db.Checksum(t)
		runs := db.ScalarInt(t, "SELECT count(*) FROM dag_run")
		logs := db.ScalarInt(t, "SELECT count(*) FROM log")
		for _, c := range []struct {
			args []string
			code int
			want string
		}{
			{a("runs", "create", "--dag-id", dag, "--wait"), 5, `runs create --wait: dag "` + dag + `" is paused; its runs would never start. Unpause it first (dagctl dags unpause ` + dag + `) or add --unpause`},
			{a("runs", "create", "--dag-id", dag, "--wait", "--timeout", "-1"), 2, `--timeout`},
			{a("runs", "create", "--dag-id", dag, "--wait", "--timeout", "0s"), 2, `--timeout`},
			{a("runs", "create", "--dag-id", dag, "--wait", "--interval", "-5s"), 2, `--interval`},
			{a("runs", "create", "--dag-id", dag, "--wait", "--dry-run"), 2, `--wait`},
			{a("runs", "create", "--dag-id", dag, "--timeout", "1m"), 2, `--timeout: only with --wait`},
			{a("runs", "wait", "manual__nope", "--dag-id", dag), 3, `"manual__nope"`},
			{a("runs", "wait", "manual__nope", "--dag-id", dag, "--timeout", "-1"), 2, `--timeout`},
			{a("runs", "wait", "manual__nope"), 2, `--dag-id`},
			{a("runs", "wait", "--dag-id", dag), 2, `requires at least 1 arg`},
		} {
			res := r.Run(t, c.args...)
			msg := strings.TrimSpace(res.Stderr)
			if res.Code != c.code || !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") || res.Stdout != "" {
				t.Errorf("dagctl %q: exit %d, stdout %q, stderr %q; want exit %d and one line with %q", c.args, res.Code, res.Stdout, msg, c.code, c.want)
			}
		}
		if db.Checksum(t) != before || db.ScalarInt(t, "SELECT count(*) FROM dag_run") != runs || db.ScalarInt(t, "SELECT count(*) FROM log") != logs {
			t.Fatal("a refused runs create --wait / runs wait wrote to the database")
		}

		// Not active (2.x is_active false, 3.x is_stale), then no serialized DAG.
		if wt.Major() == 2 {
			db.SQL(t, "UPDATE dag SET is_active = ? WHERE dag_id = ?", false, dag)
		} else {
			db.SQL(t, "UPDATE dag SET is_stale = ? WHERE dag_id = ?", true, dag)
		}
		// --wait refuses it up front like a paused DAG (exit 5, naming why);
		// without --wait it stays Airflow's "not found" (exit 3).
		res := r.MustRun(t, 5, "runs", "create", "--dag-id", dag, "--wait", "--unpause")
		if !strings.Contains(res.Stderr, "is inactive") || !strings.Contains(res.Stderr, "would never run") || strings.Count(strings.TrimSpace(res.Stderr), "\n") != 0 {
			t.Errorf("inactive dag: %q", res.Stderr)
		}
		if res := r.MustRun(t, 3, "runs", "create", "--dag-id", dag); !strings.Contains(res.Stderr, "inactive") {
			t.Errorf("inactive dag without --wait: %q", res.Stderr)
		}
		if wt.Major() == 2 {
			db.SQL(t, "UPDATE dag SET is_active = ? WHERE dag_id = ?", true, dag)
		} else {
			db.SQL(t, "UPDATE dag SET is_stale = ? WHERE dag_id = ?", false, dag)
		}
		db.SQL(t, "DELETE FROM serialized_dag WHERE dag_id = ?", dag)
		res = r.MustRun(t, 5, "runs", "create", "--dag-id", dag, "--wait", "--unpause")
		if !strings.Contains(res.Stderr, "no serialized form") || !strings.Contains(res.Stderr, "would never run") {
			t.Errorf("dag without serialized form: %q", res.Stderr)
		}
		r.MustRun(t, 3, "runs", "create", "--dag-id", dag)
		if db.ScalarInt(t, "SELECT count(*) FROM dag_run") != runs || db.ScalarInt(t, "SELECT count(*) FROM log") != logs {
			t.Error("refused runs create --wait wrote a run or an audit row")
		}
		if p := text(db.Scalar(t, "SELECT is_paused FROM dag WHERE dag_id = ?", dag)); p != "true" && p != "1" {
			t.Errorf("is_paused = %s after refusals, want still paused", p)
		}
	})
}

// --unpause writes what dags unpause writes, in the create's transaction,
// then waits.
func TestRunsCreateWaitUnpause(t *testing.T) {
	forEachWait(t, func(t *testing.T, wt waitTarget, db *dbtest.DB, r *clitest.Runner) {
		dag := wt.dag()
		s := &scheduler{t: t, db: db, tg: wt.target, dagID: dag}
		r.MustRun(t, 0, "dags", "pause", dag)
		done := background(t, r, append([]string{"runs", "create", "--dag-id", dag, "--wait", "--unpause"}, fast...)...)
		runID := s.queued(1)[0]
		if p := text(db.Scalar(t, "SELECT is_paused FROM dag WHERE dag_id = ?", dag)); p != "false" && p != "0" {
			t.Errorf("is_paused = %s while waiting after --unpause", p)
		}
		s.startRun(runID)
		s.endRun(runID, "success")
		if res := done(); res.Code != 0 || res.Stderr != "" {
			t.Fatalf("create --wait --unpause: exit %d %q", res.Code, res.Stderr)
		}
		// The same audit row as dags unpause.
		r.MustRun(t, 0, "dags", "pause", dag)
		r.MustRun(t, 0, "dags", "unpause", dag)
		rows := db.QueryRows(t, "SELECT event, dag_id, owner, extra FROM log WHERE event = 'dagctl.dags.unpause' ORDER BY id")
		if len(rows) != 2 {
			t.Fatalf("%d dagctl.dags.unpause rows, want 2: %v", len(rows), rows)
		}
		for i := range rows[0] {
			if text(rows[0][i]) != text(rows[1][i]) {
				t.Errorf("--unpause audit row %v, dags unpause wrote %v", rows[0], rows[1])
				break
			}
		}
		// Already unpaused: --unpause writes no second unpause row.
		res := r.Run(t, "runs", "create", "--dag-id", dag, "--start-date", "2024-03-01", "--end-date", "2024-03-01", "--unpause")
		if res.Code != 0 || db.ScalarInt(t, "SELECT count(*) FROM log WHERE event = 'dagctl.dags.unpause'") != 2 {
			t.Errorf("--unpause on an unpaused dag: exit %d %q", res.Code, res.Stderr)
		}
	})
}

func TestRunsWait(t *testing.T) {
	forEachWait(t, func(t *testing.T, wt waitTarget, db *dbtest.DB, r *clitest.Runner) {
		dag := wt.dag()
		up, _ := wt.tasks()
		s := &scheduler{t: t, db: db, tg: wt.target, dagID: dag}
		var created struct {
			DagRunIDs []string `json:"dag_run_ids"`
		}
		r.JSON(t, &created, "runs", "create", "--dag-id", dag, "--start-date", "2024-04-01", "--end-date", "2024-04-03")
		ids := created.DagRunIDs

		// A terminal's stderr gets the live line; the DAG paused meanwhile
		// gets exactly one warning line, and the wait goes on to the timeout.
		s.startRun(ids[0])
		s.ti(ids[0], up, -1, "running", 1, 0)
		tty := runner(t, db)
		tty.StderrTTY = true
		done := background(t, tty, "runs", "wait", ids[0], ids[1], "--dag-id", dag, "--interval", "20ms", "--timeout", "600ms")
		time.Sleep(150 * time.Millisecond)
		db.SQL(t, "UPDATE dag SET is_paused = ? WHERE dag_id = ?", true, dag)
		res := done()
		if res.Code != 124 {
			t.Fatalf("runs wait, paused meanwhile: exit %d %q", res.Code, res.Stderr)
		}
		if n := strings.Count(res.Stderr, "warning: dag "+q("%q", dag)+" is paused"); n != 1 {
			t.Errorf("%d paused warnings, want 1:\n%q", n, res.Stderr)
		}
		if !strings.Contains(res.Stderr, "\r\x1b[Kwaiting: 0/2 runs done · tasks: 1 running, 0 failed · ") {
			t.Errorf("no progress line on a terminal:\n%q", res.Stderr)
		}
		db.SQL(t, "UPDATE dag SET is_paused = ? WHERE dag_id = ?", false, dag)

		// The scheduler finishes them (a run named twice is followed once).
		done = background(t, r, "runs", "wait", ids[0], ids[1], ids[2], ids[0], "--dag-id", dag, "--interval", "20ms", "--timeout", "30s", "-o", "json", "--jq", ".[] | .run_id + \" \" + .state")
		time.Sleep(80 * time.Millisecond)
		for _, id := range ids {
			s.startRun(id)
			s.endRun(id, "success")
		}
		res = done()
		want := ids[0] + " success\n" + ids[1] + " success\n" + ids[2] + " success\n"
		if res.Code != 0 || res.Stdout != want || res.Stderr != "" {
			t.Errorf("runs wait: exit %d stdout %q stderr %q; want 0 and\n%s", res.Code, res.Stdout, res.Stderr, want)
		}

		// A run deleted while followed: exit 3 naming it.
		r.JSON(t, &created, "runs", "create", "--dag-id", dag, "--start-date", "2024-04-04", "--end-date", "2024-04-04")
		gone := created.DagRunIDs[0]
		done = background(t, r, "runs", "wait", ids[0], gone, "--dag-id", dag, "--interval", "20ms", "--timeout", "30s")
		time.Sleep(80 * time.Millisecond)
		db.SQL(t, "DELETE FROM dag_run WHERE run_id = ?", gone)
		if res := done(); res.Code != 3 || !strings.Contains(res.Stderr, q("run %q of dag %q disappeared while waiting", gone, dag)) {
			t.Errorf("run deleted while waiting: exit %d %q", res.Code, res.Stderr)
		}
	})
}

// runs wait needs can_read on the DAG; --unpause can_edit, checked before
// anything is written, and its audit row names the acting user.
func TestRunsWaitRBAC(t *testing.T) {
	forEach(t, rbacTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		rbacSeed(t, db)
		var created struct {
			DagRunIDs []string `json:"dag_run_ids"`
		}
		r.JSON(t, &created, as("admin", "runs", "create", "--dag-id", "fx_hourly", "--start-date", "2024-01-01T00:00", "--end-date", "2024-01-01T00:00")...)
		db.SQL(t, "UPDATE dag_run SET state = 'success' WHERE dag_id = 'fx_hourly'")
		r.MustRun(t, 0, as("viewer", "runs", "wait", created.DagRunIDs[0], "--dag-id", "fx_hourly")...)
		rbacRefused(t, r, db, as("alice", "runs", "wait", created.DagRunIDs[0], "--dag-id", "fx_hourly"), `"alice"`, `"fx_hourly"`)

		r.MustRun(t, 0, as("admin", "dags", "pause", "fx_daily_cron")...)
		rbacRefused(t, r, db, as("viewer", "runs", "create", "--dag-id", "fx_daily_cron", "--wait", "--unpause"), `"viewer"`, "can_edit")
		res := r.Run(t, as("alice", "runs", "create", "--dag-id", "fx_daily_cron", "--wait", "--unpause", "--timeout", "100ms", "--interval", "20ms")...)
		if res.Code != 124 || audits(t, db, "dagctl.dags.unpause", "alice") != 1 || audits(t, db, "dagctl.runs.create", "alice") != 1 {
			t.Errorf("alice create --wait --unpause: exit %d %q; unpause rows %d", res.Code, res.Stderr, audits(t, db, "dagctl.dags.unpause", "alice"))
		}
	})
}
