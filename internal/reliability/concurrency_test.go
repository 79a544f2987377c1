package reliability

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dagctl/dagctl/internal/backfillops"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

type target struct{ dialect, release string }

func (tg target) String() string { return tg.dialect + "/" + tg.release }

func open(t *testing.T, tg target) *dbtest.DB {
	t.Helper()
	switch tg.dialect {
	case dbtest.Postgres:
		return dbtest.NewPostgres(t, tg.release, dbtest.WithSampleDAGs())
	case dbtest.MySQL:
		return dbtest.NewMySQL(t, tg.release, dbtest.WithSampleDAGs())
	}
	return dbtest.NewSQLite(t, tg.release, dbtest.WithSampleDAGs())
}

var raceTargets = []target{{dbtest.Postgres, "2.10.5"}, {dbtest.Postgres, "3.0.3"}, {dbtest.SQLite, "3.0.3"}, {dbtest.MySQL, "2.10.5"}}

// startAll starts every process, then waits for all of them.
func startAll(t *testing.T, ps []*proc) []int {
	t.Helper()
	for _, p := range ps {
		if err := p.cmd.Start(); err != nil {
			t.Fatalf("start dagctl: %v", err)
		}
	}
	codes := make([]int, len(ps))
	for i, p := range ps {
		codes[i] = p.wait()
	}
	return codes
}

// Eight processes create the same hourly range with the same prefix at once:
// each date gets exactly one run, every counter is used once, and every
// process either succeeds or says clearly that it lost a race (exit 5).
func TestConcurrentRunsCreateProcesses(t *testing.T) {
	for _, tg := range raceTargets {
		t.Run(tg.String(), func(t *testing.T) {
			t.Parallel()
			db := open(t, tg)
			ps := make([]*proc, 8)
			for i := range ps {
				ps[i] = command(t, db.URL, "runs", "create", "--dag-id", "fx_hourly", "--prefix", "race",
					"--start-date", "2024-01-01T00:00", "--end-date", "2024-01-02T00:00", "-o", "json")
			}
			codes := startAll(t, ps)
			created := 0
			for i, p := range ps {
				switch codes[i] {
				case 0:
					var res struct {
						DagRunIDs []string `json:"dag_run_ids"`
					}
					if err := json.Unmarshal(p.stdout.Bytes(), &res); err != nil {
						t.Fatalf("process %d: stdout is not JSON: %v\n%s", i, err, p.stdout.String())
					}
					created += len(res.DagRunIDs)
				case 5:
					if msg := strings.TrimSpace(p.stderr.String()); msg == "" || strings.Contains(msg, "\n") {
						t.Errorf("process %d: conflict without a one-line reason: %q", i, msg)
					}
				default:
					t.Errorf("process %d: exit %d, want 0 or 5\nstderr: %s", i, codes[i], p.stderr.String())
				}
			}
			if created != 25 {
				t.Errorf("processes reported %d runs created, want 25 (one per hour)", created)
			}
			rows := db.QueryRows(t, "SELECT run_id, "+ld(tg.release)+" FROM dag_run WHERE dag_id = 'fx_hourly'")
			if len(rows) != 25 {
				t.Fatalf("dag_run holds %d runs of fx_hourly, want 25", len(rows))
			}
			counters, dates := map[string]bool{}, map[string]bool{}
			for _, r := range rows {
				id := text(r[0])
				parts := strings.SplitN(id, "_", 3)
				if len(parts) != 3 || parts[0] != "race" {
					t.Errorf("run id %q is not race_<counter>_<date>", id)
					continue
				}
				if counters[parts[1]] {
					t.Errorf("counter %s used twice", parts[1])
				}
				counters[parts[1]] = true
				d := text(r[1])
				if dates[d] {
					t.Errorf("logical date %s has two runs", d)
				}
				dates[d] = true
			}
		})
	}
}

// Eight processes create overlapping backfills of one DAG at once: exactly
// one wins, the others are refused as conflicts.
func TestConcurrentOverlappingBackfillProcesses(t *testing.T) {
	for _, tg := range raceTargets {
		t.Run(tg.String(), func(t *testing.T) {
			t.Parallel()
			db := open(t, tg)
			before := db.ScalarInt(t, "SELECT count(*) FROM dag_run")
			ps := make([]*proc, 8)
			for i := range ps {
				ps[i] = command(t, db.URL, "backfill", "create", "--dag-id", "fx_hourly",
					"--start-date", "2024-01-01T00:00", "--end-date", fmt.Sprintf("2024-01-01T%02d:00", 10+i), "-q")
			}
			codes := startAll(t, ps)
			wins := 0
			for i, c := range codes {
				switch c {
				case 0:
					wins++
				case 5:
					if msg := strings.TrimSpace(ps[i].stderr.String()); !strings.Contains(msg, "overlap") && !strings.Contains(msg, "backfill") {
						t.Errorf("process %d: conflict message %q names no backfill", i, msg)
					}
				default:
					t.Errorf("process %d: exit %d, want 0 or 5\nstderr: %s", i, c, ps[i].stderr.String())
				}
			}
			if wins != 1 {
				t.Errorf("%d creates won, want exactly 1 (codes %v)", wins, codes)
			}
			if n := db.ScalarInt(t, "SELECT count(*) FROM dagctl_backfill"); n != 1 {
				t.Errorf("dagctl_backfill holds %d rows, want 1", n)
			}
			if after := db.ScalarInt(t, "SELECT count(*) FROM dag_run"); after == before {
				t.Errorf("the winning backfill wrote no run")
			}
		})
	}
}

