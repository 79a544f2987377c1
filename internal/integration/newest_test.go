package integration

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dagctl/dagctl/internal/cli/dags/list"
	"github.com/dagctl/dagctl/internal/cli/doctor"
	"github.com/dagctl/dagctl/internal/cli/runs/create"
	"github.com/dagctl/dagctl/internal/cli/runs/shared"
	"github.com/dagctl/dagctl/internal/clitest"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// releaseNames is what doctor calls each release dbtest has a schema for: the
// range of Airflow releases that stamp the same alembic head.
var releaseNames = map[string]struct {
	name  string
	major int
}{
	"2.10.5": {"2.10.3–2.11.x", 2},
	"2.11.0": {"2.10.3–2.11.x", 2},
	"2.11.1": {"2.10.3–2.11.x", 2},
	"3.0.2":  {"3.0.0–3.0.2", 3},
	"3.0.3":  {"3.0.3+", 3},
	"3.1.0":  {"3.1.0–3.1.7", 3},
	"3.1.8":  {"3.1.8", 3},
	"3.2.0":  {"3.2.x", 3},
	"3.3.0":  {"3.3.0–3.3.2", 3},
}

func TestNewestDoctorNamesEachRelease(t *testing.T) {
	var targets []target
	for _, d := range []string{dbtest.Postgres, dbtest.SQLite} {
		rels := dbtest.PostgresReleases()
		if d == dbtest.SQLite {
			rels = dbtest.SQLiteReleases()
		}
		for _, rel := range rels {
			targets = append(targets, target{d, rel})
		}
	}
	if len(targets) < len(dbtest.Releases()) {
		t.Fatalf("only %d databases for %d releases", len(targets), len(dbtest.Releases()))
	}
	forEach(t, targets, func(t *testing.T, tg target) {
		want, ok := releaseNames[tg.Release]
		if !ok {
			t.Fatalf("release %s has no expected name: add it to releaseNames", tg.Release)
		}
		r := runner(t, open(t, tg))
		var rep doctor.Report
		res := r.JSON(t, &rep, "doctor")
		if rep.AirflowVersion != want.name || rep.AirflowMajor != want.major || rep.AlembicRevision != dbtest.Revision(tg.Release) ||
			!rep.Writable || rep.WriteRefusal != "" || rep.Dialect != tg.SQL() {
			t.Errorf("doctor: version %q major %d revision %q writable %t (%s) dialect %s; want %q %d %q writable",
				rep.AirflowVersion, rep.AirflowMajor, rep.AlembicRevision, rep.Writable, rep.WriteRefusal, rep.Dialect,
				want.name, want.major, dbtest.Revision(tg.Release))
		}
		if strings.Contains(res.Stderr, "warning") {
			t.Errorf("doctor on a known schema warned: %s", res.Stderr)
		}
	})
}

// pgSample returns the PostgreSQL targets with the sample DAGs among releases.
func pgSample(t *testing.T, releases ...string) []target {
	t.Helper()
	var out []target
	for _, rel := range releases {
		if !dbtest.HasSampleDAGs(dbtest.Postgres, rel) {
			t.Fatalf("no PostgreSQL sample DAGs for %s", rel)
		}
		out = append(out, target{dbtest.Postgres, rel})
	}
	return out
}

