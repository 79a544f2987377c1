package integration

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/dagctl/dagctl/internal/cli/runs/create"
	"github.com/dagctl/dagctl/internal/cli/runs/shared"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

func TestRunsCreateRangeWritesAirflowRows(t *testing.T) {
	forEach(t, sampleTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		var res create.Result
		r.JSON(t, &res, "runs", "create", "--dag-id", "fx_daily_cron", "--prefix", "nightly",
			"--start-date", "2024-01-01", "--end-date", "2024-01-03", "--conf", `{"a": 1, "nested": {"b": [1, 2]}}`)
		want := []string{
			"nightly_0000001_2024-01-01T00:00:00+00:00",
			"nightly_0000002_2024-01-02T00:00:00+00:00",
			"nightly_0000003_2024-01-03T00:00:00+00:00",
		}
		if strings.Join(res.DagRunIDs, ",") != strings.Join(want, ",") {
			t.Fatalf("dag_run_ids = %v, want %v", res.DagRunIDs, want)
		}
		rows := db.QueryRows(t, q(`SELECT run_id, state, run_type, clear_number, log_template_id FROM dag_run
			WHERE dag_id = 'fx_daily_cron' AND run_id LIKE 'nightly%%' ORDER BY %s`, ld(tg)))
		if len(rows) != 3 {
			t.Fatalf("%d rows written, want 3", len(rows))
		}
		maxTemplate := db.ScalarInt(t, "SELECT max(id) FROM log_template")
		for _, row := range rows {
			if text(row[1]) != "queued" || text(row[2]) != "manual" || text(row[3]) != "0" || text(row[4]) != q("%d", maxTemplate) {
				t.Errorf("row %v: want queued/manual/0/log_template %d", row, maxTemplate)
			}
		}
		// Data intervals: 2.x CronDataInterval covers the day before; 3.x CronTrigger is a point.
		start := db.ScalarString(t, "SELECT data_interval_start FROM dag_run WHERE run_id = ?", want[1])
		end := db.ScalarString(t, "SELECT data_interval_end FROM dag_run WHERE run_id = ?", want[1])
		if tg.Major() == 2 {
			if !strings.HasPrefix(start, "2024-01-02") || !strings.HasPrefix(end, "2024-01-03") {
				t.Errorf("2.x interval = %s..%s, want 2024-01-02..2024-01-03", start, end)
			}
			ext := text(db.Scalar(t, "SELECT external_trigger FROM dag_run WHERE run_id = ?", want[0]))
			if ext != "true" && ext != "1" {
				t.Errorf("external_trigger = %s, want true", ext)
			}
			if h := db.Scalar(t, "SELECT dag_hash FROM dag_run WHERE run_id = ?", want[0]); h != nil {
				t.Errorf("dag_hash = %v, want NULL", h)
			}
			// The pickle Airflow 2.10.5 wrote for the same conf (reference-runs fixture).
			conf := db.Scalar(t, "SELECT conf FROM dag_run WHERE run_id = ?", want[0])
			b, _ := conf.([]byte)
			if hex.EncodeToString(b) != "80059523000000000000007d94288c0161944b018c066e6573746564947d948c0162945d94284b014b026573752e" {
				t.Errorf("conf pickle = %x, want Airflow's bytes", b)
			}
		} else {
			if !strings.HasPrefix(start, "2024-01-02") || !strings.HasPrefix(end, "2024-01-02") {
				t.Errorf("3.x interval = %s..%s, want the point 2024-01-02", start, end)
			}
			if got := db.ScalarString(t, "SELECT triggered_by FROM dag_run WHERE run_id = ?", want[0]); got != "CLI" {
				t.Errorf("triggered_by = %q, want CLI", got)
			}
			if v := db.Scalar(t, "SELECT bundle_version FROM dag_run WHERE run_id = ?", want[0]); v != nil {
				t.Errorf("bundle_version = %v, want NULL", v)
			}
			latest := db.ScalarString(t, "SELECT id FROM dag_version WHERE dag_id = 'fx_daily_cron' ORDER BY created_at DESC LIMIT 1")
			if got := db.ScalarString(t, "SELECT created_dag_version_id FROM dag_run WHERE run_id = ?", want[0]); got != latest {
				t.Errorf("created_dag_version_id = %q, want newest dag_version %q", got, latest)
			}
			ra := db.ScalarString(t, "SELECT run_after FROM dag_run WHERE run_id = ?", want[1])
			if !strings.HasPrefix(ra, "2024-01-02") {
				t.Errorf("run_after = %s, want 2024-01-02", ra)
			}
		}
		// The conf reads back as the same JSON.
		var got shared.RunView
		r.JSON(t, &got, "runs", "get", want[0], "--dag-id", "fx_daily_cron")
		if compact(got.Conf) != `{"a":1,"nested":{"b":[1,2]}}` {
			t.Errorf("conf read back = %s", got.Conf)
		}
		// One audit row.
		if n := db.ScalarInt(t, "SELECT count(*) FROM log WHERE event = 'dagctl.runs.create' AND dag_id = 'fx_daily_cron' AND owner = 'tester'"); n != 1 {
			t.Errorf("audit rows = %d, want 1", n)
		}
	})
}

