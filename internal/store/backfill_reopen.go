package store

import "fmt"

// ReopenBackfill clears completed_at of a dagctl backfill and, on Airflow 3,
// of its native backfill row, so that it counts as running again (Airflow's
// scheduler sets completed_at anew when its runs have finished:
// scheduler_job_runner.py _mark_backfills_complete).
func (t *Tx) ReopenBackfill(id string, nativeID *int64) error {
	now := t.s.timeArg(t.Now)
	if err := t.db.Exec("UPDATE dagctl_backfill SET completed_at = NULL, updated_at = ? WHERE id = ?", now, id).Error; err != nil {
		return fmt.Errorf("reopen backfill %q: %w", id, err)
	}
	if nativeID == nil || !t.s.schema.HasTable("backfill") {
		return nil
	}
	if err := t.db.Exec("UPDATE backfill SET completed_at = NULL, updated_at = ? WHERE id = ?", now, *nativeID).Error; err != nil {
		return fmt.Errorf("reopen backfill #%d: %w", *nativeID, err)
	}
	return nil
}

// OtherOpenNativeBackfill returns the id of another Airflow 3 backfill of
// dagID that has not completed (0 when none): Airflow allows one per DAG
// (airflow/models/backfill.py _create_backfill).
func (t *Tx) OtherOpenNativeBackfill(dagID string, except int64) (int64, error) {
	if !t.s.schema.HasTable("backfill") {
		return 0, nil
	}
	var ids []int64
	if err := t.db.Raw("SELECT id FROM backfill WHERE dag_id = ? AND completed_at IS NULL AND id <> ? ORDER BY id LIMIT 1", dagID, except).Scan(&ids).Error; err != nil {
		return 0, fmt.Errorf("read open backfills of %q: %w", dagID, err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return ids[0], nil
}

// UncancelBackfill clears cancelled_at of a dagctl backfill, for `backfill
// retry` after `backfill cancel`. On Airflow 3 the native backfill, which
// cancel paused (as Airflow's cancel_backfill does), gets is_paused back
// from dagctl's own flag, paused.
func (t *Tx) UncancelBackfill(id string, nativeID *int64, paused bool) error {
	now := t.s.timeArg(t.Now)
	if err := t.db.Exec("UPDATE dagctl_backfill SET cancelled_at = NULL, updated_at = ? WHERE id = ?", now, id).Error; err != nil {
		return fmt.Errorf("reopen cancelled backfill %q: %w", id, err)
	}
	if nativeID == nil || !t.s.schema.HasTable("backfill") {
		return nil
	}
	if err := t.db.Exec("UPDATE backfill SET is_paused = ?, updated_at = ? WHERE id = ?", t.s.boolArg(paused), now, *nativeID).Error; err != nil {
		return fmt.Errorf("reopen cancelled backfill #%d: %w", *nativeID, err)
	}
	return nil
}
