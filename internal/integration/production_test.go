package integration

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dagctl/dagctl/internal/app"
	"github.com/dagctl/dagctl/internal/backfillops"
	"github.com/dagctl/dagctl/internal/cli/cmdutil"
	"github.com/dagctl/dagctl/internal/cli/runs/create"
	"github.com/dagctl/dagctl/internal/clitest"
	"github.com/dagctl/dagctl/internal/iostreams"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// Issue 12: the databases operators run — PgBouncer in transaction pooling
// mode, read-only servers, lock waits, races with the scheduler.

// moveToSchema moves Airflow's tables into schema, as an installation with
// [database] sql_alchemy_schema has them, leaving an empty public schema.
func moveToSchema(t *testing.T, db *dbtest.DB, schema string) {
	t.Helper()
	db.SQL(t, "ALTER SCHEMA public RENAME TO "+schema)
	db.SQL(t, "CREATE SCHEMA public")
}

func TestPgBouncerOrdinarySequence(t *testing.T) {
	type variant struct {
		release, schema string
	}
	for _, v := range []variant{{"2.10.5", ""}, {"3.0.3", ""}, {"2.10.5", "airflow"}, {"3.0.3", "airflow_meta"}} {
		t.Run(fmt.Sprintf("%s/schema=%s", v.release, v.schema), func(t *testing.T) {
			t.Parallel()
			db := open(t, target{pgbouncer, v.release}, dbtest.WithSampleDAGs())
			if !db.PgBouncer || !strings.Contains(db.URL, fmt.Sprint(dbtest.PgBouncerPort)) {
				t.Fatalf("database URL %s does not go through PgBouncer", db.URL)
			}
			r := runner(t, db)
			if v.schema != "" {
				moveToSchema(t, db, v.schema)
				r.Env["AIRFLOW__DATABASE__SQL_ALCHEMY_SCHEMA"] = v.schema
			}
			r.MustRun(t, 0, "doctor")
			r.MustRun(t, 0, "dags", "list")
			r.MustRun(t, 0, "runs", "list", "--dag-id", "fx_daily_cron")
			var first, second create.Result
			r.JSON(t, &first, "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-03-01", "--end-date", "2024-03-03")
			r.JSON(t, &second, "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-03-01", "--end-date", "2024-03-03")
			if len(first.DagRunIDs) != 3 || len(second.DagRunIDs) != 0 || len(second.Skipped) != 3 {
				t.Fatalf("first created %v, second created %v skipped %d; want 3, then 0 and 3 skipped", first.DagRunIDs, second.DagRunIDs, len(second.Skipped))
			}
			r.MustRun(t, 0, "runs", "get", first.DagRunIDs[0], "--dag-id", "fx_daily_cron")
			if all := r.MustRun(t, 0, "runs", "list", "--all", "--dag-id", "fx_daily_cron", "-o", "csv", "--no-headers"); strings.Count(all.Stdout, "\n") < 3 {
				t.Errorf("runs list --all printed %q, want the 3 runs", all.Stdout)
			}
			r.MustRun(t, 0, "runs", "list", "--dag-id", "fx_daily_cron", "--sort", "logical_date", "--desc", "--jq", ".[].run_id")
			r.MustRun(t, 0, "runs", "grid", "--dag-id", "fx_daily_cron")
			r.MustRun(t, 0, "dags", "pause", "fx_daily_cron")
			r.MustRun(t, 0, "dags", "unpause", "fx_daily_cron")
			r.MustRun(t, 0, "runs", "set-state", first.DagRunIDs[0], "--dag-id", "fx_daily_cron", "--state", "success")
			r.MustRun(t, 0, "runs", "clear", first.DagRunIDs[0], "--dag-id", "fx_daily_cron")
			b := createBackfill(t, r, "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-05")
			r.MustRun(t, 0, "backfill", "list")
			r.MustRun(t, 0, "backfill", "get", b.BackfillDagID)
			r.MustRun(t, 0, "backfill", "pause", b.BackfillDagID)
			r.MustRun(t, 0, "backfill", "resume", b.BackfillDagID)
			r.MustRun(t, 0, "backfill", "reconcile")
			r.MustRun(t, 0, "backfill", "cancel", b.BackfillDagID)
			r.MustRun(t, 0, "backfill", "delete", b.BackfillDagID)
			r.MustRun(t, 0, "backfill", "reconcile")
			// A big backfill goes through COPY inside the transaction.
			big := createBackfill(t, r, "--dag-id", "fx_hourly", "--start-date", "2023-01-01T00:00", "--end-date", "2024-01-31T00:00")
			if len(big.LogicalDates) < 9000 {
				t.Errorf("big backfill planned %d dates, want over 9,000", len(big.LogicalDates))
			}
			if v.schema != "" {
				if n := db.ScalarInt(t, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"); n != 0 {
					t.Errorf("%d tables written into public, want none (everything in %s)", n, v.schema)
				}
			}
			// 8 concurrent creators of overlapping ranges: no duplicates, each exit 0 or 5.
			var wg sync.WaitGroup
			codes := make([]int, 8)
			for i := range codes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res := r.Run(t, "runs", "create", "--dag-id", "fx_daily_cron", "--prefix", "par",
						"--start-date", fmt.Sprintf("2024-04-%02d", 1+i), "--end-date", "2024-04-12")
					codes[i] = res.Code
					if res.Code != 0 && res.Code != 5 {
						t.Errorf("concurrent create %d: exit %d: %s", i, res.Code, res.Stderr)
					}
				}()
			}
			wg.Wait()
			runs := "public.dag_run"
			if v.schema != "" {
				runs = v.schema + ".dag_run"
			}
			dupes := db.ScalarInt(t, q(`SELECT count(*) FROM (SELECT %s FROM %s WHERE dag_id = 'fx_daily_cron'
				GROUP BY %s HAVING count(*) > 1) d`, ld(target{pgbouncer, v.release}), runs, ld(target{pgbouncer, v.release})))
			if dupes != 0 {
				t.Errorf("%d logical dates have more than one run", dupes)
			}
			if n := db.ScalarInt(t, "SELECT count(*) FROM "+runs+" WHERE dag_id = 'fx_daily_cron' AND run_id LIKE 'par%'"); n != 12 {
				t.Errorf("%d runs from the concurrent creators, want 12", n)
			}
		})
	}
}

