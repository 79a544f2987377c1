package store

import (
	"context"
	"fmt"
)

// TaskInstanceState is one task instance's state (State "" when NULL).
type TaskInstanceState struct {
	RunID    string
	TaskID   string
	MapIndex int
	State    string
}

// TaskInstanceStates returns the task instances of these runs of dagID
// (for `runs grid`), through the (dag_id, run_id, ...) primary key or
// unique index Airflow has on task_instance in both schema families.
func (s *Store) TaskInstanceStates(ctx context.Context, dagID string, runIDs []string) ([]TaskInstanceState, error) {
	out := []TaskInstanceState{}
	for start := 0; start < len(runIDs); start += 500 {
		end := min(start+500, len(runIDs))
		var rows []struct {
			RunID    string
			TaskID   string
			MapIndex int
			State    *string
		}
		q := "SELECT run_id, task_id, map_index, state FROM task_instance WHERE dag_id = ? AND run_id IN ?"
		if err := s.scan(ctx, &rows, q, dagID, runIDs[start:end]); err != nil {
			return nil, fmt.Errorf("read task instances of dag %q: %w", dagID, err)
		}
		for _, r := range rows {
			ti := TaskInstanceState{RunID: r.RunID, TaskID: r.TaskID, MapIndex: r.MapIndex}
			if r.State != nil {
				ti.State = *r.State
			}
			out = append(out, ti)
		}
	}
	return out, nil
}
