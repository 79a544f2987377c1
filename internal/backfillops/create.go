package backfillops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/dagload"
	"github.com/dagctl/dagctl/internal/store"
	"github.com/dagctl/dagctl/pkg/backfill"
	"github.com/dagctl/dagctl/pkg/dates"
	"github.com/dagctl/dagctl/pkg/params"
)

// CreateRequest is a validated `backfill create`.
type CreateRequest struct {
	DagID             string
	From, To          time.Time
	Description       string
	ConfText          []byte
	Conf              map[string]any
	ScheduledAt       *time.Time // nil = now
	MaxActiveRuns     int
	DeleteAfterDays   int
	IgnoreOverlapping bool
	Reprocess         backfill.Reprocess
	RunBackwards      bool
	DryRun            bool
	User              string
	Now               time.Time
}

// ErrDryRun rolls a dry run back after planning.
var errDryRun = errors.New("dry run")

// Create plans and writes a backfill in one transaction and returns its summary.
func Create(ctx context.Context, st *store.Store, dag *dagload.Loaded, req CreateRequest) (Summary, error) {
	if err := dag.AllowsRunType(store.RunTypeBackfill); err != nil {
		return Summary{}, err
	}
	tt := dag.Timetable
	if !tt.Periodic() {
		return Summary{}, apperr.Invalid("--dag-id: dag %q has a non-periodic schedule (%s); it cannot be backfilled", req.DagID, tt.Summary())
	}
	if dag.Row.TimetablePartitioned {
		return Summary{}, apperr.Invalid("--dag-id: dag %q has a partitioned timetable; partitioned DAGs are not supported yet", req.DagID)
	}
	if req.From.After(req.To) {
		return Summary{}, apperr.Invalid("--start-date: %s is after --end-date %s", dates.FormatISO(req.From), dates.FormatISO(req.To))
	}
	if _, err := params.ResolveFor(st.Schema().Major, dag.Def.Params, req.Conf); err != nil {
		return Summary{}, apperr.Invalid("--conf: %v", strings.TrimPrefix(err.Error(), "conf: "))
	}
	infos, err := tt.Between(req.From, req.To)
	if err != nil {
		return Summary{}, fmt.Errorf("dag %q: expand schedule: %w", req.DagID, err)
	}
	major := st.Schema().Major
	var sum Summary
	err = st.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.EnsureDagctlTables(); err != nil {
			return err
		}
		// One creator per DAG at a time: the overlap check and the insert are atomic.
		if err := tx.LockDAG(req.DagID); err != nil {
			return err
		}
		if !req.IgnoreOverlapping {
			if err := checkOverlap(tx, req, tx.Now); err != nil {
				return err
			}
		}
		existing := map[int64]backfill.ExistingRun{}
		if len(infos) > 0 {
			found, err := tx.ExistingRuns(req.DagID, "", infos[0].LogicalDate, infos[len(infos)-1].LogicalDate)
			if err != nil {
				return err
			}
			for k, e := range found {
				existing[k] = backfill.ExistingRun{RunID: e.RunID, State: e.State, LogicalDate: e.LogicalDate, DagRunID: e.ID}
			}
		}
		var takenErr error
		now := tx.Now
		id := backfill.NewBackfillID(req.DagID, now, func(id string) bool {
			taken, err := tx.BackfillIDTaken(id)
			if err != nil {
				takenErr = err
			}
			return taken
		})
		if takenErr != nil {
			return takenErr
		}
		items, err := backfill.Plan(backfill.Request{
			DagID: req.DagID, BackfillID: id, Infos: infos, Now: now, From: req.From, To: req.To,
			Existing: existing, Reprocess: req.Reprocess, RunBackwards: req.RunBackwards,
			DependsOnPast: dag.Def.DependsOnPast, MaxActiveRuns: req.MaxActiveRuns,
			DeleteAfterDays: req.DeleteAfterDays, NextCounter: 1,
		})
		if err != nil {
			return apperr.Invalid("%v", err)
		}
		scheduledAt := now
		if req.ScheduledAt != nil {
			scheduledAt = *req.ScheduledAt
		}
		b := store.Backfill{
			ID: id, DagID: req.DagID, Description: req.Description, FromDate: req.From, ToDate: req.To,
			DagParams: json.RawMessage(req.ConfText), MaxActiveRuns: req.MaxActiveRuns, Reprocess: string(req.Reprocess),
			RunBackwards: req.RunBackwards, DeleteAfterDays: req.DeleteAfterDays, SubmittedBy: req.User,
			SubmittedAt: tx.Now, ScheduledAt: scheduledAt, UpdatedAt: tx.Now, AirflowMajor: major,
		}
		runs := make([]store.BackfillRun, len(items))
		for i, it := range items {
			runs[i] = store.BackfillRun{
				SortOrdinal: it.SortOrdinal, LogicalDate: it.Info.LogicalDate, DataIntervalStart: it.Info.DataIntervalStart,
				DataIntervalEnd: it.Info.DataIntervalEnd, RunAfter: it.Info.RunAfter, Disposition: string(it.Disposition),
				RunID: it.RunID, SkipReason: it.SkipReason,
			}
		}
		if req.DryRun {
			sum = Summarize(b, runs, now)
			return errDryRun
		}
		if major == 3 {
			if err := startNative(tx, &b, runs, scheduledAt.After(now), dag.Def); err != nil {
				return err
			}
		}
		if err := tx.InsertBackfill(store.NewBackfill{Backfill: b, Runs: runs}); err != nil {
			return err
		}
		if major == 2 {
			if _, err := topUp(tx, &b, tx.Now); err != nil {
				return err
			}
		}
		if err := tx.Audit(store.AuditEntry{Event: "dagctl.backfill.create", DagID: req.DagID, Owner: req.User,
			Extra: createExtra(req, id, len(items))}); err != nil {
			return err
		}
		if major == 3 {
			// Everything was written just now: no need to read 10,000 rows back.
			sum = Summarize(b, runs, now)
			return nil
		}
		fresh, err := tx.BackfillRuns(&b)
		if err != nil {
			return err
		}
		sum = Summarize(b, fresh, now)
		return nil
	})
	if err != nil && !errors.Is(err, errDryRun) {
		if apperr.KindOf(err) == apperr.KindFailure {
			err = fmt.Errorf("create backfill of %q: %w", req.DagID, err)
		}
		return Summary{}, err
	}
	return sum, nil
}

