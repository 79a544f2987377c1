package dbtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// errNoPgBouncer marks a machine without PgBouncer: tests skip, except in CI where they fail.
var errNoPgBouncer = errors.New("PgBouncer is not available")

// PgBouncerPort is the port in the name of the throwaway PgBouncer's unix socket.
const PgBouncerPort = 6432

// bouncer is a PgBouncer in transaction pooling mode in front of this process's cluster, as
// Airflow's Helm chart and most managed platforms put one in front of the metadata database.
// It listens only on a unix socket in <procdir>/pgbouncer.
type bouncer struct {
	dir    string
	proc   *exec.Cmd
	exited chan struct{}
}

var (
	bouncerOnce sync.Once
	pgBouncer   *bouncer
	bouncerErr  error
)

// ViaPgBouncer makes NewPostgres hand out a URL (and DSN) that goes through a throwaway
// PgBouncer in pool_mode=transaction in front of the cluster. The database itself is the same.
func ViaPgBouncer() Option { return func(o *options) { o.pgbouncer = true } }

func requireBouncer(t interface {
	Helper()
	Skipf(string, ...any)
	Fatalf(string, ...any)
}, c *cluster) *bouncer {
	t.Helper()
	bouncerOnce.Do(func() { pgBouncer, bouncerErr = startBouncer(c) })
	if bouncerErr != nil {
		if errors.Is(bouncerErr, errNoPgBouncer) && !inCI() {
			t.Skipf("dbtest: %v", bouncerErr)
		}
		t.Fatalf("dbtest: %v", bouncerErr)
	}
	return pgBouncer
}

func findPgBouncer() (string, error) {
	if p, err := exec.LookPath("pgbouncer"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/pgbouncer", "/usr/local/sbin/pgbouncer", "/usr/local/bin/pgbouncer"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: no pgbouncer on PATH or in /usr/sbin (install it, e.g. apt-get install pgbouncer)", errNoPgBouncer)
}

func startBouncer(c *cluster) (*bouncer, error) {
	bin, err := findPgBouncer()
	if err != nil {
		return nil, err
	}
	b := &bouncer{dir: filepath.Join(filepath.Dir(c.dir), "pgbouncer")}
	if err := os.Mkdir(b.dir, 0o700); err != nil {
		return nil, err
	}
	if c.cred != nil {
		// PgBouncer refuses to run as root; it runs as the cluster's OS user.
		if err := os.Chown(b.dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return nil, err
		}
	}
	// No ignore_startup_parameters: a client that sends "options" (or anything else PgBouncer
	// does not track) is refused, as it is in a default installation.
	conf := fmt.Sprintf(`[databases]
* = host=%s user=postgres

[pgbouncer]
listen_addr =
listen_port = %d
unix_socket_dir = %s
auth_type = trust
auth_file = %s
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 40
max_db_connections = 0
server_reset_query =
server_lifetime = 3600
server_idle_timeout = 30
logfile = %s
pidfile = %s
admin_users = postgres
`, c.dir, PgBouncerPort, b.dir, filepath.Join(b.dir, "userlist.txt"),
		filepath.Join(b.dir, "pgbouncer.log"), filepath.Join(b.dir, "pgbouncer.pid"))
	b.proc, b.exited, err = launchPgBouncer(bin, b.dir, map[string]string{
		"pgbouncer.ini": conf,
		"userlist.txt":  `"postgres" ""` + "\n",
	}, c.cred)
	if err != nil {
		return nil, err
	}

	probe, err := sql.Open("pgx", b.dsn("postgres"))
	if err != nil {
		b.stop()
		return nil, err
	}
	defer probe.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = probe.PingContext(ctx)
		cancel()
		if err == nil {
			return b, nil
		}
		select {
		case <-b.exited:
			return nil, startupFailure(b.dir)
		default:
		}
		if time.Now().After(deadline) {
			b.stop()
			return nil, fmt.Errorf("pgbouncer did not accept connections within 30s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// dsn is a pgx DSN through the bouncer. The exec query mode keeps pgx from naming prepared
// statements, which a transaction pooler cannot track.
func (b *bouncer) dsn(dbname string) string {
	return fmt.Sprintf("host=%s port=%d user=postgres dbname=%s sslmode=disable default_query_exec_mode=exec", b.dir, PgBouncerPort, dbname)
}

func (b *bouncer) url(dbname string) string {
	return fmt.Sprintf("postgresql://postgres@/%s?host=%s&port=%d", dbname, b.dir, PgBouncerPort)
}

// close drops the bouncer's server connections to dbname (so that the database can be dropped).
func (b *bouncer) kill(dbname string) {
	admin, err := sql.Open("pgx", b.dsn("pgbouncer")+" default_query_exec_mode=simple_protocol")
	if err != nil {
		return
	}
	defer admin.Close()
	admin.Exec("KILL " + quoteIdent(dbname))
}

func (b *bouncer) stop() {
	if b.proc == nil || b.proc.Process == nil {
		return
	}
	stopProcess(b.proc.Process, b.exited, syscall.SIGINT, 10*time.Second)
}

func stopBouncer() {
	if pgBouncer != nil {
		pgBouncer.stop()
	}
}

// launchPgBouncer writes a PgBouncer's files into dir (owned by cred's user:
// PgBouncer refuses to run as root) and starts it; exited closes when it ends.
func launchPgBouncer(bin, dir string, files map[string]string, cred *syscall.Credential) (*exec.Cmd, chan struct{}, error) {
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			return nil, nil, err
		}
		if cred != nil {
			if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
				return nil, nil, err
			}
		}
	}
	proc := exec.Command(bin, filepath.Join(dir, "pgbouncer.ini"))
	proc.Dir = dir
	proc.Env = cleanEnv()
	proc.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGINT}
	out, err := os.Create(filepath.Join(dir, "stderr.log"))
	if err != nil {
		return nil, nil, err
	}
	defer out.Close()
	proc.Stdout, proc.Stderr = out, out
	if err := proc.Start(); err != nil {
		return nil, nil, fmt.Errorf("start pgbouncer: %w", err)
	}
	exited := make(chan struct{})
	go func() { proc.Wait(); close(exited) }()
	return proc, exited, nil
}

// startupFailure is the error of a PgBouncer that exited while starting, with its logs.
func startupFailure(dir string) error {
	log, _ := os.ReadFile(filepath.Join(dir, "stderr.log"))
	flog, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
	return fmt.Errorf("pgbouncer exited during startup:\n%s\n%s", log, flog)
}
