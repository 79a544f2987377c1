package integration

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dagctl/dagctl/internal/backfillops"
	"github.com/dagctl/dagctl/internal/clitest"
	"github.com/dagctl/dagctl/internal/store/dbtest"
)

func getBackfill(t *testing.T, r *clitest.Runner, id string) backfillops.View {
	t.Helper()
	var v backfillops.View
	r.JSON(t, &v, "backfill", "get", id)
	return v
}

// finishRuns simulates the scheduler: every queued or running run of the DAG ends in state.
func finishRuns(t *testing.T, db *dbtest.DB, dagID, state string) int64 {
	return db.SQL(t, "UPDATE dag_run SET state = ?, start_date = ?, end_date = ? WHERE dag_id = ? AND state IN ('queued', 'running')",
		state, "2026-11-23 11:00:00", "2026-11-23 11:30:00", dagID)
}

func TestBackfillStateFollowsRuns(t *testing.T) {
	forEach(t, sampleTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		b := createBackfill(t, r, "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-04", "--max-active-runs", "2")
		if b.State != "queued" {
			t.Fatalf("new backfill state = %s, want queued", b.State)
		}
		db.SQL(t, "UPDATE dag_run SET state = 'running', start_date = ? WHERE run_id = ?", "2026-11-23 10:00:00", b.BackfillDagID+"_0000001_2024-02-01T00:00:00+00:00")
		if v := getBackfill(t, r, b.BackfillDagID); v.State != "running" || v.Progress.Running != 1 || v.RunStartDate == nil {
			t.Errorf("after a run started: %s %+v", v.State, v.Progress)
		}
		// Finish everything; on Airflow 2 reconcile writes the next runs as slots free up.
		for i := 0; i < 4; i++ {
			finishRuns(t, db, "fx_daily_cron", "success")
			r.MustRun(t, 0, "backfill", "reconcile")
			active := db.ScalarInt(t, "SELECT count(*) FROM dag_run WHERE dag_id = 'fx_daily_cron' AND state IN ('queued', 'running') AND run_id LIKE ?", b.BackfillDagID+"%")
			if tg.Major() == 2 && active > 2 {
				t.Fatalf("%d runs active, more than max_active_runs 2", active)
			}
		}
		v := getBackfill(t, r, b.BackfillDagID)
		if v.State != "success" || v.Progress.Success != 4 || v.RunEndDate == nil {
			t.Fatalf("after all runs succeeded: %s %+v", v.State, v.Progress)
		}
		if tg.Major() == 3 {
			if db.Scalar(t, "SELECT completed_at FROM backfill") == nil {
				t.Error("native backfill.completed_at not set after completion")
			}
		}
		// A finished backfill cannot be paused or cancelled.
		r.MustRun(t, 5, "backfill", "pause", b.BackfillDagID)
		r.MustRun(t, 5, "backfill", "cancel", b.BackfillDagID)
	})
}

func TestBackfillFailedRunFailsBackfillAndWaitExit(t *testing.T) {
	forEach(t, sampleTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		b := createBackfill(t, r, "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-02", "--max-active-runs", "2")
		finishRuns(t, db, "fx_daily_cron", "failed")
		res := r.Run(t, "backfill", "wait", b.BackfillDagID, "--interval", "10ms", "--timeout", "5s")
		if res.Code != 1 || !strings.Contains(res.Stderr, "failed") {
			t.Errorf("wait on a failed backfill: exit %d %q, want 1", res.Code, res.Stderr)
		}
	})
}

func TestBackfillWaitSucceedsOnAirflow2ByToppingUp(t *testing.T) {
	for _, tg := range []target{{dbtest.Postgres, "2.10.5"}, {dbtest.SQLite, "2.10.5"}, {pgbouncer, "2.10.5"}, {dbtest.MySQL, "2.10.5"}} {
		t.Run(tg.String(), func(t *testing.T) {
			db := open(t, tg, dbtest.WithSampleDAGs())
			r := runner(t, db)
			b := createBackfill(t, r, "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-06")
			// A stand-in scheduler: finishes whatever is queued, while wait writes the next run.
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					case <-time.After(20 * time.Millisecond):
						finishRuns(t, db, "fx_daily_cron", "success")
					}
				}
			}()
			res := r.Run(t, "backfill", "wait", b.BackfillDagID, "--interval", "20ms", "--timeout", "30s", "-o", "json")
			close(stop)
			wg.Wait()
			if res.Code != 0 {
				t.Fatalf("wait: exit %d %s", res.Code, res.Stderr)
			}
			// Not a terminal: one plain progress line per change, ending in success.
			lines := strings.Split(strings.TrimSpace(res.Stderr), "\n")
			if len(lines) < 2 || !strings.Contains(lines[len(lines)-1], b.BackfillDagID+": success, 6/6 done") {
				t.Errorf("progress lines:\n%s", res.Stderr)
			}
			if n := db.ScalarInt(t, "SELECT count(*) FROM dag_run WHERE state = 'success' AND run_id LIKE ?", b.BackfillDagID+"%"); n != 6 {
				t.Errorf("%d runs succeeded, want 6", n)
			}
		})
	}
}

