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
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql" // database/sql driver "mysql"
)

// errNoMariaDB marks a machine without a MariaDB server: tests skip, except in CI where they fail.
var errNoMariaDB = errors.New("MariaDB is not available")

// ServerTimeZone is the default time zone of the test MariaDB server. It is deliberately not UTC:
// Airflow stores UTC in TIMESTAMP(6) columns with its session time_zone at '+00:00', and a
// client that forgets to do the same shifts every date by this offset.
const ServerTimeZone = "+05:30"

// mariadbServer is the MariaDB instance of this test process: mariadb-install-db'd into
// <procdir>/my/data, listening only on the unix socket <procdir>/my/mysqld.sock.
type mariadbServer struct {
	dir     string
	dataDir string
	socket  string
	cred    *syscall.Credential // set when running as root: the mysql OS user
	proc    *exec.Cmd
	exited  chan struct{}
	admin   *sql.DB

	scriptsMu sync.Mutex
	scripts   map[string]string

	keptMu sync.Mutex
	kept   []string
}

var (
	myOnce   sync.Once
	myServer *mariadbServer
	myErr    error
)

// NewMySQL creates a fresh database on the process's throwaway MariaDB server holding Airflow's
// MySQL-dialect schema and seed rows of release (plus the rows the options ask for), loaded from
// the dumps Airflow's own code wrote (testdata/schemas/*.mysql.sql, testdata/fixtures/*.mysql.sql).
// The server runs with a non-UTC default time zone (ServerTimeZone). The database is dropped when
// the test ends, or kept and logged when the test failed. Without MariaDB the test is skipped, or
// fails when CI is true.
func NewMySQL(t testing.TB, release string, opts ...Option) *DB {
	t.Helper()
	layers, err := collect(opts).layers(MySQL, release)
	if err != nil {
		t.Fatal(err)
	}
	s := requireMariaDB(t)
	name := databaseName(t)
	if err := s.createDatabase(name, layers); err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	db := &DB{
		Dialect: MySQL,
		URL:     "mysql://root@localhost/" + name + "?unix_socket=" + s.socket,
		Name:    name,
		Release: release,
		driver:  "mysql",
		dsn:     s.dsn(name),
	}
	t.Cleanup(func() {
		db.close()
		if t.Failed() {
			s.keep(name)
			t.Logf("dbtest: test failed; kept MariaDB database %s (%s); the server directory is kept when the tests end", name, db.URL)
			return
		}
		if _, err := s.admin.Exec("DROP DATABASE IF EXISTS " + quoteMySQL(name)); err != nil {
			t.Errorf("dbtest: drop database %s: %v", name, err)
		}
	})
	return db
}

// MySQLReleases returns the releases NewMySQL accepts.
func MySQLReleases() []string { return releasesWith(MySQL) }

func requireMariaDB(t testing.TB) *mariadbServer {
	t.Helper()
	myOnce.Do(func() { myServer, myErr = startMariaDB() })
	if myErr != nil {
		if errors.Is(myErr, errNoMariaDB) && !inCI() {
			t.Skipf("dbtest: %v", myErr)
		}
		t.Fatalf("dbtest: %v", myErr)
	}
	return myServer
}

func quoteMySQL(s string) string {
	b := []byte{'`'}
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			b = append(b, '`')
		}
		b = append(b, s[i])
	}
	return string(append(b, '`'))
}

// dsn is the go-sql-driver DSN of a database, with the session settings Airflow's engine uses on
// MySQL: time_zone '+00:00' (airflow/utils/orm_event_handlers.py), so that TIMESTAMP values are
// read as the UTC Airflow wrote, and times handed back as UTC time.Time values.
func (s *mariadbServer) dsn(dbname string) string {
	cfg := mysql.NewConfig()
	cfg.User = "root"
	cfg.Net = "unix"
	cfg.Addr = s.socket
	cfg.DBName = dbname
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.Params = map[string]string{"time_zone": "'+00:00'", "charset": "utf8mb4"}
	return cfg.FormatDSN()
}

func (s *mariadbServer) keep(name string) {
	s.keptMu.Lock()
	defer s.keptMu.Unlock()
	s.kept = append(s.kept, name)
}

// createDatabase creates name as Airflow's set-up guide does (utf8mb4_unicode_ci) and loads the
// layers' dumps into it, each in one multi-statement round trip. Loading the dumps takes about
// 0.1 s, as long as copying a template's 48 tables would.
func (s *mariadbServer) createDatabase(name string, layers []layer) error {
	ctx := context.Background()
	conn, err := s.admin.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect to MariaDB: %w", err)
	}
	// Back in the pool the connection still USEs the new database; admin statements name
	// their databases, so that does not matter.
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+quoteMySQL(name)+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	if _, err := conn.ExecContext(ctx, "USE "+quoteMySQL(name)); err != nil {
		return fmt.Errorf("use %s: %w", name, err)
	}
	for _, l := range layers {
		for _, f := range l.files {
			script, err := s.script(f)
			if err != nil {
				return err
			}
			if _, err := conn.ExecContext(ctx, script); err != nil {
				return fmt.Errorf("load %s into %s: %w", filepath.Base(f), name, err)
			}
		}
	}
	return nil
}

func (s *mariadbServer) script(name string) (string, error) {
	s.scriptsMu.Lock()
	defer s.scriptsMu.Unlock()
	if sc, ok := s.scripts[name]; ok {
		return sc, nil
	}
	sc, err := readScript(name)
	if err != nil {
		return "", err
	}
	s.scripts[name] = sc
	return sc, nil
}