func TestNewestTriggeringUserAndNotNullColumns(t *testing.T) {
	forEach(t, pgSample(t, "3.1.8", "3.2.0", "3.3.0"), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		var res create.Result
		r.JSON(t, &res, "--user", "carol", "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-01-02")
		if len(res.DagRunIDs) != 2 {
			t.Fatalf("created %v", res.DagRunIDs)
		}
		b := createBackfill(t, r, "--user", "dave", "--dag-id", "fx_hourly", "--start-date", "2024-03-01T00:00", "--end-date", "2024-03-01T01:00")

		for _, c := range []struct{ where, user string }{
			{"dag_id = 'fx_daily_cron'", "carol"},
			{"dag_id = 'fx_hourly' AND run_type = 'backfill'", "dave"},
		} {
			rows := db.QueryRows(t, "SELECT run_id, triggering_user_name FROM dag_run WHERE "+c.where)
			if len(rows) != 2 {
				t.Fatalf("%s: %d runs, want 2", c.where, len(rows))
			}
			for _, row := range rows {
				if text(row[1]) != c.user {
					t.Errorf("run %s: triggering_user_name = %q, want %q", text(row[0]), text(row[1]), c.user)
				}
			}
		}
		if got := db.ScalarString(t, "SELECT triggering_user_name FROM backfill WHERE dag_id = 'fx_hourly'"); got != "dave" {
			t.Errorf("backfill.triggering_user_name = %q, want dave", got)
		}
		if b.SubmittedBy == nil || *b.SubmittedBy != "dave" {
			t.Errorf("submitted_by = %v", b.SubmittedBy)
		}
		if tg.Release == "3.1.8" {
			return
		}
		// 3.2+: created_at is NOT NULL; the partition columns stay empty for non-partitioned DAGs.
		rows := db.QueryRows(t, `SELECT run_id, created_at, state, log_template_id, updated_at, partition_key, partition_date
			FROM dag_run WHERE dag_id IN ('fx_daily_cron', 'fx_hourly')`)
		if len(rows) != 4 {
			t.Fatalf("%d runs, want 4", len(rows))
		}
		for _, row := range rows {
			if row[1] == nil || text(row[2]) != "queued" || row[3] == nil || row[4] == nil {
				t.Errorf("run %s: created_at %v state %v log_template_id %v updated_at %v", text(row[0]), row[1], row[2], row[3], row[4])
			}
			if row[5] != nil || row[6] != nil {
				t.Errorf("run %s: partition_key %v partition_date %v, want NULL", text(row[0]), row[5], row[6])
			}
		}
	})
}

func TestNewestAllowedRunTypes(t *testing.T) {
	forEach(t, pgSample(t, "3.2.0", "3.3.0"), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		refused := func(want string, args ...string) {
			t.Helper()
			before := db.Checksum(t)
			res := r.Run(t, args...)
			if res.Code != 2 || !strings.Contains(res.Stderr, want) || strings.Count(strings.TrimSpace(res.Stderr), "\n") != 0 {
				t.Errorf("dagctl %s: exit %d %q; want 2 naming %q", strings.Join(args, " "), res.Code, res.Stderr, want)
			}
			if db.Checksum(t) != before {
				t.Errorf("dagctl %s: refused, but the database changed", strings.Join(args, " "))
			}
		}
		runsCreate := []string{"runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-01-02"}
		backfillCreate := []string{"backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-02"}

		db.SQL(t, `UPDATE dag SET allowed_run_types = '["scheduled","backfill"]' WHERE dag_id = 'fx_daily_cron'`)
		refused("Dag with dag_id: 'fx_daily_cron' does not allow manual runs", runsCreate...)
		refused("Dag with dag_id: 'fx_daily_cron' does not allow manual runs", "runs", "create", "--dag-id", "fx_daily_cron")
		createBackfill(t, r, backfillCreate[2:]...)

		db.SQL(t, `UPDATE dag SET allowed_run_types = '["manual"]' WHERE dag_id = 'fx_daily_cron'`)
		refused("Dag with dag_id: 'fx_daily_cron' does not allow backfill runs",
			"backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-03-01", "--end-date", "2024-03-02")
		r.MustRun(t, 0, runsCreate...)

		// NULL (the default) allows every type; other DAGs are not affected.
		db.SQL(t, `UPDATE dag SET allowed_run_types = NULL WHERE dag_id = 'fx_daily_cron'`)
		createBackfill(t, r, "--dag-id", "fx_daily_cron", "--start-date", "2024-03-01", "--end-date", "2024-03-02")
		r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_hourly", "--start-date", "2024-01-01T00:00", "--end-date", "2024-01-01T01:00")
	})
}

