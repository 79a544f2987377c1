package store

import (
	"context"
	"fmt"
	"sort"

	"gorm.io/gorm"
)

// PausedStates returns dag.is_paused of every DAG row (active or not), keyed by dag_id.
func (s *Store) PausedStates(ctx context.Context) (map[string]bool, error) {
	var out map[string]bool
	err := s.read(ctx, func(db *gorm.DB) error {
		var err error
		out, err = pausedStates(db, nil)
		return err
	})
	return out, err
}

// PausedStates returns dag.is_paused of the given DAGs that exist, keyed by dag_id.
func (t *Tx) PausedStates(ids []string) (map[string]bool, error) {
	if len(ids) == 0 {
		return map[string]bool{}, nil
	}
	return pausedStates(t.db, ids)
}

func pausedStates(db *gorm.DB, ids []string) (map[string]bool, error) {
	var rows []struct {
		DagID    string
		IsPaused dbBool
	}
	q := db.Table("dag").Select("dag_id, is_paused")
	if ids != nil {
		q = q.Where("dag_id IN ?", ids)
	}
	if err := q.Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read dag.is_paused: %w", err)
	}
	out := make(map[string]bool, len(rows))
	for _, r := range rows {
		out[r.DagID] = r.IsPaused.Bool
	}
	return out, nil
}

// SetPaused writes dag.is_paused for the DAGs whose value differs, as
// `airflow dags pause|unpause` does: dag_command.py set_is_paused selects the
// DagModel rows with is_paused != the new value and calls
// DagModel.set_is_paused (airflow/models/dag.py), which on 2.x also updates the
// DAG's subdags (root_dag_id); 3.x matches dag_id only. Only is_paused changes.
// It returns the dag_ids it changed, sorted.
func (t *Tx) SetPaused(ids []string, paused bool) ([]string, error) {
	cur, err := t.PausedStates(ids)
	if err != nil {
		return nil, err
	}
	var change []string
	for id, p := range cur {
		if p != paused {
			change = append(change, id)
		}
	}
	sort.Strings(change)
	if len(change) == 0 {
		return change, nil
	}
	where := "dag_id IN ?"
	args := []any{t.s.boolArg(paused), change}
	if t.s.schema.Has("dag", "root_dag_id") {
		where += " OR root_dag_id IN ?"
		args = append(args, change)
	}
	if err := t.db.Exec("UPDATE dag SET is_paused = ? WHERE "+where, args...).Error; err != nil {
		return nil, fmt.Errorf("set dag.is_paused: %w", err)
	}
	return change, nil
}
