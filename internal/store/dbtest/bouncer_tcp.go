package dbtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// PgBouncerOptions configure a PgBouncer of a test's own (TLSServer.NewPgBouncer).
type PgBouncerOptions struct {
	// Users are the pooler's userlist.txt: name → password (plain text, which
	// PgBouncer accepts for md5 and scram-sha-256).
	Users map[string]string
	// AuthType is PgBouncer's auth_type; "" = scram-sha-256.
	AuthType string
	// Databases are the names in [databases], each pointing at the server's
	// database of the same name (connected as postgres over the server's
	// Unix socket); "" = postgres only. No wildcard: another name is unknown
	// to the pooler.
	Databases []string
	// MaxClientConn is max_client_conn; 0 = 100.
	MaxClientConn int
	// PoolSize is default_pool_size; 0 = 5.
	PoolSize int
}

// PgBouncer is a throwaway PgBouncer in pool_mode=transaction listening on
// 127.0.0.1:Port (no Unix socket, no client TLS), in front of a TLSServer.
type PgBouncer struct {
	Host string // "127.0.0.1"
	Port int

	dir    string
	proc   *exec.Cmd
	exited chan struct{}
}

var tcpBouncers atomic.Int64

// NewPgBouncer starts a PgBouncer of the test's own in front of s, with its
// own users, databases and limits, for tests of what the pooler itself
// refuses; it is stopped when the test ends. Without PgBouncer the test is
// skipped, or fails when CI is true.
func (s *TLSServer) NewPgBouncer(t testing.TB, opts PgBouncerOptions) *PgBouncer {
	t.Helper()
	b, err := s.startPgBouncer(opts)
	if err != nil {
		if errors.Is(err, errNoPgBouncer) && !inCI() {
			t.Skipf("dbtest: %v", err)
		}
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			if log, err := os.ReadFile(filepath.Join(b.dir, "pgbouncer.log")); err == nil {
				t.Logf("dbtest: PgBouncer log:\n%s", lastLines(string(log), 30))
			}
		}
		stopProcess(b.proc.Process, b.exited, syscall.SIGINT, 10*time.Second)
		os.RemoveAll(b.dir)
	})
	return b
}

func (s *TLSServer) startPgBouncer(opts PgBouncerOptions) (*PgBouncer, error) {
	bin, err := findPgBouncer()
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	b := &PgBouncer{Host: "127.0.0.1", Port: port,
		dir: filepath.Join(filepath.Dir(s.c.dir), fmt.Sprintf("pgbouncer-tcp%d", tcpBouncers.Add(1)))}
	if err := os.Mkdir(b.dir, 0o700); err != nil {
		return nil, err
	}
	cred := s.c.cred
	if cred != nil {
		// PgBouncer refuses to run as root; it runs as the cluster's OS user.
		if err := os.Chown(b.dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	auth := opts.AuthType
	if auth == "" {
		auth = "scram-sha-256"
	}
	dbs := opts.Databases
	if len(dbs) == 0 {
		dbs = []string{"postgres"}
	}
	maxClients, pool := opts.MaxClientConn, opts.PoolSize
	if maxClients == 0 {
		maxClients = 100
	}
	if pool == 0 {
		pool = 5
	}
	var conf strings.Builder
	conf.WriteString("[databases]\n")
	for _, db := range dbs {
		fmt.Fprintf(&conf, "%s = host=%s port=%d dbname=%s user=postgres\n", db, s.c.dir, s.Port, db)
	}
	fmt.Fprintf(&conf, `
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = %s
auth_file = %s
pool_mode = transaction
max_client_conn = %d
default_pool_size = %d
server_reset_query =
logfile = %s
pidfile = %s
`, port, auth, filepath.Join(b.dir, "userlist.txt"), maxClients, pool,
		filepath.Join(b.dir, "pgbouncer.log"), filepath.Join(b.dir, "pgbouncer.pid"))
	var users strings.Builder
	for name, pw := range opts.Users {
		fmt.Fprintf(&users, "%q %q\n", name, pw)
	}
	b.proc, b.exited, err = launchPgBouncer(bin, b.dir, map[string]string{"pgbouncer.ini": conf.String(), "userlist.txt": users.String()}, cred)
	if err != nil {
		return nil, err
	}
	// Ready when it accepts TCP connections (a login needs a user's password).
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", b.Addr())
		cancel()
		if err == nil {
			c.Close()
			return b, nil
		}
		select {
		case <-b.exited:
			return nil, startupFailure(b.dir)
		default:
		}
		if time.Now().After(deadline) {
			stopProcess(b.proc.Process, b.exited, syscall.SIGINT, 10*time.Second)
			return nil, fmt.Errorf("pgbouncer did not accept connections within 30s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Addr is "127.0.0.1:port".
func (b *PgBouncer) Addr() string { return net.JoinHostPort(b.Host, fmt.Sprint(b.Port)) }