func TestBackfillWaitTimeout(t *testing.T) {
	db := open(t, target{dbtest.SQLite, "3.0.3"}, dbtest.WithSampleDAGs())
	r := clitest.New(t, db) // real clock: the timeout must pass
	b := createBackfill(t, r, "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-02")
	res := r.Run(t, "backfill", "wait", b.BackfillDagID, "--interval", "20ms", "--timeout", "200ms")
	if res.Code != 124 {
		t.Errorf("wait timeout: exit %d %q, want 124", res.Code, res.Stderr)
	}
	res = r.Run(t, "backfill", "create", "--dag-id", "fx_hourly", "--start-date", "2024-02-01T00:00", "--end-date", "2024-02-01T01:00", "--wait", "--timeout", "200ms", "--interval", "20ms")
	if res.Code != 124 {
		t.Errorf("create --wait timeout: exit %d, want 124", res.Code)
	}
}

func TestBackfillPauseResumeCancelDeletePurge(t *testing.T) {
	forEach(t, sampleTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		// An existing successful run that the backfill re-runs (completed), then purge must give it back.
		r.MustRun(t, 0, "runs", "create", "--dag-id", "fx_daily_cron", "--prefix", "old", "--start-date", "2024-02-01", "--end-date", "2024-02-01")
		db.SQL(t, "UPDATE dag_run SET state = 'success' WHERE run_id LIKE 'old_%'")
		b := createBackfill(t, r, "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-04", "--reprocess", "completed", "--max-active-runs", "2")
		id := b.BackfillDagID
		r.MustRun(t, 5, "backfill", "delete", id) // running: cancel it first
		r.MustRun(t, 5, "backfill", "resume", id) // not paused
		v := getBackfillAfter(t, r, "pause", id)
		if v.State != "paused" || !v.IsPaused {
			t.Errorf("after pause: %s", v.State)
		}
		if tg.Major() == 3 {
			if p := text(db.Scalar(t, "SELECT is_paused FROM backfill")); p != "true" && p != "1" {
				t.Errorf("native is_paused = %s after pause", p)
			}
		} else if n := db.ScalarInt(t, "SELECT count(*) FROM dag_run WHERE run_id LIKE ?", id+"%"); n != 0 {
			t.Errorf("2.x pause left %d unstarted runs of the backfill", n)
		}
		r.MustRun(t, 5, "backfill", "pause", id)
		v = getBackfillAfter(t, r, "resume", id)
		if v.State != "queued" || v.IsPaused {
			t.Errorf("after resume: %s", v.State)
		}
		v = getBackfillAfter(t, r, "cancel", id)
		if v.State != "failed" || v.CancelledAt == nil {
			t.Errorf("after cancel: %s", v.State)
		}
		if n := db.ScalarInt(t, "SELECT count(*) FROM dag_run WHERE dag_id = 'fx_daily_cron' AND state = 'queued'"); n != 0 {
			t.Errorf("%d queued runs after cancel, want 0", n)
		}
		r.MustRun(t, 5, "backfill", "cancel", id)
		v = getBackfillAfter(t, r, "delete", id)
		if v.Deleted != "ToBeDeleted" {
			t.Errorf("after delete: deleted = %q", v.Deleted)
		}
		var list []backfillops.View
		r.JSON(t, &list, "backfill", "list")
		if len(list) != 0 {
			t.Errorf("list shows %d deleted backfills", len(list))
		}
		r.MustRun(t, 0, "backfill", "reconcile")
		r.JSON(t, &list, "backfill", "list", "--include-deleted")
		if len(list) != 1 || list[0].Deleted != "Deleted" {
			t.Fatalf("after purge: %+v", list)
		}
		if n := db.ScalarInt(t, "SELECT count(*) FROM dag_run WHERE run_id LIKE ?", id+"%"); n != 0 {
			t.Errorf("%d runs of the purged backfill remain", n)
		}
		if n := db.ScalarInt(t, "SELECT count(*) FROM dag_run WHERE run_id LIKE 'old_%'"); n != 1 {
			t.Errorf("the re-run run was deleted by the purge")
		}
		if tg.Major() == 3 {
			if n := db.ScalarInt(t, "SELECT count(*) FROM backfill") + db.ScalarInt(t, "SELECT count(*) FROM backfill_dag_run"); n != 0 {
				t.Errorf("%d native backfill rows remain after purge", n)
			}
			if rt := db.ScalarString(t, "SELECT run_type FROM dag_run WHERE run_id LIKE 'old_%'"); rt != "manual" {
				t.Errorf("re-run run_type after purge = %s, want manual again", rt)
			}
		}
		for _, ev := range []string{"create", "pause", "resume", "cancel", "delete", "purge"} {
			if n := db.ScalarInt(t, "SELECT count(*) FROM log WHERE event = ?", "dagctl.backfill."+ev); n != 1 {
				t.Errorf("audit dagctl.backfill.%s rows = %d, want 1", ev, n)
			}
		}
		r.MustRun(t, 3, "backfill", "get", "nope")
		r.MustRun(t, 3, "backfill", "pause", "nope")
	})
}

