package backfillops

import (
	"fmt"
	"time"

	"github.com/dagctl/dagctl/internal/store"
	"github.com/dagctl/dagctl/pkg/backfill"
	"github.com/dagctl/dagctl/pkg/dagdef"
)

// startNative writes Airflow 3's own backfill: the backfill row, the new runs
// (run_type backfill, triggered_by BACKFILL, backfill_id), the cleared
// re-runs and one backfill_dag_run row per date, as _create_backfill does
// (airflow/models/backfill.py). The Airflow 3 scheduler then enforces
// max_active_runs and pause itself. A backfill scheduled for later is
// written paused; reconcile un-pauses it at scheduled_at.
//
// The runs are updated in place: created ones get their dag_run id and state.
func startNative(tx *store.Tx, b *store.Backfill, runs []store.BackfillRun, held bool, def *dagdef.DAG) error {
	id, err := tx.InsertNativeBackfill(store.NativeBackfill{
		DagID: b.DagID, From: b.FromDate, To: b.ToDate, Conf: b.DagParams,
		Paused: held, Reprocess: b.Reprocess, MaxActiveRuns: b.MaxActiveRuns, User: b.SubmittedBy,
	})
	if err != nil {
		return err
	}
	b.NativeID = &id
	ids, err := writeRuns(tx, b, runs, selectAll(runs), def)
	if err != nil {
		return err
	}
	for i := range runs {
		if id, ok := ids[runs[i].RunID]; ok && runs[i].Created {
			runs[i].DagRunID, runs[i].State = &id, "queued"
		}
	}
	native := make([]store.NativeBackfillDagRun, len(runs))
	for i, r := range runs {
		n := store.NativeBackfillDagRun{LogicalDate: r.LogicalDate, SortOrdinal: r.SortOrdinal}
		if r.Disposition == store.DispositionSkip {
			n.ExceptionReason = r.SkipReason
		} else if dagRunID, ok := ids[r.RunID]; ok {
			n.DagRunID = &dagRunID
		}
		native[i] = n
	}
	return tx.InsertNativeBackfillDagRuns(id, native)
}

func selectAll(runs []store.BackfillRun) []int {
	idx := make([]int, 0, len(runs))
	for i, r := range runs {
		if r.Disposition != store.DispositionSkip {
			idx = append(idx, i)
		}
	}
	return idx
}

// writeRuns creates the "create" runs and clears the "rerun" runs among
// runs[idx], marks them created (runs is updated in place, and in the
// database when the backfill row exists) and returns run_id → dag_run.id.
//
// def is the serialized DAG, for clearing re-runs as Airflow does (its task
// retries and disable_bundle_versioning); nil when there is no re-run.
func writeRuns(tx *store.Tx, b *store.Backfill, runs []store.BackfillRun, idx []int, def *dagdef.DAG) (map[string]int64, error) {
	ids := map[string]int64{}
	if len(idx) == 0 {
		return ids, nil
	}
	wc, err := tx.WriteContext(b.DagID)
	if err != nil {
		return nil, err
	}
	native := b.AirflowMajor == 3
	var newRuns []store.NewRun
	var rerun []string
	for _, i := range idx {
		r := runs[i]
		switch r.Disposition {
		case store.DispositionCreate:
			if r.DagRunID != nil {
				// Created earlier and handed back by `backfill retry`: it is
				// cleared again, not written anew.
				rerun = append(rerun, r.RunID)
				continue
			}
			newRuns = append(newRuns, store.NewRun{RunID: r.RunID, LogicalDate: r.LogicalDate,
				DataIntervalStart: r.DataIntervalStart, DataIntervalEnd: r.DataIntervalEnd, RunAfter: r.RunAfter})
		case store.DispositionRerun:
			rerun = append(rerun, r.RunID)
		}
	}
	req := store.InsertRunsRequest{DagID: b.DagID, Conf: b.DagParams, User: b.SubmittedBy, Runs: newRuns, Context: wc,
		RunType: store.RunTypeManual, TriggeredBy: store.TriggeredByCLI}
	if native {
		// Airflow 3 runs them as a native backfill.
		req.RunType, req.TriggeredBy, req.BackfillID = store.RunTypeBackfill, store.TriggeredByBackfill, b.NativeID
	}
	created, err := tx.InsertRuns(req)
	if err != nil {
		return nil, err
	}
	for k, v := range created {
		ids[k] = v
	}
	clearReq := clearRequest(def, b.DagID, rerun)
	if native {
		clearReq.LinkBackfillID = b.NativeID
	}
	origins, err := tx.ClearRuns(clearReq)
	if err != nil {
		return nil, err
	}
	if len(rerun) > 0 {
		existing, err := tx.RunDBIDs(b.DagID, rerun)
		if err != nil {
			return nil, err
		}
		for k, v := range existing {
			ids[k] = v
		}
	}
	for _, i := range idx {
		runs[i].Created = true
		if o, ok := origins[runs[i].RunID]; ok {
			runs[i].OrigRunType, runs[i].OrigTriggeredBy, runs[i].OrigBackfillID = o.RunType, o.TriggeredBy, o.BackfillID
		}
	}
	if err := tx.MarkCreatedWithOrigins(b.ID, runs, idx); err != nil {
		return nil, err
	}
	return ids, nil
}