// findMariaDB returns the paths of mariadbd and mariadb-install-db: from $DBTEST_MARIADB_BIN (a
// directory holding both), else PATH, else /usr/sbin and /usr/bin (Debian's mariadb-server).
func findMariaDB() (server, install string, err error) {
	var dirs []string
	if d := os.Getenv("DBTEST_MARIADB_BIN"); d != "" {
		dirs = []string{d}
	} else {
		dirs = append(filepath.SplitList(os.Getenv("PATH")), "/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin")
	}
	find := func(names ...string) string {
		for _, d := range dirs {
			for _, n := range names {
				p := filepath.Join(d, n)
				if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
					return p
				}
			}
		}
		return ""
	}
	server = find("mariadbd", "mysqld")
	install = find("mariadb-install-db", "mysql_install_db")
	if server == "" || install == "" {
		return "", "", fmt.Errorf("%w: no mariadbd and mariadb-install-db on PATH or in /usr/sbin, /usr/bin (install MariaDB, e.g. apt-get install mariadb-server)", errNoMariaDB)
	}
	return server, install, nil
}

func startMariaDB() (*mariadbServer, error) {
	serverBin, installBin, err := findMariaDB()
	if err != nil {
		return nil, err
	}
	root, err := processDir()
	if err != nil {
		return nil, err
	}
	s := &mariadbServer{dir: filepath.Join(root, "my"), scripts: map[string]string{}}
	s.dataDir = filepath.Join(s.dir, "data")
	s.socket = filepath.Join(s.dir, "mysqld.sock")
	if err := os.Mkdir(s.dir, 0o755); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		// mariadbd refuses to run as root. Starting it as the mysql user (rather than with
		// --user, where it drops privileges itself) keeps the parent-death signal in force.
		var u *user.User
		for _, name := range []string{"mysql", "postgres"} {
			if u, err = user.Lookup(name); err == nil {
				break
			}
		}
		if u == nil {
			return nil, fmt.Errorf("%w: running as root and there is no mysql OS user to run it as", errNoMariaDB)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(s.dir, uid, gid); err != nil {
			return nil, err
		}
	}
	logPath := filepath.Join(s.dir, "mariadb.log")
	// Server options shared by mariadb-install-db and mariadbd. innodb_file_per_table off: a
	// CREATE TABLE then writes into the system tablespace instead of creating a file.
	common := []string{"--no-defaults", "--datadir=" + s.dataDir, "--innodb-file-per-table=0"}
	install := s.command(installBin, append(common, "--auth-root-authentication-method=normal", "--skip-test-db",
		"--skip-name-resolve")...)
	if out, err := install.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("mariadb-install-db: %v\n%s", err, out)
	}
	args := append(slices.Clone(common), // --no-defaults first
		"--socket="+s.socket, "--skip-networking", "--pid-file="+filepath.Join(s.dir, "mariadbd.pid"),
		"--log-error="+logPath,
		"--default-time-zone="+ServerTimeZone,
		// As the server the fixtures were dumped from (see testdata/schemas README): Airflow's
		// documented MySQL settings.
		"--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
		"--explicit-defaults-for-timestamp=1", "--skip-name-resolve", "--max-connections=500",
		// Durability off for speed: a throwaway server.
		"--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0", "--innodb-flush-method=nosync",
		"--innodb-buffer-pool-size=256M", "--skip-log-bin", "--performance-schema=0")
	s.proc = s.command(serverBin, args...)
	s.proc.SysProcAttr.Pdeathsig = syscall.SIGTERM
	if err := s.proc.Start(); err != nil {
		return nil, fmt.Errorf("start mariadbd: %w", err)
	}
	s.exited = make(chan struct{})
	go func() { s.proc.Wait(); close(s.exited) }()

	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "unix", s.socket
	cfg.MultiStatements = true
	cfg.ParseTime, cfg.Loc = true, time.UTC
	cfg.Params = map[string]string{"charset": "utf8mb4"}
	s.admin, err = sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		s.stop()
		return nil, err
	}
	s.admin.SetMaxOpenConns(16)
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = s.admin.PingContext(ctx)
		cancel()
		if err == nil {
			break
		}
		select {
		case <-s.exited:
			log, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("mariadbd exited during startup:\n%s", log)
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			s.stop()
			return nil, fmt.Errorf("mariadbd did not accept connections within 60s: %v\n%s", err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s, nil
}

func (s *mariadbServer) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = s.dir
	var env []string
	for _, kv := range cleanEnv() {
		// MYSQL_HOST, MYSQL_UNIX_PORT, MYSQL_PWD... must not point the server elsewhere.
		if len(kv) < 6 || kv[:6] != "MYSQL_" {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "LC_ALL=C", "TZ=UTC")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	return cmd
}

func (s *mariadbServer) stop() {
	if s.admin != nil {
		s.admin.Close()
	}
	if s.proc == nil || s.proc.Process == nil {
		return
	}
	stopProcess(s.proc.Process, s.exited, syscall.SIGTERM, 15*time.Second)
}

// stopMariaDB stops this process's MariaDB server if it was started, and returns the databases
// that failed tests kept.
func stopMariaDB() []string {
	if myServer == nil {
		return nil
	}
	myServer.keptMu.Lock()
	kept := slices.Clone(myServer.kept)
	myServer.keptMu.Unlock()
	myServer.stop()
	return kept
}

func mariadbRestartCommand() string {
	if myServer == nil {
		return ""
	}
	cmd := myServer.proc.String()
	if myServer.cred != nil {
		cmd = "runuser -u mysql -- " + cmd
	}
	return cmd
}