func TestRunsCreateSkipsExistingAndContinuesCounter(t *testing.T) {
	forEach(t, sampleTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		var first, second create.Result
		r.JSON(t, &first, "runs", "create", "--dag-id", "fx_daily_cron", "--prefix", "p", "--start-date", "2024-01-02", "--end-date", "2024-01-03")
		r.JSON(t, &second, "runs", "create", "--dag-id", "fx_daily_cron", "--prefix", "p", "--start-date", "2024-01-01", "--end-date", "2024-01-04")
		if len(second.Skipped) != 2 || second.Skipped[0].RunID != "p_0000001_2024-01-02T00:00:00+00:00" {
			t.Errorf("skipped = %+v", second.Skipped)
		}
		want := "p_0000003_2024-01-01T00:00:00+00:00,p_0000004_2024-01-04T00:00:00+00:00"
		if strings.Join(second.DagRunIDs, ",") != want {
			t.Errorf("second ids = %v, want %s", second.DagRunIDs, want)
		}
		if n := db.ScalarInt(t, "SELECT count(*) FROM dag_run WHERE dag_id = 'fx_daily_cron'"); n != 4 {
			t.Errorf("runs = %d, want 4", n)
		}
	})
}

func TestRunsCreateLimitPartialAndDryRun(t *testing.T) {
	forEach(t, sampleTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		before := db.Checksum(t)
		res := r.MustRun(t, 2, "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-01-10", "--limit", "5")
		if !strings.Contains(res.Stderr, "10 dag runs would be created, which exceeds the limit of 5") {
			t.Errorf("stderr = %q", res.Stderr)
		}
		var dry create.Result
		r.JSON(t, &dry, "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-01-10", "--limit", "5", "--partial", "--dry-run")
		if db.Checksum(t) != before {
			t.Fatal("a refused create or a dry run changed the database")
		}
		var real create.Result
		r.JSON(t, &real, "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-01-10", "--limit", "5", "--partial")
		if real.Remaining != 5 || len(real.DagRunIDs) != 5 || dry.Remaining != 5 || len(dry.Runs) != 5 {
			t.Fatalf("partial: real %+v dry %+v", real, dry)
		}
		for i := range dry.Runs {
			if dry.Runs[i] != real.Runs[i] {
				t.Errorf("dry run planned %+v, create wrote %+v", dry.Runs[i], real.Runs[i])
			}
		}
	})
}

func TestRunsCreateRefusals(t *testing.T) {
	forEach(t, sampleTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		before := db.Checksum(t)
		cases := []struct {
			args []string
			code int
			want string
		}{
			{[]string{"--dag-id", "nope"}, 3, `dag "nope" not found`},
			{[]string{"--dag-id", "fx_manual_only", "--start-date", "2024-01-01"}, 2, "non-periodic"},
			{[]string{"--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-01-01"}, 2, "--start-date"},
			{[]string{"--dag-id", "fx_daily_cron", "--prefix", "my backfill"}, 2, "--prefix"},
			{[]string{"--dag-id", "fx_daily_cron", "--prefix", "nightly_BackFill"}, 2, "backfill"},
			{[]string{"--dag-id", "fx_daily_cron", "--prefix", "scheduled__x"}, 2, "--prefix"},
			{[]string{"--dag-id", "fx_daily_cron", "--conf", "[1]"}, 2, "--conf"},
			{[]string{"--dag-id", "fx_daily_cron", "--conf", "{bad"}, 2, "--conf"},
			{[]string{"--dag-id", "fx_daily_cron", "--limit", "501"}, 2, "--limit"},
			{[]string{"--dag-id", "fx_daily_cron", "--start-date", "2024-13-01"}, 2, "--start-date"},
			{[]string{"--dag-id", "fx_daily_cron", "--end-date", "2024-01-01"}, 2, "--end-date"},
			{[]string{"--prefix", "x"}, 2, "--dag-id"},
		}
		for _, c := range cases {
			res := r.Run(t, append([]string{"runs", "create"}, c.args...)...)
			if res.Code != c.code || !strings.Contains(res.Stderr, c.want) || strings.Count(strings.TrimSpace(res.Stderr), "\n") != 0 {
				t.Errorf("runs create %v: exit %d stderr %q; want exit %d naming %q on one line", c.args, res.Code, res.Stderr, c.code, c.want)
			}
		}
		if db.Checksum(t) != before {
			t.Fatal("a refused create changed the database")
		}
	})
}

func TestRunsCreateSingleRunNow(t *testing.T) {
	forEach(t, sampleTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		var res create.Result
		r.JSON(t, &res, "runs", "create", "--dag-id", "fx_manual_only")
		if len(res.DagRunIDs) != 1 || res.DagRunIDs[0] != "manual_0000001_2026-11-23T12:00:00+00:00" {
			t.Fatalf("ids = %v", res.DagRunIDs)
		}
		var again create.Result
		r.JSON(t, &again, "runs", "create", "--dag-id", "fx_manual_only")
		if len(again.DagRunIDs) != 0 || len(again.Skipped) != 1 {
			t.Errorf("second create at the same second: %+v, want skipped", again)
		}
	})
}

