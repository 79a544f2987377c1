package integration

import (
	"strings"
	"sync"
	"testing"

	"github.com/dagctl/dagctl/internal/backfillops"
	"github.com/dagctl/dagctl/internal/clitest"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

func createBackfill(t *testing.T, r *clitest.Runner, args ...string) backfillops.View {
	t.Helper()
	var v backfillops.View
	r.JSON(t, &v, append([]string{"backfill", "create"}, args...)...)
	return v
}

func TestBackfillCreateWritesWhatEachAirflowRuns(t *testing.T) {
	forEach(t, sampleTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		var v backfillops.View
		r.JSON(t, &v, "backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-05",
			"--max-active-runs", "2", "--conf", `{"backfill": true}`, "--description", "feb")
		if !strings.HasPrefix(v.BackfillDagID, "fx_daily_cron_backfill_20261123_120000") || len(v.LogicalDates) != 5 ||
			v.Progress.Total != 5 || v.SubmittedBy == nil || *v.SubmittedBy != "tester" || v.Description == nil {
			t.Fatalf("view = %+v", v)
		}
		runs := db.ScalarInt(t, "SELECT count(*) FROM dag_run WHERE dag_id = 'fx_daily_cron'")
		if tg.Major() == 2 {
			// Airflow 2: manual runs, at most max_active_runs written.
			if runs != 2 || v.Progress.Planned != 3 || v.Progress.Queued != 2 || v.State != "queued" {
				t.Errorf("2.x: %d runs written, progress %+v state %s; want 2 written, 3 planned", runs, v.Progress, v.State)
			}
			if n := db.ScalarInt(t, "SELECT count(*) FROM dag_run WHERE run_type = 'manual' AND run_id LIKE 'fx_daily_cron_backfill_%'"); n != 2 {
				t.Errorf("manual backfill runs = %d, want 2", n)
			}
		} else {
			if runs != 5 {
				t.Fatalf("3.x runs = %d, want 5", runs)
			}
			native := db.ScalarInt(t, "SELECT id FROM backfill WHERE dag_id = 'fx_daily_cron'")
			row := db.QueryRows(t, "SELECT max_active_runs, reprocess_behavior, is_paused, completed_at FROM backfill WHERE id = ?", native)[0]
			if text(row[0]) != "2" || text(row[1]) != "none" || (text(row[2]) != "false" && text(row[2]) != "0") || row[3] != nil {
				t.Errorf("backfill row = %v", row)
			}
			if n := db.ScalarInt(t, `SELECT count(*) FROM dag_run WHERE run_type = 'backfill' AND triggered_by = 'BACKFILL' AND backfill_id = ? AND state = 'queued'`, native); n != 5 {
				t.Errorf("native backfill runs = %d, want 5", n)
			}
			ords := db.QueryRows(t, "SELECT sort_ordinal FROM backfill_dag_run WHERE backfill_id = ? AND dag_run_id IS NOT NULL ORDER BY logical_date", native)
			if len(ords) != 5 || text(ords[0][0]) != "1" || text(ords[4][0]) != "5" {
				t.Errorf("backfill_dag_run sort ordinals = %v", ords)
			}
			conf := db.ScalarString(t, "SELECT dag_run_conf FROM backfill WHERE id = ?", native)
			if compact([]byte(conf)) != `{"backfill":true}` {
				t.Errorf("dag_run_conf = %s", conf)
			}
		}
		if n := db.ScalarInt(t, "SELECT count(*) FROM log WHERE event = 'dagctl.backfill.create' AND owner = 'tester'"); n != 1 {
			t.Errorf("audit rows = %d", n)
		}
		var runsOf []map[string]any
		r.JSON(t, &runsOf, "runs", "list", "--backfill", v.BackfillDagID)
		if want := map[int]int{2: 2, 3: 5}[tg.Major()]; len(runsOf) != want {
			t.Errorf("runs list --backfill: %d runs, want %d", len(runsOf), want)
		}
		r.MustRun(t, 3, "runs", "list", "--backfill", "nope")
		// get and list agree.
		var got backfillops.View
		r.JSON(t, &got, "backfill", "get", v.BackfillDagID, "--runs")
		if got.BackfillDagID != v.BackfillDagID || len(got.Runs) != 5 {
			t.Errorf("get = %+v", got)
		}
		var list []backfillops.View
		r.JSON(t, &list, "backfill", "list", "--dag-id", "fx_daily_cron")
		if len(list) != 1 || list[0].BackfillDagID != v.BackfillDagID {
			t.Errorf("list = %+v", list)
		}
		r.JSON(t, &list, "backfill", "list", "--start-date", "2024-03-01", "--end-date", "2024-03-31")
		if len(list) != 0 {
			t.Errorf("list outside range = %d backfills", len(list))
		}
	})
}

