// Package taskops holds the task-instance operations behind `dagctl tasks`:
// each returns data and leaves printing to its command.
package taskops

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/store"
	"github.com/dagctl/dagctl/pkg/dagdef"
)

// States are the task instance states Airflow knows (TaskInstanceState in
// airflow/utils/state.py), plus "none" for a task instance without one, as
// Airflow's REST API filters it.
var States = []string{"none", "scheduled", "queued", "running", "success", "restarting", "failed",
	"up_for_retry", "up_for_reschedule", "upstream_failed", "skipped", "removed", "deferred"}

// ParseStates reads --state: comma-separated states, each one of States.
func ParseStates(flag string, values []string) ([]string, error) {
	var out []string
	for _, v := range values {
		for _, s := range strings.Split(v, ",") {
			s = strings.ToLower(strings.TrimSpace(s))
			if s == "" {
				continue
			}
			if !slices.Contains(States, s) {
				return nil, apperr.Invalid("%s: %q is not a task instance state; use one or more of %s, comma-separated", flag, s, strings.Join(States, ", "))
			}
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// ListRequest names a run and, optionally, the states to keep.
type ListRequest struct {
	DagID  string
	RunID  string
	States []string
}

// ListResult is a run and its task instances in the DAG's order.
type ListResult struct {
	Run           store.Run
	TaskInstances []store.TaskInstance
	// Ordered is false when the DAG's serialized form could not be read:
	// then the task instances are in task id order.
	Ordered bool
}

// List returns the task instances of one run in the DAG's topological order
// (Airflow's DAG.topological_sort), mapped instances by map index; tasks the
// DAG no longer has (state removed) follow in task id order.
func List(ctx context.Context, st *store.Store, req ListRequest) (ListResult, error) {
	var res ListResult
	run, err := st.GetRun(ctx, req.RunID, req.DagID)
	if err != nil {
		return res, err
	}
	res.Run = *run
	tis, err := st.ListTaskInstances(ctx, store.TaskInstanceFilter{DagID: run.DagID, RunID: run.RunID, States: req.States})
	if err != nil {
		return res, err
	}
	order, err := taskOrder(ctx, st, run.DagID)
	if err == nil {
		res.Ordered = true
		SortTopological(tis, order)
	}
	res.TaskInstances = tis
	return res, nil
}

// taskOrder reads the DAG's task ids in topological order from its serialized form.
func taskOrder(ctx context.Context, st *store.Store, dagID string) ([]string, error) {
	data, compressed, err := st.SerializedDAG(ctx, dagID)
	if err != nil {
		return nil, err
	}
	def, err := dagdef.Parse(data, compressed)
	if err != nil {
		return nil, fmt.Errorf("dag %q: %w", dagID, err)
	}
	return def.TopologicalOrder(), nil
}

// SortTopological orders task instances by their task's place in order,
// then by map index; tasks not in order come last, by task id.
func SortTopological(tis []store.TaskInstance, order []string) {
	rank := make(map[string]int, len(order))
	for i, id := range order {
		rank[id] = i
	}
	pos := func(id string) int {
		if r, ok := rank[id]; ok {
			return r
		}
		return len(order)
	}
	sort.SliceStable(tis, func(i, j int) bool {
		a, b := tis[i], tis[j]
		if pa, pb := pos(a.TaskID), pos(b.TaskID); pa != pb {
			return pa < pb
		}
		if a.TaskID != b.TaskID {
			return a.TaskID < b.TaskID
		}
		return a.MapIndex < b.MapIndex
	})
}
