package reliability

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// On MySQL the server checks the password (a user created with one), and it
// still never reaches stdout, stderr or a row, on success and on every error
// path: a wrong password, an unknown database, an unreachable server, bad
// options.
func TestPasswordIsNeverPrintedMySQL(t *testing.T) {
	db := dbtest.NewMySQL(t, "2.10.5", dbtest.WithSampleDAGs())
	user := "dagctl_" + strings.TrimPrefix(db.Name, "t_")
	if len(user) > 32 {
		user = user[len(user)-32:]
	}
	db.SQL(t, fmt.Sprintf("CREATE USER '%s'@'localhost' IDENTIFIED BY '%s'", user, password))
	t.Cleanup(func() { db.SQL(t, fmt.Sprintf("DROP USER '%s'@'localhost'", user)) })
	db.SQL(t, fmt.Sprintf("GRANT ALL PRIVILEGES ON `%s`.* TO '%s'@'localhost'", db.Name, user))
	u, err := url.Parse(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	sock := u.Query().Get("unix_socket")
	good := fmt.Sprintf("mysql+mysqldb://%s:%s@localhost/%s?unix_socket=%s&charset=utf8mb4", user, url.QueryEscape(password), db.Name, sock)
	wrongPw := fmt.Sprintf("mysql://%s:%s-x@localhost/%s?unix_socket=%s", user, password, db.Name, sock)
	badDB := fmt.Sprintf("mysql://%s:%s@localhost/no_such_database?unix_socket=%s", user, password, sock)
	refused := fmt.Sprintf("mysql+pymysql://%s:%s@127.0.0.1:1/airflow?connect_timeout=2", user, password)
	badOpt := fmt.Sprintf("mysql://%s:%s@db/airflow?ssl_mode=sometimes", user, password)
	queryPw := fmt.Sprintf("mysql+pymysql://%s@localhost/%s?unix_socket=%s&passwd=%s", user, db.Name, sock, url.QueryEscape(password))

	var outputs []string
	exec := func(env []string, args ...string) int {
		t.Helper()
		p := command(t, "", args...)
		p.cmd.Env = append(p.cmd.Env, env...)
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		code := p.wait()
		outputs = append(outputs, fmt.Sprintf("dagctl %s (exit %d)\nstdout:\n%s\nstderr:\n%s",
			strings.ReplaceAll(strings.Join(args, " "), password, "PASSWORD"), code, p.stdout.String(), p.stderr.String()))
		return code
	}
	for _, ok := range [][]string{
		{"--db", good, "config", "view"},
		{"--db", good, "doctor", "-o", "json"},
		{"--db", queryPw, "dags", "list", "-o", "json"},
		{"--db", good, "runs", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-01-02", "--conf", `{"k": "v"}`, "-o", "json"},
		{"--db", good, "backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-03", "-o", "yaml"},
		{"--db", good, "backfill", "reconcile", "-o", "json"},
		{"--db", good, "runs", "list", "-o", "csv"},
	} {
		if code := exec(nil, ok...); code != 0 {
			t.Errorf("%s", outputs[len(outputs)-1])
		}
	}
	if code := exec([]string{"DAGCTL_DB=" + good}, "doctor"); code != 0 {
		t.Errorf("%s", outputs[len(outputs)-1])
	}
	for _, bad := range [][]string{
		{"--db", wrongPw, "dags", "list"},
		{"--db", badDB, "doctor"},
		{"--db", refused, "runs", "list"},
		{"--db", badOpt, "runs", "list"},
	} {
		if code := exec(nil, bad...); code == 0 {
			t.Errorf("exit 0, want a failure: %s", outputs[len(outputs)-1])
		}
	}
	if !strings.Contains(outputs[len(outputs)-4], "Access denied") {
		t.Errorf("a wrong password should say access denied: %s", outputs[len(outputs)-4])
	}
	for _, o := range outputs {
		if strings.Contains(o, "s3cr3t") || strings.Contains(o, url.QueryEscape(password)) {
			t.Errorf("printed the password:\n%s", o)
		}
	}
	for _, table := range db.Tables(t) {
		for _, row := range db.QueryRows(t, "SELECT * FROM `"+table+"`") {
			for _, v := range row {
				if strings.Contains(text(v), "s3cr3t") {
					t.Errorf("table %s holds the password: %v", table, row)
				}
			}
		}
	}
}
