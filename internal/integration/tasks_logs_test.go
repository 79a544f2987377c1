package integration

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dagctl/dagctl/internal/clitest"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// logsTargets: every schema release family the issue names, on PostgreSQL,
// plus MariaDB and SQLite.
func logsTargets() []target {
	return []target{
		{dbtest.Postgres, "2.10.5"}, {dbtest.Postgres, "2.11.1"}, {dbtest.Postgres, "3.0.3"},
		{dbtest.Postgres, "3.1.8"}, {dbtest.Postgres, "3.2.0"}, {dbtest.Postgres, "3.3.0"},
		{dbtest.MySQL, "2.10.5"}, {dbtest.SQLite, "2.10.5"}, {dbtest.SQLite, "3.3.0"},
		{pgbouncer, "2.10.5"}, {pgbouncer, "3.0.3"},
	}
}

// logFixture is one of the log trees real Airflow schedulers wrote
// (testdata/airflow-logs, README there): 2.10.5's for 2.x, 3.0.3's for 3.x.
type logFixture struct {
	release string
	runID   string
	date    string // the run's logical date, UTC, "YYYY-MM-DD HH:MM:SS"
}

func fixtureFor(tg target) logFixture {
	if tg.Major() == 2 {
		return logFixture{"2.10.5", "manual__2026-12-08T00:12:25+00:00", "2026-12-08 00:12:25"}
	}
	return logFixture{"3.0.3", "manual__2026-12-08T00:12:59.028328+00:00_4tU4A3Tr", "2026-12-08 00:12:59.028328"}
}