func TestBackfillCreateRefusals(t *testing.T) {
	forEach(t, sampleTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		before := db.Checksum(t)
		base := []string{"--start-date", "2024-02-01", "--end-date", "2024-02-05"}
		cases := []struct {
			args []string
			code int
			want string
		}{
			{append([]string{"--dag-id", "nope"}, base...), 3, `"nope" not found`},
			{append([]string{"--dag-id", "fx_manual_only"}, base...), 2, "non-periodic"},
			{[]string{"--dag-id", "fx_daily_cron", "--start-date", "2027-01-01", "--end-date", "2027-01-05"}, 2, "--start-date"},
			{[]string{"--dag-id", "fx_daily_cron", "--start-date", "2024-02-05", "--end-date", "2024-02-01"}, 2, "--start-date"},
			{append([]string{"--dag-id", "fx_daily_cron", "--max-active-runs", "4"}, base...), 2, "--max-active-runs"},
			{append([]string{"--dag-id", "fx_daily_cron", "--max-active-runs", "0"}, base...), 2, "--max-active-runs"},
			{append([]string{"--dag-id", "fx_daily_cron", "--delete-after-days", "0"}, base...), 2, "--delete-after-days"},
			{append([]string{"--dag-id", "fx_daily_cron", "--reprocess", "all"}, base...), 2, "--reprocess"},
			{append([]string{"--dag-id", "fx_daily_cron", "--conf", "[]"}, base...), 2, "--conf"},
			{append([]string{"--dag-id", "fx_depends_on_past"}, base...), 2, "depends"},
			{append([]string{"--dag-id", "fx_depends_on_past", "--reprocess", "failed", "--run-backwards"}, base...), 2, "depends"},
			{[]string{"--dag-id", "fx_daily_cron", "--start-date", "2024-02-01"}, 2, "--end-date"},
			{append([]string{"--dag-id", "fx_daily_cron", "--scheduled-at", "tomorrow"}, base...), 2, "--scheduled-at"},
		}
		for _, c := range cases {
			res := r.Run(t, append([]string{"backfill", "create"}, c.args...)...)
			if res.Code != c.code || !strings.Contains(res.Stderr, c.want) {
				t.Errorf("backfill create %v: exit %d %q; want exit %d naming %q", c.args, res.Code, res.Stderr, c.code, c.want)
			}
		}
		if db.Checksum(t) != before {
			t.Fatal("a refused backfill create changed the database")
		}
		// A dry run writes nothing either, and shows the plan.
		var dry backfillops.View
		r.JSON(t, &dry, append([]string{"backfill", "create", "--dag-id", "fx_daily_cron", "--dry-run"}, base...)...)
		if len(dry.Runs) != 5 || db.Checksum(t) != before {
			t.Errorf("dry run: %d runs planned, database changed: %v", len(dry.Runs), db.Checksum(t) != before)
		}
	})
}