// checkOverlap refuses (exit 5) when another unfinished backfill of the DAG
// meets the range, naming up to three of them.
func checkOverlap(tx *store.Tx, req CreateRequest, now time.Time) error {
	candidates, native, err := tx.OpenBackfillsOverlapping(req.DagID, req.From, req.To)
	if err != nil {
		return err
	}
	runsOf, err := tx.BackfillRunsOf(candidates)
	if err != nil {
		return err
	}
	var names []string
	for _, c := range candidates {
		if !backfill.Finished(Summarize(c, runsOf[c.ID], now).State) {
			names = append(names, c.ID)
		}
	}
	names = append(names, native...)
	if len(names) == 0 {
		return nil
	}
	shown := names
	if len(shown) > 3 {
		shown = shown[:3]
	}
	more := ""
	if len(names) > 3 {
		more = fmt.Sprintf(" and %d more", len(names)-3)
	}
	return apperr.Conflict("backfill create: dag %q already has unfinished backfill(s) overlapping %s..%s: %s%s (use --ignore-overlapping to create anyway)",
		req.DagID, dates.FormatISO(req.From), dates.FormatISO(req.To), strings.Join(shown, ", "), more)
}

func createExtra(req CreateRequest, id string, dates int) map[string]any {
	extra := map[string]any{
		"backfill_dag_id": id, "dag_id": req.DagID, "start_date": req.From.Format(time.RFC3339),
		"end_date": req.To.Format(time.RFC3339), "description": req.Description, "conf": req.Conf,
		"max_active_runs": req.MaxActiveRuns, "delete_after_days": req.DeleteAfterDays,
		"ignore_overlapping": req.IgnoreOverlapping, "reprocess": string(req.Reprocess),
		"run_backwards": req.RunBackwards, "dates": dates,
	}
	if req.ScheduledAt != nil {
		extra["scheduled_at"] = req.ScheduledAt.Format(time.RFC3339)
	}
	return extra
}
