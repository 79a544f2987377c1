package reliability

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dagctl/dagctl/internal/store/dbtest"
)

const password = "s3cr3t-Pa55"

// The database password never reaches stdout, stderr or a row dagctl writes,
// whichever layer the URL comes from and whichever command, format or error
// path runs. (The dbtest cluster trusts its socket, so the password is not
// checked, but it is part of every URL here.)
func TestPasswordIsNeverPrinted(t *testing.T) {
	db := dbtest.NewPostgres(t, "3.0.3", dbtest.WithSampleDAGs())
	role := "dagctl_secret_" + strings.TrimPrefix(db.Name, "t_")
	if len(role) > 60 {
		role = role[:60]
	}
	db.SQL(t, fmt.Sprintf(`CREATE ROLE %s LOGIN SUPERUSER PASSWORD '%s'`, role, password))
	t.Cleanup(func() {
		// Objects dagctl created as the role (its own tables) go to postgres first.
		db.SQL(t, "REASSIGN OWNED BY "+role+" TO postgres")
		db.SQL(t, "DROP OWNED BY "+role)
		db.SQL(t, "DROP ROLE "+role)
	})
	dir := socketDir(t, db.URL)
	good := fmt.Sprintf("postgresql://%s:%s@/%s?host=%s", role, password, db.Name, dir)
	badDB := fmt.Sprintf("postgresql://%s:%s@/no_such_database?host=%s", role, password, dir)
	refused := fmt.Sprintf("postgresql://%s:%s@127.0.0.1:1/airflow?connect_timeout=2", role, password)
	badPort := fmt.Sprintf("postgresql://%s:%s@localhost:port/airflow", role, password)
	badOpt := refused + "&sslmode=sometimes"
	timeout := good + "&options=-c%20statement_timeout%3D1"

	home := t.TempDir()
	cfgFile := filepath.Join(home, "dagctl.yaml")
	if err := os.WriteFile(cfgFile, []byte("db: "+good+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	airflowCfg := filepath.Join(home, "airflow.cfg")
	if err := os.WriteFile(airflowCfg, []byte("[database]\nsql_alchemy_conn = "+good+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// Each layer that can give the URL, as (flag args, extra environment).
	layers := []struct {
		name string
		args []string
		env  []string
	}{
		{"flag", []string{"--db", good}, nil},
		{"env", nil, []string{"DAGCTL_DB=" + good}},
		{"config", []string{"--config", cfgFile}, nil},
		{"airflow-env", nil, []string{"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=" + good}},
		{"airflow-cfg", nil, []string{"AIRFLOW_CONFIG=" + airflowCfg}},
	}
	type output struct{ cmd, out string }
	var outputs []output
	exec := func(env []string, args ...string) int {
		t.Helper()
		p := command(t, "", args...)
		p.cmd.Env = append(p.cmd.Env, env...)
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		code := p.wait()
		outputs = append(outputs, output{
			cmd: strings.ReplaceAll(fmt.Sprintf("dagctl %s (exit %d, env %v)", strings.Join(args, " "), code, env), password, "PASSWORD"),
			out: "stdout:\n" + p.stdout.String() + "\nstderr:\n" + p.stderr.String(),
		})
		return code
	}
	for i, l := range layers {
		cmds := [][]string{{"config", "view"}, {"doctor", "-o", "json"}}
		if i == 0 {
			cmds = append(cmds, []string{"config", "view", "-o", "json"}, []string{"config", "view", "-o", "yaml"},
				[]string{"doctor"}, []string{"doctor", "-o", "yaml"}, []string{"dags", "list", "-o", "json"})
		}
		for _, cmd := range cmds {
			if code := exec(l.env, append(append([]string{}, l.args...), cmd...)...); code != 0 {
				t.Errorf("%s: exit %d: %s", outputs[len(outputs)-1].cmd, code, outputs[len(outputs)-1].out)
			}
		}
	}
	writes := [][]string{
		{"runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-01-02", "--conf", `{"k": "v"}`, "-o", "json"},
		{"runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-05", "--end-date", "2024-01-05", "-o", "yaml"},
		{"runs", "list", "-o", "yaml"},
		{"runs", "list", "-o", "csv"},
		{"backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-03", "--description", "secret test", "-o", "yaml"},
		{"backfill", "list", "-o", "json"},
		{"backfill", "reconcile", "-o", "json"},
		{"db", "migrate"},
	}
	for _, w := range writes {
		if code := exec(nil, append([]string{"--db", good}, w...)...); code != 0 {
			t.Errorf("dagctl %s: exit %d: %s", strings.Join(w, " "), code, outputs[len(outputs)-1].out)
		}
	}
	failures := [][]string{
		{"--db", badDB, "dags", "list"},
		{"--db", badDB, "doctor"},
		{"--db", badDB, "doctor", "-o", "json"},
		{"--db", refused, "runs", "list"},
		{"--db", badPort, "runs", "list"},
		{"--db", badOpt, "runs", "list"},
		{"--db", timeout, "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-03-01", "--end-date", "2024-03-02"},
		{"--db", good, "runs", "create", "--dag-id", "nope"},
		{"--db", good, "--context", "nope", "dags", "list"},
	}
	for _, f := range failures {
		if code := exec(nil, f...); code == 0 {
			t.Errorf("dagctl %s: exit 0, want a failure", strings.Join(f, " "))
		}
	}
	// config view does not connect: it shows the bad URL, masked, and exits 0.
	exec(nil, "--db", badDB, "config", "view")
	shown := 0
	for _, o := range outputs {
		if strings.Contains(o.out, role) {
			shown++ // the URL (or the user in it) was printed, masked
		}
		if strings.Contains(o.out, "s3cr3t") {
			t.Errorf("%s printed the password:\n%s", o.cmd, o.out)
		}
	}
	if shown < len(layers) {
		t.Errorf("only %d outputs show the URL's user; config view should show the masked URL for every layer", shown)
	}
	// Nor is it in any row: the audit rows' extra, the backfill's rows, anything.
	for _, table := range db.Tables(t) {
		for _, row := range db.QueryRows(t, `SELECT * FROM "`+table+`"`) {
			for _, v := range row {
				if strings.Contains(text(v), "s3cr3t") {
					t.Errorf("table %s holds the password: %v", table, row)
				}
			}
		}
	}
	if n := db.ScalarInt(t, "SELECT count(*) FROM log WHERE event LIKE 'dagctl.%'"); n < 3 {
		t.Errorf("%d dagctl audit rows, want at least 3 (two runs creates, one backfill create)", n)
	}
}
