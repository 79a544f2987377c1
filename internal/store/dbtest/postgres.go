package dbtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// errNoPostgres marks a machine without PostgreSQL: tests skip, except in CI where they fail.
var errNoPostgres = errors.New("PostgreSQL is not available")

// cluster is the PostgreSQL instance of this test process: initdb'd into <procdir>/pg/data,
// listening only on a unix socket in <procdir>/pg.
type cluster struct {
	binDir  string
	dir     string // socket directory, parent of data
	dataDir string
	cred    *syscall.Credential // set when running as root: the postgres OS user
	version int                 // server_version_num
	proc    *exec.Cmd
	exited  chan struct{}
	admin   *sql.DB

	tplMu sync.Mutex
	tpls  map[string]*template

	keptMu sync.Mutex
	kept   []string
}

type template struct {
	mu   sync.Mutex
	done bool
	err  error
}

var (
	pgOnce    sync.Once
	pgCluster *cluster
	pgErr     error
	dbCounter atomic.Int64
)

// NewPostgres creates a fresh PostgreSQL database holding the schema and seed rows of release
// (plus the rows the options ask for), cloned from a template built once per process. It is
// dropped when the test ends, or kept and logged when the test failed. Without PostgreSQL the
// test is skipped, or fails when CI is true.
func NewPostgres(t testing.TB, release string, opts ...Option) *DB {
	t.Helper()
	o := collect(opts)
	layers, err := o.layers(Postgres, release)
	if err != nil {
		t.Fatal(err)
	}
	c := requireCluster(t)
	var b *bouncer
	if o.pgbouncer {
		b = requireBouncer(t, c)
	}
	tpl, err := c.template(release, layers)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	name := databaseName(t)
	if err := c.createDatabase(name, tpl); err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	db := &DB{
		Dialect: Postgres,
		URL:     fmt.Sprintf("postgresql://postgres@/%s?host=%s", name, c.dir),
		Name:    name,
		Release: release,
		driver:  "pgx",
		dsn:     c.dsn(name),
	}
	if b != nil {
		db.URL, db.dsn, db.PgBouncer = b.url(name), b.dsn(name), true
	}
	t.Cleanup(func() {
		db.close()
		if b != nil {
			b.kill(name)
		}
		if t.Failed() {
			c.keep(name)
			t.Logf("dbtest: test failed; kept PostgreSQL database %s (%s); the cluster directory is kept when the tests end", name, db.URL)
			return
		}
		if _, err := c.admin.Exec(`DROP DATABASE IF EXISTS ` + quoteIdent(name) + ` WITH (FORCE)`); err != nil {
			t.Errorf("dbtest: drop database %s: %v", name, err)
		}
	})
	return db
}

func requireCluster(t testing.TB) *cluster {
	t.Helper()
	pgOnce.Do(func() { pgCluster, pgErr = startCluster() })
	if pgErr != nil {
		if errors.Is(pgErr, errNoPostgres) && !inCI() {
			t.Skipf("dbtest: %v", pgErr)
		}
		t.Fatalf("dbtest: %v", pgErr)
	}
	return pgCluster
}