// layOut copies the fixture's tree into a new base_log_folder, with the
// colons of the run_id= folder put back.
func (fx logFixture) layOut(t *testing.T) string {
	t.Helper()
	src := filepath.Join("testdata", "airflow-logs", "airflow-"+fx.release)
	base := t.TempDir()
	err := filepath.WalkDir(filepath.Join(src, "dag_id=fx_logs"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		dst := filepath.Join(base, strings.ReplaceAll(rel, "%3A", ":"))
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return base
}

// path is the file Airflow wrote for task/map index/try under base.
func (fx logFixture) path(base, task string, mapIndex, try int) string {
	p := filepath.Join(base, "dag_id=fx_logs", "run_id="+fx.runID, "task_id="+task)
	if mapIndex >= 0 {
		p = filepath.Join(p, q("map_index=%d", mapIndex))
	}
	return filepath.Join(p, q("attempt=%d.log", try))
}

// insertFilled inserts a row with vals and, for every other NOT NULL column
// without a default, a zero value of its type: the columns Airflow's ORM
// fills differ from release to release.
func insertFilled(t *testing.T, db *dbtest.DB, tg target, table string, vals map[string]any) {
	t.Helper()
	var rows [][]any
	switch tg.SQL() {
	case dbtest.SQLite:
		rows = db.QueryRows(t, `SELECT name, type FROM pragma_table_info('`+table+`') WHERE "notnull" = 1 AND dflt_value IS NULL AND (pk = 0 OR lower(type) <> 'integer')`)
	case dbtest.MySQL:
		rows = db.QueryRows(t, `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? AND table_schema = DATABASE()
			AND is_nullable = 'NO' AND column_default IS NULL AND extra NOT LIKE '%auto_increment%'`, table)
	default:
		rows = db.QueryRows(t, `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? AND table_schema = current_schema()
			AND is_nullable = 'NO' AND column_default IS NULL`, table)
	}
	cols := []string{}
	args := []any{}
	for k, v := range vals {
		cols = append(cols, k)
		args = append(args, v)
	}
	for _, r := range rows {
		name, typ := text(r[0]), strings.ToLower(text(r[1]))
		if _, ok := vals[name]; ok {
			continue
		}
		var v any
		switch {
		case typ == "uuid" || (name == "id" && strings.Contains(typ, "char")):
			v = newUUID()
		case strings.Contains(typ, "int"):
			v = 0
		case strings.Contains(typ, "bool"):
			v = false
		case strings.Contains(typ, "time") || strings.Contains(typ, "date"):
			v = "2026-12-08 00:00:00"
		case strings.Contains(typ, "bytea") || strings.Contains(typ, "blob") || strings.Contains(typ, "binary"):
			v = []byte{}
		case strings.Contains(typ, "json"):
			v = "{}"
		default:
			v = ""
		}
		cols = append(cols, name)
		args = append(args, v)
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
	db.SQL(t, "INSERT INTO "+table+" ("+strings.Join(cols, ", ")+") VALUES ("+marks+")", args...)
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// insertLogsRun writes the fixture's run and, per row, a task instance, as
// the scheduler left them (task_instance.txt).
func insertLogsRun(t *testing.T, db *dbtest.DB, tg target, fx logFixture, tis [][]any) {
	t.Helper()
	run := map[string]any{"dag_id": "fx_logs", "run_id": fx.runID, "run_type": "manual", "state": "failed",
		ld(tg): fx.date, "data_interval_start": fx.date, "data_interval_end": fx.date, "log_template_id": 1}
	if tg.Major() == 3 {
		run["run_after"] = fx.date
	}
	insertFilled(t, db, tg, "dag_run", run)
	for _, ti := range tis {
		row := map[string]any{"dag_id": "fx_logs", "run_id": fx.runID, "task_id": ti[0], "map_index": ti[1], "state": ti[2],
			"try_number": ti[3], "max_tries": ti[4], "hostname": "airflow-worker", "pool": "default_pool", "pool_slots": 1}
		insertFilled(t, db, tg, "task_instance", row)
	}
}

// fixtureTIs are task_instance.txt of both fixtures.
var fixtureTIs = [][]any{
	{"flaky", -1, "failed", 2, 1},
	{"hello", -1, "success", 1, 0},
	{"mapped", 0, "success", 1, 0},
	{"mapped", 1, "success", 1, 0},
	{"lost", -1, "success", 1, 0}, // no file: the log is elsewhere
	{"waiting", -1, nil, 0, 0},    // never ran
}

// TestTasksLogs reads the log trees real Airflow 2.10.5 and 3.0.3
// schedulers wrote, laid out under base_log_folder, through the run's own
// log template on every release family: the latest try and an older one, a
// mapped task's map_index= folder, Airflow 3's JSON lines rendered and
// --raw, and every refusal as one line with its exit code.
func TestTasksLogs(t *testing.T) {
	forEach(t, logsTargets(), func(t *testing.T, tg target) {
		db := open(t, tg)
		fx := fixtureFor(tg)
		base := fx.layOut(t)
		insertLogsRun(t, db, tg, fx, fixtureTIs)
		r := runner(t, db)
		r.Env["AIRFLOW__LOGGING__BASE_LOG_FOLDER"] = base
		logs := func(want int, args ...string) clitest.Result {
			t.Helper()
			res := r.MustRun(t, want, append([]string{"tasks", "logs", fx.runID}, append(args, "--dag-id", "fx_logs")...)...)
			if want != 0 && (strings.Count(strings.TrimSpace(res.Stderr), "\n") != 0 || res.Stdout != "") {
				t.Errorf("%v: exit %d wants one line on stderr and nothing on stdout:\nstdout %q\nstderr %q", args, want, res.Stdout, res.Stderr)
			}
			return res
		}
		file := func(task string, mapIndex, try int) string {
			t.Helper()
			b, err := os.ReadFile(fx.path(base, task, mapIndex, try))
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}

		hello := logs(0, "hello")
		if !strings.Contains(hello.Stdout, "hello-from-airflow") {
			t.Errorf("hello:\n%s", hello.Stdout)
		}
		flaky := logs(0, "flaky")
		try1 := logs(0, "flaky", "--try", "1")
		mapped := logs(0, "mapped", "--map-index", "1")
		if !strings.Contains(mapped.Stdout, "mapped-1") || strings.Contains(mapped.Stdout, "mapped-0") {
			t.Errorf("mapped 1:\n%s", mapped.Stdout)
		}
		if tg.Major() == 2 {
			// Airflow 2's text prints as it is.
			for _, c := range []struct {
				got, want string
			}{{hello.Stdout, file("hello", -1, 1)}, {flaky.Stdout, file("flaky", -1, 2)}, {try1.Stdout, file("flaky", -1, 1)}, {mapped.Stdout, file("mapped", 1, 1)}} {
				if c.got != c.want {
					t.Errorf("output differs from the file:\n%s", c.got)
				}
			}
			if !strings.Contains(flaky.Stdout, "{subprocess.py:106} INFO - attempt 2\n") || !strings.Contains(try1.Stdout, "INFO - attempt 1\n") {
				t.Errorf("flaky tries:\n%s\n---\n%s", flaky.Stdout, try1.Stdout)
			}
		} else {
			// Airflow 3's JSON lines as the log view shows them.
			const hook = " source=airflow.task.hooks.airflow.providers.standard.hooks.subprocess.SubprocessHook\n"
			for _, want := range []string{
				"[2026-12-08T00:13:13.941748Z] INFO - attempt 2" + hook,
				"[2026-12-08T00:13:13.943636Z] ERROR - Task failed with exception source=task\nAirflowException: Bash command failed. The command returned a non-zero exit code 1.\n" +
					"    File /usr/local/lib/python3.13/site-packages/airflow/sdk/execution_time/task_runner.py, line 877 in run\n",
			} {
				if !strings.Contains(flaky.Stdout, want) {
					t.Errorf("flaky: no %q in\n%s", want, flaky.Stdout)
				}
			}
			if !strings.Contains(try1.Stdout, "] INFO - attempt 1"+hook) || !strings.Contains(hello.Stdout, "] INFO - hello-from-airflow"+hook) {
				t.Errorf("try 1 / hello:\n%s\n---\n%s", try1.Stdout, hello.Stdout)
			}
			if strings.Contains(flaky.Stdout, `{"timestamp"`) {
				t.Errorf("JSON left in the rendering:\n%s", flaky.Stdout)
			}
			for _, c := range []struct {
				args []string
				file string
			}{{[]string{"flaky", "--raw"}, file("flaky", -1, 2)}, {[]string{"flaky", "--raw", "--try", "1"}, file("flaky", -1, 1)}, {[]string{"mapped", "--map-index", "0", "--raw"}, file("mapped", 0, 1)}} {
				if got := logs(0, c.args...).Stdout; got != c.file {
					t.Errorf("%v: --raw differs from the file:\n%s", c.args, got)
				}
			}
		}
		if strings.Contains(try1.Stdout, "attempt 2") || strings.Contains(flaky.Stdout, "echo attempt 1") {
			t.Errorf("tries mixed up")
		}

		// Refusals: one line, exit 2 or 3.
		res := logs(2, "mapped")
		if !strings.Contains(res.Stderr, "--map-index (0, 1)") {
			t.Errorf("mapped without --map-index: %s", res.Stderr)
		}
		logs(3, "mapped", "--map-index", "7")
		logs(3, "hello", "--map-index", "0")
		logs(2, "flaky", "--try", "0")
		logs(2, "flaky", "--try", "-1")
		if res := logs(3, "flaky", "--try", "3"); !strings.Contains(res.Stderr, "no try 3: the latest is 2") {
			t.Errorf("--try 3: %s", res.Stderr)
		}
		if res := logs(3, "nope"); !strings.Contains(res.Stderr, `task "nope" not found`) {
			t.Errorf("unknown task: %s", res.Stderr)
		}
		if res := logs(3, "waiting"); !strings.Contains(res.Stderr, "has not run yet") {
			t.Errorf("never ran: %s", res.Stderr)
		}
		if res := r.MustRun(t, 3, "tasks", "logs", "manual__1999-01-01T00:00:00+00:00", "hello", "--dag-id", "fx_logs"); !strings.Contains(res.Stderr, "not found") {
			t.Errorf("unknown run: %s", res.Stderr)
		}
		r.MustRun(t, 2, "tasks", "logs", fx.runID)
		lostPath := fx.path(base, "lost", -1, 1)
		if res := logs(3, "lost"); !strings.Contains(res.Stderr, lostPath+" does not exist") || strings.Contains(res.Stderr, "remote") {
			t.Errorf("missing file: %s", res.Stderr)
		}
		r.Env["AIRFLOW__LOGGING__REMOTE_LOGGING"] = "True"
		r.Env["AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER"] = "s3://bucket/logs/"
		rel := strings.TrimPrefix(lostPath, base+"/")
		if res := logs(3, "lost"); !strings.Contains(res.Stderr, lostPath) || !strings.Contains(res.Stderr, "the log is at s3://bucket/logs/"+rel+"\n") {
			t.Errorf("missing file, remote logging: %s", res.Stderr)
		}
		// A local file still wins, as Airflow reads local logs too.
		logs(0, "hello")
		delete(r.Env, "AIRFLOW__LOGGING__REMOTE_LOGGING")
		delete(r.Env, "AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER")

		// The run's own log_template row decides the layout: a run of the
		// pre-2.3 layout keeps it.
		created := "2026-12-08 00:00:00"
		db.SQL(t, "INSERT INTO log_template (id, filename, elasticsearch_id, created_at) VALUES (2, ?, '{dag_id}-{task_id}-{execution_date}-{try_number}', ?)",
			"{{ ti.dag_id }}/{{ ti.task_id }}/{{ ts }}/{{ try_number }}.log", created)
		db.SQL(t, "UPDATE dag_run SET log_template_id = 2 WHERE run_id = ?", fx.runID)
		ts := strings.Replace(fx.date, " ", "T", 1) + "+00:00"
		old := filepath.Join(base, "fx_logs", "hello", ts, "1.log")
		if err := os.MkdirAll(filepath.Dir(old), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(old, []byte("old-layout\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if res := logs(0, "hello"); res.Stdout != "old-layout\n" {
			t.Errorf("pre-2.3 template: %q", res.Stdout)
		}
		// A template dagctl cannot render is exit 2 naming it.
		db.SQL(t, "UPDATE log_template SET filename = '{{ ti.nope( }}' WHERE id = 2")
		if res := logs(2, "hello"); !strings.Contains(res.Stderr, `"{{ ti.nope( }}"`) || !strings.Contains(res.Stderr, "log_template row 2") {
			t.Errorf("unrenderable template: %s", res.Stderr)
		}
	})
}

// TestTasksLogsFollow follows a try as it runs: the file does not exist
// while the task instance is queued, then grows, then the task instance
// succeeds; everything written is printed once and the command exits 0.
func TestTasksLogsFollow(t *testing.T) {
	forEach(t, []target{{dbtest.Postgres, "3.0.3"}, {dbtest.SQLite, "2.10.5"}}, func(t *testing.T, tg target) {
		db := open(t, tg)
		fx := fixtureFor(tg)
		base := fx.layOut(t)
		insertLogsRun(t, db, tg, fx, [][]any{{"live", -1, "queued", 1, 0}})
		r := runner(t, db)
		r.Env["AIRFLOW__LOGGING__BASE_LOG_FOLDER"] = base
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		r.Ctx = ctx
		done := make(chan clitest.Result, 1)
		go func() {
			done <- r.Run(t, "tasks", "logs", fx.runID, "live", "--dag-id", "fx_logs", "--follow", "--interval", "100ms")
		}()
		path := fx.path(base, "live", -1, 1)
		appendLine := func(s string) {
			t.Helper()
			fh, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fh.WriteString(s); err != nil {
				t.Fatal(err)
			}
			fh.Close()
		}
		time.Sleep(400 * time.Millisecond)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		db.SQL(t, "UPDATE task_instance SET state = 'running' WHERE task_id = 'live'")
		appendLine(`{"timestamp":"2026-12-08T00:14:00.000001","level":"info","event":"first","logger":"task"}` + "\n")
		time.Sleep(400 * time.Millisecond)
		appendLine("plain second line\nthird, half")
		time.Sleep(400 * time.Millisecond)
		appendLine(" written\n")
		db.SQL(t, "UPDATE task_instance SET state = 'success' WHERE task_id = 'live'")
		var res clitest.Result
		select {
		case res = <-done:
		case <-ctx.Done():
			t.Fatal("--follow did not end when the task instance succeeded")
		}
		want := "[2026-12-08T00:14:00.000001Z] INFO - first source=task\nplain second line\nthird, half written\n"
		if res.Code != 0 || res.Stdout != want {
			t.Errorf("--follow: exit %d\nstdout %q\nwant   %q\nstderr %s", res.Code, res.Stdout, want, res.Stderr)
		}
		// Ctrl-C ends a follow of a running try cleanly.
		db.SQL(t, "UPDATE task_instance SET state = 'running' WHERE task_id = 'live'")
		ctx2, cancel2 := context.WithCancel(context.Background())
		r.Ctx = ctx2
		go func() {
			done <- r.Run(t, "tasks", "logs", fx.runID, "live", "--dag-id", "fx_logs", "-f", "--raw", "--interval", "100ms")
		}()
		time.Sleep(300 * time.Millisecond)
		cancel2()
		select {
		case res = <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("--follow did not stop on cancel")
		}
		if res.Code != 0 || !strings.HasPrefix(res.Stdout, `{"timestamp"`) {
			t.Errorf("cancelled --follow: exit %d stdout %q stderr %q", res.Code, res.Stdout, res.Stderr)
		}
	})
}
