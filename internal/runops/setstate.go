package runops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/store"
	"github.com/dagctl/dagctl/pkg/dagdef"
)

// Run states set-state accepts.
const (
	StateSuccess = "success"
	StateFailed  = "failed"
	StateQueued  = "queued"
)

// SetStateRequest marks one run.
type SetStateRequest struct {
	DagID  string
	RunID  string
	State  string
	DryRun bool
	User   string
	// Event names the audit row (default dagctl.runs.set_state).
	Event string
}

// TIChange is one task instance whose state was (or would be) changed.
type TIChange struct {
	TaskID   string
	MapIndex int
	From     string // "" for none
	To       string
}

// SetStateResult is what SetState did.
type SetStateResult struct {
	DagID       string
	RunID       string
	LogicalDate *time.Time
	From        string
	// To is the run's state afterwards: the asked state, or the old one when
	// a teardown task keeps the run open (as Airflow does).
	To            string
	DryRun        bool
	TaskInstances []TIChange
}

// SetState marks a run as Airflow's "Mark run as" does (the REST API's
// PATCH of a dag run): set_dag_run_state_to_success/_failed/_queued in
// airflow/api/common/mark_tasks.py (2.x; airflow-core/src/airflow/api/common/
// mark_tasks.py in 3.x). def may be nil when the DAG is not serialized; then
// no task is treated as a teardown. One transaction, one audit row.
func SetState(ctx context.Context, st *store.Store, def *dagdef.DAG, req SetStateRequest) (SetStateResult, error) {
	var res SetStateResult
	err := st.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.LockDAG(req.DagID); err != nil {
			return err
		}
		var err error
		if res, err = SetStateInTx(tx, def, req); err != nil {
			return err
		}
		if req.DryRun {
			return errDryRun
		}
		event := req.Event
		if event == "" {
			event = "dagctl.runs.set_state"
		}
		return tx.Audit(store.AuditEntry{Event: event, DagID: req.DagID, RunID: req.RunID, LogicalDate: res.LogicalDate, Owner: req.User,
			Extra: map[string]any{"state": req.State, "previous_state": res.From, "task_instances": len(res.TaskInstances)}})
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return SetStateResult{}, fmt.Errorf("set state of run %q: %w", req.RunID, err)
	}
	return res, nil
}

// SetStateInTx is SetState inside the caller's transaction, without the
// audit row (the caller writes its own); with DryRun it only reads.
func SetStateInTx(tx *store.Tx, def *dagdef.DAG, req SetStateRequest) (SetStateResult, error) {
	res := SetStateResult{DagID: req.DagID, RunID: req.RunID, DryRun: req.DryRun, TaskInstances: []TIChange{}}
	runs, err := tx.SelectRuns(store.RunSelection{DagID: req.DagID, RunIDs: []string{req.RunID}})
	if err != nil {
		return res, err
	}
	if len(runs) == 0 {
		return res, apperr.NotFound("run %q of dag %q not found; nothing changed", req.RunID, req.DagID)
	}
	run := runs[0]
	res.From, res.LogicalDate = run.State, run.LogicalDate
	steps, runState, err := plan(tx, def, req, run)
	if err != nil {
		return res, err
	}
	res.To = runState
	for _, s := range steps {
		for _, ti := range s.tis {
			res.TaskInstances = append(res.TaskInstances, TIChange{TaskID: ti.TaskID, MapIndex: ti.MapIndex, From: ti.State, To: s.state})
		}
	}
	if req.DryRun {
		return res, nil
	}
	// Airflow's order: for failed, the pending task instances are skipped
	// before the run is marked and the running ones failed after; for
	// success the run is marked first. The rows are the same.
	if err := tx.SetRunState(req.DagID, req.RunID, run.State, runState); err != nil {
		return res, err
	}
	for _, s := range steps {
		if len(s.tis) == 0 {
			continue
		}
		if err := tx.SetTaskInstancesState(req.DagID, req.RunID, s.match, s.state); err != nil {
			return res, err
		}
	}
	return res, nil
}

// step is one task-instance update: which ones, to what.
type step struct {
	match store.TIMatch
	state string
	tis   []store.TaskInstanceRef
}

// plan reads the task instances each Airflow function changes and the
// state the run ends in.
func plan(tx *store.Tx, def *dagdef.DAG, req SetStateRequest, run store.RunRef) ([]step, string, error) {
	var taskIDs, teardown []string
	if def != nil {
		taskIDs = def.TaskIDs
		for _, id := range def.TaskIDs {
			if def.Teardown[id] {
				teardown = append(teardown, id)
			}
		}
	}
	var steps []step
	runState := req.State
	switch req.State {
	case StateQueued:
		// set_dag_run_state_to_queued: the run only; task instances stay.
	case StateSuccess:
		// Every task instance of a normal (non-teardown) task that is not
		// success becomes success; with teardown tasks the run is left to
		// the scheduler.
		m := store.TIMatch{TaskIDs: taskIDs, ExceptTaskIDs: teardown, NotStates: []string{"success"}}
		steps = append(steps, step{match: m, state: "success"})
		if len(teardown) > 0 {
			runState = run.State
		}
	case StateFailed:
		// set_dag_run_state_to_failed (airflow/api/common/mark_tasks.py in
		// 2.10, airflow-core/src/airflow/api/common/mark_tasks.py in 3.0)
		// first finds the tasks with a running, deferred or up_for_reschedule
		// instance, then skips the pending task instances (no state, or
		// unfinished and not running) and last calls set_state(tasks=...,
		// FAILED), which fails every instance of those tasks that is not
		// failed yet — all map indexes, the ones just skipped and finished
		// ones too — so Airflow stops the running ones. The skip before the
		// fail leaves the same row as failing directly (set_state keeps
		// start_date and end_date once set), so the two steps here are
		// disjoint. Teardown tasks are left to run, and then the run stays
		// open while one of them is pending or running.
		running, err := tx.MatchTaskInstances(req.DagID, req.RunID, store.TIMatch{TaskIDs: taskIDs, ExceptTaskIDs: teardown, States: store.RunningTIStates})
		if err != nil {
			return nil, "", err
		}
		runningTasks := []string{}
		for _, ti := range running {
			if !slices.Contains(runningTasks, ti.TaskID) {
				runningTasks = append(runningTasks, ti.TaskID)
			}
		}
		notPending := append(append([]string{}, store.FinishedTIStates...), store.RunningTIStates...)
		steps = append(steps,
			step{match: store.TIMatch{ExceptTaskIDs: append(append([]string{}, teardown...), runningTasks...), NotStates: notPending}, state: "skipped"},
			step{match: store.TIMatch{TaskIDs: runningTasks, NotStates: []string{"failed"}}, state: "failed"})
		if len(teardown) > 0 {
			open, err := tx.MatchTaskInstances(req.DagID, req.RunID, store.TIMatch{TaskIDs: teardown, NotStates: store.FinishedTIStates})
			if err != nil {
				return nil, "", err
			}
			if len(open) > 0 {
				runState = run.State
			}
		}
	default:
		return nil, "", apperr.Invalid("--state: %q is not one of success, failed, queued", req.State)
	}
	for i := range steps {
		tis, err := tx.MatchTaskInstances(req.DagID, req.RunID, steps[i].match)
		if err != nil {
			return nil, "", err
		}
		steps[i].tis = tis
	}
	return steps, runState, nil
}