func TestConfigMistakesNameTheirCause(t *testing.T) {
	db := open(t, target{dbtest.Postgres, "3.0.3"}, dbtest.WithSampleDAGs())
	pooled := open(t, target{pgbouncer, "3.0.3"})
	r := clitest.New(t, nil)
	// TLS settings are checked before connecting, for a TCP host (on a unix
	// socket libpq ignores them); a server option is checked by the server.
	tcp := "postgresql://airflow@127.0.0.1:1/airflow?connect_timeout=10"
	cases := []struct {
		url, want string
		code      int
	}{
		{tcp + "&sslmode=bogus", "sslmode", 2},
		{db.URL + "&lock_timeout=bogus", "lock_timeout", 1},
		{tcp + "&sslmode=verify-full&sslrootcert=/nonexistent/root.crt", "/nonexistent/root.crt", 2},
		// PgBouncer refuses the options startup parameter; the message says what to use instead.
		{pooled.URL + "&options=-csearch_path%3Dpublic", "sql_alchemy_schema", 1},
	}
	for _, c := range cases {
		res := r.Run(t, "--db", c.url, "dags", "list")
		if res.Code != c.code || strings.Contains(res.Stderr, "timed out") || !strings.Contains(res.Stderr, c.want) ||
			strings.Count(strings.TrimSpace(res.Stderr), "\n") != 0 {
			t.Errorf("%s: exit %d, stderr %q; want exit %d, one line naming %q, no timeout", c.url, res.Code, res.Stderr, c.code, c.want)
		}
	}
}

