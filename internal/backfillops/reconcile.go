package backfillops

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/store"
	"github.com/dagctl/dagctl/pkg/backfill"
)

// Report says what one reconcile pass did.
type Report struct {
	Examined  int      `json:"examined"`
	Started   int      `json:"started"`   // runs written (Airflow 2 top-up) or backfills released at scheduled_at (Airflow 3)
	Completed []string `json:"completed"` // backfills that finished in this pass
	Expired   []string `json:"expired"`   // finished backfills past delete_after_days, now ToBeDeleted
	Purged    []string `json:"purged"`
	// Failed are the backfills this pass could not serve, with why; the
	// others were served all the same.
	Failed []Failure `json:"failed"`
}

// Failure is one backfill a pass could not serve.
type Failure struct {
	ID    string `json:"id"`
	Error string `json:"error"`
}

// PassError says that some backfills of a pass failed (exit 1); the Report
// returned with it holds what the pass did for the others.
type PassError struct{ Failed []Failure }

func (e *PassError) Error() string {
	parts := make([]string, len(e.Failed))
	for i, f := range e.Failed {
		parts[i] = f.ID + ": " + f.Error
	}
	return fmt.Sprintf("%d backfill(s) failed: %s", len(e.Failed), strings.Join(parts, "; "))
}

// Reconcile makes one pass over all backfills (or only one): release
// scheduled ones, top up Airflow 2 runs, record completion, expire and
// purge. Each backfill is handled in its own transaction with its row
// locked (SKIP LOCKED on PostgreSQL), so passes on several hosts at once
// never do the same work twice.
func Reconcile(ctx context.Context, st *store.Store, only, user string) (Report, error) {
	rep := Report{Completed: []string{}, Expired: []string{}, Purged: []string{}, Failed: []Failure{}}
	var ids []string
	if only != "" {
		ids = []string{only}
	} else {
		if err := st.InTx(ctx, func(tx *store.Tx) error {
			var err error
			ids, err = tx.LockableBackfills()
			return err
		}); err != nil {
			return rep, err
		}
	}
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		err := st.InTx(ctx, func(tx *store.Tx) error {
			locked, err := tx.LockBackfill(id)
			if err != nil || !locked {
				return err
			}
			return reconcileOne(tx, id, user, &rep)
		})
		if err != nil {
			if ctx.Err() != nil || !perBackfill(err) {
				return rep, fmt.Errorf("reconcile %s: %w", id, err)
			}
			// One backfill's trouble (a lock not granted in time, a row it
			// cannot write) must not starve the ones after it.
			rep.Failed = append(rep.Failed, Failure{ID: id, Error: err.Error()})
		}
	}
	if len(rep.Failed) > 0 {
		return rep, &PassError{Failed: rep.Failed}
	}
	return rep, nil
}

// perBackfill reports whether err concerns one backfill only, rather than
// the database as a whole (unreachable, read-only, refused rights), after
// which the rest of the pass would fail the same way.
func perBackfill(err error) bool {
	var ro *store.ReadOnlyError
	if errors.As(err, &ro) || apperr.KindOf(err) != apperr.KindFailure {
		return false
	}
	return !store.IsConnectionError(err)
}

func reconcileOne(tx *store.Tx, id, user string, rep *Report) error {
	b, err := tx.GetBackfillForUpdate(id)
	if err != nil {
		return err
	}
	rep.Examined++
	switch b.Deleted {
	case store.Deleted:
		return nil
	case store.ToBeDeleted:
		if err := purge(tx, b, user); err != nil {
			return err
		}
		rep.Purged = append(rep.Purged, b.ID)
		return nil
	}
	now := tx.Now
	started := 0
	if b.AirflowMajor == 2 {
		n, err := topUp(tx, b, now)
		if err != nil {
			return err
		}
		started = n
	} else if b.NativeID != nil && b.CancelledAt == nil && !b.Paused && !now.Before(b.ScheduledAt) {
		released, err := tx.ReleaseNativeBackfill(b.ID, *b.NativeID)
		if err != nil {
			return err
		}
		if released {
			started = 1
		}
	}
	if started > 0 {
		rep.Started += started
		if err := tx.Audit(store.AuditEntry{Event: "dagctl.backfill.reconcile", DagID: b.DagID, Owner: user,
			Extra: map[string]any{"backfill_dag_id": b.ID, "started": started}}); err != nil {
			return err
		}
	}
	runs, err := tx.BackfillRuns(b)
	if err != nil {
		return err
	}
	sum := Summarize(*b, runs, now)
	if backfill.Finished(sum.State) && b.CompletedAt == nil {
		end := now
		if sum.Last != nil {
			end = *sum.Last
		}
		if err := tx.UpdateBackfill(b.ID, store.BackfillUpdate{CompletedAt: &end}); err != nil {
			return err
		}
		if b.NativeID != nil {
			if err := tx.CompleteNativeBackfill(*b.NativeID, end); err != nil {
				return err
			}
		}
		rep.Completed = append(rep.Completed, b.ID)
	}
	if backfill.DueForDeletion(sum.State, b.SubmittedAt, b.DeleteAfterDays, now) {
		d := store.ToBeDeleted
		if err := tx.UpdateBackfill(b.ID, store.BackfillUpdate{Deleted: &d}); err != nil {
			return err
		}
		rep.Expired = append(rep.Expired, b.ID)
		b.Deleted = d
		if err := purge(tx, b, user); err != nil {
			return err
		}
		rep.Purged = append(rep.Purged, b.ID)
	}
	return nil
}
