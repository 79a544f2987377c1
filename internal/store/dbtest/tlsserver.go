package dbtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TLSOptions configure a TLSServer. The files are PEM; they are copied into the cluster's
// directory, so the test may write them anywhere.
type TLSOptions struct {
	CertFile, KeyFile string // the server's certificate (chain) and key; required
	CAFile            string // ssl_ca_file: the roots client certificates are checked against (optional)
	// HBA is pg_hba.conf. Empty: every user may connect over TCP with or without TLS, trusted:
	//   local all all trust / hostssl all all 127.0.0.1/32 trust / host all all 127.0.0.1/32 trust
	HBA string
	// SSLOff turns TLS off (ssl = off) while keeping the files, for clients that require it.
	SSLOff bool
}

// DefaultHBA is the pg_hba.conf a TLSServer uses when TLSOptions.HBA is empty.
const DefaultHBA = "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 trust\n"

// TLSServer is a throwaway PostgreSQL cluster of its own, with ssl = on, listening on
// 127.0.0.1:Port (and a Unix socket in its directory for the test's administration). It holds
// only the default databases (postgres): it is for connection tests, not Airflow schemas.
type TLSServer struct {
	Host string // "127.0.0.1"
	Port int

	c       *cluster
	logPath string
	gen     int
}

var tlsServers atomic.Int64