func TestReadOnlyServerRefusesWritesUpFront(t *testing.T) {
	db := open(t, target{dbtest.Postgres, "2.10.5"}, dbtest.WithSampleDAGs())
	db.SQL(t, "ALTER DATABASE "+db.Name+" SET default_transaction_read_only = on")
	r := runner(t, db)
	var rep struct {
		Writable     bool   `json:"writable"`
		WriteRefusal string `json:"write_refusal"`
	}
	r.JSON(t, &rep, "doctor")
	if rep.Writable || !strings.Contains(rep.WriteRefusal, "default_transaction_read_only") {
		t.Errorf("doctor: writable %v, refusal %q; want false naming default_transaction_read_only", rep.Writable, rep.WriteRefusal)
	}
	r.MustRun(t, 0, "runs", "list", "--dag-id", "fx_daily_cron")
	before := db.ScalarInt(t, "SELECT count(*) FROM dag_run")
	res := r.Run(t, "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-03-01", "--end-date", "2024-03-02")
	if res.Code != 1 || !strings.Contains(res.Stderr, "read-only") || !strings.Contains(res.Stderr, "primary") ||
		strings.Contains(res.Stderr, "SQLSTATE") {
		t.Errorf("create on a read-only server: exit %d, %q; want exit 1 saying it is read-only and writes need the primary", res.Code, res.Stderr)
	}
	if after := db.ScalarInt(t, "SELECT count(*) FROM dag_run"); after != before {
		t.Errorf("%d runs written on a read-only server", after-before)
	}
}

// holdTx opens a transaction on its own connection and runs stmts in it;
// the returned function rolls it back.
func holdTx(t *testing.T, db *dbtest.DB, stmts ...string) (commit, rollback func()) {
	t.Helper()
	h, err := sql.Open(db.DriverName(), db.DSN())
	if err != nil {
		t.Fatal(err)
	}
	tx, err := h.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := tx.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	done := false
	end := func(commit bool) {
		if done {
			return
		}
		done = true
		if commit {
			if err := tx.Commit(); err != nil {
				t.Errorf("commit: %v", err)
			}
		} else {
			tx.Rollback()
		}
		h.Close()
	}
	t.Cleanup(func() { end(false) })
	return func() { end(true) }, func() { end(false) }
}

func TestLockWaitsAreBounded(t *testing.T) {
	for _, tg := range []target{{dbtest.Postgres, "2.10.5"}, {pgbouncer, "3.0.3"}} {
		t.Run(tg.String(), func(t *testing.T) {
			t.Parallel()
			db := open(t, tg, dbtest.WithSampleDAGs())
			r := runner(t, db)
			sum := db.Checksum(t)
			// dagctl's own per-DAG lock, held by another writer.
			_, release := holdTx(t, db, "SELECT pg_advisory_xact_lock(hashtextextended('dagctl.dag:fx_daily_cron', 0))")
			start := time.Now()
			res := r.Run(t, "--lock-timeout", "300ms", "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-03-01", "--end-date", "2024-03-02")
			if res.Code != 1 || !strings.Contains(res.Stderr, `dag "fx_daily_cron"`) || !strings.Contains(res.Stderr, "nothing was written") ||
				!strings.Contains(res.Stderr, "lock") || time.Since(start) > 5*time.Second {
				t.Errorf("create under a held DAG lock: exit %d after %s: %q", res.Code, time.Since(start), res.Stderr)
			}
			release()
			if db.Checksum(t) != sum {
				t.Error("the database changed")
			}
			// The run rows, held as the scheduler holds them while it works on them.
			b := createBackfill(t, r, "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-03")
			_, release = holdTx(t, db, "SELECT id FROM dag_run WHERE dag_id = 'fx_daily_cron' FOR UPDATE")
			res = r.Run(t, "--lock-timeout", "300ms", "backfill", "cancel", b.BackfillDagID)
			if res.Code != 1 || !strings.Contains(res.Stderr, b.BackfillDagID) || !strings.Contains(res.Stderr, "nothing was written") {
				t.Errorf("cancel under held run rows: exit %d: %q", res.Code, res.Stderr)
			}
			release()
			r.MustRun(t, 0, "backfill", "cancel", b.BackfillDagID)
		})
	}
}