func TestRunsCreateConcurrentSamePrefix(t *testing.T) {
	for _, tg := range []target{{dbtest.Postgres, "2.10.5"}, {dbtest.Postgres, "3.0.3"}, {dbtest.SQLite, "3.0.3"}, {pgbouncer, "2.10.5"}, {pgbouncer, "3.0.3"}, {dbtest.MySQL, "2.10.5"}} {
		t.Run(tg.String(), func(t *testing.T) {
			db := open(t, tg, dbtest.WithSampleDAGs())
			r := runner(t, db)
			var wg sync.WaitGroup
			results := make([]create.Result, 4)
			codes := make([]int, 4)
			for i := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res := r.Run(t, "runs", "create", "--dag-id", "fx_hourly", "--prefix", "race",
						"--start-date", "2024-01-01T00:00", "--end-date", "2024-01-02T00:00", "-o", "json")
					codes[i] = res.Code
					if res.Code == 0 {
						_ = jsonUnmarshal(res.Stdout, &results[i])
					}
				}()
			}
			wg.Wait()
			created := 0
			for i := range 4 {
				if codes[i] != 0 {
					t.Fatalf("create %d exited %d", i, codes[i])
				}
				created += len(results[i].DagRunIDs)
			}
			if created != 25 {
				t.Errorf("created %d runs in all, want 25 (one per hour, no duplicates)", created)
			}
			if n := db.ScalarInt(t, "SELECT count(DISTINCT run_id) FROM dag_run WHERE dag_id = 'fx_hourly'"); n != 25 {
				t.Errorf("distinct run ids = %d, want 25", n)
			}
		})
	}
}

// Like Airflow's trigger endpoints: an inactive/stale DAG is not found, one
// with import errors cannot be triggered; nothing is written.
func TestCreateRefusesInactiveAndBrokenDAGs(t *testing.T) {
	forEach(t, sampleTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		if tg.Major() == 2 {
			db.SQL(t, "UPDATE dag SET is_active = ? WHERE dag_id = 'fx_hourly'", false)
		} else {
			db.SQL(t, "UPDATE dag SET is_stale = ? WHERE dag_id = 'fx_hourly'", true)
		}
		db.SQL(t, "UPDATE dag SET has_import_errors = ? WHERE dag_id = 'fx_weekly_monday'", true)
		before := db.Checksum(t)
		r.MustRun(t, 3, "runs", "create", "--dag-id", "fx_hourly")
		r.MustRun(t, 3, "backfill", "create", "--dag-id", "fx_hourly", "--start-date", "2024-01-01", "--end-date", "2024-01-02")
		res := r.MustRun(t, 2, "runs", "create", "--dag-id", "fx_weekly_monday")
		if !strings.Contains(res.Stderr, "import errors") {
			t.Errorf("stderr = %q", res.Stderr)
		}
		r.MustRun(t, 2, "backfill", "create", "--dag-id", "fx_weekly_monday", "--start-date", "2024-01-01", "--end-date", "2024-01-31")
		if db.Checksum(t) != before {
			t.Fatal("a refused create changed the database")
		}
	})
}

// --conf @file reads the conf from a file; a missing file is exit 2 naming
// --conf; -q silences informational lines but not data.
func TestRunsCreateConfFileAndQuiet(t *testing.T) {
	forEach(t, []target{{dbtest.SQLite, "2.10.5"}, {dbtest.Postgres, "3.0.3"}, {dbtest.MySQL, "2.10.5"}}, func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		path := t.TempDir() + "/conf.json"
		if err := os.WriteFile(path, []byte(`{"from": "file", "n": [1, 2]}`), 0o600); err != nil {
			t.Fatal(err)
		}
		var res create.Result
		r.JSON(t, &res, "runs", "create", "--dag-id", "fx_daily_cron", "--conf", "@"+path)
		var v shared.RunView
		r.JSON(t, &v, "runs", "get", res.DagRunIDs[0], "--dag-id", "fx_daily_cron")
		var conf map[string]any
		// jsonb (3.x on PostgreSQL) keeps its own key order: compare as values.
		if err := json.Unmarshal(v.Conf, &conf); err != nil || conf["from"] != "file" || len(conf["n"].([]any)) != 2 {
			t.Errorf("conf from file = %s", v.Conf)
		}
		bad := r.MustRun(t, 2, "runs", "create", "--dag-id", "fx_daily_cron", "--conf", "@"+path+".missing")
		if !strings.Contains(bad.Stderr, "--conf") {
			t.Errorf("missing conf file: %q", bad.Stderr)
		}
		// fx_paused is paused: a note on stderr, unless -q.
		loud := r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_paused")
		quiet := r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_paused", "--prefix", "q", "-q")
		if !strings.Contains(loud.Stderr, "paused") || quiet.Stderr != "" || quiet.Stdout == "" {
			t.Errorf("note %q; with -q stderr %q, stdout %q", loud.Stderr, quiet.Stderr, quiet.Stdout)
		}
	})
}