func TestNewestPartitionedRefused(t *testing.T) {
	forEach(t, pgSample(t, "3.2.0", "3.3.0"), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		db.SQL(t, "UPDATE dag SET timetable_partitioned = true WHERE dag_id = 'fx_daily_cron'")
		before := db.Checksum(t)
		for _, args := range [][]string{
			{"runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-01-02"},
			{"backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-01-02"},
		} {
			res := r.Run(t, args...)
			if res.Code != 2 || !strings.Contains(res.Stderr, "partitioned DAGs are not supported yet") {
				t.Errorf("dagctl %s: exit %d %q", strings.Join(args, " "), res.Code, res.Stderr)
			}
		}
		if db.Checksum(t) != before {
			t.Fatal("a refused create on a partitioned DAG changed the database")
		}
	})
}

// dag.timetable_periodic (3.3) is Airflow's own word once the DAG processor
// has written timetable_type; the 3.3 migration fills it with false for rows
// whose timetable_type is still empty.
func TestNewestTimetablePeriodicCrossCheck(t *testing.T) {
	forEach(t, pgSample(t, "3.3.0"), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		if got := db.ScalarString(t, "SELECT timetable_type FROM dag WHERE dag_id = 'fx_daily_cron'"); got != "" {
			t.Fatalf("fixture timetable_type = %q, want the migrated ''", got)
		}
		if v := text(db.Scalar(t, "SELECT timetable_periodic FROM dag WHERE dag_id = 'fx_daily_cron'")); v != "false" {
			t.Fatalf("fixture timetable_periodic = %s, want the migration's false", v)
		}
		// Migrated row: the false is not trusted, the cron DAG is periodic.
		r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-01-01")

		// Re-parsed row that agrees.
		db.SQL(t, "UPDATE dag SET timetable_type = 'airflow.timetables.trigger.CronTriggerTimetable', timetable_periodic = true WHERE dag_id = 'fx_daily_cron'")
		r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-02", "--end-date", "2024-01-02")

		// Re-parsed row that disagrees: dagctl's reading of the timetable is in doubt, so it refuses.
		db.SQL(t, "UPDATE dag SET timetable_periodic = false WHERE dag_id = 'fx_daily_cron'")
		before := db.Checksum(t)
		for _, args := range [][]string{
			{"runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-03", "--end-date", "2024-01-03"},
			{"backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-03", "--end-date", "2024-01-04"},
		} {
			res := r.Run(t, args...)
			msg := strings.TrimSpace(res.Stderr)
			// Exit 1 today: dagload returns a plain error (see the report on whether 2 fits better).
			if res.Code != 2 || !strings.Contains(msg, `dag "fx_daily_cron"`) || !strings.Contains(msg, "periodic=true") ||
				!strings.Contains(msg, "dag.timetable_periodic is false") || strings.Contains(msg, "\n") {
				t.Errorf("dagctl %s: exit %d %q", strings.Join(args, " "), res.Code, res.Stderr)
			}
		}
		if db.Checksum(t) != before {
			t.Fatal("a refused create changed the database")
		}
		// Reads are not affected.
		var dags []list.DAGView
		r.JSON(t, &dags, "dags", "list", "--pattern", "fx_daily_cron")
		if len(dags) != 1 {
			t.Errorf("dags list: %d", len(dags))
		}
	})
}

