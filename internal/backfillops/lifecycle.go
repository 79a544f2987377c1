package backfillops

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/store"
	"github.com/dagctl/dagctl/pkg/backfill"
)

// Get reads a backfill and derives its state.
func Get(ctx context.Context, st *store.Store, id string, now time.Time) (Summary, error) {
	b, err := st.GetBackfill(ctx, id)
	if err != nil {
		return Summary{}, err
	}
	runs, err := st.BackfillRuns(ctx, b)
	if err != nil {
		return Summary{}, err
	}
	return Summarize(*b, runs, now), nil
}

// Action is a state change asked of a backfill.
type Action string

// The actions, named as the audit events are (dagctl.backfill.<action>).
const (
	Pause  Action = "pause"
	Resume Action = "resume"
	Cancel Action = "cancel"
	Delete Action = "delete"
)

// Apply carries out pause, resume, cancel or delete in one transaction,
// with the backfill's row locked, and audits it.
func Apply(ctx context.Context, st *store.Store, id string, action Action, user string, now time.Time) (Summary, error) {
	res, err := ApplyWith(ctx, st, id, action, user, now, ApplyOptions{})
	return res.Summary, err
}

// ApplyOptions modify an action.
type ApplyOptions struct {
	// Terminate (cancel only) also marks the backfill's running runs failed
	// as `runs set-state --state failed` does, so Airflow stops their tasks.
	Terminate bool
	// DryRun does everything in the transaction, reads the result, and
	// rolls back.
	DryRun bool
}

// ApplyResult is the backfill after the action, with the runs --terminate
// marked failed.
type ApplyResult struct {
	Summary    Summary
	Terminated []string
	DryRun     bool
}

