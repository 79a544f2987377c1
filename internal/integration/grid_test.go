package integration

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dagctl/dagctl/internal/cli/runs/grid"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// gridDAG rewrites fx_daily_cron's serialized DAG into three tasks given
// out of order (load, transform, extract) with extract >> transform >> load,
// transform mapped.
func gridDAG(t *testing.T, db *dbtest.DB) {
	t.Helper()
	raw := db.ScalarString(t, "SELECT data FROM serialized_dag WHERE dag_id = 'fx_daily_cron'")
	var doc map[string]any
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatal(err)
	}
	op := func(id string, mapped bool, down ...string) map[string]any {
		v := map[string]any{"task_id": id, "downstream_task_ids": down, "pool": "default_pool"}
		if mapped {
			v["_is_mapped"] = true
			v["partial_kwargs"] = map[string]any{}
		}
		return map[string]any{"__type": "operator", "__var": v}
	}
	doc["dag"].(map[string]any)["tasks"] = []any{op("load", false), op("transform", true, "load"), op("extract", false, "transform")}
	b, _ := json.Marshal(doc)
	db.SQL(t, "UPDATE serialized_dag SET data = ? WHERE dag_id = 'fx_daily_cron'", string(b))
}

// insertTI adds one task instance in either schema family.
func insertTI(t *testing.T, db *dbtest.DB, tg target, n *int, runID, task string, mapIndex int, state any) {
	t.Helper()
	*n++
	if tg.Major() == 2 {
		db.SQL(t, `INSERT INTO task_instance (task_id, dag_id, run_id, map_index, pool, pool_slots, state, try_number, max_tries)
			VALUES (?, 'fx_daily_cron', ?, ?, 'default_pool', 1, ?, 1, 0)`, task, runID, mapIndex, state)
		return
	}
	db.SQL(t, `INSERT INTO task_instance (id, task_id, dag_id, run_id, map_index, pool, pool_slots, state, try_number, max_tries)
		VALUES (?, ?, 'fx_daily_cron', ?, ?, 'default_pool', 1, ?, 1, 0)`, q("01939a1e-0000-7000-8000-%012d", *n), task, runID, mapIndex, state)
}

// TestRunsGrid draws a DAG with three tasks, one mapped, missing task
// instances and every Airflow task state: letters in a pipe, Airflow's
// colours with a legend on a (fake) terminal, letters again with NO_COLOR
// and --no-color, and the matrix as JSON.
func TestRunsGrid(t *testing.T) {
	forEach(t, scriptingTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		gridDAG(t, db)
		r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-01-07")
		run := func(day int) string { return q("manual_%07d_2024-01-%02dT00:00:00+00:00", day, day) }
		db.SQL(t, "UPDATE dag_run SET state = 'success' WHERE run_id = ?", run(1))
		db.SQL(t, "UPDATE dag_run SET state = 'failed' WHERE run_id IN (?, ?)", run(2), run(5))
		db.SQL(t, "UPDATE dag_run SET state = 'running' WHERE run_id IN (?, ?)", run(3), run(4))
		n := 0
		ti := func(day int, task string, mapIndex int, state any) {
			insertTI(t, db, tg, &n, run(day), task, mapIndex, state)
		}
		// Day 1: all green, transform mapped over 3.
		ti(1, "extract", -1, "success")
		for i := range 3 {
			ti(1, "transform", i, "success")
		}
		ti(1, "load", -1, "success")
		// Day 2: extract failed, the rest upstream_failed.
		ti(2, "extract", -1, "failed")
		ti(2, "transform", -1, "upstream_failed")
		ti(2, "load", -1, "upstream_failed")
		// Day 3: retrying; mapped instances in four states (queued is the most urgent); load has a TI with no state.
		ti(3, "extract", -1, "up_for_retry")
		for i, s := range []string{"running", "scheduled", "deferred", "queued"} {
			ti(3, "transform", i, s)
		}
		ti(3, "load", -1, nil)
		// Day 4: skipped; transform has no TI at all; load removed.
		ti(4, "extract", -1, "skipped")
		ti(4, "load", -1, "removed")
		// Day 5: rescheduling; mapped instances restarting, skipped, removed, success, failed.
		ti(5, "extract", -1, "up_for_reschedule")
		for i, s := range []string{"restarting", "skipped", "removed", "success", "failed"} {
			ti(5, "transform", i, s)
		}
		// Day 6: the states left; transform not expanded yet (map_index -1).
		ti(6, "extract", -1, "scheduled")
		ti(6, "transform", -1, "deferred")
		ti(6, "load", -1, "restarting")
		// Day 7: no task instances at all.

		pipe := r.MustRun(t, 0, "runs", "grid", "--dag-id", "fx_daily_cron")
		golden(t, "grid.pipe.txt", pipe.Stdout)
		if strings.Contains(pipe.Stdout, "\x1b[") {
			t.Errorf("colour in a pipe")
		}

		r.TTY = true
		tty := r.MustRun(t, 0, "runs", "grid", "--dag-id", "fx_daily_cron")
		golden(t, "grid.tty.txt", tty.Stdout)
		// green for success, red for failed, as Airflow's state_color.
		if !strings.Contains(tty.Stdout, "\x1b[38;2;0;128;0m■") || !strings.Contains(tty.Stdout, "\x1b[38;2;255;0;0m■\x1b[0m failed") {
			t.Errorf("no Airflow colours on a terminal:\n%s", tty.Stdout)
		}
		noColor := r.MustRun(t, 0, "runs", "grid", "--dag-id", "fx_daily_cron", "--no-color")
		golden(t, "grid.tty-nocolor.txt", noColor.Stdout)
		r.Env["NO_COLOR"] = "1"
		if env := r.MustRun(t, 0, "runs", "grid", "--dag-id", "fx_daily_cron"); env.Stdout != noColor.Stdout {
			t.Errorf("NO_COLOR differs from --no-color:\n%s", env.Stdout)
		}
		delete(r.Env, "NO_COLOR")
		r.TTY = false

		var v grid.View
		r.JSON(t, &v, "runs", "grid", "--dag-id", "fx_daily_cron")
		if len(v.Runs) != 7 || len(v.Tasks) != 3 || v.Tasks[0].TaskID != "extract" || v.Tasks[1].TaskID != "transform" || !v.Tasks[1].Mapped {
			t.Fatalf("json grid = %+v", v)
		}
		c := v.Tasks[1].Cells[4]
		if c.State == nil || *c.State != "failed" || c.Mapped == nil || *c.Mapped != 5 || c.Counts["success"] != 1 || c.Counts["restarting"] != 1 {
			t.Errorf("mapped cell = %+v", c)
		}
		if v.Tasks[2].Cells[2].State != nil || v.Tasks[1].Cells[3].State != nil {
			t.Errorf("no-status cells = %+v %+v", v.Tasks[2].Cells[2], v.Tasks[1].Cells[3])
		}
		res := r.MustRun(t, 0, "runs", "grid", "--dag-id", "fx_daily_cron", "--jq", `.tasks[] | select(any(.cells[]; .state == "failed")) | .task_id`)
		if res.Stdout != "extract\ntransform\n" {
			t.Errorf("--jq on the grid = %q", res.Stdout)
		}
		// A date range and --limit pick the columns; oldest on the left.
		res = r.MustRun(t, 0, "runs", "grid", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-02", "--end-date", "2024-01-03")
		if !strings.Contains(res.Stdout, "  01-02  01-03\n") || strings.Contains(res.Stdout, "01-01") {
			t.Errorf("range grid:\n%s", res.Stdout)
		}
		res = r.MustRun(t, 0, "runs", "grid", "--dag-id", "fx_daily_cron", "--limit", "2")
		if !strings.Contains(res.Stdout, "  01-06  01-07\n") || strings.Contains(res.Stdout, "01-05") {
			t.Errorf("--limit 2 grid:\n%s", res.Stdout)
		}
		r.MustRun(t, 3, "runs", "grid", "--dag-id", "nope")
		r.MustRun(t, 2, "runs", "grid")
		r.MustRun(t, 2, "runs", "grid", "--dag-id", "fx_daily_cron", "--watch")
	})
}