func TestBackfillOverlap(t *testing.T) {
	forEach(t, sampleTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		first := createBackfill(t, r, "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-05")
		res := r.MustRun(t, 5, "backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-02-05", "--end-date", "2024-02-09")
		if !strings.Contains(res.Stderr, first.BackfillDagID) {
			t.Errorf("overlap error %q does not name %s", res.Stderr, first.BackfillDagID)
		}
		// Not overlapping: fine. Overlapping with --ignore-overlapping: fine (existing dates are skipped).
		createBackfill(t, r, "--dag-id", "fx_daily_cron", "--start-date", "2024-03-01", "--end-date", "2024-03-02")
		second := createBackfill(t, r, "--dag-id", "fx_daily_cron", "--start-date", "2024-02-05", "--end-date", "2024-02-06", "--ignore-overlapping")
		if tg.Major() == 3 && second.Progress.Skipped != 1 {
			t.Errorf("ignore-overlapping: progress %+v, want the in-flight date skipped", second.Progress)
		}
	})
}

func TestBackfillOverlapRace(t *testing.T) {
	for _, tg := range []target{{dbtest.Postgres, "2.10.5"}, {dbtest.Postgres, "3.0.3"}, {dbtest.SQLite, "3.0.3"}, {pgbouncer, "2.10.5"}, {pgbouncer, "3.0.3"}, {dbtest.MySQL, "2.10.5"}} {
		t.Run(tg.String(), func(t *testing.T) {
			db := open(t, tg, dbtest.WithSampleDAGs())
			r := runner(t, db)
			var wg sync.WaitGroup
			codes := make([]int, 6)
			for i := range codes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					codes[i] = r.Run(t, "backfill", "create", "--dag-id", "fx_hourly", "--start-date", "2024-01-01T00:00",
						"--end-date", q("2024-01-01T%02d:00", 10+i)).Code
				}()
			}
			wg.Wait()
			wins := 0
			for _, c := range codes {
				switch c {
				case 0:
					wins++
				case 5:
				default:
					t.Errorf("exit %d, want 0 or 5", c)
				}
			}
			if wins != 1 {
				t.Errorf("%d creates won, want exactly 1 (codes %v)", wins, codes)
			}
		})
	}
}

func TestBackfillReprocessModes(t *testing.T) {
	forEach(t, sampleTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		// Existing runs on Feb 1 (success), 2 (failed), 3 (running).
		r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_daily_cron", "--prefix", "old", "--start-date", "2024-02-01", "--end-date", "2024-02-03")
		db.SQL(t, "UPDATE dag_run SET state = 'success' WHERE run_id LIKE 'old_0000001%'")
		db.SQL(t, "UPDATE dag_run SET state = 'failed' WHERE run_id LIKE 'old_0000002%'")
		db.SQL(t, "UPDATE dag_run SET state = 'running' WHERE run_id LIKE 'old_0000003%'")
		for _, c := range []struct {
			mode                   string
			skipped, rerun, create int
		}{
			{"none", 3, 0, 2},
			{"failed", 2, 1, 2},
			{"completed", 1, 2, 2},
		} {
			var v backfillops.View
			r.JSON(t, &v, "backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-05",
				"--reprocess", c.mode, "--dry-run")
			got := map[string]int{}
			for _, run := range v.Runs {
				got[run.Disposition]++
			}
			if got["skip"] != c.skipped || got["rerun"] != c.rerun || got["create"] != c.create {
				t.Errorf("--reprocess %s: dispositions %v, want skip %d rerun %d create %d", c.mode, got, c.skipped, c.rerun, c.create)
			}
		}
		// A real "failed" reprocess clears the failed run the way Airflow's clear does.
		createBackfill(t, r, "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-05", "--reprocess", "failed", "--max-active-runs", "3")
		row := db.QueryRows(t, "SELECT state, clear_number, start_date, run_type FROM dag_run WHERE run_id LIKE 'old_0000002%'")[0]
		if text(row[0]) != "queued" || text(row[1]) != "1" || row[2] != nil {
			t.Errorf("re-run run = %v, want queued, clear_number 1, no start_date", row)
		}
		if tg.Major() == 3 && text(row[3]) != "backfill" {
			t.Errorf("3.x re-run run_type = %s, want backfill", text(row[3]))
		}
		if got := db.ScalarString(t, "SELECT state FROM dag_run WHERE run_id LIKE 'old_0000001%'"); got != "success" {
			t.Errorf("successful run touched: %s", got)
		}
	})
}