func TestInterruptCancelsTheServerStatement(t *testing.T) {
	db := open(t, target{dbtest.Postgres, "3.0.3"}, dbtest.WithSampleDAGs())
	_, release := holdTx(t, db, "SELECT pg_advisory_xact_lock(hashtextextended('dagctl.dag:fx_daily_cron', 0))")
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	ios, _, _, errOut := iostreams.Test()
	go func() {
		done <- app.Run(ctx, ios, []string{"--db", db.URL, "--lock-timeout", "0", "runs", "create", "--dag-id", "fx_daily_cron",
			"--start-date", "2024-03-01", "--end-date", "2024-03-02"}, func(f *cmdutil.Factory) {
			f.Getenv = func(k string) (string, bool) {
				return map[string]string{"DAGCTL_USER": "tester", "HOME": t.TempDir()}[k], k == "DAGCTL_USER"
			}
		})
	}()
	waiting := `SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dagctl' AND wait_event_type = 'Lock'`
	deadline := time.Now().Add(10 * time.Second)
	for db.ScalarInt(t, waiting) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("dagctl never waited for the lock")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel() // what SIGINT/SIGTERM do to the command's context
	select {
	case code := <-done:
		if code == 0 || !strings.Contains(errOut.String(), "interrupted") {
			t.Errorf("interrupted create: exit %d, %q", code, errOut.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("dagctl did not return after the interrupt")
	}
	deadline = time.Now().Add(3 * time.Second)
	for db.ScalarInt(t, waiting) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the server backend still waits for the lock after dagctl was interrupted")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// copyRunSQL returns an INSERT that copies run srcRunID of fx_daily_cron as
// a new run runID at logical date date: a run written "by the scheduler".
func copyRunSQL(t *testing.T, db *dbtest.DB, tg target, srcRunID, runID, date string) string {
	t.Helper()
	// date is "YYYY-MM-DD HH:MM:SS" UTC; each dialect's literal of it.
	var cols [][]any
	literal := "'" + date + "+00'::timestamptz"
	switch tg.SQL() {
	case dbtest.SQLite:
		cols = db.QueryRows(t, `SELECT name FROM pragma_table_info('dag_run') WHERE name <> 'id' ORDER BY cid`)
		literal = "'" + date + ".000000'" // SQLAlchemy's text form
	case dbtest.MySQL:
		cols = db.QueryRows(t, `SELECT column_name FROM information_schema.columns WHERE table_name = 'dag_run'
			AND table_schema = DATABASE() AND column_name <> 'id' ORDER BY ordinal_position`)
		literal = "'" + date + "'" // the session's time_zone is UTC, as Airflow's
	default:
		cols = db.QueryRows(t, `SELECT column_name FROM information_schema.columns WHERE table_name = 'dag_run'
			AND table_schema = current_schema() AND column_name <> 'id' ORDER BY ordinal_position`)
	}
	var names, values []string
	for _, c := range cols {
		n := text(c[0])
		names = append(names, n)
		switch n {
		case "run_id":
			values = append(values, "'"+runID+"'")
		case ld(tg), "run_after", "data_interval_start", "data_interval_end":
			values = append(values, literal)
		case "run_type":
			values = append(values, "'scheduled'")
		default:
			values = append(values, n)
		}
	}
	return fmt.Sprintf("INSERT INTO dag_run (%s) SELECT %s FROM dag_run WHERE run_id = '%s'",
		strings.Join(names, ", "), strings.Join(values, ", "), srcRunID)
}

// insertWaiting counts dagctl statements inserting into dag_run that wait
// for another transaction's row (the scheduler's, not yet committed).
func insertWaiting(t *testing.T, db *dbtest.DB, tg target) int64 {
	if tg.SQL() == dbtest.MySQL {
		return db.ScalarInt(t, `SELECT count(*) FROM information_schema.processlist WHERE db = DATABASE() AND info LIKE 'INSERT INTO dag_run%'`)
	}
	return db.ScalarInt(t, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO dag_run%'`)
}

func TestSchedulerRaceIsASkip(t *testing.T) {
	for _, tg := range []target{{dbtest.Postgres, "2.10.5"}, {dbtest.Postgres, "3.0.3"}, {pgbouncer, "2.10.5"}, {dbtest.MySQL, "2.10.5"}} {
		t.Run(tg.String(), func(t *testing.T) {
			t.Parallel()
			db := open(t, tg, dbtest.WithSampleDAGs())
			r := runner(t, db)
			var seed create.Result
			r.JSON(t, &seed, "runs", "create", "--dag-id", "fx_daily_cron", "--prefix", "seed", "--start-date", "2024-03-01", "--end-date", "2024-03-01")
			// The scheduler is inserting a run for 2024-03-03 and has not committed yet.
			commit, _ := holdTx(t, db, copyRunSQL(t, db, tg, seed.DagRunIDs[0], "scheduled__2024-03-03T00:00:00+00:00", "2024-03-03 00:00:00"))
			type outcome struct {
				res clitest.Result
				out create.Result
			}
			done := make(chan outcome)
			go func() {
				res := r.Run(t, "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-03-02", "--end-date", "2024-03-04", "-o", "json")
				var out create.Result
				jsonUnmarshal(res.Stdout, &out)
				done <- outcome{res, out}
			}()
			// dagctl read no run for 2024-03-03, and now waits on the unique index.
			deadline := time.Now().Add(10 * time.Second)
			for insertWaiting(t, db, tg) == 0 {
				if time.Now().After(deadline) {
					t.Fatal("dagctl's insert never waited for the scheduler's row")
				}
				time.Sleep(20 * time.Millisecond)
			}
			commit()
			o := <-done
			if o.res.Code != 0 {
				t.Fatalf("create racing the scheduler: exit %d: %s", o.res.Code, o.res.Stderr)
			}
			if len(o.out.DagRunIDs) != 2 || len(o.out.Skipped) != 1 || !strings.HasPrefix(o.out.Skipped[0].LogicalDate, "2024-03-03") ||
				o.out.Skipped[0].Reason != "already exists" {
				t.Errorf("created %v, skipped %+v; want 2 created and 2024-03-03 skipped as already existing", o.out.DagRunIDs, o.out.Skipped)
			}
			if n := db.ScalarInt(t, "SELECT count(*) FROM dag_run WHERE dag_id = 'fx_daily_cron'"); n != 4 {
				t.Errorf("%d runs, want 4 (seed, scheduler's, 2 created)", n)
			}
		})
	}
}

func TestReconcileRecordsATakenDateAndMovesOn(t *testing.T) {
	for _, tg := range []target{{dbtest.Postgres, "2.10.5"}, {pgbouncer, "2.10.5"}, {dbtest.MySQL, "2.10.5"}, {dbtest.SQLite, "2.10.5"}} {
		t.Run(tg.String(), func(t *testing.T) {
			t.Parallel()
			db := open(t, tg, dbtest.WithSampleDAGs())
			r := runner(t, db)
			b := createBackfill(t, r, "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-04", "--max-active-runs", "1")
			// A later backfill of another DAG must not be starved by the first one.
			other := createBackfill(t, r, "--dag-id", "fx_hourly", "--start-date", "2024-02-01T00:00", "--end-date", "2024-02-01T02:00", "--max-active-runs", "1")
			first := db.ScalarString(t, "SELECT run_id FROM dag_run WHERE dag_id = 'fx_daily_cron' ORDER BY id LIMIT 1")
			// Airflow's UI triggers a run for a date the backfill has planned but not written yet.
			db.SQL(t, copyRunSQL(t, db, tg, first, "manual__2024-02-03T00:00:00+00:00", "2024-02-03 00:00:00"))
			db.SQL(t, "UPDATE dag_run SET state = 'running' WHERE run_id = 'manual__2024-02-03T00:00:00+00:00'")
			for pass := 0; pass < 6; pass++ {
				finishRuns(t, db, "fx_daily_cron", "success")
				finishRuns(t, db, "fx_hourly", "success")
				var rep backfillops.Report
				r.JSON(t, &rep, "backfill", "reconcile")
				if len(rep.Failed) != 0 {
					t.Fatalf("pass %d failed backfills: %+v", pass, rep.Failed)
				}
			}
			var v backfillops.View
			r.JSON(t, &v, "backfill", "get", b.BackfillDagID)
			if v.State != "success" {
				t.Errorf("backfill state %s, want success", v.State)
			}
			reason := db.ScalarString(t, "SELECT skip_reason FROM dagctl_backfill_run WHERE backfill_id = ? AND sort_ordinal = 3", b.BackfillDagID)
			if reason != "already exists" {
				t.Errorf("taken date's skip_reason = %q, want already exists", reason)
			}
			if n := db.ScalarInt(t, "SELECT count(*) FROM dag_run WHERE dag_id = 'fx_hourly' AND state = 'success'"); n != 3 {
				t.Errorf("the other backfill ran %d runs, want 3", n)
			}
			_ = other
		})
	}
}

func TestHotStandbyReadsAndRefusesWrites(t *testing.T) {
	primary := open(t, target{dbtest.Postgres, "3.0.3"}, dbtest.WithSampleDAGs())
	replica := dbtest.NewStandby(t, primary)
	r := runner(t, replica)
	var rep struct {
		Writable     bool   `json:"writable"`
		WriteRefusal string `json:"write_refusal"`
	}
	r.JSON(t, &rep, "doctor")
	if rep.Writable || !strings.Contains(rep.WriteRefusal, "hot standby") {
		t.Errorf("doctor on a standby: writable %v, refusal %q; want false, hot standby", rep.Writable, rep.WriteRefusal)
	}
	r.MustRun(t, 0, "dags", "list")
	r.MustRun(t, 0, "runs", "list", "--dag-id", "fx_daily_cron")
	for _, args := range [][]string{
		{"runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-03-01", "--end-date", "2024-03-02"},
		{"backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-03-01", "--end-date", "2024-03-02"},
	} {
		res := r.Run(t, args...)
		if res.Code != 1 || !strings.Contains(res.Stderr, "read-only (hot standby") || !strings.Contains(res.Stderr, "primary") ||
			strings.Count(strings.TrimSpace(res.Stderr), "\n") != 0 || strings.Contains(res.Stderr, "SQLSTATE") {
			t.Errorf("%s on a standby: exit %d, %q; want exit 1, one line: read-only, writes need the primary", args[:2], res.Code, res.Stderr)
		}
	}
}

func TestStatementTimeoutBoundsWrites(t *testing.T) {
	db := open(t, target{dbtest.Postgres, "3.0.3"}, dbtest.WithSampleDAGs())
	r := runner(t, db)
	sum := db.Checksum(t)
	// A lock the write waits for, longer than the statement timeout and shorter than the lock timeout.
	_, release := holdTx(t, db, "LOCK TABLE dag_run IN SHARE MODE")
	res := r.Run(t, "--statement-timeout", "300ms", "--lock-timeout", "10s", "runs", "create", "--dag-id", "fx_daily_cron",
		"--start-date", "2024-03-01", "--end-date", "2024-03-02")
	release()
	if res.Code != 1 || !strings.Contains(res.Stderr, "statement timeout") || !strings.Contains(res.Stderr, "nothing was written") {
		t.Errorf("create under --statement-timeout: exit %d: %q", res.Code, res.Stderr)
	}
	if db.Checksum(t) != sum {
		t.Error("the database changed")
	}
	var view []struct{ Key, Value string }
	r.JSON(t, &view, "config", "view")
	for _, row := range view {
		if row.Key == "statement_timeout" && row.Value != "off for reads, 1m0s for writes" {
			t.Errorf("config view statement_timeout = %q", row.Value)
		}
	}
}

// MySQL: a lock wait is bounded by --lock-timeout (innodb_lock_wait_timeout),
// reported in one line, and an interrupted wait is killed on the server.
func TestMySQLLockWaitsAndInterrupts(t *testing.T) {
	db := open(t, target{dbtest.MySQL, "2.10.5"}, dbtest.WithSampleDAGs())
	r := runner(t, db)
	b := createBackfill(t, r, "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-03")
	sum := db.Checksum(t)
	_, release := holdTx(t, db, "SELECT id FROM dag_run WHERE dag_id = 'fx_daily_cron' FOR UPDATE")
	start := time.Now()
	res := r.Run(t, "--lock-timeout", "1s", "backfill", "cancel", b.BackfillDagID)
	if res.Code != 1 || !strings.Contains(res.Stderr, b.BackfillDagID) || !strings.Contains(res.Stderr, "nothing was written") ||
		strings.Contains(res.Stderr, "Error 1205") || time.Since(start) > 8*time.Second {
		t.Errorf("cancel under held run rows: exit %d after %s: %q", res.Code, time.Since(start), res.Stderr)
	}
	if db.Checksum(t) != sum {
		t.Error("the database changed")
	}

	// Interrupted while waiting without bound: the server thread stops waiting.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	ios, _, _, errOut := iostreams.Test()
	go func() {
		done <- app.Run(ctx, ios, []string{"--db", db.URL, "--lock-timeout", "0", "backfill", "cancel", b.BackfillDagID},
			func(f *cmdutil.Factory) {
				f.Getenv = func(k string) (string, bool) {
					return map[string]string{"DAGCTL_USER": "tester"}[k], k == "DAGCTL_USER"
				}
			})
	}()
	waiting := `SELECT count(*) FROM information_schema.processlist WHERE db = DATABASE() AND info LIKE 'UPDATE dag_run%'`
	deadline := time.Now().Add(10 * time.Second)
	for db.ScalarInt(t, waiting) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("dagctl never waited for the rows")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code == 0 || !strings.Contains(errOut.String(), "interrupted") {
			t.Errorf("interrupted cancel: exit %d, %q", code, errOut.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("dagctl did not return after the interrupt")
	}
	deadline = time.Now().Add(3 * time.Second)
	for db.ScalarInt(t, waiting) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the server thread still waits for the rows after dagctl was interrupted")
		}
		time.Sleep(20 * time.Millisecond)
	}
	release()
	r.MustRun(t, 0, "backfill", "cancel", b.BackfillDagID)
}

// The first backfill of a database (dagctl's tables not there yet) racing the
// scheduler: the retried transaction creates the tables again (the catalog it
// learnt in the rolled-back attempt is forgotten) and skips the taken date.
func TestFirstBackfillRacingTheScheduler(t *testing.T) {
	for _, tg := range []target{{dbtest.Postgres, "2.10.5"}, {dbtest.Postgres, "3.0.3"}} {
		t.Run(tg.String(), func(t *testing.T) {
			t.Parallel()
			db := open(t, tg, dbtest.WithSampleDAGs())
			r := runner(t, db)
			var seed create.Result
			r.JSON(t, &seed, "runs", "create", "--dag-id", "fx_daily_cron", "--prefix", "seed", "--start-date", "2024-03-01", "--end-date", "2024-03-01")
			commit, _ := holdTx(t, db, copyRunSQL(t, db, tg, seed.DagRunIDs[0], "scheduled__2024-03-03T00:00:00+00:00", "2024-03-03 00:00:00"))
			done := make(chan clitest.Result)
			go func() {
				done <- r.Run(t, "backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-03-02", "--end-date", "2024-03-04", "--max-active-runs", "3", "-o", "json")
			}()
			deadline := time.Now().Add(10 * time.Second)
			for db.ScalarInt(t, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = 'dagctl'`) == 0 {
				if time.Now().After(deadline) {
					select {
					case res := <-done:
						t.Fatalf("dagctl's insert never waited for the scheduler's row: exit %d: %s", res.Code, res.Stderr)
					default:
						t.Fatal("dagctl's insert never waited for the scheduler's row")
					}
				}
				time.Sleep(20 * time.Millisecond)
			}
			commit()
			res := <-done
			if res.Code != 0 {
				t.Fatalf("first backfill racing the scheduler: exit %d: %s", res.Code, res.Stderr)
			}
			var v backfillops.View
			if err := jsonUnmarshal(res.Stdout, &v); err != nil {
				t.Fatal(err)
			}
			if n := db.ScalarInt(t, "SELECT count(*) FROM dagctl_backfill_run WHERE backfill_id = ? AND disposition = 'skip'", v.BackfillDagID); n != 1 {
				t.Errorf("%d dates skipped, want 1 (2024-03-03, taken by the scheduler)", n)
			}
		})
	}
}