// A later schema may key dag_run by (dag_id, run_type, logical_date): then a
// manual run may share a date with a scheduled one.
func TestNewestRunTypeInUniqueKey(t *testing.T) {
	forEach(t, pgSample(t, "3.3.0"), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		var res create.Result
		r.JSON(t, &res, "runs", "create", "--dag-id", "fx_daily_cron", "--prefix", "s", "--start-date", "2024-01-01", "--end-date", "2024-01-01")
		db.SQL(t, "UPDATE dag_run SET run_type = 'scheduled', run_id = 'scheduled__2024-01-01T00:00:00+00:00' WHERE run_id = ?", res.DagRunIDs[0])
		r.JSON(t, &res, "runs", "create", "--dag-id", "fx_daily_cron", "--prefix", "m", "--start-date", "2024-01-02", "--end-date", "2024-01-02")
		args := []string{"runs", "create", "--dag-id", "fx_daily_cron", "--prefix", "p", "--start-date", "2024-01-01", "--end-date", "2024-01-02"}

		// (dag_id, logical_date): both dates are taken.
		var dry create.Result
		r.JSON(t, &dry, append(args, "--dry-run")...)
		if len(dry.Runs) != 0 || len(dry.Skipped) != 2 {
			t.Fatalf("with the (dag_id, logical_date) key: planned %+v skipped %+v, want both skipped", dry.Runs, dry.Skipped)
		}

		db.SQL(t, "ALTER TABLE dag_run DROP CONSTRAINT dag_run_dag_id_logical_date_key")
		db.SQL(t, "ALTER TABLE dag_run ADD CONSTRAINT dag_run_dag_id_run_type_logical_date_key UNIQUE (dag_id, run_type, logical_date)")
		r.JSON(t, &res, args...)
		if len(res.DagRunIDs) != 1 || !strings.HasSuffix(res.DagRunIDs[0], "_2024-01-01T00:00:00+00:00") ||
			len(res.Skipped) != 1 || res.Skipped[0].RunID != "m_0000001_2024-01-02T00:00:00+00:00" {
			t.Errorf("with the (dag_id, run_type, logical_date) key: created %v skipped %+v; want 2024-01-01 created, the manual 2024-01-02 skipped",
				res.DagRunIDs, res.Skipped)
		}
		if n := db.ScalarInt(t, "SELECT count(*) FROM dag_run WHERE dag_id = 'fx_daily_cron' AND logical_date = '2024-01-01T00:00:00Z'"); n != 2 {
			t.Errorf("%d runs at 2024-01-01, want the scheduled and the manual one", n)
		}
		var rep doctor.Report
		r.JSON(t, &rep, "doctor")
		if rep.AirflowVersion != "3.3.0–3.3.2" || !rep.Writable || rep.Runs != 3 {
			t.Errorf("doctor after the key change: %+v", rep)
		}
	})
}

