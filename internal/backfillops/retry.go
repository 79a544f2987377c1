package backfillops

import (
	"context"
	"errors"
	"slices"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/store"
)

// RetryResult is a backfill after `backfill retry`, with the failed runs it
// re-runs.
type RetryResult struct {
	Summary Summary
	// Failed are the failed runs handed back to the backfill; Cleared are
	// those cleared at once (on Airflow 2, the rest follow within
	// max_active_runs as reconcile frees slots).
	Failed  []string
	Cleared []string
	DryRun  bool
}

// Retry re-runs the failed runs of a backfill in place, in one transaction:
// they are cleared as `runs clear` clears them (clear_task_instances) and
// the backfill is running again. On Airflow 3 they stay linked to the native
// backfill, whose scheduler meters them by max_active_runs; on Airflow 2
// they go back to the backfill's plan and are cleared a few at a time, as
// topUp writes new runs. A cancelled backfill is reopened. A deleted
// backfill, or one with no failed run, is a conflict (exit 5).
func Retry(ctx context.Context, st *store.Store, id, user string, dryRun bool) (RetryResult, error) {
	res := RetryResult{DryRun: dryRun, Failed: []string{}, Cleared: []string{}}
	err := st.InTx(ctx, func(tx *store.Tx) error {
		// Start afresh: InTx may run this again after a transient failure.
		res.Failed, res.Cleared = []string{}, []string{}
		b, err := tx.GetBackfillForUpdate(id)
		if err != nil {
			return err
		}
		if b.Deleted != store.NotDeleted {
			return apperr.Conflict("backfill retry: %q is %s", id, b.Deleted)
		}
		if err := tx.LockDAG(b.DagID); err != nil {
			return err
		}
		runs, err := tx.BackfillRuns(b)
		if err != nil {
			return err
		}
		for _, r := range runs {
			if r.Created && r.Disposition != store.DispositionSkip && r.DagRunID != nil && r.State == "failed" {
				res.Failed = append(res.Failed, r.RunID)
			}
		}
		if len(res.Failed) == 0 {
			return apperr.Conflict("backfill retry: %q has no failed run", id)
		}
		if dryRun {
			res.Summary = Summarize(*b, runs, tx.Now)
			return errDryRun
		}
		def, err := serializedDAG(tx, b.DagID)
		if err != nil {
			return err
		}
		if b.CancelledAt != nil {
			// Reopen a cancelled backfill (`cancel --terminate`, then retry):
			// it is no longer cancelled and Airflow 3's backfill not paused.
			if err := tx.UncancelBackfill(b.ID, b.NativeID, b.Paused); err != nil {
				return err
			}
			b.CancelledAt = nil
		}
		if b.NativeID != nil {
			if other, err := tx.OtherOpenNativeBackfill(b.DagID, *b.NativeID); err != nil {
				return err
			} else if other != 0 {
				return apperr.Conflict("backfill retry: dag %q has another running Airflow backfill (#%d); Airflow allows one per DAG", b.DagID, other)
			}
			if _, err := tx.ClearRuns(clearRequest(def, b.DagID, res.Failed)); err != nil {
				return err
			}
			res.Cleared = res.Failed
			if err := tx.ReopenBackfill(b.ID, b.NativeID); err != nil {
				return err
			}
		} else {
			if err := tx.UnmarkCreated(b.ID, res.Failed); err != nil {
				return err
			}
			if err := tx.ReopenBackfill(b.ID, nil); err != nil {
				return err
			}
			b.CompletedAt = nil
			if _, err := topUp(tx, b, tx.Now); err != nil {
				return err
			}
			after, err := tx.BackfillRuns(b)
			if err != nil {
				return err
			}
			for _, r := range after {
				if r.Created && r.State == "queued" && slices.Contains(res.Failed, r.RunID) {
					res.Cleared = append(res.Cleared, r.RunID)
				}
			}
		}
		if err := tx.Audit(store.AuditEntry{Event: "dagctl.backfill.retry", DagID: b.DagID, Owner: user,
			Extra: map[string]any{"backfill_dag_id": id, "failed_runs": res.Failed, "cleared": len(res.Cleared)}}); err != nil {
			return err
		}
		fresh, err := tx.GetBackfillForUpdate(id)
		if err != nil {
			return err
		}
		freshRuns, err := tx.BackfillRuns(fresh)
		if err != nil {
			return err
		}
		res.Summary = Summarize(*fresh, freshRuns, tx.Now)
		return nil
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return RetryResult{}, err
	}
	return res, nil
}