// Four `backfill reconcile --loop` processes top up an Airflow 2 backfill
// while a stand-in scheduler finishes its runs: at no sample are more than
// max_active_runs runs queued or running, no run is written twice, and the
// backfill ends in success.
func TestConcurrentReconcileLoopsAirflow2(t *testing.T) {
	for _, tg := range []target{{dbtest.Postgres, "2.10.5"}, {dbtest.MySQL, "2.10.5"}} {
		t.Run(tg.String(), func(t *testing.T) {
			t.Parallel()
			testConcurrentReconcileLoops(t, tg)
		})
	}
}

func testConcurrentReconcileLoops(t *testing.T, tg target) {
	db := open(t, tg)
	r := runner(t, db)
	const maxActive = 2
	var v backfillops.View
	r.JSON(t, &v, "backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-03-01", "--end-date", "2024-03-12",
		"--max-active-runs", fmt.Sprint(maxActive))
	prefix := v.BackfillDagID
	// '!' escapes LIKE metacharacters alike on PostgreSQL and MySQL.
	like := strings.ReplaceAll(prefix, "_", "!_") + "%"

	ps := make([]*proc, 4)
	for i := range ps {
		ps[i] = command(t, db.URL, "backfill", "reconcile", "--loop", "--interval", "50ms")
		if err := ps[i].cmd.Start(); err != nil {
			t.Fatal(err)
		}
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		for _, p := range ps {
			p.cmd.Process.Signal(syscall.SIGTERM)
		}
		for i, p := range ps {
			if c := p.wait(); c != 0 {
				t.Errorf("reconcile process %d: exit %d after SIGTERM\nstderr: %s", i, c, p.stderr.String())
			}
		}
	}
	defer stop()

	var maxSeen atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	// Sampler: count the backfill's active runs.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
			n := db.ScalarInt(t, `SELECT count(*) FROM dag_run WHERE run_id LIKE ? ESCAPE '!' AND state IN ('queued', 'running')`, like)
			if n > maxSeen.Load() {
				maxSeen.Store(n)
			}
		}
	}()
	// Stand-in scheduler: queued -> running, then running -> success.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-time.After(30 * time.Millisecond):
			}
			db.SQL(t, `UPDATE dag_run SET state = 'success', end_date = now() WHERE run_id LIKE ? ESCAPE '!' AND state = 'running'`, like)
			db.SQL(t, `UPDATE dag_run SET state = 'running', start_date = now() WHERE run_id LIKE ? ESCAPE '!' AND state = 'queued'`, like)
		}
	}()

	finished := waitFor(60*time.Second, func() bool {
		var got backfillops.View
		res := r.Run(t, "backfill", "get", prefix, "-o", "json")
		return res.Code == 0 && json.Unmarshal([]byte(res.Stdout), &got) == nil && got.State == "success"
	})
	close(done)
	wg.Wait()
	stop()
	if !finished {
		t.Fatalf("backfill did not end in success within 60s")
	}
	if m := maxSeen.Load(); m > maxActive {
		t.Errorf("%d runs of the backfill were active at once, max_active_runs is %d", m, maxActive)
	}
	rows := db.ScalarInt(t, `SELECT count(*) FROM dag_run WHERE run_id LIKE ? ESCAPE '!'`, like)
	distinct := db.ScalarInt(t, `SELECT count(DISTINCT run_id) FROM dag_run WHERE run_id LIKE ? ESCAPE '!'`, like)
	dates := db.ScalarInt(t, `SELECT count(DISTINCT execution_date) FROM dag_run WHERE run_id LIKE ? ESCAPE '!'`, like)
	if rows != 12 || distinct != 12 || dates != 12 {
		t.Errorf("backfill runs: %d rows, %d distinct run ids, %d distinct dates; want 12 of each", rows, distinct, dates)
	}
	if n := db.ScalarInt(t, `SELECT count(*) FROM dag_run WHERE run_id LIKE ? ESCAPE '!' AND state <> 'success'`, like); n != 0 {
		t.Errorf("%d backfill runs did not succeed", n)
	}
}
