package backfillops

import (
	"errors"
	"fmt"

	"github.com/dagctl/dagctl/internal/apperr"
	"github.com/dagctl/dagctl/internal/runops"
	"github.com/dagctl/dagctl/internal/store"
	"github.com/dagctl/dagctl/pkg/dagdef"
)

// terminate marks the backfill's running runs failed, as `runs set-state
// --state failed` does (set_dag_run_state_to_failed, airflow/api/common/
// mark_tasks.py): their running task instances fail, so Airflow's task
// supervisor stops them, and unfinished ones are skipped. It returns the runs
// it marked. Queued runs were already failed by cancel.
func terminate(tx *store.Tx, b *store.Backfill, runs []store.BackfillRun) ([]string, error) {
	marked := []string{}
	var def *dagdef.DAG
	loaded := false
	for _, r := range runs {
		if !r.Created || r.DagRunID == nil || r.State != "running" {
			continue
		}
		if !loaded {
			d, err := readDef(tx, b.DagID)
			if err != nil {
				return nil, err
			}
			def, loaded = d, true
		}
		if _, err := runops.SetStateInTx(tx, def, runops.SetStateRequest{DagID: b.DagID, RunID: r.RunID, State: runops.StateFailed}); err != nil {
			return nil, fmt.Errorf("terminate run %q: %w", r.RunID, err)
		}
		marked = append(marked, r.RunID)
	}
	return marked, nil
}

// readDef reads the DAG's serialized form for its teardown tasks (nil when
// Airflow no longer has it).
func readDef(tx *store.Tx, dagID string) (*dagdef.DAG, error) {
	data, compressed, err := tx.SerializedDAG(dagID)
	if apperr.Is(err, apperr.KindNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	def, err := dagdef.Parse(data, compressed)
	if errors.Is(err, dagdef.ErrNoData) {
		return nil, nil
	}
	return def, err
}
