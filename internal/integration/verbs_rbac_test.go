package integration

import (
	"testing"

	"github.com/dagctl/dagctl/internal/store/dbtest"
)

// A viewer is refused every operator verb (exit 4, nothing written); a user
// with can_edit on the DAG only may change that DAG, one audit row per write.
func TestRBACOperatorVerbs(t *testing.T) {
	forEach(t, rbacTargets(), func(t *testing.T, tg target) {
		db := open(t, tg, dbtest.WithSampleDAGs())
		ids := seedVerbRuns(t, tg, db)
		r := runner(t, db)
		rbacSeed(t, db)
		refused := [][]string{
			{"dags", "pause", "fx_daily_cron"},
			{"dags", "unpause", "--pattern", "fx_daily_.*"},
			{"runs", "clear", ids[1], "--dag-id", "fx_daily_cron"},
			{"runs", "clear", "--dag-id", "fx_daily_cron", "--start-date", "2024-01-01", "--end-date", "2024-01-03"},
			{"runs", "set-state", ids[1], "--dag-id", "fx_daily_cron", "--state", "success"},
		}
		for _, args := range refused {
			rbacRefused(t, r, db, as("viewer", args...), `"viewer"`, "can_edit", `"fx_daily_cron"`)
		}
		// alice may edit fx_daily_cron only: a pattern that reaches another DAG is refused whole.
		rbacRefused(t, r, db, as("alice", "dags", "pause", "fx_daily_cron", "fx_hourly"), `"alice"`, `"fx_hourly"`)
		rbacRefused(t, r, db, as("alice", "dags", "pause", "--pattern", "fx_.*"), `"alice"`)

		r.MustRun(t, 0, as("alice", "dags", "pause", "fx_daily_cron")...)
		r.MustRun(t, 0, as("alice", "runs", "clear", ids[1], "--dag-id", "fx_daily_cron", "--only-failed")...)
		r.MustRun(t, 0, as("alice", "runs", "set-state", ids[0], "--dag-id", "fx_daily_cron", "--state", "failed")...)
		// Backfill retry and cancel --terminate: can_edit on the backfill's DAG.
		var bf struct {
			BackfillDagID string `json:"backfill_dag_id"`
		}
		r.JSON(t, &bf, as("admin", "backfill", "create", "--dag-id", "fx_daily_cron", "--start-date", "2024-03-01", "--end-date", "2024-03-02")...)
		finishRuns(t, db, "fx_daily_cron", "failed")
		rbacRefused(t, r, db, as("viewer", "backfill", "retry", bf.BackfillDagID), `"viewer"`, "can_edit")
		rbacRefused(t, r, db, as("viewer", "backfill", "cancel", bf.BackfillDagID, "--terminate"), `"viewer"`, "can_edit")
		r.MustRun(t, 0, as("alice", "backfill", "retry", bf.BackfillDagID)...)
		if n := audits(t, db, "dagctl.backfill.retry", "alice"); n != 1 {
			t.Errorf("%d retry audit rows by alice, want 1", n)
		}
		for _, ev := range []string{"dagctl.dags.pause", "dagctl.runs.clear", "dagctl.runs.set_state"} {
			if n := audits(t, db, ev, "alice"); n != 1 {
				t.Errorf("%s: %d audit rows by alice, want 1", ev, n)
			}
			if n := audits(t, db, ev, "viewer"); n != 0 {
				t.Errorf("%s: %d audit rows by the refused viewer", ev, n)
			}
		}
	})
}
