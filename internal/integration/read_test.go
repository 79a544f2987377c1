package integration

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/dagctl/dagctl/internal/cli/dags/list"
	"github.com/dagctl/dagctl/internal/cli/runs/shared"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

func TestDagsList(t *testing.T) {
	forEach(t, sampleTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		var dags []list.DAGView
		r.JSON(t, &dags, "dags", "list")
		if len(dags) != 14 {
			t.Fatalf("%d dags, want 14", len(dags))
		}
		for i := 1; i < len(dags); i++ {
			if dags[i-1].DagID >= dags[i].DagID {
				t.Errorf("not sorted by dag_id: %s before %s", dags[i-1].DagID, dags[i].DagID)
			}
		}
		byID := map[string]list.DAGView{}
		for _, d := range dags {
			byID[d.DagID] = d
		}
		if d := byID["fx_daily_cron"]; d.Schedule != "0 0 * * *" || d.LastExecution != nil || !d.IsActive || d.IsPaused ||
			!strings.HasSuffix(d.FullPath, "fx_schedules.py") {
			t.Errorf("fx_daily_cron = %+v", d)
		}
		if d := byID["fx_manual_only"]; d.Schedule != "None" {
			t.Errorf("fx_manual_only schedule = %q, want None", d.Schedule)
		}
		if d := byID["fx_max_active_runs"]; d.MaxActiveRuns == nil || *d.MaxActiveRuns != 2 {
			t.Errorf("fx_max_active_runs max_active_runs = %v", d.MaxActiveRuns)
		}
		r.JSON(t, &dags, "dags", "list", "--paused")
		if len(dags) != 1 || dags[0].DagID != "fx_paused" {
			t.Errorf("--paused = %v", dags)
		}
		r.JSON(t, &dags, "dags", "list", "--tag", "fixtures", "--tag", "etl")
		if len(dags) != 1 || dags[0].DagID != "fx_tags_params" || strings.Join(dags[0].Tags, ",") != "etl,fixtures" {
			t.Errorf("--tag fixtures --tag etl = %+v", dags)
		}
		r.JSON(t, &dags, "dags", "list", "--tag", "etl", "--tag", "nope")
		if len(dags) != 0 {
			t.Errorf("tags must all match: %v", dags)
		}
		r.JSON(t, &dags, "dags", "list", "--pattern", "fx_*_cron")
		if len(dags) != 1 || dags[0].DagID != "fx_daily_cron" {
			t.Errorf("--pattern = %v", dags)
		}
		r.JSON(t, &dags, "dags", "list", "--pattern", "fx%")
		if len(dags) != 0 {
			t.Errorf("--pattern %% must be literal: %v", dags)
		}
		// last_execution is the newest logical date of any run.
		r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-03-01", "--end-date", "2024-03-03")
		r.JSON(t, &dags, "dags", "list", "--pattern", "fx_daily_cron")
		if len(dags) != 1 || dags[0].LastExecution == nil || *dags[0].LastExecution != "2024-03-03T00:00:00Z" {
			t.Errorf("last_execution = %v", dags[0].LastExecution)
		}
		// Inactive (2.x) / stale (3.x) DAGs are hidden unless asked for.
		if tg.Major() == 2 {
			db.SQL(t, "UPDATE dag SET is_active = ? WHERE dag_id = 'fx_once'", false)
		} else {
			db.SQL(t, "UPDATE dag SET is_stale = ? WHERE dag_id = 'fx_once'", true)
		}
		r.JSON(t, &dags, "dags", "list")
		if len(dags) != 13 {
			t.Errorf("inactive dag shown: %d dags", len(dags))
		}
		r.JSON(t, &dags, "dags", "list", "--include-inactive")
		if len(dags) != 14 {
			t.Errorf("--include-inactive: %d dags", len(dags))
		}
		// In a pipe: no header, one line per DAG.
		res := r.MustRun(t, 0, "dags", "list")
		if n := strings.Count(res.Stdout, "\n"); n != 13 || strings.Contains(res.Stdout, "DAG_ID") {
			t.Errorf("piped table: %d lines\n%s", n, res.Stdout)
		}
		res = r.MustRun(t, 0, "dags", "list", "-o", "name")
		if !strings.HasPrefix(res.Stdout, "fx_asset_consumer\n") && !strings.HasPrefix(res.Stdout, "fx_cron_trigger\n") {
			t.Errorf("-o name = %q", res.Stdout)
		}
		r.MustRun(t, 2, "dags", "list", "--paused", "--unpaused")
		r.MustRun(t, 2, "dags", "list", "-o", "xml")
	})
}

