package runops

import (
	"context"
	"errors"
	"fmt"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/store"
	"github.com/dagctl/dagctl/pkg/runid"
	"github.com/dagctl/dagctl/pkg/runplan"
	"github.com/dagctl/dagctl/pkg/schedule"
)

// CreateRequest is a planned `runs create`: the DAG's run infos in the range
// (or the one run now), already validated by the caller.
type CreateRequest struct {
	DagID   string
	Prefix  string
	Infos   []schedule.DagRunInfo
	Limit   int
	Partial bool
	// ConfText is the run conf as JSON object text; AuditExtra builds the audit row's extra.
	ConfText   []byte
	AuditExtra func(created int) map[string]any
	User       string
	DryRun     bool
	// BeforeWrite, when set, writes first in the same transaction (runs
	// create --unpause unpauses the DAG there); it is not called on a dry run.
	BeforeWrite func(tx *store.Tx) error
}

// Create plans and writes manual runs in one transaction, as Airflow's
// trigger path writes them: dates that already have a run are skipped, run
// ids continue the prefix's counter, and one audit row is written. With
// DryRun it returns the plan and writes nothing.
func Create(ctx context.Context, st *store.Store, req CreateRequest) (runplan.Plan, error) {
	var plan runplan.Plan
	err := st.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.LockDAG(req.DagID); err != nil {
			return err
		}
		existing := map[int64]string{}
		if len(req.Infos) > 0 {
			found, err := tx.ExistingRuns(req.DagID, store.RunTypeManual, req.Infos[0].LogicalDate, req.Infos[len(req.Infos)-1].LogicalDate)
			if err != nil {
				return err
			}
			for k, e := range found {
				existing[k] = e.RunID
			}
		}
		ids, err := tx.RunIDsWithPrefix(req.DagID, req.Prefix+"_")
		if err != nil {
			return err
		}
		plan, err = runplan.Make(runplan.Input{
			Infos: req.Infos, Existing: existing, Prefix: req.Prefix,
			NextCounter: runid.NextCounter(ids, req.Prefix), Limit: req.Limit, Partial: req.Partial,
		})
		if err != nil {
			return apperr.Invalid("%v", err)
		}
		if req.DryRun {
			return errDryRun
		}
		if req.BeforeWrite != nil {
			if err := req.BeforeWrite(tx); err != nil {
				return err
			}
		}
		wc, err := tx.WriteContext(req.DagID)
		if err != nil {
			return err
		}
		runs := make([]store.NewRun, len(plan.Create))
		for i, p := range plan.Create {
			runs[i] = store.NewRun{RunID: p.RunID, LogicalDate: p.Info.LogicalDate,
				DataIntervalStart: p.Info.DataIntervalStart, DataIntervalEnd: p.Info.DataIntervalEnd, RunAfter: p.Info.RunAfter}
		}
		if _, err := tx.InsertRuns(store.InsertRunsRequest{
			DagID: req.DagID, RunType: store.RunTypeManual, TriggeredBy: store.TriggeredByCLI,
			Conf: req.ConfText, User: req.User, Runs: runs, Context: wc,
		}); err != nil {
			return err
		}
		entry := store.AuditEntry{Event: "dagctl.runs.create", DagID: req.DagID, Owner: req.User, Extra: req.AuditExtra(len(runs))}
		if len(runs) == 1 {
			entry.RunID = runs[0].RunID
			ld := runs[0].LogicalDate
			entry.LogicalDate = &ld
		}
		return tx.Audit(entry)
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return plan, fmt.Errorf("create runs of %q: %w", req.DagID, err)
	}
	return plan, nil
}
