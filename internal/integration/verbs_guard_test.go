package integration

import (
	"strings"
	"testing"

	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// pickledEmpty is pickle.dumps({}) as Airflow stores an empty executor_config.
var pickledEmpty = []byte{0x80, 0x05, 0x7d, 0x94, 0x2e}

// seedVerbRuns gives fx_daily_cron runs of 2024-01-01..03 (success, failed,
// success) with task instances start (success) and work (success/failed).
func seedVerbRuns(t *testing.T, tg target, db *dbtest.DB) []string {
	t.Helper()
	r := runner(t, db)
	r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_daily_cron", "--prefix", "v", "--start-date", "2024-01-01", "--end-date", "2024-01-03")
	ids := []string{"v_0000001_2024-01-01T00:00:00+00:00", "v_0000002_2024-01-02T00:00:00+00:00", "v_0000003_2024-01-03T00:00:00+00:00"}
	for i, id := range ids {
		state := "success"
		if i == 1 {
			state = "failed"
		}
		db.SQL(t, "UPDATE dag_run SET state = ?, start_date = '2024-07-01 00:00:00', end_date = '2024-07-01 00:10:00' WHERE run_id = ?", state, id)
		for j, task := range []string{"start", "work"} {
			ts := "success"
			if task == "work" {
				ts = state
			}
			if tg.Major() == 2 {
				db.SQL(t, `INSERT INTO task_instance (task_id, dag_id, run_id, map_index, pool, pool_slots, state, try_number, max_tries, hostname, unixname, queue, priority_weight, custom_operator_name, executor_config, start_date, end_date, duration)
					VALUES (?, 'fx_daily_cron', ?, -1, 'default_pool', 1, ?, 1, 0, '', 'airflow', 'default', 1, '', ?, '2024-07-01 00:00:00', '2024-07-01 00:05:00', 300)`, task, id, ts, pickledEmpty)
			} else {
				db.SQL(t, `INSERT INTO task_instance (id, task_id, dag_id, run_id, map_index, pool, pool_slots, state, try_number, max_tries, hostname, unixname, queue, priority_weight, custom_operator_name, executor_config, start_date, end_date, duration)
					VALUES (?, ?, 'fx_daily_cron', ?, -1, 'default_pool', 1, ?, 1, 0, '', 'airflow', 'default', 1, '', ?, '2024-07-01 00:00:00', '2024-07-01 00:05:00', 300)`,
					q("01939a1e-0000-7000-8000-0000000000%d%d", i, j), task, id, ts, pickledEmpty)
			}
		}
	}
	return ids
}

// Bad input to the operator verbs: exit 2 or 3, one line naming the field,
// and not one row changed anywhere.
func TestVerbsBadInputChangesNothing(t *testing.T) {
	targets := []target{{dbtest.Postgres, "2.10.5"}, {dbtest.Postgres, "3.0.3"}, {dbtest.SQLite, "3.0.3"}}
	forEach(t, targets, func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		ids := seedVerbRuns(t, tg, db)
		r := runner(t, db)
		before := db.Checksum(t)
		cases := []badCase{
			{a("dags", "pause"), 2, "DAG_ID"},
			{a("dags", "pause", "nope"), 3, `"nope"`},
			{a("dags", "pause", "fx_hourly", "nope"), 3, `"nope"`},
			{a("dags", "unpause", "fx_hourly", "--pattern", "fx_.*"), 2, "--pattern"},
			{a("dags", "pause", "--pattern", "fx_[daily"), 2, "--pattern"},
			{a("dags", "pause", "--pattern", "fx_hour"), 3, "--pattern"}, // whole-id match: fx_hour is no dag
			{a("dags", "pause", "--pattern", "%"), 3, "--pattern"},
			{a("runs", "clear", "--dag-id", "fx_daily_cron"), 2, "RUN_ID"},
			{a("runs", "clear", ids[0]), 2, "--dag-id"},
			{a("runs", "clear", "nope", "--dag-id", "fx_daily_cron"), 3, `"nope"`},
			{a("runs", "clear", ids[0], "nope", "--dag-id", "fx_daily_cron"), 3, `"nope"`},
			{a("runs", "clear", ids[0], "--dag-id", "nope"), 3, `"nope"`},
			{a("runs", "clear", ids[0], "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01"), 2, "--start-date"},
			{a("runs", "clear", ids[0], "--dag-id", "fx_daily_cron", "--state", "failed"), 2, "--state"},
			{a("runs", "clear", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--state", "bogus"), 2, "--state"},
			{a("runs", "clear", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--state", "success'--"), 2, "--state"},
			{a("runs", "clear", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "-t", "wo(rk"), 2, "--task-regex"},
			{a("runs", "clear", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--downstream"), 2, "--downstream"},
			{a("runs", "clear", "--dag-id", "fx_daily_cron", "--start-date", "yesterday"), 2, "--start-date"},
			{a("runs", "clear", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-03", "--end-date", "2024-01-01"), 2, "--start-date"},
			{a("runs", "set-state", ids[0], "--dag-id", "fx_daily_cron"), 2, "--state"},
			{a("runs", "set-state", ids[0], "--dag-id", "fx_daily_cron", "--state", "running"), 2, "--state"},
			{a("runs", "set-state", ids[0], "--dag-id", "fx_daily_cron", "--state", "bogus"), 2, "--state"},
			{a("runs", "set-state", ids[0], "--state", "success"), 2, "--dag-id"},
			{a("runs", "set-state", "--dag-id", "fx_daily_cron", "--state", "success"), 2, "arg"},
			{a("runs", "set-state", "nope", "--dag-id", "fx_daily_cron", "--state", "success"), 3, `"nope"`},
			{a("runs", "set-state", ids[0], "--dag-id", "fx_hourly", "--state", "failed"), 3, ids[0]},
		}
		for _, c := range cases {
			res := r.Run(t, c.args...)
			msg := strings.TrimSpace(res.Stderr)
			if res.Code != c.code || !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") || msg == "" {
				t.Errorf("dagctl %q: exit %d, stderr %q; want exit %d and one line naming %q", c.args, res.Code, msg, c.code, c.want)
			}
		}
		if db.Checksum(t) != before {
			t.Errorf("refused commands changed the database")
		}
		// Dry runs write nothing either.
		r.MustRun(t, 0, "runs", "clear", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-01-03", "--dry-run")
		r.MustRun(t, 0, "runs", "set-state", ids[0], "--dag-id", "fx_daily_cron", "--state", "failed", "--dry-run")
		r.MustRun(t, 0, "dags", "pause", "--pattern", ".*", "--dry-run")
		if db.Checksum(t) != before {
			t.Errorf("a dry run changed the database")
		}
	})
}

type badCase struct {
	args []string
	code int
	want string
}

func a(args ...string) []string { return args }