// ApplyWith is Apply with options.
func ApplyWith(ctx context.Context, st *store.Store, id string, action Action, user string, now time.Time, opts ApplyOptions) (ApplyResult, error) {
	var sum Summary
	terminated := []string{}
	err := st.InTx(ctx, func(tx *store.Tx) error {
		// Start afresh: InTx may run this again after a transient failure.
		terminated = []string{}
		b, err := tx.GetBackfillForUpdate(id)
		if err != nil {
			return err
		}
		runs, err := tx.BackfillRuns(b)
		if err != nil {
			return err
		}
		cur := Summarize(*b, runs, tx.Now)
		if b.Deleted != store.NotDeleted {
			return apperr.Conflict("backfill %s: %q is already %s", action, id, b.Deleted)
		}
		switch action {
		case Pause:
			err = pause(tx, b, runs, cur.State)
		case Resume:
			err = resume(tx, b, cur.State)
		case Cancel:
			err = cancel(tx, b, runs, cur.State)
			if err == nil && opts.Terminate {
				terminated, err = terminate(tx, b, runs)
			}
		case Delete:
			err = markDelete(tx, b, cur.State)
		default:
			err = fmt.Errorf("unknown action %q", action)
		}
		if err != nil {
			return err
		}
		extra := map[string]any{"backfill_dag_id": id, "previous_state": string(cur.State)}
		if opts.Terminate {
			extra["terminated_runs"] = terminated
		}
		if err := tx.Audit(store.AuditEntry{Event: "dagctl.backfill." + string(action), DagID: b.DagID, Owner: user,
			Extra: extra}); err != nil {
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
		sum = Summarize(*fresh, freshRuns, tx.Now)
		if opts.DryRun {
			return errDryRun
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	if err != nil && apperr.KindOf(err) == apperr.KindFailure {
		err = fmt.Errorf("%s backfill %q: %w", action, id, err)
	}
	if err != nil {
		return ApplyResult{}, err
	}
	return ApplyResult{Summary: sum, Terminated: terminated, DryRun: opts.DryRun}, nil
}

func refuseFinished(action Action, b *store.Backfill, state backfill.State) error {
	if backfill.Finished(state) {
		return apperr.Conflict("backfill %s: %q has already finished (%s)", action, b.ID, state)
	}
	return nil
}

// pause: no new run starts; running ones finish. Airflow 3's scheduler
// honours backfill.is_paused. Airflow 2 has no such switch, so the runs
// dagctl created that have not started yet are taken back (deleted, to be
// written again on resume).
func pause(tx *store.Tx, b *store.Backfill, runs []store.BackfillRun, state backfill.State) error {
	if err := refuseFinished(Pause, b, state); err != nil {
		return err
	}
	if b.Paused {
		return apperr.Conflict("backfill pause: %q is already paused", b.ID)
	}
	paused := true
	if err := tx.UpdateBackfill(b.ID, store.BackfillUpdate{Paused: &paused}); err != nil {
		return err
	}
	if b.NativeID != nil {
		return tx.UpdateNativeBackfill(*b.NativeID, &paused, nil)
	}
	var mine []string
	for _, r := range runs {
		if r.Created && r.Disposition == store.DispositionCreate && r.State == "queued" {
			mine = append(mine, r.RunID)
		}
	}
	taken, err := tx.DeleteRuns(b.DagID, mine, true)
	if err != nil {
		return err
	}
	return tx.UnmarkCreated(b.ID, taken)
}

func resume(tx *store.Tx, b *store.Backfill, state backfill.State) error {
	if err := refuseFinished(Resume, b, state); err != nil {
		return err
	}
	if !b.Paused {
		return apperr.Conflict("backfill resume: %q is not paused", b.ID)
	}
	paused := false
	if err := tx.UpdateBackfill(b.ID, store.BackfillUpdate{Paused: &paused}); err != nil {
		return err
	}
	b.Paused = false
	if b.NativeID != nil {
		// Still held while it waits for scheduled_at.
		held := tx.Now.Before(b.ScheduledAt)
		return tx.UpdateNativeBackfill(*b.NativeID, &held, nil)
	}
	_, err := topUp(tx, b, tx.Now)
	return err
}

// cancel: nothing more starts or is created; queued runs fail; running ones
// finish. Mirrors Airflow 3's cancel endpoint (pause, fail queued runs,
// completed_at now) on both major versions.
func cancel(tx *store.Tx, b *store.Backfill, runs []store.BackfillRun, state backfill.State) error {
	if err := refuseFinished(Cancel, b, state); err != nil {
		return err
	}
	now := tx.Now
	if err := tx.UpdateBackfill(b.ID, store.BackfillUpdate{CancelledAt: &now, CompletedAt: &now}); err != nil {
		return err
	}
	var ids []string
	for _, r := range runs {
		if r.Created && r.Disposition != store.DispositionSkip {
			ids = append(ids, r.RunID)
		}
	}
	if b.NativeID != nil {
		paused := true
		if err := tx.UpdateNativeBackfill(*b.NativeID, &paused, nil); err != nil {
			return err
		}
	}
	if _, err := tx.FailQueuedRuns(b.DagID, ids); err != nil {
		return err
	}
	if b.NativeID != nil {
		return tx.UpdateNativeBackfill(*b.NativeID, nil, &now)
	}
	return nil
}

// markDelete: allowed when paused or finished; the purge happens in reconcile.
func markDelete(tx *store.Tx, b *store.Backfill, state backfill.State) error {
	if state != backfill.StatePaused && !backfill.Finished(state) {
		return apperr.Conflict("backfill delete: %q is %s; cancel it first (or pause it)", b.ID, state)
	}
	d := store.ToBeDeleted
	return tx.UpdateBackfill(b.ID, store.BackfillUpdate{Deleted: &d})
}

// purge deletes what a ToBeDeleted backfill wrote: the runs it created
// (with their task instances), the re-runs' link to it, Airflow 3's native
// rows; then marks it Deleted.
func purge(tx *store.Tx, b *store.Backfill, user string) error {
	runs, err := tx.BackfillRuns(b)
	if err != nil {
		return err
	}
	var created []string
	for _, r := range runs {
		if r.Created && r.Disposition == store.DispositionCreate {
			created = append(created, r.RunID)
		}
	}
	if b.NativeID != nil {
		if err := tx.DeleteNativeBackfill(*b.NativeID); err != nil {
			return err
		}
	}
	deleted, err := tx.DeleteRuns(b.DagID, created, false)
	if err != nil {
		return err
	}
	if err := tx.RestoreRerunRuns(b.DagID, runs); err != nil {
		return err
	}
	d := store.Deleted
	if err := tx.UpdateBackfill(b.ID, store.BackfillUpdate{Deleted: &d}); err != nil {
		return err
	}
	return tx.Audit(store.AuditEntry{Event: "dagctl.backfill.purge", DagID: b.DagID, Owner: user,
		Extra: map[string]any{"backfill_dag_id": b.ID, "deleted_runs": len(deleted)}})
}
