package reliability

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// kill -9 in the middle of a 10,000-run backfill create leaves nothing of it:
// the whole create is one transaction.
func TestKill9DuringBigBackfillCreate(t *testing.T) {
	db := dbtest.NewPostgres(t, "3.0.3", dbtest.WithSampleDAGs())
	runsBefore := db.ScalarInt(t, "SELECT count(*) FROM dag_run")
	backfillsBefore := db.ScalarInt(t, "SELECT count(*) FROM backfill")
	p := command(t, db.URL, "backfill", "create", "--dag-id", "fx_hourly", "--start-date", "2023-01-01T00:00",
		"--end-date", "2024-02-25T00:00", "--ignore-overlapping", "-q")
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill as soon as dagctl's backend is inside a transaction that has written
	// (it holds a transaction id), or after 100ms at the latest.
	writing := `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
		AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL`
	sawWrite := waitFor(2*time.Second, func() bool { return db.ScalarInt(t, writing) > 0 })
	if !sawWrite {
		time.Sleep(100 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(); code != -1 {
		t.Fatalf("dagctl finished (exit %d) before it could be killed; stderr: %s", code, p.stderr.String())
	}
	t.Logf("killed while writing: %v", sawWrite)
	// The server notices the closed socket and rolls the transaction back.
	others := `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`
	if !waitFor(10*time.Second, func() bool { return db.ScalarInt(t, others) == 0 }) {
		t.Fatalf("dagctl's backend did not go away after kill -9")
	}
	if n := db.ScalarInt(t, "SELECT count(*) FROM dag_run"); n != runsBefore {
		t.Errorf("dag_run count %d after kill -9, was %d", n, runsBefore)
	}
	if n := db.ScalarInt(t, "SELECT count(*) FROM backfill"); n != backfillsBefore {
		t.Errorf("backfill count %d after kill -9, was %d", n, backfillsBefore)
	}
	if db.ScalarString(t, "SELECT to_regclass('public.dagctl_backfill')::text") != "" {
		if n := db.ScalarInt(t, "SELECT count(*) FROM dagctl_backfill"); n != 0 {
			t.Errorf("dagctl_backfill holds %d rows after kill -9", n)
		}
	}
}

// A statement timeout aborts a write with exit 1 and the server's reason, and
// leaves the database exactly as it was. With 1ms even the catalog reads time
// out; with 300ms the reads pass and the writes, held up by a SHARE lock on
// dag_run that another session holds, time out halfway through the create's
// transaction (after the backfill row, before the runs).
func TestStatementTimeout(t *testing.T) {
	db := dbtest.NewPostgres(t, "3.0.3", dbtest.WithSampleDAGs())
	before := db.Checksum(t)
	creates := [][]string{
		{"backfill", "create", "--dag-id", "fx_hourly", "--start-date", "2023-01-01T00:00", "--end-date", "2024-02-25T00:00"},
		{"runs", "create", "--dag-id", "fx_hourly", "--start-date", "2024-01-01T00:00", "--end-date", "2024-01-20T00:00"},
	}
	check := func(timeout string, want string) {
		url := db.URL + "&options=-c%20statement_timeout%3D" + timeout
		for _, args := range creates {
			code, _, stderr := run(t, url, args...)
			msg := strings.TrimSpace(stderr)
			t.Logf("timeout %sms, %s %s: exit %d: %s", timeout, args[0], args[1], code, msg)
			if code != 1 || !strings.Contains(msg, "statement timeout") || !strings.Contains(msg, want) || strings.Contains(msg, "\n") {
				t.Errorf("dagctl %s with statement_timeout %sms: exit %d, stderr %q; want exit 1 and one line naming the statement timeout",
					strings.Join(args, " "), timeout, code, msg)
			}
		}
	}
	check("1", "read catalog")

	tx, err := db.Handle(t).Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec("LOCK TABLE dag_run IN SHARE MODE"); err != nil {
		t.Fatal(err)
	}
	check("300", "into dag_run") // INSERT or COPY, by batch size
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if db.Checksum(t) != before {
		t.Error("a write cut off by statement_timeout left rows behind")
	}
}

// PostgreSQL stops under a running `backfill reconcile --loop`: the loop
// says why each pass failed, keeps going, and does its work again by itself
// once the server is back.
func TestReconcileLoopSurvivesServerRestart(t *testing.T) {
	pg := startPrivateCluster(t)
	pg.load(t, "airflow", "schemas/airflow-2.10.5.postgres.sql", "schemas/airflow-2.10.5.postgres.seed.sql",
		"fixtures/airflow-2.10.5.sample-dags.postgres.sql")
	dbURL := fmt.Sprintf("postgresql://postgres@/airflow?host=%s", pg.dir)
	code, stdout, stderr := run(t, dbURL, "backfill", "create", "--dag-id", "fx_daily_cron",
		"--start-date", "2024-03-01", "--end-date", "2024-03-03", "-o", "name")
	if code != 0 {
		t.Fatalf("backfill create: exit %d: %s", code, stderr)
	}
	like := strings.ReplaceAll(strings.TrimSpace(stdout), "_", `\_`) + "%"
	count := func() int64 {
		var n int64
		if err := pg.db(t).QueryRow(`SELECT count(*) FROM dag_run WHERE run_id LIKE $1 ESCAPE '\'`, like).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 1 {
		t.Fatalf("backfill wrote %d runs, want 1 (max_active_runs 1)", n)
	}

	loop := command(t, dbURL, "backfill", "reconcile", "--loop", "--interval", "50ms", "--connect-timeout", "1s")
	if err := loop.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if loop.cmd.ProcessState == nil {
			loop.cmd.Process.Kill()
			loop.wait()
		}
	}()
	time.Sleep(200 * time.Millisecond)
	pg.stop(t)
	time.Sleep(600 * time.Millisecond)
	if loop.cmd.ProcessState != nil {
		t.Fatalf("reconcile --loop exited while the server was down: %s", loop.stderr.String())
	}
	pg.start(t)
	// Finish the first run; the loop must write the next one on its own.
	if _, err := pg.db(t).Exec(`UPDATE dag_run SET state = 'success' WHERE run_id LIKE $1 ESCAPE '\'`, like); err != nil {
		t.Fatal(err)
	}
	resumed := waitFor(15*time.Second, func() bool { return count() == 2 })
	loop.cmd.Process.Signal(syscall.SIGTERM)
	code = loop.wait()
	errs := strings.TrimSpace(loop.stderr.String())
	t.Logf("reconcile --loop stderr:\n%s", errs)
	if !resumed {
		t.Fatalf("reconcile --loop did not write the next run after the server came back")
	}
	if code != 0 {
		t.Errorf("reconcile --loop: exit %d after SIGTERM, want 0", code)
	}
	failed := 0
	for _, line := range strings.Split(errs, "\n") {
		if strings.HasPrefix(line, "reconcile: ") && (strings.Contains(line, "connect") || strings.Contains(line, "connection") || strings.Contains(line, "shut")) {
			failed++
		}
	}
	if failed == 0 {
		t.Errorf("reconcile --loop printed no clear error while the server was down")
	}
}

// privateCluster is a PostgreSQL server of this test alone, so that it can be
// stopped and started without disturbing dbtest's shared cluster.
type privateCluster struct {
	bin, dir, data string
	cred           *syscall.Credential
	proc           *exec.Cmd
	exited         chan struct{}
	handle         *sql.DB
}

func startPrivateCluster(t *testing.T) *privateCluster {
	t.Helper()
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	slices.Sort(matches)
	if p, err := exec.LookPath("initdb"); err == nil {
		matches = append(matches, p)
	}
	if len(matches) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("no initdb")
		}
		t.Skip("no PostgreSQL binaries")
	}
	dir, err := os.MkdirTemp("/tmp", "dagctl-rel-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	c := &privateCluster{bin: filepath.Dir(matches[len(matches)-1]), dir: dir, data: filepath.Join(dir, "data")}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root without a postgres OS user")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := c.command("initdb", "-D", c.data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
		"--no-locale", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	c.start(t)
	t.Cleanup(func() {
		if c.handle != nil {
			c.handle.Close()
		}
		if c.proc != nil {
			c.stop(t)
		}
	})
	return c
}

func (c *privateCluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Pdeathsig: syscall.SIGINT}
	return cmd
}

