package reliability

import (
	"database/sql"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// TestSignalCancelsTheServerStatement: a dagctl process waiting for a lock
// held by another transaction (as the scheduler holds a DAG's rows) gets
// SIGINT or SIGTERM; it exits at once, and its server backend stops waiting
// too (a cancel request went to the server), holding nothing. Direct and
// through PgBouncer, which forwards cancel requests.
func TestSignalCancelsTheServerStatement(t *testing.T) {
	for _, c := range []struct {
		name string
		sig  syscall.Signal
		opts []dbtest.Option
	}{
		{"direct/SIGINT", syscall.SIGINT, nil},
		{"direct/SIGTERM", syscall.SIGTERM, nil},
		{"pgbouncer/SIGINT", syscall.SIGINT, []dbtest.Option{dbtest.ViaPgBouncer()}},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := dbtest.NewPostgres(t, "3.0.3", append(c.opts, dbtest.WithSampleDAGs())...)
			h, err := sql.Open(db.DriverName(), db.DSN())
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			tx, err := h.Begin()
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if _, err := tx.Exec("SELECT pg_advisory_xact_lock(hashtextextended('dagctl.dag:fx_daily_cron', 0))"); err != nil {
				t.Fatal(err)
			}
			p := command(t, db.URL, "--lock-timeout", "0", "runs", "create", "--dag-id", "fx_daily_cron",
				"--start-date", "2024-03-01", "--end-date", "2024-03-02")
			if err := p.cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waiting := func() int64 {
				return db.ScalarInt(t, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
					AND query LIKE '%pg_advisory_xact_lock%' AND backend_xid IS NULL AND pid <> pg_backend_pid()
					AND application_name = 'dagctl'`)
			}
			deadline := time.Now().Add(15 * time.Second)
			for waiting() == 0 {
				if time.Now().After(deadline) {
					p.cmd.Process.Kill()
					p.wait()
					t.Fatalf("dagctl never waited for the lock; stderr: %s", p.stderr.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			start := time.Now()
			p.cmd.Process.Signal(c.sig)
			code := p.wait()
			if code == 0 || time.Since(start) > 5*time.Second || !strings.Contains(p.stderr.String(), "interrupted") {
				t.Errorf("after %v: exit %d after %s, stderr %q", c.sig, code, time.Since(start), p.stderr.String())
			}
			deadline = time.Now().Add(3 * time.Second)
			for waiting() != 0 {
				if time.Now().After(deadline) {
					t.Fatal("the server backend still waits for the lock after dagctl exited")
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}