func TestRunsListFiltersAndPaging(t *testing.T) {
	forEach(t, sampleTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_daily_cron", "--prefix", "a_b", "--start-date", "2024-01-01", "--end-date", "2024-01-05")
		r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_daily_cron", "--prefix", "axb", "--start-date", "2024-01-06", "--end-date", "2024-01-07")
		r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_hourly", "--prefix", "A_b", "--start-date", "2024-01-01T00:00", "--end-date", "2024-01-01T02:00")
		db.SQL(t, "UPDATE dag_run SET state = 'failed' WHERE run_id = 'a_b_0000002_2024-01-02T00:00:00+00:00'")
		var runs []shared.RunView
		r.JSON(t, &runs, "runs", "list")
		if len(runs) != 10 {
			t.Fatalf("%d runs, want 10", len(runs))
		}
		for i := 1; i < len(runs); i++ {
			if runs[i-1].ID >= runs[i].ID {
				t.Fatalf("not ordered by id")
			}
		}
		// _ is literal: "a_b" does not match "axb"; case is exact: not "A_b".
		r.JSON(t, &runs, "runs", "list", "--prefix", "a_b")
		if len(runs) != 5 {
			t.Errorf("--prefix a_b: %d runs, want 5", len(runs))
		}
		r.JSON(t, &runs, "runs", "list", "--prefix", "a%")
		if len(runs) != 0 {
			t.Errorf("--prefix a%%: %d runs, want 0 (literal %%)", len(runs))
		}
		r.JSON(t, &runs, "runs", "list", "--dag-id", "fx_daily_cron", "--state", "failed")
		if len(runs) != 1 || !strings.HasPrefix(runs[0].RunID, "a_b_0000002") {
			t.Errorf("--state failed: %v", runs)
		}
		r.JSON(t, &runs, "runs", "list", "--external-trigger", "true", "--run-type", "manual")
		if len(runs) != 10 {
			t.Errorf("external manual runs: %d", len(runs))
		}
		r.JSON(t, &runs, "runs", "list", "--external-trigger", "false")
		if len(runs) != 0 {
			t.Errorf("--external-trigger false: %d", len(runs))
		}
		// Keyset paging.
		var page1, page2 []shared.RunView
		r.JSON(t, &page1, "runs", "list", "--limit", "4")
		r.JSON(t, &page2, "runs", "list", "--limit", "4", "--start", q("%d", page1[3].ID))
		if len(page1) != 4 || len(page2) != 4 || page2[0].ID <= page1[3].ID {
			t.Errorf("paging: %d then %d", len(page1), len(page2))
		}
		r.MustRun(t, 2, "runs", "list", "--limit", "101")
		r.MustRun(t, 2, "runs", "list", "--limit", "0")
		r.MustRun(t, 2, "runs", "list", "--external-trigger", "maybe")
		// --all streams every run, in every format.
		var all []shared.RunView
		r.JSON(t, &all, "runs", "list", "--all")
		if len(all) != 10 {
			t.Errorf("--all json: %d runs", len(all))
		}
		res := r.MustRun(t, 0, "runs", "list", "--all", "-o", "csv")
		if n := strings.Count(res.Stdout, "\n"); n != 11 {
			t.Errorf("--all csv: %d lines, want header + 10", n)
		}
		// An empty result is [] in JSON.
		res = r.MustRun(t, 0, "runs", "list", "--dag-id", "nope", "-o", "json")
		if strings.TrimSpace(res.Stdout) != "[]" {
			t.Errorf("empty json = %q", res.Stdout)
		}
		res = r.MustRun(t, 0, "runs", "list", "--dag-id", "nope", "--all", "-o", "json")
		var empty []any
		if err := json.Unmarshal([]byte(res.Stdout), &empty); err != nil || empty == nil || len(empty) != 0 {
			t.Errorf("empty --all json = %q", res.Stdout)
		}
		res = r.MustRun(t, 0, "runs", "list", "--dag-id", "fx_hourly", "-o", "yaml")
		if !strings.Contains(res.Stdout, "run_id: A_b_0000001_2024-01-01T00:00:00+00:00") {
			t.Errorf("yaml output:\n%s", res.Stdout)
		}
	})
}

