package dbtest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// NewStandby starts a hot standby (a streaming read replica) of the cluster primary's holds, made
// with pg_basebackup -R, and returns db as seen through it: the same database, read-only, on its
// own unix socket. The standby is stopped when the test ends. PostgreSQL databases only.
func NewStandby(t testing.TB, primary *DB) *DB {
	t.Helper()
	if primary.Dialect != Postgres {
		t.Fatalf("dbtest: a standby needs a PostgreSQL database, not %s", primary.Dialect)
	}
	c := requireCluster(t)
	dir, err := os.MkdirTemp(filepath.Dir(c.dir), "standby-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if c.cred != nil {
		if err := os.Chown(dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")
	backup := c.command("pg_basebackup", "-D", data, "-h", c.dir, "-U", "postgres", "-R", "-X", "stream", "--no-sync")
	if out, err := backup.CombinedOutput(); err != nil {
		t.Fatalf("dbtest: pg_basebackup: %v\n%s", err, out)
	}
	logPath := filepath.Join(dir, "postgres.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	if c.cred != nil {
		os.Chown(logPath, int(c.cred.Uid), int(c.cred.Gid))
	}
	proc := c.command("postgres", "-D", data, "-c", "unix_socket_directories="+dir, "-c", "listen_addresses=",
		"-c", "hot_standby=on")
	proc.Stdout, proc.Stderr = logFile, logFile
	proc.SysProcAttr.Pdeathsig = syscall.SIGINT
	if err := proc.Start(); err != nil {
		t.Fatalf("dbtest: start standby: %v", err)
	}
	exited := make(chan struct{})
	go func() { proc.Wait(); close(exited) }()
	t.Cleanup(func() {
		stopProcess(proc.Process, exited, syscall.SIGINT, 15*time.Second)
	})
	dsn := fmt.Sprintf("host=%s user=postgres dbname=%s sslmode=disable", dir, primary.Name)
	h, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		var inRecovery bool
		err = h.QueryRowContext(ctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery)
		cancel()
		if err == nil && inRecovery {
			break
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("dbtest: standby exited during startup:\n%s", log)
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("dbtest: standby not ready within 60s: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &DB{
		Dialect: Postgres,
		URL:     fmt.Sprintf("postgresql://postgres@/%s?host=%s", primary.Name, dir),
		Name:    primary.Name,
		Release: primary.Release,
		driver:  "pgx",
		dsn:     dsn,
	}
}
