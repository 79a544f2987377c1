// Package runops holds the operations that change existing DAG runs: clear
// and set-state. Each runs in one transaction and returns what it did (or,
// with DryRun, what it would do: the same selection, rolled back).
package runops

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/store"
	"github.com/dagctl/dagctl/pkg/dagdef"
	"github.com/dagctl/dagctl/pkg/taskgraph"
)

// ClearRequest selects runs of one DAG and the task instances to clear in them.
type ClearRequest struct {
	DagID string
	// RunIDs selects runs by id (each must exist); otherwise From/To
	// (logical dates, inclusive) and States select them.
	RunIDs   []string
	From, To *time.Time
	States   []string
	// TaskRegex narrows the tasks (nil: all task instances of the runs);
	// Downstream/Upstream add the matched tasks' relatives.
	TaskRegex            *regexp.Regexp
	Downstream, Upstream bool
	// OnlyFailed keeps failed and upstream_failed task instances.
	OnlyFailed bool
	DryRun     bool
	User       string
}

// ClearedRun is one run with the task instances cleared (or to clear) in it.
type ClearedRun struct {
	RunID         string
	State         string // before the clear
	LogicalDate   *time.Time
	TaskInstances []store.TaskInstanceRef // states before the clear
}

// ClearResult is what Clear did.
type ClearResult struct {
	DagID  string
	DryRun bool
	// Selected is how many runs the selection found (with or without task instances to clear).
	Selected int
	Runs     []ClearedRun
}

var errDryRun = errors.New("dry run")

// Clear clears task instances as Airflow's "Clear" does (`airflow tasks
// clear`, the UI's and REST API's clear of a run): DAG.clear selects them
// (airflow/models/dag.py) and clear_task_instances
// (airflow/models/taskinstance.py) writes the history, max_tries, the
// task_reschedule deletion, Airflow 3's new task instance ids, and queues
// their finished runs with clear_number + 1 — store.Tx.ClearRuns, the code
// `backfill create --reprocess` uses. One transaction, one audit row.
func Clear(ctx context.Context, st *store.Store, def *dagdef.DAG, req ClearRequest) (ClearResult, error) {
	res := ClearResult{DagID: req.DagID, DryRun: req.DryRun, Runs: []ClearedRun{}}
	only := store.TIFilter{OnlyFailed: req.OnlyFailed}
	if req.TaskRegex != nil {
		only.TaskIDs = taskgraph.Select(taskgraph.Graph{Tasks: def.TaskIDs, Downstream: def.Downstream, Setup: def.Setup, Teardown: def.Teardown},
			taskgraph.Selection{Regex: req.TaskRegex, Downstream: req.Downstream, Upstream: req.Upstream})
	}
	err := st.InTx(ctx, func(tx *store.Tx) error {
		// Start afresh: InTx may run this again after a transient failure.
		res.Runs = []ClearedRun{}
		if err := tx.LockDAG(req.DagID); err != nil {
			return err
		}
		runs, err := selectRuns(tx, req)
		if err != nil {
			return err
		}
		res.Selected = len(runs)
		ids := make([]string, len(runs))
		for i, r := range runs {
			ids[i] = r.RunID
		}
		tis, err := tx.TaskInstancesOf(req.DagID, ids, only)
		if err != nil {
			return err
		}
		byRun := map[string][]store.TaskInstanceRef{}
		for _, ti := range tis {
			byRun[ti.RunID] = append(byRun[ti.RunID], ti)
		}
		var clear []string
		for _, r := range runs {
			if len(byRun[r.RunID]) == 0 {
				continue
			}
			clear = append(clear, r.RunID)
			res.Runs = append(res.Runs, ClearedRun{RunID: r.RunID, State: r.State, LogicalDate: r.LogicalDate, TaskInstances: byRun[r.RunID]})
		}
		if req.DryRun || len(clear) == 0 {
			return errDryRun
		}
		if _, err := tx.ClearRuns(store.ClearRunsRequest{DagID: req.DagID, RunIDs: clear, Retries: def.TaskRetries, Only: only,
			KeepBundleVersion: def.DisableBundleVersioning}); err != nil {
			return err
		}
		entry := store.AuditEntry{Event: "dagctl.runs.clear", DagID: req.DagID, Owner: req.User, Extra: map[string]any{
			"run_ids": clear, "task_instances": len(tis), "task_ids": only.TaskIDs, "only_failed": req.OnlyFailed,
		}}
		if len(clear) == 1 {
			entry.RunID = clear[0]
			entry.LogicalDate = res.Runs[0].LogicalDate
		}
		return tx.Audit(entry)
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return ClearResult{}, fmt.Errorf("clear runs of %q: %w", req.DagID, err)
	}
	return res, nil
}

// selectRuns reads the runs the request names; a run id that does not exist is not found.
func selectRuns(tx *store.Tx, req ClearRequest) ([]store.RunRef, error) {
	sel := store.RunSelection{DagID: req.DagID, From: req.From, To: req.To, States: req.States}
	if len(req.RunIDs) > 0 {
		sel = store.RunSelection{DagID: req.DagID, RunIDs: req.RunIDs}
	}
	runs, err := tx.SelectRuns(sel)
	if err != nil {
		return nil, err
	}
	if len(req.RunIDs) > 0 {
		found := map[string]bool{}
		for _, r := range runs {
			found[r.RunID] = true
		}
		for _, id := range req.RunIDs {
			if !found[id] {
				return nil, apperr.NotFound("run %q of dag %q not found; nothing changed", id, req.DagID)
			}
		}
	}
	return runs, nil
}