func TestRunsGet(t *testing.T) {
	forEach(t, sampleTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_daily_cron", "--prefix", "same", "--start-date", "2024-01-01", "--end-date", "2024-01-01")
		r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_weekly_monday", "--prefix", "same")
		id := "same_0000001_2024-01-01T00:00:00+00:00"
		var v shared.RunView
		r.JSON(t, &v, "runs", "get", id)
		if v.DagID != "fx_daily_cron" || v.LogicalDate == nil || *v.LogicalDate != "2024-01-01T00:00:00Z" || v.ExecutionDate == nil ||
			*v.ExecutionDate != *v.LogicalDate || v.State != "queued" || !v.ExternalTrigger {
			t.Errorf("get = %+v", v)
		}
		r.MustRun(t, 3, "runs", "get", "nope")
		r.MustRun(t, 3, "runs", "get", id, "--dag-id", "fx_hourly")
		// The same run_id in two DAGs: exit 2 naming both.
		db.SQL(t, "UPDATE dag_run SET run_id = ? WHERE dag_id = 'fx_weekly_monday'", id)
		res := r.MustRun(t, 2, "runs", "get", id)
		if !strings.Contains(res.Stderr, "fx_daily_cron") || !strings.Contains(res.Stderr, "fx_weekly_monday") {
			t.Errorf("ambiguous: %q", res.Stderr)
		}
		r.JSON(t, &v, "runs", "get", id, "--dag-id", "fx_weekly_monday")
		if v.DagID != "fx_weekly_monday" {
			t.Errorf("--dag-id narrowing: %+v", v)
		}
	})
}

// Airflow's own reference rows read back through dagctl: the 2.x pickled conf decodes.
func TestRunsGetReadsAirflowReferenceRows(t *testing.T) {
	var targets []target
	for _, d := range []string{dbtest.Postgres, dbtest.MySQL} {
		for _, rel := range dbtest.ReleasesWith(d, dbtest.WithReferenceRuns()) {
			targets = append(targets, target{d, rel})
		}
	}
	for _, tg := range targets {
		t.Run(tg.String(), func(t *testing.T) {
			db := open(t, tg, dbtest.WithReferenceRuns())
			r := runner(t, db)
			var runs []shared.RunView
			r.JSON(t, &runs, "runs", "list", "--dag-id", "fx_daily_cron", "--run-type", "manual")
			if len(runs) == 0 {
				t.Fatal("no reference runs")
			}
			if compact(runs[0].Conf) != `{"a":1,"nested":{"b":[1,2]}}` {
				t.Errorf("conf = %s", runs[0].Conf)
			}
		})
	}
}

func TestDoctorUnreachable(t *testing.T) {
	r := clitestNoDB(t)
	res := r.Run(t, "doctor", "--db", "postgresql://bob:Sup3rS3cret@127.0.0.1:1/airflow", "--connect-timeout", "2s")
	if res.Code != 1 || !strings.Contains(res.Stderr, "127.0.0.1:1") || strings.Contains(res.Stderr+res.Stdout, "Sup3rS3cret") {
		t.Errorf("unreachable doctor: exit %d %q", res.Code, res.Stderr)
	}
	res = r.Run(t, "doctor", "--db", "mysql://bob:Sup3rS3cret@127.0.0.1:1/airflow", "--connect-timeout", "2s")
	if res.Code != 1 || !strings.Contains(res.Stderr, "127.0.0.1:1") || strings.Contains(res.Stderr+res.Stdout, "Sup3rS3cret") {
		t.Errorf("unreachable mysql: exit %d %q", res.Code, res.Stderr)
	}
	res = r.Run(t, "doctor", "--db", "mysql://bob:Sup3rS3cret@db/airflow?ssl_mode=sometimes")
	if res.Code != 2 || !strings.Contains(res.Stderr, "ssl_mode") || strings.Contains(res.Stderr, "Sup3rS3cret") {
		t.Errorf("mysql bad ssl_mode: exit %d %q", res.Code, res.Stderr)
	}
	res = r.Run(t, "doctor", "--db", "::nope")
	if res.Code != 2 {
		t.Errorf("unparsable URL: exit %d %q", res.Code, res.Stderr)
	}
}
