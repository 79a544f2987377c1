package integration

import (
	"strings"
	"testing"

	"github.com/dagctl/dagctl/internal/cli/dags/pause"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// dags pause / unpause write what `airflow dags pause|unpause fx_hourly`
// wrote (ops-pause.after, ops-unpause.after): is_paused, nothing else.
func TestDagsPauseMatchesAirflow(t *testing.T) {
	dag := []opsTable{{name: "dag", key: []string{"dag_id"}}}
	for _, rel := range []string{"2.10.5", "3.0.3"} {
		for _, c := range []opsCase{
			{release: rel, before: "ops-pause.before", after: "ops-pause.after", cmds: [][]string{{"dags", "pause", "fx_hourly"}}},
			{release: rel, before: "ops-pause.after", after: "ops-unpause.after", cmds: [][]string{{"dags", "unpause", "fx_hourly"}}},
		} {
			c.noDAGs, c.tables, c.audits = true, dag, 1
			t.Run(rel+"/"+c.after, func(t *testing.T) {
				t.Parallel()
				c.run(t)
			})
		}
	}
}

// Output, --pattern, --dry-run, already-paused DAGs and the audit row, on every sample database.
func TestDagsPause(t *testing.T) {
	targets := []target{{dbtest.Postgres, "2.10.5"}, {dbtest.Postgres, "3.0.3"}, {dbtest.Postgres, "3.3.0"}, {dbtest.SQLite, "2.10.5"}, {dbtest.SQLite, "3.1.8"}}
	forEach(t, targets, func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		paused := func(id string) string {
			return text(db.Scalar(t, "SELECT is_paused FROM dag WHERE dag_id = ?", id))
		}
		was := paused("fx_hourly")
		var dry []pause.View
		r.JSON(t, &dry, "dags", "pause", "--pattern", "fx_.*ly", "--dry-run")
		if len(dry) < 2 || paused("fx_hourly") != was {
			t.Fatalf("dry run: %v, fx_hourly is_paused %s → %s", dry, was, paused("fx_hourly"))
		}
		for _, v := range dry {
			if !strings.HasPrefix(v.DagID, "fx_") || !strings.HasSuffix(v.DagID, "ly") || !v.IsPaused {
				t.Errorf("dry run row %+v: want a whole match of fx_.*ly, to be paused", v)
			}
		}
		var got []pause.View
		r.JSON(t, &got, "dags", "pause", "--pattern", "fx_.*ly")
		if len(got) != len(dry) {
			t.Errorf("dry run selected %d DAGs, the real command %d", len(dry), len(got))
		}
		for _, v := range got {
			if p := paused(v.DagID); p != "true" && p != "1" {
				t.Errorf("%s is_paused = %s after pause", v.DagID, p)
			}
		}
		if n := db.ScalarInt(t, "SELECT count(*) FROM log WHERE event = 'dagctl.dags.pause' AND owner = 'tester'"); n != 1 {
			t.Errorf("%d audit rows, want 1", n)
		}
		// Pausing again changes nothing and says so.
		res := r.MustRun(t, 0, "dags", "pause", "fx_hourly")
		if !strings.Contains(res.Stdout, "unchanged") || !strings.Contains(res.Stdout, "true → true") {
			t.Errorf("pause of a paused DAG printed:\n%s", res.Stdout)
		}
		res = r.MustRun(t, 0, "dags", "unpause", "fx_hourly", "fx_daily_cron")
		if !strings.Contains(res.Stdout, "true → false") {
			t.Errorf("unpause printed:\n%s", res.Stdout)
		}
		if p := paused("fx_hourly"); p != "false" && p != "0" {
			t.Errorf("fx_hourly is_paused = %s after unpause", p)
		}
	})
}
