package reliability

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dagctl/dagctl/internal/backfillops"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

const (
	exitInvalid  = 2
	exitNotFound = 3
	exitConflict = 5
)

// badCase is one refused invocation: the exit code and what the one line on
// stderr must name (the flag, or the value that was not found).
type badCase struct {
	args []string
	code int
	want string
}

func a(args ...string) []string { return args }

// Every refusal exits with the documented code, says why on exactly one line
// naming the field, and writes nothing. SQL and LIKE metacharacters are data:
// they find nothing and change nothing.
func TestBadInputIsRefusedCleanly(t *testing.T) {
	for _, tg := range []target{{dbtest.Postgres, "3.0.3"}, {dbtest.Postgres, "2.10.5"}, {dbtest.SQLite, "3.0.3"}, {dbtest.MySQL, "2.10.5"}} {
		t.Run(tg.String(), func(t *testing.T) {
			t.Parallel()
			testBadInput(t, tg)
		})
	}
}

func testBadInput(t *testing.T, tg target) {
	db := open(t, tg)
	r := runner(t, db)
	// Some rows to (not) find: runs with prefix "abc", and one backfill (which
	// also creates dagctl's own tables before the checksum is taken).
	r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_daily_cron", "--prefix", "abc", "--start-date", "2024-01-01", "--end-date", "2024-01-03")
	var bf backfillops.View
	r.JSON(t, &bf, "backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-03")
	bad := filepath.Join(t.TempDir(), "conf.json")
	if err := os.WriteFile(bad, []byte(`{"a": `), 0o644); err != nil {
		t.Fatal(err)
	}
	before := db.Checksum(t)

	sqlInj := "x'; DROP TABLE dag;--"
	long := strings.Repeat("p", 300)
	cases := []badCase{
		// runs list
		{a("runs", "list", "--limit", "0"), exitInvalid, "--limit"},
		{a("runs", "list", "--limit", "101"), exitInvalid, "--limit"},
		{a("runs", "list", "--limit", "-1"), exitInvalid, "--limit"},
		{a("runs", "list", "--limit", "ten"), exitInvalid, "--limit"},
		{a("runs", "list", "--external-trigger", "maybe"), exitInvalid, "--external-trigger"},
		{a("runs", "list", "--start", "-5"), exitInvalid, "--start"},
		{a("runs", "list", "--start", "1e3"), exitInvalid, "--start"},
		{a("runs", "list", "--backfill", "nope"), exitNotFound, "nope"},
		{a("runs", "list", "--backfill", sqlInj), exitNotFound, "DROP TABLE"},
		{a("runs", "list", "--bogus"), exitInvalid, "--bogus"},
		// runs get
		{a("runs", "get"), exitInvalid, "arg"},
		{a("runs", "get", "nope"), exitNotFound, `"nope"`},
		{a("runs", "get", "x' OR '1'='1"), exitNotFound, "OR"},
		{a("runs", "get", "%"), exitNotFound, `"%"`},
		{a("runs", "get", "abc%"), exitNotFound, `"abc%"`},
		{a("runs", "get", "a", "b"), exitInvalid, "arg"},
		{a("runs", "get", "abc_0000001_2024-01-01T00:00:00+00:00", "--dag-id", "%"), exitNotFound, `"%"`},
		// runs create
		{a("runs", "create"), exitInvalid, "--dag-id"},
		{a("runs", "create", "--dag-id", "nope"), exitNotFound, `"nope"`},
		{a("runs", "create", "--dag-id", sqlInj), exitNotFound, "DROP TABLE"},
		{a("runs", "create", "--dag-id", "%"), exitNotFound, `"%"`},
		{a("runs", "create", "--dag-id", "fx_daily_cro_"), exitNotFound, "fx_daily_cro_"},
		{a("runs", "create", "--dag-id", "fx_daily_cron", "--prefix", "a%"), exitInvalid, "--prefix"},
		{a("runs", "create", "--dag-id", "fx_daily_cron", "--prefix", "x'--"), exitInvalid, "--prefix"},
		{a("runs", "create", "--dag-id", "fx_daily_cron", "--prefix", ""), exitInvalid, "--prefix"},
		{a("runs", "create", "--dag-id", "fx_daily_cron", "--prefix", "___"), exitInvalid, "--prefix"},
		{a("runs", "create", "--dag-id", "fx_daily_cron", "--prefix", long), exitInvalid, "--prefix"},
		{a("runs", "create", "--dag-id", "fx_daily_cron", "--prefix", "manual__x"), exitInvalid, "--prefix"},
		{a("runs", "create", "--dag-id", "fx_daily_cron", "--conf", "[1]"), exitInvalid, "--conf"},
		{a("runs", "create", "--dag-id", "fx_daily_cron", "--conf", "{bad"), exitInvalid, "--conf"},
		{a("runs", "create", "--dag-id", "fx_daily_cron", "--conf", `"text"`), exitInvalid, "--conf"},
		{a("runs", "create", "--dag-id", "fx_daily_cron", "--conf", "null"), exitInvalid, "--conf"},
		{a("runs", "create", "--dag-id", "fx_daily_cron", "--conf", "@/nonexistent/conf.json"), exitInvalid, "--conf"},
		{a("runs", "create", "--dag-id", "fx_daily_cron", "--conf", "@"+bad), exitInvalid, "--conf"},
		{a("runs", "create", "--dag-id", "fx_daily_cron", "--limit", "0"), exitInvalid, "--limit"},
		{a("runs", "create", "--dag-id", "fx_daily_cron", "--limit", "501"), exitInvalid, "--limit"},
		{a("runs", "create", "--dag-id", "fx_daily_cron", "--limit", "-3"), exitInvalid, "--limit"},
		{a("runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-02-30"), exitInvalid, "--start-date"},
		{a("runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "yesterday"), exitInvalid, "--start-date"},
		{a("runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01'; DROP TABLE dag_run;--"), exitInvalid, "--start-date"},
		{a("runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "99999-01-01"), exitInvalid, "--start-date"},
		{a("runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01T25:00"), exitInvalid, "--start-date"},
		{a("runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-01-01"), exitInvalid, "--start-date"},
		{a("runs", "create", "--dag-id", "fx_daily_cron", "--end-date", "2024-01-01"), exitInvalid, "--end-date"},
		{a("runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "%"), exitInvalid, "--end-date"},
		{a("runs", "create", "--dag-id", "fx_daily_cron", "--dry-run=maybe"), exitInvalid, "--dry-run"},
		// backfill create
		{a("backfill", "create", "--dag-id", "fx_daily_cron", "--end-date", "2024-03-02"), exitInvalid, "--start-date"},
		{a("backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-03-01"), exitInvalid, "--end-date"},
		{a("backfill", "create", "--start-date", "2024-03-01", "--end-date", "2024-03-02"), exitInvalid, "--dag-id"},
		{a("backfill", "create", "--dag-id", sqlInj, "--start-date", "2024-03-01", "--end-date", "2024-03-02"), exitNotFound, "DROP TABLE"},
		{a("backfill", "create", "--dag-id", "fx_%", "--start-date", "2024-03-01", "--end-date", "2024-03-02"), exitNotFound, "fx_%"},
		{a("backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-03-01", "--end-date", "2024-03-02", "--max-active-runs", "4"), exitInvalid, "--max-active-runs"},
		{a("backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-03-01", "--end-date", "2024-03-02", "--max-active-runs", "-1"), exitInvalid, "--max-active-runs"},
		{a("backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-03-01", "--end-date", "2024-03-02", "--reprocess", "none' OR '1'='1"), exitInvalid, "--reprocess"},
		{a("backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-03-01", "--end-date", "2024-03-02", "--delete-after-days", "-1"), exitInvalid, "--delete-after-days"},
		{a("backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-03-01", "--end-date", "2024-03-02", "--scheduled-at", "soon"), exitInvalid, "--scheduled-at"},
		{a("backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-03-01", "--end-date", "2024-03-02", "--conf", "[]"), exitInvalid, "--conf"},
		{a("backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-03-01", "--end-date", "2024-03-02", "--wait", "--interval", "-1s"), exitInvalid, "--interval"},
		{a("backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-03-01", "--end-date", "2024-03-02", "--wait", "--timeout", "soon"), exitInvalid, "--timeout"},
		{a("backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-02-02", "--end-date", "2024-02-05"), exitConflict, bf.BackfillDagID},
		// runs list: states and run types are Airflow's enums (a typo is an error, not an empty list)
		{a("runs", "list", "--state", "bogus"), exitInvalid, "--state"},
		{a("runs", "list", "--state", "queued' OR '1'='1"), exitInvalid, "--state"},
		{a("runs", "list", "--run-type", "manual%"), exitInvalid, "--run-type"},
		{a("runs", "list", "--run-type", "%"), exitInvalid, "--run-type"},
		// backfill list
		{a("backfill", "list", "--state", "bogus"), exitInvalid, "--state"},
		{a("backfill", "list", "--state", "success'--"), exitInvalid, "--state"},
		{a("backfill", "list", "--start-date", "2024-01-01"), exitInvalid, "--end-date"},
		{a("backfill", "list", "--start-date", "first", "--end-date", "2024-01-01"), exitInvalid, "--start-date"},
		// backfill get, pause, resume, cancel, delete, wait, reconcile
		{a("backfill", "get"), exitInvalid, "arg"},
		{a("backfill", "get", "nope"), exitNotFound, `"nope"`},
		{a("backfill", "get", "x' OR '1'='1"), exitNotFound, "OR"},
		{a("backfill", "get", "%"), exitNotFound, `"%"`},
		{a("backfill", "get", "fx_daily_cron_backfill_%"), exitNotFound, "fx_daily_cron_backfill_%"},
		{a("backfill", "pause", "nope"), exitNotFound, `"nope"`},
		{a("backfill", "pause", "_"), exitNotFound, `"_"`},
		{a("backfill", "resume", "%"), exitNotFound, `"%"`},
		{a("backfill", "cancel", sqlInj), exitNotFound, "DROP TABLE"},
		{a("backfill", "delete", "%%"), exitNotFound, `"%%"`},
		{a("backfill", "wait", "nope", "--timeout", "1s"), exitNotFound, `"nope"`},
		{a("backfill", "wait", bf.BackfillDagID, "--interval", "0"), exitInvalid, "--interval"},
		{a("backfill", "reconcile", "--loop", "--interval", "0"), exitInvalid, "--interval"},
		{a("backfill", "reconcile", "extra"), exitInvalid, `"extra"`},
		// dags list
		{a("dags", "list", "--paused", "--unpaused"), exitInvalid, "--paused"},
		// global flags and URLs
		{a("dags", "list", "-o", "xml"), exitInvalid, "--output"},
		{a("dags", "list", "--rbac", "sometimes"), exitInvalid, "--rbac"},
		{a("dags", "list", "--connect-timeout", "-1s"), exitInvalid, "--connect-timeout"},
		{a("dags", "list", "--connect-timeout", "soon"), exitInvalid, "--connect-timeout"},
		{a("dags", "list", "--db", "mysql://user@host/airflow?ssl_mode=sometimes"), exitInvalid, "ssl_mode"},
		{a("dags", "list", "--db", "mysql+pymysql://user@host/airflow?charset=latin1"), exitInvalid, "charset"},
		{a("dags", "list", "--db", "postgresql://user@[::1/airflow"), exitInvalid, "--db"},
		{a("dags", "list", "--db", "not a url"), exitInvalid, "--db"},
		{a("nope"), exitInvalid, "nope"},
	}
	// Keep the table broad.
	if len(cases) < 60 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		res := r.Run(t, c.args...)
		msg := strings.TrimSpace(res.Stderr)
		if res.Code != c.code || !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") || msg == "" {
			t.Errorf("dagctl %q: exit %d, stderr %q; want exit %d and one line naming %q", c.args, res.Code, msg, c.code, c.want)
		}
		if res.Stdout != "" && c.code != 0 {
			t.Errorf("dagctl %q: refused but printed on stdout: %q", c.args, res.Stdout)
		}
	}

	// Metacharacters in filters are literal: they match nothing, not everything.
	empty := []struct{ args []string }{
		{a("runs", "list", "--prefix", "a%")},
		{a("runs", "list", "--prefix", "a_c")},
		{a("runs", "list", "--prefix", `ab\`)},
		{a("runs", "list", "--prefix", "%")},
		{a("runs", "list", "--dag-id", sqlInj)},
		{a("runs", "list", "--dag-id", "%")},
		{a("runs", "list", "--dag-id", "fx_daily_cro_")},
		{a("dags", "list", "--pattern", "%")},
		{a("dags", "list", "--pattern", "fx%")},
		{a("dags", "list", "--pattern", "fx_daily_cro_")},
		{a("dags", "list", "--pattern", sqlInj)},
		{a("dags", "list", "--pattern", "fx_[daily")}, // an unclosed [ is literal, as in fnmatch
		{a("dags", "list", "--tag", sqlInj)},
		{a("dags", "list", "--tag", "%")},
		{a("backfill", "list", "--dag-id", "%")},
		{a("backfill", "list", "--dag-id", sqlInj)},
	}
	for _, c := range empty {
		var got []json.RawMessage
		r.JSON(t, &got, c.args...)
		if len(got) != 0 {
			t.Errorf("dagctl %q: %d rows, want none (metacharacters are literal)", c.args, len(got))
		}
	}
	var abc []json.RawMessage
	r.JSON(t, &abc, "runs", "list", "--prefix", "abc")
	if len(abc) != 3 {
		t.Errorf("runs list --prefix abc: %d rows, want 3", len(abc))
	}
	var fx []json.RawMessage
	r.JSON(t, &fx, "dags", "list", "--pattern", "fx_daily_*")
	if len(fx) == 0 {
		t.Errorf("dags list --pattern fx_daily_*: no rows")
	}
	if db.Checksum(t) != before {
		t.Fatal("refused input changed the database")
	}
	// The injected DROP TABLEs ran nowhere: the tables are still there.
	for _, table := range []string{"dag", "dag_run", "log"} {
		db.ScalarInt(t, "SELECT count(*) FROM "+table)
	}
}