// simulate34 alters a 3.3.0 database the way 3.4's migrations are described:
// new head, no log_template (nor dag_run.log_template_id), and
// task_instance.map_index renamed region_index. SQLite cannot drop a column
// that is in a foreign key, so there dag_run (empty in a bare database) is
// rebuilt from its own DDL without the column, as alembic's batch mode would.
func simulate34(t *testing.T, db *dbtest.DB) {
	t.Helper()
	db.SQL(t, "UPDATE alembic_version SET version_num = 'b4f1a7d2c903'")
	if db.Dialect == dbtest.Postgres {
		db.SQL(t, "ALTER TABLE dag_run DROP CONSTRAINT task_instance_log_template_id_fkey")
		db.SQL(t, "ALTER TABLE dag_run DROP COLUMN log_template_id")
	} else {
		if n := db.ScalarInt(t, "SELECT count(*) FROM dag_run"); n != 0 {
			t.Fatalf("simulate34 on SQLite needs an empty dag_run, it has %d rows", n)
		}
		ddl := db.ScalarString(t, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'dag_run'")
		var kept []string
		for _, line := range strings.Split(ddl, "\n") {
			if !strings.Contains(line, "log_template") {
				kept = append(kept, line)
			}
		}
		var indexes []string
		for _, row := range db.QueryRows(t, "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'dag_run' AND sql IS NOT NULL") {
			indexes = append(indexes, text(row[0]))
		}
		db.SQL(t, "DROP TABLE dag_run")
		db.SQL(t, strings.Join(kept, "\n"))
		for _, ix := range indexes {
			db.SQL(t, ix)
		}
	}
	db.SQL(t, "DROP TABLE log_template")
	db.SQL(t, "ALTER TABLE task_instance RENAME COLUMN map_index TO region_index")
}

// The write policy (README "Supported Airflow versions"): writes go ahead
// when the tables have every column dagctl writes, in the shapes it knows;
// otherwise they exit 2 naming the revision or the missing columns.
func TestNewestAirflow34Simulation(t *testing.T) {
	forEach(t, []target{{dbtest.Postgres, "3.3.0"}, {dbtest.SQLite, "3.3.0"}}, func(t *testing.T, tg target) {
		var db *dbtest.DB
		if tg.SQL() == dbtest.Postgres {
			db = open(t, tg, dbtest.WithReferenceRuns())
		} else {
			db = open(t, tg) // no SQLite sample rows for 3.3.0
		}
		simulate34(t, db)
		r := runner(t, db)

		var rep doctor.Report
		r.JSON(t, &rep, "doctor")
		if rep.AirflowVersion != "3.4.0" || rep.AirflowMajor != 3 || rep.AlembicRevision != "b4f1a7d2c903" || !rep.Writable || rep.WriteRefusal != "" {
			t.Errorf("doctor: %q major %d revision %q writable %t %q", rep.AirflowVersion, rep.AirflowMajor, rep.AlembicRevision, rep.Writable, rep.WriteRefusal)
		}

		// Reads work.
		var dags []list.DAGView
		r.JSON(t, &dags, "dags", "list")
		var runs []shared.RunView
		r.JSON(t, &runs, "runs", "list", "--all")
		if int64(len(runs)) != rep.Runs {
			t.Fatalf("runs list: %d runs, doctor counts %d", len(runs), rep.Runs)
		}
		// reconcile with no dagctl tables yet (it used to wait forever on SQLite).
		reconcileWithin(t, r, db)

		if tg.SQL() == dbtest.Postgres {
			if len(dags) < 3 || len(runs) == 0 {
				t.Fatalf("reads on the reference rows: %d dags, %d runs", len(dags), len(runs))
			}
			var one shared.RunView
			r.JSON(t, &one, "runs", "get", runs[0].RunID, "--dag-id", runs[0].DagID)
			if one.RunID != runs[0].RunID {
				t.Errorf("runs get: %+v", one)
			}
			// Writes: dagctl needs neither log_template nor task_instance.map_index.
			var res create.Result
			r.JSON(t, &res, "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-05-01", "--end-date", "2024-05-02")
			if len(res.DagRunIDs) != 2 || db.ScalarInt(t, "SELECT count(*) FROM dag_run WHERE run_id LIKE 'manual_00000%' AND created_at IS NOT NULL") != 2 {
				t.Errorf("runs create on 3.4: %+v", res)
			}
			// Re-running a finished run clears its task instances (region_index, not map_index).
			const rerun = "backfill__2024-02-01T00:00:00+00:00"
			db.SQL(t, "UPDATE dag_run SET state = 'success' WHERE run_id = ?", rerun)
			db.SQL(t, "UPDATE task_instance SET state = 'success' WHERE run_id = ?", rerun)
			if n := db.ScalarInt(t, "SELECT count(*) FROM task_instance WHERE run_id = ?", rerun); n == 0 {
				t.Fatalf("reference run %s has no task instances", rerun)
			}
			b := createBackfill(t, r, "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-01",
				"--reprocess", "completed", "--ignore-overlapping")
			if b.Progress.Total != 1 {
				t.Errorf("backfill on 3.4: %+v", b)
			}
			if got := db.ScalarString(t, "SELECT state FROM dag_run WHERE run_id = ?", rerun); got != "queued" {
				t.Errorf("re-run dag_run state = %q, want queued", got)
			}
			if n := db.ScalarInt(t, "SELECT count(*) FROM task_instance WHERE run_id = ? AND state = 'success'", rerun); n != 0 {
				t.Errorf("%d task instances still success after the clear", n)
			}
		}
	})
}

// A 3.4-shaped database that also renamed a column dagctl does write:
// refused, the column named, nothing written.
func TestNewestAirflow34MissingColumn(t *testing.T) {
	forEach(t, []target{{dbtest.Postgres, "3.3.0"}, {dbtest.SQLite, "3.3.0"}}, func(t *testing.T, tg target) {
		db := open(t, tg)
		simulate34(t, db)
		r := runner(t, db)
		db.SQL(t, "ALTER TABLE dag_run RENAME COLUMN triggered_by TO triggered_by_kind")
		before := db.Checksum(t)
		for _, args := range [][]string{
			{"runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-05-03", "--end-date", "2024-05-04"},
			{"backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-05-03", "--end-date", "2024-05-04"},
			{"backfill", "reconcile"},
		} {
			res := r.Run(t, args...)
			msg := strings.TrimSpace(res.Stderr)
			if res.Code != 2 || strings.Contains(msg, "\n") || !strings.Contains(msg, "3.4.0") || !strings.Contains(msg, "dag_run.triggered_by") {
				t.Errorf("dagctl %s: exit %d %q; want 2 on one line naming dag_run.triggered_by", strings.Join(args, " "), res.Code, res.Stderr)
			}
		}
		if db.Checksum(t) != before {
			t.Fatal("a refused write changed the database")
		}
	})
}

// A 3.4 head whose log_template table is gone while dag_run.log_template_id
// (NOT NULL) is still there: dagctl cannot fill the column, so it refuses.
func TestNewestLogTemplateWithoutTable(t *testing.T) {
	forEach(t, []target{{dbtest.Postgres, "3.3.0"}, {dbtest.SQLite, "3.3.0"}}, func(t *testing.T, tg target) {
		db := open(t, tg)
		db.SQL(t, "UPDATE alembic_version SET version_num = 'b4f1a7d2c903'")
		if tg.SQL() == dbtest.Postgres {
			db.SQL(t, "DROP TABLE log_template CASCADE")
		} else {
			db.SQL(t, "DROP TABLE log_template")
		}
		r := runner(t, db)
		var rep doctor.Report
		r.JSON(t, &rep, "doctor")
		if rep.Writable || !strings.Contains(rep.WriteRefusal, "log_template.id") {
			t.Errorf("doctor: writable %t refusal %q", rep.Writable, rep.WriteRefusal)
		}
		before := db.Checksum(t)
		res := r.Run(t, "runs", "create", "--dag-id", "fx_daily_cron")
		if res.Code != 2 || !strings.Contains(res.Stderr, "log_template.id") {
			t.Errorf("runs create: exit %d %q", res.Code, res.Stderr)
		}
		if db.Checksum(t) != before {
			t.Fatal("a refused write changed the database")
		}
	})
}

// reconcileWithin runs backfill reconcile and fails (rather than hanging the
// suite) if it does not return within 30s; with nothing to do it must exit 0
// and write nothing.
func reconcileWithin(t *testing.T, r *clitest.Runner, db *dbtest.DB) {
	t.Helper()
	before := db.Checksum(t)
	done := make(chan clitest.Result, 1)
	go func() { done <- r.Run(t, "backfill", "reconcile", "-o", "json") }()
	select {
	case res := <-done:
		if res.Code != 0 {
			t.Errorf("reconcile: exit %d %q", res.Code, res.Stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("backfill reconcile did not return within 30s")
	}
	if db.Checksum(t) != before {
		t.Error("a reconcile with nothing to do changed the database")
	}
}

// A reconcile from cron before any backfill exists: dagctl's tables are absent.
func TestNewestReconcileBeforeAnyBackfill(t *testing.T) {
	var targets []target
	for _, d := range []string{dbtest.Postgres, dbtest.SQLite} {
		for _, rel := range []string{"2.10.5", "3.0.3", "3.3.0"} {
			targets = append(targets, target{d, rel})
		}
	}
	forEach(t, targets, func(t *testing.T, tg target) {
		db := open(t, tg)
		reconcileWithin(t, runner(t, db), db)
	})
}

func TestNewestUnknownRevision(t *testing.T) {
	var targets []target
	for _, tg := range sampleTargets() {
		if tg.Release == "3.0.3" || tg.Release == "2.10.5" {
			targets = append(targets, tg)
		}
	}
	forEach(t, targets, func(t *testing.T, tg target) {
		reads := func(t *testing.T, r *clitest.Runner, warn string) {
			t.Helper()
			var dags []list.DAGView
			res := r.JSON(t, &dags, "dags", "list")
			if len(dags) < 3 || !strings.Contains(res.Stderr, warn) {
				t.Errorf("dags list: %d dags, stderr %q; want a warning naming %q", len(dags), res.Stderr, warn)
			}
			var runs []shared.RunView
			res = r.JSON(t, &runs, "runs", "list")
			if !strings.Contains(res.Stderr, warn) || strings.TrimSpace(res.Stdout) != "[]" {
				t.Errorf("runs list: %s, stderr %q", res.Stdout, res.Stderr)
			}
		}
		refused := func(t *testing.T, r *clitest.Runner, db *dbtest.DB, wants ...string) {
			t.Helper()
			before := db.Checksum(t)
			for _, args := range [][]string{
				{"runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-01-02"},
				{"backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-01-02"},
				{"backfill", "reconcile"},
			} {
				res := r.Run(t, args...)
				if res.Code != 2 {
					t.Errorf("dagctl %s: exit %d %q; want 2", strings.Join(args, " "), res.Code, res.Stderr)
				}
				for _, w := range wants {
					if !strings.Contains(res.Stderr, w) {
						t.Errorf("dagctl %s: %q does not name %q", strings.Join(args, " "), res.Stderr, w)
					}
				}
			}
			if db.Checksum(t) != before {
				t.Fatal("a refused write changed the database")
			}
		}

		t.Run("unknown head, known shape", func(t *testing.T) {
			db := open(t, tg, dbtest.WithSampleDAGs())
			r := runner(t, db)
			db.SQL(t, "UPDATE alembic_version SET version_num = 'deadbeef0000'")
			reads(t, r, `alembic revision "deadbeef0000" is not a release dagctl knows`)
			var rep doctor.Report
			r.JSON(t, &rep, "doctor")
			if rep.AirflowVersion != "unknown" || !rep.Writable || rep.AirflowMajor != tg.Major() {
				t.Errorf("doctor: %q writable %t (%q) major %d", rep.AirflowVersion, rep.Writable, rep.WriteRefusal, rep.AirflowMajor)
			}
			res := r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-01-02")
			if !strings.Contains(res.Stderr, "deadbeef0000") {
				t.Errorf("write on an unknown head without a warning: %q", res.Stderr)
			}
			if n := db.ScalarInt(t, "SELECT count(*) FROM dag_run WHERE dag_id = 'fx_daily_cron'"); n != 2 {
				t.Errorf("%d runs written, want 2", n)
			}
		})
		t.Run("unknown head, missing column", func(t *testing.T) {
			db := open(t, tg, dbtest.WithSampleDAGs())
			r := runner(t, db)
			db.SQL(t, "UPDATE alembic_version SET version_num = 'deadbeef0000'")
			db.SQL(t, "ALTER TABLE dag_run RENAME COLUMN clear_number TO clear_count")
			reads(t, r, `unrecognised Airflow schema (alembic revision "deadbeef0000")`)
			var rep doctor.Report
			r.JSON(t, &rep, "doctor")
			if rep.AirflowVersion != "unknown" || rep.Writable || rep.AirflowMajor != tg.Major() {
				t.Errorf("doctor: %q writable %t major %d", rep.AirflowVersion, rep.Writable, rep.AirflowMajor)
			}
			refused(t, r, db, "deadbeef0000", "dag_run.clear_number")
		})
		t.Run("no alembic_version", func(t *testing.T) {
			db := open(t, tg, dbtest.WithSampleDAGs())
			r := runner(t, db)
			db.SQL(t, "DROP TABLE alembic_version")
			reads(t, r, `unrecognised Airflow schema (alembic revision "")`)
			var rep doctor.Report
			r.JSON(t, &rep, "doctor")
			if rep.AirflowVersion != "unknown" || rep.Writable || !strings.Contains(rep.WriteRefusal, "no alembic_version") {
				t.Errorf("doctor: %q writable %t refusal %q", rep.AirflowVersion, rep.Writable, rep.WriteRefusal)
			}
			refused(t, r, db, "no alembic_version")
		})
	})
}

// The newest sample schema really has the columns these tests alter.
func TestNewestFixtureShapes(t *testing.T) {
	db := open(t, target{dbtest.Postgres, "3.3.0"})
	cols := db.QueryRows(t, `SELECT column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = 'dag'
		AND column_name IN ('allowed_run_types', 'timetable_partitioned', 'timetable_periodic', 'timetable_type') ORDER BY 1`)
	var got []string
	for _, c := range cols {
		got = append(got, text(c[0]))
	}
	if want := []string{"allowed_run_types", "timetable_partitioned", "timetable_periodic", "timetable_type"}; !slices.Equal(got, want) {
		t.Errorf("3.3.0 dag columns = %v, want %v", got, want)
	}
}