func (c *privateCluster) start(t *testing.T) {
	t.Helper()
	c.proc = c.command("postgres", "-D", c.data, "-k", c.dir, "-c", "listen_addresses=", "-c", "fsync=off",
		"-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	log, err := os.OpenFile(filepath.Join(c.dir, "postgres.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	c.proc.Stdout, c.proc.Stderr = log, log
	if err := c.proc.Start(); err != nil {
		t.Fatalf("start postgres: %v", err)
	}
	c.exited = make(chan struct{})
	go func(p *exec.Cmd, ch chan struct{}) { p.Wait(); close(ch) }(c.proc, c.exited)
	dsn := fmt.Sprintf("host=%s user=postgres dbname=postgres sslmode=disable", c.dir)
	ok := waitFor(30*time.Second, func() bool {
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			return false
		}
		conn.Close(context.Background())
		return true
	})
	if !ok {
		b, _ := os.ReadFile(filepath.Join(c.dir, "postgres.log"))
		t.Fatalf("private postgres did not start:\n%s", b)
	}
}

// stop shuts the server down (fast shutdown: connections are cut).
func (c *privateCluster) stop(t *testing.T) {
	t.Helper()
	if c.handle != nil {
		c.handle.Close()
		c.handle = nil
	}
	c.proc.Process.Signal(syscall.SIGINT)
	select {
	case <-c.exited:
	case <-time.After(20 * time.Second):
		c.proc.Process.Kill()
		<-c.exited
	}
	c.proc = nil
}

// db returns a handle on the "airflow" database (reopened after a restart).
func (c *privateCluster) db(t *testing.T) *sql.DB {
	t.Helper()
	if c.handle == nil {
		h, err := sql.Open("pgx", fmt.Sprintf("host=%s user=postgres dbname=airflow sslmode=disable", c.dir))
		if err != nil {
			t.Fatal(err)
		}
		c.handle = h
	}
	return c.handle
}

// load creates database name and runs dbtest's schema and fixture dumps
// (paths under internal/store/dbtest/testdata) in it, each as one script.
func (c *privateCluster) load(t *testing.T, name string, scripts ...string) {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, fmt.Sprintf("host=%s user=postgres dbname=postgres sslmode=disable", c.dir))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, fmt.Sprintf("host=%s user=postgres dbname=%s sslmode=disable", c.dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, s := range scripts {
		b, err := os.ReadFile(filepath.Join(moduleRoot, "internal/store/dbtest/testdata", s))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, string(b)); err != nil {
			t.Fatalf("load %s: %v", s, err)
		}
	}
}