// TestRunsGridRunAfter: on Airflow 3 the grid orders runs by run_after, as
// Airflow's does, so a run without a logical date (asset-triggered) takes
// its place in time, labelled by its run_after, not "-" at the newest end.
func TestRunsGridRunAfter(t *testing.T) {
	forEach(t, []target{{dbtest.Postgres, "3.0.3"}, {dbtest.SQLite, "3.0.3"}}, func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		gridDAG(t, db)
		r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-01-07")
		run := func(day int) string { return q("manual_%07d_2024-01-%02dT00:00:00+00:00", day, day) }
		// A manual run's run_after is its logical date: 01-01 … 01-07.
		db.SQL(t, "UPDATE dag_run SET logical_date = NULL, run_after = ? WHERE run_id = ?",
			time.Date(2024, 1, 5, 12, 0, 0, 0, time.UTC), run(3))
		var v grid.View
		r.JSON(t, &v, "runs", "grid", "--dag-id", "fx_daily_cron")
		var got []string
		for _, c := range v.Runs {
			got = append(got, c.RunID)
		}
		if want := []string{run(1), run(2), run(4), run(5), run(3), run(6), run(7)}; !slices.Equal(got, want) {
			t.Errorf("columns = %v, want %v", got, want)
		}
		pipe := r.MustRun(t, 0, "runs", "grid", "--dag-id", "fx_daily_cron")
		if !strings.Contains(pipe.Stdout, "01-05T00:00  01-05T12:00  01-06T00:00") || strings.Contains(pipe.Stdout, " - ") {
			t.Errorf("labels:\n%s", pipe.Stdout)
		}
		// --limit keeps the newest by run_after: the run without a logical
		// date is not among the newest two.
		r.JSON(t, &v, "runs", "grid", "--dag-id", "fx_daily_cron", "--limit", "2")
		if len(v.Runs) != 2 || v.Runs[0].RunID != run(6) || v.Runs[1].RunID != run(7) {
			t.Errorf("--limit 2 = %+v", v.Runs)
		}
	})
}

// TestRunsGridRangeCap: a date range with more runs than the grid's cap
// shows the newest 100 and says on stderr how many were left out.
func TestRunsGridRangeCap(t *testing.T) {
	forEach(t, []target{{dbtest.Postgres, "2.10.5"}, {dbtest.SQLite, "3.0.3"}}, func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-04-12")
		res := r.MustRun(t, 0, "runs", "grid", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-12-31")
		if !strings.Contains(res.Stderr, "103 runs") || !strings.Contains(res.Stderr, "3 older ones are left out") ||
			!strings.Contains(res.Stdout, "100 runs") || !strings.Contains(res.Stdout, "01-04 ") || strings.Contains(res.Stdout, "01-03 ") {
			t.Errorf("capped range:\nstdout:\n%s\nstderr:\n%s", res.Stdout, res.Stderr)
		}
		res = r.MustRun(t, 0, "runs", "grid", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-04", "--end-date", "2024-12-31")
		if res.Stderr != "" {
			t.Errorf("exactly 100 runs: stderr %q", res.Stderr)
		}
	})
}