// databaseName makes a database name from the test name, unique in this process.
func databaseName(t testing.TB) string {
	var b strings.Builder
	for _, r := range strings.ToLower(t.Name()) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	s := b.String()
	if len(s) > 40 {
		// Keep the test's name and the end of the subtest path (often dialect/release).
		s = s[:24] + "_" + s[len(s)-15:]
	}
	return fmt.Sprintf("t_%s_%d", strings.Trim(s, "_"), dbCounter.Add(1))
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func (c *cluster) dsn(dbname string) string {
	return fmt.Sprintf("host=%s user=postgres dbname=%s sslmode=disable", c.dir, dbname)
}

func (c *cluster) keep(name string) {
	c.keptMu.Lock()
	defer c.keptMu.Unlock()
	c.kept = append(c.kept, name)
}

// template returns the name of the template database for release and layers, building it (and
// the templates below it) on first use. Safe for parallel tests: one mutex per template.
func (c *cluster) template(release string, layers []layer) (string, error) {
	parent := ""
	for _, l := range layers {
		name := "tpl_" + strings.ReplaceAll(release, ".", "_") + "_" + l.key
		c.tplMu.Lock()
		tp := c.tpls[name]
		if tp == nil {
			tp = &template{}
			c.tpls[name] = tp
		}
		c.tplMu.Unlock()

		tp.mu.Lock()
		if !tp.done {
			tp.err = c.buildTemplate(name, parent, l.files)
			tp.done = true
		}
		err := tp.err
		tp.mu.Unlock()
		if err != nil {
			return "", err
		}
		parent = name
	}
	return parent, nil
}

func (c *cluster) buildTemplate(name, parent string, scripts []string) error {
	if parent == "" {
		if _, err := c.admin.Exec(`CREATE DATABASE ` + quoteIdent(name)); err != nil {
			return fmt.Errorf("create template %s: %w", name, err)
		}
	} else if err := c.createDatabase(name, parent); err != nil {
		return err
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.dsn(name))
	if err != nil {
		return fmt.Errorf("connect to template %s: %w", name, err)
	}
	defer conn.Close(ctx)
	for _, f := range scripts {
		script, err := readScript(f)
		if err != nil {
			return err
		}
		// Without arguments pgx sends the text as one simple-protocol query, so the whole
		// pg_dump output (SET lines, set_config('search_path', '', false), DDL, INSERTs) runs
		// as one implicit transaction on this connection, as psql -1 would run it.
		if _, err := conn.Exec(ctx, script); err != nil {
			return fmt.Errorf("load %s into %s: %w", filepath.Base(f), name, err)
		}
	}
	return nil
}

func (c *cluster) createDatabase(name, tpl string) error {
	q := `CREATE DATABASE ` + quoteIdent(name) + ` TEMPLATE ` + quoteIdent(tpl)
	if c.version >= 150000 {
		// FILE_COPY copies the files and writes almost no WAL; with fsync off its checkpoints
		// are cheap, and it is a little faster than WAL_LOG for these small databases.
		q += ` STRATEGY FILE_COPY`
	}
	var err error
	for attempt := 0; attempt < 50; attempt++ {
		_, err = c.admin.Exec(q)
		// 55006 object_in_use: another session is connected to the template; it is brief.
		var pgErr *pgconn.PgError
		if err == nil || !errors.As(err, &pgErr) || pgErr.Code != "55006" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("create database %s from %s: %w", name, tpl, err)
	}
	return nil
}

// findBinaries returns the directory holding initdb and postgres: $DBTEST_PGBIN, the one of
// initdb on PATH, or the newest /usr/lib/postgresql/<major>/bin.
func findBinaries() (string, error) {
	if dir := os.Getenv("DBTEST_PGBIN"); dir != "" {
		for _, name := range []string{"initdb", "postgres", "pg_ctl"} {
			if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
				return "", fmt.Errorf("%w: DBTEST_PGBIN=%s has no %s", errNoPostgres, dir, name)
			}
		}
		return dir, nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	slices.SortFunc(matches, func(a, b string) int { return pgMajor(b) - pgMajor(a) })
	for _, m := range matches {
		dir := filepath.Dir(m)
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	return "", fmt.Errorf("%w: no initdb on PATH or under /usr/lib/postgresql/*/bin (install PostgreSQL, e.g. apt-get install postgresql)", errNoPostgres)
}

func pgMajor(initdb string) int {
	// /usr/lib/postgresql/<major>/bin/initdb
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

func startCluster() (*cluster, error) {
	binDir, err := findBinaries()
	if err != nil {
		return nil, err
	}
	root, err := processDir()
	if err != nil {
		return nil, err
	}
	c := &cluster{binDir: binDir, dir: filepath.Join(root, "pg"), tpls: map[string]*template{}}
	c.dataDir = filepath.Join(c.dir, "data")
	if err := os.Mkdir(c.dir, 0o700); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		// initdb and postgres refuse to run as root.
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("%w: running as root and there is no postgres OS user to run it as", errNoPostgres)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(c.dir, uid, gid); err != nil {
			return nil, err
		}
	}
	initdb := c.command("initdb", "-D", c.dataDir, "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--no-locale", "--no-sync", "--wal-segsize=1")
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb (%s): %v\n%s", binDir, err, out)
	}
	conf := fmt.Sprintf(`
# dbtest: a private throwaway cluster, unix socket only, durability off for speed
listen_addresses = ''
unix_socket_directories = '%s'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
min_wal_size = 4MB
max_wal_size = 64MB
`, c.dir)
	f, err := os.OpenFile(filepath.Join(c.dataDir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	_, err = f.WriteString(conf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(c.dir, "postgres.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	if c.cred != nil {
		// So that pg_ctl, run as postgres, can append to it when a kept cluster is restarted.
		if err := os.Chown(logPath, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return nil, err
		}
	}
	c.proc = c.command("postgres", "-D", c.dataDir)
	c.proc.Stdout, c.proc.Stderr = logFile, logFile
	// If the test binary dies without stopping it, postgres gets a fast shutdown.
	c.proc.SysProcAttr.Pdeathsig = syscall.SIGINT
	if err := c.proc.Start(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	c.exited = make(chan struct{})
	go func() { c.proc.Wait(); close(c.exited) }()

	c.admin, err = sql.Open("pgx", c.dsn("postgres"))
	if err != nil {
		c.stop()
		return nil, err
	}
	c.admin.SetMaxOpenConns(16)
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = c.admin.PingContext(ctx)
		cancel()
		if err == nil {
			break
		}
		select {
		case <-c.exited:
			log, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("postgres exited during startup:\n%s", log)
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			c.stop()
			return nil, fmt.Errorf("postgres did not accept connections within 60s: %v\n%s", err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := c.admin.QueryRow(`SELECT current_setting('server_version_num')::int`).Scan(&c.version); err != nil {
		c.stop()
		return nil, fmt.Errorf("server version: %w", err)
	}
	return c, nil
}

func (c *cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.binDir, name), args...)
	cmd.Dir = c.dir
	cmd.Env = append(cleanEnv(), "LC_ALL=C")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	return cmd
}

// cleanEnv drops PG* variables, so that the user's PGDATA, PGHOST or PGPORT cannot point the
// private cluster elsewhere.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "LC_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func (c *cluster) stop() {
	if c.admin != nil {
		c.admin.Close()
	}
	if c.proc == nil || c.proc.Process == nil {
		return
	}
	stopProcess(c.proc.Process, c.exited, syscall.SIGINT, 15*time.Second)
}

// stopCluster stops this process's cluster if it was started, and returns the databases that
// failed tests kept.
func stopCluster() []string {
	if pgCluster == nil {
		return nil
	}
	pgCluster.keptMu.Lock()
	kept := slices.Clone(pgCluster.kept)
	pgCluster.keptMu.Unlock()
	if len(kept) > 0 {
		// Only the failed tests' databases are worth keeping; the templates are rebuilt anyway.
		for name := range pgCluster.tpls {
			pgCluster.admin.Exec(`DROP DATABASE IF EXISTS ` + quoteIdent(name) + ` WITH (FORCE)`)
		}
		pgCluster.admin.Exec(`CHECKPOINT`)
	}
	pgCluster.stop()
	return kept
}

func restartCommand() string {
	if pgCluster == nil {
		return ""
	}
	cmd := filepath.Join(pgCluster.binDir, "pg_ctl") + " -D " + pgCluster.dataDir + " -l " +
		filepath.Join(pgCluster.dir, "postgres.log") + " start"
	if pgCluster.cred != nil {
		cmd = "runuser -u postgres -- " + cmd
	}
	return cmd
}