// NewTLSServer starts a TLS-enabled cluster for the test and stops it when the test ends.
// Without PostgreSQL the test is skipped, or fails when CI is true.
func NewTLSServer(t testing.TB, opts TLSOptions) *TLSServer {
	t.Helper()
	s, err := startTLSServer(opts)
	if err != nil {
		if errors.Is(err, errNoPostgres) && !inCI() {
			t.Skipf("dbtest: %v", err)
		}
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			if log, err := os.ReadFile(s.logPath); err == nil {
				t.Logf("dbtest: TLS server log:\n%s", lastLines(string(log), 30))
			}
		}
		s.c.stop()
		os.RemoveAll(s.c.dir)
	})
	return s
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func startTLSServer(opts TLSOptions) (*TLSServer, error) {
	binDir, err := findBinaries()
	if err != nil {
		return nil, err
	}
	root, err := processDir()
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	c := &cluster{binDir: binDir, dir: filepath.Join(root, fmt.Sprintf("tls%d", tlsServers.Add(1)))}
	c.dataDir = filepath.Join(c.dir, "data")
	if err := os.Mkdir(c.dir, 0o700); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		cred, err := postgresCredential()
		if err != nil {
			return nil, err
		}
		c.cred = cred
		if err := os.Chown(c.dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	initdb := c.command("initdb", "-D", c.dataDir, "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--no-locale", "--no-sync", "--wal-segsize=1")
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb (%s): %v\n%s", binDir, err, out)
	}
	s := &TLSServer{Host: "127.0.0.1", Port: port, c: c, logPath: filepath.Join(c.dir, "postgres.log")}
	if err := s.writeFiles(opts); err != nil {
		return nil, err
	}
	conf := fmt.Sprintf(`
# dbtest: a throwaway cluster with TLS on 127.0.0.1
listen_addresses = '127.0.0.1'
port = %d
unix_socket_directories = '%s'
ssl = on
include_if_exists = 'dbtest_tls.conf'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 40
shared_buffers = 16MB
`, port, c.dir)
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
	logFile, err := os.Create(s.logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	c.proc = c.command("postgres", "-D", c.dataDir)
	c.proc.Stdout, c.proc.Stderr = logFile, logFile
	c.proc.SysProcAttr.Pdeathsig = syscall.SIGINT
	if err := c.proc.Start(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	c.exited = make(chan struct{})
	go func() { c.proc.Wait(); close(c.exited) }()
	c.admin, err = sql.Open("pgx", fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres sslmode=disable", c.dir, port))
	if err != nil {
		c.stop()
		return nil, err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = c.admin.PingContext(ctx)
		cancel()
		if err == nil {
			return s, nil
		}
		select {
		case <-c.exited:
			log, _ := os.ReadFile(s.logPath)
			return nil, fmt.Errorf("postgres (TLS) exited during startup:\n%s", log)
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(s.logPath)
			c.stop()
			return nil, fmt.Errorf("postgres (TLS) did not accept connections within 60s: %v\n%s", err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func postgresCredential() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("%w: running as root and there is no postgres OS user to run it as", errNoPostgres)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// writeFiles copies the certificate files into the data directory under new names and writes
// pg_hba.conf and dbtest_tls.conf naming them.
func (s *TLSServer) writeFiles(opts TLSOptions) error {
	if opts.CertFile == "" || opts.KeyFile == "" {
		return errors.New("TLSServer: CertFile and KeyFile are required")
	}
	s.gen++
	copyFile := func(src, name string) (string, error) {
		data, err := os.ReadFile(src)
		if err != nil {
			return "", err
		}
		dst := filepath.Join(s.c.dataDir, fmt.Sprintf("dbtest_%d_%s", s.gen, name))
		if err := s.writeOwned(dst, data); err != nil {
			return "", err
		}
		return dst, nil
	}
	cert, err := copyFile(opts.CertFile, "server.crt")
	if err != nil {
		return err
	}
	key, err := copyFile(opts.KeyFile, "server.key")
	if err != nil {
		return err
	}
	conf := fmt.Sprintf("ssl_cert_file = '%s'\nssl_key_file = '%s'\n", cert, key)
	if opts.SSLOff {
		conf += "ssl = off\n"
	}
	if opts.CAFile != "" {
		ca, err := copyFile(opts.CAFile, "ca.crt")
		if err != nil {
			return err
		}
		conf += fmt.Sprintf("ssl_ca_file = '%s'\n", ca)
	} else {
		conf += "ssl_ca_file = ''\n"
	}
	hba := opts.HBA
	if hba == "" {
		hba = DefaultHBA
	}
	if err := s.writeOwned(filepath.Join(s.c.dataDir, "pg_hba.conf"), []byte(hba)); err != nil {
		return err
	}
	return s.writeOwned(filepath.Join(s.c.dataDir, "dbtest_tls.conf"), []byte(conf))
}

func (s *TLSServer) writeOwned(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return err
	}
	if s.c.cred != nil {
		return os.Chown(path, int(s.c.cred.Uid), int(s.c.cred.Gid))
	}
	return nil
}

// Configure replaces the server's certificate, CA and pg_hba.conf, reloads the server and
// waits until the new files are in force.
func (s *TLSServer) Configure(t testing.TB, opts TLSOptions) {
	t.Helper()
	if err := s.writeFiles(opts); err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	if _, err := s.c.admin.Exec(`SELECT pg_reload_conf()`); err != nil {
		t.Fatalf("dbtest: reload: %v", err)
	}
	want := fmt.Sprintf("dbtest_%d_server.crt", s.gen)
	deadline := time.Now().Add(20 * time.Second)
	for {
		// A new session reads the reloaded configuration once the postmaster has processed it.
		var got string
		err := s.c.admin.QueryRow(`SELECT setting FROM pg_settings WHERE name = 'ssl_cert_file'`).Scan(&got)
		if err == nil && strings.HasSuffix(got, want) {
			s.c.admin.SetMaxIdleConns(0) // later admin queries start fresh sessions too
			s.c.admin.SetMaxIdleConns(2)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("dbtest: the TLS server did not reload its configuration (ssl_cert_file %q, %v)", got, err)
		}
		s.c.admin.SetMaxIdleConns(0)
		s.c.admin.SetMaxIdleConns(2)
		time.Sleep(20 * time.Millisecond)
	}
}

// SocketDir is the directory of the server's Unix socket (host= for a connection without TCP).
func (s *TLSServer) SocketDir() string { return s.c.dir }

// Addr is "127.0.0.1:port".
func (s *TLSServer) Addr() string { return net.JoinHostPort(s.Host, fmt.Sprint(s.Port)) }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Exec runs statements as the superuser postgres over the server's Unix socket (to create the
// roles a connection test logs in as).
func (s *TLSServer) Exec(t testing.TB, query string, args ...any) {
	t.Helper()
	if _, err := s.c.admin.Exec(query, args...); err != nil {
		t.Fatalf("dbtest: %s: %v", query, err)
	}
}
