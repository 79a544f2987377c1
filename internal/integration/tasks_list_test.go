package integration

import (
	"fmt"
	"strings"
	"testing"

	runshared "github.com/dagctl/dagctl/internal/cli/runs/shared"
	"github.com/dagctl/dagctl/internal/cli/tasks/shared"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// tiRow is a task instance as the scheduler leaves it, for insertTaskInstance.
type tiRow struct {
	task      string
	mapIndex  int
	state     any // nil = no state yet
	try, max  int
	host, op  string
	custom    string
	duration  any
	startDate any
	endDate   any
}

// insertTaskInstance writes one task_instance row of fx_daily_cron with the
// columns every release from 2.10.5 to 3.3.0 requires (3.x: a uuid id).
func insertTaskInstance(t *testing.T, db *dbtest.DB, tg target, runID string, n int, ti tiRow) {
	t.Helper()
	cols := "task_id, dag_id, run_id, map_index, pool, pool_slots, state, try_number, max_tries, hostname, unixname, queue, priority_weight, operator, custom_operator_name, executor_config, start_date, end_date, duration"
	vals := "?, 'fx_daily_cron', ?, ?, 'default_pool', 1, ?, ?, ?, ?, 'airflow', 'default', 1, ?, ?, ?, ?, ?, ?"
	args := []any{ti.task, runID, ti.mapIndex, ti.state, ti.try, ti.max, ti.host, ti.op, ti.custom, pickledEmpty, ti.startDate, ti.endDate, ti.duration}
	if tg.Major() == 3 {
		cols = "id, " + cols
		vals = "?, " + vals
		args = append([]any{fmt.Sprintf("01939a1e-0000-7000-8000-%012d", n)}, args...)
	}
	db.SQL(t, "INSERT INTO task_instance ("+cols+") VALUES ("+vals+")", args...)
}

// TestTasksList: a run's task instances as the scheduler wrote them, read
// back by `tasks list` in the DAG's topological order (not task id order),
// mapped instances by map index, tasks the DAG no longer has last; each
// field compared with the task_instance row; --state filters; `runs get`
// counts them by state.
func TestTasksList(t *testing.T) {
	forEach(t, sampleTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		runID := strings.TrimSpace(r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-03-01", "--end-date", "2024-03-01",
			"-o", "json", "--jq", ".dag_run_ids[0]").Stdout)
		// extract >> transform (mapped) >> load, serialized as load, transform, extract.
		gridDAG(t, db)
		start, end := "2024-03-01 01:00:00", "2024-03-01 01:00:12.5"
		rows := []tiRow{
			{task: "load", mapIndex: -1, state: "upstream_failed", try: 0, max: 0, op: "BashOperator"},
			{task: "zz_gone", mapIndex: -1, state: nil, try: 0, max: 0, op: "EmptyOperator"},
			{task: "transform", mapIndex: 1, state: "failed", try: 2, max: 1, host: "worker-2", op: "_PythonDecoratedOperator", custom: "@task", duration: 12.5, startDate: start, endDate: end},
			{task: "aa_gone", mapIndex: -1, state: "removed", try: 1, max: 0, op: "EmptyOperator"},
			{task: "transform", mapIndex: 0, state: "success", try: 1, max: 1, host: "worker-1", op: "_PythonDecoratedOperator", custom: "@task", duration: 3.25, startDate: start, endDate: start},
			{task: "extract", mapIndex: -1, state: "success", try: 1, max: 0, host: "worker-1", op: "BashOperator", duration: 1.0, startDate: start, endDate: start},
		}
		for i, row := range rows {
			insertTaskInstance(t, db, tg, runID, i+1, row)
		}

		var views []shared.TaskInstanceView
		r.JSON(t, &views, "tasks", "list", runID, "--dag-id", "fx_daily_cron")
		var order []string
		for _, v := range views {
			order = append(order, fmt.Sprintf("%s[%d]", v.TaskID, v.MapIndex))
		}
		want := "extract[-1] transform[0] transform[1] load[-1] aa_gone[-1] zz_gone[-1]"
		if strings.Join(order, " ") != want {
			t.Fatalf("order %v, want %s", order, want)
		}
		// Every field against the row the scheduler wrote.
		idCol := "NULL"
		if tg.Major() == 3 {
			idCol = "id"
			if tg.SQL() == dbtest.Postgres {
				idCol = "id::text"
			}
		}
		for _, v := range views {
			got := db.QueryRows(t, "SELECT state, try_number, max_tries, hostname, pool, queue, operator, custom_operator_name, duration, "+idCol+
				" FROM task_instance WHERE dag_id = 'fx_daily_cron' AND run_id = ? AND task_id = ? AND map_index = ?", runID, v.TaskID, v.MapIndex)
			if len(got) != 1 {
				t.Fatalf("%s: %d rows", v.TaskID, len(got))
			}
			row := got[0]
			str := func(x any) string {
				switch y := x.(type) {
				case nil:
					return ""
				case []byte:
					return string(y)
				}
				return fmt.Sprint(x)
			}
			state := ""
			if v.State != nil {
				state = *v.State
			}
			dur := ""
			if v.Duration != nil {
				dur = fmt.Sprint(*v.Duration)
			}
			id := v.ID
			if tg.Major() == 2 && id != "" {
				t.Errorf("%s: id %q on Airflow 2", v.TaskID, id)
			}
			opName := str(row[7])
			if opName == "" {
				opName = str(row[6])
			}
			if state != str(row[0]) || fmt.Sprint(v.TryNumber) != str(row[1]) || fmt.Sprint(v.MaxTries) != str(row[2]) ||
				v.Hostname != str(row[3]) || v.Pool != str(row[4]) || v.Queue == nil || *v.Queue != str(row[5]) ||
				v.Operator == nil || *v.Operator != str(row[6]) || v.OperatorName == nil || *v.OperatorName != opName ||
				dur != str(row[8]) || id != str(row[9]) {
				t.Errorf("%s[%d]: view %+v\nrow %q", v.TaskID, v.MapIndex, v, row)
			}
		}
		tr := views[2]
		if tr.StartDate == nil || *tr.StartDate != "2024-03-01T01:00:00Z" || tr.EndDate == nil || *tr.EndDate != "2024-03-01T01:00:12Z" ||
			tr.Duration == nil || *tr.Duration != 12.5 || tr.TryNumber != 2 || tr.MaxTries != 1 || tr.DagRunID != runID {
			t.Errorf("transform[1]: %+v", tr)
		}
		if tg.Major() == 3 && tr.ID != "01939a1e-0000-7000-8000-000000000003" {
			t.Errorf("transform[1] id %q", tr.ID)
		}

		// --state: a comma list, "none" for no state.
		r.JSON(t, &views, "tasks", "list", runID, "--dag-id", "fx_daily_cron", "--state", "failed,upstream_failed", "--state", "none")
		order = order[:0]
		for _, v := range views {
			order = append(order, v.TaskID)
		}
		if strings.Join(order, " ") != "transform load zz_gone" {
			t.Errorf("--state failed,upstream_failed,none: %v", order)
		}
		// The table in a pipe: no header, the DAG's order, "none" for no state.
		table := r.MustRun(t, 0, "tasks", "list", runID, "--dag-id", "fx_daily_cron", "--state", "failed,none").Stdout
		lines := strings.Split(strings.TrimSpace(table), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "transform") || !strings.Contains(lines[0], "failed") ||
			!strings.Contains(lines[0], "12.5") || !strings.Contains(lines[0], "@task") || !strings.Contains(lines[1], "none") {
			t.Errorf("table:\n%s", table)
		}

		// --dag-id may be left out when the run id is in one DAG only.
		if n := strings.Count(r.MustRun(t, 0, "tasks", "list", runID, "-o", "name").Stdout, "\n"); n != 6 {
			t.Errorf("tasks list without --dag-id: %d lines", n)
		}
		// runs get counts the task instances by state.
		var run runshared.RunDetailView
		r.JSON(t, &run, "runs", "get", runID, "--dag-id", "fx_daily_cron")
		wantCounts := map[string]int{"success": 2, "failed": 1, "upstream_failed": 1, "removed": 1, "none": 1}
		if fmt.Sprint(run.TaskInstanceStates) != fmt.Sprint(wantCounts) || run.RunID != runID {
			t.Errorf("runs get task_instance_states = %v, want %v", run.TaskInstanceStates, wantCounts)
		}
		if out := r.MustRun(t, 0, "runs", "get", runID, "--dag-id", "fx_daily_cron").Stdout; !strings.Contains(out, "2 success, 1 failed, 1 upstream_failed, 1 removed, 1 none") {
			t.Errorf("runs get table: %q", out)
		}

		// Bad input: one line, exit 2 or 3.
		for _, c := range []struct {
			code int
			args []string
			says string
		}{
			{3, []string{"tasks", "list", "no_such_run", "--dag-id", "fx_daily_cron"}, `run "no_such_run" not found`},
			{3, []string{"tasks", "list", runID, "--dag-id", "fx_hourly"}, "not found"},
			{2, []string{"tasks", "logs", runID, "extract", "--dag-id", "fx_daily_cron", "-o", "json"}, "tasks logs prints the log as text"},
			{2, []string{"tasks", "list", runID, "--dag-id", "fx_daily_cron", "--state", "bogus"}, `--state: "bogus" is not a task instance state`},
		} {
			res := r.MustRun(t, c.code, c.args...)
			if !strings.Contains(res.Stderr, c.says) || strings.Count(strings.TrimSpace(res.Stderr), "\n") != 0 {
				t.Errorf("%v: %q", c.args, res.Stderr)
			}
		}
	})
}