func getBackfillAfter(t *testing.T, r *clitest.Runner, verb, id string) backfillops.View {
	t.Helper()
	var v backfillops.View
	r.JSON(t, &v, "backfill", verb, id)
	return v
}

func TestBackfillScheduledLater(t *testing.T) {
	forEach(t, sampleTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		b := createBackfill(t, r, "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-02", "--scheduled-at", "2026-11-24T00:00:00Z")
		if b.State != "submitted" {
			t.Errorf("state = %s, want submitted", b.State)
		}
		started := func() int64 {
			if tg.Major() == 3 {
				// Written, but held: the native backfill is paused until scheduled_at.
				return db.ScalarInt(t, "SELECT count(*) FROM backfill WHERE is_paused = ?", false)
			}
			return db.ScalarInt(t, "SELECT count(*) FROM dag_run WHERE run_id LIKE ?", b.BackfillDagID+"%")
		}
		r.MustRun(t, 0, "backfill", "reconcile")
		if n := started(); n != 0 {
			t.Fatalf("started before scheduled_at: %d", n)
		}
		r.Now = func() time.Time { return time.Date(2026, 11, 24, 0, 0, 1, 0, time.UTC) }
		r.MustRun(t, 0, "backfill", "reconcile")
		if n := started(); n == 0 {
			t.Errorf("not started after scheduled_at")
		}
		if v := getBackfill(t, r, b.BackfillDagID); v.State != "queued" {
			t.Errorf("state after scheduled_at = %s, want queued", v.State)
		}
	})
}

// On Airflow 3 a pause or unpause made in Airflow's own UI (backfill.is_paused)
// is what dagctl reports, and dagctl's resume undoes it.
func TestBackfillPausedInAirflowUI(t *testing.T) {
	var targets []target
	for _, tg := range sampleTargets() {
		if tg.Major() == 3 {
			targets = append(targets, tg)
		}
	}
	forEach(t, targets, func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		r := runner(t, db)
		b := createBackfill(t, r, "--dag-id", "fx_daily_cron", "--start-date", "2024-02-01", "--end-date", "2024-02-03")
		db.SQL(t, "UPDATE backfill SET is_paused = ?", true)
		if v := getBackfill(t, r, b.BackfillDagID); v.State != "paused" || !v.IsPaused {
			t.Fatalf("after a pause in Airflow: %s", v.State)
		}
		r.MustRun(t, 5, "backfill", "pause", b.BackfillDagID)
		v := getBackfillAfter(t, r, "resume", b.BackfillDagID)
		if v.State != "queued" {
			t.Errorf("after resume: %s", v.State)
		}
		if p := text(db.Scalar(t, "SELECT is_paused FROM backfill")); p != "false" && p != "0" {
			t.Errorf("native is_paused after resume = %s", p)
		}
	})
}