// topUp keeps at most max_active_runs of an Airflow 2 backfill's runs queued
// or running: Airflow 2's scheduler ignores run_type backfill, so dagctl
// writes them as manual runs a few at a time as earlier ones finish.
func topUp(tx *store.Tx, b *store.Backfill, now time.Time) (int, error) {
	if b.Paused || b.CancelledAt != nil || b.Deleted != store.NotDeleted || now.Before(b.ScheduledAt) {
		return 0, nil
	}
	runs, err := tx.BackfillRuns(b)
	if err != nil {
		return 0, err
	}
	active := 0
	created := map[string]bool{}
	items := make([]backfill.Item, len(runs))
	pos := map[string]int{}
	for i, r := range runs {
		items[i] = backfill.Item{SortOrdinal: r.SortOrdinal, Disposition: backfill.Disposition(r.Disposition), RunID: r.RunID}
		pos[r.RunID] = i
		if r.Created {
			created[r.RunID] = true
			if r.DagRunID != nil && r.State != "success" && r.State != "failed" {
				active++
			}
		}
	}
	next, err := takeOutExisting(tx, b, runs, items, pos, backfill.NextToCreate(items, created, active, b.MaxActiveRuns))
	if err != nil {
		return 0, err
	}
	if len(next) == 0 {
		return 0, nil
	}
	idx := make([]int, len(next))
	rerun := false
	for i, it := range next {
		idx[i] = pos[it.RunID]
		rerun = rerun || it.Disposition == backfill.DispositionRerun
	}
	// Any of them may be a re-run: a "rerun" date, or a run of this
	// backfill that `backfill retry` handed back. Clearing it needs the
	// tasks' retries (max_tries) and disable_bundle_versioning. Without a
	// "rerun" date, a DAG that cannot be read only loses those.
	def, err := readDef(tx, b.DagID)
	if err != nil && rerun {
		return 0, err
	}
	if _, err := writeRuns(tx, b, runs, idx, def); err != nil {
		return 0, fmt.Errorf("start runs of backfill %q: %w", b.ID, err)
	}
	return len(idx), nil
}

// takeOutExisting drops from next the dates that got a run from elsewhere
// (the scheduler, Airflow's UI or API) since the backfill was planned, and
// records each as skipped, "already exists" — what Airflow 3 records in
// backfill_dag_run.exception_reason for a date that already has a run. The
// freed slots go to the following dates, so one taken date never stalls the
// backfill: without this every pass would fail on the unique key.
func takeOutExisting(tx *store.Tx, b *store.Backfill, runs []store.BackfillRun, items []backfill.Item, pos map[string]int, next []backfill.Item) ([]backfill.Item, error) {
	for {
		var from, to time.Time
		for _, it := range next {
			if it.Disposition != backfill.DispositionCreate {
				continue
			}
			ld := runs[pos[it.RunID]].LogicalDate
			if from.IsZero() || ld.Before(from) {
				from = ld
			}
			if to.IsZero() || ld.After(to) {
				to = ld
			}
		}
		if from.IsZero() {
			return next, nil
		}
		existing, err := tx.ExistingRuns(b.DagID, store.RunTypeManual, from, to)
		if err != nil {
			return nil, err
		}
		taken := 0
		for _, it := range next {
			if it.Disposition != backfill.DispositionCreate {
				continue
			}
			i := pos[it.RunID]
			ex, ok := existing[runs[i].LogicalDate.UnixMicro()]
			if !ok || ex.RunID == it.RunID {
				continue
			}
			if err := tx.MarkTaken(b.ID, runs[i].SortOrdinal, ex.RunID, backfill.ReasonAlreadyExists); err != nil {
				return nil, err
			}
			items[i].Disposition, items[i].RunID = backfill.DispositionSkip, ex.RunID
			runs[i].Disposition, runs[i].SkipReason, runs[i].RunID = store.DispositionSkip, backfill.ReasonAlreadyExists, ex.RunID
			delete(pos, it.RunID)
			pos[ex.RunID] = i
			taken++
		}
		if taken == 0 {
			return next, nil
		}
		active := 0
		created := map[string]bool{}
		for _, r := range runs {
			if r.Created {
				created[r.RunID] = true
				if r.DagRunID != nil && r.State != "success" && r.State != "failed" {
					active++
				}
			}
		}
		next = backfill.NextToCreate(items, created, active, b.MaxActiveRuns)
	}
}

// serializedDAG reads the DAG's definition inside the transaction.
func serializedDAG(tx *store.Tx, dagID string) (*dagdef.DAG, error) {
	data, compressed, err := tx.SerializedDAG(dagID)
	if err != nil {
		return nil, err
	}
	def, err := dagdef.Parse(data, compressed)
	if err != nil {
		return nil, fmt.Errorf("dag %q: read serialized dag: %w", dagID, err)
	}
	return def, nil
}

// clearRequest clears runs of a backfill as runops.Clear does: max_tries from
// the tasks' retries, and on Airflow 3 the runs keep their bundle_version when
// the DAG sets disable_bundle_versioning (clear_task_instances in
// airflow-core/src/airflow/models/taskinstance.py). def may be nil.
func clearRequest(def *dagdef.DAG, dagID string, runIDs []string) store.ClearRunsRequest {
	req := store.ClearRunsRequest{DagID: dagID, RunIDs: runIDs}
	if def != nil {
		req.Retries, req.KeepBundleVersion = def.TaskRetries, def.DisableBundleVersioning
	}
	return req
}
