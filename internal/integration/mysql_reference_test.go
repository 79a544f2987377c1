package integration

import (
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/dagctl/dagctl/internal/backfillops"
	"github.com/dagctl/dagctl/internal/cli/runs/create"
	"github.com/dagctl/dagctl/internal/cli/runs/shared"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// The dag_run columns of Airflow 2.10.5 that hold no clock reading, and
// whether a run dagctl creates must carry the very value of Airflow's own
// CLI-triggered reference run 2 (`airflow dags trigger fx_daily_cron -c ...`).
var mysqlSameAsAirflow = []string{"dag_id", "state", "run_type", "external_trigger", "conf", "log_template_id",
	"clear_number", "start_date", "end_date", "creating_job_id", "last_scheduling_decision"}

// rawRow reads one row as the server sends it in text (the exact stored
// bytes for blobs, the digits of a tinyint(1), TIMESTAMPs rendered in the
// handle's session time zone), keyed by column name.
func rawRow(t *testing.T, h *sql.DB, query string, args ...any) map[string]string {
	t.Helper()
	rows, err := h.Query(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	if !rows.Next() {
		t.Fatalf("%s %v: no row", query, args)
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for i, c := range cols {
		if vals[i] == nil {
			out[c] = "NULL"
		} else {
			out[c] = string(vals[i])
		}
	}
	return out
}

// textHandle opens the database with times read as the text the server
// sends. With utc the session has Airflow's time_zone '+00:00'; without it
// it is a client that does not set it: its session runs in the server's
// default zone (dbtest.ServerTimeZone, +05:30).
func textHandle(t *testing.T, db *dbtest.DB, utc bool) *sql.DB {
	t.Helper()
	cfg, err := mysql.ParseDSN(db.DSN())
	if err != nil {
		t.Fatal(err)
	}
	if !utc {
		delete(cfg.Params, "time_zone")
	}
	cfg.ParseTime = false
	h, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	want := "+00:00"
	if !utc {
		want = dbtest.ServerTimeZone
	}
	if got := rawRow(t, h, "SELECT @@session.time_zone AS tz")["tz"]; got != want {
		t.Fatalf("session time zone %q, want %s", got, want)
	}
	return h
}

// A run dagctl writes on MySQL holds, column by column, what Airflow 2.10.5
// writes for the same trigger: the same pickle bytes for conf, tinyint 1,
// the newest log template, and UTC in every TIMESTAMP(6), on a server whose
// own time zone is +05:30. Dates read back through dagctl unshifted.
func TestMySQLRunsCreateMatchesAirflowReferenceRow(t *testing.T) {
	db := dbtest.NewMySQL(t, "2.10.5", dbtest.WithReferenceRuns())
	r := runner(t, db)
	var res create.Result
	r.JSON(t, &res, "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-06-18", "--end-date", "2024-06-18",
		"--conf", `{"a": 1, "nested": {"b": [1, 2]}}`)
	if len(res.DagRunIDs) != 1 {
		t.Fatalf("dag_run_ids = %v", res.DagRunIDs)
	}
	mine := res.DagRunIDs[0]
	h := textHandle(t, db, true)
	ref := rawRow(t, h, "SELECT * FROM dag_run WHERE run_id = 'manual__2024-06-16T08:00:00+00:00'")
	got := rawRow(t, h, "SELECT * FROM dag_run WHERE run_id = ?", mine)
	for _, c := range mysqlSameAsAirflow {
		if got[c] != ref[c] {
			t.Errorf("dag_run.%s = %q, Airflow wrote %q", c, got[c], ref[c])
		}
	}
	if hex.EncodeToString([]byte(got["conf"])) != "80059523000000000000007d94288c0161944b018c066e6573746564947d948c0162945d94284b014b026573752e" {
		t.Errorf("conf = %x, want Airflow's pickle", got["conf"])
	}
	if got["external_trigger"] != "1" {
		t.Errorf("external_trigger = %q, want tinyint 1", got["external_trigger"])
	}
	// dag_hash stays NULL on purpose: the scheduler then creates the task instances.
	if got["dag_hash"] != "NULL" || got["id"] == "NULL" {
		t.Errorf("dag_hash %q id %q", got["dag_hash"], got["id"])
	}
	// UTC session: the stored values, in Airflow's layout.
	for c, want := range map[string]string{
		"execution_date":      "2024-06-18 00:00:00.000000",
		"data_interval_start": "2024-06-18 00:00:00.000000",
		"data_interval_end":   "2024-06-19 00:00:00.000000",
		"queued_at":           "2026-11-23 12:00:00.000000",
		"updated_at":          "2026-11-23 12:00:00.000000",
	} {
		if got[c] != want {
			t.Errorf("dag_run.%s = %q, want %q (UTC)", c, got[c], want)
		}
	}
	if ref["execution_date"] != "2024-06-16 08:00:00.000000" {
		t.Errorf("reference execution_date %q: the fixture did not load in UTC", ref["execution_date"])
	}
	// The epoch the server holds is the same whatever a session's zone:
	// both rows are UTC, as Airflow's are.
	plain := textHandle(t, db, false)
	for _, run := range []struct {
		id   string
		when time.Time
	}{
		{mine, time.Date(2024, 6, 18, 0, 0, 0, 0, time.UTC)},
		{"manual__2024-06-16T08:00:00+00:00", time.Date(2024, 6, 16, 8, 0, 0, 0, time.UTC)},
	} {
		row := rawRow(t, plain, "SELECT UNIX_TIMESTAMP(execution_date) AS e, CAST(execution_date AS CHAR) AS local FROM dag_run WHERE run_id = ?", run.id)
		if row["e"] != fmt.Sprintf("%d.000000", run.when.Unix()) {
			t.Errorf("%s: epoch %s, want %d", run.id, row["e"], run.when.Unix())
		}
		if want := run.when.In(time.FixedZone("", 5*3600+1800)).Format("2006-01-02 15:04:05.000000"); row["local"] != want {
			t.Errorf("%s: in the server's zone %s, want %s", run.id, row["local"], want)
		}
	}
	// Read back through dagctl: Airflow's row and dagctl's alike.
	var views []shared.RunView
	r.JSON(t, &views, "runs", "list", "--dag-id", "fx_daily_cron")
	wantDates := map[string]string{
		"manual__2024-06-15T10:30:00+00:00": "2024-06-15T10:30:00",
		"manual__2024-06-16T08:00:00+00:00": "2024-06-16T08:00:00",
		mine:                                "2024-06-18T00:00:00",
	}
	if len(views) != 3 {
		t.Fatalf("runs list: %d runs, want 3", len(views))
	}
	for _, v := range views {
		if want := wantDates[v.RunID]; want == "" || v.LogicalDate == nil || !strings.HasPrefix(*v.LogicalDate, want) {
			t.Errorf("%s: logical_date %v, want %s UTC", v.RunID, v.LogicalDate, want)
		}
		if compact(v.Conf) != `{"a":1,"nested":{"b":[1,2]}}` || !v.ExternalTrigger {
			t.Errorf("%s: conf %s external %v", v.RunID, v.Conf, v.ExternalTrigger)
		}
	}
	// The audit row, in UTC too.
	audit := rawRow(t, h, "SELECT dttm, dag_id, owner, event FROM log WHERE event = 'dagctl.runs.create'")
	if audit["dttm"] != "2026-11-23 12:00:00.000000" || audit["owner"] != "tester" || audit["dag_id"] != "fx_daily_cron" {
		t.Errorf("audit row = %v", audit)
	}
}

// A backfill dagctl creates on MySQL (Airflow 2: manual runs written up to
// max_active_runs) writes runs shaped like Airflow's own manual run 3, with an
// empty conf pickled as Airflow pickles {}, and dagctl's own rows in UTC.
func TestMySQLBackfillCreateMatchesAirflowReferenceRow(t *testing.T) {
	db := dbtest.NewMySQL(t, "2.10.5", dbtest.WithReferenceRuns())
	r := runner(t, db)
	var v backfillops.View
	r.JSON(t, &v, "backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-03-01", "--end-date", "2024-03-03",
		"--max-active-runs", "3")
	if len(v.LogicalDates) != 3 {
		t.Fatalf("view = %+v", v)
	}
	h := textHandle(t, db, true)
	ref := rawRow(t, h, "SELECT * FROM dag_run WHERE run_id = 'manual__2024-06-17T00:00:00+00:00'")
	if hex.EncodeToString([]byte(ref["conf"])) != "80057d942e" {
		t.Fatalf("reference run 3 conf = %x", ref["conf"])
	}
	rows, err := h.Query("SELECT run_id FROM dag_run WHERE run_id LIKE ? ORDER BY execution_date", v.BackfillDagID+"%")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) != 3 {
		t.Fatalf("backfill runs %v, want 3", ids)
	}
	for i, id := range ids {
		got := rawRow(t, h, "SELECT * FROM dag_run WHERE run_id = ?", id)
		for _, c := range mysqlSameAsAirflow {
			if c == "dag_id" {
				continue // run 3 is fx_manual_only's
			}
			if got[c] != ref[c] {
				t.Errorf("%s: dag_run.%s = %q, Airflow wrote %q", id, c, got[c], ref[c])
			}
		}
		day := time.Date(2024, 3, 1+i, 0, 0, 0, 0, time.UTC)
		const layout = "2006-01-02 15:04:05.000000"
		if got["execution_date"] != day.Format(layout) || got["data_interval_start"] != day.Format(layout) ||
			got["data_interval_end"] != day.AddDate(0, 0, 1).Format(layout) {
			t.Errorf("%s: execution_date %s interval %s..%s, want %s UTC and the day after", id, got["execution_date"],
				got["data_interval_start"], got["data_interval_end"], day.Format(layout))
		}
	}
	// dagctl's own rows: dates as written (UTC), booleans 0/1.
	b := rawRow(t, h, "SELECT from_date, to_date, submitted_at, is_paused, run_backwards FROM dagctl_backfill WHERE id = ?", v.BackfillDagID)
	if b["from_date"] != "2024-03-01 00:00:00.000000" || b["to_date"] != "2024-03-03 00:00:00.000000" ||
		b["submitted_at"] != "2026-11-23 12:00:00.000000" || b["is_paused"] != "0" || b["run_backwards"] != "0" {
		t.Errorf("dagctl_backfill row = %v", b)
	}
	br := rawRow(t, h, "SELECT logical_date, created FROM dagctl_backfill_run WHERE backfill_id = ? AND sort_ordinal = 1", v.BackfillDagID)
	if br["logical_date"] != "2024-03-01 00:00:00.000000" || br["created"] != "1" {
		t.Errorf("dagctl_backfill_run row = %v", br)
	}
	var got backfillops.View
	r.JSON(t, &got, "backfill", "get", v.BackfillDagID)
	if !strings.HasPrefix(got.StartDate, "2024-03-01T00:00:00") || !strings.HasPrefix(got.EndDate, "2024-03-03T00:00:00") {
		t.Errorf("backfill get: %s .. %s", got.StartDate, got.EndDate)
	}
}

// `dagctl db migrate` creates dagctl's own tables with MySQL DDL, once; the
// second run changes nothing, and a backfill then uses them.
func TestMySQLDBMigrate(t *testing.T) {
	db := dbtest.NewMySQL(t, "2.10.5", dbtest.WithSampleDAGs())
	r := runner(t, db)
	r.MustRun(t, 0, "db", "migrate")
	tables := strings.Join(db.Tables(t), ",")
	for _, want := range []string{"dagctl_backfill", "dagctl_backfill_run", "dagctl_meta"} {
		if !strings.Contains(tables, want) {
			t.Errorf("%s missing after db migrate: %s", want, tables)
		}
	}
	if v := db.ScalarString(t, "SELECT value FROM dagctl_meta WHERE `key` = 'schema_version'"); v != "1" {
		t.Errorf("schema_version = %q", v)
	}
	// Ids compare as Airflow's do: case-sensitively (utf8mb3_bin).
	if c := db.ScalarString(t, `SELECT collation_name FROM information_schema.columns
		WHERE table_schema = DATABASE() AND table_name = 'dagctl_backfill_run' AND column_name = 'run_id'`); c != "utf8mb3_bin" {
		t.Errorf("dagctl_backfill_run.run_id collation %q, want utf8mb3_bin like dag_run.run_id", c)
	}
	before := db.Checksum(t)
	r.MustRun(t, 0, "db", "migrate")
	if db.Checksum(t) != before {
		t.Error("a second db migrate changed the database")
	}
	createBackfill(t, r, "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-02")
	if n := db.ScalarInt(t, "SELECT count(*) FROM dagctl_backfill_run"); n != 2 {
		t.Errorf("%d backfill dates, want 2", n)
	}
}

// The same commands print the same bytes on MySQL as on PostgreSQL: the store
// hides the dialect. (The two sample-DAG fixtures were serialized on
// different days, so the clock-dependent next_dagrun columns are blanked.)
func TestMySQLOutputSameAsPostgres(t *testing.T) {
	pgDB := open(t, target{dbtest.Postgres, "2.10.5"}, dbtest.WithSampleDAGs())
	myDB := open(t, target{dbtest.MySQL, "2.10.5"}, dbtest.WithSampleDAGs())
	for _, db := range []*dbtest.DB{pgDB, myDB} {
		db.SQL(t, `UPDATE dag SET next_dagrun = NULL, next_dagrun_create_after = NULL,
			next_dagrun_data_interval_start = NULL, next_dagrun_data_interval_end = NULL`)
	}
	pg, my := runner(t, pgDB), runner(t, myDB)
	const bf = "fx_hourly_backfill_20261123_120000"
	for _, args := range [][]string{
		{"dags", "list", "-o", "json"},
		{"dags", "list", "--pattern", "fx_*_c?on"},
		{"dags", "list", "--paused", "-o", "csv"},
		{"runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-01-03", "--conf", `{"a": 1}`, "-o", "json"},
		{"runs", "create", "--dag-id", "fx_daily_cron", "--prefix", "aXb", "--start-date", "2024-01-04", "--end-date", "2024-01-04", "-o", "json"},
		{"runs", "list", "-o", "json"},
		{"runs", "list", "--dag-id", "fx_daily_cron", "--prefix", "aXb", "-o", "csv"},
		{"runs", "list", "--dag-id", "fx_daily_cron", "--prefix", "a_b", "-o", "csv"}, // '_' is no wildcard: none
		{"runs", "list", "--dag-id", "fx_daily_cron", "--prefix", "AXB", "-o", "csv"}, // case-sensitive: none
		{"runs", "get", "manual_0000001_2024-01-01T00:00:00+00:00", "-o", "json"},
		{"runs", "get", "nope"},
		{"backfill", "create", "--dag-id", "fx_hourly", "--start-date", "2024-01-01T00:00", "--end-date", "2024-01-01T05:00", "-o", "json"},
		{"backfill", "create", "--dag-id", "fx_hourly", "--start-date", "2024-01-01T03:00", "--end-date", "2024-01-01T08:00"},
		{"backfill", "list", "-o", "json"},
		{"backfill", "pause", bf, "-o", "json"},
		{"backfill", "resume", bf, "-o", "json"},
		{"backfill", "get", bf, "--runs", "-o", "json"},
		{"backfill", "reconcile", "-o", "json"},
		{"backfill", "cancel", bf, "-o", "json"},
		{"backfill", "delete", bf, "-o", "json"},
		{"backfill", "list", "--include-deleted", "-o", "json"},
		{"backfill", "list", "--start-date", "2024-01-01T04:00", "--end-date", "2024-01-01T04:00", "-o", "json"},
		{"runs", "list", "-o", "csv"},
	} {
		a, b := pg.Run(t, args...), my.Run(t, args...)
		want := 0
		switch {
		case args[1] == "get" && args[2] == "nope":
			want = 3
		case slices.Contains(args, "2024-01-01T08:00"):
			want = 5 // overlaps the first backfill
		}
		if a.Code != want {
			t.Errorf("dagctl %s: exit %d on PostgreSQL, want %d: %s", strings.Join(args, " "), a.Code, want, a.Stderr)
		}
		if args[1] == "list" && slices.Contains(args, "--prefix") {
			if got, match := strings.Count(b.Stdout, "aXb_0000001"), args[len(args)-3] == "aXb"; (got == 1) != match {
				t.Errorf("dagctl %s on MySQL: %q", strings.Join(args, " "), b.Stdout)
			}
		}
		if a.Code != b.Code || a.Stdout != b.Stdout || a.Stderr != b.Stderr {
			t.Errorf("dagctl %s differs:\nPostgreSQL exit %d\n%s%s\nMySQL exit %d\n%s%s", strings.Join(args, " "),
				a.Code, a.Stdout, a.Stderr, b.Code, b.Stdout, b.Stderr)
		}
	}
}
